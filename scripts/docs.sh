#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make docs (and a stage of make check): Sphinx HTML of Documentation/ into
# build/docs/html, with the kernel's kernel-doc extension from the unpacked
# 6.12 tree pulling kernel-doc comments out of module/. Warnings are errors
# (sphinx-build -W, and kernel-doc's own through KDOC_WERROR). One test;
# writes build/results/docs.txt.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

S=$VBUDDY_ROOT/scripts
out=$VBUDDY_BUILD/docs
mkdir -p "$out"
take_lock "$VBUDDY_BUILD/.docs.lock"
rm -f "$VBUDDY_BUILD/results/docs.txt"
"$S/deps.sh"
ksrc=$("$S/ksrc.sh")

log=$out/sphinx.log
rm -rf "$out/html" "$out/doctrees"
if VBUDDY_KSRC=$ksrc KDOC_WERROR=1 sphinx-build -W --keep-going -q -b html \
	-d "$out/doctrees" "$VBUDDY_ROOT/Documentation" "$out/html" >"$log" 2>&1 &&
	! grep -qE 'warning|WARNING|ERROR' "$log"; then
	write_result docs 1 0
	echo "docs: ok: ${out#"$VBUDDY_ROOT"/}/html/index.html"
else
	write_result docs 0 1
	show_tail "$log" 30
	echo "docs: FAIL (log: ${log#"$VBUDDY_ROOT"/})"
	exit 1
fi
