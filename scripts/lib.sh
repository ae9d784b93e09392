# SPDX-License-Identifier: GPL-2.0
#
# Shared helpers for the vbuddy rig scripts. Source it, do not run it.
# shellcheck shell=bash

VBUDDY_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VBUDDY_CACHE=${VBUDDY_CACHE:-$HOME/.cache/vbuddy}
VBUDDY_BUILD=${VBUDDY_BUILD:-$VBUDDY_ROOT/build}
VBUDDY_JOBS=${VBUDDY_JOBS:-2}
export VBUDDY_ROOT VBUDDY_CACHE VBUDDY_BUILD VBUDDY_JOBS

# Messages go to stderr so that scripts can print paths on stdout.
msg() { echo "$(basename "$0" .sh): $*" >&2; }
die() { msg "error: $*"; exit 1; }

# Serialise with other runs (another make in the same tree): hold an
# exclusive lock on FILE until this script exits.
take_lock() {
	local file=$1 fd
	mkdir -p "$(dirname "$file")"
	exec {fd}>"$file"
	if ! flock -n "$fd"; then
		msg "waiting for another run holding $file"
		flock "$fd"
	fi
}

# Version of the Debian linux-source package, usable in a file name.
ksrc_pkgver() {
	dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null |
		tr -c 'A-Za-z0-9.+_\n-' '_'
}

# Kunitconfig file of a flavour: "debug" is kunit/.kunitconfig, any other
# flavour X is kunit/X.kunitconfig.
flavour_kunitconfig() {
	case "$1" in
	debug) echo "$VBUDDY_ROOT/kunit/.kunitconfig" ;;
	*) echo "$VBUDDY_ROOT/kunit/$1.kunitconfig" ;;
	esac
}

# Kernel splats that fail a test run, as one extended regexp: warnings, BUGs
# (BUG: KASAN/soft lockup/sleeping function...), oopses, lockdep and RCU
# reports, UBSAN, KASAN, kmemleak leaks (not its boot banner), panics.
SPLAT_RE='WARNING:|BUG:|Oops|general protection fault|Call Trace|'\
'possible circular locking|inconsistent lock state|possible recursive locking|'\
'suspicious RCU|UBSAN|KASAN|kmemleak: [0-9]+ new suspected|unreferenced object 0x|'\
'sleeping function called from invalid context|Kernel panic|'\
'blocked for more than [0-9]+ seconds|list_(add|del) corruption|refcount_t: '
export SPLAT_RE

# Print the splat lines of a log (up to 20, with line numbers); status 0 if any.
find_splats() {
	grep -q -E "$SPLAT_RE" "$1" || return 1
	{ grep -n -E "$SPLAT_RE" "$1" || true; } | head -n 20
}

# The first splat line of a log, shortened, for a stage's one-line note.
first_splat() {
	{ grep -m1 -E "$SPLAT_RE" "$1" || true; } |
		sed -e 's/^\[[ 0-9.]*\] //' -e "s|$VBUDDY_BUILD/[^/]*/||g" | cut -c1-100
}

# What a failed guest run left in LOG: the guest's FAILED lines (marked
# with TAG, e.g. VBUDDY-UML), the splats, the PROBLEMS given as the
# remaining arguments, and the log's last lines.
#   report_failure LOG TAG [PROBLEM...]
report_failure() {
	local log=$1 tag=$2 p
	shift 2
	{ grep -E "$tag: FAILED" "$log" || true; } | head -n 10 | sed 's/^/  /'
	if find_splats "$log" >/dev/null; then
		echo "  splats:"
		find_splats "$log" | sed 's/^/    /'
	fi
	for p in "$@"; do echo "  problem: $p"; done
	show_tail "$log" 25
}

# A stage's problems (an array's elements as arguments) as one note line.
problems_note() {
	local IFS=';'
	echo "$*"
}

# Record a stage result for scripts/summary.sh: "passed failed [note]".
write_result() {
	local stage=$1 passed=$2 failed=$3
	shift 3
	mkdir -p "$VBUDDY_BUILD/results"
	echo "$passed $failed $*" >"$VBUDDY_BUILD/results/$stage.txt"
}

# Show the tail of a long log after a failure.
show_tail() {
	local log=$1 n=${2:-30}
	echo "---- last $n lines of $log ----" >&2
	tail -n "$n" "$log" >&2
	echo "----" >&2
}
