#!/usr/bin/env bash
# The Kafka options as a user meets them: usage errors, a broker that
# cannot be reached, a producer whose records are not delivered,
# --offset beginning|end|stored, and -e for a group that starts at the
# end.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=../tools/kafka.sh
. "$ROOT/tests/tools/kafka.sh"

t_need kcat
t_built fs-clean fs-produce fs-score

fs-produce sim --seed 5 --aircraft 5 --duration 100s --speed max >"$T/in.ndjson" 2>/dev/null
head -n 10 "$T/in.ndjson" >"$T/first10.ndjson"
sed -n '11,15p' "$T/in.ndjson" >"$T/next5.ndjson"

# --- Usage errors: exit 2, nothing started ------------------------------------------

usage() {
	local name=$1
	shift
	t_exit "$name is a usage error" 2 "$@"
	t_match "$name: says why" '(invalid |cannot |does not apply|usage: )' "$err"
}
export FS_KAFKA_BROKERS=127.0.0.1:1
usage 'fs-clean --from kafka:T with files' fs-clean --from kafka:raw "$T/in.ndjson"
usage 'fs-clean --from a file name' fs-clean --from raw
usage 'fs-clean --from kafka: (no topic)' fs-clean --from kafka:
usage 'fs-clean --to a file name' fs-clean --to out.ndjson "$T/in.ndjson"
usage 'fs-clean -X without =' fs-clean -X linger.ms "$T/in.ndjson"
usage 'fs-clean -X =value' fs-clean -X =5 "$T/in.ndjson"
usage 'fs-clean -X unknown property' fs-clean -X no.such.property=1 --to kafka:x "$T/in.ndjson"
usage 'fs-clean -X bad value' fs-clean -X acks=banana --to kafka:x "$T/in.ndjson"
usage 'fs-clean --offset middle' fs-clean --offset middle --from kafka:raw
usage 'fs-clean --offset (no value)' fs-clean --from kafka:raw --offset
usage 'fs-clean -G (no group)' fs-clean --from kafka:raw -G
usage 'fs-clean -b (no brokers)' fs-clean --from kafka:raw -b
usage 'fs-produce sim --from' fs-produce sim --from kafka:raw
usage 'fs-produce readsb --from' fs-produce readsb --from kafka:raw http://127.0.0.1:1/aircraft.json
usage 'fs-score train --to' fs-score train --to kafka:model "$T/in.ndjson"
t_exit 'fs-clean -X good=value -h exits 0' 0 fs-clean -X linger.ms=5 -X message.timeout.ms=2000 -h

# --- A broker that cannot be reached: exit 1 after FS_KAFKA_TIMEOUT -----------------

export FS_KAFKA_TIMEOUT=2
timed fs-clean --from kafka:raw -e "${KC[@]}"
t_eq 'consumer, broker unreachable: exit 1' 1 "$status"
t_match 'consumer, broker unreachable: says so, naming the brokers' "cannot reach kafka brokers '127.0.0.1:1'" "$err"
t_true "consumer, broker unreachable: gives up after FS_KAFKA_TIMEOUT=2 ($ms ms)" "$ms" -lt 8000
timed fs-clean --to kafka:clean "$T/in.ndjson"
t_eq 'producer, broker unreachable: exit 1' 1 "$status"
t_match 'producer, broker unreachable: says so' "cannot reach kafka brokers '127.0.0.1:1'" "$err"
t_eq 'producer, broker unreachable: writes nothing on stdout' '' "$out"
t_true "producer, broker unreachable: gives up after FS_KAFKA_TIMEOUT=2 ($ms ms)" "$ms" -lt 8000
timed env FS_KAFKA_BROKERS= fs-produce replay --speed max -b 127.0.0.1:1 --to kafka:raw "$T/in.ndjson"
t_eq '-b names the brokers: exit 1' 1 "$status"
t_match '-b names the brokers: says so' "cannot reach kafka brokers '127.0.0.1:1'" "$err"
unset FS_KAFKA_TIMEOUT

kafka_start off:3 bad:2
t_ok 'kcat produces 10 records' kcat -b "$BROKERS" -P -t off -l "$T/first10.ndjson"

# --- Delivery fails: exit 1 with the count ------------------------------------------

