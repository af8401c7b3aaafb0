#!/usr/bin/env bash
# fs-sink-mongo and fs-produce mongo as commands, without a server:
# usage and the man page, bad options, a server that is not there
# (retried, then exit 1, nothing claimed), and passwords that never
# show in what they print.
. "$(dirname "$0")/../lib.sh"

t_built fs-sink-mongo fs-produce

unset FS_MONGO_URI
# Nothing listens on port 1 of the loopback: connections are refused at once.
nowhere='mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=500&connectTimeoutMS=500'
printf '{"timestamp":"2026-01-01T00:00:00Z","icao24":"abc123"}\n' >"$T/one.ndjson"

# --- Usage, help, version, and the man page ------------------------------

for h in -h --help; do
	t_exit "fs-sink-mongo $h exits 0" 0 fs-sink-mongo "$h"
	t_match "fs-sink-mongo $h prints the usage on stdout" '^usage: fs-sink-mongo \[--uri URI\]' "$out"
done
t_exit 'fs-sink-mongo -V exits 0' 0 fs-sink-mongo -V
t_match 'fs-sink-mongo -V prints a version' '^fs-sink-mongo [0-9]+\.[0-9]+\.[0-9]+$' "$out"
t_synopsis fs-sink-mongo

bad=(
	'--bogus' '-x' '--batch 0' '--batch x' '--batch 100001' '--batch-wait -1' '--batch-wait soon' '--batch-wait 2d'
	'--retries -1' '--retries 1001' '--retry-max soon' '--retry-max 2h' '-w 0' '-w some'
	'-w -1' '-w 51' '--ttl 1d' '--timeseries' '--init --ttl 500ms' '--init --ttl x'
	'--db a.b' '--db' '--collection system.x' '--collection $x' '--stats=0' '--max-line 8'
)
for args in "${bad[@]}"; do
	# shellcheck disable=SC2086
	t_exit "fs-sink-mongo $args is a usage error" 2 fs-sink-mongo --uri "$nowhere" $args "$T/one.ndjson"
	t_match "fs-sink-mongo $args: says why, or shows the usage" '(usage: fs-sink-mongo|invalid |go with --init|requires an argument)' "$err"
done

run fs-produce --help
t_match 'fs-produce --help shows the mongo source' 'fs-produce mongo \[--uri URI\] \[--db NAME\] \[--collection NAME\] --since TIME' "$out"
pbad=(
	'' '--since 2026-01-01T00:00:00Z' '--until 2026-01-01T00:00:00Z'
	'--since 2026-01-01T01:00:00Z --until 2026-01-01T00:00:00Z'
	'--since 2026-01-01T00:00:00Z --until 2026-01-01T00:00:00Z'
	'--since yesterday --until 2026-01-01T00:00:00Z'
	'--since 0 --until 1 --icao24 abc'
	'--since 0 --until 1 --icao24 abc123,xyz123'
	'--since 0 --until 1 --retries -1'
	'--since 0 --until 1 --bogus'
	'--since 0 --until 1 file.ndjson'
)
for args in "${pbad[@]}"; do
	# shellcheck disable=SC2086
	t_exit "fs-produce mongo $args is a usage error" 2 fs-produce mongo --uri "$nowhere" $args
	t_match "fs-produce mongo $args: says why" '(usage: |invalid |needs --since|reads no files)' "$err"
done

# --- No server ------------------------------------------------------------

timed fs-sink-mongo --uri "$nowhere" --retries 3 --retry-max 50ms --stats "$T/one.ndjson"
t_eq 'no server: exit 1 after the retries' 1 "$status"
t_match 'no server: each retry is said' 'retry 3 of 3' "$err"
t_match 'no server: the last error says it gave up, and where' \
	'cannot connect: .*127\.0\.0\.1:1.*giving up after 3 retries' "$err"
t_true 'no server: the retries are bounded (3 of at most 50ms: under 10s)' "$ms" -lt 10000
t_match 'no server: nothing read, nothing claimed' '"in":0,"out":0' "$err"

