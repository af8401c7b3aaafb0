#!/usr/bin/env bash
# fs-produce opensky, as a user runs it, against a local HTTP fixture
# (tests/tools/http_fixture.py on 127.0.0.1) that serves the real recorded
# response in ../shared/data: the field mapping of every state vector,
# tokens, rate limits, retries, timeouts, malformed responses, the exit
# status of --once, and that the client secret never shows.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=../tools/fixture.sh
. "$ROOT/tests/tools/fixture.sh"

t_built fs-produce
t_need jq /usr/bin/python3

# The tests reach 127.0.0.1 only, and never the user's own OpenSky account.
unset FS_OPENSKY_CLIENT_ID FS_OPENSKY_CLIENT_SECRET
ID=flightstream-test-client
# A secret with what a form must encode: & = + % / space, and UTF-8.
SECRET='s3cr&t=+%/ k3y-ü-Zq81'
fixture_setup opensky-states-denver.json "$ID" "$SECRET"
STATES=$DATA/opensky-states-denver.json

# oracle FILE: the records a response should give, computed here independently
# from the state vectors with their numbers' text kept as written.
cat >"$T/oracle.py" <<'EOF'
import datetime, json, sys

class Num(str):
    pass

def text(v):
    if v is None:
        return "null"
    if v is True or v is False:
        return "true" if v else "false"
    if isinstance(v, Num):
        return str(v)
    if isinstance(v, list):
        return "[" + ",".join(text(x) for x in v) + "]"
    return json.dumps(v)

doc = json.load(open(sys.argv[1]), parse_float=Num, parse_int=Num)
for s in doc["states"] or []:
    t = s[3] if s[3] is not None else s[4] if s[4] is not None else doc["time"]
    ts = datetime.datetime.fromtimestamp(int(t), datetime.timezone.utc)
    cs = s[1].strip(" ") if s[1] is not None else None
    fields = [("icao24", text(s[0].lower())), ("callsign", text(cs or None)),
              ("origin_country", text(s[2])), ("latitude", text(s[6])),
              ("longitude", text(s[5])), ("baro_altitude", text(s[7])),
              ("geo_altitude", text(s[13])), ("velocity", text(s[9])),
              ("heading", text(s[10])), ("vertical_rate", text(s[11])),
              ("on_ground", text(s[8])), ("squawk", text(s[14])), ("spi", text(s[15])),
              ("position_source", text(s[16])),
              ("category", text(s[17]) if len(s) > 17 else "null"),
              ("sensors", text(s[12])), ("source", '"opensky"')]
    print('{"timestamp":"%s",' % ts.strftime("%Y-%m-%dT%H:%M:%S.000Z")
          + ",".join('"%s":%s' % f for f in fields) + "}")
EOF
oracle() { /usr/bin/python3 "$T/oracle.py" "$1"; }

# stats_of FIELD: FIELD of the --stats summary, the last line of $err.
stats_of() { printf '%s\n' "$err" | tail -n 1 | jq -r ".$1"; }

# --- --file: the mapping, exactly, on the recorded response ---------------------

run fs-produce opensky --file "$STATES"
t_true 'opensky --file of the recorded response: exit 0' "$status" -eq 0
t_eq 'one record per state vector: 38' 38 "$(printf '%s\n' "$out" | wc -l)"
t_eq 'every record is its state vector, field by field, numbers as written, nulls kept' \
	"$(oracle "$STATES")" "$out"
t_eq 'the 4 ground reports keep their null altitudes and vertical rates' \
	'4 4 4 4' "$(printf '%s\n' "$out" | jq -s '[(map(select(.on_ground)) | length),
		(map(select(.baro_altitude == null)) | length), (map(select(.geo_altitude == null)) | length),
		(map(select(.vertical_rate == null)) | length)] | map(tostring) | join(" ")' -r)"
t_eq 'squawk stays null where it was null' "$(jq '[.states[] | select(.[14] == null)] | length' "$STATES")" \
	"$(printf '%s\n' "$out" | jq -s 'map(select(.squawk == null)) | length')"
