#!/usr/bin/env bash
# fs-clean survives what it is thrown: random bytes and mutated records
# (bytes deleted, replaced, truncated; values swapped for others of any
# type; keys repeated; deep nesting; long lines), and accounts for every
# line: written + rejected + duplicates = lines read. Run under
# `make check SAN=1` it is also a sanitizer test.
#
# FS_FUZZ_LINES sets the number of lines per run (default 20000).
. "$(dirname "$0")/../lib.sh"

t_need jq perl

lines=${FS_FUZZ_LINES:-20000}

# Base records: the simulator's, with every fault, or a few written here.
if ! fs-produce sim --seed 5 --aircraft 30 --duration 20m --speed max --faults all=0.02 --truth \
	>"$T/base" 2>/dev/null || [ ! -s "$T/base" ]; then
	cat >"$T/base" <<'EOF'
{"timestamp":"2026-01-01T00:00:00.000Z","icao24":"4b1814","callsign":"SWR123","origin_country":"Switzerland","latitude":47.4581,"longitude":8.5555,"baro_altitude":0,"geo_altitude":12.2,"velocity":7.7,"heading":140.2,"vertical_rate":0,"on_ground":true,"squawk":"1000","spi":false,"position_source":0,"category":4,"sensors":null,"source":"sim"}
{"timestamp":"2026-01-01T00:00:10.000Z","icao24":"4b1814","callsign":"SWR123","latitude":47.4585,"longitude":8.5560,"baro_altitude":120,"velocity":80.5,"heading":140.2,"vertical_rate":8.1,"on_ground":false,"squawk":"1000"}
{"timestamp":1767225620,"icao24":"3C6444","latitude":50.1,"longitude":8.6,"baro_altitude":11000,"velocity":240,"heading":90,"vertical_rate":0,"truth":["jump"]}
EOF
fi

# The generator: deterministic for a seed.
cat >"$T/fuzz.pl" <<'EOF'
use strict;
use warnings;
my ($seed, $n) = @ARGV;
srand($seed);
my @base = <STDIN>;
chomp @base;
my @vals = ('null', 'true', 'false', '0', '-0', '1e999', '-1e-999', '1e22', '4.9e-324',
	'123456789012345678901234567890', '-0.000000000000000000000001', '"x"', '""',
	'"\u0000"', '"\ud800"', '"\\\\"', '[]', '{}', '[[[[[[[[[[]]]]]]]]]]',
	'{"a":{"b":[1,2,{"c":null}]}}', '"2026-01-01T00:00:00Z"', '"2026-02-30T00:00:00Z"',
	'1767225600', '1767225600000', '-1767225600', '"ABC123"', '"abc12"', '90.0000001',
	'-180', '360', '359.99', '7700', '"7700"', '"77"', '1000.0001', '-150', '25000',
	'"  "', '"\u00fc\u20ac"', '"Z\u00fcrich"');
my @keys = qw(timestamp icao24 callsign latitude longitude baro_altitude geo_altitude
	velocity heading vertical_rate on_ground squawk spi hour quality_flags dt_s truth);
