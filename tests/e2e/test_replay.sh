#!/bin/bash
# overflowd replay end to end: the shared captures are replayed to `overflowd dump` listening on
# 127.0.0.1 and every record must arrive (NetFlow v5 paced with --rate, sFlow with --loop 3 and
# with --loop 0 until SIGTERM); refusals (remote destination, --speed with --rate, bad values)
# exit 2 and a missing file 1; datagrams refused by a closed port are counted, not fatal;
# --speed keeps a capture's timing (a capture written here, datagrams 0.2 s apart); IPv6
# loopback when the host has it.
#
# Facts (/work/shared/data/README.md, checked with tshark): netflow_4M.pcap holds 2,708 datagrams
# with 78,684 records, sflow.pcap 1,000 datagrams with 5,855 flow samples. UDP payload bytes
# (tshark: sum of udp.length - 8): 3,841,824 and 1,264,008.
#
# Environment (set by ctest): OFD_BIN, OFD_DATA. No fixed sleeps: waits poll with a deadline.
set -u
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

: "${OFD_BIN:?}" "${OFD_DATA:?}"
NF=$OFD_DATA/netflow_4M.pcap
SF=$OFD_DATA/sflow.pcap
if [ ! -r "$NF" ] || [ ! -r "$SF" ]; then
	e2e_skip "the shared captures are missing in $OFD_DATA"
fi
e2e_need ss setsid awk
E2E_DIR=$(mktemp -d "${TMPDIR:-/tmp}/ofd-replay.XXXXXX") || e2e_die "mktemp failed"
trap e2e_cleanup EXIT
trap 'exit 1' INT TERM HUP
D=$E2E_DIR
# Paced, so that dump (default socket buffer, maybe sharing the CPU with a build or ASan) is
# never overrun: a kernel drop would make the exact counts below fail (dump_stop reports it).
RATE=${REPLAY_RATE:-5000}

# dump_start NAME [HOST]: `overflowd dump --format csv` on a free port of HOST (default
# 127.0.0.1), output in $D/NAME.csv and $D/NAME.err. Sets PORT and OFD_PID.
dump_start() {
	local host=${2:-127.0.0.1}
	PORT=$(e2e_free_port) || e2e_die "no free UDP port"
	e2e_bg OFD_PID "$OFD_BIN" dump --format csv "udp://$host:$PORT" >"$D/$1.csv" 2>"$D/$1.err"
	if ! e2e_wait "$E2E_WAIT_S" e2e_listening "$PORT" || e2e_dead "$OFD_PID"; then
		cat "$D/$1.err"
		e2e_die "overflowd dump did not start listening on $host:$PORT"
	fi
}

# dump_stop NAME NRECORDS: wait (bounded) until dump printed NRECORDS records, then SIGTERM it.
dump_stop() {
	e2e_wait "$E2E_WAIT_S" e2e_csv_has "$D/$1.csv" "$2" ||
		e2e_log "dump printed $(records "$D/$1.csv") of $2 records within ${E2E_WAIT_S}s"
	kill -TERM "$OFD_PID" 2>/dev/null
	e2e_reap "$OFD_PID" 10
	expect_eq "dump exit status" "$E2E_RC" 0
	if grep -q "dropped" "$D/$1.err"; then
		e2e_fail "dump dropped datagrams: $(grep dropped "$D/$1.err" | tr '\n' ' ')"
	fi
}

records() { echo $(($(wc -l <"$1") - 1)); }

# summary FILE NAME: the value of NAME= in replay's summary line
summary() { grep '^replay: ' "$1" | tail -1 | tr ' ' '\n' | sed -n "s/^$2=\([0-9.]*\).*/\1/p"; }

# at_least A B: A >= B (decimals)
at_least() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 >= b + 0) }'; }

check_summary() { # check_summary FILE DATAGRAMS BYTES FILES PASSES REFUSED
	expect_eq "replay datagrams" "$(summary "$1" datagrams)" "$2"
	expect_eq "replay bytes" "$(summary "$1" bytes)" "$3"
	expect_eq "replay files" "$(summary "$1" files)" "$4"
	expect_eq "replay passes" "$(summary "$1" passes)" "$5"
	expect_eq "replay refused" "$(summary "$1" refused)" "$6"
}

