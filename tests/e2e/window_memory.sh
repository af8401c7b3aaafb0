#!/usr/bin/env bash
# fs-window's memory is bounded by --max-keys: the windows of evicted keys
# do not pile up until the watermark passes them, whatever the input.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"

t_built fs-produce fs-window
t_need /usr/bin/time

# ASan keeps freed memory in quarantine, which would grow with what is freed.
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=1

# rss N ARGS...: the peak RSS (KiB) of fs-window ARGS over N aircraft for 2
# minutes of event time; every record evicts a key at --max-keys 1000.
rss() {
	local n=$1
	shift
	fs-produce sim --aircraft "$n" --duration 2m --speed max >"$T/in"
	/usr/bin/time -f '%M' -o "$T/rss" fs-window --stats "$@" <"$T/in" >/dev/null 2>"$T/stats"
	status=$?
	cat "$T/rss"
}

for kind in '--size 10m' '--session-gap 10m'; do
	# shellcheck disable=SC2086
	small=$(rss 1000 $kind --by icao24 --max-keys 1000)
	# shellcheck disable=SC2086
	big=$(rss 12000 $kind --by icao24 --max-keys 1000)
	t_true "fs-window $kind --max-keys 1000 over 12,000 aircraft exits 0" "$status" -eq 0
	t_match "fs-window $kind: keys evicted are counted" '"keys_evicted":143[0-9]{3}' \
	    "$(tail -1 "$T/stats")"
	# Before the bound, 144,000 records took 30 MB more than 12,000 did.
	t_true "fs-window $kind: 12 times the aircraft, under 8 MiB more memory ($small KiB, then $big KiB)" \
	    $((big - small)) -lt 8192
done
t_done
