#!/bin/bash
# The receiver end to end: one overflowd sends the sample's tracers over UDP and HTTP to
# `overflowd receive` on 127.0.0.1; after SIGTERM the database holds exactly the tracers the
# sender reports as sent (UDP and HTTP carry the same tracers: stored once, the second copy
# counted as a duplicate), all valid; the four 2016 tracers posted over HTTP and sent over UDP
# are refused as stale (made in 2016: outside the freshness window); /metrics, `tracers`,
# `--spoofed` and `keys` answer from it.
set -u
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

: "${OFD_BIN:?}" "${OFD_BUILD:?}" "${OFD_DATA:?}"
PCAP=$OFD_DATA/netflow_4M.pcap
E2E_DIR=$(mktemp -d "${TMPDIR:-/tmp}/ofd-receive.XXXXXX") || e2e_die "mktemp failed"
trap e2e_cleanup EXIT
D=$E2E_DIR
E2E_VARIANT=receive
cd "$D" || exit 1


free_port() { # a port free for both UDP and TCP on 127.0.0.1
	local p
	while :; do
		p=$((20000 + RANDOM % 30000))
		ss -lnu | grep -q ":$p " || ss -lnt | grep -q ":$p " || { echo "$p"; return; }
	done
}

http() { # http METHOD PATH [BODY-FILE]: the response (status line, headers, body) on stdout
	local len=0
	[ -n "${3:-}" ] && len=$(wc -c <"$3")
	exec 3<>"/dev/tcp/127.0.0.1/$PH"
	printf '%s %s HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: %s\r\n\r\n' \
		"$1" "$2" "$len" >&3
	[ -n "${3:-}" ] && cat "$3" >&3
	cat <&3
	exec 3>&-
}

metric() { # metric NAME: its value in /metrics
	http GET /metrics | tr -d '\r' | awk -v m="$1" '$1 == m { print $2 }'
}

# shellcheck disable=SC2317 # called through e2e_wait, which shellcheck does not follow
metric_is() { # metric_is NAME VALUE
	[ "$(metric "$1")" = "$2" ]
}

"$OFD_BIN" keygen -k key >pub.txt 2>/dev/null || e2e_die "keygen"
"$OFD_BIN" keygen -k rxkey >/dev/null 2>&1 || e2e_die "keygen rx"
printf -- '- segment: receiver\n  config:\n    db: rx.db\n    max_age: 30d\n    bogus: 1\n' >bad.yml
"$OFD_BIN" receive -c bad.yml >/dev/null 2>bad.err
expect_eq "bad receiver config exit" "$?" 2
expect_eq "bad receiver config message" "$(head -1 bad.err)" \
	"bad.yml:5: segment receiver: key bogus: unknown key (known: udp, http, db, key, tls_cert, tls_key, max_age, max_rows, workers, max_size, min_free, key_quota, net_quota, max_tracer, max_past, max_future, udp_budget, udp_share, trusted_proxies, proxy_header, ui, mine)"
"$OFD_BIN" receive --udp-share 0 --db bad.db >/dev/null 2>share.err
expect_eq "udp_share 0 exit" "$?" 2
grep -q "bad value '0' for --udp-share" share.err || e2e_fail "udp_share 0: $(cat share.err)"
grep -v bogus bad.yml >rx.yml
# the budget lane wide enough for the sample's burst of a new key's UDP tracers; seen in /metrics
printf '    udp_budget: 100000\n' >>rx.yml
PU=$(free_port)
PH=$(free_port)
# the database and retention from the config file, the addresses from the options
"$OFD_BIN" receive -c rx.yml --udp "127.0.0.1:$PU" --http "127.0.0.1:$PH" -k rxkey >rx.out 2>rx.err &
rpid=$!
E2E_PIDS="$E2E_PIDS $rpid"
e2e_wait 10 sh -c "ss -lnt | grep -q ':$PH ' && ss -lnu | grep -q ':$PU '" || e2e_die "receiver not listening: $(cat rx.err)"

"$OFD_BIN" -f "$PCAP" -r 1e-4 --seed 7 -k key --send-to "udp://127.0.0.1:$PU" \
	--send-to "http://127.0.0.1:$PH/.well-known/overflowd" >/dev/null 2>sent.err || e2e_fail "sender: $(cat sent.err)"
n=$(sed -n 's/^tracers: flows [0-9]*, selected \([0-9]*\).*/\1/p' sent.err)
[ "${n:-0}" -gt 100 ] || e2e_fail "selected: $n"
grep -q "sent udp $n, http $n," sent.err || e2e_fail "sender summary: $(grep tracers: sent.err)"
e2e_wait 10 metric_is overflowd_tracers_received_total $((2 * n)) ||
	e2e_fail "received $(metric overflowd_tracers_received_total) of $((2 * n))"
