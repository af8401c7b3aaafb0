#!/usr/bin/env bash
# fs-clean as a command: usage and the man page, bad options, files and
# standard input, errors and exit status, stats and metrics, signals,
# and output that is flushed when the input goes quiet.
. "$(dirname "$0")/../lib.sh"

t_need jq

rec() {
	printf '{"timestamp":"2026-01-01T00:00:%02d.000Z","icao24":"%s","velocity":%s}\n' "$1" "${2:-abc123}" "${3:-100}"
}
rec 0 >"$T/a.ndjson"
rec 1 >>"$T/a.ndjson"
rec 2 bbbbbb >"$T/b.ndjson"

# --- Usage, help, version, and the man page --------------------------------------

for h in -h --help; do
	t_exit "fs-clean $h exits 0" 0 fs-clean "$h"
	t_match "fs-clean $h prints the usage on stdout" '^usage: fs-clean \[--dedup-window D\]' "$out"
done
t_exit 'fs-clean -V exits 0' 0 fs-clean -V
t_match 'fs-clean -V prints a version' '^fs-clean [0-9]+\.[0-9]+\.[0-9]+$' "$out"

t_synopsis fs-clean

bad=(
	'--bogus' '-x' '--grid 0' '--grid x' '--grid 200' '--expire 0.5s' '--expire soon'
	'--dedup-window -1m' '--require nothing' '--require position,' '--max-aircraft 0'
	'--max-speed 0' '--jump-factor 0.5' '--dedup-max 0' '--phase-window x' '--max-line 8'
	'--stats=0' '--dedup-window'
)
for args in "${bad[@]}"; do
	# shellcheck disable=SC2086
	t_exit "fs-clean $args is a usage error" 2 fs-clean $args "$T/a.ndjson"
	t_match "fs-clean $args: says why, or shows the usage" '(usage: fs-clean|invalid )' "$err"
	t_eq "fs-clean $args: writes nothing" '' "$out"
done

# --- Files, standard input, errors ----------------------------------------------

run fs-clean "$T/a.ndjson" "$T/b.ndjson"
t_eq 'files are read in order' 'abc123 abc123 bbbbbb' "$(printf '%s\n' "$out" | jq -r .icao24 | xargs)"
run sh -c 'fs-clean <"$1"' sh "$T/a.ndjson"
t_eq 'standard input without files' 2 "$(printf '%s\n' "$out" | grep -c abc123)"
run sh -c 'fs-clean "$1" - <"$2"' sh "$T/a.ndjson" "$T/b.ndjson"
t_eq '"-" is standard input, in its place' 'abc123 abc123 bbbbbb' "$(printf '%s\n' "$out" | jq -r .icao24 | xargs)"
: >"$T/empty"
run fs-clean "$T/empty"
t_true 'an empty file: nothing, exit 0' "$status:${#out}" = "0:0"

run fs-clean "$T/a.ndjson" "$T/missing.ndjson" "$T/b.ndjson"
t_true 'a file that cannot be opened: exit 1' "$status" -eq 1
t_match 'the message names it' "^fs-clean: cannot open '$T/missing.ndjson'" "$err"
t_eq 'the other files are still read' 3 "$(printf '%s\n' "$out" | grep -c icao24)"
run fs-clean "$T"
t_true 'a directory: exit 1' "$status" -eq 1

if [ -w /dev/full ]; then
	run sh -c 'fs-clean "$1" >/dev/full' sh "$T/a.ndjson"
	t_true 'output that cannot be written: exit 1' "$status" -eq 1
	t_match 'and says so' 'cannot write' "$err"
	printf 'not json\n' >"$T/bad.ndjson"
	run fs-clean --reject /dev/full "$T/bad.ndjson"
	t_true 'rejects that cannot be written: exit 1' "$status" -eq 1
else
	t_skip 'output that cannot be written: exit 1' 'no /dev/full'
	t_skip 'and says so' 'no /dev/full'
	t_skip 'rejects that cannot be written: exit 1' 'no /dev/full'
fi
t_exit 'a reject file that cannot be made: exit 1' 1 fs-clean --reject /nonexistent/dir/rj "$T/a.ndjson"

run sh -c 'fs-clean "$1" | head -c 10' sh "$T/a.ndjson"
t_eq 'a reader that goes away ends fs-clean quietly' '' "$err"

# --- Stats and metrics ------------------------------------------------------------

