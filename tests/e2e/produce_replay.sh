#!/usr/bin/env bash
# fs-produce replay, as a user runs it: bytes kept, pacing, rebasing,
# looping, rejects, errors, usage, stats and metrics.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"

t_built fs-produce
t_need jq

# A recording made by hand: records 2 s apart, unknown fields, UTF-8,
# a number written oddly, an epoch-seconds timestamp, a line that is not JSON.
cat >"$T/rec.ndjson" <<'EOF'
{"timestamp":"2026-11-20T12:00:00.000Z","icao24":"4ca7b5","latitude":51.4700,"velocity":1.50000000000000001,"mine":{"a":[1,2]}}
{"timestamp":"2026-11-20T12:00:02.000Z","icao24":"4ca7b5","callsign":"Z\u00fcrich","city":"Zürich","latitude":51.48}
this line is not JSON
{"icao24":"abc123","note":"no timestamp"}
{"timestamp":1795176005,"icao24":"abc123","velocity":12345678901234567890}
EOF
nrec=$(wc -l <"$T/rec.ndjson")

# --- Bytes out are bytes in -------------------------------------------------

fs-produce replay --speed max "$T/rec.ndjson" >"$T/replayed" 2>"$T/err"
t_true 'replay --speed max exits 0' $? -eq 0
t_ok 'replay --speed max writes the bytes it read' cmp "$T/rec.ndjson" "$T/replayed"
t_eq 'replay --speed max is quiet on stderr' '' "$(cat "$T/err")"

fs-produce replay --speed max <"$T/rec.ndjson" >"$T/replayed"
t_ok 'replay from stdin writes the bytes it read' cmp "$T/rec.ndjson" "$T/replayed"

fs-produce replay --speed max - <"$T/rec.ndjson" >"$T/replayed"
t_ok 'replay of "-" reads stdin' cmp "$T/rec.ndjson" "$T/replayed"

printf '{"n":1}\n' >"$T/one.ndjson"
printf '{"n":2}\n{"n":3}\n' >"$T/two.ndjson"
fs-produce replay --speed max "$T/one.ndjson" "$T/two.ndjson" "$T/one.ndjson" >"$T/replayed"
t_eq 'replay of several files writes them in order' \
	'{"n":1}
{"n":2}
{"n":3}
{"n":1}' "$(cat "$T/replayed")"

printf 'a\r\n{"b":1}\r\n\r\nc\r\n' >"$T/crlf.ndjson"
fs-produce replay --speed max "$T/crlf.ndjson" >"$T/replayed"
printf 'a\n{"b":1}\nc\n' >"$T/want"
t_ok 'CRLF line endings become LF (the blank line skipped)' cmp "$T/want" "$T/replayed"

printf '{"a":1}\n{"b":2}' >"$T/nonl.ndjson"
fs-produce replay --speed max "$T/nonl.ndjson" >"$T/replayed"
printf '{"a":1}\n{"b":2}\n' >"$T/want"
t_ok 'a missing final newline is added' cmp "$T/want" "$T/replayed"

printf 'not json\n{"broken":\n\x01\x02 binary \xff\xfe\n[1,2,3]\n\n   \nnul \x00 inside\n' >"$T/junk.ndjson"
fs-produce replay --speed max "$T/junk.ndjson" >"$T/replayed"
printf 'not json\n{"broken":\n\x01\x02 binary \xff\xfe\n[1,2,3]\nnul \x00 inside\n' >"$T/want"
t_ok 'lines that are not JSON (binary, invalid UTF-8, NUL) pass through verbatim, blank ones are skipped' \
	cmp "$T/want" "$T/replayed"

# Blank lines are not records, as in every other program (flightstream(7)).
printf '{"a":1}\n\n   \n\t\n{"b":2}\n\n' >"$T/blank.ndjson"
run fs-produce replay --speed max --stats "$T/blank.ndjson"
t_eq 'blank lines: not played back' '{"a":1}
{"b":2}' "$out"
t_match 'blank lines: not counted as records' '"final":true.*"in":2,"out":2,' "$err"
printf '\n\n' >"$T/blanks.ndjson"
run fs-produce replay --loop --speed max "$T/blanks.ndjson"
t_match 'only blank lines: nothing to loop over' 'nothing to loop over' "$err"

