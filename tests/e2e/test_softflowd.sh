#!/bin/bash
# softflowd (Debian's package) turns mkflows' capture into NetFlow v5, v9 and IPFIX (flow
# times relative to systemInitTime, and absolute with -A milli); `overflowd dump` receives
# the export over 127.0.0.1 and its records must equal tshark's decoding of the same
# datagrams (see lib.sh for what is compared).
#
# softflowd -r does not exit at the end of the capture and exports nothing until flows
# expire: it reads the file once a control request wakes it up, so the test polls
# `softflowctl statistics` until every packet is accounted for, then sends expire-all and
# shutdown. -a takes the clock from the capture, so flow and export times are the capture's.

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh" || exit 1

e2e_need softflowd softflowctl
e2e_init

# sf_read CTL N: softflowd has processed or ignored all N packets of the capture.
# shellcheck disable=SC2317 # called through e2e_wait
sf_read() {
	softflowctl -c "$1" statistics 2>/dev/null |
		awk -v n="$2" '/Packets processed:/ { p = $3 } /Ignored packets:/ { i = $3 }
			END { exit !(p + i == n) }'
}

# run_variant NAME VERSION [softflowd options]
run_variant() {
	E2E_VARIANT=softflowd-$1
	local ver=$2 dir=$E2E_DIR/softflowd-$1 port
	shift 2
	mkdir "$dir"
	port=$(e2e_free_port) || e2e_die "no free UDP port"
	e2e_start "$dir" "$port"
	e2e_bg SF_PID softflowd -r "$E2E_DIR/in.pcap" -n "127.0.0.1:$port" -v "$ver" -a -d \
		-c "$dir/ctl" -p "$dir/softflowd.pid" "$@" >"$dir/softflowd.log" 2>&1
	if ! e2e_wait "$E2E_WAIT_S" sf_read "$dir/ctl" "$E2E_NPKTS"; then
		cat "$dir/softflowd.log"
		e2e_fail "softflowd did not read all of in.pcap within ${E2E_WAIT_S}s"
		return
	fi
	# Once it has seen the end of the file, softflowd exports everything and exits at the next
	# wake-up; so either of these may find it gone already.
	softflowctl -c "$dir/ctl" expire-all >/dev/null 2>&1
	softflowctl -c "$dir/ctl" shutdown >/dev/null 2>&1
	e2e_reap "$SF_PID" "$E2E_WAIT_S"
	[ "$E2E_RC" = 0 ] || e2e_log "softflowd exited with status $E2E_RC"
	e2e_log "[$E2E_VARIANT] softflowd: $(grep -h "Flows exported" "$dir/softflowd.log")"
	e2e_collect "$dir" "$port" cflow
}

run_variant v5 5
run_variant v9 9
run_variant ipfix 10
run_variant ipfix-abs 10 -A milli
e2e_result
