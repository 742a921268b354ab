#!/bin/bash
# flowpipeline's kinds of pipeline, written as its users write them (tests/flowpipeline/*.yml),
# load: `overflowd -c CONFIG --check ARGS` passes on each, or fails only because of segments
# that later issues build, and those are exactly the ones tests/flowpipeline/EXPECTED lists.
#
# For each config: ARGS come from its "# usage: overflowd -c NAME.yml ARGS" line; every
# environment variable it names is unset, and the first check must warn about each use of one,
# naming the variable and NAME.yml:LINE (flowpipeline expands an unset variable to ""). While
# the check reports "NAME.yml:LINE: segment S: unknown segment", S is recorded and its entry
# (the "- segment:" line and everything indented under it) is replaced by a stand-in: `stdin`
# for one of flowpipeline's inputs (a pipeline needs one), `pass` for anything else. Any other
# error fails the config at once, so a wrong key or filter behind a missing segment is not
# hidden. The recorded set must equal the config's EXPECTED line (less the segments this build left
# out for a missing optional library, which say so) and the last check must pass.
set -u
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

: "${OFD_BIN:?}" "${OFD_SRC:?}"
FP=$OFD_SRC/tests/flowpipeline
E2E_DIR=$(mktemp -d "${TMPDIR:-/tmp}/ofd-fpconfigs.XXXXXX") || e2e_die "mktemp failed"
trap e2e_cleanup EXIT
D=$E2E_DIR
E2E_VARIANT=table

# flowpipeline's input segments (its documentation's input group, and its generator)
FP_INPUTS=" bpf goflow kafkaconsumer packet replay stdin generator "