# A NetFlow v5 datagram with two records (the one in test_dump.sh) in IPv4/UDP, 148 bytes.
V5HDR=0005000200000e10469c8a401dcd6500000010920107000a
V5REC=c0000201c63364020a00000100030004000000030000012c0036ee8000371b00007b005000001100fdf0fdff18100000
IPUDP=4500009400004000401100007f0000017f0000010801080200800000
DGRAM=$IPUDP$V5HDR$V5REC$V5REC

# shellcheck disable=SC2059 # the format is made of \xHH escapes only
hex2bin() { printf "$(printf '%s' "$1" | sed 's/../\\x&/g')"; }
le32() { printf '%02x%02x%02x%02x' $(($1 & 255)) $(($1 >> 8 & 255)) $(($1 >> 16 & 255)) $(($1 >> 24 & 255)); }

# mkpcap FILE N STEP_US: a classic pcap (raw IP) of N copies of that datagram, STEP_US apart.
mkpcap() {
	local hex=d4c3b2a1020004000000000000000000ffff000065000000 i t
	for ((i = 0; i < $2; i++)); do
		t=$((i * $3))
		hex=$hex$(le32 $((1700000000 + t / 1000000)))$(le32 $((t % 1000000)))$(le32 148)$(le32 148)
		hex=$hex$DGRAM
	done
	hex2bin "$hex" >"$1"
}

# 1. NetFlow v5, paced: every record arrives, the summary counts every byte.
E2E_VARIANT=netflow
dump_start nf
"$OFD_BIN" replay "$NF" --to "udp://127.0.0.1:$PORT" --rate "$RATE" 2>"$D/nf.replay"
expect_eq "replay exit status" "$?" 0
dump_stop nf 78684
expect_eq "records received" "$(records "$D/nf.csv")" 78684
grep -q '^udp://127.0.0.1:[0-9]*: udp datagrams 2708$' "$D/nf.err" || e2e_fail "dump summary: $(cat "$D/nf.err")"
check_summary "$D/nf.replay" 2708 3841824 1 1 0
# 2,707 intervals at RATE per second; a burst may leave up to 1 ms early
min=$(awk -v r="$RATE" 'BEGIN { print 2707 / r - 0.001 }')
at_least "$(summary "$D/nf.replay" wall_s)" "$min" || e2e_fail "--rate $RATE: faster than ${min}s: $(cat "$D/nf.replay")"
grep -q 'capture ends early' "$D/nf.replay" || e2e_fail "the truncated capture was not reported"

# 2. sFlow three times from memory.
E2E_VARIANT=loop3
dump_start sf
"$OFD_BIN" replay "$SF" --loop 3 --rate "$RATE" --to "udp://127.0.0.1:$PORT" 2>"$D/sf.replay"
expect_eq "replay exit status" "$?" 0
dump_stop sf $((3 * 5855))
expect_eq "records received" "$(records "$D/sf.csv")" 17565
check_summary "$D/sf.replay" 3000 $((3 * 1264008)) 1 3 0

# 3. --loop 0 until SIGTERM; then a v5 datagram as an end marker: once dump printed it, every
# datagram replay sent has been received (one socket's queue is in order).
E2E_VARIANT=loop0
dump_start l0
e2e_bg RPID "$OFD_BIN" replay "$SF" --loop 0 --rate "$RATE" --to "udp://127.0.0.1:$PORT" 2>"$D/l0.replay"
e2e_wait "$E2E_WAIT_S" e2e_csv_has "$D/l0.csv" 6000 || e2e_fail "the second pass did not arrive"
kill -TERM "$RPID"
e2e_reap "$RPID" 10
expect_eq "replay exit status after SIGTERM" "$E2E_RC" 0
sent=$(summary "$D/l0.replay" datagrams)
at_least "$(summary "$D/l0.replay" passes)" 2 || e2e_fail "passes: $(cat "$D/l0.replay")"
mkpcap "$D/one.pcap" 1 0
"$OFD_BIN" replay "$D/one.pcap" --quiet --to "udp://127.0.0.1:$PORT" 2>"$D/one.replay"
expect_eq "--quiet replay exit status" "$?" 0
expect_eq "--quiet stderr" "$(cat "$D/one.replay")" ""
e2e_wait "$E2E_WAIT_S" grep -q '^NETFLOW_V5,' "$D/l0.csv" || e2e_fail "end marker not received"
dump_stop l0 0
grep -q "^udp://127.0.0.1:[0-9]*: udp datagrams $((sent + 1))\$" "$D/l0.err" ||
	e2e_fail "replay sent $sent (+1 marker), dump: $(cat "$D/l0.err")"

