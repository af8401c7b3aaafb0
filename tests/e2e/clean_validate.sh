#!/usr/bin/env bash
# fs-clean: validation, as a table with one row per reject code, the
# edges that are accepted, and what fs-clean changes in the fields it
# keeps (icao24, timestamp, callsign, squawk; fields of its own name).
. "$(dirname "$0")/../lib.sh"

t_need jq

# The smallest valid record, and one with every measurement.
B='"timestamp":"2026-01-01T00:00:00.000Z","icao24":"abc123"'
FULL='"timestamp":"2026-01-01T00:00:00.000Z","icao24":"abc123","callsign":"AB12","latitude":47.5,"longitude":8.5,"baro_altitude":1000,"geo_altitude":1050,"velocity":100,"heading":90,"vertical_rate":0,"on_ground":false,"squawk":"1000","spi":false'

# --- One row per reject code --------------------------------------------------
#
# code|options|line (the line is a printf format, so \xff and \x00 can be written)
long=$(printf '%0100d' 0)
rows=(
	"too_long|--max-line 64|{$B,\"pad\":\"$long\"}"
	"encoding||{$B,\"callsign\":\"\xff\xfe\"}"
	"encoding||{$B,\"x\":1}\x00"
	"encoding||{$B,\"x\":\"\\\\ud800\"}"
	"encoding||{$B,\"x\":\"\\\\udc00\\\\ud800\"}"
	"parse||{$B"
	"parse||{$B} trailing"
	"parse||not json at all"
	"parse||{\"icao24\":abc}"
	"parse||{$B,\"x\":1\f}"
	"parse||{$B,\v\"x\":1}"
	"not_object||[1,2,3]"
	"not_object||\"just a string\""
	"not_object||{$B}{$B}"
	"duplicate_key||{$B,\"icao24\":\"abc124\"}"
	"duplicate_key||{$B,\"hour\":1,\"hour\":2}"
	"missing.icao24||{\"timestamp\":\"2026-01-01T00:00:00Z\"}"
	"missing.icao24||{\"timestamp\":\"2026-01-01T00:00:00Z\",\"icao24\":null}"
	"type.icao24||{\"timestamp\":\"2026-01-01T00:00:00Z\",\"icao24\":123456}"
	"format.icao24||{\"timestamp\":\"2026-01-01T00:00:00Z\",\"icao24\":\"abc12\"}"
	"format.icao24||{\"timestamp\":\"2026-01-01T00:00:00Z\",\"icao24\":\"abc12g\"}"
	"format.icao24||{\"timestamp\":\"2026-01-01T00:00:00Z\",\"icao24\":\"~abc123\"}"
	"missing.timestamp||{\"icao24\":\"abc123\"}"
	"missing.timestamp||{\"icao24\":\"abc123\",\"timestamp\":null}"
	"type.timestamp||{\"icao24\":\"abc123\",\"timestamp\":true}"
	"type.timestamp||{\"icao24\":\"abc123\",\"timestamp\":{\"s\":1}}"
	"format.timestamp||{\"icao24\":\"abc123\",\"timestamp\":\"yesterday\"}"
	"format.timestamp||{\"icao24\":\"abc123\",\"timestamp\":\"2026-13-01T00:00:00Z\"}"
	"range.timestamp||{\"icao24\":\"abc123\",\"timestamp\":\"1999-12-31T23:59:59.999Z\"}"
	"range.timestamp||{\"icao24\":\"abc123\",\"timestamp\":946684799}"
	"range.timestamp||{\"icao24\":\"abc123\",\"timestamp\":\"2099-01-01T00:00:00Z\"}"
	"range.timestamp|--max-future 1h|{\"icao24\":\"abc123\",\"timestamp\":$(($(date +%s) + 7200))}"
	"type.latitude||{$B,\"latitude\":\"47.5\",\"longitude\":8.5}"
	"range.latitude||{$B,\"latitude\":90.5,\"longitude\":8.5}"
	"range.latitude||{$B,\"latitude\":-90.001,\"longitude\":8.5}"
	"type.longitude||{$B,\"latitude\":47.5,\"longitude\":[8.5]}"
	"range.longitude||{$B,\"latitude\":47.5,\"longitude\":180.5}"
	"range.longitude||{$B,\"latitude\":47.5,\"longitude\":-1e3}"
	"type.baro_altitude||{$B,\"baro_altitude\":\"ground\"}"
	"range.baro_altitude||{$B,\"baro_altitude\":25000.1}"
	"range.baro_altitude||{$B,\"baro_altitude\":-1500.5}"
	"type.geo_altitude||{$B,\"geo_altitude\":false}"
	"range.geo_altitude||{$B,\"geo_altitude\":1e999}"
	"type.velocity||{$B,\"velocity\":true}"
	"range.velocity||{$B,\"velocity\":-0.1}"
	"range.velocity||{$B,\"velocity\":1000.01}"
	"type.heading||{$B,\"heading\":\"N\"}"
	"range.heading||{$B,\"heading\":360}"
	"range.heading||{$B,\"heading\":-1}"
	"type.vertical_rate||{$B,\"vertical_rate\":{}}"
	"range.vertical_rate||{$B,\"vertical_rate\":150.5}"
	"missing.latitude||{$B,\"longitude\":8.5}"
	"missing.longitude||{$B,\"latitude\":47.5,\"longitude\":null}"
	"type.on_ground||{$B,\"on_ground\":\"yes\"}"
	"type.on_ground||{$B,\"on_ground\":0}"
	"type.spi||{$B,\"spi\":1}"
	"type.squawk||{$B,\"squawk\":true}"
	"format.squawk||{$B,\"squawk\":\"7800\"}"
	"format.squawk||{$B,\"squawk\":\"123\"}"
	"format.squawk||{$B,\"squawk\":8000}"
	"format.squawk||{$B,\"squawk\":77.5}"
	"type.callsign||{$B,\"callsign\":42}"
	"missing.position|--require position|{$B,\"baro_altitude\":1000}"
	"missing.altitude|--require altitude|{$B,\"latitude\":1,\"longitude\":2}"
	"missing.velocity|--require position,velocity|{$B,\"latitude\":1,\"longitude\":2}"
)
n=0
for row in "${rows[@]}"; do
	IFS='|' read -r code opts line <<<"$row"
	n=$((n + 1))
	printf "$line\n" >"$T/in"
	# shellcheck disable=SC2086
	run fs-clean --reject "$T/rj" $opts "$T/in"
	got=$(jq -r .reject.code "$T/rj" 2>&1)
	if t_eq "reject $n: $code${opts:+ ($opts)}" "$code" "$got"; then
		t_true "reject $n: nothing written, exit 0" "$status:${#out}" = "0:0"
	else
		t_diag "line: $(head -c 200 "$T/in")" "message: $(jq -r .reject.message "$T/rj" 2>&1)"
		t_true "reject $n: nothing written, exit 0" "$status:${#out}" = "0:0"
	fi
