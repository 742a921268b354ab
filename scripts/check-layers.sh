#!/bin/sh
# The layer rule of docs/ARCHITECTURE.md, section 2: every #include "DIR/..." under src/ must
# point at the including file's own layer, include/ofd/, or a layer below it. Prints every
# arrow that breaks the rule and exits 1; exit 0 when there is none.
set -eu
cd "$(dirname "$0")/.."

# allowed LAYER: the layers it may include (besides itself and ofd/)
allowed() {
	case "$1" in
	util) echo "" ;;
	net) echo "util" ;;
	core) echo "util net" ;;
	decode | format | flowfilter) echo "util net core" ;;
	meter) echo "util net core decode" ;;
	tracer) echo "util net core format flowfilter" ;;
	receiver) echo "util net core format flowfilter tracer" ;;
	obs) echo "util net core format decode" ;;
	segments) echo "util net core format flowfilter decode meter tracer receiver obs" ;;
	cli | main.c) echo "util net core format flowfilter decode meter tracer receiver obs segments cli" ;;
	*) echo "?" ;;
	esac
}

bad=0
for f in $(git ls-files 'src/*.c' 'src/*.h'); do
	layer=$(echo "$f" | cut -d/ -f2)
	ok=$(allowed "$layer")
	if [ "$ok" = "?" ]; then
		echo "$f: layer '$layer' is not in docs/ARCHITECTURE.md's table"
		bad=1
		continue
	fi
	incs=$(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f")
	# one include a line, read in this shell (a pipe into the loop would lose bad=1)
	while read -r inc; do
		case "$inc" in
		"") continue ;;
		*/*) target=${inc%%/*} ;;
		*) continue ;; # a header of its own folder
		esac
		[ "$target" = ofd ] || [ "$target" = "$layer" ] && continue
		case " $ok " in
		*" $target "*) ;;
		*)
			echo "$f: includes $inc: $layer may not include $target"
			bad=1
			;;
		esac
	done <<EOF
$incs
EOF
done
[ $bad = 0 ] && echo "layers: every include follows docs/ARCHITECTURE.md"
exit $bad
