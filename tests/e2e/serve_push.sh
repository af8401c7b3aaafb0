#!/usr/bin/env bash
# fs-serve's push channel (Server-Sent Events): a snapshot on connect,
# then every change; 200 clients on loopback at once all receive every
# change; a reconnecting client resumes from Last-Event-ID with a delta;
# a client that never reads does not hold the input back and is dropped and
# counted; the streams end cleanly on SIGTERM. About 12 s.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=../tools/serve.sh
. "$ROOT/tests/tools/serve.sh"

t_need curl jq /usr/bin/python3
t_built fs-serve fs-produce
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY

now_s() { date -u +%s; }
rec() { printf '{"icao24":"%s","timestamp":%s,"latitude":%s,"longitude":1}\n' "$1" "$2" "${3:-50}"; }

mkfifo "$T/in"
exec 7<>"$T/in"
serve_start --push-interval 100ms --max-clients 500 "$T/in"
t=$(now_s)
rec a00000 "$t" >&7
wait_for 5 sh -c "curl -s $URL/api/aircraft | grep -q a00000"

# --- One client: a snapshot, then deltas ---------------------------------------------

curl -sN "$URL/events" >"$T/one" 2>/dev/null &
one=$!
wait_for 5 test -s "$T/one"
rec a00001 "$t" >&7
wait_for 5 grep -q a00001 "$T/one"
kill "$one" 2>/dev/null
wait "$one" 2>/dev/null
t_eq 'the first event is a snapshot' 'event: snapshot' "$(sed -n 2p "$T/one")"
t_eq 'the snapshot holds the picture' a00000 \
	"$(sed -n 's/^data: //p' "$T/one" | head -n 1 | jq -r '.aircraft[].icao24')"
# The change comes in a delta; a frame the server cannot make a delta of
# (the first one made as the first client connects, or one coalesced for
# a slow client) is a whole snapshot, which carries it too. Seen under
# ASan on a loaded machine.
last=$(sed -n 's/^data: //p' "$T/one" | tail -n 1 |
	jq -r '"\(if .snapshot then "snapshot" else "delta" end) \(.aircraft[].icao24)"' | xargs)
t_match 'then the change: a delta with it, or a snapshot with both' \
	'^(delta a00001|snapshot a00000 snapshot a00001)$' "$last"
t_match 'events have ids BOOT-SEQ' '^id: [0-9]+-[0-9]+$' "$(head -n 1 "$T/one")"
http /events -m 1
t_match 'the stream is text/event-stream' 'content-type: text/event-stream' "$headers"

# --- Resuming from Last-Event-ID ---------------------------------------------------------

last=$(grep '^id: ' "$T/one" | tail -n 1 | cut -d' ' -f2)
rec a00002 "$t" >&7
sleep 0.3
timeout 1 curl -sN -H "Last-Event-ID: $last" "$URL/events" >"$T/resumed" 2>/dev/null
t_eq 'Last-Event-ID of this run: a delta of what it missed, no snapshot' 'event: delta a00002' \
	"$(sed -n 2p "$T/resumed") $(sed -n 's/^data: //p' "$T/resumed" | head -n 1 | jq -r '[.aircraft[].icao24] | join(" ")')"
t_eq 'resumed clients are counted' 1 "$(metric clients_resumed_total)"
timeout 1 curl -sN -H 'Last-Event-ID: 1-5' "$URL/events" >"$T/other" 2>/dev/null
t_eq "another run's id: a snapshot" 'event: snapshot' "$(sed -n 2p "$T/other")"

# --- 200 clients receive every change ----------------------------------------------------

base=$(metric clients_connected_total)
/usr/bin/python3 "$ROOT/tests/tools/sse_clients.py" "${URL##*:}" 200 >"$T/many" &
many=$!
pids=
for i in $(seq 5); do
	curl -sN "$URL/events" >"$T/c$i" 2>/dev/null &
	pids="$pids $!"
done
wait_for 20 sh -c "test \"\$(curl -s $URL/metrics | awk '\$1 == \"fs_serve_clients_connected_total\" { print \$2 }')\" -ge $((base + 205))"
t_true '205 clients connected at once' "$(metric clients)" -ge 205
for i in $(seq 10); do
	rec "b0000$((i % 10))" "$((t + i))" "5$((i - 1))" >&7
	sleep 0.15
done
sleep 0.5
serve_stop
t_eq 'SIGTERM with 205 clients: exit 0' 0 "$serve_status"
ended=0
for p in $pids; do
	wait "$p" && ended=$((ended + 1))
done
t_eq 'every stream ends cleanly (curl exits 0 at the end of the chunked stream)' 5 "$ended"
wait "$many"
want=$(for i in $(seq 10); do printf 'b0000%d@5%d\n' $((i % 10)) $((i - 1)); done | sort | paste -sd,)
t_eq 'each of 200 clients in one process received all 10 changes' 200 \
	"$(awk -v w="$want" 'BEGIN { n = split(w, W, ",") }
		{ ok = 1; for (i = 1; i <= n; i++) if (index("," $2 ",", "," W[i] ",") == 0) ok = 0; c += ok }
		END { print c + 0 }' "$T/many")"
bad=0
for i in $(seq 5); do
	got=$(sed -n 's/^data: //p' "$T/c$i" | jq -r '.aircraft[] | select(.icao24 | startswith("b")) | "\(.icao24)@\(.latitude)"' | sort -u | paste -sd,)
	[ "$got" = "$want" ] || bad=$((bad + 1))
done
t_eq 'and so did the 5 curl clients' 0 "$bad"

# --- A client that never reads -----------------------------------------------------------

cat >"$T/stuck.py" <<'EOF'
import socket, sys, time
s = socket.socket()
# A small window: what the server sends piles up on its side.
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"GET /events HTTP/1.1\r\nHost: x\r\n\r\n")
time.sleep(float(sys.argv[2]))
EOF
fs-produce sim --seed 3 --aircraft 2000 --duration 40s --interval 1s --speed max >"$T/sim.ndjson" 2>/dev/null
total=$(wc -l <"$T/sim.ndjson")
mkfifo "$T/in2"
exec 8<>"$T/in2"
serve_start --push-interval 50ms "$T/in2"
/usr/bin/python3 "$T/stuck.py" "${URL##*:}" 60 &
stuck=$!
curl -sN "$URL/events" >"$T/reader" 2>/dev/null &
reader=$!
wait_for 5 test "$(metric clients)" = 2
fs-produce replay --speed 10 "$T/sim.ndjson" >&8 2>/dev/null
wait_for 10 test "$(metric records_used_total)" = "$total"
t_eq "all $total records taken in while a client never reads" "$total" "$(metric records_used_total)"
t_true 'and that client is still connected, not read from' -d "/proc/$stuck"
# Frames go on (one small change each) until the stuck client is far enough behind.
for i in $(seq 200); do
	[ "$(metric clients_dropped_total)" -ge 1 ] && break
	rec "c$(printf %05d "$i")" "$(now_s)" >&8
	sleep 0.05
done
t_true 'the client that never reads was dropped, and counted' "$(metric clients_dropped_total)" -ge 1
t_eq 'the reading client is still there' 1 "$(metric clients)"
sleep 0.3
frames=$(metric frames_total)
serve_stop
wait "$reader" 2>/dev/null
t_eq 'the reading client got every frame' "$frames" \
	"$(grep -c '^id: ' "$T/reader" | awk '{ print $1 - 1 }')"
kill "$stuck" 2>/dev/null
wait "$stuck" 2>/dev/null
exec 7>&- 8>&-

t_done
