#!/bin/bash
# Tracers from the command line: keygen and key-file refusals, -f on the shared capture with a
# seed (reproducible, every tracer verifies and names a flow that is really in the capture),
# tampering, the four 2016 tracers, -u on a real UDP port, and delivery over real UDP and HTTP
# to a sink on 127.0.0.1 (as relays) where every tracer received verifies.
set -u
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

: "${OFD_BIN:?}" "${OFD_BUILD:?}" "${OFD_DATA:?}"
PCAP=$OFD_DATA/netflow_4M.pcap
E2E_DIR=$(mktemp -d "${TMPDIR:-/tmp}/ofd-tracer.XXXXXX") || e2e_die "mktemp failed"
trap e2e_cleanup EXIT
D=$E2E_DIR
E2E_VARIANT=tracer
cd "$D" || exit 1


# keys
"$OFD_BIN" keygen -k key >pub.txt 2>keygen.err || e2e_die "keygen: $(cat keygen.err)"
grep -Eq '^[0-9a-f]{64}$' pub.txt || e2e_fail "keygen printed: $(cat pub.txt)"
expect_eq "key file mode" "$(stat -c %a key)" 600
"$OFD_BIN" keygen -k key >/dev/null 2>&1 && e2e_fail "keygen overwrote an existing key"
chmod 640 key
"$OFD_BIN" -f "$PCAP" -k key >/dev/null 2>perm.err && e2e_fail "a group-readable key was accepted"
grep -q "chmod" perm.err || e2e_fail "no hint in: $(cat perm.err)"
chmod 600 key
printf 'not a key\n' >bad.key && chmod 600 bad.key
"$OFD_BIN" -f "$PCAP" -k bad.key >/dev/null 2>bad.err && e2e_fail "a malformed key was accepted"

# -f: reproducible, verifiable, about real flows
"$OFD_BIN" -f "$PCAP" -r 1e-4 --seed 7 -k key >t1.jsonl 2>t1.err || e2e_fail "-f exited $?: $(cat t1.err)"
"$OFD_BIN" -f "$PCAP" -r 1e-4 --seed 7 -k key >t2.jsonl 2>/dev/null
n=$(wc -l <t1.jsonl)
{ [ "$n" -gt 100 ] && [ "$n" -lt 600 ]; } || e2e_fail "tracers at rate 1e-4: $n"
expect_eq "same seed, same count" "$(wc -l <t2.jsonl)" "$n"
"$OFD_BIN" verify t1.jsonl >v1.txt 2>v1.err || e2e_fail "verify: $(grep -v '^valid' v1.txt | head -3)"
expect_eq "valid tracers" "$(grep -c '^valid ' v1.txt)" "$n"
grep -q "^valid $(cat pub.txt) " v1.txt || e2e_fail "tracers not signed by our key"
"$OFD_BIN" dump --format csv "$PCAP" 2>/dev/null | awk -F, 'BEGIN {
	n = split("HOPOPT 0 ICMP 1 IGMP 2 IPv4 4 TCP 6 UDP 17 IPv6 41 GRE 47 ESP 50 AH 51 IPv6-ICMP 58 OSPFIGP 89 PIM 103 VRRP 112 SCTP 132", t, " ")
	for (i = 1; i < n; i += 2) num[t[i]] = t[i + 1] }
	NR > 1 { p = ($13 in num) ? num[$13] : $13
	print $10 ":" $14 " -> " $11 ":" $15 " proto " p " packets " $9 " bytes " $8 }' | sort -u >flows.txt
sed -E 's/^valid [0-9a-f]+ //; s/ class .*//' v1.txt | sort -u >named.txt
expect_eq "tracers naming a flow not in the capture" "$(comm -23 named.txt flows.txt | wc -l)" 0

# tampering: one changed base64 character of the signature is caught
first=$(head -1 t1.jsonl)
sig=$(printf '%s' "$first" | sed -E 's/.*"signature": "([^"]+)".*/\1/')
c=${sig:10:1}; [ "$c" = A ] && r=B || r=A
printf '%s\n' "${first/$sig/${sig:0:10}$r${sig:11}}" >tampered.jsonl
"$OFD_BIN" verify tampered.jsonl >tv.txt 2>/dev/null && e2e_fail "a tampered tracer verified"
grep -q '^invalid ' tv.txt || e2e_fail "tampered: $(cat tv.txt)"

