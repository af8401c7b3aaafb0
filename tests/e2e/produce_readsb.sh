#!/usr/bin/env bash
# fs-produce readsb, as a user runs it: the mapping of a real receiver's
# aircraft.json (../shared/data) to Position records, unit by unit; the
# older dump1090 names; polling over HTTP from a local fixture on
# 127.0.0.1; re-reading a file; rejects, faults and usage.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=../tools/fixture.sh
. "$ROOT/tests/tools/fixture.sh"

t_built fs-produce
t_need jq /usr/bin/python3

fixture_setup readsb-aircraft-london.json
AIRCRAFT=$DATA/readsb-aircraft-london.json

# check FILE RECORDS: compare the records with the aircraft of FILE, computed
# here independently: text that is copied must be the same text; converted
# numbers must be within half a unit of their last decimal. Prints one line
# per difference, nothing when all agree.
cat >"$T/check.py" <<'EOF'
import json, sys
from decimal import Decimal

class Num(str):
    pass

KEYS = ["timestamp", "icao24", "callsign", "origin_country", "latitude", "longitude",
        "baro_altitude", "geo_altitude", "velocity", "heading", "vertical_rate",
        "on_ground", "squawk", "spi", "position_source", "category", "sensors", "source"]

doc = json.load(open(sys.argv[1]), parse_float=Num, parse_int=Num)
recs = [json.loads(l, parse_float=Num, parse_int=Num) for l in open(sys.argv[2])]
acs = doc["aircraft"]
if len(recs) != len(acs):
    print("%d records for %d aircraft" % (len(recs), len(acs)))
now = Decimal(doc["now"])

def get(a, *keys):
    for k in keys:
        if a.get(k) is not None:
            return a[k]
    return None

def ms(s):
    import datetime
    d = datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc)
    return int(d.timestamp()) * 1000 + d.microsecond // 1000

for a, r in zip(acs, recs):
    bad = []
    if list(r.keys()) != KEYS:
        bad.append("keys %s" % list(r.keys()))
    age = get(a, "seen_pos", "seen")
    want = int(now * 1000) - int(Decimal(age) * 1000)
    if ms(r["timestamp"]) != want:
        bad.append("timestamp %s, not %d ms" % (r["timestamp"], want))
    same = {"icao24": a["hex"].lower(),
            "callsign": (a.get("flight") or "").strip() or None,
            "origin_country": None, "latitude": a.get("lat"), "longitude": a.get("lon"),
            "heading": a.get("track"), "squawk": a.get("squawk"), "spi": None,
            "sensors": None, "source": "readsb",
            "on_ground": None if get(a, "alt_baro", "altitude") is None
                         else get(a, "alt_baro", "altitude") == "ground",
            "position_source": "0" if "lat" in a else None,
            "category": None if "category" not in a
                        else str(1 + int(a["category"][1])) if a["category"][1] != "0" else "1"}
    for k, v in same.items():
        got = r[k] if not isinstance(r[k], bool) else r[k]
        if (str(got) if isinstance(got, Num) else got) != (str(v) if isinstance(v, Num) else v):
            bad.append("%s %r, not %r" % (k, got, v))
    for k, keys, f, dec in (("baro_altitude", ("alt_baro", "altitude"), "0.3048", 4),
                            ("geo_altitude", ("alt_geom",), "0.3048", 4),
                            ("velocity", ("gs", "speed"), "0.514444", 2),
                            ("vertical_rate", ("baro_rate", "geom_rate", "vert_rate"), "0.00508", 2)):
        v = get(a, *keys)
        if v is None or v == "ground":
            if r[k] is not None:
                bad.append("%s %s, not null" % (k, r[k]))
            continue
        exact = Decimal(v) * Decimal(f)
        if r[k] is None or abs(Decimal(r[k]) - exact) > Decimal(5) / 10 ** (dec + 1):
            bad.append("%s %s, not %s" % (k, r[k], exact))
        elif len(str(r[k]).partition(".")[2]) > dec:
            bad.append("%s %s has more than %d decimals" % (k, r[k], dec))
    if bad:
        print(a["hex"] + ": " + "; ".join(bad))
