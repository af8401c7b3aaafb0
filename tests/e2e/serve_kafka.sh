#!/usr/bin/env bash
# fs-serve reading Kafka (librdkafka's mock cluster on loopback):
# positions and windows from two topics into one picture; by default
# it starts at the end of the topics (a live picture needs no history),
# --offset beginning reads them from the start; --to is a usage error.
# About 8 s.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=../tools/serve.sh
. "$ROOT/tests/tools/serve.sh"
# shellcheck source=../tools/kafka.sh
. "$ROOT/tests/tools/kafka.sh"

t_need kcat curl jq
t_built fs-serve
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY

kafka_start scored:2 windows:1
t=$(date -u +%s)
for i in $(seq 10); do
	printf '{"timestamp":%d,"icao24":"k%05d","latitude":50.%d,"longitude":1}\n' "$t" "$i" "$i"
done >"$T/scored.ndjson"
printf '{"window_start":"2026-01-01T00:00:00Z","window_end":"2026-01-01T00:10:00Z","key":"*","event_count":10}\n' \
	>"$T/windows.ndjson"
t_ok 'kcat produces 10 positions' kcat -b "$BROKERS" -P -t scored -l "$T/scored.ndjson"
t_ok 'kcat produces a window' kcat -b "$BROKERS" -P -t windows -l "$T/windows.ndjson"

t_exit '--to kafka:x is a usage error' 2 fs-serve --to kafka:x
t_exit '--from kafka with files is a usage error' 2 fs-serve --from kafka:scored "$T/scored.ndjson"

serve_start --from kafka:scored,windows -G serve-begin --offset beginning "${KC[@]}"
wait_for 15 sh -c "curl -s $URL/api/aircraft | jq -e '.count == 10'"
http /api/aircraft
t_eq '--offset beginning: every position of both partitions' 10 "$(jq .count <<<"$body")"
http /api/windows
t_eq 'and the window of the other topic' 10 "$(jq '.windows[0].event_count' <<<"$body")"
http /metrics
t_match 'the consumer lag is a metric' 'fs_serve_kafka_lag [0-9]' "$body"
serve_stop
t_eq 'SIGTERM: exit 0' 0 "$serve_status"

serve_start --from kafka:scored -G serve-end "${KC[@]}"
# The new records go on coming until the consumer, at the end, sees one.
seen=
for i in $(seq 60); do
	printf '{"timestamp":%d,"icao24":"n%05d","latitude":51,"longitude":1}\n' "$(date -u +%s)" "$i" |
		kcat -b "$BROKERS" -P -t scored 2>/dev/null
	sleep 0.25
	if curl -s "$URL/api/aircraft" | jq -e '.count > 0' >/dev/null; then
		seen=yes
		break
	fi
done
t_eq 'by default: records that come after the start are read' yes "$seen"
http /api/aircraft
t_eq 'and none of those before it' '' "$(jq -r '.aircraft[].icao24 | select(startswith("k"))' <<<"$body")"
serve_stop
t_eq 'SIGTERM: exit 0' 0 "$serve_status"

t_done
