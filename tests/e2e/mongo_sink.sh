#!/usr/bin/env bash
# fs-sink-mongo storing records: the BSON types and _ids of the
# documents, a replay that stores nothing new and counts duplicates,
# unordered bulk inserts with the write concern of -w, --init's indexes
# and time-series collection. Against the MongoDB fixture, or the server
# of FS_TEST_MONGO_URI.
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/tools/mongo-harness"

t_built fs-sink-mongo fs-produce
t_need jq
mongo_test

fs-produce sim --seed 7 --aircraft 40 --duration 30m --speed max >"$T/in.ndjson"
n=$(wc -l <"$T/in.ndjson")

# --- A first load ----------------------------------------------------------

run fs-sink-mongo --db "$MONGO_DB" --stats --batch 1000 "$T/in.ndjson"
t_eq 'a load: exit 0' 0 "$status"
t_eq 'a load: in, out, duplicates, rejected' "$n $n 0 0" \
	"$(stat in) $(stat out) $(stat duplicates) $(stat rejected)"
t_eq 'a load: batches of --batch records' "$(((n + 999) / 1000))" "$(stat batches)"
t_eq 'a load: every record is a document' "$n" "$(mongo_count raw)"
mongo_dump raw >"$T/dump.ndjson"

# The types of each field of every record: what the input's text says
# (a number with a fraction or exponent is a double, other numbers
# int64, timestamps dates), in the input's order, after _id.
/usr/bin/python3 -c '
import json, sys
from collections import OrderedDict
def kind(v):
    return {bool: "boolean", str: "string", type(None): "null"}.get(type(v), v if isinstance(v, str) else "?")
for line in sys.stdin:
    d = json.loads(line, object_pairs_hook=OrderedDict, parse_int=lambda s: "$numberLong",
                   parse_float=lambda s: "$numberDouble")
    out = OrderedDict([("_id", "string")])
    for k, v in d.items():
        out[k] = "$date" if k == "timestamp" else v if v in ("$numberLong", "$numberDouble") else kind(v)
    print(json.dumps(out))
' <"$T/in.ndjson" | sort >"$T/want-types"
jq -c 'to_entries | map({(.key): (if (.value | type) == "object" then (.value | keys[0])
	else (.value | type) end)}) | add' "$T/dump.ndjson" | sed 's/,"/, "/g; s/":"/": "/g' | sort >"$T/got-types"
t_eq 'every field keeps its place, after _id, with the BSON type of its JSON text' \
	"$(cat "$T/want-types")" "$(cat "$T/got-types")"
t_true 'the records have integers and doubles both' \
	"$(grep -c '"baro_altitude": "$numberLong"' "$T/got-types")" -gt 0 -a \
	"$(grep -c '"baro_altitude": "$numberDouble"' "$T/got-types")" -gt 0
t_eq 'every _id is icao24/timestamp' '' \
	"$(jq -r 'select(._id != .icao24 + "/" + (.timestamp["$date"]["$numberLong"] | tonumber / 1000 | strftime("%Y-%m-%dT%H:%M:%S")) + "." + (.timestamp["$date"]["$numberLong"] | tonumber % 1000 | tostring | ("00" + .)[-3:]) + "Z") | ._id' "$T/dump.ndjson" | head -n 3)"
t_eq 'the _ids are those of the input' \
	"$(jq -r '.icao24 + "/" + .timestamp' "$T/in.ndjson" | sort)" \
	"$(jq -r '._id' "$T/dump.ndjson" | sort)"
t_eq 'the timestamps are the dates of the input' \
	"$(jq -r '.timestamp | sub("\\.(?<ms>[0-9]{3})Z$"; "Z") | fromdate' "$T/in.ndjson" | sort -n | head -n 5)" \
	"$(jq -r '.timestamp["$date"]["$numberLong"] | tonumber / 1000 | floor' "$T/dump.ndjson" | sort -n | head -n 5)"

