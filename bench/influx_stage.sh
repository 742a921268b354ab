#!/usr/bin/env bash
# bench/influx_stage.sh BUILD_DIR: the influx output into a real InfluxDB (Debian's influxd 1.6,
# started here on 127.0.0.1 with a scratch directory), side by side with the server's own bulk
# path in the same run: curl --data-binary @file.lp of the same line protocol (bench_influx
# --lp renders it with the output's renderer: the v5 sample x TIMES, ProtoName tag, Bytes and
# Packets fields, distinct timestamps) into another database of the same server.
#
# Rows: the renderer alone (records per CPU-second of one thread); the output with W workers
# (records per wall second = what the server took, and per CPU-second of the client process);
# curl (one POST of the whole file, and the file in chunks of BATCH lines over one keep-alive
# connection), with the server's CPU-seconds for each phase (from /proc/PID/stat) and the points
# counted back with a query.
#
# The server takes any body size and series count (1.6 counts the series of a request before it
# folds them: one POST of more than 1M points is refused by the default limit of 1M).
#
# Environment: OFD_DATA (default ../shared/data), OUT (default BUILD/bench-out), TIMES (default
# 10), WORKERS (default "1 2"), BATCH (default 5000).
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$(cd "${1:-$SRC/build}" && pwd)
DATA=$(cd "${OFD_DATA:-$SRC/../shared/data}" && pwd)
OUT=${OUT:-$BUILD/bench-out}
TIMES=${TIMES:-10}
WORKERS=${WORKERS:-1 2}
BATCH=${BATCH:-5000}
export OFD_DATA=$DATA
mkdir -p "$OUT"
command -v influxd >/dev/null || { echo "influxd not installed" >&2; exit 77; }
[ -x "$BUILD/bench_influx" ] || { echo "bench_influx not built" >&2; exit 77; }

dir=$(mktemp -d /tmp/ofd-influx-bench-XXXXXX)
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT

freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port=$(freeport)
rpc=$(freeport)
cat >"$dir/influxd.conf" <<EOF
reporting-disabled = true
bind-address = "127.0.0.1:$rpc"
[meta]
  dir = "$dir/meta"
[data]
  dir = "$dir/data"
  wal-dir = "$dir/wal"
  query-log-enabled = false
  max-series-per-database = 0
[http]
  bind-address = "127.0.0.1:$port"
  log-enabled = false
  max-body-size = 0
[monitor]
  store-enabled = false
[continuous_queries]
  enabled = false
[logging]
  level = "warn"
EOF
influxd -config "$dir/influxd.conf" >"$OUT/influxd.log" 2>&1 &
pid=$!
URL=http://127.0.0.1:$port
curl -sf --retry 60 --retry-connrefused --retry-delay 1 -o /dev/null "$URL/ping"

q() { # q DB QUERY: the JSON answer
	curl -sf -XPOST "$URL/query" --data-urlencode "db=$1" --data-urlencode "q=$2"
}
count() { q "$1" 'SELECT count(Bytes) FROM flowdata' | sed -n 's/.*"values":\[\[[^,]*,\([0-9]*\)\]\].*/\1/p'; }
server_cpu() { awk '{ print ($14 + $15) / 100 }' "/proc/$pid/stat"; }
row() { printf '| %s | %s | %s | %s | %s |\n' "$@"; }

for db in bulk chunks $(for w in $WORKERS; do echo "seg$w"; done); do
	q "" "CREATE DATABASE $db" >/dev/null
done

echo "| path | records/s (wall) | records per client CPU-second | server CPU-s | points read back |"
echo "|---|---|---|---|---|"

# the renderer, and the file for curl
"$BUILD/bench_influx" --times "$TIMES" --lp "$OUT/influx.lp" --render-only "$URL" none >"$OUT/influx-render.txt"
render=$(grep '^RESULT' "$OUT/influx-render.txt")
records=$(sed -n 's/.* records=\([0-9]*\).*/\1/p' <<<"$render")
row "render (lineproto, 1 thread)" "-" "$(sed -n 's/.* rate=\([0-9]*\).*/\1/p' <<<"$render")" "-" "-"

for w in $WORKERS; do
	s0=$(server_cpu)
	"$BUILD/bench_influx" --times "$TIMES" "$URL" "seg$w" "api: v1, workers: $w" >"$OUT/influx-seg$w.txt" \
		2>"$OUT/influx-seg$w.err"
	s1=$(server_cpu)
	res=$(grep '^RESULT' "$OUT/influx-seg$w.txt")
	row "influx output, workers $w" "$(sed -n 's/.* rate=\([0-9]*\).*/\1/p' <<<"$res")" \
		"$(sed -n 's/.* rate_per_core=\([0-9]*\).*/\1/p' <<<"$res")" \
		"$(awk -v a="$s0" -v b="$s1" 'BEGIN { printf "%.2f", b - a }')" "$(count "seg$w")"
	echo "<!-- $res -->"
done

# curl: the whole file in one POST
s0=$(server_cpu)
TIMEFORMAT='%R %U %S'
t=$({ time curl -s -o "$OUT/curl-bulk.out" -w '%{http_code}\n' --data-binary "@$OUT/influx.lp" \
	"$URL/write?db=bulk&precision=ns" >"$OUT/curl-bulk.status"; } 2>&1) || true
s1=$(server_cpu)
read -r real user sys <<<"$t"
row "curl --data-binary @file.lp (one POST)" "$(awk -v n="$records" -v r="$real" 'BEGIN { printf "%.0f", n / r }')" \
	"$(awk -v n="$records" -v u="$user" -v s="$sys" 'BEGIN { printf "%.0f", n / (u + s + 1e-9) }')" \
	"$(awk -v a="$s0" -v b="$s1" 'BEGIN { printf "%.2f", b - a }')" "$(count bulk)"

# curl: chunks of BATCH lines, one keep-alive connection (curl --next)
split -l "$BATCH" -d -a 5 "$OUT/influx.lp" "$dir/chunk."
: >"$dir/curl.cfg"
first=1
for f in "$dir"/chunk.*; do
	[ $first = 1 ] || echo "next" >>"$dir/curl.cfg"
	first=0
	printf 'url = "%s/write?db=chunks&precision=ns"\ndata-binary = "@%s"\noutput = "/dev/null"\nsilent\nfail\n' \
		"$URL" "$f" >>"$dir/curl.cfg"
done
s0=$(server_cpu)
t=$({ time curl -K "$dir/curl.cfg"; } 2>&1) || true
s1=$(server_cpu)
read -r real user sys <<<"$t"
row "curl, chunks of $BATCH lines, keep-alive" "$(awk -v n="$records" -v r="$real" 'BEGIN { printf "%.0f", n / r }')" \
	"$(awk -v n="$records" -v u="$user" -v s="$sys" 'BEGIN { printf "%.0f", n / (u + s + 1e-9) }')" \
	"$(awk -v a="$s0" -v b="$s1" 'BEGIN { printf "%.2f", b - a }')" "$(count chunks)"
echo
echo "records per run: $records (the v5 sample x $TIMES); file: $(stat -c %s "$OUT/influx.lp") bytes"
