# shellcheck shell=bash
# bench/pipelines/fp_stage.sh: the `fpipe` stage of bench/run.sh, sourced by it after
# bench/pipelines/stage.sh (it uses their variables and helpers: BUILD, WORK, OUT, REC, R, note,
# kv, div, warn, pipe_best, pipe_inproc, pipe_cell, pipe_nfdump_store...).
#
# flowpipeline's pipelines (issue 13: overflowd as its drop-in) run by the real engine,
# `overflowd -c bench/pipelines/fp-*.yml ...`, in records per CPU-second (user+sys of the
# process, all its threads; best of FP_RUNS runs free and as many pinned to one CPU, as
# pipe_best does), beside nfdump on the same records where it has an equivalent (nfdump over
# the nfcapd store of NetFlow v5 x100 that the pipeline stage uses):
#
#   toptalkers (topn 10)        v5 x100   nfdump -R STORE -s dstip/bytes -n 10 (same ranking?)
#   aggregate -> count          v5 x100   nfdump -R STORE -a (5-tuple; ours adds ip_tos, in_if)
#   json protojson / ours       v5 x10    nfdump -R STORE -c 786840 -o json (the first 10 copies)
#   stdin JSON lines -> count   v5 x1 written once as protojson and as ours (reading speed)
#   flowfilter -> count         v5 x100   nfdump -R STORE 'FILTER with parentheses'; bench_filter
#   csv flowpipeline            v5 x10    nfdump -R STORE -c 786840 -o csv
#   printflowdump               v5 x10    nfdump -R STORE -c 786840 -o line
#
# The outputs that write every record (json, csv, printflowdump) and the JSON readers cost 10 to
# 100 times the CPU of a scan per record, so they run on x10 and x1 to keep the stage within
# about 2 minutes on 2 cores. Every process runs with TZ=UTC (nfdump formats times with
# localtime(); with TZ unset glibc rereads /etc/localtime every time).
#
# Environment: FP_RUNS (3) runs per figure, free and pinned each.

declare -A R REC # run.sh's (declared there; this keeps their contents)

FP_RUNS=${FP_RUNS:-3}
# flowpipeline groups `and`/`or` to the right: proto udp and (port 123 or port 53); nfdump needs
# the parentheses
FP_FILTER="proto udp and port 123 or port 53"
FP_NFFILTER="proto udp and (port 123 or port 53)"
FP_KEYS=()
FP_CHECKS=()
FP_MD=""

# fp_run KEY K CMD...: pipe_best with FP_RUNS runs; R[fp_KEY], R[pipe_pin_fp_KEY] are the
# records per CPU-second free and pinned for the records of v5 xK
fp_run() {
	local key=fp_$1 n=$((REC[v5] * $2))
	shift 2
	FP_KEYS+=("$key")
	PIPE_RUNS=$FP_RUNS pipe_best "$key" "$@"
	R[pipe_$key]=$(div "$n" "${R[pipe_cpu_$key]}")
	R[pipe_pin_$key]=$(div "$n" "${R[pipe_cpu_pin_$key]:-0}")
	R[fp_n_$key]=$n
}

# fp_engine KEY K CONFIG ARG...: overflowd -c bench/pipelines/CONFIG.yml ARG...
fp_engine() {
	local key=$1 k=$2 cfg=$PIPE_DIR/$3.yml
	shift 3
	fp_run "$key" "$k" "$BUILD/overflowd" -c "$cfg" "$@"
}

# fp_nfdump KEY K ARG...: nfdump -R STORE ARG... with its output to /dev/null
fp_nfdump() {
	local key=$1 k=$2
	shift 2
	# shellcheck disable=SC2016 # $0 and $@ are the inner shell's
	fp_run "$key" "$k" sh -c 'exec nfdump "$@" >/dev/null' nfdump -R "$FP_STORE" "$@"
}

# fp_check OK TEXT: a check of the stage, listed with the table; a failed one is also a warning
fp_check() {
	if [ "$1" = 1 ]; then
		FP_CHECKS+=("$2")
	else
		FP_CHECKS+=("**failed**: $2")
		warn "fpipe: $2"
	fi
}

# fp_passed KEY: the records the pipeline passed, from its summary on stderr
fp_passed() { sed -n 's/^pipeline: in [0-9]* out \([0-9]*\) dropped.*/\1/p' "$OUT/pipe_$1.err" | tail -1; }

