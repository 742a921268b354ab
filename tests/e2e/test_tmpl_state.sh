#!/bin/bash
# Template persistence across a restart (`overflowd dump --state FILE`).
#
# softflowd (Debian's package) turns mkflows' capture into IPFIX with 1-in-2 packet sampling:
# its first datagram holds the templates, the options template and the options data
# (samplingPacketInterval/Space, systemInitTimeMilliseconds) and records; the later ones hold
# records only. tcpdump records the export; its datagrams are then replayed from one UDP socket
# of this shell (one source port, so one exporter) to `overflowd dump`:
#
#   run 1  --state F --state-interval 1: the datagrams up to the last one with templates; the
#          periodic save must write F while it runs; SIGTERM saves F again.
#   run 2  --state F: only the data datagrams. Every record must decode, equal to tshark's
#          decoding of the whole export (times through the saved systemInitTime), with the
#          saved sampling rate 2, and nothing may be dropped as unknown-template.
#   run 3  no state (the control): the same data datagrams are all unknown-template drops.
#
# Datagrams are turned from tshark's hex into files with printf %b; `cat FILE >&3` sends each as
# one datagram. No fixed sleeps: every wait polls a condition (e2e_wait).

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh" || exit 1

e2e_need softflowd softflowctl
e2e_init
E2E_VARIANT=tmpl-state
dir=$E2E_DIR/tmpl-state
mkdir "$dir" "$dir/dg" "$dir/run1" "$dir/run2" || e2e_die "mkdir"
state=$dir/templates.state

# sf_read CTL N: softflowd has processed, left out by sampling or ignored all N packets.
# shellcheck disable=SC2317 # called through e2e_wait
sf_read() {
	softflowctl -c "$1" statistics 2>/dev/null |
		awk -v n="$2" '/Packets processed:/ { p = $3 } /Packets non-sampled:/ { s = $3 }
			/Ignored packets:/ { i = $3 } END { exit !(p + s + i == n) }'
}

# --- the export -------------------------------------------------------------------------
port=$(e2e_free_port) || e2e_die "no free UDP port"
e2e_start "$dir" "$port"
e2e_bg SF_PID softflowd -r "$E2E_DIR/in.pcap" -n "127.0.0.1:$port" -v 10 -s 2 -a -d \
	-c "$dir/ctl" -p "$dir/softflowd.pid" >"$dir/softflowd.log" 2>&1
if ! e2e_wait "$E2E_WAIT_S" sf_read "$dir/ctl" "$E2E_NPKTS"; then
	cat "$dir/softflowd.log"
	e2e_die "softflowd did not read all of in.pcap within ${E2E_WAIT_S}s"
fi
softflowctl -c "$dir/ctl" expire-all >/dev/null 2>&1
softflowctl -c "$dir/ctl" shutdown >/dev/null 2>&1
e2e_reap "$SF_PID" "$E2E_WAIT_S"
e2e_finish_capture "$dir" "$port"
kill -TERM "$OFD_PID" 2>/dev/null
e2e_reap "$OFD_PID" 10

# frames.txt: frame number, set ids, payload (hex) of each export datagram (not the marker)
tshark -n -r "$dir/export.pcap" -d "udp.port==$port,cflow" -Y "!(frame contains \"$E2E_MARK\")" \
	-T fields -e frame.number -e cflow.flowset_id -e udp.payload >"$dir/frames.txt" 2>/dev/null
