#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The guest runner: build the vbuddy modules for a kernel, boot it, load
# the modules and run the guest commands of each PART, write the console
# (KTAP, dmesg, the guest's own lines) to DIR/console.log, power off.
#
#   scripts/guest.sh [OPTIONS] KERNEL PART[:ARGS]...
#
# KERNEL
#   uml:FLAVOUR    the cached UML kernel of a flavour (scripts/kernel.sh),
#                  the host's / as a read-only hostfs root, one CPU
#   debian:SERIES  the Debian cloud kernel of a series (6.12, 6.1) that
#                  scripts/deps.sh installs, under qemu (TCG, never KVM)
#   bzimage:DIR    an x86-64 kernel built in DIR (its O= dir, with
#                  arch/x86/boot/bzImage and Module.symvers), under qemu
# Under qemu the guest is a busybox initramfs.
#
# PART, run in the order given, each between "part NAME begin/end" lines;
# ARGS (one word, spaces allowed) go to the part's module:
#   kunit      vbuddy.ko, then vbuddy_kunit.ko (the KUnit suites run at
#              insmod; their KTAP between "ktap begin/end" lines); rmmod
#   smoke      vbuddy.ko pool_pages=64 + vbuddy_smoke.ko, then pool_pages=
#              16384 + vbuddy_smoke.ko ("round N" lines), then vbuddy.ko +
#              vbuddy_leak.ko and rmmod vbuddy with a GFP_VIRTOK range left
#   kselftest  vbuddy.ko + vbuddy_test_driver.ko under the kselftest
#              (tools/testing/selftests/vbuddy, built here, static); its TAP
#              with each line prefixed "VBUDDY-KSFT: ", between "kselftest
#              begin" and "kselftest end (exit status N)"
#   kmemleak   (a kmemleak kernel) vbuddy.ko + vbuddy_leak.ko kmemleak=1, which
#              leaves three vbuddy_kmalloc() objects unreferenced: kmemleak
#              must know each, with its size ("kmemleak probe: tracked"), and
#              forget it once rmmod frees it ("forgotten"); the scan between
#              them and what it lists ("listed as a leak") lie between
#              "expected begin/end" lines
#   params     vbuddy.ko with parameters above their caps: the clamps it
#              reports, and what sysfs shows ("param NAME VALUE" lines)
#   stress     vbuddy.ko + vbuddy_stress.ko ARGS (e.g. seconds=30)
#   kcsan      (a KCSAN kernel, first) ARGS: functions, comma-separated,
#              whose data races KCSAN leaves unreported (the blacklist of
#              /sys/kernel/debug/kcsan)
#   bench      vbuddy.ko + vbuddy_bench.ko ARGS (its init always fails)
#   demo       vbuddy.ko + vbuddy_demo.ko, its kernel lines between "demo
#              begin/end"; then a pool "demo" of 256 pages driven through
#              vbuddy_test_driver.ko, its debugfs files dumped between
#              "dump MOMENT FILE begin/end" lines (before, checkerboard,
#              fallback); after a "chapter compaction" line, the same pool
#              fragmented by movable blocks and compacted (moments movable,
#              compacted, served)
# After the parts, a kmemleak kernel reports its leaks, and a KCSAN kernel
# prints its counters ("kcsan NAME VALUE": enabled, setup_watchpoints,
# data_races, ...).
#
# OPTIONS
#   --dir=DIR      where everything goes (default build/guest): modules.log
#                  (the module build), kselftest.log, payload/ (what the guest
#                  loads), init.sh, initrd.cpio.gz, console.log
#   --fresh        build the modules from scratch, so that every warning shows
#   --smp=N        CPUs (qemu; default 2)
#   --mem=MB       memory (default 256 in UML, 512 in qemu)
#   --timeout=S    power-off deadline (default $VBUDDY_UML_TIMEOUT or 300 in
#                  UML, $VBUDDY_QEMU_TIMEOUT or 180 in qemu)
#   --cmdline=STR  more kernel command line
#
# The guest prints "VBUDDY-GUEST: ..." lines: every command it runs, every
# failed one as "FAILED (status): command", and "done" at the end. What the
# host notes goes to the log as "VBUDDY-HOST: ..." lines (not started,
# timeout, exit status); scripts/lib.sh's guest_problems reads them.
# Exit status: 0 when the guest powered off, 124 on timeout, else non-zero.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