run fs-sink-mongo --uri "$nowhere" --retries 0 "$T/one.ndjson"
t_eq '--retries 0: exit 1 at once' 1 "$status"
t_match '--retries 0: giving up after 0 retries' 'giving up after 0 retries' "$err"

run fs-sink-mongo --uri "$nowhere" --init --retries 0
t_eq '--init with no server: exit 1' 1 "$status"

run fs-sink-mongo --uri 'postgresql://x' --retries 0 "$T/one.ndjson"
t_eq 'a URI that is not MongoDB'"'"'s: exit 1' 1 "$status"
t_match 'a URI that is not MongoDB'"'"'s: says so' 'invalid URI' "$err"
t_no_match 'a URI that is not MongoDB'"'"'s: no retry' 'retry 1' "$err"

run fs-produce mongo --uri "$nowhere" --retries 1 --since 0 --until 1
t_eq 'fs-produce mongo with no server: exit 1' 1 "$status"
t_match 'fs-produce mongo with no server: says it cannot read, and where' 'cannot read .*127\.0\.0\.1:1' "$err"
t_eq 'fs-produce mongo with no server: writes nothing' '' "$out"

# --- Passwords ------------------------------------------------------------

pw=S3cr3t-pw-Zq
puri="mongodb://fs:$pw@127.0.0.1:1/?serverSelectionTimeoutMS=300&connectTimeoutMS=300"
# /proc/PID/cmdline shows a command line to every user: a password there is refused.
run fs-sink-mongo --retries 1 --retry-max 10ms --stats --uri "$puri" "$T/one.ndjson"
t_eq 'a password in --uri: a usage error' 2 "$status"
t_no_match 'a password in --uri is never printed' "$pw" "$out$err"
t_match 'a password in --uri: refused, pointing to FS_MONGO_URI' \
    '^fs-sink-mongo: password refused in --uri: .*FS_MONGO_URI' "$err"

run fs-sink-mongo -q --retries 1 --retry-max 10ms --uri "mongodb://127.0.0.1:1/?authMechanism=PLAIN&password=$pw" "$T/one.ndjson"
t_eq 'a password in --uri options, with -q: still refused' 2 "$status"
t_no_match 'a password in --uri options is never printed' "$pw" "$out$err"

FS_MONGO_URI=$puri run fs-sink-mongo -v --retries 1 --retry-max 10ms --stats "$T/one.ndjson"
t_eq 'FS_MONGO_URI is used' 1 "$status"
t_match 'FS_MONGO_URI is used: its host is the one tried' '127\.0\.0\.1:1' "$err"
t_no_match 'a password in FS_MONGO_URI is never printed, even with -v' "$pw" "$out$err"
t_no_match 'FS_MONGO_URI with a password is not refused' 'password refused' "$err"

# A URI libmongoc cannot read may be quoted in its error: the password, raw and percent-decoded.
run fs-sink-mongo -q --retries 0 --uri "mongodb://fs:${pw}%zz@127.0.0.1:1/?bogus=1" "$T/one.ndjson"
t_no_match 'a URI libmongoc cannot read: its password is not printed' "$pw" "$out$err"
run fs-sink-mongo -v --retries 0 --uri "mongodb://fs:%41$pw@127.0.0.1:1/?authMechanism=SCRAM-SHA-256&serverSelectionTimeoutMS=300" "$T/one.ndjson"
t_no_match 'a percent-encoded password is not printed' "A$pw|$pw" "$out$err"
FS_MONGO_URI=$puri run fs-produce mongo -v --retries 1 --since 0 --until 1
t_no_match 'fs-produce mongo: a password in FS_MONGO_URI is never printed' "$pw" "$out$err"

# The old --batch-ms MS is still taken, and says what it is now.
run fs-sink-mongo --batch-ms 100 --help
t_eq '--batch-ms (old): still taken' 0 "$status"
t_match '--batch-ms (old): says it is now --batch-wait' '--batch-ms MS is now --batch-wait D \(100ms\)' "$err"
run fs-sink-mongo --batch-ms x --help
t_eq '--batch-ms (old): a bad value is a usage error' 2 "$status"
t_done
