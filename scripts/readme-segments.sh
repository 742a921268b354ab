#!/bin/bash
# The README's segment reference is the output of `overflowd --segments --markdown`, between
# the lines `<!-- segments:begin -->` and `<!-- segments:end -->`.
#
#   scripts/readme-segments.sh OVERFLOWD README          rewrite the section in place (make readme)
#   scripts/readme-segments.sh --check OVERFLOWD README  exit 1 with a diff when it is not
#                                                        current (make check-readme)
#
# Everything outside the markers is kept byte for byte. Exit status: 0 current or rewritten,
# 1 not current (--check), 2 usage, a missing or doubled marker, or overflowd failing.
set -euo pipefail

BEGIN='<!-- segments:begin -->'
END='<!-- segments:end -->'

check=0
if [ "${1:-}" = --check ]; then
	check=1
	shift
fi
if [ $# -ne 2 ]; then
	echo "usage: $0 [--check] OVERFLOWD README.md" >&2
	exit 2
fi
bin=$1
readme=$2

nbegin=$(grep -cxF -- "$BEGIN" "$readme" || true)
nend=$(grep -cxF -- "$END" "$readme" || true)
if [ "$nbegin" != 1 ] || [ "$nend" != 1 ]; then
	echo "$readme: needs exactly one line '$BEGIN' and one '$END' (found $nbegin and $nend)" >&2
	exit 2
fi
if [ "$(grep -nxF -- "$BEGIN" "$readme" | cut -d: -f1)" -gt "$(grep -nxF -- "$END" "$readme" | cut -d: -f1)" ]; then
	echo "$readme: '$END' comes before '$BEGIN'" >&2
	exit 2
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/readme-segments.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

if ! "$bin" --segments --markdown >"$tmp/section.md"; then
	echo "$bin --segments --markdown failed" >&2
	exit 2
fi
# the lines up to the begin marker, the section, the lines from the end marker on
awk -v begin="$BEGIN" -v end="$END" -v section="$tmp/section.md" '
	$0 == end { skip = 0 }
	!skip { print }
	$0 == begin {
		while ((getline line <section) > 0) print line
		close(section)
		skip = 1
	}
' "$readme" >"$tmp/readme.md"

if cmp -s "$readme" "$tmp/readme.md"; then
	exit 0
fi
if [ "$check" = 1 ]; then
	diff -u --label "$readme" --label "$readme (from $bin --segments --markdown)" \
		"$readme" "$tmp/readme.md" || true
	echo "$readme: the segment reference is not current: run 'make readme'" >&2
	exit 1
fi
cat "$tmp/readme.md" >"$readme"
echo "$readme: segment reference rewritten"
