#!/bin/bash
# Forged exports must not make the tracer sender an amplifier, as the attack (issue 11): in a
# private network namespace where all of 10.0.0.0/8 is local, NetFlow v5 datagrams of 30
# records about invented flows (10.1.x.y -> 10.2.x.y, every one a distinct pair of addresses)
# are sent from a forged exporter, 10.66.0.1, to `overflowd -u PORT --send --methods udp -r 1`
# (every flow picked; --allow 10.0.0.0/8 lets the reserved range through the policy). One UDP
# socket on 0.0.0.0:UPORT (the flow ends' tracer port) receives every delivery and notes the
# destination address (IP_PKTINFO) and the payload length of each. Variants:
#   - no-list:    no --exporters: the records are decoded as unlisted and make no tracer
#                 (from: listed, the default); 0 tracer bytes;
#   - other-list: --exporters 10.77.0.1: the datagrams are dropped as unlisted_exporter;
#   - listed:     --exporters 10.66.0.1: tracers flow, and tracer bytes out / export bytes in
#                 <= 0.5 (the default amplification);
#   - listed-0.2: the same with --amplification 0.2: <= 0.2;
#   - from-any:   no list, --from any (tracers about unlisted exporters' flows too): <= 0.5.
# Bytes in: the sum of the export datagrams' UDP payloads; bytes out: the sum of the tracers'
# UDP payloads received at the flow ends. HTTP is not used (--methods udp).
#
# No sleeps. That overflowd has handled every export datagram is known from a marker: after
# the attack, single-record datagrams from 127.0.0.1 (a local input: no budget) about a flow
# 10.99.k.1 -> 10.98.k.1 are sent until a tracer about one of them arrives (one worker decodes
# the datagrams in order); those deliveries are not counted. Then overflowd is stopped with
# SIGTERM, and the receiver must have every delivery of its summary ("sent udp N").
# The factors are printed on "ok:" lines. Exit 77 when unshare -n is not permitted.

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh" || exit 1

: "${OFD_BIN:?}" "${OFD_BUILD:?}"
e2e_need unshare ip python3 ss awk setsid
if [ -z "${OFD_IN_NETNS:-}" ]; then
	unshare -n true 2>/dev/null || e2e_skip "unshare -n is not permitted here"
	OFD_IN_NETNS=1 exec unshare -n bash "${BASH_SOURCE[0]}" "$@"
fi
ip link set lo up || e2e_die "ip link set lo up failed"
ip route add local 10.0.0.0/8 dev lo || e2e_die "ip route add local 10.0.0.0/8 dev lo failed"
E2E_DIR=$(mktemp -d "${TMPDIR:-/tmp}/ofd-amplify.XXXXXX") || e2e_die "mktemp failed"
trap e2e_cleanup EXIT
trap 'exit 1' INT TERM HUP
D=$E2E_DIR
PORT=7777    # our own namespace: no other test's sockets
UPORT=30000  # the flow ends' tracer port
FORGED=10.66.0.1
NDGRAMS=200 # of 30 records: 6,000 flows, 292,800 bytes
RECORDS=$((NDGRAMS * 30))
# the interpreter itself, not a version manager's shim (which costs a shell script per start)
PY=$(python3 -c 'import sys; print(sys.executable)')
[ -x "$PY" ] || e2e_die "python3 does not run"

mkdir -m 0700 "$D/keys" || e2e_die "mkdir keys failed"
"$OFD_BIN" keygen -k "$D/keys/signing.key" >/dev/null 2>"$D/keygen.err" ||
	e2e_die "keygen: $(cat "$D/keygen.err")"
chmod 0600 "$D/keys/signing.key"

# craft.py SRC PORT COUNT FIRST NETA NETB: COUNT NetFlow v5 datagrams of 30 records (1 when
# COUNT is 0: one datagram of one record) sent from SRC to 127.0.0.1:PORT (10.0.0.1 for a
# source other than loopback); record k (from FIRST on) is the TCP flow
# NETA.(k/256).(k%256):40000+k%1024 -> NETB.(k/256).(k%256):443. Prints the payload bytes sent.
cat >"$D/craft.py" <<'EOF'
import socket, struct, sys, time
src, port, count, first, neta, netb = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), \
    int(sys.argv[4]), sys.argv[5], sys.argv[6]
