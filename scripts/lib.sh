# SPDX-License-Identifier: GPL-2.0
#
# Shared by the vbuddy rig scripts: paths, locks, the 6.12 tree, and the
# stage judge. Source it, do not run it.
# shellcheck shell=bash

VBUDDY_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VBUDDY_CACHE=${VBUDDY_CACHE:-$HOME/.cache/vbuddy}
VBUDDY_BUILD=${VBUDDY_BUILD:-$VBUDDY_ROOT/build}
VBUDDY_JOBS=${VBUDDY_JOBS:-2}
export VBUDDY_ROOT VBUDDY_CACHE VBUDDY_BUILD VBUDDY_JOBS
# shellcheck disable=SC2034 # used by the scripts that source this
S=$VBUDDY_ROOT/scripts

# Messages go to stderr so that scripts can print paths on stdout.
msg() { echo "$(basename "$0" .sh): $*" >&2; }
die() { msg "error: $*"; exit 1; }

# A path for messages: relative to the tree when inside it.
rel() { echo "${1#"$VBUDDY_ROOT"/}"; }

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

# Config file of a test kernel flavour (scripts/kernel.sh): "debug" is
# kunit/.kunitconfig, any other flavour X is kunit/X.x86_64.config (an
# x86-64 kernel) if there is one, else kunit/X.kunitconfig (UML).
flavour_config() {
	local k=$VBUDDY_ROOT/kunit
	case "$1" in
	debug) echo "$k/.kunitconfig" ;;
	*)
		if [ -e "$k/$1.x86_64.config" ]; then
			echo "$k/$1.x86_64.config"
		else
			echo "$k/$1.kunitconfig"
		fi
		;;
	esac
}

# A busybox initramfs (cpio newc, gzip) in OUT, built in the directory
# STAGE (removed after): busybox-static with a link per applet, INIT as
# /init, empty /proc, /sys, /tmp, /lib, /work, /dev with console and null,
# and each SRC copied to DEST inside it. On failure, says why on stdout and
# returns 1.
#   busybox_initrd OUT STAGE INIT [SRC:DEST]...
busybox_initrd() {
	local out=$1 stage=$2 init=$3 bb=/bin/busybox applet copy
	shift 3
	"$bb" --list >/dev/null 2>&1 || { echo "$bb missing (run: make deps)"; return 1; }
	rm -rf "$stage"
	mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,lib,work}
	cp "$bb" "$stage/bin/busybox"
	for applet in $("$bb" --list); do
		[ -e "$stage/bin/$applet" ] || ln -s busybox "$stage/bin/$applet"
	done
	# The kernel opens /dev/console for init before anything is mounted.
	mknod -m 600 "$stage/dev/console" c 5 1 2>/dev/null ||
		{ echo "cannot mknod /dev/console (run as root)"; return 1; }
	mknod -m 666 "$stage/dev/null" c 1 3
	install -m 755 "$init" "$stage/init"
	for copy in "$@"; do
		cp -a "${copy%%:*}" "$stage/${copy#*:}"
	done
	(cd "$stage" && find . -print0 | LC_ALL=C sort -z |
		cpio --null -o -H newc --quiet) | gzip -1 >"$out"
	rm -rf "$stage"
}

# Show the tail of a long log after a failure.
show_tail() {
	local log=$1 n=${2:-30}
	echo "---- last $n lines of $(rel "$log") ----" >&2
	tail -n "$n" "$log" >&2
	echo "----" >&2
}

# ---------------------------------------------------------------------------
# Kernel logs

# Kernel splats that fail a test run, as one extended regexp: warnings, BUGs
# (BUG: KASAN/soft lockup/sleeping function...), oopses, lockdep and RCU
# reports, UBSAN, KASAN, kmemleak leaks (not its boot banner), panics. A
# part that provokes one on purpose (the kmemleak probe) brackets it with
# "VBUDDY-GUEST: expected begin/end" lines, and what lies between them is
# not a splat.
SPLAT_RE='WARNING:|BUG:|Oops|general protection fault|Call Trace|'\
'possible circular locking|inconsistent lock state|possible recursive locking|'\
'suspicious RCU|UBSAN|KASAN|kmemleak: [0-9]+ new suspected|unreferenced object 0x|'\
'sleeping function called from invalid context|Kernel panic|'\
'blocked for more than [0-9]+ seconds|list_(add|del) corruption|refcount_t: '
export SPLAT_RE