done

# Every code the man page lists is in the table above, and the other way
# round; type.FIELD and range.FIELD of the measurements count as one each.
measures='latitude|longitude|baro_altitude|geo_altitude|velocity|heading|vertical_rate'
man_codes=$(sed -n '/^\.Ss Validation/,/^\.Ss Duplicates/p' "$ROOT/man/fs-clean.1" |
	grep -oE 'Cm [a-z_]+(\.[a-z0-9_]+)?' | sed 's/^Cm //' | sort -u)
table_codes=$(printf '%s\n' "${rows[@]}" | cut -d'|' -f1 |
	sed -E "s/^(type|range)\.($measures)\$/\\1/" | sort -u)
t_eq 'the table has a row for every code in fs-clean(1)' "$man_codes" \
	"$(printf '%s\n' $table_codes duplicate | sort -u)"

# The reject record keeps the line and gives a message.
printf '{%s,"latitude":123.4,"longitude":1}\n' "$B" >"$T/in"
run fs-clean --reject "$T/rj" "$T/in"
t_eq 'a reject names the tool, the code and the value' \
	'fs-clean range.latitude latitude 123.4 outside [-90, 90]' \
	"$(jq -r '[.reject.tool, .reject.code, .reject.message] | join(" ")' "$T/rj")"
