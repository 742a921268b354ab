#!/bin/bash
# flowpipeline's `skip` end to end: `overflowd -c` with generator -> skip -> json (the skipped
# segment) -> json (after it) against the same flows through a flowfilter. The flows the
# condition matches skip the first writer, so it holds exactly the records `not (CONDITION)`
# selects (with invert: exactly those CONDITION selects), and the second writer all of them,
# byte for byte as the reference writes them. The selection is neither empty nor everything.
#
# The generator starts at a fixed time, so both runs write the same records.
#
# Environment (set by ctest): OFD_BIN. No fixed sleeps.
set -u
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

: "${OFD_BIN:?}"
E2E_DIR=$(mktemp -d "${TMPDIR:-/tmp}/ofd-skip.XXXXXX") || e2e_die "mktemp failed"
trap e2e_cleanup EXIT
trap 'exit 1' INT TERM HUP
cd "$E2E_DIR" || exit 1

GEN='- segment: generator
  config: {count: 3000, seed: 7, start_time: 1700000000}'

# check VARIANT INVERT REF_FILTER: skip on "proto tcp and dst port <1024" with invert INVERT;
# the first writer must equal the flows REF_FILTER keeps
check() {
	E2E_VARIANT=$1
	cat >"ref-$1.yml" <<YML
$GEN
- segment: json
  config: {filename: ref-all-$1.json}
- segment: flowfilter
  config: {filter: "$3"}
- segment: json
  config: {filename: ref-through-$1.json}
YML
	cat >"skip-$1.yml" <<YML
$GEN
- segment: Skip
  config:
    condition: proto tcp and dst port <1024
    invert: $2
- segment: json
  config: {filename: through-$1.json}
- segment: json
  config: {filename: all-$1.json}
YML
	"$OFD_BIN" -c "ref-$1.yml" 2>"ref-$1.err" || e2e_die "the reference failed: $(cat "ref-$1.err")"
	"$OFD_BIN" -c "skip-$1.yml" 2>"skip-$1.err" || e2e_die "the skip pipeline failed: $(cat "skip-$1.err")"
	local all through
	all=$(wc -l <"ref-all-$1.json")
	through=$(wc -l <"ref-through-$1.json")
	expect_eq "reference records" "$all" 3000
	if [ "$through" -eq 0 ] || [ "$through" -ge "$all" ]; then e2e_fail "the filter keeps $through of $all"; fi
	expect_eq "records through the skipped writer" "$(wc -l <"through-$1.json")" "$through"
	cmp -s "through-$1.json" "ref-through-$1.json" || e2e_fail "the skipped writer's records differ from $3"
	cmp -s "all-$1.json" "ref-all-$1.json" || e2e_fail "the writer after the skip lacks records"
	grep -q "segment branch (skip-$1.yml:3)" "skip-$1.err" ||
		e2e_fail "no branch on the skip's line in the summary: $(cat "skip-$1.err")"
}

check plain false "not (proto tcp and dst port <1024)"
check invert true "proto tcp and dst port <1024"
e2e_result