EOF
check() { /usr/bin/python3 "$T/check.py" "$1" "$2"; }

# --- The mapping, on the recorded file -------------------------------------------------

run fs-produce readsb "$AIRCRAFT"
t_true 'readsb FILE: exit 0' "$status" -eq 0
t_eq 'readsb FILE: one record per aircraft' "$(jq '.aircraft | length' "$AIRCRAFT")" \
	"$(printf '%s\n' "$out" | wc -l)"
printf '%s\n' "$out" >"$T/london.ndjson"
t_eq 'every record is its aircraft: time, text copied, units converted, nulls' '' \
	"$(check "$AIRCRAFT" "$T/london.ndjson")"
t_eq 'a record, whole: 1700 ft, 1875 ft, 161.1 kt, 1472 ft/min' \
	'{"timestamp":"2026-07-29T18:28:30.600Z","icao24":"400b83","callsign":null,"origin_country":null,"latitude":51.477264,"longitude":-0.510716,"baro_altitude":518.16,"geo_altitude":571.5,"velocity":82.88,"heading":267.9,"vertical_rate":7.48,"on_ground":false,"squawk":null,"spi":null,"position_source":0,"category":null,"sensors":null,"source":"readsb"}' \
	"$(head -n 1 "$T/london.ndjson")"
t_eq 'timestamp = now - seen_pos: 1785349721.5 - 10.9 s' '2026-07-29T18:28:30.600Z' \
	"$(head -n 1 "$T/london.ndjson" | jq -r .timestamp)"
t_eq 'an aircraft without a position: null position, time from seen' \
	'40223a null null 2026-07-29T18:28:38.200Z' \
	"$(jq -r 'select(.icao24 == "40223a") | "\(.icao24) \(.latitude) \(.longitude) \(.timestamp)"' "$T/london.ndjson")"
t_eq 'callsigns lose their padding' 'BCS361 EZY16EG' \
	"$(sed -n '2,3p' "$T/london.ndjson" | jq -r .callsign | xargs)"
t_eq 'emitter categories become OpenSky numbers: A1 2, A2 3, A3 4, A5 6' '2 3 4 6' \
	"$(jq -r '.category // empty' "$T/london.ndjson" | sort -u | xargs)"
t_eq 'the records pass fs-clean-like type checks' '' \
	"$(jq -c 'select((.icao24 | test("^[0-9a-f]{6}$") | not) or (.source != "readsb"))' "$T/london.ndjson")"
t_eq 'nothing on stderr' '' "$err"

# The shapes the recording lacks: on the ground, a non-ICAO address, the old
# dump1090 names, where positions come from, codes of every kind.
jq '.aircraft |= [
	(.[0] | .alt_baro = "ground"),
	(.[1] | .hex = "~2A4B6C"),
	(.[2] | .altitude = .alt_baro | .speed = .gs | .vert_rate = .baro_rate | del(.alt_baro, .gs, .baro_rate)),
	(.[3] | .mlat = ["lat", "lon"]),
	(.[4] | .tisb = ["lat", "lon"]),
	(.[5] | .type = "adsb_icao"),
	(.[6] | .type = "mlat"),
	(.[7] | .type = "tisb_trackfile"),
	(.[8] | .category = "A0"),
	(.[9] | .category = "B2"),
	(.[10] | .category = "C3"),
	(.[11] | .category = "D1"),
	(.[13] | .squawk = 7700 | .spi = 1),
	(.[14] | .spi = false | .flight = "        "),
	(.[15] | del(.baro_rate) | .geom_rate = -640)
]' "$AIRCRAFT" >"$T/shapes.json"
run fs-produce readsb "$T/shapes.json"
t_true 'the other shapes: exit 0' "$status" -eq 0
printf '%s\n' "$out" >"$T/shapes.ndjson"
line() { sed -n "$1p" "$T/shapes.ndjson" | jq -c "$2"; }
t_eq 'alt_baro "ground": baro_altitude null, on_ground true' '[null,true]' "$(line 1 '[.baro_altitude, .on_ground]')"
t_eq 'a "~" address is kept (in lowercase)' '"~2a4b6c"' "$(line 2 .icao24)"
t_eq 'dump1090 names: altitude, speed, vert_rate convert as alt_baro, gs, baro_rate' \
	"$(sed -n 3p "$T/london.ndjson" | jq -c '[.baro_altitude, .velocity, .vertical_rate, .on_ground]')" \
	"$(line 3 '[.baro_altitude, .velocity, .vertical_rate, .on_ground]')"
