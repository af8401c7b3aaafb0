# conn.sh: connection strings for the batch jobs, sourced by scripts/fs-*.
#
# A password on a command line is in /proc/PID/cmdline, where every user
# of the machine can read it, for as long as the program runs. So psql is
# given the password in PGPASSWORD and the rest of the connection string
# with -d, and fs-produce mongo its URI in FS_MONGO_URI.
#
#	pg_conn DSN	parses DSN (conninfo or postgresql:// URI, as libpq reads
#			them); sets pg_dsn to it without its password, as a
#			conninfo string, and pg_password to the password ('' if
#			none). Returns 1 with a message on stderr, naming no
#			value, when DSN cannot be read.
#	uri_has_password URI	true when a MongoDB URI holds a password.

# pct_decode S: S with %XX decoded, into REPLY.
pct_decode() {
	local s=$1 out='' hex
	while [[ $s == *%* ]]; do
		out+=${s%%%*}
		s=${s#*%}
		hex=${s:0:2}
		[[ $hex == [0-9a-fA-F][0-9a-fA-F] ]] || return 1
		out+=$(printf "\\x$hex")
		s=${s:2}
	done
	REPLY=$out$s
}

# pg_put KEY VALUE: add the pair to pg_dsn, quoted as conninfo quotes.
pg_put() {
	local v=${2//\\/\\\\}
	v=${v//\'/\\\'}
	if [ "$1" = password ]; then
		pg_password=$2
		return
	fi
	pg_dsn+="${pg_dsn:+ }$1='$v'"
}

pg_conn_uri() {
	local rest=${1#*://} auth hosts path query pair k v user pw
	query=
	[[ $rest == *\?* ]] && { query=${rest#*\?}; rest=${rest%%\?*}; }
	path=
	[[ $rest == */* ]] && { path=${rest#*/}; rest=${rest%%/*}; }
	auth=
	[[ $rest == *@* ]] && { auth=${rest%@*}; rest=${rest##*@}; }
	hosts=$rest
	if [ -n "$auth" ]; then
		user=${auth%%:*}
		pct_decode "$user" || return 1
		[ -n "$REPLY" ] && pg_put user "$REPLY"
		if [[ $auth == *:* ]]; then
			pw=${auth#*:}
			pct_decode "$pw" || return 1
			pg_put password "$REPLY"
		fi
	fi
	if [ -n "$hosts" ]; then
		local h hl='' pl='' any_port=0
		IFS=, read -r -a hs <<<"$hosts"
		for h in "${hs[@]}"; do
			local host=$h port=
			if [[ $h == \[* ]]; then
				host=${h%%]*}; host=${host#[}
				[[ $h == *]:* ]] && port=${h##*]:}
			elif [[ $h == *:* ]]; then
				host=${h%%:*}; port=${h#*:}
			fi
			pct_decode "$host" || return 1
			hl+="${hl:+,}$REPLY"
			pl+="${pl:+,}$port"
			[ -n "$port" ] && any_port=1
		done
		[ -n "$hl" ] && [ "$hl" != "${hl//[!,]/}" ] && pg_put host "$hl"
		[ $any_port = 1 ] && pg_put port "$pl"
	fi
	if [ -n "$path" ]; then
		pct_decode "$path" || return 1
		pg_put dbname "$REPLY"
	fi
	if [ -n "$query" ]; then
		IFS='&' read -r -a pairs <<<"$query"
		for pair in "${pairs[@]}"; do
			[ -n "$pair" ] || continue
			[[ $pair == *=* ]] || return 1
			pct_decode "${pair%%=*}" || return 1
			k=$REPLY
			pct_decode "${pair#*=}" || return 1
			v=$REPLY
			pg_put "$k" "$v"
		done
	fi
}

pg_conn_kv() {
	local s=$1 k v c
	while :; do
		s=${s#"${s%%[![:space:]]*}"}
		[ -n "$s" ] || return 0
		k=${s%%[=[:space:]]*}
		[ -n "$k" ] || return 1
		s=${s:${#k}}
		s=${s#"${s%%[![:space:]]*}"}
		[ "${s:0:1}" = = ] || return 1
		s=${s:1}
		s=${s#"${s%%[![:space:]]*}"}
		v=
		if [ "${s:0:1}" = "'" ]; then
			s=${s:1}
			while :; do
				[ -n "$s" ] || return 1	# no closing quote
				c=${s:0:1}
				s=${s:1}
				case $c in
				\\) v+=${s:0:1}; s=${s:1} ;;
				\') break ;;
				*) v+=$c ;;
				esac
			done
		else
			while [ -n "$s" ]; do
				c=${s:0:1}
				[[ $c == [[:space:]] ]] && break
				s=${s:1}
				if [ "$c" = \\ ]; then
					v+=${s:0:1}
					s=${s:1}
				else
					v+=$c
				fi
			done
		fi
		pg_put "$k" "$v"
	done
}

pg_conn() {
	pg_dsn='' pg_password=''
	case $1 in
	postgresql://* | postgres://*) pg_conn_uri "$1" ;;
	*) pg_conn_kv "$1" ;;
	esac || {
		printf '%s: cannot read the connection string: not conninfo or a postgresql:// URI\n' \
		    "${prog:-${0##*/}}" >&2
		return 1
	}
}

uri_has_password() {
	local rest=${1#*://}
	rest=${rest%%[/?]*}
	[[ $rest == *@* && ${rest%@*} == *:* ]] && return 0
	[[ $1 == *[?\&][pP][aA][sS][sS][wW][oO][rR][dD]=* ]]
}
