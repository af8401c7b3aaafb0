#!/usr/bin/env bash
# fs-produce sim, as a user runs it: counts, determinism, the Position
# schema, faults and their labels, usage errors, pacing and signals.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"

t_built fs-produce
t_need jq sha256sum

if ! fs-produce sim --aircraft 1 --duration 10s --speed max >/dev/null 2>&1; then
	t_skip 'fs-produce sim' 'the simulator does not run yet'
	t_done
fi

sha() { sha256sum | cut -d' ' -f1; }

# --- Counts and determinism ------------------------------------------------------

fs-produce sim --seed 42 --aircraft 500 --duration 1h --speed max >"$T/a.ndjson" 2>"$T/a.err"
t_true 'sim --seed 42 --aircraft 500 --duration 1h: exit 0' $? -eq 0
t_eq '500 aircraft for an hour at 10 s: 180000 records' 180000 "$(wc -l <"$T/a.ndjson")"
t_eq 'without faults, sim is quiet on stderr' '' "$(cat "$T/a.err")"
t_eq 'the same seed gives the same bytes' "$(sha <"$T/a.ndjson")" \
	"$(fs-produce sim --seed 42 --aircraft 500 --duration 1h --speed max | sha)"
t_true 'another seed gives other bytes' "$(sha <"$T/a.ndjson")" != \
	"$(fs-produce sim --seed 43 --aircraft 500 --duration 1h --speed max | sha)"
t_eq 'the pace does not change the output (--speed 1000 and max)' \
	"$(fs-produce sim --seed 5 --aircraft 5 --duration 1m --speed max | sha)" \
	"$(fs-produce sim --seed 5 --aircraft 5 --duration 1m --speed 1000 | sha)"
t_eq 'the default seed is 1' "$(fs-produce sim --aircraft 3 --duration 1m --speed max | sha)" \
	"$(fs-produce sim --seed 1 --aircraft 3 --duration 1m --speed max | sha)"

jq -r .icao24 "$T/a.ndjson" | sort | uniq -c | awk '{ print $1 }' | sort -u >"$T/per-aircraft"
t_eq '500 different aircraft' 500 "$(jq -r .icao24 "$T/a.ndjson" | sort -u | wc -l)"
t_eq 'every aircraft reports every interval: 360 each' 360 "$(cat "$T/per-aircraft")"

jq -r .timestamp "$T/a.ndjson" >"$T/stamps"
t_eq 'without faults, timestamps never go back' '' \
	"$(awk 'NR > 1 && $0 < prev { print NR ": " prev " then " $0; exit } { prev = $0 }' "$T/stamps")"
t_eq 'the first report is at the default start, 2026-01-01T00:00:00Z, or just after' \
	'2026-01-01T00:00:0' "$(head -n 1 "$T/stamps" | cut -c1-18)"
t_true 'every report is within the hour simulated' "$(sort "$T/stamps" | tail -n 1)" '<' \
	'2026-01-01T01:00:00.000Z'

# --- The Position schema, on 20000 records spread over the run ----------------------

awk 'NR % 9 == 1' "$T/a.ndjson" >"$T/sample.ndjson"
keys='["timestamp","icao24","callsign","origin_country","latitude","longitude","baro_altitude","geo_altitude","velocity","heading","vertical_rate","on_ground","squawk","spi","position_source","category","sensors","source"]'

# each NAME FILTER: every record of the sample satisfies the jq FILTER.
each() {
	local bad
	bad=$(jq -c --argjson keys "$keys" "select(($2) | not)" "$T/sample.ndjson" 2>&1 | head -n 3)
	t_eq "every record: $1" '' "$bad"
}

# shellcheck disable=SC2016 # jq variables, not shell ones
each 'has exactly the Position keys, in order' 'keys_unsorted == $keys'
each 'timestamp is RFC 3339 UTC with milliseconds' \
	'.timestamp | type == "string" and test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z$")'
each 'icao24 is 6 lowercase hex digits' '.icao24 | type == "string" and test("^[0-9a-f]{6}$")'
each 'callsign is null or trimmed text' \
	'.callsign == null or (.callsign | type == "string" and length > 0 and (test("^\\s|\\s$") | not))'
each 'origin_country is text' '.origin_country | type == "string" and length > 0'
each 'latitude is in [-90, 90]' '.latitude == null or (.latitude | type == "number" and . >= -90 and . <= 90)'
each 'longitude is in [-180, 180]' '.longitude == null or (.longitude | type == "number" and . >= -180 and . <= 180)'
each 'baro_altitude is null or in [-1500, 25000] m' \
	'.baro_altitude == null or (.baro_altitude | type == "number" and . >= -1500 and . <= 25000)'
each 'geo_altitude is null or in [-1500, 25000] m' \
	'.geo_altitude == null or (.geo_altitude | type == "number" and . >= -1500 and . <= 25000)'
