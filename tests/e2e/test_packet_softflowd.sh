#!/bin/bash
# The packet input against softflowd (and pmacctd's nfprobe when installed; Debian's
# packages) on the same capture: mkflows' in.pcap
# (TCP connections closed by FIN or RST, DNS, NTP, syslog, ICMP echo, IPv6 TCP/UDP/ICMPv6) is
# metered by `overflowd -c packet.yml` (packet method: file -> csv) and by softflowd -r, whose
# IPFIX export `overflowd dump` receives on 127.0.0.1 (softflowd's export through our decoder
# is checked against tshark by test_softflowd.sh). The two sets of flows must be equal on
# addresses, ports, protocol, packets, bytes, TCP flags and ICMP type/code, as multisets, and
# pair up with start and end times within 1 ms (softflowd's times are its connection's, both
# directions': ours are turned into the same view for the comparison).
#
# Where they differ by design (readme): softflowd's IPFIX carries ICMP type/code in its own
# element with the ports 0, we carry type*256+code in dst_port as well (NetFlow's convention;
# checked here against icmp_type/icmp_code, then the ports are compared as 0); softflowd does
# not export the TOS in IPFIX (not compared). The capture spans nine seconds, inside every
# timeout of both, so neither splits a flow: no flow is cut by time in this comparison.

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh" || exit 1

e2e_need softflowd softflowctl
e2e_init
export E2E_VARIANT=packet-vs-softflowd
dir=$E2E_DIR/sf
mkdir "$dir"

# sf_read CTL N: softflowd has processed or ignored all N packets of the capture.
# shellcheck disable=SC2317 # called through e2e_wait
sf_read() {
	softflowctl -c "$1" statistics 2>/dev/null |
		awk -v n="$2" '/Packets processed:/ { p = $3 } /Ignored packets:/ { i = $3 }
			END { exit !(p + i == n) }'
}

# norm CSV: one line per flow: the compared fields, '|', start and end in ms.
norm() {
	awk -F, '
	function ms(ns) { return length(ns) > 6 ? substr(ns, 1, length(ns) - 6) : 0 }
	NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
	{
		sp = $c["src_port"]; dp = $c["dst_port"]
		if ($c["proto"] == "ICMP" || $c["proto"] == "IPv6-ICMP") {
			if (dp != 0 && dp != $c["icmp_type"] * 256 + $c["icmp_code"])
				printf "BAD-ICMP-PORT "
			sp = 0; dp = 0
		}
		printf "%s %s %s %s %s %s %s %s %s %s | %s %s\n", $c["src_addr"], $c["dst_addr"], sp, dp,
			$c["proto"], $c["packets"], $c["bytes"], $c["tcp_flags"], $c["icmp_type"], $c["icmp_code"],
			ms($c["time_flow_start_ns"]), ms($c["time_flow_end_ns"])
	}' "$1" | LC_ALL=C sort
}

# softflowd -> IPFIX -> overflowd dump
port=$(e2e_free_port) || e2e_die "no free UDP port"
e2e_start "$dir" "$port"
e2e_bg SF_PID softflowd -r "$E2E_DIR/in.pcap" -n "127.0.0.1:$port" -v 10 -a -A milli -d \
	-c "$dir/ctl" -p "$dir/softflowd.pid" >"$dir/softflowd.log" 2>&1
if ! e2e_wait "$E2E_WAIT_S" sf_read "$dir/ctl" "$E2E_NPKTS"; then
	# it may have read the file, exported and exited before the first poll
	e2e_dead "$SF_PID" || {
		cat "$dir/softflowd.log"
		e2e_die "softflowd did not read all of in.pcap within ${E2E_WAIT_S}s"
	}
fi
softflowctl -c "$dir/ctl" expire-all >/dev/null 2>&1
softflowctl -c "$dir/ctl" shutdown >/dev/null 2>&1
e2e_reap "$SF_PID" "$E2E_WAIT_S"
e2e_finish_capture "$dir" "$port"
e2e_norm_cflow "$port" "$dir/export.pcap" >"$dir/expected.txt"
n=$(wc -l <"$dir/expected.txt")
e2e_stop_ofd "$dir" "$n"
norm "$dir/out.csv" >"$dir/softflowd.txt"

# packet method: file -> csv
cat >"$dir/packet.yml" <<'EOF'
- segment: packet
  config:
    method: file
    source: $0
- segment: csv
EOF
"$OFD_BIN" -c "$dir/packet.yml" "$E2E_DIR/in.pcap" >"$dir/packet.csv" 2>"$dir/packet.err" ||
	{
		cat "$dir/packet.err"
		e2e_die "overflowd -c packet.yml failed"
	}