t_eq 'mlat lists lat: position_source 2' 2 "$(line 4 .position_source)"
t_eq 'tisb lists lat: position_source null' null "$(line 5 .position_source)"
t_eq 'type adsb_icao: position_source 0' 0 "$(line 6 .position_source)"
t_eq 'type mlat: position_source 2' 2 "$(line 7 .position_source)"
t_eq 'type tisb_trackfile: position_source null' null "$(line 8 .position_source)"
t_eq 'category A0 (no information): 1' 1 "$(line 9 .category)"
t_eq 'category B2 (lighter than air): 10' 10 "$(line 10 .category)"
t_eq 'category C3 (point obstacle): 18' 18 "$(line 11 .category)"
t_eq 'category D1 (reserved): null' null "$(line 12 .category)"
t_eq 'a squawk given as a number is a string of 4 digits; spi 1 is true' '["7700",true]' \
	"$(line 13 '[.squawk, .spi]')"
t_eq 'spi false; a call sign of spaces is null' '[false,null]' "$(line 14 '[.spi, .callsign]')"
t_eq 'no baro_rate: geom_rate, -640 ft/min is -3.25 m/s' '-3.25' "$(line 15 .vertical_rate)"

# Rejects.
jq '.aircraft += [{"flight": "NOHEX"}, "x", {"hex": "abcdef", "lat": "51.5", "lon": 0},
	{"hex": "abcdee", "alt_baro": "high"}, {"hex": "abcded", "seen_pos": "old"}]' \
	"$AIRCRAFT" >"$T/bad.json"
run fs-produce readsb --reject "$T/rejects.ndjson" --stats "$T/bad.json"
t_true 'bad aircraft: exit 0' "$status" -eq 0
t_eq 'bad aircraft: the good ones are written' "$(jq '.aircraft | length' "$AIRCRAFT")" \
	"$(printf '%s\n' "$out" | wc -l)"
t_eq 'bad aircraft: 5 rejects, code bad_aircraft' 5 "$(jq -r .reject.code "$T/rejects.ndjson" | grep -c '^bad_aircraft$')"
t_match 'a reject says what is wrong' '"lat" is a string, not a number' \
	"$(jq -r .reject.message "$T/rejects.ndjson")"
t_match 'an altitude that is neither a number nor "ground" is a reject' '"alt_baro" is a string, not a number or "ground"' \
	"$(jq -r .reject.message "$T/rejects.ndjson")"
t_eq 'a reject keeps the aircraft as JSON text' '{"flight":"NOHEX"}' "$(jq -r .line "$T/rejects.ndjson" | head -n 1)"

# Files that are not aircraft.json.
echo '{"now": 1, "planes": []}' >"$T/shape.json"
run fs-produce readsb "$T/shape.json"
t_true 'a file without "aircraft": exit 1' "$status" -eq 1
t_match 'a file without "aircraft": the message says so' 'no "aircraft"' "$err"
printf 'readsb is starting\n' >"$T/text.json"
run fs-produce readsb "$T/text.json"
t_true 'a file that is not JSON: exit 1' "$status" -eq 1
t_match 'a file that is not JSON: its first bytes are quoted' "beginning 'readsb is starting\\\\n'" "$err"
run fs-produce readsb "$T/missing.json"
t_true 'a missing file: exit 1' "$status" -eq 1
t_match 'a missing file: the message names it' "cannot open '$T/missing.json'" "$err"
run fs-produce readsb - <"$AIRCRAFT"
t_eq '"-" reads standard input' "$(cat "$T/london.ndjson")" "$out"
jq 'del(.now)' "$AIRCRAFT" >"$T/nonow.json"
run fs-produce readsb "$T/nonow.json"
t_true 'a file without "now": exit 0' "$status" -eq 0
t_match 'a file without "now": times are taken from the clock' "^$(date -u +%Y-)" \
	"$(printf '%s\n' "$out" | head -n 1 | jq -r .timestamp)"

