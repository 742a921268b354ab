#!/bin/bash
# UDP ingest end to end: `overflowd replay` sends the shared captures over loopback to a
# pipeline (`overflowd -c`: udp input with several SO_REUSEPORT workers, then count) and every
# record arrives exactly once, with the decoder counters summed over the workers: NetFlow v5
# (spread over the workers by sequence number) and sFlow v5 replayed twice.
#
# Facts (/work/shared/data/README.md): netflow_4M.pcap holds 2,708 datagrams with 78,684
# records, 2,862,857 packets, 2,048,144,412 bytes; sflow.pcap 1,000 datagrams with 5,855 flow
# samples.
#
# Environment (set by ctest): OFD_BIN, OFD_DATA. No fixed sleeps: waits poll with a deadline.
set -u
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

: "${OFD_BIN:?}" "${OFD_DATA:?}"
NF=$OFD_DATA/netflow_4M.pcap
SF=$OFD_DATA/sflow.pcap
{ [ -r "$NF" ] && [ -r "$SF" ]; } || e2e_skip "the shared captures are missing in $OFD_DATA"
e2e_need ss setsid awk
E2E_DIR=$(mktemp -d "${TMPDIR:-/tmp}/ofd-ingest.XXXXXX") || e2e_die "mktemp failed"
trap e2e_cleanup EXIT
trap 'exit 1' INT TERM HUP
D=$E2E_DIR
RATE=${REPLAY_RATE:-10000} # paced: the test checks counting, not speed (bench/ measures that)

# queue_empty PORT: no datagram waits in any socket bound to PORT
# shellcheck disable=SC2317 # called through e2e_wait, which shellcheck does not follow
queue_empty() { [ -z "$(ss -Hlun "sport = :$1" 2>/dev/null | awk '$2 != 0')" ]; }

# ingest NAME WORKERS FILE LOOPS: replay FILE LOOPS times into a fresh pipeline; leaves
# $D/NAME.counts (the count segment's line) and $D/NAME.err (the pipeline's summary)
ingest() {
	local name=$1 workers=$2 file=$3 loops=$4 port
	port=$(e2e_free_port) || e2e_die "no free UDP port"
	cat >"$D/$name.yml" <<EOF
- segment: udp
  config: {listen: "udp://127.0.0.1:$port", workers: $workers, rcvbuf: 4M}
- segment: count
  config: {prefix: "all: ", filename: "$D/$name.counts"}
EOF
	E2E_VARIANT=$name
	e2e_bg OPID "$OFD_BIN" -c "$D/$name.yml" >/dev/null 2>"$D/$name.err"
	if ! e2e_wait "$E2E_WAIT_S" e2e_listening "$port" || e2e_dead "$OPID"; then
		cat "$D/$name.err"
		e2e_die "$name: the pipeline did not start listening on port $port"
	fi
	expect_eq "$name: sockets bound" "$(ss -Hlun "sport = :$port" | wc -l)" "$workers"
	"$OFD_BIN" replay "$file" --to "udp://127.0.0.1:$port" --rate "$RATE" --loop "$loops" 2>"$D/$name.replay" ||
		e2e_fail "$name: replay failed: $(cat "$D/$name.replay")"
	e2e_wait "$E2E_WAIT_S" queue_empty "$port" || e2e_fail "$name: the sockets were not drained"
	kill -TERM "$OPID"
	e2e_reap "$OPID" 20
	expect_eq "$name: exit status" "$E2E_RC" 0
	if grep -q "kernel" "$D/$name.err"; then
		e2e_fail "$name: the kernel dropped datagrams: $(grep kernel "$D/$name.err")"
	fi
}

ingest v5 2 "$NF" 1
expect_eq "v5 counted" "$(cat "$D/v5.counts")" "all: 78684 flows, 2862857 packets, 2048144412 bytes"
expect_eq "v5 decoder counters (both workers)" \
	"$(grep -o 'datagrams_total{format="netflow_v5"} [0-9]*, records_total{format="netflow_v5"} [0-9]*' "$D/v5.err")" \
	'datagrams_total{format="netflow_v5"} 2708, records_total{format="netflow_v5"} 78684'

ingest sflow 3 "$SF" 2
expect_eq "sFlow counted" "$(sed 's/ flows.*//' "$D/sflow.counts")" "all: 11710"
expect_eq "sFlow decoder counters (three workers)" \
	"$(grep -o 'datagrams_total{format="sflow_v5"} [0-9]*, records_total{format="sflow_v5"} [0-9]*' "$D/sflow.err")" \
	'datagrams_total{format="sflow_v5"} 2000, records_total{format="sflow_v5"} 11710'

e2e_result
