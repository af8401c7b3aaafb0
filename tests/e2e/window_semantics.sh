#!/usr/bin/env bash
# fs-window's semantics as tables: small hand-built event sequences and
# the windows they must give, in order, checked exactly. Tumbling windows
# in order, out of order within the lateness, later than the lateness,
# at the boundary, gaps, end of input; hopping and session windows; late
# records and late_count; keys and groupings; null aggregates; rejects;
# --max-keys; the same bytes for the same input.
. "$(dirname "$0")/../lib.sh"

t_need jq
t_built fs-window

# events: lines "HH:MM:SS ICAO24 [more JSON fields]" on stdin become
# records of 2026-01-01; "-" as the address leaves icao24 out.
events() {
	awk '{
		rest = ""
		for (i = 3; i <= NF; i++)
			rest = rest (rest == "" ? "" : " ") $i
		printf "{\"timestamp\":\"2026-01-01T%sZ\"", $1
		if ($2 != "-")
			printf ",\"icao24\":\"%s\"", $2
		if (rest != "")
			printf ",%s", rest
		print "}"
	}'
}

# brief: each window as "START-END KEY n=COUNT late=LATE", times of day only.
brief='"\(.window_start[11:19])-\(.window_end[11:19]) \(.key) n=\(.event_count) late=\(.late_count)"'

# case NAME ARGS EVENTS WINDOWS [LATE]: fs-window ARGS over EVENTS writes
# exactly WINDOWS (in brief form, in order), exits 0, and writes the
# times of exactly LATE (space-separated) to --late.
case_() {
	local name=$1 args=$2 evs=$3 want=$4 want_late=${5:-}
	local -
	set -f	# ARGS may hold a '*'
	printf '%s\n' "$evs" | events >"$T/in"
	# shellcheck disable=SC2086
	run fs-window --late "$T/late" --stats $args "$T/in"
	t_true "$name: exit 0" "$status" -eq 0
	t_eq "$name: the windows" "$want" "$(printf '%s\n' "$out" | jq -r "$brief")"
	t_eq "$name: the late records" "$want_late" \
		"$(jq -r '.line | fromjson | .timestamp[11:-1]' "$T/late" | xargs)"
	t_eq "$name: every record is counted: in = windowed + late + rejected + dropped" "ok" \
		"$(printf '%s\n' "$err" | tail -n 1 |
			jq -r 'if .in == .windowed + .late + .rejected + .dropped then "ok" else . end')"
}

T10='--size 10s --lateness 5s'

# --- Tumbling windows ---------------------------------------------------------------

case_ 'in order: windows of 10 s' "$T10" \
'00:00:01 aaaaaa
00:00:05 aaaaaa
00:00:12 aaaaaa' \
'00:00:00-00:00:10 * n=2 late=0
00:00:10-00:00:20 * n=1 late=0'

case_ 'out of order within the lateness: counted in its window' "$T10" \
'00:00:01 aaaaaa
00:00:12 aaaaaa
00:00:08 aaaaaa' \
'00:00:00-00:00:10 * n=2 late=0
00:00:10-00:00:20 * n=1 late=0'

case_ 'later than the lateness: late, and counted on the next window' "$T10" \
'00:00:01 aaaaaa
00:00:16 aaaaaa
00:00:08 aaaaaa' \
'00:00:00-00:00:10 * n=1 late=0
00:00:10-00:00:20 * n=1 late=1' \
'00:00:08'

case_ 'the boundary: a window closes when the watermark reaches its end' "$T10" \
'00:00:01 aaaaaa
00:00:15 aaaaaa
00:00:09 aaaaaa' \
'00:00:00-00:00:10 * n=1 late=0
00:00:10-00:00:20 * n=1 late=1' \
'00:00:09'

case_ 'the boundary: and is open a millisecond before' "$T10" \
'00:00:01 aaaaaa
00:00:14.999 aaaaaa
00:00:09.999 aaaaaa' \
'00:00:00-00:00:10 * n=2 late=0
00:00:10-00:00:20 * n=1 late=0'

