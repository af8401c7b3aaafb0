#!/usr/bin/env bash
# fs-sink-pg against a real PostgreSQL (a throwaway cluster, see
# tests/pg-harness): --init, and --init again; loading positions and
# windows with their values typed and intact; loading again, in the same
# batches and in others, leaves the tables exactly as they were; batches
# by size and by time; the aircraft table; the README's queries.
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/pg-harness"

t_built fs-sink-pg fs-produce
t_need jq
pg_test

# Positions with the fields of fs-clean and fs-score added, so that every column is filled.
fs-produce sim --seed 3 --aircraft 20 --duration 10m --speed max >"$T/raw.ndjson"
jq -c '. + {
	velocity_kt: (if .velocity == null then null else .velocity * 3600 / 1852 end),
	altitude_ft: (if .baro_altitude == null then null else .baro_altitude / 0.3048 end),
	geo_altitude_ft: null, vertical_rate_fpm: null,
	hour: 0, day_of_week: 3, hour_sin: 0, hour_cos: 1, day_of_week_sin: 0.433884,
	day_of_week_cos: -0.900969,
	grid_x: (if .longitude == null then null else (.longitude | floor) end),
	grid_y: (if .latitude == null then null else (.latitude | floor) end),
	dt_s: 10.001, dist_m: null, implied_speed: null, turn_rate: -0.25, accel: 0,
	alt_change_m: null, vertical_rate_error: null,
	flight_phase: (if .on_ground then "GROUND" else "CRUISE" end),
	quality_flags: (if .velocity > 240 then ["impossible_speed"] else [] end),
	processing_timestamp: "2026-11-21T10:00:00.000Z",
	anomaly_score: (if .velocity > 240 then 0.91 else 0.35 end),
	is_anomaly: (.velocity > 240), velocity_anomaly: (if .velocity > 240 then 3.52 else -0.4 end),
	altitude_anomaly: null,
	anomaly_reasons: (if .velocity > 240 then ["velocity.high", "score"] else [] end)
}' "$T/raw.ndjson" >"$T/pos.ndjson"
n=$(wc -l <"$T/pos.ndjson")
naircraft=$(jq -r .icao24 "$T/pos.ndjson" | sort -u | wc -l)

# state: every row of the three tables, and each row's version (xmin), as one text.
state() {
	pg_rows positions 'icao24, "timestamp"'
	pg_rows windows 'window_start, window_end, key'
	pg_rows aircraft icao24
}
versions() {
	pg_sql "SELECT string_agg(xmin::text, ',' ORDER BY icao24, \"timestamp\") FROM positions;
		SELECT string_agg(xmin::text, ',' ORDER BY window_start, window_end, key) FROM windows;
		SELECT string_agg(xmin::text, ',' ORDER BY icao24) FROM aircraft"
}
# stat NAME: a counter of the summary line of the last run's --stats.
stat() {
	printf '%s\n' "$err" | grep '"final":true' | jq -r ".$1"
}

# --- --init ---------------------------------------------------------------

run fs-sink-pg "$T/pos.ndjson"
t_eq 'before --init: exit 1' 1 "$status"
t_match 'before --init: says to run it' "database 'fs' has no flightstream tables: run fs-sink-pg --init" "$err"

t_ok '--init creates the tables' fs-sink-pg --init
t_eq '--init: the tables and the version table' \
	'aircraft fs_schema_version positions windows' \
	"$(pg_sql "SELECT string_agg(tablename, ' ' ORDER BY tablename) FROM pg_tables WHERE schemaname = 'public'")"
