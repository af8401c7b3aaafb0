#!/usr/bin/env bash
# The layers of lib/ (lib/LAYERS): a module includes only modules below
# it, every module has a layer, and the byte-buffer unit test links no
# librdkafka symbol (it needs nothing above err).
. "$(dirname "$0")/../lib.sh"
cd "$ROOT" || exit 1

# check_layers DIR: one line per include that goes up or sideways, and
# per module without a layer; nothing when DIR/lib keeps its layers.
check_layers() {
	awk '
	FNR == 1 { file = FILENAME }
	file ~ /LAYERS$/ {
		if ($0 ~ /^#/ || NF == 0)
			next
		n++
		for (i = 1; i <= NF; i++)
			layer[$i] = n
		next
	}
	FNR == 1 {
		m = file
		sub(/.*\//, "", m)
		sub(/\.[ch]$/, "", m)
		if (!(m in layer))
			print file ": no layer for module " m
	}
	/^#include "/ {
		inc = $2
		gsub(/"/, "", inc)
		sub(/\.h$/, "", inc)
		if (inc == m)
			next
		if (!(inc in layer))
			print file ": includes " inc ", not a module of lib/"
		else if (layer[inc] >= layer[m])
			print file ": includes " inc " (layer " layer[inc] "), not below " m " (layer " layer[m] ")"
	}' "$1/lib/LAYERS" "$1"/lib/*.c "$1"/lib/*.h
}

out=$(check_layers .)
t_eq 'every module of lib/ includes only modules below it' '' "$out"

# The check can fail: the same tree with one include that goes up.
mkdir -p "$T/tree/lib"
cp lib/LAYERS lib/*.c lib/*.h "$T/tree/lib/"
printf '#include "io.h"\n' >>"$T/tree/lib/buf.c"
printf 'int x;\n' >"$T/tree/lib/stray.c"
out=$(check_layers "$T/tree")
t_match 'an include of a higher layer is found' 'buf.c: includes io \(layer [0-9]+\), not below buf' "$out"
t_match 'a module without a layer is found' 'stray.c: no layer for module stray' "$out"

t_need nm
if [ -x "$O/tests/buf_test" ]; then
	n=$(nm "$O/tests/buf_test" | grep -c ' rd_kafka_')
	t_eq "buf's unit test links no librdkafka symbol" 0 "$n"
	n=$(nm "$O/tests/ledger_test" | grep -c ' rd_kafka_')
	t_eq "the ledger's unit test links no librdkafka symbol" 0 "$n"
else
	t_skip 'the unit tests' "not built: $O/tests/buf_test"
fi
t_done
