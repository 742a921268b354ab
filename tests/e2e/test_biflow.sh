#!/bin/bash
# RFC 5103 biflows (issue 12, defect 8). yaf, the usual biflow exporter, is not in Debian; the
# biflows here are exported by python3-ipfix (Debian's package, whose RFC 5103 element list
# names the reverse elements, enterprise 29305): tests/e2e/biflow_export.py joins the packets
# of mkflows' capture, as tshark reads them, into biflows (the first packet's direction is the
# forward one) and sends them as IPFIX to `overflowd dump` on 127.0.0.1.
#
# Checked: overflowd's records (over UDP and from the recorded export) equal tshark's reading
# of the export datagrams, each biflow record read as a forward record and, when it has reverse
# packets, a reverse one with the key swapped and the reverse values (times within lib.sh's
# tolerance); together they count every packet and IP byte of the capture as tshark reads it;
# the forward records say biflowDirection 1 (initiator), the reverse ones 2.

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh" || exit 1

PY=/usr/bin/python3
if ! [ -x "$PY" ] || ! "$PY" -c 'import ipfix.ie' 2>/dev/null; then
	e2e_skip "python3-ipfix is not installed (apt-get install python3-ipfix)"
fi
e2e_init

# norm_biflow PORT PCAP: tshark's reading of the biflow export, one normalised record a line
# (lib.sh's form). The reverse elements come after the forward ones in the template: from the
# first field tshark marks "(Reverse ...", the record's fields are the reverse direction's.
norm_biflow() {
	tshark -n -r "$2" -d "udp.port==$1,cflow" -Y "!(frame contains \"$E2E_MARK\")" -T pdml 2>/dev/null |
		awk "$E2E_AWK_LIB"'
	function line(src, dst, sp, dp, pk, oc, fl, s, e) {
		printf "%s %s %d %d %d %.0f %.0f %d 0 0 0 %d %d | %.0f %.0f\n", src, dst, sp, dp, f["proto"],
			pk, oc, fl, (f["proto"] == 1 || f["proto"] == 58) ? int(dp / 256) : 0,
			(f["proto"] == 1 || f["proto"] == 58) ? dp % 256 : 0, s, e
	}
	function emit(   src, dst) {
		if (!inrec) return
		inrec = 0
		src = f["cflow.srcaddr"] != "" ? f["cflow.srcaddr"] : f["cflow.srcaddrv6"]
		dst = f["cflow.dstaddr"] != "" ? f["cflow.dstaddr"] : f["cflow.dstaddrv6"]
		if (src == "") return
		line(src, dst, f["cflow.srcport"], f["cflow.dstport"], f["cflow.packets"], f["cflow.octets"],
			f["flags"], f["abs_s"], f["abs_e"])
		if (r["cflow.packets"] + 0 || r["cflow.octets"] + 0)
			line(dst, src, f["cflow.dstport"], f["cflow.srcport"], r["cflow.packets"], r["cflow.octets"],
				r["flags"], r["abs_s"] != "" ? r["abs_s"] : f["abs_s"], r["abs_e"] != "" ? r["abs_e"] : f["abs_e"])
	}
	/<packet>/ { emit() }
	/<\/proto>/ { emit() }
	/<field name="" show="Flow [0-9]/ { emit(); inrec = 1; rev = 0; delete f; delete r; next }
	/<field name="" show="(FlowSet|Set) / { emit(); next }
	/<field name="cflow\./ {
		if (!inrec) next
		n = attr($0, "name"); v = attr($0, "show")
		if (index(attr($0, "showname"), "(Reverse ")) rev = 1
		if (n == "cflow.protocol") { f["proto"] = v; next }
		if (n == "cflow.tcpflags") { n = "flags"; v = hexval(v) }
		else if (n == "cflow.abstimestart") { n = "abs_s"; v = abs_ms(v) }
		else if (n == "cflow.abstimeend") { n = "abs_e"; v = abs_ms(v) }
		if (rev) r[n] = v
		else f[n] = v
	}
	END { emit() }
	'
}