# fp_ok A B: 1 when A and B are the same non-empty text
fp_ok() { [ -n "$1" ] && [ "$1" = "$2" ] && echo 1 || echo 0; }

fp_toptalkers() {
	local ours theirs
	log "fpipe: toptalkers against nfdump -s dstip/bytes"
	fp_engine top 100 fp-toptalkers "$FP_IN100" "$OUT/pipe_fp_top.report"
	# "ADDR: 4.4957927 Gbps, 377.52833 kpps" lines; the run is shorter than the report
	# interval, so the one report is the final one
	ours=$(sed -n 's/^\(.*\): [0-9.e+]* [kMGTP]\{0,1\}bps, .*/\1/p' "$OUT/pipe_fp_top.report" | tail -10 | tr '\n' ' ')
	R[fp_top_ours]=$ours
	[ "$HAVE_NFDUMP" = 1 ] || return 0
	fp_run nf_top 100 nfdump -R "$FP_STORE" -q -s dstip/bytes -n 10 -o csv
	theirs=$(awk -F, '$5 ~ /^[0-9a-f.:]+$/ {print $5}' "$OUT/pipe_fp_nf_top.out" | head -10 | tr '\n' ' ')
	fp_check "$(fp_ok "$ours" "$theirs")" \
		"toptalkers and \`nfdump -s dstip/bytes -n 10\` rank the same 10 destinations: ${ours% }$([ "$ours" = "$theirs" ] || echo " (nfdump: ${theirs% })")"
}