dir=$VBUDDY_BUILD/guest
fresh=""
smp=""
mem=""
limit=""
cmdline=""
while [ $# -gt 0 ]; do
	case "$1" in
	--dir=*) dir=${1#--dir=} ;;
	--fresh) fresh=--fresh ;;
	--smp=*) smp=${1#--smp=} ;;
	--mem=*) mem=${1#--mem=} ;;
	--timeout=*) limit=${1#--timeout=} ;;
	--cmdline=*) cmdline=${1#--cmdline=} ;;
	-*) die "unknown option $1" ;;
	*) break ;;
	esac
	shift
done
[ $# -ge 2 ] || die "usage: $0 [OPTIONS] uml:FLAVOUR|debian:SERIES|bzimage:DIR PART[:ARGS]..."
kernel=$1
shift

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
take_lock "$dir.lock"
log=$dir/console.log
rm -f "$log" "$dir/modules.log" "$dir/kselftest.log"

# The run could not start: say why in the log, for the judge.
not_started() {
	echo "VBUDDY-HOST: not started: $*" >"$log"
	die "$*"
}

# ---------------------------------------------------------------------------
# The parts: the files each needs from the module build dir, and its guest
# commands (POSIX sh: busybox in qemu, the host's /bin/sh in UML). In them,
# $M is where the files are, $A the part's ARGS; say() prints a line of the
# guest, run() runs a command and reports its failure.

part_files() {
	case "$1" in
	kunit) echo kunit/vbuddy_kunit.ko ;;
	smoke) echo lib/vbuddy_smoke.ko lib/vbuddy_leak.ko ;;
	kselftest) echo lib/vbuddy_test_driver.ko ;;
	kmemleak) echo lib/vbuddy_leak.ko ;;
	params | kcsan) ;;
	stress) echo lib/vbuddy_stress.ko ;;
	bench) echo lib/vbuddy_bench.ko ;;
	demo) echo lib/vbuddy_demo.ko lib/vbuddy_test_driver.ko ;;
	*) return 1 ;;
	esac
}

part_script() {
	case "$1" in
	kunit)
		cat <<'EOS'
run insmod $M/vbuddy.ko
say "ktap begin"
run insmod $M/vbuddy_kunit.ko $A
say "ktap end"
run rmmod vbuddy_kunit
run rmmod vbuddy
EOS
		;;
	smoke)
		cat <<'EOS'
n=0
for pages in 64 16384; do
	n=$((n + 1))
	say "round $n pool_pages=$pages"
	run insmod $M/vbuddy.ko pool_pages=$pages
	run insmod $M/vbuddy_smoke.ko $A
	run rmmod vbuddy_smoke
	run rmmod vbuddy
done
# Unload with a GFP_VIRTOK range still mapped: reported, nothing leaks.
say "round unload-with-range"
run insmod $M/vbuddy.ko
run insmod $M/vbuddy_leak.ko
run rmmod vbuddy_leak
run rmmod vbuddy
EOS
		;;
	kselftest)
		cat <<'EOS'
# Its output to a file while the kernel may print, then shown with a
# prefix of its own once the modules are gone.
run insmod $M/vbuddy.ko
run insmod $M/vbuddy_test_driver.ko
if [ -x $M/vbuddy_test ]; then
	$M/vbuddy_test $A >/tmp/kselftest.tap 2>&1
	st=$?
else
	echo "# no $M/vbuddy_test" >/tmp/kselftest.tap
	st=127
fi
run rmmod vbuddy_test_driver
run rmmod vbuddy
say "kselftest begin"
sed 's/^/VBUDDY-KSFT: /' /tmp/kselftest.tap
say "kselftest end (exit status $st)"
EOS
		;;
	kmemleak)
		cat <<'EOS'
