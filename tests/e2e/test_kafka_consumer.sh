#!/bin/bash
# kafkaconsumer with the binary and independent writers: protoc encodes flowpipeline's
# EnrichedFlow (proto/enrichedflow.proto) from text, kcat produces the messages (and one that is
# not a flow) into librdkafka's mock cluster (kafka_mock, a real Kafka protocol on 127.0.0.1),
# and `overflowd -c` (kafkaconsumer -> json) writes them out: the values protoc was given appear
# in the json lines, the malformed message is counted and skipped, and SIGTERM ends the run
# cleanly. Then the same group again: its offsets were committed at the end of the first run, so
# only the message produced since arrives (at least once, nothing twice after a clean stop).
# Variant json: `format: json` takes flowpipeline's protojson lines as kcat sends them.
# Variant sigterm: two workers over 16 partitions, SIGTERM mid-way; a second run of the group
# reads exactly the rest (no message lost, none twice).
# Skips (77) without kafka_mock (librdkafka), kcat, protoc or the segment.
set -u
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
[ -r "$(dirname "$0")/kafka_lib.sh" ] || e2e_skip "tests/e2e/kafka_lib.sh is missing"
# shellcheck source=tests/e2e/kafka_lib.sh
. "$(dirname "$0")/kafka_lib.sh"

: "${OFD_BIN:?}" "${OFD_SRC:?}"
kafka_need
e2e_need protoc
"$OFD_BIN" --segments 2>/dev/null | grep -qw kafkaconsumer || e2e_skip "the kafkaconsumer segment is not built"
E2E_DIR=$(mktemp -d "${TMPDIR:-/tmp}/ofd-kafkacons.XXXXXX") || e2e_die "mktemp failed"
trap e2e_cleanup EXIT
trap 'exit 1' INT TERM HUP
cd "$E2E_DIR" || e2e_die "cd $E2E_DIR"

kafka_start "$E2E_DIR" flows:1 lines:1 many:16

# encode NAME TEXT: flowpb.EnrichedFlow from protoc's text format into NAME.bin
encode() {
	printf '%s\n' "$2" | protoc -I"$OFD_SRC/proto" --encode=flowpb.EnrichedFlow \
		"$OFD_SRC/proto/enrichedflow.proto" >"$1.bin" || e2e_die "protoc --encode failed for $1"
}
encode m1 'bytes: 1500 packets: 3 proto: 6 src_port: 443 dst_port: 51000 src_addr: "\300\000\002\001"'
encode m2 'bytes: 40 packets: 1 proto: 17 src_port: 53 dst_port: 33000'
encode m3 'bytes: 777 packets: 7 proto: 6 src_port: 7'
printf '\377\377\377\377\377\377\377\377\377\377\377\001' >junk.bin
# each file one message, in this order, to partition 0
kcat -P -b "$KAFKA_ADDR" -t flows -p 0 m1.bin junk.bin m2.bin 2>kcat.err || e2e_die "kcat -P: $(cat kcat.err)"

cat >consume.yml <<YML
- segment: kafkaconsumer
  config:
    server: $KAFKA_ADDR
    topic: flows
    group: e2e
    tls: false
    auth: false
    startat: oldest
    # the mock cluster holds a restarted group back until the old member's session times out
    properties: {session.timeout.ms: 6000, heartbeat.interval.ms: 500}
- segment: json
  config: {filename: \$0}
YML

# shellcheck disable=SC2317 # called through e2e_wait
lines() { [ -r "$1" ] && [ "$(wc -l <"$1")" -ge "$2" ]; }

# run OUT N: overflowd -c consume.yml until OUT has N lines, then SIGTERM; its stderr in OUT.err
run() {
	e2e_bg OFD_PID "$OFD_BIN" -c consume.yml "$1" 2>"$1.err"
	e2e_wait 60 lines "$1" "$2" || e2e_fail "$1: fewer than $2 records within 60 s: $(cat "$1.err")"
	kill -TERM "$OFD_PID"
	e2e_reap "$OFD_PID" 30
	expect_eq "$1: SIGTERM exit status" "$E2E_RC" 0
}

