# shellcheck shell=bash
# Shared functions of the exporter fidelity tests (tests/e2e/test_fidelity_*.sh; source it after
# lib.sh). Where lib.sh compares overflowd with tshark's decoding of the same export datagrams,
# these compare overflowd's records with the INPUT capture the exporter was fed (mkfidelity's
# packets, read by tshark), under a model of what each exporter does with them:
#
#   softflowd  one record per direction and 5-tuple; ICMP: ports 0, type/code in 32/139; a
#              non-first IPv4 fragment is a flow of its own without ports; IPv6 traffic class is
#              not exported (0); times per direction.
#   pmacct     (nfprobe) the same, but ICMP type/code in dst_port (type*256+code); a non-first
#              fragment is counted in its datagram's flow (ports of the first fragment, by IP
#              id); both directions of a conversation carry the conversation's first and last
#              time, and the direction that did not start it TOS 0.
#
# Normalised flow line: src dst proto sport dport packets bytes tcp_flags tos vlan icmp_type
# icmp_code | start_ms end_ms (bytes: IP total length; ms: the packet time truncated).
# Normalised sFlow sample line: src dst proto sport dport bytes tcp_flags tos vlan icmp_type
# icmp_code ip_flags frag_offset (bytes: frame length + 4, the FCS pmacct's sfprobe adds;
# frag_offset in 8-byte units; tcp_flags the low 8 bits on both sides: overflowd's packet parser
# reads the NS bit (0x100) only from the psamp branch on; then compare % 512).

# fid_packets PCAP: one line per packet of the input capture: t_us vlan src dst proto sport
# dport iplen tos tcpflags icmp_type icmp_code ipflags fragoff ipid framelen (first occurrence
# of each field: an ICMP error's quoted header is not read).
fid_packets() {
	tshark -n -r "$1" -o ip.defragment:FALSE -T fields -E occurrence=f -E separator=, \
		-e frame.time_epoch -e vlan.id -e ip.src -e ipv6.src -e ip.dst -e ipv6.dst -e ip.proto \
		-e ipv6.nxt -e ip.len -e ipv6.plen -e ip.dsfield -e ipv6.tclass -e tcp.srcport \
		-e udp.srcport -e tcp.dstport -e udp.dstport -e tcp.flags -e icmp.type -e icmp.code \
		-e icmpv6.type -e icmpv6.code -e ip.flags -e ip.frag_offset -e ip.id -e frame.len 2>/dev/null |
		awk -F, "$E2E_AWK_LIB"'
	function us(s,   p) { p = index(s, "."); return substr(s, 1, p - 1) substr(substr(s, p + 1) "000000", 1, 6) }
	{
		v6 = ($3 == "")
		proto = v6 ? $8 : $7
		len = v6 ? $10 + 40 : $9
		tos = v6 ? hexval($12) : hexval($11)
		it = v6 ? $20 : $18; ic = v6 ? $21 : $19
		sp = ($13 != "" ? $13 : $14) + 0; dp = ($15 != "" ? $15 : $16) + 0
		if (proto == 1 || proto == 58) { sp = 0; dp = 0 }
		printf "%s %d %s %s %d %d %d %d %d %d %d %d %d %d %d %d\n", us($1), $2, v6 ? $4 : $3,
			v6 ? $6 : $5, proto, sp, dp, len, tos, hexval($17), it, ic,
			v6 ? 0 : hexval($22), $23, v6 ? 0 : hexval($24), $25
	}'
}