K=/sys/kernel/debug/kmemleak
if [ -w $K ]; then
	echo scan=off >$K	# only the scan below, no thread's at any time
	echo stack=off >$K	# stale copies on stacks would keep the probes "referenced"
	run insmod $M/vbuddy.ko
	run insmod $M/vbuddy_leak.ko range=0 kmemleak=1
	probes=$(dmesg | sed -n 's/.*vbuddy_leak: kmemleak probe \(0x[0-9a-f]*\) size \([0-9]*\)$/\1:\2/p')
	for p in $probes; do
		echo dump=${p%:*} >$K
		if dmesg | grep -q "kmemleak: Object ${p%:*} (size ${p#*:}):"; then
			say "kmemleak probe: tracked $p"
		else
			say "kmemleak probe: not tracked $p"
		fi
	done
	sleep 6			# kmemleak reports objects 5 s old
	say "expected begin"
	echo scan >$K
	list=$(cat $K)		# UML's root is read-only: no file for it
	for p in $probes; do
		echo "$list" | grep -q "unreferenced object ${p%:*} " &&
			say "kmemleak probe: listed as a leak ${p%:*}"
	done
	echo clear >$K
	say "expected end"
	run rmmod vbuddy_leak
	for p in $probes; do
		echo dump=${p%:*} >$K 2>/dev/null
		if dmesg | grep -q "kmemleak: Unknown object at ${p%:*}\$"; then
			say "kmemleak probe: forgotten $p"
		else
			say "kmemleak probe: not forgotten $p"
		fi
	done
	run rmmod vbuddy
else
	say "kmemleak probe: no $K"
fi
EOS
		;;
	params)
		cat <<'EOS'
P=/sys/module/vbuddy/parameters
run insmod $M/vbuddy.ko virtok_slots=100000 pcp_objects=1000 pcp_high=64 pcp_low=1000 \
	virtok_map_ram=1000 compaction_proactiveness=1000
for p in virtok_slots pcp_objects pcp_high pcp_low virtok_map_ram compaction_proactiveness; do
	say "param $p $(cat $P/$p)"
done
run rmmod vbuddy
EOS
		;;
	stress)
		cat <<'EOS'
run insmod $M/vbuddy.ko
run insmod $M/vbuddy_stress.ko $A
run rmmod vbuddy_stress
run rmmod vbuddy
EOS
		;;
	kcsan)
		cat <<'EOS'
for f in $(echo "$A" | tr , ' '); do
	if echo "!$f" >/sys/kernel/debug/kcsan; then
		say "kcsan: races in $f not reported"
	else
		say "FAILED ($?): echo !$f >/sys/kernel/debug/kcsan"
	fi
done
EOS
		;;
	bench)
		cat <<'EOS'
run insmod $M/vbuddy.ko
# vbuddy_bench never stays loaded: its insmod "fails" with EAGAIN when done.
insmod $M/vbuddy_bench.ko $A
run rmmod vbuddy
EOS
		;;
	demo)
		cat <<'EOS'
# Keep the console quiet: the interesting lines are printed from dmesg.
dmesg -n 1
run insmod $M/vbuddy.ko
run insmod $M/vbuddy_demo.ko $A
say "demo begin"
dmesg | sed 's/^\[[^]]*\] //' |
	grep -E '^vbuddy(_demo)?: ' |
	grep -vE 'taints kernel|module verification failed'