t_eq '--init: versions 1 and 2 are recorded' '1 2' "$(pg_sql 'SELECT string_agg(version::text, $$ $$ ORDER BY version) FROM fs_schema_version')"
# schema: the definitions of the database (pg_dump's random \restrict key left out).
schema() {
	pg_dump -s -d fs | grep -v '^\\[a-z]*restrict '
}
schema=$(schema)
versions_table=$(pg_rows fs_schema_version version)
t_ok '--init a second time' fs-sink-pg --init
t_eq '--init twice: the schema is the same' "$schema" "$(schema)"
t_eq '--init twice: the version table is the same' "$versions_table" "$(pg_rows fs_schema_version version)"
# A database of version 1 (fs_positions_insert instead of fs_positions_upsert): told to upgrade, and upgraded.
pg_sql "BEGIN; DELETE FROM fs_schema_version WHERE version = 2; DROP FUNCTION fs_positions_upsert(date[], bigint);
	CREATE FUNCTION fs_positions_insert(day date) RETURNS bigint LANGUAGE sql AS 'SELECT 0::bigint'; COMMIT"
run fs-sink-pg "$T/pos.ndjson"
t_eq 'version 1: exit 1' 1 "$status"
t_match 'version 1: says to run --init' 'at version 1, older than this.*run fs-sink-pg --init to upgrade' "$err"
t_ok '--init upgrades version 1' fs-sink-pg --init
t_eq '--init upgrades version 1: the schema is as made at once' "$schema" "$(schema)"
t_ok '--init -q a third time, by another role with privileges (no notices)' fs-sink-pg -q --init
t_eq '--init -q: silent' '' "$err$out"

# --- Positions ------------------------------------------------------------

run fs-sink-pg --stats "$T/pos.ndjson"
t_eq 'load: exit 0' 0 "$status"
t_eq 'load: stats in, out, rejected, positions, changed' "$n $n 0 $n $n" \
	"$(stat in) $(stat out) $(stat rejected) $(stat positions) $(stat changed)"
t_eq 'load: one row per record' "$n" "$(pg_sql 'SELECT count(*) FROM positions')"
t_eq 'load: the positions of 2026-01-01 are in their partition' "$n" \
	"$(pg_sql 'SELECT count(*) FROM positions_20260101')"

# Every value, as the records have it: floats, booleans, text, arrays, times.
cols='icao24, callsign, origin_country, latitude, longitude, baro_altitude, geo_altitude, velocity,
	heading, vertical_rate, on_ground, squawk, spi, position_source, category, source, velocity_kt,
	altitude_ft, hour, day_of_week_sin, grid_x, grid_y, dt_s, turn_rate, flight_phase,
	anomaly_score, is_anomaly, velocity_anomaly'
want=$(jq -r '[.timestamp, .icao24, .callsign, .origin_country, .latitude, .longitude, .baro_altitude,
	.geo_altitude, .velocity, .heading, .vertical_rate, .on_ground, .squawk, .spi,
	.position_source, .category, .source, .velocity_kt, .altitude_ft, .hour, .day_of_week_sin,
	.grid_x, .grid_y, .dt_s, .turn_rate, .flight_phase, .anomaly_score, .is_anomaly,
	.velocity_anomaly, (.quality_flags | join(",")), (.anomaly_reasons | join(",")),
	.processing_timestamp] | map(if . == true then "t" elif . == false then "f" else . end) | @tsv' \
	"$T/pos.ndjson" | sort)
