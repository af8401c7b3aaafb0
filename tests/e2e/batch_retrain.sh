#!/usr/bin/env bash
# fs-retrain against a real PostgreSQL (tests/pg-harness), from the
# curated positions: a new model trained, checked, put in place and a
# running fs-score made to reload it; checks that fail (too little data,
# an anomaly rate out of bounds, a model that does not load, a held-out
# sample not scored) keep the old model and signal nothing; one retrain
# at a time.
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/pg-harness"

t_built fs-produce fs-clean fs-score fs-sink-pg
t_need jq flock
pg_test
S=$ROOT/scripts
STATE=$T/state
export FS_STATE_DIR=$STATE
mkdir -p "$STATE"

# Two days of curated positions: the day before now, and one before it.
fs-sink-pg -q --init
fs-produce sim -q --seed 21 --aircraft 20 --start 2026-01-01T00:00:00Z --duration 36h --interval 30s \
	--speed max --faults all=0.005 | fs-clean -q | fs-score -q --warmup 2000 | fs-sink-pg -q
export FS_NOW=2026-01-02T12:00:00Z
in_day=$(pg_sql "SELECT count(*) FROM positions WHERE \"timestamp\" >= '2026-01-01T12:00Z'
	AND \"timestamp\" < '2026-01-02T12:00Z'")

# wait_lines FILE N: wait (up to 5 s) until FILE has N lines. An fs-score
# that has written its output has its signal handlers: a SIGHUP before
# them would end it.
wait_lines() {
	for _ in $(seq 600); do
		[ "$(wc -l <"$1")" -eq "$2" ] && return
		sleep 0.05
	done
}

# The old model, and an fs-score that scores with it, reading a FIFO.
fs-produce sim -q --seed 3 --aircraft 5 --duration 1h --speed max | fs-clean -q |
	fs-score train -q --trees 10 >"$STATE/model.json"
cp "$STATE/model.json" "$T/old.json"
fs-produce sim -q --seed 4 --aircraft 3 --duration 20m --speed max | fs-clean -q >"$T/clean.ndjson"
mkfifo "$T/fifo"
fs-score --stats=3600 --model "$STATE/model.json" <"$T/fifo" >"$T/scored.out" 2>"$T/scored.err" &
score_pid=$!
exec 3>"$T/fifo"
head -n 10 "$T/clean.ndjson" >&3
wait_lines "$T/scored.out" 10
# Another fs-score, with another model file: not to be signalled.
cp "$T/old.json" "$T/other.json"
mkfifo "$T/fifo2"
fs-score --stats=3600 --model "$T/other.json" <"$T/fifo2" >/dev/null 2>"$T/other.err" &
other_pid=$!
exec 4>"$T/fifo2"

# --- A retrain that passes ----------------------------------------------------

run "$S/fs-retrain" --source pg --days 1 --seed 5
t_eq 'fs-retrain: exit 0' 0 "$status"
t_match 'fs-retrain: its line' \
	"fs-retrain: status=ok records=$((in_day - in_day / 10)) holdout=$((in_day / 10)) anomaly_rate=0\.[0-9]{6} model=$STATE/model.json signalled=1 seconds=" \
	"$err"
t_no_match 'fs-retrain, stderr a file: no progress line' 'reading|'$'\r' "$err"
t_eq 'fs-retrain: the new model is in place' 'fs-score-model 100' \
	"$(jq -r '"\(.format) \(.trees)"' "$STATE/model.json")"
t_ok 'fs-retrain: the old model is kept as model.json.prev' cmp "$T/old.json" "$STATE/model.json.prev"
# The same data and seed: the same model, byte for byte.
psql -X -q -A -t -c "SELECT (to_jsonb(p) - 'extra') || coalesce(p.extra, '{}') FROM positions p
	WHERE \"timestamp\" >= '2026-01-01T12:00:00Z' AND \"timestamp\" < '2026-01-02T12:00:00Z'
	ORDER BY \"timestamp\", icao24" | awk 'NR % 10 != 0' | fs-score train -q --seed 5 >"$T/want.json"
t_ok 'fs-retrain: the model of fs-score train on the day, every 10th record held out' \
	cmp "$T/want.json" "$STATE/model.json"
t_eq 'fs-retrain: no temporary file is left beside the model' 'model.json model.json.prev' \
	"$(cd "$STATE" && printf '%s\n' .*model* *model* | grep -v '\*' | xargs)"
new=$(cat "$STATE/model.json")

# reloads ERR: the model_reloads of the summary of an fs-score whose stderr is ERR.
reloads() {
	grep '"final":true' "$1" | jq -r .model_reloads
}

# --- Checks that fail keep the old model ----------------------------------------

run "$S/fs-retrain" --source pg --days 1 --min-records 1000000
t_eq 'too few records: exit 1' 1 "$status"
t_match 'too few records: says so' \
	'fs-retrain: status=failed stage=read records=[0-9]+ reason=fewer-than-1000000-records-from-2026-01-01T12:00:00Z-to-2026-01-02T12:00:00Z .*kept=' \
	"$err"
t_eq 'too few records: the model is as it was' "$new" "$(cat "$STATE/model.json")"

