#!/usr/bin/env bash
# bench/run.sh [BUILD_DIR]: overflowd's benchmark suite and its side-by-side figures against
# the peers (tshark, pmacct nfacctd/sfacctd, nfdump nfcapd), all on the same input files in one
# run. `make bench` runs it after building. bench/RESULTS.md explains every figure and method.
# The `pipeline` stage (the engine, `overflowd -c`, against nfdump's filter scan) is in
# bench/pipelines/stage.sh, the `fpipe` stage (flowpipeline's pipelines against nfdump) in
# bench/pipelines/fp_stage.sh.
#
# Environment:
#   BENCH_SECONDS=2        CPU seconds per bench_decode measurement
#   BENCH_FLOWS=300000     distinct flows in the synthetic traffic that softflowd exports
#   BENCH_PORT=39100       first of the loopback UDP ports used (39100..39102)
#   INGEST_SECS, INGEST_START, INGEST_STEPS  the ingest stage's steps (bench/ingest_stage.sh)
#   BENCH_WORK=DIR         cached inputs (default BUILD_DIR/bench-data)
#   BENCH_STAGES="..."     a subset of: overflowd growth tshark pmacct nfcapd json ingest pipeline outputs
#                          fpipe tracers lpm kafka callgrind (json: bench/json_stage.sh, JSON against
#                          nfdump -o json; fpipe: flowpipeline's pipelines against nfdump; kafka:
#                          bench_pb and bench/kafka_stage.sh, needs librdkafka and protobuf-c;
#                          enrich: bench/enrich_stage.sh, issue 15's enrichers and nfanon;
#                          outputs: bench/influx_stage.sh and bench/postgres_stage.sh, issue
#                          16's outputs into real servers beside curl and psql \copy)
#   FP_RUNS=3              runs per fpipe figure, free and pinned each
#   LPM_SECONDS=2          CPU seconds per bench_lpm lookup figure (the lpm stage)
#   BENCH_NO_CALLGRIND=1   skip the callgrind part
#   BENCH_NO_PEERS=1       skip the peers
#   BENCH_UPDATE_BASELINE=1  write this run's callgrind figures to bench/callgrind-baseline.txt
#   OFD_DATA=DIR           the shared sample captures (default ../shared/data)
#
# Output: progress on stderr, the results table on stdout and in BUILD_DIR/bench-results.md,
# logs of every step in BUILD_DIR/bench-out/.
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$(cd "${1:-$SRC/build}" && pwd)
DATA=$(cd "${OFD_DATA:-$SRC/../shared/data}" && pwd)
WORK=${BENCH_WORK:-$BUILD/bench-data}
OUT=$BUILD/bench-out
RESULTS=$BUILD/bench-results.md
BASELINE=$SRC/bench/callgrind-baseline.txt
SECS=${BENCH_SECONDS:-2}
FLOWS=${BENCH_FLOWS:-300000}
PORT0=${BENCH_PORT:-39100}
EXPORT_PORT=$PORT0          # softflowd -> tcpdump + bench_sink
NFCAPD_PORT=$((PORT0 + 1))  # bench_replay -> nfcapd

# Repetitions (each chosen for at least ~0.2 s of CPU time per measurement).
V5_REPLAY_PMACCT=21   # nfacctd pcap_savefile_replay on v5_1x
NF9_REPLAY_PMACCT=6   # ... on v9_1x / ipfix_1x
SF_REPLAY_PMACCT=101  # sfacctd on sflow_1x
V5_TIMES_NFCAPD=100   # bench_replay --times on v5_1x
NF9_TIMES_NFCAPD=15  # ... on v9_1x / ipfix_1x
V5_TIMES_DUMP_UDP=20  # the same for overflowd dump udp://
NF9_TIMES_DUMP_UDP=5
SF_TIMES_DUMP_UDP=100
LOOPBACK_RUNS=2       # runs per loopback figure; the least CPU time is kept
NFCAPD_TMP=${BENCH_TMP:-/dev/shm}  # nfcapd's output files (deleted after counting)

FORMATS=(v5 v9 ipfix sflow)
declare -A NAME=([v5]="NetFlow v5" [v9]="NetFlow v9" [ipfix]="IPFIX" [sflow]="sFlow v5")
declare -A PORT=([v5]=9500 [v9]=$EXPORT_PORT [ipfix]=$EXPORT_PORT [sflow]=6343)
# the larger input per format for end-to-end and tshark figures
declare -A BIG=([v5]=v5_10x [v9]=v9_10x [ipfix]=ipfix_10x [sflow]=sflow_100x)
declare -A BIGK=([v5]=10 [v9]=10 [ipfix]=10 [sflow]=100)
declare -A TSHARK_IN=([v5]=v5_10x [v9]=v9_1x [ipfix]=ipfix_1x [sflow]=sflow_10x)
declare -A TSHARK_K=([v5]=10 [v9]=1 [ipfix]=1 [sflow]=10)
declare -A TARGET=([v5]=15000000 [v9]=8000000 [ipfix]=8000000 [sflow]=3000000)
declare -A REC      # records in the 1x file of each format, as the exporter reports them
declare -A PEER_REC # the same as tshark counts them (the peers are checked against this)
NOTES=()
declare -A R     # results: R[key]=value

BIN=(bench_decode bench_filter bench_mktraffic bench_pcapcat bench_replay bench_sink bench_cputime bench_lpm overflowd)

log() { printf '== %s\n' "$*" >&2; }
warn() { printf 'WARNING: %s\n' "$*" >&2; WARNINGS+=("$*"); }
die() { printf 'bench/run.sh: %s\n' "$*" >&2; exit 1; }
WARNINGS=()

# on exit, stop the background jobs of this shell that still run (only those: jobs -p)
cleanup() {
	local p
	for p in $(jobs -p); do
		kill -TERM "$p" 2>/dev/null || true
	done
	# the nfcapd store the pipeline stage keeps (~850 MB in /dev/shm), if a failure left it
	rm -rf "${NFCAPD_TMP:?}/nfcapd-v5-store" "${NFCAPD_TMP:?}/nfcapd-v5-lz4" "${NFCAPD_TMP:?}/fpipe-json"
}
trap cleanup EXIT

# kv FILE KEY: the value of KEY=VALUE on the first line of FILE that has it
kv() { awk -v k="$2" '{for (i = 1; i <= NF; i++) if (index($i, k "=") == 1) {print substr($i, length(k) + 2); exit}}' "$1"; }
# arithmetic with floats
calc() { awk "BEGIN {printf \"%.6f\", $*}"; }
div() { awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf "%.0f", a / b; else print "0"}'; }
# human figures: 12345678 -> 12.3M
human() {
	awk -v x="$1" 'BEGIN {
		if (x == "" || x == "n/a") {print "n/a"; exit}
		if (x >= 1e6) printf "%.2fM", x / 1e6; else if (x >= 1e3) printf "%.0fk", x / 1e3; else printf "%.0f", x}'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (a == "" || a == "n/a" || b <= 0) print "n/a"; else printf "%.3f", a / b}'; }
thousands() { sed -e ':a' -e 's/\B[0-9]\{3\}\>/,&/' -e 'ta' <<<"$1"; }