E2E_VARIANT=protobuf
run out1.jsonl 2
expect_eq "records" "$(wc -l <out1.jsonl)" 2
grep -q '"bytes":1500,"packets":3,' out1.jsonl || e2e_fail "message 1's bytes/packets: $(head -n 1 out1.jsonl)"
grep -q '"src_addr":"192.0.2.1",' out1.jsonl || e2e_fail "message 1's address: $(head -n 1 out1.jsonl)"
grep -q '"src_port":443,"dst_port":51000' out1.jsonl || e2e_fail "message 1's ports: $(head -n 1 out1.jsonl)"
grep -q '"bytes":40,"packets":1,' out1.jsonl || e2e_fail "message 3's values: $(tail -n 1 out1.jsonl)"
grep -q "flows\[0\] offset 1: 12 bytes that are not a flow" out1.jsonl.err ||
	e2e_fail "no warning for the malformed message: $(cat out1.jsonl.err)"
grep -q "^segment kafkaconsumer .*messages 3, records 2, decode_errors 1," out1.jsonl.err ||
	e2e_fail "kafkaconsumer counters: $(cat out1.jsonl.err)"

E2E_VARIANT=committed
kcat -P -b "$KAFKA_ADDR" -t flows -p 0 m3.bin 2>kcat.err || e2e_die "kcat -P: $(cat kcat.err)"
run out2.jsonl 1
expect_eq "records after the restart" "$(wc -l <out2.jsonl)" 1
grep -q '"bytes":777,"packets":7,' out2.jsonl || e2e_fail "the new message: $(cat out2.jsonl)"

E2E_VARIANT=json
printf '%s\n' '{"bytes":"30","packets":"3","srcPort":55,"proto":6}' >pj.json
printf '%s\n' '{"bytes":20,"packets":2,"src_port":54}' >our.json
kcat -P -b "$KAFKA_ADDR" -t lines -p 0 pj.json our.json 2>kcat.err || e2e_die "kcat -P: $(cat kcat.err)"
sed -i 's/topic: flows/topic: lines/; s/startat: oldest/startat: oldest\n    format: json/' consume.yml
run out3.jsonl 2
grep -q '"bytes":30,"packets":3,' out3.jsonl || e2e_fail "protojson line: $(cat out3.jsonl)"
grep -q '"bytes":20,"packets":2,' out3.jsonl || e2e_fail "our line: $(cat out3.jsonl)"

E2E_VARIANT=sigterm
# 600,000 numbered JSON messages over 16 partitions, two workers; a SIGTERM while they are
# being read (the first 1000 written out): a second run of the group reads exactly the rest, each
# message once (what the first wrote out was committed at its end, nothing it had not written)
seq 1 600000 | sed 's/.*/{"bytes":&,"packets":1}/' >many.json
kcat -P -b "$KAFKA_ADDR" -t many -X linger.ms=20 -X queue.buffering.max.messages=1000000 -l many.json \
	2>kcat.err || e2e_die "kcat -P: $(cat kcat.err)"
N=$(kafka_count many) # what the topic holds (kcat may not have delivered every line)
[ "$N" -gt 100000 ] || e2e_die "kcat delivered only $N of 600000 messages"
sed -i 's/topic: lines/topic: many/; s/startat: oldest/startat: oldest\n    workers: 2/' consume.yml
run out4.jsonl 1000
e2e_bg OFD_PID "$OFD_BIN" -c consume.yml out5.jsonl 2>out5.jsonl.err
# shellcheck disable=SC2317 # called through e2e_wait
both() { [ $(($(wc -l <out4.jsonl) + $(wc -l <out5.jsonl 2>/dev/null || echo 0))) -ge "$N" ]; }
e2e_wait 120 both || e2e_fail "the two runs wrote fewer than $N records: $(tail -n 3 out5.jsonl.err)"
kill -TERM "$OFD_PID"
e2e_reap "$OFD_PID" 30
expect_eq "second run: SIGTERM exit status" "$E2E_RC" 0
e2e_log "first run $(wc -l <out4.jsonl) records, second $(wc -l <out5.jsonl)"
expect_eq "records of both runs, each once" \
	"$(cat out4.jsonl out5.jsonl | sed 's/.*"bytes":\([0-9]*\),.*/\1/' | sort -n | uniq | wc -l) $(cat out4.jsonl out5.jsonl | wc -l)" \
	"$N $N"

kafka_stop
e2e_result
