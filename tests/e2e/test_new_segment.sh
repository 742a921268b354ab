#!/usr/bin/env bash
# scripts/new-segment.sh's output compiles as generated: the flow and the input templates and
# their tests are generated into a scratch copy of the scripts and compiled alone with the
# project's warnings as errors (a template that falls behind include/ofd/ fails here).
set -eu
src=${OFD_SRC:?}
cc=${CC:-cc}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/scripts" "$work/src/segments"
cp "$src/.clang-format" "$work/"
cp -r "$src/scripts/new-segment.sh" "$src/scripts/new-segment" "$work/scripts/"
: >"$work/src/segments/segments.cmake"
"$work/scripts/new-segment.sh" zz_flow flow >/dev/null
"$work/scripts/new-segment.sh" zz_input input >/dev/null
grep -qx 'ofd_segment(zz_flow SOURCES flow/zz_flow.c)' "$work/src/segments/segments.cmake"
grep -qx 'ofd_segment(zz_input SOURCES input/zz_input.c)' "$work/src/segments/segments.cmake"
for f in src/segments/flow/zz_flow.c src/segments/input/zz_input.c tests/seg/flow_zz_flow.c \
	tests/seg/input_zz_input.c; do
	"$cc" -std=c11 -Wall -Wextra -Werror -I"$src/include" -I"$src/src" -I"$src/tests/seg" \
		-c "$work/$f" -o "$work/out.o" || { echo "FAIL: $f does not compile as generated"; exit 1; }
done
echo "PASS: new-segment.sh templates compile"
