#!/bin/sh
# Install the named Debian packages that are missing; do nothing when all are present.
set -eu
# keep only the missing packages in "$@" (the loop's word list is read once, before the shifts)
for p in "$@"; do
	shift
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || set -- "$@" "$p"
done
[ $# -eq 0 ] && exit 0
echo "installing: $*"
if [ "$(id -u)" != 0 ]; then
	echo "missing Debian packages: $*; run as root or install them" >&2
	exit 1
fi
# tshark asks whether non-root users may capture; answer no, non-interactively.
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
export DEBIAN_FRONTEND=noninteractive
# Servers among the packages (influxdb, postgresql, snmpd ...) are started by the tests that
# need them, on loopback with ports of their own: keep the packages from starting services.
policy=/usr/sbin/policy-rc.d
own_policy=
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' >"$policy"
	chmod 755 "$policy"
	own_policy=1
fi
apt-get update -qq
rc=0
apt-get install -y -qq --no-install-recommends "$@" || rc=$?
[ -n "$own_policy" ] && rm -f "$policy"
exit "$rc"