# fid_expect_flows MODEL PACKETS: the flow records MODEL (softflowd or pmacct) should export
# for the packet lines in file PACKETS (see the header).
fid_expect_flows() {
	awk -v model="$1" '
	function bor(a, b,   r, m) { # a | b for 8-bit values (mawk has no or())
		r = 0
		for (m = 1; m < 256; m *= 2) if (int(a / m) % 2 || int(b / m) % 2) r += m
		return r
	}
	{
		t = $1; src = $3; dst = $4; proto = $5; sp = $6; dp = $7; tos = $9; ipid = $15
		if ($14 > 0) { # a non-first fragment
			if (model == "pmacct") { k = src " " dst " " proto " " ipid; sp = fsp[k]; dp = fdp[k] }
			else { sp = 0; dp = 0 }
		} else if ($13 % 2 == 1) { # the first fragment (MF)
			k = src " " dst " " proto " " ipid; fsp[k] = sp; fdp[k] = dp
		}
		if (model == "pmacct" && (proto == 1 || proto == 58)) dp = $11 * 256 + $12
		if (index(src, ":")) tos = 0
		key = src " " dst " " proto " " sp " " dp
		if (!(key in pk)) {
			order[++n] = key; first[key] = t; tosk[key] = tos; vlan[key] = $2
			it[key] = $11; ic[key] = $12
			conv = src < dst ? key : dst " " src " " proto " " dp " " sp
			convof[key] = conv
			if (!(conv in cfirst)) { cfirst[conv] = t; starter[conv] = key }
		}
		pk[key]++; by[key] += $8; fl[key] = bor(fl[key], $10 % 256); last[key] = t
		c = convof[key]; if (t > clast[c]) clast[c] = t
	}
	END {
		for (i = 1; i <= n; i++) {
			k = order[i]; s = first[k]; e = last[k]; tos = tosk[k]
			if (model == "pmacct") {
				c = convof[k]; s = cfirst[c]; e = clast[c]
				if (starter[c] != k) tos = 0
			}
			printf "%s %d %d %d %d %d %d %d | %.0f %.0f\n", k, pk[k], by[k], fl[k], tos, vlan[k],
				it[k], ic[k], int(s / 1000), int(e / 1000)
		}
	}' "$2"
}

# fid_expect_samples PACKETS: the sFlow samples (one per packet, sampling rate 1).
fid_expect_samples() {
	awk '{ printf "%s %s %d %d %d %d %d %d %d %d %d %d %d\n", $3, $4, $5, $6, $7, $16 + 4, $10 % 512,
		$9, $2, $11, $12, $13, $14 }' "$1"
}

# fid_ofd_samples CSV: overflowd's CSV records as normalised sFlow sample lines.
fid_ofd_samples() {
	awk -F, '
	BEGIN { n = split("ICMP 1 TCP 6 UDP 17 IPv6-ICMP 58", a, " "); for (i = 1; i < n; i += 2) pn[a[i]] = a[i + 1] }
	NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
	{
		p = $c["proto"]; if (p in pn) p = pn[p]
		printf "%s %s %d %d %d %d %d %d %d %d %d %d %d\n", $c["src_addr"], $c["dst_addr"], p,
			$c["src_port"], $c["dst_port"], $c["bytes"], $c["tcp_flags"] % 512, $c["ip_tos"],
			$c["vlan_id"], $c["icmp_type"], $c["icmp_code"], $c["ip_flags"], $c["fragment_offset"]
	}' "$1"
}

# fid_ofd_flows CSV: overflowd's CSV records as normalised flow lines.
fid_ofd_flows() {
	awk -F, '
	function ms(ns) { return length(ns) > 6 ? substr(ns, 1, length(ns) - 6) : 0 }
	BEGIN { n = split("ICMP 1 TCP 6 UDP 17 IPv6-ICMP 58", a, " "); for (i = 1; i < n; i += 2) pn[a[i]] = a[i + 1] }
	NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
	{
		p = $c["proto"]; if (p in pn) p = pn[p]
		printf "%s %s %d %d %d %s %s %d %d %d %d %d | %s %s\n", $c["src_addr"], $c["dst_addr"], p,
			$c["src_port"], $c["dst_port"], $c["packets"], $c["bytes"], $c["tcp_flags"],
			$c["ip_tos"], $c["vlan_id"], $c["icmp_type"], $c["icmp_code"],
			ms($c["time_flow_start_ns"]), ms($c["time_flow_end_ns"])
	}' "$1"
}

