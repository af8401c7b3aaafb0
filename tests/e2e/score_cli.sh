#!/usr/bin/env bash
# fs-score as a command: usage and the man page, bad options, model file
# errors, rejects, files and standard input, exit status.
. "$(dirname "$0")/../lib.sh"

t_built fs-score
t_need jq

# A small training set: a tight cluster in two features.
for i in $(seq 0 99); do
	printf '{"a":%d.%d,"b":%d,"flight_phase":"CRUISE","velocity":%d,"baro_altitude":10000}\n' \
		$((i % 5)) $((i % 7)) $((i % 3)) $((200 + i % 10))
done >"$T/train.ndjson"
fs-score train --features a,b "$T/train.ndjson" >"$T/model.json" 2>/dev/null

# --- Usage, help, version, and the man page --------------------------------------

for h in -h --help; do
	t_exit "fs-score $h exits 0" 0 fs-score "$h"
	t_match "fs-score $h prints the usage" '^usage: fs-score train \[--trees N\]' "$out"
done
t_exit 'fs-score -V exits 0' 0 fs-score -V
t_match 'fs-score -V prints a version' '^fs-score [0-9]+\.[0-9]+\.[0-9]+$' "$out"
t_synopsis fs-score

bad=(
	'--bogus' '--trees 0' '--trees x' '--sample 1' '--seed -1' '--contamination 0.9'
	'--features ,' '--features a,a' '--warmup 0'
	"train --model $T/model.json" "--model $T/model.json --warmup 5"
	"--model $T/model.json --trees 5" 'train --warmup 5'
)
for args in "${bad[@]}"; do
	# shellcheck disable=SC2086
	t_exit "fs-score $args is a usage error" 2 fs-score $args "$T/train.ndjson"
	t_eq "fs-score $args writes nothing" '' "$out"
done

# --- Model file errors: a clear message and exit 1 ----------------------------------

