#!/bin/bash
# The receiver's web page (--ui) without a browser: a receiver filled with real signed tracers
# of two keys (ui_lib.sh); its JSON endpoints answer with the stored values (counts, filters,
# key history, the spoofing report equal to `overflowd tracers --spoofed`'s, hourly sums), a
# contact holding HTML comes back as the same string in JSON; every answer carries the strict
# Content-Security-Policy and nosniff; bad arguments get 400, other methods 405; --ui on the
# tracer port is refused.
set -u
# shellcheck source=tests/e2e/ui_lib.sh
. "$(dirname "$0")/ui_lib.sh"
E2E_VARIANT=ui
e2e_need curl jq
ui_start
CSP="default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

get() { curl -sS "$UI$1"; }
status() { curl -sS -o /dev/null -w '%{http_code}' "$@"; }
header() { # header PATH NAME: the value of a response header
	curl -sS -o /dev/null -D - "$UI$1" | tr -d '\r' | awk -v h="$2" 'tolower($0) ~ "^" tolower(h) ": " { sub(/^[^:]*: /, ""); print }'
}

# the page and its files, each with the headers
for p in / /ui.js /ui.css /api/keys /api/tracers /nothing; do
	expect_eq "CSP on $p" "$(header "$p" Content-Security-Policy)" "$CSP"
	expect_eq "nosniff on $p" "$(header "$p" X-Content-Type-Options)" nosniff
done
expect_eq "page type" "$(header / Content-Type)" "text/html; charset=utf-8"
expect_eq "script type" "$(header /ui.js Content-Type)" "text/javascript; charset=utf-8"
expect_eq "json type" "$(header /api/keys Content-Type)" "application/json"
expect_eq "404" "$(status "$UI/nothing")" 404
expect_eq "POST 405" "$(status -X POST "$UI/api/tracers")" 405
get / | grep -q '<script src="/ui.js" defer></script>' || e2e_fail "page: no ui.js"
[ "$(get / | grep -c '<script')" = 1 ] || e2e_fail "page: an inline script"
cmp -s <(get /ui.js) "$OFD_SRC/src/receiver/ui/ui.js" || e2e_fail "ui.js differs from the source"

# tracers: newest first, limit, truncated
T=$(get "/api/tracers?limit=5")
expect_eq "limit 5 rows" "$(jq '.rows | length' <<<"$T")" 5
expect_eq "limit 5 truncated" "$(jq '.truncated' <<<"$T")" true
expect_eq "newest first" "$(jq '[.rows[].id] == ([.rows[].id] | sort | reverse)' <<<"$T")" true
expect_eq "newest is the last stored" "$(jq '.rows[0].id' <<<"$T")" $((NA + NB))
expect_eq "default limit" "$(get /api/tracers | jq '.limit, (.rows | length)' | tr '\n' ' ')" "100 100 "
A=$(get "/api/tracers?key=$KA&limit=1000")
expect_eq "key A rows" "$(jq '.rows | length' <<<"$A")" "$NA"
expect_eq "key A truncated" "$(jq '.truncated' <<<"$A")" false
expect_eq "key A contacts" "$(jq -r '[.rows[].contact] | unique | .[]' <<<"$A")" "$HTML_CONTACT"
expect_eq "key A as sent" "$(jq -r '[.rows[] | .sender + " " + .transport + " " + .class] | unique | .[]' <<<"$A")" \
	"127.0.0.1 http INFORMATIONAL"
expect_eq "class filter (any case)" "$(get "/api/tracers?class=human_suspected&limit=1000" | jq -r '[.rows[].key] | unique | .[]')" "$KB"
expect_eq "class rows" "$(get "/api/tracers?class=HUMAN_SUSPECTED&limit=1000" | jq '.rows | length')" "$NB"
expect_eq "net filter" "$(get "/api/tracers?net=127.0.0.0/24&limit=1000" | jq '.rows | length')" $((NA + NB))
expect_eq "other net" "$(get "/api/tracers?net=10.9.9.0/24" | jq '.rows | length')" 0
expect_eq "since future" "$(get "/api/tracers?since=2099-01-01" | jq '.rows | length')" 0
expect_eq "since 1h" "$(get "/api/tracers?since=1h&limit=1000" | jq '.rows | length')" $((NA + NB))
expect_eq "mine filter = CLI" "$(get "/api/tracers?mine=1&limit=1000" | jq '.rows | length')" \
	"$("$OFD_BIN" tracers --db rx.db --mine "$MINE" 192.0.2.0/24 --format csv | tail -n +2 | wc -l)"
