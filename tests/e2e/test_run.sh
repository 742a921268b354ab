#!/bin/bash
# overflowd -c CONFIG.yml end to end: pipelines on the shared NetFlow v5 capture (pcap input,
# flowfilter, branch into two CSV files, count), `--check` on good and bad configs (exact error
# lines, exit status 2, nothing created; warnings for what flowpipeline accepts), an init failure, the example custom segment loaded
# with -p, SIGUSR1 counters while running, and SIGTERM while an input is still producing, after
# which nothing accepted is lost (records in == records out + records dropped, and every output
# saw exactly the pipeline's out).
#
# Expected numbers are not hard-coded where they can be derived: `overflowd dump` on the same
# capture is the reference for how many records a filter keeps.
#
# Environment (set by ctest): OFD_BIN, OFD_BUILD, OFD_DATA. No fixed sleeps.
set -u
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

: "${OFD_BIN:?}" "${OFD_BUILD:?}" "${OFD_DATA:?}"
PCAP=$OFD_DATA/netflow_4M.pcap
[ -r "$PCAP" ] || e2e_skip "$PCAP is missing"
E2E_DIR=$(mktemp -d "${TMPDIR:-/tmp}/ofd-run.XXXXXX") || e2e_die "mktemp failed"
trap e2e_cleanup EXIT
trap 'exit 1' INT TERM HUP
D=$E2E_DIR
cd "$D" || exit 1
E2E_VARIANT=run

# field F of the pipeline/segment counter line matching REGEX in FILE: "in", "out", "dropped"
counter() { # counter FILE REGEX NAME
	grep -E "$2" "$1" | tail -1 | sed -E "s/.*[: ]$3 ([0-9]+).*/\1/"
}


# The reference: records in the capture, and how many are TCP / UDP (dump's CSV).
"$OFD_BIN" dump --format csv "$PCAP" >dump.csv 2>/dev/null || e2e_die "dump failed"
TOTAL=$(($(wc -l <dump.csv) - 1))
PCOL=$(head -1 dump.csv | tr ',' '\n' | grep -nx proto | cut -d: -f1)
NTCP=$(awk -F, -v c="$PCOL" 'NR > 1 && ($c == "TCP" || $c == 6)' dump.csv | wc -l)
NUDP=$(awk -F, -v c="$PCOL" 'NR > 1 && ($c == "UDP" || $c == 17)' dump.csv | wc -l)
expect_eq "records in the capture" "$TOTAL" 78684
{ [ "$NTCP" -gt 0 ] && [ "$NUDP" -gt 0 ]; } || e2e_die "reference counts: tcp $NTCP udp $NUDP"

# --- 1. pcap -> flowfilter -> count, the capture given as $0 (flowpipeline numbers from 0)
cat >filter.yml <<'YML'
- segment: pcap
  config:
    filename: $0
- segment: flowfilter
  config:
    filter: "proto udp"
- segment: count
  config:
    prefix: "udp: "
YML
"$OFD_BIN" -c filter.yml "$PCAP" >out.txt 2>err.txt
expect_eq "filter.yml exit status" "$?" 0
expect_eq "pcap out" "$(counter err.txt '^segment pcap \(filter.yml:1\)' out)" "$TOTAL"
grep -qx "segment flowfilter (filter.yml:4): in $TOTAL out $NUDP dropped $((TOTAL - NUDP))" err.txt ||
	e2e_fail "no exact flowfilter counter line in: $(cat err.txt)"
grep -q "^udp: $NUDP flows, " err.txt || e2e_fail "count did not print $NUDP flows: $(cat err.txt)"
expect_eq "nothing on stdout" "$(cat out.txt)" ""
grep -qx "pipeline: in $TOTAL out $NUDP dropped $((TOTAL - NUDP)), batches [0-9]*, queue-full waits [0-9]*" err.txt ||
	e2e_fail "no pipeline line: $(cat err.txt)"

# --- 2. branch into two CSV files; both streams continue to a count after the branch
cat >branch.yml <<YML
- segment: pcap
  config: {filename: "$PCAP"}
- segment: branch
  if:
    - segment: flowfilter
      config: {filter: "proto tcp"}
  then:
    - segment: csv
      config: {filename: tcp.csv, fields: [src_addr, dst_addr, proto]}
  else:
    - segment: csv
      config: {filename: rest.csv, fields: [src_addr, dst_addr, proto]}
- segment: count
  config: {prefix: "all: "}
YML
"$OFD_BIN" -c branch.yml 2>err.txt
expect_eq "branch.yml exit status" "$?" 0
expect_eq "tcp.csv records" "$(($(wc -l <tcp.csv) - 1))" "$NTCP"
expect_eq "rest.csv records" "$(($(wc -l <rest.csv) - 1))" "$((TOTAL - NTCP))"
grep -q "^all: $TOTAL flows, " err.txt || e2e_fail "count after the branch: $(cat err.txt)"
grep -qx "segment branch (branch.yml:3): in $TOTAL out $TOTAL dropped 0" err.txt || e2e_fail "branch line: $(cat err.txt)"
grep -qx "  segment flowfilter (branch.yml:5): in $TOTAL out $NTCP dropped $((TOTAL - NTCP))" err.txt ||
	e2e_fail "flowfilter in if: $(cat err.txt)"