t_exit 'a missing model: exit 1' 1 fs-score --model "$T/nope.json" "$T/train.ndjson"
t_match 'it says it cannot open it' "cannot open model '$T/nope.json'" "$err"
t_eq 'and writes nothing' '' "$out"
: >"$T/empty.json"
t_exit 'an empty model: exit 1' 1 fs-score --model "$T/empty.json" "$T/train.ndjson"
t_match 'it says it is not JSON' "bad model '$T/empty.json': not JSON" "$err"
head -c 300 "$T/model.json" >"$T/cut.json"
t_exit 'a truncated model: exit 1' 1 fs-score --model "$T/cut.json" "$T/train.ndjson"
t_match 'it says it is not JSON' 'not JSON' "$err"
echo '{"hello":1}' >"$T/other.json"
t_exit 'JSON that is no model: exit 1' 1 fs-score --model "$T/other.json" "$T/train.ndjson"
t_match 'it says it is not a model' 'not an fs-score model' "$err"
jq -c '.version = 2' "$T/model.json" >"$T/v2.json"
t_exit 'a model of another version: exit 1' 1 fs-score --model "$T/v2.json" "$T/train.ndjson"
t_match 'it names the versions' 'version 2, this fs-score reads version 1' "$err"
jq -c '.forest[0][0][2] = 100000' "$T/model.json" >"$T/far.json"
t_exit 'a tree that points outside itself: exit 1' 1 fs-score --model "$T/far.json" "$T/train.ndjson"
t_match 'it says where' 'tree 1 node 0: feature or child out of range' "$err"
jq -c '.forest[0][0][2] = 0' "$T/model.json" >"$T/loop.json"
t_exit 'a tree that points backwards (a loop): exit 1' 1 fs-score --model "$T/loop.json" "$T/train.ndjson"
jq -c '.forest[0][0][0] = 7' "$T/model.json" >"$T/feat.json"
t_exit 'a split on a feature the model lacks: exit 1' 1 fs-score --model "$T/feat.json" "$T/train.ndjson"
jq -c '.trees = 3' "$T/model.json" >"$T/trees.json"
t_exit 'a tree count that does not match the forest: exit 1' 1 fs-score --model "$T/trees.json" "$T/train.ndjson"
jq -c 'del(.phases)' "$T/model.json" >"$T/nophase.json"
t_exit 'a model without phase statistics: exit 1' 1 fs-score --model "$T/nophase.json" "$T/train.ndjson"
# Tampered models: what no training writes is refused, with exit 1 and the reason.
# t_tampered NAME REASON JQ: the model changed by the jq program JQ.
t_tampered() {
	jq -c "$3" "$T/model.json" >"$T/tampered.json"
	t_exit "a model with $1: exit 1" 1 fs-score --model "$T/tampered.json" "$T/train.ndjson"
	t_match "a model with $1: says why" "bad model '$T/tampered.json': $2" "$err"
}
t_tampered 'a threshold of -1' '"threshold" is not a number in \[0, 1\]' '.threshold = -1'
t_tampered 'a threshold of 1.5' '"threshold" is not a number in \[0, 1\]' '.threshold = 1.5'
t_tampered 'a threshold of null' '"threshold" is not a number' '.threshold = null'
t_tampered 'a contamination of 0.9' '"contamination" is not a number in \[0, 0.5\]' '.contamination = 0.9'
t_tampered 'a key of its own' "unknown key 'junk'" '.junk = 1'
t_tampered 'a seed of -5' '"seed" is not a whole number' '.seed = -5'
t_tampered 'a sample of 0' '"sample" is not a whole number from 1' '.sample = 0'
t_tampered 'a sample of 10^7' '"sample" is not a whole number from 1' '.sample = 10000000'
t_tampered '20,000 trees' '"trees" is not a whole number from 1 to 10000' '.trees = 20000'
t_tampered 'training that is a string' '"training" is not' '.training = "x"'
t_tampered 'a feature twice' "feature 2: 'a' twice" '.features[1].name = "a"'
t_tampered 'a feature without a name' 'feature 1: a name of 1 to 256 bytes' '.features[0].name = ""'
t_tampered 'a feature with a key of its own' 'feature 1 needs a name, a median and a scale > 0, and nothing else' \
	'.features[0].x = 1'
t_tampered 'a phase spread of -1' 'bad statistics for phase ALL' '.phases.ALL.velocity.scale = -1'
t_tampered 'a phase of its own' '"phases" is not ALL and the' '.phases.LANDING = .phases.ALL'
t_tampered 'a leaf of path length 1e300' 'tree 1 node [0-9]+: bad path length' \
	'.forest[0] |= map(if type == "number" then 1e300 else . end)'
# 100,000 levels of arrays under a key: refused before they are parsed.
awk 'BEGIN { for (i = 0; i < 100000; i++) printf "["; for (i = 0; i < 100000; i++) printf "]" }' >"$T/deep"
{ jq -c . "$T/model.json" | sed 's/}$//'; printf ',"junk":'; cat "$T/deep"; printf '}\n'; } >"$T/tampered.json"
t_exit 'a model with a key 100,000 levels deep: exit 1' 1 fs-score --model "$T/tampered.json" "$T/train.ndjson"
t_match 'a model with a key 100,000 levels deep: says why' 'nested deeper than a model' "$err"

jq '.' "$T/model.json" >"$T/pretty.json"
t_ok 'a model reformatted by jq still loads' fs-score --model "$T/pretty.json" "$T/train.ndjson"

# --- Files, standard input, rejects -------------------------------------------------

