#!/usr/bin/env bash
# fs-produce as a command: usage, version, the man page, unknown sources.
. "$(dirname "$0")/../lib.sh"

t_built fs-produce

t_synopsis fs-produce

for h in -h --help; do
	t_exit "fs-produce $h exits 0" 0 fs-produce "$h"
	t_match "fs-produce $h prints the usage on stdout" '^usage: fs-produce sim ' "$out"
done
t_exit 'fs-produce -V exits 0' 0 fs-produce -V
t_match 'fs-produce -V prints its name and version' '^fs-produce [0-9]+\.[0-9]+\.[0-9]+$' "$out"
t_exit 'fs-produce with no source is a usage error' 2 fs-produce
t_match 'and shows the usage' '^usage: fs-produce' "$err"
t_exit 'an unknown source is a usage error' 2 fs-produce radar
t_match 'the message names the source' "^fs-produce: unknown source 'radar'" "$err"
t_exit 'an unknown option of a source is a usage error' 2 fs-produce sim --bogus
t_match 'getopt speaks as fs-produce' '^fs-produce: unrecognized option' "$err"
t_done
