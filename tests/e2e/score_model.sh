#!/usr/bin/env bash
# fs-score's forest and model: deterministic training, scores in [0,1],
# a toy set whose outliers must stand out, c(n) and path lengths against
# values computed by hand, warm-up mode, and reloading on SIGHUP.
. "$(dirname "$0")/../lib.sh"

t_built fs-score fs-produce fs-clean
t_need jq awk

# Labelled clean records from the simulator.
fs-produce sim --seed 3 --aircraft 30 --duration 20m --speed max --faults all=0.01 --truth 2>/dev/null |
	fs-clean -q --no-clock-check >"$T/clean.ndjson"
n=$(wc -l <"$T/clean.ndjson")

# --- Deterministic training ---------------------------------------------------------

fs-score train --seed 5 "$T/clean.ndjson" >"$T/m1.json"
fs-score train --seed 5 <"$T/clean.ndjson" >"$T/m2.json"
t_ok 'the same seed and input give the same model, byte for byte' cmp "$T/m1.json" "$T/m2.json"
fs-score train --seed 6 "$T/clean.ndjson" >"$T/m3.json"
t_true 'another seed gives another forest' "$(jq -c .forest "$T/m1.json" | md5sum)" != "$(jq -c .forest "$T/m3.json" | md5sum)"
t_eq 'the model says what it is' 'fs-score-model 1 100 256 8' \
	"$(jq -r '"\(.format) \(.version) \(.trees) \(.sample) \(.max_depth)"' "$T/m1.json")"
t_eq 'the default features' \
	'velocity_kt altitude_ft vertical_rate_fpm implied_speed turn_rate accel alt_change_m vertical_rate_error flight_phase' \
	"$(jq -r '[.features[].name] | join(" ")' "$T/m1.json")"
t_eq 'it counts the training records' "$n $(( n < 25600 ? n : 25600 ))" \
	"$(jq -r '"\(.training.records) \(.training.sampled)"' "$T/m1.json")"
timed fs-score --model "$T/m1.json" /dev/null
t_true 'a model loads in well under a second' "$ms" -lt 1000

# --- Scores -------------------------------------------------------------------------

fs-score --model "$T/m1.json" "$T/clean.ndjson" >"$T/s1.ndjson"
t_eq 'every record is scored' "$n" "$(wc -l <"$T/s1.ndjson")"
t_eq 'every score is in [0, 1]' 0 \
	"$(jq 'select((.anomaly_score | type) != "number" or .anomaly_score < 0 or .anomaly_score > 1)' "$T/s1.ndjson" | wc -l)"
fs-score --model "$T/m1.json" "$T/clean.ndjson" >"$T/s2.ndjson"
t_ok 'scoring is deterministic' cmp "$T/s1.ndjson" "$T/s2.ndjson"
t_eq 'is_anomaly is exactly "a reason fired"' 0 \
	"$(jq 'select(.is_anomaly != (.anomaly_reasons | length > 0))' "$T/s1.ndjson" | wc -l)"
t_eq 'iforest fires exactly above the threshold' 0 \
	"$(jq --argjson t "$(jq .threshold "$T/m1.json")" \
		'select((.anomaly_reasons | index("iforest") != null) != (.anomaly_score > $t))' "$T/s1.ndjson" | wc -l)"
jumps=$(jq -c 'select(.quality_flags | index("position_jump"))' "$T/s1.ndjson")
t_true 'the simulator made some position jumps' -n "$jumps"
t_eq 'each is an anomaly, with the reason' 0 \
	"$(printf '%s\n' "$jumps" | jq 'select(.is_anomaly != true or (.anomaly_reasons | index("position_jump")) == null)' | wc -l)"

# --- A toy set: a tight cluster and a few far points ---------------------------------

awk 'BEGIN {
	srand(1)
	for (i = 0; i < 300; i++)
		printf "{\"x\":%.4f,\"y\":%.4f}\n", rand() + rand() + rand() - 1.5, rand() + rand() + rand() - 1.5
}' >"$T/cluster.ndjson"
printf '{"x":8,"y":8}\n{"x":-9,"y":-7}\n{"x":10,"y":-10}\n' >"$T/far.ndjson"
# The far points are in the training set, as in the paper: a forest scores a
# point outside its training data like the outermost point it saw.
cat "$T/cluster.ndjson" "$T/far.ndjson" | fs-score train --features x,y --contamination 0.02 >"$T/toy.json"
fs-score --model "$T/toy.json" "$T/cluster.ndjson" "$T/far.ndjson" >"$T/toy.ndjson"
maxc=$(head -300 "$T/toy.ndjson" | jq -s 'map(.anomaly_score) | max')
minf=$(tail -3 "$T/toy.ndjson" | jq -s 'map(.anomaly_score) | min')
t_true "the far points (least $minf) score above every cluster point (most $maxc) by 0.1" \
	"$(awk -v a="$minf" -v b="$maxc" 'BEGIN { print (a > b + 0.1) }')" -eq 1
t_eq 'the far points are anomalies by the forest' 'true true true' \
	"$(tail -3 "$T/toy.ndjson" | jq -r '.anomaly_reasons | index("iforest") != null' | xargs)"

