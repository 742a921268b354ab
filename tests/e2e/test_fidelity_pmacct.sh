#!/bin/bash
# Issue 12 end to end with pmacct (Debian's pmacctd): mkfidelity's capture (see
# tests/tools/mkfidelity.c) is exported by the nfprobe plugin as NetFlow v9 and IPFIX and by
# the sfprobe plugin as sFlow v5, received by `overflowd dump` over 127.0.0.1, and each record
# is compared with tshark's decoding of the same datagrams (lib.sh: e2e_collect) and with the
# INPUT capture's packets (fidelity.sh):
#   - nfprobe (v9, IPFIX): addresses of both families, ports, protocol, packets, bytes, TCP
#     flags, TOS, VLAN (58), ICMP type/code (in dst_port), absolute times (152/153, ms: at most
#     1 ms early); pmacctd_ext_sampling_rate 64 is announced the old way, an options record
#     scoped by system (v9) or exporter (IPFIX) with FLOW_SAMPLER_ID (48), MODE (49) and
#     RANDOM_INTERVAL (50), and records carrying sampler id 48: every record must have
#     sampling_rate 64, and the templates must not use 34/35 or 304-311.
#   - sfprobe: one sample per packet (sampling 1, reported rate 32 from
#     pmacctd_ext_sampling_rate): addresses, ports, protocol, frame length, TCP flags (ECE/CWR),
#     TOS / traffic class, VLAN (extended switch), ICMP type/code, IPv4 DF/MF flags and fragment
#     offset, input interface 5 and output 0x3fffffff (sfprobe_ifindex, format 0 as sent), and
#     the extended gateway from networks_file (src_as/dst_as, the AS path, next-hop AS, masks)
#     as tshark reads them.
#
# Not producible with pmacct 1.7.7: uptime-relative times (nfprobe v9/IPFIX export absolute
# 152/153, or 154/155), selector algorithm sampling (304-311), sampling scoped by interface,
# egress counters 23/24 (nfprobe_direction out only sets 61), fragmentFlags 197, ICMP
# 32/139/176-179, a 2-byte tcpControlBits (NS), both families in one template, sFlow
# communities (no BGP feed here).

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh" || exit 1
# shellcheck source=tests/e2e/fidelity.sh
. "$(dirname "${BASH_SOURCE[0]}")/fidelity.sh" || exit 1

e2e_need pmacctd
e2e_init
[ -x "$OFD_BUILD/mkfidelity" ] || e2e_die "$OFD_BUILD/mkfidelity is missing (build the tree first)"
FID_IN=$E2E_DIR/fid.pcap
FID_NPKTS=$("$OFD_BUILD/mkfidelity" "$FID_IN" | awk '{print $1}')
[ "${FID_NPKTS:-0}" -gt 0 ] || e2e_die "mkfidelity wrote no packets"
fid_packets "$FID_IN" >"$E2E_DIR/packets.txt"
[ "$(wc -l <"$E2E_DIR/packets.txt")" = "$FID_NPKTS" ] || e2e_die "tshark does not read mkfidelity's capture"
fid_expect_flows pmacct "$E2E_DIR/packets.txt" >"$E2E_DIR/expected_flows.txt"
fid_expect_samples "$E2E_DIR/packets.txt" >"$E2E_DIR/expected_samples.txt"
printf '%s\n' 64500,10.2.0.0/16 64511,192.0.2.0/24 64496,2001:db8:10::/48 64497,2001:db8:20::/48 \
	>"$E2E_DIR/networks.txt"

