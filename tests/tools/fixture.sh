# fixture.sh: the local HTTP fixture (http_fixture.py) for end-to-end
# tests, sourced after lib.sh by tests/e2e/produce_opensky.sh and
# produce_readsb.sh.
#
#	fixture_setup FILE [CLIENT_ID CLIENT_SECRET]
#		sets DATA to ../shared/data, skips the test file when FILE is
#		not in it, unsets the proxy variables (requests for 127.0.0.1
#		go nowhere else), and starts the fixture with fixture_start;
#		skips the test file if it does not start
#	fixture_start DATA_DIR [CLIENT_ID CLIENT_SECRET]
#		starts the fixture on 127.0.0.1 and sets PORT, BASE
#		(http://127.0.0.1:PORT) and FIXTURE_LOG; it is stopped when
#		the test ends. The credentials it expects go to it through
#		the environment. Fails when it does not start.
#	requests KEY [JQ]	the fixture's log lines for scenario key KEY,
#				through the jq filter JQ if given (strings raw)
#	run_for SECONDS CMD...	run CMD in the background for SECONDS, then
#				stop it with SIGTERM; sets $status, $out and $err
#				as run does, and leaves its command line (NULs
#				made spaces) in $T/cmdline
#
# shellcheck shell=bash
# PORT, BASE, $status, $out and $err are set here for the scripts that source this file.
# shellcheck disable=SC2034

no_proxy_env() {
	unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY
}

fixture_setup() {
	DATA=$(cd "$ROOT/.." && pwd)/shared/data
	if [ ! -r "$DATA/$1" ]; then
		t_skip "$(basename "$0")" "no recorded data: $DATA/$1"
		t_done
	fi
	no_proxy_env
	if ! fixture_start "$DATA" "${2-}" "${3-}"; then
		t_skip "$(basename "$0")" 'the HTTP fixture did not start'
		t_done
	fi
}

fixture_start() {
	local _
	FIXTURE_LOG=$T/fixture.log
	: >"$FIXTURE_LOG"
	rm -f "$T/fixture.port"
	FIXTURE_CLIENT_ID=${2-} FIXTURE_CLIENT_SECRET=${3-} \
		/usr/bin/python3 "$ROOT/tests/tools/http_fixture.py" "$1" "$T/fixture.port" \
		"$FIXTURE_LOG" 2>"$T/fixture.err" &
	FIXTURE_PID=$!
	trap 'kill "$FIXTURE_PID" 2>/dev/null; wait "$FIXTURE_PID" 2>/dev/null; rm -rf "$T"' EXIT
	for _ in $(seq 200); do
		[ -s "$T/fixture.port" ] && break
		sleep 0.05
	done
	PORT=$(cat "$T/fixture.port" 2>/dev/null)
	BASE=http://127.0.0.1:$PORT
	[ -n "$PORT" ]
}

requests() {
	jq -rc --arg k "$1" "select(.key == \$k)${2:+ | $2}" "$FIXTURE_LOG"
}

run_for() {
	local secs=$1 pid
	shift
	"$@" >"$T/out" 2>"$T/err" &
	pid=$!
	sleep 0.1
	tr '\0' ' ' <"/proc/$pid/cmdline" >"$T/cmdline" 2>/dev/null
	sleep "$(awk -v s="$secs" 'BEGIN { print s - 0.1 }')"
	kill -TERM "$pid" 2>/dev/null
	wait "$pid"
	status=$?
	out=$(cat "$T/out")
	err=$(cat "$T/err")
}