# the same rows as the command line's JSON
cmp -s <(get "/api/tracers?key=$KB&limit=1000" | jq -c '.rows | reverse | .[]') \
	<("$OFD_BIN" tracers --db rx.db --key "$KB" --format json | jq -c .) || e2e_fail "tracers differ from the CLI's"

# keys and one key's history
K=$(get /api/keys)
expect_eq "keys" "$(jq '.rows | length' <<<"$K")" 2
expect_eq "key A row" "$(jq -c --arg k "$KA" '.rows[] | select(.key == $k) | [.tracers, .networks, .contacts, .contact_changed]' <<<"$K")" \
	"[$NA,1,1,0]"
expect_eq "key A contact" "$(jq -r --arg k "$KA" '.rows[] | select(.key == $k) | .contact' <<<"$K")" "$HTML_CONTACT"
cmp -s <(jq -c '.rows[]' <<<"$K") <("$OFD_BIN" keys --db rx.db --format json | jq -c .) || e2e_fail "keys differ from the CLI's"
H=$(get "/api/key?key=$KA")
expect_eq "key history networks" "$(jq -c '[.networks[] | [.network, .tracers, .tcp_tracers]]' <<<"$H")" \
	"[[\"127.0.0.0/24\",$NA,$NA]]"
expect_eq "key history contact" "$(jq -r '.contacts[0].contact' <<<"$H")" "$HTML_CONTACT"
expect_eq "key history contact count" "$(jq '.contacts | length, .[0].tracers' <<<"$H" | tr '\n' ' ')" "1 $NA "
expect_eq "key upper case" "$(get "/api/key?key=${KB^^}" | jq -r '.key, .contacts[0].contact' | tr '\n' ' ')" "$KB noc@b.example "

# the spoofing report: the CLI's rows
S=$(get /api/spoofing)
expect_eq "mine" "$(jq -c .mine <<<"$S")" "[\"$MINE\",\"192.0.2.0/24\"]"
[ "$(jq '.rows | length' <<<"$S")" -gt 0 ] || e2e_fail "spoofing: no rows"
cmp -s <(jq -c '.rows[]' <<<"$S") \
	<("$OFD_BIN" tracers --db rx.db --mine "$MINE" 192.0.2.0/24 --spoofed --format json | jq -c .) ||
	e2e_fail "spoofing differs from the CLI's: $S"
expect_eq "spoofing total" "$(jq '[.rows[].tracers] | add' <<<"$S")" \
	"$("$OFD_BIN" tracers --db rx.db --format json | jq -s --arg p "${MINE%%.0.0/16}." '[.[] | select(.saddr | startswith($p))] | length')"

# per hour: by class and by network, summing to what was stored
C=$(get "/api/hourly?by=class")
expect_eq "hourly by class" "$(jq -c '[.rows | group_by(.class)[] | {(.[0].class): ([.[].tracers] | add)}] | add' <<<"$C")" \
	"{\"HUMAN_SUSPECTED\":$NB,\"INFORMATIONAL\":$NA}"
expect_eq "hourly by network" "$(get "/api/hourly?by=network" | jq -c '([.rows[].network] | unique), ([.rows[].tracers] | add)' | tr '\n' ' ')" \
	"[\"127.0.0.0/24\"] $((NA + NB)) "
expect_eq "hourly since" "$(jq -r .since <<<"$C" | grep -c '^20[0-9-]*T[0-9][0-9]:00:00Z$')" 1

# bad arguments
expect_eq "limit 0" "$(status "$UI/api/tracers?limit=0")" 400
expect_eq "limit 1001" "$(status "$UI/api/tracers?limit=1001")" 400
expect_eq "key not hex" "$(status "$UI/api/tracers?key=zz")" 400
expect_eq "key short" "$(status "$UI/api/key?key=abcd")" 400
expect_eq "by" "$(status "$UI/api/hourly?by=port")" 400
expect_eq "since" "$(status "$UI/api/tracers?since=yesterday")" 400
expect_eq "long argument" "$(status "$UI/api/tracers?class=$(printf 'x%.0s' $(seq 200))")" 400

# --ui on the tracer port is refused before anything runs
"$OFD_BIN" receive --udp none --http "127.0.0.1:$PH" --ui "127.0.0.1:$PH" --db x.db >/dev/null 2>same.err
expect_eq "same port exit" "$?" 1
grep -q "ui: 127.0.0.1:$PH: the page is never served on the tracer port" same.err || e2e_fail "same port: $(cat same.err)"
"$OFD_BIN" receive --udp none --http none --ui nowhere --db x.db >/dev/null 2>bad.err
expect_eq "bad ui exit" "$?" 1
e2e_result
