#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The test stages, each judged by scripts/lib.sh's stage judge, which
# writes build/results/<stage>.txt and prints the stage's verdict line.
#
#   scripts/check.sh           make check: every stage below in turn (one that
#                              breaks counts as a failure and the others still
#                              run), then the summary, whose last line is
#                              "N passed, M failed"; status 1 on any failure
#   scripts/check.sh STAGE     one stage
#
# STAGE                  what it counts
#   deps                 nothing: scripts/deps.sh installs what is missing
#   userspace            make -C tools/testing/vbuddy check ("N passed, M failed")
#   fuzz                 its libFuzzer target for FUZZ_SECONDS (default 60)
#   kunit [FLAVOUR]      the KUnit cases (kunit.py parse of the KTAP) of
#   kunit-FLAVOUR        vbuddy_kunit.ko in the UML kernel of a flavour
#                        (default debug; stage kunit, or kunit-FLAVOUR)
#   qemu [SERIES]        on the Debian 6.12 (default; stage qemu) or 6.1
#   qemu61               (stage qemu61) kernel: the smoke checks of both
#                        rounds, the unload report, the kselftest's tests
#   stress               vbuddy_stress.ko's checks, VBUDDY_STRESS_SECONDS
#                        (default 30) on 4 emulated CPUs of the 6.12 kernel
#   kcsan                the KUnit cases and vbuddy_stress.ko's checks as
#                        above, in the x86-64 KCSAN kernel on 4 emulated
#                        CPUs, and that KCSAN watched; a report fails it
#   bench-smoke          vbuddy_bench.ko, 20 iterations a case, in the debug
#                        UML kernel: one test, that it finished
#   docs                 Sphinx HTML of Documentation/ (build/docs/html),
#                        warnings are errors: one test
#   dkms                 scripts/dkms.sh check: a build per test kernel
#   lint                 checkpatch --strict, sparse, kernel-doc: one test each
# Besides its counted tests, every problem is one failure: a failed build,
# compiler warnings, a kernel splat, a failed guest command, a timeout, a
# missing summary line.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

STAGES=(deps userspace fuzz kunit kunit-kasan qemu qemu61 stress bench-smoke docs dkms lint)

# A kernel log without its timestamps.
untimed() { sed 's/^\[ *[0-9.]*\] //' "$1"; }

# ---------------------------------------------------------------------------
# Stages in a guest: scripts/guest.sh builds the modules, boots and writes
# build/<stage>/console.log; the count_* functions count what the parts
# printed.

# guest_run [GUEST OPTIONS] KERNEL PART...: run the guest in build/$STAGE
# and judge the run itself (builds, boot, power-off, FAILED lines, splats).
# Status 1 if the guest did not start: there is nothing to count.
guest_run() {
	GDIR=$VBUDDY_BUILD/$STAGE
	GLOG=$GDIR/console.log
	mkdir -p "$GDIR"
	"$S/guest.sh" --dir="$GDIR" "$@" || true
	stage_warnings "$GDIR/modules.log" module
	stage_warnings "$GDIR/kselftest.log" kselftest
	stage_guest "$GLOG"
	[ -r "$GLOG" ] && ! grep -q '^VBUDDY-HOST: not started' "$GLOG"
}

