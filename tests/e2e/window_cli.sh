#!/usr/bin/env bash
# fs-window as a command: usage and the man page, bad options, files and
# standard input, errors and exit status, late and reject files, stats
# and metrics.
. "$(dirname "$0")/../lib.sh"

t_need jq
t_built fs-window

rec() {
	printf '{"timestamp":"2026-01-01T00:00:%02d.000Z","icao24":"%s","velocity":%s}\n' "$1" "${2:-abc123}" "${3:-100}"
}
rec 1 >"$T/a.ndjson"
rec 2 >>"$T/a.ndjson"
rec 12 bbbbbb >"$T/b.ndjson"

# --- Usage, help, version, and the man page --------------------------------------

for h in -h --help; do
	t_exit "fs-window $h exits 0" 0 fs-window "$h"
	t_match "fs-window $h prints the usage on stdout" '^usage: fs-window \[--size D \[--hop D\] \| --session-gap D\]' "$out"
done
t_exit 'fs-window -V exits 0' 0 fs-window -V
t_match 'fs-window -V prints a version' '^fs-window [0-9]+\.[0-9]+\.[0-9]+$' "$out"

t_synopsis fs-window

bad=(
	'--bogus' '-x' '--size 0' '--size x' '--size -1m' '--hop 0' '--hop 20m' '--size 10s --hop 1ms'
	'--session-gap 0' '--session-gap 1m --size 10m' '--session-gap 1m --hop 1m' '--lateness soon'
	'--lateness -1s' '--idle 50ms' '--idle x' '--max-keys 0' '--max-keys x' '--late -'
	'--by ,' '--by a,,b' '--by a,' '--by a,a' '--by x --by x' '--by icao24,*' '--max-line 8'
	'--stats=0'
)
for args in "${bad[@]}"; do
	set -f
	# shellcheck disable=SC2086
	t_exit "fs-window $args is a usage error" 2 fs-window $args "$T/a.ndjson"
	set +f
	t_match "fs-window $args: says why, or shows the usage" '(usage: fs-window|invalid |goes with)' "$err"
	t_eq "fs-window $args: writes nothing" '' "$out"
done
t_exit 'fs-window --by without a value is a usage error' 2 fs-window --by
t_exit 'fs-window --by "" is a usage error' 2 fs-window --by '' "$T/a.ndjson"
# shellcheck disable=SC2046
run fs-window $(printf -- '--by f%d ' $(seq 1 17)) "$T/a.ndjson"
t_true 'more than 16 groupings: a usage error' "$status" -eq 2

# --- Files, standard input, errors ----------------------------------------------

run fs-window --size 10s --by icao24 "$T/a.ndjson" "$T/b.ndjson"
t_eq 'files are read in order, as one stream' 'abc123:2 bbbbbb:1' \
	"$(printf '%s\n' "$out" | jq -r '"\(.key):\(.event_count)"' | xargs)"
run sh -c 'fs-window <"$1"' sh "$T/a.ndjson"
t_eq 'standard input without files' 2 "$(printf '%s\n' "$out" | jq .event_count)"
run sh -c 'fs-window --size 10s --by icao24 "$1" - <"$2"' sh "$T/a.ndjson" "$T/b.ndjson"
t_eq '"-" is standard input, in its place' 'abc123:2 bbbbbb:1' \
	"$(printf '%s\n' "$out" | jq -r '"\(.key):\(.event_count)"' | xargs)"
: >"$T/empty"
run fs-window "$T/empty"
t_true 'an empty file: nothing, exit 0' "$status:${#out}" = "0:0"

run fs-window --size 10s "$T/a.ndjson" "$T/missing.ndjson" "$T/b.ndjson"
t_true 'a file that cannot be opened: exit 1' "$status" -eq 1
t_match 'the message names it' "^fs-window: cannot open '$T/missing.ndjson'" "$err"
t_eq 'the other files are still read, and their windows written' '2 1' \
	"$(printf '%s\n' "$out" | jq .event_count | xargs)"
run fs-window "$T"
t_true 'a directory: exit 1' "$status" -eq 1

if [ -w /dev/full ]; then
	run sh -c 'fs-window "$1" >/dev/full' sh "$T/a.ndjson"
	t_true 'output that cannot be written: exit 1' "$status" -eq 1
	t_match 'and says so' 'cannot write' "$err"
	printf 'not json\n' >"$T/bad.ndjson"
	run fs-window --reject /dev/full "$T/bad.ndjson"
	t_true 'rejects that cannot be written: exit 1' "$status" -eq 1
	{ rec 1; rec 30; rec 2; } >"$T/late.ndjson"
	run fs-window --size 10s --lateness 0 --late /dev/full "$T/late.ndjson"
	t_true 'late records that cannot be written: exit 1' "$status" -eq 1
