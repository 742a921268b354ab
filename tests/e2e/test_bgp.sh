#!/bin/bash
# The bgp segment end to end, through the binary: `overflowd -c c.yml` runs udp -> bgp -> json;
# BIRD 2 (../shared/data/bird-test.conf with its ports rewritten, as tests/seg/bird_peer.h does)
# connects to the segment's listener on 127.0.0.1 and announces its 10 routes. The test replays a
# capture (mkbgpflows: one IPFIX message, a flow to an address in each of BIRD's routes and two
# to addresses outside them) to the udp input with `overflowd replay`:
#   - the routes are in when a replay's 12 records show them: the test replays (bounded) until
#     then, after `birdc show protocols` said Established (no fixed sleep: an unrouted flow
#     cannot wait for routes, the capture is sent again instead);
#   - every routed flow's as_path, dst_as (origin), next_hop_as (the path's first AS), local_pref,
#     med, communities, large communities and dst_net (the route's prefix) equal what `birdc show
#     route for ADDR export collector_ibgp all` reports (parsed here); bgp_next_hop equals the
#     channel's `next hop address` in bird.conf (birdc's export view has no BGP.next_hop: BIRD
#     sets it when it encodes the UPDATE); rpki (rpkifile: a copy of vrps-sample.json) is the state
#     bird-test.conf's comments give for the route; the flows outside the routes get none of
#     these fields;
#   - `birdc disable collector_ibgp` (a NOTIFICATION Cease: no graceful restart kept): replayed
#     (bounded) until no flow has a route, then all 12 are checked for none;
#   - SIGTERM: exit status 0, the segment's summary counts one session up and down, no flow
#     without a router, nothing malformed.
#
# Environment (set by ctest): OFD_BIN, OFD_BUILD (holds mkbgpflows), OFD_DATA. Skips (77)
# without bird2.
set -u
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

: "${OFD_BIN:?}" "${OFD_BUILD:?}" "${OFD_DATA:?}"
BIRD=/usr/sbin/bird
BIRDC=/usr/sbin/birdc
{ [ -x "$BIRD" ] && [ -x "$BIRDC" ]; } || e2e_skip "bird2 is not installed"
e2e_need jq ss setsid
MK=$OFD_BUILD/mkbgpflows
[ -x "$MK" ] || e2e_die "$MK is missing (build the tree first)"

E2E_DIR=$(mktemp -d "${TMPDIR:-/tmp}/ofd-bgp.XXXXXX") || e2e_die "mktemp failed"
trap e2e_cleanup EXIT
trap 'exit 1' INT TERM
chmod 777 "$E2E_DIR" # BIRD runs as nobody: its pid file and control socket are made here
cd "$E2E_DIR" || exit 1

# one destination in each of BIRD's routes (the most specific where two overlap), two outside
ROUTED=(192.0.2.7 198.51.100.9 203.0.113.5 203.0.113.70 203.0.113.200
	2001:db8::5 2001:db8:1000::1 2001:db8:ffff:ff00::1 3fff::1 3fff:0:0:ff00::9)
