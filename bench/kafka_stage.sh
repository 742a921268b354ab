#!/bin/bash
# Kafka figures in one run, against librdkafka's mock cluster (tests/tools/kafka_mock, a separate
# process on 127.0.0.1, so its CPU is not counted): records per CPU-second of the client side.
#
#   bench/kafka_stage.sh BUILD_DIR [TIMES]
#
#   capture    the shared netflow_4M.pcap repeated TIMES times (default 10: 786,840 records)
#   base       overflowd -c: pcap -> count                         (decode only, the baseline)
#   ours       overflowd -c: pcap -> kafkaproducer (compression none, 96 partitions: the mock keeps about 5 MB per
#              partition, older messages are deleted)
#              ours_marginal = records / (CPU(ours) - CPU(base)): the producer segment's share
#   bare_p     bench_kafka produce: the same messages (those of the topic ours wrote that the
#              mock still holds) with a bare librdkafka loop, same settings as the segment
#   bare_c     bench_kafka consume: a bare consumer loop over them
#   kcat_p     kcat -P of the same messages as base64 lines (4/3 of their size: kcat splits its
#              input at a one-byte delimiter, and every byte value occurs in our messages)
#   kcat_c     kcat -C -e of the same topic, output discarded
#   ours_c     overflowd -c: kafkaconsumer -> limit -> count over topic bare (what bare_c reads),
#              when the kafkaconsumer segment is built
#
# Each CPU figure is the least of RUNS (3) runs (bench_cputime: the whole process tree).
# Prints one line per figure and the ratios ours/bare.
set -eu
BUILD=$(cd "${1:?usage: kafka_stage.sh BUILD_DIR [TIMES]}" && pwd)
TIMES=${2:-10}
RUNS=${RUNS:-3}
SRC=$(cd "$(dirname "$0")/.." && pwd)
PCAP_IN=${OFD_DATA:-$SRC/../shared/data}/netflow_4M.pcap
OFD=$BUILD/overflowd
W=$(mktemp -d "${TMPDIR:-/tmp}/ofd-kafkabench.XXXXXX")
MOCK=""
cleanup() {
	[ -n "$MOCK" ] && kill -TERM "$MOCK" 2>/dev/null && wait "$MOCK" 2>/dev/null
	if [ -n "${KEEP:-}" ]; then echo "kept $W" >&2; else rm -rf "$W"; fi
}
trap cleanup EXIT
cd "$W"

"$BUILD/bench_pcapcat" --times "$TIMES" "$PCAP_IN" in.pcap >/dev/null
"$BUILD/kafka_mock" -p ours:128 bare:64 kc:64 >addr 2>mock.err &
MOCK=$!
for _ in $(seq 100); do grep -q '^127' addr && break; sleep 0.1; done
ADDR=$(head -n 1 addr)
[ -n "$ADDR" ] || { echo "kafka_mock did not start: $(cat mock.err)" >&2; exit 1; }

# best KEY CMD...: the least CPU seconds of RUNS runs, into $KEY.cpu (one number)
best() {
	local key=$1 b="" c
	shift
	for ((r = 1; r <= RUNS; r++)); do
		"$BUILD/bench_cputime" -o "$key.cpu.$r" "$@" >"$key.out" 2>"$key.err" || { cat "$key.err" >&2; exit 1; }
		c=$(sed -n 's/.*cpu_s=\([0-9.]*\).*/\1/p' "$key.cpu.$r")
		if [ -z "$b" ] || awk -v a="$c" -v b="$b" 'BEGIN { exit !(a < b) }'; then b=$c; fi
	done
	echo "$b" >"$key.cpu"
}
rate() { awk -v n="$1" -v c="$2" 'BEGIN { printf "%.0f", n / c }'; }

cat >base.yml <<YML
- segment: pcap
  config: {filename: in.pcap}
- segment: count
YML
cat >ours.yml <<YML
- segment: pcap
  config: {filename: in.pcap}
- segment: kafkaproducer
  config: {server: "$ADDR", topic: ours, compression: none, tls: false, auth: false}
YML
best base "$OFD" -c base.yml
N=$(sed -n 's/.*segment count.* in \([0-9]*\) .*/\1/p' base.err | head -n 1)
best ours "$OFD" -c ours.yml
grep -q "acked $((N * RUNS))\|acked $N," ours.err || grep kafkaproducer ours.err >&2
cpu_base=$(cat base.cpu) cpu_ours=$(cat ours.cpu)
marg=$(awk -v a="$cpu_ours" -v b="$cpu_base" 'BEGIN { printf "%.3f", a - b }')

"$BUILD/bench_kafka" fetch "$ADDR" ours 0 msgs.bin # all the topic holds (about 5 MB per partition)
NF=$("$BUILD/bench_kafka" count "$ADDR" ours)
best bare_p "$BUILD/bench_kafka" produce "$ADDR" bare msgs.bin 1 none
NB=$("$BUILD/bench_kafka" count "$ADDR" bare) # the mock keeps about 5 MB per partition
best bare_c "$BUILD/bench_kafka" consume "$ADDR" bare "$NB"
"$BUILD/bench_kafka" lines msgs.bin msgs.kcat
best kcat_p sh -c "kcat -P -b '$ADDR' -t kc -z none -X acks=1 -X linger.ms=50 <msgs.kcat"
NK=$("$BUILD/bench_kafka" count "$ADDR" kc)
best kcat_c sh -c "kcat -C -b '$ADDR' -t kc -e -q -f '%s' >/dev/null"

