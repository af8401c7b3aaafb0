#!/usr/bin/env bash
# compose.yaml, the Dockerfile and scripts/crontab.example, without
# Docker: the file parses; every service it depends on, every volume,
# image, program, script, option, topic and variable it names exists in
# the repository (or in what the Dockerfile installs); the topics join
# up; the stream path and the batch jobs use the same windows and model.
. "$(dirname "$0")/../lib.sh"

PY=/usr/bin/python3
if ! "$PY" -c 'import yaml' 2>/dev/null; then
	t_skip "$(basename "$0")" 'PyYAML is not installed for /usr/bin/python3 (Debian python3-yaml)'
	t_done
fi
cd "$ROOT" || exit 1

# The facts of compose.yaml, one per line: KIND SERVICE VALUE...
# A command is split as sh would split it when it is "sh -c STRING".
if ! "$PY" - compose.yaml >"$T/facts" 2>"$T/py.err" <<'EOF'; then
import re, shlex, sys, yaml

doc = yaml.safe_load(open(sys.argv[1]))
out = []
def fact(*a):
    out.append(" ".join(str(x) for x in a))

for name in doc.get("volumes") or {}:
    fact("volume-declared", "-", name)
for name, s in (doc.get("services") or {}).items():
    fact("service", name)
    if "image" in s:
        fact("image", name, s["image"])
    b = s.get("build")
    if b is not None:
        if isinstance(b, str):
            b = {"context": b}
        fact("build", name, b.get("context", "."), b.get("dockerfile", "Dockerfile"))
    deps = s.get("depends_on") or {}
    for d in (deps if isinstance(deps, list) else deps.keys()):
        fact("depends", name, d)
    if "pid" in s:
        fact("pid", name, s["pid"])
    for pt in s.get("ports") or []:
        fact("port", name, pt)
    for v in s.get("volumes") or []:
        src, _, dst = v.partition(":")
        fact("volume", name, src, dst.split(":")[0])
    env = s.get("environment") or {}
    if isinstance(env, list):
        env = dict(e.split("=", 1) for e in env)
    for k, v in env.items():
        fact("env", name, k, v)
    cmd = s.get("command")
    if cmd is None:
        continue
    if isinstance(cmd, str):
        cmd = shlex.split(cmd)
    if len(cmd) >= 3 and cmd[0] in ("sh", "/bin/sh") and cmd[1] == "-c":
        # Compose turns $$ into $; the shell then splits the string.
        script = cmd[2].replace("$$", "$")
        words = shlex.split(script, posix=True)
    else:
        words = list(cmd)
    fact("command", name, " ".join(words))
    # Each fs-* program or script run, with the words up to the next shell operator.
    run = None
    for w in words:
        if w in ("&&", "||", "|", ";", "{", "}", "}|") or w.endswith(";"):
            run = None
            continue
        if re.fullmatch(r"fs-[a-z-]+", w):
            run = [w]
            fact("program", name, w)
            continue
        if run is not None:
            if w.startswith("-"):
                fact("option", name, run[0], w.split("=")[0])
            m = re.fullmatch(r"kafka:([A-Za-z0-9._-]+(,[A-Za-z0-9._-]+)*)", w)
            if m:
                for topic in m.group(1).split(","):
                    fact("topic-" + ("out" if run[-1] in ("--to", "--reject") else "in"), name, topic)
            run.append(w)
for m in re.finditer(r"\$\{([A-Z_][A-Z0-9_]*)", open(sys.argv[1]).read()):
    fact("interpolated", "-", m.group(1))
print("\n".join(out))
EOF
	_t_result 1 'compose.yaml parses'
	t_diag "$(cat "$T/py.err")"
	t_done
fi
_t_result 0 'compose.yaml parses (PyYAML)'
# of KIND [SERVICE]: the values of the facts of KIND (for SERVICE).
of() {
	awk -v k="$1" -v s="${2-}" '$1 == k && (s == "" || $2 == s) { $1 = ""; $2 = ""; sub(/^  /, ""); print }' \
		"$T/facts"
}
services=$(awk '$1 == "service" { print $2 }' "$T/facts" | xargs)

