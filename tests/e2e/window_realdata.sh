#!/usr/bin/env bash
# fs-window on real recorded flights (../shared/data) through fs-clean,
# and on the whole simulated pipeline fs-produce | fs-clean | fs-score:
# counts that add up (the windows of all aircraft hold every record
# read; per-aircraft windows add up to them), and plausible aggregates.
. "$(dirname "$0")/../lib.sh"

t_need jq gzip
t_built fs-window fs-clean fs-score fs-produce

DATA=${FS_TEST_DATA:-$ROOT/../shared/data}

# summary: the --stats summary line of the last run.
summary() {
	printf '%s\n' "$err" | tail -n 1
}

# check_sums NAME FILE RECORDS: the windows in FILE hold RECORDS records, for
# all aircraft and per aircraft, window by window.
check_sums() {
	local name=$1 f=$2 n=$3
	t_eq "$name: the windows of all aircraft hold every record ($n)" "$n" \
		"$(jq -s '[.[] | select(.key == "*") | .event_count] | add // 0' "$f")"
	t_eq "$name: the per-aircraft windows add up to them" "$n" \
		"$(jq -s '[.[] | select(.key != "*") | .event_count] | add // 0' "$f")"
	t_eq "$name: window by window, per-aircraft counts add up to all aircraft" '' \
		"$(jq -s -r 'group_by(.window_start)[] |
			([.[] | select(.key != "*") | .event_count] | add) as $per |
			(.[] | select(.key == "*")) as $all |
			select($per != $all.event_count or ([.[] | select(.key != "*")] | length) != $all.unique_aircraft) |
			"\($all.window_start): \($per) vs \($all.event_count)"' "$f")"
	t_eq "$name: averages lie between minima and maxima" '' \
		"$(jq -r 'select((.avg_velocity != null and (.avg_velocity < .min_velocity - 0.001 or .avg_velocity > .max_velocity + 0.001)) or
			(.avg_altitude != null and (.avg_altitude < .min_altitude - 0.001 or .avg_altitude > .max_altitude + 0.001))) |
			"\(.window_start) \(.key)"' "$f")"
}

if [ ! -d "$DATA" ]; then
	t_skip 'real data' "no directory '$DATA'"
