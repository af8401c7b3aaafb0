#!/usr/bin/env bash
# fs-clean on real recorded data (../shared/data), converted to Position
# records here with jq: a complete flight's phases, a noisy take-off's
# glitches, and every file, converted or raw, without a crash.
. "$(dirname "$0")/../lib.sh"

t_need jq gzip

DATA=${FS_TEST_DATA:-$ROOT/../shared/data}
if [ ! -d "$DATA" ]; then
	t_skip 'real data' "no directory '$DATA'"
	t_done
fi

# The traffic library's samples: altitude in ft, groundspeed in kt,
# vertical_rate in ft/min, timestamp in ms.
traffic_to_position='{
	timestamp, icao24, callsign, latitude, longitude,
	baro_altitude: (if .altitude == null then null else .altitude * 0.3048 end),
	geo_altitude: (if .geoaltitude == null then null else .geoaltitude * 0.3048 end),
	velocity: (if .groundspeed == null then null else .groundspeed * 1852 / 3600 end),
	heading: .track,
	vertical_rate: (if .vertical_rate == null then null else .vertical_rate * 0.3048 / 60 end),
	on_ground: .onground, squawk, spi, source: "traffic"
} | with_entries(select(.value != null or (.key | IN("callsign", "squawk", "on_ground", "spi") | not)))'

# segments FILE: the flight phases of a clean file as "PHASE SECONDS" lines, one per run.
segments() {
	jq -r '[.flight_phase, (.timestamp | sub("\\.[0-9]+Z$"; "Z") | fromdate)] | @tsv' "$1" |
		awk -F'\t' '$1 != p { if (NR > 1) print p, last - start; p = $1; start = $2 } { last = $2 }
			END { print p, last - start }'
}

# --- A complete flight: belevingsvlucht --------------------------------------------

gzip -dc "$DATA/traffic-belevingsvlucht.json.gz" | jq -c ".[] | $traffic_to_position" >"$T/bel.ndjson"
n=$(wc -l <"$T/bel.ndjson")
run fs-clean --no-clock-check --stats --reject "$T/rj" "$T/bel.ndjson"
printf '%s\n' "$out" >"$T/bel.clean"
t_true 'belevingsvlucht: exit 0' "$status" -eq 0
t_eq "belevingsvlucht: all $n records are written, none rejected" "$n $n 0" \
	"$(printf '%s\n' "$err" | tail -n 1 | jq -r '"\(.in) \(.out) \(.rejected)"')"
segments "$T/bel.clean" >"$T/bel.seg"
order=$(cut -d' ' -f1 "$T/bel.seg" | xargs)
t_match 'belevingsvlucht: the phases come in a sensible order: (ground,) climb, level or cruise, ..., descent, ground' \
	'^(GROUND )?CLIMB (LEVEL|CRUISE) (((CLIMB|DESCENT|LEVEL|CRUISE) )*)DESCENT GROUND$' "$order"
t_eq 'belevingsvlucht: GROUND only at the ends' '' \
	"$(sed '1d;$d' "$T/bel.seg" | grep GROUND)"
t_eq 'belevingsvlucht: no phase flickers: every run but the last lasts at least 45 s' '' \
	"$(sed '$d' "$T/bel.seg" | awk '$2 < 45')"
t_true "belevingsvlucht: fewer than 70 changes of phase in 5 hours ($(($(wc -l <"$T/bel.seg") - 1)))" \
	"$(wc -l <"$T/bel.seg")" -le 70
t_true 'belevingsvlucht: the last 2 minutes, on the runway with a stale speed, are GROUND' \
	"$(tail -n 1 "$T/bel.seg" | cut -d' ' -f2)" -ge 120
t_true 'belevingsvlucht: the climb to 14000 ft is seen' \
	"$(jq -r 'select(.altitude_ft > 13000) | .flight_phase' "$T/bel.clean" | grep -c LEVEL)" -gt 1000
flagged=$(jq -c 'select(.quality_flags | length > 0)' "$T/bel.clean" | wc -l)
t_true "belevingsvlucht: a clean flight has few flags ($flagged of $n)" "$flagged" -lt $((n / 50))

