#!/bin/bash
# The ipfix and netflow9 outputs against real decoders. For each format, overflowd A reads the v5
# sample capture (78,684 records) and exports it to two collectors on 127.0.0.1 at once:
#   - overflowd B (`dump --format json udp://...`): its records must equal A's own json output for
#     every exported field (times to the millisecond): the round trip is lossless;
#   - nfcapd (Debian nfdump), when installed: `nfdump -o fmt:...` must give the same records;
# and tcpdump records the datagrams to B, which tshark decodes (lib.sh's e2e_norm_cflow): the
# records must equal A's (lib.sh's comparison: addresses, ports, protocol, counters, flags,
# interfaces, TOS, ICMP, times). A's counters must show no send error.

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh" || exit 1

: "${OFD_BIN:?OFD_BIN must name the overflowd binary}"
: "${OFD_SRC:?OFD_SRC must name the source tree}"
e2e_need tshark tcpdump python3 ss setsid
CAP=${OFD_DATA:-../shared/data}/netflow_4M.pcap
[ -r "$CAP" ] || e2e_skip "$CAP is missing"
NREC=78684
E2E_DIR=$(mktemp -d "${TMPDIR:-/tmp}/ofd-e2e.XXXXXX") || e2e_die "mktemp failed"
trap e2e_cleanup EXIT
trap 'exit 1' INT TERM HUP
CHECK="python3 $OFD_SRC/tests/e2e/export_check.py"
HAVE_NFDUMP=1
command -v nfcapd >/dev/null && command -v nfdump >/dev/null || HAVE_NFDUMP=0
[ "$HAVE_NFDUMP" = 1 ] || e2e_log "nfdump is not installed: the nfcapd part is skipped"

# shellcheck disable=SC2317 # called through e2e_wait
json_has() { [ "$(wc -l <"$1")" -ge "$2" ]; }

# run_variant SEGMENT: export with the segment (ipfix or netflow9) and check every collector.
run_variant() {
	E2E_VARIANT=$1
	local seg=$1 dir=$E2E_DIR/$1 port nfport v9=""
	[ "$seg" = netflow9 ] && v9=v9
	mkdir "$dir"
	port=$(e2e_free_port) || e2e_die "no free UDP port"
	nfport=$(e2e_free_port) || e2e_die "no free UDP port"
	[ "$nfport" != "$port" ] || nfport=$((port + 1))
	e2e_bg TCPDUMP_PID tcpdump -i lo -n --immediate-mode -U -s 9216 -B 16384 -Z root -w "$dir/export.pcap" \
		"udp and dst port $port" 2>"$dir/tcpdump.err"
	if ! e2e_wait "$E2E_WAIT_S" grep -q "listening on" "$dir/tcpdump.err"; then
		grep -qi "permission\|not permitted" "$dir/tcpdump.err" && e2e_skip "tcpdump cannot capture on lo"
		e2e_die "tcpdump did not start"
	fi
	e2e_bg OFD_PID "$OFD_BIN" dump --format json "udp://127.0.0.1:$port" >"$dir/b.json" 2>"$dir/b.err"
	e2e_wait "$E2E_WAIT_S" e2e_listening "$port" || e2e_die "overflowd B did not listen on $port"
	local targets="\"127.0.0.1:$port\""
	if [ "$HAVE_NFDUMP" = 1 ]; then
		mkdir "$dir/nf"
		e2e_bg NF_PID nfcapd -b 127.0.0.1 -p "$nfport" -w "$dir/nf" -t 3600 -B 16777216 >"$dir/nfcapd.log" 2>&1
		e2e_wait "$E2E_WAIT_S" e2e_listening "$nfport" || e2e_die "nfcapd did not listen on $nfport"
		targets="$targets, \"127.0.0.1:$nfport\""
	fi
	cat >"$dir/a.yml" <<EOF
- segment: pcap
  config: {filename: "$CAP"}
- segment: json
  config: {filename: "$dir/a.json"}
- segment: csv
  config: {filename: "$dir/a.csv"}
- segment: $seg
  config: {targets: [$targets]}
EOF
	"$OFD_BIN" -c "$dir/a.yml" 2>"$dir/a.err" || e2e_fail "overflowd A failed: $(cat "$dir/a.err")"
	grep -q "records $NREC, .*send_errors 0, lost_records 0" "$dir/a.err" ||
		e2e_fail "A's $seg counters: $(grep "segment $seg" "$dir/a.err")"

	# overflowd B: lossless for the exported fields
	e2e_wait "$E2E_WAIT_S" json_has "$dir/b.json" "$NREC" || e2e_log "B has $(wc -l <"$dir/b.json") records"
	e2e_finish_capture "$dir" "$port"
	kill -TERM "$OFD_PID" 2>/dev/null
	e2e_reap "$OFD_PID" 10
	$CHECK json "$dir/a.json" "$dir/b.json" $v9 || e2e_fail "overflowd B differs from A"
	if grep -q "dropped" "$dir/b.err"; then
		e2e_fail "overflowd B counted drops: $(grep dropped "$dir/b.err")"
	fi

	# tshark, from the recorded datagrams
	e2e_norm_cflow "$port" "$dir/export.pcap" >"$dir/expected.txt"
	e2e_norm_ofd "$dir/a.csv" >"$dir/a.txt"
	if [ -n "$v9" ]; then # the source records that end before they start: see export_check.py
		awk '{ if ($NF < $(NF - 1)) $NF = sprintf("%.0f", $NF + 4294967296); print }' "$dir/a.txt" >"$dir/a.v9" &&
			mv "$dir/a.v9" "$dir/a.txt"
	fi
	e2e_compare "$dir" a
	echo "ok [$seg]: tshark decoded $(wc -l <"$dir/expected.txt") records"

	# nfcapd
	if [ "$HAVE_NFDUMP" = 1 ]; then
		kill -TERM "$NF_PID" 2>/dev/null
		e2e_reap "$NF_PID" 10
		TZ=UTC nfdump -R "$dir/nf" -q -N -o "fmt:%ts %te %sa %da %sp %dp %pr %pkt %byt %in %out %tos %sas %das" \
			>"$dir/nf.txt" 2>"$dir/nfdump.err" || e2e_fail "nfdump failed: $(cat "$dir/nfdump.err")"
		$CHECK nfdump "$dir/a.json" "$dir/nf.txt" $v9 || e2e_fail "nfdump differs from A"
	fi
}

run_variant ipfix
run_variant netflow9
e2e_result
