#!/bin/sh
# The default scenario set of the traceback simulator (`make sim`): sim.csv (a row per
# scenario), g_GROUP.csv (a file per sweep), tables.md and PNG plots into BUILD/sim/. Usage: sim/run.sh [BUILD_DIR] [ofd-sim options, e.g. --seed N --mrt FILE]
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$src/build}
[ $# -gt 0 ] && shift
out=$build/sim
mkdir -p "$out"
cmake --build "$build" -j2 --target ofd-sim >/dev/null
data=${OFD_DATA:-$src/../shared/data}
start=$(date +%s.%N)
"$build/ofd-sim" --mrt "$data/routeviews-jinx-rib-20140530-2200-subset.mrt" --csv "$out/sim.csv" "$@"
# one CSV per group (the plots' series), each with the header
awk -F, -v out="$out" 'NR == 1 { h = $0; next } { f = out "/g_" $1 ".csv"; if (!(f in seen)) { print h > f; seen[f] = 1 } print >> f }' "$out/sim.csv"
awk -F, -f "$src/sim/tables.awk" "$out/sim.csv" >"$out/tables.md"
if command -v gnuplot >/dev/null; then
	gnuplot -e "outdir='$out'" "$src/sim/plots.gp"
else
	echo "sim: gnuplot not found (Debian: apt-get install gnuplot-nox): CSV only" >&2
fi
end=$(date +%s.%N)
echo "sim: $out/sim.csv, tables.md and $(find "$out" -maxdepth 1 -name '*.png' | wc -l) plots in $(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }') s"