t_ok 'a reject keeps the line byte for byte' cmp "$T/in" <(jq -r .line "$T/rj")
printf '{%s,"callsign":"\xff"}\n' "$B" >"$T/in"
run fs-clean --reject "$T/rj" "$T/in"
t_ok 'a line that is not UTF-8 is kept in base64' cmp <(head -c -1 "$T/in") <(jq -r .line_base64 "$T/rj" | base64 -d)
t_eq 'and the message says where' 'invalid UTF-8 at byte 71' "$(jq -r .reject.message "$T/rj")"

# Without --reject: reported on stderr, counted, exit 0.
printf '{"icao24":"abc123"}\n{%s}\n' "$B" >"$T/in"
run fs-clean "$T/in"
t_true 'a reject without --reject: exit 0' "$status" -eq 0
t_match 'it is reported with the file, line and code' "rejected '.*/in' line 1: missing.timestamp" "$err"
t_match 'and counted at the end' '1 record rejected' "$err"
t_eq 'the good record is still written' 1 "$(printf '%s\n' "$out" | grep -c abc123)"

# --- What is accepted -----------------------------------------------------------

edges=(
	"{$B}"
	"{$B,\"latitude\":90,\"longitude\":180}"
	"{$B,\"latitude\":-90,\"longitude\":-180}"
	"{$B,\"latitude\":null,\"longitude\":null,\"baro_altitude\":null,\"velocity\":null}"
	"{$B,\"baro_altitude\":-1500,\"geo_altitude\":25000}"
	"{$B,\"velocity\":0,\"heading\":0,\"vertical_rate\":-150}"
	"{$B,\"velocity\":1000,\"heading\":359.999,\"vertical_rate\":150}"
	"{\"timestamp\":\"2000-01-01T00:00:00Z\",\"icao24\":\"abc123\"}"
	"{\"timestamp\":\"2099-01-01T00:00:00Z\",\"icao24\":\"abc123\"}|--no-clock-check"
	"{$B,\"on_ground\":null,\"spi\":true,\"squawk\":null,\"callsign\":null}"
	"{$B,\"squawk\":\"7777\"}"
	"{$B,\"x\":\"\\ud83d\\ude00 \\\\ud800\"}"
	"{$B,\"sensors\":[1,2],\"truth\":[\"jump\"],\"mine\":{\"a\":[1,{\"b\":null}]}}"
	"  {$B}  "
)
for row in "${edges[@]}"; do
	IFS='|' read -r line opts <<<"$row"
	printf '%s\n' "$line" >"$T/in"
	# shellcheck disable=SC2086
	run fs-clean --reject "$T/rj" $opts "$T/in"
	t_eq "accepted: $line${opts:+ ($opts)}" '1 0' "$(printf '%s\n' "$out" | grep -c abc123) $(wc -l <"$T/rj")"
done

# --- What fs-clean changes in the fields it keeps ---------------------------------

# clean LINE [OPTIONS]: the cleaned record, without processing_timestamp.
clean() {
	local line=$1
	shift
	printf '%s\n' "$line" | fs-clean --no-clock-check "$@" | jq -c 'del(.processing_timestamp)'
}
field() {
	printf '%s\n' "$2" | fs-clean --no-clock-check | jq -c ".$1"
}

t_eq 'icao24 is written in lowercase' '"abc12f"' \
	"$(field icao24 '{"timestamp":"2026-01-01T00:00:00Z","icao24":"ABC12F"}')"