# Every kind of value, nested, and the time fields.
cat >"$T/kinds.ndjson" <<'EOR'
{"timestamp":1767225600,"icao24":"abc123","i":42,"neg":-7,"big":9223372036854775807,"d":10.0,"half":0.5,"e":1e3,"z":-0,"s":"x\"y\u00e9","t":true,"f":false,"n":null,"o":{"b":1,"a":[1,2.5,"s",null,{"deep":[[]]}]},"empty":{},"arr":[],"processing_timestamp":"2026-01-01T01:00:00.250+01:00","window_start":1767225600000,"window_end":null}
EOR
run fs-sink-mongo --db "$MONGO_DB" --collection kinds "$T/kinds.ndjson"
t_eq 'every kind of value: exit 0' 0 "$status"
t_eq 'every kind of value: the BSON types' \
	'{"_id":"abc123/2026-01-01T00:00:00.000Z","timestamp":{"$date":{"$numberLong":"1767225600000"}},"icao24":"abc123","i":{"$numberLong":"42"},"neg":{"$numberLong":"-7"},"big":{"$numberLong":"9223372036854775807"},"d":{"$numberDouble":"10.0"},"half":{"$numberDouble":"0.5"},"e":{"$numberDouble":"1000.0"},"z":{"$numberDouble":"-0.0"},"s":"x\"yé","t":true,"f":false,"n":null,"o":{"b":{"$numberLong":"1"},"a":[{"$numberLong":"1"},{"$numberDouble":"2.5"},"s",null,{"deep":[[]]}]},"empty":{},"arr":[],"processing_timestamp":{"$date":{"$numberLong":"1767225600250"}},"window_start":{"$date":{"$numberLong":"1767225600000"}},"window_end":null}' \
	"$(mongo_dump kinds | jq -c .)"

# --- A replay --------------------------------------------------------------

run fs-sink-mongo --db "$MONGO_DB" --stats --batch 777 "$T/in.ndjson"
t_eq 'a replay: exit 0' 0 "$status"
t_eq 'a replay: nothing new, every record a duplicate' "$n 0 $n 0" \
	"$(stat in) $(stat out) $(stat duplicates) $(stat rejected)"
t_eq 'a replay: the collection is as it was' "$(cat "$T/dump.ndjson")" "$(mongo_dump raw)"
run fs-sink-mongo --db "$MONGO_DB" "$T/in.ndjson"
t_match 'a replay without --stats says how many were duplicates' "$n of $n records left out: $n duplicates" "$err"

# Half new, half old, and a record twice in one batch: the first one stored wins.
fs-produce sim --seed 8 --aircraft 5 --duration 5m --speed max >"$T/new.ndjson"
m=$(wc -l <"$T/new.ndjson")
head -n 100 "$T/in.ndjson" >"$T/mixed.ndjson"
cat "$T/new.ndjson" >>"$T/mixed.ndjson"
head -n 1 "$T/new.ndjson" | jq -c '.callsign = "SECOND"' >>"$T/mixed.ndjson"
run fs-sink-mongo --db "$MONGO_DB" --stats "$T/mixed.ndjson"
t_eq 'old and new: the new are inserted, the old and the second copy are duplicates' \
	"$((m + 101)) $m 101 0" "$(stat in) $(stat out) $(stat duplicates) $(stat rejected)"
t_eq 'old and new: the first copy of a record in a batch is the one stored' '' \
	"$(mongo_dump raw | grep SECOND)"
t_eq 'old and new: the collection holds both' "$((n + m))" "$(mongo_count raw)"

# --- What the sink sends (the fixture's log of commands) --------------------