each 'velocity is in [0, 1000] m/s' '.velocity == null or (.velocity | type == "number" and . >= 0 and . <= 1000)'
each 'heading is in [0, 360)' '.heading == null or (.heading | type == "number" and . >= 0 and . < 360)'
each 'vertical_rate is null or in [-150, 150] m/s' \
	'.vertical_rate == null or (.vertical_rate | type == "number" and . >= -150 and . <= 150)'
each 'on_ground is a boolean' '.on_ground | type == "boolean"'
each 'squawk is null or four octal digits' '.squawk == null or (.squawk | type == "string" and test("^[0-7]{4}$"))'
each 'spi is a boolean' '.spi | type == "boolean"'
each 'position_source is an OpenSky source, 0 to 3' \
	'.position_source == null or (.position_source | type == "number" and . == floor and . >= 0 and . <= 3)'
each 'category is null or an OpenSky category, 0 to 20' \
	'.category == null or (.category | type == "number" and . == floor and . >= 0 and . <= 20)'
each 'sensors is null or a list of integers' \
	'.sensors == null or (.sensors | type == "array" and all(.[]; type == "number" and . == floor))'
each 'source is "sim"' '.source == "sim"'
each 'on the ground, baro_altitude is null' '.on_ground == false or .baro_altitude == null'
each 'has no truth without --truth' 'has("truth") | not'

t_eq 'positions, speeds and headings are there (at most 1% null)' 0 \
	"$(jq -s '(map(select(.latitude == null or .longitude == null or .velocity == null or .heading == null)) |
		length) as $n | if $n * 100 > length then $n else 0 end' "$T/sample.ndjson" 2>&1)"
cruise=$(jq -r 'select(.baro_altitude != null and .baro_altitude > 9000) | .icao24' "$T/a.ndjson" | sort -u | wc -l)
ground=$(jq -r 'select(.on_ground) | .icao24' "$T/a.ndjson" | sort -u | wc -l)
t_true "some aircraft reach cruise, above 9000 m ($cruise of 500)" "$cruise" -ge 50
t_true "some aircraft are on the ground ($ground of 500)" "$ground" -ge 5
moving=$(jq -r 'select(.on_ground | not) | select(.velocity > 50) | .icao24' "$T/a.ndjson" | sort -u | wc -l)
t_true "airborne aircraft move ($moving of 500 faster than 50 m/s)" "$moving" -ge 250

