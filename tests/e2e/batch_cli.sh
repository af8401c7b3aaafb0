#!/usr/bin/env bash
# The batch jobs' command lines, without services: --help against the man
# pages, usage errors (exit 2), what is missing (exit 1), the lock of an
# hour; and fs-backfill's parallel runs, failures, resuming and progress line, over a
# stand-in fs-batch-hour and a stand-in psql (the database of the hours done).
. "$(dirname "$0")/../lib.sh"

t_need flock
PATH=$ROOT/scripts:$PATH
S=$ROOT/scripts
export FS_STATE_DIR=$T/state
mkdir -p "$FS_STATE_DIR"

for s in fs-batch-hour fs-backfill fs-retrain fs-reconcile; do
	t_ok "$s --help: exit 0" "$s" --help
	t_match "$s --help: the usage" "^usage: $s " "$out"
	t_synopsis "$s"
	t_exit "$s: an unknown option is a usage error" 2 "$s" --frobnicate
	t_match "$s: an unknown option: named, with the usage" "$s: unknown option '--frobnicate'.*usage: $s" "$err"
done

# --- fs-batch-hour -----------------------------------------------------------

# t_usage NAME MESSAGE CMD...: CMD is a usage error (2) that says MESSAGE.
t_usage() {
	local name=$1 msg=$2
	shift 2
	t_exit "$name: exit 2" 2 "$@"
	t_match "$name: says why" "$msg" "$err"
}
t_usage 'fs-batch-hour without an hour' 'say which hour: --hour YYYY-MM-DDTHH or --last-complete' \
	fs-batch-hour
t_usage 'fs-batch-hour --hour in another form' "bad hour '2026-01-01 03': use YYYY-MM-DDTHH" \
	fs-batch-hour --hour '2026-01-01 03'
t_usage 'fs-batch-hour --hour of no day' "bad hour '2026-02-30T03': no such time" \
	fs-batch-hour --hour 2026-02-30T03
t_usage 'fs-batch-hour --hour 24' "bad hour '2026-01-01T24': no such time" fs-batch-hour --hour 2026-01-01T24
t_usage 'fs-batch-hour --hour and --last-complete' '--hour and --last-complete exclude each other' \
	fs-batch-hour --hour 2026-01-01T03 --last-complete
t_usage 'fs-batch-hour --lag 10 minutes' "bad duration for --lag: '10 minutes'" \
	fs-batch-hour --last-complete --lag '10 minutes'
t_usage 'fs-batch-hour --lead-in shorter than the windows' \
	'--lead-in \(20m\) must be at least the window size \(1800 s\)' \
	fs-batch-hour --hour 2026-01-01T03 --lead-in 20m --size 30m
t_usage 'fs-batch-hour --size 0' "bad duration for --size: '0'" fs-batch-hour --hour 2026-01-01T03 --size 0
t_usage 'fs-batch-hour --hop 1.5m' "bad duration for --hop: '1.5m'" fs-batch-hour --hour 2026-01-01T03 --hop 1.5m
t_usage 'fs-batch-hour --model without its argument' "option '--model' needs an argument" \
	fs-batch-hour --hour 2026-01-01T03 --model
t_usage 'fs-batch-hour with an operand' "unexpected argument 'extra'" fs-batch-hour --hour 2026-01-01T03 extra
t_usage 'fs-batch-hour: a bad FS_NOW' "bad time in FS_NOW: 'soon'" env FS_NOW=soon fs-batch-hour --last-complete

