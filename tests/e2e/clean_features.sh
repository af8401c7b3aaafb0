#!/usr/bin/env bash
# fs-clean: what it adds. Tables of known inputs and exact expected
# values: unit conversions, calendar, grid, kinematics, one row per
# quality flag, the flight phase of each rule, deduplication and the
# expiry and eviction of per-aircraft state.
. "$(dirname "$0")/../lib.sh"

t_need jq

# rec SECONDS FIELDS: a record of aircraft abc123 at 2026-01-05T13:00:00Z
# (a Monday) plus SECONDS, with more fields.
rec() {
	printf '{"timestamp":"%s","icao24":"%s"%s}\n' \
		"$(date -u -d "@$((1767618000 + $1))" +%Y-%m-%dT%H:%M:%SZ)" "${ICAO:-abc123}" "${2:+,$2}"
}

# fields JQ OPTIONS...: run fs-clean on $T/in and show the last record's JQ as compact JSON.
fields() {
	local q=$1
	shift
	fs-clean "$@" "$T/in" | tail -n 1 | jq -c "$q"
}

# --- Unit conversions, calendar, grid ---------------------------------------------

rec 0 '"latitude":47.5,"longitude":-8.25,"baro_altitude":1000,"geo_altitude":1100,"velocity":100,"vertical_rate":5' >"$T/in"
t_eq 'velocity_kt, altitude_ft, geo_altitude_ft, vertical_rate_fpm' \
	'[194.38,3280.8,3608.9,984.3]' \
	"$(fields '[.velocity_kt, .altitude_ft, .geo_altitude_ft, .vertical_rate_fpm]')"
t_eq 'hour, day_of_week (Monday is 0) and their sines and cosines' \
	'[13,0,-0.258819,-0.965926,0,1]' \
	"$(fields '[.hour, .day_of_week, .hour_sin, .hour_cos, .day_of_week_sin, .day_of_week_cos]')"
t_eq 'grid_x, grid_y at 1 degree' '[-9,47]' "$(fields '[.grid_x, .grid_y]')"
t_eq 'grid_x, grid_y at 0.25 degree' '[-33,190]' "$(fields '[.grid_x, .grid_y]' --grid 0.25)"
t_eq 'grid_x, grid_y at 0.1 degree: 47.5 / 0.1 is cell 475, not 474' '[-83,475]' \
	"$(fields '[.grid_x, .grid_y]' --grid 0.1)"

rec $((4 * 86400 + 11 * 3600)) '"velocity":0,"vertical_rate":-2.54' >"$T/in"
t_eq 'Saturday at midnight UTC: day 5, hour 0, and a descent in ft/min' \
	'[0,5,0,1,-0.974928,-0.222521,-500]' \
	"$(fields '[.hour, .day_of_week, .hour_sin, .hour_cos, .day_of_week_sin, .day_of_week_cos, .vertical_rate_fpm]')"

grids=(
	'90|180|[-180,89]'
	'-90|-180|[-180,-90]'
	'0|0|[0,0]'
	'-0.5|-0.5|[-1,-1]'
	'89.999|179.999|[179,89]'
)
for g in "${grids[@]}"; do
	IFS='|' read -r lat lon want <<<"$g"
	rec 0 "\"latitude\":$lat,\"longitude\":$lon" >"$T/in"
	t_eq "grid cell of ($lat, $lon)" "$want" "$(fields '[.grid_x, .grid_y]')"
done
rec 0 '' >"$T/in"
t_eq 'without measurements the conversions, grid and kinematics are null' \
	'[null,null,null,null,null,null,null,null,null,null,null,null,null,null,[]]' \
	"$(fields '[.velocity_kt, .altitude_ft, .geo_altitude_ft, .vertical_rate_fpm, .grid_x, .grid_y, .dt_s, .dist_m, .implied_speed, .turn_rate, .accel, .alt_change_m, .vertical_rate_error, .flight_phase, .quality_flags]')"

