#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make qemu-test: build vbuddy.ko + the test modules of lib/
# for the Debian test kernel and the kselftest tools/testing/selftests/vbuddy
# (static), boot the kernel in qemu with a busybox initramfs, load vbuddy +
# the smoke module twice (pool_pages=64, then 16384), then vbuddy + the test
# driver under the kselftest, and check what both reported.
#
# Contract with lib/vbuddy_smoke.c: per check a line "vbuddy_smoke: ok <n> -
# <name>" or "vbuddy_smoke: not ok <n> - <name>", then a summary line
# "vbuddy_smoke: <N> passed, <M> failed"; insmod fails if anything failed.
#
# Contract with the kselftest (kselftest_harness.h, TAP 13): the guest prints
# its output with each line prefixed "VBUDDY-KSFT: "; a test is a top-level
# "ok <n> <name>" or "not ok <n> <name>" line, and "# Totals: pass:P fail:F
# xfail:X xpass:Y skip:S error:E" ends the run.
#
# Passed = ok lines of both smoke rounds + the kselftest's ok lines (not
# SKIP). Failed = not ok lines of both + one per problem (build failure or
# compiler warnings, failed insmod/rmmod, missing smoke summary, missing or
# inconsistent kselftest totals, skipped kselftests, kernel splat, timeout,
# no clean power-off). Writes build/results/qemu.txt.
#
#   scripts/qemu-test.sh [SERIES]
#
# SERIES is the Debian cloud kernel to build for and boot: 6.12 (default;
# result "qemu", logs in build/qemu/) or 6.1 (result "qemu61", logs in
# build/qemu61/), both as scripts/deps.sh chose and installed them.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

S=$VBUDDY_ROOT/scripts
series=${1:-6.12}
case "$series" in
6.12) name=qemu ;;
6.1) name=qemu61 ;;
*) die "usage: $0 [6.12|6.1]" ;;
esac
dir=$VBUDDY_BUILD/$name
mkdir -p "$dir"
take_lock "$VBUDDY_BUILD/.$name-test.lock"
rm -f "$VBUDDY_BUILD/results/$name.txt"
problems=()

kver=$("$S/deps.sh" --kver="$series")
blog=$dir/build.log
if ! out=$("$S/build-modules.sh" --fresh --kver="$kver" 2>"$blog"); then
	show_tail "$blog" 30
	msg "FAIL: module build for $kver failed (log: $blog)"
	write_result "$name" 0 1 build failed
	exit 1
fi
if grep -q 'warning:' "$blog"; then
	{ grep -A3 'warning:' "$blog" || true; } | head -n 20 >&2
	problems+=("compiler warnings (log: $blog)")
fi

[ -e "$out/lib/vbuddy_test_driver.ko" ] || problems+=("no vbuddy_test_driver.ko in ${out#"$VBUDDY_ROOT"/}")

# The kselftest, rebuilt every time so that its warnings show.
kbin=$dir/kselftest
klog=$dir/kselftest-build.log
ksft_built=""
rm -f "$kbin/vbuddy_test"
if make -C "$VBUDDY_ROOT/tools/testing/selftests/vbuddy" --no-print-directory \
	KSFT_DIR="$("$S/ksrc.sh")/tools/testing/selftests" OUTPUT="$kbin" \
	>"$klog" 2>&1 </dev/null && [ -x "$kbin/vbuddy_test" ]; then
	ksft_built=1
	if grep -q 'warning:' "$klog"; then
		{ grep -A3 'warning:' "$klog" || true; } | head -n 20 >&2
		problems+=("kselftest compiler warnings (log: $klog)")
	fi
else
	show_tail "$klog" 20
	problems+=("kselftest build failed (log: $klog)")
fi

files=("$out/vbuddy.ko" "$out/lib/vbuddy_smoke.ko" "$out/lib/vbuddy_leak.ko")
[ ! -e "$out/lib/vbuddy_test_driver.ko" ] || files+=("$out/lib/vbuddy_test_driver.ko")
[ -z "$ksft_built" ] || files+=("$kbin/vbuddy_test")
"$S/guest-init.sh" test /lib/vbuddy >"$dir/init-test.sh"
"$S/initrd.sh" "$dir/test.cpio.gz" "$dir/init-test.sh" "${files[@]}"

log=$dir/test.log
msg "booting $kver in qemu (TCG), log: ${log#"$VBUDDY_ROOT"/}"
rc=0
"$S/qemu-run.sh" "$kver" "$dir/test.cpio.gz" "$log" "${VBUDDY_QEMU_TIMEOUT:-180}" || rc=$?