# printed tracers keep every field (no redact unless asked)
expect_eq "printed tracers naming the exporter" "$(grep -c '"exporter": "122.166.4.242"' t1.jsonl)" "$n"

# a real abuse contact, a 56-character RDAP URL: every tracer is made; printed (the full form,
# as HTTP gets it) with the whole contact; fitted to one datagram for UDP (below 1,200 bytes,
# marked truncated), where it verifies too and a receiver stores it
RDAP="https://rdap.db.ripe.net/entity/ORG-EXAMPLE1-RIPE/abuse1"
expect_eq "RDAP contact length" "${#RDAP}" 56
"$OFD_BIN" -f "$PCAP" -r 1e-4 --seed 7 -k key --contact "$RDAP" >rdap.jsonl 2>rdap.err ||
	e2e_fail "RDAP contact: $(cat rdap.err)"
expect_eq "tracers with an RDAP contact" "$(wc -l <rdap.jsonl)" "$n"
grep -q "selected $n (escalated 0), failed 0," rdap.err || e2e_fail "RDAP: $(grep tracers: rdap.err)"
expect_eq "full forms with the whole contact" "$(grep -c "\"contact\": \"$RDAP\"}" rdap.jsonl)" "$n"
"$OFD_BIN" verify rdap.jsonl >rv.txt 2>/dev/null || e2e_fail "RDAP full forms: $(grep -v '^valid' rv.txt | head -3)"
expect_eq "RDAP full forms valid" "$(grep -c '^valid ' rv.txt)" "$n"
"$OFD_BUILD/tracer_sink" sink5 &
spid=$!
E2E_PIDS="$E2E_PIDS $spid"
e2e_wait 10 test -s sink5.ports || e2e_die "tracer_sink did not start"
read -r pu ph <sink5.ports
"$OFD_BIN" -f "$PCAP" -r 1e-4 --seed 7 -k key --contact "$RDAP" --send-to "udp://127.0.0.1:$pu" \
	--send-to "http://127.0.0.1:$ph/.well-known/overflowd" >/dev/null 2>rdaps.err || e2e_fail "RDAP send: $(cat rdaps.err)"
grep -q "sent udp $n, http $n" rdaps.err || e2e_fail "RDAP sender: $(grep tracers rdaps.err)"
e2e_wait 10 sh -c "[ \$(wc -l <sink5.udp) -ge $n ] && [ \$(wc -l <sink5.http) -ge $n ]" ||
	e2e_fail "RDAP: received udp $(wc -l <sink5.udp), http $(wc -l <sink5.http) of $n"
kill -TERM "$spid"; wait "$spid"
expect_eq "UDP forms of 1,200 bytes or more" "$(awk 'length($0) >= 1200' sink5.udp | wc -l)" 0
expect_eq "UDP forms marked truncated" "$(grep -c '"truncated": \["data"' sink5.udp)" "$n"
expect_eq "HTTP forms with the whole contact" "$(grep -c "\"contact\": \"$RDAP\"}" sink5.http)" "$n"
for m in udp http; do
	"$OFD_BIN" verify "sink5.$m" >"rv5.$m" 2>/dev/null || e2e_fail "RDAP $m: invalid tracers received"
	expect_eq "RDAP $m tracers valid" "$(grep -c '^valid ' "rv5.$m")" "$n"
done
PR=$(e2e_free_port) || e2e_die "no free port"
"$OFD_BIN" receive --udp "127.0.0.1:$PR" --http none --db rdap.db >rrx.out 2>rrx.err &
rpid=$!
E2E_PIDS="$E2E_PIDS $rpid"
e2e_wait 10 e2e_listening "$PR" || e2e_die "receiver did not start: $(cat rrx.err)"
"$OFD_BIN" -f "$PCAP" -r 1e-4 --seed 7 -k key --contact "$RDAP" --send-to "udp://127.0.0.1:$PR" >/dev/null \
	2>rdapr.err || e2e_fail "RDAP to a receiver: $(cat rdapr.err)"
