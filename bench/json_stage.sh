# shellcheck shell=bash disable=SC2154,SC2004  # R, REC, NAME, ... are run.sh's associative arrays
# The `json` stage of bench/run.sh (sourced by it): JSON output, records per CPU-second on one
# core, overflowd against nfdump on the same records in one run.
#
#   overflowd in process:  bench_decode --json FORMAT_1x.pcap (decode + ofd_fmt_json, /dev/null),
#                          the best rate of 3 runs
#   overflowd end to end:  overflowd dump --format json FORMAT_BIG.pcap > /dev/null (capture
#                          reading, decoding, JSON, writes), the least CPU time of 3 runs
#   nfdump:                the same capture's datagrams replayed (bench_replay) into nfcapd over
#                          loopback, its stored file counted (nfdump -I) and then
#                          TZ=UTC nfdump -r FILE -o json > /dev/null, the least CPU time of 3
#                          runs; output lines counted once. nfdump's CPU time covers reading its
#                          own (LZ4-compressed) file and formatting. Debian's nfdump has no
#                          sFlow collector (sfcapd), so sFlow has no nfdump figure.
#
# Environment: JSON_NFDUMP_TIMES_V5 (10) / JSON_NFDUMP_TIMES_NF9 (2): how often the 1x capture
# is replayed into nfcapd; JSON_RUNS (3).
# Prints a Markdown section after the main report.

JSON_MD=""

# json_best KEY CMD...: the least CPU time of JSON_RUNS runs of CMD > /dev/null (TZ=UTC);
# R[KEY_cpu], R[KEY_user], R[KEY_sys], and CMD's stderr in $OUT/KEY.err
json_best() {
	local key=$1 run cpu best=""
	shift
	note "json $key" "$@"
	for ((run = 1; run <= ${JSON_RUNS:-3}; run++)); do
		TZ=UTC "$BUILD/bench_cputime" -o "$OUT/$key.cpu" "$@" >/dev/null 2>"$OUT/$key.err" ||
			{ warn "$key: $* failed: $(tail -2 "$OUT/$key.err")"; return 1; }
		cpu=$(kv "$OUT/$key.cpu" cpu_s)
		if [ -z "$best" ] || awk -v a="$cpu" -v b="$best" 'BEGIN {exit !(a < b)}'; then
			best=$cpu
			R[${key}_cpu]=$cpu
			R[${key}_user]=$(kv "$OUT/$key.cpu" user_s)
			R[${key}_sys]=$(kv "$OUT/$key.cpu" sys_s)
			cp "$OUT/$key.err" "$OUT/$key.best.err"
		fi
	done
}

# json_nfdump FORMAT: nfcapd stores the replayed capture, nfdump -o json renders it
json_nfdump() {
	local f=$1 times dir flows lines file
	times=${JSON_NFDUMP_TIMES_V5:-10}
	[ "$f" = v5 ] || times=${JSON_NFDUMP_TIMES_NF9:-2}
	dir=$NFCAPD_TMP/json-nfcapd-$f
	rm -rf "$dir"
	mkdir -p "$dir"
	loopback_run "json_nfcapd_$f" "$f" "$times" 8000000 \
		nfcapd -b 127.0.0.1 -p "$NFCAPD_PORT" -w "$dir" -t 3600 -B 16777216
	flows=$(nfdump -R "$dir" -I 2>/dev/null | sed -n 's/^Flows: *\([0-9]*\).*/\1/p') || true
	file=$(find "$dir" -type f -name 'nfcapd.2*' | head -1)
	if [ -z "$file" ] || [ -z "$flows" ]; then
		warn "json: nfcapd stored nothing for ${NAME[$f]}"
		rm -rf "$dir"
		return 0
	fi
	[ "$flows" = $((REC[$f] * times)) ] || [ "$flows" = $((PEER_REC[$f] * times)) ] ||
		warn "json: nfcapd stored $flows ${NAME[$f]} records, sent $((REC[$f] * times))"
	# one file holds all (-t 3600); its JSON objects are counted once (each ends with a "}" line)
	lines=$(TZ=UTC nfdump -r "$file" -o json 2>/dev/null | grep -c '^}') || true
	[ "$lines" = "$flows" ] || warn "json: nfdump -o json wrote $lines records of $flows"
	json_best "json_nfdump_$f" nfdump -r "$file" -o json
	R[json_nfdump_${f}_recs]=$flows
	R[json_nfdump_${f}_bytes]=$(TZ=UTC nfdump -r "$file" -o json 2>/dev/null | wc -c)
	R[json_nfdump_$f]=$(div "$flows" "${R[json_nfdump_${f}_cpu]}")
	rm -rf "$dir"
}

