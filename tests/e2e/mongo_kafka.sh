#!/usr/bin/env bash
# fs-sink-mongo reading Kafka (the mock cluster, tests/tools/kafka.sh):
# every record stored once; a message's offset is stored only after the
# server acknowledged the batch holding its record, so a sink killed with
# its batch open reads it again, and one whose batch was acknowledged
# does not; another group's replay stores nothing new.
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/tools/mongo-harness"
. "$ROOT/tests/tools/kafka.sh"

t_built fs-sink-mongo fs-produce
t_need kcat jq
mongo_test
kafka_start raw:3

# The mock broker makes a member that rejoins a group wait for the session timeout.
X=(-X session.timeout.ms=6000 -X heartbeat.interval.ms=500)
in_of() { grep '"final":true' "$T/err" | jq -r .in; }
dup_of() { grep '"final":true' "$T/err" | jq -r .duplicates; }

fs-produce sim --seed 9 --aircraft 20 --duration 10m --speed max >"$T/raw.ndjson"
n=$(wc -l <"$T/raw.ndjson")
kcat -b "$BROKERS" -P -t raw -K '\t' < <(jq -r '"\(.icao24)\t\(tojson)"' "$T/raw.ndjson")

# 1. A batch never written: everything read, then killed.
fs-sink-mongo --db "$MONGO_DB" --from kafka:raw -G mongo "${X[@]}" --batch 100000 \
	--batch-wait 600000ms --stats=0.2 2>"$T/err1" &
pid=$!
for _ in $(seq 300); do
	grep -q "\"in\":$n" "$T/err1" 2>/dev/null && break
	sleep 0.1
done
t_match "the sink read every message" "\"in\":$n" "$(cat "$T/err1")"
sleep 6		# auto-commit runs every 5 s: anything stored would be committed now
kill -9 "$pid"
wait "$pid" 2>/dev/null
t_eq "nothing is stored before the batch is written" 0 "$(mongo_count raw)"

# 2. To the end: every message again, stored once.
t_exit "the second run stores to the end" 0 \
	fs-sink-mongo --db "$MONGO_DB" --from kafka:raw -G mongo "${X[@]}" -e --stats
t_eq "it read every message again: no offset was stored before the acknowledgement" "$n" "$(in_of)"
t_eq "every record is a document" "$n" "$(mongo_count raw)"

# 3. Once more: nothing left to read.
t_exit "a third run" 0 fs-sink-mongo --db "$MONGO_DB" --from kafka:raw -G mongo "${X[@]}" -e --stats
t_eq "reads nothing: the offsets were stored after the acknowledgement" 0 "$(in_of)"

# 4. Another group replays: duplicates, nothing new.
t_exit "a replay by another group" 0 \
	fs-sink-mongo --db "$MONGO_DB" --from kafka:raw -G mongo-replay "${X[@]}" -e --stats
t_eq "every message is a duplicate" "$n" "$(dup_of)"
t_eq "and nothing new is stored" "$n" "$(mongo_count raw)"

t_done