# note LABEL CMD...: remember the exact command line for the report
COMMANDS=()
note() {
	local label=$1 a line=""
	shift
	for a in "$@"; do
		if [[ $a =~ ^[A-Za-z0-9_./:=,@%+-]+$ ]]; then
			line+="$a "
		else
			line+="$(printf '%q' "$a") "
		fi
	done
	line="$label: ${line% }"
	for a in "${COMMANDS[@]}"; do
		[ "$a" != "$line" ] || return 0
	done
	COMMANDS+=("$line")
}

# poll_until TIMEOUT_S CMD...: run CMD every 50 ms until it succeeds
poll_until() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@"; do
		[ $SECONDS -lt $deadline ] || return 1
		sleep 0.05
	done
}

port_hex() { printf '%04X' "$1"; }
udp_bound() { grep -q ":$(port_hex "$1") " /proc/net/udp /proc/net/udp6 2>/dev/null; }
# true when the receive queues of the sockets bound to a port are empty
udp_drained() {
	awk -v p=":$(port_hex "$1")" '$2 ~ p "$" {split($5, q, ":"); if (q[2] !~ /^0+$/) busy = 1} END {exit busy}' \
		/proc/net/udp /proc/net/udp6
}

check_tools() {
	local b
	for b in "${BIN[@]}"; do
		[ -x "$BUILD/$b" ] || die "$BUILD/$b missing: build first (make build)"
	done
	{ [ -r "$DATA/netflow_4M.pcap" ] && [ -r "$DATA/sflow.pcap" ]; } || die "sample captures not in $DATA"
	HAVE_PEERS=1
	for b in tshark nfacctd sfacctd nfcapd nfdump softflowd softflowctl tcpdump; do
		if ! command -v $b >/dev/null; then
			warn "$b not installed (make deps-peers): peers skipped"
			HAVE_PEERS=0
		fi
	done
	[ "${BENCH_NO_PEERS:-0}" = 1 ] && HAVE_PEERS=0
	HAVE_VALGRIND=1
	command -v valgrind >/dev/null && command -v callgrind_annotate >/dev/null || HAVE_VALGRIND=0
	[ "${BENCH_NO_CALLGRIND:-0}" = 1 ] && HAVE_VALGRIND=0
	return 0
}

# ---------------------------------------------------------------------------------------------
# Inputs (cached in $WORK; a change of the generator settings or of the helpers rebuilds them)

# tshark_count FILE PORT FORMAT: records tshark decodes (field occurrences)
tshark_fields() {
	case $1 in
	sflow) echo "-d udp.port==$2,sflow -e sflow.flow_sample.sampling_rate -e sflow.flow_sample.input_interface -e ip.src -e ip.dst" ;;
	*) echo "-d udp.port==$2,cflow -e cflow.srcaddr -e cflow.srcaddrv6 -e cflow.dstaddr -e cflow.dstaddrv6 -e cflow.srcport -e cflow.dstport -e cflow.protocol -e cflow.octets -e cflow.packets" ;;
	esac
}
# count comma-separated occurrences in the first N tab-separated columns
count_cols() { awk -F'\t' -v n="$1" '{for (i = 1; i <= n; i++) if ($i != "") c += split($i, a, ",")} END {print c + 0}'; }
tshark_ncols() { [ "$1" = sflow ] && echo 1 || echo 2; }
tshark_count() {
	# shellcheck disable=SC2046
	tshark -n -r "$1" -T fields $(tshark_fields "$3" "$2") 2>/dev/null | count_cols "$(tshark_ncols "$3")"
}

# export_capture VERSION OUT.pcap: softflowd -r traffic.pcap, its export captured by tcpdump
export_capture() {
	local ver=$1 out=$2 tmp=$WORK/export-v$1
	rm -rf "$tmp"
	mkdir -p "$tmp"
	chmod 777 "$tmp" # tcpdump may drop privileges to its own user before it writes
	udp_bound "$EXPORT_PORT" && die "udp port $EXPORT_PORT in use (set BENCH_PORT)"
	"$BUILD/bench_sink" --port "$EXPORT_PORT" >"$tmp/sink.txt" &
	local sink=$!
	tcpdump -i lo -n -U -B 65536 -w "$tmp/cap.pcap" "udp and dst port $EXPORT_PORT" \
		2>"$tmp/tcpdump.log" &
	local td=$!
	poll_until 10 grep -q 'listening on' "$tmp/tcpdump.log" || die "tcpdump did not start: $(cat "$tmp/tcpdump.log")"
	poll_until 10 udp_bound "$EXPORT_PORT" || die "bench_sink did not bind"
	softflowd -r "$WORK/traffic.pcap" -n "127.0.0.1:$EXPORT_PORT" -v "$ver" -m $((FLOWS * 2)) -d \
		-c "$tmp/ctl" -p "$tmp/pid" >"$tmp/softflowd.log" 2>&1 &
	local sf=$! asked=0
	# Debian's softflowd 1.1.0 flushes and exits at the end of the file; older ones wait, so
	# once every packet is processed they are told to expire all flows and shut down.
	while kill -0 $sf 2>/dev/null; do
		if [ $asked = 0 ] && softflowctl -c "$tmp/ctl" statistics 2>/dev/null |
			grep -q "^Packets processed: $TRAFFIC_PACKETS\$"; then
			softflowctl -c "$tmp/ctl" expire-all >/dev/null 2>&1 || true
			softflowctl -c "$tmp/ctl" shutdown >/dev/null 2>&1 || true
			asked=1
		fi
		sleep 0.1
	done
	wait $sf || true
	local line sent_recs sent_dgrams
	line=$(grep -m1 '^Flows exported:' "$tmp/softflowd.log") || die "softflowd v$ver: no statistics, see $tmp/softflowd.log"
	# "Flows exported: 300000 (300000 records) in 10353 packets (0 failures)"
	sent_recs=$(sed -E 's/.*\(([0-9]+) records\).*/\1/' <<<"$line")
	sent_dgrams=$(sed -E 's/.* in ([0-9]+) packets.*/\1/' <<<"$line")
	poll_until 20 udp_drained "$EXPORT_PORT" || die "bench_sink queue not drained"
	capframes() { "$BUILD/bench_pcapcat" "$tmp/cap.pcap" /dev/null 2>/dev/null | sed -E 's/frames=([0-9]+).*/\1/'; }
	cap_complete() { [ "$(capframes)" = "$sent_dgrams" ]; }
	poll_until 10 cap_complete || true
	kill -INT $td $sink
	wait $td $sink || true
	local got
	got=$(kv "$tmp/sink.txt" datagrams)
	[ "$got" = "$sent_dgrams" ] || die "softflowd v$ver sent $sent_dgrams datagrams, the sink got $got"
	if ! grep -q '^0 packets dropped by kernel' "$tmp/tcpdump.log" || [ "$(capframes)" != "$sent_dgrams" ]; then
		warn "softflowd v$ver: tcpdump missed datagrams: $(tr '\n' ' ' <"$tmp/tcpdump.log")"
		return 1
	fi
	"$BUILD/bench_pcapcat" "$tmp/cap.pcap" "$out" >/dev/null
	echo "$sent_recs" >"$out.records"
	log "softflowd -v $ver: $sent_recs records in $sent_dgrams datagrams, all captured"
}