# run_variant NAME KIND PLUGIN-CONFIG-LINES: export FID_IN; leaves DIR and PORT. KIND cflow or
# sflow: compared with tshark (e2e_collect); a number N: fid_collect_own (for sFlow: lib.sh's
# reading takes an ICMP error's ports from its quoted header; the samples are compared with the
# input packets and the gateway data with tshark below instead).
run_variant() {
	E2E_VARIANT=pmacctd-$1
	local kind=$2 conf=$3
	DIR=$E2E_DIR/$1
	mkdir "$DIR"
	PORT=$(e2e_free_port) || e2e_die "no free UDP port"
	{
		echo "daemonize: false"
		echo "pcap_savefile: $FID_IN"
		echo "pidfile: $DIR/pmacctd.pid"
		echo "logfile: $DIR/pmacctd.log"
		printf '%s\n' "$conf" | sed "s/PORT/$PORT/g; s|NETWORKS|$E2E_DIR/networks.txt|g"
	} >"$DIR/pmacctd.conf"
	e2e_start "$DIR" "$PORT"
	e2e_bg PM_PID pmacctd -f "$DIR/pmacctd.conf" >"$DIR/pmacctd.out" 2>&1
	e2e_reap "$PM_PID" 40
	if [ "$E2E_RC" = 255 ] || [ "$E2E_RC" = 137 ]; then
		cat "$DIR/pmacctd.log" "$DIR/pmacctd.out" 2>/dev/null
		e2e_fail "pmacctd did not finish the capture within 40s"
		return 1
	fi
	case "$kind" in
	cflow | sflow) e2e_collect "$DIR" "$PORT" "$kind" ;;
	*) fid_collect_own "$DIR" "$PORT" "$kind" ;;
	esac
}

NFPROBE='plugins: nfprobe[exp]
nfprobe_receiver[exp]: 127.0.0.1:PORT
pmacctd_ext_sampling_rate: 64
aggregate[exp]: src_host, dst_host, src_port, dst_port, proto, tos, tcpflags, vlan, src_mac, dst_mac, sampling_rate
nfprobe_timeouts[exp]: tcp=1:tcp.rst=1:tcp.fin=1:udp=1:icmp=1:general=1:maxlife=60:expint=1'

# check_nfprobe: records against the input; the rate and the elements that carry it.
check_nfprobe() {
	local ids
	fid_ofd_flows "$DIR/out.csv" >"$DIR/got_flows.txt"
	fid_compare_flows "$E2E_DIR/expected_flows.txt" "$DIR/got_flows.txt" -1 0
	expect_eq "sampling_rate of every record" "$(fid_column "$DIR/out.csv" sampling_rate | tr '\n' ' ')" "64 "
	ids=" $(fid_template_ids "$PORT" "$DIR/export.pcap" | tr '\n' ' ')"
	expect_eq "sampling elements in the templates" \
		"$(echo "$ids" | tr ' ' '\n' | grep -xE '3[45]|4[89]|50|30[4-9]|31[01]' | tr '\n' ' ')" "48 49 50 "
	expect_eq "address elements (both families, one template each)" \
		"$(echo "$ids" | tr ' ' '\n' | grep -xE '8|12|27|28' | tr '\n' ' ')" "8 12 27 28 "
	expect_eq "time elements" "$(echo "$ids" | tr ' ' '\n' | grep -xE '2[12]|15[0-9]' | tr '\n' ' ')" "152 153 "
}

if run_variant v9 cflow "$NFPROBE
nfprobe_version[exp]: 9"; then
	check_nfprobe
fi
if run_variant ipfix cflow "$NFPROBE
nfprobe_version[exp]: 10"; then
	check_nfprobe
fi

# sflow_gateway PORT PCAP: tshark's extended gateway per flow sample: src dst src_as dst_as
# (the path's last AS) as_path (comma-separated) src_mask dst_mask.
sflow_gateway() {
	tshark -n -r "$2" -d "udp.port==$1,sflow" -Y "!(frame contains \"$E2E_MARK\")" -T pdml 2>/dev/null |
		awk "$E2E_AWK_LIB"'
	function emit() {
		if (inrec && f["src"] != "") {
			n = split(f["path"], p, ",")
			print f["src"], f["dst"], f["sas"], p[n], f["path"], f["sm"], f["dm"]
		}
		inrec = 0; delete f
	}
	function set(k, v) { if (!(k in f) || f[k] == "") f[k] = v }
	/^  <proto name="sflow"/ { insf = 1; next }
	/^  <\/proto>/ { emit(); insf = 0; next }
	!insf { next }
	/<field name="" show="(Flow sample|Expanded flow sample|Counters sample|Expanded counters sample)/ {
		emit(); inrec = ($0 ~ /show="(Expanded f|F)low sample/); next
	}
	!inrec || !/<field name="/ { next }
	{
		n = attr($0, "name"); v = attr($0, "show")
		if (n == "ip.src" || n == "ipv6.src") set("src", v)
		else if (n == "ip.dst" || n == "ipv6.dst") set("dst", v)
		else if (n == "sflow_245.srcAS") set("sas", v)
		else if (n == "sflow_245.dstAS") f["path"] = f["path"] == "" ? v : f["path"] "," v
		else if (n == "sflow_245.nexthop.src_mask") set("sm", v)
		else if (n == "sflow_245.nexthop.dst_mask") set("dm", v)
	}
	END { emit() }'
}

