#!/usr/bin/env bash
# fs-window over Kafka (the mock cluster of tests/tools/kafka.sh, kcat as
# the independent client): the same windows as through a pipe; after a
# kill -9 and a restart, the same windows again once copies of a window
# are reduced to the last (as a sink that upserts does), and no copy of a
# window partial; the same with a second member joining (a rebalance)
# in the middle; the offsets stored at the end a clean cut; -e on an
# empty topic; the cooperative rebalance protocol refused; --late to a
# topic.
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/tools/kafka.sh"

t_need jq kcat
t_built fs-window fs-produce

# The cooperative protocol is refused before anything is opened.
run fs-window --from kafka:x -X partition.assignment.strategy=cooperative-sticky
t_true "a cooperative assignment strategy is a usage error (got $status)" "$status" -eq 2
t_match 'and it says why' 'eager rebalance protocol' "$err"
run fs-window --from kafka:x -X 'partition.assignment.strategy=range,COOPERATIVE-sticky'
t_true "in a list, in any case, too (got $status)" "$status" -eq 2

kafka_start scored:3 windows:3 scored2:3 windows2:3 scored3:4 windows3:3 empty:2 in1:1 win1:1 late:1

# Per-aircraft windows of 1 minute over 30 minutes of 50 aircraft, in
# partitions keyed by aircraft, as fs-score writes them.
fs-produce sim --seed 11 --aircraft 50 --duration 1800s --speed max >"$T/in.ndjson" 2>/dev/null
jq -r '[.icao24, tojson] | join("\t")' "$T/in.ndjson" >"$T/keyed"
WOPT=(--size 1m --by icao24)
fs-window "${WOPT[@]}" "$T/in.ndjson" | sort >"$T/ref"
nref=$(wc -l <"$T/ref")
t_true "the reference: windows through a pipe ($nref)" "$nref" -gt 1000

# produce TOPIC FILE: the keyed lines of FILE into TOPIC.
produce() {
	kcat -b "$BROKERS" -P -t "$1" -K $'\t' -l "$2" 2>>"$T/kcat.err"
}

# last_copies FILE: the window records of FILE, of each window and key the last, sorted.
last_copies() {
	jq -c '[.window_start, .window_end, .key] | tojson' "$1" | paste -d '\t' - "$1" | tac |
		awk -F '\t' '!seen[$1]++ { print $2 }' | sort
}

# --- Through Kafka: the same windows -----------------------------------------------

produce scored "$T/keyed"
run fs-window --from kafka:scored --to kafka:windows -e -G w1 "${KC[@]}" "${WOPT[@]}" --stats
t_true "from kafka:scored to kafka:windows with -e: exit 0 (got $status)" "$status" -eq 0
t_eq 'every record was read and counted in a window' "$(wc -l <"$T/in.ndjson") $(wc -l <"$T/in.ndjson")" \
	"$(kafka_stat in "$T/err") $(kafka_stat windowed "$T/err")"
kcat_all windows | sort >"$T/got1"
t_eq 'the window records are those of the pipe' '' "$(diff "$T/ref" "$T/got1" | head -5)"
t_eq 'each keyed by its window key' '' \
	"$(kcat_all windows '%k %s\n' | jq -R -r 'split(" ") as $f | ($f[1:] | join(" ") | fromjson) as $r |
		select($f[0] != $r.key) | $f[0]' 2>&1 | head -3)"

# The offsets stored at the end are a clean cut taken before the open
# windows were written: the same group started again reads them again,
# and writes them again, identical.
run fs-window --from kafka:scored --to kafka:windows -e -G w1 "${KC[@]}" "${WOPT[@]}" --stats
t_true "the same group again, with -e: exit 0 (got $status)" "$status" -eq 0
again=$(kafka_stat out "$T/err")
t_true "it reads again only the windows open at the end ($again of $nref)" \
	"$again" -gt 0 -a "$again" -lt $((nref / 4))
kcat_all windows | sort >"$T/got2"
t_eq 'and writes them identical: no window but copies of the first run' '' \
	"$(sort -u "$T/got2" | diff "$T/got1" - | head -5)"

# --- kill -9 in the middle, start again ---------------------------------------------

# count TOPIC: the messages in TOPIC.
count() {
	kcat_all "$1" | wc -l
}

# wait_count TOPIC N SECONDS: wait until TOPIC has at least N messages.
wait_count() {
	local i
	for ((i = 0; i < $3 * 5; i++)); do
		[ "$(count "$1")" -ge "$2" ] && return 0
		sleep 0.2
	done
	return 1
}

split -n l/3 -d "$T/keyed" "$T/part."
# Commits often, so that the kill comes after some of them.
KILLOPT=(--from kafka:scored2 --to kafka:windows2 -G w2 "${KC[@]}" -X auto.commit.interval.ms=200 "${WOPT[@]}")
produce scored2 "$T/part.00"
fs-window "${KILLOPT[@]}" 2>"$T/err.kill" &
pid=$!
wait_count windows2 100 20
t_true "a consumer that does not stop writes the windows the watermark closes ($(count windows2))" \
	"$(count windows2)" -ge 100
produce scored2 "$T/part.01"
wait_count windows2 $((nref / 3 + 100)) 15
sleep 0.5
kill -9 "$pid"
wait "$pid" 2>/dev/null
before=$(count windows2)
t_true "killed with -9 mid-stream, after $before windows" "$before" -gt $((nref / 3)) -a "$before" -lt "$nref"
produce scored2 "$T/part.02"
run fs-window "${KILLOPT[@]}" -e --stats
t_true "started again with -e: exit 0 (got $status)" "$status" -eq 0
read_again=$(kafka_stat in "$T/err")
t_true "it starts from the stored offsets, not the beginning ($read_again of $(wc -l <"$T/in.ndjson") read)" \
	"$read_again" -lt "$(wc -l <"$T/in.ndjson")" -a "$read_again" -ge "$(wc -l <"$T/part.02")"
