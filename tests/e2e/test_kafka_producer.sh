#!/bin/bash
# kafkaproducer with the binary and independent readers: the shared NetFlow capture goes through
# `overflowd -c` (pcap -> kafkaproducer -> json) into librdkafka's mock cluster (kafka_mock, a
# real Kafka protocol on 127.0.0.1); kcat reads the topic back one message at a time and protoc
# decodes each with flowpipeline's schema (proto/enrichedflow.proto) after checking its length
# prefix (delimited, flowpipeline's framing; bare with delimited: false). Every record arrives (the
# message count equals the record count: the end flushes), and messages 1, 2 and the last carry
# the addresses, ports, bytes and packets our json output shows for the same records.
# Variant json: `format: json` sends the json output's lines unchanged (compared sorted).
# Skips (77) without kafka_mock (librdkafka), kcat, protoc or the segment.
set -u
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/kafka_lib.sh
. "$(dirname "$0")/kafka_lib.sh"

: "${OFD_BIN:?}" "${OFD_SRC:?}" "${OFD_DATA:?}"
PCAP=$OFD_DATA/netflow_4M.pcap # 78,684 NetFlow v5 records
[ -r "$PCAP" ] || e2e_skip "$PCAP is missing"
kafka_need
e2e_need protoc sed
"$OFD_BIN" --segments 2>/dev/null | grep -qw kafkaproducer || e2e_skip "the kafkaproducer segment is not built"
E2E_DIR=$(mktemp -d "${TMPDIR:-/tmp}/ofd-kafkaprod.XXXXXX") || e2e_die "mktemp failed"
trap e2e_cleanup EXIT
trap 'exit 1' INT TERM HUP
cd "$E2E_DIR" || e2e_die "cd $E2E_DIR"
RECORDS=78684

# pb_ip A.B.C.D: the address as protoc's text format prints 4 bytes (C escapes, octal otherwise)
pb_ip() {
	local o out="" IFS=.
	for o in $1; do
		case $o in
		9) out+='\t' ;;
		10) out+='\n' ;;
		13) out+='\r' ;;
		34) out+='\"' ;;
		39) out+="\\'" ;;
		92) out+="\\\\" ;;
		*) if [ "$o" -ge 32 ] && [ "$o" -lt 127 ]; then
			out+=$(printf '%b' "\\$(printf '%03o' "$o")")
		else
			out+=$(printf '\\%03o' "$o")
		fi ;;
		esac
	done
	printf '"%s"' "$out"
}

# json_val LINE KEY: a number or string value of our json line
json_val() { sed -n "s/.*\"$2\":\"\{0,1\}\([^\",]*\).*/\1/p" <<<"$1"; }

# decode TOPIC N [bare]: message N (0-based) of TOPIC decoded by protoc; unless bare, its varint
# length prefix (protodelim, flowpipeline's framing) is checked against the rest and taken off
decode() {
	local b0 b1 n k=0
	kcat -C -b "$KAFKA_ADDR" -t "$1" -o "$2" -c 1 -e -q -f '%s' >msg.bin 2>/dev/null
	if [ "${3:-}" != bare ]; then
		read -r b0 b1 < <(od -An -tu1 -N2 msg.bin)
		if [ "$b0" -lt 128 ]; then n=$b0 k=1; else n=$(((b0 & 127) | b1 << 7)) k=2; fi
		[ $(($(stat -c %s msg.bin) - k)) -eq "$n" ] || { echo "length prefix $n does not frame the message" >&2; return 1; }
	fi
	tail -c +$((k + 1)) msg.bin |
		protoc --decode=flowpb.EnrichedFlow --proto_path="$OFD_SRC/proto" enrichedflow.proto
}

# one partition keeps the order (message N is record N); the mock keeps about 5 MB of batches
# per partition and deletes older ones: 78,684 records fit with snappy (the default), ~131k did
kafka_start "$E2E_DIR" flows:1 flowsjson:8 flowsterm:4

E2E_VARIANT=protobuf
cat >p.yml <<YML
- segment: pcap
  config: {filename: "$PCAP"}
- segment: kafkaproducer
  config: {server: "$KAFKA_ADDR", topic: flows, tls: false, auth: false}
- segment: json
  config: {filename: out.json}
