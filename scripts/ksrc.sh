#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Unpack /usr/src/linux-source-6.12.tar.xz once into the cache (keyed by the
# package version) and print the path of the tree. The tree also provides
# scripts/checkpatch.pl, scripts/kernel-doc and tools/testing/kunit/kunit.py.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

tarball=/usr/src/linux-source-6.12.tar.xz
[ -r "$tarball" ] || die "$tarball missing (run: make deps)"
ver=$(ksrc_pkgver)
[ -n "$ver" ] || die "linux-source-6.12 is not installed (run: make deps)"

dir=$VBUDDY_CACHE/src-$ver
tree=$dir/linux-source-6.12
if [ ! -e "$dir/.unpacked" ]; then
	msg "unpacking $tarball ($ver) into $dir (once, ~1 min)"
	rm -rf "$dir"
	rm -rf "$dir.tmp"
	mkdir -p "$dir.tmp"
	tar -C "$dir.tmp" -xJf "$tarball"
	[ -d "$dir.tmp/linux-source-6.12" ] || die "unexpected tarball layout"
	touch "$dir.tmp/.unpacked"
	mv "$dir.tmp" "$dir"
fi
echo "$tree"