expect_eq "valid" "$(metric overflowd_tracers_valid_total)" $((2 * n))
expect_eq "udp_budget from the config" "$(metric overflowd_udp_verify_budget)" 100000
# stored and duplicate count once the store writer's transaction is committed (50 ms at most)
RESULTS=$((2 * n)) # (not n inside the function: e2e_wait has a local n)
# shellcheck disable=SC2317 # called through e2e_wait, which shellcheck does not follow
results_counted() { [ $(($(metric overflowd_tracers_stored_total) + $(metric overflowd_tracers_duplicate_total))) -ge "$RESULTS" ]; }
e2e_wait 10 results_counted || e2e_fail "not all results counted"
expect_eq "stored" "$(metric overflowd_tracers_stored_total)" "$n"
expect_eq "duplicates" "$(metric overflowd_tracers_duplicate_total)" "$n"

# the 2016 tracers: posted over HTTP, sent over UDP
V=$OFD_DATA/overflowd-2016-tracers.json
paste -d' ' <(sed -n 's/^ *"key": "\([0-9a-f]*\)".*/\1/p' "$V") <(sed -n 's/^ *"signature": "\([^"]*\)".*/\1/p' "$V") |
	awk '{ printf "{\"signature\": {\"key\": \"%s\", \"signature\": \"%s\"}}\n", $1, $2 }' >proto.jsonl
i=0
while read -r line; do
	i=$((i + 1))
	printf '%s' "$line" >"p$i.json"
	if [ $((i % 2)) = 1 ]; then
		http POST /.well-known/overflowd "p$i.json" >"p$i.resp"
		head -1 "p$i.resp" | grep -q ' 400' || e2e_fail "2016 tracer $i: not refused over HTTP"
		grep -q '^invalid tracer: stale' "p$i.resp" || e2e_fail "2016 tracer $i: $(tail -1 "p$i.resp")"
	else
		cat "p$i.json" >"/dev/udp/127.0.0.1/$PU"
	fi
done <proto.jsonl
printf 'not a tracer' >bad.json
http POST /.well-known/overflowd bad.json | head -1 | grep -q ' 400' || e2e_fail "an invalid tracer was not refused"
e2e_wait 10 metric_is 'overflowd_tracers_invalid_total{reason="stale"}' 4 ||
	e2e_fail "2016 tracers: stale $(metric 'overflowd_tracers_invalid_total{reason="stale"}') of 4"
expect_eq "stored with the 2016 tracers" "$(metric overflowd_tracers_stored_total)" "$n"
kill -TERM "$rpid"; wait "$rpid"
expect_eq "receiver exit" "$?" 0

# queries
"$OFD_BIN" tracers --db rx.db --format csv >all.csv 2>q.err || e2e_fail "tracers: $(cat q.err)"
expect_eq "tracers stored" "$(($(wc -l <all.csv) - 1))" "$n"
"$OFD_BIN" tracers --db rx.db --key d52b9644ba6ffd2bdaa6505e649fd80ca80fad72baf2f46f5c83ab8a2a354df3 --format json >p.json 2>/dev/null
expect_eq "2016 tracers stored" "$(wc -l <p.json)" 0
expect_eq "transport column" "$(head -1 all.csv | cut -d, -f4)" transport
expect_eq "tracers stored neither from udp nor http" "$(cut -d, -f4 all.csv | sed 1d | grep -cv '^udp$\|^http$')" 0
"$OFD_BIN" tracers --db rx.db --mine 122.166.0.0/16 --spoofed >spoof.txt 2>&1 || e2e_fail "--spoofed: $(cat spoof.txt)"
grep -q "$(cut -c1-16 pub.txt)" spoof.txt || e2e_fail "--spoofed does not name our key: $(head -5 spoof.txt)"
"$OFD_BIN" keys --db rx.db --format csv >keys.csv 2>/dev/null || e2e_fail "keys"
grep -q "$(cat pub.txt)" keys.csv || e2e_fail "keys: $(cat keys.csv)"

# HTTPS: a receiver with a certificate, the sender's https:// delivery (bare address: no
# certificate check, the payload is signed)
if command -v openssl >/dev/null; then
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout tls.key -out tls.crt \
		-days 2 -subj /CN=localhost >/dev/null 2>&1 || e2e_die "openssl"
	PS=$(free_port)
	"$OFD_BIN" receive --udp none --http "127.0.0.1:$PS" --tls-cert tls.crt --tls-key tls.key --db rx2.db \
		-k rxkey >rx2.out 2>rx2.err &
	rpid=$!
	E2E_PIDS="$E2E_PIDS $rpid"
	e2e_wait 10 sh -c "ss -lnt | grep -q ':$PS '" || e2e_die "https receiver not listening: $(cat rx2.err)"
	"$OFD_BIN" -f "$PCAP" -r 1e-4 --seed 7 -k key --send-to "https://127.0.0.1:$PS/.well-known/overflowd" \
		>/dev/null 2>sent2.err || e2e_fail "https sender: $(cat sent2.err)"
	grep -q "sent udp 0, http 0, https $n," sent2.err || e2e_fail "https: $(grep tracers sent2.err)"
	kill -TERM "$rpid"; wait "$rpid"
	grep -q "stored $n " rx2.err || e2e_fail "https receiver: $(tail -2 rx2.err)"
	expect_eq "tracers stored over https" "$(($("$OFD_BIN" tracers --db rx2.db --format csv | wc -l) - 1))" "$n"
else
	e2e_log "openssl missing: HTTPS not tested"
fi
e2e_result
