#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot the Debian test kernel in qemu (TCG, never KVM) with an initramfs and
# write the serial console to a log.
#
#   scripts/qemu-run.sh KVER INITRD LOG [TIMEOUT_SECONDS]
#
# VBUDDY_QEMU_SMP sets the number of CPUs (default 2).
# Exit status: 0 when the guest powered off, 124 on timeout, else qemu's.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

kver=${1:?kver}
initrd=${2:?initrd}
log=${3:?log}
limit=${4:-180}

kernel=/boot/vmlinuz-$kver
[ -r "$kernel" ] || die "$kernel missing (run: make deps)"
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 missing (run: make deps)"

mkdir -p "$(dirname "$log")"
status=0
timeout --kill-after=10 "$limit" \
	qemu-system-x86_64 -cpu max -smp "${VBUDDY_QEMU_SMP:-2}" -m 512 -nographic -no-reboot \
	-kernel "$kernel" -initrd "$initrd" \
	-append "console=ttyS0 panic=-1 loglevel=7" \
	</dev/null 2>&1 | tr -d '\r' >"$log" || status=$?	# pipefail: timeout's
exit "$status"
