#!/usr/bin/env bash
# fs-sink-pg and records it cannot load: each is a reject with a code
# (and the server's message when the database refused it), kept byte for
# byte, and the rest of the batch still goes in.
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/pg-harness"

t_built fs-sink-pg fs-produce
t_need jq
pg_test
t_ok '--init' fs-sink-pg --init

# stat NAME: a counter of the summary line of the last run's --stats.
stat() {
	printf '%s\n' "$err" | grep '"final":true' | jq -r ".$1"
}

# One record per line: the code it must get, the record. "ok" loads.
cases=$(cat <<'EOF'
ok	{"timestamp":"2026-01-01T00:00:00Z","icao24":"abc123","latitude":1,"callsign":"GOOD1"}
db.23514	{"timestamp":"2026-01-01T00:00:01Z","icao24":"ABC123"}
db.23514	{"timestamp":"2026-01-01T00:00:02Z","icao24":"abc123","latitude":123.4}
db.23514	{"timestamp":"2026-01-01T00:00:03Z","icao24":"abc123","heading":360}
db.23514	{"timestamp":"2026-01-01T00:00:04Z","icao24":"abc123","anomaly_score":1.5}
db.23514	{"timestamp":"2026-01-01T00:00:05Z","icao24":"abc123","hour":24}
db.22021	{"timestamp":"2026-01-01T00:00:06Z","icao24":"abc123","callsign":"A\u0000B"}
db.22021	{"timestamp":"2026-01-01T00:00:07Z","icao24":"abc123","quality_flags":["ok","no\u0000"]}
db.22P05	{"timestamp":"2026-01-01T00:00:08Z","icao24":"abc123","mine":"\u0000"}
type.latitude	{"timestamp":"2026-01-01T00:00:09Z","icao24":"abc123","latitude":"47.5"}
type.on_ground	{"timestamp":"2026-01-01T00:00:10Z","icao24":"abc123","on_ground":1}
type.grid_x	{"timestamp":"2026-01-01T00:00:11Z","icao24":"abc123","grid_x":3.5}
type.quality_flags	{"timestamp":"2026-01-01T00:00:12Z","icao24":"abc123","quality_flags":"stuck"}
type.sensors	{"timestamp":"2026-01-01T00:00:13Z","icao24":"abc123","sensors":["x"]}
type.callsign	{"timestamp":"2026-01-01T00:00:14Z","icao24":"abc123","callsign":{"a":1}}
type.icao24	{"timestamp":"2026-01-01T00:00:15Z","icao24":["abc123"]}
range.hour	{"timestamp":"2026-01-01T00:00:16Z","icao24":"abc123","hour":40000}
range.velocity	{"timestamp":"2026-01-01T00:00:17Z","icao24":"abc123","velocity":1e999}
range.timestamp	{"timestamp":1e15,"icao24":"abc123"}
format.timestamp	{"timestamp":"yesterday","icao24":"abc123"}
format.processing_timestamp	{"timestamp":"2026-01-01T00:00:18Z","icao24":"abc123","processing_timestamp":"now"}
missing.timestamp	{"icao24":"abc123","latitude":1}
missing.icao24	{"timestamp":"2026-01-01T00:00:19Z","icao24":null}
missing.key	{"window_start":"2026-01-01T00:00:00Z","window_end":"2026-01-01T00:01:00Z"}
db.23514	{"window_start":"2026-01-01T00:01:00Z","window_end":"2026-01-01T00:00:00Z","key":"*"}
db.23514	{"window_start":"2026-01-01T00:00:00Z","window_end":"2026-01-01T00:01:00Z","key":"*","event_count":-1}
duplicate_key	{"timestamp":"2026-01-01T00:00:20Z","icao24":"abc123","latitude":1,"latitude":2}
encoding	{"timestamp":"2026-01-01T00:00:21Z","icao24":"abc123","callsign":"\udc00"}
shape	{"lat":1}
not_object	[1,2,3]
parse	{"timestamp":
parse	{"timestamp":"2026-01-01T00:00:22Z","icao24":"abc123"} trailing
ok	{"timestamp":"2026-01-01T00:00:23Z","icao24":"abc123","callsign":"\ud83d\ude00 \u00e9\"","latitude":-90,"sensors":[1,null,2],"truth":[]}
ok	{"window_start":"2026-01-01T00:00:00Z","window_end":"2026-01-01T00:01:00Z","key":"*","event_count":5}
ok	{"timestamp":"2026-01-01T00:00:24Z","icao24":"abc123","squawk":7700,"hour":23.0,"grid_x":-1e2}
EOF
)
printf '%s\n' "$cases" | cut -f2- >"$T/in.ndjson"
printf '\xff{"timestamp":"2026-01-01T00:00:25Z","icao24":"abc123"}\n' >>"$T/in.ndjson"
cases=$(printf '%s\nencoding\tx' "$cases")
nbad=$(printf '%s\n' "$cases" | grep -vc '^ok')
ngood=$(printf '%s\n' "$cases" | grep -c '^ok')

run fs-sink-pg --stats --reject "$T/rej.ndjson" "$T/in.ndjson"
t_eq 'bad records: exit 0' 0 "$status"
t_eq 'bad records: stats in, out, rejected' "$((nbad + ngood)) $ngood $nbad" \
	"$(stat in) $(stat out) $(stat rejected)"
t_eq 'bad records: the good ones of the batch are loaded' "$ngood" \
	"$(pg_sql 'SELECT (SELECT count(*) FROM positions) + (SELECT count(*) FROM windows)')"
t_true 'bad records: the database'"'"'s refusals were found by cutting the batch' "$(stat bisects)" -gt 0
t_eq 'every reject has its code' \
	"$(printf '%s\n' "$cases" | grep -v '^ok' | cut -f1 | sort)" \
	"$(jq -r .reject.code "$T/rej.ndjson" | sort)"
# Each record's code, by its line (the rejects of the database come after the others).
while IFS=$'\t' read -r code rec; do
	[ "$code" = ok ] && continue
	[ "$code" = encoding ] && [ "$rec" = x ] && continue
	got=$(jq -r --arg l "$rec" 'select(.line == $l) | .reject.code' "$T/rej.ndjson")
	t_eq "$code: $rec" "$code" "$got"
done <<<"$cases"
t_eq 'rejects keep the lines byte for byte' \
	"$(grep -vF -e 'GOOD1' -e 'e00 ' -e '"event_count":5}' -e '7700' "$T/in.ndjson" | grep -v $'^\xff' | LC_ALL=C sort)" \
	"$(jq -r 'select(.line) | .line' "$T/rej.ndjson" | LC_ALL=C sort)"
t_eq 'a line that is not UTF-8 is kept in base64' "$(tail -n 1 "$T/in.ndjson" | tr -d "\n" | od -An -c)" \
	"$(jq -r 'select(.line_base64) | .line_base64' "$T/rej.ndjson" | base64 -d | od -An -c)"
# message TEXT: the message of the reject of the record that holds TEXT.
message() {
	jq -r --arg t "$1" 'select(.line and (.line | contains($t))) | .reject.message' "$T/rej.ndjson"
}
t_eq "the database's message: a check constraint" \
	'new row for relation "positions_20260101" violates check constraint "positions_latitude_check"' \
	"$(message 123.4)"
t_eq "the database's message: a NUL, and its column" \
	'invalid byte sequence for encoding "UTF8": 0x00 (column callsign)' "$(message 'A\u0000B')"
t_eq 'a client-side message says what is wrong' 'latitude is a string, not a number' \
	"$(message '"47.5"')"
t_eq 'the good records have their values' '|||
😀 é"|-90|{1,NULL,2}|{}
GOOD1|1||' \
	"$(pg_sql "SELECT callsign, latitude, sensors, truth FROM positions ORDER BY \"timestamp\" DESC")"
t_eq 'a number for a text column is kept as its text; 23.0 and -1e2 are whole numbers' '7700|23|-100' \
	"$(pg_sql "SELECT squawk, hour, grid_x FROM positions WHERE squawk IS NOT NULL")"

# Without --reject: the first ten on stderr, and their number.
run fs-sink-pg "$T/in.ndjson"
t_eq 'without --reject: exit 0' 0 "$status"
t_eq 'without --reject: ten rejects reported' 10 "$(grep -c '^fs-sink-pg: rejected ' <<<"$err")"
t_match 'without --reject: where they were' \
	"rejected '$T/in.ndjson' line 10: type.latitude: latitude is a string, not a number" "$err"
t_match 'without --reject: their number' "fs-sink-pg: $nbad records rejected" "$err"

# A few bad rows among many: all the good rows, in batches, and only the bad ones rejected.
pg_sql 'TRUNCATE positions, windows, aircraft'
fs-produce sim --seed 5 --aircraft 30 --duration 10m --speed max >"$T/sim.ndjson"
n=$(wc -l <"$T/sim.ndjson")
awk 'NR == 100 || NR == 777 || NR == 1500 { sub(/"latitude":[^,]*/, "\"latitude\":-91") } { print }' \
	"$T/sim.ndjson" >"$T/three.ndjson"
run fs-sink-pg --stats --batch 1000 --reject "$T/rej3.ndjson" "$T/three.ndjson"
t_eq 'three bad rows in 1800: exit 0' 0 "$status"
t_eq 'three bad rows in 1800: stats' "$n $((n - 3)) 3" "$(stat in) $(stat out) $(stat rejected)"
t_eq 'three bad rows in 1800: the others loaded' "$((n - 3))" "$(pg_sql 'SELECT count(*) FROM positions')"
t_eq 'three bad rows in 1800: each rejected by its constraint' 'db.23514 db.23514 db.23514' \
	"$(jq -r .reject.code "$T/rej3.ndjson" | xargs)"
t_eq 'three bad rows in 1800: they are the bad lines' \
	"$(sed -n '100p;777p;1500p' "$T/three.ndjson" | sort)" "$(jq -r .line "$T/rej3.ndjson" | sort)"
t_eq 'three bad rows in 1800: the aircraft are those of the good rows only' \
	"$(sed -e 100d -e 777d -e 1500d "$T/three.ndjson" | jq -r .icao24 | sort -u | wc -l)" \
	"$(pg_sql 'SELECT count(*) FROM aircraft')"
# Every row bad: every row rejected, none loaded, and the batches are still settled.
sed 's/"icao24":"\([0-9a-f]*\)"/"icao24":"X\1"/' "$T/sim.ndjson" | head -n 300 >"$T/allbad.ndjson"
pg_sql 'TRUNCATE positions, windows, aircraft'
run fs-sink-pg --stats --batch 100 --reject "$T/rej4.ndjson" "$T/allbad.ndjson"
t_eq 'every row refused: exit 0, all rejected' '0 300 0 300' "$status $(stat in) $(stat out) $(stat rejected)"
t_eq 'every row refused: nothing in the tables' '0|0' \
	"$(pg_sql 'SELECT (SELECT count(*) FROM positions), (SELECT count(*) FROM aircraft)')"

# Rejects that cannot be written: exit 1.
if [ -w /dev/full ]; then
	run fs-sink-pg --reject /dev/full "$T/in.ndjson"
	t_eq 'rejects that cannot be written: exit 1' 1 "$status"
fi

t_done
