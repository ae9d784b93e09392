#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make check: every stage in turn (deps, userspace, fuzz, kunit in the debug and
# KASAN flavours, qemu on 6.12 and 6.1, stress, bench smoke, docs, dkms, lint), each
# writing build/results/<stage>.txt; a stage that breaks counts as a failure
# and the others still run. Ends with scripts/summary.sh's single
# "N passed, M failed" line; exit status 1 if anything failed.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

S=$VBUDDY_ROOT/scripts
rm -rf "$VBUDDY_BUILD/results"
mkdir -p "$VBUDDY_BUILD/results"
start=$(date +%s)

stage() {
	local name=$1 t0 rc=0
	shift
	t0=$(date +%s)
	echo "==== $name ===="
	"$@" || rc=$?
	local f=$VBUDDY_BUILD/results/$name.txt
	if [ "$rc" != 0 ]; then
		# Broke without saying so: make sure it counts as a failure.
		if [ ! -r "$f" ] || [ "$(cut -d' ' -f2 "$f")" = 0 ]; then
			write_result "$name" "$(cut -d' ' -f1 "$f" 2>/dev/null || echo 0)" 1 "exit status $rc"
		fi
	elif [ ! -r "$f" ]; then
		write_result "$name" 0 1 "no result written"
	fi
	echo "($name: $(($(date +%s) - t0)) s)"
}

deps_stage() {
	"$S/deps.sh" && write_result deps 0 0
}

stage deps deps_stage
stage userspace "$S/userspace.sh"
stage fuzz "$S/fuzz.sh"
stage kunit "$S/kunit.sh"
stage kunit-kasan "$S/kunit.sh" kasan
stage qemu "$S/qemu-test.sh" 6.12
stage qemu61 "$S/qemu-test.sh" 6.1
stage stress "$S/stress.sh"
stage bench-smoke "$S/bench.sh" --smoke
stage docs "$S/docs.sh"
stage dkms "$S/dkms.sh" check
stage lint "$S/lint.sh"

echo "(total: $(($(date +%s) - start)) s)"
exec "$S/summary.sh" deps userspace fuzz kunit kunit-kasan qemu qemu61 stress bench-smoke docs dkms lint