run_json() {
	local f files=() n line
	for f in "${FORMATS[@]}"; do
		[ -n "${REC[$f]:-}" ] && files+=("$WORK/${f}_1x.pcap")
	done
	log "json: bench_decode --json (in process), ${SECS}s per file, the best of ${JSON_RUNS:-3} runs"
	local run rate
	for ((run = 1; run <= ${JSON_RUNS:-3}; run++)); do
		bench_decode_run json json_inproc "${files[@]}"
		for f in "${FORMATS[@]}"; do
			line=$(grep "RESULT file=$WORK/${f}_1x.pcap " "$OUT/json_inproc.txt") || continue
			rate=$(kv <(echo "$line") rate)
			if [ "$rate" -gt "${R[json_inproc_$f]:-0}" ]; then
				R[json_inproc_$f]=$rate
			fi
		done
	done
	# start-up: the same command on a capture with no frames (loading the shared libraries,
	# setting up the pipeline, the summary), to tell the per-record rate from the fixed cost
	head -c 24 "$WORK/v5_1x.pcap" >"$WORK/empty.pcap"
	json_best json_startup "$BUILD/overflowd" dump --format json "$WORK/empty.pcap" || R[json_startup_cpu]=0
	for f in "${FORMATS[@]}"; do
		[ -n "${R[json_inproc_$f]:-}" ] || continue
		log "json: ${NAME[$f]}: overflowd dump --format json ${BIG[$f]} (end to end)"
		json_best "json_dump_$f" "$BUILD/overflowd" dump --format json "$WORK/${BIG[$f]}.pcap" || continue
		n=$(sed -n 's/^records printed \([0-9]*\).*/\1/p' "$OUT/json_dump_$f.best.err")
		[ "$n" = $((REC[$f] * BIGK[$f])) ] || warn "json: dump ${BIG[$f]} printed $n records"
		R[json_dump_$f]=$(div "$n" "${R[json_dump_${f}_cpu]}")
		R[json_dump_net_$f]=$(div "$n" "$(calc "${R[json_dump_${f}_cpu]} - ${R[json_startup_cpu]}")")
		R[json_dump_${f}_recs]=$n
		R[json_dump_${f}_bytes]=$("$BUILD/overflowd" dump --format json "$WORK/${f}_1x.pcap" 2>/dev/null | wc -c)
		R[json_dump_${f}_bytes]=$(div "${R[json_dump_${f}_bytes]}" "${REC[$f]}")
		if [ "$HAVE_PEERS" = 1 ] && [ "$f" != sflow ]; then
			log "json: ${NAME[$f]}: nfcapd over loopback, then nfdump -o json"
			json_nfdump "$f"
			[ -n "${R[json_nfdump_${f}_bytes]:-}" ] &&
				R[json_nfdump_${f}_bytes]=$(div "${R[json_nfdump_${f}_bytes]}" "${R[json_nfdump_${f}_recs]}")
		fi
	done
	JSON_MD=$(
		echo
		echo "## JSON output, records per CPU-second on one core (json stage)"
		echo
		echo "| format | overflowd in process (bench_decode --json) | overflowd end to end (dump --format json) | end to end without start-up | 5M met | nfdump -o json (nfdump -r FILE) | overflowd e2e / nfdump | bytes per record, overflowd / nfdump |"
		echo "|---|---:|---:|---:|---|---:|---:|---:|"
		for f in "${FORMATS[@]}"; do
			[ -n "${R[json_inproc_$f]:-}" ] || continue
			printf '| %s | %s | %s (%s records, %s s user + %s s sys) | %s | %s | %s | %s | %s / %s |\n' "${NAME[$f]}" \
				"$(human "${R[json_inproc_$f]}")" "$(human "${R[json_dump_$f]:-n/a}")" \
				"$(thousands "${R[json_dump_${f}_recs]:-0}")" "${R[json_dump_${f}_user]:-}" "${R[json_dump_${f}_sys]:-}" \
				"$(human "${R[json_dump_net_$f]:-n/a}")" "$(met "${R[json_dump_$f]:-n/a}" 5000000)" \
				"$(human "${R[json_nfdump_$f]:-n/a}")" "$(ratio "${R[json_dump_$f]:-n/a}" "${R[json_nfdump_$f]:-0}")" \
				"${R[json_dump_${f}_bytes]:-n/a}" "${R[json_nfdump_${f}_bytes]:-n/a}"
		done
		echo
		echo "In process: the best of ${JSON_RUNS:-3} runs of \`bench_decode --seconds $SECS --json FILE_1x.pcap\` (records per CPU-second). End to end: the least CPU time (user+sys) of ${JSON_RUNS:-3} runs of \`overflowd dump --format json FILE > /dev/null\` on the larger file. Start-up: ${R[json_startup_cpu]:-n/a} s CPU, the least of ${JSON_RUNS:-3} runs of the same command on a capture without frames (loading the shared libraries, building the pipeline); the next column takes it out."
		echo "nfdump: the 1x capture replayed ${JSON_NFDUMP_TIMES_V5:-10}x (v5) / ${JSON_NFDUMP_TIMES_NF9:-2}x (v9, IPFIX) into \`nfcapd\` over loopback, then the least CPU time of \`TZ=UTC nfdump -r FILE -o json > /dev/null\`; Debian's nfdump has no sFlow collector."
	)
}

report_json() {
	[ -n "$JSON_MD" ] && printf '%s\n' "$JSON_MD"
	return 0
}