kafka_cmd error bad 3 || t_diag 'kafka_cmd error bad 3 failed'
timed fs-produce replay --speed max --to kafka:bad -X message.timeout.ms=2000 "$T/first10.ndjson"
t_eq 'records not delivered: fs-produce exits 1' 1 "$status"
t_match 'records not delivered: the count in the message' '10 records not delivered to kafka:bad \(0 delivered\)' "$err"
t_match 'records not delivered: the reason' 'cannot deliver to kafka:bad: .*timed out' "$err"
t_true "records not delivered: no more than 5 reasons, one by one" "$(grep -c 'cannot deliver' <<<"$err")" -le 5
t_diag "fs-produce took $ms ms with message.timeout.ms=2000"
t_exit 'records not delivered: fs-clean --to exits 1' 1 \
	fs-clean --to kafka:bad -X message.timeout.ms=2000 "$T/first10.ndjson"
t_match 'fs-clean: the count in the message' '10 records not delivered to kafka:bad' "$err"

# A record larger than message.max.bytes is refused by librdkafka itself;
# the records gathered in the same batch still go.
pad=$(printf '%2000s' '' | tr ' ' x)
{
	head -n 3 "$T/first10.ndjson"
	sed -n 4p "$T/first10.ndjson" | sed "s/}\$/,\"pad\":\"$pad\"}/"
	sed -n '4,10p' "$T/first10.ndjson"
} >"$T/oversize.ndjson"
run fs-produce replay --speed max --to kafka:big -X message.max.bytes=1000 "$T/oversize.ndjson"
t_eq 'a record over message.max.bytes: exit 1' 1 "$status"
t_match 'a record over message.max.bytes: says why' 'cannot produce to kafka:big: .*too large' "$err"
t_match 'a record over message.max.bytes: the count' '1 records not delivered to kafka:big \(10 delivered\)' "$err"
t_eq 'a record over message.max.bytes: the others are in the topic' 10 \
	"$(kcat -b "$BROKERS" -C -t big -e -q | wc -l)"

# --- --offset, -e -------------------------------------------------------------------

# consume ARGS: fs-clean --from kafka:off -e ARGS; $got is how many records it wrote.
consume() {
	run fs-clean --from kafka:off -e "${KC[@]}" "$@"
	[ "$status" -eq 0 ] || t_diag "fs-clean $* exited $status: $err"
	got=$(grep -c . "$T/out")
}
consume -G g1
t_eq 'a new group reads from the beginning (stored: none, so auto.offset.reset)' 10 "$got"
consume -G g1
t_eq 'the group again, -e: nothing more (a group that starts at the end)' 0 "$got"
t_ok 'kcat produces 5 more' kcat -b "$BROKERS" -P -t off -l "$T/next5.ndjson"
consume -G g1
t_eq 'the group reads the 5 new records only' 5 "$got"
consume -G g1 --offset beginning
t_eq '--offset beginning reads all 15 again' 15 "$got"
consume -G g2 --offset end
t_eq '--offset end in a new group reads nothing, and -e ends' 0 "$got"
consume -G g1 --offset stored
t_eq '--offset stored is the default' 0 "$got"
FS_KAFKA_GROUP=g3 consume
t_eq 'FS_KAFKA_GROUP names the group' 15 "$got"
consume
t_eq 'the group defaults to the program name' 15 "$got"
FS_KAFKA_GROUP=fs-clean consume
t_eq 'and the group fs-clean now starts at the end' 0 "$got"

# --- A quiet input: what is gathered for a batch goes when the program waits ---

mkfifo "$T/fifo"
fs-clean -q --to kafka:live "$T/fifo" 2>"$T/live.err" &
pid=$!
exec 6>"$T/fifo"
head -n 1 "$T/first10.ndjson" >&6
n=0
for _ in $(seq 100); do
	n=$(kcat -b "$BROKERS" -C -t live -e -q 2>/dev/null | grep -c .)
	[ "$n" -ge 1 ] && break
	sleep 0.1
done
t_eq 'a record on a quiet input reaches the topic while the input stays open' 1 "$n"
head -n 3 "$T/first10.ndjson" | tail -n 2 >&6
exec 6>&-
wait "$pid"
t_eq 'the input closed: fs-clean exits 0' 0 "$?"
t_eq 'the input closed: all three records in the topic' 3 "$(kcat -b "$BROKERS" -C -t live -e -q | grep -c .)"

t_done
