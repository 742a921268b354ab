#!/bin/bash
# sqlite and replay end to end: the shared NetFlow v5 capture through `pcap -> sqlite`, checked
# with the sqlite3 CLI (WAL, integrity, flowpipeline's 149 columns, indexes, the row count),
# read back by `replay -> json` and compared with `pcap -> json`: identical line for line when
# the two goflow2 fields EnrichedFlow lacks (EngineType, EngineId) are stored too, and equal but
# for those with the default columns. Then a small file with known times: replayed in time
# order over 10 s (the run takes 10 s to 11.5 s: the start of a loaded process counts too; the 10 ms precision per flow is seg_replay's),
# a file that is not a database refused with the reason, and SIGTERM in the middle of a timed
# replay into a sqlite output: every flow replayed is in the file.
#
# Environment (set by ctest): OFD_BIN, OFD_DATA. No fixed sleeps.
set -u
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

: "${OFD_BIN:?}" "${OFD_DATA:?}"
PCAP=$OFD_DATA/netflow_4M.pcap
[ -r "$PCAP" ] || e2e_skip "$PCAP is missing"
command -v python3 >/dev/null || e2e_skip "python3 is missing"
command -v sqlite3 >/dev/null || e2e_skip "the sqlite3 CLI is missing"
E2E_DIR=$(mktemp -d "${TMPDIR:-/tmp}/ofd-sqlite.XXXXXX") || e2e_die "mktemp failed"
trap e2e_cleanup EXIT
trap 'exit 1' INT TERM HUP
cd "$E2E_DIR" || exit 1

run() { # NAME: overflowd -c NAME.yml, stderr in NAME.err
	"$OFD_BIN" -c "$1.yml" 2>"$1.err" || e2e_die "pipeline $1 failed: $(tail -3 "$1.err")"
}

E2E_VARIANT=default-columns
cat >ref.yml <<YML
- segment: pcap
  config: {filename: "$PCAP"}
- segment: json
  config: {filename: ref.json}
YML
cat >write.yml <<YML
- segment: pcap
  config: {filename: "$PCAP"}
- segment: sqlite
  config: {filename: all.sqlite, batchsize: 5000}
YML
cat >rd.yml <<YML
- segment: replay
  config: {filename: all.sqlite, ignoretiming: true}
- segment: json
  config: {filename: all.json}
YML
run ref
run write
run rd
REF=$(wc -l <ref.json)
[ "$REF" -gt 50000 ] || e2e_die "the reference has $REF records"
[ "$(sqlite3 all.sqlite 'PRAGMA journal_mode')" = wal ] || e2e_fail "not in WAL mode"
[ "$(sqlite3 all.sqlite 'PRAGMA integrity_check')" = ok ] || e2e_fail "integrity_check"
[ "$(sqlite3 all.sqlite 'SELECT count(*) FROM flows')" = "$REF" ] || e2e_fail "rows != $REF"
[ "$(sqlite3 all.sqlite "SELECT count(*) FROM pragma_table_info('flows')")" = 149 ] || e2e_fail "not 149 columns"
[ "$(sqlite3 all.sqlite "SELECT count(*) FROM sqlite_master WHERE type = 'index'")" = 7 ] || e2e_fail "indexes"
[ "$(sqlite3 all.sqlite "SELECT Type, SrcAddr, Proto FROM flows WHERE rowid = 1")" = \
	"$(python3 -c 'import json,sys; r=json.loads(open("ref.json").readline()); print("%s|%s|%d" % (r["type"], r["src_addr"], 6 if r["proto"]=="TCP" else 17 if r["proto"]=="UDP" else -1))')" ] ||
	e2e_fail "first row: $(sqlite3 all.sqlite 'SELECT Type, SrcAddr, Proto FROM flows WHERE rowid = 1')"
grep -Eq "written $REF, insert_errors 0, lost 0" write.err || e2e_fail "sqlite counters: $(grep written write.err)"
grep -Eq "replayed $REF, bad_rows 0, read_errors 0" rd.err || e2e_fail "replay counters: $(grep replayed rd.err)"
python3 - ref.json all.json <<'PY' || e2e_fail "replayed records differ from the capture's"
import json, sys
a = open(sys.argv[1]).read().splitlines()
b = open(sys.argv[2]).read().splitlines()
if len(a) != len(b):
    sys.exit("%d records, %d replayed" % (len(a), len(b)))