# --- Glitches: a noisy take-off ------------------------------------------------------------

# Pandas column-oriented JSON: {"field": {"row": value}}; rows in numeric order.
gzip -dc "$DATA/traffic-noisy-takeoff.json.gz" |
	jq -c '. as $c | $c.timestamp | keys | sort_by(tonumber)[] as $k |
		($c | with_entries(.value = .value[$k]))' |
	jq -c "$traffic_to_position" >"$T/noisy.ndjson"
n=$(wc -l <"$T/noisy.ndjson")
run fs-clean --no-clock-check --stats "$T/noisy.ndjson"
printf '%s\n' "$out" >"$T/noisy.clean"
t_eq "noisy take-off: all $n records are written" "$n $n" \
	"$(printf '%s\n' "$err" | tail -n 1 | jq -r '"\(.in) \(.out)"')"
glitches=$(jq -c 'select(.baro_altitude > 9000)' "$T/noisy.clean" | wc -l)
t_true "noisy take-off: the data has altitude glitches (36000 ft on the runway): $glitches" "$glitches" -gt 50
t_eq 'noisy take-off: every glitch is flagged altitude_spike' "$glitches" \
	"$(jq -c 'select(.baro_altitude > 9000 and (.quality_flags | index("altitude_spike")))' "$T/noisy.clean" | wc -l)"
# In the air the altitude also jumps by hundreds of feet for a second. As a
# yardstick independent of fs-clean, take the traffic library's: the
# distance from the median of the 11 reports around.
jq -s -c '[.[] | select(.baro_altitude != null and .baro_altitude < 9000 and .on_ground == false)] as $r |
	[range(0; $r | length) as $i |
	 ($r[([$i - 5, 0] | max):$i + 6] | map(.baro_altitude) | sort | .[length / 2 | floor]) as $m |
	 {dev: (($r[$i].baro_altitude - $m) | fabs), spike: ($r[$i].quality_flags | index("altitude_spike") != null)}] |
	[(map(select(.dev > 150)) | length), (map(select(.dev > 150 and .spike)) | length),
	 (map(select(.dev < 30)) | length), (map(select(.dev < 30 and .spike)) | length)] | join(" ")' -r \
	"$T/noisy.clean" >"$T/yard"
read -r big big_flagged small small_flagged <"$T/yard"
t_true "noisy take-off: altitudes 500 ft off the local median in the air: $big" "$big" -ge 10
t_eq 'noisy take-off: every one of them is flagged altitude_spike' "$big" "$big_flagged"
t_true "noisy take-off: few of the $small altitudes within 100 ft of the median are flagged ($small_flagged)" \
	"$small_flagged" -le $((small / 20))
t_eq 'noisy take-off: GROUND, then CLIMB, once each' 'GROUND CLIMB' \
	"$(segments "$T/noisy.clean" | cut -d' ' -f1 | xargs)"

# --- A helicopter: rega_zh, with numeric squawks and a field "hour" of its own -----------------

gzip -dc "$DATA/traffic-rega-zh.json.gz" | jq -c ".[] | $traffic_to_position + {hour, alert}" >"$T/rega.ndjson"
n=$(wc -l <"$T/rega.ndjson")
run fs-clean --no-clock-check --stats "$T/rega.ndjson"
printf '%s\n' "$out" >"$T/rega.clean"
t_eq "rega: all $n records are written" "$n $n" "$(printf '%s\n' "$err" | tail -n 1 | jq -r '"\(.in) \(.out)"')"
t_eq 'rega: numeric squawks become strings of 4 octal digits' '' \
	"$(jq -r 'select(.squawk != null) | .squawk | select(type != "string" or test("^[0-7]{4}$") | not)' "$T/rega.clean")"
t_eq 'rega: the record'"'"'s own "hour" is replaced by the hour of day' 'true' \
	"$(jq -s 'all(.hour >= 0 and .hour <= 23)' "$T/rega.clean")"
t_eq 'rega: the fields it does not know are kept' "$n" "$(jq -c 'select(has("alert"))' "$T/rega.clean" | wc -l)"

# --- One OpenSky response: state vectors as arrays -------------------------------------------

