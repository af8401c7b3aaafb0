#!/usr/bin/env bash
# fs-serve over HTTP, as a user and tar1090 meet it: usage; a real
# receiver's aircraft.json (../shared/data) through fs-produce readsb and
# fs-serve, field by field in readsb's names and units; every endpoint
# of the API with curl, its errors (400, 404, 405, 413, 414, 431, 401);
# gzip, HEAD, CORS, the token; static files and the ways out of their
# folder; bad input rejected with reasons; expiry and trails in event
# time and in wall time; SIGTERM and SIGINT. About 10 s.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=../tools/serve.sh
. "$ROOT/tests/tools/serve.sh"

t_need curl jq /usr/bin/python3
t_built fs-serve fs-produce
DATA=$(cd "$ROOT/.." && pwd)/shared/data
AIRCRAFT=$DATA/readsb-aircraft-london.json
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY

# --- Usage ----------------------------------------------------------------------------

t_exit 'fs-serve -h exits 0' 0 fs-serve -h
t_match 'fs-serve -h prints the usage' '^usage: fs-serve \[--listen ADDR:PORT\]' "$out"
t_exit 'fs-serve -V exits 0' 0 fs-serve -V
t_synopsis fs-serve
for args in '--bogus' '--expire x' '--push-interval 1ms' '--max-aircraft 0' '--max-clients x' \
	'--trail -1s' '--cors ""'; do
	eval "set -- $args"
	t_exit "fs-serve $args is a usage error" 2 fs-serve "$@"
done
t_exit 'a --token-file that cannot be read: exit 1' 1 fs-serve --token-file "$T/none"
t_match 'and says so' "cannot open '$T/none'" "$err"
for l in 'nowhere' '127.0.0.1:' '256.1.1.1:80' '127.0.0.1:http'; do
	t_exit "--listen '$l': exit 1" 1 fs-serve --listen "$l" /dev/null
	t_match "--listen '$l': says why" "(invalid listen|cannot listen)" "$err"
done

# --- A real receiver's aircraft.json, through fs-produce readsb ---------------------

fs-produce readsb --once "$AIRCRAFT" >"$T/london.ndjson" 2>/dev/null
n=$(jq -s length <"$T/london.ndjson")
t_true "fs-produce readsb made records of the recorded file ($n)" "$n" -gt 30
# Two anomalies and a window, as fs-score and fs-window write them.
cat >"$T/extra.ndjson" <<'EOF'
{"timestamp":"2026-07-29T18:28:40.000Z","icao24":"abc001","callsign":"ANOM1","latitude":51.4,"longitude":-0.4,"velocity":300,"anomaly_score":0.81,"is_anomaly":true,"anomaly_reasons":["velocity_high"]}
{"timestamp":"2026-07-29T18:28:40.500Z","icao24":"abc002","callsign":"ANOM2","latitude":51.5,"longitude":-0.3,"velocity":10,"anomaly_score":0.77,"is_anomaly":true,"anomaly_reasons":["altitude_spike","velocity_low"]}
{"window_start":"2026-07-29T18:20:00.000Z","window_end":"2026-07-29T18:30:00.000Z","key":"*","event_count":42,"anomaly_count":2}
EOF
mkdir -p "$T/www/sub" "$T/outside"
printf '<!doctype html><title>t</title>\n' >"$T/www/index.html"
printf 'body{}\n' >"$T/www/sub/a.css"
printf 'x\n' >"$T/www/app.js"
printf 'secret\n' >"$T/outside/secret.txt"
ln -s ../outside/secret.txt "$T/www/out.txt"
ln -s sub/a.css "$T/www/in.css"
serve_start --expire 0 --www "$T/www" "$T/london.ndjson" "$T/extra.ndjson"
wait_for 5 sh -c "curl -s $URL/health | grep -q ended"

http /data/aircraft.json
t_eq 'aircraft.json: 200' 200 "$code"
t_match 'aircraft.json: JSON' 'content-type: application/json' "$headers"
t_match 'aircraft.json: not cached by browsers' 'cache-control: no-cache' "$headers"
cp "$T/body" "$T/served.json"
len=$(wc -c <"$T/body")
cat >"$T/check.py" <<'EOF'
import json, sys
orig = json.load(open(sys.argv[1]))
ours = json.load(open(sys.argv[2]))
bad = []
for k in ("now", "messages", "aircraft"):
    if k not in ours:
        bad.append("no %s" % k)
