#!/bin/bash
# Prefix files reloaded in a running `overflowd -c`: stdin -> remoteaddress (border) -> addcid ->
# normalize -> json. A flow is tagged with the id of the file in use; the file is replaced and
#   - SIGHUP (addcid with checkinterval 0: only the signal can reload it): the next flow has the
#     new id and the process goes on;
#   - a bad file and SIGHUP: the reload fails with FILE:LINE in the log, the old ids stay;
#   - a replaced file without a signal (checkinterval 100ms): picked up by itself.
# normalize's fallback multiplies the counters once. SIGTERM ends the run with status 0 and the
# summary counts the reloads.
#
# Environment (set by ctest): OFD_BIN. No fixed sleeps: every wait is bounded polling.
set -u
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

: "${OFD_BIN:?}"
E2E_DIR=$(mktemp -d "${TMPDIR:-/tmp}/ofd-prefix.XXXXXX") || e2e_die "mktemp failed"
trap e2e_cleanup EXIT
trap 'exit 1' INT TERM
cd "$E2E_DIR" || exit 1

FLOW='{"src_addr":"192.0.2.1","dst_addr":"10.1.1.1","bytes":100,"packets":2}'

# replace NAME TEXT: write a new file and move it over NAME (as an operator should)
replace() {
	printf '%s' "$2" >"$1.tmp" && mv "$1.tmp" "$1"
}

# shellcheck disable=SC2317 # called through e2e_wait
lines() { [ -f out.json ] && [ "$(wc -l <out.json)" -ge "$1" ]; }
# shellcheck disable=SC2317 # called through e2e_wait
logged() { grep -qF -- "$1" err.txt; }

# the cid of JSON line N
cid_of() { sed -n "$1p" out.json | grep -o '"cid":[0-9]*' | cut -d: -f2; }

# run VARIANT CHECKINTERVAL SIGNAL: three flows around two reloads
run() {
	E2E_VARIANT=$1
	local sig=$3
	rm -f out.json err.txt fifo
	replace ids.csv $'prefix,cid\n10.0.0.0/8,1\n::/0,5\n'
	cat >c.yml <<YML
- segment: stdin
- segment: remoteaddress
  config: {policy: border}
- segment: addcid
  config: {filename: ids.csv, checkinterval: $2}
- segment: normalize
  config: {fallback: 10}
- segment: json
  config: {filename: out.json}
YML
	mkfifo fifo
	exec 3<>fifo
	# (a background command's stdin is /dev/null unless redirected on the command itself)
	# shellcheck disable=SC2016 # $0 is expanded by the inner sh
	e2e_bg OFD_PID sh -c 'exec "$0" -l info -c c.yml <fifo 2>err.txt' "$OFD_BIN"
	echo "$FLOW" >&3
	e2e_wait 20 lines 1 || e2e_fail "no first record"
	expect_eq "first flow's cid" "$(cid_of 1)" 1
	expect_eq "normalized bytes" "$(sed -n 1p out.json | grep -o '"bytes":[0-9]*')" '"bytes":1000'

	replace ids.csv $'10.0.0.0/8,7\n'
	if [ "$sig" = 1 ]; then kill -HUP "$OFD_PID"; fi
	e2e_wait 20 logged "reloaded ids.csv" || e2e_fail "no reload logged"
	echo "$FLOW" >&3
	e2e_wait 20 lines 2 || e2e_fail "no second record"
	expect_eq "cid after the reload" "$(cid_of 2)" 7

	replace ids.csv $'10.0.0.0/8,7\n10.1.2.3/8,9\n'
	if [ "$sig" = 1 ]; then kill -HUP "$OFD_PID"; fi
	e2e_wait 20 logged "ids.csv:2: bad prefix '10.1.2.3/8'" || e2e_fail "the bad line was not logged"
	logged "keeping the prefixes loaded before" || e2e_fail "no word of keeping the table"
	echo "$FLOW" >&3
	e2e_wait 20 lines 3 || e2e_fail "no third record"
	expect_eq "cid after a failed reload" "$(cid_of 3)" 7

	kill -TERM "$OFD_PID"
	e2e_reap "$OFD_PID" 20
	exec 3>&-
	expect_eq "exit status" "$E2E_RC" 0
	expect_eq "summary" "$(grep '^segment addcid' err.txt | grep -o 'reloads [0-9]*, reload_failed [0-9]*')" \
		"reloads 1, reload_failed 1"
	[ -n "${E2E_KEEP:-}" ] || rm -f out.json
}

run sighup 0 1
run filechange 100ms 0
e2e_result
