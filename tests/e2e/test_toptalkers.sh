#!/usr/bin/env bash
# toptalkers against a computation from `overflowd dump`: on the bundled NetFlow sample and on
# an NTP-reflection capture built here (NetFlow v5 datagrams in a pcap, written by python3),
# the printed ranking and the Mbps/kpps figures must equal what python3 computes from the
# records `dump` decodes: bytes and packets summed per destination address, bits/s = bytes * 8
# / window, packets/s = packets / window, written as go-humanize's SI() writes them (the
# six decimals with the trailing zeros cut, as its Ftoa does, scaled by a power of 1000 named by its
# SI prefix). The window (3600 s) is far longer than the run, so every flow is in it; the
# report interval too, so the one report is the final one at the end of the input.
set -u
bin=${OFD_BIN:?} src=${OFD_SRC:?}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() {
	echo "FAIL: $*"
	exit 1
}
command -v python3 >/dev/null || {
	echo "SKIP: python3 missing"
	exit 77
}

# expected.py CSV WINDOW TOPN PREFIX THRESHOLDBPS THRESHOLDPPS: the report toptalkers must print.
cat >"$tmp/expected.py" <<'EOF'
import csv, ipaddress, math, sys

path, window, topn, prefix, tbps, tpps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], int(sys.argv[5]), int(sys.argv[6])
sums = {}
with open(path, newline="") as f:
    for r in csv.DictReader(f):
        a = r["dst_addr"]
        b, p = sums.get(a, (0, 0))
        sums[a] = (b + int(r["bytes"]), p + int(r["packets"]))

PREFIXES = {-30: "q", -27: "r", -24: "y", -21: "z", -18: "a", -15: "f", -12: "p", -9: "n", -6: "\u00b5",
            -3: "m", 0: "", 3: "k", 6: "M", 9: "G", 12: "T", 15: "P", 18: "E", 21: "Z", 24: "Y", 27: "R", 30: "Q"}

def si(v, unit):
    if v == 0:
        return "0 " + unit
    mag = abs(v)
    e = math.floor(math.floor(math.log(mag) / math.log(10)) / 3) * 3
    val = mag / math.pow(10, e)
    if val == 1000.0:
        e += 3
        val = mag / math.pow(10, e)
    s = "%.6f" % math.copysign(val, v)  # go-humanize's Ftoa: six decimals, zeros cut
    s = s.rstrip("0").rstrip(".")
    return s + " " + PREFIXES.get(e, "") + unit

def key(item):
    a, (b, p) = item
    ip = ipaddress.ip_address(a) if a else None
    return (-b, ip.version if ip else 0, ip.packed.rjust(16, b"\0") if ip else b"")

lines = [prefix + "=" * 67]
for a, (b, p) in sorted(sums.items(), key=key):
    bps, pps = b * 8.0 / window, p / float(window)
    if bps < tbps or pps < tpps:
        continue
    if len(lines) > topn:
        break
    lines.append("%s%s: %s, %s" % (prefix, a or "invalid IP", si(bps, "bps"), si(pps, "pps")))
print("\n".join(lines))
EOF

# run CAPTURE TOPN PREFIX THRESHOLDBPS THRESHOLDPPS: toptalkers' report and the expected one.
run() {
	local cap=$1 topn=$2 prefix=$3 tbps=$4 tpps=$5
	cat >"$tmp/tt.yml" <<EOF
- segment: pcap
  config:
    filename: \$0
- segment: toptalkers
  config:
    window: 3600
    reportinterval: 3600
    topn: $topn
    logprefix: "$prefix"
    thresholdbps: $tbps
    thresholdpps: $tpps
    maxtalkers: 65536
EOF
	"$bin" -c "$tmp/tt.yml" "$cap" >"$tmp/got.txt" 2>"$tmp/err.txt" || fail "overflowd -c exited $?: $(cat "$tmp/err.txt")"
	grep -q 'segment toptalkers .*evicted 0$' "$tmp/err.txt" || fail "evictions: $(grep toptalkers "$tmp/err.txt")"
	local csv
	csv=$tmp/$(basename "$cap").csv # each capture dumped once
	[ -s "$csv" ] || "$bin" dump --format csv "$cap" >"$csv" 2>/dev/null || fail "dump exited $?"
	python3 "$tmp/expected.py" "$csv" 3600 "$topn" "$prefix" "$tbps" "$tpps" >"$tmp/want.txt" ||
		fail "expected.py"
	diff -u "$tmp/want.txt" "$tmp/got.txt" >"$tmp/diff.txt" || fail "$cap: report differs: $(cat "$tmp/diff.txt")"
}