# fid_compare_flows EXPECTED GOT LO HI: the lines before '|' equal as multisets, and after
# pairing in sorted order each start and end time of GOT minus EXPECTED lies in [LO, HI] ms.
fid_compare_flows() {
	local exp=$1 got=$2 lo=$3 hi=$4
	LC_ALL=C sort "$exp" >"$exp.sorted"
	LC_ALL=C sort "$got" >"$got.sorted"
	if ! diff -u --label "input capture (model)" --label "overflowd" <(sed 's/ |.*//' "$exp.sorted") \
		<(sed 's/ |.*//' "$got.sorted"); then
		e2e_fail "records differ from the input capture (src dst proto sport dport packets bytes tcp_flags tos vlan icmp_type icmp_code)"
		return
	fi
	if ! paste -d'|' "$exp.sorted" "$got.sorted" | awk -F'|' -v lo="$lo" -v hi="$hi" '
	{
		split($2, e, " "); split($4, g, " ")
		ds = g[1] - e[1]; de = g[2] - e[2]
		if (ds < min || NR == 1) min = ds
		if (ds > max || NR == 1) max = ds
		if (de < min) min = de
		if (de > max) max = de
		if (ds < lo || ds > hi || de < lo || de > hi) {
			printf "time off:%s: packet times %s..%s ms, overflowd %s..%s\n", $1, e[1], e[2], g[1], g[2]
			bad++
		}
	}
	END {
		printf "times: %d records, overflowd minus packet time %d..%d ms (allowed %d..%d)\n", NR, min, max, lo, hi
		exit bad > 0
	}'; then
		e2e_fail "flow times outside the exporter's resolution"
	fi
	echo "ok [$E2E_VARIANT]: $(wc -l <"$exp") records equal the input capture's flows"
}

# fid_column CSV NAME: the distinct values of column NAME, one a line, sorted.
fid_column() {
	awk -F, -v name="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == name) c = i; next } { print $c }' "$1" |
		LC_ALL=C sort -u
}

# fid_template_ids PORT PCAP: the information element ids in the export's templates (data and
# options, scope fields included), one a line, sorted numerically, deduplicated.
fid_template_ids() {
	tshark -n -r "$2" -d "udp.port==$1,cflow" -T fields -e cflow.template_field_type \
		-e cflow.template_ipfix_field_type -e cflow.scope_field_type 2>/dev/null | tr ',\t' '\n' | grep -v '^$' | sort -nu
}

# fid_collect_own DIR PORT N: lib.sh's e2e_collect without tshark's view, for an export tshark
# cannot read: softflowd's v9 Count holds its data records only and tshark 4.0 stops after
# Count flowsets; lib.sh's sFlow reading takes an ICMP error's ports from the quoted header.
# Stops the capture and overflowd after N records (the summary must say N and no drops);
# reading the recorded capture must give the same records (all columns but the receive time and
# the flow times, which sFlow takes from the receive time).
fid_collect_own() {
	local dir=$1 port=$2 n=$3
	e2e_finish_capture "$dir" "$port"
	e2e_stop_ofd "$dir" "$n"
	e2e_check_summary "$dir" err.txt "$n"
	"$OFD_BIN" dump --format csv "$dir/export.pcap" >"$dir/file.csv" 2>"$dir/file.err" ||
		e2e_fail "overflowd dump export.pcap failed"
	e2e_check_summary "$dir" file.err "$n"
	expect_eq "records from the capture file (all but the receive and flow times)" \
		"$(cut -d, -f1,3-5,8- "$dir/file.csv" | LC_ALL=C sort | md5sum)" \
		"$(cut -d, -f1,3-5,8- "$dir/out.csv" | LC_ALL=C sort | md5sum)"
}
