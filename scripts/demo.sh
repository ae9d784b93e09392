#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make demo: boot the Debian test kernel in qemu, insmod vbuddy.ko and
# vbuddy_demo.ko, and print what the modules said (the vbuddy and
# vbuddy_demo kernel lines, without timestamps). Then draw a pool: the guest
# drives a pool "demo" of 256 pages through vbuddy_test_driver.ko and dumps
# its debugfs files before, on a checkerboard and after a GFP_VIRTOK
# fallback; they land in build/demo/<moment>.{pagemap,buddyinfo,...}, and
# scripts/vbuddy-plot draws build/demo/<moment>.png. Then compaction: the
# same pool fragmented by movable blocks (three of every four freed), an
# order-4 request that may not sleep refused, "echo 4 > compact", and the
# request served contiguously (build/demo/{movable,compacted}.png). Last, the captured
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
sed -n '/^VBUDDY-GUEST: chapter compaction$/q; s/^VBUDDY-GUEST: control: /  /p' "$log"
declare -A title=(
	[before]="pool 'demo', fresh: 256 pages, one free block of order 8"
	[checkerboard]="pool 'demo', checkerboard: odd pages held, no two free pages adjacent"
	[fallback]="pool 'demo', kmalloc(16 KiB, GFP_VIRTOK): no order-2 block, 4 scattered pages mapped"
	[movable]="pool 'demo', movable: every page taken as a movable block, 3 of 4 freed"
)
made=()
# draw MOMENT...: build/demo/MOMENT.png from its pagemap and buddyinfo dumps
draw() {
	local m f
	for m in "$@"; do
		for f in pagemap buddyinfo; do
			[ -s "$pics/$m.$f" ] || die "no $f dump for '$m' in $log"
		done
		"$S/vbuddy-plot" "$pics/$m.pagemap" "$pics/$m.buddyinfo" "$pics/$m.png" \
			--title "${title[$m]}" || die "vbuddy-plot failed for '$m'"
		made+=("${pics#"$VBUDDY_ROOT"/}/$m.png")
	done
}
# stats FILE REGEX [SKIP]: the non-zero lines of a stats dump whose names
# match REGEX and not SKIP, three a line.
stats() {
	awk -v re="$2" -v skip="${3:-^$}" '$2 != 0 && $1 ~ re && $1 !~ skip { printf "  %-22s %6s%s", $1, $2, (++n % 3 ? "" : "\n") }
		END { if (n % 3) print "" }' "$1"
}
draw before checkerboard fallback
echo "fallback: pagemap ('.' free, P held pages, V the GFP_VIRTOK range)"
sed 's/^/  /' "$pics/fallback.pagemap"
echo "fallback: stats (non-zero)"
stats "$pics/fallback.stats" '' '^class'
echo "fallback: window: $(head -n 1 "$pics/fallback.window"); $(sed -n '2{s/ addr [0-9a-fx]*//;p;}' "$pics/fallback.window")"
echo "pictures: ${made[*]}"
echo "======================================================================"

# Compaction: the guest's lines after "chapter compaction".
echo "==================== compaction: moving blocks instead of mapping around them ===================="
chapter=$(sed -n '/^VBUDDY-GUEST: chapter compaction$/,$p' "$log")
[ -n "$chapter" ] || die "no compaction chapter in $log"
echo "$chapter" | sed -n 's/^VBUDDY-GUEST: \(control\|write\|compact\): /  \1: /p'
cat <<'EOT'
  (Every page was taken as a movable order-0 block and three of every four
  freed, with background compaction off. 'alloc ... nowait' asks for a
  contiguous block with GFP_NOWAIT: it may not sleep, so it does not compact,
  and a GFP_VIRTOK kmalloc that may not sleep is refused too (vmap() sleeps).
  Without compaction a request that may sleep would need that fallback;
  'echo 4 > compact' moves the movable blocks out of the lowest region of 16
  pages to the highest free pages instead, and the same request is served
  contiguously. A GFP_KERNEL request of order 1 or more compacts by itself
  before failing, and before any GFP_VIRTOK fallback. The score is the share
  of free pages in blocks below order 4, in percent.)
EOT
for f in pagemap buddyinfo stats; do
	[ -s "$pics/compacted.$f" ] || die "no $f dump for 'compacted' in $log"
done
moved=$(sed -n 's/^compact_blocks_moved //p' "$pics/compacted.stats")
title[compacted]="pool 'demo', after echo 4 > compact: $moved movable blocks moved up, a free block of order 4"
made=()
draw movable compacted
# The largest order with a free block in a buddyinfo dump.
largest() { awk '{ for (i = 5; i <= NF; i++) if ($i > 0) o = i - 5 } END { print o }' "$1"; }
for m in movable compacted; do
	echo "$m: buddyinfo (free blocks of orders 0..10):" \
		"$(sed 's/^Node 0, zone *[^ ]* *//; s/  */ /g; s/ $//' "$pics/$m.buddyinfo");" \
		"largest free order $(largest "$pics/$m.buddyinfo")"
done
echo "served: pagemap ('.' free, M movable blocks, P the order-4 block served)"
sed 's/^/  /' "$pics/served.pagemap"
echo "served: stats (non-zero: compaction, and order 4)"
stats "$pics/served.stats" '^(compact_|alloc_(fail_)?order4$)'
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
