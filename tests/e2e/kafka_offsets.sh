#!/usr/bin/env bash
# Offsets are stored only after delivery: a consumer stopped by SIGTERM
# while writing to a pipe has committed exactly what it wrote (the next
# run reads exactly the rest); records whose delivery failed are read
# again. And -e on an empty topic.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=../tools/kafka.sh
. "$ROOT/tests/tools/kafka.sh"

t_need kcat
t_built fs-clean fs-produce
kafka_start src:2 bad:2 empty:2 some:2

# 6,000 clean records of 20 aircraft over 50 minutes of event time.
fs-produce sim --seed 11 --aircraft 20 --duration 50m --speed max >"$T/in.ndjson" 2>/dev/null
n=$(wc -l <"$T/in.ndjson")
kafka_pairs <"$T/in.ndjson" | sort >"$T/in.pairs"

# --- SIGTERM while reading a live topic, writing to a pipe --------------------------

# The producer writes 500 records a second for 12 s; the consumer joins
# (3 s), catches up and follows; it is stopped in the middle.
fs-produce replay --speed 250 --to kafka:src "$T/in.ndjson" 2>"$T/prod.err" &
prod=$!
fs-clean --from kafka:src -G a --stats=0.1 "${KC[@]}" 2>"$T/c1.err" > >(cat >"$T/out1") &
c1=$!
if kafka_wait_stat in 2000 "$T/c1.err" 30; then
	kill -TERM "$c1"
	wait "$c1"
	t_eq 'fs-clean --from stopped by SIGTERM exits 0' 0 "$?"
else
	t_true 'fs-clean --from reads 2000 records within 30 s' 0 -eq 1
	kill -9 "$c1"
	wait "$c1"
fi
wait "$prod"
t_eq 'the producer exits 0' 0 "$?"
n1=$(kafka_stat in "$T/c1.err")
t_true "the producer was still producing when fs-clean stopped ($n1 read)" "${n1:-0}" -lt "$n"
sleep 0.2	# the pipe's reader
run fs-clean --from kafka:src -G a -e "${KC[@]}"
cp "$T/out" "$T/out2"
t_eq 'the next run of the group exits 0' 0 "$status"
c1n=$(wc -l <"$T/out1")
c2n=$(wc -l <"$T/out2")
t_diag "first run wrote $c1n records, the second $c2n, of $n"
t_true 'the first run wrote records' "$c1n" -gt 0
t_true 'the second run wrote records' "$c2n" -gt 0
t_eq 'the first run committed exactly what it wrote: no record twice' '' \
	"$(comm -12 <(kafka_pairs <"$T/out1" | sort) <(kafka_pairs <"$T/out2" | sort) | head -n 5)"
t_eq 'and none lost: together they wrote every record' "$(cat "$T/in.pairs")" \
	"$(cat "$T/out1" "$T/out2" | kafka_pairs | sort)"

# --- Records not delivered: their offsets are not stored ---------------------------

kafka_cmd error bad 3 || t_diag 'kafka_cmd error bad 3 failed'
run fs-clean --from kafka:src --to kafka:bad -G b -e -X message.timeout.ms=2000 "${KC[@]}"
t_eq 'fs-clean --to a topic that fails: exit 1' 1 "$status"
t_match 'fs-clean --to a topic that fails: the count' "$n records not delivered to kafka:bad" "$err"
run fs-clean --from kafka:src -G b -e "${KC[@]}"
t_eq 'the group reads every record again: none was committed' "$n" "$(grep -c . "$T/out")"

# --- -e on an empty topic, and on several topics --------------------------------------

head -n 15 "$T/in.ndjson" >"$T/15.ndjson"
kcat -b "$BROKERS" -P -t some -l "$T/15.ndjson"
timed fs-clean --from kafka:empty -e -G e1 "${KC[@]}"
t_eq '-e on an empty topic exits 0' 0 "$status"
t_eq '-e on an empty topic writes nothing' '' "$out"
t_diag "-e on an empty topic took $ms ms"
run fs-clean --from kafka:empty,some -e -G e2 "${KC[@]}"
t_eq '-e with two topics, one empty, reads the other' 15 "$(grep -c . "$T/out")"
run fs-clean --from kafka:nosuchtopic -e -G e3 "${KC[@]}"
t_diag "fs-clean --from kafka:nosuchtopic -e: exit $status: $(head -c 300 <<<"$err")"
t_true 'a topic that does not exist: the program ends (0 or 1), not waits for ever' "$status" -le 1

t_done