# --- Kinematics from the previous report ----------------------------------------------

{
	rec 0 '"latitude":0,"longitude":0,"baro_altitude":1000,"velocity":100,"heading":350,"vertical_rate":5'
	rec 10 '"latitude":0,"longitude":0.01,"baro_altitude":1060,"velocity":102,"heading":10,"vertical_rate":7'
} >"$T/in"
t_eq 'the first report of an aircraft has no kinematics' \
	'[null,null,null,null,null,null,null]' \
	"$(fs-clean "$T/in" | head -n 1 | jq -c '[.dt_s, .dist_m, .implied_speed, .turn_rate, .accel, .alt_change_m, .vertical_rate_error]')"
t_eq 'dt_s, dist_m (0.01 degree of the equator), implied_speed, turn_rate (through north), accel' \
	'[10,1112,111.2,2,0.2]' "$(fields '[.dt_s, .dist_m, .implied_speed, .turn_rate, .accel]')"
t_eq 'alt_change_m and vertical_rate_error (60 m in 10 s at a mean of 6 m/s)' \
	'[60,0]' "$(fields '[.alt_change_m, .vertical_rate_error]')"
{
	rec 0 '"latitude":10,"longitude":10,"baro_altitude":3000,"velocity":150,"heading":10,"vertical_rate":0'
	rec 4 '"latitude":10.001,"longitude":10,"baro_altitude":2990,"velocity":147,"heading":350,"vertical_rate":-5'
} >"$T/in"
t_eq 'a left turn is negative, a slowdown is negative, and the rate error' \
	'[4,111.2,27.8,-5,-0.75,-10,0]' \
	"$(fields '[.dt_s, .dist_m, .implied_speed, .turn_rate, .accel, .alt_change_m, .vertical_rate_error]')"
{
	rec 0 '"baro_altitude":3000,"vertical_rate":0'
	rec 10 '"baro_altitude":null,"geo_altitude":3050,"vertical_rate":0'
} >"$T/in"
t_eq 'barometric and geometric altitudes are not compared' 'null' "$(fields '.alt_change_m')"
{
	rec 0 '"latitude":1,"longitude":1'
	rec 10 '"velocity":50'
	rec 30 '"latitude":1,"longitude":1.001'
} >"$T/in"
t_eq 'dt_s is the time since the previous report, whatever it had' '20' "$(fields '.dt_s')"
t_eq 'dist_m and implied_speed go back to the last position (30 s)' '[111.2,3.71]' \
	"$(fields '[.dist_m, .implied_speed]')"
{
	ICAO=aaaaaa rec 0 '"latitude":1,"longitude":1'
	ICAO=bbbbbb rec 5 '"latitude":2,"longitude":2'
	ICAO=aaaaaa rec 10 '"latitude":1,"longitude":1.001'
} >"$T/in"
t_eq 'each aircraft has its own previous report' '[10,111.2]' "$(fields '[.dt_s, .dist_m]')"

