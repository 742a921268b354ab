#!/bin/bash
# flowpipeline's command line: -c defaults to config.yml (also with no options at all, and with
# only arguments), $0 is the first argument, -v/--version, -l LEVEL, -j JSON log lines,
# --strict-env, -n, mixed-case segment names, and --check refusing what the start refuses (a bad
# listen scheme, unknown field names) with exit status 2.
#
# Environment (set by ctest): OFD_BIN, OFD_SRC. No fixed sleeps, no network.
set -u
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

: "${OFD_BIN:?}" "${OFD_SRC:?}"
SAMPLE=$OFD_SRC/examples/netflow_4M.pcap.gz
[ -r "$SAMPLE" ] || e2e_skip "$SAMPLE is missing"
E2E_DIR=$(mktemp -d "${TMPDIR:-/tmp}/ofd-fpcli.XXXXXX") || e2e_die "mktemp failed"
trap e2e_cleanup EXIT
D=$E2E_DIR
cd "$D" || exit 1
E2E_VARIANT=cli

# --- version, log level
"$OFD_BIN" -v >out.txt 2>err.txt
expect_eq "-v status" "$?" 0
grep -qx 'overflowd [0-9][0-9.]*' out.txt || e2e_fail "-v printed: $(cat out.txt)"
"$OFD_BIN" --version >out2.txt 2>&1
expect_eq "--version = -v" "$(cat out2.txt)" "$(cat out.txt)"
"$OFD_BIN" -l loud -c none.yml >/dev/null 2>err.txt
expect_eq "-l loud status" "$?" 2
expect_eq "-l loud message" "$(head -1 err.txt)" "overflowd: -l loud: expected debug, info, warning or error"
"$OFD_BIN" -n many -c none.yml >/dev/null 2>err.txt
expect_eq "-n many status" "$?" 2

# --- no config.yml here: no command is usage, an unknown word is an unknown command
"$OFD_BIN" >/dev/null 2>err.txt
expect_eq "no arguments, no config.yml: status" "$?" 2
"$OFD_BIN" "proto tcp" >/dev/null 2>err.txt
expect_eq "an argument, no config.yml: status" "$?" 2
expect_eq "an argument, no config.yml: message" "$(head -1 err.txt)" \
	"overflowd: unknown command 'proto tcp' (and no config.yml here to run it as \$0)"
"$OFD_BIN" --check >/dev/null 2>err.txt
expect_eq "--check without config.yml: status" "$?" 2
expect_eq "--check without config.yml: message" "$(cat err.txt)" "config.yml: cannot open: No such file or directory"

# --- config.yml is the default; $0 the first argument; names in any case
cat >config.yml <<'YML'
- segment: PCAP
  config:
    filename: $0
- segment: FlowFilter
  config:
    filter: $1
- segment: Count
  config:
    prefix: "$1: "
YML
"$OFD_BIN" --check "$SAMPLE" "proto udp" >out.txt 2>err.txt
expect_eq "--check config.yml status" "$?" 0
expect_eq "--check config.yml output" "$(cat out.txt)" "config.yml: ok, 3 segments"
expect_eq "--check config.yml stderr" "$(cat err.txt)" ""
"$OFD_BIN" "$SAMPLE" "proto udp" >out.txt 2>err.txt
expect_eq "run config.yml (arguments only) status" "$?" 0
NUDP=$(sed -n 's/^proto udp: \([0-9]*\) flows, .*/\1/p' err.txt)
[ "${NUDP:-0}" -gt 0 ] || e2e_fail "no count line: $(cat err.txt)"
"$OFD_BIN" -l error -c config.yml "$SAMPLE" "proto udp" >out.txt 2>err.txt
expect_eq "-c config.yml, same count" "$(sed -n 's/^proto udp: \([0-9]*\) flows, .*/\1/p' err.txt)" "$NUDP"

