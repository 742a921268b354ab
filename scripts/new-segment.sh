#!/bin/sh
# Start a new built-in segment: scripts/new-segment.sh NAME KIND
#
# Copies the template segment (scripts/new-segment/segment.c.in, or input.c.in for an input)
# to src/segments/KIND/NAME.c and its test (segment_test.c.in, input_test.c.in) to
# tests/seg/KIND_NAME.c, with the name and kind filled in, and appends the stanza
# `ofd_segment(NAME SOURCES KIND/NAME.c)` to src/segments/segments.cmake. Reconfigure and
# build: the segment is registered, has its option OFD_SEGMENT_<NAME>, and its test runs as
# the ctest seg_NAME. Both files compile and pass as generated; then make them yours.
#
# The new files are run through clang-format (the repository's .clang-format) when it is
# installed.
#
# NAME: [a-z][a-z0-9_]* (at most 40 characters), not a segment that exists, not "branch".
# KIND: input, flow, enrich, analyze or output.
set -eu

usage() {
	echo "usage: $0 NAME KIND" >&2
	echo "  NAME  [a-z][a-z0-9_]*, a segment that does not exist yet" >&2
	echo "  KIND  input | flow | enrich | analyze | output" >&2
	exit 2
}

die() {
	echo "$0: $*" >&2
	exit 1
}

[ $# -eq 2 ] || usage
name=$1
kind=$2
root=$(cd "$(dirname "$0")/.." && pwd)
tmpl="$root/scripts/new-segment"
stanzas="$root/src/segments/segments.cmake"
[ -f "$stanzas" ] || die "no src/segments/segments.cmake under $root"

case $name in
'' | [!a-z]* | *[!a-z0-9_]*) die "bad name '$name': [a-z][a-z0-9_]* expected" ;;
esac
[ ${#name} -le 40 ] || die "bad name '$name': at most 40 characters"
[ "$name" != branch ] || die "the name 'branch' is reserved for the engine"

case $kind in
input) enum=OFD_SEG_INPUT src=input.c.in test=input_test.c.in ;;
flow) enum=OFD_SEG_FLOW src=segment.c.in test=segment_test.c.in ;;
enrich) enum=OFD_SEG_ENRICH src=segment.c.in test=segment_test.c.in ;;
analyze) enum=OFD_SEG_ANALYZE src=segment.c.in test=segment_test.c.in ;;
output) enum=OFD_SEG_OUTPUT src=segment.c.in test=segment_test.c.in ;;
*) die "bad kind '$kind': one of input, flow, enrich, analyze, output" ;;
esac

# An existing segment of that name, in any kind: its stanza, its source or its test.
if grep -Eq "^[[:space:]]*ofd_segment\([[:space:]]*$name([[:space:]]|\))" "$stanzas"; then
	die "segment '$name' exists already (src/segments/segments.cmake)"
fi
for k in input flow enrich analyze output; do
	for f in "src/segments/$k/$name.c" "src/segments/$k/$name" "tests/seg/${k}_$name.c"; do
		if [ -e "$root/$f" ]; then
			die "segment '$name' exists already ($f)"
		fi
	done
done

out_src="src/segments/$kind/$name.c"
out_test="tests/seg/${kind}_$name.c"

fill() {
	sed -e "s/@NAME@/$name/g" -e "s/@KIND@/$kind/g" -e "s/@KIND_ENUM@/$enum/g" "$1"
}

mkdir -p "$root/src/segments/$kind" "$root/tests/seg"
fill "$tmpl/$src" >"$root/$out_src"
fill "$tmpl/$test" >"$root/$out_test"
printf 'ofd_segment(%s SOURCES %s/%s.c)\n' "$name" "$kind" "$name" >>"$stanzas"
# the name's length moves line breaks: format as the repository does, where clang-format is
if command -v clang-format >/dev/null 2>&1; then
	clang-format -i "$root/$out_src" "$root/$out_test"
fi

echo "created $out_src"
echo "created $out_test"
echo "added   ofd_segment($name SOURCES $kind/$name.c) to src/segments/segments.cmake"
echo "next: cmake -S . -B build && cmake --build build -j2 && (cd build && ctest -R '^seg_$name\$')"