t_eq 'numbers keep their text: 13 stays 13, 4038.6 stays 4038.6' \
	'"vertical_rate":13, "baro_altitude":4038.6' \
	"$(printf '%s\n' "$out" | grep -o '"vertical_rate":13,' | head -n 1 | tr -d ,), $(printf '%s\n' "$out" |
		grep -o '"baro_altitude":4038.6,' | tr -d ,)"
t_eq 'the record keys are those of the simulator, in its order' \
	'timestamp icao24 callsign origin_country latitude longitude baro_altitude geo_altitude velocity heading vertical_rate on_ground squawk spi position_source category sensors source' \
	"$(printf '%s\n' "$out" | head -n 1 | jq -r 'keys_unsorted | join(" ")')"
t_eq 'every record passes the same jq schema checks as sim records (types)' '' \
	"$(printf '%s\n' "$out" | jq -c 'select((.timestamp | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z$") | not)
		or (.icao24 | test("^[0-9a-f]{6}$") | not) or (.on_ground | type != "boolean"))')"
t_eq 'without --reject and with nothing to reject, stderr is empty' '' "$err"

# The 18-field layout with "category", and the edges of the mapping.
jq '.states |= [to_entries[] | .value + [if .key % 4 == 0 then null else .key % 21 end]]' \
	"$STATES" >"$T/extended.json"
run fs-produce opensky --file "$T/extended.json"
t_eq 'the 18-field layout: category is taken, null where null' "$(oracle "$T/extended.json")" "$out"
t_eq 'the 18-field layout: categories as numbers' '1 2 3 null 5' \
	"$(printf '%s\n' "$out" | sed -n '2,5p;6p' | jq -r .category | xargs)"

jq '.states[0][3] = null | .states[1][3] = null | .states[1][4] = null |
	.states[2][1] = "        " | .states[3][1] = null | .states[4][0] = "A53508" |
	.states[5][12] = [1234, 56789]' "$STATES" >"$T/edges.json"
run fs-produce opensky --file "$T/edges.json"
t_eq 'edges: the oracle agrees on every record' "$(oracle "$T/edges.json")" "$out"
t_eq 'no time_position: the time is last_contact' '2021-03-07T18:30:29.000Z' \
	"$(printf '%s\n' "$out" | sed -n 1p | jq -r .timestamp)"
t_eq 'neither time: the time is the response time' '2021-03-07T18:30:30.000Z' \
	"$(printf '%s\n' "$out" | sed -n 2p | jq -r .timestamp)"
t_eq 'a call sign of only spaces is null; null stays null; others lose their padding' \
	'null null N4345G' "$(printf '%s\n' "$out" | sed -n '3,5p' | jq -r .callsign | xargs)"
t_eq 'an address in capitals is written in lowercase' 'a53508' \
	"$(printf '%s\n' "$out" | sed -n 5p | jq -r .icao24)"
t_eq 'sensors are kept as an array' '[1234,56789]' "$(printf '%s\n' "$out" | sed -n 6p | jq -c .sensors)"

jq '.states = null' "$STATES" >"$T/empty.json"
run fs-produce opensky --file "$T/empty.json"
t_true '"states": null (no aircraft in view): exit 0' "$status" -eq 0
t_eq '"states": null: no records' '' "$out"

run fs-produce opensky --file - <"$STATES"
t_eq '--file - reads standard input' "$(oracle "$STATES")" "$out"

# Bad state vectors are rejects, the others go on.
jq '.states += [["abc"], "x", ["a00001", null, "US", 1615141830, 1615141830, -105, "39.9",
	null, false, 1, 2, 3, null, 4, null, false, 0], [null, null, "US", 1, 1, 1, 1, 1, false,
	1, 1, 1, null, 1, null, false, 0], ["a00002", null, "US", "soon", 1, 1, 1, 1, false, 1, 1,
	1, null, 1, null, false, 0]]' "$STATES" >"$T/bad.json"
run fs-produce opensky --file "$T/bad.json" --reject "$T/rejects.ndjson" --stats
t_true 'bad state vectors: exit 0' "$status" -eq 0
t_eq 'bad state vectors: the 38 good ones are written' 38 "$(printf '%s\n' "$out" | wc -l)"
t_eq 'bad state vectors: 5 rejects with code bad_state' 'bad_state bad_state bad_state bad_state bad_state' \
	"$(jq -r .reject.code "$T/rejects.ndjson" | xargs)"
