#!/bin/bash
# A reader that closes our standard output (`| head -1`): dump (files and UDP), a -c pipeline's
# print output and verify stop at the first write that fails with EPIPE (SIGPIPE is ignored),
# with a one-line note on stderr and exit status 0, as tcpdump does, instead of decoding (or
# verifying) until killed. Every run is under `timeout`: one that kept going would be killed
# (status 124) and fail.
set -u
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

: "${OFD_BIN:?}" "${OFD_DATA:?}"
PCAP=$OFD_DATA/netflow_4M.pcap # 2708 datagrams, 78684 records
E2E_DIR=$(mktemp -d "${TMPDIR:-/tmp}/ofd-epipe.XXXXXX") || e2e_die "mktemp failed"
trap e2e_cleanup EXIT
D=$E2E_DIR
E2E_VARIANT=epipe
cd "$D" || exit 1
NOTE='output closed by its reader (broken pipe)'

# dump FILE | head -1, JSON and CSV: one line out, stopped long before the capture's end
for fmt in json csv; do
	timeout 60 "$OFD_BIN" dump --format "$fmt" "$PCAP" 2>"dump-$fmt.err" | head -1 >"dump-$fmt.out"
	st=${PIPESTATUS[0]}
	expect_eq "dump $fmt | head -1: status" "$st" 0
	expect_eq "dump $fmt | head -1: lines" "$(wc -l <"dump-$fmt.out")" 1
	grep -q "$NOTE; stopping" "dump-$fmt.err" || e2e_fail "dump $fmt: no note in: $(cat "dump-$fmt.err")"
	dg=$(sed -n 's/^datagrams \([0-9]*\), records .*/\1/p' "dump-$fmt.err")
	{ [ -n "$dg" ] && [ "$dg" -lt 1000 ]; } || e2e_fail "dump $fmt read $dg of 2708 datagrams after its reader left"
	grep -q '^records printed' "dump-$fmt.err" || e2e_fail "dump $fmt: no summary"
done

# dump udp://... | head -1: the listener ends once a record is written after the reader left
port=$(e2e_free_port) || e2e_die "no free port"
upid=""
# shellcheck disable=SC2016 # expanded by the inner bash
e2e_bg upid bash -c 'timeout 60 "$0" dump --format csv "udp://127.0.0.1:$1" 2>udp.err | head -1 >udp.out
	echo "${PIPESTATUS[0]}" >udp.status.tmp && mv udp.status.tmp udp.status' "$OFD_BIN" "$port"
e2e_wait 10 e2e_listening "$port" || e2e_die "dump does not listen on $port"
# one NetFlow v5 datagram with two records (as in test_dump.sh)
hdr="0005000200000e10469c8a401dcd6500000010920107000a"
rec="c0000201c63364020a00000100030004000000030000012c0036ee8000371b00007b005000001100fdf0fdff18100000"
printf '%b' "$(printf '%s' "$hdr$rec$rec" | sed 's/../\\x&/g')" >dg.bin
# shellcheck disable=SC2317 # called through e2e_wait
send_until_done() {
	[ -e udp.status ] && return 0
	cat dg.bin >"/dev/udp/127.0.0.1/$port"
	return 1
}
e2e_wait 30 send_until_done || e2e_fail "dump udp:// | head -1 still runs"
e2e_reap "$upid" 10
expect_eq "dump udp | head -1: status" "$(cat udp.status 2>/dev/null)" 0
expect_eq "dump udp | head -1: the header line" "$(cut -d, -f1-3 udp.out)" "type,time_received_ns,sequence_num"
grep -q "$NOTE; stopping" udp.err || e2e_fail "dump udp: no note in: $(cat udp.err)"

# a -c pipeline (threaded engine) printing to stdout
cat >print.yml <<YML
- segment: pcap
  config: {filename: [$PCAP]}
- segment: print
YML
timeout 60 "$OFD_BIN" -c print.yml 2>print.err | head -1 >print.out
expect_eq "-c print | head -1: status" "${PIPESTATUS[0]}" 0
expect_eq "-c print | head -1: lines" "$(wc -l <print.out)" 1
grep -q "$NOTE; stopping" print.err || e2e_fail "-c print: no note in: $(cat print.err)"

# verify | head -1 over 100 copies of the sample's tracers
"$OFD_BIN" keygen -k key >/dev/null 2>&1 || e2e_die "keygen"
"$OFD_BIN" -f "$PCAP" -r 1e-3 --seed 7 -k key >t.jsonl 2>/dev/null || e2e_die "-f"
n=$(wc -l <t.jsonl)
[ "$n" -gt 300 ] || e2e_die "only $n tracers"
for _ in $(seq 100); do cat t.jsonl; done >many.jsonl
timeout 60 "$OFD_BIN" verify many.jsonl 2>verify.err | head -1 >verify.out
expect_eq "verify | head -1: status" "${PIPESTATUS[0]}" 0
expect_eq "verify | head -1: line" "$(cut -c1-6 verify.out)" "valid "
grep -q "^verify: $NOTE; stopped" verify.err || e2e_fail "verify: no note in: $(cat verify.err)"
checked=$(sed -n 's/^verify: \([0-9]*\) valid, 0 invalid$/\1/p' verify.err)
{ [ -n "$checked" ] && [ "$checked" -lt $((n * 10)) ]; } ||
	e2e_fail "verify checked '$checked' of $((n * 100)) tracers after its reader left"
e2e_result
