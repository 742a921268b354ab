# shellcheck shell=bash
# bench/ingest_stage.sh: the `ingest` stage of bench/run.sh, sourced by it (it uses run.sh's
# variables and helpers: BUILD, WORK, OUT, REC, NAME, R, note, kv, warn, log, udp_drained...).
#
# Loss-free UDP ingest: the capture's export datagrams are replayed over loopback by
# `overflowd replay --rate R` at rising rates (x1.25 a step, each step about INGEST_SECS long)
# into one running collector; a step is loss-free when the kernel's drop counter of the
# collector's sockets (/proc/net/udp, all SO_REUSEPORT siblings summed) did not grow and every
# record arrived. The figure is the highest achieved rate of a loss-free step. Collectors:
# overflowd (udp input with 1 and 2 workers, decode + count), nfdump's nfcapd (decode + its
# binary files) and pmacct's nfacctd (decode + print plugin), each with a 16 MiB socket buffer. The sender shares the machine's cores with
# the collector: on 2 cores, 2 workers and the sender compete for them.

INGEST_SECS=${INGEST_SECS:-1.5}
INGEST_START=${INGEST_START:-40000} # datagrams/s of the first step
INGEST_STEPS=${INGEST_STEPS:-16}
INGEST_RUNS=${INGEST_RUNS:-2} # ladders per collector; the highest loss-free rate is kept
INGEST_FORMATS=(v5 ipfix)
INGEST_KEYS=()
declare -A R REC # run.sh's (declared there; this keeps their contents)
INGEST_PORT=$((PORT0 + 2))

# sock_drops PORT: the kernel's drop counter summed over every UDP socket bound to PORT
sock_drops() {
	awk -v p=":$(port_hex "$1")" 'FNR > 1 && index($2, p) == length($2) - 4 {d += $NF} END {print d + 0}' \
		/proc/net/udp /proc/net/udp6
}

# ingest_search KEY FORMAT: INGEST_RUNS ladders of replay steps into the collector listening on
# INGEST_PORT, each until a step loses (or the sender cannot go faster). Sets R[ingest_KEY]
# (records/s), R[ingest_KEY_dgrams], _note, _sent and _lost (datagrams, for ingest_check).
ingest_search() {
	local key=$1 f=$2 file=$WORK/${2}_1x.pcap rate=$INGEST_START best=0 step out d0 d1 got
	local per=0 loops sent=0 lost=0 limit="" run
	for ((run = 0; run < INGEST_RUNS * INGEST_STEPS; run++)); do
		step=$((run % INGEST_STEPS))
		[ $step = 0 ] && rate=$INGEST_START
		loops=$(awk -v r="$rate" -v s="$INGEST_SECS" -v n="${DGRAMS[$f]}" 'BEGIN {l = int(r * s / n + 0.999); print l < 1 ? 1 : l}')
		d0=$(sock_drops $INGEST_PORT)
		out=$("$BUILD/overflowd" replay "$file" --to "udp://127.0.0.1:$INGEST_PORT" --rate "$rate" \
			--loop "$loops" 2>&1 >/dev/null | grep '^replay:') || { warn "$key: replay failed"; break; }
		poll_until 10 udp_drained $INGEST_PORT || warn "$key: the socket did not drain"
		d1=$(sock_drops $INGEST_PORT)
		got=$(kv <(echo "$out") rate | tr -d '/s')
		sent=$((sent + $(kv <(echo "$out") datagrams)))
		printf '%s run %d step %d: asked %s dgrams/s, sent %s dgrams/s, kernel drops %d\n' "$key" $((run / INGEST_STEPS)) "$step" \
			"$rate" "$got" $((d1 - d0)) >>"$OUT/ingest.log"
		rate=$(awk -v r="$rate" 'BEGIN {printf "%d", r * 1.25}')
		if [ $((d1 - d0)) -gt 0 ]; then
			lost=$((lost + d1 - d0))
			run=$(((run / INGEST_STEPS + 1) * INGEST_STEPS - 1)) # the next ladder
			continue
		fi
		awk -v a="$got" -v b="$best" 'BEGIN {exit !(a > b)}' && best=$got
		if awk -v a="$got" -v r="$rate" 'BEGIN {exit !(a < 0.72 * r)}'; then
			limit=" (the sender's limit: no loss at its highest rate)"
			run=$(((run / INGEST_STEPS + 1) * INGEST_STEPS - 1))
		fi
	done
	per=$(awk -v r="${REC[$f]}" -v n="${DGRAMS[$f]}" 'BEGIN {print r / n}')
	R[ingest_$key]=$(awk -v d="$best" -v p="$per" 'BEGIN {printf "%.0f", d * p}')
	R[ingest_${key}_dgrams]=$best
	R[ingest_${key}_note]="$limit"
	R[ingest_${key}_sent]=$sent
	R[ingest_${key}_lost]=$lost
	INGEST_KEYS+=("$key")
}

