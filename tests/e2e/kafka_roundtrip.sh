#!/usr/bin/env bash
# Kafka round trip: kcat (an independent client) produces, fs-clean
# reads a topic and writes one, kcat reads it back. Every record is
# accounted for against fs-clean on the same file through stdio; keys are
# icao24, one aircraft stays in one partition and in order; a poison
# message goes to the reject topic and the stream goes on; fs-score and
# fs-produce replay speak Kafka too; consumer lag is in --stats.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=../tools/kafka.sh
. "$ROOT/tests/tools/kafka.sh"

t_need jq kcat
t_built fs-clean fs-score fs-produce
kafka_start raw:4 clean:4 rejects:1 scored:4 replayed:4 plain:4 poison:1 pclean:1

# 6,000 records of 50 aircraft with 1% of every fault: duplicates,
# malformed lines, out of order, jumps...
fs-produce sim --seed 3 --aircraft 50 --duration 20m --speed max --faults all=0.01 \
	>"$T/in.ndjson" 2>/dev/null
n=$(wc -l <"$T/in.ndjson")
# The reference: the same file through stdio.
fs-clean --stats --reject "$T/ref.rej" "$T/in.ndjson" >"$T/ref.out" 2>"$T/ref.err"
kafka_pairs <"$T/ref.out" >"$T/ref.pairs"

# kcat produces, keyed by icao24 (malformed lines without one: "none"),
# with the Java client's partitioner, as fs-produce does.
awk '{ k = "none"; if (match($0, /"icao24":"[^"]*"/)) k = substr($0, RSTART + 10, RLENGTH - 11);
	print k "\t" $0 }' "$T/in.ndjson" >"$T/in.keyed"
t_ok 'kcat produces the input to kafka:raw' \
	kcat -b "$BROKERS" -P -t raw -K$'\t' -X topic.partitioner=murmur2_random -l "$T/in.keyed"
t_eq 'kafka:raw holds every input record' "$n" "$(kcat_all raw | wc -l)"

timed fs-clean --from kafka:raw --to kafka:clean --reject kafka:rejects -G rt -e --stats "${KC[@]}"
cp "$T/err" "$T/rt.err"
t_eq 'fs-clean kafka:raw -> kafka:clean -e exits 0' 0 "$status"
t_diag "fs-clean -e took $ms ms (joining the group included)"
t_eq 'fs-clean writes nothing on stdout with --to' '' "$out"
final=$(grep '"final":true' "$T/rt.err")
ref=$(grep '"final":true' "$T/ref.err")
for f in in out rejected duplicates dropped; do
	t_eq "stats: $f as through stdio" "$(kafka_stat "$f" <(echo "$ref"))" "$(kafka_stat "$f" <(echo "$final"))"
done

kcat_all clean '%p\t%k\t%s\n' >"$T/clean.tsv"
cut -f3 "$T/clean.tsv" >"$T/clean.ndjson"
kcat_all rejects >"$T/rejects.ndjson"
nout=$(wc -l <"$T/clean.ndjson")
nrej=$(wc -l <"$T/rejects.ndjson")
ndup=$(kafka_stat duplicates <(echo "$final"))
t_diag "in $n, out $nout, rejected $nrej, duplicates $ndup"
t_eq 'every record accounted for: out + rejected + duplicates = in' "$n" "$((nout + nrej + ndup))"
t_eq 'kafka:clean holds the records of stdio, record for record (icao24, timestamp)' \
	"$(sort "$T/ref.pairs")" "$(kafka_pairs <"$T/clean.ndjson" | sort)"
t_eq 'kafka:rejects holds the rejects of stdio' \
	"$(jq -c .reject "$T/ref.rej" | sort)" "$(jq -c .reject "$T/rejects.ndjson" | sort)"
t_eq 'every reject says why (tool, code, message)' 0 \
	"$(jq -c 'select(.reject.tool != "fs-clean" or (.reject.code | length) == 0 or (.reject.message | length) == 0)' \
		"$T/rejects.ndjson" | wc -l)"

# Keys and partitions.
t_eq 'every message of kafka:clean is keyed by its icao24' 0 \
	"$(awk -F'\t' '{ if (!match($3, /"icao24":"[^"]*"/) || substr($3, RSTART + 10, RLENGTH - 11) != $2) print }' \
		"$T/clean.tsv" | wc -l)"
