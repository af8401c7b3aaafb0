#!/usr/bin/env bash
# fs-sink-pg as a command, without a server: usage and the man page, bad
# options, a server that is not there (retried, then exit 1), and
# passwords that never show in what it prints.
. "$(dirname "$0")/../lib.sh"

t_built fs-sink-pg

# No server anywhere: a socket directory with nothing in it.
nowhere=$T/nowhere
mkdir -p "$nowhere"
unset FS_PG_DSN PGSERVICE PGPASSWORD PGPASSFILE
export PGHOST=$nowhere PGPORT=5432 PGUSER=fs PGDATABASE=fs PGCONNECT_TIMEOUT=2
printf '{"timestamp":"2026-01-01T00:00:00Z","icao24":"abc123"}\n' >"$T/one.ndjson"

# --- Usage, help, version, and the man page ------------------------------

for h in -h --help; do
	t_exit "fs-sink-pg $h exits 0" 0 fs-sink-pg "$h"
	t_match "fs-sink-pg $h prints the usage on stdout" '^usage: fs-sink-pg \[--dsn CONNINFO\]' "$out"
done
t_exit 'fs-sink-pg -V exits 0' 0 fs-sink-pg -V
t_match 'fs-sink-pg -V prints a version' '^fs-sink-pg [0-9]+\.[0-9]+\.[0-9]+$' "$out"
t_synopsis fs-sink-pg

bad=(
	'--bogus' '-x' '--table' '--table nowhere' '--table Positions' '--batch 0' '--batch x'
	'--batch 1000001' '--batch-wait -1' '--batch-wait soon' '--batch-wait 2d' '--retries -1' '--retries 1001'
	'--retry-max soon' '--retry-max 2h' '--stats=0' '--max-line 8'
)
for args in "${bad[@]}"; do
	# shellcheck disable=SC2086
	t_exit "fs-sink-pg $args is a usage error" 2 fs-sink-pg $args "$T/one.ndjson"
	t_match "fs-sink-pg $args: says why, or shows the usage" '(usage: fs-sink-pg|invalid )' "$err"
done
t_exit 'fs-sink-pg --dsn without its value is a usage error' 2 fs-sink-pg --dsn

# --- No server ------------------------------------------------------------

timed fs-sink-pg --retries 3 --retry-max 50ms "$T/one.ndjson"
t_eq 'no server: exit 1 after the retries' 1 "$status"
t_match 'no server: each retry is said' 'retry 3 of 3' "$err"
t_match 'no server: the last error says it gave up, and why' \
	"cannot connect: connection to server on socket \"$nowhere/.s.PGSQL.5432\" failed:.*giving up after 3 retries" "$err"
t_true 'no server: the retries are bounded (3 of at most 50ms: under 5s)' "$ms" -lt 5000

run fs-sink-pg --retries 0 "$T/one.ndjson"
t_eq '--retries 0: exit 1 at once' 1 "$status"
t_match '--retries 0: giving up after 0 retries' 'giving up after 0 retries' "$err"

run fs-sink-pg --init --retries 0
t_eq '--init with no server: exit 1' 1 "$status"

run fs-sink-pg --retries 0 --dsn 'host=/x bogus=1' "$T/one.ndjson"
t_eq 'a connection string libpq cannot read: exit 1' 1 "$status"
t_match 'a connection string libpq cannot read: says so' 'invalid connection option "bogus"' "$err"
t_no_match 'a connection string libpq cannot read: no retry' 'retry 1' "$err"

# --- Passwords ------------------------------------------------------------

pw=S3cr3t-pw-Zq
# /proc/PID/cmdline shows a command line to every user: a password there is refused.
for dsn in "postgresql://fs:$pw@/fs?host=$nowhere" "host=$nowhere password='$pw' user=fs" \
    "host=$nowhere password=$pw" "postgresql:///fs?host=$nowhere&password=$pw" \
    "postgresql://fs:${pw}%zz@/fs?host=$nowhere"; do
	run fs-sink-pg --retries 1 --retry-max 10ms --dsn "$dsn" "$T/one.ndjson"
	shown=${dsn//$pw/PW}
	t_eq "--dsn '$shown': a usage error" 2 "$status"
	t_match "--dsn '$shown': refused, pointing elsewhere" \
	    "^fs-sink-pg: password refused in --dsn: .*PGPASSWORD, ~/.pgpass or FS_PG_DSN" "$err"
	t_no_match "--dsn '$shown': the password is never printed" "$pw" "$out$err"
done
run fs-sink-pg -q --retries 1 --retry-max 10ms --dsn "host=$nowhere password='$pw' user=fs" "$T/one.ndjson"
t_eq '-q: a password in --dsn is still refused' 2 "$status"
run fs-sink-pg --retries 0 --dsn "host=$nowhere user=fs" "$T/one.ndjson"
t_eq '--dsn without a password: tried (exit 1 without a server)' 1 "$status"
t_no_match '--dsn without a password: not refused' 'refused in --dsn' "$err"

FS_PG_DSN="postgresql://fs:$pw@/fs?host=$nowhere" run fs-sink-pg --retries 1 --retry-max 10ms --stats "$T/one.ndjson"
t_eq 'FS_PG_DSN is used' 1 "$status"
t_match 'FS_PG_DSN is used: its host is the one tried' "$nowhere" "$err"
t_no_match 'a password in FS_PG_DSN is never printed' "$pw" "$out$err"
t_no_match 'FS_PG_DSN with a password is not refused' 'password refused' "$err"

PGPASSWORD=$pw run fs-sink-pg --retries 1 --retry-max 10ms --stats "$T/one.ndjson"
t_no_match 'PGPASSWORD is never printed' "$pw" "$out$err"

# libpq quotes a badly percent-encoded piece of a URI in its error: the password, raw and decoded.
FS_PG_DSN="postgresql://fs:${pw}%zz@/fs?host=$nowhere" run fs-sink-pg -q --retries 0 "$T/one.ndjson"
t_eq 'a URI libpq cannot decode: exit 1' 1 "$status"
t_no_match 'a URI libpq cannot decode: its password is not printed' "$pw" "$out$err"
FS_PG_DSN="postgresql://fs:%41$pw@/fs?host=$nowhere&password=$pw" run fs-sink-pg -q --retries 0 "$T/one.ndjson"
t_no_match 'a percent-encoded password, and one in the query, are not printed' "A$pw|$pw" "$out$err"

# The old --batch-ms MS is still taken, and says what it is now.
run fs-sink-pg --batch-ms 100 --help
t_eq '--batch-ms (old): still taken' 0 "$status"
t_match '--batch-ms (old): says it is now --batch-wait' '--batch-ms MS is now --batch-wait D \(100ms\)' "$err"
run fs-sink-pg --batch-ms x --help
t_eq '--batch-ms (old): a bad value is a usage error' 2 "$status"
t_done
