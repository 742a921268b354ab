# shellcheck shell=bash
# Shared functions of the end-to-end tests (source it from tests/e2e/test_*.sh).
#
# A test writes a synthetic capture with mkflows, has a real exporter (softflowd, pmacctd) turn
# it into NetFlow v5/v9, IPFIX or sFlow sent to 127.0.0.1:PORT, where `overflowd dump` listens
# and tcpdump records the datagrams. tshark then decodes the recorded datagrams and the two
# decodings are compared record by record; `overflowd dump export.pcap` (the capture reader)
# must give the same records again. overflowd's stderr summary must show no drops.
#
# tshark is read as PDML, not -T fields: with -T fields the records of a datagram come
# comma-separated per field, and a field missing from some records (no ports in an ICMP
# template) would shift the others.
#
# Environment (set by ctest): OFD_BIN (overflowd), OFD_BUILD (build dir, holds mkflows),
# OFD_SRC, OFD_DATA. Exit codes: 0 pass, 1 fail, 77 skip (a peer tool is missing or unusable).
#
# No fixed sleeps: every wait is a bounded loop polling a condition (e2e_wait).
#
# What is compared, per record (the normalised form, one line per record):
#   src_addr dst_addr src_port dst_port proto packets bytes tcp_flags in_if out_if ip_tos
#   icmp_type icmp_code | start_ms end_ms
# The fields before '|' must match exactly, as sorted multisets. Flow start and end times are
# compared as absolute wall-clock milliseconds, within E2E_TIME_TOL_MS (default 1000), after
# pairing the two sorted lists. tshark's view of the times is rebuilt from the raw fields:
#   NetFlow v5:  export time (unix_secs + unix_nsecs) - (sysUptime - First/Last) mod 2^32 ms
#   NetFlow v9:  export time (unix_secs)              - (sysUptime - First/Last) mod 2^32 ms
#   IPFIX:       systemInitTimeMilliseconds (options record) + flowStart/EndSysUpTime
#   absolute     flowStart/End{Seconds,Milliseconds,...} as they are (v9 or IPFIX)
#   sFlow:       no flow times in sFlow; not compared.
# ICMP: where the exporter sends an ICMP type/code field tshark's value is expected in
# icmp_type/icmp_code; otherwise (NetFlow v5) type and code come from dst_port (type*256+code).
# Ports are compared as exported (0 when the record has no port fields).

set -u

E2E_PIDS=""
E2E_DIR=""
E2E_TIME_TOL_MS=${E2E_TIME_TOL_MS:-1000}
E2E_WAIT_S=${E2E_WAIT_S:-20}
E2E_FAILED=""
# The 24-byte NetFlow v5 header with count 0 sent after an export: once tcpdump has written
# it, every datagram of the export is in the capture. overflowd decodes it to no records and
# counts no drop; tshark output is filtered on it.
E2E_MARK=OFDE2EMK

e2e_log() { printf 'e2e: %s\n' "$*" >&2; }
e2e_skip() {
	echo "SKIP: $*"
	exit 77
}
e2e_die() {
	echo "FAIL: $*"
	exit 1
}

# Kill every background process this test started (each runs in its own process group).
e2e_cleanup() {
	local p i
	for p in $E2E_PIDS; do
		kill -TERM -- "-$p" 2>/dev/null || kill -TERM "$p" 2>/dev/null
	done
	for p in $E2E_PIDS; do
		for i in $(seq 1 30); do
			kill -0 "$p" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL -- "-$p" 2>/dev/null || kill -KILL "$p" 2>/dev/null
	done
	E2E_PIDS=""
	wait 2>/dev/null
	if [ -n "$E2E_DIR" ] && [ -z "${E2E_KEEP:-}" ]; then
		rm -rf "$E2E_DIR"
	elif [ -n "$E2E_DIR" ]; then
		echo "e2e: kept $E2E_DIR" >&2
	fi
}

