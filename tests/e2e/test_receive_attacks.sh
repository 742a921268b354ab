#!/bin/bash
# The receiver's HTTP front, attacked (issue 11, "The receiver"), each part written as the attack
# and asserting the defended outcome, on `overflowd receive` with its real database:
#
#   slowloris       512 idle connections from 127.0.0.1: the receiver holds 64 (its per-address
#                   share) and closes the rest at once; /metrics and tracers from other
#                   addresses are answered meanwhile
#   forged junk     UDP junk "from" 127.0.0.1 empties that address's UDP limiter; its HTTP
#                   tracers are still accepted (202)
#   reverse proxy   X-Forwarded-For names the stored sender only from the trusted proxy
#   kill -9         under HTTP load: every tracer that got 202 is in the database, exactly
#   locked store    an sqlite3 shell holding the write lock (BEGIN IMMEDIATE): once the writer's
#                   queue is full, new tracers get 503 at once, /metrics answers; after the lock
#                   goes, tracers are stored again
set -u
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

: "${OFD_BIN:?}" "${OFD_BUILD:?}"
POST=$OFD_BUILD/post_tracers
[ -x "$POST" ] || e2e_die "$POST is missing (build the tree first)"
command -v sqlite3 >/dev/null || e2e_skip "sqlite3 (the Debian package) is missing: make deps-peers"
command -v curl >/dev/null || e2e_skip "curl is missing"
E2E_DIR=$(mktemp -d "${TMPDIR:-/tmp}/ofd-rxattack.XXXXXX") || e2e_die "mktemp failed"
trap e2e_cleanup EXIT
D=$E2E_DIR
E2E_VARIANT=rxattack
cd "$D" || exit 1

free_port() { # a port free for both UDP and TCP on 127.0.0.1
	local p
	while :; do
		p=$((20000 + RANDOM % 30000))
		ss -lnu | grep -q ":$p " || ss -lnt | grep -q ":$p " || { echo "$p"; return; }
	done
}

PH=$(free_port)
PU=$(free_port)
RPID=
start_rx() {
	"$OFD_BIN" receive --udp "127.0.0.1:$PU" --http "127.0.0.1:$PH" --db rx.db --workers 1 \
		--trusted-proxy 127.0.0.2 >>rx.out 2>>rx.err &
	RPID=$!
	E2E_PIDS="$E2E_PIDS $RPID"
	e2e_wait 10 sh -c "ss -lnt | grep -q '127.0.0.1:$PH '" || e2e_die "receiver not listening: $(tail -3 rx.err)"
}

metrics() { # a scrape from 127.0.0.9, within 2 s
	curl -s --max-time 2 --interface 127.0.0.9 "http://127.0.0.1:$PH/metrics"
}
metric() { metrics | awk -v m="$1" '$1 == m { print $2 }'; }
# shellcheck disable=SC2317 # called through e2e_wait, which shellcheck does not follow
metric_ge() { [ "$(metric "$1")" -ge "$2" ] 2>/dev/null; }
acks() { awk '$2 == 202' "$1" | wc -l; }
# shellcheck disable=SC2317 # called through e2e_wait
acks_ge() { [ "$(acks "$1")" -ge "$2" ]; }
sender_of() { sqlite3 rx.db "SELECT sender FROM tracers WHERE packets = $1"; }

start_rx

# ---- slowloris: 512 idle connections from 127.0.0.1 ----
slow=""
for i in $(seq 1 512); do
	exec {fd}<>"/dev/tcp/127.0.0.1/$PH" || e2e_die "connect $i"
	slow="$slow $fd"
done
e2e_wait 10 metric_ge 'overflowd_http_refused_total{reason="per_address"}' 448 ||
	e2e_fail "slowloris: refused $(metric 'overflowd_http_refused_total{reason="per_address"}') of 448"
expect_eq "slowloris: connections held (and this scrape)" "$(metric overflowd_http_connections)" 65
"$POST" 127.0.0.1 "$PH" 20 2 1 127.0.0.3 >slow.txt 2>slow.err
expect_eq "slowloris: tracers from another address answered 202" "$(acks slow.txt)" 20
e2e_log "slowloris: 512 connections from one address: $(metric overflowd_http_connections) held, $(metric 'overflowd_http_refused_total{reason="per_address"}') refused; $(cat slow.err)"
for fd in $slow; do
	exec {fd}>&-
done
e2e_wait 10 sh -c "[ \$(ss -tn state established '( sport = :$PH )' | wc -l) -le 2 ]" ||
	e2e_fail "slowloris: connections left open"

# ---- forged junk over UDP does not refuse the same address's HTTP tracers ----
for i in $(seq 1 150); do
	printf '{"junk": %d}' "$i" >"/dev/udp/127.0.0.1/$PU"
done
e2e_wait 10 metric_ge overflowd_tracers_ratelimited_total 1 || e2e_fail "the UDP junk was never ratelimited"
"$POST" 127.0.0.1 "$PH" 5 1 101 127.0.0.1 >junk.txt 2>/dev/null
expect_eq "forged junk: HTTP tracers from 127.0.0.1 accepted" "$(acks junk.txt)" 5
expect_eq "forged junk: no HTTP tracer ratelimited" "$(metric overflowd_tracers_ratelimited_http_total)" 0

