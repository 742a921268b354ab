#!/bin/bash
# anonymize against nfdump's nfanon (Debian nfdump 1.7.1), on the same addresses and key.
#
# IPv4 (variant v4): the real capture netflow_4M.pcap (78,684 NetFlow v5 records) is replayed by
# `overflowd replay` to nfcapd on 127.0.0.1; `nfanon -K KEY` anonymizes nfcapd's file; nfdump
# prints the source, destination, next hop and router (exporter) addresses of both files. The
# original addresses go through overflowd (stdin -> anonymize -> csv) with the same key, and
# its SrcAddr, DstAddr, NextHop, SamplerAddress must equal nfanon's sa, da, nh, ra on every
# record. Both key forms are used: the 32-character string and nfanon's 0x + 64 hex digits.
#
# IPv6 (variant v6): IPFIX records with IPv6 addresses (tests/e2e/ipfix_v6.py) go to nfcapd the
# same way. overflowd must give the published Crypto-PAn IPv6 vectors (Crypto-PAn reference key,
# cryptopan-vectors.json `ipv6`). nfanon 1.7.1 does not: its anonymize_v6() works on the
# address as two host-order 64-bit words (bytes reversed per half on little-endian), keeps the
# current bit in the block, leaves the pad byte unmasked and stores each output bit mirrored in
# its byte, and nfanon then anonymizes the destination from the already anonymized source
# (dst' = f(f(src))). Its IPv6 output is therefore neither the published scheme nor prefix
# preserving, and destinations are lost. The test accepts nfanon's IPv6 output only when it
# equals ours (a fixed nfdump) or the values that 1.7.1 is known to give (pinned below).
#
# Environment (set by ctest): OFD_BIN, OFD_DATA, OFD_SRC. No fixed sleeps.
set -u
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

: "${OFD_BIN:?}" "${OFD_DATA:?}"
NF=$OFD_DATA/netflow_4M.pcap
[ -r "$NF" ] || e2e_skip "the shared capture is missing in $OFD_DATA"
"$OFD_BIN" --segments 2>/dev/null | grep -q '^anonymize ' || e2e_skip "the anonymize segment is not built (libcrypto)"
e2e_need nfcapd nfanon nfdump ss setsid awk python3 diff
E2E_DIR=$(mktemp -d "${TMPDIR:-/tmp}/ofd-anon.XXXXXX") || e2e_die "mktemp failed"
trap e2e_cleanup EXIT
trap 'exit 1' INT TERM HUP
D=$E2E_DIR
HERE=$(cd "$(dirname "$0")" && pwd)
export TZ=UTC

# nfcapd_start NAME: nfcapd on a free port writing into $D/NAME. Sets PORT and CAPD_PID.
nfcapd_start() {
	mkdir -p "$D/$1"
	PORT=$(e2e_free_port) || e2e_die "no free UDP port"
	e2e_bg CAPD_PID nfcapd -b 127.0.0.1 -p "$PORT" -w "$D/$1" -t 3600 -B 16777216 >"$D/$1.out" 2>&1
	if ! e2e_wait "$E2E_WAIT_S" e2e_listening "$PORT" || e2e_dead "$CAPD_PID"; then
		cat "$D/$1.out"
		e2e_die "nfcapd did not start listening on 127.0.0.1:$PORT"
	fi
}

# shellcheck disable=SC2317 # called through e2e_wait
recvq_empty() { [ "$(ss -Hlun "sport = :$PORT" 2>/dev/null | awk '{print $2}')" = 0 ]; }

# nfcapd_stop NAME: once its socket queue is empty, stop nfcapd (it writes its file) and print
# the file's name.
nfcapd_stop() {
	e2e_wait "$E2E_WAIT_S" recvq_empty || e2e_log "nfcapd's socket queue did not drain"
	kill -TERM "$CAPD_PID" 2>/dev/null
	e2e_reap "$CAPD_PID" 20
	local f
	f=$(find "$D/$1" -name 'nfcapd.2*' -type f | head -1)
	[ -n "$f" ] || e2e_die "nfcapd wrote no file into $D/$1"
	echo "$f"
}

