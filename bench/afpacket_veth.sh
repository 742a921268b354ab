#!/usr/bin/env bash
# bench/afpacket_veth.sh [BUILD_DIR]: live capture into flows, packets per CPU-second, on the
# host end of a veth pair whose other end is in a network namespace made here, where pktsend
# (tests/tools) sends UDP flows to a neighbour nobody answers. Measured on the same traffic:
#
#   overflowd  -c {bpf: device, workers W, buffersize 64M} -> count   (AF_PACKET, TPACKET_V3)
#   overflowd  -c {packet: method pcap, source: device} -> count      (libpcap, one thread)
#   softflowd  -i device -n 127.0.0.1:9 (Debian; libpcap, IPFIX export to the discard port)
#
# each alone (one run per tool: the sender and the tool share the cores), and then overflowd's bpf
# and softflowd together on the same packets (both get every packet). CPU is each process's own
# (the sum of its threads' on-CPU time from /proc/PID/task/*/schedstat) from when its capture is
# up until the traffic is through; captured = what the tool counted (overflowd: the packets
# counter; softflowd: "Packets processed"), drops as each reports them. Rate = captured / CPU s.
# Prints RESULT lines. As root.
#
# Environment: AFP_PACKETS=2000000 (about; per flow PACKETS/FLOWS), AFP_FLOWS=100,
# AFP_WORKERS=1, AFP_SIZE=18 (UDP payload bytes: 64-byte frames).
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$(cd "${1:-$SRC/build}" && pwd)
PKTS=${AFP_PACKETS:-2000000}
FLOWS=${AFP_FLOWS:-100}
W=${AFP_WORKERS:-1}
SIZE=${AFP_SIZE:-18}
[ "$(id -u)" = 0 ] || {
	echo "afpacket_veth: needs root" >&2
	exit 1
}
NS=ofdbench$$
HOST=abh$$
PEER=abn$$
DIR=$(mktemp -d)
PIDS=""
cleanup() {
	for p in $PIDS; do kill -TERM "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	ip netns del "$NS" 2>/dev/null || true
	ip link del "$HOST" 2>/dev/null || true
	rm -rf "$DIR"
}
trap cleanup EXIT
ip netns add "$NS"
ip link add "$HOST" type veth peer name "$PEER"
ip link set "$PEER" netns "$NS"
ip link set "$HOST" up
ip -n "$NS" link set "$PEER" up
ip -n "$NS" addr add 10.77.0.2/24 dev "$PEER"
ip -n "$NS" neigh add 10.77.0.9 lladdr 02:00:00:00:00:99 dev "$PEER" nud permanent
IFX=$(cat "/sys/class/net/$HOST/ifindex")

