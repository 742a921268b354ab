#!/bin/bash
# The template cache lockout, as the attack (issue 11): in a private network namespace where
# all of 10.0.0.0/8 is local, tmplflood sends 4,200 IPFIX template-only messages of 148 bytes
# from 4,096 forged exporter addresses (10.0.0.0-10.0.15.255, 620 kB) to `overflowd dump`;
# then a real softflowd IPFIX exporter sends mkflows' traffic from 10.200.0.1. Every record it
# exported must be decoded (its data from its first template on), none dropped as
# unknown_template or template_limit:
#   - no-list:   no allow-list; the flood fills the 4,096 exporters of the template budget and
#                softflowd's templates evict flood exporters that never had data;
#   - with-list: --exporters 10.200.0.1; the flood is dropped as unlisted_exporter (4,200).
# softflowd sends to 10.200.0.1, a local address with no preferred source, so its datagrams
# come from 10.200.0.1 (the kernel uses the destination as the source of a local route).
#
# Figures (the flood's effect) are printed as "e2e: [VARIANT] ..." lines; the same script run
# with OFD_BIN naming an older overflowd shows the lockout (TMPL_FLOOD_EXPECT=lockout then
# only reports). Exit 77 when unshare -n or a peer is not available.

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh" || exit 1

: "${OFD_BIN:?}" "${OFD_BUILD:?}"
e2e_need unshare ip softflowd softflowctl ss awk setsid
if [ -z "${OFD_IN_NETNS:-}" ]; then
	unshare -n true 2>/dev/null || e2e_skip "unshare -n is not permitted here"
	OFD_IN_NETNS=1 exec unshare -n bash "${BASH_SOURCE[0]}" "$@"
fi
ip link set lo up || e2e_die "ip link set lo up failed"
ip route add local 10.0.0.0/8 dev lo || e2e_die "ip route add local 10.0.0.0/8 dev lo failed"
[ -x "$OFD_BUILD/tmplflood" ] || e2e_die "$OFD_BUILD/tmplflood is missing (build the tree first)"
[ -x "$OFD_BUILD/mkflows" ] || e2e_die "$OFD_BUILD/mkflows is missing (build the tree first)"
E2E_DIR=$(mktemp -d "${TMPDIR:-/tmp}/ofd-tmplflood.XXXXXX") || e2e_die "mktemp failed"
trap e2e_cleanup EXIT
trap 'exit 1' INT TERM HUP
"$OFD_BUILD/mkflows" "$E2E_DIR/in.pcap" >"$E2E_DIR/mkflows.txt" || e2e_die "mkflows failed"
NPKTS=$(awk '{print $1}' "$E2E_DIR/mkflows.txt")
REAL=10.200.0.1
PORT=4739 # our own namespace: no other test's sockets

# shellcheck disable=SC2317 # called through e2e_wait
sf_read() {
	softflowctl -c "$1" statistics 2>/dev/null |
		awk -v n="$2" '/Packets processed:/ { p = $3 } /Ignored packets:/ { i = $3 }
			END { exit !(p + i == n) }'
}
# shellcheck disable=SC2317
printed_at_least() { [ "$(($(wc -l <"$1") - 1))" -ge "$2" ]; }
# summary FILE PATTERN: the number at the end of the summary line matching PATTERN, 0 if none
summary() { awk -v p="$2" 'index($0, p) { n = $NF } END { print n + 0 }' "$1"; }