times=(
	'"2026-01-01T00:00:00.000Z"|"2026-01-01T00:00:00.000Z"'
	'"2026-01-01T00:00:00Z"|"2026-01-01T00:00:00.000Z"'
	'"2026-01-01T01:30:00.5+01:30"|"2026-01-01T00:00:00.500Z"'
	'"2026-01-01 00:00:00.123456z"|"2026-01-01T00:00:00.123Z"'
	'1767225600|"2026-01-01T00:00:00.000Z"'
	'1767225600.25|"2026-01-01T00:00:00.250Z"'
	'1767225600123|"2026-01-01T00:00:00.123Z"'
	'"1767225600"|"2026-01-01T00:00:00.000Z"'
	'"2016-12-31T23:59:60Z"|"2017-01-01T00:00:00.000Z"'
)
for row in "${times[@]}"; do
	IFS='|' read -r in want <<<"$row"
	t_eq "timestamp $in is written $want" "$want" \
		"$(field timestamp "{\"timestamp\":$in,\"icao24\":\"abc123\"}")"
done
t_eq 'callsign padding is trimmed' '"AB12"' "$(field callsign "{$B,\"callsign\":\"  AB12    \"}")"
t_eq 'a callsign of spaces becomes null' 'null' "$(field callsign "{$B,\"callsign\":\"        \"}")"
t_eq 'a callsign without padding is kept' '"A B"' "$(field callsign "{$B,\"callsign\":\"A B\"}")"
t_eq 'a squawk number becomes a string' '"7700"' "$(field squawk "{$B,\"squawk\":7700}")"
t_eq 'a small squawk number is padded' '"0017"' "$(field squawk "{$B,\"squawk\":17}")"

printf '{"b":1.50,%s,"a":{"x":[1, 2]},"z":"Zürich \\u00fc"}\n' "$B" >"$T/in"
run fs-clean "$T/in"
t_eq 'a record fs-clean does not change keeps its bytes, and new fields follow' \
	"{\"b\":1.50,$B,\"a\":{\"x\":[1, 2]},\"z\":\"Zürich \\u00fc\",\"velocity_kt\":null" \
	"$(printf '%s\n' "$out" | sed 's/,"altitude_ft".*//')"
printf '{ "b" : 1.50 , "icao24" : "ABC123", "timestamp" : "2026-01-01T00:00:00Z", "a":{"x":[1, 2]} }\n' >"$T/in"
run fs-clean "$T/in"
t_eq 'an edited record keeps its fields, order and number text (and the spacing of fields it did not edit)' \
	'{"b" : 1.50,"icao24":"abc123","timestamp":"2026-01-01T00:00:00.000Z","a":{"x":[1, 2]},"velocity_kt":null' \
	"$(printf '%s\n' "$out" | sed 's/,"altitude_ft".*//')"
t_eq 'fields named like fs-clean'"'"'s are replaced, and written at the end' \
	'["timestamp","icao24","mine","velocity_kt"] 0 0' \
	"$(clean "{$B,\"hour\":99,\"mine\":1,\"quality_flags\":\"x\"}" |
		jq -c '[(keys_unsorted | .[0:4]), .hour, (.quality_flags | length)] | map(tojson) | join(" ")' -r)"
t_eq 'every record has the same new fields, in order' \
	'velocity_kt altitude_ft geo_altitude_ft vertical_rate_fpm hour day_of_week hour_sin hour_cos day_of_week_sin day_of_week_cos grid_x grid_y dt_s dist_m implied_speed turn_rate accel alt_change_m vertical_rate_error flight_phase quality_flags processing_timestamp' \
	"$(printf '{%s}\n' "$B" | fs-clean | jq -r 'keys_unsorted[2:] | join(" ")')"
t_match 'processing_timestamp is RFC 3339 UTC with milliseconds, near now' \
	"^\"$(date -u +%Y-%m-%dT)[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z\"$" \
	"$(printf '{%s}\n' "$B" | fs-clean | jq -c .processing_timestamp)"

# CRLF endings and blank lines.
printf '{%s}\r\n\r\n   \n{"timestamp":"2026-01-01T00:00:01Z","icao24":"abc123"}\n' "$B" >"$T/in"
run fs-clean --stats "$T/in"
t_eq 'CRLF records are read, blank lines skipped and not counted' '2 2 0' \
	"$(printf '%s\n' "$out" | grep -c abc123) $(printf '%s\n' "$err" | tail -n 1 | jq -r '"\(.in) \(.rejected)"')"

t_done