sockets() { awk -v i="$IFX" 'NR > 1 && $5 == i' /proc/net/packet | wc -l; }
cpu_ns() { # the on-CPU ns of every thread of PID
	local s=0 t
	for t in /proc/"$1"/task/*/schedstat; do
		s=$((s + $(cut -d' ' -f1 "$t" 2>/dev/null || echo 0)))
	done
	echo "$s"
}
wait_sockets() {
	local n=0
	while [ "$(sockets)" -lt "$1" ]; do
		n=$((n + 1))
		[ $n -lt 100 ] || {
			echo "afpacket_veth: captures did not open" >&2
			cat "$DIR"/*.err >&2
			exit 1
		}
		sleep 0.1
	done
}
PID_bpf=""
PID_pcap=""
PID_sf=""
start_ofd() { # NAME CONFIG-SEGMENT
	cat >"$DIR/$1.yml" <<YML
$2
- segment: count
YML
	"$BUILD/overflowd" -c "$DIR/$1.yml" >"$DIR/$1.out" 2>"$DIR/$1.err" &
	eval "PID_$1=$!"
	PIDS="$PIDS $!"
}
start_sf() {
	softflowd -i "$HOST" -n 127.0.0.1:9 -v 10 -d -m 65536 -c "$DIR/sf.ctl" >"$DIR/sf.err" 2>&1 &
	PID_sf=$!
	PIDS="$PIDS $!"
}
stop_ofd() { # NAME: sets cap, drop
	local p
	p=$(eval echo "\$PID_$1")
	kill -TERM "$p"
	wait "$p" || true
	cap=$(sed -n 's/.*[ ,]packets \([0-9]*\).*/\1/p' "$DIR/$1.err" | head -1)
	drop=$(sed -n 's/.*capture_dropped \([0-9]*\).*/\1/p' "$DIR/$1.err" | head -1)
}
stop_sf() { # sets cap, drop
	softflowctl -c "$DIR/sf.ctl" statistics >"$DIR/sf.stats" 2>&1 || true
	softflowctl -c "$DIR/sf.ctl" shutdown >/dev/null 2>&1 || true
	wait "$PID_sf" || true
	local d i
	cap=$(sed -n 's/^Packets processed: \([0-9]*\).*/\1/p' "$DIR/sf.stats")
	d=$(sed -n 's/^Packets dropped by libpcap: \([0-9]*\).*/\1/p' "$DIR/sf.stats")
	i=$(sed -n 's/^Packets dropped by interface: \([0-9]*\).*/\1/p' "$DIR/sf.stats")
	drop=$((${d:-0} + ${i:-0}))
}
send() {
	local per=$((PKTS / FLOWS)) t0 t1
	t0=$(date +%s%N)
	ip netns exec "$NS" "$BUILD/pktsend" 10.77.0.9 5000 "$FLOWS" "$per" "$SIZE" >"$DIR/sent"
	t1=$(date +%s%N)
	SENT=$(awk '$1 == "sent" { print $2 }' "$DIR/sent")
	SEND_S=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
	sleep 0.5 # the rings' last blocks (retire timeout 50 ms), libpcap's buffer
}
result() { # LABEL CAPTURED DROPPED CPU_NS
	awk -v l="$1" -v c="$2" -v d="$3" -v ns="$4" -v s="$SENT" -v ss="$SEND_S" 'BEGIN {
		printf "RESULT %s sent=%d send_s=%s captured=%d dropped=%d cpu_s=%.3f rate_per_cpu_s=%.0f\n",
			l, s, ss, c, d, ns / 1e9, (ns > 0 ? c / (ns / 1e9) : 0) }'
}

bpfseg="- segment: bpf
  config: {device: $HOST, workers: $W, buffersize: 64M}"
pcapseg="- segment: packet
  config: {method: pcap, source: $HOST}"

# each alone
start_ofd bpf "$bpfseg"
wait_sockets "$W"
c0=$(cpu_ns "$PID_bpf")
send
c1=$(cpu_ns "$PID_bpf")
stop_ofd bpf
result "alone overflowd-bpf-workers-$W" "$cap" "$drop" $((c1 - c0))

start_ofd pcap "$pcapseg"
wait_sockets 1
c0=$(cpu_ns "$PID_pcap")
send
c1=$(cpu_ns "$PID_pcap")
stop_ofd pcap
result "alone overflowd-packet-pcap" "$cap" "$drop" $((c1 - c0))

if command -v softflowd >/dev/null; then
	start_sf
	wait_sockets 1
	c0=$(cpu_ns "$PID_sf")
	send
	c1=$(cpu_ns "$PID_sf")
	stop_sf
	result "alone softflowd" "$cap" "$drop" $((c1 - c0))

	# together, on the same packets
	start_ofd bpf "$bpfseg"
	start_sf
	wait_sockets $((W + 1))
	a0=$(cpu_ns "$PID_bpf")
	b0=$(cpu_ns "$PID_sf")
	send
	a1=$(cpu_ns "$PID_bpf")
	b1=$(cpu_ns "$PID_sf")
	stop_ofd bpf
	result "together overflowd-bpf-workers-$W" "$cap" "$drop" $((a1 - a0))
	stop_sf
	result "together softflowd" "$cap" "$drop" $((b1 - b0))
fi