# This one on a terminal (a pseudo-terminal of script(1), stdout and stderr
# in $out): a progress line on stderr, drawn in place (\r), through the stages.
have_script=0
command -v script >/dev/null 2>&1 && have_script=1
# on_tty CMD...: run CMD with stdout and stderr on a pseudo-terminal (if script is there).
on_tty() {
	if [ "$have_script" -eq 1 ]; then
		run script -qfec "$(printf '%q ' "$@")" /dev/null
	else
		run "$@"
	fi
}
on_tty "$S/fs-retrain" --source pg --days 1 --max-anomaly-rate 0.0001
err=$out
t_eq 'an anomaly rate above bounds: exit 1' 1 "$status"
if [ "$have_script" -eq 1 ]; then
	t_match 'fs-retrain on a terminal: the progress line, in place, through the stages' \
		$'\rfs-retrain: reading from pg\e\\[K\rfs-retrain: reading: 10000 records\e\\[K.*\rfs-retrain: training on [0-9]+ records\e\\[K\rfs-retrain: checking the model of [0-9]+ records\e\\[K\r\e\\[Kfs-retrain: status=failed' \
		"$out"
else
	t_skip 'fs-retrain on a terminal: the progress line' 'script (util-linux) is not installed'
fi
t_match 'an anomaly rate above bounds: says so' \
	"status=failed check=anomaly-rate records=[0-9]+ holdout=[0-9]+ anomaly_rate=0\.[0-9]+ bounds=0-0.0001 kept=$STATE/model.json seconds=" \
	"$err"
t_eq 'an anomaly rate above bounds: the model is as it was' "$new" "$(cat "$STATE/model.json")"
t_exit 'an anomaly rate below bounds: exit 1' 1 "$S/fs-retrain" --source pg --days 1 --min-anomaly-rate 0.9 \
	--max-anomaly-rate 1
t_match 'an anomaly rate below bounds: says so' 'check=anomaly-rate .*bounds=0.9-1 ' "$err"

# An fs-score whose training writes a broken model, and one that cannot score files.
mkdir -p "$T/broken" "$T/noscore"
cat >"$T/broken/fs-score" <<EOF
#!/bin/sh
[ "\$1" = train ] && { cat >/dev/null; echo '{"format":"fs-score-model","version":1,"forest":[[1,2]]}'; exit 0; }
exec "$BIN/fs-score" "\$@"
EOF
cat >"$T/noscore/fs-score" <<EOF
#!/bin/sh
case " \$* " in *holdout*) echo 'fs-score: cannot score' >&2; exit 1 ;; esac
exec "$BIN/fs-score" "\$@"
EOF
chmod +x "$T/broken/fs-score" "$T/noscore/fs-score"
run env FS_BIN="$T/broken" "$S/fs-retrain" --source pg --days 1
t_eq 'a model that does not load: exit 1' 1 "$status"
t_match 'a model that does not load: says so, with fs-score'"'"'s message' 'fs-score: .*status=failed check=loads' \
	"$(printf '%s' "$err" | tr '\n' ' ')"
t_eq 'a model that does not load: the model is as it was' "$new" "$(cat "$STATE/model.json")"
run env FS_BIN="$T/noscore" "$S/fs-retrain" --source pg --days 1
t_eq 'a held-out sample not scored: exit 1' 1 "$status"
t_match 'a held-out sample not scored: says so' 'fs-score: cannot score.*status=failed check=scores' \
	"$(printf '%s' "$err" | tr '\n' ' ')"
t_eq 'a held-out sample not scored: the model is as it was' "$new" "$(cat "$STATE/model.json")"
# With -q, on a terminal: no progress line. (The terminal ends each line with \r\n.)
on_tty env FS_NOW=2025-06-01T00:00:00Z "$S/fs-retrain" -q --source pg --days 1
err=$out
t_eq 'a day without data: exit 1' 1 "$status"
t_match 'a day without data: fewer records' 'status=failed stage=read records=0 ' "$err"
t_no_match 'fs-retrain -q on a terminal: no progress line' 'reading|'$'\r[^\n]' "$err"

# One retrain at a time.
exec 8>"$STATE/locks/retrain.lock"
flock 8
t_exit 'a second fs-retrain while one runs: exit 1' 1 "$S/fs-retrain" --source pg --days 1
t_match 'a second fs-retrain while one runs: says so' 'another fs-retrain is running' "$err"
exec 8>&-

# --no-signal, and the running fs-score processes.
run "$S/fs-retrain" --source pg --days 1 --seed 6 --no-signal
t_eq '--no-signal: exit 0, nothing signalled' '0 1' "$status $(printf '%s' "$err" | grep -c 'signalled=0')"
sed -n '11,20p' "$T/clean.ndjson" >&3
exec 3>&- 4>&-
wait "$score_pid" "$other_pid"
t_eq 'the fs-score of the model reloaded it once, on the good retrain only' 1 "$(reloads "$T/scored.err")"
t_eq 'the fs-score of the model scored every record' 20 "$(wc -l <"$T/scored.out")"
t_eq 'the fs-score of another model file was not signalled' 0 "$(reloads "$T/other.err")"

# The model by a relative path, from the process's own directory.
mkfifo "$T/fifo3"
(cd "$STATE" && exec fs-score --stats=3600 --model ./model.json <"$T/fifo3" >"$T/rel.out" 2>"$T/rel.err") &
rel_pid=$!
exec 5>"$T/fifo3"
head -n 3 "$T/clean.ndjson" >&5
wait_lines "$T/rel.out" 3
run "$S/fs-retrain" --source pg --days 1 --seed 7
t_match 'a relative --model: signalled' 'status=ok .* signalled=1 ' "$err"
sleep 0.2
exec 5>&-
wait "$rel_pid"
t_eq 'a relative --model: reloaded' 1 "$(reloads "$T/rel.err")"

t_done
