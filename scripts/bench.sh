#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: vbuddy_bench.ko in the UML kernel without debugging (flavour
# "bench"), where kernel code runs natively, and one table of its results:
# ns per operation for vbuddy and the kernel's nearest allocator, measured
# in the same run (each the median of the rounds, module parameter rounds,
# default 5, the sides taking turns), the median of the rounds' ratios and
# their range; then (case 4) how each side's throughput scales with
# threads; then compaction's throughput beside
# memcpy()'s of as many pages, in MB/s (case 6), and the lines of the
# parts cases (5, 6) as they are.
#
#   scripts/bench.sh [--qemu] [module parameters...]
#
# --qemu (make bench-qemu): case 4 only (every CPU at once, 1 to 4 threads)
# on the Debian 6.12 kernel under qemu -smp 4, for the shape of multi-CPU
# scaling. TCG emulates every instruction and Debian zeroes pages on
# allocation: the times are labelled emulated and are no measure.
#
# The smoke run of make check is its stage bench-smoke (scripts/check.sh).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

if [ "${1:-}" = --qemu ]; then
	shift
	dir=$VBUDDY_BUILD/bench-qemu
	guest=(--smp=4 --timeout=600 debian:6.12 "bench:run_test_mask=0x10 iterations=20000 rounds=3 $*")
else
	dir=$VBUDDY_BUILD/bench
	guest=(--timeout="${VBUDDY_UML_TIMEOUT:-600}" uml:bench "bench:$*")
fi
log=$dir/console.log
"$S/guest.sh" --dir="$dir" "${guest[@]}" || true
unfinished=()
grep -q 'vbuddy_bench: done' "$log" 2>/dev/null || unfinished=("the benchmark did not finish")
guest_or_die "$log" "${unfinished[@]}"

if [ "${guest[0]}" = --smp=4 ]; then
	echo "EMULATED (qemu TCG, -smp 4): the shape of scaling only, not a measure"
else
	echo "vbuddy_bench in UML 6.12 (flavour 'bench', no debugging)," \
		"$(grep -o '[0-9]* iterations a case' "$log" | head -n 1)"
fi
# Only the first run: busybox's insmod retries a module whose init fails,
# and vbuddy_bench's always does.
printf '%-22s %7s %10s %10s %-16s %7s %11s\n' case threads "vbuddy ns" "kernel ns" kernel \
	ratio "range"
sed '/vbuddy_bench: done/q' "$log" |
	sed -n 's/^.*vbuddy_bench: \([a-z0-9_]*\) threads=\([0-9]*\) vbuddy=\([0-9]*\) \([a-z_]*\)=\([0-9]*\) ratio=\([0-9.]*\) range=\([0-9.-]*\)$/\1 \2 \3 \5 \4 \6 \7/p' |
	while read -r c t v k kn r rr; do
		printf '%-22s %7s %10s %10s %-16s %7s %11s\n' "$c" "$t" "$v" "$k" "$kn" "$r" "$rr"
	done
# A table of the run's lines that the sed expression EXPR turns into
# fields, under a blank line and TITLE, with FORMAT's header of HEADINGS;
# nothing when no line matches.
#   table TITLE FORMAT EXPR HEADING...
table() {
	local title=$1 fmt=$2 expr=$3 rows fields
	shift 3
	rows=$(sed '/vbuddy_bench: done/q' "$log" | sed -n "$expr")
	[ -n "$rows" ] || return 0
	printf '\n%s\n' "$title"
	# shellcheck disable=SC2059 # the format is the caller's
	printf "$fmt" "$@"
	while read -r -a fields; do
		# shellcheck disable=SC2059
		printf "$fmt" "${fields[@]}"
	done <<<"$rows"
}
table "scaling (t threads' throughput over one thread's; t is perfect)" \
	'%-22s %7s %10s %10s\n' \
	's/^.*vbuddy_bench: scaling \([a-z0-9_]*\) threads=\([0-9]*\) vbuddy=\([0-9.]*\) \([a-z_]*\)=\([0-9.]*\)$/\1 \2 \3 \5/p' \
	case threads vbuddy kernel
table "compaction (pages moved, runs, MB/s; ratio: vbuddy's MB/s over memcpy's)" \
	'%-20s %7s %5s %12s %12s %7s\n' \
	's/^.*vbuddy_bench: \([a-z0-9_]*\) pages=\([0-9]*\) runs=\([0-9]*\) vbuddy_mbps=\([0-9]*\) memcpy_mbps=\([0-9]*\) ratio=\([0-9.]*\)$/\1 \2 \3 \4 \5 \6/p' \
	case pages runs "vbuddy MB/s" "memcpy MB/s" ratio
sed '/vbuddy_bench: done/q' "$log" | sed -n 's/^.*vbuddy_bench: \(\(compaction \)\{0,1\}parts, ns: \)/\1/p'
