# shellcheck shell=bash
# The `tracers` stage of bench/run.sh (sourced by it): tracer signing and verification against
# libsodium (bench_sign) and the receiver's rates over UDP (bench_receive), in the same run; the
# amplification factor of a forged-export flood and the admission's cost per record (bench_amp).
# Prints a Markdown section after the main report.

TRACER_MD=""

run_tracers() {
	local sign recv stored amp
	log "tracers: bench_sign, bench_receive, bench_amp"
	sign=$("$BUILD/bench_sign" "$SRC/../shared/data/netflow_4M.pcap" 2>"$OUT/bench_sign.err") ||
		{ warn "bench_sign failed: $(tail -2 "$OUT/bench_sign.err")"; return 0; }
	recv=$("$BUILD/bench_receive" --count 20000 --seconds 10 2>"$OUT/bench_receive.err") ||
		{ warn "bench_receive failed: $(tail -2 "$OUT/bench_receive.err")"; return 0; }
	# valid tracers again: two verification threads (the receive command's default here, one
	# per core), without and with the SQLite store (its writer thread, as the command runs it)
	local w db
	for w in 1 2; do
		for db in none sqlite; do
			[ $w = 1 ] && [ $db = none ] && continue # the first run above
			local opt=()
			[ $db = sqlite ] && opt=(--db "$OUT/bench-receive.db")
			recv+=$'\n'$("$BUILD/bench_receive" --count 20000 --seconds 0.1 --workers $w "${opt[@]}" \
				2>>"$OUT/bench_receive.err" | grep 'receive_valid') || warn "bench_receive --workers $w $db failed"
		done
	done
	amp=$("$BUILD/bench_amp" --seconds 1 --flood-seconds 60 2>"$OUT/bench_amp.err") ||
		{ warn "bench_amp failed: $(tail -2 "$OUT/bench_amp.err")"; amp=""; }
	stored=""
	printf '%s\n%s\n%s\n%s\n' "$sign" "$recv" "$stored" "$amp" >"$OUT/tracers.txt"
	TRACER_MD=$(printf '%s\n%s\n%s\n%s\n' "$sign" "$recv" "$stored" "$amp" | awk '
	BEGIN { print "\n## Tracers and receiver\n"; print "| benchmark | figures |"; print "|---|---|" }
	/^RESULT/ { b = $2; sub(/^bench=/, "", b); line = ""
		for (i = 3; i <= NF; i++) line = line (i > 3 ? ", " : "") $i
		print "| " b " | " line " |" }
	END { print "\nCommands: `bench_sign netflow_4M.pcap`, `bench_receive --count 20000 --seconds 10`, `bench_receive --count 20000 --seconds 0.1 --workers 1|2 [--db FILE]`, `bench_amp --seconds 1 --flood-seconds 60`." }')
}

report_tracers() {
	[ -n "$TRACER_MD" ] && printf '%s\n' "$TRACER_MD"
	return 0
}