t_eq 'a reject keeps the state vector as JSON text' '["abc"] "x"' \
	"$(jq -r .line "$T/rejects.ndjson" | head -n 2 | xargs -d '\n')"
t_match 'a reject says which field is wrong' 'latitude \(field 6\) is a string' \
	"$(jq -r .reject.message "$T/rejects.ndjson" | sed -n 3p)"
t_eq 'the stats count 43 in, 38 out, 5 rejected' '43 38 5' \
	"$(stats_of in) $(stats_of out) $(stats_of rejected)"

# Files that are not responses.
printf '<html>Bad Gateway</html>\n' >"$T/html.json"
run fs-produce opensky --file "$T/html.json"
t_true 'a file that is not JSON: exit 1' "$status" -eq 1
t_match 'a file that is not JSON: the message quotes its first bytes' \
	"malformed response from '.*html.json': .*beginning '<html>Bad Gateway</html>\\\\n'" "$err"
echo '{"time": 1, "states": {"a": 1}}' >"$T/shape.json"
run fs-produce opensky --file "$T/shape.json"
t_true 'a file whose "states" is not an array: exit 1' "$status" -eq 1
t_match 'and the message says so' '"states" is not an array' "$err"
run fs-produce opensky --file "$T/missing.json"
t_true 'a missing file: exit 1' "$status" -eq 1
t_match 'a missing file: the message names it' "cannot open '$T/missing.json'" "$err"

# --- Polling, anonymously ------------------------------------------------------------

run fs-produce opensky --url "$BASE/ok.a/api" --once --stats
t_true 'opensky --once against the fixture: exit 0' "$status" -eq 0
t_eq 'a poll gives the same records as the file' "$(oracle "$STATES")" "$out"
t_eq 'it asked for /states/all with extended=1, once, without a token' \
	'{"method":"GET","path":"/ok.a/api/states/all","query":"extended=1","auth":null}' \
	"$(requests ok.a '{method, path, query, auth}')"
t_match 'without credentials it says it polls anonymously' 'no OpenSky credentials.*anonymously' "$err"
t_eq '--stats shows X-Rate-Limit-Remaining as rate_limit_remaining' 399 "$(stats_of rate_limit_remaining)"
t_eq '--stats counts the poll and the 4 credits of a request without --bbox' '1 0 4' \
	"$(stats_of polls) $(stats_of polls_failed) $(stats_of credits)"

run fs-produce opensky -q --url "$BASE/ok.b/api/" --once --bbox 39,-106,41,-104 --icao24 AC234F,a4c4ae
t_true 'opensky --bbox --icao24: exit 0' "$status" -eq 0
t_eq 'the box and the addresses are in the query, addresses in lowercase' \
	'extended=1&lamin=39&lomin=-106&lamax=41&lomax=-104&icao24=ac234f&icao24=a4c4ae' \
	"$(requests ok.b .query)"
t_eq '-q: nothing on stderr' '' "$err"

run fs-produce opensky -q --url "$BASE/gzip.a/api" --once
t_eq 'a gzip-compressed response gives the same records' "$(oracle "$STATES")" "$out"
t_eq 'compressed responses are asked for, and this one was compressed' 'true true' \
	"$(requests gzip.a '"\(.accept_encoding | test("gzip")) \(.gzipped)"')"

# What a request costs, by the area of the box.
i=0
while read -r box want; do
	i=$((i + 1))
	[ "$box" = - ] && box=
	run fs-produce opensky -q --stats --once --url "$BASE/ok.c$i/api" ${box:+--bbox "$box"}
	t_eq "a box of ${box:-the world}: $want credit(s) a request" "$want" "$(stats_of credits)"
done <<'EOF'
39,-106,41,-104 1
35,-110,40,-105 1
35,-110,43,-100 2
30,-115,45,-95 3
20,-130,50,-70 4
- 4
EOF

# --- Authentication ---------------------------------------------------------------------

