#!/bin/bash
# overflowd -c with Prometheus metrics, end to end: a udp input on 127.0.0.1 with
# --metrics 127.0.0.1:0 (the bound port is read from the log line), the shared NetFlow v5
# capture sent over loopback by bench_replay (paced so that the socket never overflows) plus one
# malformed datagram, then /metrics scraped with curl: exact datagram, record and drop counts,
# the malformed datagram under its reason and its exporter, the engine's counters, and the whole
# text through promcheck (below: every sample in a family with HELP and TYPE, declared once, its
# samples together, counters named *_total, label syntax and escapes, numeric values, no series
# twice). Also: 404 and 405, the config's `metrics:` key used when no flag is given and
# overridden by the flag, a bad address refused with its line (exit 2), and a taken port
# refusing the start (exit 1) before the input binds its socket.
#
# Environment (set by ctest): OFD_BIN, OFD_BUILD, OFD_DATA. No fixed sleeps: every wait polls.
set -u
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

: "${OFD_BIN:?}" "${OFD_BUILD:?}" "${OFD_DATA:?}"
PCAP=$OFD_DATA/netflow_4M.pcap
REPLAY=$OFD_BUILD/bench_replay
[ -r "$PCAP" ] || e2e_skip "$PCAP is missing"
[ -x "$REPLAY" ] || e2e_die "$REPLAY is missing (build the tree first)"
e2e_need curl ss awk setsid
E2E_DIR=$(mktemp -d "${TMPDIR:-/tmp}/ofd-metrics.XXXXXX") || e2e_die "mktemp failed"
trap e2e_cleanup EXIT
trap 'exit 1' INT TERM HUP
D=$E2E_DIR
cd "$D" || exit 1
E2E_VARIANT=metrics

# promcheck FILE: basic checks of the Prometheus text format (what promtool's linter would
# refuse); prints every problem, exit status 1 if there is one. POSIX awk (mawk).
promcheck() {
	awk '
	function fail(msg) { printf "promcheck: line %d: %s: %s\n", NR, msg, $0; bad = 1 }
	/^# HELP / {
		if ($3 in help) fail("HELP of a family declared before")
		help[$3] = 1; lasthelp = $3; next
	}
	/^# TYPE / {
		n = $3
		if (n in type) fail("family declared twice")
		if (n != lasthelp) fail("TYPE without its HELP just before")
		if ($4 != "counter" && $4 != "gauge") fail("unknown type " $4)
		if ($4 == "counter" && n !~ /_total$/) fail("counter not named *_total")
		if (NF != 4) fail("TYPE line with extra fields")
		type[n] = $4; cur = n; nsamples[n] = 0; next
	}
	/^#/ { fail("a comment that is neither HELP nor TYPE"); next }
	/^$/ { fail("empty line"); next }
	{
		if (!match($0, /^[a-zA-Z_:][a-zA-Z0-9_:]*/)) { fail("no metric name"); next }
		name = substr($0, 1, RLENGTH); rest = substr($0, RLENGTH + 1)
		if (!(name in type)) fail("sample of a family without TYPE")
		else if (name != cur) fail("sample away from its family (" cur " is open)")
		series = name
		if (substr(rest, 1, 1) == "{") {
			lab = "[a-zA-Z_][a-zA-Z0-9_]*=\"([^\"\\\\]|\\\\[\\\\\"n])*\""
			if (!match(rest, "^\\{" lab "(," lab ")*\\}")) { fail("bad labels"); next }
			series = name substr(rest, 1, RLENGTH); rest = substr(rest, RLENGTH + 1)
		}
		if (rest !~ /^ ([0-9]+|NaN|[+-]Inf|-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?)$/) fail("bad value")
		if (series in seen) fail("series twice")
		seen[series] = 1; nsamples[name]++; total++
	}
	END {
		for (n in type) if (!nsamples[n]) { printf "promcheck: family %s without samples\n", n; bad = 1 }
		if (!total) { print "promcheck: no samples"; bad = 1 }
		exit bad
	}' "$1"
}

# metric FILE SERIES: the value of one series (series are written without spaces here)
metric() { awk -v m="$2" '$1 == m { print $2 }' "$1"; }

scrape() { curl -sf --max-time 5 "$URL" >"$1"; }

# scrape until SERIES has VALUE (into last.prom)
# shellcheck disable=SC2317 # called through e2e_wait, which shellcheck does not follow
metric_is() { scrape last.prom && [ "$(metric last.prom "$1")" = "$2" ]; }

# the metrics URL from overflowd's log line "metrics: serving http://.../metrics"
url_of() { sed -n 's/.*metrics: serving \(http:[^ ]*\).*/\1/p' "$1" | head -1; }
# shellcheck disable=SC2317 # called through e2e_wait, which shellcheck does not follow
has_url() { [ -n "$(url_of "$1")" ]; }

