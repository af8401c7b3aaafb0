#!/usr/bin/env bash
# fs-produce mongo: the records fs-sink-mongo stored come back exactly
# as they were (same fields, same order, same numbers), in timestamp
# order, for a time range and a list of aircraft. Against the MongoDB
# fixture, or the server of FS_TEST_MONGO_URI.
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/tools/mongo-harness"

t_built fs-sink-mongo fs-produce
t_need jq
mongo_test

# pick FILTER FILE: the lines of FILE, byte for byte, whose record passes the jq FILTER.
pick() {
	jq -Rr ". as \$l | (try fromjson catch null) | select(type == \"object\") | . as \$r | select($1) | \$l" "$2"
}
# ordered: the records of FILE in the order fs-produce mongo gives: by time, then icao24 (the _id).
ordered() {
	jq -r '[.timestamp, .icao24, tojson] | @tsv' "$1" | LC_ALL=C sort -t "$(printf '\t')" -k1,1 -k2,2 -s |
		cut -f3- | sed 's/\\\\/\\/g'
}

# 3 hours of 30 aircraft, with faults (odd values) and the truth (arrays).
fs-produce sim --seed 5 --aircraft 30 --duration 3h --speed max --faults all=0.01 --truth >"$T/sim.ndjson"
# Records whose timestamp or icao24 was faulted away have no _id: those are rejects, not for here.
pick '(.icao24 | type) == "string" and .icao24 != "" and (.timestamp | type) == "string"' \
	"$T/sim.ndjson" >"$T/in.ndjson"
n=$(wc -l <"$T/in.ndjson")
t_true "most of the recording is usable ($n of $(wc -l <"$T/sim.ndjson"))" "$n" -gt "$(($(wc -l <"$T/sim.ndjson") * 9 / 10))"
run fs-sink-mongo --db "$MONGO_DB" --stats --reject "$T/rej.ndjson" "$T/in.ndjson"
t_eq 'the recording is stored (what the faults made unusable is rejected)' "0 $n" \
	"$status $(($(stat out) + $(stat duplicates) + $(stat rejected)))"
# Leave out what was rejected.
jq -r .line "$T/rej.ndjson" >"$T/bad.lines"
grep -vxF -f "$T/bad.lines" "$T/in.ndjson" >"$T/good.ndjson"
mv "$T/good.ndjson" "$T/in.ndjson"
# A record stored twice keeps its first copy: that is what comes back.
jq -rc '.icao24 + "/" + .timestamp' "$T/in.ndjson" | awk '!seen[$0]++ { print NR }' >"$T/first"
awk 'NR == FNR { keep[$1] = 1; next } keep[FNR]' "$T/first" "$T/in.ndjson" >"$T/stored.ndjson"
ns=$(wc -l <"$T/stored.ndjson")
t_eq 'stored: one document per aircraft and time' "$ns" "$(mongo_count raw)"

first=$(jq -r .timestamp "$T/in.ndjson" | sort | head -n 1)
since=2026-01-01T00:00:00Z
until=2026-01-02T00:00:00Z
t_true 'the recording is within the day' "${first:0:10}" = 2026-01-01

# --- The round trip ----------------------------------------------------------

run fs-produce mongo --db "$MONGO_DB" --since "$since" --until "$until" --stats
t_eq 'round trip: exit 0' 0 "$status"
printf '%s\n' "$out" >"$T/out.ndjson"
t_eq 'round trip: every record, once' "$ns $ns" "$(stat out) $(wc -l <"$T/out.ndjson")"
t_eq 'round trip: the same records, byte for byte (sorted)' \
	"$(LC_ALL=C sort "$T/stored.ndjson")" "$(LC_ALL=C sort "$T/out.ndjson")"
t_eq 'round trip: in timestamp order, then by icao24' "$(ordered "$T/stored.ndjson")" "$(cat "$T/out.ndjson")"
t_eq 'round trip: no _id' 0 "$(grep -c '"_id"' "$T/out.ndjson")"

# Through the sink again, from what came back: nothing new.
run fs-sink-mongo --db "$MONGO_DB" --stats "$T/out.ndjson"
t_eq 'what came back, stored again: all duplicates' "0 0 $ns" "$status $(stat out) $(stat duplicates)"