: >"$T/empty.ndjson"
run fs-produce replay --speed max "$T/empty.ndjson"
t_true 'an empty file replays to nothing, exit 0' "$status:${#out}" = "0:0"

# Sim output, when the simulator is there: clean, and with every fault (malformed lines too).
if fs-produce sim --seed 3 --aircraft 40 --duration 10m --speed max >"$T/sim.ndjson" 2>/dev/null &&
	[ -s "$T/sim.ndjson" ]; then
	fs-produce replay --speed max "$T/sim.ndjson" >"$T/replayed"
	t_ok 'replay of sim output is byte for byte' cmp "$T/sim.ndjson" "$T/replayed"
	fs-produce sim --seed 3 --aircraft 40 --duration 10m --speed max --faults all=0.02 --truth \
		>"$T/simf.ndjson" 2>/dev/null
	fs-produce replay --speed max "$T/simf.ndjson" >"$T/replayed"
	t_ok 'replay of sim output with faults (malformed lines too) is byte for byte' \
		cmp "$T/simf.ndjson" "$T/replayed"
else
	t_skip 'replay of sim output is byte for byte' 'fs-produce sim does not run yet'
	t_skip 'replay of sim output with faults is byte for byte' 'fs-produce sim does not run yet'
fi

# --- Pacing -----------------------------------------------------------------

cat >"$T/paced.ndjson" <<'EOF'
{"timestamp":"2026-11-20T12:00:00.000Z","n":1}
{"timestamp":"2026-11-20T12:00:02.000Z","n":2}
EOF
timed fs-produce replay --speed 10 "$T/paced.ndjson"
t_true 'replay --speed 10 exits 0' "$status" -eq 0
t_true "records 2 s apart at --speed 10 take at least 0.15 s (took ${ms} ms)" "$ms" -ge 150
t_eq 'replay --speed 10 writes the records unchanged' "$(cat "$T/paced.ndjson")" "$out"

cat >"$T/paced-ms.ndjson" <<'EOF'
{"timestamp":1795176000000,"n":1}
not json goes out at once
{"timestamp":1795176003000,"n":2}
EOF
timed fs-produce replay --speed 20 "$T/paced-ms.ndjson"
t_true "epoch-millisecond records 3 s apart at --speed 20 take at least 0.1 s (took ${ms} ms)" "$ms" -ge 100
t_eq 'paced replay passes lines that are not JSON' "$(cat "$T/paced-ms.ndjson")" "$out"

# --- Rebase -----------------------------------------------------------------

cat >"$T/rebase.ndjson" <<'EOF'
{"timestamp":"2020-05-01T10:00:00.000Z","icao24":"aaaaaa","x":1.50,"y":{"z":[1]}}
{"timestamp":"2020-05-01T10:00:02.500Z","icao24":"bbbbbb","x":2}
not json
{"timestamp":1588327207,"icao24":"cccccc"}
EOF
now=$(date +%s%3N)
run fs-produce replay --speed max --rebase "$T/rebase.ndjson"
t_true 'replay --rebase exits 0' "$status" -eq 0
printf '%s\n' "$out" >"$T/rebased"
mapfile -t stamps < <(grep '^{' "$T/rebased" | jq -r .timestamp)
t_true 'replay --rebase keeps every record' "${#stamps[@]}" -eq 3
t_match 'rebased timestamps are RFC 3339 UTC with milliseconds' \
	'^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$' "${stamps[2]:-}"
ms0=$(date -d "${stamps[0]:-1970-01-01}" +%s%3N)
ms1=$(date -d "${stamps[1]:-1970-01-01}" +%s%3N)
ms2=$(date -d "${stamps[2]:-1970-01-01}" +%s%3N)
d=$((ms0 - now))
t_true "the first rebased record is stamped within 5 s of now (off by ${d} ms)" "${d#-}" -le 5000
t_true 'rebase keeps the spacing: 2.5 s' "$((ms1 - ms0))" -eq 2500
t_true 'rebase keeps the spacing: 7 s, from epoch seconds' "$((ms2 - ms0))" -eq 7000
t_eq 'rebase changes nothing but the timestamp' \
	"$(grep '^{' "$T/rebase.ndjson" | jq -c 'del(.timestamp)')" \
	"$(grep '^{' "$T/rebased" | jq -c 'del(.timestamp)')"
