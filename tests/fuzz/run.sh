#!/bin/sh
# run.sh — `make fuzz`: run each libFuzzer harness for FUZZ_SECONDS seconds,
# starting from its committed seed corpus (never written to: new inputs go
# to a work directory of the build tree).  Exit 1 on any finding (a crash,
# a sanitizer report, a leak, a timeout, a broken property), with the
# reproducing input saved as tests/fuzz/TARGET/crash-* (or leak-*,
# timeout-*, oom-*) in the build tree.
#
# Usage: run.sh SRCDIR BUILDDIR SECONDS TARGET...
set -u
src=$1 build=$2 secs=$3
shift 3
case $secs in ''|*[!0-9]*) echo "make fuzz: FUZZ_SECONDS must be a whole number of seconds" >&2; exit 2 ;; esac
failed=""
# leaks of libconfuse itself are not findings (tests/fuzz/lsan.supp)
LSAN_OPTIONS="suppressions=$src/tests/fuzz/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export LSAN_OPTIONS
for t in "$@"; do
	bin=$build/tests/fuzz/$t/fuzz_$t
	work=$build/tests/fuzz/$t/work
	log=$build/tests/fuzz/$t/fuzz.log
	rm -rf "$work"; mkdir -p "$work"
	# -timeout: one input taking 10 s is a finding; -rss_limit_mb: so is
	# 2 GB of memory (every limit of the parsers is far below it).
	"$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$build/tests/fuzz/$t/" "$work" "$src/tests/fuzz/$t/corpus" >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	if [ "$rc" -eq 0 ]; then
		echo "fuzz: $t: ${secs}s, ${execs:-?} inputs, no finding"
	else
		echo "fuzz: $t: FINDING (exit $rc); the end of $log:"
		tail -n 40 "$log"
		failed="$failed $t"
	fi
	rm -rf "$work"
done
if [ -n "$failed" ]; then
	echo "fuzz: findings in:$failed"
	exit 1
fi
echo "fuzz: $# targets fuzzed for ${secs}s each, no finding"
