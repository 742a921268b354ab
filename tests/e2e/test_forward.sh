#!/bin/bash
# The forward segment end to end. `overflowd replay` sends the NetFlow v5 sample capture (2,708
# datagrams, 78,684 records) to overflowd A on 127.0.0.1 (`overflowd -c`: udp -> json -> forward),
# which resends every datagram to three collectors at once:
#   - overflowd B (`dump --format json`): its records must equal A's own, every field but the
#     receive time;
#   - nfcapd (Debian nfdump), with exporters [127.0.0.0/8]: `nfdump -o fmt:...` must give A's
#     records (export_check.py's nfdump comparison);
#   - overflowd C with the flow filter "proto 50": exactly the 9 datagrams that hold an ESP record
#     (tshark counts them), 261 records, 10 of them ESP;
# and a fourth target whose exporters list excludes loopback gets nothing. A's /metrics give the
# per-target counts (sent, filtered_exporter, filtered_flows, send_error) and bytes.

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh" || exit 1

: "${OFD_BIN:?OFD_BIN must name the overflowd binary}"
: "${OFD_SRC:?OFD_SRC must name the source tree}"
e2e_need python3 ss setsid curl nfcapd nfdump
CAP=${OFD_DATA:-../shared/data}/netflow_4M.pcap
[ -r "$CAP" ] || e2e_skip "$CAP is missing"
NDG=2708
NREC=78684
NBYTES=3841824
E2E_DIR=$(mktemp -d "${TMPDIR:-/tmp}/ofd-e2e.XXXXXX") || e2e_die "mktemp failed"
trap e2e_cleanup EXIT
trap 'exit 1' INT TERM HUP
E2E_VARIANT=forward
CHECK="python3 $OFD_SRC/tests/e2e/export_check.py"
cd "$E2E_DIR" || e2e_die "cd $E2E_DIR"

# shellcheck disable=SC2317 # called through e2e_wait
lines_at_least() { [ -f "$1" ] && [ "$(wc -l <"$1")" -ge "$2" ]; }
# shellcheck disable=SC2317 # called through e2e_wait
has_url() { grep -q "metrics: serving http" "$1"; }

ports=""
free_port() {
	local p i
	for i in $(seq 1 50); do
		p=$(e2e_free_port) || e2e_die "no free port"
		case " $ports " in *" $p "*) continue ;; esac
		ports="$ports $p"
		echo "$p"
		return 0
	done
	e2e_die "no free port"
}
APORT=$(free_port)
BPORT=$(free_port)
CPORT=$(free_port)
NFPORT=$(free_port)
DPORT=$(free_port)

e2e_bg B_PID "$OFD_BIN" dump --format json "udp://127.0.0.1:$BPORT" >b.json 2>b.err
e2e_bg C_PID "$OFD_BIN" dump --format json "udp://127.0.0.1:$CPORT" >c.json 2>c.err
mkdir nf
e2e_bg NF_PID nfcapd -b 127.0.0.1 -p "$NFPORT" -w "$E2E_DIR/nf" -t 3600 -B 16777216 >nfcapd.log 2>&1
for p in "$BPORT" "$CPORT" "$NFPORT"; do
	e2e_wait "$E2E_WAIT_S" e2e_listening "$p" || e2e_die "no collector listens on $p"
done

cat >a.yml <<EOF
- segment: udp
  config: {listen: "udp://127.0.0.1:$APORT", workers: 1, rcvbuf: 32M}
- segment: json
  config: {filename: "$E2E_DIR/a.json"}
- segment: forward
  config:
    targets:
      - {address: 127.0.0.1, port: $BPORT}
      - {address: 127.0.0.1, port: $NFPORT, exporters: [127.0.0.0/8]}
      - {address: 127.0.0.1, port: $CPORT, filter: "proto 50"}
      - {address: 127.0.0.1, port: $DPORT, exporters: [192.0.2.0/24, "2001:db8::/32"]}
EOF
e2e_bg A_PID "$OFD_BIN" -c a.yml --metrics 127.0.0.1:0 2>a.err
e2e_wait "$E2E_WAIT_S" e2e_listening "$APORT" || e2e_die "overflowd A did not listen: $(cat a.err)"
e2e_wait "$E2E_WAIT_S" has_url a.err || e2e_die "no metrics line: $(cat a.err)"
URL=$(sed -n 's/.*metrics: serving \(http:[^ ]*\).*/\1/p' a.err | head -1)