FMT='fmt:%sa,%da,%nh,%ra'

# ours KEY FIELDS IN OUT: the addresses of IN (lines a,b,c,d) through overflowd's anonymize
# with KEY into OUT (same layout: FIELDS, 4 or 2 of them).
ours() {
	local key=$1 fields=$2 in=$3 out=$4
	awk -F, '{ printf "{\"src_addr\":\"%s\",\"dst_addr\":\"%s\"", $1, $2
		if (NF > 2) printf ",\"next_hop\":\"%s\",\"sampler_address\":\"%s\"", $3, $4
		print "}" }' "$in" >"$in.json"
	cat >"$D/ours.yml" <<EOF
- segment: stdin
  config:
    eofcloses: true
- segment: anonymize
  config:
    key: "$key"
    fields: "$fields"
- segment: csv
  config:
    filename: $out.csv
    fields: "$fields"
EOF
	"$OFD_BIN" -c "$D/ours.yml" <"$in.json" 2>"$out.err" || {
		cat "$out.err"
		e2e_die "overflowd failed on $in"
	}
	tail -n +2 "$out.csv" >"$out"
}

# ---- IPv4: the real capture ----
E2E_VARIANT=v4
nfcapd_start v4
"$OFD_BIN" replay "$NF" --to "udp://127.0.0.1:$PORT" --rate 5000 >"$D/replay.out" 2>&1 ||
	e2e_die "replay failed: $(cat "$D/replay.out")"
F4=$(nfcapd_stop v4)
expect_eq "records nfcapd stored" "$(nfdump -r "$F4" -I | sed -n 's/^Flows: *//p')" 78684
nfdump -q -r "$F4" -o "$FMT" | tr -d ' ' >"$D/orig4.txt"
expect_eq "records nfdump printed" "$(wc -l <"$D/orig4.txt")" 78684

for KEY in "ExampleKeyWithExactly32Character" \
	"0x1522178d33a4cf80130a5b1649907d10d8988f837979652762574c2d2a842202"; do
	nfanon -q -K "$KEY" -r "$F4" -w "$D/anon4.nf" >"$D/nfanon.out" 2>&1 ||
		e2e_die "nfanon failed: $(cat "$D/nfanon.out")"
	nfdump -q -r "$D/anon4.nf" -o "$FMT" | tr -d ' ' >"$D/nfanon4.txt"
	ours "$KEY" "SrcAddr,DstAddr,NextHop,SamplerAddress" "$D/orig4.txt" "$D/ours4.txt"
	expect_eq "records anonymized (key ${KEY:0:6}...)" "$(wc -l <"$D/ours4.txt")" 78684
	if diff -q "$D/nfanon4.txt" "$D/ours4.txt" >/dev/null; then
		echo "ok: key ${KEY:0:6}...: sa, da, nh, ra equal nfanon's on all 78684 records"
	else
		diff "$D/nfanon4.txt" "$D/ours4.txt" | head -5
		e2e_fail "key ${KEY:0:6}...: $(diff "$D/nfanon4.txt" "$D/ours4.txt" | grep -c '^>') records differ from nfanon"
	fi
	# the addresses did change (not a pass-through on both sides)
	[ "$(head -1 "$D/orig4.txt")" != "$(head -1 "$D/ours4.txt")" ] || e2e_fail "first record unchanged"
done
# a bijection: as many distinct source addresses after as before
expect_eq "distinct source addresses" "$(cut -d, -f1 "$D/ours4.txt" | sort -u | wc -l)" \
	"$(cut -d, -f1 "$D/orig4.txt" | sort -u | wc -l)"
# one pinned value: the exporter, 127.0.0.1 after the replay, under the last key (reference)
expect_eq "router 127.0.0.1 (reference key: 33.0.243.129 published)" "$(head -1 "$D/ours4.txt" | cut -d, -f4)" 33.0.243.129