jq -c '.time as $t | .states[] | {
	timestamp: (.[3] // .[4] // $t), icao24: .[0], callsign: .[1], origin_country: .[2],
	longitude: .[5], latitude: .[6], baro_altitude: .[7], on_ground: .[8], velocity: .[9],
	heading: .[10], vertical_rate: .[11], sensors: .[12], geo_altitude: .[13], squawk: .[14],
	spi: .[15], position_source: .[16], source: "opensky"}' \
	"$DATA/opensky-states-denver.json" >"$T/opensky.ndjson"
n=$(wc -l <"$T/opensky.ndjson")
run fs-clean --no-clock-check --stats --reject "$T/rj" "$T/opensky.ndjson"
printf '%s\n' "$out" >"$T/opensky.clean"
t_eq "opensky: all $n state vectors are written" "$n $n 0" \
	"$(printf '%s\n' "$err" | tail -n 1 | jq -r '"\(.in) \(.out) \(.rejected)"')"
t_eq 'opensky: space-padded call signs are trimmed' '"UAL483"' \
	"$(jq -c 'select(.icao24 == "ac234f") | .callsign' "$T/opensky.clean")"
t_eq 'opensky: aircraft on the ground, with null altitudes, are GROUND' '' \
	"$(jq -r 'select(.on_ground) | .flight_phase | select(. != "GROUND")' "$T/opensky.clean")"
t_eq 'opensky: aircraft in the air have a phase' '' \
	"$(jq -r 'select(.on_ground | not) | .flight_phase | select(. == null or . == "GROUND")' "$T/opensky.clean")"

# --- One readsb aircraft.json: feet, knots, "ground" ----------------------------------------

jq -c '.now as $now | .aircraft[] | {
	timestamp: ($now - (.seen // 0)), icao24: .hex, callsign: .flight,
	latitude: .lat, longitude: .lon,
	baro_altitude: (if .alt_baro == "ground" or .alt_baro == null then null else .alt_baro * 0.3048 end),
	on_ground: (if .alt_baro == "ground" then true else null end),
	geo_altitude: (if .alt_geom == null then null else .alt_geom * 0.3048 end),
	velocity: (if .gs == null then null else .gs * 1852 / 3600 end), heading: .track,
	vertical_rate: (if .baro_rate == null then null else .baro_rate * 0.3048 / 60 end),
	squawk, source: "readsb", rssi}' \
	"$DATA/readsb-aircraft-london.json" >"$T/readsb.ndjson"
n=$(wc -l <"$T/readsb.ndjson")
run fs-clean --no-clock-check --stats --reject "$T/rj" "$T/readsb.ndjson"
t_eq "readsb: all $n aircraft are written or rejected, and accounted for" "$n" \
	"$(printf '%s\n' "$err" | tail -n 1 | jq -r '.out + .rejected + .duplicates')"
t_eq 'readsb: the rejects are only addresses that are not ICAO (~ prefix)' '' \
	"$(jq -r 'select(.reject.code != "format.icao24") | .reject.code' "$T/rj")"
t_true 'readsb: aircraft with a position are written' \
	"$(printf '%s\n' "$out" | jq -c 'select(.latitude != null)' | wc -l)" -ge 20

# --- Nothing crashes fs-clean: every file, converted and raw --------------------------------

for f in "$DATA"/*; do
	name=${f##*/}
	run fs-clean --no-clock-check --stats --reject "$T/rj" "$f"
	lines=$(LC_ALL=C grep -acv $'^[ \t\r]*$' "$f")
	t_eq "raw $name: exit 0, every line written, rejected or a duplicate" "0 $lines" \
		"$status $(printf '%s\n' "$err" | tail -n 1 | jq -r '.out + .rejected + .duplicates')"
done
cat "$T"/*.ndjson >"$T/all.ndjson"
run fs-clean --stats --reject "$T/rj" "$T/all.ndjson"
t_eq 'all converted files in one stream, with the clock check: exit 0, all accounted for' \
	"0 $(wc -l <"$T/all.ndjson")" \
	"$status $(printf '%s\n' "$err" | tail -n 1 | jq -r '.out + .rejected + .duplicates')"

t_done
