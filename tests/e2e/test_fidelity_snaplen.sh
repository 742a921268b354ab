#!/bin/bash
# Issue 12 item 9 end to end: softflowd exports mkflows' capture as NetFlow v9 and IPFIX to
# 127.0.0.1; besides lib.sh's full capture (and its comparison with tshark), a second tcpdump
# records the same datagrams with a small snaplen (SNAP bytes of each frame), as an operator's
# capture would. `overflowd dump cut.pcap` must then give exactly the records that fit whole in
# the captured bytes, each equal to tshark's decoding of the full capture, and count per cut
# datagram one partial_set (the cut falls inside a data set whose header is whole: its whole
# records are kept) or one truncated (elsewhere), and capture_truncated per cut frame. The
# expected numbers come from the full capture's record offsets (tshark PDML pos/size).
#
# SNAP is above the end of softflowd's template sets in its first datagram (they must be whole
# for the records to be decodable at all; the test checks that).

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh" || exit 1
# shellcheck source=tests/e2e/fidelity.sh
. "$(dirname "${BASH_SOURCE[0]}")/fidelity.sh" || exit 1

SNAP=${FID_SNAP:-760}

e2e_need softflowd softflowctl
e2e_init

# shellcheck disable=SC2317 # called through e2e_wait
sf_read() {
	softflowctl -c "$1" statistics 2>/dev/null |
		awk -v n="$2" '/Packets processed:/ { p = $3 } /Ignored packets:/ { i = $3 }
			END { exit !(p + i == n) }'
}

# cut_layout PORT PCAP SNAP: from the full capture's PDML, what a capture cut at SNAP bytes keeps:
# prints "records N partial_set P truncated T capture_truncated C in_cut_sets K" (N: flow
# records whose bytes all lie before SNAP, K of them in a set that is cut; options records are
# not counted) and, first, "templates-cut" if a
# template set of the first frame does not fit.
cut_layout() {
	tshark -n -r "$2" -d "udp.port==$1,cflow" -Y "!(frame contains \"$E2E_MARK\")" -T pdml 2>/dev/null |
		awk -v snap="$3" "$E2E_AWK_LIB"'
	function endframe() {
		if (!frame || flen <= snap) return
		cframes++
		if (cutid >= 256 && cutpos + 4 <= snap) partial++
		else trunc++
	}
	/<packet>/ { endframe(); frame++; flen = 0; cutid = -1; next }
	/<field name="frame.len"/ { flen = attr($0, "show") + 0; next }
	/<field name="cflow.flowset_id"/ { id = attr($0, "show") + 0; pos = attr($0, "pos") + 0; next }
	/<field name="cflow.flowset_length"/ {
		len = attr($0, "show") + 0
		if (pos < snap && pos + len > snap) { cutid = id; cutpos = pos }
		if (frame == 1 && (id == 0 || id == 1 || id == 2 || id == 3) && pos + len > snap) tcut = 1
		next
	}
	/<field name="cflow.template_id"/ { if (id == 1 || id == 3) opt[attr($0, "show")] = 1; next }
	/<field name="" show="Flow [0-9]/ {
		if (attr($0, "pos") + attr($0, "size") <= snap && id >= 256 && !(id in opt)) {
			fit++
			if (pos + len > snap) incut++ # a whole record of the set that is cut
		}
		next
	}
	END {
		endframe()
		if (tcut) print "templates-cut"
		printf "records %d partial_set %d truncated %d capture_truncated %d in_cut_sets %d\n", fit, partial,
			trunc, cframes, incut
	}'
}

# tshark_cut SNAP ARGS...: tshark's PDML with the records that do not fit in SNAP bytes emptied
# (their fields dropped, so lib.sh's reader skips them as it skips options records).
tshark_cut() {
	local snap=$1
	shift
	command tshark "$@" | awk -v snap="$snap" '
	function attr(s, a,   i, r) {
		i = index(s, " " a "=\""); if (!i) return ""
		r = substr(s, i + length(a) + 3); return substr(r, 1, index(r, "\"") - 1)
	}
	/<field name="" show="(Flow [0-9]|pdu [0-9])/ { skip = (attr($0, "pos") + attr($0, "size") > snap); print; next }
	/<field name="" show="(FlowSet|Set) / || /<packet>|<\/proto>/ { skip = 0 }
	skip && /<field name="cflow\./ { next }
	{ print }'
}