got=$(psql -X -q -A -t -F $'\t' -c "SELECT to_char(\"timestamp\" AT TIME ZONE 'UTC',
	'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), $cols, array_to_string(quality_flags, ','),
	array_to_string(anomaly_reasons, ','), to_char(processing_timestamp AT TIME ZONE 'UTC',
	'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') FROM positions" | sort)
t_eq 'load: every value as the record has it' "$want" "$got"
t_eq 'load: types of the columns' \
	'timestamp with time zone double precision smallint integer text[] boolean jsonb' \
	"$(pg_sql "SELECT string_agg(format_type(atttypid, atttypmod), ' ' ORDER BY attnum) FROM pg_attribute
		WHERE attrelid = 'positions'::regclass AND attname IN
		('timestamp', 'latitude', 'is_anomaly', 'hour', 'grid_x', 'quality_flags', 'extra')")"
t_eq 'load: no extra fields, no extra' "0" "$(pg_sql 'SELECT count(*) FROM positions WHERE extra IS NOT NULL')"

# The aircraft: one row each, first and last seen, the last call sign.
t_eq 'aircraft: one row per icao24' "$naircraft" "$(pg_sql 'SELECT count(*) FROM aircraft')"
want=$(jq -s -r 'group_by(.icao24)[] | [.[0].icao24, (map(.timestamp) | min), (map(.timestamp) | max),
	(map(select(.callsign != null)) | max_by(.timestamp) | .callsign), .[0].origin_country,
	.[0].category] | @tsv' "$T/pos.ndjson")
got=$(psql -X -q -A -t -F $'\t' -c "SELECT icao24,
	to_char(first_seen AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'),
	to_char(last_seen AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'),
	callsign, origin_country, category FROM aircraft ORDER BY icao24")
t_eq 'aircraft: first_seen, last_seen, callsign, country, category' "$want" "$got"

# --- Loading again --------------------------------------------------------

before=$(state)
before_v=$(versions)
run fs-sink-pg --stats "$T/pos.ndjson"
t_eq 'load again: exit 0' 0 "$status"
t_eq 'load again: every row committed, none changed' "$n $n 0" "$(stat in) $(stat out) $(stat changed)"
t_eq 'load again: the tables are exactly as after once' "$before" "$(state)"
t_eq 'load again: not a row was rewritten (xmin)' "$before_v" "$(versions)"
run fs-sink-pg --stats --batch 7 "$T/pos.ndjson"
t_eq 'load again in batches of 7: batches' "$(((n + 6) / 7))" "$(stat batches)"
t_eq 'load again in batches of 7: the tables are exactly as after once' "$before" "$(state)"
t_eq 'load again in batches of 7: not a row was rewritten' "$before_v" "$(versions)"
# The second half first, then all: still the same.
tail -n $((n / 2)) "$T/pos.ndjson" >"$T/half.ndjson"
pg_sql 'TRUNCATE positions, aircraft'
run fs-sink-pg "$T/half.ndjson"
run fs-sink-pg --batch 100 "$T/pos.ndjson"
t_eq 'the later half, then all: the tables are as after loading all once' "$before" "$(state)"

# A record loaded again with other values replaces the row: the newest load wins.
first=$(head -n 1 "$T/pos.ndjson")
printf '%s\n' "$first" | jq -c '.velocity = 123.5 | .quality_flags = ["stuck_position"]' >"$T/fix.ndjson"
run fs-sink-pg --stats "$T/fix.ndjson"
t_eq 'a key loaded again with new values: one row changed' 1 "$(stat changed)"
t_eq 'a key loaded again with new values: the row has them' '123.5|{stuck_position}' \
	"$(pg_sql "SELECT velocity, quality_flags FROM positions WHERE icao24 = '$(jq -r .icao24 <<<"$first")'
		AND \"timestamp\" = '$(jq -r .timestamp <<<"$first")'")"
t_eq 'a key loaded again with new values: still one row per record' "$n" \
	"$(pg_sql 'SELECT count(*) FROM positions')"

# A key twice in one input: the batch closes before the second; the second wins.
printf '%s\n%s\n' "$first" "$(jq -c '.velocity = 77' <<<"$first")" >"$T/twice.ndjson"
run fs-sink-pg --stats "$T/twice.ndjson"
t_eq 'a key twice in one input: two batches, both committed' '2 2' "$(stat batches) $(stat out)"
t_eq 'a key twice in one input: the later record is the row' 77 \
	"$(pg_sql "SELECT velocity FROM positions WHERE icao24 = '$(jq -r .icao24 <<<"$first")'
		AND \"timestamp\" = '$(jq -r .timestamp <<<"$first")'")"

# --- Windows, shapes, extras ----------------------------------------------

cat >"$T/win.ndjson" <<'EOF'
{"window_start":"2026-01-01T00:00:00.000Z","window_end":"2026-01-01T00:05:00.000Z","key":"*","event_count":600,"anomaly_count":3,"avg_velocity":180.25,"min_velocity":0,"max_velocity":260.5,"avg_altitude":7000.5,"min_altitude":0,"max_altitude":12000,"unique_aircraft":20,"avg_anomaly_score":0.41,"late_count":0}
{"window_start":"2026-01-01T00:00:00.000Z","window_end":"2026-01-01T00:05:00.000Z","key":"4b1814","event_count":30,"anomaly_count":0,"avg_velocity":null,"min_velocity":null,"max_velocity":null,"avg_altitude":null,"min_altitude":null,"max_altitude":null,"unique_aircraft":1,"avg_anomaly_score":0.3,"late_count":0,"model":"if-2026-01"}
{"window_start":"2026-01-01T00:05:00.000Z","window_end":"2026-01-01T00:10:00.000Z","key":"*","event_count":600,"anomaly_count":0,"avg_velocity":181,"min_velocity":0,"max_velocity":250,"avg_altitude":7100,"min_altitude":0,"max_altitude":12000,"unique_aircraft":20,"avg_anomaly_score":0.4,"late_count":2}
EOF
run fs-sink-pg --stats "$T/win.ndjson"
t_eq 'windows: exit 0' 0 "$status"
t_eq 'windows: stats' '3 3 3 0' "$(stat in) $(stat out) $(stat windows) $(stat positions)"
t_eq 'windows: the rows' \
	'2026-01-01 00:00:00+00|*|600|180.25|0.41|
2026-01-01 00:00:00+00|4b1814|30||0.3|{"model": "if-2026-01"}
2026-01-01 00:05:00+00|*|600|181|0.4|' \
	"$(pg_sql 'SELECT window_start, key, event_count, avg_velocity, avg_anomaly_score, extra FROM windows
		ORDER BY window_start, key')"
before=$(state)
before_v=$(versions)
run fs-sink-pg --stats "$T/win.ndjson"
t_eq 'windows again: the tables are exactly as after once' "$before" "$(state)"
t_eq 'windows again: not a row was rewritten' "$before_v" "$(versions)"
# A late event revises a window: the new record replaces the old.
head -n 1 "$T/win.ndjson" | jq -c '.event_count = 601 | .late_count = 1' >"$T/late.ndjson"
run fs-sink-pg --stats "$T/late.ndjson"
t_eq 'a revised window replaces the old one' '601|1|1' \
	"$(pg_sql "SELECT event_count, late_count, count(*) OVER () FROM windows
		WHERE key = '*' AND window_start = '2026-01-01T00:00:00Z'")"

# Mixed input: each record to its table by its shape.
pg_sql 'TRUNCATE positions, windows, aircraft'
{ head -n 5 "$T/pos.ndjson"; cat "$T/win.ndjson"; sed -n 6,10p "$T/pos.ndjson"; } >"$T/mixed.ndjson"
run fs-sink-pg --stats "$T/mixed.ndjson"
t_eq '--table auto: positions and windows each to their table' '10 3 13' \
	"$(stat positions) $(stat windows) $(stat out)"
run fs-sink-pg --stats --table positions --reject "$T/rej.ndjson" "$T/win.ndjson"
t_eq '--table positions: a window lacks the key of a position' 'missing.icao24 missing.icao24 missing.icao24' \
	"$(jq -r .reject.code "$T/rej.ndjson" | xargs)"
run fs-sink-pg --stats --table windows --reject "$T/rej.ndjson" "$T/fix.ndjson"
t_eq '--table windows: a position lacks the key of a window' 'missing.window_start' \
	"$(jq -r .reject.code "$T/rej.ndjson")"

# Fields without a column are kept in extra; "extra" itself is one of them.
printf '%s\n' '{"timestamp":"2026-01-01T01:00:00Z","icao24":"abcdef","mine":{"a":[1,2.5,"x"]},"extra":true,"velocity":null}' \
	>"$T/extra.ndjson"
t_ok 'fields of the user' fs-sink-pg "$T/extra.ndjson"
t_eq 'fields of the user: kept in extra as they were' '{"mine": {"a": [1, 2.5, "x"]}, "extra": true}' \
	"$(pg_sql "SELECT extra FROM positions WHERE icao24 = 'abcdef'")"

# Times as epoch seconds and milliseconds, other offsets; two days, two partitions.
printf '%s\n' '{"timestamp":1767312000.5,"icao24":"000001"}' '{"timestamp":1767312000500,"icao24":"000002"}' \
	'{"timestamp":"2026-01-02T01:00:00.5+01:00","icao24":"000003"}' >"$T/epoch.ndjson"
t_ok 'epoch times and offsets' fs-sink-pg "$T/epoch.ndjson"
t_eq 'epoch times and offsets: the same instant' '3|1' \
	"$(pg_sql "SELECT count(*), count(DISTINCT \"timestamp\") FROM positions WHERE icao24 IN ('000001', '000002', '000003')")"
t_eq 'a second day: a second partition' 'positions_20260101 positions_20260102' \
	"$(pg_sql "SELECT string_agg(c.relname, ' ' ORDER BY c.relname) FROM pg_inherits i
		JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'positions'::regclass")"
t_match 'a query for one day reads only its partition' 'positions_20260102' \
	"$(pg_sql "EXPLAIN SELECT * FROM positions WHERE \"timestamp\" >= '2026-01-02' AND \"timestamp\" < '2026-01-03'")"
t_no_match 'a query for one day reads only its partition (not the other)' 'positions_20260101' \
	"$(pg_sql "EXPLAIN SELECT * FROM positions WHERE \"timestamp\" >= '2026-01-02' AND \"timestamp\" < '2026-01-03'")"