prepare_inputs() {
	mkdir -p "$WORK"
	local stamp sum
	sum=$(cat "$SRC/bench/bench_mktraffic.c" "$SRC/bench/bench_pcapcat.c" | md5sum | cut -c1-12)
	stamp="inputs v1 flows=$FLOWS helpers=$sum"
	if [ "$(cat "$WORK/STAMP" 2>/dev/null)" != "$stamp" ]; then
		log "building inputs in $WORK"
		rm -f "$WORK"/*.pcap "$WORK"/*.records "$WORK"/*.tshark
	fi
	local p=$BUILD/bench_pcapcat
	[ -s "$WORK/v5_1x.pcap" ] || "$p" "$DATA/netflow_4M.pcap" "$WORK/v5_1x.pcap" >/dev/null
	[ -s "$WORK/sflow_1x.pcap" ] || "$p" "$DATA/sflow.pcap" "$WORK/sflow_1x.pcap" >/dev/null
	[ -s "$WORK/v5_10x.pcap" ] || "$p" --times 10 "$WORK/v5_1x.pcap" "$WORK/v5_10x.pcap" >/dev/null
	[ -s "$WORK/v5_100x.pcap" ] || "$p" --times 100 "$WORK/v5_1x.pcap" "$WORK/v5_100x.pcap" >/dev/null
	[ -s "$WORK/sflow_10x.pcap" ] || "$p" --times 10 "$WORK/sflow_1x.pcap" "$WORK/sflow_10x.pcap" >/dev/null
	[ -s "$WORK/sflow_100x.pcap" ] || "$p" --times 100 "$WORK/sflow_1x.pcap" "$WORK/sflow_100x.pcap" >/dev/null
	echo 78684 >"$WORK/v5_1x.pcap.records"   # /work/shared/data/README.md, checked below
	echo 5855 >"$WORK/sflow_1x.pcap.records"
	if [ ! -s "$WORK/traffic.pcap" ]; then
		"$BUILD/bench_mktraffic" --flows "$FLOWS" "$WORK/traffic.pcap" >"$WORK/traffic.txt"
	fi
	note "input" "$BUILD/bench_mktraffic" --flows "$FLOWS" "$WORK/traffic.pcap"
	note "input" "$BUILD/bench_pcapcat" --times 10 "$WORK/v5_1x.pcap" "$WORK/v5_10x.pcap"
	note "input" "$BUILD/bench_pcapcat" --head 1 "$WORK/v5_1x.pcap" "$WORK/v5_head.pcap"
	TRAFFIC_PACKETS=$(kv "$WORK/traffic.txt" packets)
	local v f
	if [ $HAVE_PEERS = 1 ]; then
		for v in 9 10; do
			f=v9
			[ $v = 10 ] && f=ipfix
			note "input, capture of softflowd's export" tcpdump -i lo -n -U -B 65536 -w CAP.pcap \
				"udp and dst port $EXPORT_PORT"
			note "input, softflowd v$v (with tcpdump -i lo and bench_sink on the port)" softflowd -r "$WORK/traffic.pcap" \
				-n "127.0.0.1:$EXPORT_PORT" -v "$v" -m $((FLOWS * 2)) -d -c CTL -p PIDFILE
			if [ ! -s "$WORK/${f}_1x.pcap" ] || [ ! -s "$WORK/${f}_1x.pcap.records" ]; then
				local try
				for try in 1 2 3; do
					export_capture $v "$WORK/${f}_1x.pcap" && break
					[ $try != 3 ] || die "softflowd v$v: no complete capture in 3 tries"
				done
			fi
			[ -s "$WORK/${f}_10x.pcap" ] || "$p" --times 10 "$WORK/${f}_1x.pcap" "$WORK/${f}_10x.pcap" >/dev/null
		done
	fi
	for f in "${FORMATS[@]}"; do
		[ -s "$WORK/${f}_1x.pcap" ] || continue
		[ -s "$WORK/${f}_head.pcap" ] || "$p" --head 1 "$WORK/${f}_1x.pcap" "$WORK/${f}_head.pcap" >/dev/null
		REC[$f]=$(cat "$WORK/${f}_1x.pcap.records")
		# an independent count of every 1x input by tshark
		if [ $HAVE_PEERS = 1 ] && [ ! -s "$WORK/${f}_1x.pcap.tshark" ]; then
			tshark_count "$WORK/${f}_1x.pcap" "${PORT[$f]}" "$f" >"$WORK/${f}_1x.pcap.tshark"
		fi
		if [ -s "$WORK/${f}_1x.pcap.tshark" ]; then
			R[tshark_check_$f]=$(cat "$WORK/${f}_1x.pcap.tshark")
			PEER_REC[$f]=${R[tshark_check_$f]}
			[ "${PEER_REC[$f]}" = "${REC[$f]}" ] ||
				NOTES+=("${NAME[$f]}: the exporter sent ${REC[$f]} records per 1x file; tshark decodes ${PEER_REC[$f]} (see RESULTS.md), the figure peers are checked against")
		fi
		: "${PEER_REC[$f]:=${REC[$f]}}"
	done
	echo "$stamp" >"$WORK/STAMP"
	log "inputs: $(for f in "${!REC[@]}"; do printf '%s=%s ' "$f" "${REC[$f]}"; done)"
}

# ---------------------------------------------------------------------------------------------
# overflowd

# bench_decode_run MODE KEYPREFIX FILE...: one bench_decode invocation, results into R[]
bench_decode_run() {
	local mode=$1 key=$2 opt=()
	shift 2
	[ "$mode" = json ] && opt=(--json)
	note "bench_decode $mode" "$BUILD/bench_decode" --seconds "$SECS" "${opt[@]}" "$@"
	"$BUILD/bench_cputime" -o "$OUT/$key.cpu" "$BUILD/bench_decode" --seconds "$SECS" "${opt[@]}" "$@" \
		>"$OUT/$key.txt" 2>"$OUT/$key.err" || die "bench_decode failed: $(tail -3 "$OUT/$key.err")"
}

# parse RESULT lines of FILE for format f
decode_result() {
	local f=$1 file=$2 key=$3 line recs passes
	line=$(grep "RESULT file=$file " "$OUT/$key.txt") || return 0
	recs=$(kv <(echo "$line") records)
	passes=$(kv <(echo "$line") passes)
	R[${key}_$f]=$(kv <(echo "$line") rate)
	R[${key}_ns_$f]=$(kv <(echo "$line") ns_per_record)
	R[${key}_perpass_$f]=$((recs / passes))
}

run_overflowd() {
	local f files=() ok
	for f in "${FORMATS[@]}"; do
		[ -n "${REC[$f]:-}" ] && files+=("$WORK/${f}_1x.pcap")
	done
	log "overflowd: bench_decode decode-only and --json, ${SECS}s each per file"
	bench_decode_run decode dec "${files[@]}"
	bench_decode_run json json "${files[@]}"
	for f in "${FORMATS[@]}"; do
		[ -n "${REC[$f]:-}" ] || continue
		decode_result "$f" "$WORK/${f}_1x.pcap" dec
		decode_result "$f" "$WORK/${f}_1x.pcap" json
		ok=${R[dec_perpass_$f]:-0}
		[ "$ok" = "${REC[$f]}" ] || warn "${NAME[$f]}: bench_decode decodes $ok records per pass, expected ${REC[$f]}"
		R[dec_ok_$f]=$([ "$ok" = "${REC[$f]}" ] && echo yes || echo no)
	done
	log "overflowd: dump --format json (end to end: capture reading, decoding, JSON, write to /dev/null)"
	for f in "${FORMATS[@]}"; do
		[ -n "${REC[$f]:-}" ] || continue
		dump_json "$f" "${BIG[$f]}" "$((REC[$f] * BIGK[$f]))" "dump_$f"
	done
}

# dump_json FORMAT INPUT EXPECTED KEY: CPU time of overflowd dump --format json INPUT > /dev/null
dump_json() {
	local f=$1 in=$WORK/$2.pcap want=$3 key=$4 got cpu run best=""
	note "overflowd dump $2" "$BUILD/overflowd" dump --format json "$in"
	for run in 1 2 3; do # the least CPU time of three runs (one run is at the mercy of the VM)
		"$BUILD/bench_cputime" -o "$OUT/$key.cpu" "$BUILD/overflowd" dump --format json "$in" \
			>/dev/null 2>"$OUT/$key.err" || die "overflowd dump $in failed: $(tail -3 "$OUT/$key.err")"
		got=$(sed -n 's/^records printed \([0-9]*\).*/\1/p' "$OUT/$key.err")
		cpu=$(kv "$OUT/$key.cpu" cpu_s)
		[ -z "$best" ] || awk -v a="$cpu" -v b="$best" 'BEGIN {exit !(a < b)}' || continue
		best=$cpu
		R[$key]=$(div "$got" "$cpu")
		R[${key}_rss]=$(kv "$OUT/$key.cpu" maxrss_kb)
		R[${key}_recs]=$got
		R[${key}_cpu]=$cpu
	done
	[ "$got" = "$want" ] || warn "overflowd dump $2: $got records, expected $want"
}

