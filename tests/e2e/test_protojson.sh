#!/bin/bash
# flowpipeline's flow JSON with the binary: our json -> stdin -> json (format: protojson) ->
# stdin -> json gives our text again (engine_type/engine_id aside: EnrichedFlow has no field for
# them); stdin reads protojson from a pipe; with eofcloses unset (false, flowpipeline's default)
# a run stays up after its file's end until SIGTERM, and then ends cleanly with everything written.
set -u
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

: "${OFD_BIN:?}" "${OFD_DATA:?}"
PCAP=$OFD_DATA/netflow_4M.pcap
[ -r "$PCAP" ] || e2e_skip "$PCAP is missing"
E2E_DIR=$(mktemp -d "${TMPDIR:-/tmp}/ofd-protojson.XXXXXX") || e2e_die "mktemp failed"
trap e2e_cleanup EXIT
cd "$E2E_DIR" || e2e_die "cd $E2E_DIR"
E2E_VARIANT=round-trip

"$OFD_BIN" dump --format json --limit 3000 "$PCAP" >a.jsonl 2>/dev/null || e2e_die "dump failed"
expect_eq "records dumped" "$(wc -l <a.jsonl)" 3000

cat >to-pj.yml <<'YML'
- segment: stdin
  config: {filename: a.jsonl, eofcloses: true}
- segment: json
  config: {filename: b.jsonl, format: protojson}
YML
cat >from-pj.yml <<'YML'
- segment: stdin
  config: {eofcloses: true}
- segment: json
  config: {filename: c.jsonl}
YML
"$OFD_BIN" -c to-pj.yml 2>to.err || e2e_fail "to protojson: $(cat to.err)"
expect_eq "protojson lines" "$(wc -l <b.jsonl)" 3000
expect_eq "protojson keys" "$(head -c 40 b.jsonl)" '{"type":"NETFLOW_V5","timeReceivedNs":"1'
# a hostile line at the end (3 bytes of address): counted and named by its line number
{ cat b.jsonl; echo '{"bytes":"1","srcAddr":"wAAC"}'; } >b2.jsonl
"$OFD_BIN" -c from-pj.yml <b2.jsonl 2>from.err || e2e_fail "from protojson: $(cat from.err)"
grep -q "^segment stdin .* out 3000, malformed 1," from.err || e2e_fail "stdin counters: $(cat from.err)"
grep -q "segment stdin: line 3001: not a flow" from.err || e2e_fail "no warning for line 3001: $(cat from.err)"
strip() { sed 's/"engine_type":[0-9]*,"engine_id":[0-9]*/E/' "$1"; }
cmp -s <(strip a.jsonl) <(strip c.jsonl) || e2e_fail "our json differs after the round trip"

E2E_VARIANT=eofcloses-false
cat >stay.yml <<'YML'
- segment: stdin
  config: {filename: b.jsonl}
- segment: json
  config: {filename: d.jsonl}
YML
e2e_bg OFD_PID "$OFD_BIN" -c stay.yml 2>stay.err
e2e_wait 30 grep -q "end of input; eofcloses is false" stay.err || e2e_fail "no end-of-input note: $(cat stay.err)"
e2e_dead "$OFD_PID" && e2e_fail "the run ended at the end of its file"
kill -TERM "$OFD_PID"
e2e_reap "$OFD_PID" 30
expect_eq "SIGTERM exit status" "$E2E_RC" 0
cmp -s c.jsonl d.jsonl || e2e_fail "the records written before SIGTERM differ"

e2e_result
