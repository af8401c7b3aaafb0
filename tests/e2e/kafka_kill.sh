#!/usr/bin/env bash
# kill -9, at random moments, of every program that reads Kafka, then a
# restart in the same group, and finally a run to the end (-e): the
# output holds every input record at least once, and what is read twice
# is only what was in flight at a kill.
#
# The programs: fs-clean, fs-score --model, fs-score in warm-up (--warmup
# larger than anything read: it holds every record it read), fs-window,
# fs-sink-pg, fs-sink-mongo. Each one reads its own topic, filled while
# it runs by a paced producer (about 25 s for 3,000 records, so that the
# kills come while it is reading), and is killed twice. The six run side
# by side, each in a subshell of its own that only writes files; the
# checks come after, here. Most of each one's time is spent waiting for
# the mock broker's group joins (see KX), not on the CPU.
#
# The kills are at random counts of records read (the "in" of --stats)
# past the backlog a run finds when it is assigned, from bash's RANDOM
# seeded with FS_TEST_SEED, else with a seed printed here:
# FS_TEST_SEED=N tests/run kafka_kill reruns the same kills.
#
# What is read twice. After each kill the group's committed offsets are
# asked of the broker (tests/tools/kafka_committed.c; the dead member
# commits nothing more): the next run starts there. Of the records run k
# read, in_k (its last --stats line), it committed C_k - C_k-1, so it
# leaves R_k = in_k - (C_k - C_k-1) to be read again. What was in flight
# is what it had read and not delivered: in_k minus what --stats said was
# delivered (out, duplicates, rejected, dropped) 2.5 s before the kill.
# A delivered record's offset is stored at the next quiet poll (100 ms;
# each kill comes after the program caught up with the producer, past
# its backlog, where stores wait for 1,024 records) and committed within
# a second (auto.commit.interval.ms, lib/kafka.c), which leaves a second
# for a loaded machine. The records of a revoke within a run, read again
# there, are added (FS_KAFKA_DEBUG). fs-window's out counts windows, not
# records, and its records stay in flight while their window is open
# (--lateness 5 min of event time, 7.5 s here): for it the bound is only
# R_k <= in_k, that committed offsets never go back.
#
# For the programs that write a topic, the records written twice are at
# most those read again, and each one lies in its partition between the
# committed offset at a kill and where the killed run could have got, or
# in the range a revoke read again. fs-score in warm-up writes nothing
# before the end, so it must commit nothing before either.
#
# Every input record at least once: in the output topic (as icao24 and
# timestamp), the positions table, the collection. fs-window: the last
# copy of each window, as a sink that upserts keeps it, must be exactly
# the windows of a pipe run over the same records (so every record is
# counted once in them), and no earlier copy may differ from the last.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=../tools/kafka.sh
. "$ROOT/tests/tools/kafka.sh"
# shellcheck source=../pg-harness
. "$ROOT/tests/pg-harness"
# shellcheck source=../tools/mongo-harness
. "$ROOT/tests/tools/mongo-harness"

t_need kcat jq
t_built fs-clean fs-score fs-window fs-sink-pg fs-sink-mongo fs-produce
if [ ! -x "$O/tests/kafka_committed" ]; then
	_t_result 1 'tests/kafka_committed is built'
	t_done
fi

seed=${FS_TEST_SEED:-$(($(date +%s%N) / 1000 % 32768))}
t_diag "seed $seed: FS_TEST_SEED=$seed tests/run kafka_kill kills at the same counts"
RANDOM=$seed

# The sinks' peers, each when it can be had: without one, only its program is skipped.
have_mongo=0 have_pg=0
if [ -n "${FS_TEST_MONGO_URI:-}" ] || /usr/bin/python3 -c 'import pymongo, bson, mockupdb' 2>/dev/null; then
	mongo_test
	have_mongo=1
fi
if pg_why=$(pg_usable); then
	if pg_start 2>"$T/pg-start.err"; then
		have_pg=1
	else
		_t_result 1 'a throwaway PostgreSQL cluster starts'
		t_diag "$(cat "$T/pg-start.err")"
	fi
fi
trap '[ "$have_pg" = 1 ] && pg_stop; [ "$have_mongo" = 1 ] && _mongo_cleanup; rm -rf "$T"' EXIT