# Batches across days (through the parent, which routes each row to its day's
# partition); new rows, changed rows and unchanged rows in one batch; loading
# again writes nothing.
pg_sql 'TRUNCATE positions, aircraft'
for d in 01 02 03 04 05 06; do
	for a in 0a0001 0a0002 0a0003; do
		printf '{"timestamp":"2026-02-%sT23:59:59.5Z","icao24":"%s","velocity":%d}\n' $d $a 1$d
		printf '{"timestamp":"2026-02-%sT00:00:00Z","icao24":"%s","velocity":%d}\n' $d $a 2$d
	done
done >"$T/days.ndjson"
grep -E '2026-02-0[12]T' "$T/days.ndjson" >"$T/days2.ndjson"
run fs-sink-pg --stats "$T/days2.ndjson"
t_eq 'two days in one batch: all rows, each in its day partition' '1 12 12|6|6' \
	"$(stat batches) $(stat changed) $(pg_sql 'SELECT count(*) FROM positions;
	SELECT count(*) FROM positions_20260201; SELECT count(*) FROM positions_20260202' | paste -sd'|')"
# Six days: 12 rows already there, one of them with a new value, 24 new.
sed 's/"icao24":"0a0002","velocity":101}/"icao24":"0a0002","velocity":999}/' "$T/days.ndjson" >"$T/days6.ndjson"
run fs-sink-pg --stats "$T/days6.ndjson"
t_eq 'six days in one batch: 24 new rows and one changed row written' '0 1 25 36' \
	"$status $(stat batches) $(stat changed) $(pg_sql 'SELECT count(*) FROM positions')"