export FS_OPENSKY_CLIENT_ID=$ID FS_OPENSKY_CLIENT_SECRET=$SECRET
outputs=()	# every file a credentialed run wrote, searched for the secret at the end
keep() { cp "$T/out" "$T/keep.$1.out"; cp "$T/err" "$T/keep.$1.err"; outputs+=("$T/keep.$1.out" "$T/keep.$1.err"); }

run fs-produce opensky -v --stats --url "$BASE/auth.a/api" --token-url "$BASE/auth.a/token" --once \
	--metrics-file "$T/metrics.prom" --reject "$T/auth-rejects.ndjson"
keep auth.a
outputs+=("$T/metrics.prom" "$T/auth-rejects.ndjson")
t_true 'with credentials from the environment: exit 0' "$status" -eq 0
t_eq 'with credentials: the 38 records' "$(oracle "$STATES")" "$out"
t_eq 'the token request is a form POST with the grant, the id and the secret, encoded' \
	'POST application/x-www-form-urlencoded true true true' \
	"$(requests auth.a 'select(.method == "POST") | [.method, .content_type, .grant_ok, .id_ok, .secret_ok] | map(tostring) | join(" ")')"
t_eq 'the states request carries the bearer token' 'Bearer tok-auth.a-1' \
	"$(requests auth.a 'select(.method == "GET") | .auth')"
t_no_match 'with credentials it does not say anonymously' 'anonymously' "$err"
t_match '-v says it got a token, and for how long' 'got an OpenSky token, valid for 1800s' "$err"
t_eq 'the stats count one token' 1 "$(stats_of tokens)"

run_for 1.6 fs-produce opensky --stats --url "$BASE/auth.cache/api" --token-url "$BASE/auth.cache/token" \
	--interval 0.3s
keep auth.cache
cp "$T/cmdline" "$T/keep.cmdline"
outputs+=("$T/keep.cmdline")
t_true "polling with a token, stopped by SIGTERM: exit 0 (got $status)" "$status" -eq 0
t_true 'several polls were made' "$(requests auth.cache 'select(.method == "GET")' | wc -l)" -ge 3
t_eq 'the token is kept from poll to poll: one token request' 1 \
	"$(requests auth.cache 'select(.method == "POST")' | wc -l)"
t_eq 'and every poll carries it' 'Bearer tok-auth.cache-1' \
	"$(requests auth.cache 'select(.method == "GET") | .auth' | sort -u)"

run_for 4.25 fs-produce opensky --url "$BASE/expire.a/api" --token-url "$BASE/expire.a/token" \
	--interval 0.5s
keep expire.a
t_true 'a token that lives 2 s is renewed before it expires: 2 or more token requests' \
	"$(requests expire.a 'select(.method == "POST")' | wc -l)" -ge 2
t_eq 'and no poll was refused for an expired token' '' \
	"$(requests expire.a 'select(.method == "GET" and .status != 200)')"

run fs-produce opensky --url "$BASE/revoke.a/api" --token-url "$BASE/revoke.a/token" --once
keep revoke.a
t_true 'a 401 with a token: a new token, the poll succeeds, exit 0' "$status" -eq 0
t_eq 'a 401: token, refused poll, new token, poll' 'POST 200, GET 401, POST 200, GET 200' \
	"$(requests revoke.a '"\(.method) \(.status)"' | paste -sd, | sed 's/,/, /g')"
t_eq 'a 401 then success: the 38 records' 38 "$(printf '%s\n' "$out" | wc -l)"

run fs-produce opensky --url "$BASE/deny.a/api" --token-url "$BASE/deny.a/token" --once
keep deny.a
t_true 'a 401 even with a new token: --once exits 1' "$status" -eq 1
t_eq 'a 401 is answered by one new token, no more' 'POST 200, GET 401, POST 200, GET 401' \
	"$(requests deny.a '"\(.method) \(.status)"' | paste -sd, | sed 's/,/, /g')"
t_match 'and the message gives the status' "cannot get '.*deny.a/api/states/all.*': HTTP 401" "$err"

run fs-produce opensky --url "$BASE/badcreds.a/api" --token-url "$BASE/badcreds.a/token" --interval 0.2s
keep badcreds.a
t_true 'credentials refused by the token endpoint: exit 1, even without --once' "$status" -eq 1
t_match 'the message says they were refused, with the OAuth2 error' \
	'refused the credentials: HTTP 401: unauthorized_client \(Invalid client' "$err"
