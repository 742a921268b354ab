#!/usr/bin/env bash
# bench/postgres_stage.sh BUILD_DIR: the postgres output into a real PostgreSQL 15, side by side
# with psql's \copy of the same rows into the same table on the same server, in one run.
#
# Starts its own cluster (initdb in a temporary directory, Unix socket only, as nobody when run
# as root; fsync on, PostgreSQL's defaults otherwise), then for two column sets (a 12-column
# "core" set and all 149 of EnrichedFlow's) and workers 1 and 2 (and 1 without the indexes):
# drops the table, runs
# bench_postgres (the sample x TIMES through the output, the pool drained: every row is in),
# and reads the server's CPU time from /proc (the postmaster, its live children, and its reaped
# children's cutime/cstime). After the workers=1 run of each set it exports the table with
# `\copy flows TO file CSV`, truncates it (its indexes kept) and times
# `psql -c "\copy flows FROM file CSV"` of those very rows. Prints a table: rows per wall second,
# client and server CPU seconds, and rows per CPU-second (client, and client + server).
#
# Environment: OFD_DATA (default ../shared/data), TIMES (default 10: 786,840 rows), PGBIN
# (default /usr/lib/postgresql/15/bin), OUT (default BUILD/bench-out).
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$(cd "${1:-$SRC/build}" && pwd)
DATA=$(cd "${OFD_DATA:-$SRC/../shared/data}" && pwd)
OUT=${OUT:-$BUILD/bench-out}
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
TIMES=${TIMES:-10}
PCAP=$DATA/netflow_4M.pcap
mkdir -p "$OUT"
export OFD_DATA=$DATA

[ -x "$BUILD/bench_postgres" ] || { echo "bench_postgres not built" >&2; exit 1; }
[ -x "$PGBIN/postgres" ] || { echo "no PostgreSQL in $PGBIN" >&2; exit 1; }

work=$(mktemp -d /tmp/ofd-pgbench-XXXXXX)
chmod 755 "$work"
mkdir "$work/data" "$work/sock"
as_pg() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u nobody -- "$@"
	else
		"$@"
	fi
}
if [ "$(id -u)" = 0 ]; then
	chown nobody: "$work/data" "$work/sock"
	touch "$work/log" && chown nobody: "$work/log"
fi
cleanup() {
	as_pg "$PGBIN/pg_ctl" -D "$work/data" -m fast -w stop >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT
as_pg "$PGBIN/initdb" -D "$work/data" -A trust -U ofd -E UTF8 --locale=C --no-instructions >/dev/null
as_pg "$PGBIN/pg_ctl" -D "$work/data" -l "$work/log" -o "-k $work/sock -c listen_addresses=''" -w -t 60 \
	start >/dev/null
ci="host=$work/sock user=ofd dbname=postgres"
pm=$(head -1 "$work/data/postmaster.pid")
tck=$(getconf CLK_TCK)

pg() { PGOPTIONS='-c client_min_messages=warning' "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 "$ci" "$@"; }

# The server's CPU seconds so far: the postmaster, its live children, its reaped children.
server_cpu() {
	local sum=0 p
	for p in $pm $(pgrep -P "$pm"); do
		# fields after the command's closing parenthesis: utime is the 12th, cutime the 14th
		sum=$((sum + $(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | awk -v pm="$p" -v m="$pm" \
			'{ s = $12 + $13; if (pm == m) s += $14 + $15; print s }' || echo 0)))
	done
	awk -v t="$sum" -v k="$tck" 'BEGIN { printf "%.3f", t / k }'
}

# wait until only our own backend is connected (the others have exited and been reaped)
settle() {
	for _ in $(seq 1 200); do
		[ "$(pg -tAc "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'")" = 1 ] &&
			return 0
		sleep 0.05
	done
	echo "postgres_stage: other backends still connected after 10 s; the server CPU figure may include them" >&2
	return 0
}

row() { printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$@"; }
rates() { # rows wall client_cpu server_cpu -> rate per_client per_total
	awk -v n="$1" -v w="$2" -v c="$3" -v s="$4" 'BEGIN { printf "%.0f k %.0f k %.0f k", n / w / 1e3, n / c / 1e3, n / (c + s) / 1e3 }'
}

core="TimeFlowStartNs,TimeFlowEndNs,SrcAddr,DstAddr,SrcPort,DstPort,Proto,Bytes,Packets,InIf,OutIf,SamplerAddress"
echo "| run | rows | rows/s (wall) | client CPU s | server CPU s | rows per client CPU-s | rows per CPU-s (client+server) |"
echo "|---|---|---|---|---|---|---|"
for set in core all; do
	fields=()
	[ "$set" = core ] && fields=(--fields "$core")
	for run in 1 2 1-noindex; do
		w=${run%%-*}
		ix=live
		[ "$run" = 1-noindex ] && ix=none
		pg -c "DROP TABLE IF EXISTS flows" >/dev/null
		settle
		s0=$(server_cpu)
		"$BUILD/bench_postgres" --conninfo "$ci" --file "$PCAP" --times "$TIMES" --workers "$w" \
			--indexes "$ix" "${fields[@]}" >"$OUT/postgres-$set-w$run.txt"
		settle
		s1=$(server_cpu)
		line=$(grep '^RESULT' "$OUT/postgres-$set-w$run.txt")
		n=$(sed -n 's/.* records=\([0-9]*\).*/\1/p' <<<"$line")
		wall=$(sed -n 's/.* wall_s=\([0-9.]*\).*/\1/p' <<<"$line")
		cpu=$(sed -n 's/.* cpu_s=\([0-9.]*\).*/\1/p' <<<"$line")
		scpu=$(awk -v a="$s0" -v b="$s1" 'BEGIN { printf "%.3f", b - a }')
		read -r r1 u1 r2 u2 r3 u3 <<<"$(rates "$n" "$wall" "$cpu" "$scpu")"
		row "postgres $set workers=$w indexes=$ix" "$n" "$r1 $u1" "$cpu" "$scpu" "$r2 $u2" "$r3 $u3"
		[ "$(pg -tAc "SELECT count(*) FROM flows")" = "$n" ] || echo "| (rows missing in the table) |"
		if [ "$run" = 1 ]; then
			csv="$work/flows-$set.csv"
			pg -c "\\copy flows TO '$csv' CSV"
			pg -c "TRUNCATE flows" >/dev/null
			settle
			s0=$(server_cpu)
			TIMEFORMAT='%R %U %S'
			t=$( { time pg -c "\\copy flows FROM '$csv' CSV" >/dev/null; } 2>&1)
			settle
			s1=$(server_cpu)
			read -r pwall pu ps <<<"$t"
			pcpu=$(awk -v a="$pu" -v b="$ps" 'BEGIN { printf "%.3f", a + b }')
			scpu=$(awk -v a="$s0" -v b="$s1" 'BEGIN { printf "%.3f", b - a }')
			read -r r1 u1 r2 u2 r3 u3 <<<"$(rates "$n" "$pwall" "$pcpu" "$scpu")"
			row "psql \\copy CSV $set ($(du -m "$csv" | cut -f1) MB)" "$n" "$r1 $u1" "$pcpu" "$scpu" "$r2 $u2" "$r3 $u3"
			rm -f "$csv"
		fi
	done
done