t_eq 'six days in one batch: the changed row has its new value' '999' \
	"$(pg_sql "SELECT velocity FROM positions WHERE icao24 = '0a0002' AND \"timestamp\" = '2026-02-01T23:59:59.5Z'")"
t_eq 'six days in one batch: a partition per day' '6 6 6 6 6 6' \
	"$(pg_sql "SELECT string_agg(n::text, ' ' ORDER BY p) FROM (SELECT tableoid::regclass::text AS p, count(*) AS n
		FROM positions WHERE icao24 LIKE '0a000_' GROUP BY 1) x")"
days_v=$(pg_sql "SELECT string_agg(xmin::text, ',' ORDER BY icao24, \"timestamp\") FROM positions")
days_rows=$(pg_rows positions 'icao24, "timestamp"')
run fs-sink-pg --stats "$T/days6.ndjson"
t_eq 'six days again: nothing written' '0 0' "$status $(stat changed)"
run fs-sink-pg --stats "$T/days2.ndjson"
t_eq 'two days again (the older value of the changed row): one row written' '0 1' "$status $(stat changed)"
run fs-sink-pg --stats --batch 5 "$T/days6.ndjson"
t_eq 'six days again in batches of 5: only that row written back' '0 1' "$status $(stat changed)"
t_eq 'batches across days, loaded again: the rows are as after once' "$days_rows" \
	"$(pg_rows positions 'icao24, "timestamp"')"
