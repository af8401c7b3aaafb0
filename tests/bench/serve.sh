#!/usr/bin/env bash
# bench/serve.sh: fs-serve beside the floor and nginx, with push clients.
#
# Measured in one run, on loopback:
#   ingestion with 100 push clients connected / the floor (yajl reading
#     the bench file, no work)                               target 0.5x
#   CPU of fs-serve per push client: 10,000 aircraft, --push-interval 1s,
#     1,000 clients (one Python process reads them all)
#   latency from a record written to fs-serve's stdin to a push client,
#     20 records a second, --push-interval 100ms: p50 and p99
#   wrk against /data/aircraft.json of 10,000 aircraft, beside nginx
#     serving the same document as a static file
#
# Environment: O (build directory), FS_BENCH_RECORDS (default 1000000).
set -euo pipefail
O=${O:-build}
BIN=$O/bin
RECORDS=${FS_BENCH_RECORDS:-1000000}
dir=$(mktemp -d)
pids=
trap 'for p in $pids; do kill "$p" 2>/dev/null || true; done; rm -rf "$dir"' EXIT
clients=$(dirname "$0")/../tools/sse_clients.py
in=$dir/sim.ndjson
aircraft=1000
secs=$((RECORDS * 10 / aircraft))
"$BIN"/fs-produce sim --seed 7 --aircraft $aircraft --duration "${secs}s" --speed max >"$in" 2>/dev/null
n=$(wc -l <"$in")
echo "fs-serve: $n records ($(du -h "$in" | cut -f1)), $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ)"

# port FILE: waits for fs-serve's --port-file.
port() {
	local i
	for i in $(seq 200); do
		[ -s "$1" ] && { cat "$1"; return; }
		sleep 0.05
	done
	echo "bench/serve.sh: fs-serve did not start" >&2
	exit 1
}
# cpu PID: its user and system time, in clock ticks.
cpu() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
ms() { echo $(($(date +%s%N) / 1000000)); }

# --- Ingestion with 100 push clients, beside the floor ------------------------------

