#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build (once) the test kernel of a flavour from the 6.12 tree and print
# its build dir.
#
#   scripts/kernel.sh [flavour]     (default flavour: debug)
#
# A flavour is a config file in kunit/ (lib.sh's flavour_config):
#   X.kunitconfig     an ARCH=um kernel, built by kunit.py build; "debug" is
#                     kunit/.kunitconfig, others a KASAN/kmemleak one, a
#                     no-debug bench one
#   X.x86_64.config   an x86-64 kernel for qemu (scripts/guest.sh
#                     bzimage:DIR): allnoconfig + the fragment, bzImage and
#                     Module.symvers, e.g. the KCSAN one
# The build dir is <cache>/<arch>-<flavour>-<key> (arch uml or x86_64),
# key = linux-source package version + sha of the config file: a changed
# config or source package gets a fresh build, an unchanged one is skipped
# (stamp file .vbuddy-built). A new key starts from a copy of the newest
# built dir of the same flavour and source, so that kbuild only recompiles
# what the config change touches (it falls back to a clean build if that
# fails).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

flavour=${1:-debug}
kconf=$(flavour_config "$flavour")
[ -r "$kconf" ] || die "no config for flavour '$flavour' ($kconf)"
case "$kconf" in
*.x86_64.config) arch=x86_64 ;;
*) arch=uml ;;
esac

ksrc=$("$VBUDDY_ROOT/scripts/ksrc.sh")
sha=$(sha256sum "$kconf" | cut -c1-12)
prefix=$VBUDDY_CACHE/$arch-$flavour-$(ksrc_pkgver)
bdir=$prefix-$sha
stamp=$bdir/.vbuddy-built

if [ ! -e "$stamp" ]; then
	# One builder per build dir (two makes at once would trample it).
	take_lock "$bdir.lock"
fi

# Every line of the fragment that sets an option, or says it is not set,
# must be in the .config that allnoconfig made of it (a dependency it
# lacks drops an option silently); kunit.py checks its own.
config_has_fragment() {
	local line missing=""
	while IFS= read -r line; do
		grep -qxF "$line" "$bdir/.config" || missing="$missing ${line%%=*}"
	done < <(grep -E '^(CONFIG_|# CONFIG_.* is not set$)' "$kconf")
	[ -z "$missing" ] || { echo "not in .config:$missing" >&2; return 1; }
}

build() {
	if [ "$arch" = uml ]; then
		(cd "$ksrc" && python3 tools/testing/kunit/kunit.py build \
			--kunitconfig="$kconf" --build_dir="$bdir" \
			--jobs="$VBUDDY_JOBS") >"$log" 2>&1 &&
			[ -x "$bdir/linux" ] && [ -e "$bdir/Module.symvers" ]
	else
		{
			mkdir -p "$bdir" &&
				make -C "$ksrc" O="$bdir" ARCH=x86_64 KCONFIG_ALLCONFIG="$kconf" allnoconfig &&
				config_has_fragment &&
				make -C "$ksrc" O="$bdir" ARCH=x86_64 -j"$VBUDDY_JOBS" all
		} >"$log" 2>&1 && [ -r "$bdir/arch/x86/boot/bzImage" ] && [ -e "$bdir/Module.symvers" ]
	fi
}

if [ ! -e "$stamp" ]; then
	log=$bdir.log
	start=$(date +%s)
	rm -rf "$bdir"
	seed=$(ls -td "$prefix"-*/.vbuddy-built 2>/dev/null | head -n 1 || true)
	ok=""
	if [ -n "$seed" ]; then
		seed=$(dirname "$seed")
		msg "building the $arch kernel '$flavour' in $bdir, incrementally from ${seed##*/} (log: $log)"
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
		msg "building the $arch kernel '$flavour' in $bdir (once, ~6-15 min on 2 cores; log: $log)"
		if ! build; then
			show_tail "$log" 40
			die "$arch kernel build failed (log: $log)"
		fi
	fi
	touch "$stamp"
	msg "$arch kernel '$flavour' built in $(($(date +%s) - start)) s"
fi
echo "$bdir"