t_eq 'rebase keeps the field order and number text' \
	'{"timestamp":"X","icao24":"aaaaaa","x":1.50,"y":{"z":[1]}}' \
	"$(head -n 1 "$T/rebased" | sed 's/"timestamp":"[^"]*"/"timestamp":"X"/')"
t_eq 'rebase passes a line that is not JSON' 'not json' "$(sed -n 3p "$T/rebased")"

# --- Loop -------------------------------------------------------------------

timeout 20 fs-produce replay --loop --speed max "$T/rec.ndjson" 2>"$T/err" | head -n 23 >"$T/looped"
st=${PIPESTATUS[0]}
t_true 'replay --loop | head -n 23 gives 23 lines' "$(wc -l <"$T/looped")" -eq 23
t_true "replay --loop ends when its reader goes away (status $st: 0 or SIGPIPE)" \
	"$st" -eq 0 -o "$st" -eq 141
t_eq 'replay --loop ends quietly on SIGPIPE' '' "$(cat "$T/err")"
{ cat "$T/rec.ndjson" "$T/rec.ndjson" "$T/rec.ndjson" "$T/rec.ndjson" "$T/rec.ndjson"; } | head -n 23 >"$T/want"
t_ok 'replay --loop starts again from the first file' cmp "$T/want" "$T/looped"

timeout 20 fs-produce replay --loop --rebase --speed max "$T/paced.ndjson" 2>/dev/null | head -n 6 >"$T/looped"
mapfile -t stamps < <(jq -r .timestamp "$T/looped")
prev=0 increasing=0 steps=
for s in "${stamps[@]}"; do
	m=$(date -d "$s" +%s%3N)
	[ "$prev" -ne 0 ] && steps="$steps $((m - prev))"
	[ "$m" -gt "$prev" ] || increasing=1
	prev=$m
done
t_true 'replay --loop --rebase: six records' "${#stamps[@]}" -eq 6
t_true 'replay --loop --rebase: times keep increasing across passes' "$increasing" -eq 0
t_eq 'replay --loop --rebase: each pass follows the last, 1 s after it' ' 2000 1000 2000 1000 2000' "$steps"

t_exit 'replay --loop of stdin is a usage error' 2 fs-produce replay --loop
t_match 'replay --loop of stdin says why' 'loop' "$err"
t_exit 'replay --loop with "-" among files is a usage error' 2 \
	fs-produce replay --loop "$T/rec.ndjson" -

# --- Long lines and rejects ---------------------------------------------------

{
	echo '{"n":1}'
	printf '{"long":"%0100d"}\n' 0
	echo '{"n":3}'
} >"$T/long.ndjson"
run fs-produce replay --speed max --max-line 64 --reject "$T/rejects.ndjson" "$T/long.ndjson"
t_true 'a too-long line with --reject: exit 0' "$status" -eq 0
t_eq 'a too-long line is not written, the others are' '{"n":1}
{"n":3}' "$out"
t_eq 'one reject record' 1 "$(wc -l <"$T/rejects.ndjson")"
t_eq 'the reject says too_long, its length, and keeps the head' \
	'"fs-produce" "too_long" 111 64' \
	"$(jq -r '[.reject.tool, .reject.code, .line_length, (.line | length)] | map(tojson) | join(" ")' "$T/rejects.ndjson")"
t_eq 'the reject keeps the first bytes of the line' "$(head -c 64 <(sed -n 2p "$T/long.ndjson"))" \
	"$(jq -r .line "$T/rejects.ndjson")"

run fs-produce replay --speed max --max-line 64 "$T/long.ndjson"
t_true 'a too-long line without --reject: exit 0' "$status" -eq 0
t_match 'without --reject, the reject is reported on stderr with its file and line' \
	"rejected '.*long.ndjson' line 2: too_long" "$err"
t_match 'and counted at the end' '1 record rejected' "$err"

run fs-produce replay -q --speed max --max-line 64 "$T/long.ndjson"
t_eq 'with -q, rejects are not reported' '' "$err"

# --- Errors -------------------------------------------------------------------

run fs-produce replay --speed max "$T/one.ndjson" "$T/missing.ndjson" "$T/two.ndjson"
t_true 'a file that cannot be opened: exit 1' "$status" -eq 1
t_match 'the message names the file' "cannot open '$T/missing.ndjson'" "$err"
t_eq 'the other files are still replayed' '{"n":1}
{"n":2}
{"n":3}' "$out"

printf '{"n":9}\n' >"$T/secret.ndjson"
chmod 000 "$T/secret.ndjson"
if [ -r "$T/secret.ndjson" ]; then
	t_skip 'a file without read permission: exit 1' 'running as root, every file is readable'
else
	run fs-produce replay --speed max "$T/secret.ndjson" "$T/one.ndjson"
	t_true 'a file without read permission: exit 1' "$status" -eq 1
	t_match 'a file without read permission: the message names it' \
		"cannot open '$T/secret.ndjson': Permission denied" "$err"
	t_eq 'a file without read permission: the next file is replayed' '{"n":1}' "$out"
fi

run fs-produce replay --speed max "$T"
t_true 'a directory: exit 1' "$status" -eq 1
t_match 'a directory: the message names it' "'$T'" "$err"

if [ -w /dev/full ]; then
	run sh -c 'fs-produce replay --speed max "$1" >/dev/full' sh "$T/rec.ndjson"
	t_true 'output that cannot be written (a full disk): exit 1' "$status" -eq 1
	t_match 'a full disk: the message says so' 'cannot write' "$err"
else
	t_skip 'output that cannot be written (a full disk): exit 1' 'no /dev/full'
fi

run sh -c 'fs-produce replay --speed max "$1" >&-' sh "$T/rec.ndjson"
t_true 'a closed standard output: exit 1' "$status" -eq 1
t_match 'a closed standard output: the message says so' 'cannot write' "$err"

run fs-produce replay --speed max --reject /nonexistent/dir/rejects "$T/rec.ndjson"
t_true 'a reject file that cannot be made: exit 1' "$status" -eq 1
t_match 'and the message names it' '/nonexistent/dir/rejects' "$err"

# --- Usage --------------------------------------------------------------------

for args in '--bogus' '--speed' '--speed 0' '--speed fast' '--speed -1' '--max-line 8' \
	'--max-line lots' '--stats=0' '-x'; do
	# shellcheck disable=SC2086
	t_exit "replay $args is a usage error" 2 fs-produce replay $args "$T/rec.ndjson"
	t_match "replay $args: a message or usage on stderr" '(usage: |invalid )' "$err"
done
t_exit 'a bad option prints the usage' 2 fs-produce replay --bogus
t_match 'the usage line starts with "usage: fs-produce"' '^(.*: .*)?usage: fs-produce' "$err"
t_exit 'no source is a usage error' 2 fs-produce
t_match 'no source: usage on stderr' 'usage: fs-produce' "$err"
t_exit 'an unknown source is a usage error' 2 fs-produce nosuch
t_match 'an unknown source is named' "unknown source 'nosuch'" "$err"

for h in -h --help; do
	t_exit "fs-produce replay $h exits 0" 0 fs-produce replay "$h"
	t_match "fs-produce replay $h prints the usage on stdout" '^usage: fs-produce' "$out"
	t_match "fs-produce replay $h shows replay's options" 'replay \[--speed X\|max\] \[--loop\] \[--rebase\]' "$out"
	t_exit "fs-produce $h exits 0" 0 fs-produce "$h"
	t_match "fs-produce $h prints the usage" '^usage: fs-produce' "$out"
done
for v in -V --version; do
	t_exit "fs-produce replay $v exits 0" 0 fs-produce replay "$v"
	t_match "fs-produce replay $v prints a version" '^fs-produce [0-9]+\.[0-9]+\.[0-9]+$' "$out"
done
t_exit 'fs-produce -V exits 0' 0 fs-produce -V
t_match 'fs-produce -V prints a version' '^fs-produce [0-9]+\.[0-9]+\.[0-9]+$' "$out"

# --- Stats and metrics ----------------------------------------------------------

run fs-produce replay --speed max --stats --max-line 64 --reject "$T/rejects.ndjson" \
	"$T/one.ndjson" "$T/two.ndjson" "$T/long.ndjson"
t_true 'replay --stats: exit 0' "$status" -eq 0
t_eq 'replay --stats: the records still go to stdout' 5 "$(printf '%s\n' "$out" | wc -l)"
last=$(printf '%s\n' "$err" | tail -n 1)
t_ok 'the --stats summary is one line of JSON' jq -e . <<<"$last"
t_eq 'the --stats summary: tool, final, in, out, rejected' \
	'fs-produce true 6 5 1' \
	"$(jq -r '[.tool, .final, .in, .out, .rejected] | map(tostring) | join(" ")' <<<"$last" 2>&1)"
t_ok 'the --stats summary has elapsed_s and rate' jq -e '(.elapsed_s | type == "number") and (.rate | type == "number")' <<<"$last"

for i in $(seq 0 20); do
	printf '{"timestamp":%d,"n":%d}\n' $((1795176000000 + i * 100)) "$i"
done >"$T/tenth.ndjson"
run fs-produce replay --speed 1 --stats=0.5 "$T/tenth.ndjson"
periodic=$(printf '%s\n' "$err" | grep -c '"final":false')
t_true "--stats=0.5 during a paced replay of 2 s prints progress lines (got $periodic)" "$periodic" -ge 2

run fs-produce replay --speed max --metrics-file "$T/metrics.prom" "$T/rec.ndjson"
t_true 'replay --metrics-file: exit 0' "$status" -eq 0
t_true 'the metrics file is written' -s "$T/metrics.prom"
metrics=$(cat "$T/metrics.prom" 2>/dev/null)
t_eq 'every line of the metrics file is Prometheus text (comment, or name{labels} value)' '' \
	"$(grep -vE '^(# (TYPE|HELP) .*|[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="[^"]*",?)*\})? [0-9.eE+-]+)$' \
		"$T/metrics.prom")"