# busybox insmod retries a failed finit_module() with init_module(), so a
# failing smoke module prints its lines twice: count each check once per
# round. smoke.txt gets the deduplicated lines.
smoke=$dir/smoke.txt
awk '
	/VBUDDY-QEMU: round [0-9]+/ { round++ }
	{ sub(/^\[ *[0-9.]+\] /, "") }
	/^vbuddy_smoke: (not )?ok [0-9]+ - / {
		n = ($2 == "not") ? $4 : $3
		if (!((round, n) in seen)) { seen[round, n] = 1; print }
		next
	}
	/^vbuddy_smoke: [0-9]+ passed, [0-9]+ failed/ {
		if (!(round in sum)) { sum[round] = 1; print }
	}' "$log" >"$smoke"
nok=$(grep -cE '^vbuddy_smoke: ok ' "$smoke" || true)
nnotok=$(grep -cE '^vbuddy_smoke: not ok ' "$smoke" || true)
nsum=$(grep -cE '^vbuddy_smoke: [0-9]+ passed' "$smoke" || true)
nrounds=$(grep -cE 'VBUDDY-QEMU: round [0-9]+ ' "$log" || true)

[ "$rc" = 124 ] && problems+=("timeout: no power-off within ${VBUDDY_QEMU_TIMEOUT:-180} s")
[ "$rc" != 0 ] && [ "$rc" != 124 ] && problems+=("qemu exited with status $rc")
grep -q 'VBUDDY-QEMU: done' "$log" || problems+=("init did not finish (no 'VBUDDY-QEMU: done')")
grep -q 'VBUDDY-QEMU: FAILED' "$log" && problems+=("guest commands failed (see FAILED lines)")
[ "$nsum" = 2 ] || problems+=("expected 2 'vbuddy_smoke: N passed, M failed' summaries, found $nsum")
[ "$nok" -gt 0 ] || problems+=("no 'vbuddy_smoke: ok' lines")
# The unload round: the range left behind is reported and unmapped.
if grep -q 'GFP_VIRTOK range of [0-9]* pages still mapped at unload' "$log"; then
	nok=$((nok + 1))
else
	problems+=("unload with a GFP_VIRTOK range left: no report")
fi
find_splats "$log" >/dev/null && problems+=("kernel splat in the log: $(first_splat "$log")")

# The kselftest round: its TAP lines, told apart by their prefix. Top-level
# results start the line; a nested TAP would be indented.
ksft=$dir/kselftest.tap
sed -n 's/^VBUDDY-KSFT: //p' "$log" >"$ksft"
kok=$(grep -cE '^ok [0-9]+ ' "$ksft" || true)
kskip=$(grep -cE '^ok [0-9]+ .*# SKIP' "$ksft" || true)
knotok=$(grep -cE '^not ok [0-9]+ ' "$ksft" || true)
kplan=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$ksft" | head -n 1)
ktotals=$(grep -E '^# Totals: pass:[0-9]+ fail:[0-9]+ ' "$ksft" | tail -n 1 || true)
kstatus=$(sed -n 's/^VBUDDY-QEMU: kselftest end (exit status \([0-9]*\))$/\1/p' "$log")
if [ -n "$ksft_built" ]; then
	if [ -z "$ktotals" ]; then
		problems+=("no kselftest '# Totals' line")
	else
		[[ "$ktotals" =~ pass:([0-9]+)\ fail:([0-9]+) ]]
		kpass=${BASH_REMATCH[1]}
		kfail=${BASH_REMATCH[2]}
		[ "$kpass" = $((kok - kskip)) ] && [ "$kfail" = "$knotok" ] ||
			problems+=("kselftest totals ($ktotals) disagree with its ok/not ok lines ($kok/$knotok)")
		[ "$kplan" = $((kok + knotok)) ] ||
			problems+=("kselftest planned ${kplan:-?} tests, reported $((kok + knotok))")
	fi
	[ "$kskip" = 0 ] || problems+=("kselftest skipped $kskip tests")
	[ "$kstatus" = 0 ] || [ "$knotok" -gt 0 ] ||
		problems+=("kselftest exit status ${kstatus:-unknown}")
fi
kpassed=$((kok - kskip))

passed=$((nok + kpassed))
failed=$((nnotok + knotok + ${#problems[@]}))
write_result "$name" "$passed" "$failed" "$(problems_note "${problems[@]}")"

echo "qemu-test: kernel $kver, $nrounds rounds, smoke checks: $nok ok, $nnotok not ok;" \
	"kselftest: $kpassed ok, $knotok not ok$([ "$kskip" = 0 ] || echo ", $kskip skipped")"
if [ "$failed" -gt 0 ]; then
	{ grep -E 'vbuddy_smoke: not ok' "$smoke" || true; } | head -n 20 | sed 's/^/  /'
	{ grep -E '^not ok|^# .*(Expected|FAIL|SKIP)' "$ksft" || true; } | head -n 20 | sed 's/^/  kselftest: /'
	report_failure "$log" VBUDDY-QEMU "${problems[@]}"
	echo "qemu-test: FAIL ($passed passed, $failed failed; log: ${log#"$VBUDDY_ROOT"/})"
	exit 1
fi
echo "qemu-test: PASS ($passed passed, 0 failed)"
