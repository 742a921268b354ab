#!/bin/bash
# geolocation and aslookup end to end: `overflowd -c` with stdin -> geolocation (matchboth) ->
# aslookup (type mrt, then type db) -> json, on addresses around the networks of MaxMind's test
# databases and the Route Views RIB subset (../shared/data), IPv4 and IPv6, hits and misses.
# Every src_country/dst_country must be what mmdblookup (Debian mmdb-bin) answers for
# country.iso_code, every src_as/dst_as the origin of the longest matching prefix in bgpdump's
# reading of the RIB (Debian bgpdump; the longest match computed here with Python's ipaddress,
# default routes left out, a final AS_SET of several ASNs no origin), and with type db what
# mmdblookup answers for autonomous_system_number.
#
# Environment (set by ctest): OFD_BIN, OFD_DATA. No fixed sleeps.
set -u
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

: "${OFD_BIN:?}" "${OFD_DATA:?}"
"$OFD_BIN" --segments 2>/dev/null | grep -q '^aslookup ' || e2e_skip "aslookup/geolocation not in this build (libmaxminddb)"
command -v mmdblookup >/dev/null || e2e_skip "mmdblookup (mmdb-bin) is not installed"
command -v bgpdump >/dev/null || e2e_skip "bgpdump is not installed"
command -v jq >/dev/null || e2e_skip "jq is not installed"
command -v python3 >/dev/null || e2e_skip "python3 is not installed"
E2E_DIR=$(mktemp -d "${TMPDIR:-/tmp}/ofd-geo.XXXXXX") || e2e_die "mktemp failed"
trap e2e_cleanup EXIT
trap 'exit 1' INT TERM HUP
cd "$E2E_DIR" || exit 1
E2E_VARIANT=geo

COUNTRY=$OFD_DATA/GeoIP2-Country-Test.mmdb
ASN=$OFD_DATA/GeoLite2-ASN-Test.mmdb
MRT=$OFD_DATA/routeviews-jinx-rib-20140530-2200-subset.mrt

ADDRS="81.2.69.160 81.2.69.191 81.2.69.192 89.160.20.112 89.160.20.128 216.160.83.56 175.16.199.0
67.43.156.1 214.1.1.1 1.1.1.1 2.125.160.216 50.114.0.1 1.128.0.1 12.81.92.1 12.81.96.1 18.1.2.3
8.8.8.8 1.0.0.1 4.1.2.3 17.253.144.10 23.42.5.1 31.13.64.1 33.1.1.1 1.38.0.1 5.129.200.1
2001:218::1 2001:220::1 2a02:cf40::1 2600:6000::1 2c0f:ffc8:4000::1 2001:db8::1 ::1"

# mmdb_answer DB IP PATH...: mmdblookup's value at PATH, or "" (not found, no such path)
mmdb_answer() {
	local db=$1 ip=$2
	shift 2
	mmdblookup --file "$db" --ip "$ip" "$@" 2>/dev/null |
		sed -n 's/^ *"\{0,1\}\([^"<]*\)"\{0,1\} <\(utf8_string\|uint32\|uint16\)>.*/\1/p' | head -1
}

# flows: each address as source, the next one as destination
: >flows.json
prev=""
for a in $ADDRS; do
	[ -n "$prev" ] && printf '{"src_addr":"%s","dst_addr":"%s","bytes":1}\n' "$prev" "$a" >>flows.json
	prev=$a
done
printf '{"src_addr":"%s","dst_addr":"%s","bytes":1}\n' "$prev" "${ADDRS%% *}" >>flows.json
nflows=$(wc -l <flows.json)

# the expected origins: longest match over bgpdump's prefixes, first entry with an origin
bgpdump -m "$MRT" 2>/dev/null >rib.txt || e2e_die "bgpdump failed on $MRT"
python3 - "$ADDRS" >want-as.txt <<'PY' || e2e_die "the reference lookup failed"
import ipaddress, sys
best = {}
for line in open("rib.txt"):
    f = line.split("|")
    if len(f) < 7 or f[0] != "TABLE_DUMP2":
        continue
    net = ipaddress.ip_network(f[5])
    if net.prefixlen == 0:
        continue  # default routes are left out
    last = f[6].split(" ")[-1] if f[6] else ""
    origin = 0
    if last.startswith("{"):
        members = last.strip("{}").split(",")
        origin = int(members[0]) if len(members) == 1 else 0
    elif last:
        origin = int(last)
    if net not in best or (best[net] == 0 and origin):
        best[net] = origin
for a in sys.argv[1].split():
    ip = ipaddress.ip_address(a)
    m = [n for n in best if n.version == ip.version and ip in n]
    print(a, best[max(m, key=lambda n: n.prefixlen)] if m else 0)
PY

run() {
	cat >"$1.yml" <<YML
- segment: stdin
  config: {filename: flows.json, eofcloses: true}
- segment: geolocation
  config: {filename: "$COUNTRY", matchboth: true}
- segment: aslookup
  config: {filename: "$2", type: $1}
- segment: json
  config: {filename: out-$1.json}
YML
	"$OFD_BIN" -c "$1.yml" 2>"$1.err" || e2e_die "overflowd failed: $(cat "$1.err")"
	expect_eq "$1: records out" "$(wc -l <"out-$1.json")" "$nflows"
}

run mrt "$MRT"
run db "$ASN"

hits=0 misses=0 ashits=0
while read -r a want_as; do
	want_cc=$(mmdb_answer "$COUNTRY" "$a" country iso_code)
	want_db=$(mmdb_answer "$ASN" "$a" autonomous_system_number)
	if [ -n "$want_cc" ]; then hits=$((hits + 1)); else misses=$((misses + 1)); fi
	[ "$want_as" != 0 ] && ashits=$((ashits + 1))
	got_cc=$(jq -r --arg a "$a" 'select(.src_addr == $a) | .src_country // ""' out-mrt.json)
	got_dcc=$(jq -r --arg a "$a" 'select(.dst_addr == $a) | .dst_country // ""' out-mrt.json)
	got_as=$(jq -r --arg a "$a" 'select(.src_addr == $a) | .src_as' out-mrt.json)
	got_das=$(jq -r --arg a "$a" 'select(.dst_addr == $a) | .dst_as' out-mrt.json)
	got_db=$(jq -r --arg a "$a" 'select(.src_addr == $a) | .src_as' out-db.json)
	expect_eq "$a src_country" "$got_cc" "$want_cc"
	expect_eq "$a dst_country" "$got_dcc" "$want_cc"
	expect_eq "$a src_as (mrt)" "$got_as" "$want_as"
	expect_eq "$a dst_as (mrt)" "$got_das" "$want_as"
	expect_eq "$a src_as (db)" "$got_db" "${want_db:-0}"
done <want-as.txt
# the comparison means something: hits and misses on both sides
if [ "$hits" -lt 10 ] || [ "$misses" -lt 5 ]; then e2e_fail "countries: $hits hits, $misses misses"; fi
[ "$ashits" -ge 10 ] || e2e_fail "only $ashits addresses with an origin"
grep -q "segment aslookup (mrt.yml:5): in $nflows out $nflows" mrt.err ||
	e2e_fail "no aslookup summary: $(cat mrt.err)"
e2e_result