run env PATH=/usr/bin:/bin "$S/fs-batch-hour" --hour 2026-01-01T03
t_eq 'fs-batch-hour without the programs: exit 1' 1 "$status"
t_match 'fs-batch-hour without the programs: says which' "cannot find 'fs-produce' on PATH" "$err"
if [ -x "$BIN/fs-produce" ] && [ -x "$BIN/fs-clean" ] && [ -x "$BIN/fs-score" ] &&
	[ -x "$BIN/fs-window" ] && [ -x "$BIN/fs-sink-pg" ] && command -v psql >/dev/null; then
	t_exit 'fs-batch-hour without a model: exit 1' 1 fs-batch-hour --hour 2026-01-01T03
	t_match 'fs-batch-hour without a model: says so' \
		"cannot read the model '$FS_STATE_DIR/model.json': make one with fs-retrain, or give --model" "$err"
	# The hour's lock, held here: a run of that hour does not start.
	echo '{}' >"$FS_STATE_DIR/model.json"
	mkdir -p "$FS_STATE_DIR/locks"
	exec 8>"$FS_STATE_DIR/locks/batch-hour-2026-01-01T03.lock"
	flock 8
	t_exit 'fs-batch-hour while its hour is locked: exit 1' 1 fs-batch-hour --hour 2026-01-01T03
	t_match 'fs-batch-hour while its hour is locked: says so' \
		'hour 2026-01-01T03 is being curated by another run .*not running \(--wait to wait\)' "$err"
	t_exit 'fs-batch-hour --state-dir elsewhere: another lock, no model there' 1 \
		fs-batch-hour --hour 2026-01-01T03 --state-dir "$T/other"
	t_match 'fs-batch-hour --state-dir elsewhere: its model' "cannot read the model '$T/other/model.json'" "$err"
	exec 8>&-
	FS_NOW=2026-01-01T03:30:00Z run fs-batch-hour --hour 2026-01-01T03 --dsn 'host=/nonexistent'
	t_eq 'fs-batch-hour of an hour not complete: warned' 1 \
		"$(printf '%s\n' "$err" | grep -c 'warning: hour 2026-01-01T03 is not complete yet')"
	t_match 'fs-batch-hour: PostgreSQL unreachable: exit 1 and the log line' \
		'fs-batch-hour: hour=2026-01-01T03 status=failed stage=psql reason=cannot-make-schema' "$err"
	t_eq 'fs-batch-hour: PostgreSQL unreachable: exit 1' 1 "$status"
else
	t_skip 'fs-batch-hour: the checks after the programs are found' 'the programs are not all built'
fi

# --- fs-backfill -------------------------------------------------------------

t_usage 'fs-backfill without a range' 'give the range: --from TIME --to TIME' fs-backfill
t_usage 'fs-backfill --to before --from' 'the range is empty' \
	fs-backfill --from 2026-01-02T00 --to 2026-01-01T00
t_usage 'fs-backfill --from nonsense' "bad time for --from: 'yesterday-ish'" \
	fs-backfill --from yesterday-ish --to 2026-01-01T00
t_usage 'fs-backfill --jobs 0' "bad number for --jobs: '0'" fs-backfill --from 2026-01-01 --to 2026-01-02 --jobs 0
t_usage 'fs-backfill --jobs 65' "bad number for --jobs: '65'" fs-backfill --from 2026-01-01 --to 2026-01-02 --jobs 65

# A stand-in fs-batch-hour beside a copy of fs-backfill: it notes its
# hour and options, takes a moment, fails for the hours in $FAIL, and
# records an hour done in the stand-in database's ledger, $FAKE_DB (one
# hour a line); and a stand-in psql (in FS_BIN) that answers with that
# ledger, and notes its arguments.
mkdir -p "$T/fake" "$T/fakebin"
cp "$S/fs-backfill" "$T/fake/"
[ ! -r "$S/conn.sh" ] || cp "$S/conn.sh" "$T/fake/"
cat >"$T/fake/fs-batch-hour" <<'EOF'
#!/usr/bin/env bash
while [ $# -gt 0 ]; do
	case $1 in --hour) hour=$2; shift ;; *) opts="$opts $1" ;; esac
	shift
