#!/bin/bash
# aggregate end to end: `overflowd -c` with pcap -> aggregate -> json on the shared NetFlow v5
# capture against pcap -> json. Every record arrives within the timeouts (1h), so the cache
# holds them all and empties itself at the end of input through drain batches: the output has
# one record per key (addresses, ports, proto, ip_tos, in_if) of the reference, each with the
# sum of its bytes and packets, the earliest start and the latest end; nothing is lost, the
# pipeline's counters say so, and protomap and addrstrings behind the cache see every flow.
#
# Environment (set by ctest): OFD_BIN, OFD_DATA. No fixed sleeps.
set -u
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

: "${OFD_BIN:?}" "${OFD_DATA:?}"
PCAP=$OFD_DATA/netflow_4M.pcap
[ -r "$PCAP" ] || e2e_skip "$PCAP is missing"
command -v python3 >/dev/null || e2e_skip "python3 is missing"
E2E_DIR=$(mktemp -d "${TMPDIR:-/tmp}/ofd-agg.XXXXXX") || e2e_die "mktemp failed"
trap e2e_cleanup EXIT
trap 'exit 1' INT TERM HUP
cd "$E2E_DIR" || exit 1
E2E_VARIANT=aggregate

cat >ref.yml <<YML
- segment: pcap
  config: {filename: "$PCAP"}
- segment: json
  config: {filename: ref.json}
YML
cat >agg.yml <<YML
- segment: pcap
  config: {filename: "$PCAP"}
- segment: aggregate
  config: {activetimeout: 1h, inactivetimeout: 1h, maxflows: 200000}
- segment: protomap
- segment: addrstrings
- segment: json
  config: {filename: agg.json}
YML
"$OFD_BIN" -c ref.yml 2>ref.err || e2e_die "the reference pipeline failed: $(cat ref.err)"
"$OFD_BIN" -c agg.yml 2>agg.err || e2e_die "the aggregate pipeline failed: $(cat agg.err)"

python3 - ref.json agg.json <<'PY' || e2e_fail "aggregated records differ from the reference"
import json, sys
KEY = ("src_addr", "dst_addr", "src_port", "dst_port", "proto", "ip_tos", "in_if")
want = {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    k = tuple(r[f] for f in KEY)
    w = want.setdefault(k, [0, 0, None, 0])
    w[0] += r["bytes"]
    w[1] += r["packets"]
    s = r["time_flow_start_ns"]
    w[2] = s if w[2] is None or (s and s < w[2]) else w[2]
    w[3] = max(w[3], r["time_flow_end_ns"])
got = {}
bad = 0
for line in open(sys.argv[2]):
    r = json.loads(line)
    k = tuple(r[f] for f in KEY)
    if k in got:
        print("key twice:", k); bad += 1
    got[k] = [r["bytes"], r["packets"], r["time_flow_start_ns"], r["time_flow_end_ns"]]
    if r.get("source_ip") != r["src_addr"] or r.get("proto_name") is None:
        print("not enriched:", line.strip()); bad += 1
print("reference records: %d keys: %d aggregated: %d" % (sum(1 for _ in open(sys.argv[1])), len(want), len(got)))
if set(got) != set(want):
    print("keys differ: %d missing, %d extra" % (len(set(want) - set(got)), len(set(got) - set(want))))
    bad += 1
for k in set(got) & set(want):
    if got[k] != want[k]:
        print("key", k, "got", got[k], "want", want[k]); bad += 1
        if bad > 5:
            break
sys.exit(1 if bad else 0)
PY

# the counters: in = the capture's records, out = the keys, none lost at the end
KEYS=$(wc -l <agg.json)
REF=$(wc -l <ref.json)
{ [ "$KEYS" -gt 1000 ] && [ "$KEYS" -lt "$REF" ]; } || e2e_fail "keys $KEYS of $REF records: no merging?"
grep -Eq "segment aggregate \(agg.yml:3\): in $REF out $KEYS dropped $((REF - KEYS))" agg.err ||
	e2e_fail "aggregate's counters: $(grep -E 'aggregate' agg.err | head -3)"
grep -Eq "flows_out $KEYS\b" agg.err || e2e_fail "flows_out: $(grep -E 'flows_out' agg.err)"
! grep -Eq "lost_at_end [1-9]|not emitted" agg.err || e2e_fail "flows left in the cache: $(grep lost agg.err)"
e2e_result
