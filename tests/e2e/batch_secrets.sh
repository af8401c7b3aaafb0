#!/usr/bin/env bash
# The batch jobs keep passwords off every command line: psql gets its
# password in PGPASSWORD, never in argv (a psql first on PATH records what
# it is given), and a password in the jobs' own --dsn or --uri is refused
# (exit 2).
. "$(dirname "$0")/../lib.sh"

t_need flock
pw=S3cr3t-pw-Zq
export FS_STATE_DIR=$T/state
mkdir -p "$FS_STATE_DIR" "$T/bin"

# A psql and an fs-produce that write down their argv and what their
# environment holds of the connection, then fail: the jobs stop there.
for p in psql fs-produce; do
	cat >"$T/bin/$p" <<EOF
#!/bin/sh
{ printf '%s\n' "$p argv: \$*"; printf '%s\n' "$p env: PGPASSWORD=\${PGPASSWORD-} FS_MONGO_URI=\${FS_MONGO_URI-}"; } >>"$T/calls"
exit 1
EOF
	chmod +x "$T/bin/$p"
done
PATH=$T/bin:$ROOT/scripts:$PATH

# job NAME ARGS...: a batch job that runs psql, told to read PostgreSQL.
job() {
	case $1 in
	fs-reconcile) fs-reconcile --hour 2026-01-01T03 "${@:2}" ;;
	fs-batch-hour) fs-batch-hour --hour 2026-01-01T03 --model /dev/null "${@:2}" ;;
	fs-retrain) fs-retrain --source pg --model "$T/model" "${@:2}" ;;
	esac
}

for j in fs-reconcile fs-batch-hour fs-retrain; do
	for dsn in "host=$T dbname=fs user=fs password=$pw" "host=$T password='$pw' dbname=fs" \
	    "postgresql://fs:$pw@/fs?host=$T" "postgresql:///fs?host=$T&password=$pw"; do
		shown=${dsn//$pw/PW}
		rm -f "$T/calls"
		FS_PG_DSN=$dsn run job "$j"
		t_true "$j, FS_PG_DSN=\"$shown\": psql was run" -s "$T/calls"
		calls=$(cat "$T/calls" 2>/dev/null)
		t_no_match "$j, FS_PG_DSN=\"$shown\": the password is in no argv" "$pw" \
		    "$(grep argv: "$T/calls" 2>/dev/null)"
		t_match "$j, FS_PG_DSN=\"$shown\": psql has it in PGPASSWORD" "psql env: PGPASSWORD=$pw " \
		    "$calls"
		t_match "$j, FS_PG_DSN=\"$shown\": psql is given the rest" "psql argv: .*-d .*host='$T'" \
		    "$calls"
		t_no_match "$j, FS_PG_DSN=\"$shown\": the password is never printed" "$pw" "$out$err"
	done

	rm -f "$T/calls"
	run job "$j" --dsn "host=$T password=$pw"
	t_eq "$j --dsn with a password: a usage error" 2 "$status"
	t_match "$j --dsn with a password: refused, pointing elsewhere" \
	    "password refused in --dsn: .*PGPASSWORD, ~/.pgpass or FS_PG_DSN" "$err"
	t_no_match "$j --dsn with a password: never printed" "$pw" "$out$err"
	t_true "$j --dsn with a password: nothing run" ! -e "$T/calls"
	run job "$j" --dsn "host=$T dbname=fs"
	t_match "$j --dsn without a password: psql is given it" "psql argv: .*-d host='$T' dbname='fs'" \
	    "$(cat "$T/calls" 2>/dev/null)"
done

for j in fs-reconcile fs-batch-hour; do
	run job "$j" --uri "mongodb://fs:$pw@127.0.0.1:1/raw"
	t_eq "$j --uri with a password: a usage error" 2 "$status"
	t_match "$j --uri with a password: refused" "password refused in --uri: .*FS_MONGO_URI" "$err"
	t_no_match "$j --uri with a password: never printed" "$pw" "$out$err"
done
t_done