# --- One row per quality flag -------------------------------------------------------
#
# flag|records (separated by ;)|the flags of the last record
flags=(
	'none|0 "latitude":0,"longitude":0,"velocity":200,"baro_altitude":10000,"vertical_rate":0;10 "latitude":0,"longitude":0.018,"velocity":200,"baro_altitude":10000,"vertical_rate":0|[]'
	'out_of_order|10 "velocity":100;0 "velocity":100|["out_of_order"]'
	'out_of_order|10 "velocity":100;9.5 "velocity":100|["out_of_order"]'
	'position_jump|0 "latitude":0,"longitude":0,"velocity":200;10 "latitude":0,"longitude":1,"velocity":200|["position_jump"]'
	'position_jump|0 "latitude":0,"longitude":0,"velocity":10;10 "latitude":0,"longitude":0.02,"velocity":10|["position_jump"]'
	'position_jump|0 "latitude":0,"longitude":0,"velocity":5,"on_ground":true;10 "latitude":0,"longitude":0.01,"velocity":5,"on_ground":true|["position_jump"]'
	'none|0 "latitude":0,"longitude":0,"velocity":10;10 "latitude":0,"longitude":0.01,"velocity":10|[]'
	'stuck_position|0 "latitude":5,"longitude":5,"velocity":100;10 "latitude":5,"longitude":5,"velocity":100|["stuck_position"]'
	'none|0 "latitude":5,"longitude":5,"velocity":10;10 "latitude":5,"longitude":5,"velocity":10|[]'
	'altitude_spike|0 "baro_altitude":10000,"vertical_rate":0;10 "baro_altitude":10600,"vertical_rate":0|["altitude_spike"]'
	'altitude_spike|0 "baro_altitude":1000;10 "baro_altitude":1800|["altitude_spike"]'
	'none|0 "baro_altitude":1000,"vertical_rate":20;10 "baro_altitude":1200,"vertical_rate":20|[]'
	'none|0 "baro_altitude":1000;10 "baro_altitude":1600|[]'
	'impossible_speed|0 "velocity":350.5|["impossible_speed"]'
	'none|0 "velocity":350|[]'
	'several|0 "latitude":0,"longitude":0,"velocity":200,"baro_altitude":1000,"vertical_rate":0;10 "latitude":1,"longitude":0,"velocity":400,"baro_altitude":3000,"vertical_rate":0|["position_jump","altitude_spike","impossible_speed"]'
)
for row in "${flags[@]}"; do
	IFS='|' read -r name records want <<<"$row"
	: >"$T/in"
	IFS=';' read -ra rs <<<"$records"
	for r in "${rs[@]}"; do
		s=${r%% *}
		f=${r#* }
		printf '{"timestamp":%s,"icao24":"abc123",%s}\n' "$(echo "1767618000 + $s" | bc)" "$f" >>"$T/in"
	done
	t_eq "flag $name: $records" "$want" "$(fields '.quality_flags')"
done

# A flagged value is not what the next report is compared with.
{
	rec 0 '"latitude":0,"longitude":0,"velocity":200,"baro_altitude":10000,"vertical_rate":0'
	rec 10 '"latitude":0,"longitude":1,"velocity":200,"baro_altitude":12000,"vertical_rate":0'
	rec 20 '"latitude":0,"longitude":0.036,"velocity":200,"baro_altitude":10000,"vertical_rate":0'
} >"$T/in"
t_eq 'one bad report is one flag: the next is compared with the report before it' \
	'[["position_jump","altitude_spike"],[]]' \
	"$(fs-clean "$T/in" | tail -n 2 | jq -sc 'map(.quality_flags)')"
t_eq 'and its distance and speed span the bad report' '[10,4003,200.15,0]' \
	"$(fields '[.dt_s, .dist_m, .implied_speed, .alt_change_m]')"
{
	rec 0 '"latitude":0,"longitude":5,"velocity":200'
	for s in 10 20 30; do
		rec $s "\"latitude\":0,\"longitude\":0.0$((s / 10 * 18)),\"velocity\":200"
	done
} >"$T/in"
t_eq 'when the first report was the bad one, two that agree take over' \
	'[[],["position_jump"],["position_jump"],[]]' \
	"$(fs-clean "$T/in" | jq -sc 'map(.quality_flags)')"
{
	for s in 0 10 20 30 40; do
		rec $s "\"latitude\":0,\"longitude\":0.0$((s / 10 * 18)),\"velocity\":200"
	done
	for s in 50 60 70 80 90 100 110 120; do
		rec $s "\"latitude\":3,\"longitude\":3.$(printf %03d $(((s - 50) / 10 * 18))),\"velocity\":200"
	done
} >"$T/in"
t_eq 'a trusted position gives way after --reanchor (60 s) of flagged reports' \
	'[[],[],[],[],[],["position_jump"],["position_jump"],["position_jump"],["position_jump"],["position_jump"],["position_jump"],["position_jump"],[]]' \
	"$(fs-clean "$T/in" | jq -sc 'map(.quality_flags)')"
t_eq 'and after --reanchor 20s sooner' \
	'[[],[],[],[],[],["position_jump"],["position_jump"],["position_jump"],[],[],[],[],[]]' \
	"$(fs-clean --reanchor 20s "$T/in" | jq -sc 'map(.quality_flags)')"
{
	rec 0 '"latitude":5,"longitude":5,"velocity":100'
	rec 10 '"latitude":5,"longitude":5,"velocity":100'
	rec 20 '"latitude":5,"longitude":5,"velocity":100'
	rec 30 '"latitude":5,"longitude":5.0274,"velocity":100'
} >"$T/in"
t_eq 'a frozen position is flagged, and the catch-up is not a jump' \
	'[[],["stuck_position"],["stuck_position"],[]]' \
	"$(fs-clean "$T/in" | jq -sc 'map(.quality_flags)')"
t_eq 'the catch-up spans the time since the position was new' '[10,30,3035.2,101.17]' \
	"$(fields '[.dt_s, (.dist_m / .implied_speed | round), .dist_m, .implied_speed]')"

# Thresholds are options.
printf '{"timestamp":1767618000,"icao24":"abc123","velocity":300}\n' >"$T/in"
t_eq '--max-speed 250 flags 300 m/s' '["impossible_speed"]' "$(fields .quality_flags --max-speed 250)"
{
	rec 0 '"latitude":5,"longitude":5,"velocity":100'
	rec 10 '"latitude":5,"longitude":5,"velocity":100'
} >"$T/in"
t_eq '--stuck-distance 2000 lets 1000 m pass' '[]' "$(fields .quality_flags --stuck-distance 2000)"
{
	rec 0 '"latitude":0,"longitude":0,"velocity":200'
	rec 10 '"latitude":0,"longitude":0.028,"velocity":200'
} >"$T/in"
t_eq '3.1 km in 10 s at 200 m/s passes with the defaults' '[]' "$(fields .quality_flags)"
t_eq 'and jumps with --jump-factor 1 --jump-slack 0' '["position_jump"]' \
	"$(fields .quality_flags --jump-factor 1 --jump-slack 0)"
{
	rec 0 '"baro_altitude":1000,"vertical_rate":10'
	rec 10 '"baro_altitude":1300,"vertical_rate":10'
} >"$T/in"
t_eq '200 m off the rate in 10 s passes with the defaults' '[]' "$(fields .quality_flags)"
t_eq 'and is a spike with --spike-rate 5' '["altitude_spike"]' "$(fields .quality_flags --spike-rate 5)"
t_eq 'and with --spike-slack 0 --spike-rate 10' '["altitude_spike"]' \
	"$(fields .quality_flags --spike-slack 0 --spike-rate 10)"

# --- Flight phase: one row per rule ---------------------------------------------------------
#
# phase|fields of one report
phases=(
	'GROUND|"on_ground":true'
	'GROUND|"baro_altitude":0,"velocity":5,"vertical_rate":0'
	'CLIMB|"baro_altitude":1000,"velocity":130,"vertical_rate":10'
	'DESCENT|"baro_altitude":1000,"velocity":130,"vertical_rate":-10'
	'CRUISE|"baro_altitude":11000,"velocity":240,"vertical_rate":0'
	'LEVEL|"baro_altitude":3000,"velocity":150,"vertical_rate":0'
	'LEVEL|"geo_altitude":3000,"velocity":150'
	'null|"velocity":150,"vertical_rate":0'
	'null|"baro_altitude":3000'
)
for row in "${phases[@]}"; do
	IFS='|' read -r want f <<<"$row"
	rec 0 "$f" >"$T/in"
	t_eq "flight phase $want: $f" "$want" "$(fs-clean "$T/in" | jq -r .flight_phase)"
done

# Smoothing and dwell: a climb that starts at 60 s is taken once it has held for 15 s.
{
	for s in $(seq 0 5 55); do
		rec "$s" '"baro_altitude":3000,"velocity":150,"vertical_rate":0'
	done
	for s in $(seq 60 5 150); do
		rec "$s" "\"baro_altitude\":$((3000 + (s - 60) * 10)),\"velocity\":150,\"vertical_rate\":10"
	done
} >"$T/in"
t_eq 'LEVEL, then CLIMB 20 s after the climb began: the lag of the smoothing and the dwell' \
	'LEVEL*16 CLIMB*15' \
	"$(fs-clean "$T/in" | jq -r .flight_phase | uniq -c | awk '{printf "%s%s*%d", (NR > 1 ? " " : ""), $2, $1}')"
t_eq 'without smoothing or dwell the climb is seen at the second report of it' 'LEVEL*13 CLIMB*18' \
	"$(fs-clean --phase-window 0 --phase-dwell 0 "$T/in" | jq -r .flight_phase | uniq -c |
		awk '{printf "%s%s*%d", (NR > 1 ? " " : ""), $2, $1}')"
{
	for s in $(seq 0 5 100); do
		if [ "$s" -eq 50 ]; then
			rec "$s" '"on_ground":true'
		else
			rec "$s" '"baro_altitude":3000,"velocity":150,"vertical_rate":0'
		fi
	done
} >"$T/in"
t_eq 'one report that says GROUND does not make the phase flicker' 'LEVEL*21' \
	"$(fs-clean "$T/in" | jq -r .flight_phase | uniq -c | awk '{printf "%s*%d", $2, $1}')"
{
	for s in $(seq 0 10 300); do
		rec "$s" "\"baro_altitude\":10,\"velocity\":70,\"vertical_rate\":-4.2,\"latitude\":52.3,\"longitude\":4.$((7000 + s))"
	done
} >"$T/in"
t_eq 'a landed aircraft whose reported speed and rate are stale is on the ground: its positions and altitude say it is slow and level' \
	'"GROUND"' "$(fields .flight_phase)"