t_eq 'the services: Kafka, MongoDB, PostgreSQL, the pipeline, fs-serve and the batch jobs' \
	'kafka mongodb postgres produce produce-opensky sink-mongo clean model-init score window sink-pg-positions sink-pg-windows serve cron' \
	"$services"

t_eq 'fs-serve is published on the host, on loopback' '127.0.0.1:8080:8080' "$(of port serve)"
t_eq 'every published port is on loopback only' '' \
	"$(awk '$1 == "port" && $3 !~ /^127\.0\.0\.1:/ { print $2 ":" $3 }' "$T/facts" | xargs)"

# --- Services, volumes, the image --------------------------------------------

bad=
while read -r s d; do
	[[ " $services " == *" $d "* ]] || bad="$bad $s->$d"
done < <(awk '$1 == "depends" { print $2, $3 }' "$T/facts")
t_eq 'every service depended on is defined' '' "${bad# }"
bad=
while read -r s p; do
	[[ " $services " == *" ${p#service:} "* ]] || bad="$bad $s:$p"
done < <(awk '$1 == "pid" { print $2, $3 }' "$T/facts")
t_eq 'every pid: service: is defined' '' "${bad# }"
t_eq 'the cron service shares the process namespace of score' 'service:score' "$(of pid cron)"
declared=$(of volume-declared | xargs)
bad=
while read -r s src _; do
	case $src in
	/* | .* | '') continue ;;
	esac
	[[ " $declared " == *" $src "* ]] || bad="$bad $s:$src"
done < <(awk '$1 == "volume" { print $2, $3, $4 }' "$T/facts")
t_eq 'every named volume is declared' '' "${bad# }"

ours=$(awk '$1 == "program" { print $2 }' "$T/facts" | sort -u | xargs)
t_true 'the services that run programs' -n "$ours"
bad=
for s in $ours; do
	[ "$(of image "$s")" = flightstream:latest ] || bad="$bad $s"
done
t_eq 'the services that run programs use the image flightstream:latest' '' "${bad# }"
bad=
for s in $(awk '$1 == "build" { print $2 }' "$T/facts"); do
	read -r ctx file <<<"$(of build "$s")"
	[ "$ctx" = . ] && [ -f "$ROOT/$file" ] || bad="$bad $s:$ctx/$file"
	[ "$(of image "$s")" = flightstream:latest ] || bad="$bad $s:image"
done
t_eq "every build is the repository's Dockerfile, tagged flightstream:latest" '' "${bad# }"
t_true 'the image is built' -n "$(of build produce)"

# --- The Dockerfile ------------------------------------------------------------

# Its COPY sources exist, and what it installs by name exists.
bad=
while read -r src; do
	[ "$src" = . ] || [ -e "$ROOT/$src" ] || bad="$bad $src"
done < <(sed -n 's/^COPY \(--[^ ]* \)*\([^ ]*\) .*/\2/p' Dockerfile | grep -v '^/')
t_eq 'Dockerfile: every COPY source exists' '' "${bad# }"
installed=$(sed -n '/^RUN make/,/^$/p' Dockerfile | grep -oE 'scripts/[a-z.-]+' | sort -u | xargs)
bad=
for f in $installed; do
	[ -e "$ROOT/$f" ] || bad="$bad $f"
done
t_eq 'Dockerfile: every script it installs exists' '' "${bad# }"
t_eq 'Dockerfile: it installs the four batch scripts and the crontab' \
	'scripts/crontab.example scripts/fs-backfill scripts/fs-batch-hour scripts/fs-reconcile scripts/fs-retrain' \
	"$installed"
t_match 'Dockerfile: the programs by make install' 'make install PREFIX=/usr/local DESTDIR=/out' "$(cat Dockerfile)"
t_match 'Dockerfile: the state directory is that of the services' \
	'ENV FS_STATE_DIR=/var/lib/flightstream' "$(cat Dockerfile)"
t_true '.dockerignore leaves out the build directories' -n "$(grep -x 'build-\*' .dockerignore)"

# --- Programs, scripts, options ----------------------------------------------

# where NAME: how the image has it: a program (cmd/NAME), a script, or missing.
where() {
	if [ -d "$ROOT/cmd/$1" ]; then
		echo program
	elif [ -x "$ROOT/scripts/$1" ] && [[ " $installed " == *" scripts/$1 "* ]]; then
		echo script
	else
		echo missing
	fi
}
bad=
for p in $(awk '$1 == "program" { print $3 }' "$T/facts" | sort -u); do
	[ "$(where "$p")" != missing ] || bad="$bad $p"