# --- an undefined argument: "" with a warning (plain or JSON), refused with --strict-env
# (the status depends on whether flowfilter takes an empty filter: flowpipeline's passes all)
"$OFD_BIN" --check "$SAMPLE" >out.txt 2>err.txt
expect_eq "undefined \$1: warning" "$(head -1 err.txt)" \
	"overflowd: warning: config.yml:6: undefined argument \$1 (1 given), expanded to an empty string"
"$OFD_BIN" -j --check "$SAMPLE" >out.txt 2>err.txt
# shellcheck disable=SC2016 # a regular expression: its $ are literal
grep -qE '^\{"level":"warn","time":[0-9]+,"message":"config.yml:6: undefined argument \$1 \(1 given\), expanded to an empty string"\}$' err.txt ||
	e2e_fail "-j warning: $(cat err.txt)"
"$OFD_BIN" -j --strict-env --check "$SAMPLE" >out.txt 2>err.txt
# shellcheck disable=SC2016 # a regular expression: its $ are literal
grep -qE '^\{"level":"error","time":[0-9]+,"message":"config.yml:6: undefined argument \$1 \(1 given\)"\}$' err.txt ||
	e2e_fail "-j refusal: $(cat err.txt)"
"$OFD_BIN" --strict-env --check "$SAMPLE" >out.txt 2>err.txt
expect_eq "--strict-env status" "$?" 2
expect_eq "--strict-env message" "$(cat err.txt)" "config.yml:6: undefined argument \$1 (1 given)"

# --- --check refuses what the start refuses
check_bad() { # check_bad NAME EXPECTED-LINE (the config is in NAME.yml)
	"$OFD_BIN" -c "$1.yml" --check >/dev/null 2>err.txt
	expect_eq "--check $1 status" "$?" 2
	expect_eq "--check $1 message" "$(cat err.txt)" "$2"
}
printf -- '- segment: goflow\n  config:\n    listen: "sflow://:6343,tcp://:2055"\n' >scheme.yml
check_bad scheme 'scheme.yml:1: segment goflow: key listen: "tcp://:2055": expected scheme://[address]:port with scheme sflow, netflow, nfl, flow or udp'
printf -- '- segment: stdin\n- segment: csv\n  config: {fields: "SrcAddr,DstAddr,Colour"}\n' >csvfield.yml
check_bad csvfield 'csvfield.yml:2: segment csv: key fields: unknown field "Colour"'
printf -- '- segment: stdin\n- segment: dropfields\n  config: {policy: drop, fields: "SrcAddr,Colour"}\n' >dropfield.yml
check_bad dropfield 'dropfield.yml:2: segment dropfields: key fields: unknown field "Colour"'
printf -- '- segment: stdin\n- segment: printflowdmp\n' >near.yml
check_bad near 'near.yml:2: segment printflowdmp: unknown segment (did you mean printflowdump?)'
printf -- '- segment: stdin\n- segment: pass\n  config: {jk: "no config at all"}\n' >pass.yml
"$OFD_BIN" -c pass.yml --check >/dev/null 2>err.txt
expect_eq "pass with a key: status" "$?" 0
expect_eq "pass with a key: warning" "$(cat err.txt)" \
	"overflowd: warning: pass.yml:3: segment pass: key jk: accepted for flowpipeline's configs and ignored (pass uses no config; any key is accepted, as by flowpipeline)"

# --- -n and jobs with goflow's listen syntax (checked, not bound)
printf -- '- segment: goflow\n  config:\n    listen: "nfl://127.0.0.1:0, flow://[::1]:0?count=2"\n- segment: flowfilter\n  jobs: 2\n  config: {filter: proto tcp}\n' >goflow.yml
"$OFD_BIN" -n 2 -c goflow.yml --check >out.txt 2>err.txt
expect_eq "-n 2 goflow.yml status" "$?" 0
expect_eq "-n 2 goflow.yml stderr" "$(cat err.txt)" ""

e2e_result
