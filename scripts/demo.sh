#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make demo: boot the Debian test kernel in qemu, insmod vbuddy.ko and
# vbuddy_demo.ko, and print what the modules said (the vbuddy and
# vbuddy_demo kernel lines, without timestamps). Then draw a pool: the guest
# drives a pool "demo" of 256 pages through vbuddy_test_driver.ko and dumps
# its debugfs files before, on a checkerboard and after a GFP_VIRTOK
# fallback; they land in build/demo/<moment>.{pagemap,buddyinfo,...}, and
# scripts/vbuddy-plot draws build/demo/<moment>.png. Last, the captured
# kernel trace is replayed under two placements and drawn over time
# (build/demo/placement.png). Installs what it needs.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

dir=$VBUDDY_BUILD/demo-run
log=$dir/console.log
"$S/guest.sh" --dir="$dir" debian:6.12 demo || true

echo "==================== vbuddy demo ($(sed -n 's/^VBUDDY-GUEST: start (\(.*\))$/\1/p' "$log" 2>/dev/null)) ===================="
sed -n '/VBUDDY-GUEST: demo begin/,/VBUDDY-GUEST: demo end/p' "$log" 2>/dev/null |
	grep -v '^VBUDDY-GUEST: demo \(begin\|end\)' || true
echo "=============================================================="

guest_or_die "$log"

# The pictures: the dumps between "dump MOMENT FILE begin/end" markers.
pics=$VBUDDY_BUILD/demo
rm -rf "$pics"
mkdir -p "$pics"
awk -v dir="$pics" '
	/^VBUDDY-GUEST: dump [a-z]+ [a-z]+ begin$/ { f = dir "/" $3 "." $4; printf "" >f; on = 1; next }
	/^VBUDDY-GUEST: dump [a-z]+ [a-z]+ end$/ { if (on) close(f); on = 0; next }
	on { print >f }' "$log"

echo "==================== a pool of 256 pages, drawn ===================="
sed -n 's/^VBUDDY-GUEST: control: /  /p' "$log"
moments="before checkerboard fallback"
declare -A title=(
	[before]="pool 'demo', fresh: 256 pages, one free block of order 8"
	[checkerboard]="pool 'demo', checkerboard: odd pages held, no two free pages adjacent"
	[fallback]="pool 'demo', kmalloc(16 KiB, GFP_VIRTOK): no order-2 block, 4 scattered pages mapped"
)
made=()
for m in $moments; do
	for f in pagemap buddyinfo; do
		[ -s "$pics/$m.$f" ] || die "no $f dump for '$m' in $log"
	done
	"$S/vbuddy-plot" "$pics/$m.pagemap" "$pics/$m.buddyinfo" "$pics/$m.png" \
		--title "${title[$m]}" || die "vbuddy-plot failed for '$m'"
	made+=("${pics#"$VBUDDY_ROOT"/}/$m.png")
done
echo "fallback: pagemap ('.' free, P held pages, V the GFP_VIRTOK range)"
sed 's/^/  /' "$pics/fallback.pagemap"
echo "fallback: stats (non-zero)"
awk '$2 != 0 && $1 !~ /^class/ { printf "  %-22s %6s%s", $1, $2, (++n % 3 ? "" : "\n") }
	END { if (n % 3) print "" }' "$pics/fallback.stats"
echo "fallback: window: $(head -n 1 "$pics/fallback.window"); $(sed -n '2{s/ addr [0-9a-fx]*//;p;}' "$pics/fallback.window")"
echo "pictures: ${made[*]}"
echo "======================================================================"

# Fragmentation over time: the captured kernel trace replayed in userspace
# (tools/testing/vbuddy) in a pool a little below its peak, vbuddy's first
# placement against the default, every 20000 operations.
echo "==================== placement over a real kernel trace ===================="
make -s -C "$VBUDDY_ROOT/tools/testing/vbuddy" vbuddy-replay >/dev/null ||
	die "cannot build vbuddy-replay"
replay=$VBUDDY_ROOT/tools/testing/vbuddy/vbuddy-replay
trace=$VBUDDY_ROOT/tools/testing/vbuddy/traces/real-6.12.trace.xz
series=()
for policy in lifo grouped; do
	"$replay" --pages 22016 --policy "$policy" --virtok --series 20000 "$trace" \
		>"$pics/real-$policy.csv" 2>"$pics/real-$policy.summary" ||
		die "vbuddy-replay --policy $policy failed"
	plain=$("$replay" --pages 22016 --policy "$policy" "$trace" |
		sed -n 's/^allocations_failed_fragmented: //p')
	printf '  %-8s refused for fragmentation %4s without GFP_VIRTOK; %4s GFP_VIRTOK fallbacks with it\n' \
		"$policy" "$plain" "$(sed -n 's/^allocations_virtok: //p' "$pics/real-$policy.summary")"
	series+=("$policy=$pics/real-$policy.csv")
done
"$S/vbuddy-plot" --series "$pics/placement.png" \
	--title "real-6.12 trace (1.68M operations) in 22016 pages: lifo vs grouped placement" \
	"${series[@]}" || die "vbuddy-plot --series failed"
echo "picture: ${pics#"$VBUDDY_ROOT"/}/placement.png"
echo "======================================================================"
