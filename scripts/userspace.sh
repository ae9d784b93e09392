#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The userspace tests: make -C tools/testing/vbuddy check, whose last line
# is "N passed, M failed". Skipped (0 0) while that directory has no
# Makefile. Output goes to build/userspace.log. Writes
# build/results/userspace.txt.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

tdir=$VBUDDY_ROOT/tools/testing/vbuddy
rm -f "$VBUDDY_BUILD/results/userspace.txt"
if [ ! -e "$tdir/Makefile" ]; then
	echo "userspace: skipped (no tools/testing/vbuddy/Makefile yet)"
	write_result userspace 0 0 skipped
	exit 0
fi

log=$VBUDDY_BUILD/userspace.log
mkdir -p "$VBUDDY_BUILD"
rc=0
make -C "$tdir" -j"$VBUDDY_JOBS" --no-print-directory check >"$log" 2>&1 </dev/null || rc=$?

last=$(grep -v '^\s*$' "$log" | grep -vE '^make(\[[0-9]+\])?: ' | tail -n 1 || true)
if [[ "$last" =~ ^[[:space:]]*([0-9]+)\ passed,\ ([0-9]+)\ failed[[:space:]]*$ ]]; then
	passed=${BASH_REMATCH[1]}
	failed=${BASH_REMATCH[2]}
	# A non-zero exit with no failed case is still a broken stage.
	[ "$rc" = 0 ] || [ "$failed" -gt 0 ] || failed=1
else
	passed=0
	failed=1
	echo "userspace: no 'N passed, M failed' last line (exit status $rc)"
fi
write_result userspace "$passed" "$failed"
if [ "$failed" -gt 0 ] || [ "$rc" != 0 ]; then
	show_tail "$log" 25
	echo "userspace: FAIL ($passed passed, $failed failed; log: ${log#"$VBUDDY_ROOT"/})"
	exit 1
fi
echo "userspace: PASS ($passed passed, 0 failed)"
