#!/usr/bin/env bash
# bench/deliver_netns.sh [BUILD_DIR]: the tracer sender's delivery to answering destinations
# with 0 and 100 destinations that do not answer on HTTP (silent: SYNs dropped; tarpits:
# handshakes completed, nothing answered), in a private network namespace (unshare -n, as root).
# Inside: 10.1.0.0/16 is local (answering hosts and tarpits), 10.2.0.0/16 goes to a tun device
# nobody reads (silent hosts). Prints bench_deliver's RESULT lines (see bench/bench_deliver.c).
#
# Environment: DELIVER_SECONDS=20, DELIVER_RATE=100 (tracers per second), DELIVER_BAD=100.
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$(cd "${1:-$SRC/build}" && pwd)
if [ "${OFD_DELIVER_INSIDE:-}" != 1 ]; then
	OFD_DELIVER_INSIDE=1 exec unshare -n "$0" "$BUILD"
fi
ip link set lo up
ip route add local 10.1.0.0/16 dev lo
ip tuntap add dev ofdsilent0 mode tun
ip link set ofdsilent0 up
ip route add 10.2.0.0/16 dev ofdsilent0
SECS=${DELIVER_SECONDS:-20}
RATE=${DELIVER_RATE:-100}
BAD=${DELIVER_BAD:-100}
for run in "silent:0" "silent:$BAD" "tarpit:$BAD"; do
	"$BUILD/bench_deliver" --kind "${run%%:*}" --bad "${run#*:}" --rate "$RATE" --seconds "$SECS"
done