# --- Duplicates -----------------------------------------------------------------------------

{
	rec 0 '"velocity":1'
	rec 0 '"velocity":1'
	rec 0 '"velocity":2'
	ICAO=abc124 rec 0 '"velocity":1'
	rec 1 '"velocity":1'
} >"$T/in"
run fs-clean --stats --reject "$T/rj" "$T/in"
t_eq 'the same icao24 and timestamp again is a duplicate, whatever else it says' \
	'[["abc123",1],["abc124",1],["abc123",1]]' \
	"$(printf '%s\n' "$out" | jq -sc 'map([.icao24, .velocity])')"
t_eq 'duplicates are counted, not rejected' '5 3 0 2' \
	"$(printf '%s\n' "$err" | tail -n 1 | jq -r '"\(.in) \(.out) \(.rejected) \(.duplicates)"')"
t_eq 'without --reject-duplicates no reject is written' 0 "$(wc -l <"$T/rj")"
run fs-clean --stats --reject-duplicates --reject "$T/rj" "$T/in"
t_eq '--reject-duplicates writes them to the reject stream as duplicate' 'duplicate duplicate' \
	"$(jq -r .reject.code "$T/rj" | xargs)"
t_eq '--reject-duplicates: still counted as duplicates' '5 3 0 2' \
	"$(printf '%s\n' "$err" | tail -n 1 | jq -r '"\(.in) \(.out) \(.rejected) \(.duplicates)"')"