P=4	# partitions of each input topic
progs=(clean score warm window pg mongo)
topics=()
for p in "${progs[@]}"; do
	topics+=("${p}_in:$P" "${p}_out:$P")
done
kafka_start "${topics[@]}"

# The mock broker makes a member joining after another died wait for
# session.timeout.ms - 1 s, and a new group form after 3 s: 4 s is the
# shortest that works (with 2 s no member was ever assigned).
KX=(-X session.timeout.ms=4000 -X heartbeat.interval.ms=500)

# 3,000 records of 30 aircraft over 1000 s of event time; cleaned, as
# fs-score, fs-window and the sinks read them.
fs-produce sim --seed 17 --aircraft 30 --duration 1000s --speed max >"$T/raw.ndjson" 2>/dev/null
fs-clean "$T/raw.ndjson" >"$T/clean.ndjson"
n=$(wc -l <"$T/clean.ndjson")
kafka_pairs <"$T/clean.ndjson" | sort >"$T/in.pairs"
t_eq 'fs-clean keeps every simulated record (so both inputs are the same records)' \
	"$(wc -l <"$T/raw.ndjson")" "$n"
fs-score train "$T/clean.ndjson" >"$T/model.json" 2>/dev/null
WOPT=(--size 1m --by icao24)
fs-window "${WOPT[@]}" "$T/clean.ndjson" | sort >"$T/windows.ref"

# scenario NAME FILE KILL1 KILL2 PROGRAM ARGS...: replay FILE into
# kafka:NAME_in at 120 records a second (25 s); run PROGRAM ARGS in group NAME,
# kill -9 it when it has read KILL1 records more than it found waiting
# when it was assigned (once it caught up), the same with KILL2 in its restart, then run it with -e once the producer is done. Leaves in
# $T/NAME: err.K and status.K of run K (1, 2, 3), committed.K (the
# group's offsets after it), prod.status, note (what went wrong).
scenario() {
	local name=$1 file=$2 d=$T/$1 prod pid k want lag _
	local kills=("$3" "$4")
	shift 4
	mkdir -p "$d"
	nice fs-produce replay --speed 40 --to "kafka:${name}_in" "$file" 2>"$d/prod.err" &
	prod=$!
	for k in 1 2; do
		FS_KAFKA_DEBUG=1 "$@" --from "kafka:${name}_in" -G "$name" --stats=0.1 "${KX[@]}" \
			>"$d/out.$k" 2>"$d/err.$k" &
		pid=$!
		# Reading: what was waiting when it was assigned (until the
		# lag is under a second of the producer's), then KILLk more.
		for _ in $(seq 600); do
			lag=$(grep '^{"tool"' "$d/err.$k" 2>/dev/null | tail -n 1 | grep -o '"consumer_lag":[0-9]*' | cut -d: -f2)
			[ -n "$lag" ] && [ "$lag" -lt 120 ] && [ "$(kafka_stat in "$d/err.$k")" -gt 0 ] && break
			sleep 0.1
		done
		[ -n "$lag" ] && [ "$lag" -lt 120 ] || echo "run $k did not catch up in 60 s" >>"$d/note"
		want=$(($(kafka_stat in "$d/err.$k") + kills[k - 1]))
		for _ in $(seq 600); do
			[ "$(kafka_stat in "$d/err.$k")" -ge "$want" ] && break
			kill -0 "$prod" 2>/dev/null || break	# nothing more to come
			sleep 0.1
		done
		[ "$(kafka_stat in "$d/err.$k")" -ge "$want" ] ||
			echo "run $k did not read $want records while the producer ran" >>"$d/note"
		kill -9 "$pid"
		wait "$pid" 2>/dev/null
		echo $? >"$d/status.$k"
		"$O/tests/kafka_committed" "$BROKERS" "$name" "${name}_in" "$P" >"$d/committed.$k" 2>>"$d/note"
	done
	wait "$prod"
	echo $? >"$d/prod.status"
	FS_KAFKA_DEBUG=1 timeout 120 "$@" --from "kafka:${name}_in" -G "$name" -e --stats=0.1 "${KX[@]}" \
		>"$d/out.3" 2>"$d/err.3"
	echo $? >"$d/status.3"
	"$O/tests/kafka_committed" "$BROKERS" "$name" "${name}_in" "$P" >"$d/committed.3" 2>>"$d/note"
}