fp_aggregate() {
	local flows keys5 keys7 nf line
	log "fpipe: aggregate against nfdump -a"
	fp_engine agg 100 fp-aggregate "$FP_IN100" "$OUT/pipe_fp_agg.counts"
	line=$(sed -n 's/^flows: //p' "$OUT/pipe_fp_agg.counts" | head -1)
	flows=${line%% flows*}
	# the keys in the data: the 5-tuple, and with ip_tos and in_if (the x100 file repeats x1)
	read -r keys5 keys7 < <("$BUILD/overflowd" dump --format csv "$WORK/v5_1x.pcap" 2>/dev/null | awk -F, '
		NR == 1 {for (i = 1; i <= NF; i++) c[$i] = i; next}
		{k = $c["src_addr"] "," $c["dst_addr"] "," $c["proto"] "," $c["src_port"] "," $c["dst_port"]
		 a[k] = 1; b[k "," $c["ip_tos"] "," $c["in_if"]] = 1}
		END {print length(a), length(b)}')
	R[fp_agg_flows]=$flows R[fp_agg_keys5]=$keys5 R[fp_agg_keys7]=$keys7
	fp_check "$(fp_ok "$flows" "$keys7")" "aggregate emitted $flows flows ($line) = the distinct (5-tuple, ip_tos, in_if) keys of the records ($keys7)"
	[ "$HAVE_NFDUMP" = 1 ] || return 0
	fp_run nf_agg 100 nfdump -R "$FP_STORE" -q -N -a -o 'fmt:%pkt %byt'
	nf=$(awk '{p += $1; b += $2; n++} END {printf "%.0f flows, %.0f packets, %.0f bytes", n, p, b}' "$OUT/pipe_fp_nf_agg.out")
	R[fp_agg_nf]=${nf%% flows*}
	fp_check "$(fp_ok "${nf%% flows*}" "$keys5")" "\`nfdump -a\` printed ${nf%% flows*} flows = the distinct 5-tuples of the records ($keys5)"
	fp_check "$(fp_ok "${nf#* flows, }" "${line#* flows, }")" "\`nfdump -a\` sums ${nf#* flows, }, aggregate ${line#* flows, }"
}

fp_json() {
	local f n
	log "fpipe: json (protojson, ours) on v5 x10 against nfdump -o json"
	for f in protojson overflowd; do
		fp_engine "json_$f" 10 fp-json "$FP_IN10" /dev/null "$f"
		n=$(fp_passed "fp_json_$f")
		fp_check "$(fp_ok "$n" "$((REC[v5] * 10))")" "json $f wrote $n records"
	done
	[ "$HAVE_NFDUMP" = 1 ] || return 0
	fp_nfdump nf_json 10 -c $((REC[v5] * 10)) -o json
	n=$(nfdump -R "$FP_STORE" -c $((REC[v5] * 10)) -q -o 'fmt:%pr' 2>/dev/null | wc -l)
	fp_check "$(fp_ok "$n" "$((REC[v5] * 10))")" "\`nfdump -c $((REC[v5] * 10))\` reads $n records (the first 10 copies of the 100 in the store)"
}

fp_stdin() {
	local f n dir=$NFCAPD_TMP/fpipe-json
	log "fpipe: stdin reading protojson and our JSON lines (v5 x1)"
	rm -rf "$dir"
	mkdir -p "$dir"
	for f in protojson overflowd; do
		note "fpipe: the file read" "$BUILD/overflowd" -c "$PIPE_DIR/fp-json.yml" "$FP_IN1" "$dir/$f.json" "$f"
		"$BUILD/overflowd" -c "$PIPE_DIR/fp-json.yml" "$FP_IN1" "$dir/$f.json" "$f" 2>/dev/null ||
			die "fpipe: writing $dir/$f.json failed"
		R[fp_stdin_bytes_$f]=$(div "$(wc -c <"$dir/$f.json")" "${REC[v5]}")
		fp_engine "stdin_$f" 1 fp-stdin-count "$dir/$f.json" "$OUT/pipe_fp_stdin_$f.counts"
		n=$(pipe_count "$OUT/pipe_fp_stdin_$f.counts" all)
		fp_check "$(fp_ok "$n" "${REC[v5]}")" "stdin read $n records of $f JSON lines (${R[fp_stdin_bytes_$f]} bytes per record)"
	done
	rm -rf "$dir"
}

fp_filter() {
	local kept n
	log "fpipe: flowfilter against nfdump's filter and bench_filter"
	fp_engine filter 100 filter-count "$FP_IN100" "$OUT/pipe_fp_filter.counts" "$FP_FILTER"
	kept=$(pipe_count "$OUT/pipe_fp_filter.counts" kept)
	R[fp_filter_kept]=$kept
	pipe_inproc bench_filter fp_flt "$FP_FILTER" "$FP_IN100"
	fp_check "$(fp_ok "$kept" "${R[pipe_fp_flt_matched]}")" "the flowfilter kept $kept records, bench_filter matches ${R[pipe_fp_flt_matched]} per pass"
	[ "$HAVE_NFDUMP" = 1 ] || return 0
	fp_run nf_filter 100 nfdump -R "$FP_STORE" -q -o 'fmt:%pr' "$FP_NFFILTER"
	n=$(wc -l <"$OUT/pipe_fp_nf_filter.out")
	fp_check "$(fp_ok "$n" "$kept")" "nfdump's filter \`$FP_NFFILTER\` printed $n records"
}

fp_text() {
	local n
	log "fpipe: csv (format flowpipeline) and printflowdump on v5 x10"
	fp_engine csv 10 fp-csv "$FP_IN10" /dev/null
	fp_engine print 10 fp-printflowdump "$FP_IN10" /dev/null
	for n in csv print; do
		fp_check "$(fp_ok "$(fp_passed "fp_$n")" "$((REC[v5] * 10))")" "$n wrote $(fp_passed "fp_$n") records"
	done
	[ "$HAVE_NFDUMP" = 1 ] || return 0
	fp_nfdump nf_csv 10 -c $((REC[v5] * 10)) -o csv
	fp_nfdump nf_line 10 -c $((REC[v5] * 10)) -o line
}

run_fpipe() {
	[ -n "${REC[v5]:-}" ] || { warn "fpipe: no NetFlow v5 input"; return 0; }
	local -x TZ=UTC
	local keys=("${PIPE_KEYS[@]}")
	FP_IN1=$WORK/v5_1x.pcap FP_IN10=$WORK/v5_10x.pcap FP_IN100=$WORK/v5_100x.pcap
	FP_STORE=$NFCAPD_TMP/nfcapd-v5-store
	HAVE_NFDUMP=0
	if [ "$HAVE_PEERS" = 1 ] && pipe_nfdump_store "$FP_STORE"; then HAVE_NFDUMP=1; fi
	fp_toptalkers
	fp_aggregate
	fp_json
	fp_stdin
	fp_filter
	fp_text
	rm -rf "$FP_STORE"
	PIPE_KEYS=("${keys[@]}") # the pipeline stage's report lists its own runs only
	FP_MD=$(fp_table)
}

# fp_row LABEL INPUT KEY NFLABEL NFKEY: a row of the table
fp_row() {
	local nf="-" nfpin="-" ratio="-"
	if [ -n "$5" ] && [ -n "${R[pipe_cpu_$5]:-}" ]; then
		nf=$(pipe_cell "$5") nfpin=$(pipe_cell "pin_$5")
		ratio="$(ratio "${R[pipe_$3]}" "${R[pipe_$5]}") / $(ratio "${R[pipe_pin_$3]}" "${R[pipe_pin_$5]}")"
	fi
	printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$1" "$2" "$(pipe_cell "$3")" "$(pipe_cell "pin_$3")" \
		"$4" "$nf" "$nfpin" "$ratio"
}

fp_table() {
	local x1 x10 x100 key
	x1="v5 x1 ($(thousands "${REC[v5]}"))" x10="v5 x10 ($(thousands $((REC[v5] * 10))))"
	x100="v5 x100 ($(thousands $((REC[v5] * 100))))"
	echo
	echo "## flowpipeline pipelines against nfdump, records per CPU-second (fpipe stage)"
	echo
	echo "| pipeline (bench/pipelines/) | input (records) | overflowd -c, free (CPU s: user / sys) | pinned | nfdump equivalent | nfdump, free | pinned | overflowd / nfdump (free / pinned) |"
	echo "|---|---|---:|---:|---|---:|---:|---:|"
	fp_row "pcap → toptalkers, topn 10, report to a file (fp-toptalkers.yml)" "$x100" fp_top "\`-s dstip/bytes -n 10\`" fp_nf_top
	fp_row "pcap → aggregate → count (fp-aggregate.yml): $(thousands "${R[fp_agg_flows]:-0}") flows" "$x100" fp_agg \
		"\`-a\`: $(thousands "${R[fp_agg_nf]:-0}") flows" fp_nf_agg
	fp_row "pcap → json, format protojson → /dev/null (fp-json.yml)" "$x10" fp_json_protojson "\`-c $((REC[v5] * 10)) -o json\`" fp_nf_json
	fp_row "pcap → json, ours → /dev/null (fp-json.yml)" "$x10" fp_json_overflowd "\`-c $((REC[v5] * 10)) -o json\`" fp_nf_json
	fp_row "stdin, protojson lines (${R[fp_stdin_bytes_protojson]:-?} B/record), eofcloses → count (fp-stdin-count.yml)" "$x1" fp_stdin_protojson "-" ""
	fp_row "stdin, our JSON lines (${R[fp_stdin_bytes_overflowd]:-?} B/record), eofcloses → count (fp-stdin-count.yml)" "$x1" fp_stdin_overflowd "-" ""
	fp_row "pcap → flowfilter → count (filter-count.yml): kept $(thousands "${R[fp_filter_kept]:-0}")" "$x100" fp_filter \
		"\`'$FP_NFFILTER'\`" fp_nf_filter
	fp_row "pcap → csv, format flowpipeline → /dev/null (fp-csv.yml)" "$x10" fp_csv "\`-c $((REC[v5] * 10)) -o csv\`" fp_nf_csv
	fp_row "pcap → printflowdump → /dev/null (fp-printflowdump.yml)" "$x10" fp_print "\`-c $((REC[v5] * 10)) -o line\`" fp_nf_line
	echo
	echo "Filter: \`$FP_FILTER\` (flowpipeline's grouping: \`proto udp and (port 123 or port 53)\`);"
	# shellcheck disable=SC2153 # PIPE_SECS is stage.sh's
	echo "in process, bench_filter --seconds $PIPE_SECS on the same file: $(human "${R[pipe_fp_flt]:-}") records/CPU-s."
	echo "Best of $FP_RUNS runs each, free and pinned (\`taskset -c ${PIPE_CPU:-n/a}\`), interleaved; TZ=UTC."
	echo "nfdump $(nfdump -V 2>/dev/null | sed 's/.*Version: *//') reads the nfcapd store of v5 x100 (1x replayed 100 times"
	echo "over loopback; \`-c N\` stops after the first N records = the x10 file's). CPU s of every run:"
	echo
	for key in "${FP_KEYS[@]}"; do
		printf -- '- %s: free %s; pinned %s\n' "$key" "${R[pipe_runs_$key]:-}" "${R[pipe_runs_pin_$key]:-}"
	done
	echo
	echo "Checks:"
	echo
	printf -- '- %s\n' "${FP_CHECKS[@]}"
}

report_fpipe() {
	[ -n "$FP_MD" ] && printf '%s\n' "$FP_MD"
	return 0
}