t_ok 'a duplicate reject keeps the line' cmp <(sed -n 2p "$T/in") <(jq -r .line "$T/rj" | head -n 1)

{
	rec 0 ''
	rec 660 ''
	rec 0 ''
} >"$T/in"
t_eq 'a repeat older than --dedup-window (10m) behind the newest report is not looked up' \
	'["out_of_order"]' "$(fields .quality_flags)"
t_eq 'with --dedup-window 20m it is a duplicate' 2 "$(fs-clean --dedup-window 20m "$T/in" | wc -l)"
t_eq '--dedup-window 0 turns deduplication off' 3 "$(printf '%s\n%s\n%s\n' "$(rec 0)" "$(rec 0)" "$(rec 0)" |
	fs-clean --dedup-window 0 | wc -l)"
{
	rec 1 ''
	rec 3 ''
	rec 2 ''
	rec 3 ''
	rec 2 ''
	rec 1 ''
} >"$T/in"
t_eq 'out-of-order repeats are found too' 3 "$(fs-clean "$T/in" | wc -l)"
{
	for s in 1 2 3 4 5 1; do rec "$s" ''; done
} >"$T/in"
run fs-clean --stats --dedup-max 3 "$T/in"
t_eq '--dedup-max 3: the oldest times are forgotten, counted' '6 0 1' \
	"$(printf '%s\n' "$err" | tail -n 1 | jq -r '"\(.out) \(.duplicates) \(.dedup_evicted >= 2 | if . then 1 else 0 end)"')"

