#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make kunit: build the modules for the cached UML kernel of a flavour, boot
# it (hostfs root), insmod vbuddy.ko then vbuddy_kunit.ko (the KUnit suites
# run at insmod and print KTAP), rmmod both, power off, and check the log
# with kunit.py parse and for kernel splats.
#
#   scripts/kunit.sh [flavour]       (default flavour: debug)
#
# Passed/failed = KUnit cases; failed also gets one per problem (build
# failure or compiler warnings, failed insmod/rmmod, missing KTAP summary,
# parse errors, splat, timeout). Writes build/results/kunit[-flavour].txt.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

flavour=${1:-debug}
stage=kunit
[ "$flavour" = debug ] || stage=kunit-$flavour
S=$VBUDDY_ROOT/scripts
dir=$VBUDDY_BUILD/uml-run-$flavour
mkdir -p "$dir"
take_lock "$VBUDDY_BUILD/.kunit-$flavour.lock"
rm -f "$VBUDDY_BUILD/results/$stage.txt"
problems=()

broken() {
	msg "FAIL: $*"
	write_result "$stage" 0 1 "$*"
	exit 1
}

"$S/deps.sh" || broken "could not install the Debian packages"
ksrc=$("$S/ksrc.sh") || broken "no kernel source tree"
kbuild=$("$S/uml-kernel.sh" "$flavour") || broken "UML kernel build failed"

blog=$dir/build.log
if ! out=$("$S/build-modules.sh" --fresh --uml="$flavour" 2>"$blog"); then
	show_tail "$blog" 30
	broken "module build for UML failed (log: $blog)"
fi
if grep -q 'warning:' "$blog"; then
	{ grep -A3 'warning:' "$blog" || true; } | head -n 20 >&2
	problems+=("compiler warnings (log: $blog)")
fi

init=$dir/init.sh
"$S/guest-init.sh" kunit "$out" >"$init"
chmod +x "$init"

log=$dir/boot.log
msg "booting the UML kernel '$flavour', log: ${log#"$VBUDDY_ROOT"/}"
rc=0
"$S/uml-run.sh" "$kbuild" "$init" "$log" "${VBUDDY_UML_TIMEOUT:-300}" || rc=$?

# Only the KTAP of our module: the boot prints an empty "1..0" plan of its
# own, which kunit.py would take for the whole run.
ktap=$dir/ktap.log
sed -n '/VBUDDY-UML: kunit start/,/VBUDDY-UML: kunit end/p' "$log" >"$ktap"
parsed=$dir/parse.log
python3 "$ksrc/tools/testing/kunit/kunit.py" parse "$ktap" >"$parsed" 2>&1 || true
summary=$(sed 's/\x1b\[[0-9;]*m//g' "$parsed" | grep -o 'Testing complete\. Ran .*' | tail -n 1 || true)
count() {
	echo "$summary" | grep -oE "$1: [0-9]+" | grep -oE '[0-9]+' || echo 0
}
passed=$(count passed)
nfailed=$(count failed)
crashed=$(count crashed)
skipped=$(count skipped)
errors=$(count errors)

[ "$rc" = 124 ] && problems+=("timeout: no power-off within ${VBUDDY_UML_TIMEOUT:-300} s")
[ "$rc" != 0 ] && [ "$rc" != 124 ] && problems+=("UML exited with status $rc")
grep -q 'VBUDDY-UML: done' "$log" || problems+=("init did not finish (no 'VBUDDY-UML: done')")
grep -q 'VBUDDY-UML: FAILED' "$log" && problems+=("guest commands failed (see FAILED lines)")
if [ -z "$summary" ]; then
	problems+=("no KUnit summary from kunit.py parse (see ${parsed#"$VBUDDY_ROOT"/})")
elif [ "$((passed + nfailed + crashed + skipped))" = 0 ]; then
	problems+=("KUnit ran no tests")
fi
[ "$errors" = 0 ] || problems+=("kunit.py parse reported $errors errors")
find_splats "$log" >/dev/null && problems+=("kernel splat in the log: $(first_splat "$log")")

failed=$((nfailed + crashed + ${#problems[@]}))
cases=()
[ $((nfailed + crashed)) = 0 ] || cases=("$((nfailed + crashed)) cases failed")
write_result "$stage" "$passed" "$failed" "$(problems_note "${cases[@]}" "${problems[@]}")"

echo "kunit ($flavour): ${summary:-no summary}"
# One line per suite, from the suites' own "# name: pass:N fail:N ..." lines.
{ sed 's/^\[[ 0-9.]*\] //' "$ktap" | grep -E '^# [A-Za-z0-9_]+: pass:[0-9]+' |
	grep -v '^# Totals:' || true; } | sed 's/^# /  /'
if [ "$failed" -gt 0 ]; then
	{ sed 's/\x1b\[[0-9;]*m//g' "$parsed" | grep -E '\[(FAILED|CRASHED)\]|ERROR' || true; } |
		head -n 20 | sed 's/^/  /'
	report_failure "$log" VBUDDY-UML "${problems[@]}"
	echo "kunit ($flavour): FAIL ($passed passed, $failed failed; log: ${log#"$VBUDDY_ROOT"/}, parsed: ${parsed#"$VBUDDY_ROOT"/})"
	exit 1
fi
[ "$skipped" = 0 ] && skipped="" || skipped=", $skipped skipped"
echo "kunit ($flavour): PASS ($passed passed, 0 failed$skipped)"
