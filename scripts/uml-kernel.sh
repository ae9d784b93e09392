#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build (once) the ARCH=um kernel of a flavour and print its build dir.
#
#   scripts/uml-kernel.sh [flavour]     (default flavour: debug)
#
# A flavour is a kunitconfig: "debug" is kunit/.kunitconfig, flavour X is
# kunit/X.kunitconfig (e.g. a KASAN/kmemleak one, a no-debug bench one).
# The build dir is <cache>/uml-<flavour>-<key>, key = linux-source package
# version + sha of the kunitconfig: a changed config or source package gets
# a fresh build, an unchanged one is skipped (stamp file .vbuddy-built).
# A new key starts from a copy of the newest built dir of the same flavour
# and source, so that kbuild only recompiles what the config change touches
# (it falls back to a clean build if that fails).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

flavour=${1:-debug}
kconf=$(flavour_kunitconfig "$flavour")
[ -r "$kconf" ] || die "no kunitconfig for flavour '$flavour' ($kconf)"

ksrc=$("$VBUDDY_ROOT/scripts/ksrc.sh")
sha=$(sha256sum "$kconf" | cut -c1-12)
bdir=$VBUDDY_CACHE/uml-$flavour-$(ksrc_pkgver)-$sha
stamp=$bdir/.vbuddy-built

if [ ! -e "$stamp" ]; then
	# One builder per build dir (two makes at once would trample it).
	take_lock "$bdir.lock"
fi
build() {
	(cd "$ksrc" && python3 tools/testing/kunit/kunit.py build \
		--kunitconfig="$kconf" --build_dir="$bdir" \
		--jobs="$VBUDDY_JOBS") >"$log" 2>&1 &&
		[ -x "$bdir/linux" ] && [ -e "$bdir/Module.symvers" ]
}

if [ ! -e "$stamp" ]; then
	log=$bdir.log
	start=$(date +%s)
	rm -rf "$bdir"
	seed=$(ls -td "$VBUDDY_CACHE/uml-$flavour-$(ksrc_pkgver)"-*/.vbuddy-built 2>/dev/null |
		head -n 1 || true)
	ok=""
	if [ -n "$seed" ]; then
		seed=$(dirname "$seed")
		msg "building the UML kernel '$flavour' in $bdir, incrementally from ${seed##*/} (log: $log)"
		cp -a "$seed" "$bdir"
		rm -f "$stamp"
		if build; then
			ok=1
		else
			msg "incremental build failed, starting from scratch"
			rm -rf "$bdir"
		fi
	fi
	if [ -z "$ok" ]; then
		msg "building the UML kernel '$flavour' in $bdir (once, ~6 min on 2 cores; log: $log)"
		if ! build; then
			show_tail "$log" 40
			die "UML kernel build failed (log: $log)"
		fi
	fi
	touch "$stamp"
	msg "UML kernel '$flavour' built in $(($(date +%s) - start)) s"
fi
echo "$bdir"
