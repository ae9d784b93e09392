#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: vbuddy_bench.ko in the UML kernel without debugging (flavour
# "bench"), where kernel code runs natively, and one table of its results:
# ns per operation for vbuddy and the kernel's nearest allocator, measured
# in the same run, and their ratio.
#
#   scripts/bench.sh [--smoke | --qemu] [module parameters...]
#
# --qemu: case 4 only (every CPU at once, 1 to 4 threads) on the Debian
# 6.12 kernel under qemu -smp 4, for the shape of multi-CPU scaling. TCG
# emulates every instruction and Debian zeroes pages on allocation: the
# times are labelled emulated and are no measure.
#
# --smoke (a stage of make check): the debug flavour, 20 iterations a case,
# only checks that every case ran without a splat. Writes
# build/results/bench-smoke.txt then.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

S=$VBUDDY_ROOT/scripts

# One table from a log; only the first run (busybox's insmod retries a
# module whose init fails, and vbuddy_bench's always does).
table() {	# LOG
	printf '%-20s %7s %10s %10s %-12s %7s\n' case threads "vbuddy ns" "kernel ns" kernel ratio
	sed '/vbuddy_bench: done/q' "$1" | sed -n 's/^.*vbuddy_bench: \([a-z0-9_]*\) threads=\([0-9]*\) vbuddy=\([0-9]*\) \([a-z_]*\)=\([0-9]*\) ratio=\([0-9.]*\)$/\1 \2 \3 \5 \4 \6/p' |
		while read -r c t v k kn r; do
			printf '%-20s %7s %10s %10s %-12s %7s\n' "$c" "$t" "$v" "$k" "$kn" "$r"
		done
}

if [ "${1:-}" = --qemu ]; then
	shift
	dir=$VBUDDY_BUILD/bench-qemu
	mkdir -p "$dir"
	take_lock "$VBUDDY_BUILD/.qemu-test.lock"
	kver=$("$S/deps.sh" --kver)
	out=$("$S/build-modules.sh" --kver="$kver" 2>"$dir/build.log") ||
		die "module build failed (log: $dir/build.log)"
	cat >"$dir/init.sh" <<EOS
#!/bin/sh
mount -t proc proc /proc
mount -t sysfs sysfs /sys
insmod /lib/vbuddy/vbuddy.ko
insmod /lib/vbuddy/vbuddy_bench.ko run_test_mask=0x10 iterations=20000 $* || true
rmmod vbuddy
/bin/busybox poweroff -f
EOS
	"$S/initrd.sh" "$dir/bench.cpio.gz" "$dir/init.sh" "$out/vbuddy.ko" "$out/lib/vbuddy_bench.ko"
	msg "case 4 on 4 emulated CPUs ($kver, qemu TCG; log: ${dir#"$VBUDDY_ROOT"/}/boot.log)"
	VBUDDY_QEMU_SMP=4 "$S/qemu-run.sh" "$kver" "$dir/bench.cpio.gz" "$dir/boot.log" 600 ||
		die "qemu failed (log: $dir/boot.log)"
	echo "EMULATED (qemu TCG, -smp 4): the shape of scaling only, not a measure"
	table "$dir/boot.log"
	exit 0
fi

smoke=""
if [ "${1:-}" = --smoke ]; then
	smoke=1
	shift
fi
flavour=${smoke:+debug}
flavour=${flavour:-bench}
args=("$@")
[ -n "$smoke" ] && args=(iterations=20)
dir=$VBUDDY_BUILD/bench-$flavour
mkdir -p "$dir"
take_lock "$VBUDDY_BUILD/.kunit-$flavour.lock"

fail() {
	msg "FAIL: $*"
	[ -z "$smoke" ] || write_result bench-smoke 0 1 "$*"
	exit 1
}

kbuild=$("$S/uml-kernel.sh" "$flavour") || fail "UML kernel build failed"
out=$("$S/build-modules.sh" --uml="$flavour" 2>"$dir/build.log") ||
	fail "module build failed (log: $dir/build.log)"

init=$dir/init.sh
cat >"$init" <<EOS
#!/bin/sh
mount -t proc proc /proc
mount -t sysfs sysfs /sys
echo "VBUDDY-BENCH: start"
insmod $out/vbuddy.ko
# vbuddy_bench never stays loaded: its insmod "fails" with EAGAIN when done.
insmod $out/lib/vbuddy_bench.ko ${args[*]:-} || true
rmmod vbuddy
echo "VBUDDY-BENCH: done"
echo o >/proc/sysrq-trigger
sleep 10
EOS
chmod +x "$init"

log=$dir/boot.log
msg "running vbuddy_bench in the UML kernel '$flavour' (log: ${log#"$VBUDDY_ROOT"/})"
rc=0
"$S/uml-run.sh" "$kbuild" "$init" "$log" "${VBUDDY_UML_TIMEOUT:-600}" || rc=$?

if [ -n "$smoke" ]; then
	problems=()
	[ "$rc" = 0 ] || problems+=("UML exited with status $rc")
	grep -q 'vbuddy_bench: done' "$log" || problems+=("no 'vbuddy_bench: done'")
	find_splats "$log" >/dev/null && problems+=("kernel splat in the log: $(first_splat "$log")")
	n=$(grep -c 'vbuddy_bench: .* ratio=' "$log" || true)
	if [ "${#problems[@]}" -gt 0 ]; then
		for p in "${problems[@]}"; do echo "  problem: $p"; done
		find_splats "$log" | sed 's/^/  /' || true
		write_result bench-smoke 0 "${#problems[@]}" "$(problems_note "${problems[@]}")"
		fail "bench smoke (log: $log)"
	fi
	echo "bench-smoke: $n cases ran (one-iteration smoke; times not a measure)"
	write_result bench-smoke 1 0
	exit 0
fi

[ "$rc" = 0 ] || fail "UML exited with status $rc (log: $log)"
grep -q 'vbuddy_bench: done' "$log" || fail "the benchmark did not finish (log: $log)"
echo "vbuddy_bench in UML 6.12 (flavour '$flavour', no debugging), $(grep -o '[0-9]* iterations a case' "$log")"
table "$log"
