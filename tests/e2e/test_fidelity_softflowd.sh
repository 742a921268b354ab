#!/bin/bash
# Issue 12 end to end with softflowd (Debian's package): mkfidelity's capture (both address
# families, VLANs, ICMP and ICMPv6 types and codes, TCP flags with ECE/CWR, IPv4 fragments; see
# tests/tools/mkfidelity.c) is exported as NetFlow v9 and IPFIX, received by `overflowd dump`
# over 127.0.0.1, and each record is compared
#   - with tshark's decoding of the same datagrams (lib.sh: e2e_collect, UDP and capture file);
#   - with the INPUT capture's packets (fidelity.sh: addresses of both families, ports,
#     protocol, packets, bytes, TCP flags, TOS, VLAN, ICMP type/code), and its flow times with
#     the packet times: softflowd's v9 times are uptime-relative to an export time in whole
#     seconds (the record may be up to 1 s early, never late), its IPFIX times uptime-relative
#     to systemInitTimeMilliseconds (160), each truncated to the ms (2 ms early at most).
# Sampling (-s N): softflowd counts packets 1, N+1, 2N+1, ... of the capture (the model keeps
# those, counts not scaled), and v9 sends an options record scoped by interface with
# SAMPLING_INTERVAL (34) and SAMPLING_ALGORITHM (35); IPFIX one scoped by meteringProcessId
# (143) with selectorAlgorithm
# 304 = 1 (systematic count-based), samplingPacketInterval 305 = 1 and samplingPacketSpace
# 306 = N-1: every record must carry sampling_rate N.
#
# Not producible with softflowd 1.1.0: both families in one template (it sends one template
# per family), egress counters 23/24, fragmentFlags 197, a 2-byte tcpControlBits (NS), sFlow.

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh" || exit 1
# shellcheck source=tests/e2e/fidelity.sh
. "$(dirname "${BASH_SOURCE[0]}")/fidelity.sh" || exit 1

e2e_need softflowd softflowctl
e2e_init
[ -x "$OFD_BUILD/mkfidelity" ] || e2e_die "$OFD_BUILD/mkfidelity is missing (build the tree first)"
FID_IN=$E2E_DIR/fid.pcap
FID_NPKTS=$("$OFD_BUILD/mkfidelity" "$FID_IN" | awk '{print $1}')
[ "${FID_NPKTS:-0}" -gt 0 ] || e2e_die "mkfidelity wrote no packets"
fid_packets "$FID_IN" >"$E2E_DIR/packets.txt"
[ "$(wc -l <"$E2E_DIR/packets.txt")" = "$FID_NPKTS" ] || e2e_die "tshark does not read mkfidelity's capture"
fid_expect_flows softflowd "$E2E_DIR/packets.txt" >"$E2E_DIR/expected_flows.txt"
awk 'NR % 4 == 1' "$E2E_DIR/packets.txt" >"$E2E_DIR/packets_s4.txt"
fid_expect_flows softflowd "$E2E_DIR/packets_s4.txt" >"$E2E_DIR/expected_flows_s4.txt"

# shellcheck disable=SC2317 # called through e2e_wait
sf_read() {
	softflowctl -c "$1" statistics 2>/dev/null |
		awk -v n="$2" '/Packets processed:/ { p = $3 } /Packets non-sampled:/ { s = $3 } /Ignored packets:/ { i = $3 }
			END { exit !(p + s + i == n) }'
}

# run_variant NAME COLLECT [softflowd options]: export FID_IN, collect (COLLECT: tshark, or N
# for fid_collect_own); leaves the work dir in DIR and the port in PORT.
run_variant() {
	E2E_VARIANT=softflowd-$1
	DIR=$E2E_DIR/$1
	local collect=$2
	shift 2
	mkdir "$DIR"
	PORT=$(e2e_free_port) || e2e_die "no free UDP port"
	e2e_start "$DIR" "$PORT"
	e2e_bg SF_PID softflowd -r "$FID_IN" -n "127.0.0.1:$PORT" -a -d -T vlan \
		-c "$DIR/ctl" -p "$DIR/softflowd.pid" "$@" >"$DIR/softflowd.log" 2>&1
	if ! e2e_wait "$E2E_WAIT_S" sf_read "$DIR/ctl" "$FID_NPKTS"; then
		cat "$DIR/softflowd.log"
		e2e_fail "softflowd did not read the capture within ${E2E_WAIT_S}s"
		return 1
	fi
	softflowctl -c "$DIR/ctl" expire-all >/dev/null 2>&1
	softflowctl -c "$DIR/ctl" shutdown >/dev/null 2>&1
	e2e_reap "$SF_PID" "$E2E_WAIT_S"
	if [ "$collect" = tshark ]; then
		e2e_collect "$DIR" "$PORT" cflow
	else
		fid_collect_own "$DIR" "$PORT" "$collect"
	fi
}

# check_input LO HI [SUFFIX]: overflowd's records (UDP) equal the input's flows
# (expected_flowsSUFFIX.txt), times within [LO, HI] ms.
check_input() {
	fid_ofd_flows "$DIR/out.csv" >"$DIR/got_flows.txt"
	fid_compare_flows "$E2E_DIR/expected_flows${3:-}.txt" "$DIR/got_flows.txt" "$1" "$2"
}

# check_rate N IDS: every record has sampling_rate N; the templates hold the elements IDS.
check_rate() {
	local id ids
	expect_eq "sampling_rate of every record" "$(fid_column "$DIR/out.csv" sampling_rate | tr '\n' ' ')" "$1 "
	ids=" $(fid_template_ids "$PORT" "$DIR/export.pcap" | tr '\n' ' ')"
	for id in $2; do
		case "$ids" in
		*" $id "*) echo "ok: the export's templates hold element $id" ;;
		*) e2e_fail "the export's templates lack element $id (they hold:$ids)" ;;
		esac
	done
}

NS4=$(wc -l <"$E2E_DIR/expected_flows_s4.txt")
if run_variant v9 tshark -v 9; then
	check_input -1000 1
	# no -s: softflowd still announces interval 1
	check_rate 1 "8 12 27 28 32 139 58 34 35"
fi
if run_variant ipfix tshark -v 10; then
	check_input -2 1
	check_rate 1 "8 12 27 28 32 139 58 160 304 305 306"
fi
if run_variant v9-sampled "$NS4" -v 9 -s 4; then
	check_input -1000 1 _s4
	check_rate 4 "" # tshark stops before the options template here (softflowd's v9 Count)
fi
if run_variant ipfix-sampled tshark -v 10 -s 4; then
	check_input -2 1 _s4
	check_rate 4 "304 305 306"
fi
e2e_result