bad = 0
for i, (x, y) in enumerate(zip(a, b)):
    x, y = json.loads(x), json.loads(y)
    for r in (x, y):  # goflow2's, not EnrichedFlow's: not among the default columns
        r.pop("engine_type", None), r.pop("engine_id", None)
    if x != y:
        bad += 1
        if bad < 4:
            print("record", i + 1, {k: (x.get(k), y.get(k)) for k in set(x) | set(y) if x.get(k) != y.get(k)})
sys.exit(1 if bad else 0)
PY

E2E_VARIANT=identical
COLS=$(sqlite3 all.sqlite "SELECT group_concat(name, ',') FROM pragma_table_info('flows')")
cat >write2.yml <<YML
- segment: pcap
  config: {filename: "$PCAP"}
- segment: sqlite
  config: {filename: more.sqlite, fields: "$COLS,EngineType,EngineId"}
YML
sed "s/all\./more./g" rd.yml >rd2.yml
run write2
run rd2
cmp -s ref.json more.json || e2e_fail "replay json != capture json: $(cmp ref.json more.json)"

E2E_VARIANT=timing
{
	echo "CREATE TABLE flows (TimeReceivedNs INTEGER, SrcAddr TEXT, DstAddr TEXT, Bytes INTEGER, Packets INTEGER);"
	for ms in 10000 0 2500 5000 7500 1 9999; do
		echo "INSERT INTO flows VALUES ($((1700000000000 + ms))000000, '10.0.0.1', '10.0.0.2', $ms, 1);"
	done
} | sqlite3 timed.sqlite || e2e_die "sqlite3 could not build timed.sqlite"
cat >timed.yml <<YML
- segment: replay
  config: {filename: timed.sqlite}
- segment: json
  config: {filename: timed.json}
YML
T0=$(date +%s%N)
run timed
T1=$(date +%s%N)
MS=$(((T1 - T0) / 1000000))
{ [ "$MS" -ge 10000 ] && [ "$MS" -lt 11500 ]; } || e2e_fail "a 10 s replay took $MS ms"
[ "$(python3 -c 'import json,sys; print(" ".join(str(json.loads(l)["bytes"]) for l in open("timed.json")))')" = \
	"0 1 2500 5000 7500 9999 10000" ] || e2e_fail "not in time order: $(cat timed.json)"

E2E_VARIANT=hostile
python3 -c 'import sys; sys.stdout.write("this is a text file, not a database\n" * 100)' >junk.sqlite
sed 's/timed\./junk./g' timed.yml >junk.yml
if "$OFD_BIN" -c junk.yml 2>junk.err; then
	e2e_fail "a file that is not a database was accepted"
fi
grep -q "junk.sqlite: not a sqlite output's file: file is not a database" junk.err ||
	e2e_fail "no reason given: $(cat junk.err)"

E2E_VARIANT=sigterm
cat >term.yml <<YML
- segment: replay
  config: {filename: timed.sqlite}
- segment: sqlite
  config: {filename: term.sqlite, fields: [TimeReceivedNs, Bytes], batchsize: 1000}
YML
"$OFD_BIN" -c term.yml 2>term.err &
PID=$!
# wait (bounded) until the first flows were committed (flushinterval 1 s), then SIGTERM
# shellcheck disable=SC2317 # called through e2e_wait
committed() { [ "$(sqlite3 term.sqlite 'SELECT count(*) FROM flows' 2>/dev/null || echo 0)" -ge 2 ]; }
e2e_wait 20 committed ||
	e2e_fail "no rows committed in time"
kill -TERM "$PID"
wait "$PID" || e2e_fail "overflowd exited with $? on SIGTERM"
N=$(sqlite3 term.sqlite 'SELECT count(*) FROM flows')
R=$(sed -n 's/.*replayed \([0-9]*\),.*/\1/p' term.err)
{ [ -n "$R" ] && [ "$N" = "$R" ] && [ "$N" -lt 7 ]; } || e2e_fail "replayed $R, $N rows in the file: $(cat term.err)"
grep -q "written $N, insert_errors 0, lost 0" term.err || e2e_fail "counters: $(grep written term.err)"
e2e_result