run_growth() {
	log "growth: NetFlow v5 x1, x10, x100 (dump --format json, bench_decode)"
	local k
	for k in 1 10 100; do
		dump_json v5 "v5_${k}x" $((REC[v5] * k)) "grow_dump_$k"
	done
	bench_decode_run decode grow "$WORK/v5_10x.pcap" "$WORK/v5_100x.pcap"
	decode_result v5_10x "$WORK/v5_10x.pcap" grow
	decode_result v5_100x "$WORK/v5_100x.pcap" grow
}

# ---------------------------------------------------------------------------------------------
# Peers

# tshark: records per CPU-second from the marginal cost between a one-datagram file and a large
# one (tshark's start-up, ~0.1-0.2 s, cancels out)
run_tshark() {
	local f in head n0 n1 c0 c1
	for f in "${FORMATS[@]}"; do
		[ -n "${REC[$f]:-}" ] || continue
		log "tshark: ${NAME[$f]}"
		in=$WORK/${TSHARK_IN[$f]}.pcap
		head=$WORK/${f}_head.pcap
		# shellcheck disable=SC2046
		note "tshark ${NAME[$f]}" tshark -n -r "$in" -T fields $(tshark_fields "$f" "${PORT[$f]}")
		# shellcheck disable=SC2046
		"$BUILD/bench_cputime" -o "$OUT/tshark0_$f.cpu" tshark -n -r "$head" -T fields $(tshark_fields "$f" "${PORT[$f]}") \
			2>/dev/null | count_cols "$(tshark_ncols "$f")" >"$OUT/tshark0_$f.n"
		# shellcheck disable=SC2046
		"$BUILD/bench_cputime" -o "$OUT/tshark1_$f.cpu" tshark -n -r "$in" -T fields $(tshark_fields "$f" "${PORT[$f]}") \
			2>/dev/null | count_cols "$(tshark_ncols "$f")" >"$OUT/tshark1_$f.n"
		n0=$(cat "$OUT/tshark0_$f.n")
		n1=$(cat "$OUT/tshark1_$f.n")
		c0=$(kv "$OUT/tshark0_$f.cpu" cpu_s)
		c1=$(kv "$OUT/tshark1_$f.cpu" cpu_s)
		R[tshark_$f]=$(div $((n1 - n0)) "$(calc "$c1 - $c0")")
		R[tshark_recs_$f]=$n1
		R[tshark_cpu_$f]=$c1
		local want=$((PEER_REC[$f] * TSHARK_K[$f]))
		[ "$n1" = "$want" ] || warn "tshark ${NAME[$f]}: $n1 records, expected $want"
	done
}

# pmacct_conf FILE INPUT REPLAY OUTCSV
pmacct_conf() {
	cat >"$1" <<EOF
daemonize: false
pcap_savefile: $2
pcap_savefile_replay: $3
plugins: print[p]
aggregate[p]: peer_src_ip, flows
print_output[p]: csv
print_output_file[p]: $4
print_refresh_time[p]: 3600
plugin_buffer_size: 1024000
plugin_pipe_size: 102400000
EOF
}

# pmacct_once DAEMON FORMAT REPLAY: one run; sets PM_CPU (seconds) and PM_FLOWS
pmacct_once() {
	local d=$1 f=$2 n=$3 base=$OUT/pmacct_${2}_$3
	rm -f "$base.csv"
	pmacct_conf "$base.conf" "$WORK/${f}_1x.pcap" "$n" "$base.csv"
	note "$d ${NAME[$f]} replay $n" "$d" -f "$base.conf"
	"$BUILD/bench_cputime" -o "$base.cpu" "$d" -f "$base.conf" >"$base.log" 2>&1 ||
		warn "$d exited with $(kv "$base.cpu" status) (see $base.log)"
	PM_FLOWS=$(awk -F, 'NR > 1 {s += $3} END {print s + 0}' "$base.csv" 2>/dev/null || echo 0)
	[ "$PM_FLOWS" = $((PEER_REC[$f] * n)) ] || warn "$d ${NAME[$f]} replay $n: FLOWS $PM_FLOWS, expected $((PEER_REC[$f] * n))"
	PM_CPU=$(kv "$base.cpu" cpu_s)
}

# pmacct: CPU time of the whole process tree (core + print plugin, reaped by the core) for
# pcap_savefile_replay 1 and N; the difference is the cost of N-1 passes over the file. The
# savefile mode's sleeps cost no CPU.
run_pmacct() {
	local f d n c1 cn
	for f in "${FORMATS[@]}"; do
		[ -n "${REC[$f]:-}" ] || continue
		case $f in
		v5) d=nfacctd n=$V5_REPLAY_PMACCT ;;
		v9 | ipfix) d=nfacctd n=$NF9_REPLAY_PMACCT ;;
		sflow) d=sfacctd n=$SF_REPLAY_PMACCT ;;
		esac
		log "pmacct $d: ${NAME[$f]} replay 1 and $n"
		pmacct_once $d "$f" 1
		c1=$PM_CPU
		pmacct_once $d "$f" "$n"
		cn=$PM_CPU
		R[pmacct_flows_$f]=$PM_FLOWS
		R[pmacct_$f]=$(div $((PEER_REC[$f] * (n - 1))) "$(calc "$cn - $c1")")
		R[pmacct_n_$f]=$n
		R[pmacct_cpu_$f]="$c1 / $cn"
		R[pmacct_d_$f]=$d
	done
}