done
t_eq 'every fs-* that compose.yaml runs is a program of cmd/ or an installed script' '' "${bad# }"
t_eq 'the streaming path runs every program' 'fs-clean fs-produce fs-score fs-serve fs-sink-mongo fs-sink-pg fs-window' \
	"$(awk '$1 == "program" { print $3 }' "$T/facts" | sort -u | xargs)"

# help NAME: its --help, from the build or the scripts.
help() {
	if [ "$(where "$1")" = script ]; then
		"$ROOT/scripts/$1" --help 2>&1
	elif [ -x "$BIN/$1" ]; then
		"$BIN/$1" --help 2>&1
	fi
}
# in_usage OPTION USAGE: the option is in the usage text: "--name", or
# "-x" alone or in a group such as [-hqvV].
in_usage() {
	case $1 in
	--*) grep -qE -- "(^|[[ |])${1%%=*}([] =|]|$)" <<<"$2" ;;
	-?) grep -qE -- "(^|[[ |])$1([] |]|$)|\[-[a-zA-Z]*${1#-}[a-zA-Z]*\]" <<<"$2" ;;
	*) return 1 ;;
	esac
}
# Every option a service gives a program is in its usage (the common
# options, Kafka's among them, are on its "common options" line).
bad='' unbuilt=''
while read -r s p o; do
	h=$(help "$p")
	if [ -z "$h" ]; then
		unbuilt="$unbuilt $p"
		continue
	fi
	in_usage "$o" "$h" || bad="$bad $s:$p:$o"
done < <(awk '$1 == "option" { print $2, $3, $4 }' "$T/facts" | sort -u)
[ -z "$unbuilt" ] || t_diag "not built, options not checked:$(printf ' %s' $unbuilt | tr ' ' '\n' | sort -u | xargs)"
t_eq "every option a service gives a program is in the program's --help" '' "${bad# }"
# shellcheck disable=SC2086
if [ -n "$bad" ] && [ -z "$(printf '%s\n' $bad | grep -vE ':(--from|--to|-G|-b)$')" ]; then
		t_diag "only Kafka's options are missing, from: $(printf '%s\n' $bad | cut -d: -f2 | sort -u | xargs)" \
			'(--from kafka:TOPIC, --to kafka:TOPIC, -G GROUP, as in DESIGN.md): not in their usage yet'
	fi

# --- Topics ----------------------------------------------------------------------

ins=$(awk '$1 == "topic-in" { print $3 }' "$T/facts" | sort -u | xargs)
outs=$(awk '$1 == "topic-out" { print $3 }' "$T/facts" | sort -u | xargs)
t_eq 'the topics read' 'clean raw scored windows' "$ins"
t_eq 'the topics written' 'clean raw rejects scored windows' "$outs"
bad=
for t in $ins; do
	[[ " $outs " == *" $t "* ]] || bad="$bad $t"
done
t_eq 'every topic read is written by a service' '' "${bad# }"
bad=
for t in $outs; do
	[[ " $ins " == *" $t "* ]] || [ "$t" = rejects ] || bad="$bad $t"
done
t_eq 'every topic written is read by a service (but the dead letters)' '' "${bad# }"
# Every consumer of a topic has its own group.
groups=$(awk '$1 == "command" { for (i = 3; i < NF; i++) if ($i == "-G") print $(i + 1) }' "$T/facts" | sort)
t_eq 'every consumer has a group of its own' "$(sort -u <<<"$groups")" "$groups"
t_eq 'as many groups as services that read a topic' "$(awk '$1 == "topic-in" { print $2 }' "$T/facts" |
	sort -u | wc -l)" "$(wc -l <<<"$groups")"

# --- Variables -------------------------------------------------------------------

# Every FS_* and PG* variable a service sets is one the programs or
# scripts read (or the password, which libpq reads).
bad=
for v in $(awk '$1 == "env" && $3 ~ /^(FS_|PG)/ { print $3 }' "$T/facts" | sort -u); do
	case $v in
	PGHOST | PGUSER | PGDATABASE | PGPASSWORD | PGPORT) continue ;; # libpq's
	esac
	grep -rqw -- "$v" cmd lib scripts/fs-* || grep -qw -- "\$\$*{*$v" compose.yaml ||
		bad="$bad $v"