else
	# The traffic library's samples: altitude in ft, groundspeed in kt, timestamp in ms.
	traffic_to_position='{
		timestamp, icao24, callsign, latitude, longitude,
		baro_altitude: (if .altitude == null then null else .altitude * 0.3048 end),
		velocity: (if .groundspeed == null then null else .groundspeed * 1852 / 3600 end),
		heading: .track,
		vertical_rate: (if .vertical_rate == null then null else .vertical_rate * 0.3048 / 60 end),
		source: "traffic"}'

	# --- A complete flight: belevingsvlucht, take-off to landing ------------------------
	gzip -dc "$DATA/traffic-belevingsvlucht.json.gz" | jq -c ".[] | $traffic_to_position" |
		fs-clean -q --no-clock-check >"$T/bel.clean"
	n=$(wc -l <"$T/bel.clean")
	run fs-window --by icao24 --by '*' --stats "$T/bel.clean"
	printf '%s\n' "$out" >"$T/bel.w"
	t_true 'belevingsvlucht: exit 0' "$status" -eq 0
	t_eq "belevingsvlucht: all $n records in windows, none late or rejected" "$n $n 0 0" \
		"$(summary | jq -r '"\(.in) \(.windowed) \(.late) \(.rejected)"')"
	check_sums belevingsvlucht "$T/bel.w" "$n"
	first=$(head -n 1 "$T/bel.clean" | jq -r '.timestamp | sub("\\.[0-9]+Z$"; "Z") | fromdate')
	last=$(tail -n 1 "$T/bel.clean" | jq -r '.timestamp | sub("\\.[0-9]+Z$"; "Z") | fromdate')
	want=$((last / 600 - first / 600 + 1))
	t_eq "belevingsvlucht: one window of 10 minutes for each of the flight's $want" "$want $want" \
		"$(jq -c 'select(.key == "*")' "$T/bel.w" | wc -l) $(jq -c 'select(.key != "*")' "$T/bel.w" | wc -l)"
	t_eq 'belevingsvlucht: one aircraft in each window' '1' \
		"$(jq -r 'select(.key == "*") | .unique_aircraft' "$T/bel.w" | sort -u | xargs)"
	t_eq 'belevingsvlucht: the ground and the top of the climb (18025 ft) are seen, in metres' 'true' \
		"$(jq -s '([.[].max_altitude | numbers] | max) as $hi | ([.[].min_altitude | numbers] | min) as $lo |
			$hi > 5490 and $hi < 5500 and $lo < 200' "$T/bel.w")"
	t_eq 'belevingsvlucht: speeds of an airliner, in m/s' 'true' \
		"$(jq -s '[.[].max_velocity | numbers] | max | . > 100 and . < 300' "$T/bel.w")"
	t_eq 'belevingsvlucht: clean records have no scores: null anomaly aggregates' 'null null' \
		"$(jq -r '"\(.anomaly_count) \(.avg_anomaly_score)"' "$T/bel.w" | sort -u | xargs)"
	run fs-window --by icao24 --session-gap 10m "$T/bel.clean"
	t_eq 'belevingsvlucht: one session, the whole flight' "1 $n" \
		"$(printf '%s\n' "$out" | wc -l) $(printf '%s\n' "$out" | jq .event_count)"

	# --- A helicopter: rega_zh ---------------------------------------------------------
	gzip -dc "$DATA/traffic-rega-zh.json.gz" | jq -c ".[] | $traffic_to_position" |
		fs-clean -q --no-clock-check >"$T/rega.clean"
	n=$(wc -l <"$T/rega.clean")
	run fs-window --by icao24 --by '*' --size 1m --stats "$T/rega.clean"
	printf '%s\n' "$out" >"$T/rega.w"
	t_eq "rega: all $n records in windows of 1 minute" "$n $n" "$(summary | jq -r '"\(.in) \(.windowed)"')"
	check_sums rega "$T/rega.w" "$n"

	# --- One OpenSky response: 38 aircraft at once ---------------------------------------
	fs-produce opensky --file "$DATA/opensky-states-denver.json" 2>/dev/null |
		fs-clean -q --no-clock-check >"$T/os.clean"
	n=$(wc -l <"$T/os.clean")
	run fs-window --by icao24 --by '*' --stats "$T/os.clean"
	printf '%s\n' "$out" >"$T/os.w"
	t_true "opensky: some aircraft ($n)" "$n" -ge 30
	t_eq "opensky: all $n records in windows" "$n $n" "$(summary | jq -r '"\(.in) \(.windowed + .late)"')"
	check_sums opensky "$T/os.w" "$((n - $(summary | jq .late)))"
	t_eq 'opensky: aircraft on the ground have no altitude: the minimum is of those that do' 'true' \
		"$(jq -s '[.[] | select(.key == "*") | .min_altitude] | all(. == null or . > -500)' "$T/os.w")"
fi

# --- The whole pipeline: fs-produce sim | fs-clean | fs-score | fs-window -----------------

fs-produce sim --seed 5 --aircraft 40 --duration 40m --speed max --faults all=0.01 2>/dev/null |
	fs-clean -q | fs-score -q --warmup 2000 >"$T/scored"
run fs-window --by icao24 --by '*' --stats --late "$T/late" --reject "$T/rj" "$T/scored"
printf '%s\n' "$out" >"$T/sim.w"
t_true 'pipeline: exit 0' "$status" -eq 0
n=$(wc -l <"$T/scored")
t_eq "pipeline: every record read ($n) is in a window, late or rejected" "$n" \
	"$(summary | jq '.windowed + .late + .rejected + .dropped')"
windowed=$(summary | jq .windowed)
check_sums pipeline "$T/sim.w" "$windowed"
t_eq 'pipeline: the anomalies in the windows are those fs-score found, less the late ones' \
	"$(($(grep -c '"is_anomaly":true' "$T/scored") - $(jq -r .line "$T/late" | grep -c '"is_anomaly":true')))" \
	"$(jq -s '[.[] | select(.key == "*") | .anomaly_count] | add' "$T/sim.w")"
t_eq 'pipeline: scores are averaged in [0, 1]' 'true' \
	"$(jq -s 'all(.avg_anomaly_score >= 0 and .avg_anomaly_score <= 1)' "$T/sim.w")"
t_eq 'pipeline: at most 40 aircraft in a window' 'true' \
	"$(jq -s '[.[] | select(.key == "*") | .unique_aircraft] | max <= 40' "$T/sim.w")"
t_eq 'pipeline: late records, if any, are in the late file with the code late' \
	"$(summary | jq .late)" "$(jq -r 'select(.reject.code == "late")' "$T/late" | jq -s length)"
t_eq 'pipeline: late_count adds up to late records, less those whose key had no window after' 'true' \
	"$(jq -s --argjson late "$(summary | jq .late)" \
		'[.[] | select(.key == "*") | .late_count] | add <= $late' "$T/sim.w")"

t_done