# set_of TEXT: a comma-separated list or "-" as a sorted, lower-case, comma-separated set ("-"
# when empty)
set_of() {
	local -A seen=()
	local m out=""
	local -a ms
	IFS=, read -r -a ms <<<"${1,,}"
	for m in "${ms[@]}"; do
		m=${m// /}
		[ -n "$m" ] && [ "$m" != - ] && seen[$m]=1
	done
	[ ${#seen[@]} = 0 ] && {
		echo -
		return
	}
	for m in $(printf '%s\n' "${!seen[@]}" | sort); do out=$out,$m; done
	echo "${out#,}"
}

# only_in A B: the members of set A that are not in set B, comma-separated ("" when none)
only_in() {
	comm -23 <(tr ',' '\n' <<<"$1" | sed '/^-$/d') <(tr ',' '\n' <<<"$2" | sed '/^-$/d') | paste -sd, -
}

# stand_in FILE LINE NAME: replace the segment entry starting at LINE by "- segment: NAME"
stand_in() {
	awk -v n="$2" -v name="$3" '
		NR == n { match($0, /^ */); ind = RLENGTH; print substr($0, 1, ind) "- segment: " name; skip = 1; next }
		skip && /^[ \t]*(#.*)?$/ { next }
		skip { match($0, /^ */); if (RLENGTH > ind) next; skip = 0 }
		{ print }' "$1" >"$1.new" && mv "$1.new" "$1"
}

declare -A want=()
while read -r cfg missing _; do
	case "$cfg" in '' | '#'*) continue ;; esac
	[ -z "${want[$cfg]+x}" ] || e2e_fail "EXPECTED lists $cfg twice"
	want[$cfg]=$(set_of "${missing:-}")
	[ -f "$FP/$cfg" ] || e2e_fail "EXPECTED lists $cfg, which is not in tests/flowpipeline/"
done <"$FP/EXPECTED"

nconfigs=0
for y in "$FP"/*.yml; do
	name=$(basename "$y")
	E2E_VARIANT=$name
	nconfigs=$((nconfigs + 1))
	if [ -z "${want[$name]+x}" ]; then
		e2e_fail "no line for $name in tests/flowpipeline/EXPECTED"
		continue
	fi
	w=$D/${name%.yml}
	mkdir -p "$w" || e2e_die "mkdir $w failed"
	cp "$y" "$w/$name" || e2e_die "cannot copy $y"

	usage=$(grep -m1 "^# usage: overflowd -c $name" "$y") ||
		{
			e2e_fail "$name has no '# usage: overflowd -c $name ARGS' line"
			continue
		}
	args=()
	mapfile -d '' -t args < <(printf '%s' "${usage#"# usage: overflowd -c $name"}" | xargs -r printf '%s\0')

	# every variable it names outside comments, unset for the run; the uses of each, as NAME.yml:LINE
	# shellcheck disable=SC2016 # a pattern for $NAME and ${NAME}, not an expansion
	vars=$(grep -v '^[[:space:]]*#' "$y" | grep -o '\$[A-Za-z_][A-Za-z0-9_]*\|\${[A-Za-z_][A-Za-z0-9_]*}' |
		tr -d '${}' | sort -u)
	unset_env=()
	for v in $vars; do unset_env+=(-u "$v"); done

	found=""
	off=""
	i=0
	ok=""
	while [ $i -lt 40 ]; do
		i=$((i + 1))
		rc=0
		env -C "$w" ${unset_env[@]+"${unset_env[@]}"} "$OFD_BIN" -c "$name" --check \
			${args[@]+"${args[@]}"} >"$w/check.out" 2>&1 || rc=$?
		if [ $i = 1 ]; then
			for v in $vars; do
				while IFS=: read -r ln _; do
					grep -E "$name:$ln([^0-9]|$)" "$w/check.out" | grep -q -F "$v" ||
						e2e_fail "$name: no warning naming \$$v and $name:$ln (unset): $(head -3 "$w/check.out")"
				done < <(grep -n -E "\\\$\{?$v([^A-Za-z0-9_]|$)" "$y" | grep -v -E '^[0-9]+:[[:space:]]*#')
			done
		fi
		if [ $rc = 0 ]; then
			ok=1
			break
		fi
		hit=""
		while IFS= read -r l; do
			if [[ $l =~ ^$name:([0-9]+):\ segment\ ([^:]+):\ unknown\ segment ]]; then
				hit=1
				ln=${BASH_REMATCH[1]}
				seg=${BASH_REMATCH[2],,}
				break
			fi
		done <"$w/check.out"
		if [ -z "$hit" ]; then
			e2e_fail "$name: --check fails for another reason than a missing segment (exit $rc): $(cat "$w/check.out")"
			break
		fi
		mapfile -t lines <"$w/$name"
		entry=${lines[ln - 1],,}
		entry=${entry//[\"\']/}
		if ! [[ $entry =~ ^\ *-\ segment:\ *$seg\ *$ ]]; then
			e2e_fail "$name:$ln: cannot find the entry of segment $seg to stand in for: '$entry'"
			break
		fi
		# a segment this build left out (an optional library missing) is not one a later issue builds
		if grep -q -E "^$name:$ln: segment [^:]+: unknown segment \([^ ]+ is not in this overflowd: (built without|switched off)" "$w/check.out"; then
			off="$off,$seg"
		else
			found="$found,$seg"
		fi
		case "$FP_INPUTS" in *" $seg "*) stand_in "$w/$name" "$ln" stdin ;; *) stand_in "$w/$name" "$ln" pass ;; esac
	done
	[ -n "$ok" ] || { e2e_fail "$name: --check still refuses it after standing in for every unknown segment"; continue; }
	got=$(set_of "$found")
	want_here=$(set_of "$(only_in "${want[$name]}" "$(set_of "$off")")")
	if [ "$got" = "$want_here" ]; then
		echo "ok: $name passes --check${args[*]+ with ${#args[@]} argument(s)}, lacking: $got${off:+ (left out of this build: ${off#,})}"
	else
		built=$(only_in "${want[$name]}" "$got")
		new=$(only_in "$got" "${want[$name]}")
		e2e_fail "$name lacks '$got', EXPECTED says '${want[$name]}'${built:+ (now built: $built: delete from EXPECTED)}${new:+ (missing: $new)}"
	fi
done

E2E_VARIANT=table
expect_eq "configs in EXPECTED" "${#want[@]}" "$nconfigs"
e2e_result