# The KUnit cases, from kunit.py parse of the KTAP between the kunit part's
# "ktap begin/end" lines (the boot prints an empty "1..0" plan of its own,
# which kunit.py would take for the whole run).
count_kunit() {
	local ktap=$GDIR/ktap.log parsed=$GDIR/parse.log summary ksrc
	local passed failed crashed skipped errors
	sed -n '/VBUDDY-GUEST: ktap begin/,/VBUDDY-GUEST: ktap end/p' "$GLOG" >"$ktap"
	ksrc=$("$S/ksrc.sh")
	python3 "$ksrc/tools/testing/kunit/kunit.py" parse "$ktap" >"$parsed" 2>&1 || true
	summary=$(sed 's/\x1b\[[0-9;]*m//g' "$parsed" | grep -o 'Testing complete\. Ran .*' | tail -n 1 || true)
	_n() { echo "$summary" | grep -oE "$1: [0-9]+" | grep -oE '[0-9]+' || echo 0; }
	passed=$(_n passed) failed=$(_n failed) crashed=$(_n crashed)
	skipped=$(_n skipped) errors=$(_n errors)
	stage_pass "$passed"
	stage_fail $((failed + crashed)) "cases failed"
	if [ -z "$summary" ]; then
		stage_problem "no KUnit summary from kunit.py parse (see $(rel "$parsed"))"
	elif [ "$((passed + failed + crashed + skipped))" = 0 ]; then
		stage_problem "KUnit ran no tests"
	fi
	[ "$errors" = 0 ] || stage_problem "kunit.py parse reported $errors errors"

	echo "$STAGE: ${summary:-no summary}"
	# One line per suite, from the suites' own "# name: pass:N ..." lines.
	{ untimed "$ktap" | grep -E '^# [A-Za-z0-9_]+: pass:[0-9]+' |
		grep -v '^# Totals:' || true; } | sed 's/^# /  /'
	{ sed 's/\x1b\[[0-9;]*m//g' "$parsed" | grep -E '\[(FAILED|CRASHED)\]|ERROR' || true; } |
		head -n 20 | sed 's/^/  /'
}

# The smoke checks (lib/vbuddy_smoke.c: "vbuddy_smoke: ok N - name" or "not
# ok", then "vbuddy_smoke: N passed, M failed"), once per round: busybox
# insmod retries a failed finit_module() with init_module(), so a failing
# smoke module prints its lines twice. Then the unload round's report.
count_smoke() {
	local smoke=$GDIR/smoke.txt nok nnotok nsum
	awk '
		/VBUDDY-GUEST: round [0-9]+/ { round++ }
		{ sub(/^\[ *[0-9.]+\] /, "") }
		/^vbuddy_smoke: (not )?ok [0-9]+ - / {
			n = ($2 == "not") ? $4 : $3
			if (!((round, n) in seen)) { seen[round, n] = 1; print }
			next
		}
		/^vbuddy_smoke: [0-9]+ passed, [0-9]+ failed/ {
			if (!(round in sum)) { sum[round] = 1; print }
		}' "$GLOG" >"$smoke"
	nok=$(grep -cE '^vbuddy_smoke: ok ' "$smoke" || true)
	nnotok=$(grep -cE '^vbuddy_smoke: not ok ' "$smoke" || true)
	nsum=$(grep -cE '^vbuddy_smoke: [0-9]+ passed' "$smoke" || true)
	stage_pass "$nok"
	stage_fail "$nnotok" "smoke checks failed"
	[ "$nsum" = 2 ] || stage_problem "expected 2 'vbuddy_smoke: N passed, M failed' summaries, found $nsum"
	[ "$nok" -gt 0 ] || stage_problem "no 'vbuddy_smoke: ok' lines"
	# The unload round: the range left behind is reported and unmapped.
	if grep -q 'GFP_VIRTOK range of [0-9]* pages still mapped at unload' "$GLOG"; then
		stage_pass 1
	else
		stage_problem "unload with a GFP_VIRTOK range left: no report"
	fi
	echo "$STAGE: smoke: $nok ok, $nnotok not ok in $(grep -cE 'VBUDDY-GUEST: round [0-9]+ ' "$GLOG" || true) rounds;" \
		"unload report: $(grep -c 'still mapped at unload' "$GLOG" || true)"
	{ grep -E 'vbuddy_smoke: not ok' "$smoke" || true; } | head -n 20 | sed 's/^/  /'
}

