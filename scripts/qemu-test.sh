#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make qemu-test: build vbuddy.ko + vbuddy_smoke.ko for the Debian test
# kernel, boot it in qemu with a busybox initramfs, load both modules twice
# (pool_pages=64, then 16384) and check what the smoke module reported.
#
# Contract with module/smoke.c: per check a line "vbuddy_smoke: ok <n> -
# <name>" or "vbuddy_smoke: not ok <n> - <name>", then a summary line
# "vbuddy_smoke: <N> passed, <M> failed"; insmod fails if anything failed.
#
# Passed = ok lines of both rounds. Failed = not ok lines + one per problem
# (build failure or compiler warnings, failed insmod/rmmod, missing summary,
# kernel splat, timeout, no clean power-off). Writes build/results/qemu.txt.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

S=$VBUDDY_ROOT/scripts
dir=$VBUDDY_BUILD/qemu
mkdir -p "$dir"
take_lock "$VBUDDY_BUILD/.qemu-test.lock"
rm -f "$VBUDDY_BUILD/results/qemu.txt"
problems=()

kver=$("$S/deps.sh" --kver)
blog=$dir/build.log
if ! out=$("$S/build-modules.sh" --fresh --kver="$kver" 2>"$blog"); then
	show_tail "$blog" 30
	msg "FAIL: module build for $kver failed (log: $blog)"
	write_result qemu 0 1 build failed
	exit 1
fi
if grep -q 'warning:' "$blog"; then
	{ grep -A3 'warning:' "$blog" || true; } | head -n 20 >&2
	problems+=("compiler warnings (log: $blog)")
fi

"$S/guest-init.sh" test /lib/vbuddy >"$dir/init-test.sh"
"$S/initrd.sh" "$dir/test.cpio.gz" "$dir/init-test.sh" \
	"$out/vbuddy.ko" "$out/vbuddy_smoke.ko"

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
find_splats "$log" >/dev/null && problems+=("kernel splat in the log")

failed=$((nnotok + ${#problems[@]}))
write_result qemu "$nok" "$failed"

echo "qemu-test: kernel $kver, $nrounds rounds, smoke checks: $nok ok, $nnotok not ok"
if [ "$failed" -gt 0 ]; then
	{ grep -E 'vbuddy_smoke: not ok' "$smoke" || true; } | head -n 20 | sed 's/^/  /'
	{ grep -E 'VBUDDY-QEMU: FAILED' "$log" || true; } | head -n 10 | sed 's/^/  /'
	if find_splats "$log" >/dev/null; then
		echo "  splats:"
		find_splats "$log" | sed 's/^/    /'
	fi
	for p in "${problems[@]}"; do echo "  problem: $p"; done
	show_tail "$log" 25
	echo "qemu-test: FAIL ($nok passed, $failed failed; log: ${log#"$VBUDDY_ROOT"/})"
	exit 1
fi
echo "qemu-test: PASS ($nok passed, 0 failed)"