# ---- trusted proxy ----
"$POST" 127.0.0.1 "$PH" 1 1 201 127.0.0.2 "X-Forwarded-For: 203.0.113.5, 198.51.100.7" >p1.txt 2>/dev/null
"$POST" 127.0.0.1 "$PH" 1 1 202 127.0.0.3 "X-Forwarded-For: 198.51.100.8" >p2.txt 2>/dev/null
"$POST" 127.0.0.1 "$PH" 1 1 203 127.0.0.2 "X-Forwarded-For: 198.51.100.9, 127.0.0.2" >p3.txt 2>/dev/null
expect_eq "proxy: answers" "$(cat p1.txt p2.txt p3.txt | awk '{print $2}' | tr '\n' ' ')" "202 202 202 "
expect_eq "proxy: the client named by the trusted proxy" "$(sender_of 201)" 198.51.100.7
expect_eq "proxy: X-Forwarded-For from anyone else ignored" "$(sender_of 202)" 127.0.0.3
expect_eq "proxy: the rightmost address not a proxy" "$(sender_of 203)" 198.51.100.9

# ---- kill -9 under HTTP load: nothing acknowledged is lost ----
"$POST" 127.0.0.1 "$PH" 200000 16 1000001 127.0.0.4 >kill.txt 2>kill.err &
post=$!
E2E_PIDS="$E2E_PIDS $post"
e2e_wait 60 acks_ge kill.txt 2000 || e2e_fail "kill -9: only $(acks kill.txt) acknowledged before the kill"
kill -9 "$RPID"
wait "$post"
awk '$2 == 202 { print $1 + 1000001 }' kill.txt | sort >acked.txt
sqlite3 rx.db "SELECT packets FROM tracers WHERE packets > 1000000" | sort >stored.txt
lost=$(comm -23 acked.txt stored.txt | wc -l)
e2e_log "kill -9: $(wc -l <acked.txt) acknowledged, $(wc -l <stored.txt) stored, $lost acknowledged but lost"
expect_eq "kill -9: acknowledged but lost" "$lost" 0
[ "$(wc -l <acked.txt)" -ge 2000 ] || e2e_fail "kill -9: too few acknowledged: $(wc -l <acked.txt)"

# ---- an admin's sqlite3 shell holds the write lock ----
start_rx
mkfifo lock.ctl
sqlite3 rx.db <lock.ctl >lock.out 2>&1 &
E2E_PIDS="$E2E_PIDS $!"
exec {ctl}>lock.ctl
printf 'BEGIN IMMEDIATE;\nSELECT %s;\n' "'locked'" >&"$ctl"
e2e_wait 10 grep -q locked lock.out || e2e_fail "the shell did not take the lock: $(cat lock.out)"
# 300 requests waiting at once (from 10 addresses: 30 each), more than the writer's queue (256)
pids=""
for a in $(seq 10 19); do
	POST_STOP_ON_503=1 "$POST" 127.0.0.1 "$PH" 300 30 $((2000000 + a * 1000)) "127.0.0.$a" >"locked$a.txt" 2>/dev/null &
	pids="$pids $!"
	E2E_PIDS="$E2E_PIDS $!"
done
e2e_wait 20 metric_ge overflowd_tracers_busy_total 1 || e2e_fail "locked: no tracer refused busy"
t0=$(date +%s%N)
"$POST" 127.0.0.1 "$PH" 20 1 3000001 127.0.0.20 >busy.txt 2>busy.err
t1=$(date +%s%N)
expect_eq "locked: new tracers answered 503" "$(awk '$2 == 503' busy.txt | wc -l)" 20
ms=$(((t1 - t0) / 1000000))
# (they were answered while the lock is still held: none waited for the store)
[ "$ms" -lt 5000 ] || e2e_fail "locked: 20 tracers took $ms ms to be refused"
t0=$(date +%s%N)
m=$(metrics)
t1=$(date +%s%N)
grep -q '^overflowd_http_deferred [1-9]' <<<"$m" || e2e_fail "locked: no request waiting for the store: $(grep deferred <<<"$m")"
e2e_log "locked: 20 tracers refused 503 in $ms ms; /metrics answered in $(((t1 - t0) / 1000000)) ms; $(grep -E '^overflowd_(tracers_busy_total|http_deferred) ' <<<"$m" | tr '\n' ' ')"
grep -q "Retry-After" <(curl -s -i --max-time 2 --interface 127.0.0.21 --data-binary '{}' "http://127.0.0.1:$PH/.well-known/overflowd") &&
	e2e_fail "an invalid tracer got Retry-After"
printf 'ROLLBACK;\n.quit\n' >&"$ctl"
exec {ctl}>&-
# shellcheck disable=SC2086 # a list of pids
wait $pids
cat locked1?.txt >locked.txt
waiting=$(awk '$2 != 503' locked.txt | wc -l)
expect_eq "locked: every request answered" "$(awk '$2 == 0' locked.txt | wc -l)" 0
e2e_log "locked: of $(wc -l <locked.txt) tracers, $(awk '$2 == 503' locked.txt | wc -l) refused 503, $(acks locked.txt) stored after the lock, $(awk '$2 != 503 && $2 != 202' locked.txt | wc -l) other"
[ "$waiting" -ge 1 ] || e2e_fail "locked: no tracer waited for the store"
"$POST" 127.0.0.1 "$PH" 10 1 4000001 127.0.0.22 >after.txt 2>/dev/null
expect_eq "after the lock: stored again" "$(acks after.txt)" 10
kill -TERM "$RPID"
wait "$RPID"
expect_eq "receiver exit" "$?" 0
# every acknowledged tracer of the locked phase is stored
for a in $(seq 10 19); do awk -v b=$((2000000 + a * 1000)) '$2 == 202 { print $1 + b }' "locked$a.txt"; done | sort >acked2.txt
sqlite3 rx.db "SELECT packets FROM tracers WHERE packets > 2000000 AND packets < 3000000" | sort >stored2.txt
expect_eq "locked: acknowledged but lost" "$(comm -23 acked2.txt stored2.txt | wc -l)" 0
e2e_result
