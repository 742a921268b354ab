#!/usr/bin/perl
# bench/geo_mkdb.pl OUT.mmdb [NETWORKS]: a synthetic City-like MaxMind DB for bench_geo, written
# with Debian's libmaxmind-db-writer-perl. The test databases of ../shared/data have 1.5k nodes
# and fit in L1/L2; a real GeoLite2-City has millions. This one: every IPv4 /16 with a country,
# NETWORKS (default 400000) random /24s over them with a country, a city name and a location,
# and 50000 random IPv6 /32s; fixed seed, so the same file every time. Fake data.
use strict;
use warnings;
use MaxMind::DB::Writer::Tree;

my ($out, $n) = @ARGV;
die "usage: $0 OUT.mmdb [NETWORKS]\n" unless $out;
$n //= 400000;
my %types = (
	country => 'map', city => 'map', location => 'map', names => 'map',
	iso_code => 'utf8_string', en => 'utf8_string', geoname_id => 'uint32',
	latitude => 'double', longitude => 'double',
);
my $tree = MaxMind::DB::Writer::Tree->new(
	ip_version => 6, record_size => 28, database_type => 'overflowd-bench-City',
	languages => ['en'], description => { en => 'synthetic data for bench_geo' },
	map_key_type_callback => sub { $types{ $_[0] } },
	alias_ipv6_to_ipv4 => 1,
);
srand(15);
my @cc = map { chr(65 + $_ / 26) . chr(65 + $_ % 26) } 0 .. 249;
sub country { my $c = $cc[ $_[0] % @cc ]; return { iso_code => $c, names => { en => "Country $c" } } }
for my $a (1 .. 223) {
	for my $b (0 .. 255) {
		$tree->insert_network("$a.$b.0.0/16", { country => country($a * 256 + $b) });
	}
}
for my $i (1 .. $n) {
	my ($a, $b, $c) = (1 + int(rand(223)), int(rand(256)), int(rand(256)));
	my $k = int(rand(50000));
	$tree->insert_network("$a.$b.$c.0/24", {
		country => country($k), city => { geoname_id => $k, names => { en => "City $k" } },
		location => { latitude => ($k % 180) - 90 + 0.5, longitude => ($k % 360) - 180 + 0.25 } });
}
for my $i (1 .. 50000) {
	my $p = sprintf("2%03x:%x::/32", 0x400 + int(rand(3072)), int(rand(65536))); # not 2002::/16 (6to4, aliased)
	$tree->insert_network($p, { country => country($i) });
}
open(my $fh, '>:raw', $out) or die "$out: $!\n";
$tree->write_tree($fh);
close($fh) or die "$out: $!\n";
