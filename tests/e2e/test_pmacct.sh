#!/bin/bash
# pmacctd (Debian's pmacct) turns mkflows' capture into NetFlow v5, v9 and IPFIX (plugin
# nfprobe) and into sFlow v5 (plugin sfprobe, sampling rate 1); `overflowd dump` receives the
# export over 127.0.0.1 and its records must equal tshark's decoding of the same datagrams
# (see lib.sh for what is compared).
#
# pmacctd reads the capture (pcap_savefile, after a 2 s pause it always takes) and exits at
# its end, after the plugins have flushed; it may exit with status 1 there after a complete
# export, so its status is only logged.

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh" || exit 1

e2e_need pmacctd
e2e_init

# run_variant NAME KIND PLUGIN-CONFIG-LINES
run_variant() {
	E2E_VARIANT=pmacctd-$1
	local kind=$2 conf=$3 dir=$E2E_DIR/pmacctd-$1 port
	mkdir "$dir"
	port=$(e2e_free_port) || e2e_die "no free UDP port"
	{
		echo "daemonize: false"
		echo "pcap_savefile: $E2E_DIR/in.pcap"
		echo "pidfile: $dir/pmacctd.pid"
		echo "logfile: $dir/pmacctd.log"
		printf '%s\n' "$conf" | sed "s/PORT/$port/g"
	} >"$dir/pmacctd.conf"
	e2e_start "$dir" "$port"
	e2e_bg PM_PID pmacctd -f "$dir/pmacctd.conf" >"$dir/pmacctd.out" 2>&1
	e2e_reap "$PM_PID" 40
	if [ "$E2E_RC" = 255 ] || [ "$E2E_RC" = 137 ]; then
		cat "$dir/pmacctd.log" "$dir/pmacctd.out" 2>/dev/null
		e2e_fail "pmacctd did not finish the capture within 40s"
		return
	fi
	[ "$E2E_RC" = 0 ] || e2e_log "[$E2E_VARIANT] pmacctd exited with status $E2E_RC"
	e2e_collect "$dir" "$port" "$kind"
}

# Flows expire after a second of idleness (and at the end of the capture).
NFPROBE='plugins: nfprobe[exp]
nfprobe_receiver[exp]: 127.0.0.1:PORT
nfprobe_timeouts[exp]: tcp=1:tcp.rst=1:tcp.fin=1:udp=1:icmp=1:general=1:maxlife=60:expint=1'

run_variant v5 cflow "$NFPROBE
nfprobe_version[exp]: 5"
run_variant v9 cflow "$NFPROBE
nfprobe_version[exp]: 9"
run_variant ipfix cflow "$NFPROBE
nfprobe_version[exp]: 10"
run_variant sflow sflow 'plugins: sfprobe[exp]
sfprobe_receiver[exp]: 127.0.0.1:PORT
sfprobe_agentip[exp]: 127.0.0.1
sfprobe_sampling_rate[exp]: 1'
e2e_result
