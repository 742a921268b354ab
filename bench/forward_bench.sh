#!/bin/bash
# bench/forward_bench.sh: datagram fan-out to 2 targets over loopback, per core, side by side.
#
#   bench/forward_bench.sh BUILD_DIR CAPTURE [LOOPS] [RATE]
#
# `overflowd replay CAPTURE --loop LOOPS --rate RATE` sends the capture's export datagrams to one
# forwarder on 127.0.0.1, which resends each to two bench_sink receivers (32 MiB buffers). For
# each forwarder the figure is what both sinks received (datagrams, and records = datagrams times
# the capture's records per datagram) divided by the CPU time (user + system, every thread and
# process of the forwarder, from /proc) it used meanwhile: datagrams/s per core. Loss is what
# the sinks did not get of 2 x sent. Forwarders, one after the other in one run:
#   ofd_forward    overflowd -c: udp (1 worker) -> forward (2 targets)
#   ofd_filter     the same, one target with the flow filter "proto tcp" (6 of the 2,708 v5
#                  datagrams of the sample have no TCP record: "lost" shows 6 a pass, filtered)
#   ofd_copyonly   udp -> forward with one target whose exporters match nothing: the datagrams
#                  are carried and judged, none sent (the cost of carrying them; figure as ofd_decode)
#   ofd_decode     overflowd -c: udp (1 worker) -> count, no forward (the decode alone; its
#                  figure counts every datagram sent as received)
#   nfacctd_tee    pmacct's nfacctd with the tee plugin, a pool per receiver (replicated to both)
#                  (samplicator is not in Debian; tee is its packaged equivalent)
# Prints one line per forwarder: RESULT bench=forward fwd=NAME sent=S received=R lost=L
#   cpu_s=C dgrams_per_cpu_s=D records_per_cpu_s=X
set -u
BUILD=${1:?build dir}
CAP=${2:?capture}
LOOPS=${3:-100}
RATE=${4:-100000}
OFD=$BUILD/overflowd
SINK=$BUILD/bench_sink
WORK=$(mktemp -d /tmp/ofd-fwbench.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"' EXIT
P1=$((21000 + RANDOM % 2000))
P2=$((P1 + 1))
PF=$((P1 + 2))

# datagrams and records of one pass of the capture
DG=$(capinfos -T -r -c "$CAP" 2>/dev/null | awk 'NR == 1 {print $NF}')
REC=$("$OFD" dump --format csv "$CAP" 2>/dev/null | tail -n +2 | wc -l)

# cpu_of PID...: user + system seconds of the processes and all their threads
cpu_of() {
	local t=0 p v
	for p in "$@"; do
		v=$(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0)
		t=$((t + v))
	done
	awk -v t="$t" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.3f", t / hz}'
}

# pids of a process group
group_pids() { pgrep -g "$1" | tr '\n' ' '; }

wait_port() {
	for _ in $(seq 100); do
		[ -n "$(ss -Hlun "sport = :$1")" ] && return 0
		sleep 0.05
	done
	return 1
}

# run NAME COMMAND...: start the forwarder (in its own process group) on PF, replay, measure
run() {
	local name=$1
	shift
	"$SINK" --port "$P1" >"$WORK/s1.out" &
	local s1=$!
	"$SINK" --port "$P2" >"$WORK/s2.out" &
	local s2=$!
	if ! wait_port "$P1" || ! wait_port "$P2"; then
		echo "sinks did not start"
		exit 1
	fi
	setsid "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" &
	local f=$!
	wait_port "$PF" || { echo "$name did not listen: $(cat "$WORK/$name.err")"; exit 1; }
	sleep 0.5 # let a daemon settle (pmacct forks its plugin)
	local pids c0 c1
	read -ra pids <<<"$(group_pids "$f")"
	c0=$(cpu_of "${pids[@]}")
	"$OFD" replay "$CAP" --to "udp://127.0.0.1:$PF" --loop "$LOOPS" --rate "$RATE" --quiet
	# until the forwarder is idle: its CPU time stops moving
	local prev=-1 cur
	for _ in $(seq 100); do
		sleep 0.2
		cur=$(cpu_of "${pids[@]}")
		[ "$cur" = "$prev" ] && break
		prev=$cur
	done
	c1=$(cpu_of "${pids[@]}")
	kill -INT -- "-$f" 2>/dev/null # nfacctd ignores SIGTERM while its plugin runs
	for _ in $(seq 50); do
		kill -0 "$f" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL -- "-$f" 2>/dev/null
	wait "$f" 2>/dev/null
	kill -TERM "$s1" "$s2"
	wait "$s1" "$s2" 2>/dev/null
	local got
	echo "# $name: sinks $(sed -n 's/.*datagrams=\([0-9]*\).*/\1/p' "$WORK/s1.out" "$WORK/s2.out" | tr '\n' ' ')"
	got=$(cat "$WORK/s1.out" "$WORK/s2.out" | sed -n 's/.*datagrams=\([0-9]*\).*/\1/p' | awk '{s += $1} END {print s + 0}')
	case $name in ofd_decode | ofd_copyonly) got=$((2 * DG * LOOPS)) ;; esac # nothing forwarded: per datagram received
	awk -v n="$name" -v sent=$((DG * LOOPS)) -v got="$got" -v c0="$c0" -v c1="$c1" -v dg="$DG" -v rec="$REC" '
		BEGIN { c = c1 - c0; d = got / 2; if (c <= 0) c = 0.001
		        printf "RESULT bench=forward fwd=%s sent=%d received=%d lost=%d cpu_s=%.2f dgrams_per_cpu_s=%.0f records_per_cpu_s=%.0f\n",
		               n, sent, got, 2 * sent - got, c, d / c, d * rec / dg / c }'
}

