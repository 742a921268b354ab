#!/bin/bash
# The seed's labelled-dataset pipeline with pseudonymized addresses (examples/labelled-anon.yml:
# pcap -> anonymize -> branch on a flowfilter -> two CSV files -> count) on the shared capture
# netflow_4M.pcap (78,684 NetFlow v5 records). Checked against `overflowd dump` of the same
# capture by tests/e2e/anon_prefix_check.py: the split (UDP port 123: 487 records, the rest
# 78,197), every non-address column unchanged, the address mapping one-to-one, and prefixes
# kept: any two original addresses sharing exactly n leading bits have pseudonyms sharing
# exactly n (sorted neighbours and 200,000 random pairs). One pseudonym is pinned (the first
# record's source under the test key, the value nfanon gives too), and a second run with the
# key in nfanon's hex form of the same bytes gives the same files. A run without the key is
# refused with the config line and the reason, and so is a key of the wrong length.
#
# Environment (set by ctest): OFD_BIN, OFD_DATA, OFD_SRC.
set -u
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

: "${OFD_BIN:?}" "${OFD_DATA:?}" "${OFD_SRC:?}"
NF=$OFD_DATA/netflow_4M.pcap
[ -r "$NF" ] || e2e_skip "the shared capture is missing in $OFD_DATA"
"$OFD_BIN" --segments 2>/dev/null | grep -q '^anonymize ' || e2e_skip "the anonymize segment is not built (libcrypto)"
e2e_need python3 diff
E2E_DIR=$(mktemp -d "${TMPDIR:-/tmp}/ofd-anonlab.XXXXXX") || e2e_die "mktemp failed"
trap e2e_cleanup EXIT
trap 'exit 1' INT TERM HUP
D=$E2E_DIR
E2E_VARIANT=labelled
CFG=$OFD_SRC/examples/labelled-anon.yml
KEY=ExampleKeyWithExactly32Character

"$OFD_BIN" dump --format csv "$NF" >"$D/all.csv" 2>"$D/dump.err" || e2e_die "dump failed: $(cat "$D/dump.err")"
expect_eq "records dumped" "$(($(wc -l <"$D/all.csv") - 1))" 78684

OFD_ANON_KEY=$KEY "$OFD_BIN" -c "$CFG" "$NF" "$D/attack.csv" "$D/rest.csv" >"$D/run.out" 2>"$D/run.err" ||
	e2e_die "the pipeline failed: $(cat "$D/run.err")"
expect_eq "all flows" "$(sed -n 's/^all flows: //p' "$D/run.err")" \
	"78684 flows, 2862857 packets, 2048144412 bytes"
expect_eq "addresses anonymized" "$(grep -o 'addresses [0-9]*' "$D/run.err" | head -1)" "addresses 314736"
expect_eq "attack rows" "$(($(wc -l <"$D/attack.csv") - 1))" 487
expect_eq "rest rows" "$(($(wc -l <"$D/rest.csv") - 1))" 78197
# first record: 122.166.90.143 -> 182.167.185.111 under this key (nfanon -K gives the same)
expect_eq "first pseudonym" "$(sed -n 2p "$D/rest.csv" | cut -d, -f3)" 182.167.185.111
if python3 "$OFD_SRC/tests/e2e/anon_prefix_check.py" "$D/all.csv" ntp "$D/attack.csv" "$D/rest.csv" >"$D/check.out"; then
	cat "$D/check.out"
else
	cat "$D/check.out"
	e2e_fail "prefix check"
fi

# the same key bytes in nfanon's 0x form: the same files
hex=0x$(printf '%s' "$KEY" | od -An -tx1 | tr -d ' \n')
OFD_ANON_KEY=$hex "$OFD_BIN" -c "$CFG" "$NF" "$D/attack2.csv" "$D/rest2.csv" >/dev/null 2>"$D/run2.err" ||
	e2e_die "the pipeline failed with the hex key: $(cat "$D/run2.err")"
if diff -q "$D/rest.csv" "$D/rest2.csv" >/dev/null && diff -q "$D/attack.csv" "$D/attack2.csv" >/dev/null; then
	echo "ok: key $hex gives the same files"
else
	e2e_fail "the hex form of the key gave other pseudonyms"
fi

# no key: refused at start, with the config line and the reason
if env -u OFD_ANON_KEY "$OFD_BIN" -c "$CFG" "$NF" "$D/a3.csv" "$D/r3.csv" >/dev/null 2>"$D/run3.err"; then
	e2e_fail "a run without a key was not refused"
fi
expect_eq "refusal" "$(grep -c 'labelled-anon.yml:17: segment anonymize: key key: missing' "$D/run3.err")" 1
[ ! -e "$D/a3.csv" ] || e2e_fail "a refused run wrote a file"
# a key of the wrong length: refused with the line, the length and what is expected
if OFD_ANON_KEY=short "$OFD_BIN" -c "$CFG" --check "$NF" a b >/dev/null 2>"$D/run4.err"; then
	e2e_fail "a 5-character key was not refused"
fi
expect_eq "bad key length" "$(grep -c 'labelled-anon.yml:17: segment anonymize: key key: 5 characters; the key is 32 characters (32 bytes), or 0x and 64 hex digits' "$D/run4.err")" 1

e2e_result
