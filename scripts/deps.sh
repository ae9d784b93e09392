#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install what the vbuddy rig needs from Debian's packages. Idempotent and
# quiet when everything is already there. Two test kernels: the newest 6.12
# and 6.1 cloud kernels apt offers (image and headers).
#
#   deps.sh              install
#   deps.sh --kver       install, then print the 6.12 test kernel version
#   deps.sh --kver=6.1   install, then print the 6.1 test kernel version
set -euo pipefail

# apt-cache regexp of the unsigned image packages of a series, and the sed
# expression that turns such a package name into the kernel version.
series_re() {
	case "$1" in
	6.12) echo '6\.12\.[0-9]+\+deb12-cloud-amd64' ;;
	6.1) echo '6\.1\.0-[0-9]+-cloud-amd64' ;;
	*) echo "deps: unknown kernel series $1" >&2; exit 1 ;;
	esac
}

# Newest cloud kernel of a series apt offers (they rotate), e.g.
# 6.12.117+deb12-cloud-amd64 or 6.1.0-56-cloud-amd64.
newest_kver() {
	local re
	re=$(series_re "$1")
	apt-cache --names-only search "^linux-image-$re-unsigned\$" |
		sed -n -E "s/^linux-image-($re)-unsigned .*/\1/p" |
		sort -V | tail -n 1 || true
}

# Newest installed kernel of a series with headers and a bootable image.
installed_kver() {
	local re k found=""
	re=$(series_re "$1")
	for k in /usr/src/linux-headers-*; do
		k=${k#/usr/src/linux-headers-}
		[[ "$k" =~ ^$re$ ]] && [ -e "/boot/vmlinuz-$k" ] && found="$found $k"
	done
	# shellcheck disable=SC2086
	[ -z "$found" ] || printf '%s\n' $found | sort -V | tail -n 1
}

base_pkgs="build-essential flex bison bc libelf-dev libssl-dev sparse python3
	qemu-system-x86 busybox-static cpio xz-utils kmod linux-source-6.12 rsync
	pahole perl gzip python3-matplotlib python3-sphinx dkms clang-14 libclang-rt-14-dev"

missing=""
for p in $base_pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing="$missing $p"
done

declare -A kver
need_kernel=""
for series in 6.12 6.1; do
	kver[$series]=$(installed_kver "$series")
	[ -n "${kver[$series]}" ] || need_kernel="$need_kernel $series"
done

if [ -n "$missing" ] || [ -n "$need_kernel" ]; then
	echo "deps: installing${missing:+$missing}${need_kernel:+ the test kernels$need_kernel}" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null
	for series in $need_kernel; do
		k=$(newest_kver "$series")
		[ -n "$k" ] || { echo "deps: no $series cloud kernel offered by apt" >&2; exit 1; }
		kver[$series]=$k
		missing="$missing linux-image-$k-unsigned linux-headers-$k"
	done
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

case "${1:-}" in
--kver) echo "${kver[6.12]}" ;;
--kver=*) [ -n "${kver[${1#--kver=}]:-}" ] || { echo "deps: no kernel series ${1#--kver=}" >&2; exit 1; }
	echo "${kver[${1#--kver=}]}" ;;
esac