if grep -v '^src_addr' tcp.csv | grep -qv ',TCP$'; then
	e2e_fail "tcp.csv holds records that are not TCP"
fi

# --- 3. --check: valid, and errors with their exact line and status 2, nothing created
check_bad() { # check_bad NAME EXPECTED-LINE (the config is in NAME.yml)
	rm -f created.csv
	"$OFD_BIN" -c "$1.yml" --check >check.out 2>check.err
	local rc=$?
	expect_eq "--check $1 exit status" "$rc" 2
	expect_eq "--check $1 message" "$(cat check.err)" "$2"
	"$OFD_BIN" -c "$1.yml" >/dev/null 2>run.err
	expect_eq "run $1 exit status" "$?" 2
	expect_eq "run $1 message" "$(cat run.err)" "$2"
	[ ! -e created.csv ] || e2e_fail "$1: an output file was created although the config is refused"
}

"$OFD_BIN" -c branch.yml --check >check.out 2>check.err
expect_eq "--check branch.yml exit status" "$?" 0
expect_eq "--check branch.yml output" "$(cat check.out)" "branch.yml: ok, 6 segments"
rm -f tcp.csv rest.csv
"$OFD_BIN" -c branch.yml --check >/dev/null 2>&1
[ ! -e tcp.csv ] || e2e_fail "--check opened an output"

printf -- '- segment: pcap\n  config: {filename: %s}\n- segment: csv\n  config:\n    filename: created.csv\n    colour: red\n' "$PCAP" >badkey.yml
check_bad badkey "badkey.yml:6: segment csv: key colour: unknown key (known: filename, fields, format, follow_symlinks)"
printf -- '- segment: pcap\n  config: {filename: %s}\n- segment: csv\n  config:\n    filename: created.csv\n    field: [proto]\n' "$PCAP" >nearkey.yml
check_bad nearkey "nearkey.yml:6: segment csv: key field: unknown key (did you mean fields? known: filename, fields, format, follow_symlinks)"
printf -- '- segment: pcap\n  config: {filename: %s}\n- segment: csv\n  config: {filename: created.csv, fields: [proto, nosuchfield]}\n' "$PCAP" >badfield.yml
check_bad badfield "badfield.yml:3: segment csv: key fields: unknown field \"nosuchfield\""
printf -- '- segment: pcap\n  config: {filename: %s}\n- segment: csv\n  config: {filename: created.csv}\n- segment: nosuch\n' "$PCAP" >badseg.yml
check_bad badseg "badseg.yml:5: segment nosuch: unknown segment"
printf -- '- segment: pcap\n  config: {filename: %s}\n- segment: count\n  jobs: 4\n' "$PCAP" >jobs.yml
"$OFD_BIN" -c jobs.yml --check >check.out 2>check.err
expect_eq "--check jobs.yml (jobs on count): status" "$?" 0
expect_eq "--check jobs.yml: warning" "$(cat check.err)" \
	"overflowd: warning: jobs.yml:3: segment count: key jobs: count keeps state across all flows (one instance sees them all): jobs 4 ignored"
cat >badarg.yml <<'EOF'
- segment: pcap
  config: {filename: $0}
- segment: csv
  config: {filename: created.csv}
EOF
# an undefined $0 is "" with a warning (as in flowpipeline), refused with --strict-env
"$OFD_BIN" -c badarg.yml --check >/dev/null 2>check.err
expect_eq "--check badarg exit status" "$?" 0
expect_eq "--check badarg warning" "$(cat check.err)" \
	"overflowd: warning: badarg.yml:2: undefined argument \$0 (0 given), expanded to an empty string"
"$OFD_BIN" --strict-env -c badarg.yml --check >/dev/null 2>check.err
expect_eq "--strict-env badarg exit status" "$?" 2
expect_eq "--strict-env badarg message" "$(cat check.err)" "badarg.yml:2: undefined argument \$0 (0 given)"
[ ! -e created.csv ] || e2e_fail "badarg: an output file was created although the config is refused"
printf -- '- segment: pcap\n- segment: csv\n  config: {filename: created.csv}\n' >badreq.yml
check_bad badreq "badreq.yml:1: segment pcap: key filename: missing required key"
printf -- '- segment: csv\n  config: {filename: created.csv}\n' >noinput.yml
check_bad noinput "noinput.yml: no input segment (a pipeline starts with an input such as pcap or udp)"