"$OFD_BIN" replay "$CAP" --to "udp://127.0.0.1:$APORT" --rate 20000 2>replay.err ||
	e2e_die "replay failed: $(cat replay.err)"

e2e_wait "$E2E_WAIT_S" lines_at_least a.json "$NREC" || e2e_fail "A has $(wc -l <a.json) of $NREC records"
e2e_wait "$E2E_WAIT_S" lines_at_least b.json "$NREC" || e2e_fail "B has $(wc -l <b.json) of $NREC records"
e2e_wait "$E2E_WAIT_S" lines_at_least c.json 261 || e2e_fail "C has $(wc -l <c.json) of 261 records"

# A's metrics, while it runs
curl -sf --max-time 5 "$URL" >metrics.txt || e2e_fail "cannot scrape $URL"
metric() { # metric TARGET RESULT: the value of overflowd_forward_datagrams_total for them
	awk -v t="target=\"$1\"" -v r="result=\"$2\"" \
		'/^overflowd_forward_datagrams_total\{/ && index($0, t) && index($0, r) { print $NF; exit }' metrics.txt
}
expect_eq "B sent" "$(metric "127.0.0.1:$BPORT" sent)" "$NDG"
expect_eq "nfcapd sent" "$(metric "127.0.0.1:$NFPORT" sent)" "$NDG"
expect_eq "C sent" "$(metric "127.0.0.1:$CPORT" sent)" 9
expect_eq "C filtered_flows" "$(metric "127.0.0.1:$CPORT" filtered_flows)" $((NDG - 9))
expect_eq "D sent" "$(metric "127.0.0.1:$DPORT" sent)" 0
expect_eq "D filtered_exporter" "$(metric "127.0.0.1:$DPORT" filtered_exporter)" "$NDG"
expect_eq "B send_error" "$(metric "127.0.0.1:$BPORT" send_error)" 0
expect_eq "B bytes" "$(awk -v t="target=\"127.0.0.1:$BPORT\"" \
	'/^overflowd_forward_bytes_total\{/ && index($0, t) { print $NF; exit }' metrics.txt)" "$NBYTES"

kill -TERM "$A_PID" 2>/dev/null
e2e_reap "$A_PID" 10
expect_eq "A's exit status" "$E2E_RC" 0
grep -q "datagrams $NDG, sent $((2 * NDG + 9)), filtered $((2 * NDG - 9)), send_errors 0" a.err ||
	e2e_fail "A's forward counters: $(grep "forward" a.err)"
for v in B C; do
	eval "pid=\$${v}_PID"
	kill -TERM "$pid" 2>/dev/null
	e2e_reap "$pid" 10
done
kill -TERM "$NF_PID" 2>/dev/null
e2e_reap "$NF_PID" 10

# B: every field of every record but the receive time equals A's
python3 - a.json b.json <<'EOF' || e2e_fail "B's records differ from A's"
import json, sys
def load(p):
    out = []
    for line in open(p):
        r = json.loads(line)
        for k in [k for k in r if k.startswith("time_received")]:
            del r[k]
        out.append(json.dumps(r, sort_keys=True))
    return sorted(out)
a, b = load(sys.argv[1]), load(sys.argv[2])
if a != b:
    print("A %d records, B %d; first differences:" % (len(a), len(b)))
    print("\n".join(sorted(set(a) ^ set(b))[:5]))
    sys.exit(1)
print("ok: B's %d records equal A's (every field but the receive time)" % len(b))
EOF
$CHECK json a.json b.json || e2e_fail "export_check: B differs from A"

# nfcapd: the same records
TZ=UTC nfdump -R nf -q -N -o "fmt:%ts %te %sa %da %sp %dp %pr %pkt %byt %in %out %tos %sas %das" \
	>nf.txt 2>nfdump.err || e2e_fail "nfdump failed: $(cat nfdump.err)"
expect_eq "nfdump records" "$(wc -l <nf.txt)" "$NREC"
# nfdump reads the forwarded v5 records as it reads v9 ones (export_check.py's "v9"): records
# whose LAST wrapped (2^32 ms before their FIRST) 2^32 ms later than overflowd keeps them, and
# the ESP destination port shown (it hides it only for IPFIX)
$CHECK nfdump a.json nf.txt v9 || e2e_fail "nfdump differs from A"

# C: the datagrams with an ESP record, whole
expect_eq "C records" "$(wc -l <c.json)" 261
expect_eq "C ESP records" "$(grep -c '"proto":"ESP"\|"proto":50' c.json)" 10
e2e_result
