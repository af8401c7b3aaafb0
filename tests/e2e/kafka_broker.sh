#!/usr/bin/env bash
# The broker goes down for 4 s (the mock cluster's fault injection) while
# a producer writes a topic and fs-clean reads it and writes another:
# both retry, nothing is lost, both exit 0.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=../tools/kafka.sh
. "$ROOT/tests/tools/kafka.sh"

t_need kcat
t_built fs-clean fs-produce
kafka_start raw:4 clean:4

# 10,000 records of 100 aircraft over 1000 s of event time.
fs-produce sim --seed 41 --aircraft 100 --duration 1000s --speed max >"$T/in.ndjson" 2>/dev/null
n=$(wc -l <"$T/in.ndjson")
kafka_pairs <"$T/in.ndjson" | sort >"$T/in.pairs"

# 1,000 records a second for 10 s.
fs-produce replay --speed 100 --to kafka:raw --stats=0.2 "$T/in.ndjson" 2>"$T/prod.err" &
prod=$!
fs-clean --from kafka:raw --to kafka:clean -G b --stats=0.2 "${KC[@]}" 2>"$T/c.err" &
c=$!
kafka_wait_stat in 1000 "$T/c.err" 30 || t_diag 'fs-clean did not read 1000 records in 30 s'
t_ok 'the broker goes down' kafka_cmd down 1
down_at=$(kafka_stat in "$T/prod.err")
sleep 4
t_ok 'the broker comes up after 4 s' kafka_cmd up 1
t_diag "the producer had written $down_at of $n when the broker went down"
wait "$prod"
t_eq 'the producer exits 0' 0 "$?"
t_true 'the producer was writing while the broker was down' "${down_at:-0}" -lt "$((n - 2000))"
# fs-clean has caught up when kafka:clean holds every record (--stats
# lines come every 1024 records only, see the report).
for _ in $(seq 40); do
	[ "$(kcat_all clean | kafka_pairs | sort -u | wc -l)" -ge "$n" ] && break
	sleep 1
done
kill -TERM "$c"
wait "$c"
t_eq 'fs-clean exits 0 on SIGTERM' 0 "$?"
t_diag "fs-clean said: $(grep -v '"tool"' "$T/c.err" | sort | uniq -c | sort -rn | head -n 5)"

t_eq 'kafka:raw holds every record once' "$(cat "$T/in.pairs")" "$(kcat_all raw | kafka_pairs | sort)"
kcat_all clean | kafka_pairs | sort >"$T/out.pairs"
t_eq 'kafka:clean holds every record' "$(cat "$T/in.pairs")" "$(sort -u "$T/out.pairs")"
t_diag "kafka:clean has $(wc -l <"$T/out.pairs") records, $(uniq -d "$T/out.pairs" | wc -l) written twice"
t_eq 'none written twice (the idempotent producer)' 0 "$(uniq -d "$T/out.pairs" | wc -l)"

t_done