my $value = qr/(?:null|true|false|-?[0-9][0-9.eE+-]*|"(?:[^"\\]|\\.)*"|\[[^\[\]]*\]|\{[^{}]*\})/;
for my $i (1 .. $n) {
	my $l = $base[int(rand(@base))];
	my $r = rand();
	if ($r < 0.08) {		# random bytes
		$l = join('', map { chr(int(rand(256))) } 1 .. int(rand(300)));
	} elsif ($r < 0.18) {		# bytes deleted
		for (0 .. int(rand(4))) {
			substr($l, int(rand(length $l)), 1) = '' if length $l;
		}
	} elsif ($r < 0.28) {		# bytes replaced
		for (0 .. int(rand(4))) {
			substr($l, int(rand(length $l)), 1) = chr(int(rand(256))) if length $l;
		}
	} elsif ($r < 0.33) {		# truncated
		$l = substr($l, 0, int(rand(length $l)));
	} elsif ($r < 0.60) {		# a value swapped for another, of any type
		for (0 .. int(rand(3))) {
			my $k = $keys[int(rand(@keys))];
			my $v = $vals[int(rand(@vals))];
			$l =~ s/("\Q$k\E":)$value/$1$v/ or $l =~ s/^\{/{"$k":$v,/;
		}
	} elsif ($r < 0.65) {		# a key twice
		my $k = $keys[int(rand(@keys))];
		$l =~ s/\}\s*$/,"$k":null}/;
	} elsif ($r < 0.70) {		# the same record again, maybe with another value
		print "$l\n";
		$l =~ s/("velocity":)$value/${1}1/;
	} elsif ($r < 0.73) {		# white space and empty lines
		$l = (' ', "\t", '', "\r", ' {} ')[int(rand(5))];
	} elsif ($r < 0.76) {		# deep nesting, long strings
		my $d = 1 + int(rand(2000));
		$l =~ s/^\{/{"deep":${\('[' x $d)}${\(']' x $d)},"long":"${\('x' x int(rand(3000)))}",/;
	} elsif ($r < 0.80) {		# another aircraft, another time
		my $h = sprintf('%06x', int(rand(1 << 24)));
		$l =~ s/"icao24":"[^"]*"/"icao24":"$h"/;
		my $t = 1767225600 + int(rand(7200));
		$l =~ s/"timestamp":"[^"]*"/"timestamp":$t/;
	}
	$l =~ s/\n/ /g;
	print "$l\n";
}
EOF

# check NAME OPTIONS...: run fs-clean on $T/fuzz with OPTIONS and check it survived and counted.
check() {
	local name=$1 in nonblank summary
	shift
	run fs-clean --stats --reject "$T/rj" "$@" "$T/fuzz"
	t_true "$name: exit 0 (no crash)" "$status" -eq 0
	nonblank=$(LC_ALL=C grep -acv $'^[ \t\r]*$' "$T/fuzz")
	summary=$(printf '%s\n' "$err" | tail -n 1)
	in=$(jq -r .in <<<"$summary" 2>/dev/null)
	t_eq "$name: every line that is not blank is read" "$nonblank" "$in"
	t_eq "$name: written + rejected + duplicates = read" "$in" \
		"$(jq -r '.out + .rejected + .duplicates' <<<"$summary" 2>/dev/null)"
	t_eq "$name: the records written are the records counted out" \
		"$(jq -r .out <<<"$summary" 2>/dev/null)" "$(wc -l <"$T/out")"
	# jq cannot parse the deepest nesting: take it out first.
	t_eq "$name: every record written is clean: an object with a valid icao24, timestamp and the new fields" \
		"$(wc -l <"$T/out")" \
		"$(sed -E 's/"deep":\[+\]+,//' "$T/out" | jq -c 'select(type == "object" and (.icao24 | test("^[0-9a-f]{6}$")) and
			(.timestamp | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z$")) and
			(.quality_flags | type == "array") and has("processing_timestamp") and has("flight_phase"))' \
			2>&1 | wc -l)"
	t_eq "$name: every reject is a reject record with a code" "$(wc -l <"$T/rj")" \
		"$(jq -c 'select(.reject.tool == "fs-clean" and (.reject.code | length > 0) and
			(has("line") or has("line_base64")))' "$T/rj" 2>&1 | wc -l)"
}

for seed in 1 2 3; do
	perl "$T/fuzz.pl" "$seed" "$lines" <"$T/base" >"$T/fuzz"
	check "fuzz seed $seed"
done
check 'fuzz seed 3, small limits' --max-line 512 --max-aircraft 8 --dedup-max 20 \
	--expire 2m --dedup-window 1m --reject-duplicates --no-clock-check
t_eq 'fuzz seed 3, small limits: the reject stream has the rejects and the duplicates' \
	"$(wc -l <"$T/rj")" "$(printf '%s\n' "$err" | tail -n 1 | jq -r '.rejected + .duplicates')"
check 'fuzz seed 3, no smoothing or dwell, fine grid' --phase-window 0 --phase-dwell 0 --grid 0.001 \
	--require position,altitude,velocity

# Pure random bytes, with no line structure at all.
perl -e 'srand(9); print map { chr(int(rand(256))) } 1 .. 200000' >"$T/fuzz"
check 'random bytes'
head -c 300000 /dev/urandom >"$T/fuzz"
check 'bytes from /dev/urandom'

t_done
