#!/usr/bin/env bash
# bench/sinkpg.sh: fs-sink-pg beside psql's \copy of the same rows into a
# table of the same shape, on the same throwaway server, in one run.
#
# The input is the simulator's records through fs-clean (or the raw
# records when fs-clean is not built). Both targets are made by
# fs-sink-pg --init, in two schemas of one database, so they have the
# same columns, partitions, constraints and indexes; psql reads the rows
# as fs-sink-pg stored them (COPY text, exported once). Each run starts
# from empty tables after a checkpoint, and the runs of the two
# alternate, so that whatever else the machine does falls on both; the
# ratio is of the fastest run of each.
#
#   fs-sink-pg / psql \copy, rows per second     target at least 0.7x
#
# fs-sink-pg does more than psql here: it parses JSON, stages the rows,
# upserts them with ON CONFLICT, and keeps the aircraft table; psql only
# copies text into the table.
#
# Both sides run with the same settings: the server's (tests/pg-harness),
# autovacuum off on the tables loaded (each load would otherwise start one
# that runs on into the other side's run), and synchronous_commit on in
# psql's session as in fs-sink-pg's.
#
# Environment: O (build directory), FS_BENCH_PG_RECORDS (default
# 500000), FS_BENCH_RUNS (default 3), FS_PG_BIN (see tests/pg-harness),
# FS_BENCH_PG_BASE (another fs-sink-pg binary, say the one before a
# change, timed too, in the same runs, for a before and after).
set -euo pipefail
O=${O:-build}
case $O in
/*) ;;
*) O=$PWD/$O ;;
esac
BIN=$O/bin
RECORDS=${FS_BENCH_PG_RECORDS:-500000}
RUNS=${FS_BENCH_RUNS:-3}
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d)
PG_DIR=

# shellcheck source=../pg-harness
. "$here/../pg-harness"
if ! why=$(pg_usable); then
	echo "fs-sink-pg: skipped: $why"
	rm -rf "$dir"
	exit 0
fi
trap 'pg_stop; rm -rf "$dir"' EXIT
pg_start
in=$dir/in.ndjson

aircraft=1000
secs=$((RECORDS / aircraft * 10))
if [ -x "$BIN/fs-clean" ]; then
	"$BIN"/fs-produce sim --seed 7 --aircraft $aircraft --duration "${secs}s" --speed max |
		"$BIN"/fs-clean -q >"$in"
	what="fs-clean's output"
else
	"$BIN"/fs-produce sim --seed 7 --aircraft $aircraft --duration "${secs}s" --speed max >"$in"
	what="raw positions (fs-clean is not built)"
fi
n=$(wc -l <"$in")
echo "fs-sink-pg: $n records, $what ($(du -h "$in" | cut -f1)), $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ)"

pg_sql 'CREATE SCHEMA sink; CREATE SCHEMA copy'
PGOPTIONS=-csearch_path=sink "$BIN"/fs-sink-pg -q --init
PGOPTIONS=-csearch_path=copy "$BIN"/fs-sink-pg -q --init
# The rows, as fs-sink-pg stores them, for psql; and the partitions they need.
PGOPTIONS=-csearch_path=sink "$BIN"/fs-sink-pg -q "$in"
psql -X -q -c "\\copy (SELECT * FROM sink.positions) TO '$dir/rows.tsv'"
pg_sql "SELECT copy.fs_positions_partition(d::date) FROM generate_series(
	(SELECT min(\"timestamp\") FROM sink.positions) AT TIME ZONE 'UTC',
	(SELECT max(\"timestamp\") FROM sink.positions) AT TIME ZONE 'UTC', '1 day') AS d" >/dev/null
rows=$(pg_sql 'SELECT count(*) FROM sink.positions')

# FS_BENCH_PG_BASE gets a schema of its own, made by itself (it may be of another version).
if [ -n "${FS_BENCH_PG_BASE:-}" ]; then
	pg_sql 'CREATE SCHEMA base' >/dev/null
	PGOPTIONS=-csearch_path=base "$FS_BENCH_PG_BASE" -q --init
	pg_sql "SELECT copy.fs_positions_partition(d::date), base.fs_positions_partition(d::date)
		FROM generate_series((SELECT min(\"timestamp\") FROM sink.positions) AT TIME ZONE 'UTC',
		(SELECT max(\"timestamp\") FROM sink.positions) AT TIME ZONE 'UTC', '1 day') AS d" >/dev/null
fi
# Neither side pays for the other's autovacuum: a load of a run would start
# one on its partition that runs on into the next run of the other side.
pg_sql "DO \$\$ DECLARE r regclass; BEGIN
	FOR r IN SELECT x FROM (SELECT inhrelid::regclass FROM pg_inherits
		WHERE inhparent IN (SELECT to_regclass(n || '.positions') FROM unnest('{sink,copy,base}'::text[]) n)
		UNION ALL SELECT to_regclass(n || '.aircraft') FROM unnest('{sink,base}'::text[]) n) AS t(x)
		WHERE x IS NOT NULL LOOP
	  EXECUTE format('ALTER TABLE %s SET (autovacuum_enabled = off)', r);
	END LOOP;
END \$\$" >/dev/null
# psql's session as fs-sink-pg's: it turns synchronous_commit on (see fs-sink-pg(1)).
copy_opts=-csynchronous_commit=on

# timed NAME PREPARE CMD: run PREPARE, then CMD, and add CMD's seconds to $dir/NAME.
timed() {
	local t0 t1
	sh -c "$2" >/dev/null
	psql -X -q -U postgres -c CHECKPOINT
	t0=$(date +%s%N)
	sh -c "$3" >/dev/null
	t1=$(date +%s%N)
	echo "$(((t1 - t0) / 1000000))" >>"$dir/$1"
}
for _ in $(seq "$RUNS"); do
	timed psql "psql -X -q -c 'TRUNCATE copy.positions'" \
		"PGOPTIONS=$copy_opts psql -X -q -c \"\\\\copy copy.positions FROM '$dir/rows.tsv'\""
	timed sink "psql -X -q -c 'TRUNCATE sink.positions, sink.aircraft'" \
		"PGOPTIONS=-csearch_path=sink '$BIN/fs-sink-pg' -q '$in'"
	timed again true "PGOPTIONS=-csearch_path=sink '$BIN/fs-sink-pg' -q '$in'"
	if [ -n "${FS_BENCH_PG_BASE:-}" ]; then
		timed base "psql -X -q -c 'TRUNCATE base.positions, base.aircraft'" \
			"PGOPTIONS=-csearch_path=base '$FS_BENCH_PG_BASE' -q '$in'"
	fi
done
# best FILE: the fastest run; median FILE: the middle one. Whatever else runs on the
# machine only slows a run down, so the ratio is of the fastest runs; the medians are shown too.
best() {
	sort -n "$1" | head -n 1
}
median() {
	sort -n "$1" | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'
}
t_psql=$(best "$dir/psql")
if [ "$(pg_sql 'SELECT count(*) FROM sink.positions')" != "$rows" ] ||
	[ "$(pg_sql 'SELECT count(*) FROM copy.positions')" != "$rows" ]; then
	echo "fs-sink-pg: the tables do not hold the $rows rows they should" >&2
	exit 1
fi

printf '%-40s %10s %10s %14s %10s\n' program "best s" "median s" "rows/s" "x psql"
row() {
	awk -v name="$1" -v ms="$(best "$dir/$2")" -v med="$(median "$dir/$2")" -v n="$rows" \
	    -v p="$t_psql" 'BEGIN { printf "%-40s %10.3f %10.3f %14.0f %10.2f\n", name, ms / 1000,
	    med / 1000, n / (ms / 1000), p / ms }'
}
row 'psql \copy (peer)' psql
row 'fs-sink-pg' sink
row 'fs-sink-pg, the same records again' again
[ -z "${FS_BENCH_PG_BASE:-}" ] || row "$(basename "$FS_BENCH_PG_BASE") (FS_BENCH_PG_BASE)" base
ratio=$(awk -v p="$t_psql" -v s="$(best "$dir/sink")" 'BEGIN { printf "%.2f", p / s }')
echo "$RUNS runs each, alternating; rows/s and x psql (rows per second relative to psql \\copy) of the best"
echo "fs-sink-pg rows/s / psql \\copy rows/s: ${ratio}x (target 0.7x: $(
	awk -v r="$ratio" 'BEGIN { print (r >= 0.7 ? "met" : "NOT MET") }'))"