run_variant() {
	E2E_VARIANT=snaplen-$1
	local ver=$2 dir=$E2E_DIR/$1 port layout n
	mkdir "$dir"
	port=$(e2e_free_port) || e2e_die "no free UDP port"
	e2e_bg CUT_PID tcpdump -i lo -n --immediate-mode -U -s "$SNAP" -B 16384 -Z root -w "$dir/cut.pcap" \
		"udp and dst port $port" 2>"$dir/tcpdump-cut.err"
	e2e_wait "$E2E_WAIT_S" grep -q "listening on" "$dir/tcpdump-cut.err" || e2e_die "tcpdump -s $SNAP did not start"
	e2e_start "$dir" "$port"
	e2e_bg SF_PID softflowd -r "$E2E_DIR/in.pcap" -n "127.0.0.1:$port" -v "$ver" -a -d \
		-c "$dir/ctl" -p "$dir/softflowd.pid" >"$dir/softflowd.log" 2>&1
	if ! e2e_wait "$E2E_WAIT_S" sf_read "$dir/ctl" "$E2E_NPKTS"; then
		e2e_fail "softflowd did not read all of in.pcap within ${E2E_WAIT_S}s"
		return
	fi
	softflowctl -c "$dir/ctl" expire-all >/dev/null 2>&1
	softflowctl -c "$dir/ctl" shutdown >/dev/null 2>&1
	e2e_reap "$SF_PID" "$E2E_WAIT_S"
	e2e_collect "$dir" "$port" cflow
	# the cut capture has the end marker (78 bytes) too once the full one has
	e2e_wait "$E2E_WAIT_S" e2e_has_mark "$dir/cut.pcap" || e2e_fail "tcpdump -s $SNAP missed the end marker"
	kill -INT "$CUT_PID" 2>/dev/null
	e2e_reap "$CUT_PID" 10

	layout=$(cut_layout "$port" "$dir/export.pcap" "$SNAP")
	case "$layout" in
	templates-cut*) e2e_fail "a template set of the first datagram does not fit in $SNAP bytes: raise FID_SNAP" && return ;;
	esac
	n=$(echo "$layout" | awk '{ print $2 }')
	e2e_log "[$E2E_VARIANT] cut at $SNAP bytes: $layout"
	[ "$(echo "$layout" | awk '{ print $4 + $6 }')" -gt 0 ] || e2e_fail "no datagram was cut at $SNAP bytes"
	[ "$n" -gt 0 ] || e2e_fail "no record fits in $SNAP bytes"
	[ "$(echo "$layout" | awk '{ print $10 }')" -gt 0 ] ||
		e2e_fail "no cut set keeps a whole record at $SNAP bytes (the export's layout changed: choose another FID_SNAP)"

	mkdir "$dir/cut"
	# tshark's records of the full capture that fit whole (see tshark_cut)
	# shellcheck disable=SC2317 # used by e2e_norm_cflow below
	tshark() { tshark_cut "$SNAP" "$@"; }
	e2e_norm_cflow "$port" "$dir/export.pcap" >"$dir/cut/expected.txt"
	unset -f tshark
	expect_eq "tshark's records that fit" "$(wc -l <"$dir/cut/expected.txt")" "$n"
	if ! "$OFD_BIN" dump --format csv "$dir/cut.pcap" >"$dir/cut/cut.csv" 2>"$dir/cut/cut.err"; then
		cat "$dir/cut/cut.err"
		e2e_fail "overflowd dump cut.pcap failed"
	fi
	e2e_norm_ofd "$dir/cut/cut.csv" >"$dir/cut/cut.txt"
	e2e_compare "$dir/cut" cut
	expect_eq "records printed" "$(sed -n 's/^records printed //p' "$dir/cut/cut.err")" "$n"
	expect_eq "partial_set" "$(sed -n 's/^ *dropped partial_set: //p' "$dir/cut/cut.err")" \
		"$(echo "$layout" | awk '{ print $4 ? $4 : "" }')"
	expect_eq "truncated (0: none in the summary)" "$(sed -n 's/^ *dropped truncated: //p' "$dir/cut/cut.err" | grep . || echo 0)" \
		"$(echo "$layout" | awk '{ print $6 }')"
	expect_eq "capture_truncated" "$(sed -n 's/.*capture_truncated: //p' "$dir/cut/cut.err")" \
		"$(echo "$layout" | awk '{ print $8 }')"
}

run_variant v9 9
run_variant ipfix 10
e2e_result