# --- c(n) and path lengths, computed by hand ------------------------------------------

# c(n) = 2 (ln(n - 1) + 0.5772156649) - 2 (n - 1) / n; c(2) = 1.
# c(256) = 2 (5.541263545 + 0.577215665) - 510/256 = 12.23695842 - 1.9921875 = 10.24477092
t_eq 'c(256) in the model' 10.244771 "$(jq '.c_sample * 1e6 | round / 1e6' "$T/m1.json")"
fs-score train --sample 3 --trees 5 --features x,y "$T/cluster.ndjson" >"$T/s3.json"
# c(3) = 2 (ln 2 + 0.5772156649) - 4/3 = 2.540725692 - 1.333333333 = 1.207392359
t_eq 'c(3) in the model, depth limit ceil(log2 3) = 2' '1.207392 2' \
	"$(jq -r '"\(.c_sample * 1e6 | round / 1e6) \(.max_depth)"' "$T/s3.json")"
fs-score train --sample 2 --trees 5 --features x,y "$T/cluster.ndjson" >"$T/s2.json"
t_eq 'c(2) = 1, depth limit 1' '1 1' "$(jq -r '"\(.c_sample) \(.max_depth)"' "$T/s2.json")"
t_eq 'with psi = 2 every leaf is at depth 1 and holds one point: path length 1' '1' \
	"$(jq -r '[.forest[][] | select(type == "number")] | unique | map(tostring) | join(" ")' "$T/s2.json")"
t_eq 'with psi = 3 the leaves are depth 1 + c(2) = 2, or depth 1 or 2 + c(1)' '1 2' \
	"$(jq -r '[.forest[][] | select(type == "number")] | unique | map(tostring) | join(" ")' "$T/s3.json")"

# A forest written by hand: psi = 4, so c(4) = 2 (ln 3 + 0.5772156649) - 3/2 = 1.851655999.
# Tree 1: x < 0 -> leaf 1 (depth 1, alone); else y < 0 -> leaf 2 (depth 2) else leaf 3.2075 (depth 2 + c(3)).
# Tree 2: a single leaf of all 4 points: 0 + c(4) = 1.851656.
cat >"$T/hand.json" <<'JSON'
{"format":"fs-score-model","version":1,"trees":2,"sample":4,"seed":0,
 "contamination":0,"threshold":0.6,
 "features":[{"name":"x","median":0,"scale":1},{"name":"y","median":10,"scale":2}],
 "phases":{"ALL":{"velocity":{"median":100,"scale":10},"altitude":{"median":null,"scale":null}},
  "GROUND":{"velocity":{"median":null,"scale":null},"altitude":{"median":null,"scale":null}},
  "CLIMB":{"velocity":{"median":null,"scale":null},"altitude":{"median":null,"scale":null}},
  "DESCENT":{"velocity":{"median":null,"scale":null},"altitude":{"median":null,"scale":null}},
  "CRUISE":{"velocity":{"median":150,"scale":5},"altitude":{"median":null,"scale":null}},
  "LEVEL":{"velocity":{"median":null,"scale":null},"altitude":{"median":null,"scale":null}}},
 "forest":[[[0,0,2],1,[1,0,4],2,3.2073923593],[1.8516559990]]}
JSON
printf '%s\n' '{"x":-5,"y":0}' '{"x":5,"y":4}' '{"x":5,"y":30}' '{"x":null}' \
	'{"x":-1,"velocity":110}' '{"x":-1,"velocity":160,"flight_phase":"CRUISE"}' >"$T/hand.ndjson"
run fs-score --model "$T/hand.json" "$T/hand.ndjson"
# s = 2^(-E(h) / c(4)): E(h) = (1 + 1.851656) / 2 = 1.425828 -> 0.586406;
# (2 + 1.851656) / 2 = 1.925828 -> 0.486308; (3.207392 + 1.851656) / 2 = 2.529524 -> 0.387942.
# A null x takes the median 0, which is not below 0: the right side, and y's median 10
# scales to 0, not below 0: leaf 3.2074.
want=$(awk 'BEGIN {
	c4 = 2 * (log(3) + 0.5772156649) - 3 / 2
	split("1 2 3.2073923593 3.2073923593 1 1", h, " ")
	for (i = 1; i <= 6; i++) printf "%.6f ", 2 ^ (-((h[i] + c4) / 2) / c4)
}')
t_eq 'scores of a forest written by hand' "$want" "$(printf '%s\n' "$out" | jq -r .anomaly_score | xargs) "
t_eq 'and the hand-computed values' '0.586406 0.486308 0.387942' \
	"$(printf '%s\n' "$out" | head -3 | jq -r .anomaly_score | xargs)"
t_eq 'velocity_anomaly: (110 - 100) / 10 over all, (160 - 150) / 5 in CRUISE' '1 2' \
	"$(printf '%s\n' "$out" | tail -2 | jq -r .velocity_anomaly | xargs)"
