#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Sum the stage results of build/results/<stage>.txt ("passed failed
# [note]") and end with exactly one line "N passed, M failed".
#
#   scripts/summary.sh STAGE...
#
# A stage named on the command line without a result file counts as one
# failure (it broke before writing one). Exit status 1 if M > 0.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

total_p=0
total_f=0
echo "==================== vbuddy check summary ===================="
for stage in "$@"; do
	f=$VBUDDY_BUILD/results/$stage.txt
	if [ -r "$f" ]; then
		read -r p fl note <"$f" || true
	else
		p=0 fl=1 note="broke without a result"
	fi
	[[ "$p" =~ ^[0-9]+$ ]] || p=0
	[[ "$fl" =~ ^[0-9]+$ ]] || { fl=1; note="unreadable result"; }
	if [ "$fl" -gt 0 ]; then status=FAIL; else status=ok; fi
	printf '  %-10s %-4s  passed %4d  failed %4d  %s\n' "$stage" "$status" "$p" "$fl" "${note:-}"
	total_p=$((total_p + p))
	total_f=$((total_f + fl))
done
echo "=============================================================="
echo "$total_p passed, $total_f failed"
[ "$total_f" = 0 ]