case_ 'gaps: no window for a time without records' "$T10" \
'00:00:01 aaaaaa
00:00:45 aaaaaa
00:01:30 aaaaaa' \
'00:00:00-00:00:10 * n=1 late=0
00:00:40-00:00:50 * n=1 late=0
00:01:30-00:01:40 * n=1 late=0'

case_ 'end of input: every open window, in order of start' '--size 10s --lateness 1h' \
'00:00:25 aaaaaa
00:00:01 aaaaaa
00:00:12 aaaaaa
00:00:02 aaaaaa' \
'00:00:00-00:00:10 * n=2 late=0
00:00:10-00:00:20 * n=1 late=0
00:00:20-00:00:30 * n=1 late=0'

case_ 'lateness 0: a window closes with the first record of the next' '--size 10s --lateness 0' \
'00:00:01 aaaaaa
00:00:10 aaaaaa
00:00:09.999 aaaaaa' \
'00:00:00-00:00:10 * n=1 late=0
00:00:10-00:00:20 * n=1 late=1' \
'00:00:09.999'

case_ 'the default: 10 minutes, aligned to the epoch, lateness 5 minutes' '' \
'00:03:00 aaaaaa
00:14:00 aaaaaa
00:08:00 bbbbbb
00:16:00 aaaaaa
00:07:00 bbbbbb' \
'00:00:00-00:10:00 * n=2 late=0
00:10:00-00:20:00 * n=2 late=1' \
'00:07:00'

case_ 'windows closing together: by start, then grouping, then key' \
	"--size 10s --lateness 1m --by icao24 --by *" \
'00:00:01 cccccc
00:00:02 aaaaaa
00:00:13 bbbbbb
00:00:03 bbbbbb
00:02:00 aaaaaa' \
'00:00:00-00:00:10 aaaaaa n=1 late=0
00:00:00-00:00:10 bbbbbb n=1 late=0
00:00:00-00:00:10 cccccc n=1 late=0
00:00:00-00:00:10 * n=3 late=0
00:00:10-00:00:20 bbbbbb n=1 late=0
00:00:10-00:00:20 * n=1 late=0
00:02:00-00:02:10 aaaaaa n=1 late=0
00:02:00-00:02:10 * n=1 late=0'

case_ 'late_count goes on the next window of the late record'"'"'s key' \
	"$T10 --by icao24" \
'00:00:01 aaaaaa
00:00:02 bbbbbb
00:00:16 aaaaaa
00:00:05 bbbbbb
00:00:21 bbbbbb' \
'00:00:00-00:00:10 aaaaaa n=1 late=0
00:00:00-00:00:10 bbbbbb n=1 late=0
00:00:10-00:00:20 aaaaaa n=1 late=0
00:00:20-00:00:30 bbbbbb n=1 late=1' \
'00:00:05'

# --- Hopping windows ---------------------------------------------------------------------

H='--size 10s --hop 5s --lateness 0'
case_ 'hopping: each record in size/hop windows' "$H" \
'00:00:01 aaaaaa
00:00:07 aaaaaa
00:00:12 aaaaaa' \
'23:59:55-00:00:05 * n=1 late=0
00:00:00-00:00:10 * n=2 late=0
00:00:05-00:00:15 * n=2 late=0
00:00:10-00:00:20 * n=1 late=0'

case_ 'hopping: a record whose older windows closed goes into the open ones, not late' "$H" \
'00:00:01 aaaaaa
00:00:12 aaaaaa
00:00:06 aaaaaa' \
'23:59:55-00:00:05 * n=1 late=0
00:00:00-00:00:10 * n=1 late=0
00:00:05-00:00:15 * n=2 late=0
00:00:10-00:00:20 * n=1 late=0'
t_eq 'hopping: and is counted in late_partial' '1 0' \
	"$(printf '%s\n' "$err" | tail -n 1 | jq -r '"\(.late_partial) \(.late)"')"

case_ 'hopping: a record all of whose windows closed is late' "$H" \
'00:00:01 aaaaaa
00:00:21 aaaaaa
00:00:04 aaaaaa' \
'23:59:55-00:00:05 * n=1 late=0
00:00:00-00:00:10 * n=1 late=0
00:00:15-00:00:25 * n=1 late=1
00:00:20-00:00:30 * n=1 late=0' \
'00:00:04'