# The kselftest (kselftest_harness.h, TAP 13, each line prefixed
# "VBUDDY-KSFT: "): a test is a top-level "ok N name" or "not ok N name"
# line; "# Totals: pass:P fail:F ..." ends the run and must agree with them.
# Skipped tests are problems.
count_kselftest() {
	local ksft=$GDIR/kselftest.tap kok kskip knotok kplan ktotals kstatus
	sed -n 's/^VBUDDY-KSFT: //p' "$GLOG" >"$ksft"
	kok=$(grep -cE '^ok [0-9]+ ' "$ksft" || true)
	kskip=$(grep -cE '^ok [0-9]+ .*# SKIP' "$ksft" || true)
	knotok=$(grep -cE '^not ok [0-9]+ ' "$ksft" || true)
	kplan=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$ksft" | head -n 1)
	ktotals=$(grep -E '^# Totals: pass:[0-9]+ fail:[0-9]+ ' "$ksft" | tail -n 1 || true)
	kstatus=$(sed -n 's/^VBUDDY-GUEST: kselftest end (exit status \([0-9]*\))$/\1/p' "$GLOG")
	stage_pass $((kok - kskip))
	stage_fail "$knotok" "kselftests failed"
	echo "$STAGE: kselftest: $((kok - kskip)) ok, $knotok not ok, $kskip skipped"
	{ grep -E '^not ok|^# .*(Expected|FAIL|SKIP)' "$ksft" || true; } | head -n 20 | sed 's/^/  /'
	[ -e "$GDIR/payload/vbuddy_test" ] || return 0	# not built: a problem already
	if [ -z "$ktotals" ]; then
		stage_problem "no kselftest '# Totals' line"
	else
		[[ "$ktotals" =~ pass:([0-9]+)\ fail:([0-9]+) ]]
		[ "${BASH_REMATCH[1]}" = $((kok - kskip)) ] && [ "${BASH_REMATCH[2]}" = "$knotok" ] ||
			stage_problem "kselftest totals ($ktotals) disagree with its ok/not ok lines ($kok/$knotok)"
		[ "$kplan" = $((kok + knotok)) ] ||
			stage_problem "kselftest planned ${kplan:-?} tests, reported $((kok + knotok))"
	fi
	[ "$kskip" = 0 ] || stage_problem "kselftest skipped $kskip tests"
	[ "$kstatus" = 0 ] || [ "$knotok" -gt 0 ] ||
		stage_problem "kselftest exit status ${kstatus:-unknown}"
}

# The kmemleak part: two tests per probe (tracked with its size, forgotten
# once freed); what the scan listed is shown, not counted: kmemleak scans
# conservatively, and a stale copy of an address anywhere hides a leak.
count_kmemleak() {
	local good bad
	good=$(grep -cE 'VBUDDY-GUEST: kmemleak probe: (tracked|forgotten) ' "$GLOG" || true)
	bad=$(grep -cE 'VBUDDY-GUEST: kmemleak probe: not ' "$GLOG" || true)
	stage_pass "$good"
	stage_fail "$bad" "vbuddy objects kmemleak did not track, or kept after their free"
	[ "$((good + bad))" = 6 ] || stage_problem "expected 3 kmemleak probes, found $(((good + bad) / 2))"
	echo "$STAGE: kmemleak: $good of 6 ok;" \
		"$(grep -c 'kmemleak probe: listed as a leak' "$GLOG" || true) of 3 probes listed by the scan"
}