UNROUTED=(10.1.2.3 2001:db9::1)
# the RPKI states of ROUTED's routes against vrps-sample.json (bird-test.conf's comments; BIRD's
# roa_check agrees, ../shared/data/README.md)
RPKI=(valid invalid invalid valid notfound valid invalid invalid notfound invalid)
N=$((${#ROUTED[@]} + ${#UNROUTED[@]}))
"$MK" flows.pcap "${ROUTED[@]}" "${UNROUTED[@]}" >/dev/null || e2e_die "mkbgpflows failed"

# three distinct free ports: the segment's BGP listener, the udp input, BIRD's own
for _ in 1 2 3 4 5 6 7 8; do
	BGP_PORT=$(e2e_free_port) || e2e_die "no free port"
	UDP_PORT=$(e2e_free_port) || e2e_die "no free port"
	OWN_PORT=$(e2e_free_port) || e2e_die "no free port"
	if [ "$BGP_PORT" != "$UDP_PORT" ] && [ "$OWN_PORT" != "$BGP_PORT" ] && [ "$OWN_PORT" != "$UDP_PORT" ]; then
		break
	fi
done
if [ "$BGP_PORT" = "$UDP_PORT" ] || [ "$OWN_PORT" = "$BGP_PORT" ] || [ "$OWN_PORT" = "$UDP_PORT" ]; then
	e2e_die "no three distinct free ports"
fi

cat >sessions.yml <<YML
asn: 64500
routerid: 192.0.2.253
listen: 127.0.0.1
port: $BGP_PORT
holdtime: 30
maxstale: 2s
snapshotinterval: 100ms
routers:
  - name: bird
    address: 127.0.0.1
    asn: 64500
YML
cp "$OFD_DATA/vrps-sample.json" vrps.json || e2e_die "no vrps-sample.json"
cat >c.yml <<YML
- segment: udp
  config: {listen: "udp://127.0.0.1:$UDP_PORT", workers: 1}
- segment: bgp
  config: {filename: sessions.yml, rpkifile: vrps.json}
- segment: json
  config: {filename: out.json}
YML
# shellcheck disable=SC2016 # $0 is expanded by the inner sh
e2e_bg OFD_PID sh -c 'exec "$0" -l info -c c.yml 2>err.txt' "$OFD_BIN" </dev/null
e2e_wait 20 e2e_listening "$UDP_PORT" || e2e_die "overflowd does not listen: $(cat err.txt)"

sed -e "s/port 1179/port $BGP_PORT/" -e "s/port 1790/port $OWN_PORT/" "$OFD_DATA/bird-test.conf" >bird.conf
grep -q "port $BGP_PORT" bird.conf || e2e_die "bird-test.conf: no collector port 1179 to rewrite"
e2e_bg BIRD_PID "$BIRD" -f -c bird.conf -s "$E2E_DIR/bird.ctl" -P "$E2E_DIR/bird.pid" -u nobody -g nogroup \
	</dev/null >bird.log 2>&1
birdc() { "$BIRDC" -s "$E2E_DIR/bird.ctl" "$@"; }
# shellcheck disable=SC2317 # called through e2e_wait
established() {
	e2e_dead "$BIRD_PID" && e2e_die "BIRD exited: $(cat bird.log)"
	birdc show protocols collector_ibgp 2>/dev/null | grep -q Established
}
e2e_wait 30 established || e2e_die "BIRD's session did not come up: $(birdc show protocols all collector_ibgp)"

# lines FILE N: FILE has at least N lines
# shellcheck disable=SC2317 # called through e2e_wait
lines() { [ -f "$1" ] && [ "$(wc -l <"$1")" -ge "$2" ]; }

# replay: send the capture once, wait for its N records; round.json gets them
ROUNDS=0
# shellcheck disable=SC2317 # called through e2e_wait
replay() {
	local had=0
	[ -f out.json ] && had=$(wc -l <out.json)
	"$OFD_BIN" replay flows.pcap --to "udp://127.0.0.1:$UDP_PORT" 2>replay.err || e2e_die "replay: $(cat replay.err)"
	e2e_wait 10 lines out.json $((had + N)) || e2e_die "no $N records after a replay: $(cat err.txt)"
	tail -n "$N" out.json >round.json
	ROUNDS=$((ROUNDS + 1))
}

# with_routes: the number of records of round.json with an AS path
with_routes() { jq -s '[.[] | select((.as_path // []) | length > 0)] | length' round.json; }

# shellcheck disable=SC2317 # called through e2e_wait
routed_round() { replay && [ "$(with_routes)" -eq ${#ROUTED[@]} ]; }
# shellcheck disable=SC2317 # called through e2e_wait
empty_round() { replay && [ "$(with_routes)" -eq 0 ]; }

E2E_VARIANT=routes
e2e_wait 30 routed_round || e2e_fail "routes: $(with_routes) of ${#ROUTED[@]} flows have a route after $ROUNDS replays"
e2e_log "routes in after $ROUNDS replays"

# field A JQ: the value of JQ (compact) in the record of destination A
field() { jq -c --arg a "$1" "select(.dst_addr == \$a) | $2" round.json; }

# bird_attrs A: from birdc, the lines "as_path [..]", "med N", "local_pref N", "community [..]",
# "large_community [..]", "net PREFIX", "origin AS", "first AS" (community a:b as a*65536+b,
# large ones as "g:a:b", as overflowd's JSON writes them)
bird_attrs() {
	birdc show route for "$1" export collector_ibgp all >"birdc-$1.txt"
	awk '
		/^[0-9a-f:.]+\/[0-9]+ / { print "net " $1 }
		/BGP.as_path:/ { s = ""; for (i = 2; i <= NF; i++) s = s (s == "" ? "" : ",") $i; print "as_path [" s "]"; origin = $NF; first = $2 }
		/BGP.med:/ { print "med " $2 }
		/BGP.local_pref:/ { print "local_pref " $2 }
		/BGP.community:/ { s = ""; line = $0; while (match(line, /\([0-9]+,[0-9]+\)/)) {
				c = substr(line, RSTART + 1, RLENGTH - 2); split(c, v, ",");
				s = s (s == "" ? "" : ",") sprintf("%.0f", v[1] * 65536 + v[2]); line = substr(line, RSTART + RLENGTH) }
			print "community [" s "]" }
		/BGP.large_community:/ { s = ""; line = $0; while (match(line, /\([0-9]+, [0-9]+, [0-9]+\)/)) {
				c = substr(line, RSTART + 1, RLENGTH - 2); gsub(/ /, "", c); gsub(/,/, ":", c);
				s = s (s == "" ? "" : ",") "\"" c "\""; line = substr(line, RSTART + RLENGTH) }
			print "large_community [" s "]" }
		END { print "origin " origin; print "first " first }' "birdc-$1.txt"
}

# attr NAME: the value of NAME in $ATTRS ("" if absent)
attr() { printf '%s\n' "$ATTRS" | awk -v k="$1" '$1 == k { $1 = ""; sub(/^ /, ""); print; exit }'; }

# the NEXT_HOP BIRD sends is its channels' `next hop address` (birdc's export view shows no
# BGP.next_hop: BIRD sets it when it encodes the UPDATE)
nexthop() { awk -v fam="$1" '$1 == fam && $2 == "{" { f = 1 } f && /next hop address/ { sub(/;.*/, "", $4); print $4; exit }' bird.conf; }
NH4=$(nexthop ipv4)
NH6=$(nexthop ipv6)
expect_eq "bird.conf's IPv4 next hop" "$NH4" 192.0.2.254
expect_eq "bird.conf's IPv6 next hop" "$NH6" 2001:db8::254
i=0
for a in "${ROUTED[@]}"; do
	E2E_VARIANT="route of $a"
	expect_eq "$a rpki" "$(field "$a" .rpki)" "\"${RPKI[$i]}\""
	i=$((i + 1))
	ATTRS=$(bird_attrs "$a")
	[ -n "$(attr as_path)" ] || {
		e2e_fail "birdc has no route for $a"
		continue
	}
	expect_eq "$a as_path" "$(field "$a" .as_path)" "$(attr as_path)"
	expect_eq "$a dst_as (origin)" "$(field "$a" .dst_as)" "$(attr origin)"
	expect_eq "$a next_hop_as" "$(field "$a" .next_hop_as)" "$(attr first)"
	case $a in *:*) nh=$NH6 ;; *) nh=$NH4 ;; esac
	expect_eq "$a bgp_next_hop" "$(field "$a" .bgp_next_hop)" "\"$nh\""
	expect_eq "$a med" "$(field "$a" .med)" "$(attr med)"
	expect_eq "$a local_pref" "$(field "$a" .local_pref)" "$(attr local_pref)"
	c=$(attr community)
	expect_eq "$a communities" "$(field "$a" '.bgp_communities // []')" "${c:-[]}"
	lc=$(attr large_community)
	expect_eq "$a large communities" "$(field "$a" '.bgp_large_communities // []')" "${lc:-[]}"
	expect_eq "$a dst_net" "$(field "$a" .dst_net)" "\"$(attr net)\""
done
for a in "${UNROUTED[@]}"; do
	E2E_VARIANT="no route for $a"
	expect_eq "$a as_path" "$(field "$a" '.as_path // []')" "[]"
	expect_eq "$a dst_as" "$(field "$a" '.dst_as // 0')" "0"
	expect_eq "$a bgp_next_hop" "$(field "$a" '.bgp_next_hop // ""')" '""'
	expect_eq "$a rpki (no route: none)" "$(field "$a" .rpki)" null
done

# the session shut down: BIRD sends a NOTIFICATION (Cease), the routes go (no stale kept)
E2E_VARIANT=withdrawn
birdc disable collector_ibgp >/dev/null || e2e_fail "birdc disable failed"
ROUNDS=0
e2e_wait 30 empty_round || e2e_fail "$(with_routes) flows still have a route after $ROUNDS replays"
e2e_log "routes gone after $ROUNDS replays"
for a in "${ROUTED[@]}" "${UNROUTED[@]}"; do
	expect_eq "$a as_path after the shutdown" "$(field "$a" '.as_path // []')" "[]"
	expect_eq "$a dst_as after the shutdown" "$(field "$a" '.dst_as // 0')" "0"
	expect_eq "$a rpki after the shutdown" "$(field "$a" .rpki)" null
done

# shellcheck disable=SC2034 # read by lib.sh's e2e_fail
E2E_VARIANT=summary
kill -TERM "$OFD_PID"
e2e_reap "$OFD_PID" 20
expect_eq "overflowd's exit status" "$E2E_RC" 0
summary=$(grep '^segment bgp' err.txt)
case $summary in
*"no_router 0,"*"sessions_up 1, sessions_down 1,"*"malformed 0") echo "ok: bgp summary: $summary" ;;
*) e2e_fail "bgp summary: $summary" ;;
esac
e2e_result