UPORT=$(e2e_free_port) || e2e_die "no free UDP port"
# The config's address is not local (TEST-NET-1): if the flag did not override it, the start
# would fail.
cat >udp.yml <<YML
metrics: "192.0.2.1:9100"
pipeline:
  - segment: udp
    config: {listen: "udp://127.0.0.1:$UPORT", rcvbuf: 8M, workers: 1}
  - segment: count
    config: {prefix: "all: "}
YML

# --- 1. start with --metrics on a free port (0), scrape before anything arrives
e2e_bg OFD_PID "$OFD_BIN" -c udp.yml --metrics 127.0.0.1:0 2>err.txt
e2e_wait 10 has_url err.txt || e2e_die "no 'metrics: serving' line: $(cat err.txt)"
e2e_wait 10 e2e_listening "$UPORT" || e2e_die "the udp input is not listening: $(cat err.txt)"
URL=$(url_of err.txt)
MPORT=$(echo "$URL" | sed -n 's|http://127.0.0.1:\([0-9]*\)/metrics|\1|p')
{ [ -n "$MPORT" ] && [ "$MPORT" -gt 0 ]; } || e2e_die "no port in $URL"
e2e_log "metrics at $URL, udp input on $UPORT"
scrape before.prom || e2e_die "cannot scrape $URL"
promcheck before.prom || e2e_fail "promcheck on the first scrape"
expect_eq "records before" "$(metric before.prom 'overflowd_records_total{segment="udp",format="netflow_v5"}')" 0
expect_eq "drop reasons listed before any drop" \
	"$(grep -c '^overflowd_drops_total{segment="udp",reason="[a-z_]*"} 0$' before.prom)" 16

# --- 2. the capture over loopback, and one malformed datagram
"$REPLAY" --port "$UPORT" --max-queue 262144 "$PCAP" >replay.txt 2>&1 || e2e_die "bench_replay: $(cat replay.txt)"
grep -q "^REPLAY datagrams=2708 .* drops=0 " replay.txt || e2e_fail "replay: $(cat replay.txt)"
printf '\000\007\000\001' >"/dev/udp/127.0.0.1/$UPORT" || e2e_die "cannot send the malformed datagram"
e2e_wait 20 metric_is 'overflowd_drops_total{segment="udp",reason="bad_version"}' 1 ||
	e2e_fail "bad_version drop not seen: $(grep bad_version last.prom)"
e2e_wait 20 metric_is overflowd_pipeline_records_out_total 78684 ||
	e2e_fail "records out: $(metric last.prom overflowd_pipeline_records_out_total)"
scrape after.prom || e2e_die "cannot scrape $URL"
promcheck after.prom || e2e_fail "promcheck after the capture"
m() { metric after.prom "$1"; }
expect_eq "netflow_v5 datagrams" "$(m 'overflowd_datagrams_total{segment="udp",format="netflow_v5"}')" 2708
expect_eq "netflow_v5 records" "$(m 'overflowd_records_total{segment="udp",format="netflow_v5"}')" 78684
expect_eq "unknown datagrams" "$(m 'overflowd_datagrams_total{segment="udp",format="unknown"}')" 1
expect_eq "ipfix records" "$(m 'overflowd_records_total{segment="udp",format="ipfix"}')" 0
expect_eq "bad_version drops" "$(m 'overflowd_drops_total{segment="udp",reason="bad_version"}')" 1
expect_eq "kernel drops" "$(m 'overflowd_drops_total{segment="udp",reason="kernel_drop"}')" 0
expect_eq "drops of 127.0.0.1" "$(m 'overflowd_drops_by_exporter_total{exporter="127.0.0.1"}')" 1
expect_eq "drops of other exporters" "$(m 'overflowd_drops_by_exporter_total{exporter="other"}')" 0
expect_eq "exporter series" "$(grep -c '^overflowd_drops_by_exporter_total{' after.prom)" 2
expect_eq "pipeline records in" "$(m overflowd_pipeline_records_in_total)" 78684
expect_eq "count in" "$(m 'overflowd_segment_records_in_total{segment="count"}')" 78684
expect_eq "count dropped" "$(m 'overflowd_segment_dropped_total{segment="count"}')" 0
expect_eq "udp out" "$(m 'overflowd_segment_records_out_total{segment="udp"}')" 78684
expect_eq "pool in use once drained" "$(m 'overflowd_pool_batches{state="in_use"}')" 0
expect_eq "templates" "$(m 'overflowd_templates{segment="udp",kind="template"}')" 0
BATCHES=$(m overflowd_pipeline_batches_total)
[ "${BATCHES:-0}" -gt 0 ] || e2e_fail "batches: '$BATCHES'"