kcat_all windows2 >"$T/all2"
last_copies "$T/all2" >"$T/last2"
t_eq 'the last copy of each window: exactly the windows of the pipe' '' \
	"$(diff "$T/ref" "$T/last2" | head -5)"
t_eq 'no copy of a window differs from its last: none partial' '' \
	"$(sort -u "$T/all2" | jq -r '[.window_start, .key] | join(" ")' | sort | uniq -d | head -5)"

# --- A second member joins: a rebalance in the middle ------------------------------

# The first member has open windows when the second one joins; with the
# eager protocol it gives every partition back and drops those windows,
# and whoever gets a partition reads it again from the cut. Both are
# stopped with SIGTERM once everything is read, writing what is open.
REBOPT=(--from kafka:scored3 --to kafka:windows3 -G w5 "${KC[@]}" "${WOPT[@]}")
produce scored3 "$T/part.00"
fs-window "${REBOPT[@]}" --stats=1 2>"$T/err.a" &
pa=$!
wait_count windows3 100 20
fs-window "${REBOPT[@]}" --stats=1 2>"$T/err.b" &
pb=$!
kafka_wait_stat in 1 "$T/err.b" 20 || true
produce scored3 "$T/part.01"
produce scored3 "$T/part.02"
# lag_now FILE: the consumer lag of the last --stats line of FILE; none
# when that line does not know it (nothing assigned yet, a rebalance).
lag_now() {
	tail -n 1 "$1" | grep -o '"consumer_lag":[0-9]*' | cut -d: -f2
}
# Until both have read everything: the lag of each known and 0, every
# record read, no new windows; twice in a row, a second apart, so that
# a rebalance between two --stats lines is not missed.
prev=-1 calm=0
for _ in $(seq 60); do
	sleep 1
	n=$(count windows3)
	if [ "$n" -eq "$prev" ] && [ "$(lag_now "$T/err.a")" = 0 ] && [ "$(lag_now "$T/err.b")" = 0 ] &&
		[ $(($(kafka_stat in "$T/err.a") + $(kafka_stat in "$T/err.b"))) -ge "$(wc -l <"$T/in.ndjson")" ]; then
		calm=$((calm + 1))
	else
		calm=0
	fi
	[ "$calm" -ge 2 ] && break
	prev=$n
done
t_true "both members read everything before the SIGTERM" "$calm" -ge 2
kill -TERM "$pa" "$pb"
wait "$pa"
sa=$?
wait "$pb"
sb=$?
t_true "two members, a rebalance in the middle, SIGTERM: both exit 0 (got $sa $sb)" "$sa" -eq 0 -a "$sb" -eq 0
t_true "the second member read some of it ($(kafka_stat in "$T/err.b") records)" "$(kafka_stat in "$T/err.b")" -gt 0
kcat_all windows3 >"$T/all3"
t_eq 'the last copy of each window: exactly the windows of the pipe' '' \
	"$(last_copies "$T/all3" | diff "$T/ref" - | head -5)"
t_eq 'no copy of a window differs from its last' '' \
	"$(sort -u "$T/all3" | jq -r '[.window_start, .key] | join(" ")' | sort | uniq -d | head -5)"

# --- -e on an empty topic ----------------------------------------------------------

run fs-window --from kafka:empty -e -G w3 "${KC[@]}"
t_true "-e on an empty topic: exit 0 (got $status)" "$status" -eq 0
t_eq 'and nothing written' '' "$out"

# --- --late kafka:TOPIC --------------------------------------------------------------

rec() {
	printf 'abc123\t{"timestamp":"2026-01-01T00:%s.000Z","icao24":"abc123","velocity":%s}\n' "$1" "$2"
}
# Live, past the first seconds after the assignment (when the watermark
# waits for every partition), with the late record coming after its
# window was written; then SIGTERM.
{
	rec 00:10 100
	rec 01:30 110
} >"$T/late1.keyed"
{
	rec 00:20 120
	rec 02:40 130
} >"$T/late2.keyed"
produce in1 "$T/late1.keyed"
fs-window --from kafka:in1 --to kafka:win1 --late kafka:late -G w4 "${KC[@]}" --size 1m --lateness 0 \
	--stats=0.1 2>"$T/err.late" &
pid=$!
wait_count win1 1 15
produce in1 "$T/late2.keyed"
wait_count win1 2 10
kill -TERM "$pid"
wait "$pid"
status=$?
t_true "--late kafka:late, stopped by SIGTERM: exit 0 (got $status)" "$status" -eq 0
t_eq 'the late record is in the topic of --late, with the code late' 'late 2026-01-01T00:00:20.000Z' \
	"$(kcat_all late | jq -r '"\(.reject.code) \(.line | fromjson | .timestamp)"')"
t_eq 'it is counted on the next window of its key; SIGTERM wrote the open one' '00:00:00 1 0
00:01:00 1 1
00:02:00 1 0' "$(kcat_all win1 | jq -r '"\(.window_start[11:19]) \(.event_count) \(.late_count)"')"
# The first window is closed by the watermark once the assignment has
# settled, while the input is quiet: the lines of --stats count it then.
t_eq 'every --stats line counts the windows written (windows_emitted = out)' '' \
	"$(jq -c 'select(.tool and .windows_emitted != .out) | {elapsed_s, out, windows_emitted}' "$T/err.late" 2>&1 | head -3)"

t_done
