#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The placement table: each trace under each placement policy, without and
# with --virtok, as Documentation/benchmarks.rst shows it.
#
#   replay-table.sh [REPLAY ARGS...] -- TRACE...
#
# A trace's pool is the one its header asks for ("# pages: N"); the real
# trace is replayed in smaller pools too (REAL_PAGES, default "22016
# 21504"), where it fragments. Columns: refused (all, and those refused
# with enough pages free: fragmentation), GFP_VIRTOK fallbacks, the
# refusals left with --virtok, and ns/op of the plain run (the best of
# ROUNDS runs, default 3; compare within one table only).
set -euo pipefail
cd "$(dirname "$0")"

args=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do
	args+=("$1")
	shift
done
[ "${1:-}" = -- ] && shift
[ $# -gt 0 ] || { echo "usage: $0 [REPLAY ARGS...] -- TRACE..." >&2; exit 2; }
rounds=${ROUNDS:-3}

# One run: "failed fragmented virtok ns" of vbuddy-replay's summary.
run() {
	./vbuddy-replay "$@" | awk -F': ' '
		/^allocations_failed:/ { f = $2 } /^allocations_failed_fragmented:/ { g = $2 }
		/^allocations_virtok:/ { v = $2 } /^ns_per_operation:/ { n = $2 }
		/^check:/ { c = $2 } /^recovered:/ { r = $2 }
		END { if (c != "ok" || r != "yes") exit 1; print f, g, v, n }'
}

printf '%-20s %6s  %-8s  %8s %8s  %9s %8s  %6s\n' trace pages policy refused frag fallbacks "left" "ns/op"
for t in "$@"; do
	sizes=(0)
	case "$t" in *real-*) sizes=(0 ${REAL_PAGES:-22016 21504}) ;; esac
	for pages in "${sizes[@]}"; do
		pa=()
		[ "$pages" = 0 ] || pa=(--pages "$pages")
		for policy in lifo address grouped; do
			best=""
			for _ in $(seq "$rounds"); do
				read -r f g _ n < <(run "${pa[@]}" --policy "$policy" "${args[@]}" "$t")
				best=$(awk -v a="$best" -v b="$n" 'BEGIN { print (a == "" || b < a) ? b : a }')
			done
			read -r vf _ vv _ < <(run "${pa[@]}" --policy "$policy" --virtok "${args[@]}" "$t")
			shown=$pages
			[ "$pages" = 0 ] && shown=$(./vbuddy-replay --policy "$policy" "$t" | sed -n 's/^pages: //p')
			printf '%-20s %6s  %-8s  %8s %8s  %9s %8s  %6s\n' "${t#traces/}" "$shown" "$policy" \
				"$f" "$g" "$vv" "$vf" "$best"
		done
	done
done