t_eq 'refused credentials are not tried again and again' 1 "$(requests badcreds.a | wc -l)"

FS_OPENSKY_CLIENT_SECRET=wrong-secret run fs-produce opensky --url "$BASE/auth.w/api" \
	--token-url "$BASE/auth.w/token" --once
t_true 'a wrong secret: exit 1' "$status" -eq 1
t_eq 'a wrong secret is refused by the token endpoint' 'false 401' \
	"$(requests auth.w 'select(.method == "POST") | "\(.secret_ok) \(.status)"')"

run fs-produce opensky --url "$BASE/down.tok/api" --token-url "$BASE/down.tok/token" --once --retries 1
keep down.tok
t_true 'a token endpoint that fails: exit 1' "$status" -eq 1
t_match 'and the message says the token could not be had' \
	"cannot get an OpenSky token from '.*down.tok/token': HTTP 500 \(after 2 attempts\)" "$err"
t_no_match 'and does not show the body of a token response' 'internal error' "$err"

# A server that echoes the request into its error page: the start of the body is
# quoted, with the bearer token and the client secret hidden.
for sc in echo echook; do
	run fs-produce opensky --url "$BASE/$sc.a/api" --token-url "$BASE/$sc.a/token" --once --retries 0
	keep "$sc.a"
	t_true "$sc: a body that echoes the request: exit 1" "$status" -eq 1
	t_match "$sc: the body is quoted, the credentials hidden" \
	    "beginning 'client_secret=\\*\\*\\*; Authorization: Bearer \\*\\*\\*; proxy error'" "$err"
	t_no_match "$sc: the token is not printed" "tok-$sc" "$out$err"
	t_no_match "$sc: the client secret is not printed" 'k3y' "$out$err"
done

# A credentials file, as the OpenSky account page hands it out.
unset FS_OPENSKY_CLIENT_ID FS_OPENSKY_CLIENT_SECRET
jq -n --arg id "$ID" --arg s "$SECRET" '{clientId: $id, clientSecret: $s}' >"$T/credentials.json"
outputs_files=("$T/credentials.json")
chmod 600 "$T/credentials.json"
run fs-produce opensky --credentials "$T/credentials.json" --url "$BASE/auth.f/api" \
	--token-url "$BASE/auth.f/token" --once
keep auth.f
t_true '--credentials FILE (mode 600): exit 0' "$status" -eq 0
t_eq '--credentials FILE: the id and secret reach the token endpoint' 'true true' \
	"$(requests auth.f 'select(.method == "POST") | "\(.id_ok) \(.secret_ok)"')"
jq -n --arg id "$ID" --arg s "$SECRET" '{client_id: $id, client_secret: $s}' >"$T/credentials2.json"
chmod 600 "$T/credentials2.json"
run fs-produce opensky --credentials "$T/credentials2.json" --url "$BASE/auth.g/api" \
	--token-url "$BASE/auth.g/token" --once
keep auth.g
t_true '--credentials FILE with client_id and client_secret: exit 0' "$status" -eq 0
for mode in 644 640 604 660; do
	chmod "$mode" "$T/credentials.json"
	run fs-produce opensky --credentials "$T/credentials.json" --url "$BASE/auth.h/api" \
		--token-url "$BASE/auth.h/token" --once
	keep "auth.h$mode"
	t_true "a credentials file of mode $mode is refused: exit 1" "$status" -eq 1
	t_match "a credentials file of mode $mode: the message says why" \
		"others may read it \\(mode 0$mode\\); make it private with chmod 600" "$err"
done
t_eq 'a refused credentials file: no request was made' '' "$(requests auth.h)"
jq -n --arg id "$ID" '{clientId: $id}' >"$T/half.json"
chmod 600 "$T/half.json"
run fs-produce opensky --credentials "$T/half.json" --url "$BASE/auth.h/api" --once
t_true 'a credentials file without a secret: exit 1' "$status" -eq 1
t_match 'a credentials file without a secret: the message says so' 'lacks "clientSecret"' "$err"
run fs-produce opensky --credentials "$T/nonexistent.json" --once --url "$BASE/auth.h/api"
t_true 'a credentials file that does not exist: exit 1' "$status" -eq 1
FS_OPENSKY_CLIENT_ID=$ID run fs-produce opensky --url "$BASE/auth.h/api" --once
t_true 'FS_OPENSKY_CLIENT_ID without FS_OPENSKY_CLIENT_SECRET: exit 1' "$status" -eq 1
t_match 'and the message names the missing variable' 'FS_OPENSKY_CLIENT_SECRET is not' "$err"

