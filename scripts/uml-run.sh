#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot a UML kernel with the host's / as a read-only hostfs root and an init
# script of ours, and write its console to a log.
#
#   scripts/uml-run.sh UML_BUILD_DIR INIT LOG [TIMEOUT_SECONDS]
#
# Exit status: 0 when the guest powered off, 124 on timeout, else the
# kernel's.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

bdir=${1:?uml build dir}
init=${2:?init script}
log=${3:?log}
limit=${4:-300}

[ -x "$bdir/linux" ] || die "no UML kernel at $bdir/linux"
case "$init" in /*) ;; *) die "init must be an absolute path" ;; esac
[ -x "$init" ] || die "init script $init is not executable"

mkdir -p "$(dirname "$log")"
status=0
# UML keeps its memory in a file under TMPDIR; timeout signals the whole
# process group, UML's helper processes included.
timeout --kill-after=10 "$limit" "$bdir/linux" \
	mem=256M rootfstype=hostfs rootflags=/ ro init="$init" \
	con=null con0=fd:0,fd:1 \
	</dev/null >"$log" 2>&1 || status=$?
exit "$status"
