# lib.sh: helpers for the end-to-end tests, sourced by tests/e2e/*.sh.
#
# Each test file is one bash script that prints TAP-like lines:
#
#	. "$(dirname "$0")/../lib.sh"
#
#	t_exit 'replay with --loop and no files is a usage error' 2 \
#		fs-produce replay --loop
#	run fs-produce replay --speed max "$T/in.ndjson"
#	t_eq 'replay --speed max copies the bytes' "$(cat "$T/in.ndjson")" "$out"
#	t_done
#
# What it provides:
#	ROOT	the source tree
#	O	the build directory (default build), made absolute
#	BIN	$O/bin, put first on PATH so tests name programs plainly
#	T	a temporary directory of this test file, removed on exit
#	run CMD...	run CMD with stdin from /dev/null (unless redirected by
#			the caller); sets $status, $out (stdout) and $err (stderr),
#			and leaves them in $T/out and $T/err too
#	timed CMD...	run, and set $ms to the wall-clock time it took
#	t_ok NAME CMD...		passes when CMD exits 0
#	t_exit NAME STATUS CMD...	passes when CMD exits STATUS
#	t_eq NAME EXPECTED ACTUAL	passes when the strings are equal; shows a diff
#	t_match NAME REGEX TEXT	passes when TEXT matches the extended REGEX
#	t_no_match NAME REGEX TEXT	passes when it does not
#	t_true NAME CONDITION...	passes when the test(1)-style condition holds
#	t_skip NAME REASON		a test that cannot run here
#	t_built PROGRAM...		fail the file (one failure) if $BIN lacks them
#	t_need PROGRAM...		skip the rest of the file (one skip) without them
#	t_done			prints "# passed P failed F"; exits 1 on failures
#
# Every check prints "ok N - NAME" or "not ok N - NAME", with "# "
# diagnostics after a failure. t_ok and t_exit run their command with
# run, so they replace $out, $err and $status: check the output of a
# command before running the next one.

# $out, $err and $ms are set here for the scripts that source this file.
# shellcheck disable=SC2034

