#!/bin/bash
# The receiver's web page in a real browser: headless Chromium loads the page of a receiver
# filled with signed tracers (ui_lib.sh), runs its script and dumps the DOM: the script ran
# (its title and data-ready), the tables hold the rows the JSON endpoints give, the plots have
# bars, a contact holding `<img onerror>` and `<script>` is text in its cells and no such
# element or handler exists; a page filtered on a key shows that key's history. Screenshots
# go to $OFD_BUILD/ui-shots/. Skipped (77) without chromium.
set -u
# shellcheck source=tests/e2e/ui_lib.sh
. "$(dirname "$0")/ui_lib.sh"
E2E_VARIANT=browser
command -v chromium >/dev/null 2>&1 || e2e_skip "chromium is not installed (apt-get install chromium)"
e2e_need curl jq python3
ui_start
SHOTS=$OFD_BUILD/ui-shots
mkdir -p "$SHOTS"
DOMPY=$(dirname "$0")/ui_dom.py

# chromium URL OUT: the DOM after the script ran, and a screenshot OUT.png
browse() {
	local args=(--headless --no-sandbox --disable-gpu --no-first-run --disable-extensions
		--disable-background-networking --disable-sync --user-data-dir="$D/chromium"
		--virtual-time-budget=5000 "--window-size=1200,900")
	timeout 60 chromium "${args[@]}" --dump-dom "$1" >"$2.html" 2>"$2.err" || e2e_fail "chromium $1: $(tail -2 "$2.err")"
	timeout 60 chromium "${args[@]}" --screenshot="$SHOTS/$2.png" "$1" >/dev/null 2>>"$2.err" ||
		e2e_fail "screenshot $1"
	[ -s "$SHOTS/$2.png" ] || e2e_fail "no screenshot $SHOTS/$2.png"
	python3 "$DOMPY" "$2.html" >"$2.facts" || e2e_fail "parse $2.html"
}
fact() { sed -n "s/^$2 //p" "$1.facts"; }

browse "$UI/" receiver
expect_eq "title (the script ran)" "$(fact receiver title)" "overflowd receiver: 100 tracers"
expect_eq "data-ready" "$(fact receiver ready)" 1
expect_eq "tracer rows" "$(fact receiver 'rows tracer-table')" 100
expect_eq "key rows" "$(fact receiver 'rows key-table')" 2
expect_eq "spoofing rows" "$(fact receiver 'rows spoof-table')" "$(curl -sS "$UI/api/spoofing" | jq '.rows | length')"
[ "$(fact receiver 'count bar')" -ge 2 ] || e2e_fail "plot bars: $(fact receiver 'count bar')"
expect_eq "scripts (ui.js alone)" "$(fact receiver 'count script')" 1
expect_eq "img elements" "$(fact receiver 'count img')" 0
expect_eq "handler attributes" "$(fact receiver handlers)" 0
fact receiver text | grep -qxF "$HTML_CONTACT" || e2e_fail "the contact is not shown as text"
grep -qF '&lt;img src=x onerror=alert(1)&gt;&lt;script&gt;alert(2)&lt;/script&gt;' receiver.html ||
	e2e_fail "escaped contact not in the DOM"
grep -qF "127.0.0.0/24 ($((NA + NB)))" receiver.html || e2e_fail "plot legend: network total"
grep -qF "INFORMATIONAL ($NA)" receiver.html || e2e_fail "plot legend: class total"
grep -qF "HUMAN_SUSPECTED ($NB)" receiver.html || e2e_fail "plot legend: class B total"

# filtered on key A: its rows only, and its history (networks, the contact as text)
browse "$UI/?key=$KA&limit=1000" receiver-key
expect_eq "key title" "$(fact receiver-key title)" "overflowd receiver: $NA tracers"
expect_eq "key tracer rows" "$(fact receiver-key 'rows tracer-table')" "$NA"
expect_eq "key networks rows" "$(fact receiver-key 'rows key-networks')" 1
expect_eq "key contacts rows" "$(fact receiver-key 'rows key-contacts')" 1
expect_eq "key page img" "$(fact receiver-key 'count img')" 0
expect_eq "key page scripts" "$(fact receiver-key 'count script')" 1
grep -qF "<td>127.0.0.0/24</td>" receiver-key.html || e2e_fail "key history: network"
grep -qF '<input name="key" id="f-key" size="20" maxlength="64" pattern="[0-9a-fA-F]*">' receiver-key.html ||
	e2e_fail "the key's filter input"

# a filter the endpoint refuses: the page says so, and the title stays the static one
browse "$UI/?limit=0" receiver-bad
expect_eq "bad filter ready" "$(fact receiver-bad ready)" error
grep -qF 'error: /api/tracers?limit=0: 400 limit: expected 1 to 1000' receiver-bad.html || e2e_fail "bad filter message"
e2e_log "screenshots: $SHOTS/receiver.png $SHOTS/receiver-key.png $SHOTS/receiver-bad.png"
e2e_result
