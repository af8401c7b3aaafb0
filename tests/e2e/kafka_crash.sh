#!/usr/bin/env bash
# kill -9 of a consumer in the middle of a stream, then a restart in the
# same group: every input record reaches the output topic; the records
# written twice are only those read after the last commit, counted here.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=../tools/kafka.sh
. "$ROOT/tests/tools/kafka.sh"

t_need kcat
t_built fs-clean fs-produce
# 16 partitions of cleaned records: the mock keeps 5 MiB of each.
kafka_start raw:8 clean:16

# 40,000 records of 400 aircraft, over 1000 s of event time.
fs-produce sim --seed 31 --aircraft 400 --duration 1000s --speed max >"$T/in.ndjson" 2>/dev/null
n=$(wc -l <"$T/in.ndjson")
kafka_pairs <"$T/in.ndjson" | sort >"$T/in.pairs"

# The producer writes 5,000 records a second for 8 s; fs-clean follows
# it, and is killed when it has read 20,000.
fs-produce replay --speed 125 --to kafka:raw "$T/in.ndjson" 2>"$T/prod.err" &
prod=$!
fs-clean --from kafka:raw --to kafka:clean -G c --stats=0.1 "${KC[@]}" 2>"$T/c1.err" &
c1=$!
kafka_wait_stat in 20000 "$T/c1.err" 40 || t_diag 'fs-clean did not read 20000 records in 40 s'
kill -9 "$c1"
wait "$c1" 2>/dev/null
t_eq 'fs-clean is killed by SIGKILL' 137 "$?"
killed_at=$(kafka_stat in "$T/c1.err")
# What it had read 1.5 s before (15 lines of --stats=0.1): the at-least-once window.
before=$(grep -o '"in":[0-9]*' "$T/c1.err" | tail -n 16 | head -n 1 | cut -d: -f2)
wait "$prod"
t_eq 'the producer exits 0' 0 "$?"
t_eq 'kafka:raw holds every input record' "$n" "$(kcat_all raw | wc -l)"
t_true "fs-clean was killed mid-stream ($killed_at of $n read)" "${killed_at:-0}" -lt "$n"

# The restart: the same group, to the end.
timed fs-clean --from kafka:raw --to kafka:clean -G c -e --stats "${KC[@]}"
t_eq 'the restarted fs-clean exits 0' 0 "$status"
t_diag "the restart took $ms ms (joining after a member died: session.timeout.ms - 1 s)"
reread=$(kafka_stat in "$T/err")

kcat_all clean | kafka_pairs | sort >"$T/out.pairs"
total=$(wc -l <"$T/out.pairs")
dups=$((total - $(sort -u "$T/out.pairs" | wc -l)))
t_diag "killed after reading $killed_at; the restart read $reread; kafka:clean has $total records, $dups written twice"
t_eq 'every input record is in kafka:clean' '' "$(comm -23 "$T/in.pairs" <(sort -u "$T/out.pairs") | head -n 5)"
t_eq 'and nothing else' '' "$(comm -13 "$T/in.pairs" <(sort -u "$T/out.pairs") | head -n 5)"
t_true "the restart did not read from the beginning ($reread read again of $n)" "${reread:-$n}" -lt "$n"
t_true "duplicates only within the at-least-once window (read in the last 1.5 s: $((killed_at - before)))" \
	"$dups" -le "$((killed_at - before + 1024))"
t_done
