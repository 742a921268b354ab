#!/bin/bash
# AF_PACKET capture (the bpf input, packet method pcapgo) on a veth pair whose other end is in a
# network namespace made here. pktsend (tests/tools) sends known UDP flows from the namespace
# (IPv4 and IPv6, to a neighbour with a fixed MAC that nobody answers, so the host stack stays
# quiet) and prints them; the capture on the host end must give exactly those flows (ports,
# packets, bytes as IP lengths, addresses), expired by the 1 s inactive timeout while running:
#
#   bpf     workers 2 (one PACKET_FANOUT_HASH group), no filter: the UDP flows are compared, the
#           rest (the kernel's IPv6 neighbour and MLD chatter) is left aside
#   pcapgo  workers 2, filter "udp" in the kernel: exactly the UDP flows, packets = what was sent
#   bpf1    workers 1
#
# symmetric: both directions of a connection (host -> namespace and back) meet in one worker
# of two, four connections in four runs.
#
# drops: bpf with the smallest ring (buffersize 1: one page) under a burst of 200,000 datagrams
# must count drops (capture_dropped > 0), and captured + dropped must equal what was sent,
# less what the veth itself dropped (its tx/rx_dropped counters), exactly.
#
# Needs root (netns, AF_PACKET); skipped without. The namespace and the veth are removed on
# every exit (trap).

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh" || exit 1

: "${OFD_BIN:?OFD_BIN must name the overflowd binary}"
: "${OFD_BUILD:?OFD_BUILD must name the build directory}"
SEND=$OFD_BUILD/pktsend
[ -x "$SEND" ] || e2e_die "$SEND is missing (build the tree first)"
[ "$(id -u)" = 0 ] || e2e_skip "needs root (network namespaces, AF_PACKET)"
e2e_need ip awk sort diff setsid

NS=ofdafp$$
HOST=afh$$
PEER=afn$$
# shellcheck disable=SC2317 # called by the trap
cleanup() {
	e2e_cleanup
	ip netns del "$NS" 2>/dev/null
	ip link del "$HOST" 2>/dev/null
	true
}
E2E_DIR=$(mktemp -d "${TMPDIR:-/tmp}/ofd-e2e.XXXXXX") || e2e_die "mktemp failed"
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
dir=$E2E_DIR

ip netns add "$NS" || e2e_skip "cannot make a network namespace here"
ip link add "$HOST" type veth peer name "$PEER" || e2e_skip "cannot make a veth pair here"
ip link set "$PEER" netns "$NS"
ip link set "$HOST" up
ip -n "$NS" link set lo up
ip -n "$NS" link set "$PEER" up
ip -n "$NS" addr add 10.77.0.2/24 dev "$PEER"
ip -n "$NS" addr add fd77::2/64 dev "$PEER" nodad
ip -n "$NS" neigh add 10.77.0.9 lladdr 02:00:00:00:00:99 dev "$PEER" nud permanent
ip -n "$NS" -6 neigh add fd77::9 lladdr 02:00:00:00:00:99 dev "$PEER" nud permanent
ifindex=$(cat "/sys/class/net/$HOST/ifindex")

# capture_up N: N packet sockets are bound to the host end (the workers' rings are open)
# shellcheck disable=SC2317 # called through e2e_wait
capture_up() { [ "$(awk -v i="$ifindex" 'NR > 1 && $5 == i' /proc/net/packet | wc -l)" -ge "$1" ]; }
# udp_lines FILE: the UDP flows of json FILE as pktsend prints them, summed per key
udp_lines() {
	awk '/"proto":"UDP"/ {
		match($0, /"src_port":[0-9]+/); sp = substr($0, RSTART + 11, RLENGTH - 11)
		match($0, /"dst_port":[0-9]+/); dp = substr($0, RSTART + 11, RLENGTH - 11)
		match($0, /"packets":[0-9]+/); p = substr($0, RSTART + 10, RLENGTH - 10)
		match($0, /"bytes":[0-9]+/); b = substr($0, RSTART + 8, RLENGTH - 8)
		match($0, /"src_addr":"[^"]*"/); sa = substr($0, RSTART + 12, RLENGTH - 13)
		match($0, /"dst_addr":"[^"]*"/); da = substr($0, RSTART + 12, RLENGTH - 13)
		k = sa " " da " udp " sp " " dp; pk[k] += p; by[k] += b
	} END { for (k in pk) print k, pk[k], by[k] }' "$1" | sort
}
summary_count() { sed -n "s/.*[ ,]$2 \([0-9]*\).*/\1/p" "$1" | head -1; }

