#!/usr/bin/env bash
# fs-sink-mongo and records it cannot store: each is a reject with a
# code (and the server's code and message when the server refused it),
# kept byte for byte, and the rest of the batch is still stored.
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/tools/mongo-harness"

t_built fs-sink-mongo
t_need jq
mongo_test

# The collection refuses documents with the field fs_refuse (a validator): a write error, code 121.
mongo_py create checked fs_refuse

deep=$(printf '%0.s[' $(seq 101))1$(printf '%0.s]' $(seq 101))
ok_deep=$(printf '%0.s[' $(seq 90))1$(printf '%0.s]' $(seq 90))
# One record per line: the code it must get, the record. "ok" is stored, "dup" a duplicate.
cases=$(cat <<EOF
ok	{"timestamp":"2026-01-01T00:00:00Z","icao24":"abc123","latitude":1}
dup	{"timestamp":"2026-01-01T00:00:00.000Z","icao24":"abc123","latitude":2}
dup	{"timestamp":1767225600000,"icao24":"abc123"}
db.121	{"timestamp":"2026-01-01T00:00:01Z","icao24":"abc123","fs_refuse":"please"}
db.121	{"timestamp":"2026-01-01T00:00:02Z","icao24":"abc123","fs_refuse":null}
missing.icao24	{"timestamp":"2026-01-01T00:00:03Z","latitude":1}
missing.icao24	{"timestamp":"2026-01-01T00:00:04Z","icao24":null}
missing.timestamp	{"icao24":"abc123"}
missing.timestamp	{"icao24":"abc123","timestamp":null}
type.icao24	{"timestamp":"2026-01-01T00:00:05Z","icao24":12}
type.icao24	{"timestamp":"2026-01-01T00:00:06Z","icao24":""}
type.timestamp	{"timestamp":true,"icao24":"abc123"}
type.timestamp	{"timestamp":{"t":1},"icao24":"abc123"}
format.timestamp	{"timestamp":"yesterday","icao24":"abc123"}
range.timestamp	{"timestamp":1e15,"icao24":"abc123"}
format.window_start	{"timestamp":"2026-01-01T00:00:07Z","icao24":"abc123","window_start":"soon"}
type.processing_timestamp	{"timestamp":"2026-01-01T00:00:08Z","icao24":"abc123","processing_timestamp":[1]}
range.velocity	{"timestamp":"2026-01-01T00:00:09Z","icao24":"abc123","velocity":1e999}
range.mine	{"timestamp":"2026-01-01T00:00:10Z","icao24":"abc123","mine":{"a":[-1e400]}}
duplicate_key	{"timestamp":"2026-01-01T00:00:11Z","icao24":"abc123","latitude":1,"latitude":2}
reserved._id	{"_id":"x","timestamp":"2026-01-01T00:00:12Z","icao24":"abc123"}
field_name	{"timestamp":"2026-01-01T00:00:13Z","icao24":"abc123","\$set":1}
field_name	{"timestamp":"2026-01-01T00:00:14Z","icao24":"abc123","o":{"\$where":"1"}}
encoding	{"timestamp":"2026-01-01T00:00:15Z","icao24":"abc123","callsign":"\udc00"}
encoding	{"timestamp":"2026-01-01T00:00:16Z","icao24":"abc123","a\u0000b":1}
too_deep	{"timestamp":"2026-01-01T00:00:17Z","icao24":"abc123","deep":$deep}
not_object	[1,2,3]
parse	{"timestamp":
parse	{"timestamp":"2026-01-01T00:00:18Z","icao24":"abc123"} trailing
ok	{"timestamp":"2026-01-01T00:00:19Z","icao24":"abc123","callsign":"\ud83d\ude00 \u00e9\"","deep":$ok_deep,"nul":"a\u0000b"}
ok	{"timestamp":"2026-01-01T00:00:20Z","icao24":"ABC123","o.k":1,"":2}
ok	{"timestamp":"2026-01-01T00:00:21Z","icao24":"abc123","window_end":null,"fs_refuse_not":1}
EOF
)
printf '%s\n' "$cases" | cut -f2- >"$T/in.ndjson"
printf '\xff{"timestamp":"2026-01-01T00:00:22Z","icao24":"abc123"}\n' >>"$T/in.ndjson"
cases=$(printf '%s\nencoding\tx' "$cases")
nbad=$(printf '%s\n' "$cases" | grep -vEc '^(ok|dup)	')
ngood=$(printf '%s\n' "$cases" | grep -c '^ok	')
ndup=$(printf '%s\n' "$cases" | grep -c '^dup	')

run fs-sink-mongo --db "$MONGO_DB" --collection checked --stats --reject "$T/rej.ndjson" "$T/in.ndjson"
t_eq 'bad records: exit 0' 0 "$status"
t_eq 'bad records: stats in, out, duplicates, rejected' "$((nbad + ngood + ndup)) $ngood $ndup $nbad" \
	"$(stat in) $(stat out) $(stat duplicates) $(stat rejected)"
t_eq 'bad records: the good ones of the batch are stored' "$ngood" "$(mongo_count checked)"
t_eq 'every reject has its code' \
	"$(printf '%s\n' "$cases" | grep -vE '^(ok|dup)	' | cut -f1 | sort)" \
	"$(jq -r .reject.code "$T/rej.ndjson" | sort)"
while IFS=$'\t' read -r code rec; do
	case $code in ok | dup) continue ;; esac
	[ "$code" = encoding ] && [ "$rec" = x ] && continue
	got=$(jq -r --arg l "$rec" 'select(.line == $l) | .reject.code' "$T/rej.ndjson")
	t_eq "$code: ${rec:0:100}" "$code" "$got"