# Aircraft move plausibly: between two reports 10 s apart, at most 10 km (Mach 3).
jumps=$(jq -r 'select(.latitude != null) | [.icao24, .latitude, .longitude] | @tsv' "$T/a.ndjson" |
	awk -F'\t' '
	function rad(d) { return d * 3.141592653589793 / 180 }
	{
		if ($1 in lat) {
			a = sin(rad($2 - lat[$1]) / 2) ^ 2 + cos(rad($2)) * cos(rad(lat[$1])) * sin(rad($3 - lon[$1]) / 2) ^ 2
			d = 2 * 6371008.8 * atan2(sqrt(a), sqrt(1 - a))
			if (d > 10000) n++
		}
		lat[$1] = $2; lon[$1] = $3
	}
	END { print n + 0 }')
t_eq 'without faults, no aircraft moves more than 10 km in one interval' 0 "$jumps"

# --- Options ----------------------------------------------------------------------

t_eq '--interval 30s: 3 aircraft for 1 minute give 6 records' 6 \
	"$(fs-produce sim --aircraft 3 --duration 1m --interval 30s --speed max | wc -l)"
t_eq '--duration 1.5m at 10 s: 9 rounds' 18 \
	"$(fs-produce sim --aircraft 2 --duration 1.5m --speed max | wc -l)"
t_eq '--start sets the first report time' '2026-05-01T06:00:0' \
	"$(fs-produce sim --aircraft 1 --duration 10s --start 2026-05-01T06:00:00Z --speed max | jq -r .timestamp | cut -c1-18)"
now=$(date +%s)
first=$(fs-produce sim --aircraft 1 --duration 10s --start now --speed max | jq -r .timestamp)
d=$(($(date -d "$first" +%s) - now))
t_true "--start now starts at the current time (off by ${d} s)" "${d#-}" -le 15
t_eq '--aircraft 20000 --duration 1m gives 120000 records' 120000 \
	"$(fs-produce sim --aircraft 20000 --duration 1m --speed max | wc -l)"

# --- Faults -------------------------------------------------------------------------

fs-produce sim --seed 42 --aircraft 200 --duration 1h --speed max --faults all=0.01 --truth \
	>"$T/f.ndjson" 2>"$T/f.err"
t_true 'sim --faults all=0.01 --truth: exit 0' $? -eq 0
total=$(wc -l <"$T/f.ndjson")
dups=$(jq -R -c 'fromjson? | select(.truth | index("dup")?)' "$T/f.ndjson" | grep -c '^{')
t_eq 'with faults, the records are the 72000 reports plus one per dup' 72000 "$((total - dups))"
summary=$(grep 'injected faults:' "$T/f.err")
t_match 'the summary of faults is one line on stderr' \
	'^fs-produce: injected faults: dup [0-9]+, null [0-9]+, ooo [0-9]+, late [0-9]+, jump [0-9]+, spike [0-9]+, speed [0-9]+, squawk [0-9]+, frozen [0-9]+, malformed [0-9]+$' \
	"$summary"

jq -R -c 'fromjson? | select(has("truth"))' "$T/f.ndjson" >"$T/labelled"
jq -R -r 'fromjson? | select(has("truth") and (.truth | index("dup") | not)) | .truth[]' "$T/f.ndjson" |
	sort | uniq -c >"$T/labels"
for f in dup null ooo late jump spike speed squawk frozen; do
	if [ "$f" = dup ]; then
		n=$(jq -r '.truth[]' "$T/labelled" | grep -cx dup)
	else
		n=$(awk -v f="$f" '$2 == f { print $1 }' "$T/labels")
	fi
	n=${n:-0}
	pct=$(awk -v n="$n" 'BEGIN { printf "%.2f", n / 72000 * 100 }')
	t_true "fault $f labels ${pct}% of the records (0.5% to 1.6%)" "$n" -ge 360 -a "$n" -le 1152
	t_match "fault $f: the summary counts the labelled records ($n)" "(: |, )$f $n(,|$)" "$summary"
done
bad=$(jq -R -r 'try (fromjson | empty) catch "bad"' "$T/f.ndjson" | wc -l)
pct=$(awk -v n="$bad" 'BEGIN { printf "%.2f", n / 72000 * 100 }')
t_true "fault malformed: ${pct}% of the lines are not JSON (0.5% to 1.6%)" "$bad" -ge 360 -a "$bad" -le 1152
t_match "fault malformed: the summary counts the lines that are not JSON ($bad)" \
	"malformed $bad\$" "$summary"
t_eq 'truth is a non-empty list of fault names' '' \
	"$(jq -c 'select((.truth | type) != "array" or (.truth | length) == 0 or
		any(.truth[]; IN("dup", "null", "ooo", "late", "jump", "spike", "speed", "squawk", "frozen") | not))' \
		"$T/labelled" | head -n 3)"
t_eq 'a dup copy follows its original (same record but the label)' '' \
	"$(jq -R -c 'fromjson? | select(.truth | index("dup")?) | .truth -= ["dup"] | if .truth == [] then del(.truth) else . end' \
		"$T/f.ndjson" | head -n 50 | while IFS= read -r r; do grep -qxF "$r" "$T/f.ndjson" || echo "no original: $r"; done | head -n 3)"
t_eq 'with faults, records other than malformed lines keep the Position keys first' '' \
	"$(jq -R -c --argjson keys "$keys" 'fromjson? | select((keys_unsorted - ["truth"]) - $keys != []) ' \
		"$T/f.ndjson" | head -n 3)"

t_eq 'the same seed with faults gives the same bytes' "$(sha <"$T/f.ndjson")" \
	"$(fs-produce sim --seed 42 --aircraft 200 --duration 1h --speed max --faults all=0.01 --truth 2>/dev/null | sha)"
t_eq '--faults all=0 gives the output without faults' \
	"$(fs-produce sim --seed 42 --aircraft 200 --duration 1h --speed max | sha)" \
	"$(fs-produce sim --seed 42 --aircraft 200 --duration 1h --speed max --faults all=0 | sha)"
t_eq '--truth without faults adds nothing' \
	"$(fs-produce sim --seed 42 --aircraft 200 --duration 1h --speed max | sha)" \
	"$(fs-produce sim --seed 42 --aircraft 200 --duration 1h --speed max --truth | sha)"
run fs-produce sim --seed 42 --aircraft 50 --duration 1h --speed max --faults jump=0.02,spike=0.02,all=0 --truth
t_eq 'a later item overrides an earlier one (jump=0.02,...,all=0 is no faults)' 0 \
	"$(printf '%s\n' "$out" | grep -c truth)"
fs-produce sim --seed 42 --aircraft 50 --duration 1h --speed max --faults all=0.01,malformed=0 --truth \
	>"$T/nomal.ndjson" 2>"$T/nomal.err"
t_eq 'malformed=0 after all=0.01: every line is JSON' 0 \
	"$(jq -R -r 'try (fromjson | empty) catch "bad"' "$T/nomal.ndjson" | wc -l)"