case_ 'hopping: a size not a multiple of the hop' '--size 10s --hop 4s --lateness 1h' \
'00:00:09 aaaaaa' \
'00:00:00-00:00:10 * n=1 late=0
00:00:04-00:00:14 * n=1 late=0
00:00:08-00:00:18 * n=1 late=0'

# --- Session windows ----------------------------------------------------------------------

S='--session-gap 10s --lateness 0 --by icao24'
case_ 'sessions: a session ends after the gap; window_end is the last record plus the gap' "$S" \
'00:00:00 aaaaaa
00:00:05 aaaaaa
00:00:12 aaaaaa
00:00:30 aaaaaa' \
'00:00:00-00:00:22 aaaaaa n=3 late=0
00:00:30-00:00:40 aaaaaa n=1 late=0'

case_ 'sessions: one per aircraft; closing together, by start' "$S" \
'00:00:00 aaaaaa
00:00:02 bbbbbb
00:00:05 aaaaaa
00:00:50 cccccc' \
'00:00:00-00:00:15 aaaaaa n=2 late=0
00:00:02-00:00:12 bbbbbb n=1 late=0
00:00:50-00:01:00 cccccc n=1 late=0'

case_ 'sessions: records exactly the gap apart are two sessions' "$S" \
'00:00:00 aaaaaa
00:00:10 aaaaaa' \
'00:00:00-00:00:10 aaaaaa n=1 late=0
00:00:10-00:00:20 aaaaaa n=1 late=0'

case_ 'sessions: a record between two sessions joins them' '--session-gap 10s --lateness 1m --by icao24' \
'00:00:00 aaaaaa
00:00:18 aaaaaa
00:00:09 aaaaaa' \
'00:00:00-00:00:28 aaaaaa n=3 late=0'

case_ 'sessions: an out-of-order record extends a session back' '--session-gap 10s --lateness 20s --by icao24' \
'00:00:30 aaaaaa
00:00:25 aaaaaa' \
'00:00:25-00:00:40 aaaaaa n=2 late=0'

case_ 'sessions: a record whose session would have closed is late' "$S" \
'00:00:00 aaaaaa
00:00:30 aaaaaa
00:00:05 aaaaaa' \
'00:00:00-00:00:10 aaaaaa n=1 late=0
00:00:30-00:00:40 aaaaaa n=1 late=1' \
'00:00:05'
t_match 'sessions: the late message names the session and the watermark' \
	'"message":"session 2026-01-01T00:00:05.000Z to 2026-01-01T00:00:15.000Z closed before it came: watermark 2026-01-01T00:00:30.000Z"' \
	"$(cat "$T/late")"

# At 16 s the watermark closes aaaaaa's session of 0 s (end 10 s); the
# sessions of all aircraft and of bbbbbb go on to 26 s. The record of 3 s
# joins no session of aaaaaa and its own would have ended at 13 s: late for
# aaaaaa, in time for all aircraft.
case_ 'sessions: late for its aircraft, in time for all aircraft: counted where it can be' \
	'--session-gap 10s --lateness 0 --by icao24 --by *' \
'00:00:00 aaaaaa
00:00:08 bbbbbb
00:00:16 bbbbbb
00:00:03 aaaaaa
00:00:40 aaaaaa' \
'00:00:00-00:00:10 aaaaaa n=1 late=0
00:00:00-00:00:26 * n=4 late=0
00:00:08-00:00:26 bbbbbb n=2 late=0
00:00:40-00:00:50 aaaaaa n=1 late=1
00:00:40-00:00:50 * n=1 late=0'
t_eq 'sessions: such a record is counted in late_partial, not late' '1 0' \
	"$(printf '%s\n' "$err" | tail -n 1 | jq -r '"\(.late_partial) \(.late)"')"

# --- Aggregates: exact records, nulls for what is absent ------------------------------