# e2e_need TOOL...: skip the test when a tool is missing.
e2e_need() {
	local t
	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 || e2e_skip "$t is not installed (make deps-peers)"
	done
}

# e2e_wait SECONDS COMMAND...: poll COMMAND every 0.1 s until it succeeds; 1 on time-out.
e2e_wait() {
	local n=$(($1 * 10))
	shift
	while [ "$n" -gt 0 ]; do
		"$@" && return 0
		sleep 0.1
		n=$((n - 1))
	done
	"$@"
}

# e2e_bg PIDVAR COMMAND...: start COMMAND in the background in its own process group (with
# the caller's redirections), remember it for the cleanup and store its pid in PIDVAR.
e2e_bg() {
	local var=$1
	shift
	setsid "$@" &
	local pid=$!
	E2E_PIDS="$E2E_PIDS $pid"
	printf -v "$var" '%s' "$pid"
}

e2e_dead() { ! kill -0 "$1" 2>/dev/null; }

# e2e_reap PID SECONDS: wait (bounded) for PID to exit; sets E2E_RC to its exit status, 255
# if it had to be killed. (Not in a subshell: only the parent shell can wait for it.)
e2e_reap() {
	local pid=$1 p rest=""
	if ! e2e_wait "$2" e2e_dead "$pid"; then
		kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null
	E2E_RC=$?
	e2e_dead "$pid" || E2E_RC=255
	for p in $E2E_PIDS; do
		[ "$p" = "$pid" ] || rest="$rest $p"
	done
	E2E_PIDS=$rest
}

# e2e_init: check the environment, make the work directory and the input capture.
e2e_init() {
	: "${OFD_BIN:?OFD_BIN must name the overflowd binary}"
	: "${OFD_BUILD:?OFD_BUILD must name the build directory}"
	[ -x "$OFD_BIN" ] || e2e_die "OFD_BIN=$OFD_BIN is not executable"
	[ -x "$OFD_BUILD/mkflows" ] || e2e_die "$OFD_BUILD/mkflows is missing (build the tree first)"
	e2e_need tshark tcpdump ss awk sort diff setsid
	E2E_DIR=$(mktemp -d "${TMPDIR:-/tmp}/ofd-e2e.XXXXXX") || e2e_die "mktemp failed"
	trap e2e_cleanup EXIT
	trap 'exit 1' INT TERM HUP
	E2E_NPKTS=$("$OFD_BUILD/mkflows" "$E2E_DIR/in.pcap" | awk '{print $1}')
	if [ -z "$E2E_NPKTS" ] || [ "$E2E_NPKTS" -le 0 ]; then
		e2e_die "mkflows wrote no packets"
	fi
	e2e_log "work dir $E2E_DIR, in.pcap: $E2E_NPKTS packets"
}

