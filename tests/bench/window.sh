#!/usr/bin/env bash
# bench/window.sh: fs-window beside the floor and Python, and its memory.
#
# One run, one input: the bench file of make bench, the simulator's
# 1,000,000 records of 1000 aircraft. fs-window makes tumbling windows of
# 10 minutes per aircraft and of all aircraft (--by icao24 --by '*').
# Reported as ratios, with the targets:
#   fs-window / the floor (yajl reading, no work)         at least 0.5x
#   resident memory, 20,000 aircraft in per-aircraft windows  under 128 MiB
# The peer, Python's json module with a dict per window, does the same
# counting without watermarks (it holds every window to the end).
#
# Environment: O (build directory), FS_BENCH_RECORDS (default 1000000),
# FS_BENCH_RUNS (default 3).
set -euo pipefail
O=${O:-build}
BIN=$O/bin
RECORDS=${FS_BENCH_RECORDS:-1000000}
RUNS=${FS_BENCH_RUNS:-3}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
in=$dir/sim.ndjson

aircraft=1000
secs=$((RECORDS * 10 / aircraft))
"$BIN"/fs-produce sim --seed 7 --aircraft $aircraft --duration "${secs}s" --speed max >"$in" 2>/dev/null
n=$(wc -l <"$in")
echo "fs-window: $n records ($(du -h "$in" | cut -f1)), $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ)"

# The peer: the same windows and aggregates in Python, all held to the end.
cat >"$dir/window.py" <<'EOF'
import json, sys
from datetime import datetime
W = 600000
wins = {}
def parse(ts):
    return int(datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp() * 1000)
for line in sys.stdin:
    r = json.loads(line)
    t = parse(r["timestamp"])
    s = t - t % W
    for k in (r.get("icao24"), "*"):
        w = wins.get((s, k))
        if w is None:
            w = wins[(s, k)] = [0, 0.0, 0, None, None, set()]
        w[0] += 1
        v = r.get("velocity")
        if isinstance(v, (int, float)):
            w[1] += v
            w[2] += 1
            w[3] = v if w[3] is None else min(w[3], v)
            w[4] = v if w[4] is None else max(w[4], v)
        w[5].add(r.get("icao24"))
out = sys.stdout
for (s, k), w in sorted(wins.items(), key=lambda x: (x[0][0], x[0][1] == "*", x[0][1])):
    out.write(json.dumps({"window_start": s, "key": k, "event_count": w[0],
        "avg_velocity": w[1] / w[2] if w[2] else None, "min_velocity": w[3],
        "max_velocity": w[4], "unique_aircraft": len(w[5])}) + "\n")
EOF

# hyperfine's warnings (a cold first run) are noise here; its errors are not.
hyperfine --style none --runs "$RUNS" --warmup 1 --export-json "$dir/h.json" \
	"$O/tests/floor < $in > /dev/null" \
	"$BIN/fs-window -q --by icao24 --by '*' $in > /dev/null" \
	"$BIN/fs-window -q --by icao24 --by '*' --size 10m --hop 1m $in > /dev/null" \
	"$BIN/fs-window -q --by icao24 --session-gap 10m $in > /dev/null" \
	>/dev/null 2>"$dir/h.err" || { cat "$dir/h.err" >&2; exit 1; }
hyperfine --style none --runs 1 --export-json "$dir/py.json" \
	"/usr/bin/python3 $dir/window.py < $in > /dev/null" >/dev/null 2>"$dir/h.err" ||
	{ cat "$dir/h.err" >&2; exit 1; }
floor=$(jq '.results[0].mean' "$dir/h.json")
win=$(jq '.results[1].mean' "$dir/h.json")
hop=$(jq '.results[2].mean' "$dir/h.json")
ses=$(jq '.results[3].mean' "$dir/h.json")
py=$(jq '.results[0].mean' "$dir/py.json")

printf '%-44s %10s %14s %10s\n' program "time s" "events/s" "x floor"
row() { awk -v name="$1" -v t="$2" -v n="$n" -v f="$floor" \
	'BEGIN { printf "%-44s %10.3f %14.0f %10.2f\n", name, t, n / t, t / f }'; }
row 'floor (yajl, no work)' "$floor"
row "fs-window --by icao24 --by '*'" "$win"
row "fs-window ... --size 10m --hop 1m" "$hop"
row 'fs-window --by icao24 --session-gap 10m' "$ses"
row 'python3: json, a dict per window (peer)' "$py"
verdict() { awk -v v="$1" -v t="$2" 'BEGIN { print (v >= t ? "met" : "NOT MET") }'; }
share=$(awk -v a="$floor" -v b="$win" 'BEGIN { printf "%.2f", a / b }')
speedup=$(awk -v a="$py" -v b="$win" 'BEGIN { printf "%.1f", a / b }')
echo "fs-window throughput / floor:  ${share}x (target 0.5x: $(verdict "$share" 0.5))"
echo "fs-window throughput / python: ${speedup}x"

# Memory: 20,000 aircraft for 20 minutes of event time in per-aircraft
# windows, and all aircraft together. GNU time (Debian package time)
# reports the peak resident set.
if [ ! -x /usr/bin/time ]; then
	echo "fs-window resident memory: not measured: /usr/bin/time is missing (apt-get install time)"
	exit 0
fi
"$BIN"/fs-produce sim --seed 7 --aircraft 20000 --duration 20m --speed max 2>/dev/null |
	/usr/bin/time -f '%M' -o "$dir/rss" "$BIN"/fs-window -q --by icao24 --by '*' >/dev/null
rss=$(cat "$dir/rss")
echo "fs-window resident memory, 20000 aircraft: $((rss / 1024)) MiB (target under 128 MiB: $(
	[ "$rss" -lt $((128 * 1024)) ] && echo met || echo NOT MET))"
