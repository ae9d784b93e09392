#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The fuzz stage of make check: the libFuzzer target of tools/testing/vbuddy
# for FUZZ_SECONDS (default 60) over its corpus, which it leaves as it is
# (make -C tools/testing/vbuddy fuzz keeps what it finds). Writes
# build/results/fuzz.txt from the target's "N passed, M failed" line.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

dir=$VBUDDY_ROOT/tools/testing/vbuddy
log=$VBUDDY_BUILD/fuzz.log
mkdir -p "$VBUDDY_BUILD"
rc=0
FUZZ_KEEP=0 make -s -C "$dir" fuzz FUZZ_SECONDS="${FUZZ_SECONDS:-60}" >"$log" 2>&1 || rc=$?
grep -E '^(fuzz: |executions: |exec/s: )' "$log" || true
line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1 || true)
if [ -z "$line" ]; then
	show_tail "$log" 20
	write_result fuzz 0 1 "no result (log: $log)"
	exit 1
fi
read -r passed _ failed _ <<<"$line"
[ "$rc" = 0 ] || [ "$failed" != 0 ] || failed=1
write_result fuzz "$passed" "$failed"
[ "$failed" = 0 ] || { msg "fuzz: FAIL (log: $log)"; exit 1; }