# --- Expiry and eviction of per-aircraft state ---------------------------------------------

{
	ICAO=aaaaaa rec 0 '"latitude":1,"longitude":1'
	ICAO=aaaaaa rec 120 '"latitude":1,"longitude":1.01'
} >"$T/in"
run fs-clean --stats --expire 1m "$T/in"
t_eq 'an aircraft silent for more than --expire starts afresh' 'null' \
	"$(printf '%s\n' "$out" | tail -n 1 | jq -c .dt_s)"
t_eq 'and its expiry is counted' 1 "$(printf '%s\n' "$err" | tail -n 1 | jq .aircraft_expired)"
run fs-clean --stats --expire 3m "$T/in"
t_eq 'within --expire it keeps its state' '120 0' \
	"$(printf '%s\n' "$out" | tail -n 1 | jq -r .dt_s) $(printf '%s\n' "$err" | tail -n 1 | jq .aircraft_expired)"
{
	ICAO=aaaaaa rec 0 ''
	for s in $(seq 10 10 300); do
		ICAO=bbbbbb rec "$s" ''
		ICAO=cccccc rec "$s" ''
	done
} >"$T/in"
run fs-clean --stats --expire 1m "$T/in"
t_eq 'idle state is swept as event time goes on, without waiting for the aircraft' 1 \
	"$(printf '%s\n' "$err" | tail -n 1 | jq .aircraft_expired)"
{
	ICAO=aaaaaa rec 0 ''
	ICAO=ffffff rec 100000 ''
	ICAO=bbbbbb rec 10 ''
	ICAO=aaaaaa rec 20 ''
} >"$T/in"
run fs-clean --stats --expire 1m "$T/in"
t_eq 'one aircraft far ahead in time does not expire the others' '0 20' \
	"$(printf '%s\n' "$err" | tail -n 1 | jq .aircraft_expired) $(printf '%s\n' "$out" | tail -n 1 | jq .dt_s)"
{
	for i in 1 2 3 4 5 6 7 8 9; do ICAO=00000$i rec "$i" ''; done
	ICAO=000001 rec 10 ''
} >"$T/in"
run fs-clean --stats --max-aircraft 4 "$T/in"
t_eq '--max-aircraft 4: the least recent aircraft are forgotten early, counted' '10 1 null' \
	"$(printf '%s\n' "$err" | tail -n 1 | jq -r '"\(.out) \(.aircraft_evicted >= 5 | if . then 1 else 0 end)"') $(printf '%s\n' "$out" | tail -n 1 | jq .dt_s)"

t_done
