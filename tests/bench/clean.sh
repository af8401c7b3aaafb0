#!/usr/bin/env bash
# bench/clean.sh: fs-clean beside the floor and jq, and its memory.
#
# One run, one input: the simulator's 1,000,000 records with 1% of every
# fault (malformed lines too). Reported as ratios, with the targets:
#   fs-clean / jq doing what jq can of the same job     at least 10x
#   fs-clean / the floor (yajl reading, no work)         at least 0.4x
#   resident memory with 20,000 aircraft                under 64 MiB
# The floor stops at the first line that is not JSON, so it reads the
# same file without its malformed lines (about 1% of them).
#
# Environment: O (build directory), FS_BENCH_RECORDS (default 1000000),
# FS_BENCH_RUNS (default 3), FS_BENCH_JQ_RUNS (default 1: jq is slow).
set -euo pipefail
O=${O:-build}
BIN=$O/bin
RECORDS=${FS_BENCH_RECORDS:-1000000}
RUNS=${FS_BENCH_RUNS:-3}
JQ_RUNS=${FS_BENCH_JQ_RUNS:-1}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
in=$dir/sim.ndjson

aircraft=1000
secs=$((RECORDS / aircraft * 10))
"$BIN"/fs-produce sim --seed 7 --aircraft $aircraft --duration "${secs}s" --speed max \
	--faults all=0.01 >"$in" 2>/dev/null
# The lines jq can parse, byte for byte, for the floor.
jq -R -r 'select((try fromjson catch null) != null)' "$in" >"$dir/valid.ndjson"
n=$(wc -l <"$in")
echo "fs-clean: $n records ($(du -h "$in" | cut -f1)) with 1% of every fault, $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ)"

# What jq can do of fs-clean's job: parse each line, check the types and
# ranges, normalise icao24, convert the units, add the calendar and grid.
# (No deduplication, kinematics, flags or phases: jq has no state per aircraft.)
cat >"$dir/clean.jq" <<'EOF'
def num_in($lo; $hi): . == null or (type == "number" and . >= $lo and . <= $hi);
def conv($f): if . == null then null else . * $f end;
fromjson? | select(type == "object")
| select((.icao24 | type) == "string" and (.icao24 | test("^[0-9a-fA-F]{6}$")))
| ((.timestamp | if type == "number" then (if fabs > 1e11 then . / 1000 else . end)
	elif type == "string" then (sub("\\.[0-9]+"; "") | fromdateiso8601)
	else null end)? // null) as $t
| select($t != null and $t >= 946684800)
| select((.latitude | num_in(-90; 90)) and (.longitude | num_in(-180; 180))
	and (.baro_altitude | num_in(-1500; 25000)) and (.geo_altitude | num_in(-1500; 25000))
	and (.velocity | num_in(0; 1000)) and (.vertical_rate | num_in(-150; 150))
	and (.heading == null or (.heading | type == "number" and . >= 0 and . < 360)))
| ($t | gmtime) as $tm
| .icao24 |= ascii_downcase
| .timestamp = ($t | todate)
| .velocity_kt = (.velocity | conv(3600 / 1852))
| .altitude_ft = (.baro_altitude | conv(1 / 0.3048))
| .geo_altitude_ft = (.geo_altitude | conv(1 / 0.3048))
| .vertical_rate_fpm = (.vertical_rate | conv(60 / 0.3048))
| .hour = $tm[3] | .day_of_week = (($tm[6] + 6) % 7)
| .hour_sin = (.hour * 3.141592653589793 / 12 | sin) | .hour_cos = (.hour * 3.141592653589793 / 12 | cos)
| .grid_x = (.longitude | if . == null then null else floor end)
| .grid_y = (.latitude | if . == null then null else floor end)
EOF

# hyperfine's warnings (a cold first run) are noise here; its errors are not.
hyperfine --style none --runs "$RUNS" --warmup 1 --export-json "$dir/h.json" \
	"$O/tests/floor < $dir/valid.ndjson > /dev/null" \
	"$BIN/fs-clean -q $in > /dev/null" >/dev/null 2>"$dir/h.err" || { cat "$dir/h.err" >&2; exit 1; }
hyperfine --style none --runs "$JQ_RUNS" --export-json "$dir/jq.json" \
	"jq -c -R -f $dir/clean.jq $in > /dev/null" >/dev/null 2>"$dir/h.err" || { cat "$dir/h.err" >&2; exit 1; }
floor=$(jq '.results[0].mean' "$dir/h.json")
clean=$(jq '.results[1].mean' "$dir/h.json")
jqt=$(jq '.results[0].mean' "$dir/jq.json")

# The same ratios as make bench, and the targets.
printf '%-34s %10s %14s %10s\n' program "time s" "events/s" "x floor"
row() { awk -v name="$1" -v t="$2" -v n="$n" -v f="$floor" \
	'BEGIN { printf "%-34s %10.3f %14.0f %10.2f\n", name, t, n / t, t / f }'; }
row 'floor (yajl, no work)' "$floor"
row 'fs-clean' "$clean"
row 'jq: validate and convert (peer)' "$jqt"
verdict() { awk -v v="$1" -v t="$2" 'BEGIN { print (v >= t ? "met" : "NOT MET") }'; }
speedup=$(awk -v a="$jqt" -v b="$clean" 'BEGIN { printf "%.1f", a / b }')
share=$(awk -v a="$floor" -v b="$clean" 'BEGIN { printf "%.2f", a / b }')
echo "fs-clean throughput / jq:    ${speedup}x (target 10x: $(verdict "$speedup" 10))"
echo "fs-clean throughput / floor: ${share}x (target 0.4x: $(verdict "$share" 0.4))"

# Memory: 20,000 aircraft for 20 minutes of event time, so that every
# aircraft's deduplication window (10 minutes) is full. GNU time (Debian
# package time) reports the peak resident set.
if [ ! -x /usr/bin/time ]; then
	echo "fs-clean resident memory: not measured: /usr/bin/time is missing (apt-get install time)"
	exit 0
fi
"$BIN"/fs-produce sim --seed 7 --aircraft 20000 --duration 20m --speed max --faults all=0.01 \
	2>/dev/null | /usr/bin/time -f '%M' -o "$dir/rss" "$BIN"/fs-clean -q >/dev/null
rss=$(cat "$dir/rss")
echo "fs-clean resident memory, 20000 aircraft: $((rss / 1024)) MiB (target under 64 MiB: $(
	[ "$rss" -lt $((64 * 1024)) ] && echo met || echo NOT MET))"
