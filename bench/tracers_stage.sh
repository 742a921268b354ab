# The `tracers` stage of bench/run.sh (sourced by it): tracer signing and verification against
# libsodium (bench_sign) and the receiver's rates over UDP (bench_receive), in the same run.
# Prints a Markdown section after the main report.

TRACER_MD=""

run_tracers() {
	local sign recv stored
	log "tracers: bench_sign, bench_receive"
	sign=$("$BUILD/bench_sign" "$SRC/../shared/data/netflow_4M.pcap" 2>"$OUT/bench_sign.err") ||
		{ warn "bench_sign failed: $(tail -2 "$OUT/bench_sign.err")"; return 0; }
	recv=$("$BUILD/bench_receive" --count 20000 --seconds 10 2>"$OUT/bench_receive.err") ||
		{ warn "bench_receive failed: $(tail -2 "$OUT/bench_receive.err")"; return 0; }
	stored=$("$BUILD/bench_receive" --count 20000 --seconds 10 --db "$OUT/bench-receive.db" 2>>"$OUT/bench_receive.err" |
		grep 'receive_valid' | sed 's/bench=receive_valid/bench=receive_valid_stored/') ||
		warn "bench_receive --db failed"
	printf '%s\n%s\n%s\n' "$sign" "$recv" "$stored" >"$OUT/tracers.txt"
	TRACER_MD=$(printf '%s\n%s\n%s\n' "$sign" "$recv" "$stored" | awk '
	BEGIN { print "\n## Tracers and receiver\n"; print "| benchmark | figures |"; print "|---|---|" }
	/^RESULT/ { b = $2; sub(/^bench=/, "", b); line = ""
		for (i = 3; i <= NF; i++) line = line (i > 3 ? ", " : "") $i
		print "| " b " | " line " |" }
	END { print "\nCommands: `bench_sign netflow_4M.pcap`, `bench_receive --count 20000 --seconds 10 [--db FILE]`." }')
}

report_tracers() {
	[ -n "$TRACER_MD" ] && printf '%s\n' "$TRACER_MD"
	return 0
}
