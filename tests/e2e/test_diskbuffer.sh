#!/bin/bash
# diskbuffer end to end: `overflowd -c` with generator -> diskbuffer -> json, where the generator
# outruns the JSON writer so that batches go to disk and come back. The output must equal the
# same flows written without a diskbuffer, byte for byte (nothing lost, nothing twice, the
# order kept), and the buffer directory must be empty at the end. Then a restart: SIGTERM while
# batches are on disk leaves them there; a second run (stdin input, empty) delivers them; the
# two outputs together are the reference's first records, in order.
#
# Environment (set by ctest): OFD_BIN. No fixed sleeps.
set -u
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

: "${OFD_BIN:?}"
"$OFD_BIN" --segments 2>/dev/null | grep -qw diskbuffer || e2e_skip "no diskbuffer in this build"
E2E_DIR=$(mktemp -d "${TMPDIR:-/tmp}/ofd-diskbuffer.XXXXXX") || e2e_die "mktemp failed"
trap e2e_cleanup EXIT
trap 'exit 1' INT TERM HUP
cd "$E2E_DIR" || exit 1
mkdir buf

GEN='- segment: generator
  config: {count: COUNT, seed: 3, start_time: 1700000000}'

gen() { printf '%s\n' "${GEN/COUNT/$1}"; }

{
	gen 300000
	printf -- '- segment: json\n  config: {filename: ref.json}\n'
} >ref.yml
{
	gen 300000
	printf -- '- segment: diskbuffer\n  config: {bufferdir: %s/buf}\n' "$E2E_DIR"
	printf -- '- segment: json\n  config: {filename: out.json}\n'
} >db.yml
"$OFD_BIN" -c ref.yml 2>ref.err || e2e_die "reference run failed: $(cat ref.err)"
"$OFD_BIN" -c db.yml 2>db.err || e2e_die "diskbuffer run failed: $(cat db.err)"
cmp -s ref.json out.json || e2e_die "output differs from the reference ($(wc -l <out.json) vs $(wc -l <ref.json) lines)"
[ -z "$(ls buf)" ] || e2e_die "buffer files left: $(ls buf)"
spilled=$(sed -n 's/.*segment diskbuffer.* spilled \([0-9]*\),.*/\1/p' db.err)
e2e_log "run 1: $(wc -l <out.json) records, $spilled of them through the disk"

# restart: stop while batches are on disk
{
	gen 0
	printf -- '- segment: diskbuffer\n  config: {bufferdir: %s/buf}\n' "$E2E_DIR"
	printf -- '- segment: json\n  config: {filename: out1.json}\n'
} >stop.yml
sed -i 's/count: 0/count: 100000000/' stop.yml
ofd_pid=""
has_files() { compgen -G 'buf/*.ofdspill' >/dev/null; }
e2e_bg ofd_pid "$OFD_BIN" -c stop.yml 2>stop.err
e2e_wait 20 has_files || e2e_die "no buffer file appeared"
kill -TERM "$ofd_pid"
e2e_reap "$ofd_pid" 30
[ "$E2E_RC" = 0 ] || e2e_die "stopped run exited $E2E_RC: $(cat stop.err)"
has_files || e2e_die "nothing left on disk after the stop"
{
	printf -- '- segment: stdin\n  config: {eofcloses: true}\n'
	printf -- '- segment: diskbuffer\n  config: {bufferdir: %s/buf}\n' "$E2E_DIR"
	printf -- '- segment: json\n  config: {filename: out2.json}\n'
} >next.yml
"$OFD_BIN" -c next.yml </dev/null 2>next.err || e2e_die "second run failed: $(cat next.err)"
[ -z "$(ls buf)" ] || e2e_die "buffer files left after the second run: $(ls buf)"
n1=$(wc -l <out1.json)
n2=$(wc -l <out2.json)
[ "$n2" -gt 0 ] || e2e_die "the second run delivered nothing"
{
	gen $((n1 + n2))
	printf -- '- segment: json\n  config: {filename: ref2.json}\n'
} >ref2.yml
"$OFD_BIN" -c ref2.yml 2>ref2.err || e2e_die "second reference run failed"
cat out1.json out2.json | cmp -s - ref2.json || e2e_die "the two runs together differ from the reference"
e2e_log "restart: $n1 records before the stop, $n2 from disk after it"
echo "ok: diskbuffer keeps every record once and in order, across a restart"
