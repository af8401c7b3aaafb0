#!/usr/bin/env bash
# fs-window on a stream that stays open: windows come out when the
# watermark closes them, before the end of the input; a quiet stream
# keeps its last window open, unless --idle moves the watermark on by
# the clock; SIGINT and SIGTERM write the open windows and exit 0.
. "$(dirname "$0")/../lib.sh"

t_need jq
t_built fs-window

rec() {
	printf '{"timestamp":"2026-01-01T00:00:%02d.000Z","icao24":"abc123"}\n' "$1"
}

# lines FILE: the number of complete lines in FILE.
lines() {
	if [ -e "$1" ]; then
		wc -l <"$1" | tr -d ' '
	else
		echo 0
	fi
}

# wait_lines FILE N SECONDS: wait until FILE has N lines, for at most SECONDS.
wait_lines() {
	local i
	for ((i = 0; i < $3 * 10; i++)); do
		[ "$(lines "$1")" -ge "$2" ] && return 0
		sleep 0.1
	done
	return 1
}

mkfifo "$T/fifo"
brief='"\(.window_start[11:19]) n=\(.event_count) late=\(.late_count)"'

# --- A window closed by a later record is written at once, before the end ------------

{
	rec 1
	rec 15
	sleep 4
	rec 16
} >"$T/fifo" &
writer=$!
fs-window --size 10s --lateness 0 <"$T/fifo" >"$T/out1" &
pid=$!
wait_lines "$T/out1" 1 3
t_eq 'a pipe that stays open: the window the watermark closed is written before the end' \
	'00:00:00 n=1 late=0' "$(jq -r "$brief" "$T/out1")"
wait "$writer"
wait "$pid"
st=$?
t_true "at the end of the input: exit 0 (got $st)" "$st" -eq 0
t_eq 'at the end of the input: the open window follows' '00:00:00 n=1 late=0
00:00:10 n=2 late=0' "$(jq -r "$brief" "$T/out1")"

# --- A quiet stream: without --idle its last window waits; with it, it comes ------------

{
	rec 8
	sleep 5
	rec 9
} >"$T/fifo" &
writer=$!
fs-window --size 10s --lateness 0 --late "$T/late2" <"$T/fifo" >"$T/out2" &
pid=$!
sleep 3.5
t_eq 'quiet, without --idle: the window stays open (event time has not moved)' 0 "$(lines "$T/out2")"
wait "$writer"
wait "$pid"
t_eq 'quiet, without --idle: the late-coming record still counts, at the end' '00:00:00 n=2 late=0' \
	"$(jq -r "$brief" "$T/out2")"

{
	rec 8
	sleep 6
	rec 9
	rec 12
} >"$T/fifo" &
writer=$!
fs-window --size 10s --lateness 0 --idle 1s --stats --late "$T/late3" <"$T/fifo" >"$T/out3" 2>"$T/err3" &
pid=$!
# After 1 s of quiet the watermark moves with the clock: from 8 s it passes 10 s after 2 s.
if wait_lines "$T/out3" 1 5; then
	t_eq 'quiet, with --idle 1s: the window is written while the input is still open' \
		'00:00:00 n=1 late=0' "$(jq -r "$brief" "$T/out3")"
else
	t_eq 'quiet, with --idle 1s: the window is written while the input is still open' \
		'00:00:00 n=1 late=0' "(nothing after 5 s)"
fi
wait "$writer"
wait "$pid"
st=$?
t_true "with --idle: exit 0 (got $st)" "$st" -eq 0
t_eq 'with --idle: the trade-off: a record that came after the window was written is late' \
	'00:00:09.000Z' "$(jq -r '.line | fromjson | .timestamp[11:]' "$T/late3")"
t_eq 'with --idle: and counted on the next window' '00:00:00 n=1 late=0
00:00:10 n=1 late=1' "$(jq -r "$brief" "$T/out3")"
t_eq 'with --idle: the summary counts it' '1 2' "$(tail -n 1 "$T/err3" | jq -r '"\(.late) \(.out)"')"

# --- Signals -------------------------------------------------------------------------------

{
	rec 1
	rec 2
	sleep 5
} >"$T/fifo" &
writer=$!
fs-window --size 10s <"$T/fifo" >"$T/out4" &
pid=$!
sleep 1
kill -TERM "$pid"
wait "$pid"
st=$?
t_true "SIGTERM: exit 0 (got $st)" "$st" -eq 0
t_eq 'SIGTERM: the open window is written, whole' '00:00:00 n=2 late=0' "$(jq -r "$brief" "$T/out4")"
kill "$writer" 2>/dev/null
wait "$writer" 2>/dev/null

{
	rec 1
	sleep 5
} >"$T/fifo" &
writer=$!
fs-window --stats --size 10s <"$T/fifo" >"$T/out5" 2>"$T/err5" &
pid=$!
sleep 1
kill -INT "$pid"
wait "$pid"
st=$?
t_true "SIGINT: exit 0 (got $st)" "$st" -eq 0
t_eq 'SIGINT: the window is written and the summary printed' '1 1 1' \
	"$(jq -r .event_count "$T/out5") $(tail -n 1 "$T/err5" | jq -r '"\(.in) \(.out)"')"
kill "$writer" 2>/dev/null
wait "$writer" 2>/dev/null

t_done