# e2e_free_port: print a port no TCP or UDP socket uses (a different start per process).
e2e_free_port() {
	local start=$(((${$} * 37 + RANDOM) % 12000)) i p
	# below the kernel's ephemeral range (32768-60999 by default), so that no client socket of
	# a test running beside this one takes the port between this check and the bind; any
	# socket on the port, TCP or UDP, in any state, makes it taken
	for i in $(seq 0 500); do
		p=$((20000 + (start + i * 97) % 12000))
		if [ -z "$(ss -Hantu "sport = :$p" 2>/dev/null)" ]; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

e2e_listening() { [ -n "$(ss -Hlun "sport = :$1" 2>/dev/null)" ]; }

# e2e_start DIR PORT: start tcpdump (DIR/export.pcap) and overflowd (DIR/out.csv, DIR/err.txt)
# on 127.0.0.1:PORT and wait until both are ready. Sets TCPDUMP_PID and OFD_PID.
e2e_start() {
	local dir=$1 port=$2
	# Immediate mode gives each packet a ring slot sized for the snap length: keep it small and
	# the buffer large, so that a burst of export datagrams is not dropped.
	e2e_bg TCPDUMP_PID tcpdump -i lo -n --immediate-mode -U -s 9216 -B 16384 -Z root -w "$dir/export.pcap" \
		"udp and dst port $port" 2>"$dir/tcpdump.err"
	if ! e2e_wait "$E2E_WAIT_S" grep -q "listening on" "$dir/tcpdump.err"; then
		cat "$dir/tcpdump.err"
		if grep -qi "permission\|not permitted" "$dir/tcpdump.err"; then
			e2e_skip "tcpdump cannot capture on lo here (needs CAP_NET_RAW)"
		fi
		e2e_die "tcpdump did not start"
	fi
	e2e_bg OFD_PID "$OFD_BIN" dump --format csv "udp://127.0.0.1:$port" >"$dir/out.csv" 2>"$dir/err.txt"
	if ! e2e_wait "$E2E_WAIT_S" e2e_listening "$port" || e2e_dead "$OFD_PID"; then
		cat "$dir/err.txt"
		e2e_die "overflowd did not start listening on 127.0.0.1:$port"
	fi
}

e2e_has_mark() { grep -qa "$E2E_MARK" "$1"; }

# e2e_finish_capture DIR PORT: send the end marker and wait until tcpdump has written it.
e2e_finish_capture() {
	local dir=$1 port=$2
	printf '\000\005\000\000%s\000\000\000\000\000\000\000\000\000\000\000\000' "$E2E_MARK" \
		>"/dev/udp/127.0.0.1/$port" || e2e_die "cannot send the end marker"
	e2e_wait "$E2E_WAIT_S" e2e_has_mark "$dir/export.pcap" ||
		e2e_die "tcpdump did not record the end marker within ${E2E_WAIT_S}s"
	kill -INT "$TCPDUMP_PID" 2>/dev/null
	e2e_reap "$TCPDUMP_PID" 10
	[ "$E2E_RC" = 0 ] || e2e_log "tcpdump exited with $E2E_RC"
	if grep -q "^[1-9][0-9]* packets\? dropped by kernel" "$dir/tcpdump.err"; then
		cat "$dir/tcpdump.err"
		e2e_fail "tcpdump lost datagrams: the reference capture is incomplete"
	fi
}

e2e_csv_has() { [ "$(($(wc -l <"$1") - 1))" -ge "$2" ]; }

# e2e_stop_ofd DIR NRECORDS: wait (bounded) until overflowd printed NRECORDS records, then
# stop it with SIGTERM, which makes it flush and print its summary to err.txt.
e2e_stop_ofd() {
	local dir=$1 n=$2
	e2e_wait "$E2E_WAIT_S" e2e_csv_has "$dir/out.csv" "$n" ||
		e2e_log "overflowd printed $(($(wc -l <"$dir/out.csv") - 1)) of $n records within ${E2E_WAIT_S}s"
	kill -TERM "$OFD_PID" 2>/dev/null
	e2e_reap "$OFD_PID" 10
	[ "$E2E_RC" = 0 ] || e2e_fail "overflowd exited with status $E2E_RC"
}

# expect_eq WHAT GOT WANT: marks the variant failed unless GOT equals WANT; says what was checked.
expect_eq() {
	if [ "$2" != "$3" ]; then
		e2e_fail "$1: got '$2', want '$3'"
	else
		echo "ok: $1 = $3"
	fi
}

# Marks the current variant failed; the test exits 1 at the end (e2e_result).
e2e_fail() {
	echo "FAIL [$E2E_VARIANT]: $*"
	case " $E2E_FAILED " in
	*" $E2E_VARIANT "*) ;;
	*) E2E_FAILED="$E2E_FAILED $E2E_VARIANT" ;;
	esac
}

e2e_result() {
	if [ -n "$E2E_FAILED" ]; then
		echo "FAILED variants:$E2E_FAILED"
		exit 1
	fi
	echo "PASS: all variants"
	exit 0
}