# --- 4. init failure: a missing capture refuses the start with the segment's line (status 2)
printf -- '- segment: count\n  config: {filename: counted.txt}\n- segment: pcap\n  config: {filename: /nonexistent.pcap}\n' >badinit.yml
"$OFD_BIN" -c badinit.yml --check >/dev/null 2>&1
expect_eq "--check badinit (static checks pass)" "$?" 0
"$OFD_BIN" -c badinit.yml >/dev/null 2>run.err
expect_eq "badinit exit status" "$?" 2
expect_eq "badinit last line" "$(tail -1 run.err)" "badinit.yml:3: segment pcap: init failed: No such file or directory"

# --- 5. the example custom segment
cat >plugin.yml <<YML
- segment: pcap
  config: {filename: "$PCAP"}
- segment: sample_every
  config: {n: 100}
- segment: count
  config: {prefix: "sampled: "}
YML
PLUGIN=$OFD_BUILD/example_segment.so
"$OFD_BIN" -c plugin.yml --check >/dev/null 2>check.err
expect_eq "plugin.yml without -p: status" "$?" 2
expect_eq "plugin.yml without -p: message" "$(cat check.err)" "plugin.yml:3: segment sample_every: unknown segment"
"$OFD_BIN" -c plugin.yml -p "$PLUGIN" 2>err.txt
expect_eq "plugin.yml with -p: status" "$?" 0
SAMPLED=$(((TOTAL + 99) / 100))
grep -q "^sampled: $SAMPLED flows, " err.txt || e2e_fail "sample_every: $(cat err.txt)"
grep -qx "segment sample_every (plugin.yml:3): in $TOTAL out $SAMPLED dropped $((TOTAL - SAMPLED)), kept $SAMPLED, skipped $((TOTAL - SAMPLED))" err.txt ||
	e2e_fail "sample_every counters: $(cat err.txt)"
"$OFD_BIN" -c plugin.yml -p "$PLUGIN" -p "$PLUGIN" 2>err.txt
expect_eq "plugin loaded twice: status" "$?" 2
expect_eq "plugin loaded twice: message" "$(cat err.txt)" "overflowd: plugin $PLUGIN: segment sample_every: already defined"

# --- 6. SIGUSR1 while running, SIGTERM while the input still produces: nothing lost
LINE=$(head -1 <("$OFD_BIN" dump --format json --limit 1 "$PCAP" 2>/dev/null))
[ -n "$LINE" ] || e2e_die "no JSON line from dump"
cat >stdin.yml <<'YML'
- segment: stdin
  config: {filename: in.fifo}
- segment: sample_every
  config: {n: 3}
- segment: json
  config: {filename: out.jsonl}
- segment: count
  config: {prefix: "kept: "}
YML
# A FIFO opened read-write here first, so that neither side's open blocks; `yes` keeps both ends,
# so overflowd never sees the end of its input and must be stopped by the signal.
mkfifo in.fifo
exec 3<>in.fifo
e2e_bg YES_PID yes "$LINE" >&3
e2e_bg OFD_PID "$OFD_BIN" -c stdin.yml -p "$PLUGIN" 2>sig.err
exec 3>&-
# the json output exists once the segments are initialised (signals are taken from then on)
e2e_wait "$E2E_WAIT_S" test -e out.jsonl || e2e_fail "overflowd did not start: $(cat sig.err)"
# shellcheck disable=SC2317 # called through e2e_wait, which shellcheck does not follow
usr1_shows_records() {
	kill -USR1 "$OFD_PID" 2>/dev/null || return 1
	e2e_wait 2 grep -q "^pipeline: in [1-9]" sig.err
}
e2e_wait "$E2E_WAIT_S" usr1_shows_records || e2e_fail "no counters with records after SIGUSR1: $(cat sig.err)"
kill -TERM "$OFD_PID"
e2e_reap "$OFD_PID" 30
expect_eq "SIGTERM exit status" "$E2E_RC" 0
grep -v "^pipeline:\|^segment\|^  \|^kept:\|^overflowd: info" sig.err && e2e_fail "unexpected messages"
IN=$(counter sig.err '^pipeline:' in)
OUT=$(counter sig.err '^pipeline:' out)
DROPPED=$(counter sig.err '^pipeline:' dropped)
[ "${IN:-0}" -gt 0 ] || e2e_fail "nothing went in"
expect_eq "in == out + dropped" "$IN" "$((OUT + DROPPED))"
expect_eq "stdin out == pipeline in" "$(counter sig.err '^segment stdin' out)" "$IN"
expect_eq "sample_every in == pipeline in" "$(counter sig.err '^segment sample_every' in)" "$IN"
expect_eq "sample_every dropped == pipeline dropped" "$(counter sig.err '^segment sample_every' dropped)" "$DROPPED"
expect_eq "json lines written == pipeline out" "$(wc -l <out.jsonl)" "$OUT"
grep -q "^kept: $OUT flows, " sig.err || e2e_fail "count after SIGTERM: $(grep kept: sig.err)"
expect_eq "sampled 1 in 3" "$OUT" "$(((IN + 2) / 3))"

e2e_result