# ---- IPv6: published vectors (reference key) ----
E2E_VARIANT=v6
REFKEY=0x1522178d33a4cf80130a5b1649907d10d8988f837979652762574c2d2a842202
nfcapd_start v6
python3 "$HERE/ipfix_v6.py" "$PORT" ::1 ::2 2001:db8::1 2001:db8::2 ::ffff 8000:: ||
	e2e_die "could not send the IPFIX records"
e2e_wait "$E2E_WAIT_S" recvq_empty
F6=$(nfcapd_stop v6)
nfdump -q -6 -r "$F6" -o 'fmt:%sa,%da' | tr -d ' ' >"$D/orig6.txt"
expect_eq "IPv6 records stored" "$(tr '\n' ' ' <"$D/orig6.txt")" "::1,::2 2001:db8::1,2001:db8::2 ::ffff,8000:: "
ours "$REFKEY" "SrcAddr,DstAddr" "$D/orig6.txt" "$D/ours6.txt"
# published (Yawning/cryptopan TestCryptopanIPv6); 8000:: is not among them, only its prefix
# relation is checked: it differs from ::1 in the first bit, so its image starts with a 1 bit
# where ::1's (78ff:...) starts with a 0
expect_eq "::1 (published)" "$(sed -n 1p "$D/ours6.txt" | cut -d, -f1)" 78ff:f001:9fc0:20df:8380:b1f1:704:ed
expect_eq "::2 (published)" "$(sed -n 1p "$D/ours6.txt" | cut -d, -f2)" 78ff:f001:9fc0:20df:8380:b1f1:704:ef
expect_eq "2001:db8::1 (published)" "$(sed -n 2p "$D/ours6.txt" | cut -d, -f1)" 4401:2bc:603f:d91d:27f:ff8e:e6f1:dc1e
expect_eq "2001:db8::2 (published)" "$(sed -n 2p "$D/ours6.txt" | cut -d, -f2)" 4401:2bc:603f:d91d:27f:ff8e:e6f1:dc1c
expect_eq "::ffff (published)" "$(sed -n 3p "$D/ours6.txt" | cut -d, -f1)" 78ff:f001:9fc0:20df:8380:b1f1:704:f838
expect_eq "8000:: image's first bit is 1" \
	"$(sed -n 3p "$D/ours6.txt" | cut -d, -f2 | cut -c1 | grep -c '^[89a-f]$')" 1
nfanon -q -K "$REFKEY" -r "$F6" -w "$D/anon6.nf" >"$D/nfanon6.out" 2>&1 || e2e_die "nfanon failed on IPv6"
nfdump -q -6 -r "$D/anon6.nf" -o 'fmt:%sa,%da' | tr -d ' ' >"$D/nfanon6.txt"
if diff -q "$D/nfanon6.txt" "$D/ours6.txt" >/dev/null; then
	echo "ok: nfanon agrees on IPv6 (a fixed nfdump)"
else
	# nfdump 1.7.1's values (see the header): source ::1 and the destination of that record,
	# which is f(f(::1)) whatever the destination was (::2 here)
	expect_eq "nfanon 1.7.1 IPv6, known deviation: ::1" "$(sed -n 1p "$D/nfanon6.txt" | cut -d, -f1)" \
		ff00:ffff:ff:ff00:ff:ff00:ff:fe
	expect_eq "nfanon 1.7.1 IPv6, known deviation: dst from the source" \
		"$(sed -n 1p "$D/nfanon6.txt" | cut -d, -f2)" fff:c70:ff30:1f00:ff07:0:ff1f:ff07
	expect_eq "nfanon 1.7.1 IPv6: the same source (::1 vs ::ffff) high half, the same dst high half" \
		"$(sed -n 3p "$D/nfanon6.txt" | cut -d, -f2 | cut -d: -f1-4)" fff:c70:ff30:1f00
fi

e2e_result