by = {a["hex"]: a for a in ours["aircraft"]}
ages = []
for a in orig["aircraft"]:
    o = by.get(a["hex"].lower())
    if o is None:
        bad.append("%s missing" % a["hex"])
        continue
    def near(k, tol):
        if k not in a:
            if k in o and not (k == "alt_baro" and o[k] == "ground"):
                bad.append("%s %s: %r not in the original" % (a["hex"], k, o[k]))
            return
        if k not in o:
            bad.append("%s %s missing" % (a["hex"], k))
        elif isinstance(a[k], str) or isinstance(o[k], str):
            if a[k] != o[k]:
                bad.append("%s %s %r, not %r" % (a["hex"], k, o[k], a[k]))
        elif abs(o[k] - a[k]) > tol:
            bad.append("%s %s %r, not %r" % (a["hex"], k, o[k], a[k]))
    # feet, feet, knots, degrees, ft/min: within what the records' decimals carry
    for k, tol in (("alt_baro", 0.5), ("alt_geom", 0.5), ("gs", 0.11), ("track", 0.051),
                   ("baro_rate", 1.5), ("lat", 1e-6), ("lon", 1e-6)):
        near(k, tol)
    for k in ("squawk", "category"):
        if a.get(k) != o.get(k) and not (k == "category" and a.get(k) in ("B0", "C0")):
            bad.append("%s %s %r, not %r" % (a["hex"], k, o.get(k), a.get(k)))
    if a.get("flight") is not None and o.get("flight") != a["flight"].strip().ljust(8):
        bad.append("%s flight %r, not %r" % (a["hex"], o.get("flight"), a["flight"]))
    if "lat" in a:
        ages.append(o["seen_pos"] - a.get("seen_pos", a.get("seen")))
    if not isinstance(o.get("mlat"), list) or not isinstance(o.get("tisb"), list):
        bad.append("%s: no mlat/tisb lists" % a["hex"])
if ages and max(ages) - min(ages) > 0.15:
    bad.append("ages not one offset: %.1f to %.1f" % (min(ages), max(ages)))
print("\n".join(bad))
EOF
t_eq 'aircraft.json: every aircraft of the recorded file, field by field in readsb units' '' \
	"$(/usr/bin/python3 "$T/check.py" "$AIRCRAFT" "$T/served.json" | head -20)"
t_eq 'aircraft.json: messages counts the records' "$((n + 2))" "$(jq .messages <<<"$body")"
http /data/receiver.json
t_eq 'receiver.json: version, refresh (the push interval) and history' 'fs-serve 1000 0' \
	"$(jq -r '"\(.version | split(" ")[0]) \(.refresh) \(.history)"' <<<"$body")"

http /data/aircraft.json -H 'Accept-Encoding: gzip'
t_match 'gzip when the client takes it' 'content-encoding: gzip' "$headers"
t_eq 'gzip: the same document' "$(jq -c '.aircraft | length' "$T/served.json")" \
	"$(gzip -dc "$T/body" | jq -c '.aircraft | length')"
http /data/aircraft.json -H 'Accept-Encoding: gzip;q=0, identity'
t_no_match 'no gzip when the client says q=0' 'content-encoding' "$headers"
code=$(curl -s -I -o "$T/head" -w '%{http_code}' "$URL/data/aircraft.json")
t_eq 'HEAD: 200' 200 "$code"
t_match 'HEAD: the length of the document, no body' "content-length: $len" \
	"$(tr 'A-Z' 'a-z' <"$T/head" | tr -d '\r')"

# --- The API -------------------------------------------------------------------------

http /api/aircraft
t_eq '/api/aircraft: every aircraft' "$((n + 2))" "$(jq '.aircraft | length' <<<"$body")"
t_eq '/api/aircraft: count' "$((n + 2))" "$(jq .count <<<"$body")"
t_eq '/api/aircraft: SI fields of the records' '518.16 82.88 400b83' \
	"$(jq -r '.aircraft[] | select(.icao24 == "400b83") | "\(.baro_altitude) \(.velocity) \(.icao24)"' <<<"$body")"
want=$(jq '[.aircraft[] | select(.lat != null and .lon >= -0.6 and .lon <= 0 and .lat >= 51.3 and .lat <= 51.6)] | length' "$AIRCRAFT")
http '/api/aircraft?bbox=-0.6,51.3,0,51.6'
t_eq "bbox=west,south,east,north: the aircraft in it ($want of the file, and 2 more)" "$((want + 2))" \
	"$(jq '.aircraft | length' <<<"$body")"
http '/api/aircraft?anomalous=true'
t_eq 'anomalous=true: the anomalies only' 'abc001 abc002' "$(jq -r '[.aircraft[].icao24] | sort | join(" ")' <<<"$body")"
http '/api/aircraft?callsign=ezy'
t_eq 'callsign=ezy: a prefix, any case' \
	"$(jq '[.aircraft[] | select((.flight // "") | startswith("EZY"))] | length' "$AIRCRAFT")" \
	"$(jq '.aircraft | length' <<<"$body")"