# The secret, as given or as a form encodes it, is in no output and not on the command line.
encoded=$(/usr/bin/python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$SECRET")
leaks=$(grep -lF -e "$SECRET" -e "$encoded" -e 'k3y-' "${outputs[@]}" 2>/dev/null)
t_eq "the secret appears in none of ${#outputs[@]} outputs (stdout, stderr, -v, --stats, metrics, rejects, argv)" \
	'' "$leaks"
t_true 'the runs above did write output to search' "$(cat "${outputs[@]}" | wc -c)" -gt 10000
t_eq 'the credentials file is left as it was' "$ID" "$(jq -r .clientId "${outputs_files[0]}")"

# --- Rate limits ------------------------------------------------------------------------

run_for 3.1 fs-produce opensky --stats --url "$BASE/ratelimit.a/api" --interval 0.3s
t_true "429 in a loop, stopped by SIGTERM: exit 0 (got $status)" "$status" -eq 0
t_match 'a 429 is reported with the wait it asks for' \
	"rate limited by '.*ratelimit.a/api/states/all.*' \\(HTTP 429\\): out of API credits for 2s" "$err"
gap=$(requests ratelimit.a '.t' | head -n 2 | paste -sd' ' | awk '{ printf "%.3f", $2 - $1 }')
t_true "after a 429 with X-Rate-Limit-Retry-After-Seconds: 2, the next request waits 2 s (waited $gap s)" \
	"$(awk -v g="$gap" 'BEGIN { print (g >= 1.95) }')" -eq 1
t_true 'then polling resumes at the interval' "$(requests ratelimit.a | wc -l)" -ge 3
t_eq 'after the wait, the records come' 38 "$(wc -l <"$T/out")"
t_eq 'the stats count the 429 as rate_limited and as a failed poll' '1 1' \
	"$(stats_of rate_limited) $(stats_of polls_failed)"

run fs-produce opensky --url "$BASE/ratelimit.b/api" --once
t_true '--once and a 429: exit 1' "$status" -eq 1
t_eq '--once and a 429: one request, no retry' 1 "$(requests ratelimit.b | wc -l)"

# --- Retries, back-off, timeouts ----------------------------------------------------------

run fs-produce opensky --stats --url "$BASE/flaky.a/api" --once
t_true '500, then 503, then 200: retried, exit 0' "$status" -eq 0
t_eq '500, then 503, then 200: the records' 38 "$(printf '%s\n' "$out" | wc -l)"
t_eq 'three requests' '500 503 200' "$(requests flaky.a .status | xargs)"
t_match 'each retry is announced with its reason and wait' \
	"HTTP 500; retry 1 of 3 in [0-9.]+s.*HTTP 503; retry 2 of 3 in [0-9.]+s" "$(printf '%s' "$err" | tr '\n' ' ')"
waits=$(printf '%s\n' "$err" | sed -n 's/.*retry [0-9] of 3 in \([0-9.]*\)s$/\1/p' | xargs)
gaps=$(requests flaky.a .t | awk 'NR > 1 { printf "%.3f ", $1 - prev } { prev = $1 }')
t_true "back-off: the first wait is in [0.5, 1] s, the second in [1, 2] s (said: $waits)" \
	"$(awk -v w="$waits" 'BEGIN { split(w, a, " "); print (a[1] >= 0.5 && a[1] <= 1 && a[2] >= 1 && a[2] <= 2) }')" -eq 1
t_true "back-off: the requests were that far apart, at least (gaps: $gaps)" \
	"$(awk -v w="$waits" -v g="$gaps" 'BEGIN { split(w, a, " "); split(g, b, " ");
		print (b[1] >= a[1] - 0.05 && b[2] >= a[2] - 0.05) }')" -eq 1