t_no_match 'malformed=0: the summary does not mention malformed lines' 'malformed [1-9]' "$(cat "$T/nomal.err")"
fs-produce sim --seed 9 --aircraft 100 --duration 1h --speed max --faults jump=0.02 --truth \
	>"$T/jump.ndjson" 2>/dev/null
t_eq 'only the named fault is injected' 'jump' \
	"$(jq -r '.truth[]?' "$T/jump.ndjson" | sort -u | tr '\n' ' ' | sed 's/ $//')"
run fs-produce sim -q --seed 42 --aircraft 20 --duration 10m --speed max --faults all=0.05
t_eq 'with -q, no summary of faults' '' "$err"

for spec in 'bogus=0.1' 'jump=2' 'jump=-1' 'jump' 'jump=' '=0.1' 'jump=abc' 'all=1.5' ''; do
	t_exit "--faults '$spec' is a usage error" 2 fs-produce sim --speed max --duration 10s --faults "$spec"
	t_match "--faults '$spec': the message says what is wrong" "fs-produce: invalid (faults|.* rate) '" "$err"
done
t_match 'an unknown fault is named in the message' 'bogus' \
	"$(fs-produce sim --duration 10s --faults bogus=0.1 2>&1)"

# --- Usage errors -----------------------------------------------------------------------

for args in '--aircraft 0' '--aircraft -1' '--aircraft many' '--duration bad' '--duration -1s' \
	'--interval 0' '--interval fast' '--seed -1' '--seed x' '--start yesterday' '--speed 0' \
	'--speed fast' '--bogus' 'extra-argument'; do
	# shellcheck disable=SC2086
	t_exit "sim $args is a usage error" 2 fs-produce sim --duration 10s --speed max $args
	t_match "sim $args: a message on stderr" '(invalid |usage: |unexpected )' "$err"
done
t_exit 'fs-produce sim -h exits 0' 0 fs-produce sim -h
t_match 'fs-produce sim -h prints the usage' '^usage: fs-produce sim \[--seed N\]' "$out"
t_exit 'fs-produce sim -V exits 0' 0 fs-produce sim -V
t_match 'fs-produce sim -V prints a version' '^fs-produce [0-9]+\.[0-9]+\.[0-9]+$' "$out"

# --- Stats ------------------------------------------------------------------------------

run fs-produce sim --aircraft 10 --duration 1m --speed max --stats --faults all=0.05
t_true 'sim --stats: exit 0' "$status" -eq 0
last=$(printf '%s\n' "$err" | grep '^{' | tail -n 1)
t_eq 'the --stats summary counts the records out' "$(printf '%s\n' "$out" | wc -l)" \
	"$(jq -r 'select(.final) | .out' <<<"$last" 2>&1)"
t_eq 'the --stats summary has a counter for every fault' 10 \
	"$(jq -r '[keys[] | select(startswith("fault_"))] | length' <<<"$last" 2>&1)"

# Progress lines come every SECONDS however slowly records go.
run fs-produce sim --aircraft 10 --speed 40 --duration 2m --stats=0.5
periodic=$(printf '%s\n' "$err" | grep -c '"final":false')
t_true "--stats=0.5 during a paced run of 3 s prints progress lines (got $periodic)" "$periodic" -ge 2

# --- Pacing and signals -----------------------------------------------------------------

timed fs-produce sim --speed 60 --duration 20s --aircraft 1 --interval 10s
t_eq '--speed 60: two reports' 2 "$(printf '%s\n' "$out" | wc -l)"
t_true "--speed 60: reports 10 s apart take at least 0.15 s (took ${ms} ms)" "$ms" -ge 150

timeout 20 fs-produce sim --speed max --aircraft 100 2>"$T/pipe.err" | head -n 1000 >"$T/head"
st=${PIPESTATUS[0]}
t_eq 'sim without --duration | head -n 1000: 1000 lines' 1000 "$(wc -l <"$T/head")"
t_true "sim ends when its reader goes away (status $st: 0 or SIGPIPE)" "$st" -eq 0 -o "$st" -eq 141
t_eq 'sim ends quietly on SIGPIPE' '' "$(cat "$T/pipe.err")"

fs-produce sim --aircraft 50 --speed 1 >"$T/live" 2>"$T/live.err" &
pid=$!
sleep 1.5
kill -TERM "$pid"
wait "$pid"
st=$?
t_true "SIGTERM during a real-time run: exit 0 (got $st)" "$st" -eq 0
n=$(wc -l <"$T/live")
t_true "a real-time run writes records as they are due ($n in 1.5 s)" "$n" -ge 1
t_eq 'after SIGTERM the output ends with a newline' '0a' "$(tail -c 1 "$T/live" | od -An -tx1 | tr -d ' ')"
t_eq 'after SIGTERM every line is a whole record' '' \
	"$(jq -R -r '. as $l | try (fromjson | empty) catch "not JSON: \($l)"' "$T/live" 2>&1 | head -n 3)"

t_done