done
echo "start $hour" >>"$FAKE_LOG"
echo "$hour$opts" >>"$FAKE_LOG.opts"
trap 'echo "stopped $hour" >>"$FAKE_LOG"; exit 1' TERM
sleep "${FAKE_SLEEP:-0.3}"
echo "end $hour" >>"$FAKE_LOG"
case " $FAIL " in *" $hour "*) echo "fs-batch-hour: hour=$hour status=failed" >&2; exit 1 ;; esac
echo "$hour" >>"$FAKE_DB"
echo "fs-batch-hour: hour=$hour status=ok raw=12 positions=10 rejected=1 duplicates=1" >&2
EOF
chmod +x "$T/fake/fs-batch-hour"
cat >"$T/fakebin/psql" <<'EOF'
#!/bin/sh
echo "$*" >>"$FAKE_LOG.psql"
[ -z "${PGPASSWORD:-}" ] || echo "PGPASSWORD=$PGPASSWORD" >>"$FAKE_LOG.psql"
cat >/dev/null
[ ! -e "$FAKE_DB" ] || cat "$FAKE_DB"
EOF
chmod +x "$T/fakebin/psql"
export FAKE_LOG=$T/fake.log FAIL= FAKE_DB=$T/db1 FS_BIN=$T/fakebin
# most LOG: the most runs at one time.
most() {
	awk '$1 == "start" { n++; if (n > m) m = n } $1 == "end" { n-- } END { print m + 0 }' "$1"
}
run "$T/fake/fs-backfill" --from 2026-01-01T00 --to 2026-01-01T08 --jobs 3 -- --by '*' --model m.json
t_eq 'fs-backfill over 8 hours: exit 0' 0 "$status"
t_eq 'fs-backfill: each hour once, with --wait and the options after --' \
	"$(for h in 0 1 2 3 4 5 6 7; do echo "2026-01-01T0$h --wait --by * --model m.json"; done)" \
	"$(sort "$FAKE_LOG.opts")"
t_eq 'fs-backfill --jobs 3: three at a time' 3 "$(most "$FAKE_LOG")"
t_match 'fs-backfill: the summary' 'fs-backfill: hours=8 done=8 skipped=0 failed=0' "$err"
rm -f "$FAKE_LOG" "$FAKE_LOG.opts"
run "$T/fake/fs-backfill" --from 2026-01-01T00 --to 2026-01-01T08 --jobs 3
t_eq 'fs-backfill again: nothing run' '0 0' "$status $(cat "$FAKE_LOG" 2>/dev/null | wc -l)"
t_match 'fs-backfill again: says so' '8 of 8 hours were done already \(--redo to do them again\)' "$err"
# Another database, the same range and state directory: nothing done there.
FAKE_DB=$T/db2 run "$T/fake/fs-backfill" --from 2026-01-01T00 --to 2026-01-01T08 --jobs 3
t_eq 'fs-backfill into another database: every hour run' '0 8' "$status $(grep -c '^end' "$FAKE_LOG")"
t_eq 'fs-backfill into another database: its ledger has them' 8 "$(wc -l <"$T/db2")"
rm -f "$FAKE_LOG" "$FAKE_LOG.psql"
run "$T/fake/fs-backfill" --from 2026-01-01T00 --to 2026-01-01T08 -- --dsn 'dbname=other'
t_match 'fs-backfill -- --dsn: the database asked is that of --dsn' "^-X -q -A -t -v ON_ERROR_STOP=1 -d dbname='?other'?\$" \
	"$(cat "$FAKE_LOG.psql")"
rm -f "$FAKE_LOG.psql"
FS_PG_DSN=dbname=env run "$T/fake/fs-backfill" --from 2026-01-01T00 --to 2026-01-01T08
t_match 'fs-backfill: FS_PG_DSN is the database asked' " -d dbname='?env'?\$" "$(cat "$FAKE_LOG.psql")"
rm -f "$FAKE_LOG.psql"
if [ -r "$S/conn.sh" ]; then
	FS_PG_DSN='dbname=env password=sekrit' run "$T/fake/fs-backfill" --from 2026-01-01T00 --to 2026-01-01T08
	t_eq "fs-backfill: FS_PG_DSN's password to psql in PGPASSWORD, not on its command line" \
		"-X -q -A -t -v ON_ERROR_STOP=1 -d dbname='env' PGPASSWORD=sekrit" "$(paste -sd" " "$FAKE_LOG.psql")"
	rm -f "$FAKE_LOG.psql"
else
	t_skip "fs-backfill: FS_PG_DSN's password to psql in PGPASSWORD" 'no scripts/conn.sh here'
fi
run "$T/fake/fs-backfill" --redo --from 2026-01-01T06 --to 2026-01-01T08
t_eq 'fs-backfill --redo: the database is not asked' '0 ' "$status $(cat "$FAKE_LOG.psql" 2>/dev/null)"
run env FS_BIN= "$T/fake/fs-backfill" --from 2026-01-01T00 --to 2026-01-01T08 -- --dsn 'host=/nonexistent'
t_eq 'fs-backfill, the database unreachable: exit 1' 1 "$status"
t_match 'fs-backfill, the database unreachable: says so, with psql'"'"'s message' \
	'psql: .*/nonexistent.*fs-backfill: cannot ask the database which hours are done' "$(printf '%s' "$err" | tr '\n' ' ')"

