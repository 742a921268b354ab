#!/usr/bin/env bash
# bench/enrich_stage.sh BUILD_DIR: issue 15's enrichers, records (or addresses) per CPU-second
# of one core, all in one run on the NetFlow v5 sample (the sample x100 unless a bench says
# otherwise), with nfanon beside anonymize (bench_anon runs it on an nfcapd file of the same
# records). Each bench program documents its own method; this script runs them in turn and then
# flowpipeline's enricher chain (remoteaddress -> addcid -> geolocation -> aslookup -> normalize
# -> protomap, plus anonymize) through bench_seg, and prints every RESULT line as a table row.
#
# Environment: OFD_DATA (default ../shared/data), ENRICH_BIGDB (a larger mmdb for bench_geo
# --bigdb, e.g. one bench/geo_mkdb.pl wrote; skipped when unset), OUT (default BUILD/bench-out).
# Needs dnsmasq for bench_rdns and nfdump for nfanon; a bench whose program or peer is missing is
# reported as skipped.
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$(cd "${1:-$SRC/build}" && pwd)
DATA=$(cd "${OFD_DATA:-$SRC/../shared/data}" && pwd)
OUT=${OUT:-$BUILD/bench-out}
PCAP=$DATA/netflow_4M.pcap
mkdir -p "$OUT"
export OFD_DATA=$DATA OFD_SRC=$SRC

row() { printf '| %s | %s | %s |\n' "$1" "$2" "$3"; }
# results FILE LABEL: one row per RESULT line of FILE (its rate, and the line itself)
results() {
	grep '^RESULT' "$1" | while read -r line; do
		local rate
		rate=$(sed -n 's/.* rate=\([0-9.]*\).*/\1/p' <<<"$line")
		[ -n "$rate" ] || continue
		row "$2" "$(awk -v r="$rate" 'BEGIN { printf "%.1f M", r / 1e6 }')" "\`${line#RESULT }\`"
	done
}

run() { # run NAME CMD...: the bench's output into OUT/enrich-NAME.txt, or a skipped row
	local name=$1
	shift
	if [ ! -x "$1" ]; then
		row "$name" "skipped" "$(basename "$1") not built"
		return 0
	fi
	if "$@" >"$OUT/enrich-$name.txt" 2>"$OUT/enrich-$name.err"; then
		results "$OUT/enrich-$name.txt" "$name"
	else
		row "$name" "failed" "$(tail -1 "$OUT/enrich-$name.err")"
	fi
}

# prefix files for the chain: our networks = the sample's source /16s, customers = their /24s
pfx=$OUT/enrich-prefixes
mkdir -p "$pfx"
"$BUILD/overflowd" dump --format csv "$PCAP" 2>/dev/null |
	awk -F, 'NR > 1 { split($10, a, "."); n16[a[1] "." a[2] ".0.0/16"] = 1; n24[a[1] "." a[2] "." a[3] ".0/24"] = 1 }
		END { for (p in n16) print p ",1" > "'"$pfx"'/ours.csv"; i = 0; for (p in n24) print p "," (++i % 1000 + 1) > "'"$pfx"'/customers.csv" }'

echo "| bench | rate per core | result line |"
echo "|---|---|---|"
run anonymize "$BUILD/bench_anon" --seconds 2 "$PCAP"
run prefix-warm "$BUILD/bench_enrich" --warm "$PCAP"
run prefix-cold "$BUILD/bench_enrich" "$PCAP"
if [ -n "${ENRICH_BIGDB:-}" ]; then
	run geo "$BUILD/bench_geo" --passes 100 --capture "$PCAP" --data "$DATA" --bigdb "$ENRICH_BIGDB"
else
	run geo "$BUILD/bench_geo" --passes 100 --capture "$PCAP" --data "$DATA"
fi
if command -v dnsmasq >/dev/null; then
	run rdns "$BUILD/bench_rdns" --passes 100 "$PCAP"
else
	row rdns skipped "no dnsmasq"
fi
run snmp "$BUILD/bench_snmp" --passes 100 "$PCAP"
run chain "$BUILD/bench_seg" --file "$PCAP" --times 100 \
	remoteaddress "{policy: cidr, filename: $pfx/ours.csv}" \
	addcid "{filename: $pfx/customers.csv}" \
	geolocation "{filename: ${ENRICH_BIGDB:-$DATA/GeoIP2-City-Test.mmdb}}" \
	aslookup "{filename: $DATA/routeviews-jinx-rib-20140530-2200-subset.mrt, type: mrt}" \
	normalize "{fallback: 1000}" \
	protomap \
	anonymize "{key: ExampleKeyWithExactly32Character}"