run fs-score --model "$T/model.json" "$T/train.ndjson"
t_eq 'every record is written' 100 "$(printf '%s\n' "$out" | wc -l)"
run sh -c 'fs-score --model "$1" - <"$2"' sh "$T/model.json" "$T/train.ndjson"
t_eq '"-" is standard input' 100 "$(printf '%s\n' "$out" | wc -l)"
{
	head -2 "$T/train.ndjson"
	echo 'not json'
	echo '[1,2]'
	echo
	head -1 "$T/train.ndjson"
} >"$T/mixed.ndjson"
run fs-score --model "$T/model.json" --reject "$T/rj.ndjson" --stats "$T/mixed.ndjson"
t_eq 'lines that are no record are rejected, the rest scored, exit 0' '0 3' "$status $(printf '%s\n' "$out" | wc -l)"
t_eq 'reject codes' 'parse not_object' "$(jq -r .reject.code "$T/rj.ndjson" | xargs)"
t_eq 'the reject keeps the line' 'not json' "$(jq -r .line "$T/rj.ndjson" | head -1)"
t_match 'the summary counts them' '"in":5,"out":3,"rejected":2' "$err"
run fs-score --model "$T/model.json" "$T/train.ndjson" "$T/missing.ndjson"
t_eq 'a file that cannot be opened: exit 1, the rest still scored' '1 100' "$status $(printf '%s\n' "$out" | wc -l)"
if [ -w /dev/full ]; then
	run sh -c 'fs-score --model "$1" "$2" >/dev/full' sh "$T/model.json" "$T/train.ndjson"
	t_true 'output that cannot be written: exit 1' "$status" -eq 1
	run sh -c 'fs-score train "$1" >/dev/full' sh "$T/train.ndjson"
	t_true 'a model that cannot be written: exit 1' "$status" -eq 1
fi
t_exit 'train on nothing: exit 1' 1 fs-score train "$T/empty.json"
t_match 'and says why' 'no records to train on' "$err"
run sh -c 'fs-score --model "$1" "$2" | head -c 10' sh "$T/model.json" "$T/train.ndjson"
t_eq 'a reader that goes away ends fs-score quietly' '' "$err"

# --- Output -----------------------------------------------------------------------

run fs-score --model "$T/model.json" "$T/train.ndjson"
first=$(printf '%s\n' "$out" | head -1)
t_eq 'the input record is kept byte for byte, the fields follow' \
	"$(head -1 "$T/train.ndjson" | sed 's/}$//')" "${first%%,\"anomaly_score\"*}"
t_eq 'the added fields, in order' \
	'a b flight_phase velocity baro_altitude anomaly_score is_anomaly velocity_anomaly altitude_anomaly anomaly_reasons' \
	"$(printf '%s\n' "$first" | jq -r 'keys_unsorted | join(" ")')"
printf '%s\n' "$out" >"$T/scored.ndjson"
run fs-score --model "$T/model.json" "$T/scored.ndjson"
t_eq 'scoring scored records replaces the fields, once each' \
	"$(jq -c . "$T/scored.ndjson" | md5sum)" "$(printf '%s\n' "$out" | jq -c . | md5sum)"
printf '%s\n' '{"a":1,"b":1,"squawk":"7700","quality_flags":["out_of_order","position_jump"]}' \
	'{"a":1,"b":1,"squawk":"7000","quality_flags":["out_of_order"]}' >"$T/ev.ndjson"
run fs-score --model "$T/model.json" "$T/ev.ndjson"
t_eq 'an emergency squawk and a jump are reasons; out_of_order is not' \
	'true ["squawk_7700","position_jump"]|false []' \
	"$(printf '%s\n' "$out" | jq -r '"\(.is_anomaly) \(.anomaly_reasons | tojson)"' | paste -sd'|')"
printf '{"a":1,"b":1,"flight_phase":"CRUISE","velocity":300,"baro_altitude":null}\n' >"$T/dev.ndjson"
run fs-score --model "$T/model.json" "$T/dev.ndjson"
t_eq 'velocity_anomaly against the phase: (300 - 204.5) / max(1.4826 * MAD, 1)' \
	"$(jq -n --argjson m "$(jq .phases.CRUISE.velocity "$T/model.json")" \
		'(300 - $m.median) / $m.scale * 100 | round / 100')" \
	"$(printf '%s\n' "$out" | jq .velocity_anomaly)"
t_eq 'altitude_anomaly is null without an altitude' null "$(printf '%s\n' "$out" | jq .altitude_anomaly)"

t_done