# The params part: each parameter above its cap is clamped, says so once,
# and sysfs shows the value in use. One test per parameter.
count_params() {
	local name cap
	for name in virtok_slots:4096 pcp_objects:32 pcp_low:64 virtok_map_ram:64 \
		compaction_proactiveness:100; do
		cap=${name#*:}
		name=${name%:*}
		if [ "$(grep -c "vbuddy: $name=[0-9]* is above its cap; using $cap" "$GLOG")" = 1 ] &&
			grep -q "VBUDDY-GUEST: param $name $cap\$" "$GLOG"; then
			stage_pass 1
		else
			stage_problem "$name: no clamp to $cap reported once, or sysfs disagrees"
		fi
	done
}

# vbuddy_stress.ko: "vbuddy_stress: ok/not ok ..." lines and a summary.
count_stress() {
	local lines=$GDIR/stress.txt nok nnotok
	{ untimed "$GLOG" | grep -E '^vbuddy_stress: ' || true; } >"$lines"
	nok=$(grep -cE '^vbuddy_stress: ok ' "$lines" || true)
	nnotok=$(grep -cE '^vbuddy_stress: not ok ' "$lines" || true)
	stage_pass "$nok"
	stage_fail "$nnotok" "stress checks failed"
	grep -qE '^vbuddy_stress: [0-9]+ passed, [0-9]+ failed' "$lines" ||
		stage_problem "no 'vbuddy_stress: N passed, M failed' summary"
	{ grep -vE '^vbuddy_stress: ok ' "$lines" || true; } | sed 's/^/  /'
}

# vbuddy_bench.ko in smoke mode: one test, that every case ran to "done"
# in a clean run.
count_bench() {
	grep -q 'vbuddy_bench: done' "$GLOG" || stage_problem "no 'vbuddy_bench: done'"
	[ "$STAGE_FAILED" -gt 0 ] || stage_pass 1
	echo "$STAGE: $(grep -c 'vbuddy_bench: .* ratio=' "$GLOG" || true) cases ran" \
		"(a smoke run; times not a measure)"
}

# The debug flavour boots with init_on_free=1, the kasan one with
# init_on_alloc=1 (and probes kmemleak): vbuddy_gfp tests each option there.
# (UML's own workqueue code trips KASAN with init_on_free=1 at boot.)
stage_kunit() {
	local flavour=${1:-debug} opt=init_on_free=1 parts=(kunit)
	[ "$flavour" = debug ] || opt=init_on_alloc=1
	[ "$flavour" != kasan ] || parts+=(kmemleak)
	stage_begin "kunit$([ "$flavour" = debug ] || echo "-$flavour")"
	if guest_run --fresh --cmdline="$opt" "uml:$flavour" "${parts[@]}"; then
		count_kunit
		[ "$flavour" != kasan ] || count_kmemleak
	fi
	stage_end "$GLOG"
}

stage_qemu() {
	local series=${1:-6.12}
	case "$series" in
	6.12) stage_begin qemu ;;
	6.1) stage_begin qemu61 ;;
	*) die "unknown kernel series $series (6.12 or 6.1)" ;;
	esac
	if guest_run --fresh "debian:$series" smoke kselftest params; then
		count_smoke
		count_kselftest
		count_params
	fi
	stage_end "$GLOG"
}

stage_stress() {
	local seconds=${VBUDDY_STRESS_SECONDS:-30}
	stage_begin stress
	msg "$seconds s on 4 emulated CPUs"
	guest_run --smp=4 --timeout=$((seconds + 150)) debian:6.12 "stress:seconds=$seconds" &&
		count_stress
	stage_end "$GLOG"
}

# KCSAN (UML has none): the x86-64 kernel of kunit/kcsan.x86_64.config
# (scripts/kernel.sh builds it once) under qemu on 4 CPUs: every KUnit
# suite, then vbuddy_stress.ko for VBUDDY_STRESS_SECONDS. A KCSAN report
# ("BUG: KCSAN: data-race ...") is a splat like any other; one more test
# is that KCSAN was on and watching.
#
# Left unreported (KCSAN_IGNORE): races inside the kernel's own code that
# vbuddy's use of it runs into and no Kconfig option filters:
#   mtree_load   the maple tree's RCU walk reads the pivots of a node that a
#                writer has marked dead and call_rcu() reuses for its
#                rcu_head; the walk checks for a dead node after the read
#                and restarts (lib/maple_tree.c, mtree_lookup_walk()).
#                KCSAN_REPORT_VALUE_CHANGE_ONLY does not apply to it:
#                report.c exempts functions named *rcu*.
KCSAN_IGNORE=mtree_load

stage_kcsan() {
	local seconds=${VBUDDY_STRESS_SECONDS:-30} kdir
	stage_begin kcsan
	kdir=$("$S/kernel.sh" kcsan) || stage_broken "KCSAN kernel build failed"
	msg "KUnit, then $seconds s of stress, on 4 emulated CPUs under KCSAN"
	if guest_run --fresh --smp=4 --timeout=$((seconds + 900)) --cmdline=init_on_free=1 \
		"bzimage:$kdir" "kcsan:$KCSAN_IGNORE" kunit "stress:seconds=$seconds"; then
		count_kunit
		count_stress
		count_kcsan
	fi
	stage_end "$GLOG"
}

