#!/bin/bash
# Calibration (ctest sim_calib): overflowd's picks against the simulator's count. For a few
# scenarios small enough to run for real, a spoofed flood seen by one exporter sampling 1:N is
# written as NetFlow v5 (tests/tools/mkspoofed: the simulator's own model of the export), fed to
# `overflowd -f CAPTURE -r R [--raw-counts] --seed S`, and the tracers it selects (its summary's
# "selected") are compared with `ofd-sim --calib` for the same scenario: over K captures and
# seeds the mean count must lie within 3 standard errors of the simulator's expectation, and
# every single count within the simulator's 99.9 % interval.
set -euo pipefail
build=${OFD_BUILD:?}
bin=${OFD_BIN:-$build/overflowd}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export OVERFLOWD_KEY=$tmp/key
K=10
fail=0

# RATE SECONDS N r normalize(1|0)
check() {
	local rate=$1 secs=$2 N=$3 r=$4 norm=$5 sum=0
	local raw=() simraw=()
	if [ "$norm" = 0 ]; then
		raw=(--raw-counts)
		simraw=(--raw)
	fi
	local sim
	sim=$("$build/ofd-sim" --calib --rate "$rate" --duration "$secs" --sampling "$N" -r "$r" \
		"${simraw[@]}" --runs 20000 --seed 1)
	local expect sd lo hi
	expect=$(awk '{for (i = 1; i < NF; i++) if ($i == "expected") print $(i + 1)}' <<<"$sim")
	sd=$(awk '{for (i = 1; i < NF; i++) if ($i == "sd") print $(i + 1)}' <<<"$sim")
	lo=$(awk '{for (i = 1; i < NF; i++) if ($i == "q0005") print $(i + 1)}' <<<"$sim")
	hi=$(awk '{for (i = 1; i < NF; i++) if ($i == "q9995") print $(i + 1)}' <<<"$sim")
	local counts=""
	for s in $(seq 1 $K); do
		"$build/mkspoofed" "$tmp/c.pcap" "$rate" "$secs" "$N" "$s" >/dev/null
		local n
		n=$("$bin" -f "$tmp/c.pcap" -r "$r" "${raw[@]}" --seed "$s" 2>&1 >/dev/null |
			sed -n 's/^tracers: flows [0-9]*, selected \([0-9]*\).*/\1/p')
		[ -n "$n" ] || { echo "no tracer summary from overflowd"; exit 1; }
		counts="$counts $n"
		sum=$((sum + n))
		if [ "$n" -lt "$lo" ] || [ "$n" -gt "$hi" ]; then
			echo "FAIL: R=$rate T=$secs N=$N r=$r norm=$norm seed $s: $n outside [$lo, $hi]"
			fail=1
		fi
	done
	local verdict
	verdict=$(awk -v s="$sum" -v k=$K -v e="$expect" -v sd="$sd" 'BEGIN {
		m = s / k; se = sd / sqrt(k); d = m - e; if (d < 0) d = -d
		printf "%s mean %.2f expected %.2f se %.2f", (d <= 3 * se ? "ok" : "FAIL"), m, e, se }')
	echo "R=$rate T=$secs N=$N r=$r normalize=$norm: overflowd counts$counts; $verdict; sim 99.9% [$lo, $hi]"
	case $verdict in FAIL*) fail=1 ;; esac
}

check 10000 600 1000 1e-4 1  # normalized: 0.1 per record, 600 expected
check 10000 600 1000 1e-2 0  # raw counts: 0.01 per record, 60 expected (N times fewer than 1e-2 x N)
check 2000 10 1 1e-3 1       # unsampled: 20 expected
check 100000 60 4096 1e-3 1  # saturated: r N > 1, every record picked: R T / N = 1464.8 expected
exit $fail
