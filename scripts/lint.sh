#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make lint: three checks, each one test in the results.
#   checkpatch  scripts/checkpatch.pl --strict --no-tree --terse -f over the
#               *.c/*.h of module/, lib/, kunit/, tools/testing/selftests/vbuddy/
#   sparse      the UML module build with C=2; any sparse (or compiler)
#               warning or error in a file of ours fails
#   kernel-doc  scripts/kernel-doc -none -Wall over module/*.[ch] lib/*.c kunit/*.c
# The tools come from the unpacked 6.12 tree. Writes build/results/lint.txt.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

S=$VBUDDY_ROOT/scripts
dir=$VBUDDY_BUILD/lint
mkdir -p "$dir"
take_lock "$VBUDDY_BUILD/.lint.lock"
rm -f "$VBUDDY_BUILD/results/lint.txt"
"$S/deps.sh"
ksrc=$("$S/ksrc.sh")
cd "$VBUDDY_ROOT"

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "lint: $1: ok"; }
fail() {
	failed=$((failed + 1))
	echo "lint: $1: FAIL ($2)"
	{ grep -vE '^\s*$' "$3" || true; } | head -n 25 | sed 's/^/  /'
	[ "$(wc -l <"$3")" -le 25 ] || echo "  ... (full output: ${3#"$VBUDDY_ROOT"/})"
}

# Our C sources, relative to the repo root, sorted.
sources() {
	local d
	for d in "$@"; do
		[ -d "$d" ] && find "$d" -maxdepth 1 -type f -name '*.[ch]'
	done | LC_ALL=C sort
}

# 1. checkpatch
out=$dir/checkpatch.txt
mapfile -t files < <(sources module lib kunit tools/testing/selftests/vbuddy)
if [ "${#files[@]}" = 0 ]; then
	echo "no sources" >"$out"
	fail checkpatch "no C sources found" "$out"
elif "$ksrc/scripts/checkpatch.pl" --strict --no-tree --terse --no-summary \
	--show-types -f "${files[@]}" >"$out" 2>&1 && ! grep -qE '(ERROR|WARNING|CHECK):' "$out"; then
	pass "checkpatch (${#files[@]} files)"
else
	fail checkpatch "$(grep -cE '(ERROR|WARNING|CHECK):' "$out" || true) reports" "$out"
fi

# 2. sparse (through kbuild, C=2 checks every file even when up to date)
out=$dir/sparse.txt
if ! bdir=$("$S/build-modules.sh" --uml C=2 2>"$out"); then
	fail sparse "the UML module build failed" "$out"
else
	mine=$dir/sparse-ours.txt
	{ grep -E ': (warning|error):' "$out" || true; } | { grep -F "$bdir/" || true; } |
		sed "s|$bdir/||" >"$mine"
	if [ -s "$mine" ]; then
		fail sparse "$(wc -l <"$mine") warnings in our files" "$mine"
	else
		pass sparse
	fi
fi

# 3. kernel-doc
out=$dir/kernel-doc.txt
mapfile -t files < <(sources module lib; sources kunit | grep '\.c$' || true)
if [ "${#files[@]}" = 0 ]; then
	echo "no sources" >"$out"
	fail kernel-doc "no C sources found" "$out"
elif "$ksrc/scripts/kernel-doc" -none -Wall "${files[@]}" >"$out" 2>&1 && ! [ -s "$out" ]; then
	pass "kernel-doc (${#files[@]} files)"
else
	fail kernel-doc "$(grep -c . "$out" || true) warnings" "$out"
fi

write_result lint "$passed" "$failed"
echo "lint: $passed passed, $failed failed"
[ "$failed" = 0 ]