# the last frame with a template or options template set: frames up to it go to run 1
last_tmpl=$(awk -F'\t' '{ n = split($2, s, ","); for (i = 1; i <= n; i++) if (s[i] == 2 || s[i] == 3) k = $1 }
	END { print k + 0 }' "$dir/frames.txt")
nframes=$(wc -l <"$dir/frames.txt")
e2e_log "export: $nframes datagrams, templates up to frame $last_tmpl"
[ "$last_tmpl" -ge 1 ] || e2e_die "softflowd sent no IPFIX templates"
[ "$nframes" -gt "$last_tmpl" ] || e2e_die "softflowd sent no datagram after its templates"
while IFS=$'\t' read -r num _ hex; do
	printf '%b' "$(printf '%s' "$hex" | sed 's/../\\x&/g')" >"$dir/dg/$(printf '%05d' "$num").bin"
	[ "$(wc -c <"$dir/dg/$(printf '%05d' "$num").bin")" = $((${#hex} / 2)) ] || e2e_die "frame $num: hex to bytes"
done <"$dir/frames.txt"
head_frames=$(awk -F'\t' -v k="$last_tmpl" '$1 <= k { printf "%05d ", $1 }' "$dir/frames.txt")
data_frames=$(awk -F'\t' -v k="$last_tmpl" '$1 > k { printf "%05d ", $1 }' "$dir/frames.txt")
# data sets in the data frames: each is one unknown-template drop without the state
data_sets=$(awk -F'\t' -v k="$last_tmpl" '$1 > k { n += split($2, s, ",") } END { print n + 0 }' "$dir/frames.txt")

# tshark's records: of the whole export, of the head frames alone (they carry their templates),
# and so of the data frames (the multiset difference)
e2e_norm_cflow "$port" "$dir/export.pcap" | LC_ALL=C sort >"$dir/all.txt"
tshark -n -r "$dir/export.pcap" -Y "frame.number <= $last_tmpl" -w "$dir/head.pcap" 2>/dev/null
e2e_norm_cflow "$port" "$dir/head.pcap" | LC_ALL=C sort >"$dir/run1/expected.txt"
LC_ALL=C comm -23 "$dir/all.txt" "$dir/run1/expected.txt" >"$dir/run2/expected.txt"
n1=$(wc -l <"$dir/run1/expected.txt")
n2=$(wc -l <"$dir/run2/expected.txt")
e2e_log "tshark: $(wc -l <"$dir/all.txt") records, $n1 in the template datagrams, $n2 in $data_sets data sets after them"
[ "$n2" -gt 0 ] || e2e_die "no records after the templates"
[ "$((n1 + n2))" = "$(wc -l <"$dir/all.txt")" ] || e2e_die "tshark's records of the head frames are not in the whole"

# --- the replays -------------------------------------------------------------------------
port2=$(e2e_free_port) || e2e_die "no free UDP port"
# one socket for all runs: the same source port, so the same exporter to overflowd
exec 3>"/dev/udp/127.0.0.1/$port2" || e2e_die "cannot open a UDP socket"

# start_dump DIR [dump options]: overflowd dump on port2, CSV to DIR/out.csv, stderr DIR/err.txt
start_dump() {
	local d=$1
	shift
	e2e_bg OFD_PID "$OFD_BIN" dump --format csv "$@" "udp://127.0.0.1:$port2" >"$d/out.csv" 2>"$d/err.txt"
	if ! e2e_wait "$E2E_WAIT_S" e2e_listening "$port2" || e2e_dead "$OFD_PID"; then
		cat "$d/err.txt"
		e2e_die "overflowd did not start listening on 127.0.0.1:$port2"
	fi
}

send_frames() {
	local f
	for f in "$@"; do
		cat "$dir/dg/$f.bin" >&3 || e2e_die "cannot send frame $f"
	done
}

# stop_dump DIR N: wait until N records are printed, then SIGTERM (which saves the state)
stop_dump() {
	e2e_stop_ofd "$1" "$2"
}

# shellcheck disable=SC2317 # called through e2e_wait, which shellcheck does not follow
state_has_templates() { [ -f "$state" ] && [ "$(wc -c <"$state")" -gt 64 ]; }

# run 1: the templates; the periodic save writes them while dump runs
E2E_VARIANT=run1-templates
start_dump "$dir/run1" --state "$state" --state-interval 1
grep -q "template state $state: no file yet" "$dir/run1/err.txt" || e2e_fail "run 1 did not report a missing state file"
# shellcheck disable=SC2086 # a list of frame names
send_frames $head_frames
if ! e2e_wait "$E2E_WAIT_S" state_has_templates; then
	e2e_fail "the periodic save did not write templates to $state within ${E2E_WAIT_S}s"
fi
stop_dump "$dir/run1" "$n1"
e2e_norm_ofd "$dir/run1/out.csv" >"$dir/run1/got.txt"
e2e_compare "$dir/run1" got
e2e_check_summary "$dir/run1" err.txt "$n1"
saved=$(sed -n "s|^template state $state: saved \([0-9]*\) templates of 1 exporters$|\1|p" "$dir/run1/err.txt")
if [ -z "$saved" ] || [ "$saved" -lt 2 ]; then
	e2e_fail "run 1 did not save templates at exit: $(grep template "$dir/run1/err.txt")"
fi
[ -f "$state.tmp" ] && e2e_fail "$state.tmp left behind"

# run 2: data only, decoded with the loaded state
E2E_VARIANT=run2-data-only
start_dump "$dir/run2" --state "$state"
loaded=$(sed -n "s|^template state $state: loaded \([0-9]*\) templates, \([0-9]*\) options templates of 1 exporters (saved [0-9]* s ago; skipped 0 stale, 0 refused)$|\1 \2|p" "$dir/run2/err.txt")
if [ -z "$loaded" ]; then
	e2e_fail "run 2 did not load the state: $(grep template "$dir/run2/err.txt")"
else
	read -r lt lo <<<"$loaded"
	expect_eq "templates and options templates loaded" "$((lt + lo))" "$saved"
	[ "$lo" -ge 1 ] || e2e_fail "no options template loaded"
fi
# shellcheck disable=SC2086
send_frames $data_frames
stop_dump "$dir/run2" "$n2"
e2e_norm_ofd "$dir/run2/out.csv" >"$dir/run2/got.txt"
e2e_compare "$dir/run2" got
e2e_check_summary "$dir/run2" err.txt "$n2"
expect_eq "records decoded from data-only datagrams" "$(($(wc -l <"$dir/run2/out.csv") - 1))" "$n2"
grep -q "unknown_template" "$dir/run2/err.txt" && e2e_fail "run 2 counted unknown-template data: $(grep unknown_template "$dir/run2/err.txt")"
rates=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "sampling_rate") c = i; next } { print $c }' \
	"$dir/run2/out.csv" | sort -u | tr '\n' ' ')
expect_eq "sampling rates of run 2 (from the saved options data)" "$rates" "2 "

# run 3, the control: without the state the same datagrams decode to nothing. The head frames
# are sent after them: once their records are out, the data frames were handled (one socket).
E2E_VARIANT=run3-control
mkdir "$dir/run3"
start_dump "$dir/run3"
# shellcheck disable=SC2086
send_frames $data_frames $head_frames
stop_dump "$dir/run3" "$n1"
expect_eq "records without the state" "$(($(wc -l <"$dir/run3/out.csv") - 1))" "$n1"
expect_eq "unknown-template drops without the state" \
	"$(sed -n 's/^  dropped unknown_template: //p' "$dir/run3/err.txt")" "$data_sets"

exec 3>&-
e2e_result
