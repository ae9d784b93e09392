#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the vbuddy modules out of the source tree and print the build dir.
#
#   scripts/build-modules.sh --uml[=FLAVOUR] [MAKE ARGS...]   cached UML kernel
#   scripts/build-modules.sh --kver=VERSION [MAKE ARGS...]    /lib/modules/VERSION/build
#   scripts/build-modules.sh --kdir=DIR [MAKE ARGS...]        any kernel build dir
#
# --fresh first (before the target) starts from an empty build dir, so that
# every file is compiled and every warning shows (used by the test stages).
# The test modules (lib/) and KUnit suites (kunit/) are built too, with
# VBUDDY_TESTS=1, unless --no-tests comes first (make modules).
#
# 6.12 kbuild has no MO=, so Kbuild, module/ and kunit/ are copied (rsync)
# into build/<target>/ and built there with M=; the repo stays clean and
# several targets can be built side by side. MAKE ARGS go to kbuild as is
# (e.g. C=2 for sparse, W=1). Compiler output is shown; the build dir is
# the only thing printed on stdout.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

fresh=""
tests=VBUDDY_TESTS=1
while :; do
	case "${1:-}" in
	--fresh) fresh=1 ;;
	--no-tests) tests="" ;;
	*) break ;;
	esac
	shift
done
target=""
case "${1:-}" in
--uml) target=uml; flavour=debug ;;
--uml=*) target=uml; flavour=${1#--uml=} ;;
--kver=*) target=kdir; kdir=/lib/modules/${1#--kver=}/build ;;
--kdir=*) target=kdir; kdir=${1#--kdir=} ;;
*) die "usage: $0 --uml[=FLAVOUR] | --kver=VERSION | --kdir=DIR [MAKE ARGS...]" ;;
esac
shift

if [ "$target" = uml ]; then
	ksrc=$("$VBUDDY_ROOT/scripts/ksrc.sh")
	kbuild=$("$VBUDDY_ROOT/scripts/kernel.sh" "$flavour")
	out=$VBUDDY_BUILD/uml-$flavour
	make_cmd=(make -C "$ksrc" O="$kbuild" ARCH=um)
else
	[ -e "$kdir/Makefile" ] || die "no kernel build dir at $kdir (install its headers, or pass KDIR=...)"
	kdir=$(cd "$kdir" && pwd -P)
	rel=$(cat "$kdir/include/config/kernel.release" 2>/dev/null || basename "$(dirname "$kdir")")
	out=$VBUDDY_BUILD/kernel-$rel
	make_cmd=(make -C "$kdir")
fi

take_lock "$out.lock"
[ -z "$fresh" ] || rm -rf "$out"
mkdir -p "$out"
# --delete drops files removed from the repo; build products are excluded,
# hence kept, so rebuilds stay incremental.
rsync -a --delete \
	--exclude='*.o' --exclude='*.ko' --exclude='*.mod' --exclude='*.mod.c' \
	--exclude='.*.cmd' --exclude='*.a' --exclude='*.order' \
	--exclude='Module.symvers' --exclude='*.d' --exclude='*.tmp' \
	"$VBUDDY_ROOT/Kbuild" "$VBUDDY_ROOT/module" "$VBUDDY_ROOT/lib" "$VBUDDY_ROOT/kunit" "$out/"

msg "building modules in ${out#"$VBUDDY_ROOT"/} against ${kbuild:-$kdir}"
"${make_cmd[@]}" M="$out" -j"$VBUDDY_JOBS" $tests "$@" modules >&2
msg "built: $(cd "$out" && find . -name '*.ko' | sed 's|^\./||' | LC_ALL=C sort | tr '\n' ' ')(in ${out#"$VBUDDY_ROOT"/})"
echo "$out"