E2E_VARIANT=biflow
dir=$E2E_DIR/biflow
mkdir "$dir"
# the capture as tshark reads it: the first (outer) IP header of each packet
tshark -n -r "$E2E_DIR/in.pcap" -E occurrence=f -T fields -e ip.src -e ipv6.src -e ip.dst -e ipv6.dst \
	-e ip.proto -e ipv6.nxt -e tcp.srcport -e udp.srcport -e tcp.dstport -e udp.dstport -e ip.len \
	-e ipv6.plen -e frame.time_epoch -e tcp.flags 2>/dev/null | awk -F'\t' '$1 != "" || $2 != ""' >"$dir/packets.tsv"
pkts=$(wc -l <"$dir/packets.tsv")
ipbytes=$(awk -F'\t' '{ n += $1 != "" ? $11 : $12 + 40 } END { print n }' "$dir/packets.tsv")
e2e_log "in.pcap: $pkts IP packets, $ipbytes IP bytes (tshark)"

port=$(e2e_free_port) || e2e_die "no free UDP port"
e2e_start "$dir" "$port"
sent=$("$PY" "$OFD_SRC/tests/e2e/biflow_export.py" "$dir/packets.tsv" 127.0.0.1 "$port") ||
	e2e_die "biflow_export.py failed"
e2e_log "python3-ipfix: $sent"
nbi=$(awk '{print $2}' <<<"$sent")
nrev=$(awk '{print $4}' <<<"$sent")
e2e_finish_capture "$dir" "$port"
norm_biflow "$port" "$dir/export.pcap" >"$dir/expected.txt"
n=$(wc -l <"$dir/expected.txt")
expect_eq "tshark: records of the export (biflows + those with reverse packets)" "$n" "$((nbi + nrev))"
e2e_stop_ofd "$dir" "$n"
e2e_norm_ofd "$dir/out.csv" >"$dir/udp.txt"
e2e_compare "$dir" udp
e2e_check_summary "$dir" err.txt "$n"

"$OFD_BIN" dump --format json "$dir/export.pcap" >"$dir/file.json" 2>"$dir/file.err" ||
	e2e_fail "overflowd dump export.pcap failed: $(cat "$dir/file.err")"
e2e_check_summary "$dir" file.err "$n"
expect_eq "packets of all records (the capture's IP packets)" \
	"$(grep -o '"packets":[0-9]*' "$dir/file.json" | awk -F: '{ n += $2 } END { print n }')" "$pkts"
expect_eq "bytes of all records (the capture's IP bytes)" \
	"$(grep -o '"bytes":[0-9]*' "$dir/file.json" | awk -F: '{ n += $2 } END { print n }')" "$ipbytes"
expect_eq "forward records (bi_flow_direction 1)" "$(grep -c '"bi_flow_direction":1' "$dir/file.json")" "$nbi"
expect_eq "reverse records (bi_flow_direction 2)" "$(grep -c '"bi_flow_direction":2' "$dir/file.json")" "$nrev"
# the first biflow of the capture, both ways, as tshark reads the capture and as overflowd decoded it
read -r s d sp dp <<<"$(awk -F'\t' 'NR == 1 { print $1, $3, $7 $8, $9 $10 }' "$dir/packets.tsv")"
way() { # way SRC DST SPORT DPORT: packets and IP bytes of that direction in the capture
	awk -F'\t' -v s="$1" -v d="$2" -v sp="$3" -v dp="$4" \
		'$1 == s && $3 == d && $7 $8 == sp && $9 $10 == dp { n++; b += $11 } END { printf "%d %d", n, b }' \
		"$dir/packets.tsv"
}
rec() { # rec SRC DST SPORT DPORT: packets and bytes of overflowd's record of that key
	"$PY" -c 'import json, sys
for l in open(sys.argv[1]):
    j = json.loads(l)
    if [j["src_addr"], j["dst_addr"], str(j["src_port"]), str(j["dst_port"])] == sys.argv[2:]:
        print(j["packets"], j["bytes"]); break' "$dir/file.json" "$@"
}
expect_eq "first biflow $s:$sp -> $d:$dp, forward record (packets bytes)" "$(rec "$s" "$d" "$sp" "$dp")" \
	"$(way "$s" "$d" "$sp" "$dp")"
expect_eq "first biflow, reverse record $d:$dp -> $s:$sp (packets bytes)" "$(rec "$d" "$s" "$dp" "$sp")" \
	"$(way "$d" "$s" "$dp" "$sp")"
e2e_result