t_ok 'the metrics count the records in and out, labelled with the tool' \
	grep -qxF -e "flightstream_records_in_total{tool=\"fs-produce\"} $nrec" "$T/metrics.prom"
t_ok 'the metrics count the records out, as fs-produce(1) shows' \
	grep -qxF -e "flightstream_records_out_total{tool=\"fs-produce\"} $nrec" "$T/metrics.prom"
t_match 'the metrics say what type each counter is' \
	"# TYPE flightstream_records_out_total counter" "$metrics"
t_eq 'no temporary file is left beside the metrics file' 'metrics.prom' \
	"$(cd "$T" && ls metrics.prom*)"
run fs-produce replay --speed max --metrics-file /nonexistent/dir/m.prom "$T/rec.ndjson"
t_true 'a metrics file that cannot be written: exit 1' "$status" -eq 1

# --- Signals --------------------------------------------------------------------

cat >"$T/slow.ndjson" <<'EOF'
{"timestamp":"2026-11-20T12:00:00.000Z","n":1}
{"timestamp":"2026-11-20T12:00:00.100Z","n":2}
{"timestamp":"2026-11-20T12:01:00.000Z","n":3}
EOF
fs-produce replay --speed 1 "$T/slow.ndjson" >"$T/sig.out" 2>"$T/sig.err" &
pid=$!
sleep 0.7
kill -TERM "$pid"
wait "$pid"
st=$?
t_true "SIGTERM during a paced replay: exit 0 (got $st)" "$st" -eq 0
t_eq 'SIGTERM: what was due is written, whole' '{"timestamp":"2026-11-20T12:00:00.000Z","n":1}
{"timestamp":"2026-11-20T12:00:00.100Z","n":2}' "$(cat "$T/sig.out")"

fs-produce replay --speed 1 "$T/slow.ndjson" >"$T/sig.out" 2>"$T/sig.err" &
pid=$!
sleep 0.7
kill -INT "$pid"
wait "$pid"
st=$?
t_true "SIGINT during a paced replay: exit 0 (got $st)" "$st" -eq 0

# A quiet pipe sees each record as it is due, not when the program ends.
mkfifo "$T/fifo"
fs-produce replay --speed 1 "$T/slow.ndjson" >"$T/fifo" 2>/dev/null &
pid=$!
got=$(timeout 10 head -n 2 "$T/fifo")
t_eq 'a paced replay delivers records before it ends (flushed while it waits)' \
	'{"timestamp":"2026-11-20T12:00:00.000Z","n":1}
{"timestamp":"2026-11-20T12:00:00.100Z","n":2}' "$got"
kill -TERM "$pid" 2>/dev/null
wait "$pid" 2>/dev/null

t_done