else
	t_skip 'output that cannot be written: exit 1' 'no /dev/full'
	t_skip 'and says so' 'no /dev/full'
	t_skip 'rejects that cannot be written: exit 1' 'no /dev/full'
	t_skip 'late records that cannot be written: exit 1' 'no /dev/full'
fi
t_exit 'a reject file that cannot be made: exit 1' 1 fs-window --reject /nonexistent/dir/rj "$T/a.ndjson"
t_exit 'a late file that cannot be made: exit 1' 1 fs-window --late /nonexistent/dir/late "$T/a.ndjson"
t_exit 'a metrics file that cannot be written: exit 1' 1 \
	fs-window --metrics-file /nonexistent/dir/m.prom "$T/a.ndjson"

fs-produce sim --seed 1 --aircraft 50 --duration 30m --speed max >"$T/sim" 2>/dev/null
run sh -c 'fs-window --by icao24 --size 10s "$1" | head -c 10' sh "$T/sim"
t_eq 'a reader that goes away ends fs-window quietly' '' "$err"

# --- Late records and rejects: where they go ---------------------------------------

{ rec 1; rec 30; rec 2; rec 3; echo 'not json'; } >"$T/mix.ndjson"
run fs-window --size 10s --lateness 0 --late "$T/late" --reject "$T/rj" "$T/mix.ndjson"
t_eq 'with --late: late records go there, in the reject shape, code late' 'late late' \
	"$(jq -r .reject.code "$T/late" | xargs)"
t_eq 'with --late: the original line, byte for byte' "$(rec 2)" "$(jq -r .line "$T/late" | head -n 1)"
t_eq 'with --late: the tool and a message with the window and the watermark' \
	'fs-window window 2026-01-01T00:00:00.000Z to 2026-01-01T00:00:10.000Z closed before it came: watermark 2026-01-01T00:00:30.000Z' \
	"$(jq -r '"\(.reject.tool) \(.reject.message)"' "$T/late" | head -n 1)"
t_eq 'with --late: the rejects hold only the rejects' 'parse' "$(jq -r .reject.code "$T/rj" | xargs)"
t_match 'with --late: said at the end' "fs-window: 2 late records kept in '$T/late'" "$err"
run fs-window --size 10s --lateness 0 --reject "$T/rj" "$T/mix.ndjson"
t_eq 'without --late: late records go with the rejects' 'late late parse' \
	"$(jq -r .reject.code "$T/rj" | xargs)"
t_match 'without --late: said at the end' "2 late records kept with the rejects in '$T/rj'" "$err"
run fs-window --size 10s --lateness 0 "$T/mix.ndjson"
t_match 'with neither: each late record is reported on stderr' \
	"fs-window: late record '$T/mix.ndjson' line 3: window 2026-01-01T00:00:00.000Z" "$err"
t_match 'with neither: and counted at the end, apart from the rejects' \
	'2 late records \(keep them with --late FILE\)' "$err"
t_match 'with neither: the rejects counted as rejects' '1 record rejected' "$err"
run fs-window -q --size 10s --lateness 0 "$T/mix.ndjson"
t_eq '-q: nothing on stderr' '' "$err"

# --- Stats and metrics ------------------------------------------------------------

{ cat "$T/mix.ndjson"; printf '{"timestamp":"2026-01-01T00:00:31Z"}\n\n'; } >"$T/mix2.ndjson"
run fs-window --size 10s --lateness 0 --by icao24 --stats --metrics-file "$T/m.prom" "$T/mix2.ndjson"
last=$(printf '%s\n' "$err" | tail -n 1)
t_ok 'the --stats summary is one line of JSON' jq -e . <<<"$last"
t_eq 'the summary counts in, out (windows), rejected, dropped, windowed, late' '6 2 1 1 2 2' \
	"$(jq -r '"\(.in) \(.out) \(.rejected) \(.dropped) \(.windowed) \(.late)"' <<<"$last")"
t_eq 'and windows_emitted, key_missing, rejects per code' '2 1 1' \
	"$(jq -r '"\(.windows_emitted) \(.key_missing) \(.rejected_parse)"' <<<"$last")"
t_eq 'the metrics file is Prometheus text' '' \
	"$(grep -vE '^(# (TYPE|HELP) .*|[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="[^"]*",?)*\})? [0-9.eE+-]+)$' "$T/m.prom")"
t_ok 'the metrics have the late records' grep -qx 'flightstream_late_total{tool="fs-window"} 2' "$T/m.prom"
t_ok 'and the windows' grep -qx 'flightstream_windows_emitted_total{tool="fs-window"} 2' "$T/m.prom"

t_done