t0=$(ms)
"$O"/tests/floor <"$in" >/dev/null
floor=$(($(ms) - t0))
mkfifo "$dir/in"
"$BIN"/fs-serve -q -e --listen 127.0.0.1:0 --port-file "$dir/p1" "$dir/in" &
srv=$!
pids="$pids $srv"
p=$(port "$dir/p1")
/usr/bin/python3 "$clients" --quiet "$p" 100 >"$dir/c1" &
cl=$!
pids="$pids $cl"
until [ "$(curl -s "http://127.0.0.1:$p/metrics" | awk '$1 == "fs_serve_clients" { print $2 }')" = 100 ]; do
	sleep 0.1
done
t0=$(ms)
cat "$in" >"$dir/in"
wait "$srv"
serve=$(($(ms) - t0))
wait "$cl" || true
events=$(awk '{ s += $1 } END { print s }' "$dir/c1")
printf '%-52s %8s %12s %8s\n' program "time s" "events/s" "x floor"
row() { awk -v name="$1" -v t="$2" -v n="$n" -v f="$floor" \
	'BEGIN { printf "%-52s %8.3f %12.0f %8.2f\n", name, t / 1000, n / t * 1000, t / f }'; }
row 'floor (yajl, no work)' "$floor"
row 'fs-serve, 100 push clients connected' "$serve"
share=$(awk -v a="$floor" -v b="$serve" 'BEGIN { printf "%.2f", a / b }')
echo "fs-serve ingestion / floor: ${share}x (target 0.5x: $(awk -v v="$share" 'BEGIN { print (v >= 0.5 ? "met" : "NOT MET") }')); the 100 clients took $events events"

# --- 10,000 aircraft, 1,000 push clients: CPU per client ---------------------------

"$BIN"/fs-produce sim --seed 9 --aircraft 10000 --duration 90s --interval 5s --speed max \
	>"$dir/10k.ndjson" 2>/dev/null
mkfifo "$dir/in2"
"$BIN"/fs-serve -q --listen 127.0.0.1:0 --port-file "$dir/p2" --max-clients 1100 "$dir/in2" &
srv=$!
"$BIN"/fs-produce replay --speed 1 --rebase "$dir/10k.ndjson" >"$dir/in2" 2>/dev/null &
pids="$pids $srv $!"
p=$(port "$dir/p2")
sleep 10	# the 10,000 aircraft are all in after one interval of 5 s
c0=$(cpu "$srv")
sleep 10
c1=$(cpu "$srv")
"$O"/tests/sse_load "$p" 1000 30 >"$dir/c2" &
cl=$!
pids="$pids $cl"
until [ "$(curl -s "http://127.0.0.1:$p/metrics" | awk '$1 == "fs_serve_clients" { print $2 }')" -ge 1000 ]; do
	sleep 0.2
done
sleep 2
c2=$(cpu "$srv")
b0=$(curl -s "http://127.0.0.1:$p/metrics" | awk '$1 == "fs_serve_push_bytes_total" { print $2 }')
sleep 20
c3=$(cpu "$srv")
m=$(curl -s "http://127.0.0.1:$p/metrics")
b1=$(awk '$1 == "fs_serve_push_bytes_total" { print $2 }' <<<"$m")
held=$(awk '$1 == "fs_serve_aircraft" { print $2 }' <<<"$m")
dropped=$(awk '$1 == "fs_serve_clients_dropped_total" { print $2 }' <<<"$m")
coalesced=$(awk '$1 == "fs_serve_clients_coalesced_total" { print $2 }' <<<"$m")
wait "$cl" 2>/dev/null || true
read -r left _ <"$dir/c2" || left=?
hz=$(getconf CLK_TCK)
awk -v a="$c0" -v b="$c1" -v c="$c2" -v d="$c3" -v hz="$hz" -v b0="$b0" -v b1="$b1" -v ac="$held" \
	-v dr="$dropped" -v co="$coalesced" -v left="$left" 'BEGIN {
	idle = (b - a) / hz / 10; busy = (d - c) / hz / 20
	printf "fs-serve, %d aircraft, 2000 records/s, --push-interval 1s:\n", ac
	printf "  CPU with no client: %.1f%% of a core; with 1000 clients: %.1f%%\n", idle * 100, busy * 100
	printf "  CPU per client: %.3f%% of a core (%.0f us a second); pushed %.0f MB/s\n",
	    (busy - idle) * 100 / 1000, (busy - idle) * 1e6 / 1000, (b1 - b0) / 20 / 1e6
	printf "  clients coalesced %d times, dropped %d; %s of 1000 clients open at the end\n", co, dr, left
}'

# --- Latency, stdin to a push client ------------------------------------------------

read -r p50 p99 max got < <(/usr/bin/python3 "$(dirname "$0")/serve_latency.py" "$BIN/fs-serve" 200 20 \
	--push-interval 100ms)
echo "latency stdin -> push client, 20 records/s, --push-interval 100ms: p50 ${p50} ms, p99 ${p99} ms, max ${max} ms ($got of 200)"

# --- wrk: aircraft.json of 10,000 aircraft, beside nginx -----------------------------

if ! command -v wrk >/dev/null || ! command -v nginx >/dev/null; then
	echo "wrk beside nginx: not measured: wrk or nginx is missing (apt-get install wrk nginx-light)"
	exit 0
fi
curl -s "http://127.0.0.1:$p/data/aircraft.json" >"$dir/aircraft.json"
size=$(wc -c <"$dir/aircraft.json")
chmod 755 "$dir"	# nginx's workers run as another user
mkdir -p "$dir/nginx/data"
cp "$dir/aircraft.json" "$dir/nginx/data/"
np=$((20000 + RANDOM % 20000))
cat >"$dir/nginx.conf" <<CONF
daemon off;
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/nginx.err;
events { worker_connections 1024; }
http {
	access_log off;
	types { application/json json; }
	server {
		listen 127.0.0.1:$np;
		root $dir/nginx;
	}
}
CONF
nginx -c "$dir/nginx.conf" -p "$dir" &
ng=$!
pids="$pids $ng"
sleep 0.5
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$np/data/aircraft.json")" = 200 ] ||
	{ echo "bench/serve.sh: nginx does not serve the file: $(cat "$dir/nginx.err")" >&2; exit 1; }
wrkrun() { wrk -t1 -c50 -d8s "$1" | awk '/Requests\/sec/ { print $2 }'; }
rs=$(wrkrun "http://127.0.0.1:$p/data/aircraft.json")
rn=$(wrkrun "http://127.0.0.1:$np/data/aircraft.json")
kill "$ng" 2>/dev/null || true
echo "wrk -t1 -c50 against aircraft.json ($((size / 1024)) KiB, $held aircraft), while fs-serve reads 2000 records/s:"
awk -v s="$rs" -v n="$rn" 'BEGIN { printf "  fs-serve %.0f requests/s, nginx (static file) %.0f requests/s: %.2fx nginx\n", s, n, s / n }'