http '/api/aircraft?icao24=40&limit=2'
t_eq 'icao24=40&limit=2' '2 true' "$(jq -r '"\(.aircraft | length) \(all(.aircraft[]; .icao24 | startswith("40")))"' <<<"$body")"
http /api/aircraft/3c71a1
t_eq '/api/aircraft/HEX: the aircraft, its latest record verbatim, its trail' '3c71a1 BCS361 1' \
	"$(jq -r '"\(.aircraft.icao24) \(.record.callsign) \(.trail | length)"' <<<"$body")"
http /api/aircraft/3c71a1/trail.geojson
t_match 'trail.geojson: GeoJSON' 'content-type: application/geo\+json' "$headers"
t_eq 'trail.geojson: a LineString Feature, longitude first' 'Feature LineString -2.05223' \
	"$(jq -r '"\(.type) \(.geometry.type) \(.geometry.coordinates[0][0])"' <<<"$body")"
http /api/anomalies
t_eq '/api/anomalies: newest first, with reasons' 'abc002 altitude_spike,velocity_low abc001' \
	"$(jq -r '"\(.anomalies[0].icao24) \(.anomalies[0].anomaly_reasons | join(",")) \(.anomalies[1].icao24)"' <<<"$body")"
http '/api/windows?key=*'
t_eq '/api/windows?key=*: the window records as they came' '42' "$(jq '.windows[0].event_count' <<<"$body")"
http /api/windows
t_eq '/api/windows: the latest of every key' '1' "$(jq '.windows | length' <<<"$body")"
http /metrics
t_match '/metrics: Prometheus text' 'content-type: text/plain; version=0.0.4' "$headers"
bad=
for m in records_in_total aircraft clients events_pushed_total clients_dropped_total input_lag_seconds; do
	grep -q "^fs_serve_$m " <<<"$body" || bad="$bad $m"
done
t_eq '/metrics: records in, aircraft, clients, events pushed, clients dropped, input lag' '' "${bad# }"
t_eq '/metrics: records in' "$((n + 3))" "$(metric records_in_total)"
http /health
t_eq '/health: 200 and the input state' '200 ok ended' "$code $(jq -r '"\(.status) \(.input)"' <<<"$body")"

# --- Errors ---------------------------------------------------------------------------

while read -r want path why; do
	http "$path"
	t_eq "$path: $want ($why)" "$want" "$code"
	t_match "$path: says why in JSON" '^\{"error":"' "$body"
done <<'EOF'
404 /nothing no such path
404 /api/nothing no such endpoint
404 /data/nothing no such file
404 /api/aircraft/ffffff no such aircraft
404 /api/aircraft/3c71a1/other no such resource
400 /api/aircraft?bogus=1 unknown parameter
400 /api/aircraft?bbox=1,2 bbox of two numbers
400 /api/aircraft?bbox=10,0,0,10 west past east
400 /api/aircraft?anomalous=maybe not a boolean
400 /api/aircraft?limit=0 limit out of range
400 /api/anomalies?limit=x limit not a number
EOF
for m in POST PUT DELETE PATCH; do
	http /api/aircraft -X "$m"
	t_eq "$m: 405" 405 "$code"
done
t_match '405 says what is allowed' 'allow: get, head' "$headers"
head -c 100000 /dev/zero >"$T/big"
http /health -X GET --data-binary @"$T/big"
t_eq 'a request body of 100 kB: 413' 413 "$code"
http /health -H "X-Big: $(head -c 20000 /dev/zero | tr '\0' a)"
t_eq 'request headers of 20 kB: 431' 431 "$code"
http "/$(head -c 20000 /dev/zero | tr '\0' a)"
t_eq 'a URL of 20 kB: 414' 414 "$code"

# --- Static files ---------------------------------------------------------------------

while read -r want path; do
	code=$(curl -s --path-as-is -o "$T/body" -w '%{http_code}' "$URL$path")
	t_eq "static $path: $want" "$want" "$code"
	[ "$want" = 404 ] && t_no_match "static $path: nothing from outside" secret "$(cat "$T/body")"
done <<'EOF'
200 /
200 /index.html
200 /sub/a.css
200 /in.css
301 /sub
404 /out.txt
404 /../outside/secret.txt
404 /sub/../../outside/secret.txt
404 /%2e%2e/outside/secret.txt
404 /sub/%2E%2E/%2E%2E/outside/secret.txt
404 /./index.html
404 /missing.html
EOF
http /sub/a.css
t_match 'content type of .css' 'content-type: text/css' "$headers"
http /app.js
t_match 'content type of .js' 'content-type: text/javascript' "$headers"
http /
t_match 'content type of .html' 'content-type: text/html' "$headers"
etag=$(sed -n 's/^etag: //p' <<<"$headers")
t_match 'an ETag and Last-Modified' 'last-modified: ' "$headers"
http / -H "If-None-Match: $etag"
t_eq 'If-None-Match: 304' 304 "$code"
t_no_match 'no CORS header unless --cors' 'access-control' "$headers"
serve_stop
t_eq 'SIGTERM: exit 0' 0 "$serve_status"

