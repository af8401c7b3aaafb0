#!/usr/bin/env bash
# bench/kafka.sh: the Kafka transport beside kcat and beside stdio.
#
# One mock cluster (librdkafka's, tests/tools/kafka_mock.c) on loopback,
# one input: the simulator's records. Side by side in each run, best of
# the runs, reported as ratios, with the targets:
#   fs-produce replay --speed max --to kafka:T / kcat -P -t T     at least 0.9x
#   fs-clean kafka -> kafka / fs-clean file -> /dev/null          at least 0.5x
# fs-clean's Kafka rate is taken from its --stats lines from the first
# record read to the end (flush included), so that the 3 s the mock
# takes to form a new group do not count; the producers are timed whole.
# Each client runs with its defaults: fs-produce compresses with lz4,
# kcat does not compress.
# The producers write 1,000,000 records (shorter runs are mostly noise on
# a shared machine); fs-clean reads the first 200,000 from a topic of 32
# partitions: the mock keeps only 5 MiB of each.
#
# Environment: O (build directory), FS_BENCH_RECORDS (default 1000000,
# the producers' input), FS_BENCH_KAFKA_RECORDS (default 200000,
# fs-clean's), FS_BENCH_RUNS (default 3). FS_BENCH_BEFORE, the build
# directory of an earlier version: its fs-produce and fs-clean run
# beside these in each run, and the new / before ratios are reported.
set -euo pipefail
O=${O:-build}
BIN=$O/bin
BEFORE=${FS_BENCH_BEFORE:-}
RECORDS=${FS_BENCH_RECORDS:-1000000}
CRECORDS=${FS_BENCH_KAFKA_RECORDS:-200000}
RUNS=${FS_BENCH_RUNS:-3}
KC=(-X session.timeout.ms=6000 -X heartbeat.interval.ms=500)

if [ ! -x "$O/tests/kafka_mock" ] || ! command -v kcat >/dev/null; then
	echo "kafka: not measured: needs $O/tests/kafka_mock (make test-progs) and kcat"
	exit 0