per, ndg = (30, count) if count else (1, 1)
dst = "127.0.0.1" if src.startswith("127.") else "10.0.0.1"
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((src, 0))
now, total, k = int(time.time()), 0, first
for seq in range(ndg):
    # version, count, sysUptime (ms), unix_secs, unix_nsecs, flow_sequence, engine, sampling
    d = struct.pack("!HHIIIIBBH", 5, per, 100000, now, 0, seq * per, 0, 0, 0)
    for _ in range(per):
        a = socket.inet_aton("%s.%d.%d" % (neta, (k >> 8) & 255, k & 255))
        b = socket.inet_aton("%s.%d.%d" % (netb, (k >> 8) & 255, k & 255))
        # nexthop, in/out if, packets, bytes, first, last, ports, pad, flags, proto, tos,
        # src/dst AS, src/dst mask, pad
        d += a + b + bytes(4) + struct.pack("!HHIIIIHHBBBBHHBBH", 1, 2, 10, 5000, 99000, 99500,
                                            40000 + (k & 1023), 443, 0, 0x18, 6, 0, 0, 0, 24,
                                            24, 0)
        k += 1
    s.sendto(d, (dst, port))
    total += len(d)
print(total)
EOF

# recv.py PORT: on 0.0.0.0:PORT, one line per datagram received: its destination address (from
# IP_PKTINFO) and its payload length.
cat >"$D/recv.py" <<'EOF'
import socket, sys
IP_PKTINFO, SO_RCVBUFFORCE = 8, 33
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
try:
    s.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 1 << 24)
except OSError:
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 24)
s.setsockopt(socket.IPPROTO_IP, IP_PKTINFO, 1)
s.bind(("0.0.0.0", int(sys.argv[1])))
while True:
    data, anc, _, _ = s.recvmsg(65536, 256)
    dst = "?"
    for lvl, typ, val in anc:
        if lvl == socket.IPPROTO_IP and typ == IP_PKTINFO:
            dst = socket.inet_ntoa(val[8:12])  # in_pktinfo: ifindex, spec_dst, addr
    print(dst, len(data), flush=True)
EOF

# summary FILE PATTERN: the number after PATTERN in overflowd's summary, 0 if none
summary() {
	awk -v p="$2" '{ i = index($0, p); if (i) { s = substr($0, i + length(p)); sub(/^[: ]+/, "", s); n = s + 0 } }
		END { print n + 0 }' "$1"
}
# shellcheck disable=SC2317 # called through e2e_wait
marker_seen() {
	grep -q '^10\.9[89]\.' "$1" && return 0
	MARK=$((MARK + 1))
	"$PY" "$D/craft.py" 127.0.0.1 "$PORT" 0 "$MARK" 10.99 10.98 >/dev/null
	return 1
}
# shellcheck disable=SC2317
received_at_least() { [ "$(wc -l <"$1")" -ge "$2" ]; }