done
t_eq 'every FS_* variable set is read by a program, a script or a command' '' "${bad# }"
# Every variable compose.yaml takes from the user is described in its header.
bad=
for v in $(of interpolated | sort -u); do
	sed -n '1,/^name:/p' compose.yaml | grep -qw -- "$v" || bad="$bad $v"
done
t_eq 'every variable taken from the environment is described at the top' '' "${bad# }"
t_match 'the PostgreSQL password is required, never written in the file' \
	'PGPASSWORD \$\{FS_PG_PASSWORD:\?' "$(of env cron)"
t_no_match 'no password is written in the file' 'PASSWORD: [^$]' "$(cat compose.yaml)"

# --- The stream path and the batch jobs agree ------------------------------------

state=$(awk '$1 == "env" && $3 == "FS_STATE_DIR" { print $4 }' "$T/facts" | sort -u | xargs)
t_eq 'one state directory for every service' /var/lib/flightstream "$state"
t_eq 'score and cron mount the state volume there' 'state /var/lib/flightstream
state /var/lib/flightstream' "$(of volume score; of volume cron)"
t_match "score uses the model fs-retrain replaces (\$FS_STATE_DIR/model.json)" \
	"--model $state/model.json " "$(of command score) "
t_match 'model-init makes that model when there is none' 'FS_STATE_DIR/model.json' "$(of command model-init)"
# fs-batch-hour's window options in the crontab are those of the window service.
batch=$(grep -E '^[^#].*fs-batch-hour' scripts/crontab.example)
t_eq 'crontab.example: fs-batch-hour uses the windows of the window service' \
	"$(of command window | grep -oE -- "--(by|size|hop) [^ ]+" | xargs)" \
	"$(printf '%s\n' "$batch" | grep -oE -- "--(by|size|hop) '?[^ ']+'?" | tr -d "'" | xargs)"
t_match 'the cron service installs the crontab the Dockerfile installs' \
	'cat /usr/local/share/flightstream/crontab' "$(of command cron)"
t_match 'Dockerfile: crontab.example is installed as that file' \
	'scripts/crontab.example /out/usr/local/share/flightstream/crontab' "$(cat Dockerfile)"

# --- crontab.example -------------------------------------------------------------

# Its jobs, commented out or not: five time fields, an fs-* script that
# the image installs, and options of its --help.
bad='' n=0
while IFS= read -r line; do
	n=$((n + 1))
	set -f
	# shellcheck disable=SC2086
	set -- $line
	set +f
	fields="$1 $2 $3 $4 $5"
	[[ $fields =~ ^[0-9*/,-]+\ [0-9*/,-]+\ [0-9*/,-]+\ [0-9*/,-]+\ [0-9*/,-]+$ ]] || bad="$bad time:$fields"
	prog=$6
	[ "$(where "$prog")" = script ] || {
		bad="$bad script:$prog"
		continue
	}
	h=$(help "$prog")
	shift 6
	for w in "$@"; do
		case $w in
		--) break ;;
		-*) in_usage "$w" "$h" || bad="$bad $prog:$w" ;;
		esac
	done
	# (command substitutions, such as a date, are left out)
done < <(sed -n 's/^#\{0,1\}\([0-9*][0-9*/,-]* [0-9*].*\)/\1/p' scripts/crontab.example |
	sed 's/"\$([^)]*)"/X/g')
t_eq 'crontab.example: four jobs' 4 "$n"
t_eq 'crontab.example: every job a valid time, an installed script, options of its --help' '' "${bad# }"
t_eq 'crontab.example: the hourly curate, the hourly reconcile and the nightly retrain are on' \
	'fs-batch-hour fs-reconcile fs-retrain' \
	"$(grep -E '^[0-9*]' scripts/crontab.example | awk '{ print $6 }' | sort | xargs)"
t_no_match 'crontab.example: no bare % (cron makes it a newline)' '[^\\]%' \
	"$(grep -E '^#?[0-9*]' scripts/crontab.example)"

t_done