# run_variant NAME [dump options]
run_variant() {
	E2E_VARIANT=$1
	shift
	local dir=$E2E_DIR/$E2E_VARIANT
	mkdir "$dir"
	e2e_bg OFD_PID "$OFD_BIN" dump --format csv "$@" "udp://:$PORT" >"$dir/out.csv" 2>"$dir/err.txt"
	if ! e2e_wait "$E2E_WAIT_S" e2e_listening "$PORT" || e2e_dead "$OFD_PID"; then
		cat "$dir/err.txt"
		e2e_die "overflowd did not start listening on :$PORT"
	fi
	"$OFD_BUILD/tmplflood" "$REAL" "$PORT" 4200 4096 10.0.0.0 >"$dir/flood.txt" ||
		e2e_die "tmplflood failed: $(cat "$dir/flood.txt")"
	e2e_bg SF_PID softflowd -r "$E2E_DIR/in.pcap" -n "$REAL:$PORT" -v 10 -a -d \
		-c "$dir/ctl" -p "$dir/softflowd.pid" >"$dir/softflowd.log" 2>&1
	if ! e2e_wait "$E2E_WAIT_S" sf_read "$dir/ctl" "$NPKTS"; then
		cat "$dir/softflowd.log"
		e2e_die "softflowd did not read all of in.pcap within ${E2E_WAIT_S}s"
	fi
	softflowctl -c "$dir/ctl" expire-all >/dev/null 2>&1
	softflowctl -c "$dir/ctl" shutdown >/dev/null 2>&1
	e2e_reap "$SF_PID" "$E2E_WAIT_S"
	local line want
	line=$(grep -h "Flows exported" "$dir/softflowd.log") || e2e_die "softflowd: no statistics"
	# "Flows exported: 141 (141 records) in 6 packets (0 failures)"
	want=$(sed -E 's/.*\(([0-9]+) records\).*/\1/' <<<"$line")
	e2e_wait "$E2E_WAIT_S" printed_at_least "$dir/out.csv" "$want" || true
	kill -TERM "$OFD_PID" 2>/dev/null
	e2e_reap "$OFD_PID" 10
	[ "$E2E_RC" = 0 ] || e2e_fail "overflowd exited with status $E2E_RC"
	local err=$dir/err.txt got
	got=$(summary "$err" "records printed")
	e2e_log "[$E2E_VARIANT] softflowd: $line"
	e2e_log "[$E2E_VARIANT] decoded $got of $want records; datagrams $(summary "$err" "udp datagrams")," \
		"kernel drops $(summary "$err" "dropped kernel_drop"), unknown_template $(summary "$err" "dropped unknown_template")," \
		"template_limit $(summary "$err" "dropped template_limit"), unlisted_exporter $(summary "$err" "dropped unlisted_exporter")," \
		"evicted (no data) $(summary "$err" "evicted (main budget, no_data)"), evicted (idle) $(summary "$err" "evicted (main budget, idle)")"
	if [ "${TMPL_FLOOD_EXPECT:-}" = lockout ]; then
		return
	fi
	expect_eq "records decoded" "$got" "$want"
	expect_eq "unknown_template drops" "$(summary "$err" "dropped unknown_template")" 0
	expect_eq "template_limit drops" "$(summary "$err" "dropped template_limit")" 0
	expect_eq "kernel drops" "$(summary "$err" "dropped kernel_drop")" 0
	expect_eq "idle exporters evicted" "$(summary "$err" "evicted (main budget, idle)")" 0
	if [ "$E2E_VARIANT" = no-list ]; then
		# the flood's first 4,096 messages fill the budget's exporters; each later one (a fresh
		# source port: a new exporter) evicts one of the flood's, and so does softflowd's first
		expect_eq "flood exporters evicted" "$(summary "$err" "evicted (main budget, no_data)")" $((4200 - 4096 + 1))
		expect_eq "datagrams" "$(summary "$err" "udp datagrams")" "$((4200 + $(sed -E 's/.* in ([0-9]+) packets.*/\1/' <<<"$line")))"
	else
		expect_eq "flood dropped as unlisted" "$(summary "$err" "dropped unlisted_exporter")" 4200
		expect_eq "flood exporters evicted" "$(summary "$err" "evicted (main budget, no_data)")" 0
	fi
	if [ "$got" != "$want" ]; then
		echo "--- overflowd stderr [$E2E_VARIANT]:"
		cat "$err"
	fi
}

run_variant no-list
run_variant with-list --exporters "$REAL"
e2e_result