# ingest_overflowd FORMAT WORKERS
ingest_overflowd() {
	local f=$1 w=$2 key="overflowd_w$2_$1" counts pid n
	counts=$OUT/ingest_$key.counts
	rm -f "$counts"
	note "ingest $key" "$BUILD/overflowd" -c "$SRC/bench/pipelines/udp-count.yml" $INGEST_PORT "$w" "$counts"
	"$BUILD/overflowd" -c "$SRC/bench/pipelines/udp-count.yml" $INGEST_PORT "$w" "$counts" \
		>/dev/null 2>"$OUT/ingest_$key.err" &
	pid=$!
	poll_until 10 udp_bound $INGEST_PORT || { warn "$key did not start"; kill $pid; return 0; }
	ingest_search "$key" "$f"
	kill -TERM $pid
	wait $pid || warn "$key exited with $?"
	n=$(sed -n 's/^all: \([0-9]*\) flows.*/\1/p' "$counts" | head -1)
	ingest_check "$key" "$f" "${n:-0}"
}

# ingest_nfcapd FORMAT
ingest_nfcapd() {
	local f=$1 key="nfcapd_$1" dir=$NFCAPD_TMP/ingest-nfcapd pid n
	rm -rf "$dir"
	mkdir -p "$dir"
	note "ingest $key" nfcapd -b 127.0.0.1 -p $INGEST_PORT -w "$dir" -t 3600 -B 16777216
	nfcapd -b 127.0.0.1 -p $INGEST_PORT -w "$dir" -t 3600 -B 16777216 >/dev/null 2>"$OUT/ingest_$key.err" &
	pid=$!
	poll_until 10 udp_bound $INGEST_PORT || { warn "$key did not start"; kill $pid; return 0; }
	ingest_search "$key" "$f"
	kill -TERM $pid
	wait $pid || true
	n=$(nfdump -R "$dir" -I 2>/dev/null | sed -n 's/^Flows: *\([0-9]*\).*/\1/p')
	rm -rf "$dir"
	ingest_check "$key" "$f" "${n:-0}"
}

# ingest_nfacctd FORMAT: pmacct's nfacctd (print plugin counting flows, as the pmacct stage
# configures it) started afresh for every step, since it can lose records between its core and
# its plugin without any counter: a step is loss-free when no kernel drop happened and the
# flows it printed at exit (SIGINT purges its cache) equal the records sent.
ingest_nfacctd() {
	local f=$1 key="nfacctd_$1" rate=$INGEST_START best=0 step loops out got pid n want base d0 d1 run
	base=$OUT/ingest_$key
	for ((run = 0; run < INGEST_RUNS * INGEST_STEPS; run++)); do
		step=$((run % INGEST_STEPS))
		[ $step = 0 ] && rate=$INGEST_START
		rm -f "$base.csv"
		printf '%s\n' "daemonize: false" "nfacctd_ip: 127.0.0.1" "nfacctd_port: $INGEST_PORT" \
			"nfacctd_pipe_size: 16777216" "plugins: print[p]" "aggregate[p]: peer_src_ip, flows" \
			"print_output[p]: csv" "print_output_file[p]: $base.csv" "print_refresh_time[p]: 3600" \
			"plugin_buffer_size: 1024000" "plugin_pipe_size: 102400000" >"$base.conf"
		[ $run = 0 ] && note "ingest $key" nfacctd -f "$base.conf"
		nfacctd -f "$base.conf" >"$base.log" 2>&1 &
		pid=$!
		poll_until 10 udp_bound $INGEST_PORT || { warn "$key did not start"; kill $pid; break; }
		loops=$(awk -v r="$rate" -v s="$INGEST_SECS" -v n="${DGRAMS[$f]}" 'BEGIN {l = int(r * s / n + 0.999); print l < 1 ? 1 : l}')
		d0=$(sock_drops $INGEST_PORT)
		out=$("$BUILD/overflowd" replay "$WORK/${f}_1x.pcap" --to "udp://127.0.0.1:$INGEST_PORT" --rate "$rate" \
			--loop "$loops" 2>&1 >/dev/null | grep '^replay:') || { warn "$key: replay failed"; kill $pid; break; }
		poll_until 10 udp_drained $INGEST_PORT || true
		d1=$(sock_drops $INGEST_PORT)
		kill -INT $pid
		wait $pid || true
		got=$(kv <(echo "$out") rate | tr -d '/s')
		n=$(awk -F, 'NR > 1 {s += $3} END {print s + 0}' "$base.csv" 2>/dev/null || echo 0)
		want=$((REC[$f] * loops))
		printf '%s run %d step %d: asked %s dgrams/s, sent %s dgrams/s, kernel drops %d, flows %s of %s\n' "$key" \
			$((run / INGEST_STEPS)) "$step" "$rate" "$got" $((d1 - d0)) "$n" "$want" >>"$OUT/ingest.log"
		rate=$(awk -v r="$rate" 'BEGIN {printf "%d", r * 1.25}')
		if [ $((d1 - d0)) != 0 ] || [ "$n" != "$want" ]; then
			run=$(((run / INGEST_STEPS + 1) * INGEST_STEPS - 1)) # the next ladder
			continue
		fi
		awk -v a="$got" -v b="$best" 'BEGIN {exit !(a > b)}' && best=$got
	done
	R[ingest_$key]=$(awk -v d="$best" -v r="${REC[$f]}" -v n="${DGRAMS[$f]}" 'BEGIN {printf "%.0f", d * r / n}')
	R[ingest_${key}_dgrams]=$best
	R[ingest_${key}_note]=""
	R[ingest_${key}_counted]="(per step)"
	INGEST_KEYS+=("$key")
}