# 1. The bundled sample: the 10 largest receivers.
run "$src/examples/netflow_4M.pcap.gz" 10 "" 0 0
[ "$(wc -l <"$tmp/got.txt")" = 11 ] || fail "sample: $(wc -l <"$tmp/got.txt") lines"
sed -n 2p "$tmp/got.txt" | grep -q '^122\.166\.253\.119: 749\.298787 kbps, ' || fail "sample top: $(sed -n 2p "$tmp/got.txt")"

# 2. An NTP reflection: 40 reflectors answer from port 123 to two victims with 468-byte
# monlist responses, beside background traffic to 200 other addresses; NetFlow v5 from one
# exporter.
python3 - "$tmp/ntp.pcap" <<'EOF'
import struct, sys

out = open(sys.argv[1], "wb")
out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
recs = []
def ip(s):
    return bytes(int(x) for x in s.split("."))
for r in range(40):  # reflectors -> victims, UDP from port 123
    refl = "198.51.100.%d" % (r + 1)
    recs.append((refl, "193.192.168.5", 123, 40000 + r, 17, 7000 + r, 7000 * 468 + r * 468))
    recs.append((refl, "193.192.168.9", 123, 41000 + r, 17, 3000, 3000 * 468))
for h in range(200):  # background: small TCP flows
    recs.append(("203.0.113.%d" % (h % 250 + 1), "10.1.%d.%d" % (h // 250, h % 250 + 1), 443, 50000 + h, 6, 10 + h, (10 + h) * 1200))
seq, t = 0, 1700000000
for i in range(0, len(recs), 30):
    chunk = recs[i:i + 30]
    nf = struct.pack(">HHIIIIBBH", 5, len(chunk), 3600000, t, 0, seq, 0, 0, 0)
    for (s, d, sp, dp, proto, pk, by) in chunk:
        nf += ip(s) + ip(d) + ip("0.0.0.0") + struct.pack(">HHIIIIHHBBBBHHBBH", 1, 2, pk, by, 3590000, 3599000, sp, dp, 0, 0, proto, 0, 0, 0, 0, 0, 0)
    seq += len(chunk)
    udp = struct.pack(">HHHH", 50000, 2055, 8 + len(nf), 0) + nf
    iph = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, 0, 64, 17, 0, ip("192.0.2.1"), ip("192.0.2.2"))
    frame = b"\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00" + iph + udp
    out.write(struct.pack("<IIII", t, i, len(frame), len(frame)) + frame)
out.close()
EOF
[ -s "$tmp/ntp.pcap" ] || fail "no NTP capture"
run "$tmp/ntp.pcap" 5 "ntp: " 0 0
[ "$(wc -l <"$tmp/got.txt")" = 6 ] || fail "ntp: $(wc -l <"$tmp/got.txt") lines"
# 193.192.168.5: 40 flows of 7000..7039 packets of 468 bytes in 3600 s
#   bytes 468 * (40 * 7000 + 780) = 131,405,040 -> 292.0112 kbps (six decimals, zeros cut, as
#   go-humanize prints it); packets 280,780 -> 77.994444 pps
sed -n 1,3p "$tmp/got.txt" | tr '\n' '|' | grep -q '^ntp: =*|ntp: 193\.192\.168\.5: 292\.0112 kbps, 77\.994444 pps|ntp: 193\.192\.168\.9: 124\.8 kbps, 33\.333333 pps|$' ||
	fail "ntp ranking: $(head -3 "$tmp/got.txt")"
# thresholds: only the victims pass 50 kbps; 40 pps leaves only the first
run "$tmp/ntp.pcap" 5 "" 50000 40
[ "$(wc -l <"$tmp/got.txt")" = 2 ] || fail "thresholds: $(cat "$tmp/got.txt")"
grep -q '^193\.192\.168\.5: ' "$tmp/got.txt" || fail "thresholds: $(cat "$tmp/got.txt")"
echo "toptalkers: all checks passed"