{
	cat "$T/a.ndjson"
	rec 1
	echo 'not json'
	echo '{"icao24":"abc123","timestamp":"2026-01-01T00:00:03Z","latitude":99}'
	echo '{"icao24":"abc123","timestamp":"2026-01-01T00:00:04Z","latitude":98}'
	rec 5 abc123 400
	echo
} >"$T/mix.ndjson"
run fs-clean --stats --reject "$T/rj" --metrics-file "$T/m.prom" "$T/mix.ndjson"
last=$(printf '%s\n' "$err" | tail -n 1)
t_ok 'the --stats summary is one line of JSON' jq -e . <<<"$last"
t_eq 'the summary counts in, out, rejected, duplicates, dropped' '7 3 3 1 0' \
	"$(jq -r '"\(.in) \(.out) \(.rejected) \(.duplicates) \(.dropped)"' <<<"$last")"
t_eq 'the summary counts rejects per code and records per flag' '1 2 1 0' \
	"$(jq -r '"\(.rejected_parse) \(.rejected_range_latitude) \(.flag_impossible_speed) \(.flag_position_jump)"' <<<"$last")"
t_eq 'the metrics file is Prometheus text' '' \
	"$(grep -vE '^(# (TYPE|HELP) .*|[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="[^"]*",?)*\})? [0-9.eE+-]+)$' "$T/m.prom")"
t_ok 'the metrics have the per-code counters' \
	grep -qx 'flightstream_rejected_range_latitude_total{tool="fs-clean"} 2' "$T/m.prom"
t_ok 'the metrics have the per-flag counters' \
	grep -qx 'flightstream_flag_impossible_speed_total{tool="fs-clean"} 1' "$T/m.prom"
t_ok 'and the duplicates' grep -qx 'flightstream_records_duplicate_total{tool="fs-clean"} 1' "$T/m.prom"

# Every reject code can be counted at once without running out of counters.
{
	for c in '"latitude":91' '"longitude":181' '"baro_altitude":1e6' '"geo_altitude":1e6' \
		'"velocity":-1' '"heading":400' '"vertical_rate":500' '"latitude":"x"' '"longitude":"x"' \
		'"baro_altitude":"x"' '"geo_altitude":"x"' '"velocity":"x"' '"heading":"x"' \
		'"vertical_rate":"x"' '"on_ground":1' '"spi":1' '"squawk":true' '"squawk":"9"' \
		'"callsign":1' '"latitude":1' '"longitude":1' '"hour":1,"hour":2'; do
		printf '{"timestamp":"2026-01-01T00:00:00Z","icao24":"abc123",%s}\n' "$c"
	done
	printf '{"icao24":"abc123"}\n{"icao24":1}\n{"icao24":"x"}\n{"timestamp":1}\n'
	printf '{"icao24":"abc123","timestamp":true}\n{"icao24":"abc123","timestamp":"x"}\n'
	printf '{"icao24":"abc123","timestamp":1}\n[]\nx\n\xff\n'
	printf '{"timestamp":"2026-01-01T00:00:00Z","icao24":"abc123"}\n'
	printf '{"timestamp":"2026-01-01T00:00:00Z","icao24":"abc123"}\n'
	printf '{"pad":"%0300d"}\n' 0
} >"$T/codes.ndjson"
run fs-clean --stats --max-line 256 --reject-duplicates --require velocity --reject "$T/rj" "$T/codes.ndjson"
t_true 'all the reject codes in one run: exit 0' "$status" -eq 0
t_eq 'all the reject codes in one run: each is counted, the last ones together' \
	"$(jq -r .reject.code "$T/rj" | wc -l)" \
	"$(printf '%s\n' "$err" | tail -n 1 | jq '[to_entries[] | select(.key | startswith("rejected_")) | .value] | add')"

# --- Signals and flushing -------------------------------------------------------

# A writer that sends two records, then waits: fs-clean flushes while it waits.
mkfifo "$T/fifo"
{
	rec 0
	rec 1
	sleep 3
	rec 2
} >"$T/fifo" &
writer=$!
fs-clean <"$T/fifo" >"$T/flushed" &
pid=$!
sleep 1
t_eq 'output is flushed when the input is idle' 2 "$(grep -c abc123 "$T/flushed")"
kill -TERM "$pid"
wait "$pid"
st=$?
t_true "SIGTERM: exit 0 (got $st)" "$st" -eq 0
t_eq 'SIGTERM: what was read is written, whole' 2 "$(jq -c . "$T/flushed" | wc -l)"
kill "$writer" 2>/dev/null
wait "$writer" 2>/dev/null

{
	rec 0
	sleep 3
} >"$T/fifo" &
writer=$!
fs-clean --stats <"$T/fifo" >"$T/flushed" 2>"$T/sig.err" &
pid=$!
sleep 1
kill -INT "$pid"
wait "$pid"
st=$?
t_true "SIGINT: exit 0 (got $st)" "$st" -eq 0
t_eq 'SIGINT: the record is written and the summary printed' '1 1' \
	"$(grep -c abc123 "$T/flushed") $(tail -n 1 "$T/sig.err" | jq .out)"
kill "$writer" 2>/dev/null
wait "$writer" 2>/dev/null

t_done