# Loopback collectors (nfcapd, and overflowd's own UDP path for comparison): the capture's
# datagrams are replayed over loopback; the collector is stopped (SIGSTOP) while bench_replay
# fills its socket buffer and continued until it has drained it, so it never drops and its CPU
# time (getrusage of the process, all threads, start to exit) is spent on receiving, decoding
# and storing, not on waking up once per datagram.

# loopback_run KEY FORMAT TIMES MAX_QUEUE CMD...: runs CMD (which must listen on
# 127.0.0.1:$NFCAPD_PORT) under bench_cputime, replays ${FORMAT}_1x TIMES times, stops CMD with
# SIGTERM. CMD's stdout goes to /dev/null. Leaves $OUT/KEY.cpu, KEY.log (stderr), KEY.replay.
loopback_run() {
	local key=$1 f=$2 times=$3 maxq=$4 base=$OUT/$1 pid wrapper
	shift 4
	rm -f "$base.pid" "$base.cpu"
	udp_bound $NFCAPD_PORT && die "udp port $NFCAPD_PORT in use (set BENCH_PORT)"
	note "$key" "$@"
	TZ=UTC "$BUILD/bench_cputime" -o "$base.cpu" -p "$base.pid" "$@" >/dev/null 2>"$base.log" &
	wrapper=$!
	poll_until 10 test -s "$base.pid" || die "$1 did not start"
	pid=$(cat "$base.pid")
	note "$key replay" "$BUILD/bench_replay" --port $NFCAPD_PORT --times "$times" \
		--max-queue "$maxq" --stop-pid COLLECTOR_PID "$WORK/${f}_1x.pcap"
	"$BUILD/bench_replay" --port $NFCAPD_PORT --times "$times" --max-queue "$maxq" --stop-pid "$pid" \
		"$WORK/${f}_1x.pcap" >"$base.replay" || die "bench_replay failed"
	kill -TERM "$pid"
	wait "$wrapper" || warn "$1 exited with $(kv "$base.cpu" status)"
	R[${key}_drops]=$(kv "$base.replay" drops)
	[ "${R[${key}_drops]}" = 0 ] || warn "$key: the socket dropped ${R[${key}_drops]} datagrams"
}

# loopback_result KEY FORMAT TIMES STORED: figures from a loopback_run; of several runs the one
# with the least CPU time is kept (the kernel's share varies between runs on a shared VM)
loopback_result() {
	local key=$1 f=$2 times=$3 n=${4:-0} cpu
	cpu=$(kv "$OUT/$key.cpu" cpu_s)
	R[${key}_runs]="${R[${key}_runs]:+${R[${key}_runs]}, }$(printf '%.3f' "$cpu")"
	[ "$n" = $((REC[$f] * times)) ] || [ "$n" = $((PEER_REC[$f] * times)) ] ||
		warn "$key: stored $n records, sent $((REC[$f] * times))"
	if [ -n "${R[${key}_cpu]:-}" ] && awk -v a="$cpu" -v b="${R[${key}_cpu]}" 'BEGIN {exit !(a >= b)}'; then
		return 0
	fi
	R[$key]=$(div "$n" "$cpu")
	R[${key}_user]=$(div "$n" "$(kv "$OUT/$key.cpu" user_s)")
	R[${key}_sys]=$(kv "$OUT/$key.cpu" sys_s)
	R[${key}_flows]=$n
	R[${key}_cpu]=$cpu
	R[${key}_dgrams]=$(kv "$OUT/$key.replay" datagrams)
}

run_nfcapd() {
	local f times dir flows run
	for f in v5 v9 ipfix; do
		[ -n "${REC[$f]:-}" ] || continue
		times=$V5_TIMES_NFCAPD
		[ $f = v5 ] || times=$NF9_TIMES_NFCAPD
		log "nfcapd: ${NAME[$f]} x$times over loopback, $LOOPBACK_RUNS runs"
		dir=$NFCAPD_TMP/nfcapd-$f
		for ((run = 1; run <= LOOPBACK_RUNS; run++)); do
			rm -rf "$dir"
			mkdir -p "$dir"
			loopback_run "nfcapd_$f" "$f" "$times" 8000000 \
				nfcapd -b 127.0.0.1 -p $NFCAPD_PORT -w "$dir" -t 3600 -B 16777216
			[ $run = 1 ] && note "nfdump ${NAME[$f]}" nfdump -R "$dir" -I
			flows=$(nfdump -R "$dir" -I 2>/dev/null | sed -n 's/^Flows: *\([0-9]*\).*/\1/p') || true
			if [ $f = v5 ] && [ $run = $LOOPBACK_RUNS ] && { stage pipeline || stage fpipe; }; then
				rm -rf "$NFCAPD_TMP/nfcapd-v5-store" # kept for nfdump (pipeline and fpipe stages)
				mv "$dir" "$NFCAPD_TMP/nfcapd-v5-store"
			fi
			rm -rf "$dir"
			loopback_result "nfcapd_$f" "$f" "$times" "$flows"
		done
	done
}

# overflowd dump over loopback, measured exactly like nfcapd (JSON to /dev/null instead of
# nfcapd's binary files). dump keeps the system's default socket buffer, so the queue limit is
# half of net.core.rmem_default.
run_dump_udp() {
	local f times maxq n run
	maxq=$(($(cat /proc/sys/net/core/rmem_default 2>/dev/null || echo 212992) / 2))
	for f in "${FORMATS[@]}"; do
		[ -n "${REC[$f]:-}" ] || continue
		case $f in
		v5) times=$V5_TIMES_DUMP_UDP ;;
		sflow) times=$SF_TIMES_DUMP_UDP ;;
		*) times=$NF9_TIMES_DUMP_UDP ;;
		esac
		log "overflowd dump udp://: ${NAME[$f]} x$times over loopback, $LOOPBACK_RUNS runs"
		for ((run = 1; run <= LOOPBACK_RUNS; run++)); do
			loopback_run "dumpudp_$f" "$f" "$times" "$maxq" \
				"$BUILD/overflowd" dump --format json "udp://127.0.0.1:$NFCAPD_PORT"
			n=$(sed -n 's/^records printed \([0-9]*\).*/\1/p' "$OUT/dumpudp_$f.log")
			loopback_result "dumpudp_$f" "$f" "$times" "$n"
		done
	done
}

# ---------------------------------------------------------------------------------------------
# lpm: the longest-prefix-match table (net/lpm.h), a million IPv4 and a million IPv6 prefixes,
# lookups per CPU-second on one thread (bench_lpm), single and batched, random and hitting

LPM_MD=""