echo "records $N (netflow_4M.pcap x $TIMES); $NF of ours' messages fetched back ($(stat -c %s msgs.bin) bytes with 4-byte length prefixes) for the bare and kcat producers"
for k in base ours bare_p bare_c kcat_p kcat_c; do
	n=$N
	[ $k = bare_p ] && n=$NF
	[ $k = kcat_p ] && n=$NF
	[ $k = bare_c ] && n=$NB
	[ $k = kcat_c ] && n=$NK
	printf '%-8s records %-7s cpu_s %-8s records/cpu-s %s\n' "$k" "$n" "$(cat $k.cpu)" "$(rate "$n" "$(cat $k.cpu)")"
done
echo "ours_marginal cpu_s $marg records/cpu-s $(rate "$N" "$marg")"
bare_rate=$(rate "$NF" "$(cat bare_p.cpu)")
echo "ratio ours_marginal/bare_p (rates) $(awk -v r="$(rate "$N" "$marg")" -v b="$bare_rate" 'BEGIN { printf "%.2f", r / b }')"
echo "ratio ours(end to end)/bare_p (rates) $(awk -v r="$(rate "$N" "$cpu_ours")" -v b="$bare_rate" 'BEGIN { printf "%.2f", r / b }')"

# ours_c: the consumer side of (b): topic `bare` (NB messages) read back through kafkaconsumer
# (its defaults: commits once through, cooperative-sticky) into count, under a limit of NB so that
# the run ends by itself; a new group per run (startat oldest), so every run reads it all.
if "$OFD" --segments 2>/dev/null | grep -qw kafkaconsumer; then
	cat >ours_c.yml <<YML
- segment: kafkaconsumer
  config: {server: "$ADDR", topic: bare, group: \$0, startat: oldest, tls: false, auth: false}
- segment: limit
  config: {count: $NB}
- segment: count
YML
	best ours_c sh -c "exec '$OFD' -c ours_c.yml \"bench\$(date +%s%N)\""
	grep -q "segment count.* in $NB " ours_c.err || { echo "ours_c: not $NB records: $(cat ours_c.err)" >&2; exit 1; }
	printf '%-8s records %-7s cpu_s %-8s records/cpu-s %s\n' ours_c "$NB" "$(cat ours_c.cpu)" "$(rate "$NB" "$(cat ours_c.cpu)")"
	echo "ratio ours_c/bare_c (rates) $(awk -v a="$(cat bare_c.cpu)" -v b="$(cat ours_c.cpu)" 'BEGIN { printf "%.2f", a / b }')"
else
	echo "ours_c: kafkaconsumer not built: skipped"
fi

# gone_*: memory while the broker does not accept (nothing listens on 127.0.0.1:1): the
# producer's queue (queue: 50000) fills, the segment waits (queue_full) while librdkafka times
# messages out (delivery_timeout 1s: each counted failed), back-pressure holds the generator;
# the peak RSS must not grow with the records sent. gone_db: the same behind a diskbuffer, whose
# files are bounded by maxcachesize (batches beyond it dropped and counted).
mkdir -p spill
for g in 200000 1000000; do
	cat >gone.yml <<YML
- segment: generator
  config: {count: $g}
- segment: kafkaproducer
  config: {server: "127.0.0.1:1", topic: flows, tls: false, auth: false, queue: 50000, delivery_timeout: 1s, flush_timeout: 1s}
YML
	"$BUILD/bench_cputime" -o "gone_$g.cpu" "$OFD" -c gone.yml >/dev/null 2>"gone_$g.err" || true
	printf 'gone_%-8s %s; %s\n' "$g" "$(grep -o 'maxrss_kb=[0-9]*' "gone_$g.cpu")" \
		"$(grep -o 'produced [0-9]*, acked [0-9]*, failed [0-9]*, retries [0-9]*, queue_full [0-9]*' "gone_$g.err")"
done
cat >gone_db.yml <<YML
- segment: generator
  config: {count: 1000000}
- segment: diskbuffer
  config: {bufferdir: spill, maxcachesize: 8 MB, filesize: 1 MB}
- segment: kafkaproducer
  config: {server: "127.0.0.1:1", topic: flows, tls: false, auth: false, queue: 50000, delivery_timeout: 1s, flush_timeout: 1s}
YML
"$BUILD/bench_cputime" -o gone_db.cpu "$OFD" -c gone_db.yml >/dev/null 2>gone_db.err || true
printf 'gone_db  %s; %s; diskbuffer: %s\n' "$(grep -o 'maxrss_kb=[0-9]*' gone_db.cpu)" \
	"$(grep -o 'failed [0-9]*, retries [0-9]*, queue_full [0-9]*' gone_db.err)" \
	"$(grep '^segment diskbuffer' gone_db.err | sed 's/.*dropped [0-9]*, //')"