t_eq 'one aircraft is in one partition' 0 \
	"$(cut -f1,2 "$T/clean.tsv" | sort -u | cut -f2 | sort | uniq -d | wc -l)"
t_true 'the aircraft spread over every partition' \
	"$(cut -f1 "$T/clean.tsv" | sort -u | wc -l)" -eq 4
kcat_all raw '%p\t%k\n' | sort -u >"$T/raw.parts"
cut -f1,2 "$T/clean.tsv" | sort -u >"$T/clean.parts"
t_eq 'an aircraft is in the partition kcat (murmur2) put it in' \
	"$(join -t' ' -j2 -o 1.1,1.2 <(tr '\t' ' ' <"$T/raw.parts" | sort -k2) <(tr '\t' ' ' <"$T/clean.parts" | sort -k2) | sort)" \
	"$(tr '\t' ' ' <"$T/clean.parts" | sort)"
# Within a partition kcat reads in offset order: per aircraft, the order of stdio.
t_eq 'each aircraft'"'"'s records are in order, as through stdio' \
	"$(sort -s -k1,1 "$T/ref.pairs")" "$(kafka_pairs <"$T/clean.ndjson" | sort -s -k1,1)"

# --- A poison message goes to the reject topic; the stream goes on -------------

{
	head -n 3 "$T/in.ndjson" | grep -v '^[^{]'
	echo 'not json at all'
	printf '{"timestamp":"2026-01-01T00:00:09Z","icao24":"\xff\xfe\xfd"}\n'
	printf '{"timestamp":"2026-01-01T00:00:09Z","icao24":"abcdef","x":"%03000d"}\n' 0
	sed -n '4,6p' "$T/in.ndjson" | grep -v '^[^{]'
} >"$T/poison.ndjson"
good=$(grep -c '^{"timestamp":"2026-01-01T00:00:0[0-9.]*Z","icao24":"[0-9a-f]*","callsign' "$T/poison.ndjson")
t_ok 'kcat produces 3 poison messages between good ones' kcat -b "$BROKERS" -P -t poison -l "$T/poison.ndjson"
t_ok 'fs-clean goes on after poison messages' \
	fs-clean --from kafka:poison --to kafka:pclean --reject kafka:rejects --max-line 2048 -e -G poison "${KC[@]}"
t_eq 'the good records before and after the poison reach kafka:pclean' "$good" "$(kcat_all pclean | wc -l)"
kcat_all rejects | tail -n +$((nrej + 1)) >"$T/prej"
t_eq 'the 3 poison messages are in kafka:rejects with their reason' \
	'encoding invalid UTF-8
parse invalid JSON
too_long line' \
	"$(jq -r '.reject.code + " " + (.reject.message | sub(" at byte.*| of [0-9]+ bytes.*"; ""))' "$T/prej" | sort)"
t_eq 'a reject keeps the poison message (line or line_base64)' 3 \
	"$(jq -c 'select(.line != null or .line_base64 != null)' "$T/prej" | wc -l)"

# --- fs-score and fs-produce replay speak Kafka ------------------------------------

t_ok 'fs-score --from kafka:clean --to kafka:scored -e exits 0' \
	fs-score --warmup 1000 --from kafka:clean --to kafka:scored -G score -e "${KC[@]}"
kcat_all scored '%k\t%s\n' >"$T/scored.tsv"
t_eq 'fs-score scores every record of kafka:clean' "$nout" "$(wc -l <"$T/scored.tsv")"
t_eq 'fs-score'"'"'s records are the same (icao24, timestamp)' \
	"$(kafka_pairs <"$T/clean.ndjson" | sort)" "$(cut -f2 "$T/scored.tsv" | kafka_pairs | sort)"
t_eq 'fs-score keys by icao24' 0 \
	"$(awk -F'\t' '{ if (!match($2, /"icao24":"[^"]*"/) || substr($2, RSTART + 10, RLENGTH - 11) != $1) print }' \
		"$T/scored.tsv" | wc -l)"

t_ok 'fs-produce replay --speed max --to kafka:replayed exits 0' \
	fs-produce replay --speed max --to kafka:replayed "$T/in.ndjson"
