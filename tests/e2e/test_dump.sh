#!/usr/bin/env bash
# overflowd dump from the command line: the bundled sample, formats, limits, errors, UDP + SIGTERM.
set -u
bin=${OFD_BIN:?} src=${OFD_SRC:?}
tmp=$(mktemp -d)
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# The sample: every record, the truncated last frame reported, exit 0.
"$bin" dump "$src/examples/netflow_4M.pcap.gz" >"$tmp/all.jsonl" 2>"$tmp/err" || fail "dump exited $?"
n=$(wc -l <"$tmp/all.jsonl")
[ "$n" = 78684 ] || fail "expected 78684 records, got $n"
grep -q 'capture dropped capture_truncated: 1' "$tmp/err" || fail "truncation not reported: $(cat "$tmp/err")"
grep -q '^datagrams 2708, records 78684$' "$tmp/err" || fail "summary: $(cat "$tmp/err")"
packets=$(grep -o '"packets":[0-9]*' "$tmp/all.jsonl" | cut -d: -f2 | awk '{s+=$1} END {print s}')
[ "$packets" = 2862857 ] || fail "packet sum $packets"

# CSV: a header with the JSON names, then one row per record.
"$bin" dump --format csv --limit 5 "$src/examples/netflow_4M.pcap.gz" >"$tmp/five.csv" 2>/dev/null || fail "csv"
[ "$(wc -l <"$tmp/five.csv")" = 6 ] || fail "csv --limit 5 gave $(wc -l <"$tmp/five.csv") lines"
head -1 "$tmp/five.csv" | grep -q '^type,time_received_ns,sequence_num,sampling_rate,sampler_address,' || fail "csv header"
sed -n 2p "$tmp/five.csv" | grep -q '^NETFLOW_V5,1185554956122660000,3397186208,0,122.166.4.242,' || fail "csv row: $(sed -n 2p "$tmp/five.csv")"

# Usage errors exit 2, unreadable sources 1.
"$bin" dump --format xml x 2>/dev/null; [ $? = 2 ] || fail "bad --format must exit 2"
"$bin" dump 2>/dev/null; [ $? = 2 ] || fail "no source must exit 2"
"$bin" dump "$tmp/missing.pcap" 2>/dev/null; [ $? = 1 ] || fail "missing file must exit 1"
"$bin" dump udp://300.1.1.1:2055 2>/dev/null; [ $? = 1 ] || fail "bad listen address must exit 1"

# UDP: records arrive while listening; SIGTERM ends with the summary. The sample's datagrams are
# replayed from a pcap with bash's /dev/udp (no other tool needed) after the listener is up.
port=$((20000 + RANDOM % 20000))
"$bin" dump --format csv "udp://127.0.0.1:$port" >"$tmp/udp.csv" 2>"$tmp/udp.err" &
pid=$!
for _ in $(seq 100); do ss -lun 2>/dev/null | grep -q ":$port " && break; sleep 0.05; done
# one v5 datagram with two records, built as hex
hdr="0005000200000e10469c8a401dcd6500000010920107000a"
rec="c0000201c63364020a0000010003000400000003 0000012c0036ee8000371b00007b005000001100fdf0fdff18100000"
hex="$hdr${rec// /}${rec// /}"
printf '%b' "$(printf '%s' "$hex" | sed 's/../\\x&/g')" >"$tmp/dg.bin"
[ "$(wc -c <"$tmp/dg.bin")" = 120 ] || fail "datagram builder"
cat "$tmp/dg.bin" >"/dev/udp/127.0.0.1/$port"
for _ in $(seq 100); do [ "$(wc -l <"$tmp/udp.csv")" -ge 3 ] && break; sleep 0.05; done
kill -TERM "$pid"; wait "$pid"; rc=$?; pid=""
[ $rc = 0 ] || fail "dump udp exited $rc after SIGTERM"
[ "$(wc -l <"$tmp/udp.csv")" = 3 ] || fail "udp: $(cat "$tmp/udp.csv")"
sed -n 2p "$tmp/udp.csv" | grep -q '^NETFLOW_V5,[0-9]*,4242,10,127.0.0.1,.*,192.0.2.1,198.51.100.2,IPv4,UDP,123,80,' \
	|| fail "udp record: $(sed -n 2p "$tmp/udp.csv")"
[ "$(sed -n 2p "$tmp/udp.csv")" = "$(sed -n 3p "$tmp/udp.csv")" ] || fail "udp: the two records differ"
sed -n 2p "$tmp/udp.csv" | grep -q ',65008,65023,10.0.0.1,0,192.0.2.0/24,198.51.0.0/16,' || fail "udp AS/nets: $(sed -n 2p "$tmp/udp.csv")"
grep -q 'records 2' "$tmp/udp.err" || fail "udp summary: $(cat "$tmp/udp.err")"
echo "dump: all checks passed"
