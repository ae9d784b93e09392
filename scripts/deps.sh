#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install what the vbuddy rig needs from Debian's packages. Idempotent and
# quiet when everything is already there. Prints the chosen test kernel
# version on stdout when called as "deps.sh --kver".
set -euo pipefail

# Newest 6.12 cloud kernel apt offers (they rotate), e.g. 6.12.117+deb12-cloud-amd64.
newest_kver() {
	apt-cache --names-only search '^linux-image-6\.12\.[0-9]+\+deb12-cloud-amd64-unsigned$' |
		sed -n 's/^linux-image-\(6\.12\.[0-9]*+deb12-cloud-amd64\)-unsigned .*/\1/p' |
		sort -V | tail -n 1 || true
}

installed_kver() {
	ls -d /usr/src/linux-headers-6.12.*+deb12-cloud-amd64 2>/dev/null |
		sed 's|.*/linux-headers-||' | sort -V | tail -n 1 || true
}

base_pkgs="build-essential flex bison bc libelf-dev libssl-dev sparse python3
	qemu-system-x86 busybox-static cpio xz-utils kmod linux-source-6.12 rsync
	pahole perl gzip python3-matplotlib"

missing=""
for p in $base_pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing="$missing $p"
done

kver=$(installed_kver)
if [ -z "$kver" ] || [ ! -e "/boot/vmlinuz-$kver" ]; then
	kver=""
fi

if [ -n "$missing" ] || [ -z "$kver" ]; then
	echo "deps: installing${missing:+$missing}${kver:- the 6.12 test kernel}" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null
	if [ -z "$kver" ]; then
		kver=$(newest_kver)
		[ -n "$kver" ] || { echo "deps: no 6.12 cloud kernel offered by apt" >&2; exit 1; }
		missing="$missing linux-image-$kver-unsigned linux-headers-$kver"
	fi
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

if [ "${1:-}" = "--kver" ]; then
	echo "$kver"
fi