t_eq 'replay --to writes nothing on stdout' '' "$out"
t_eq 'kafka:replayed holds the file, line for line' \
	"$(sort "$T/in.ndjson")" "$(kcat_all replayed | sort)"
t_eq 'replay keys each record by its icao24 (none for malformed lines)' \
	"$(awk -F'\t' '$1 != "none"' "$T/in.keyed" | sort)" \
	"$(kcat_all replayed '%k\t%s\n' | awk -F'\t' '$1 != ""' | sort)"

# The message sets' codec, as kcat's own fetch debug names it.
kcat_codecs() {
	kcat -b "$BROKERS" -C -t "$1" -o beginning -e -q -d fetch 2>&1 >/dev/null |
		grep -o 'aborted msgsets, [a-z0-9]*' | awk '{ print $3 }' | sort -u | tr '\n' ' '
}
t_eq 'the producer compresses with lz4 by default (the codec kcat reads)' 'lz4 ' "$(kcat_codecs replayed)"
t_ok 'fs-produce -X compression.codec=none exits 0' \
	fs-produce replay --speed max --to kafka:plain -X compression.codec=none "$T/in.ndjson"
t_eq '... and the message sets are not compressed' 'uncompressed ' "$(kcat_codecs plain)"
t_eq '... and hold the file, line for line' "$(sort "$T/in.ndjson")" "$(kcat_all plain | sort)"

# --- Consumer lag in --stats --------------------------------------------------------

# Small fetches keep the consumer behind for a while, so that the lines
# every 10 ms see it behind whatever the machine's speed.
run fs-clean --from kafka:raw -G lag -e --stats=0.01 "${KC[@]}" \
	-X max.partition.fetch.bytes=4096 -X queued.max.messages.kbytes=16
t_eq 'fs-clean --from -e --stats exits 0' 0 "$status"
t_eq 'fs-clean --from kafka:raw writes the cleaned records on stdout' "$nout" "$(printf '%s\n' "$out" | wc -l)"
grep '"consumer_lag"' "$T/err" >"$T/lag"
t_match 'the final --stats line has consumer_lag' '"consumer_lag":[0-9]+' "$(grep final "$T/lag")"
max=$(grep -o '"consumer_lag":[0-9]*' "$T/lag" | cut -d: -f2 | sort -n | tail -n 1)
t_true "the lag was above 0 while reading (at most $max)" "${max:-0}" -gt 0
t_true "the lag is at most the messages left to read" "${max:-0}" -le "$n"
# One member, every partition: a lag of 0 only once all is read. Before
# the group gives it its partitions the lag is not known, and not said.
t_eq 'no line says a lag of 0 before every record is read' '' \
	"$(grep '"consumer_lag":0[,}]' "$T/lag" | grep -v "\"in\":$n," | head -3)"

# --- Small queues, large messages ---------------------------------------------------

# A queue of 100 messages: librdkafka 2.0 stops fetching whenever it
# is full and fs-clean wakes it (from a thread of its own) as it runs
# low, dozens of times here. Nothing may be lost or hang on the way
# (that it is fast is for make bench to show).
run timeout 60 fs-clean --from kafka:raw -G smallq -e "${KC[@]}" -X queued.min.messages=100
t_eq 'fs-clean -X queued.min.messages=100 reads the backlog through, exit 0' 0 "$status"
t_eq '... and writes every cleaned record' "$nout" "$(printf '%s\n' "$out" | wc -l)"
# fetch.max.bytes is 1 MiB by default and must hold message.max.bytes.
run fs-clean --from kafka:raw -G bigmsg -e "${KC[@]}" -X message.max.bytes=5000000
t_eq 'fs-clean -X message.max.bytes=5000000 (above the 1 MiB fetch default) exits 0' 0 "$status"
t_eq '... and writes every cleaned record' "$nout" "$(printf '%s\n' "$out" | wc -l)"
run fs-clean --from kafka:raw -G bigmsg2 -e "${KC[@]}" -X message.max.bytes=5000000 -X fetch.max.bytes=2000000
t_eq 'fs-clean -X fetch.max.bytes below -X message.max.bytes is librdkafka'"'"'s error, exit 1' 1 "$status"
t_match '... which says so' 'fetch.max.bytes.*must be >= .*message.max.bytes' "$(cat "$T/err")"

t_done