if mongo_fixture_only 'inserts are unordered, with w majority by default' "the fixture's log of commands"; then
	t_eq 'inserts are unordered, with w majority by default' '{"ordered":false,"w":"majority"}' \
		"$(mongo_log | jq -c 'select(.cmd == "insert") | {ordered: .doc.ordered, w: .doc.writeConcern.w}' | sort -u)"
	run fs-sink-mongo --db "$MONGO_DB" -w 1 "$T/kinds.ndjson"
	t_eq '-w 1: the inserts ask for w 1' '1' \
		"$(mongo_log | jq -c 'select(.cmd == "insert") | .doc.writeConcern.w' | tail -n 1)"
	t_eq 'the sink pings the server before it reads' 'ping' \
		"$(mongo_log | jq -r '.cmd' | grep -E '^(ping|insert)$' | head -n 1)"
fi
run fs-sink-mongo --db "$MONGO_DB" -w 1 --stats "$T/kinds.ndjson"
t_eq '-w 1: exit 0' 0 "$status"

# --- Batches on time, and an idle input -----------------------------------------

rm -f "$T/fifo"
mkfifo "$T/fifo"
fs-sink-mongo --db "$MONGO_DB" --collection slow --stats --batch-wait 200ms <"$T/fifo" >"$T/bg.out" 2>"$T/bg.err" &
pid=$!
exec 3>"$T/fifo"
head -n 3 "$T/in.ndjson" >&3
got=0
for _ in $(seq 600); do
	got=$(mongo_count slow)
	[ "$got" -ge 3 ] && break
	sleep 0.05
done
t_eq '--batch-wait 200ms: records of an open input are stored when the batch has waited' 3 "$got"
exec 3>&-
wait "$pid"
t_eq '--batch-wait 200ms: exit 0 at the end of the input' 0 "$?"

# --- --init ----------------------------------------------------------------

run fs-sink-mongo --db "$MONGO_DB" --collection indexed --init
t_eq '--init: exit 0' 0 "$status"
t_eq '--init: the indexes' \
	"$(printf '%s\n' '{"name": "_id_", "key": {"_id": 1}, "expireAfterSeconds": null}' \
		'{"name": "icao24_timestamp", "key": {"icao24": 1, "timestamp": 1}, "expireAfterSeconds": null}' \
		'{"name": "timestamp", "key": {"timestamp": 1}, "expireAfterSeconds": null}')" \
	"$(mongo_info indexed | grep '"name"' | sort)"
run fs-sink-mongo --db "$MONGO_DB" --collection indexed --init "$T/kinds.ndjson"
t_eq '--init again, then a file: exit 0' 0 "$status"
t_eq '--init again, then a file: stored' 1 "$(mongo_count indexed)"

run fs-sink-mongo --db "$MONGO_DB" --collection ttl --init --ttl 30d
t_eq '--init --ttl: exit 0' 0 "$status"
t_match '--init --ttl: the timestamp index expires documents' \
	'"name": "timestamp", "key": \{"timestamp": 1\}, "expireAfterSeconds": 2592000' "$(mongo_info ttl)"

run fs-sink-mongo --db "$MONGO_DB" --collection ts --init --timeseries --ttl 2d
t_eq '--init --timeseries: exit 0' 0 "$status"
t_match '--init --timeseries: a time-series collection of timestamp and icao24, expiring' \
	'"type": "timeseries", "timeseries": \{"timeField": "timestamp", "metaField": "icao24", "granularity": "seconds".*\}, "expireAfterSeconds": 172800' \
	"$(mongo_info ts | grep '"type"')"
run fs-sink-mongo --db "$MONGO_DB" --collection ts --init --timeseries
t_eq '--init --timeseries again: exit 0' 0 "$status"
t_match '--init --timeseries again: says the collection is kept' 'exists already: kept as it is' "$err"
run fs-sink-mongo --db "$MONGO_DB" --collection ts --stats "$T/in.ndjson"
t_eq 'a time-series collection: stored' "$n $n" "$(stat in) $(stat out)"
t_eq 'a time-series collection: every record' "$n" "$(mongo_count ts)"

t_done