# ingest_check KEY FORMAT COUNTED: every datagram that the kernel did not drop was counted
ingest_check() {
	local key=$1 f=$2 n=$3 want
	want=$(awk -v s="${R[ingest_${key}_sent]}" -v l="${R[ingest_${key}_lost]}" -v r="${REC[$f]}" -v d="${DGRAMS[$f]}" \
		'BEGIN {printf "%.0f", (s - l) * r / d}')
	R[ingest_${key}_counted]=$n
	# exact without loss; with loss (the last step) the dropped datagrams' records are estimated
	# from the average per datagram, so a difference within 1% of them is accepted
	awk -v n="$n" -v w="$want" -v l="${R[ingest_${key}_lost]}" -v r="${REC[$f]}" -v d="${DGRAMS[$f]}" \
		'BEGIN {x = n - w; if (x < 0) x = -x; exit !(x <= 0.01 * l * r / d)}' ||
		warn "ingest $key: counted $n records, expected $want (sent minus kernel drops)"
}

run_ingest() {
	local f
	declare -gA DGRAMS
	: >"$OUT/ingest.log"
	note "ingest, every step" "$BUILD/overflowd" replay "$WORK/FORMAT_1x.pcap" --to "udp://127.0.0.1:$INGEST_PORT" \
		--rate RATE --loop K
	for f in "${INGEST_FORMATS[@]}"; do
		[ -n "${REC[$f]:-}" ] || continue
		# every datagram, sent or refused by the closed port
		DGRAMS[$f]=$("$BUILD/overflowd" replay "$WORK/${f}_1x.pcap" --to "udp://127.0.0.1:9" 2>&1 |
			sed -n 's/^replay: datagrams=\([0-9]*\).*refused=\([0-9]*\).*/\1 \2/p' | awk '{print $1 + $2}')
		log "ingest: ${NAME[$f]} (${DGRAMS[$f]} datagrams, ${REC[$f]} records per pass)"
		ingest_overflowd "$f" 1
		ingest_overflowd "$f" 2
		if [ "$HAVE_PEERS" = 1 ]; then
			ingest_nfcapd "$f"
			ingest_nfacctd "$f"
		fi
	done
}

report_ingest() {
	[ ${#INGEST_KEYS[@]} -gt 0 ] || return 0
	local k f base
	printf '\n## UDP ingest without loss (loopback, %s)\n\n' "\`overflowd replay --rate\`"
	printf '| collector | format | highest loss-free rate, records/s | datagrams/s | ratio to nfcapd | records counted |\n'
	printf '|---|---|---:|---:|---:|---:|\n'
	for k in "${INGEST_KEYS[@]}"; do
		f=${k##*_}
		base=${R[ingest_nfcapd_$f]:-0}
		printf '| %s | %s | %s%s | %s | %s | %s |\n' "${k%_*}" "${NAME[$f]}" "$(thousands "${R[ingest_$k]}")" \
			"${R[ingest_${k}_note]}" "$(thousands "${R[ingest_${k}_dgrams]}")" "$(ratio "${R[ingest_$k]}" "$base")" \
			"$(thousands "${R[ingest_${k}_counted]}")"
	done
	printf '\nLadders: %s per collector, up to %s steps each (x1.25 from %s datagrams/s, about %s s a step);\n' \
		"$INGEST_RUNS" "$INGEST_STEPS" "$INGEST_START" "$INGEST_SECS"
	printf 'the highest loss-free step of all is kept. Every step is in bench-out/ingest.log.\n'
}