events >"$T/agg.in" <<'EOF'
00:00:01 aaaaaa "velocity":100.5,"baro_altitude":1000,"anomaly_score":0.25,"is_anomaly":false
00:00:02 AAAAAA "velocity":200,"baro_altitude":3000.5,"anomaly_score":0.75,"is_anomaly":true
00:00:03 bbbbbb "velocity":null,"baro_altitude":"high","anomaly_score":null
00:00:04 ~1234 "velocity":50
EOF
run fs-window --size 10s "$T/agg.in"
t_eq 'aggregates: count, anomalies, mean, min, max, unique aircraft (case ignored), mean score' \
	'{"window_start":"2026-01-01T00:00:00.000Z","window_end":"2026-01-01T00:00:10.000Z","key":"*","event_count":4,"anomaly_count":1,"avg_velocity":116.833,"min_velocity":50,"max_velocity":200,"avg_altitude":2000.25,"min_altitude":1000,"max_altitude":3000.5,"unique_aircraft":3,"avg_anomaly_score":0.5,"late_count":0}' \
	"$out"

events >"$T/raw.in" <<'EOF'
00:00:01 - "latitude":1
00:00:02 - "velocity":"fast"
EOF
run fs-window --size 10s "$T/raw.in"
t_eq 'aggregates: fields absent in every record give null, not 0' \
	'{"window_start":"2026-01-01T00:00:00.000Z","window_end":"2026-01-01T00:00:10.000Z","key":"*","event_count":2,"anomaly_count":null,"avg_velocity":null,"min_velocity":null,"max_velocity":null,"avg_altitude":null,"min_altitude":null,"max_altitude":null,"unique_aircraft":null,"avg_anomaly_score":null,"late_count":0}' \
	"$out"

printf '%s\n' '{"timestamp":1767225601,"icao24":"aaaaaa"}' '{"timestamp":1767225602500,"icao24":"aaaaaa"}' \
	'{"timestamp":"2026-01-01T01:00:03+01:00","icao24":"aaaaaa"}' >"$T/epoch.in"
run fs-window --size 10s "$T/epoch.in"
t_eq 'timestamps: epoch seconds, milliseconds and any offset; RFC 3339 UTC out' \
	'2026-01-01T00:00:00.000Z 3' "$(printf '%s\n' "$out" | jq -r '"\(.window_start) \(.event_count)"')"

# --- Keys and groupings -----------------------------------------------------------------

keys='.key + " " + (.event_count | tostring)'
events >"$T/keys.in" <<'EOF'
00:00:01 aaaaaa "flight_phase":"CRUISE","grid_x":12,"grid_y":-3
00:00:02 bbbbbb "flight_phase":"CRUISE","grid_x":12,"grid_y":-3.0
00:00:03 cccccc "flight_phase":null,"grid_x":12
00:00:04 dddddd "grid_y":1,"callsign":"A\"B\u00e9"
EOF
run fs-window --size 10s --by flight_phase --stats "$T/keys.in"
t_eq 'a field: the key is name=value' 'flight_phase=CRUISE 2' "$(printf '%s\n' "$out" | jq -r "$keys")"
t_eq 'a record without the field (absent or null) is in no window of it: key_missing, dropped' '2 2 2' \
	"$(printf '%s\n' "$err" | tail -n 1 | jq -r '"\(.key_missing) \(.dropped) \(.windowed)"')"
run fs-window --size 10s --by flight_phase "$T/keys.in"
t_match 'and the summary says so' 'left out: .*2 dropped' "$err"
run fs-window --size 10s --by grid_x,grid_y --by flight_phase --by '*' --stats "$T/keys.in"
t_eq 'fields together make one key, values as written; several groupings, each record in each' \
	'grid_x=12,grid_y=-3 1
grid_x=12,grid_y=-3.0 1
flight_phase=CRUISE 2
* 4' "$(printf '%s\n' "$out" | jq -r "$keys")"
t_eq 'a record missing from some groupings is still counted where it can be' '4 4 0' \
	"$(printf '%s\n' "$err" | tail -n 1 | jq -r '"\(.key_missing) \(.windowed) \(.dropped)"')"
run fs-window --size 10s --by callsign --by icao24 "$T/keys.in"
t_eq 'a string value is its text, escapes decoded; icao24 alone is the plain address' \
	'"callsign=A\"Bé" "aaaaaa" "bbbbbb" "cccccc" "dddddd"' "$(printf '%s\n' "$out" | jq -c .key | xargs -d '\n')"