t_eq 'the threshold 0.6 is not passed: no reasons' 0 \
	"$(printf '%s\n' "$out" | jq 'select(.is_anomaly)' | wc -l)"

# --- Warm-up ------------------------------------------------------------------------

head -500 "$T/clean.ndjson" >"$T/first.ndjson"
run fs-score --warmup 500 -v "$T/clean.ndjson"
t_eq 'warm-up: every record is written, in order' \
	"$(jq -r .timestamp "$T/clean.ndjson" | md5sum)" "$(printf '%s\n' "$out" | jq -r .timestamp | md5sum)"
t_match 'warm-up: -v tells the threshold' 'trained on 500 warm-up records; threshold' "$err"
printf '%s\n' "$out" >"$T/warm.ndjson"
fs-score train "$T/first.ndjson" >"$T/first.json"
fs-score --model "$T/first.json" "$T/clean.ndjson" >"$T/cold.ndjson"
t_ok 'warm-up scores everything as train on the warm-up and --model would' \
	cmp "$T/warm.ndjson" "$T/cold.ndjson"
head -50 "$T/clean.ndjson" >"$T/short.ndjson"
run fs-score "$T/short.ndjson"
t_eq 'input shorter than the warm-up (default 10000) is still scored, all of it' 50 \
	"$(printf '%s\n' "$out" | jq -r .anomaly_score | grep -c .)"
run fs-score /dev/null
t_eq 'no input, no output, exit 0' '0:' "$status:$out"

# --- Stats, metrics, SIGINT during the warm-up ----------------------------------------

run fs-score --model "$T/m1.json" --stats --metrics-file "$T/metrics.prom" "$T/clean.ndjson"
anom=$(printf '%s\n' "$out" | jq 'select(.is_anomaly)' | jq -s length)
t_match 'the summary counts the anomalies' "\"in\":$n,\"out\":$n,.*\"anomalies\":$anom" "$err"
t_match 'and each kind of evidence' '"reason_iforest":[0-9]+,"reason_squawk":[0-9]+,"reason_quality_flags":[0-9]+' "$err"
t_match 'the metrics file has them' "flightstream_anomalies_total\\{tool=\"fs-score\"\\} $anom" "$(cat "$T/metrics.prom")"

mkfifo "$T/wfifo"
fs-score --warmup 1000 <"$T/wfifo" >"$T/wout.ndjson" 2>"$T/werr" &
wpid=$!
exec 4>"$T/wfifo"
head -20 "$T/clean.ndjson" >&4
sleep 0.5
t_eq 'during the warm-up nothing is written yet' 0 "$(wc -l <"$T/wout.ndjson")"
kill -INT $wpid
wait $wpid
t_eq 'SIGINT during the warm-up: exit 0' 0 "$?"
exec 4>&-
t_eq 'the records held back are trained on, scored and written' 20 \
	"$(jq -r .anomaly_score "$T/wout.ndjson" | grep -c .)"

# --- SIGHUP -------------------------------------------------------------------------

fs-score train --features x,y --contamination 0 "$T/cluster.ndjson" >"$T/model.json"
jq -c '.threshold = 0' "$T/model.json" >"$T/all.json"
mkfifo "$T/fifo"
fs-score --model "$T/model.json" <"$T/fifo" >"$T/live.ndjson" 2>"$T/live.err" &
pid=$!
exec 3>"$T/fifo"
# wait_lines N: until the output has N lines (at most 10 s).
wait_lines() {
	local i
	for i in $(seq 300); do
		[ "$(wc -l <"$T/live.ndjson")" -ge "$1" ] && return 0
		sleep 0.1
	done
	return 1
}
echo '{"x":0.1,"y":0.1}' >&3
wait_lines 1
t_eq 'before the reload: threshold 1, no reason' '[]' "$(sed -n 1p "$T/live.ndjson" | jq -c .anomaly_reasons)"
cp "$T/all.json" "$T/model.json"
kill -HUP $pid
sleep 0.3
echo '{"x":0.1,"y":0.1}' >&3
wait_lines 2
t_eq 'after SIGHUP the new model scores (threshold 0: iforest)' '["iforest"]' \
	"$(sed -n 2p "$T/live.ndjson" | jq -c .anomaly_reasons)"
t_match 'the reload is reported' "reloaded model '$T/model.json'" "$(cat "$T/live.err")"
echo '{"format":"fs-score-model","version":1,' >"$T/model.json"
kill -HUP $pid
sleep 0.3
echo '{"x":0.1,"y":0.1}' >&3
wait_lines 3
t_eq 'a bad model on reload: the old one goes on' '["iforest"]' \
	"$(sed -n 3p "$T/live.ndjson" | jq -c .anomaly_reasons)"
t_match 'and says so' 'not JSON.*keeping the old model' "$(cat "$T/live.err")"
rm -f "$T/model.json"
kill -HUP $pid
sleep 0.3
t_match 'a missing model on reload: the same' "cannot open model.*keeping the old model" "$(cat "$T/live.err")"
t_true 'fs-score is still running' -d /proc/$pid
exec 3>&-
wait $pid
t_eq 'at the end of input it exits 0' 0 "$?"

t_done