# 4. Refusals and errors.
E2E_VARIANT=refuse
"$OFD_BIN" replay "$SF" --to udp://192.0.2.1:2055 2>"$D/r1.err"
expect_eq "remote destination exit status" "$?" 2
grep -q -- '--allow-remote' "$D/r1.err" || e2e_fail "remote refusal: $(cat "$D/r1.err")"
"$OFD_BIN" replay "$SF" --to 'udp://[::ffff:192.0.2.1]:2055' 2>/dev/null
expect_eq "v4-mapped remote exit status" "$?" 2
"$OFD_BIN" replay "$SF" --rate 1k --speed 2 --to udp://127.0.0.1:9 2>"$D/r2.err"
expect_eq "--speed with --rate exit status" "$?" 2
grep -q -- 'cannot be combined' "$D/r2.err" || e2e_fail "--speed --rate: $(cat "$D/r2.err")"
"$OFD_BIN" replay "$D/missing.pcap" --to udp://127.0.0.1:9 2>"$D/r3.err"
expect_eq "missing file exit status" "$?" 1
grep -q 'missing.pcap' "$D/r3.err" || e2e_fail "missing file: $(cat "$D/r3.err")"
for bad in "--rate 5x" "--rate 0" "--speed -1" "--loop x" "--to udp://::1:9" "--to udp://127.0.0.1:0" \
	"--to tcp://127.0.0.1:9"; do
	# shellcheck disable=SC2086 # the option and its value are two words
	"$OFD_BIN" replay "$SF" --to udp://127.0.0.1:9 $bad 2>/dev/null
	expect_eq "exit status with $bad" "$?" 2
done
"$OFD_BIN" replay "$SF" 2>/dev/null
expect_eq "exit status without --to" "$?" 2
"$OFD_BIN" replay --to udp://127.0.0.1:9 2>/dev/null
expect_eq "exit status without FILE" "$?" 2
# Nothing listens: ICMP port unreachable makes later sends fail; they are counted, not fatal.
port=$(e2e_free_port)
"$OFD_BIN" replay "$NF" --to "udp://127.0.0.1:$port" 2>"$D/r4.err"
expect_eq "closed port exit status" "$?" 0
at_least "$(summary "$D/r4.err" refused)" 1 || e2e_fail "no refusal counted: $(cat "$D/r4.err")"
expect_eq "sent + refused" $(($(summary "$D/r4.err" datagrams) + $(summary "$D/r4.err" refused))) 2708

# 5. --speed 2: six datagrams 0.2 s apart in capture time take 0.5 s.
E2E_VARIANT=speed
mkpcap "$D/paced.pcap" 6 200000
dump_start sp
"$OFD_BIN" replay "$D/paced.pcap" --speed 2 --to "udp://127.0.0.1:$PORT" 2>"$D/sp.replay"
expect_eq "replay exit status" "$?" 0
# the pacing as replay measured it (the process's start-up, slow under ASan, is not pacing)
took=$(summary "$D/sp.replay" wall_s)
e2e_log "--speed 2 took ${took}s"
at_least "$took" 0.5 || e2e_fail "--speed 2 took ${took}s, less than 0.5 s"
at_least 0.8 "$took" || e2e_fail "--speed 2 took ${took}s, not well below 1 s"
dump_stop sp 12
expect_eq "records received" "$(records "$D/sp.csv")" 12
check_summary "$D/sp.replay" 6 720 1 1 0

# 6. IPv6 loopback, unpaced (where the host has ::1).
E2E_VARIANT=ipv6
if grep -q '^0\{31\}1 ' /proc/net/if_inet6 2>/dev/null; then
	dump_start v6 '[::1]'
	"$OFD_BIN" replay "$D/paced.pcap" "$D/one.pcap" --to "udp://[::1]:$PORT" 2>"$D/v6.replay"
	expect_eq "replay exit status" "$?" 0
	dump_stop v6 14
	expect_eq "records received" "$(records "$D/v6.csv")" 14
	check_summary "$D/v6.replay" 7 840 2 1 0
else
	e2e_log "no ::1 on lo: IPv6 part skipped"
fi

e2e_result