# run VARIANT WORKERS CONFIG-EXTRA: capture, send, compare
run() {
	export E2E_VARIANT=$1
	local workers=$2 seg=$3 extra=$4 out=$dir/$1
	cat >"$out.yml" <<YML
- segment: $seg
  config: {$extra, workers: $workers, inactivetimeout: 1s}
- segment: json
YML
	e2e_bg OFD_PID "$OFD_BIN" -c "$out.yml" >"$out.json" 2>"$out.err"
	e2e_wait 10 capture_up "$workers" || {
		cat "$out.err"
		e2e_die "$1: the capture did not open"
	}
	ip netns exec "$NS" "$SEND" 10.77.0.9 5000 6 20 100 >"$out.sent4" || e2e_die "pktsend failed"
	ip netns exec "$NS" "$SEND" fd77::9 6000 3 7 50 >"$out.sent6" || e2e_die "pktsend failed"
	# expected: "src dst udp sport dport packets bytes"
	{
		awk '$1 == "udp" { print "10.77.0.2 10.77.0.9", $0 }' "$out.sent4"
		awk '$1 == "udp" { print "fd77::2 fd77::9", $0 }' "$out.sent6"
	} | sort >"$out.want"
	local nwant
	nwant=$(wc -l <"$out.want")
	# shellcheck disable=SC2317 # called through e2e_wait
	all_out() { [ "$(udp_lines "$out.json" | wc -l)" -ge "$nwant" ]; }
	e2e_wait 10 all_out || e2e_fail "the flows did not come out within the inactive timeout"
	kill -TERM "$OFD_PID"
	e2e_reap "$OFD_PID" 10
	expect_eq "exit status" "$E2E_RC" 0
	udp_lines "$out.json" >"$out.got"
	if diff "$out.want" "$out.got" >"$out.diff"; then
		echo "ok: $nwant UDP flows equal what was sent"
	else
		e2e_fail "flows differ from what was sent (< sent, > captured):"
		cat "$out.diff"
	fi
	local sent
	sent=$(awk '$1 == "sent" { n += $2 } END { print n }' "$out.sent4" "$out.sent6")
	expect_eq "datagrams sent" "$sent" 159
	expect_eq "capture_dropped" "$(summary_count "$out.err" capture_dropped)" 0
	if [ "$seg" = packet ]; then # filter udp: nothing else was captured
		expect_eq "packets captured" "$(summary_count "$out.err" packets)" "$sent"
	fi
	grep -q '"in_if":'"$ifindex"',' "$out.json" || e2e_fail "in_if is not the device's index $ifindex"
}

# sent: pktsend's sums (IPv4 6 flows of 20..25 packets = 135, IPv6 3 of 7..9 = 24 -> 159)
run bpf 2 bpf "device: $HOST"
run pcapgo 2 packet "method: pcapgo, source: $HOST, filter: udp"
run bpf1 1 bpf "device: $HOST"

# symmetric: both directions of a connection reach one worker. Four connections, each in a run
# of its own with 2 workers and filter udp: the host (10.77.0.1) sends 5 datagrams to the
# namespace, the namespace 3 back on the same ports; the exit summary must show all 8 packets on
# one worker (one non-zero capture_packets_total series). An asymmetric hash would split a
# connection with probability 1/2 each run.
export E2E_VARIANT=symmetric
ip addr add 10.77.0.1/24 dev "$HOST"
for k in 1 2 3 4; do
	out=$dir/sym$k
	printf -- '- segment: bpf\n  config: {device: %s, workers: 2, filter: udp}\n- segment: count\n' \
		"$HOST" >"$out.yml"
	e2e_bg OFD_PID "$OFD_BIN" -c "$out.yml" >"$out.out" 2>"$out.err"
	e2e_wait 10 capture_up 2 || e2e_die "symmetric: the capture did not open"
	"$SEND" 10.77.0.2 $((7100 + k)) 1 5 10 $((7200 + k)) >/dev/null || e2e_die "pktsend failed"
	ip netns exec "$NS" "$SEND" 10.77.0.1 $((7200 + k)) 1 3 10 $((7100 + k)) >/dev/null ||
		e2e_die "pktsend failed"
	kill -TERM "$OFD_PID"
	e2e_reap "$OFD_PID" 10
	series=$(grep -o 'capture_packets_total{worker="[0-9]*"} [0-9]*' "$out.err" | tr '\n' ' ')
	expect_eq "connection $k: packets 5 + 3" "$(summary_count "$out.err" packets)" 8
	expect_eq "connection $k: workers that saw it" "$(grep -o 'capture_packets_total' "$out.err" | wc -l)" 1
	echo "connection $k: $series"
done

# drops: the smallest ring under a burst
export E2E_VARIANT=drops
out=$dir/drops
cat >"$out.yml" <<YML
- segment: bpf
  config: {device: $HOST, buffersize: 1, workers: 1, filter: "udp and dst port 7000"}
- segment: count
YML
e2e_bg OFD_PID "$OFD_BIN" -c "$out.yml" >"$out.out" 2>"$out.err"
e2e_wait 10 capture_up 1 || e2e_die "drops: the capture did not open"
vdrops() {
	echo $(($(cat "/sys/class/net/$HOST/statistics/rx_dropped") +
		$(ip netns exec "$NS" cat "/sys/class/net/$PEER/statistics/tx_dropped")))
}
v0=$(vdrops)
ip netns exec "$NS" "$SEND" 10.77.0.9 7000 1 200000 18 >"$out.sent" || e2e_die "pktsend failed"
v1=$(vdrops)
sent=$(awk '$1 == "sent" { print $2 }' "$out.sent")
kill -TERM "$OFD_PID"
e2e_reap "$OFD_PID" 10
expect_eq "exit status" "$E2E_RC" 0
captured=$(summary_count "$out.err" packets)
dropped=$(summary_count "$out.err" capture_dropped)
frozen=$(summary_count "$out.err" ring_frozen)
echo "sent $sent, captured $captured, capture_dropped $dropped, ring_frozen $frozen, veth drops $((v1 - v0))"
[ "${dropped:-0}" -gt 0 ] || e2e_fail "a one-page ring under a burst of $sent counted no drops"
[ "${frozen:-0}" -gt 0 ] || e2e_fail "ring_frozen is 0"
expect_eq "captured + capture_dropped + veth drops" $((captured + dropped + v1 - v0)) "$sent"
e2e_result
