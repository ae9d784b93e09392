#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make fuzz: run the libFuzzer target over corpus/ for a while, keep what it
# found that is new and small, and report.
#
#   run-fuzz.sh FUZZER SECONDS MAX_LEN KEEP_LEN MAX_FILES MAX_BYTES
#
# The fuzzer reads corpus/ and writes the new inputs it finds to
# fuzz-work/new/ (not to corpus/), a crash reproducer to crashes/. After a
# clean run, the new inputs of at most KEEP_LEN bytes that add coverage to
# corpus/ are merged into it (libFuzzer -merge=1); if corpus/ then holds
# more than MAX_FILES files or MAX_BYTES bytes, it is minimised (seed-*
# files always stay). The last lines printed are
#
#   executions: N        stat::number_of_executed_units
#   exec/s: R            N / the wall time of the fuzzer run
#   1 passed, 0 failed   or 0 passed, 1 failed on a crash, leak, timeout
#
# and the exit status is 1 on failure. With FUZZ_KEEP=0 corpus/ is left as
# it is (make check runs it so, on a clean tree).
set -u
cd "$(dirname "$0")" || exit 2

if [ $# -ne 6 ]; then
	echo "usage: $0 FUZZER SECONDS MAX_LEN KEEP_LEN MAX_FILES MAX_BYTES" >&2
	exit 2
fi
fuzzer=$1 secs=$2 max_len=$3 keep_len=$4 max_files=$5 max_bytes=$6
work=fuzz-work
log=$work/fuzz.log

count() { find corpus -maxdepth 1 -type f | wc -l; }
bytes() { find corpus -maxdepth 1 -type f -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }'; }

finish() {	# passed failed
	local units
	units=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	echo "executions: ${units:-unknown}"
	if [ -n "$units" ]; then
		awk -v n="$units" -v t="$elapsed" 'BEGIN { printf "exec/s: %d\n", (t > 0 ? n / t : 0) }'
	else
		echo "exec/s: unknown"
	fi
	echo "$1 passed, $2 failed"
	[ "$2" = 0 ]
	exit $?
}

rm -rf "$work"
mkdir -p "$work/new" crashes corpus
before=$(count)
echo "fuzz: ${secs}s over corpus/ ($before inputs, max_len $max_len); log: $work/fuzz.log"

t0=$(date +%s.%N)
"$fuzzer" -max_total_time="$secs" -print_final_stats=1 -max_len="$max_len" \
	-timeout=10 -rss_limit_mb=2048 -artifact_prefix=crashes/ \
	"$work/new" corpus >"$log" 2>&1
rc=$?
t1=$(date +%s.%N)
elapsed=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')

grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -n 1 | sed 's/^/fuzz: /'
if [ "$rc" != 0 ]; then
	repro=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
	echo "fuzz: FAILED (fuzzer exit status $rc); the end of its log:"
	# The report without libFuzzer's own frames and the input's bytes.
	grep -vE '^(#[0-9]+ |INFO:|stat::|MS: |Done |0x|\\|NOTE:|  *Combine libFuzzer|$)' "$log" |
		grep -vE 'in (fuzzer::|__libc_start|_start |__sanitizer_print_stack_trace|raise |abort |__pthread_kill)' |
		tail -n 30 | sed 's/^/  /'
	if [ -n "$repro" ]; then
		echo "fuzz: reproducer: tools/testing/vbuddy/$repro"
		echo "fuzz: rerun it:   ./fuzz_buddy $repro"
		echo "fuzz: or, gcc:    make fuzz_buddy_replay && ./fuzz_buddy_replay $repro"
	fi
	finish 0 1
fi

# FUZZ_KEEP=0 (make check): leave corpus/ as it is.
if [ "${FUZZ_KEEP:-1}" = 0 ]; then
	finish 1 0
fi

# Keep the new inputs that are small and add coverage.
find "$work/new" -type f -size +"$keep_len"c -delete
if [ -n "$(ls -A "$work/new")" ]; then
	if ! "$fuzzer" -merge=1 -max_len="$max_len" corpus "$work/new" >"$work/merge.log" 2>&1; then
		echo "fuzz: FAILED merging new inputs into corpus/; see $work/merge.log"
		finish 0 1
	fi
fi

# Bound corpus/: minimise it (seed-* stay), then drop the largest others.
if [ "$(count)" -gt "$max_files" ] || [ "$(bytes)" -gt "$max_bytes" ]; then
	mkdir -p "$work/min"
	cp corpus/seed-* "$work/min/" 2>/dev/null
	if "$fuzzer" -merge=1 -max_len="$max_len" "$work/min" corpus >"$work/min.log" 2>&1; then
		find corpus -maxdepth 1 -type f ! -name 'seed-*' -delete
		cp -n "$work/min/"* corpus/
		echo "fuzz: corpus/ minimised to $(count) inputs"
	fi
	while [ "$(count)" -gt "$max_files" ] || [ "$(bytes)" -gt "$max_bytes" ]; do
		big=$(find corpus -maxdepth 1 -type f ! -name 'seed-*' -printf '%s %p\n' |
		      sort -n | tail -n 1 | cut -d' ' -f2-)
		[ -n "$big" ] || break
		rm -f "$big"
	done
fi
echo "fuzz: corpus/ $before -> $(count) inputs, $(bytes) bytes"
finish 1 0