# --- Token and CORS --------------------------------------------------------------------

printf 's3cret-token\n' >"$T/token"
serve_start -v --token-file "$T/token" --cors https://map.example /dev/null
http /api/aircraft
t_eq 'with --token-file: 401 without a token' 401 "$code"
t_match '401 names the scheme' 'www-authenticate: bearer' "$headers"
http /api/aircraft -H 'Authorization: Bearer wrong'
t_eq '401 with the wrong token' 401 "$code"
http /api/aircraft -H 'Authorization: Bearer s3cret-token-and-more'
t_eq '401 with a longer one' 401 "$code"
http /api/aircraft -H 'Authorization: Bearer s3cret-token'
t_eq '200 with the token' 200 "$code"
t_match '--cors: the origin is allowed' 'access-control-allow-origin: https://map.example' "$headers"
http /health
t_eq '/health needs no token (for probes)' 200 "$code"
http /api/aircraft -X OPTIONS
t_eq '--cors: OPTIONS preflight 204' 204 "$code"
t_match 'preflight: methods and headers' 'access-control-allow-headers: authorization, last-event-id' "$headers"
serve_stop INT
t_eq 'SIGINT: exit 0' 0 "$serve_status"
t_no_match 'the token is never in the log' 's3cret' "$(cat "$T/serve.err")"

# --- Bad input, expiry and trails in wall and event time --------------------------------

mkfifo "$T/in"
exec 7<>"$T/in"
serve_start --expire 4s --trail 3s --push-interval 100ms --reject "$T/rejects.ndjson" "$T/in"
now() { date -u +%Y-%m-%dT%H:%M:%S.%3NZ; }
t0=$(date +%s%N)
since() { echo $((($(date +%s%N) - t0) / 1000000)); }
until_ms() { sleep "$(awk -v s="$(since)" -v u="$1" 'BEGIN { print (u > s ? u - s : 0) / 1000 }')"; }
{
	echo 'not json'
	echo '[1,2]'
	echo '{"timestamp":"2026-01-01T00:00:00Z"}'
	echo '{"icao24":"aaaaaa","timestamp":"noon"}'
	echo "{\"icao24\":\"aaaaaa\",\"timestamp\":\"$(now)\",\"latitude\":95,\"longitude\":0}"
	echo "{\"icao24\":\"aaaaaa\",\"timestamp\":\"$(now)\",\"latitude\":50,\"longitude\":1}"
} >&7
wait_for 5 sh -c "curl -s $URL/api/aircraft | grep -q aaaaaa"
http /api/aircraft
t_eq 'after bad lines the stream goes on' aaaaaa "$(jq -r '.aircraft[0].icao24' <<<"$body")"
t_eq 'bad lines are rejected with reasons' 'parse not_object missing.icao24 format.timestamp range.position' \
	"$(jq -r .reject.code "$T/rejects.ndjson" 2>/dev/null | xargs)"
t_eq 'and counted' 5 "$(metric records_rejected_total)"
until_ms 2000
echo "{\"icao24\":\"aaaaaa\",\"timestamp\":\"$(now)\",\"latitude\":50.1,\"longitude\":1}" >&7
sleep 0.3
http /api/aircraft/aaaaaa
t_eq 'the trail has both points' 2 "$(jq '.trail | length' <<<"$body")"
until_ms 3500
http /api/aircraft/aaaaaa
t_eq '--trail 3s: the first point left in wall time' 1 "$(jq '.trail | length' <<<"$body")"
t_true 'a quiet aircraft is still there before --expire' "$(jq '.aircraft.seen' <<<"$body" | cut -d. -f1)" -lt 4
until_ms 6500
http /api/aircraft/aaaaaa
t_eq '--expire 4s: gone after 4 s of quiet, in wall time' 404 "$code"
t=$(date -u +%s)
printf '{"icao24":"bbbbbb","timestamp":%d}\n{"icao24":"cccccc","timestamp":%d}\n' $((t + 100)) $((t + 105)) >&7
sleep 0.4
http /api/aircraft
t_eq 'event time: a record 5 s newer expires one 4 s older at once' cccccc \
	"$(jq -r '[.aircraft[].icao24] | join(" ")' <<<"$body")"
t_eq 'expiry is counted' 2 "$(metric aircraft_expired_total)"
serve_stop
t_eq 'SIGTERM while reading a pipe: exit 0' 0 "$serve_status"
exec 7>&-

# Port in use.
serve_start /dev/null
t_exit 'a port in use: exit 1' 1 fs-serve --listen "${URL#http://}" /dev/null
t_match 'says so' "cannot listen on '127.0.0.1:[0-9]+': Address already in use" "$err"
serve_stop

t_done