rewritten=$(paste -d' ' <(tr ',' '\n' <<<"$days_v") \
	<(pg_sql "SELECT string_agg(xmin::text, ',' ORDER BY icao24, \"timestamp\") FROM positions" | tr ',' '\n') |
	awk '$1 != $2' | wc -l)
t_eq 'batches across days, loaded again: no other row rewritten (xmin)' 1 "$rewritten"

# Another session inserting one of the batch's keys at the same time: the
# batch waits for it to commit, then updates its row.
pg_sql 'TRUNCATE positions, aircraft'
{
	echo "BEGIN; INSERT INTO positions (icao24, \"timestamp\", velocity) VALUES ('0a0003', '2026-02-03T00:00:00Z', 1);"
	echo "SELECT pg_sleep(2); COMMIT;"
} | psql -X -q >/dev/null &
other=$!
sleep 0.5
run fs-sink-pg --stats "$T/days6.ndjson"
wait $other
t_eq 'a key inserted by another session meanwhile: exit 0, every row' '0 36 36' \
	"$status $(stat out) $(pg_sql 'SELECT count(*) FROM positions')"
t_eq 'a key inserted by another session meanwhile: the batch'"'"'s value wins' '203' \
	"$(pg_sql "SELECT velocity FROM positions WHERE icao24 = '0a0003' AND \"timestamp\" = '2026-02-03T00:00:00Z'")"

# --- Input, batches by size and by time, metrics ---------------------------

pg_sql 'TRUNCATE positions, windows, aircraft'
head -n 10 "$T/pos.ndjson" >"$T/a.ndjson"
sed -n 11,20p "$T/pos.ndjson" >"$T/b.ndjson"
sed -n 21,30p "$T/pos.ndjson" >"$T/c.ndjson"
run sh -c 'fs-sink-pg --stats --batch 4 --metrics-file "$1/metrics" "$1/a.ndjson" - "$1/c.ndjson" <"$1/b.ndjson"' sh "$T"
t_eq 'files and standard input ("-"): all loaded' '30 30 30' \
	"$(stat in) $(stat out) $(pg_sql 'SELECT count(*) FROM positions')"
t_eq '--batch 4: 30 records in 8 batches' 8 "$(stat batches)"
t_match '--metrics-file: the counters in the Prometheus format' \
	'flightstream_batches_total\{tool="fs-sink-pg"\} 8' "$(cat "$T/metrics")"
printf '\n  \n' >"$T/blank.ndjson"
run fs-sink-pg --stats "$T/blank.ndjson"
t_eq 'blank lines: nothing, exit 0' '0 0 0' "$status $(stat in) $(stat batches)"
run fs-sink-pg --stats "$T/a.ndjson" "$T/missing.ndjson"
t_eq 'a file that cannot be opened: the others loaded, exit 1' '1 10' "$status $(stat out)"
t_match 'a file that cannot be opened: named' "cannot open '$T/missing.ndjson'" "$err"

