#!/usr/bin/env bash
# fs-sink-mongo and fs-produce mongo when things go wrong: the sink
# killed with SIGKILL in the middle of a load, the server going away
# and coming back while records stream (once for 30 s, with the default
# retries: this file takes about 45 s), the server frozen, the server
# gone for good, SIGINT and SIGTERM. Each time the collection ends up
# exactly as after one clean load: nothing lost, nothing doubled. The
# server's faults need the fixture; with FS_TEST_MONGO_URI they are
# skipped, the rest runs.
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/tools/mongo-harness"

t_built fs-sink-mongo fs-produce
t_need jq
mongo_test

# slowly FILE CHUNK PAUSE: FILE in chunks of CHUNK lines, PAUSE seconds apart.
slowly() {
	awk -v n="$2" -v p="$3" '{ print } NR % n == 0 { fflush(); system("sleep " p) }' "$1"
}
# wait_docs COLL N: up to 30 seconds for COLL to hold N documents.
wait_docs() {
	local i
	for i in $(seq 300); do
		[ "$(mongo_count "$1")" -ge "$2" ] && return 0
		sleep 0.1
	done
	return 1
}
# wait_err TEXT: up to 30 seconds for the sink in the background to say TEXT.
wait_err() {
	local i
	for i in $(seq 600); do
		grep -q -- "$1" "$T/bg.err" && return 0
		sleep 0.05
	done
	return 1
}
# stream COLL OPTION...: in the background, fs-sink-mongo with OPTIONs stores the
# input in COLL as it comes, 2000 records every 0.3 s; $pid is its process, and
# the test goes on once 2000 documents are stored.
stream() {
	local coll=$1
	shift
	slowly "$T/in.ndjson" 2000 0.3 |
		fs-sink-mongo --db "$MONGO_DB" --collection "$coll" --stats --batch 1000 --batch-wait 100ms "$@" \
			>"$T/bg.out" 2>"$T/bg.err" &
	pid=$!
	wait_docs "$coll" 2000
}
# finished: wait for the process in the background; $st is its status, $err what it said.
finished() {
	wait "$pid"
	st=$?
	err=$(cat "$T/bg.err")
}

fs-produce sim --seed 11 --aircraft 200 --duration 20m --speed max >"$T/in.ndjson"
n=$(wc -l <"$T/in.ndjson")
fast='serverSelectionTimeoutMS=1000&connectTimeoutMS=1000&socketTimeoutMS=1000'

# The reference: the same input, stored once without trouble.
t_ok 'reference: a load without trouble' fs-sink-mongo --db "$MONGO_DB" --collection ref "$T/in.ndjson"
mongo_dump ref >"$T/ref.ndjson"
t_eq 'reference: every record' "$n" "$(wc -l <"$T/ref.ndjson")"

# --- The sink killed with SIGKILL in the middle of a load --------------------

slowly "$T/in.ndjson" 2000 0.2 | fs-sink-mongo --db "$MONGO_DB" --collection killed --batch 2000 \
	>/dev/null 2>&1 &
pid=$!
wait_docs killed 2000
kill -9 "$pid" 2>/dev/null
wait "$pid"
st=$?
killed=$(mongo_count killed)
t_eq 'SIGKILL during a load: the sink was killed' 137 "$st"
t_true "SIGKILL during a load: part of the input is in ($killed of $n)" "$killed" -lt "$n"
run fs-sink-mongo --db "$MONGO_DB" --collection killed --stats "$T/in.ndjson"
t_eq 'run again after SIGKILL: exit 0' 0 "$status"
t_eq 'run again after SIGKILL: what was in is duplicates, the rest new' "$killed $((n - killed))" \
	"$(stat duplicates) $(stat out)"
t_eq 'run again after SIGKILL: exactly the documents of one clean load' \
	"$(cat "$T/ref.ndjson")" "$(mongo_dump killed)"

# --- The server goes away and comes back while records stream ------------------------

if mongo_fixture_only 'the server going away mid-stream'; then
	stream away --retries 100 --retry-max 500ms
	mongo_down
	sleep 1.5
	mongo_up
	finished
	t_eq 'server away mid-stream: exit 0' 0 "$st"
	[ "$st" -eq 0 ] || t_diag "$err"
	t_true 'server away mid-stream: the sink retried' "$(stat retries)" -gt 0
	t_match 'server away mid-stream: it said why' 'cannot store a batch: .*; retry 1 of 100' "$err"
	t_eq 'server away mid-stream: every record stored once' "$n $n" \
		"$(stat in) $(($(stat out) + $(stat duplicates)))"
	t_eq 'server away mid-stream: nothing lost, nothing doubled' \
		"$(cat "$T/ref.ndjson")" "$(mongo_dump away)"
fi

# Away for 30 s, with the default retries: a server restart may take that long.
if mongo_fixture_only 'the server away for 30 s'; then
	stream away30
	mongo_down
	sleep 30
	mongo_up
	finished
	t_eq 'server away 30 s mid-stream, default retries: exit 0' 0 "$st"
	[ "$st" -eq 0 ] || t_diag "$err"
	t_true 'server away 30 s: the sink retried' "$(stat retries)" -gt 0
	t_eq 'server away 30 s: every record stored once' "$n $n" \
		"$(stat in) $(($(stat out) + $(stat duplicates)))"
	t_eq 'server away 30 s: nothing lost, nothing doubled' \
		"$(cat "$T/ref.ndjson")" "$(mongo_dump away30)"
fi

