#!/bin/bash
# The systemd units of dist/systemd/ without systemd as PID 1: `systemd-analyze verify` on both
# (the binary path pointed at the build), then each unit's ExecStart line run as systemd would
# (the unit's Environment, /etc/overflowd and /var/lib/overflowd mapped into a temporary
# directory) with NOTIFY_SOCKET on a socket this test reads and WATCHDOG_USEC set:
#   - READY=1 arrives, and at that moment the listeners are bound: the pipeline's UDP input is
#     in `ss` and its /metrics answers, the receiver's HTTP port answers, on the first try
#   - WATCHDOG=1 pings follow; STOPPING=1 after SIGTERM, and the process exits 0
#   - stderr connected "to the journal" (JOURNAL_STREAM = its device:inode) carries <N> syslog
#     priorities ("<6>info: ..."); with JOURNAL_STREAM naming another file, none
set -u
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

: "${OFD_BIN:?}" "${OFD_SRC:?}"
e2e_need systemd-analyze python3 curl ss
E2E_DIR=$(mktemp -d "${TMPDIR:-/tmp}/ofd-systemd.XXXXXX") || e2e_die "mktemp failed"
trap e2e_cleanup EXIT
D=$E2E_DIR
UNITS=$OFD_SRC/dist/systemd

E2E_VARIANT=verify
mkdir "$D/units" "$D/etc" "$D/state"
sed "s|/usr/bin/overflowd|$OFD_BIN|g" "$UNITS/overflowd@.service" >"$D/units/overflowd@example.service"
sed "s|/usr/bin/overflowd|$OFD_BIN|g" "$UNITS/overflowd-receive.service" >"$D/units/overflowd-receive.service"
if (cd "$D/units" && systemd-analyze verify --man=no ./overflowd@example.service ./overflowd-receive.service) \
	>"$D/verify.out" 2>&1; then
	echo "ok: systemd-analyze verify"
else
	e2e_fail "systemd-analyze verify: $(cat "$D/verify.out")"
fi
expect_eq "verify output" "$(cat "$D/verify.out")" ""
for u in "overflowd@example" overflowd-receive; do
	f=$D/units/$u.service
	expect_eq "$u Type" "$(sed -n 's/^Type=//p' "$f")" notify
	grep -q '^WatchdogSec=[1-9]' "$f" || e2e_fail "$u: no WatchdogSec"
	grep -q '^SystemCallFilter=@system-service$' "$f" || e2e_fail "$u: no SystemCallFilter=@system-service"
	for k in ProtectSystem=strict PrivateTmp=yes NoNewPrivileges=yes StateDirectory=overflowd User=overflowd; do
		grep -qx "$k" "$f" || e2e_fail "$u: no $k"
	done
done
expect_eq "pipeline capabilities" "$(sed -n 's/^CapabilityBoundingSet=//p' "$D/units/overflowd@example.service")" \
	"CAP_NET_RAW CAP_NET_BIND_SERVICE"
expect_eq "receiver capabilities" "$(sed -n 's/^CapabilityBoundingSet=//p' "$D/units/overflowd-receive.service")" \
	"CAP_NET_BIND_SERVICE"

# cmdline UNITFILE: its ExecStart= with the instance and the paths mapped into $D, one word a line
cmdline() {
	sed -n 's/^ExecStart=//p' "$1" | sed -e "s|%i|example|g" -e "s|/etc/overflowd|$D/etc|g" \
		-e "s|/var/lib/overflowd|$D/state|g" -e "s| \\\$OVERFLOWD_RECEIVE_ARGS||" | tr ' ' '\n'
}

# start NAME UNITFILE EXTRA...: the unit's command line (plus EXTRA) in the background, its
# notifications in $D/NAME.notify, stderr in $D/NAME.err "connected to the journal"
start() {
	local name=$1 unit=$2 pid
	shift 2
	local -a cmd
	mapfile -t cmd < <(cmdline "$unit")
	e2e_bg NPID python3 "$OFD_SRC/tests/e2e/sdnotify_listen.py" "$D/$name.sock" "$D/$name.notify"
	e2e_wait 10 test -S "$D/$name.sock" || e2e_die "notify listener did not start"
	: >"$D/$name.err"
	(
		cd "$D/state" || exit 1
		export OVERFLOWD_KEY=$D/state/signing.key NOTIFY_SOCKET=$D/$name.sock WATCHDOG_USEC=400000
		# shellcheck disable=SC2094 # stat reads the inode of the file stderr appends to: no content
		exec env JOURNAL_STREAM="$(stat -c '%d:%i' "$D/$name.err")" setsid "${cmd[@]}" "$@" >"$D/$name.out" 2>>"$D/$name.err"
	) &
	pid=$!
	E2E_PIDS="$E2E_PIDS $pid"
	LAST_PID=$pid
}