# --- Polling over HTTP ---------------------------------------------------------------------

run fs-produce readsb "$BASE/readsb.a/data/aircraft.json" --once
t_true 'readsb URL --once: exit 0' "$status" -eq 0
t_eq 'readsb URL: the same records as the file' "$(cat "$T/london.ndjson")" "$out"
t_eq 'readsb URL: one GET' 'GET /readsb.a/data/aircraft.json' "$(requests readsb.a '"\(.method) \(.path)"')"

n=$(jq '.aircraft | length' "$AIRCRAFT")
run_for 1.15 fs-produce readsb --stats --interval 0.3s "$BASE/readsbmove.a/data/aircraft.json"
cp "$T/out" "$T/move.out"
read=$(printf '%s\n' "$err" | tail -n 1 | jq .in)
t_true "polling, stopped by SIGTERM: exit 0 (got $status)" "$status" -eq 0
t_true "several polls ($read aircraft read)" "$read" -ge $((3 * n))
t_eq 'a position is written once: the first poll, then only the 2 new positions' \
	"$((n + 2))" "$(wc -l <"$T/move.out")"
t_eq 'the new positions are the moved ones' '400b83 51.487264 3c71a1 51.355256' \
	"$(tail -n 2 "$T/move.out" | jq -r '"\(.icao24) \(.latitude)"' | xargs)"
t_eq 'an age 1 s more in a file 1 s later is the same position: counted as a duplicate' \
	"$((read - n - 2))" "$(printf '%s\n' "$err" | tail -n 1 | jq .duplicates)"

run fs-produce readsb --once --retries 1 "$BASE/down.r/data/aircraft.json"
t_true 'a receiver that answers 500: --once exits 1' "$status" -eq 1
t_eq 'a receiver that answers 500: retried once' 2 "$(requests down.r | wc -l)"
t_match 'and the message gives the status and the first bytes' \
	"HTTP 500 \\(after 2 attempts\\); 27 bytes, beginning '<html>internal error</html>'" "$err"
run fs-produce readsb --once --retries 0 "http://127.0.0.1:1/data/aircraft.json"
t_true 'no receiver listening: --once exits 1' "$status" -eq 1

# A file is read again every --interval when asked: readsb's --write-json file.
cp "$AIRCRAFT" "$T/live.json"
fs-produce readsb --interval 0.2s "$T/live.json" >"$T/live.out" 2>"$T/live.err" &
pid=$!
sleep 0.6
jq '.now += 1 | .aircraft |= map(if .seen then .seen += 1 else . end |
	if .seen_pos then .seen_pos += 1 else . end) | .aircraft[0].seen_pos = 0.1 |
	.aircraft[0].lat += 0.01' "$AIRCRAFT" >"$T/live.tmp"
mv "$T/live.tmp" "$T/live.json"
sleep 0.6
kill -TERM "$pid"
wait "$pid"
st=$?
t_true "a file with --interval, stopped by SIGTERM: exit 0 (got $st)" "$st" -eq 0
t_eq 'a file with --interval is read again: the new position comes' \
	"$(($(jq '.aircraft | length' "$AIRCRAFT") + 1))" "$(wc -l <"$T/live.out")"

# --- Usage ----------------------------------------------------------------------------------

while IFS='|' read -r args why; do
	# shellcheck disable=SC2086
	t_exit "readsb $args is a usage error" 2 fs-produce readsb $args
	t_match "readsb $args: $why" "$why" "$err"
done <<EOF
|no receiver
$AIRCRAFT $AIRCRAFT|unexpected argument
--interval 0.5s -|standard input cannot be read twice
--interval 0 $AIRCRAFT|below 1ms
--timeout x $AIRCRAFT|not a duration
--retries x $AIRCRAFT|not an integer
--bbox 1,2,3,4 $AIRCRAFT|usage: fs-produce
EOF
t_exit 'readsb --help exits 0' 0 fs-produce readsb --help
t_match 'readsb --help shows the readsb synopsis' 'fs-produce readsb URL\|FILE \[--interval D\]' "$out"

t_done
