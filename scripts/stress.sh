#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make stress (and a stage of make check): vbuddy_stress.ko on the Debian
# test kernel under qemu with -smp 4, for VBUDDY_STRESS_SECONDS (default 30;
# longer for a soak). Counts the module's "vbuddy_stress: ok/not ok" lines;
# a missing summary, a failed insmod or a kernel splat fails the stage.
# Writes build/results/stress.txt.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

S=$VBUDDY_ROOT/scripts
dir=$VBUDDY_BUILD/stress
seconds=${VBUDDY_STRESS_SECONDS:-30}
mkdir -p "$dir"
take_lock "$VBUDDY_BUILD/.qemu-test.lock"
rm -f "$VBUDDY_BUILD/results/stress.txt"
problems=()

kver=$("$S/deps.sh" --kver)
blog=$dir/build.log
if ! out=$("$S/build-modules.sh" --kver="$kver" 2>"$blog"); then
	show_tail "$blog" 30
	msg "FAIL: module build for $kver failed (log: $blog)"
	write_result stress 0 1 build failed
	exit 1
fi

VBUDDY_STRESS_SECONDS=$seconds "$S/guest-init.sh" stress /lib/vbuddy >"$dir/init.sh"
"$S/initrd.sh" "$dir/stress.cpio.gz" "$dir/init.sh" "$out/vbuddy.ko" "$out/lib/vbuddy_stress.ko"

log=$dir/stress.log
msg "stress: $seconds s on 4 emulated CPUs ($kver, qemu TCG), log: ${log#"$VBUDDY_ROOT"/}"
rc=0
VBUDDY_QEMU_SMP=4 "$S/qemu-run.sh" "$kver" "$dir/stress.cpio.gz" "$log" $((seconds + 150)) || rc=$?

sed -e 's/^\[ *[0-9.]*\] //' "$log" | grep -E '^vbuddy_stress: ' >"$dir/stress.txt" || true
nok=$(grep -cE '^vbuddy_stress: ok ' "$dir/stress.txt" || true)
nnotok=$(grep -cE '^vbuddy_stress: not ok ' "$dir/stress.txt" || true)

[ "$rc" = 0 ] || problems+=("qemu exited with status $rc")
grep -q 'VBUDDY-STRESS: done' "$log" || problems+=("init did not finish")
grep -q 'VBUDDY-STRESS: FAILED' "$log" && problems+=("guest commands failed")
grep -qE '^vbuddy_stress: [0-9]+ passed, [0-9]+ failed' "$dir/stress.txt" ||
	problems+=("no 'vbuddy_stress: N passed, M failed' summary")
find_splats "$log" >/dev/null && problems+=("kernel splat in the log: $(first_splat "$log")")

failed=$((nnotok + ${#problems[@]}))
write_result stress "$nok" "$failed" "$(problems_note "${problems[@]}")"
grep -vE '^vbuddy_stress: (ok|not ok) ' "$dir/stress.txt" | sed 's/^/  /' || true
echo "stress: $nok ok, $nnotok not ok"
if [ "$failed" -gt 0 ]; then
	for p in "${problems[@]}"; do echo "  problem: $p"; done
	find_splats "$log" | sed 's/^/  /' || true
	msg "stress: FAIL (log: $log)"
	exit 1
fi