# Frozen (SIGSTOP) while a batch is on its way: no answer within socketTimeoutMS,
# so the batch is sent again; the frozen server then stores the first copy when
# it thaws, and the retry finds its documents there.
if mongo_fixture_only 'the server frozen mid-stream'; then
	stream frozen --uri "$MONGO_URI/?$fast" --retries 100 --retry-max 300ms
	mongo_freeze
	sleep 2.5
	mongo_thaw
	finished
	t_eq 'server frozen mid-stream: exit 0' 0 "$st"
	[ "$st" -eq 0 ] || t_diag "$err"
	t_true 'server frozen mid-stream: the sink retried' "$(stat retries)" -gt 0
	t_eq 'server frozen mid-stream: every record stored once' "$n $n" \
		"$(stat in) $(($(stat out) + $(stat duplicates)))"
	t_eq 'server frozen mid-stream: nothing lost, nothing doubled' \
		"$(cat "$T/ref.ndjson")" "$(mongo_dump frozen)"
fi

# --- The server gone for good ----------------------------------------------------

if mongo_fixture_only 'the server gone for good'; then
	stream gone --retries 3 --retry-max 100ms
	mongo_down
	finished
	t_eq 'server gone: exit 1 after the retries, not 0' 1 "$st"
	t_match 'server gone: says it gave up' 'giving up after 3 retries' "$err"
	t_match 'server gone: says how many records were not stored' 'records? read and not known to be stored' "$err"
	t_true 'server gone: what was counted as stored is less than the input' "$(stat out)" -lt "$n"
	mongo_up
	t_eq 'server gone: the documents counted as stored are there' "$(stat out)" "$(mongo_count gone)"
	t_ok 'server back: the same input again' fs-sink-mongo --db "$MONGO_DB" --collection gone "$T/in.ndjson"
	t_eq 'server back: the documents of one clean load' "$(cat "$T/ref.ndjson")" "$(mongo_dump gone)"

	mongo_down
	timed fs-sink-mongo --db "$MONGO_DB" --collection gone --retries 2 --retry-max 100ms "$T/in.ndjson"
	t_eq 'server down at start: exit 1' 1 "$status"
	t_match 'server down at start: cannot connect, gave up' 'cannot connect: .*giving up after 2 retries' "$err"
	mongo_up
fi

# --- fs-produce mongo reading while the server freezes -------------------------------

if mongo_fixture_only 'fs-produce mongo with the server frozen mid-read'; then
	fs-produce mongo --uri "$MONGO_URI/?$fast" --db "$MONGO_DB" --collection ref --stats \
		--since 2026-01-01T00:00:00Z --until 2026-01-02T00:00:00Z >"$T/read.ndjson" 2>"$T/bg.err" &
	pid=$!
	for _ in $(seq 200); do
		[ "$(wc -l <"$T/read.ndjson")" -ge 5000 ] && break
		sleep 0.05
	done
	mongo_freeze
	sleep 2
	mongo_thaw
	finished
	t_eq 'fs-produce mongo, server frozen mid-read: exit 0' 0 "$st"
	[ "$st" -eq 0 ] || t_diag "$err"
	t_match 'fs-produce mongo, server frozen mid-read: it retried' 'retry 1 of 10' "$err"
	fs-produce mongo --db "$MONGO_DB" --collection ref --since 2026-01-01T00:00:00Z \
		--until 2026-01-02T00:00:00Z >"$T/read-ref.ndjson"
	t_eq 'fs-produce mongo, server frozen mid-read: every record once, in order' \
		"$(cat "$T/read-ref.ndjson")" "$(cat "$T/read.ndjson")"
fi

# --- Signals ---------------------------------------------------------------

for sig in TERM INT; do
	rm -f "$T/fifo"
	mkfifo "$T/fifo"
	fs-sink-mongo --db "$MONGO_DB" --collection "sig$sig" --stats --batch 100000 --batch-wait 600000ms \
		<"$T/fifo" >"$T/bg.out" 2>"$T/bg.err" &
	pid=$!
	exec 3>"$T/fifo"
	head -n 5 "$T/in.ndjson" >&3
	sleep 0.5
	t_eq "SIG$sig: nothing stored before it (the batch is open)" 0 "$(mongo_count "sig$sig")"
	kill -"$sig" "$pid"
	finished
	exec 3>&-
	t_eq "SIG$sig: exit 0" 0 "$st"
	t_eq "SIG$sig: the open batch is stored" '5 5 5' "$(stat in) $(stat out) $(mongo_count "sig$sig")"
done

# A second signal while the sink waits to retry gives up: exit 1, nothing claimed.
if mongo_fixture_only 'a second signal while retrying'; then
	rm -f "$T/fifo"
	mkfifo "$T/fifo"
	fs-sink-mongo --db "$MONGO_DB" --collection second --batch 100000 --batch-wait 600000ms \
		--retry-max 1s --retries 100 <"$T/fifo" >"$T/bg.out" 2>"$T/bg.err" &
	pid=$!
	exec 3>"$T/fifo"
	head -n 5 "$T/in.ndjson" >&3
	sleep 0.5
	mongo_down
	kill -TERM "$pid"
	wait_err 'retry 2 of 100'
	kill -TERM "$pid"
	finished
	exec 3>&-
	t_eq 'a second signal while retrying: exit 1' 1 "$st"
	t_match 'a second signal while retrying: says so' 'stopped by a second signal' "$err"
	t_match 'a second signal while retrying: the records not stored are counted' \
		'5 records read and not known to be stored' "$err"
	mongo_up
fi

t_done