t_eq 'the stats count 2 retries' 2 "$(stats_of retries)"

run fs-produce opensky --url "$BASE/down.a/api" --once --retries 2
t_true 'always 500: --once exits 1' "$status" -eq 1
t_eq 'always 500 with --retries 2: three requests, then it gives up' 3 "$(requests down.a | wc -l)"
t_match 'the message gives the status, the attempts and the first bytes of the body' \
	"cannot get '.*down.a.*': HTTP 500 \\(after 3 attempts\\); 27 bytes, beginning '<html>internal error</html>'" "$err"
run fs-produce opensky --url "$BASE/down.b/api" --once --retries 0
t_eq '--retries 0: one request' 1 "$(requests down.b | wc -l)"

run fs-produce opensky --url "$BASE/hang.a/api" --once --timeout 1s --retries 1
t_true 'a response that never ends: --once exits 1' "$status" -eq 1
t_eq 'a response that never ends: tried twice' 2 "$(requests hang.a | wc -l)"
t_match 'a response that never ends: the message says it timed out' 'timed out.*\(after 2 attempts\)' "$err"

run fs-produce opensky --url "$BASE/hangonce.a/api" --once --timeout 1s
t_true 'a timeout, then a response: exit 0' "$status" -eq 0
t_eq 'a timeout, then a response: the records' 38 "$(printf '%s\n' "$out" | wc -l)"
t_match 'the timeout was retried' 'timed out.*retry 1 of 3' "$err"

run fs-produce opensky --url "http://127.0.0.1:1/api" --once --retries 1
t_true 'nothing listening: --once exits 1' "$status" -eq 1
t_match 'nothing listening: the message says it could not connect' \
	"cannot get 'http://127.0.0.1:1/api/states/all\\?extended=1': .*(connect|Connection refused).*\\(after 2 attempts\\)" "$err"

# --- Malformed responses -------------------------------------------------------------------

run fs-produce opensky --url "$BASE/malformed.a/api" --once
t_true 'a malformed response: --once exits 1' "$status" -eq 1
t_match 'the message quotes the first bytes of the body' \
	"malformed response from '.*malformed.a.*': .*37 bytes, beginning '<html><body>Bad Gateway</body></html>'" "$err"

run_for 1.5 fs-produce opensky --stats --url "$BASE/malformed.b/api" --interval 0.2s
t_true "malformed responses in a loop: exit 0 on SIGTERM (got $status)" "$status" -eq 0
t_eq 'the loop goes on past 3 malformed responses to the good one' 38 "$(wc -l <"$T/out")"
t_eq 'the three were reported: not JSON, cut short, "states" not an array' 3 \
	"$(printf '%s\n' "$err" | grep -c 'malformed response')"
t_match 'a long body is quoted up to 64 bytes' "200 bytes, beginning '\\{\"time\": 1615141830, .{30,}\\.\\.\\.'" "$err"
t_eq 'the stats count them as malformed and as failed polls' '3 3' \
	"$(stats_of malformed) $(stats_of polls_failed)"

# --- Positions already sent -----------------------------------------------------------------

run_for 1.45 fs-produce opensky --stats --url "$BASE/changing.a/api" --interval 0.3s
cp "$T/out" "$T/ch.out"
read=$(stats_of in)
t_true "several polls of the changing scenario ($read states read)" "$read" -ge $((3 * 38))
t_eq 'a state is written once; only the 3 with a new position time again: 41 records' 41 "$(wc -l <"$T/ch.out")"
t_eq 'the records after the first poll are the 3 new positions' \
	'ac234f 2021-03-07T18:30:34.000Z a4c4ae 2021-03-07T18:30:35.000Z abb440 2021-03-07T18:30:34.000Z' \
	"$(tail -n 3 "$T/ch.out" | jq -r '"\(.icao24) \(.timestamp)"' | xargs)"
t_eq 'the states not written again are counted as duplicates' "$((read - 41))" "$(stats_of duplicates)"

# --- Signals and flushing ----------------------------------------------------------------------