# Parts of hours, and a range that is not whole hours.
rm -f "$FAKE_LOG" "$FAKE_LOG.opts"
run "$T/fake/fs-backfill" --from 2026-01-01T10:30:00Z --to 2026-01-01T12:00:01Z
t_eq 'fs-backfill from 10:30 to 12:00:01: the hours 10, 11 and 12' \
	'2026-01-01T10 2026-01-01T11 2026-01-01T12' "$(cut -d' ' -f1 "$FAKE_LOG.opts" | sort | xargs)"
t_eq 'fs-backfill --jobs 1 (the default): one at a time' 1 "$(most "$FAKE_LOG")"

# Failures: the others still run; the same command again runs only those.
rm -f "$FAKE_LOG" "$FAKE_LOG.opts"
FAIL='2026-01-02T01 2026-01-02T03' run "$T/fake/fs-backfill" --from 2026-01-02T00 --to 2026-01-02T05 --jobs 2
t_eq 'fs-backfill with two hours failing: exit 1' 1 "$status"
t_eq 'fs-backfill with two hours failing: all five run' 5 "$(wc -l <"$FAKE_LOG.opts")"
t_match 'fs-backfill with two hours failing: the summary' 'hours=5 done=3 skipped=0 failed=2' "$err"
t_match 'fs-backfill with two hours failing: which' \
	'failed: 2026-01-02T01 2026-01-02T03; run the same command again to retry them' "$err"
rm -f "$FAKE_LOG" "$FAKE_LOG.opts"
run "$T/fake/fs-backfill" --from 2026-01-02T00 --to 2026-01-02T05 --jobs 2
t_eq 'fs-backfill again: exit 0, only the two that failed run' '0 2026-01-02T01 2026-01-02T03' \
	"$status $(cut -d' ' -f1 "$FAKE_LOG.opts" | sort | xargs)"
rm -f "$FAKE_LOG" "$FAKE_LOG.opts"
run "$T/fake/fs-backfill" --redo --from 2026-01-02T00 --to 2026-01-02T05 --jobs 5
t_eq 'fs-backfill --redo: all five again' '0 5' "$status $(wc -l <"$FAKE_LOG.opts")"
t_true 'fs-backfill: no marker files in the state directory' ! -e "$FS_STATE_DIR/backfill"

# Stopped with SIGTERM: it stops its runs (and what they run) and exits
# 1; the hours begun are not marked, and the next run does them.
rm -f "$FAKE_LOG" "$FAKE_LOG.opts"
FAKE_SLEEP=2 "$T/fake/fs-backfill" --from 2026-01-03T00 --to 2026-01-03T10 --jobs 2 \
	>"$T/bf.out" 2>"$T/bf.err" &
pid=$!
# Once the third and fourth hours have started:
for _ in $(seq 1200); do
	[ "$(grep -c '^start' "$FAKE_LOG" 2>/dev/null)" -ge 4 ] && break
	sleep 0.05
done
kill -TERM "$pid"
wait "$pid"
t_eq 'fs-backfill stopped by SIGTERM: exit 1' 1 "$?"
for _ in $(seq 100); do
	[ "$(grep -c '^stopped' "$FAKE_LOG")" -ge 2 ] && break
	sleep 0.05
done
t_eq 'fs-backfill stopped by SIGTERM: two hours done, the two running stopped, no more started' \
	'end 2026-01-03T00 end 2026-01-03T01 stopped 2026-01-03T02 stopped 2026-01-03T03' \
	"$(grep -v '^start' "$FAKE_LOG" | sort | xargs)"
ndone=$(grep -c '^2026-01-03' "$FAKE_DB")
t_eq 'fs-backfill stopped by SIGTERM: the two hours done are recorded' 2 "$ndone"
rm -f "$FAKE_LOG" "$FAKE_LOG.opts"
run "$T/fake/fs-backfill" --from 2026-01-03T00 --to 2026-01-03T10 --jobs 2
t_eq 'fs-backfill after SIGTERM: the rest' "$((10 - ndone))" "$(wc -l <"$FAKE_LOG.opts")"