norm "$dir/packet.csv" >"$dir/packet.txt"
# softflowd keeps one pair of times per connection (both directions; ICMP types apart, as their
# "ports" differ): give ours the same view, the earliest start and the latest end of a flow and
# its reverse, to compare them exactly
awk '
	{ k = $1 " " $3 " " $2 " " $4 " " $5; r = $2 " " $4 " " $1 " " $3 " " $5
	  line[NR] = $0; key[NR] = k; s[NR] = $12; e[NR] = $13
	  if (!(k in cs) || $12 < cs[k]) cs[k] = $12
	  if (!(k in ce) || $13 > ce[k]) ce[k] = $13
	  rev[NR] = r }
	END { for (i = 1; i <= NR; i++) {
		a = cs[key[i]]; b = ce[key[i]]
		if (rev[i] in cs && line[i] !~ /ICMP/) { if (cs[rev[i]] < a) a = cs[rev[i]]; if (ce[rev[i]] > b) b = ce[rev[i]] }
		sub(/ \|.*/, "", line[i]); print line[i] " | " a " " b } }' "$dir/packet.txt" |
	LC_ALL=C sort >"$dir/packet.conn.txt"

ns=$(wc -l <"$dir/softflowd.txt")
np=$(wc -l <"$dir/packet.txt")
e2e_log "softflowd: $ns flows; packet: $np flows; in.pcap: $E2E_NPKTS packets"
[ "$ns" -ge 40 ] || e2e_fail "softflowd exported $ns flows, expected about 45"
expect_eq "flow count (packet vs softflowd)" "$np" "$ns"
expect_eq "packets in the flows (packet)" \
	"$(awk '{ s += $6 } END { print s }' "$dir/packet.txt")" "$E2E_NPKTS"
grep -q BAD-ICMP-PORT "$dir/packet.txt" && e2e_fail "an ICMP flow's dst_port is not type*256+code"
sed 's/ |.*//' "$dir/softflowd.txt" >"$dir/softflowd.keys"
sed 's/ |.*//' "$dir/packet.txt" >"$dir/packet.keys"
if ! diff -u --label softflowd --label packet "$dir/softflowd.keys" "$dir/packet.keys"; then
	e2e_fail "flows differ (src dst sport dport proto packets bytes tcp_flags icmp_type icmp_code)"
else
	echo "ok: $np flows equal on src dst sport dport proto packets bytes tcp_flags icmp_type icmp_code"
fi
if ! paste -d'|' "$dir/softflowd.txt" "$dir/packet.conn.txt" | awk -F'|' -v tol=1 '
	function abs(x) { return x < 0 ? -x : x }
	{
		split($2, e, " "); split($4, g, " ")
		ds = abs(g[1] - e[1]); de = abs(g[2] - e[2])
		if (ds > max) max = ds
		if (de > max) max = de
		if (ds > tol || de > tol) { bad++; print "time mismatch:" $1 ": softflowd " $2 " packet " $4 }
	}
	END { printf "times: max difference %d ms\n", max; exit bad > 0 }'; then
	e2e_fail "flow times differ by more than 1 ms"
fi
# pmacctd's nfprobe plugin (softflowd's flow code inside pmacct) on the same capture, when
# installed: the same flows, compared on the same fields (not on times)
if command -v pmacctd >/dev/null; then
	export E2E_VARIANT=packet-vs-pmacctd
	pdir=$E2E_DIR/pm
	mkdir "$pdir"
	port=$(e2e_free_port) || e2e_die "no free UDP port"
	e2e_start "$pdir" "$port"
	printf '%s\n' "daemonize: false" "pcap_savefile: $E2E_DIR/in.pcap" "plugins: nfprobe[exp]" \
		"nfprobe_receiver[exp]: 127.0.0.1:$port" "nfprobe_version[exp]: 10" >"$pdir/pmacctd.conf"
	# it exports every flow and exits at the end of the file
	timeout "$E2E_WAIT_S" pmacctd -f "$pdir/pmacctd.conf" >"$pdir/pmacctd.log" 2>&1 ||
		e2e_log "pmacctd exited with status $?"
	e2e_finish_capture "$pdir" "$port"
	e2e_norm_cflow "$port" "$pdir/export.pcap" >"$pdir/expected.txt"
	e2e_stop_ofd "$pdir" "$(wc -l <"$pdir/expected.txt")"
	norm "$pdir/out.csv" | sed 's/ |.*//' >"$pdir/pmacctd.keys"
	if ! diff -u --label pmacctd --label packet "$pdir/pmacctd.keys" "$dir/packet.keys"; then
		e2e_fail "flows differ from pmacctd's"
	else
		echo "ok: $(wc -l <"$pdir/pmacctd.keys") flows equal to pmacctd nfprobe's on the same fields"
	fi
else
	e2e_log "pmacctd not installed: its comparison skipped"
fi
e2e_result