say "demo end"
run rmmod vbuddy_demo
# Pictures: a pool driven through vbuddy_test_driver's control file.
C=/sys/kernel/debug/vbuddy_test/control
D=/sys/kernel/debug/vbuddy/demo
# One command, its result read back through the same open file.
ctl() {
	exec 3<>$C
	if printf '%s' "$*" >&3; then
		say "control: $* -> $(cat <&3)"
	else
		say "FAILED ($?): control: $*"
	fi
	exec 3>&-
}
# One command that the pool must refuse (busybox names no errno).
ctl_refused() {
	exec 3<>$C
	if printf '%s' "$*" >&3 2>/dev/null; then
		say "FAILED (served): control: $* -> $(cat <&3)"
	else
		say "control: $* -> refused"
	fi
	exec 3>&-
}
# echo VALUE > a debugfs file of the pool.
put() {
	if echo "$1" >$D/$2; then
		say "write: $1 > $2 -> ok"
	else
		say "FAILED ($?): echo $1 > $D/$2"
	fi
}
dump() {
	moment=$1
	shift
	for f in "$@"; do
		say "dump $moment $f begin"
		cat $D/$f
		say "dump $moment $f end"
	done
}
run insmod $M/vbuddy_test_driver.ko
ctl create demo 256
dump before pagemap buddyinfo
ctl checkerboard demo
dump checkerboard pagemap buddyinfo
ctl kmalloc demo 16384 virtok
dump fallback pagemap buddyinfo stats window
ctl release demo
# Compaction: the same pool fragmented by movable blocks, repaired by
# moving them. Background compaction off, or it would repair the pool
# before the dump (a score of 100 is above its mark).
say "chapter compaction"
put 0 compaction_proactiveness
ctl movable demo
say "compact: $(cat $D/compact)"
dump movable pagemap buddyinfo
ctl_refused alloc demo 4 nowait
put 4 compact
say "compact: $(cat $D/compact)"
dump compacted pagemap buddyinfo stats
ctl alloc demo 4 nowait
dump served pagemap buddyinfo stats
ctl release demo
ctl destroy demo
run rmmod vbuddy_test_driver
run rmmod vbuddy
dmesg -n 7
EOS
		;;
	esac
}

for p in "$@"; do
	part_files "${p%%:*}" >/dev/null || die "unknown part '${p%%:*}'"
done

# ---------------------------------------------------------------------------
# The kernel: how to boot it, and what to build the modules against.

"$S/deps.sh" || not_started "could not install the Debian packages"
case "$kernel" in
uml:*)
	flavour=${kernel#uml:}
	kbuild=$("$S/kernel.sh" "$flavour") || not_started "UML kernel build failed"
	image=$kbuild/linux
	target=--uml=$flavour
	[ "${smp:-1}" = 1 ] || not_started "UML 6.12 has one CPU (--smp=$smp)"
	;;
debian:*)
	kver=$("$S/deps.sh" --kver="${kernel#debian:}") || not_started "no Debian kernel ${kernel#debian:}"
	image=/boot/vmlinuz-$kver
	target=--kver=$kver
	;;
bzimage:*)
	kdir=${kernel#bzimage:}
	image=$kdir/arch/x86/boot/bzImage
	target=--kdir=$kdir
	;;
*) die "unknown kernel '$kernel' (uml:FLAVOUR, debian:SERIES or bzimage:DIR)" ;;
esac
[ -r "$image" ] || not_started "no kernel image $image"

# ---------------------------------------------------------------------------
# Build: the modules, and the kselftest when a part runs it.

mlog=$dir/modules.log
if ! out=$("$S/build-modules.sh" $fresh "$target" 2>"$mlog"); then
	show_tail "$mlog" 30
	not_started "module build failed (log: $(rel "$mlog"))"
fi

payload=$dir/payload
rm -rf "$payload"
mkdir -p "$payload"
notes=()
for f in vbuddy.ko $(for p in "$@"; do part_files "${p%%:*}"; done); do
	if [ -e "$out/$f" ]; then
		cp "$out/$f" "$payload/"
	else
		notes+=("no $f in $(rel "$out")")
	fi
done

case " ${*%%:*} " in
*" kselftest "*)
	klog=$dir/kselftest.log
	rm -rf "$dir/kselftest"
	mkdir -p "$dir/kselftest"
	if make -C "$VBUDDY_ROOT/tools/testing/selftests/vbuddy" --no-print-directory \
		OUTPUT="$dir/kselftest" >"$klog" 2>&1 </dev/null &&
		[ -x "$dir/kselftest/vbuddy_test" ]; then
		cp "$dir/kselftest/vbuddy_test" "$payload/"
	else
		show_tail "$klog" 20
		notes+=("kselftest build failed (log: $(rel "$klog"))")
	fi
	;;
esac

# ---------------------------------------------------------------------------
# The init script, and for qemu the initramfs around it.