# --- Ranges and aircraft -------------------------------------------------------

a=$(jq -r .timestamp "$T/stored.ndjson" | sort | sed -n '100p')
b=$(jq -r .timestamp "$T/stored.ndjson" | sort | sed -n '200p')
run fs-produce mongo --db "$MONGO_DB" --since "$a" --until "$b"
t_eq '--since is inclusive, --until exclusive' \
	"$(pick ".timestamp >= \"$a\" and .timestamp < \"$b\"" "$T/stored.ndjson" | LC_ALL=C sort)" \
	"$(printf '%s\n' "$out" | LC_ALL=C sort)"
t_eq 'a range: in order' "$(printf '%s\n' "$out" | jq -r .timestamp | sort)" "$(printf '%s\n' "$out" | jq -r .timestamp)"

ms_a=$(date -d "$a" +%s%3N)
ms_b=$(date -d "$b" +%s%3N)
run fs-produce mongo --db "$MONGO_DB" --since "$ms_a" --until "$ms_b"
t_eq 'epoch milliseconds for --since and --until' \
	"$(pick ".timestamp >= \"$a\" and .timestamp < \"$b\"" "$T/stored.ndjson" | wc -l)" \
	"$(printf '%s\n' "$out" | grep -c .)"

pick=$(jq -r .icao24 "$T/stored.ndjson" | sort -u | head -n 2 | paste -sd, -)
run fs-produce mongo --db "$MONGO_DB" --since "$since" --until "$until" --icao24 "$(echo "$pick" | tr a-f A-F)"
t_eq '--icao24 LIST: those aircraft only (any case)' \
	"$(pick "\",$pick,\" | contains(\",\" + \$r.icao24 + \",\")" "$T/stored.ndjson" | LC_ALL=C sort)" \
	"$(printf '%s\n' "$out" | LC_ALL=C sort)"

run fs-produce mongo --db "$MONGO_DB" --since 2020-01-01T00:00:00Z --until 2020-01-02T00:00:00Z --stats
t_eq 'an empty range: exit 0, nothing' "0  0" "$status $out $(stat out)"

run fs-produce mongo --db "$MONGO_DB" --collection nothing_here --since "$since" --until "$until"
t_eq 'a collection that does not exist: exit 0, nothing' "0 " "$status $out"

# --- Numbers that must come back as they were ------------------------------------

# Each is the value of "v"; the output must be the same text, except where a right column says otherwise.
numbers=$(cat <<'EOF'
0
-1
42
9223372036854775807
-9223372036854775808
10.0
-0.0
0.5
0.1
100.0
1e-7
0.000001
0.00001
123456789.125
1.7976931348623157e+308
5e-324
2.2250738585072014e-308
1e+21
1.5e+300
0.30000000000000004
47.123456
-13.05157
1E5	100000.0
1.0e20	100000000000000000000.0
1e21	1e+21
-0	-0.0
18446744073709551616	18446744073709552000.0
2.50	2.5
EOF
)
i=0
: >"$T/num.ndjson"
while IFS=$'\t' read -r v _; do
	i=$((i + 1))
	printf '{"timestamp":"2026-03-01T00:00:%02d.000Z","icao24":"abcdef","v":%s,"a":[%s],"o":{"v":%s}}\n' \
		"$i" "$v" "$v" "$v" >>"$T/num.ndjson"
done <<<"$numbers"
run fs-sink-mongo --db "$MONGO_DB" --collection numbers "$T/num.ndjson"
t_eq 'numbers: stored' 0 "$status"
run fs-produce mongo --db "$MONGO_DB" --collection numbers --since 2026-03-01T00:00:00Z --until 2026-03-02T00:00:00Z
printf '%s\n' "$out" >"$T/num.out"
i=0
while IFS=$'\t' read -r v want; do
	i=$((i + 1))
	want=${want:-$v}
	t_eq "the number $v comes back as $want, at the top, in an array and in an object" \
		"$(printf '{"timestamp":"2026-03-01T00:00:%02d.000Z","icao24":"abcdef","v":%s,"a":[%s],"o":{"v":%s}}' \
			"$i" "$want" "$want" "$want")" "$(sed -n "${i}p" "$T/num.out")"
