#!/usr/bin/env bash
# The influx output in a whole pipeline: the bundled v5 sample (pcap input) -> protomap ->
# influx (jobs: 2, so two writer connections; api auto) into a real InfluxDB 1.6 (Debian's
# influxd, started here on 127.0.0.1 with free ports and a scratch directory). Every record
# must be a point: the counts and byte sums per ProtoName read back with a query equal those
# of `overflowd dump` of the same sample; the output's counters say written, no loss, and one
# fallback from the v2 API (1.6 has none) to /write.
set -u
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
bin=${OFD_BIN:?} src=${OFD_SRC:?}
command -v influxd >/dev/null || e2e_skip "influxd not installed"
command -v python3 >/dev/null || e2e_skip "python3 not installed"
E2E_DIR=$(mktemp -d)
trap e2e_cleanup EXIT
tmp=$E2E_DIR
sample=$src/examples/netflow_4M.pcap.gz

freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port=$(freeport)
rpc=$(freeport)
cat >"$tmp/influxd.conf" <<EOF
reporting-disabled = true
bind-address = "127.0.0.1:$rpc"
[meta]
  dir = "$tmp/meta"
[data]
  dir = "$tmp/data"
  wal-dir = "$tmp/wal"
  query-log-enabled = false
[http]
  bind-address = "127.0.0.1:$port"
  log-enabled = false
[monitor]
  store-enabled = false
[continuous_queries]
  enabled = false
EOF
setsid influxd -config "$tmp/influxd.conf" >"$tmp/influxd.log" 2>&1 &
E2E_PIDS="$E2E_PIDS $!"
url=http://127.0.0.1:$port
e2e_wait 30 curl -sf -o /dev/null "$url/ping" || e2e_die "influxd did not start: $(tail -3 "$tmp/influxd.log")"
curl -sf -XPOST "$url/query" --data-urlencode "q=CREATE DATABASE e2e" >/dev/null || e2e_die "CREATE DATABASE"

cat >"$tmp/pipeline.yml" <<EOF
- segment: pcap
  config: {filename: $sample}
- segment: protomap
- segment: influx
  jobs: 2
  config: {address: "$url", org: o, bucket: e2e, token: t, tags: "ProtoName,SamplerAddress", batchsize: 2000}
EOF
"$bin" -c "$tmp/pipeline.yml" 2>"$tmp/run.err" || e2e_die "overflowd exited $?: $(tail -3 "$tmp/run.err")"
grep -q 'segment influx .*written 78684, lost 0, retried 0, .*api_fallbacks 1' "$tmp/run.err" ||
	e2e_die "counters: $(grep 'segment influx' "$tmp/run.err")"

# expected: records and bytes per protocol, from dump's CSV (which names protocols as protomap)
"$bin" dump --format csv "$sample" 2>/dev/null >"$tmp/all.csv" || e2e_die "dump"
col() { head -1 "$tmp/all.csv" | tr , '\n' | grep -nx "$1" | cut -d: -f1; }
pc=$(col proto) bc=$(col bytes)
awk -F, -v p="$pc" -v b="$bc" 'NR > 1 { n[$p]++; s[$p] += $b }
	END { for (k in n) print k, n[k], s[k] }' "$tmp/all.csv" | sort >"$tmp/want"

curl -sf -XPOST "$url/query" --data-urlencode "db=e2e" \
	--data-urlencode "q=SELECT count(Bytes), sum(Bytes) FROM flowdata GROUP BY ProtoName" >"$tmp/got.json" ||
	e2e_die "query"
python3 - "$tmp/got.json" >"$tmp/got" <<'PY' || e2e_die "query answer: $(head -c 300 "$tmp/got.json")"
import json, sys
for s in json.load(open(sys.argv[1]))["results"][0]["series"]:
    v = s["values"][0]
    print(s["tags"]["ProtoName"], v[1], v[2])
PY
sort -o "$tmp/got" "$tmp/got"
diff "$tmp/want" "$tmp/got" >"$tmp/diff" || e2e_die "points differ from the records: $(cat "$tmp/diff")"
[ "$(awk '{ n += $2 } END { print n }' "$tmp/got")" = 78684 ] || e2e_die "not 78684 points"
echo "PASS: 78684 records as points, counts and byte sums per ProtoName as dumped"
