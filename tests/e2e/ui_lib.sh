# shellcheck shell=bash
# The receiver's web page tests' common part (test_ui.sh, test_ui_browser.sh): a receiver with
# --ui and --mine on 127.0.0.1, filled with real signed tracers of two keys over HTTP: key A
# (class INFORMATIONAL, a contact holding HTML and a script), key B (HUMAN_SUSPECTED, a plain
# contact). Sets D, UI (the page's base URL), KA, KB (the keys' hex), NA, NB (tracers each),
# HTML_CONTACT, MINE.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

: "${OFD_BIN:?}" "${OFD_BUILD:?}" "${OFD_DATA:?}"
PCAP=$OFD_DATA/netflow_4M.pcap
HTML_CONTACT='<img src=x onerror=alert(1)><script>alert(2)</script>'
MINE=122.166.0.0/16 # the sample's exporter network: flows from it and to it
E2E_DIR=$(mktemp -d "${TMPDIR:-/tmp}/ofd-ui.XXXXXX") || e2e_die "mktemp failed"
trap e2e_cleanup EXIT
D=$E2E_DIR
cd "$D" || exit 1

ui_start() {
	"$OFD_BIN" keygen -k ka >/dev/null 2>&1 || e2e_die "keygen"
	"$OFD_BIN" keygen -k kb >/dev/null 2>&1 || e2e_die "keygen"
	PH=$(e2e_free_port)
	PU=$(e2e_free_port)
	while [ "$PU" = "$PH" ]; do PU=$(e2e_free_port); done
	"$OFD_BIN" receive --udp none --http "127.0.0.1:$PH" --ui "$PU" --mine "$MINE" --mine 192.0.2.0/24 \
		--db rx.db >rx.out 2>rx.err &
	E2E_PIDS="$E2E_PIDS $!"
	e2e_wait 10 sh -c "ss -lnt | grep -q ':$PU '" || e2e_die "ui not listening: $(cat rx.err)"
	grep -q "ui 127.0.0.1:$PU (port $PU)" rx.err || e2e_die "ui line: $(cat rx.err)"
	UI="http://127.0.0.1:$PU"
	local to="http://127.0.0.1:$PH/.well-known/overflowd"
	"$OFD_BIN" -f "$PCAP" -r 1e-4 --seed 7 -k ka --contact "$HTML_CONTACT" --send-to "$to" >/dev/null 2>a.err ||
		e2e_die "sender a: $(cat a.err)"
	"$OFD_BIN" -f "$PCAP" -r 5e-5 --seed 3 -k kb --class HUMAN_SUSPECTED --contact noc@b.example \
		--send-to "$to" >/dev/null 2>b.err || e2e_die "sender b: $(cat b.err)"
	NA=$(sed -n 's/^tracers: flows [0-9]*, selected \([0-9]*\).*/\1/p' a.err)
	NB=$(sed -n 's/^tracers: flows [0-9]*, selected \([0-9]*\).*/\1/p' b.err)
	if [ "${NA:-0}" -le 50 ] || [ "${NB:-0}" -le 20 ]; then e2e_die "selected: $NA, $NB"; fi
	# every tracer stored (the writer commits within 50 ms of the last 202)
	e2e_wait 10 sh -c "[ \"\$(curl -sS '$UI/api/hourly?by=class' | jq '[.rows[].tracers] | add')\" = $((NA + NB)) ]" ||
		e2e_die "stored: $(curl -sS "$UI/api/hourly?by=class")"
	KA=$(curl -sS "$UI/api/tracers?limit=1&class=INFORMATIONAL" | jq -r '.rows[0].key')
	KB=$(curl -sS "$UI/api/tracers?limit=1&class=HUMAN_SUSPECTED" | jq -r '.rows[0].key')
	if [ ${#KA} != 64 ] || [ ${#KB} != 64 ]; then e2e_die "keys: $KA $KB"; fi
}