done <<<"$numbers"
# And what came back is stored with the same BSON types.
run fs-sink-mongo --db "$MONGO_DB" --collection numbers2 "$T/num.out"
t_eq 'numbers: what came back is stored with the same types' \
	"$(mongo_dump numbers | jq -c '[.v, .a, .o]')" "$(mongo_dump numbers2 | jq -c '[.v, .a, .o]')"

# Strings, nesting and time fields come back as the canonical record.
printf '%s\n' '{"timestamp":"2026-03-02T00:00:00Z","icao24":"abcdef","s":"\u00e9\/\"\t\u0001","n":null,"processing_timestamp":1772409600.5,"window_start":"2026-03-02T01:00:00+01:00","window_end":null,"x":[[],{},[{"a":[true]}]]}' \
	>"$T/canon.ndjson"
run fs-sink-mongo --db "$MONGO_DB" --collection canon "$T/canon.ndjson"
run fs-produce mongo --db "$MONGO_DB" --collection canon --since 2026-03-02T00:00:00Z --until 2026-03-03T00:00:00Z
t_eq 'times as RFC 3339 with milliseconds in UTC, strings with only the escapes JSON needs' \
	'{"timestamp":"2026-03-02T00:00:00.000Z","icao24":"abcdef","s":"é/\"\t\u0001","n":null,"processing_timestamp":"2026-03-02T00:00:00.500Z","window_start":"2026-03-02T00:00:00.000Z","window_end":null,"x":[[],{},[{"a":[true]}]]}' \
	"$out"

# --- Many documents: cursors and getMore ------------------------------------------

fs-produce sim --seed 6 --aircraft 100 --duration 1h --speed max --start 2026-04-01T00:00:00Z >"$T/many.ndjson"
nm=$(wc -l <"$T/many.ndjson")
run fs-sink-mongo --db "$MONGO_DB" --collection many "$T/many.ndjson"
timed fs-produce mongo --db "$MONGO_DB" --collection many --since 2026-04-01T00:00:00Z --until 2026-04-02T00:00:00Z
t_eq "$nm records, read through a cursor in batches: exit 0" 0 "$status"
t_eq "$nm records: every one, in order" "$(ordered "$T/many.ndjson")" "$out"
t_diag "fs-produce mongo read $nm records in ${ms} ms"
if mongo_fixture_only 'the query sorts by timestamp and _id, in batches of 1000, with getMore' \
	"the fixture's log of commands"; then
	t_eq 'the query sorts by timestamp and _id, in batches of 1000' \
		'{"sort":{"timestamp":1,"_id":1},"batchSize":1000,"allowDiskUse":true}' \
		"$(mongo_log | jq -c 'select(.cmd == "find" and .doc.find == "many") | {sort: .doc.sort, batchSize: .doc.batchSize, allowDiskUse: .doc.allowDiskUse}' | tail -n 1)"
	t_true 'the rest come with getMore' "$(mongo_log | jq -c 'select(.cmd == "getMore")' | wc -l)" -ge "$((nm / 1000 - 1))"
fi

# --- A time-series collection stores a replay twice: written once -----------------------

run fs-sink-mongo --db "$MONGO_DB" --collection series --init --timeseries
head -n 500 "$T/many.ndjson" >"$T/series.ndjson"
fs-sink-mongo --db "$MONGO_DB" --collection series "$T/series.ndjson"
fs-sink-mongo --db "$MONGO_DB" --collection series "$T/series.ndjson"
t_eq 'a time-series collection has each record twice' 1000 "$(mongo_count series)"
run fs-produce mongo --db "$MONGO_DB" --collection series --since 2026-04-01T00:00:00Z --until 2026-04-02T00:00:00Z --stats
t_eq 'fs-produce mongo writes each once, and counts the copies as duplicates' \
	"$(ordered "$T/series.ndjson") 500" "$out $(stat duplicates)"

# --- Its output into a pipe that closes --------------------------------------------

fs-produce mongo --db "$MONGO_DB" --collection many --since 2026-04-01T00:00:00Z --until 2026-04-02T00:00:00Z 2>"$T/pipe.err" | head -n 1 >/dev/null
t_eq 'a reader that goes away: fs-produce mongo ends quietly' '141 ' "${PIPESTATUS[0]} $(cat "$T/pipe.err")"

t_done
