#!/bin/bash
# Every command answers --help and -h (usage naming the command on stdout, status 0) and a usage
# error (an unknown option: usage on stderr, nothing on stdout, status 2) without side effects:
# run with HOME, the working directory and OVERFLOWD_KEY pointing into an empty directory, which
# must stay empty (no signing key, no database, no capture file named --help). Also --version
# and -v: the version, the commit, the optional segments built in and left out.
set -u
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

: "${OFD_BIN:?}" "${OFD_SRC:?}"
E2E_DIR=$(mktemp -d "${TMPDIR:-/tmp}/ofd-cliusage.XXXXXX") || e2e_die "mktemp failed"
trap e2e_cleanup EXIT
D=$E2E_DIR
EMPTY=$D/empty # HOME and cwd of every run: must stay empty
mkdir "$EMPTY"
E2E_VARIANT=usage
SYSKEY=/var/lib/overflowd/signing.key
syskey_before=$([ -e "$SYSKEY" ] && echo yes || echo no)

# ofd OUT ERR ARG...: overflowd in the empty directory, stdin closed, bounded in time
ofd() {
	local out=$1 err=$2
	shift 2
	(cd "$EMPTY" && HOME=$EMPTY OVERFLOWD_KEY=$EMPTY/keys/signing.key timeout 10 "$OFD_BIN" "$@" \
		>"$out" 2>"$err" </dev/null)
}

# still_empty WHAT: nothing was created by the last run
still_empty() {
	local left
	left=$(find "$EMPTY" -mindepth 1 | tr '\n' ' ')
	if [ -n "$left" ]; then
		e2e_fail "$1: created $left"
		rm -rf "${EMPTY:?}"/* "$EMPTY"/.[!.]* 2>/dev/null
	else
		echo "ok: $1 created nothing"
	fi
	if [ "$syskey_before" = no ] && [ -e "$SYSKEY" ]; then
		e2e_fail "$1: created $SYSKEY"
	fi
}

# check NAME WANT ARG...: --help, -h and a bad option for one command; the usage must hold WANT
check() {
	local name=$1 want=$2 rc h
	shift 2
	for h in --help -h; do
		ofd "$D/out" "$D/err" "$@" "$h"
		rc=$?
		expect_eq "$name $h: status" "$rc" 0
		grep -qF -- "$want" "$D/out" || e2e_fail "$name $h: usage without '$want': $(head -3 "$D/out")"
		expect_eq "$name $h: stderr" "$(cat "$D/err")" ""
		still_empty "$name $h"
	done
	ofd "$D/out" "$D/err" "$@" --no-such-option
	rc=$?
	expect_eq "$name --no-such-option: status" "$rc" 2
	grep -qF -- "$want" "$D/err" || e2e_fail "$name --no-such-option: no usage on stderr: $(head -3 "$D/err")"
	expect_eq "$name --no-such-option: stdout" "$(cat "$D/out")" ""
	still_empty "$name --no-such-option"
}

# a bare unknown option is the run mode's (overflowd [-c CONFIG.yml] ...): its usage
check top 'usage: overflowd '
check dump 'usage: overflowd dump' dump
check replay 'usage: overflowd replay' replay
check run 'usage: overflowd [-c CONFIG.yml]' run
check "-c" 'usage: overflowd [-c CONFIG.yml]' -c pipeline.yml
check "-f" 'usage: overflowd -f FILE' -f
check "-f FILE" 'usage: overflowd -f FILE' -f capture.pcap
check "-u" 'usage: overflowd -f FILE' -u
check "-u PORT" 'usage: overflowd -f FILE' -u 7777
check keygen 'usage: overflowd keygen' keygen
check "keygen -k" 'usage: overflowd keygen' keygen -k "$EMPTY/new.key"
check verify 'usage: overflowd verify' verify
check receive 'usage: overflowd receive' receive
check "receive --db" 'usage: overflowd receive' receive --db "$EMPTY/tracers.db" --udp none --http none
check tracers 'usage: overflowd tracers' tracers
check keys 'usage: overflowd keys' keys

# usage errors past the options: an operand too many, a capture that is not there, a file
# option given an option; none may create the key the tracer mode would make
E2E_VARIANT=errors
for args in "keygen extra" "keygen -k $EMPTY/k1 extra" "verify a b" "-f $EMPTY/missing.pcap" \
	"-f --send" "-f $EMPTY/missing.pcap -r 2" "-u 0"; do
	# shellcheck disable=SC2086 # the words of $args are the arguments
	ofd "$D/out" "$D/err" $args
	expect_eq "$args: status" "$?" 2
	grep -qF 'usage: overflowd' "$D/err" || e2e_fail "$args: no usage on stderr: $(head -3 "$D/err")"
	still_empty "$args"
done

E2E_VARIANT=version
for v in --version -v; do
	ofd "$D/out" "$D/err" $v
	expect_eq "$v: status" "$?" 0
	expect_eq "$v: first line" "$(head -1 "$D/out")" "overflowd $(sed -n 's/^project(overflowd VERSION \([0-9.]*\).*/\1/p' "$OFD_SRC/CMakeLists.txt")"
	want=unknown
	if git -C "$OFD_SRC" rev-parse HEAD >/dev/null 2>&1; then
		want=$(git -C "$OFD_SRC" rev-parse HEAD)
	fi
	got=$(sed -n 's/^commit: //p' "$D/out")
	# the commit configured from: HEAD then, a prefix of the full id (HEAD may have moved since)
	if [ "$want" = unknown ]; then
		expect_eq "$v: commit" "$got" unknown
	elif [ -z "$got" ] || ! git -C "$OFD_SRC" cat-file -e "$got^{commit}" 2>/dev/null; then
		e2e_fail "$v: commit '$got' is not a commit of $OFD_SRC"
	else
		echo "ok: $v: commit $got"
	fi
	grep -q '^optional segments built in:' "$D/out" || e2e_fail "$v: no 'optional segments built in' line"
	grep -q '^segments left out:' "$D/out" || e2e_fail "$v: no 'segments left out' line"
	still_empty "$v"
done
# every optional segment of segments.cmake is either built in or left out with its reason, and
# the built-in ones are the ones --segments lists
"$OFD_BIN" --segments >"$D/segs" 2>&1 || e2e_fail "--segments failed"
# (a stanza may span lines: joined first)
tr '\n' ' ' <"$OFD_SRC/src/segments/segments.cmake" | grep -o 'ofd_segment([a-z_]* [^)]*PKGS[^)]*)' |
	sed 's/^ofd_segment(\([a-z_]*\) .*/\1/' >"$D/optional"
[ -s "$D/optional" ] || e2e_fail "no optional segment found in segments.cmake"
while read -r s; do
	if grep -q "^optional segments built in:.* $s\( \|$\)" "$D/out"; then
		grep -q "^  *$s\b" "$D/segs" || grep -q "^$s\b" "$D/segs" || e2e_fail "$s built in but not in --segments"
	elif grep -q "^  $s: " "$D/out"; then
		echo "ok: $s left out: $(sed -n "s/^  $s: //p" "$D/out")"
	else
		e2e_fail "optional segment $s neither built in nor left out"
	fi
done <"$D/optional"
e2e_result