case "$kernel" in
uml:*) moddir=$payload ;;
*) moddir=/lib/vbuddy ;;
esac
init=$dir/init.sh
{
	cat <<EOS
#!/bin/sh
# Generated by scripts/guest.sh $kernel $*; do not edit.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
M=$moddir
EOS
	cat <<'EOS'
say() { echo "VBUDDY-GUEST: $*"; }
run() {
	say "\$ $*"
	"$@" || say "FAILED ($?): $*"
}
off() {
	sync
	# busybox's poweroff -f calls reboot(2) straight away (in qemu and,
	# through hostfs, in UML); sysrq is the fallback.
	if [ -x /bin/busybox ]; then /bin/busybox poweroff -f; fi
	poweroff -f 2>/dev/null
	echo o >/proc/sysrq-trigger
	sleep 10
}

mount -t proc proc /proc 2>/dev/null
mount -t sysfs sysfs /sys 2>/dev/null
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
say "start ($(uname -r))"
EOS
	for p in "$@"; do
		name=${p%%:*}
		args=""
		[ "$name" = "$p" ] || args=${p#*:}
		case "$args" in *"'"*) die "no quotes in the ARGS of $p" ;; esac
		echo
		echo "say \"part $name begin\""
		echo "A='$args'"
		part_script "$name"
		echo "say \"part $name end\""
	done
	cat <<'EOS'

# A kmemleak kernel: report leaks (objects must be 5 s old to count).
if [ -w /sys/kernel/debug/kmemleak ]; then
	say "kmemleak scan"
	sleep 6
	echo scan >/sys/kernel/debug/kmemleak
	echo scan >/sys/kernel/debug/kmemleak
	cat /sys/kernel/debug/kmemleak
fi
# A KCSAN kernel: its counters.
if [ -r /sys/kernel/debug/kcsan ]; then
	sed -n 's/^\([a-z_]*\): \(-*[0-9][0-9]*\)$/VBUDDY-GUEST: kcsan \1 \2/p' /sys/kernel/debug/kcsan
fi
say "done"
off
EOS
} >"$init"
chmod +x "$init"

# The qemu guest's initramfs (lib.sh's busybox_initrd), the payload in
# /lib/vbuddy.
make_initrd() {
	local why

	why=$(busybox_initrd "$1" "$dir/initrd" "$init" "$payload:lib/vbuddy") ||
		not_started "$why"
}

# ---------------------------------------------------------------------------
# Boot. timeout signals the whole process group (UML's helper processes
# too); UML keeps its memory in a file under TMPDIR.

rc=0
case "$kernel" in
uml:*)
	limit=${limit:-${VBUDDY_UML_TIMEOUT:-300}}
	msg "booting the UML kernel '$flavour' ($*), log: $(rel "$log")"
	# shellcheck disable=SC2086 # $cmdline: words for the kernel
	timeout --kill-after=10 "$limit" "$image" \
		mem="${mem:-256}M" rootfstype=hostfs rootflags=/ ro init="$init" \
		con=null con0=fd:0,fd:1 $cmdline \
		</dev/null >"$log" 2>&1 || rc=$?
	;;
*)
	limit=${limit:-${VBUDDY_QEMU_TIMEOUT:-180}}
	command -v qemu-system-x86_64 >/dev/null || not_started "qemu-system-x86_64 missing (run: make deps)"
	make_initrd "$dir/initrd.cpio.gz"
	msg "booting $(basename "$image") in qemu (TCG, ${smp:-2} CPUs; $*), log: $(rel "$log")"
	timeout --kill-after=10 "$limit" \
		qemu-system-x86_64 -cpu max -smp "${smp:-2}" -m "${mem:-512}" -nographic -no-reboot \
		-kernel "$image" -initrd "$dir/initrd.cpio.gz" \
		-append "console=ttyS0 panic=-1 loglevel=7${cmdline:+ $cmdline}" \
		</dev/null 2>&1 | tr -d '\r' >"$log" || rc=$?	# pipefail: timeout's
	;;
esac

case "$rc" in
0) ;;
124) notes+=("timeout: no power-off within $limit s") ;;
*) notes+=("the guest exited with status $rc") ;;
esac
for n in "${notes[@]}"; do
	echo "VBUDDY-HOST: $n" >>"$log"
done
exit "$rc"