fi
dir=$(mktemp -d)
mock=
cleanup() {
	exec 8>&- 2>/dev/null || true
	[ -n "$mock" ] && kill "$mock" 2>/dev/null && wait "$mock" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT
in=$dir/sim.ndjson

aircraft=1000
secs=$((RECORDS * 10 / aircraft))
"$BIN"/fs-produce sim --seed 7 --aircraft $aircraft --duration "${secs}s" --speed max >"$in" 2>/dev/null
n=$(wc -l <"$in")
head -n "$CRECORDS" "$in" >"$dir/c.ndjson"
cn=$(wc -l <"$dir/c.ndjson")

mkfifo "$dir/ctl"
# The mock keeps what is produced in memory it has just allocated, and on
# this kind of machine each first touch of a page is a costly fault: with
# 32 partitions of 5 MiB nothing is reused within a run, and the broker,
# on the same two cores, took a third of the CPU of a Kafka-to-Kafka
# fs-clean. A broker elsewhere would not charge that to the clients; huge
# pages (glibc 2.35+, where transparent huge pages are on) make it 1/512
# of the faults, for kcat and for us alike.
GLIBC_TUNABLES=glibc.malloc.hugetlb=1 "$O/tests/kafka_mock" in:32 <"$dir/ctl" >"$dir/mock.out" 2>"$dir/mock.err" &
mock=$!
exec 8>"$dir/ctl"
for _ in $(seq 200); do
	[ -s "$dir/mock.out" ] && break
	sleep 0.05
done
B=$(head -n 1 "$dir/mock.out")
export FS_KAFKA_BROKERS=$B
answers=1
topic() {
	answers=$((answers + 1))
	echo "topic $1 $2" >&8
	for _ in $(seq 200); do
		[ "$(wc -l <"$dir/mock.out")" -ge "$answers" ] && return 0
		sleep 0.05
	done
	return 1
}

echo "kafka: producers $n records ($(du -h "$in" | cut -f1)), fs-clean $cn, mock cluster on loopback, $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ)"
"$BIN"/fs-produce replay --speed max --to kafka:in "$dir/c.ndjson"

secs_of() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f\n", (b - a) / 1e9 }'; }
best() { sort -g | head -n 1; }
: >"$dir/kcat.t"
: >"$dir/prod.t"
: >"$dir/stdio.t"
: >"$dir/k2k.rate"
: >"$dir/b.prod.t"
: >"$dir/b.stdio.t"
: >"$dir/b.k2k.rate"
# k2k_rate: records/s of a Kafka-to-Kafka fs-clean, from its first --stats line with records read to the last.
k2k_rate() {
	grep -o '"elapsed_s":[0-9.]*,"in":[0-9]*' "$1" | tr -d '"a-z_' | tr ':' ' ' |
		awk -F'[ ,]+' '$3 > 0 && !t0 { t0 = $2; n0 = $3 } { t = $2; n = $3 }
			END { if (t > t0) printf "%.0f\n", (n - n0) / (t - t0); else print 0 }'
}
for i in $(seq "$RUNS"); do
	topic "pk$i" 4
	topic "pf$i" 4
	topic "out$i" 32
	t0=$(date +%s%N)
	kcat -b "$B" -P -t "pk$i" <"$in"
	t1=$(date +%s%N)
	"$BIN"/fs-produce replay -q --speed max --to "kafka:pf$i" "$in"
	t2=$(date +%s%N)
	"$BIN"/fs-clean -q "$dir/c.ndjson" >/dev/null
	t3=$(date +%s%N)
	"$BIN"/fs-clean -q --from kafka:in --to "kafka:out$i" -G "bench$i" -e --stats=0.05 "${KC[@]}" \
		2>"$dir/k2k.err"
	secs_of "$t0" "$t1" >>"$dir/kcat.t"
	secs_of "$t1" "$t2" >>"$dir/prod.t"
	secs_of "$t2" "$t3" >>"$dir/stdio.t"
	k2k_rate "$dir/k2k.err" >>"$dir/k2k.rate"
	if [ -n "$BEFORE" ]; then
		topic "bf$i" 4
		topic "bout$i" 32
		t0=$(date +%s%N)
		"$BEFORE"/bin/fs-produce replay -q --speed max --to "kafka:bf$i" "$in"
		t1=$(date +%s%N)
		"$BEFORE"/bin/fs-clean -q "$dir/c.ndjson" >/dev/null
		t2=$(date +%s%N)
		"$BEFORE"/bin/fs-clean -q --from kafka:in --to "kafka:bout$i" -G "before$i" -e \
			--stats=0.05 "${KC[@]}" 2>"$dir/b.k2k.err"
		secs_of "$t0" "$t1" >>"$dir/b.prod.t"
		secs_of "$t1" "$t2" >>"$dir/b.stdio.t"
		k2k_rate "$dir/b.k2k.err" >>"$dir/b.k2k.rate"
	fi
	if [ -n "${FS_BENCH_KAFKA_CHECK-}" ]; then
		for t in "pk$i" "pf$i"; do
			c=0
			for p in 0 1 2 3; do
				c=$((c + $(kcat -b "$B" -Q -t "$t:$p:-1" | awk '{ print $NF }')))
			done
			echo "check: $t has $c messages"
		done
	fi
	printf 'run %d: kcat -P %ss, fs-produce %ss, fs-clean stdio %ss, fs-clean kafka %s records/s\n' "$i" \
		"$(tail -n 1 "$dir/kcat.t")" "$(tail -n 1 "$dir/prod.t")" "$(tail -n 1 "$dir/stdio.t")" \
		"$(tail -n 1 "$dir/k2k.rate")"
done

kcat_t=$(best <"$dir/kcat.t")
prod_t=$(best <"$dir/prod.t")
stdio_t=$(best <"$dir/stdio.t")
k2k=$(sort -g "$dir/k2k.rate" | tail -n 1)
printf '%-44s %10s %14s\n' "best of $RUNS" "time s" "records/s"
row() { awk -v name="$1" -v t="$2" -v n="$n" 'BEGIN { printf "%-44s %10.3f %14.0f\n", name, t, n / t }'; }
row 'kcat -P -t T (peer)' "$kcat_t"
row 'fs-produce replay --speed max --to kafka:T' "$prod_t"
awk -v name='fs-clean file > /dev/null' -v t="$stdio_t" -v n="$cn" 'BEGIN { printf "%-44s %10.3f %14.0f\n", name, t, n / t }'
awk -v name='fs-clean kafka:in -> kafka:out' -v r="$k2k" 'BEGIN { printf "%-44s %10s %14.0f\n", name, "-", r }'
verdict() { awk -v v="$1" -v t="$2" 'BEGIN { print (v >= t ? "met" : "NOT MET") }'; }
pr=$(awk -v a="$kcat_t" -v b="$prod_t" 'BEGIN { printf "%.2f", a / b }')
cr=$(awk -v r="$k2k" -v t="$stdio_t" -v n="$cn" 'BEGIN { printf "%.2f", r / (n / t) }')
echo "fs-produce --to kafka / kcat -P:        ${pr}x (target 0.9x: $(verdict "$pr" 0.9))"
echo "fs-clean kafka -> kafka / fs-clean stdio: ${cr}x (target 0.5x: $(verdict "$cr" 0.5))"
if [ -n "$BEFORE" ]; then
	bp=$(best <"$dir/b.prod.t")
	bs=$(best <"$dir/b.stdio.t")
	bk=$(sort -g "$dir/b.k2k.rate" | tail -n 1)
	echo "beside the build in $BEFORE, in the same runs (speed now / speed before, best of $RUNS):"
	awk -v a="$bp" -v b="$prod_t" 'BEGIN { printf "  fs-produce --to kafka:   %.2fx\n", a / b }'
	awk -v a="$bs" -v b="$stdio_t" 'BEGIN { printf "  fs-clean stdio:          %.2fx\n", a / b }'
	awk -v a="$bk" -v b="$k2k" 'BEGIN { printf "  fs-clean kafka -> kafka: %.2fx\n", b / a }'
	awk -v a="$kcat_t" -v b="$bp" 'BEGIN { printf "  before: fs-produce --to kafka / kcat -P %.2fx\n", a / b }'
	awk -v r="$bk" -v t="$bs" -v n="$cn" 'BEGIN { printf "  before: fs-clean kafka -> kafka / stdio %.2fx\n", r / (n / t) }'
fi