if run_variant sflow "$FID_NPKTS" 'plugins: sfprobe[exp]
sfprobe_receiver[exp]: 127.0.0.1:PORT
sfprobe_agentip[exp]: 127.0.0.1
sfprobe_sampling_rate[exp]: 1
pmacctd_ext_sampling_rate: 32
sfprobe_ifindex[exp]: 5
sfprobe_direction[exp]: in
networks_file: NETWORKS
pmacctd_as: file
pmacctd_net: file'; then
	fid_ofd_samples "$DIR/out.csv" >"$DIR/got_samples.txt"
	if diff -u --label "input capture" --label overflowd <(LC_ALL=C sort "$E2E_DIR/expected_samples.txt") \
		<(LC_ALL=C sort "$DIR/got_samples.txt"); then
		echo "ok [$E2E_VARIANT]: $FID_NPKTS samples equal the input packets (src dst proto sport dport bytes tcp_flags tos vlan icmp_type icmp_code ip_flags frag_offset)"
	else
		e2e_fail "samples differ from the input packets"
	fi
	expect_eq "sampling_rate of every sample" "$(fid_column "$DIR/out.csv" sampling_rate | tr '\n' ' ')" "32 "
	expect_eq "in_if of every sample" "$(fid_column "$DIR/out.csv" in_if | tr '\n' ' ')" "5 "
	expect_eq "out_if of every sample" "$(fid_column "$DIR/out.csv" out_if | tr '\n' ' ')" "1073741823 "
	# the IPv4 gateway data as configured in networks.txt
	expect_eq "IPv4 src_as dst_as next_hop_as src_net dst_net" \
		"$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next } $c["etype"] == "IPv4" {
			print $c["src_addr"], $c["src_as"], $c["dst_as"], $c["next_hop_as"], $c["src_net"], $c["dst_net"] }' \
			"$DIR/out.csv" | LC_ALL=C sort -u | tr '\n' ';')" \
		"10.2.0.1 64500 64511 64511 10.2.0.0/16 192.0.2.0/24;10.2.0.2 64500 64511 64511 10.2.0.0/16 192.0.2.0/24;10.2.0.3 64500 64511 64511 10.2.0.0/16 192.0.2.0/24;192.0.2.10 64511 64500 64500 192.0.2.0/24 10.2.0.0/16;"
	# every sample's gateway data (both families) as tshark reads what pmacct sent
	sflow_gateway "$PORT" "$DIR/export.pcap" | LC_ALL=C sort >"$DIR/gw_expected.txt"
	dump_gw() {
		"$OFD_BIN" dump --format json "$DIR/export.pcap" 2>/dev/null | awk '
		function str(k,   i, r) { i = index($0, "\"" k "\":"); r = substr($0, i + length(k) + 3)
			sub(/[,}].*/, "", r); gsub(/"/, "", r); return r }
		function path(   i, r) { i = index($0, "\"as_path\":["); r = substr($0, i + 11)
			sub(/\].*/, "", r); return r }
		{ s = str("src_net"); d = str("dst_net"); sub(/.*\//, "", s); sub(/.*\//, "", d)
		  print str("src_addr"), str("dst_addr"), str("src_as"), str("dst_as"), path(), s, d }'
	}
	dump_gw | LC_ALL=C sort >"$DIR/gw_got.txt"
	if [ -s "$DIR/gw_expected.txt" ] && diff -u --label "tshark (extended gateway)" --label overflowd \
		"$DIR/gw_expected.txt" "$DIR/gw_got.txt"; then
		echo "ok [$E2E_VARIANT]: extended gateway of $(wc -l <"$DIR/gw_got.txt") samples equals tshark's (src_as dst_as as_path masks)"
	else
		e2e_fail "extended gateway differs from tshark's"
	fi
fi
e2e_result