kill -TERM "$rpid"; wait "$rpid"
grep -q "stored $n " rrx.err || e2e_fail "receiver of RDAP UDP forms: $(grep received rrx.err)"

# a contact no tracer can carry whole, where no delivery may cut it (HTTP, print): refused at start
LONG=$(head -c 5000 /dev/zero | tr '\0' a)
"$OFD_BIN" -f "$PCAP" -k key --contact "$LONG" >/dev/null 2>long.err && e2e_fail "a 5000-byte contact was accepted for print"
grep -q "key contact: 5000 bytes is too long for any tracer" long.err || e2e_fail "long contact: $(head -3 long.err)"
"$OFD_BIN" -f "$PCAP" -k key --contact "$LONG" --send-to "http://127.0.0.1:1/x" >/dev/null 2>long2.err &&
	e2e_fail "a 5000-byte contact was accepted for HTTP"
grep -q "key contact: 5000 bytes is too long" long2.err || e2e_fail "long contact, http: $(head -3 long2.err)"

# the 2016 prototype's four tracers
V=$OFD_DATA/overflowd-2016-tracers.json
paste -d' ' <(sed -n 's/^ *"key": "\([0-9a-f]*\)".*/\1/p' "$V") <(sed -n 's/^ *"signature": "\([^"]*\)".*/\1/p' "$V") |
	awk '{ printf "{\"signature\": {\"key\": \"%s\", \"signature\": \"%s\"}}\n", $1, $2 }' >proto.jsonl
expect_eq "2016 tracers" "$(wc -l <proto.jsonl)" 4
"$OFD_BIN" verify proto.jsonl >pv.txt 2>&1 || e2e_fail "2016 tracers: $(cat pv.txt)"
expect_eq "2016 tracers valid" "$(grep -c '^valid d52b9644' pv.txt)" 4

# -u PORT: the port is really used
port=$((20000 + RANDOM % 20000))
"$OFD_BIN" -u "$port" -r 1 -k key >u.jsonl 2>u.err &
upid=$!
E2E_PIDS="$E2E_PIDS $upid"
e2e_wait 10 sh -c "ss -lun | grep -q ':$port '" || e2e_fail "-u did not listen on $port"
hdr="0005000200000e10469c8a401dcd6500000010920107000a"
rec="c0000201c63364020a0000010003000400000003 0000012c0036ee8000371b00007b005000001100fdf0fdff18100000"
hex="$hdr${rec// /}${rec// /}"
printf '%b' "$(printf '%s' "$hex" | sed 's/../\\x&/g')" >dg.bin
cat dg.bin >"/dev/udp/127.0.0.1/$port" # one write, one datagram
# shellcheck disable=SC2317 # called through e2e_wait, which shellcheck does not follow
tracers_at_least() { [ "$(wc -l <u.jsonl)" -ge "$1" ]; }
e2e_wait 10 tracers_at_least 2 || e2e_fail "-u made $(wc -l <u.jsonl) tracers"
kill -TERM "$upid"; wait "$upid"
"$OFD_BIN" verify u.jsonl >uv.txt 2>/dev/null || e2e_fail "-u tracers: $(cat uv.txt)"
grep -q ' 192.0.2.1:123 -> 198.51.100.2:80 proto 17 packets 3 bytes 300 ' uv.txt || e2e_fail "-u flow: $(cat uv.txt)"

# delivery over real UDP and HTTP to relays on 127.0.0.1
"$OFD_BUILD/tracer_sink" sink &
spid=$!
E2E_PIDS="$E2E_PIDS $spid"
e2e_wait 10 test -s sink.ports || e2e_die "tracer_sink did not start"
read -r pu ph <sink.ports
"$OFD_BIN" -f "$PCAP" -r 1e-4 --seed 7 -k key --print --send-to "udp://127.0.0.1:$pu" \
	--send-to "http://127.0.0.1:$ph/.well-known/overflowd" >sent.jsonl 2>sent.err || e2e_fail "send: $(cat sent.err)"
expect_eq "printed while sending" "$(wc -l <sent.jsonl)" "$n"
e2e_wait 10 sh -c "[ \$(wc -l <sink.udp) -ge $n ] && [ \$(wc -l <sink.http) -ge $n ]" ||
	e2e_fail "received udp $(wc -l <sink.udp), http $(wc -l <sink.http) of $n"