# --- 3. HTTP: HEAD, 404, 405
expect_eq "HEAD /metrics" "$(curl -s -o /dev/null -I -w '%{http_code}' "$URL")" 200
expect_eq "GET /" "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$MPORT/")" 404
expect_eq "POST /metrics" "$(curl -s -o /dev/null -w '%{http_code}' -d x=1 "$URL")" 405
expect_eq "content type" "$(curl -s -o /dev/null -w '%{content_type}' "$URL")" \
	"text/plain; version=0.0.4; charset=utf-8"

# --- 4. a taken port refuses the start (exit 1) before the input binds its socket
UPORT2=$(e2e_free_port) || e2e_die "no free UDP port"
sed "s/:$UPORT\"/:$UPORT2\"/" udp.yml >udp2.yml
"$OFD_BIN" -c udp2.yml --metrics "127.0.0.1:$MPORT" >/dev/null 2>taken.err
expect_eq "taken port: exit status" "$?" 1
expect_eq "taken port: message" "$(cat taken.err)" \
	"overflowd: metrics: cannot listen on 127.0.0.1:$MPORT: Address already in use"
grep -q "segment udp" taken.err && e2e_fail "the input ran although the start was refused"

# --- 5. stop: the summary agrees with the metrics
kill -TERM "$OFD_PID"
e2e_reap "$OFD_PID" 20
expect_eq "exit status after SIGTERM" "$E2E_RC" 0
grep -q "^all: 78684 flows, " err.txt || e2e_fail "count: $(grep '^all:' err.txt)"
grep -qx "pipeline: in 78684 out 78684 dropped 0, batches $BATCHES, queue-full waits [0-9]*" err.txt ||
	e2e_fail "pipeline line: $(grep '^pipeline:' err.txt)"
curl -s --max-time 2 -o /dev/null "$URL" && e2e_fail "the metrics server outlived overflowd"

# --- 6. the config's metrics: key alone (no flag), and a bad one with its line
UPORT3=$(e2e_free_port) || e2e_die "no free UDP port"
printf 'pipeline:\n  - segment: udp\n    config: {listen: "udp://127.0.0.1:%s", workers: 1}\n  - segment: count\nmetrics: "127.0.0.1:0"\n' \
	"$UPORT3" >cfg.yml
e2e_bg OFD2_PID "$OFD_BIN" -c cfg.yml 2>cfg.err
e2e_wait 10 has_url cfg.err || e2e_fail "config metrics: no 'metrics: serving' line: $(cat cfg.err)"
URL=$(url_of cfg.err)
if [ -n "$URL" ]; then
	scrape cfg.prom || e2e_fail "config metrics: cannot scrape $URL"
	promcheck cfg.prom || e2e_fail "promcheck (config metrics)"
	expect_eq "config metrics: records" "$(metric cfg.prom 'overflowd_records_total{segment="udp",format="netflow_v5"}')" 0
fi
kill -TERM "$OFD2_PID"
e2e_reap "$OFD2_PID" 20
expect_eq "config metrics: exit status" "$E2E_RC" 0

printf 'metrics: "127.0.0.1:80:80"\npipeline:\n  - segment: count\n' >badaddr.yml
"$OFD_BIN" -c badaddr.yml --check >/dev/null 2>bad.err
expect_eq "bad metrics address: --check status" "$?" 2
expect_eq "bad metrics address: message" "$(cat bad.err)" \
	'badaddr.yml:1: key metrics: expected ADDR:PORT, [IPV6]:PORT or :PORT (e.g. 127.0.0.1:9100), got "127.0.0.1:80:80"'
"$OFD_BIN" -c cfg.yml --metrics 127.0.0.1 --check >/dev/null 2>bad.err
expect_eq "bad --metrics: status" "$?" 2
expect_eq "bad --metrics: first line" "$(head -1 bad.err)" \
	"overflowd: --metrics 127.0.0.1: expected ADDR:PORT, [IPV6]:PORT or :PORT"

# promcheck itself refuses what it should (it must be able to fail)
printf '# HELP a_total A.\n# TYPE a_total counter\na_total 1\na_total 2\n' >dup.prom
promcheck dup.prom >/dev/null && e2e_fail "promcheck accepted a series twice"
printf 'x{a="1"} 1\n' >notype.prom
promcheck notype.prom >/dev/null && e2e_fail "promcheck accepted a sample without TYPE"
printf '# HELP a A.\n# TYPE a gauge\na{b="x\\q"} 1\n' >esc.prom
promcheck esc.prom >/dev/null && e2e_fail "promcheck accepted a bad escape"
printf '# HELP a A.\n# TYPE a gauge\na{b="x\\"y\\\\z\\n"} 1\n' >goodesc.prom
promcheck goodesc.prom || e2e_fail "promcheck refused valid escapes"
printf '# HELP a A.\n# TYPE a counter\na 1\n' >counter.prom
promcheck counter.prom >/dev/null && e2e_fail "promcheck accepted a counter not named *_total"

e2e_result