run_lpm() {
	local secs=${LPM_SECONDS:-2}
	log "lpm: bench_lpm, ${secs}s per figure"
	note "lpm" "$BUILD/bench_lpm" --seconds "$secs"
	"$BUILD/bench_cputime" -o "$OUT/lpm.cpu" "$BUILD/bench_lpm" --seconds "$secs" >"$OUT/lpm.txt" 2>"$OUT/lpm.err" ||
		{ warn "bench_lpm failed: $(tail -2 "$OUT/lpm.err")"; return 0; }
	LPM_MD=$(awk -v rss="$(kv "$OUT/lpm.cpu" maxrss_kb)" '
	function v(k,   i) { for (i = 2; i <= NF; i++) if (index($i, k "=") == 1) return substr($i, length(k) + 2); return "" }
	BEGIN { print "\n## Longest-prefix match (bench_lpm, one thread)\n" }
	/bench=lpm_build/ { b = b sprintf("| %s | %s | %s | %.2f s | %.1f MB | %s |\n", v("family"), v("prefixes"),
		v("distinct"), v("build_s"), v("memory_bytes") / 1e6, v("bytes_per_prefix")) }
	/bench=lpm / { l = l sprintf("| %s | %s | %s | %.1fM | %s | %s | %s |\n", v("family"), v("mode"), v("addrs"),
		v("rate") / 1e6, v("ns_per_lookup"), v("hit_ratio"), (v("rate") + 0 >= 20e6 ? "yes" : "**no**")) }
	END {
		print "| family | prefixes | distinct | build (CPU) | memory | bytes/prefix |"; print "|---|---:|---:|---:|---:|---:|"
		printf "%s\n", b
		print "| family | lookup | addresses | lookups/CPU-s | ns/lookup | hit ratio | 20M target met |"
		print "|---|---|---|---:|---:|---:|---|"
		printf "%s\n", l
		print "Peak RSS of the run: " int(rss / 1024) " MB. Batches of 512 (`ofd_lpm_lookup_batch`). Command: `bench_lpm --seconds S`." }' "$OUT/lpm.txt")
}

report_lpm() {
	[ -n "$LPM_MD" ] && printf '%s\n' "$LPM_MD"
	return 0
}

# kafka (issue 14): the protobuf codec against protobuf-c (bench_pb), then overflowd's Kafka
# segments against bare librdkafka loops and kcat on the mock cluster (bench/kafka_stage.sh)
KAFKA_MD=""
run_kafka() {
	if [ ! -x "$BUILD/bench_pb" ] || [ ! -x "$BUILD/kafka_mock" ] || [ ! -x "$BUILD/bench_kafka" ]; then
		warn "kafka: bench_pb, kafka_mock or bench_kafka not built (protobuf-c, librdkafka missing?)"
		return 0
	fi
	log "kafka: bench_pb and bench/kafka_stage.sh"
	note "kafka" "$BUILD/bench_pb" --seconds 2 --cpu 1 "$SRC/examples/netflow_4M.pcap.gz"
	note "kafka" "$SRC/bench/kafka_stage.sh" "$BUILD" 10
	"$BUILD/bench_pb" --seconds 2 --cpu 1 "$SRC/examples/netflow_4M.pcap.gz" >"$OUT/pb.txt" 2>&1 ||
		warn "bench_pb failed: $(tail -2 "$OUT/pb.txt")"
	OFD_DATA=$DATA "$SRC/bench/kafka_stage.sh" "$BUILD" 10 >"$OUT/kafka.txt" 2>&1 ||
		warn "kafka_stage failed: $(tail -2 "$OUT/kafka.txt")"
	local fence='```'
	KAFKA_MD=$(printf '\n## Kafka and protobuf (issue 14)\n\n%s\n%s\n\n%s\n%s\n' "$fence" "$(cat "$OUT/pb.txt")" \
		"$(cat "$OUT/kafka.txt")" "$fence")
}

report_kafka() {
	[ -n "$KAFKA_MD" ] && printf '%s\n' "$KAFKA_MD"
	return 0
}

# enrich (issue 15): the enrichers one by one and flowpipeline's enricher chain through
# bench_seg, anonymize beside nfanon (bench/enrich_stage.sh)
ENRICH_MD=""
run_enrich() {
	log "enrich: bench/enrich_stage.sh"
	note "enrich" "$SRC/bench/enrich_stage.sh" "$BUILD"
	OFD_DATA=$DATA OUT=$OUT "$SRC/bench/enrich_stage.sh" "$BUILD" >"$OUT/enrich.md" 2>"$OUT/enrich.err" ||
		warn "enrich_stage failed: $(tail -2 "$OUT/enrich.err")"
	ENRICH_MD=$(printf '\n## Enrichers (issue 15)\n\n%s\n' "$(cat "$OUT/enrich.md")")
}

report_enrich() {
	[ -n "$ENRICH_MD" ] && printf '%s\n' "$ENRICH_MD"
	return 0
}

# outputs (issue 16): influx and postgres into servers started by their scripts, beside the
# servers' own bulk paths (curl, psql \copy) on the same rows
OUTPUTS_MD=""
run_outputs() {
	local s
	for s in influx postgres; do
		log "outputs: bench/${s}_stage.sh"
		note "outputs" "$SRC/bench/${s}_stage.sh" "$BUILD"
		OFD_DATA=$DATA OUT=$OUT "$SRC/bench/${s}_stage.sh" "$BUILD" >"$OUT/$s.md" 2>"$OUT/$s.err" ||
			warn "${s}_stage failed: $(tail -2 "$OUT/$s.err")"
		OUTPUTS_MD+=$(printf '\n## %s output (issue 16)\n\n%s\n' "$s" "$(cat "$OUT/$s.md")")
	done
}

report_outputs() {
	[ -n "$OUTPUTS_MD" ] && printf '%s\n' "$OUTPUTS_MD"
	return 0
}

# ---------------------------------------------------------------------------------------------
# callgrind: instructions per record for a fixed workload (bench_decode --seconds 0 makes one
# warm-up and one timed pass, so every record is decoded twice)

# ir_of CALLGRIND_OUT FUNCTION: inclusive Ir of a function
ir_of() {
	callgrind_annotate --inclusive=yes --threshold=100 "$1" 2>/dev/null |
		awk -v fn=":$2 [" '!done && $0 !~ /=>/ && index($0, fn) {gsub(",", "", $1); ir = $1; done = 1} END {print ir}'
}

run_callgrind() {
	local f mode cg ir recs line new=$BUILD/callgrind.txt
	printf '# instructions per record, valgrind --tool=callgrind on bench_decode --seconds 0 (see bench/RESULTS.md)\n' >"$new"
	for f in "${FORMATS[@]}"; do
		[ -n "${REC[$f]:-}" ] || continue
		log "callgrind: ${NAME[$f]}"
		for mode in decode json; do
			cg=$OUT/callgrind.$f.$mode
			local opt=()
			[ $mode = json ] && opt=(--json)
			note "callgrind ${NAME[$f]} $mode" valgrind --tool=callgrind --callgrind-out-file="$cg" \
				"$BUILD/bench_decode" --seconds 0 "${opt[@]}" "$WORK/${f}_1x.pcap"
			valgrind --tool=callgrind --callgrind-out-file="$cg" \
				"$BUILD/bench_decode" --seconds 0 "${opt[@]}" "$WORK/${f}_1x.pcap" >"$cg.txt" 2>"$cg.err" ||
				die "callgrind failed: $(tail -3 "$cg.err")"
			line=$(grep '^RESULT' "$cg.txt")
			recs=$(($(kv <(echo "$line") records) * 2))
			if [ $mode = decode ]; then
				ir=$(ir_of "$cg" ofd_decode)
			else
				ir=$(ir_of "$cg" ofd_fmt_json)
			fi
			R[cg_${mode}_$f]=$(awk -v a="${ir:-0}" -v b="$recs" 'BEGIN {printf "%.1f", b ? a / b : 0}')
		done
		R[cg_total_$f]=$(calc "${R[cg_decode_$f]} + ${R[cg_json_$f]}" | awk '{printf "%.1f", $1}')
		printf '%s decode %s\n%s json %s\n' "$f" "${R[cg_decode_$f]}" "$f" "${R[cg_total_$f]}" >>"$new"
	done
	CALLGRIND_CMP=()
	if [ -r "$BASELINE" ]; then
		local fm md v old pct
		while read -r fm md v; do
			{ [ -n "$fm" ] && [ "${fm:0:1}" != "#" ]; } || continue
			old=$(awk -v f="$fm" -v m="$md" '$1 == f && $2 == m {print $3}' "$BASELINE")
			[ -n "$old" ] || continue
			pct=$(awk -v a="$v" -v b="$old" 'BEGIN {printf "%+.1f", (a - b) * 100 / b}')
			R[cg_base_${md}_$fm]=$old
			R[cg_pct_${md}_$fm]=$pct
			if awk -v p="$pct" 'BEGIN {exit !(p > 5)}'; then
				CALLGRIND_CMP+=("WORSE by more than 5%: ${NAME[$fm]} $md: $old -> $v instructions per record ($pct%)")
			fi
		done <"$new"
	fi
	if [ "${BENCH_UPDATE_BASELINE:-0}" = 1 ]; then
		cp "$new" "$BASELINE"
		log "callgrind baseline written to $BASELINE"
	fi
}

# ---------------------------------------------------------------------------------------------
# Report

met() { awk -v a="$1" -v b="$2" 'BEGIN {if (a == "" || a == "n/a") print "n/a"; else print (a >= b ? "yes" : "**no**")}'; }

report() {
	local f commit
	commit=$(git -C "$SRC" rev-parse --short HEAD 2>/dev/null || echo unknown)
	if [ -n "$(git -C "$SRC" status --porcelain 2>/dev/null)" ]; then
		commit="$commit (with uncommitted changes)"
	fi
	echo "## overflowd benchmark results"
	echo
	echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'); commit: $commit"
	echo "- machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(uname -sr)"
	echo "- load average before / after the run: $LOAD0 / $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "- bench_decode: ${SECS} CPU-seconds per figure; inputs in $WORK"
	echo
	echo "### overflowd, records per CPU-second on one core"
	echo
	echo "| format | records in 1x file | decode only | decode + JSON | \`dump --format json\` (end to end) | decode target | met | JSON target (2M) | met |"
	echo "|---|---:|---:|---:|---:|---:|---|---:|---|"
	for f in "${FORMATS[@]}"; do
		[ -n "${REC[$f]:-}" ] || continue
		printf '| %s | %s | %s (%s ns) | %s (%s ns) | %s | %s | %s | 2M | %s |\n' "${NAME[$f]}" "$(thousands "${REC[$f]}")" \
			"$(human "${R[dec_$f]:-}")" "${R[dec_ns_$f]:-}" "$(human "${R[json_$f]:-}")" "${R[json_ns_$f]:-}" \
			"$(human "${R[dump_$f]:-}")" "$(human "${TARGET[$f]}")" "$(met "${R[dec_$f]:-}" "${TARGET[$f]}")" \
			"$(met "${R[dump_$f]:-}" 2000000)"
	done
	echo
	echo "Decode-only and decode + JSON: bench_decode on the 1x file held in memory (JSON written to /dev/null)."
	echo "End to end: CPU time (user+sys) of \`overflowd dump --format json FILE > /dev/null\` on the larger file"
	echo "($(for f in "${FORMATS[@]}"; do [ -n "${REC[$f]:-}" ] && printf '%s %s, ' "${NAME[$f]}" "${BIG[$f]}"; done | sed 's/, $//'))."
	if [ $HAVE_PEERS = 1 ]; then
		echo
		echo "### peers on the same files, records per CPU-second"
		echo
		echo "| format | tool | records counted | CPU s | records/CPU-s | ÷ overflowd decode-only |"
		echo "|---|---|---:|---:|---:|---:|"
		for f in "${FORMATS[@]}"; do
			[ -n "${REC[$f]:-}" ] || continue
			local base=${R[dec_$f]:-0}
			printf '| %s | overflowd decode-only (bench_decode) | %s/pass | %s | %s | 1 |\n' "${NAME[$f]}" \
				"$(thousands "${R[dec_perpass_$f]:-0}")" "$SECS" "$(human "${R[dec_$f]:-}")"
			printf '| %s | overflowd dump --format json | %s | %s | %s | %s |\n' "${NAME[$f]}" \
				"$(thousands "${R[dump_${f}_recs]:-0}")" "${R[dump_${f}_cpu]:-}" "$(human "${R[dump_$f]:-}")" \
				"$(ratio "${R[dump_$f]:-}" "$base")"
			printf '| %s | tshark (marginal over 1 datagram) | %s | %s | %s | %s |\n' "${NAME[$f]}" \
				"$(thousands "${R[tshark_recs_$f]:-0}")" "${R[tshark_cpu_$f]:-}" "$(human "${R[tshark_$f]:-}")" \
				"$(ratio "${R[tshark_$f]:-}" "$base")"
			printf '| %s | pmacct %s (replay 1 vs %s) | %s | %s | %s | %s |\n' "${NAME[$f]}" "${R[pmacct_d_$f]:-}" \
				"${R[pmacct_n_$f]:-}" "$(thousands "${R[pmacct_flows_$f]:-0}")" "${R[pmacct_cpu_$f]:-}" \
				"$(human "${R[pmacct_$f]:-}")" "$(ratio "${R[pmacct_$f]:-}" "$base")"
			if [ -n "${R[nfcapd_$f]:-}" ]; then
				printf '| %s | nfdump nfcapd, loopback (user only: %s; sys %s s) | %s | %s | %s | %s |\n' "${NAME[$f]}" \
					"$(human "${R[nfcapd_${f}_user]}")" "${R[nfcapd_${f}_sys]}" "$(thousands "${R[nfcapd_${f}_flows]}")" \
					"${R[nfcapd_${f}_runs]}" "$(human "${R[nfcapd_$f]}")" "$(ratio "${R[nfcapd_$f]}" "$base")"
			else
				printf '| %s | nfdump nfcapd | n/a (nfcapd has no sFlow) | | | |\n' "${NAME[$f]}"
			fi
			if [ -n "${R[dumpudp_$f]:-}" ]; then
				printf '| %s | overflowd dump --format json udp://, loopback as nfcapd (user only: %s; sys %s s) | %s | %s | %s | %s |\n' \
					"${NAME[$f]}" "$(human "${R[dumpudp_${f}_user]}")" "${R[dumpudp_${f}_sys]}" \
					"$(thousands "${R[dumpudp_${f}_flows]}")" "${R[dumpudp_${f}_runs]}" "$(human "${R[dumpudp_$f]}")" \
					"$(ratio "${R[dumpudp_$f]}" "$base")"
			fi
		done
		echo
		echo "Records counted: what the tool itself reported (tshark: fields printed; pmacct: the FLOWS column;"
		echo "nfcapd: \`nfdump -R DIR -I\` Flows; overflowd: its summary). CPU s is user+sys of the whole process"
		echo "tree (wait4). tshark: (records - records of a 1-datagram file) / (CPU - CPU of that run)."
		echo "pmacct: replay 1 vs replay N of the 1x file, (N-1) x records / CPU difference. Loopback rows:"
		echo "bench_replay sends the 1x file K times to the collector, which is stopped while its socket"
		echo "buffer fills and continued until it is drained; records stored / CPU of the best of the runs."
	fi
	echo
	echo "### cost growth, NetFlow v5 repeated (throughput should stay flat, memory bounded)"
	echo
	echo "| input | records | dump --format json rec/CPU-s | dump max RSS | bench_decode decode-only rec/CPU-s |"
	echo "|---|---:|---:|---:|---:|"
	printf '| v5 x1 | %s | %s | %s MB | %s |\n' "$(thousands "${R[grow_dump_1_recs]:-0}")" "$(human "${R[grow_dump_1]:-}")" \
		"$((${R[grow_dump_1_rss]:-0} / 1024))" "$(human "${R[dec_v5]:-}")"
	printf '| v5 x10 | %s | %s | %s MB | %s |\n' "$(thousands "${R[grow_dump_10_recs]:-0}")" "$(human "${R[grow_dump_10]:-}")" \
		"$((${R[grow_dump_10_rss]:-0} / 1024))" "$(human "${R[grow_v5_10x]:-}")"
	printf '| v5 x100 | %s | %s | %s MB | %s |\n' "$(thousands "${R[grow_dump_100_recs]:-0}")" "$(human "${R[grow_dump_100]:-}")" \
		"$((${R[grow_dump_100_rss]:-0} / 1024))" "$(human "${R[grow_v5_100x]:-}")"
	echo
	echo "(bench_decode holds the whole file in memory by design; its RSS is not a collector figure.)"
	stage pipeline && pipe_report
	if [ $HAVE_VALGRIND = 1 ]; then
		echo
		echo "### callgrind, instructions per record (decode: ofd_decode inclusive; JSON adds ofd_fmt_json inclusive)"
		echo
		echo "| format | decode | decode + JSON | baseline decode | change | baseline JSON | change |"
		echo "|---|---:|---:|---:|---:|---:|---:|"
		for f in "${FORMATS[@]}"; do
			[ -n "${R[cg_decode_$f]:-}" ] || continue
			printf '| %s | %s | %s | %s | %s | %s | %s |\n' "${NAME[$f]}" "${R[cg_decode_$f]}" "${R[cg_total_$f]}" \
				"${R[cg_base_decode_$f]:-n/a}" "${R[cg_pct_decode_$f]:-}" "${R[cg_base_json_$f]:-n/a}" "${R[cg_pct_json_$f]:-}"
		done
		echo
		if [ ${#CALLGRIND_CMP[@]} = 0 ]; then
			echo "No figure got worse than the baseline by more than 5%."
		else
			printf -- '- %s\n' "${CALLGRIND_CMP[@]}"
		fi
	fi
	if [ ${#NOTES[@]} -gt 0 ]; then
		echo
		echo "### notes"
		echo
		printf -- '- %s\n' "${NOTES[@]}"
	fi
	if [ ${#WARNINGS[@]} -gt 0 ]; then
		echo
		echo "### warnings"
		echo
		printf -- '- %s\n' "${WARNINGS[@]}"
	fi
	echo
	echo "pmacct configuration (PATH, N and OUT.csv per run; the files are in $OUT):"
	echo
	echo '```'
	pmacct_conf /dev/stdout PATH N OUT.csv
	echo '```'
	echo
	echo "### commands as run"
	echo
	echo '```'
	printf '%s\n' "${COMMANDS[@]}"
	echo '```'
}

STAGES=" ${BENCH_STAGES:-overflowd growth tshark pmacct nfcapd json ingest pipeline fpipe tracers lpm kafka enrich outputs callgrind} "
stage() { [[ $STAGES == *" $1 "* ]]; }

main() {
	mkdir -p "$OUT"
	check_tools
	if [ $HAVE_PEERS = 1 ]; then
		local cur
		cur=$(sysctl -n net.core.rmem_max 2>/dev/null || echo 0)
		if [ "$cur" -lt 33554432 ]; then
			sysctl -qw net.core.rmem_max=33554432 2>/dev/null ||
				warn "net.core.rmem_max is $cur and cannot be raised: nfcapd's -B 16777216 is capped"
		fi
	fi
	[ -d "$NFCAPD_TMP" ] && [ -w "$NFCAPD_TMP" ] || NFCAPD_TMP=$WORK
	LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
	local t0=$SECONDS
	prepare_inputs
	stage overflowd && run_overflowd
	stage growth && run_growth
	if [ $HAVE_PEERS = 1 ]; then
		stage tshark && run_tshark
		stage pmacct && run_pmacct
		stage nfcapd && run_nfcapd && run_dump_udp
	fi
	stage json && run_json
	stage ingest && run_ingest
	stage pipeline && run_pipeline
	stage fpipe && run_fpipe
	stage tracers && run_tracers
	stage lpm && run_lpm
	stage kafka && run_kafka
	stage enrich && run_enrich
	stage outputs && run_outputs
	[ $HAVE_VALGRIND = 1 ] && stage callgrind && run_callgrind
	{ report; report_json; report_ingest; report_tracers; report_lpm; report_fpipe; report_kafka; report_enrich; report_outputs; } | tee "$RESULTS"
	if [ ${#CALLGRIND_CMP[@]} -gt 0 ]; then
		printf '%s\n' "${CALLGRIND_CMP[@]}" >&2
	fi
	log "done in $((SECONDS - t0)) s; results in $RESULTS"
}

# shellcheck source=bench/pipelines/stage.sh
. "$SRC/bench/pipelines/stage.sh"
# shellcheck source=bench/pipelines/fp_stage.sh
. "$SRC/bench/pipelines/fp_stage.sh"
# shellcheck source=bench/tracers_stage.sh
. "$SRC/bench/tracers_stage.sh"
# shellcheck source=bench/ingest_stage.sh
. "$SRC/bench/ingest_stage.sh"
# shellcheck source=bench/json_stage.sh
. "$SRC/bench/json_stage.sh"
CALLGRIND_CMP=()
main