fs-produce opensky --url "$BASE/ok.sig/api" --interval 60s >"$T/sig.out" 2>"$T/sig.err" &
pid=$!
for _ in $(seq 300); do
	[ "$(wc -l <"$T/sig.out")" -ge 38 ] && break
	sleep 0.1
done
t_eq "a poll's records are written out at once, while it waits for the next" 38 "$(wc -l <"$T/sig.out")"
kill -TERM "$pid"
wait "$pid"
st=$?
t_true "SIGTERM while waiting: exit 0 (got $st)" "$st" -eq 0

fs-produce opensky --url "$BASE/hang.sig/api" --timeout 30s --once >/dev/null 2>"$T/sig.err" &
pid=$!
sleep 0.8
kill -INT "$pid"
wait "$pid"
st=$?
t_true "SIGINT during a request: exit 0 at once (got $st)" "$st" -eq 0

# --- The data resolution of opensky-network.org ----------------------------------------------
# The fixture is the proxy, so the requests for opensky-network.org come to
# it as CONNECT, which it refuses: nothing leaves this machine.

https_proxy=$BASE run_for 2.5 fs-produce opensky --interval 1s --retries 0
t_match 'anonymously, --interval 1s is raised to the 10 s resolution of opensky-network.org' \
	'interval of 1s is shorter than the data resolution of anonymous users \(10s\): polling every 10s' "$err"
t_eq 'and only one request was made in 2.5 s' 'opensky-network.org:443' "$(requests proxy .target)"
t_match 'the default URL is the OpenSky API' "cannot get 'https://opensky-network.org/api/states/all\\?extended=1'" "$err"

FS_OPENSKY_CLIENT_ID=$ID FS_OPENSKY_CLIENT_SECRET=$SECRET https_proxy=$BASE \
	run fs-produce opensky --interval 2s --retries 0 --once
t_no_match 'with --once the interval does not matter' 'shorter than' "$err"
t_match 'the default token endpoint is OpenSky'"'"'s' \
	"cannot get an OpenSky token from 'https://auth.opensky-network.org/auth/realms/opensky-network/protocol/openid-connect/token'" "$err"
t_eq 'the token was asked of auth.opensky-network.org, through the proxy' \
	'auth.opensky-network.org:443' "$(requests proxy .target | tail -n 1)"

# --- Usage ----------------------------------------------------------------------------------------

while IFS='|' read -r args why; do
	# shellcheck disable=SC2086
	t_exit "opensky $args is a usage error" 2 fs-produce opensky $args
	t_match "opensky $args: $why" "$why" "$err"
done <<'EOF'
--bbox 39,-106,41|not four numbers
--bbox 39,-106,41,-104,5|not four numbers
--bbox 41,-106,39,-104|LAMIN is not below LAMAX
--bbox 39,-104,41,-106|LOMIN is not below LOMAX
--bbox 95,-106,96,-104|invalid bbox lamin '95': above 90
--bbox a,b,c,d|not a number
--icao24 abc|not 6 hexadecimal digits
--icao24 abc123,zzz123|invalid icao24 'zzz123'
--interval 0|below 1ms
--interval soon|not a duration
--timeout 0|below 1ms
--retries -1|below 0
--retries 101|above 100
--url ftp://example.org/api --once|invalid url 'ftp://example.org/api': not an http:// or https:// URL
--url opensky-network.org/api --once|not an http:// or https:// URL
--token-url /token --once|invalid token-url '/token'
--file x.json --once|cannot be used with --once
--file x.json --bbox 1,2,3,4|cannot be used with --bbox
extra|unexpected argument 'extra'
--bogus|usage: fs-produce
EOF
t_exit 'opensky --help exits 0' 0 fs-produce opensky --help
t_match 'opensky --help shows the opensky synopsis' 'fs-produce opensky \[--bbox LAMIN,LOMIN,LAMAX,LOMAX\] \[--icao24 LIST\]' "$out"

if [ -w /dev/full ]; then
	run sh -c 'fs-produce opensky --file "$1" >/dev/full' sh "$STATES"
	t_true 'output that cannot be written: exit 1' "$status" -eq 1
	t_match 'output that cannot be written: the message says so' 'cannot write' "$err"
else
	t_skip 'output that cannot be written: exit 1' 'no /dev/full'
fi

t_done
