#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# DKMS packaging (dkms.conf at the top of the tree).
#
#   scripts/dkms.sh install   make dkms-install: copy the tree to
#                             /usr/src/vbuddy-<version>, dkms add, build and
#                             install for the running kernel (or KVER=)
#   scripts/dkms.sh check     a stage of make check: the same tree under the
#                             version <version>-check, dkms add, dkms build
#                             for the 6.12 and 6.1 test kernels (one test
#                             each: the .ko files are there, no compiler
#                             warnings), then dkms remove; repeatable, and
#                             leaves an installed vbuddy alone. The
#                             stage dkms of scripts/check.sh.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

mode=${1:-}
ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$VBUDDY_ROOT/dkms.conf")
[ -n "$ver" ] || die "no PACKAGE_VERSION in dkms.conf"
command -v dkms >/dev/null || "$S/deps.sh"

# Copy the sources DKMS needs to /usr/src/vbuddy-$1, dkms.conf saying $1.
put_tree() {
	local v=$1 dst=/usr/src/vbuddy-$1
	rm -rf "$dst"
	mkdir -p "$dst"
	rsync -a --exclude='*.o' --exclude='*.ko' --exclude='*.mod' --exclude='*.mod.c' \
		--exclude='.*.cmd' --exclude='*.a' --exclude='*.order' --exclude='*.symvers' \
		"$VBUDDY_ROOT/Kbuild" "$VBUDDY_ROOT/module" "$dst/"
	sed "s/^PACKAGE_VERSION=.*/PACKAGE_VERSION=\"$v\"/" "$VBUDDY_ROOT/dkms.conf" >"$dst/dkms.conf"
}

# Forget vbuddy/$1 in DKMS (every kernel) and its source tree.
drop() {
	if [ -n "$(dkms status -m vbuddy -v "$1" 2>/dev/null)" ]; then
		dkms remove -m vbuddy -v "$1" --all >/dev/null 2>&1 || true
	fi
	rm -rf "/usr/src/vbuddy-$1" "/var/lib/dkms/vbuddy/$1"
}

case "$mode" in
install)
	kver=${KVER:-$(uname -r)}
	drop "$ver"
	put_tree "$ver"
	dkms add -m vbuddy -v "$ver"
	dkms build -m vbuddy -v "$ver" -k "$kver"
	dkms install -m vbuddy -v "$ver" -k "$kver"
	dkms status -m vbuddy
	;;
check)
	stage_begin dkms
	dir=$VBUDDY_BUILD/dkms
	mkdir -p "$dir"
	cver=$ver-check
	drop "$cver"
	put_tree "$cver"
	if ! dkms add -m vbuddy -v "$cver" >"$dir/add.log" 2>&1; then
		drop "$cver"
		stage_broken "dkms add failed" "$dir/add.log"
	fi
	for series in 6.12 6.1; do
		kver=$("$S/deps.sh" --kver="$series")
		log=$dir/build-$kver.log
		mods=/var/lib/dkms/vbuddy/$cver/$kver/$(uname -m)/module
		mlog=/var/lib/dkms/vbuddy/$cver/$kver/$(uname -m)/log/make.log
		problem=""
		if ! dkms build -m vbuddy -v "$cver" -k "$kver" >"$log" 2>&1; then
			problem="dkms build failed"
		elif [ ! -e "$mods/vbuddy.ko" ] && [ ! -e "$mods/vbuddy.ko.xz" ]; then
			problem="no vbuddy.ko in $mods"
		elif [ ! -r "$mlog" ]; then
			problem="no $mlog"
		elif grep -q 'warning:' "$mlog"; then
			problem="compiler warnings"
		fi
		cp "$mlog" "$dir/make-$kver.log" 2>/dev/null || true
		if [ -z "$problem" ]; then
			stage_pass 1
			echo "dkms: build for $kver: ok"
		else
			stage_problem "build for $kver: $problem (log: $(rel "$log"))"
			show_tail "$log" 15
			[ ! -r "$dir/make-$kver.log" ] || show_tail "$dir/make-$kver.log" 15
		fi
	done
	drop "$cver"
	[ -z "$(dkms status -m vbuddy -v "$cver")" ] || stage_problem "dkms remove left vbuddy/$cver"
	stage_end
	;;
*)
	die "usage: $0 install | check"
	;;
esac
