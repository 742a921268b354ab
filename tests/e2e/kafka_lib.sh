# shellcheck shell=bash
# Kafka for the end-to-end tests: librdkafka's mock cluster (tests/tools/kafka_mock) as a real
# Kafka on 127.0.0.1. Source lib.sh first, then this file.
#
#   kafka_need                     skip (77) unless kafka_mock is built and kcat is installed
#   kafka_start DIR [-b N] [TOPIC:PARTITIONS...]
#                                  start the mock (stdout DIR/kafka.addr, stderr DIR/kafka.err),
#                                  wait (bounded) for its address line; sets KAFKA_PID and
#                                  KAFKA_ADDR ("127.0.0.1:PORT,...")
#   kafka_stop                     SIGTERM, reap (bounded); sets E2E_RC
#   kafka_count TOPIC              messages in TOPIC (all partitions, from the start)
#
# The mock runs until SIGTERM; its stdin is not watched here (-p): a background job's stdin is
# /dev/null, which would end it at once. e2e_cleanup stops it with the test's other processes.

KAFKA_PID=""
KAFKA_ADDR=""
KAFKA_MOCK=${KAFKA_MOCK:-${OFD_BUILD:-.}/kafka_mock}

kafka_need() {
	[ -x "$KAFKA_MOCK" ] || e2e_skip "kafka_mock is not built (librdkafka missing?)"
	e2e_need kcat setsid
}

kafka_has_addr() { grep -q '^127\.0\.0\.1:[0-9]' "$1"; }

kafka_start() {
	local dir=$1
	shift
	: >"$dir/kafka.addr"
	e2e_bg KAFKA_PID "$KAFKA_MOCK" -p "$@" >"$dir/kafka.addr" 2>"$dir/kafka.err"
	if ! e2e_wait "$E2E_WAIT_S" kafka_has_addr "$dir/kafka.addr"; then
		cat "$dir/kafka.err" >&2
		e2e_die "kafka_mock printed no address within ${E2E_WAIT_S}s"
	fi
	KAFKA_ADDR=$(head -n 1 "$dir/kafka.addr")
	e2e_log "kafka mock at $KAFKA_ADDR"
}

kafka_stop() {
	[ -n "$KAFKA_PID" ] || return 0
	kill -TERM "$KAFKA_PID" 2>/dev/null
	e2e_reap "$KAFKA_PID" 30
	KAFKA_PID=""
}

kafka_count() {
	kcat -C -b "$KAFKA_ADDR" -t "$1" -e -q -f 'x\n' 2>/dev/null | wc -l
}
