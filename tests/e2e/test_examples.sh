#!/bin/bash
# The shipped example pipelines (examples/*.yml) on the bundled sample capture: every example
# passes --check, and each one's results equal an independent computation (awk over
# `overflowd dump --format csv` of the same capture), so the filters, branches and outputs are
# checked against the decoder alone.
set -u
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

: "${OFD_BIN:?}" "${OFD_SRC:?}"
SAMPLE=$OFD_SRC/examples/netflow_4M.pcap.gz
E2E_DIR=$(mktemp -d "${TMPDIR:-/tmp}/ofd-examples.XXXXXX") || e2e_die "mktemp failed"
trap e2e_cleanup EXIT
D=$E2E_DIR
E2E_VARIANT=examples


# labelled-anon.yml takes its Crypto-PAn key from OFD_ANON_KEY (test_anonymize_labelled.sh runs it)
for y in "$OFD_SRC"/examples/*.yml; do
	case $y in
	*/labelled-anon.yml) "$OFD_BIN" --segments 2>/dev/null | grep -q '^anonymize ' || continue ;;
	esac
	OFD_ANON_KEY=ExampleKeyWithExactly32Character OVERFLOWD_KEY=$D/key "$OFD_BIN" -c "$y" --check a b c >"$D/check.out" 2>&1 || e2e_fail "--check $y: $(cat "$D/check.out")"
done

# The reference: columns 8 bytes, 9 packets, 10 src_addr, 13 proto, 14/15 ports, 27 tcp_flags,
# 6/7 start/end ns.
"$OFD_BIN" dump --format csv "$SAMPLE" 2>/dev/null | tail -n +2 >"$D/all.csv" || e2e_die "dump failed"
ref() { # ref AWK-CONDITION: "N flows, P packets, B bytes"
	awk -F, "$1"' { n++; p += $9; b += $8 } END { printf "%d flows, %d packets, %d bytes\n", n, p, b }' "$D/all.csv"
}

# DoS drill-down
"$OFD_BIN" -c "$OFD_SRC/examples/dos-drilldown.yml" "$SAMPLE" >"$D/dd.out" 2>"$D/dd.err" ||
	e2e_fail "dos-drilldown exited $?: $(cat "$D/dd.err")"
# shellcheck disable=SC2016 # an awk program: its $N are awk's fields, not the shell's
ntp=$(ref '$13 == "UDP" && $14 == 123')
expect_eq "ntp responses" "$(sed -n 's/^ntp responses: //p' "$D/dd.err")" "$ntp"
expect_eq "ntp responses (value)" "$ntp" "453 flows, 455 packets, 34700 bytes"
# shellcheck disable=SC2016 # an awk program: its $N are awk's fields, not the shell's
expect_eq "ntp and port 0" "$(sed -n 's/^ntp responses to or from port 0: //p' "$D/dd.err")" \
	"$(ref '$13 == "UDP" && $14 == 123 && ($14 == 0 || $15 == 0)')"
# pps over the duration in whole seconds, flows under a second count as one second
# (bit tests by arithmetic: mawk has no and())
# shellcheck disable=SC2016 # an awk program: its $N are awk's fields, not the shell's
syn='$13 == "TCP" && int($27 / 2) % 2 == 1 && int($27 / 16) % 2 == 0 { d = int(($7 - $6) / 1e9); if (d < 1) d = 1 }
	$13 == "TCP" && int($27 / 2) % 2 == 1 && int($27 / 16) % 2 == 0 && int($9 / d) > 9000'
expect_eq "syn floods" "$(sed -n 's/^syn floods: //p' "$D/dd.err")" "$(ref "$syn")"

# Labelled split: the two files partition the capture.
"$OFD_BIN" -c "$OFD_SRC/examples/labelled-split.yml" "$SAMPLE" "$D/attack.csv" "$D/rest.csv" \
	>"$D/ls.out" 2>"$D/ls.err" || e2e_fail "labelled-split exited $?: $(cat "$D/ls.err")"
want_attack=$(awk -F, '$13 == "UDP" && ($14 == 123 || $15 == 123)' "$D/all.csv" | wc -l)
expect_eq "attack rows" "$(($(wc -l <"$D/attack.csv") - 1))" "$want_attack"
expect_eq "rest rows" "$(($(wc -l <"$D/rest.csv") - 1))" "$((78684 - want_attack))"
expect_eq "csv header" "$(head -1 "$D/attack.csv")" \
	"time_flow_start_ns,time_flow_end_ns,src_addr,dst_addr,src_port,dst_port,proto,packets,bytes,tcp_flags"
expect_eq "attack packets" "$(tail -n +2 "$D/attack.csv" | awk -F, '{ p += $8 } END { print p }')" \
	"$(awk -F, '$13 == "UDP" && ($14 == 123 || $15 == 123) { p += $9 } END { print p }' "$D/all.csv")"
expect_eq "all flows" "$(sed -n 's/^all flows: //p' "$D/ls.err")" "$(ref '1')"

# Tracers from a pipeline: every printed tracer verifies, and the count segment saw every flow.
OVERFLOWD_KEY=$D/key "$OFD_BIN" -c "$OFD_SRC/examples/tracers.yml" "$SAMPLE" >"$D/tr.jsonl" 2>"$D/tr.err" ||
	e2e_fail "tracers.yml exited $?: $(cat "$D/tr.err")"
grep -q "created a new signing key in $D/key" "$D/tr.err" || e2e_fail "no key creation message: $(cat "$D/tr.err")"
[ "$(wc -l <"$D/tr.jsonl")" -gt 0 ] || e2e_fail "tracers.yml printed no tracer"
"$OFD_BIN" verify "$D/tr.jsonl" >"$D/trv.txt" 2>&1 || e2e_fail "tracers.yml: $(grep -v '^valid' "$D/trv.txt")"
expect_eq "flows seen by the tracer pipeline" "$(sed -n 's/^flows: //p' "$D/tr.err")" "$(ref '1')"
e2e_result
