#!/usr/bin/env bash
# Saying why nothing is happening: a topic that does not exist is an
# error naming it and the brokers; a member that gets no partitions says
# so with -v, and with -e gives up with exit 1 instead of waiting in
# silence or exiting 0.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=../tools/kafka.sh
. "$ROOT/tests/tools/kafka.sh"

t_built fs-clean fs-produce
kafka_start raw:2
fs-produce sim --seed 3 --aircraft 5 --duration 60s --speed max --to kafka:raw 2>/dev/null

# The mock broker makes any topic asked for; this one answers "unknown".
kafka_cmd "error nosuch 3"
export FS_KAFKA_TIMEOUT=2
timed fs-clean --from kafka:nosuch -G x -e "${KC[@]}"
t_eq 'an unknown topic: exit 1' 1 "$status"
t_match 'an unknown topic: the message names the topic and the brokers' \
	"cannot read topic 'nosuch' from brokers '$BROKERS': Broker: Unknown topic or partition" "$err"
t_match 'an unknown topic: and how to wait for it' 'FS_KAFKA_TIMEOUT' "$err"
t_true "an unknown topic: it gives up after FS_KAFKA_TIMEOUT ($ms ms)" "$ms" -lt 10000

# A session timeout the mock never assigns partitions under (its joins
# wait session.timeout.ms - 1 s): the member waits for ever.
SHORT=(-X session.timeout.ms=1500 -X heartbeat.interval.ms=300)
timed fs-clean --from kafka:raw -G short -e "${SHORT[@]}"
t_eq '-e with no partition assigned: exit 1' 1 "$status"
t_match '-e with no partition assigned: says so, naming the group' \
	"-e: no partitions of group 'short' after [0-9]+s: nothing to read" "$err"
t_eq '-e with no partition assigned: no records' '' "$out"

unset FS_KAFKA_TIMEOUT
timeout 13 fs-clean --stats=60 --from kafka:raw -G short2 "${SHORT[@]}" >"$T/out" 2>"$T/err"
t_eq 'a member with no partitions waits (until stopped)' 124 "$?"
t_match '--stats: a member with no partitions says why after 10 s' \
	"no partitions of group 'short2' after 1[0-9]s \(a member killed without leaving holds them until its session ends: session.timeout.ms 1500\)" \
	"$(cat "$T/err")"

# With the suite's session timeout the same member reads, and says nothing of the kind.
run fs-clean -v --from kafka:raw -G fine -e "${KC[@]}"
t_eq 'a member that gets its partitions: exit 0' 0 "$status"
t_no_match 'a member that gets its partitions: no such message' 'no partitions of group' "$err"
t_true 'a member that gets its partitions reads the records' "$(printf '%s' "$out" | grep -c .)" -gt 0
t_done