# KCSAN's counters, which the guest prints at the end: it was enabled, and
# it set up watchpoints.
count_kcsan() {
	local enabled watch
	_kc() { sed -n "s/^VBUDDY-GUEST: kcsan $1 //p" "$GLOG"; }
	enabled=$(_kc enabled) watch=$(_kc setup_watchpoints)
	if [ "$enabled" = 1 ] && [ "${watch:-0}" -gt 0 ]; then
		stage_pass 1
	else
		stage_problem "KCSAN was not watching (enabled: ${enabled:-?}, setup_watchpoints: ${watch:-?})"
	fi
	echo "$STAGE: KCSAN reports: $(grep -c 'BUG: KCSAN:' "$GLOG" || true);" \
		"watchpoints set up: ${watch:-?}; data races seen: $(_kc data_races)," \
		"with those left unreported ($KCSAN_IGNORE) or filtered as unchanged values"
}

stage_bench_smoke() {
	stage_begin bench-smoke
	guest_run uml:debug bench:iterations=20 && count_bench
	stage_end "$GLOG"
}

# ---------------------------------------------------------------------------
# Stages on the host.

stage_deps() {
	stage_begin deps
	"$S/deps.sh" || stage_problem "could not install the Debian packages"
	stage_end
}

# A make in tools/testing/vbuddy whose last result line is "N passed, M
# failed"; a non-zero exit with no failed test is still one failure.
#   make_tests LOG MAKE ARGS...
make_tests() {
	local log=$1 rc=0 line
	shift
	mkdir -p "$(dirname "$log")"
	make -C "$VBUDDY_ROOT/tools/testing/vbuddy" --no-print-directory "$@" >"$log" 2>&1 </dev/null || rc=$?
	line=$(grep -E '^[[:space:]]*[0-9]+ passed, [0-9]+ failed[[:space:]]*$' "$log" | tail -n 1 || true)
	if [[ "$line" =~ ([0-9]+)\ passed,\ ([0-9]+)\ failed ]]; then
		stage_pass "${BASH_REMATCH[1]}"
		stage_fail "${BASH_REMATCH[2]}" "tests failed"
		[ "$rc" = 0 ] || [ "${BASH_REMATCH[2]}" -gt 0 ] || stage_problem "make exit status $rc"
	else
		stage_problem "no 'N passed, M failed' line (make exit status $rc)"
	fi
}

stage_userspace() {
	local log=$VBUDDY_BUILD/userspace.log
	stage_begin userspace
	if [ ! -e "$VBUDDY_ROOT/tools/testing/vbuddy/Makefile" ]; then
		echo "userspace: skipped (no tools/testing/vbuddy/Makefile yet)"
	else
		make_tests "$log" -j"$VBUDDY_JOBS" check
	fi
	stage_end "$log"
}

# The corpus is left as it is (make -C tools/testing/vbuddy fuzz keeps what
# it finds).
stage_fuzz() {
	local log=$VBUDDY_BUILD/fuzz.log
	stage_begin fuzz
	FUZZ_KEEP=0 make_tests "$log" -s fuzz FUZZ_SECONDS="${FUZZ_SECONDS:-60}"
	grep -E '^(fuzz: |executions: |exec/s: )' "$log" || true
	stage_end "$log"
}

# Sphinx, with the kernel's kernel-doc extension from the 6.12 tree pulling
# the comments out of module/; its warnings and kernel-doc's
# (KDOC_WERROR) are errors.
stage_docs() {
	local out=$VBUDDY_BUILD/docs ksrc
	stage_begin docs
	"$S/deps.sh"
	ksrc=$("$S/ksrc.sh")
	rm -rf "$out/html" "$out/doctrees"
	mkdir -p "$out"
	if VBUDDY_KSRC=$ksrc KDOC_WERROR=1 sphinx-build -W --keep-going -q -b html \
		-d "$out/doctrees" "$VBUDDY_ROOT/Documentation" "$out/html" >"$out/sphinx.log" 2>&1 &&
		! grep -qE 'warning|WARNING|ERROR' "$out/sphinx.log"; then
		stage_pass 1
		echo "docs: $(rel "$out")/html/index.html"
	else
		stage_problem "sphinx-build failed or warned"
	fi
	stage_end "$out/sphinx.log"
}

