#!/bin/bash
# SIGHUP reloads data files while `overflowd -c` runs (and does not end it): stdin (a FIFO) ->
# geolocation (matchboth) -> json. The database is first MaxMind's Country test database (one
# address is GB); it is replaced by rename with the ASN test database (no countries) and the
# process gets a real SIGHUP: later flows of the same address have no country, the process runs
# on, and its exit summary counts the reload. Then a database that cannot be opened: the old one
# stays (a flow keeps no country: the ASN database), the process runs on.
#
# Environment (set by ctest): OFD_BIN, OFD_DATA. No fixed sleeps.
set -u
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

: "${OFD_BIN:?}" "${OFD_DATA:?}"
"$OFD_BIN" --segments 2>/dev/null | grep -q '^geolocation ' || e2e_skip "geolocation not in this build (libmaxminddb)"
E2E_DIR=$(mktemp -d "${TMPDIR:-/tmp}/ofd-reload.XXXXXX") || e2e_die "mktemp failed"
trap e2e_cleanup EXIT
trap 'exit 1' INT TERM
cd "$E2E_DIR" || exit 1
E2E_VARIANT=sighup

cp "$OFD_DATA/GeoIP2-Country-Test.mmdb" geo.mmdb || e2e_die "no test database"
mkfifo in || e2e_die "mkfifo failed"
cat >reload.yml <<'YML'
- segment: stdin
  config: {filename: in, eofcloses: true}
- segment: geolocation
  config: {filename: geo.mmdb, matchboth: true, cachesize: 0}
- segment: json
  config: {filename: out.json}
YML
e2e_bg PID "$OFD_BIN" -c reload.yml 2>err.txt
exec 3>in

LINE='{"src_addr":"2.125.160.216","dst_addr":"192.0.2.1","bytes":1}'
lines() { [ -f out.json ] && wc -l <out.json || echo 0; }
# shellcheck disable=SC2317 # called through e2e_wait
has_lines() { [ "$(lines)" -ge "$1" ]; }
last_country() { tail -1 out.json | sed -n 's/.*"src_country":"\([A-Z]*\)".*/\1/p'; }

# send LINE until a record comes out whose country is $1 ("" for none); bounded
send_until() {
	local want=$1 i
	for i in $(seq 1 50); do
		local n
		n=$(lines)
		echo "$LINE" >&3
		e2e_wait 10 has_lines $((n + 1)) || return 1
		[ "$(last_country)" = "$want" ] && return 0
		[ "$i" -gt 1 ] && e2e_wait 1 false
	done
	return 1
}

send_until GB || e2e_fail "no GB before the reload: $(tail -1 out.json; cat err.txt)"
cp "$OFD_DATA/GeoLite2-ASN-Test.mmdb" geo.new && mv geo.new geo.mmdb
kill -HUP "$PID"
send_until "" || e2e_fail "still a country after SIGHUP: $(tail -1 out.json; cat err.txt)"
kill -0 "$PID" 2>/dev/null || e2e_fail "SIGHUP ended the process: $(cat err.txt)"

E2E_VARIANT=bad-file
echo "not a database" >geo.new && mv geo.new geo.mmdb
kill -HUP "$PID"
e2e_wait 10 grep -q "geo.mmdb" err.txt || e2e_fail "the failed reload was not logged: $(cat err.txt)"
send_until "" || e2e_fail "a flow after the failed reload: $(tail -1 out.json)"
kill -0 "$PID" 2>/dev/null || e2e_fail "a failed reload ended the process: $(cat err.txt)"

exec 3>&-
e2e_reap "$PID" 20
[ "$E2E_RC" = 0 ] || e2e_fail "exit status $E2E_RC: $(tail -5 err.txt)"
grep -q "reloads 1\b\|reloads=1\b\|reloads: 1\b" err.txt || e2e_fail "no 'reloads 1' in the summary: $(grep -i reload err.txt)"
e2e_result