# Kill points, drawn here in a fixed order, whatever runs.
declare -A k1 k2
for p in "${progs[@]}"; do
	# 250 to 600 records: 2 to 5 s of the producer's pace, past a commit or two.
	k1[$p]=$((250 + RANDOM % 351))
	k2[$p]=$((250 + RANDOM % 351))
done
t_diag "kills at: $(for p in "${progs[@]}"; do printf '%s %s+%s; ' "$p" "${k1[$p]}" "${k2[$p]}"; done)"

t0=$(date +%s%N)
pids=()
scenario clean "$T/raw.ndjson" "${k1[clean]}" "${k2[clean]}" fs-clean --to kafka:clean_out &
pids+=($!)
scenario score "$T/clean.ndjson" "${k1[score]}" "${k2[score]}" \
	fs-score --model "$T/model.json" --to kafka:score_out &
pids+=($!)
scenario warm "$T/clean.ndjson" "${k1[warm]}" "${k2[warm]}" fs-score --warmup 100000 --to kafka:warm_out &
pids+=($!)
scenario window "$T/clean.ndjson" "${k1[window]}" "${k2[window]}" \
	fs-window "${WOPT[@]}" --to kafka:window_out &
pids+=($!)
if [ "$have_pg" = 1 ]; then
	t_exit 'fs-sink-pg --init' 0 fs-sink-pg --init
	scenario pg "$T/clean.ndjson" "${k1[pg]}" "${k2[pg]}" fs-sink-pg --table positions &
	pids+=($!)
fi
if [ "$have_mongo" = 1 ]; then
	scenario mongo "$T/clean.ndjson" "${k1[mongo]}" "${k2[mongo]}" fs-sink-mongo --db "$MONGO_DB" --collection kill &
	pids+=($!)
fi
wait "${pids[@]}"
t_diag "the six kill sequences took $((($(date +%s%N) - t0) / 1000000)) ms side by side"

# The records a killed run may have read after its last --stats line
# (0.1 s at 120 a second, the kill a little later on a loaded machine):
# they are in no count here.
TAIL=50