# The splat lines of a log, "LINE:text", outside the expected windows.
splat_lines() {
	awk -v re="$SPLAT_RE" '
		/VBUDDY-GUEST: expected begin/ { skip = 1 }
		!skip && $0 ~ re { print NR ":" $0 }
		/VBUDDY-GUEST: expected end/ { skip = 0 }' "$1"
}

# Print the splat lines of a log (up to 20, with line numbers); status 0 if any.
find_splats() {
	local lines
	lines=$(splat_lines "$1")
	[ -n "$lines" ] || return 1
	echo "$lines" | head -n 20
}

# The first splat line of a log, shortened, for a stage's one-line note.
first_splat() {
	splat_lines "$1" | head -n 1 | sed -e 's/^[0-9]*://' -e 's/^\[[ 0-9.]*\] //' \
		-e "s|$VBUDDY_BUILD/[^/]*/||g" | cut -c1-100
}

# What went wrong in a guest run's log (scripts/guest.sh), one problem a
# line: what the host noted ("VBUDDY-HOST: ..." lines: not started,
# timeout, exit status), an init that did not finish, failed guest commands,
# kernel splats. Nothing when the run was clean.
guest_problems() {
	local log=$1
	if [ ! -r "$log" ]; then
		echo "no guest log $(rel "$log") (the guest runner failed)"
		return
	fi
	sed -n 's/^VBUDDY-HOST: //p' "$log"
	grep -q '^VBUDDY-HOST: not started' "$log" && return
	grep -q 'VBUDDY-GUEST: done' "$log" || echo "init did not finish (no 'VBUDDY-GUEST: done')"
	grep -q 'VBUDDY-GUEST: FAILED' "$log" && echo "guest commands failed (see FAILED lines)"
	find_splats "$log" >/dev/null && echo "kernel splat in the log: $(first_splat "$log")"
	true
}

# A guest run outside the stages (make demo, make bench): die with the
# failure report if guest_problems LOG or the PROBLEMS given say anything.
#   guest_or_die LOG [PROBLEM...]
guest_or_die() {
	local log=$1 p problems=()
	shift
	while IFS= read -r p; do
		problems+=("$p")
	done < <(guest_problems "$log")
	problems+=("$@")
	[ "${#problems[@]}" -gt 0 ] || return 0
	report_failure "$log" "${problems[@]}"
	die "${problems[0]} (log: $(rel "$log"))"
}

# What a failed run left in LOG: the guest's FAILED lines, the splats, the
# PROBLEMS given as the remaining arguments, and the log's last lines.
#   report_failure LOG [PROBLEM...]
report_failure() {
	local log=$1 p
	shift
	if [ -r "$log" ]; then
		{ grep -E 'VBUDDY-GUEST: FAILED' "$log" || true; } | head -n 10 | sed 's/^/  /'
		if find_splats "$log" >/dev/null; then
			echo "  splats:"
			find_splats "$log" | sed 's/^/    /'
		fi
	fi
	for p in "$@"; do echo "  problem: $p"; done
	[ ! -r "$log" ] || show_tail "$log" 25
}

# ---------------------------------------------------------------------------
# The stage judge: every stage of make check, and each of make kunit,
# qemu-test, stress, docs and lint, is judged here and prints its verdict:
#
#   stage_begin NAME          lock the stage, forget its last result
#   stage_pass N              N tests passed
#   stage_fail N [WHAT]       N tests failed (noted as "N WHAT" when given)
#   stage_problem TEXT        anything else wrong: one failure, noted
#   stage_guest LOG           stage_problem for each of guest_problems LOG
#   stage_warnings LOG WHAT   stage_problem if a build log has warnings
#   stage_end [LOG]           write the result, print the verdict line
#                             "NAME: PASS|FAIL (P passed, F failed...)"
#                             (with the failure report of LOG); status 1
#                             on failure
#   stage_broken TEXT [LOG]   stage_problem TEXT, stage_end, exit 1
#
# The result, build/results/NAME.txt, is "passed failed [notes]", notes
# separated by ';'; run_stage and print_summary (make check) read them.

