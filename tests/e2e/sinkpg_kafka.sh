#!/usr/bin/env bash
# fs-sink-pg reading Kafka (the mock cluster, tests/tools/kafka.sh) into a
# real PostgreSQL (tests/pg-harness): every record loaded once; a
# message's offset is stored only after the transaction that loaded its
# record committed, so a sink killed with its batch open reads the
# batch again, and one that committed does not; rejects still go out.
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/pg-harness"
. "$ROOT/tests/tools/kafka.sh"

t_built fs-sink-pg fs-produce
t_need kcat jq
pg_test
kafka_start scored:3

# The mock broker makes a member that rejoins a group wait for the session timeout.
X=(-X session.timeout.ms=6000 -X heartbeat.interval.ms=500)

fs-produce sim --seed 5 --aircraft 20 --duration 10m --speed max >"$T/pos.ndjson"
n=$(wc -l <"$T/pos.ndjson")
printf 'not json\n' >"$T/bad.ndjson"
kcat -b "$BROKERS" -P -t scored -K '\t' < <(jq -r '"\(.icao24)\t\(tojson)"' "$T/pos.ndjson")
kcat -b "$BROKERS" -P -t scored "$T/bad.ndjson"

t_exit "--init" 0 fs-sink-pg --init

# in: the "in" count of the summary line of the last run's --stats.
in_of() { grep "\"final\":true" "$T/err" | jq -r .in; }

# 1. A batch that is never committed: the sink waits with everything read
# in one open batch, and is killed. Auto-commit runs every 5 seconds, so
# anything stored would be committed by then.
fs-sink-pg --from kafka:scored -G pg "${X[@]}" --batch 1000000 --batch-wait 600000ms \
	--stats=0.2 --reject "$T/rej1.ndjson" 2>"$T/err1" &
pid=$!
for _ in $(seq 300); do
	grep -q "\"in\":$((n + 1))" "$T/err1" 2>/dev/null && break
	sleep 0.1
done
t_match "the sink read every message" "\"in\":$((n + 1))" "$(cat "$T/err1")"
sleep 6
kill -9 "$pid"
wait "$pid" 2>/dev/null
t_eq "nothing is loaded before the batch commits" 0 "$(pg_sql 'SELECT count(*) FROM positions')"

# 2. Again, to the end (-e): every message is read again, since nothing was
# stored, and loaded once.
t_exit "the second run loads to the end" 0 \
	fs-sink-pg --from kafka:scored -G pg "${X[@]}" -e --stats --reject "$T/rej2.ndjson"
t_eq "it read every message again: no offset was stored before COMMIT" "$((n + 1))" "$(in_of)"
t_eq "every position is loaded" "$n" "$(pg_sql 'SELECT count(*) FROM positions')"
t_eq "the poison message is a reject" parse "$(jq -r .reject.code "$T/rej2.ndjson")"

# 3. Once more: the offsets were committed with the transaction's work done.
t_exit "a third run" 0 fs-sink-pg --from kafka:scored -G pg "${X[@]}" -e --stats
t_eq "reads nothing: the offsets were stored after COMMIT" 0 "$(in_of)"

# 4. Another group replays everything: the tables do not change.
before=$(pg_rows positions 'icao24, "timestamp"' | md5sum)
t_exit "a replay by another group" 0 \
	fs-sink-pg --from kafka:scored -G pg-replay "${X[@]}" -e --stats --reject /dev/null
t_eq "it read every message" "$((n + 1))" "$(in_of)"
t_eq "and left the positions as they were" "$before" "$(pg_rows positions 'icao24, "timestamp"' | md5sum)"

t_done