kill -TERM "$spid"; wait "$spid"
grep -q "sent udp $n, http $n" sent.err || e2e_fail "sender summary: $(grep tracers: sent.err)"
for m in udp http; do
	"$OFD_BIN" verify "sink.$m" >"sv.$m" 2>/dev/null || e2e_fail "$m: invalid tracers received"
	expect_eq "$m tracers received and valid" "$(grep -c '^valid ' "sv.$m")" "$n"
done

# sealed to a recipient's key: opened and verified with that key only
"$OFD_BIN" keygen -k key2 >pub2.txt 2>/dev/null || e2e_die "keygen key2"
"$OFD_BUILD/tracer_sink" sink3 &
spid=$!
E2E_PIDS="$E2E_PIDS $spid"
e2e_wait 10 test -s sink3.ports || e2e_die "tracer_sink did not start"
read -r pu ph <sink3.ports
"$OFD_BIN" -f "$PCAP" -r 1e-4 --seed 7 -k key --send-to "http://127.0.0.1:$ph/.well-known/overflowd" \
	--seal "127.0.0.0/8=$(cat pub2.txt)" >/dev/null 2>sealed.err || e2e_fail "sealed send: $(cat sealed.err)"
grep -q "sent udp 0, http $n, https 0, sealed $n" sealed.err || e2e_fail "sealed: $(grep tracers: sealed.err)"
e2e_wait 10 sh -c "[ \$(wc -l <sink3.http) -ge $n ]" || e2e_fail "sealed: received $(wc -l <sink3.http) of $n"
kill -TERM "$spid"; wait "$spid"
expect_eq "sealed tracers on the wire" "$(grep -c '^{"sealed": "' sink3.http)" "$n"
"$OFD_BIN" verify -k key2 sink3.http >sv3.txt 2>/dev/null || e2e_fail "sealed: not opened with key2"
expect_eq "sealed tracers valid with key2" "$(grep -c '^valid .*(sealed)$' sv3.txt)" "$n"
"$OFD_BIN" verify -k key sink3.http >/dev/null 2>&1 && e2e_fail "sealed tracers opened with the wrong key"

# sealed to a key learned by a receiver: key2's tracers from 127.0.0.1 reach a receiver, over
# UDP first (whose sources can be forged: that teaches nothing), then over HTTP; once its
# database has seen them for a day (aged here with sqlite3), it says 127.0.0.0/24 is key2's
# network, and tracers to a relay there are sealed to key2
PR=$(e2e_free_port) || e2e_die "no free port"
PH=$(e2e_free_port) || e2e_die "no free port"
"$OFD_BIN" receive --udp "127.0.0.1:$PR" --http "127.0.0.1:$PH" --db learn.db >rx.out 2>rx.err &
rpid=$!
E2E_PIDS="$E2E_PIDS $rpid"
e2e_wait 10 e2e_listening "$PR" || e2e_die "receiver did not start: $(cat rx.err)"
"$OFD_BIN" -f "$PCAP" -r 1e-4 --seed 7 -k key2 --send-to "udp://127.0.0.1:$PR" >/dev/null 2>learn.err ||
	e2e_fail "teaching: $(cat learn.err)"
kill -TERM "$rpid"; wait "$rpid"
grep -q "stored $n " rx.err || e2e_fail "receiver: $(grep received rx.err)"
"$OFD_BIN" -f "$PCAP" -r 1e-4 --seed 7 -k key --send-to "http://127.0.0.1:1/x" --seal-learned learn.db \
	--seal-min "$n" >/dev/null 2>learned0.err
grep -q "0 sealing keys learned" learned0.err || e2e_fail "learned from UDP: $(head -3 learned0.err)"
"$OFD_BIN" receive --udp none --http "127.0.0.1:$PH" --db learn.db >rx.out 2>rx.err &
rpid=$!
E2E_PIDS="$E2E_PIDS $rpid"
e2e_wait 10 sh -c "ss -lnt | grep -q ':$PH '" || e2e_die "receiver did not start: $(cat rx.err)"
"$OFD_BIN" -f "$PCAP" -r 1e-4 --seed 7 -k key2 --send-to "http://127.0.0.1:$PH/.well-known/overflowd" \
	>/dev/null 2>learn.err || e2e_fail "teaching over http: $(cat learn.err)"