set -u

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
O=${O:-build}
case $O in
/*) ;;
*) O=$ROOT/$O ;;
esac
BIN=$O/bin
PATH=$BIN:$PATH
export O BIN PATH
# libmongoc starts itself when fs-produce or fs-sink-mongo is loaded and
# keeps counters in /dev/shm/mongoc-PID, which a program killed with -9
# leaves behind. A later program given the same PID prints "Falling back
# to malloc for counters" on stderr, before it can route libmongoc's
# log: a test that reads stderr would fail now and then. No counters.
export MONGOC_DISABLE_SHM=1

T=$(mktemp -d "${TMPDIR:-/tmp}/fs-e2e.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT

# The programs must not see a terminal or wait for input.
exec </dev/null

t_count=0
t_failed=0
status=0
out=
err=
ms=0

# _t_result STATUS NAME: print the TAP line; 0 means pass.
_t_result() {
	t_count=$((t_count + 1))
	if [ "$1" -eq 0 ]; then
		printf 'ok %d - %s\n' "$t_count" "$2"
	else
		t_failed=$((t_failed + 1))
		printf 'not ok %d - %s\n' "$t_count" "$2"
	fi
	return "$1"
}

# t_diag TEXT...: diagnostic lines, each prefixed "# ".
t_diag() {
	printf '%s\n' "$@" | sed 's/^/# /'
}

# _t_show_output: after a failed command, show what it wrote (briefly).
_t_show_output() {
	if [ -s "$T/out" ]; then
		t_diag 'stdout:'
		head -c 2000 "$T/out" | sed 's/^/#   /'
		echo
	fi
	if [ -s "$T/err" ]; then
		t_diag 'stderr:'
		head -c 2000 "$T/err" | sed 's/^/#   /'
		echo
	fi
}

# run CMD...: run a command, keeping its status and output.
run() {
	"$@" >"$T/out" 2>"$T/err"
	status=$?
	out=$(cat "$T/out")
	err=$(cat "$T/err")
	return 0
}

t_ok() {
	local name=$1
	shift
	run "$@"
	if ! _t_result "$status" "$name"; then
		t_diag "command: $*" "expected: exit status 0 got: $status"
		_t_show_output
	fi
}

t_exit() {
	local name=$1 want=$2
	shift 2
	run "$@"
	if ! _t_result "$([ "$status" -eq "$want" ]; echo $?)" "$name"; then
		t_diag "command: $*" "expected: exit status $want got: $status"
		_t_show_output
	fi
}

t_eq() {
	local name=$1 want=$2 got=$3
	if ! _t_result "$([ "$want" = "$got" ]; echo $?)" "$name"; then
		if [ "${#want}" -lt 200 ] && [ "${#got}" -lt 200 ] &&
			[ "$(printf '%s' "$want" | wc -l)" -eq 0 ] && [ "$(printf '%s' "$got" | wc -l)" -eq 0 ]; then
			t_diag "expected: $want" "     got: $got"
		else
			t_diag 'diff expected got:'
			diff -u <(printf '%s\n' "$want") <(printf '%s\n' "$got") | tail -n +3 | head -n 40 |
				sed 's/^/#   /'
		fi
	fi
}

t_match() {
	local name=$1 re=$2 text=$3
	if ! _t_result "$([[ $text =~ $re ]]; echo $?)" "$name"; then
		t_diag "expected to match: $re" "got: $(printf '%s' "$text" | head -c 1000)"
	fi
}

t_no_match() {
	local name=$1 re=$2 text=$3
	if ! _t_result "$([[ $text =~ $re ]] && echo 1 || echo 0)" "$name"; then
		t_diag "expected not to match: $re" "got: $(printf '%s' "$text" | head -c 1000)"
	fi
}

# t_true NAME ARGS...: passes when [ ARGS ] is true, e.g. t_true 'n is 3' "$n" -eq 3
t_true() {
	local name=$1
	shift
	if ! _t_result "$([ "$@" ]; echo $?)" "$name"; then
		t_diag "expected: [ $* ]"
	fi
}

t_skip() {
	t_count=$((t_count + 1))
	printf 'ok %d - %s # SKIP %s\n' "$t_count" "$1" "$2"
}

# t_built PROGRAM...: the programs under test must be built; fail the file if not.
t_built() {
	local p
	for p in "$@"; do
		if [ ! -x "$BIN/$p" ]; then
			_t_result 1 "$p is built"
			t_diag "$BIN/$p is missing: make test-progs (O=$O)"
			t_done
		fi
	done
}

# t_need PROGRAM...: without them, skip the whole file.
t_need() {
	local p
	for p in "$@"; do
		if ! command -v "$p" >/dev/null 2>&1; then
			t_skip "$(basename "$0")" "$p is not installed"
			t_done
		fi
	done
}

# timed CMD...: run CMD like run, and set $ms to its wall-clock time in milliseconds.
timed() {
	local t0 t1
	t0=$(date +%s%N)
	run "$@"
	t1=$(date +%s%N)
	ms=$(((t1 - t0) / 1000000))
}

# t_synopsis PROGRAM: its --help lists the options of the SYNOPSIS of
# man/PROGRAM.1 in the same order, and each one is described under an
# .It: a program's own options in its page; those of the SYNOPSIS's
# "common options" there, or under COMMON OPTIONS in flightstream(7).
t_synopsis() {
	local prog=$1 page="$ROOT/man/$1.1" usage_opts man_opts common o missing=
	run "$prog" --help
	usage_opts=$(printf '%s\n' "$out" | sed "s/$prog//g" |
		grep -oE -- '--?[a-zA-Z][a-z0-9-]*|\[-[a-zA-Z]+\]' | tr -d '[]' | xargs)
	man_opts=$(sed -n '/^\.Sh SYNOPSIS/,/^\.Sh DESCRIPTION/p' "$page" |
		grep -oE 'Fl [a-zA-Z0-9-]+' | sed 's/^Fl /-/' | xargs)
	t_eq "$prog --help lists the options of the SYNOPSIS in $prog(1), in order" \
		"$man_opts" "$usage_opts"
	common=" $(sed -n '/^\.Ss common options/,/^\.Sh DESCRIPTION/p' "$page" |
		grep -oE 'Fl [a-zA-Z0-9-]+' | sed 's/^Fl /-/' | _t_each_opt | xargs) "
	for o in $(printf '%s\n' $man_opts | _t_each_opt | sort -u); do
		_t_described "$o" "$page" && continue
		case $common in
		*" $o "*)
			sed -n '/^\.Sh COMMON OPTIONS/,/^\.Sh /p' "$ROOT/man/flightstream.7" |
				_t_described "$o" - && continue ;;
		esac
		missing="$missing $o"
	done
	t_eq "every option of the SYNOPSIS of $prog(1) is described" '' "${missing# }"
}

# _t_each_opt: one option a line, "-hqvV" as -h -q -v -V.
_t_each_opt() {
	local o
	while read -r o; do
		case $o in
		--*) echo "$o" ;;
		-?*) printf '%s\n' "${o#-}" | grep -o . | sed 's/^/-/' ;;
		esac
	done
}

# _t_described OPTION FILE: FILE (- for stdin) has an ".It Fl" entry for OPTION.
_t_described() {
	grep -qE "^\.It Fl ${1#-}( |\$)" "$2"
}

t_done() {
	echo "1..$t_count"
	echo "# passed $((t_count - t_failed)) failed $t_failed"
	[ "$t_failed" -eq 0 ] && exit 0
	exit 1
}