# A quiet pipe: the batch goes after --batch-wait, while the input stays open.
pg_sql 'TRUNCATE positions, windows, aircraft'
mkfifo "$T/fifo"
fs-sink-pg --stats --batch 1000 --batch-wait 200ms <"$T/fifo" >"$T/bg.out" 2>"$T/bg.err" &
pid=$!
exec 3>"$T/fifo"
head -n 3 "$T/pos.ndjson" >&3
for _ in $(seq 300); do
	[ "$(pg_sql 'SELECT count(*) FROM positions')" = 3 ] && break
	sleep 0.1
done
t_eq '--batch-wait 200ms: records of a quiet pipe are committed while it stays open' 3 \
	"$(pg_sql 'SELECT count(*) FROM positions')"
sed -n 4,5p "$T/pos.ndjson" >&3
exec 3>&-
wait "$pid"
t_eq '--batch-wait 200ms: the end of the input loads the rest, exit 0' '0 5' \
	"$? $(pg_sql 'SELECT count(*) FROM positions')"
err=$(cat "$T/bg.err")
t_eq '--batch-wait 200ms: two batches' 2 "$(stat batches)"

# --- The README's queries -------------------------------------------------

pg_sql 'TRUNCATE positions, windows, aircraft'
t_ok 'load positions and windows for the queries' fs-sink-pg "$T/pos.ndjson" "$T/win.ndjson"
now="timestamptz '2026-01-01 00:09:00+00'"
anomalies=$(jq -r 'select(.is_anomaly and .timestamp > "2026-01-01T00:08:00.000Z") | .icao24' "$T/pos.ndjson" | sort | uniq -c |
	awk '{ print $2 "|" $1 }' | sort)
t_true 'the data has anomalies in the last hour' -n "$anomalies"
t_eq 'README: the anomalies of the last hour, per aircraft' "$anomalies" "$(pg_sql "
	SELECT icao24, count(*) FROM positions
	WHERE is_anomaly AND \"timestamp\" > $now - interval '1 minute'
	GROUP BY icao24 ORDER BY icao24")"
icao=$(jq -r .icao24 "$T/pos.ndjson" | head -n 1)
t_eq "README: one aircraft's track, in time order" \
	"$(jq -r "select(.icao24 == \"$icao\") | [.latitude, .longitude] | @tsv" "$T/pos.ndjson" | tr '\t' '|')" \
	"$(pg_sql "SELECT latitude, longitude FROM positions WHERE icao24 = '$icao'
		AND \"timestamp\" >= '2026-01-01' AND \"timestamp\" < '2026-01-02' ORDER BY \"timestamp\"")"
want=$(jq -r 'select(.timestamp < "2026-01-01T00:05:00" and .grid_x != null) | "\(.grid_x)|\(.grid_y)"' \
	"$T/pos.ndjson" | sort | uniq -c | sort -k1,1nr -k2 | head -n 3 | awk '{ print $1 "|" $2 }')
t_eq 'README: the busiest grid cells of a window' "$want" "$(pg_sql "
	SELECT n, grid_x || '|' || grid_y FROM (
	  SELECT w.window_start, p.grid_x, p.grid_y, count(*) AS n,
	         rank() OVER (PARTITION BY w.window_start ORDER BY count(*) DESC) AS r
	  FROM windows w
	  JOIN positions p ON p.\"timestamp\" >= w.window_start AND p.\"timestamp\" < w.window_end
	  WHERE w.key = '*' AND p.grid_x IS NOT NULL
	  GROUP BY w.window_start, p.grid_x, p.grid_y) c
	WHERE window_start = '2026-01-01T00:00:00Z' AND r <= 3
	ORDER BY n DESC, grid_x || '|' || grid_y LIMIT 3")"

t_done