done <<<"$cases"
t_eq 'rejects keep the lines byte for byte' \
	"$(printf '%s\n' "$cases" | grep -vE '^(ok|dup)	' | grep -v '^encoding	x$' | cut -f2- | sort)" \
	"$(jq -r 'select(.line) | .line' "$T/rej.ndjson" | sort)"
t_eq 'a line that is not UTF-8 is kept in base64' 1 "$(jq -c 'select(.line_base64)' "$T/rej.ndjson" | wc -l)"
t_match 'a document the server refused: the server'"'"'s message' \
	'"tool":"fs-sink-mongo","code":"db.121","message":"Document failed validation' \
	"$(grep -m1 db.121 "$T/rej.ndjson")"
t_match 'a record without icao24: says so' '"message":"icao24 is absent"' "$(grep -m1 missing.icao24 "$T/rej.ndjson")"
t_eq 'the stored documents keep what BSON can hold: a NUL in a string, odd field names' \
	'{"$numberLong":"1"} {"$numberLong":"2"} "a\u0000b"' \
	"$(mongo_dump checked | jq -c '.["o.k"], .[""], .nul | select(. != null)' | paste -sd ' ')"

# The same again: what was stored is now all duplicates; the rejects are the same.
run fs-sink-mongo --db "$MONGO_DB" --collection checked --stats --reject "$T/rej2.ndjson" "$T/in.ndjson"
t_eq 'again: exit 0, the stored ones are duplicates, the same rejects' \
	"0 0 $((ngood + ndup)) $nbad" "$status $(stat out) $(stat duplicates) $(stat rejected)"

# Without --reject: the first rejects on stderr, and the count.
run fs-sink-mongo --db "$MONGO_DB" --collection checked "$T/in.ndjson"
t_eq 'no --reject: exit 0' 0 "$status"
t_match 'no --reject: rejects are counted on stderr' "$nbad records? rejected" "$err"

# Rejects that cannot be written: exit 1.
run fs-sink-mongo --db "$MONGO_DB" --collection checked --reject /nonexistent/dir/rej "$T/in.ndjson"
t_eq 'a reject file that cannot be made: exit 1' 1 "$status"

t_done
