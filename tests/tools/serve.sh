# serve.sh: fs-serve in the background for end-to-end tests, sourced
# after lib.sh.
#
#	serve_start [ARGS...]	starts fs-serve on 127.0.0.1 on a port the
#			kernel picks (--listen 127.0.0.1:0 --port-file), waits
#			until it listens, sets SERVE_PID and URL; it is stopped
#			when the test ends. Its stderr goes to $T/serve.err.
#			Fails the test file when it does not start.
#	serve_stop [SIGNAL]	stops it (default TERM), waits, sets serve_status
#	http PATH [CURL ARGS...]	GET URL/PATH; sets $code (the status),
#			$body (the body) and $headers (lowercase names)
#	metric NAME	the value of fs_serve_NAME in /metrics
#	wait_for SECONDS CMD...	runs CMD every 0.05 s until it succeeds; 1 on timeout
#
# shellcheck shell=bash
# URL, SERVE_PID, serve_status, code, body and headers are set here for the scripts.
# shellcheck disable=SC2034

serve_pids=
trap 'for p in $serve_pids; do kill -TERM "$p" 2>/dev/null; done; rm -rf "$T"' EXIT

serve_start() {
	rm -f "$T/port"
	fs-serve --listen 127.0.0.1:0 --port-file "$T/port" "$@" 2>"$T/serve.err" &
	SERVE_PID=$!
	serve_pids="$serve_pids $SERVE_PID"
	if ! wait_for 10 test -s "$T/port"; then
		echo "Bail out! fs-serve did not start: $(cat "$T/serve.err")"
		exit 1
	fi
	URL=http://127.0.0.1:$(cat "$T/port")
}

serve_stop() {
	kill "-${1:-TERM}" "$SERVE_PID" 2>/dev/null
	wait "$SERVE_PID"
	serve_status=$?
}

wait_for() {
	local secs=$1 i
	shift
	for i in $(seq $((secs * 20))); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	return 1
}

http() {
	local path=$1
	shift
	code=$(curl -s -o "$T/body" -D "$T/headers" -w '%{http_code}' "$@" "$URL$path")
	body=$(tr -d '\000' <"$T/body")
	headers=$(tr 'A-Z' 'a-z' <"$T/headers" | tr -d '\r')
}

metric() {
	curl -s "$URL/metrics" | awk -v n="fs_serve_$1" '$1 == n { print $2 }'
}