YML
"$OFD_BIN" -c p.yml 2>p.err || e2e_die "the pipeline failed: $(cat p.err)"
grep -q "produced $RECORDS, acked $RECORDS, failed 0," p.err || e2e_fail "counters: $(grep kafkaproducer p.err)"
expect_eq "json lines" "$(wc -l <out.json)" "$RECORDS"
expect_eq "messages in the topic" "$(kafka_count flows)" "$RECORDS"
for n in 1 2 "$RECORDS"; do
	line=$(sed -n "${n}p" out.json)
	decode flows $((n - 1)) >m$n.txt 2>m$n.err || e2e_fail "message $n does not decode: $(cat m$n.err)"
	expect_eq "message $n src_addr" "$(sed -n 's/^src_addr: //p' m$n.txt)" "$(pb_ip "$(json_val "$line" src_addr)")"
	expect_eq "message $n dst_addr" "$(sed -n 's/^dst_addr: //p' m$n.txt)" "$(pb_ip "$(json_val "$line" dst_addr)")"
	for k in src_port dst_port bytes packets; do
		expect_eq "message $n $k" "$(sed -n "s/^$k: //p" m$n.txt)" "$(json_val "$line" $k)"
	done
done
# the first record, as the capture's README and our json show it
expect_eq "message 1 whole" "$(grep -E '^(src_addr|dst_addr|bytes|packets|proto|src_port|dst_port):' m1.txt | tr '\n' ' ')" \
	'src_addr: "z\246Z\217" dst_addr: "\277d\n\273" bytes: 1244 packets: 6 proto: 6 src_port: 2968 dst_port: 80 '

E2E_VARIANT=json
cat >j.yml <<YML
- segment: pcap
  config: {filename: "$PCAP"}
- segment: kafkaproducer
  config: {server: "$KAFKA_ADDR", topic: flowsjson, format: json, compression: zstd, tls: false, auth: false}
YML
"$OFD_BIN" -c j.yml 2>j.err || e2e_die "the json pipeline failed: $(cat j.err)"
kcat -C -b "$KAFKA_ADDR" -t flowsjson -e -q -f '%s\n' >j.json 2>/dev/null
expect_eq "json messages" "$(wc -l <j.json)" "$RECORDS"
# eight partitions (room for the long lines): the same lines, in another order
cmp -s <(sort j.json) <(sort out.json) || e2e_fail "the json messages differ from the json output's lines"

E2E_VARIANT=sigterm
# stdin with eofcloses false stays up after its file: SIGTERM ends the run, and the flush at
# the end still delivers everything; delimited: false writes bare messages
cat >t.yml <<YML
- segment: stdin
  config: {filename: out.json}
- segment: kafkaproducer
  config: {server: "$KAFKA_ADDR", topic: flowsterm, tls: false, auth: false, delimited: false}
YML
e2e_bg OFD_PID "$OFD_BIN" -c t.yml 2>t.err
e2e_wait 60 grep -q "end of input; eofcloses is false" t.err || e2e_fail "no end-of-input note: $(cat t.err)"
kill -TERM "$OFD_PID"
e2e_reap "$OFD_PID" 60
expect_eq "SIGTERM exit status" "$E2E_RC" 0
grep -q "produced $RECORDS, acked $RECORDS, failed 0," t.err || e2e_fail "counters: $(grep kafkaproducer t.err)"
expect_eq "messages after SIGTERM" "$(kafka_count flowsterm)" "$RECORDS"
# four partitions: partition 0's first message is some record of out.json, not the first
decode flowsterm 0 bare >t1.txt 2>t1.err || e2e_fail "a bare message does not decode: $(cat t1.err)"
cp out.json t1.match
for k in src_port dst_port bytes packets; do
	v=$(sed -n "s/^$k: //p" t1.txt)
	[ -n "$v" ] || e2e_fail "the bare message has no $k: $(cat t1.txt)"
	grep -F "\"$k\":$v," t1.match >t1.next
	mv t1.next t1.match
done
[ -s t1.match ] || e2e_fail "the bare message is no record of the json output: $(cat t1.txt)"

E2E_VARIANT=broker-gone
# no broker at the end: what the final flush cannot deliver is counted as failed, not lost
kafka_stop
cat >g.yml <<YML
- segment: pcap
  config: {filename: "$PCAP"}
- segment: kafkaproducer
  config: {server: "$KAFKA_ADDR", topic: flows, tls: false, auth: false, flush_timeout: 1s}
YML
"$OFD_BIN" -c g.yml 2>g.err || e2e_fail "the run without a broker failed: $(tail -3 g.err)"
grep -q "produced $RECORDS, acked 0, failed $RECORDS," g.err || e2e_fail "counters: $(grep 'segment kafkaproducer' g.err)"
grep -q "$RECORDS messages not delivered within flush_timeout" g.err || e2e_fail "no flush log: $(tail -3 g.err)"

e2e_result
