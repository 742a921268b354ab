#!/bin/bash
# packet method pcap: live capture on lo with libpcap. Three UDP datagrams from three sockets
# to a port of ours, behind a BPF filter on that port, must come out as three flows of one
# packet and 33 bytes each (IP length: 20 + 8 + 5), expired by the 1 s inactive timeout on the
# wall clock while the capture runs (before the stop), and the stop (SIGTERM) must end the
# capture. Skipped where capturing on lo is not permitted.

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh" || exit 1

: "${OFD_BIN:?OFD_BIN must name the overflowd binary}"
export E2E_VARIANT=packet-live
E2E_DIR=$(mktemp -d "${TMPDIR:-/tmp}/ofd-e2e.XXXXXX") || e2e_die "mktemp failed"
trap e2e_cleanup EXIT
dir=$E2E_DIR
port=$(e2e_free_port) || e2e_die "no free port"
cat >"$dir/live.yml" <<YML
- segment: packet
  config: {method: pcap, source: lo, filter: "udp and dst port $port", inactivetimeout: 1s}
- segment: json
YML
e2e_bg OFD_PID "$OFD_BIN" -c "$dir/live.yml" >"$dir/out.json" 2>"$dir/err.txt"
# send until the first flow shows (the capture may open a moment after the process)
# shellcheck disable=SC2317 # called through e2e_wait
lines() { [ "$(wc -l <"$dir/out.json")" -ge "$1" ]; }
for i in 1 2 3; do
	if e2e_dead "$OFD_PID"; then
		cat "$dir/err.txt"
		grep -qi "permission\|not permitted" "$dir/err.txt" && e2e_skip "no capture on lo here"
		e2e_die "overflowd did not start"
	fi
	printf 'hello' >"/dev/udp/127.0.0.1/$port"
	e2e_wait 5 lines "$i" || {
		printf 'hello' >"/dev/udp/127.0.0.1/$port"
		e2e_wait 5 lines "$i"
	} || e2e_fail "flow $i did not come out within the inactive timeout"
done
kill -TERM "$OFD_PID"
e2e_reap "$OFD_PID" 10
expect_eq "overflowd exit status" "$E2E_RC" 0
summary=$(awk '{ if ($0 !~ /"proto":"UDP"/ || $0 !~ /"packets":1,/ || $0 !~ /"bytes":33,/ || $0 !~ /"dst_port":'"$port"',/) bad++; n++ }
	END { print n + 0, bad + 0 }' "$dir/out.json")
expect_eq "flows (count, not UDP/1 packet/33 bytes/our port)" "$summary" "3 0"
grep -q "capture_dropped 0" "$dir/err.txt" || e2e_fail "capture drops: $(grep 'segment packet' "$dir/err.txt")"
e2e_result