# The progress line: on a terminal (a pseudo-terminal of script(1)), one
# line on stderr drawn again in place (\r) as each hour ends, the lines of
# the hours above it; none with -q, or when stderr is not a terminal.
if command -v script >/dev/null 2>&1; then
	rm -f "$FAKE_LOG" "$FAKE_LOG.opts"
	# on_tty CMD...: run CMD with stdout and stderr on a pseudo-terminal, into $out.
	on_tty() {
		run script -qfec "$(printf '%q ' "$@")" /dev/null
	}
	FAKE_DB=$T/db3 FAKE_SLEEP=0.1 on_tty "$T/fake/fs-backfill" --from 2026-01-04T00 --to 2026-01-04T03 --jobs 2
	t_eq 'fs-backfill on a terminal: exit 0' 0 "$status"
	t_match 'fs-backfill on a terminal: the progress line, drawn in place' \
		$'\rfs-backfill: 0 of 3 hours done, 0 rows/s, \\? left.*\rfs-backfill: 3 of 3 hours done, [0-9]+ rows/s, [0-9]+s left' "$out"
	t_match 'fs-backfill on a terminal: the lines of each hour above it' \
		$'\r\e\\[Kfs-batch-hour: hour=2026-01-04T0[0-2] status=ok' "$out"
	t_match 'fs-backfill on a terminal: the summary on a line of its own' \
		$'\r\e\\[Kfs-backfill: hours=3 done=3 skipped=0 failed=0' "$out"
	FAKE_DB=$T/db4 FAKE_SLEEP=0.1 on_tty "$T/fake/fs-backfill" -q --from 2026-01-04T00 --to 2026-01-04T03 --jobs 2
	# (The terminal ends each line with \r\n.)
	t_no_match 'fs-backfill -q on a terminal: no progress line' 'hours done|'$'\r[^\n]' "$out"
	FAKE_DB=$T/db5 FAKE_SLEEP=0.1 on_tty sh -c \
		'"$0" --from 2026-01-04T00 --to 2026-01-04T03 --jobs 2 2>"$1"' "$T/fake/fs-backfill" "$T/bf.err"
	t_no_match 'fs-backfill, stderr a file: no progress line' 'hours done|'$'\r' "$(cat "$T/bf.err")"
	t_match 'fs-backfill, stderr a file: the lines as before' 'status=ok.*hours=3 done=3' "$(cat "$T/bf.err" | tr '\n' ' ')"
else
	t_skip 'fs-backfill: the progress line on a terminal' 'script (util-linux) is not installed'
fi
unset FS_BIN

# --- fs-retrain --------------------------------------------------------------

t_usage 'fs-retrain --days 0' "bad number for --days: '0'" fs-retrain --days 0
t_usage 'fs-retrain --source kafka' "bad --source 'kafka': mongo or pg" fs-retrain --source kafka
t_usage 'fs-retrain --max-anomaly-rate 2' "bad rate for --max-anomaly-rate: '2'" fs-retrain --max-anomaly-rate 2
t_usage 'fs-retrain bounds the wrong way' '--min-anomaly-rate \(0.2\) is above --max-anomaly-rate \(0.1\)' \
	fs-retrain --min-anomaly-rate 0.2 --max-anomaly-rate 0.1
t_usage 'fs-retrain --holdout 1' "bad number for --holdout: '1'" fs-retrain --holdout 1
t_usage 'fs-retrain --seed -1' "bad number for --seed: '-1'" fs-retrain --seed -1

# --- fs-reconcile ------------------------------------------------------------

t_usage 'fs-reconcile without hours' 'say which hours' fs-reconcile
t_usage 'fs-reconcile --hour and --last-complete' 'say which hours' \
	fs-reconcile --hour 2026-01-01T03 --last-complete
t_usage 'fs-reconcile --from without --to' '--from and --to go together' fs-reconcile --from 2026-01-01
t_usage 'fs-reconcile --tolerance of a kind' "bad tolerance 'some'" fs-reconcile --hour 2026-01-01T03 --tolerance some
t_usage 'fs-reconcile --tolerance 5%%' "bad tolerance '5%%'" fs-reconcile --hour 2026-01-01T03 --tolerance 5%%
t_usage 'fs-reconcile --hour of no day' "bad hour '2026-13-01T00': no such time" fs-reconcile --hour 2026-13-01T00

t_done