# The awk helpers shared by both normalisers.
E2E_AWK_LIB='
function hexval(h,   i, v, c) {
	h = tolower(h); sub(/^0x/, "", h); v = 0
	for (i = 1; i <= length(h); i++) {
		c = index("0123456789abcdef", substr(h, i, 1))
		if (!c) return -1
		v = v * 16 + c - 1
	}
	return v
}
# "3.489000000" (seconds) -> 3489 (ms), without floating point
function rel_ms(s,   p, fr) {
	p = index(s, ".")
	if (!p) return s * 1000
	fr = substr(substr(s, p + 1) "000", 1, 3)
	return substr(s, 1, p - 1) * 1000 + fr
}
function days_from_civil(y, m, d,   era, yoe, doy, doe) {
	y -= (m <= 2)
	era = int((y >= 0 ? y : y - 399) / 400)
	yoe = y - era * 400
	doy = int((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1
	doe = yoe * 365 + int(yoe / 4) - int(yoe / 100) + doy
	return era * 146097 + doe - 719468
}
# "Nov 14, 2023 22:13:20.700000000 UTC" -> ms since the epoch; "" if not in that form
function abs_ms(s,   a, n, m) {
	n = split(s, a, /[ ,:.]+/)
	if (n < 7 || a[n] != "UTC") return ""
	m = index("JanFebMarAprMayJunJulAugSepOctNovDec", a[1])
	if (!m) return ""
	m = (m + 2) / 3
	return (((days_from_civil(a[3] + 0, m, a[2] + 0) * 24 + a[4]) * 60 + a[5]) * 60 + a[6]) * 1000 \
		+ (n >= 8 ? substr(a[7] "000", 1, 3) : 0)
}
function attr(s, a,   i, r) {
	i = index(s, " " a "=\"")
	if (!i) return ""
	r = substr(s, i + length(a) + 3)
	return substr(r, 1, index(r, "\"") - 1)
}
'

# e2e_norm_cflow PORT PCAP: tshark's NetFlow/IPFIX decoding of PCAP, one normalised record a
# line (see the header). Reads tshark's PDML so that each record's fields stay together even
# when templates differ (tshark -T fields would run the records of a datagram together).
e2e_norm_cflow() {
	tshark -n -r "$2" -d "udp.port==$1,cflow" -Y "!(frame contains \"$E2E_MARK\")" -T pdml 2>/dev/null |
		awk "$E2E_AWK_LIB"'
	function emit(   src, dst, ic, it, icc, s, e, d) {
		if (!inrec) return
		inrec = 0
		src = f["cflow.srcaddr"] != "" ? f["cflow.srcaddr"] : f["cflow.srcaddrv6"]
		dst = f["cflow.dstaddr"] != "" ? f["cflow.dstaddr"] : f["cflow.dstaddrv6"]
		if (src == "") return # options records and the like
		it = 0; icc = 0
		if (f["proto"] == 1 || f["proto"] == 58) {
			if (f["icmptc"] != "") { it = int(f["icmptc"] / 256); icc = f["icmptc"] % 256 }
			else if (f["icmpt"] != "") { it = f["icmpt"]; icc = f["icmpc"] + 0 }
			else { it = int(f["cflow.dstport"] / 256); icc = f["cflow.dstport"] % 256 }
		}
		s = "-"; e = "-"
		if (f["abs_s"] != "") { s = f["abs_s"]; e = f["abs_e"] }
		else if (f["rel_s"] != "" && version == 10) {
			if (init_ms != "") { s = init_ms + f["rel_s"]; e = init_ms + f["rel_e"] }
		} else if (f["rel_s"] != "") {
			d = (uptime - f["rel_s"]) % 4294967296; if (d < 0) d += 4294967296
			s = export_ms - d
			d = (uptime - f["rel_e"]) % 4294967296; if (d < 0) d += 4294967296
			e = export_ms - d
		}
		printf "%s %s %d %d %d %.0f %.0f %d %.0f %.0f %d %d %d |", src, dst,
			f["cflow.srcport"], f["cflow.dstport"], f["proto"], f["cflow.packets"],
			f["cflow.octets"], f["flags"], f["cflow.inputint"], f["cflow.outputint"],
			f["tos"], it, icc
		if (s == "-" || e == "-") print " - -"
		else printf " %.0f %.0f\n", s, e
	}
	/<packet>/ { emit(); version = ""; uptime = 0; export_ms = 0; nsecs = 0 }
	/<\/proto>/ { emit() }
	/<field name="" show="(Flow [0-9]|pdu [0-9])/ { emit(); inrec = 1; delete f; next }
	/<field name="" show="(FlowSet|Set) / { emit(); next }
	/<field name="cflow\./ {
		n = attr($0, "name"); v = attr($0, "show")
		if (n == "cflow.version") version = v
		else if (n == "cflow.sysuptime") uptime = rel_ms(v)
		else if (n == "cflow.unix_secs") export_ms = v * 1000 + int(nsecs / 1000000)
		else if (n == "cflow.unix_nsecs") { nsecs = v; export_ms += int(v / 1000000) }
		else if (n == "cflow.sys_init_time") init_ms = abs_ms(v)
		else if (!inrec) next
		else if (n == "cflow.protocol") f["proto"] = v
		else if (n == "cflow.tcpflags") f["flags"] = hexval(v)
		else if (n == "cflow.tos") f["tos"] = hexval(v)
		else if (n ~ /^cflow\.icmp_type_code/) f["icmptc"] = hexval(v)
		else if (n ~ /^cflow\.icmp_ipv[46]_type$/) f["icmpt"] = v
		else if (n ~ /^cflow\.icmp_ipv[46]_code$/) f["icmpc"] = v
		else if (n == "cflow.timestart") f["rel_s"] = rel_ms(v)
		else if (n == "cflow.timeend") f["rel_e"] = rel_ms(v)
		# tshark 4.0 shows a FIRST/LAST_SWITCHED of 0 as an absolute time of 0 (1970-01-01):
		# read that as the relative time 0 it is
		else if (n == "cflow.abstimestart") { v = abs_ms(v); if (v == 0) f["rel_s"] = 0; else f["abs_s"] = v }
		else if (n == "cflow.abstimeend") { v = abs_ms(v); if (v == 0) f["rel_e"] = 0; else f["abs_e"] = v }
		else f[n] = v
	}
	END { emit() }
	'
}

# e2e_norm_sflow PORT PCAP: tshark's sFlow decoding of PCAP, one normalised record per flow
# sample: addresses, protocol, ports, TCP flags, TOS and ICMP type/code from the first IP
# header of the sampled packet; bytes = the sample's frame length, packets = 1 (the sampling
# rate is not multiplied in), in_if/out_if from the sample as tshark shows them (format 0, a
# single ifIndex, as sent: 0x3fffffff, traffic the device originates or terminates, stays
# 1073741823 as in goflow2), where a non-zero format (discard, several interfaces) counts as
# absent (0), as overflowd's decoder documents; no times (sFlow has none).
e2e_norm_sflow() {
	tshark -n -r "$2" -d "udp.port==$1,sflow" -Y "!(frame contains \"$E2E_MARK\")" -T pdml 2>/dev/null |
		awk "$E2E_AWK_LIB"'
	function emit() {
		if (!inrec) return
		inrec = 0
		if (f["src"] == "") return # a sample without an IP packet
		if (f["outfmt"] != 0) f["out"] = 0
		# ports are the packet'"'"'s own: not those of a header quoted inside an ICMP error
		if (f["proto"] != 6 && f["proto"] != 17) { f["sport"] = 0; f["dport"] = 0 }
		printf "%s %s %d %d %d %d %d %d %d %d %d %d %d | - -\n", f["src"], f["dst"], f["sport"],
			f["dport"], f["proto"], 1, f["bytes"], f["flags"], f["in"], f["out"], f["tos"],
			f["it"], f["ic"]
	}
	function set(k, v) { if (!(k in f) || f[k] == "") f[k] = v }
	/^  <proto name="sflow"/ { insf = 1; next }
	/^  <\/proto>/ { emit(); insf = 0; next }
	!insf { next }
	/<field name="" show="(Flow sample|Expanded flow sample|Counters sample|Expanded counters sample)/ {
		emit(); delete f; inrec = ($0 ~ /show="(Expanded f|F)low sample/); next
	}
	!inrec || !/<field name="/ { next }
	{
		n = attr($0, "name"); v = attr($0, "show")
		if (n ~ /input_interface(_value)?$/) set("in", v)
		else if (n ~ /output_interface_value$/) set("out", v)
		else if (n ~ /output_interface_format$/) set("outfmt", v)
		else if (n == "sflow_245.header.frame_length") set("bytes", v)
		else if (n == "ip.src" || n == "ipv6.src") set("src", v)
		else if (n == "ip.dst" || n == "ipv6.dst") set("dst", v)
		else if (n == "ip.proto" || n == "ipv6.nxt") set("proto", v)
		else if (n == "ip.dsfield" || n == "ipv6.tclass") set("tos", hexval(v))
		else if (n == "tcp.srcport" || n == "udp.srcport") set("sport", v)
		else if (n == "tcp.dstport" || n == "udp.dstport") set("dport", v)
		else if (n == "tcp.flags") set("flags", hexval(v))
		else if (n == "icmp.type" || n == "icmpv6.type") set("it", v)
		else if (n == "icmp.code" || n == "icmpv6.code") set("ic", v)
	}
	'
}

# e2e_norm_ofd CSV: overflowd's CSV in the same normalised form.
e2e_norm_ofd() {
	awk -F, "$E2E_AWK_LIB"'
	function ms(ns) { return length(ns) > 6 ? substr(ns, 1, length(ns) - 6) : 0 }
	BEGIN {
		n = split("HOPOPT 0 ICMP 1 IGMP 2 IPv4 4 TCP 6 UDP 17 IPv6 41 GRE 47 ESP 50 AH 51 IPv6-ICMP 58 OSPFIGP 89 PIM 103 VRRP 112 SCTP 132", a, " ")
		for (i = 1; i < n; i += 2) pn[a[i]] = a[i + 1]
	}
	NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
	{
		p = $c["proto"]; if (p in pn) p = pn[p]
		printf "%s %s %d %d %d %s %s %d %s %s %d %d %d | %s %s\n", $c["src_addr"], $c["dst_addr"],
			$c["src_port"], $c["dst_port"], p, $c["packets"], $c["bytes"], $c["tcp_flags"],
			$c["in_if"], $c["out_if"], $c["ip_tos"], $c["icmp_type"], $c["icmp_code"],
			ms($c["time_flow_start_ns"]), ms($c["time_flow_end_ns"])
	}' "$1"
}

# e2e_compare DIR NAME: compare DIR/expected.txt (tshark) with DIR/NAME.txt (overflowd).
e2e_compare() {
	local dir=$1 got=$2 ne ng
	ne=$(wc -l <"$dir/expected.txt")
	ng=$(wc -l <"$dir/$got.txt")
	LC_ALL=C sort "$dir/expected.txt" >"$dir/expected.sorted"
	LC_ALL=C sort "$dir/$got.txt" >"$dir/$got.sorted"
	sed 's/ |.*//' "$dir/expected.sorted" >"$dir/expected.keys"
	sed 's/ |.*//' "$dir/$got.sorted" >"$dir/$got.keys"
	if [ "$ne" -eq 0 ]; then
		e2e_fail "tshark found no flow records in the export"
		return
	fi
	if [ "$ne" -ne "$ng" ]; then
		e2e_fail "$got: record count: tshark $ne, overflowd $ng"
	fi
	if ! diff -u --label "tshark ($ne records)" --label "overflowd $got ($ng records)" \
		"$dir/expected.keys" "$dir/$got.keys" >"$dir/$got.diff"; then
		e2e_fail "$got: records differ (src dst sport dport proto packets bytes tcp_flags in_if out_if tos icmp_type icmp_code):"
		cat "$dir/$got.diff"
		return
	fi
	# Same keys: pair the records in sorted order (ties sorted by their times) and compare times.
	if ! paste -d"|" "$dir/expected.sorted" "$dir/$got.sorted" | awk -F'|' -v tol="$E2E_TIME_TOL_MS" -v got="$got" '
	function abs(x) { return x < 0 ? -x : x }
	{
		split($2, e, " "); split($4, g, " ")
		if (e[1] == "-" || e[2] == "-") { untimed++; next }
		timed++
		ds = abs(g[1] - e[1]); de = abs(g[2] - e[2])
		if (ds > max) max = ds
		if (de > max) max = de
		if ((ds > tol || de > tol) && ++bad <= 20) {
			printf "time mismatch:%s: tshark start %s end %s, overflowd start %s end %s (ms)\n", $1, e[1], e[2], g[1], g[2]
		}
	}
	END {
		printf "%s times: %d compared, %d not exported, max difference %d ms, %d beyond %d ms\n",
			got, timed, untimed, max, bad, tol
		exit bad > 0
	}'; then
		e2e_fail "$got: flow times differ by more than ${E2E_TIME_TOL_MS} ms"
	fi
}

# e2e_check_summary DIR ERRFILE N: overflowd's stderr summary shows N records printed and no
# drops.
e2e_check_summary() {
	local dir=$1 err=$2 n=$3
	if grep -q "dropped" "$dir/$err"; then
		e2e_fail "overflowd reports drops on a clean export ($err):"
		grep "dropped" "$dir/$err"
	fi
	if ! grep -qx "records printed $n" "$dir/$err"; then
		e2e_fail "overflowd summary ($err) does not say 'records printed $n':"
		cat "$dir/$err"
	fi
}

# e2e_collect DIR PORT KIND: after the exporter is done, finish the capture, decode it with
# tshark (KIND cflow or sflow), stop overflowd and compare. Then read the recorded capture
# with `overflowd dump export.pcap` too, which must give the same records. Prints a one-line
# verdict.
e2e_collect() {
	local dir=$1 port=$2 kind=$3 n before=$E2E_FAILED
	e2e_finish_capture "$dir" "$port"
	if [ "$kind" = sflow ]; then
		e2e_norm_sflow "$port" "$dir/export.pcap" >"$dir/expected.txt"
	else
		e2e_norm_cflow "$port" "$dir/export.pcap" >"$dir/expected.txt"
	fi
	n=$(wc -l <"$dir/expected.txt")
	e2e_stop_ofd "$dir" "$n"
	e2e_norm_ofd "$dir/out.csv" >"$dir/udp.txt"
	e2e_log "[$E2E_VARIANT] export: $(tshark -n -r "$dir/export.pcap" 2>/dev/null | wc -l) datagrams (with the marker), tshark $n records, overflowd $(wc -l <"$dir/udp.txt")"
	e2e_compare "$dir" udp
	e2e_check_summary "$dir" err.txt "$n"

	if ! "$OFD_BIN" dump --format csv "$dir/export.pcap" >"$dir/file.csv" 2>"$dir/file.err"; then
		e2e_fail "overflowd dump export.pcap failed:"
		cat "$dir/file.err"
	fi
	e2e_norm_ofd "$dir/file.csv" >"$dir/file.txt"
	e2e_compare "$dir" file
	e2e_check_summary "$dir" file.err "$n"

	if [ "$before" = "$E2E_FAILED" ]; then
		echo "ok [$E2E_VARIANT]: $n records match tshark (over UDP and from the capture file)"
	else
		echo "--- overflowd stderr [$E2E_VARIANT], UDP:"
		cat "$dir/err.txt"
		echo "--- overflowd stderr [$E2E_VARIANT], capture file:"
		cat "$dir/file.err"
	fi
}