stage_dkms() {
	"$S/dkms.sh" check
}

# Our C sources below the DIRS, relative to the tree, sorted.
sources() {
	local d
	for d in "$@"; do
		[ -d "$d" ] && find "$d" -maxdepth 1 -type f -name '*.[ch]'
	done | LC_ALL=C sort
}

# One lint check: passed if COMMAND... succeeded and its output OUT has no
# line matching REGEXP.
#   lint_check CHECK OUT REGEXP COMMAND...
lint_check() {
	local check=$1 out=$2 re=$3 rc=0
	shift 3
	"$@" >"$out" 2>&1 || rc=$?
	if [ "$rc" = 0 ] && ! grep -qE "$re" "$out"; then
		stage_pass 1
		echo "lint: $check: ok"
		return
	fi
	stage_problem "$check: $(grep -cE "$re" "$out" || true) reports, status $rc (see $(rel "$out"))"
	{ grep -vE '^\s*$' "$out" || true; } | head -n 25 | sed 's/^/  /'
}

# sparse through kbuild (C=2 checks every file even when up to date): its
# warnings and errors in our files.
sparse_ours() {
	local bdir log=$VBUDDY_BUILD/lint/sparse-build.log
	bdir=$("$S/build-modules.sh" --uml C=2 2>"$log") || { tail -n 30 "$log"; return 1; }
	{ grep -E ': (warning|error):' "$log" || true; } | { grep -F "$bdir/" || true; } |
		sed "s|$bdir/||"
}

# checkpatch --strict over module/ lib/ kunit/ and the kselftest, sparse,
# kernel-doc -Wall over module/ lib/ and kunit/*.c; the tools come from the
# unpacked 6.12 tree.
stage_lint() {
	local dir=$VBUDDY_BUILD/lint ksrc cfiles docfiles
	stage_begin lint
	"$S/deps.sh"
	ksrc=$("$S/ksrc.sh")
	mkdir -p "$dir"
	cd "$VBUDDY_ROOT"
	mapfile -t cfiles < <(sources module lib kunit tools/testing/selftests/vbuddy)
	mapfile -t docfiles < <(sources module lib; sources kunit | grep '\.c$' || true)
	[ "${#cfiles[@]}" -gt 0 ] && [ "${#docfiles[@]}" -gt 0 ] || stage_broken "no C sources found"
	lint_check checkpatch "$dir/checkpatch.txt" '(ERROR|WARNING|CHECK):' \
		"$ksrc/scripts/checkpatch.pl" --strict --no-tree --terse --no-summary \
		--show-types -f "${cfiles[@]}"
	lint_check sparse "$dir/sparse.txt" . sparse_ours
	lint_check kernel-doc "$dir/kernel-doc.txt" . \
		"$ksrc/scripts/kernel-doc" -none -Wall "${docfiles[@]}"
	stage_end
}

# ---------------------------------------------------------------------------

if [ $# -gt 0 ]; then
	case "$1" in
	kunit-*) stage_kunit "${1#kunit-}" ;;
	qemu61) stage_qemu 6.1 ;;
	bench-smoke) stage_bench_smoke ;;
	deps | userspace | fuzz | kunit | qemu | stress | kcsan | docs | dkms | lint) "stage_$1" "${@:2}" ;;
	*) die "unknown stage '$1' (${STAGES[*]})" ;;
	esac
	exit
fi

take_lock "$VBUDDY_BUILD/.check.lock"
rm -rf "$VBUDDY_BUILD/results"
start=$(date +%s)
for stage in "${STAGES[@]}"; do
	run_stage "$stage" "$0" "$stage"
done
echo "(total: $(($(date +%s) - start)) s)"
print_summary "${STAGES[@]}"
