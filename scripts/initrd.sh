#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Make a busybox initramfs (cpio newc, gzip).
#
#   scripts/initrd.sh OUT.cpio.gz INIT FILE...
#
# INIT becomes /init; every FILE (the .ko files, test programs) goes to
# /lib/vbuddy/, executable if it is executable here.
# busybox comes from busybox-static (/bin/busybox) with a link per applet.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

out=${1:?output}
init=${2:?init script}
shift 2

bb=/bin/busybox
if ! "$bb" --list >/dev/null 2>&1; then
	die "$bb missing (run: make deps)"
fi

stage=$(mktemp -d "${TMPDIR:-/tmp}/vbuddy-initrd.XXXXXX")
trap 'rm -rf "$stage"' EXIT

mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,lib/vbuddy}
cp "$bb" "$stage/bin/busybox"
for applet in $("$bb" --list); do
	[ -e "$stage/bin/$applet" ] || ln -s busybox "$stage/bin/$applet"
done
# The kernel opens /dev/console for init before anything is mounted.
mknod -m 600 "$stage/dev/console" c 5 1 2>/dev/null ||
	die "cannot mknod /dev/console (run as root)"
mknod -m 666 "$stage/dev/null" c 1 3
install -m 755 "$init" "$stage/init"
for f in "$@"; do
	if [ -x "$f" ]; then mode=755; else mode=644; fi
	install -m "$mode" "$f" "$stage/lib/vbuddy/"
done

mkdir -p "$(dirname "$out")"
(cd "$stage" && find . -print0 | LC_ALL=C sort -z |
	cpio --null -o -H newc --quiet) | gzip -1 >"$out.tmp"
mv "$out.tmp" "$out"
