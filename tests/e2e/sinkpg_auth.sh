#!/usr/bin/env bash
# fs-sink-pg and a server that wants a password, and a role with only
# the privileges a sink needs: the password comes from the environment,
# a password file or the connection string, and never shows in what the
# program prints; a refused login is not retried.
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/pg-harness"

t_built fs-sink-pg
t_need jq
pg_test

t_ok '--init as the owner' fs-sink-pg --init
# The sink's role may read and write the rows, and nothing else: not even make partitions.
pg_sql "GRANT SELECT, INSERT, UPDATE ON positions, windows, aircraft TO $PG_PASSWORD_ROLE;
	GRANT SELECT ON fs_schema_version TO $PG_PASSWORD_ROLE;
	REVOKE CREATE ON SCHEMA public FROM $PG_PASSWORD_ROLE"
printf '%s\n' '{"timestamp":"2026-03-04T05:06:07Z","icao24":"abc123","callsign":"PW1"}' >"$T/pos.ndjson"
printf '%s\n' '{"window_start":"2026-03-04T05:00:00Z","window_end":"2026-03-04T05:05:00Z","key":"*"}' \
	>"$T/win.ndjson"
export PGUSER=$PG_PASSWORD_ROLE
# owner_sql SQL: as the owner of the tables.
owner_sql() {
	PGUSER=fs pg_sql "$@"
}

PGPASSWORD=$PG_PASSWORD run fs-sink-pg -v --stats "$T/pos.ndjson"
t_eq 'PGPASSWORD: loads' 0 "$status"
[ "$status" -eq 0 ] || t_diag "$err"
t_eq 'PGPASSWORD: the row, in a partition made for the day' 'PW1|positions_20260304' \
	"$(owner_sql "SELECT callsign, tableoid::regclass FROM positions")"
t_no_match 'PGPASSWORD: never printed' "$PG_PASSWORD" "$out$err"

PGPASSWORD=wrong-pw-4711 timed fs-sink-pg --retries 5 --retry-max 1s "$T/pos.ndjson"
t_eq 'a wrong password: exit 1' 1 "$status"
t_match 'a wrong password: the server says why' 'password authentication failed' "$err"
t_no_match 'a wrong password: not retried' 'retry' "$err"
t_true 'a wrong password: at once' "$ms" -lt 3000
t_no_match 'a wrong password: never printed' 'wrong-pw-4711' "$out$err"

PGPASSFILE=/dev/null run fs-sink-pg --retries 5 "$T/pos.ndjson"
t_eq 'no password: exit 1' 1 "$status"
t_match 'no password: says where to put one' 'the server wants a password: set PGPASSWORD' "$err"

printf '*:*:*:%s:%s\n' "$PG_PASSWORD_ROLE" "$PG_PASSWORD" >"$T/pgpass"
chmod 600 "$T/pgpass"
PGPASSFILE=$T/pgpass run fs-sink-pg --stats "$T/pos.ndjson"
t_eq 'a password file: loads' 0 "$status"
t_no_match 'a password file: the password never printed' "$PG_PASSWORD" "$out$err"

FS_PG_DSN="postgresql://$PG_PASSWORD_ROLE:$PG_PASSWORD@/fs?host=$PG_DIR" run fs-sink-pg --stats -v "$T/pos.ndjson"
t_eq 'FS_PG_DSN with the password: loads' 0 "$status"
t_no_match 'FS_PG_DSN with the password: never printed' "$PG_PASSWORD" "$out$err"

run fs-sink-pg --dsn "user=$PG_PASSWORD_ROLE password=$PG_PASSWORD" --stats "$T/pos.ndjson"
t_eq '--dsn with the password: refused, a usage error' 2 "$status"
t_match '--dsn with the password: says where to put it' 'password refused in --dsn: .*PGPASSWORD' "$err"
t_no_match '--dsn with the password: never printed' "$PG_PASSWORD" "$out$err"
PGPASSWORD=$PG_PASSWORD run fs-sink-pg --dsn "user=$PG_PASSWORD_ROLE" --stats "$T/pos.ndjson"
t_eq '--dsn without the password, PGPASSWORD with it: loads' 0 "$status"

# Privileges: what the role lacks is fatal, and said, not retried.
owner_sql "REVOKE INSERT ON windows FROM $PG_PASSWORD_ROLE"
PGPASSWORD=$PG_PASSWORD run fs-sink-pg --retries 5 "$T/win.ndjson"
t_eq 'no privilege on a table: exit 1' 1 "$status"
t_match 'no privilege on a table: the server says which' 'permission denied for table windows \(SQLSTATE 42501\)' "$err"
t_no_match 'no privilege on a table: not retried' 'retry' "$err"
t_match 'no privilege on a table: the record is not counted as loaded' '1 record read and not known to be committed' "$err"

PGDATABASE=nosuchdb PGPASSWORD=$PG_PASSWORD run fs-sink-pg --retries 5 "$T/pos.ndjson"
t_eq 'no such database: exit 1' 1 "$status"
t_match 'no such database: the server says so' 'database "nosuchdb" does not exist' "$err"
t_no_match 'no such database: not retried' 'retry' "$err"

t_done
