# kafka.sh: the mock Kafka cluster (kafka_mock.c, librdkafka's built-in
# broker) for end-to-end tests, sourced after lib.sh.
#
#	kafka_start [-n BROKERS] TOPIC:PARTITIONS ...
#		starts the cluster on loopback, sets BROKERS and exports
#		FS_KAFKA_BROKERS; it is stopped when the test ends. Skips the
#		test file when the launcher is not built; fails the test file
#		when it does not start.
#	kafka_cmd CMD	sends a command (topic, down, up, error; see
#			kafka_mock.c) and waits for its answer; 0 for "ok"
#	kcat_all TOPIC [FORMAT]	the messages of TOPIC, one per line, read
#			with kcat (an independent client) from the beginning to
#			the end; FORMAT is kcat's -f (e.g. '%p %k %s\n')
#	kafka_pairs	stdin's records as "icao24 timestamp" lines, in order
#			(records as fs-produce and fs-clean write them: the
#			timestamp first, then icao24)
#	kafka_stat FIELD FILE	FIELD of the last --stats line in FILE
#	kafka_wait_stat FIELD MIN FILE [SECONDS]	waits until the last
#			--stats line in FILE has FIELD >= MIN; 1 on timeout
#	KC	the consumer options every test passes (-X session.timeout.ms
#		short: the mock cluster makes a member joining after another
#		left wait for session.timeout.ms - 1 s)
#
# The mock cluster keeps only the last 5 MiB of each partition (a limit
# built into librdkafka's mock, rdkafka_mock.c): older messages vanish
# as a real broker's retention would drop them. Tests keep each
# partition under that: about 14,000 raw records or 5,500 cleaned ones.
#
# shellcheck shell=bash
# BROKERS is set here for the scripts that source this file.
# shellcheck disable=SC2034

kafka_start() {
	local _
	if [ ! -x "$O/tests/kafka_mock" ]; then
		t_skip "$(basename "$0")" "not built: $O/tests/kafka_mock"
		t_done
	fi
	rm -f "$T/kafka.ctl"
	mkfifo "$T/kafka.ctl"
	"$O/tests/kafka_mock" "$@" <"$T/kafka.ctl" >"$T/kafka.out" 2>"$T/kafka.err" &
	KAFKA_PID=$!
	exec 8>"$T/kafka.ctl"
	# Stop the cluster first, then whatever the test set up before it
	# (a PostgreSQL cluster, the MongoDB fixture), then the temporary files.
	eval "set -- $(trap -p EXIT)"
	KAFKA_PREV_TRAP=${3-}
	trap 'kafka_stop; eval "${KAFKA_PREV_TRAP:-:}"; rm -rf "$T"' EXIT
	for _ in $(seq 200); do
		[ -s "$T/kafka.out" ] && break
		sleep 0.05
	done
	BROKERS=$(head -n 1 "$T/kafka.out")
	KAFKA_ANSWERS=1
	export FS_KAFKA_BROKERS=$BROKERS
	if [ -z "$BROKERS" ]; then
		echo "Bail out! the mock Kafka cluster did not start: $(cat "$T/kafka.err")"
		exit 1
	fi
}

kafka_stop() {
	if [ -n "${KAFKA_PID-}" ]; then
		exec 8>&-
		kill "$KAFKA_PID" 2>/dev/null
		wait "$KAFKA_PID" 2>/dev/null
		KAFKA_PID=
	fi
}

kafka_cmd() {
	local _ want
	KAFKA_ANSWERS=$((KAFKA_ANSWERS + 1))
	want=$KAFKA_ANSWERS
	echo "$*" >&8
	for _ in $(seq 200); do
		[ "$(wc -l <"$T/kafka.out")" -ge "$want" ] && break
		sleep 0.05
	done
	[ "$(sed -n "${want}p" "$T/kafka.out")" = ok ]
}

KC=(-X session.timeout.ms=6000 -X heartbeat.interval.ms=500)

kcat_all() {
	if [ $# -ge 2 ]; then
		kcat -b "$BROKERS" -C -t "$1" -o beginning -e -q -u -f "$2" 2>>"$T/kcat.err"
	else
		kcat -b "$BROKERS" -C -t "$1" -o beginning -e -q -u 2>>"$T/kcat.err"
	fi
}

kafka_pairs() {
	cut -d'"' -f8,4 --output-delimiter=' ' | awk '{ print $2, $1 }'
}

kafka_stat() {
	grep -o "\"$1\":[0-9]*" "$2" 2>/dev/null | tail -n 1 | cut -d: -f2
}

kafka_wait_stat() {
	local _ v
	for _ in $(seq $((${4:-30} * 10))); do
		v=$(kafka_stat "$1" "$3")
		[ -n "$v" ] && [ "$v" -ge "$2" ] && return 0
		sleep 0.1
	done
	return 1
}