# committed FILE: the records below the committed offsets (none committed: 0).
committed() {
	awk '{ s += $2 > 0 ? $2 : 0 } END { print s + 0 }' "$1"
}
# delivered_before FILE SECONDS: out + duplicates + rejected + dropped of
# the last --stats line of FILE at least SECONDS before its last one.
delivered_before() {
	grep '^{"tool"' "$1" | jq -s -r --argjson s "$2" 'map(select(.tool)) | (last.elapsed_s - $s) as $t |
		map(select(.elapsed_s <= $t)) | last // {} |
		(.out // 0) + (.duplicates // 0) + (.rejected // 0) + (.dropped // 0)'
}

# revokes FILE...: "partition committed position" of each revoke in the
# runs of FILE... but the one at the close of a run that ends (-e; its
# committed offsets are not known then, and nobody reads again), from
# FS_KAFKA_DEBUG: what a revoke makes the group read again (the mock may
# refuse the commit), from the offset committed then to the position.
revokes() {
	awk 'FNR == 1 { flush() }
		/revoking, positions:/ { r++; for (i = 4; i <= NF; i++) { split($i, a, /[][@]/); pos[r, a[2]] = a[4] } }
		/revoking, committed:/ { for (i = 4; i <= NF; i++) { split($i, a, /[][@]/)
			line[r] = line[r] a[2] " " (a[4] > 0 ? a[4] : 0) " " pos[r, a[2]] "\n" } }
		function flush(   i, last) {
			last = prev ~ /err\.3$/ ? r - 1 : r
			for (i = 1; i <= last; i++) printf "%s", line[i]
			delete line; r = 0
		}
		{ prev = FILENAME }
		END { flush() }' "$@"
}

# revoked FILE: how many records the revokes of a run made it read again.
revoked() {
	revokes "$1" | awk '{ s += $3 - $2 } END { print s + 0 }'
}

# check_runs NAME MODE: the kills, the restarts and what was read again;
# MODE records (out counts records) or windows (it does not).
check_runs() {
	local name=$1 mode=$2 d=$T/$1 k in c prev=0 r f reread=0
	[ -s "$d/note" ] && t_diag "$name: $(cat "$d/note")"
	t_eq "$name: the producer exits 0" 0 "$(cat "$d/prod.status")"
	t_eq "$name: killed by SIGKILL twice, then the run to the end exits 0" '137 137 0' \
		"$(cat "$d/status.1" "$d/status.2" "$d/status.3" | xargs)"
	for k in 1 2; do
		in=$(kafka_stat in "$d/err.$k")
		c=$(committed "$d/committed.$k")
		r=$((prev + ${in:-0} - c))
		if [ "$mode" = records ]; then
			f=$((${in:-0} - $(delivered_before "$d/err.$k" 2.5)))
		else
			f=${in:-0}
		fi
		f=$((f + $(revoked "$d/err.$k")))
		t_diag "$name: run $k read $in and was killed; committed then: $(tr '\n' ' ' <"$d/committed.$k")($c); read again: $r"
		t_true "$name: run $k was killed while reading (after $in of $n)" "${in:-0}" -gt 0 -a "${in:-0}" -lt "$n"
		t_true "$name: read again after kill $k ($r) at most what was in flight ($f)" "$r" -le "$f"
		reread=$((reread + r))
		prev=$c
	done
	in=$(kafka_stat in "$d/err.3")
	READ_AGAIN=$((reread + $(revoked "$d/err.3")))
	t_diag "$name: the last run read $in; read again in all: $READ_AGAIN"
	t_true "$name: the last run started from the committed offsets ($in read of $n)" \
		"${in:-$n}" -eq $((n - prev)) -o "$(revoked "$d/err.3")" -gt 0
}

# allowed NAME: "partition offset-from" lines: at or past the committed
# offset at each kill, and the ranges read again after each revoke.
ranges() {
	local d=$T/$1
	# Kill k: from the committed offset to at most where run k could
	# have got in that partition (it started at the previous kill's
	# committed offset, and read in_k, and the few after its last --stats).
	awk -v in1="$(kafka_stat in "$d/err.1")" -v in2="$(kafka_stat in "$d/err.2")" -v tail="$TAIL" '
		FILENAME == ARGV[1] { print $1, ($2 > 0 ? $2 : 0), in1 + tail; c1[$1] = $2 > 0 ? $2 : 0; next }
		{ print $1, ($2 > 0 ? $2 : 0), c1[$1] + in2 + tail }' "$d/committed.1" "$d/committed.2"
	revokes "$d"/err.[123]
}

# check_topic NAME: kafka:NAME_out holds every input record; those
# written twice were read again after a kill or a revoke.
check_topic() {
	local name=$1 d=$T/$1 total dups
	kcat_all "${name}_out" | kafka_pairs | sort >"$d/out.pairs"
	total=$(wc -l <"$d/out.pairs")
	sort -u "$d/out.pairs" >"$d/out.uniq"
	dups=$((total - $(wc -l <"$d/out.uniq")))
	t_diag "$name: kafka:${name}_out has $total records, $dups written twice, $(comm -23 "$T/in.pairs" "$d/out.uniq" | wc -l) missing"
	t_eq "$name: every input record is in kafka:${name}_out" '' \
		"$(comm -23 "$T/in.pairs" "$d/out.uniq" | head -n 5)"
	t_eq "$name: and nothing else" '' "$(comm -13 "$T/in.pairs" "$d/out.uniq" | head -n 5)"
	t_true "$name: written twice ($dups) at most what was read again ($READ_AGAIN, and $TAIL a kill)" \
		"$dups" -le $((READ_AGAIN + 2 * TAIL))
	ranges "$name" >"$d/ranges"
	kcat_all "${name}_in" '%p %o %s\n' | awk -F'"' '{ split($1, h, " "); print $8 " " $4 "\t" h[1], h[2] }' \
		>"$d/offsets"
	uniq -d "$d/out.pairs" >"$d/dups"
	t_eq "$name: written twice: only records read again after a kill or a revoke" '' \
		"$(awk -F'\t' 'FILENAME == ARGV[1] { split($0, r, " "); p[++n] = r[1]; lo[n] = r[2]; hi[n] = r[3]; next }
			FILENAME == ARGV[2] { dup[$0] = 1; next }
			$1 in dup { split($2, o, " "); ok = 0
				for (i = 1; i <= n; i++)
					if (p[i] == o[1] && o[2] + 0 >= lo[i] + 0 && o[2] + 0 < hi[i] + 0) ok = 1
				if (!ok) print $1, "partition", o[1], "offset", o[2] }' \
			"$d/ranges" "$d/dups" "$d/offsets" | head -5)"
}

# --- fs-clean, fs-score --model, fs-score in warm-up: to a topic ----------------------

for p in clean score warm; do
	check_runs "$p" records
	check_topic "$p"
done
# In warm-up fs-score holds every record it read: the killed runs wrote
# nothing (else this is no test of warm-up), and so nothing of what
# they read may be committed.
t_eq 'warm: the killed runs wrote nothing: still warming up' '0 0' \
	"$(kafka_stat out "$T/warm/err.1") $(kafka_stat out "$T/warm/err.2")"
t_eq 'warm: and so they committed nothing' '0 0' \
	"$(committed "$T/warm/committed.1") $(committed "$T/warm/committed.2")"

# --- fs-window ---------------------------------------------------------------------------

# Every input record is counted, exactly once, in the windows: a window
# written twice (closed before a kill, then again by the restart, which
# reads again from the cut) is taken by its last copy, as a sink that
# upserts by window and key does; those last copies must be the windows
# of a pipe run over the same records, event counts and all, and no
# earlier copy may differ from its last (a partial window).
check_runs window windows
kcat_all window_out >"$T/window/all"
jq -c '[.window_start, .window_end, .key] | tojson' "$T/window/all" | paste -d '\t' - "$T/window/all" | tac |
	awk -F '\t' '!seen[$1]++ { print $2 }' | sort >"$T/window/last"
t_diag "window: kafka:window_out has $(wc -l <"$T/window/all") windows, $(wc -l <"$T/window/last") distinct; the pipe $(wc -l <"$T/windows.ref")"
t_eq 'window: the last copy of each window: exactly the windows of the pipe' '' \
	"$(diff "$T/windows.ref" "$T/window/last" | head -5)"
t_eq 'window: they count every input record' "$n" "$(jq -s 'map(.event_count) | add' "$T/window/last")"
t_eq 'window: no copy of a window differs from its last: none partial' '' \
	"$(sort -u "$T/window/all" | jq -r '[.window_start, .key] | join(" ")' | sort | uniq -d | head -5)"

# --- fs-sink-pg, fs-sink-mongo: idempotent sinks -------------------------------------

# A record loaded twice is one row (an upsert): what was loaded twice is
# what was read again, bounded above.
if [ "$have_pg" = 1 ]; then
	check_runs pg records
	pg_sql "SELECT icao24 || ' ' || to_char(\"timestamp\" AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') FROM positions" |
		sort >"$T/pg/rows"
	t_eq 'pg: every input record is a row of positions' '' "$(comm -23 "$T/in.pairs" "$T/pg/rows" | head -n 5)"
	t_eq 'pg: and nothing else, once each' "$n" "$(wc -l <"$T/pg/rows")"
else
	t_skip 'pg: kill -9 of fs-sink-pg' "$pg_why"
fi
if [ "$have_mongo" = 1 ]; then
	check_runs mongo records
	# Timestamps as the documents hold them: BSON dates, in ms.
	jq -r '"\(.icao24) \(.timestamp | capture("(?<s>.*)[.](?<ms>[0-9]{3})Z$") |
		(.s + "Z" | fromdate) * 1000 + (.ms | tonumber))"' "$T/clean.ndjson" | sort >"$T/mongo/in.ms"
	mongo_dump kill | jq -r '"\(.icao24) \(.timestamp."$date" | if type == "object" then ."$numberLong"
		else sub("[.](?<ms>[0-9]{3})Z$"; "Z") as $s | ($s | fromdate) * 1000 + (capture("[.](?<ms>[0-9]{3})Z$").ms | tonumber)
		end)"' | sort >"$T/mongo/docs"
	t_eq 'mongo: every input record is a document' '' "$(comm -23 "$T/mongo/in.ms" "$T/mongo/docs" | head -n 5)"
	t_eq 'mongo: and nothing else, once each' "$n" "$(mongo_count kill)"
else
	t_skip 'mongo: kill -9 of fs-sink-mongo' 'no MongoDB peer here'
fi

t_done