# run_variant NAME [overflowd options]: sets OUT (tracer payload bytes about the forged export),
# IN (the export's payload bytes) and NDELIV (those deliveries); the summary is in $dir/err.txt
run_variant() {
	E2E_VARIANT=$1
	shift
	local dir=$D/$E2E_VARIANT sent got
	mkdir "$dir"
	e2e_bg RECV_PID "$PY" "$D/recv.py" "$UPORT" >"$dir/recv.txt" 2>"$dir/recv.err"
	e2e_wait "$E2E_WAIT_S" e2e_listening "$UPORT" || e2e_die "the receiver did not start: $(cat "$dir/recv.err")"
	e2e_bg OFD_PID "$OFD_BIN" -u "$PORT" --send --methods udp -r 1 -k "$D/keys/signing.key" \
		--allow 10.0.0.0/8 --udp-port "$UPORT" "$@" >"$dir/out.txt" 2>"$dir/err.txt"
	if ! e2e_wait "$E2E_WAIT_S" e2e_listening "$PORT" || e2e_dead "$OFD_PID"; then
		cat "$dir/err.txt"
		e2e_die "overflowd did not start listening on :$PORT"
	fi
	IN=$("$PY" "$D/craft.py" "$FORGED" "$PORT" "$NDGRAMS" 0 10.1 10.2) || e2e_die "craft.py failed"
	MARK=0
	if ! e2e_wait "$E2E_WAIT_S" marker_seen "$dir/recv.txt"; then
		cat "$dir/err.txt"
		e2e_die "[$E2E_VARIANT] no tracer about a marker flow from 127.0.0.1 within ${E2E_WAIT_S}s"
	fi
	kill -TERM "$OFD_PID" 2>/dev/null
	e2e_reap "$OFD_PID" "$E2E_WAIT_S"
	[ "$E2E_RC" = 0 ] || e2e_fail "overflowd exited with status $E2E_RC"
	sent=$(summary "$dir/err.txt" "sent udp")
	e2e_wait "$E2E_WAIT_S" received_at_least "$dir/recv.txt" "$sent" ||
		e2e_fail "the receiver got $(wc -l <"$dir/recv.txt") of the $sent UDP deliveries"
	kill -TERM "$RECV_PID" 2>/dev/null
	e2e_reap "$RECV_PID" "$E2E_WAIT_S"
	got=$(awk '$1 !~ /^10\.9[89]\./ { n++; s += $2 } END { print n + 0, s + 0 }' "$dir/recv.txt")
	NDELIV=${got% *}
	OUT=${got#* }
	# the attack's datagrams and the markers overflowd read (the last ones may have been left)
	got=$(summary "$dir/err.txt" "udp datagrams")
	if [ "$got" -le "$NDGRAMS" ] || [ "$got" -gt $((NDGRAMS + MARK)) ]; then
		e2e_fail "udp datagrams $got: not $NDGRAMS and 1 to $MARK markers"
	fi
	e2e_log "[$E2E_VARIANT] export $IN bytes in $NDGRAMS datagrams ($RECORDS records) from $FORGED;" \
		"$NDELIV deliveries, $OUT bytes; $((sent - NDELIV)) marker deliveries of $MARK markers"
	e2e_log "[$E2E_VARIANT] $(grep -h '^tracer' "$dir/err.txt" | tr '\n' ' ')"
}

# factor_at_most BOUND: OUT/IN <= BOUND and OUT > 0, with BOUND a decimal of 1 digit
factor_at_most() {
	local f tenths=${1#0.}
	f=$(awk -v o="$OUT" -v i="$IN" 'BEGIN { printf "%.4f", o / i }')
	if [ "$OUT" -le 0 ]; then
		e2e_fail "no tracer bytes arrived ($NDELIV deliveries)"
	elif [ $((OUT * 10)) -gt $((IN * tenths)) ]; then
		e2e_fail "tracer bytes out / export bytes in = $OUT / $IN = $f, above $1"
	else
		echo "ok: [$E2E_VARIANT] amplification $f <= $1 (tracer bytes out $OUT / export bytes in $IN;" \
			"$NDELIV deliveries, $(awk -v n="$NDELIV" -v d="$NDGRAMS" 'BEGIN { printf "%.2f", n / d }') per datagram)"
	fi
	local over
	over=$(summary "$D/$E2E_VARIANT/err.txt" "over budget")
	[ "$over" -gt 0 ] || e2e_fail "no tracer was over budget: the budget did not bind"
}

run_variant no-list
expect_eq "tracer bytes from unlisted exporter" "$OUT" 0
expect_eq "flows of unlisted exporters" "$(summary "$D/no-list/err.txt" "flows of unlisted exporters")" "$RECORDS"
echo "ok: [no-list] amplification 0 (tracer bytes out 0 / export bytes in $IN)"

run_variant other-list --exporters 10.77.0.1
expect_eq "tracer bytes from unlisted exporter" "$OUT" 0
expect_eq "datagrams dropped as unlisted_exporter" "$(summary "$D/other-list/err.txt" "dropped unlisted_exporter")" "$NDGRAMS"
echo "ok: [other-list] amplification 0 (tracer bytes out 0 / export bytes in $IN)"

run_variant listed --exporters "$FORGED"
factor_at_most 0.5

run_variant listed-0.2 --exporters "$FORGED" --amplification 0.2
factor_at_most 0.2

run_variant from-any --from any
factor_at_most 0.5
expect_eq "flows of unlisted exporters" "$(summary "$D/from-any/err.txt" "flows of unlisted exporters")" "$RECORDS"

e2e_result