kill -TERM "$rpid"; wait "$rpid"
grep -q "stored [1-9]" rx.err || e2e_fail "receiver over http: $(grep received rx.err)"
"$OFD_BIN" -f "$PCAP" -r 1e-4 --seed 7 -k key --send-to "http://127.0.0.1:1/x" --seal-learned learn.db \
	--seal-min 10 >/dev/null 2>learned1.err
grep -q "0 sealing keys learned" learned1.err || e2e_fail "learned within a day: $(head -3 learned1.err)"
if command -v sqlite3 >/dev/null; then
	sqlite3 learn.db "UPDATE key_networks SET tcp_first = tcp_first - 2 * 86400000000000 WHERE tcp_count > 0" ||
		e2e_fail "sqlite3 update"
	"$OFD_BUILD/tracer_sink" sink4 &
	spid=$!
	E2E_PIDS="$E2E_PIDS $spid"
	e2e_wait 10 test -s sink4.ports || e2e_die "tracer_sink did not start"
	read -r pu ph <sink4.ports
	"$OFD_BIN" -f "$PCAP" -r 1e-4 --seed 7 -k key --send-to "http://127.0.0.1:$ph/.well-known/overflowd" \
		--seal-learned learn.db --seal-min 10 >/dev/null 2>learned.err || e2e_fail "learned: $(cat learned.err)"
	grep -q "1 sealing keys learned from learn.db" learned.err || e2e_fail "learned: $(head -3 learned.err)"
	grep -q "sealed $n" learned.err || e2e_fail "learned: $(grep tracers: learned.err)"
	e2e_wait 10 sh -c "[ \$(wc -l <sink4.http) -ge $n ]" || e2e_fail "learned: received $(wc -l <sink4.http) of $n"
	kill -TERM "$spid"; wait "$spid"
	"$OFD_BIN" verify -k key2 sink4.http >sv4.txt 2>/dev/null || e2e_fail "learned: not opened with key2"
	expect_eq "tracers sealed to the learned key" "$(grep -c '^valid .*(sealed)$' sv4.txt)" "$n"
	"$OFD_BIN" -f "$PCAP" -r 1e-4 --seed 7 -k key --send-to "http://127.0.0.1:1/x" --seal-learned learn.db \
		--seal-min 100000 >/dev/null 2>learned2.err
	grep -q "0 sealing keys learned" learned2.err || e2e_fail "learned, minimum not reached: $(head -3 learned2.err)"
else
	e2e_log "sqlite3 missing: learning after a day not tested"
fi

# the same through a pipeline's tracer segment: same seed, same flows, same deliveries
"$OFD_BUILD/tracer_sink" sink2 &
spid=$!
E2E_PIDS="$E2E_PIDS $spid"
e2e_wait 10 test -s sink2.ports || e2e_die "tracer_sink did not start"
read -r pu ph <sink2.ports
cat >tracer.yml <<YAML
- segment: pcap
  config: { filename: $PCAP }
- segment: tracer
  config:
    rate: 1e-4
    seed: 7
    key: $D/key
    send: []
    send_to: [ "udp://127.0.0.1:$pu", "http://127.0.0.1:$ph/.well-known/overflowd" ]
- segment: count
YAML
"$OFD_BIN" -c tracer.yml >pipe.out 2>pipe.err || e2e_fail "pipeline: $(cat pipe.err)"
grep -q "selected $n" pipe.err || e2e_fail "pipeline selected: $(grep 'segment tracer' pipe.err)"
grep -q "tracers offered $n, sent udp $n, http $n" pipe.err || e2e_fail "pipeline sender: $(grep tracers pipe.err)"
e2e_wait 10 sh -c "[ \$(wc -l <sink2.udp) -ge $n ] && [ \$(wc -l <sink2.http) -ge $n ]" ||
	e2e_fail "pipeline: received udp $(wc -l <sink2.udp), http $(wc -l <sink2.http) of $n"
kill -TERM "$spid"; wait "$spid"
"$OFD_BIN" verify sink2.udp >/dev/null 2>&1 || e2e_fail "pipeline: invalid tracers received"
e2e_result
