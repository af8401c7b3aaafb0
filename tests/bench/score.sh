#!/usr/bin/env bash
# bench/score.sh: fs-score beside the floor and scikit-learn, in one run.
#
# Input: the simulator's records (1,000,000 by default) through fs-clean.
# Reported as ratios of CPU time (user + system), the least of the runs,
# with the targets:
#   fs-score --model / the floor (yajl reading, no work)    at least 0.3x
#   forest scoring / scikit-learn's score_samples, same rows  at least 20x
#   fs-score train on all the records                       under 1 s of CPU
# The forest's own cost is the time of fs-score with the model's 100
# trees less the time with its first tree only, scaled to 100 trees:
# both runs parse, impute and write alike. score_samples is timed alone,
# on a matrix already built, one core (OMP/BLAS threads 1), so the
# comparison leaves out what JSON costs each side. fs-score's whole run
# against score_samples alone is printed too.
#
# Environment: O (build directory), FS_BENCH_RECORDS (default 1000000),
# FS_BENCH_RUNS (default 3).
set -euo pipefail
O=${O:-build}
BIN=$O/bin
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
RECORDS=${FS_BENCH_RECORDS:-1000000}
RUNS=${FS_BENCH_RUNS:-3}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
in=$dir/clean.ndjson

aircraft=1000
secs=$((RECORDS / aircraft * 10))
"$BIN"/fs-produce sim --seed 7 --aircraft $aircraft --duration "${secs}s" --speed max 2>/dev/null |
	"$BIN"/fs-clean -q --no-clock-check >"$in"
n=$(wc -l <"$in")
echo "fs-score: $n clean records ($(du -h "$in" | cut -f1)), $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ)"

# Training: CPU time (user + system) of the whole run, by GNU time.
if [ -x /usr/bin/time ]; then
	/usr/bin/time -f '%U %S' -o "$dir/train.time" "$BIN"/fs-score train "$in" >"$dir/model.json"
	cpu=$(awk '{ printf "%.3f", $1 + $2 }' "$dir/train.time")
else
	"$BIN"/fs-score train "$in" >"$dir/model.json"
	cpu=
fi
jq -c '.trees = 1 | .forest = [.forest[0]]' "$dir/model.json" >"$dir/one.json"
trees=$(jq .trees "$dir/model.json")

# CPU time (user + system) of each, the least of RUNS runs taken in
# turn after a warm-up: other load on the machine only ever adds to a
# run, and the forest's share below is the difference of two of these,
# which one disturbed run (a mean over runs) could halve.
if [ ! -x /usr/bin/time ]; then
	echo "fs-score: not measured: /usr/bin/time is missing (apt-get install time)"
	exit 0
fi
cmds=("$O/tests/floor" "$BIN/fs-score -q --model $dir/model.json" "$BIN/fs-score -q --model $dir/one.json")
cpu_run() {
	# shellcheck disable=SC2086 # the command line is split on purpose
	/usr/bin/time -f '%U %S' -o "$dir/t" $1 <"$in" >/dev/null 2>"$dir/err" ||
		{ cat "$dir/err" >&2; exit 1; }
	awk '{ printf "%.3f\n", $1 + $2 }' "$dir/t"
}
for i in 0 1 2; do
	cpu_run "${cmds[$i]}" >/dev/null
	: >"$dir/cpu.$i"
done
for _ in $(seq "$RUNS"); do
	for i in 0 1 2; do
		cpu_run "${cmds[$i]}" >>"$dir/cpu.$i"
	done
done
least() { sort -g "$dir/cpu.$1" | head -n 1; }
floor=$(least 0)
full=$(least 1)
one=$(least 2)

# scikit-learn: trained on the first 100,000 records, score_samples timed on all of them.
head -100000 "$in" >"$dir/train.ndjson"
if /usr/bin/python3 -c 'import sklearn' 2>/dev/null; then
	read -r skn skt < <(/usr/bin/python3 "$ROOT/tests/peer/sklearn_iforest.py" --time \
		"$dir/model.json" "$dir/train.ndjson" "$in" "$dir/sk.txt")
else
	skn=0 skt=0
fi

printf '%-40s %10s %14s %10s\n' program "CPU s" "records/s" "x floor"
row() { awk -v name="$1" -v t="$2" -v n="$n" -v f="$floor" \
	'BEGIN { printf "%-40s %10.3f %14.0f %10.2f\n", name, t, n / t, t / f }'; }
row 'floor (yajl, no work)' "$floor"
row "fs-score --model ($trees trees)" "$full"
row 'fs-score --model (1 tree)' "$one"
forest=$(awk -v a="$full" -v b="$one" -v t="$trees" 'BEGIN { d = (a - b) * t / (t - 1); print (d > 0 ? d : 1e-9) }')
row "  its forest alone ($trees trees)" "$forest"
[ "$skt" != 0 ] && row "scikit-learn score_samples ($trees trees)" "$skt"
verdict() { awk -v v="$1" -v t="$2" 'BEGIN { print (v >= t ? "met" : "NOT MET") }'; }
share=$(awk -v a="$floor" -v b="$full" 'BEGIN { printf "%.2f", a / b }')
echo "fs-score --model throughput / floor:            ${share}x (target 0.3x: $(verdict "$share" 0.3))"
if [ "$skt" != 0 ]; then
	sk=$(awk -v a="$skt" -v b="$forest" -v n="$n" -v m="$skn" 'BEGIN { printf "%.1f", (n / b) / (m / a) }')
	whole=$(awk -v a="$skt" -v b="$full" -v n="$n" -v m="$skn" 'BEGIN { printf "%.1f", (n / b) / (m / a) }')
	echo "forest scoring / scikit-learn score_samples:    ${sk}x (target 20x: $(verdict "$sk" 20))"
	echo "whole fs-score run / score_samples alone:       ${whole}x (JSON in and out included)"
else
	echo "scikit-learn: not measured: /usr/bin/python3 lacks sklearn (apt-get install python3-sklearn)"
fi
if [ -n "$cpu" ]; then
	echo "fs-score train on $n records: ${cpu} s of CPU (target under 1 s: $(
		awk -v c="$cpu" 'BEGIN { print (c < 1 ? "met" : "NOT MET") }'))"
else
	echo "fs-score train: CPU time not measured: /usr/bin/time is missing (apt-get install time)"
fi
echo "detection quality (precision, recall, F1, AUC beside scikit-learn): tests/quality/run"
