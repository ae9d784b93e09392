#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make demo: boot the Debian test kernel in qemu, insmod vbuddy.ko and
# vbuddy_smoke.ko demo=1, and print what the modules said (the vbuddy and
# vbuddy_smoke kernel lines, without timestamps). Installs what it needs.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

S=$VBUDDY_ROOT/scripts
dir=$VBUDDY_BUILD/qemu
mkdir -p "$dir"
take_lock "$VBUDDY_BUILD/.demo.lock"

kver=$("$S/deps.sh" --kver)
blog=$dir/demo-build.log
if ! out=$("$S/build-modules.sh" --kver="$kver" 2>"$blog"); then
	show_tail "$blog" 30
	die "module build failed (log: $blog)"
fi
"$S/guest-init.sh" demo /lib/vbuddy >"$dir/init-demo.sh"
"$S/initrd.sh" "$dir/demo.cpio.gz" "$dir/init-demo.sh" \
	"$out/vbuddy.ko" "$out/vbuddy_smoke.ko"

log=$dir/demo.log
msg "booting $kver in qemu (TCG, a few seconds)..."
rc=0
"$S/qemu-run.sh" "$kver" "$dir/demo.cpio.gz" "$log" "${VBUDDY_QEMU_TIMEOUT:-180}" || rc=$?

echo "==================== vbuddy demo ($kver) ===================="
sed -n '/VBUDDY-DEMO: demo begin/,/VBUDDY-DEMO: demo end/p' "$log" |
	grep -v '^VBUDDY-DEMO: demo \(begin\|end\)' || true
echo "=============================================================="

bad=""
grep -q 'VBUDDY-DEMO: FAILED' "$log" && bad="a guest command failed"
find_splats "$log" >/dev/null && bad="kernel splat"
grep -q 'VBUDDY-DEMO: done' "$log" || bad="the guest did not finish"
[ "$rc" = 0 ] || bad="qemu status $rc"
if [ -n "$bad" ]; then
	grep 'VBUDDY-DEMO: FAILED' "$log" >&2 || true
	find_splats "$log" >&2 || true
	show_tail "$log" 25
	die "$bad (log: $log)"
fi