stage_begin() {
	STAGE=$1
	STAGE_PASSED=0
	STAGE_FAILED=0
	STAGE_NOTES=()
	STAGE_PROBLEMS=()
	take_lock "$VBUDDY_BUILD/.stage-$STAGE.lock"
	rm -f "$VBUDDY_BUILD/results/$STAGE.txt"
}

stage_pass() { STAGE_PASSED=$((STAGE_PASSED + $1)); }

stage_fail() {
	[ "$1" -gt 0 ] || return 0
	STAGE_FAILED=$((STAGE_FAILED + $1))
	[ -z "${2:-}" ] || STAGE_NOTES+=("$1 $2")
}

stage_problem() {
	STAGE_FAILED=$((STAGE_FAILED + 1))
	STAGE_NOTES+=("$*")
	STAGE_PROBLEMS+=("$*")
}

stage_guest() {
	local p
	while IFS= read -r p; do
		stage_problem "$p"
	done < <(guest_problems "$1")
}

stage_warnings() {
	local log=$1 what=$2
	grep -q 'warning:' "$log" 2>/dev/null || return 0
	{ grep -A3 'warning:' "$log" || true; } | head -n 20 >&2
	stage_problem "$what compiler warnings (log: $(rel "$log"))"
}

# Record a stage result: "passed failed [note]".
write_result() {
	local stage=$1 passed=$2 failed=$3
	shift 3
	mkdir -p "$VBUDDY_BUILD/results"
	echo "$passed $failed $*" >"$VBUDDY_BUILD/results/$stage.txt"
}

stage_end() {
	local log=${1:-} notes
	notes=$(IFS=';'; echo "${STAGE_NOTES[*]}")
	write_result "$STAGE" "$STAGE_PASSED" "$STAGE_FAILED" "$notes"
	if [ "$STAGE_FAILED" = 0 ]; then
		echo "$STAGE: PASS ($STAGE_PASSED passed, 0 failed)"
		return 0
	fi
	if [ -n "$log" ]; then
		report_failure "$log" "${STAGE_PROBLEMS[@]}"
	else
		printf '  problem: %s\n' "${STAGE_PROBLEMS[@]}"
	fi
	echo "$STAGE: FAIL ($STAGE_PASSED passed, $STAGE_FAILED failed${log:+; log: $(rel "$log")})"
	return 1
}

stage_broken() {
	stage_problem "$1"
	stage_end "${2:-}"
	exit 1
}

# make check: run one stage as its own process (COMMAND...), between a
# header and its time. A stage that broke without saying so (a non-zero
# exit with no failure recorded, or no result at all) counts as a failure.
run_stage() {
	local name=$1 t0 rc=0 f
	shift
	f=$VBUDDY_BUILD/results/$name.txt
	t0=$(date +%s)
	echo "==== $name ===="
	"$@" || rc=$?
	if [ "$rc" != 0 ]; then
		if [ ! -r "$f" ] || [ "$(cut -d' ' -f2 "$f")" = 0 ]; then
			write_result "$name" "$(cut -d' ' -f1 "$f" 2>/dev/null || echo 0)" 1 "exit status $rc"
		fi
	elif [ ! -r "$f" ]; then
		write_result "$name" 0 1 "no result written"
	fi
	echo "($name: $(($(date +%s) - t0)) s)"
}

# The table of the STAGES' results and exactly one last line "N passed,
# M failed"; status 1 if M > 0. A stage without a result file counts as
# one failure (it broke before writing one).
print_summary() {
	local stage f p fl note status total_p=0 total_f=0
	echo "==================== vbuddy check summary ===================="
	for stage in "$@"; do
		f=$VBUDDY_BUILD/results/$stage.txt
		p=0 fl=1 note="broke without a result"
		[ ! -r "$f" ] || read -r p fl note <"$f" || true
		[[ "$p" =~ ^[0-9]+$ ]] || p=0
		[[ "$fl" =~ ^[0-9]+$ ]] || { fl=1; note="unreadable result"; }
		if [ "$fl" -gt 0 ]; then status=FAIL; else status=ok; fi
		printf '  %-11s %-4s  passed %4d  failed %4d  %s\n' "$stage" "$status" "$p" "$fl" "${note:-}"
		total_p=$((total_p + p))
		total_f=$((total_f + fl))
	done
	echo "=============================================================="
	echo "$total_p passed, $total_f failed"
	[ "$total_f" = 0 ]
}
