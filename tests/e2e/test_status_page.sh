#!/bin/bash
# The pipeline's status page beside /metrics: overflowd -c with a udp input and --metrics on
# 127.0.0.1 receives the shared NetFlow v5 capture and one malformed datagram; /api/status
# gives the /metrics families as JSON with the same values (records, drops by reason, the
# segments' counters, the decoders' template state), every answer of the server carries the
# strict Content-Security-Policy; headless Chromium renders /status (its script ran: title,
# segment rows, the bad_version drop, template state) and saves a screenshot to
# $OFD_BUILD/ui-shots/status.png. Without chromium the browser part is skipped (77) after the
# JSON checks.
set -u
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
: "${OFD_BIN:?}" "${OFD_BUILD:?}" "${OFD_DATA:?}"
PCAP=$OFD_DATA/netflow_4M.pcap
REPLAY=$OFD_BUILD/bench_replay
[ -x "$REPLAY" ] || e2e_skip "bench_replay not built"
e2e_need curl jq python3
E2E_DIR=$(mktemp -d "${TMPDIR:-/tmp}/ofd-status.XXXXXX") || e2e_die "mktemp failed"
trap e2e_cleanup EXIT
cd "$E2E_DIR" || exit 1
E2E_VARIANT=status
CSP="default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

UPORT=$(e2e_free_port) || e2e_die "no free UDP port"
cat >udp.yml <<YML
pipeline:
  - segment: udp
    config: {listen: "udp://127.0.0.1:$UPORT", rcvbuf: 8M, workers: 1}
  - segment: count
    config: {prefix: "all: "}
YML
e2e_bg OFD_PID "$OFD_BIN" -c udp.yml --metrics 127.0.0.1:0 2>err.txt
url_of() { sed -n 's/.*metrics: serving \(http:[^ ]*\)\/metrics.*/\1/p' err.txt | head -1; }
e2e_wait 10 sh -c "grep -q 'metrics: serving' err.txt" || e2e_die "no metrics line: $(cat err.txt)"
BASE=$(url_of)
"$REPLAY" --port "$UPORT" --max-queue 262144 "$PCAP" >replay.txt 2>&1 || e2e_die "bench_replay: $(cat replay.txt)"
printf '\000\007\000\001' >"/dev/udp/127.0.0.1/$UPORT" || e2e_die "cannot send the malformed datagram"
# shellcheck disable=SC2317 # called through e2e_wait
out_is() { [ "$(curl -sS "$BASE/api/status" | jq '.families[] | select(.name == "overflowd_pipeline_records_out_total") | .samples[0].value')" = 78684 ]; }
e2e_wait 20 out_is || e2e_fail "records out never 78684"
e2e_wait 20 sh -c "curl -sS '$BASE/metrics' | grep -q '^overflowd_drops_total{segment=\"udp\",reason=\"bad_version\"} 1$'" ||
	e2e_fail "bad_version drop not seen"

S=$(curl -sS "$BASE/api/status")
v() { jq -r --arg n "$1" --argjson l "$2" '.families[] | select(.name == $n) | .samples[] | select(.labels == $l) | .value' <<<"$S"; }
expect_eq "records netflow_v5" "$(v overflowd_records_total '{"segment":"udp","format":"netflow_v5"}')" 78684
expect_eq "datagrams netflow_v5" "$(v overflowd_datagrams_total '{"segment":"udp","format":"netflow_v5"}')" 2708
expect_eq "bad_version drops" "$(v overflowd_drops_total '{"segment":"udp","reason":"bad_version"}')" 1
expect_eq "count in" "$(v overflowd_segment_records_in_total '{"segment":"count"}')" 78684
expect_eq "udp out" "$(v overflowd_segment_records_out_total '{"segment":"udp"}')" 78684
expect_eq "templates held" "$(v overflowd_templates '{"segment":"udp","kind":"template"}')" 0
expect_eq "drops of 127.0.0.1" "$(v overflowd_drops_by_exporter_total '{"exporter":"127.0.0.1"}')" 1
expect_eq "type and help" "$(jq -r '.families[] | select(.name == "overflowd_drops_total") | .type + ": " + .help' <<<"$S")" \
	"counter: Datagrams, records, samples or frames not delivered, by input segment and reason."
# every /metrics series is in the JSON, with its value
curl -sS "$BASE/metrics" | grep -v '^#' | sort >metrics.txt
jq -r '.families[].samples[] | .name + (if (.labels | length) > 0 then "{" + ([.labels | to_entries[] | .key + "=\"" + .value + "\""] | join(",")) + "}" else "" end) + " " + (.value | tostring)' <<<"$S" |
	sort >json.txt
expect_eq "series in the JSON" "$(wc -l <json.txt)" "$(wc -l <metrics.txt)"
expect_eq "udp series equal" "$(grep '^overflowd_drops_total' json.txt)" "$(grep '^overflowd_drops_total' metrics.txt)"
for p in /status /status.js /ui.css /api/status /metrics /nothing; do
	expect_eq "CSP on $p" "$(curl -sS -o /dev/null -D - "$BASE$p" | tr -d '\r' | sed -n 's/^Content-Security-Policy: //p')" "$CSP"
done
expect_eq "status page type" "$(curl -sS -o /dev/null -w '%{content_type}' "$BASE/status")" "text/html; charset=utf-8"
[ -n "$E2E_FAILED" ] && e2e_result

command -v chromium >/dev/null 2>&1 || e2e_skip "chromium is not installed: the browser part is skipped"
SHOTS=$OFD_BUILD/ui-shots
mkdir -p "$SHOTS"
args=(--headless --no-sandbox --disable-gpu --no-first-run --disable-extensions --disable-background-networking
	--disable-sync --user-data-dir="$E2E_DIR/chromium" --virtual-time-budget=5000 "--window-size=1200,900")
timeout 60 chromium "${args[@]}" --dump-dom "$BASE/status" >status.html 2>chromium.err || e2e_fail "chromium: $(tail -2 chromium.err)"
timeout 60 chromium "${args[@]}" --screenshot="$SHOTS/status.png" "$BASE/status" >/dev/null 2>>chromium.err
[ -s "$SHOTS/status.png" ] || e2e_fail "no screenshot"
python3 "$(dirname "$0")/ui_dom.py" status.html >status.facts || e2e_fail "parse status.html"
fact() { sed -n "s/^$1 //p" status.facts; }
expect_eq "status title (the script ran)" "$(fact title)" "overflowd status: 2 segments"
expect_eq "status ready" "$(fact ready)" 1
expect_eq "segment rows" "$(fact 'rows segment-table')" 2
grep -qF '<td>udp</td><td class="num">-</td><td class="num">78684</td>' status.html || e2e_fail "udp segment row"
grep -qF '<td>count</td><td class="num">78684</td><td class="num">78684</td><td class="num">0</td>' status.html ||
	e2e_fail "count segment row"
grep -qF '<td>drops_total</td><td>udp</td><td>bad_version</td><td class="num">1</td>' status.html || e2e_fail "bad_version row"
grep -qF '<td>templates</td><td>udp</td><td>kind=template</td><td class="num">0</td>' status.html || e2e_fail "templates row"
expect_eq "status scripts" "$(fact 'count script')" 1
e2e_log "screenshot: $SHOTS/status.png"
e2e_result