# shellcheck disable=SC2317 # called through e2e_wait
ready() { grep -q 'READY=1' "$1"; }

# stop NAME PID: SIGTERM, STOPPING=1, exit 0
stop() {
	local name=$1 pid=$2 rc
	kill -TERM "$pid"
	wait "$pid"
	rc=$?
	expect_eq "$name exit status" "$rc" 0
	grep -q '^STOPPING=1' "$D/$name.notify" || e2e_fail "$name: no STOPPING=1: $(cat "$D/$name.notify")"
}

E2E_VARIANT=pipeline
UDP=$(e2e_free_port) || e2e_die "no free port"
MET=$(e2e_free_port) || e2e_die "no free port"
cat >"$D/etc/example.yml" <<YML
metrics: 127.0.0.1:$MET
pipeline:
- segment: udp
  config:
    listen: udp://127.0.0.1:$UDP
- segment: count
YML
start pipe "$D/units/overflowd@example.service" -l info
pipe_pid=$LAST_PID
e2e_wait 20 ready "$D/pipe.notify" || e2e_die "pipeline: no READY=1: $(cat "$D/pipe.err")"
# at READY, without a retry: the input's socket and the metrics listener are bound
[ -n "$(ss -Hlun "sport = :$UDP")" ] || e2e_fail "READY before the UDP input was bound"
curl -sf --max-time 5 "http://127.0.0.1:$MET/metrics" >"$D/metrics" || e2e_fail "READY before /metrics answered"
grep -q '^READY=1 STATUS=running$' "$D/pipe.notify" || e2e_fail "pipeline READY line: $(cat "$D/pipe.notify")"
e2e_wait 10 grep -q '^WATCHDOG=1$' "$D/pipe.notify" || e2e_fail "pipeline: no WATCHDOG=1"
stop pipe "$pipe_pid"
grep -q '^<6>info: .*stopping' "$D/pipe.err" || e2e_fail "no '<6>info: ... stopping' line: $(cat "$D/pipe.err")"
if grep -q '^overflowd: info:' "$D/pipe.err"; then e2e_fail "a line without its priority prefix"; fi
expect_eq "notifications in order" "$(grep -v '^WATCHDOG' "$D/pipe.notify" | tr '\n' '|')" \
	"listening|READY=1 STATUS=running|STOPPING=1|"

E2E_VARIANT=receive
UDP=$(e2e_free_port) || e2e_die "no free port"
HTTP=$(e2e_free_port) || e2e_die "no free port"
start recv "$D/units/overflowd-receive.service" --udp "127.0.0.1:$UDP" --http "127.0.0.1:$HTTP"
recv_pid=$LAST_PID
e2e_wait 20 ready "$D/recv.notify" || e2e_die "receive: no READY=1: $(cat "$D/recv.err")"
[ -n "$(ss -Hlun "sport = :$UDP")" ] || e2e_fail "READY before the UDP listener was bound"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$HTTP/metrics")
expect_eq "HTTP at READY" "$code" 200
e2e_wait 10 grep -q '^WATCHDOG=1$' "$D/recv.notify" || e2e_fail "receive: no WATCHDOG=1"
stop recv "$recv_pid"
[ -f "$D/state/tracers.db" ] || e2e_fail "no database in the state directory"

E2E_VARIANT=not-journal
# JOURNAL_STREAM of another file (a child whose stderr is not the journal): plain lines
: >"$D/other"
PORT=$(e2e_free_port) || e2e_die "no free port"
cat >"$D/etc/plain.yml" <<YML
pipeline:
- segment: udp
  config:
    listen: udp://127.0.0.1:$PORT
YML
JOURNAL_STREAM=$(stat -c '%d:%i' "$D/other") setsid "$OFD_BIN" -c "$D/etc/plain.yml" -l info \
	>/dev/null 2>"$D/plain.err" &
ppid=$!
E2E_PIDS="$E2E_PIDS $ppid"
e2e_wait 10 e2e_listening "$PORT" || e2e_fail "plain: not listening: $(cat "$D/plain.err")"
kill -TERM "$ppid"
wait "$ppid"
grep -q '^overflowd: info: .*stopping' "$D/plain.err" || e2e_fail "plain: $(cat "$D/plain.err")"
if grep -q '^<[0-9]>' "$D/plain.err"; then e2e_fail "priority prefix without the journal"; fi
e2e_result