cat >"$WORK/fwd.yml" <<EOF
- segment: udp
  config: {listen: "udp://127.0.0.1:$PF", workers: 1, rcvbuf: 32M}
- segment: forward
  config:
    targets:
      - {address: 127.0.0.1, port: $P1}
      - {address: 127.0.0.1, port: $P2}
EOF
cat >"$WORK/filter.yml" <<EOF
- segment: udp
  config: {listen: "udp://127.0.0.1:$PF", workers: 1, rcvbuf: 32M}
- segment: forward
  config:
    targets:
      - {address: 127.0.0.1, port: $P1}
      - {address: 127.0.0.1, port: $P2, filter: "proto tcp"}
EOF
cat >"$WORK/copyonly.yml" <<EOF
- segment: udp
  config: {listen: "udp://127.0.0.1:$PF", workers: 1, rcvbuf: 32M}
- segment: forward
  config:
    targets:
      - {address: 127.0.0.1, port: $P1, exporters: [192.0.2.0/24]}
EOF
cat >"$WORK/decode.yml" <<EOF
- segment: udp
  config: {listen: "udp://127.0.0.1:$PF", workers: 1, rcvbuf: 32M}
- segment: count
EOF
cat >"$WORK/tee.lst" <<EOF
id=1	ip=127.0.0.1:$P1
id=2	ip=127.0.0.1:$P2
EOF
cat >"$WORK/nfacctd.conf" <<EOF
daemonize: false
nfacctd_ip: 127.0.0.1
nfacctd_port: $PF
nfacctd_pipe_size: 33554432
plugins: tee[a]
tee_receivers[a]: $WORK/tee.lst
tee_transparent: false
plugin_buffer_size: 10240
plugin_pipe_size: 10240000
EOF

echo "# $(date -u +%FT%TZ) commit $(git -C "$(dirname "$0")" rev-parse --short HEAD 2>/dev/null) capture $(basename "$CAP"): $DG datagrams, $REC records a pass; loops $LOOPS, rate $RATE/s; $(nproc) cores"
ONLY=${FWD_ONLY:-ofd_forward ofd_filter ofd_copyonly ofd_decode nfacctd_tee} # a subset, space-separated
want() { case " $ONLY " in *" $1 "*) return 0 ;; esac; return 1; }
want ofd_forward && run ofd_forward "$OFD" -c "$WORK/fwd.yml"
want ofd_filter && run ofd_filter "$OFD" -c "$WORK/filter.yml"
want ofd_copyonly && run ofd_copyonly "$OFD" -c "$WORK/copyonly.yml"
want ofd_decode && run ofd_decode "$OFD" -c "$WORK/decode.yml"
if want nfacctd_tee && command -v nfacctd >/dev/null; then
	run nfacctd_tee nfacctd -f "$WORK/nfacctd.conf"
fi