# --- Bad records to the rejects ---------------------------------------------------------

{
	printf '{"timestamp":"2026-01-01T00:00:01Z","icao24":"aaaaaa"}\n'
	printf 'not json\n[1]\n{"icao24":"aaaaaa"}\n{"timestamp":null}\n{"timestamp":true}\n'
	printf '{"timestamp":"yesterday"}\n{"timestamp":"2026-01-01T00:00:02Z",\xff}\n'
	printf '{"timestamp":"2026-01-01T00:00:03Z","pad":"%0100d"}\n' 0
	printf '\n   \n'
} >"$T/bad.in"
run fs-window --size 10s --stats --max-line 64 --reject "$T/rj" "$T/bad.in"
t_true 'bad records: exit 0' "$status" -eq 0
t_eq 'bad records: each rejected with its code' \
	'parse not_object missing.timestamp missing.timestamp type.timestamp format.timestamp encoding too_long' \
	"$(jq -r .reject.code "$T/rj" | xargs)"
t_eq 'bad records: the original line is kept' 'not json' "$(jq -r 'select(.reject.code == "parse") | .line' "$T/rj")"
t_eq 'bad records: not in any window; blank lines skipped' '1 8 8 1' \
	"$(printf '%s\n' "$out" | jq -r .event_count) $(printf '%s\n' "$err" | tail -n 1 |
		jq -r '"\(.rejected) \(.rejected_missing_timestamp + .rejected_parse + .rejected_not_object +
			.rejected_type_timestamp + .rejected_format_timestamp + .rejected_encoding +
			.rejected_too_long) \(.windowed)"')"

# --- --max-keys: the least recently used key is evicted, its windows written early ---------

case_ '--max-keys: the key used least recently goes, its windows written at once' \
	'--size 10s --lateness 1m --by icao24 --max-keys 2' \
'00:00:01 aaaaaa
00:00:02 bbbbbb
00:00:03 aaaaaa
00:00:04 cccccc' \
'00:00:00-00:00:10 bbbbbb n=1 late=0
00:00:00-00:00:10 aaaaaa n=2 late=0
00:00:00-00:00:10 cccccc n=1 late=0'
t_eq '--max-keys: counted' '1 1 3' \
	"$(printf '%s\n' "$err" | tail -n 1 | jq -r '"\(.keys_evicted) \(.windows_early) \(.windows_emitted)"')"

# --- The same bytes for the same input ---------------------------------------------------

fs-produce sim --seed 3 --aircraft 30 --duration 20m --speed max --faults all=0.01 >"$T/sim" 2>/dev/null
head -n 3000 "$T/sim" >"$T/sim1"
tail -n +3001 "$T/sim" >"$T/sim2"
fs-window -q --by icao24 --by '*' --size 2m --hop 1m --lateness 30s "$T/sim" >"$T/w1"
fs-window -q --by icao24 --by '*' --size 2m --hop 1m --lateness 30s "$T/sim" >"$T/w2"
fs-window -q --by icao24 --by '*' --size 2m --hop 1m --lateness 30s "$T/sim1" "$T/sim2" >"$T/w3"
# shellcheck disable=SC2002
cat "$T/sim" | fs-window -q --by icao24 --by '*' --size 2m --hop 1m --lateness 30s >"$T/w4"
t_true 'determinism: some windows' "$(wc -l <"$T/w1")" -gt 100
t_ok 'determinism: the same input gives the same bytes' cmp "$T/w1" "$T/w2"
t_ok 'determinism: split into two files, the same bytes' cmp "$T/w1" "$T/w3"
t_ok 'determinism: through a pipe, the same bytes' cmp "$T/w1" "$T/w4"
fs-window -q --by icao24 --session-gap 1m "$T/sim" >"$T/s1"
fs-window -q --by icao24 --session-gap 1m "$T/sim" >"$T/s2"
t_ok 'determinism: sessions too' cmp "$T/s1" "$T/s2"
t_eq 'tumbling and hopping windows come out in order of window_start' "" \
	"$(jq -r .window_start "$T/w1" | sort -c 2>&1)"

t_done
