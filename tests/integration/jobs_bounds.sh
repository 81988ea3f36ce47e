#!/bin/sh
# jobs_bounds.sh — job files are read with bounds (issue 16): only regular
# files (a FIFO is never waited on, /dev/zero never read), at most
# --max-job-size bytes, a file that is not a job file is said to be one
# without quoting it, a NUL byte and an unterminated /* comment are faults
# with their line; and checking many jobs is linear (20,000 jobs, which took
# minutes when it was cubic, within a generous bound).
set -u
: "${top_builddir:=.}"
gather="$top_builddir/gather"
tmp=$(mktemp -d /tmp/jobs_bounds.XXXXXX) || exit 99
trap 'rm -rf "$tmp"' EXIT
fail=0
bad() { echo "FAIL: $*" >&2; fail=1; }
# check FILE...: exit code into rc, stderr into $tmp/err; bounded in time
check() { timeout 60 "$gather" check "$@" >"$tmp/out" 2>"$tmp/err"; rc=$?; }

mkfifo "$tmp/fifo" || exit 99
printf 'root:$6$secretsecret:19000:0:99999:7:::\n' > "$tmp/shadow"
printf 'job "a" {\n  seeds = {"http://a.example/"}\n}\n' > "$tmp/inc.conf"
printf 'include("/dev/zero")\ninclude("fifo")\ninclude("shadow")\ninclude("inc.conf")\n' > "$tmp/top.conf"

check "$tmp/top.conf"
[ "$rc" -eq 2 ] || bad "includes of a device, a FIFO, a non-job file: exit $rc, want 2"
grep -q "^$tmp/top.conf:1: cannot read included file '/dev/zero': not a regular file\$" "$tmp/err" || bad "/dev/zero: $(cat "$tmp/err")"
grep -q "^$tmp/top.conf:2: cannot read included file '$tmp/fifo': not a regular file\$" "$tmp/err" || bad "FIFO: $(cat "$tmp/err")"
grep -q "^$tmp/top.conf:3: included file '$tmp/shadow' is not a job file\$" "$tmp/err" || bad "shadow: $(cat "$tmp/err")"
grep -q secret "$tmp/err" && bad "a line of a file that is not a job file was echoed"

check "$tmp/fifo"
[ "$rc" -eq 2 ] && grep -q "^$tmp/fifo: cannot read: not a regular file\$" "$tmp/err" || bad "check FIFO: exit $rc, $(cat "$tmp/err")"
check "$tmp/shadow"
[ "$rc" -eq 2 ] && grep -q "^$tmp/shadow:1: not a job file\$" "$tmp/err" || bad "check shadow: exit $rc, $(cat "$tmp/err")"
grep -q secret "$tmp/err" && bad "check shadow echoed it"

# the size limit: default, flag, both spellings, and a bad value
check "$tmp/inc.conf"
[ "$rc" -eq 0 ] || bad "a small file: exit $rc"
check --max-job-size 20 "$tmp/inc.conf"
[ "$rc" -eq 2 ] && grep -q "^$tmp/inc.conf: cannot read: larger than 20 bytes (--max-job-size)\$" "$tmp/err" || bad "--max-job-size 20: exit $rc, $(cat "$tmp/err")"
check --max-job-size=1K "$tmp/inc.conf"
[ "$rc" -eq 0 ] || bad "--max-job-size=1K: exit $rc, $(cat "$tmp/err")"
check --max-job-size 0 "$tmp/inc.conf"
[ "$rc" -eq 2 ] || bad "--max-job-size 0: exit $rc"
head -c $((17 * 1024 * 1024)) /dev/zero | tr '\0' '#' > "$tmp/big.conf"
check "$tmp/big.conf"
[ "$rc" -eq 2 ] && grep -q "larger than 16777216 bytes" "$tmp/err" || bad "17 MB over the 16M default: exit $rc, $(cat "$tmp/err")"
printf 'include("big.conf")\n' > "$tmp/incbig.conf"
check "$tmp/incbig.conf"
[ "$rc" -eq 2 ] && grep -q "^$tmp/incbig.conf:1: cannot read included file '$tmp/big.conf': larger than 16777216 bytes" "$tmp/err" ||
	bad "the limit applies to included files too: exit $rc, $(cat "$tmp/err")"

# NUL in a string, unterminated comment: faults with their line
printf 'job "n" {\n  seeds = {"http://a\000b/"}\n}\n' > "$tmp/nul.conf"
check "$tmp/nul.conf"
[ "$rc" -eq 2 ] && grep -q "^$tmp/nul.conf:2: a NUL byte in a string\$" "$tmp/err" || bad "NUL: exit $rc, $(cat "$tmp/err")"
printf 'job "c" {\n  seeds = {"http://a/"}\n}\n\n/* never\nclosed\n' > "$tmp/cmt.conf"
check "$tmp/cmt.conf"
[ "$rc" -eq 2 ] && grep -q "^$tmp/cmt.conf:5: unterminated /\* comment\$" "$tmp/err" || bad "comment: exit $rc, $(cat "$tmp/err")"

# Checking many jobs no longer grows cubically: 4 times the jobs must take
# under 30 times as long (cubic, as before: 64 times; 8,000 jobs took 43 s).
# Our own part is linear now (about 5 times in a plain build); what is left
# is libconfuse growing its section list one entry at a time (quadratic),
# which a TSan build's instrumented realloc makes the larger part (17
# times seen).  A ratio, not seconds, so a slow or sanitizer build measures
# it alike; the speed itself is tests/bench/jobs.sh's.
N=4000
if ldd "$gather" 2>/dev/null | grep -q 'libasan\|libtsan'; then N=1000; fi
many() { # COUNT: check a file of COUNT jobs; ms = the milliseconds it took
	awk -v n="$1" 'BEGIN { for (i = 0; i < n; i++)
		printf "job \"j%d\" {\n  seeds = {\"http://h%d.example/\"}\n}\n", i, i }' > "$tmp/many.conf"
	t0=$(date +%s%N)
	timeout 300 "$gather" check "$tmp/many.conf" >"$tmp/out" 2>"$tmp/err"; rc=$?
	t1=$(date +%s%N)
	[ "$rc" -eq 0 ] && grep -q "^$tmp/many.conf: $1 jobs OK" "$tmp/out" || bad "$1 jobs: exit $rc"
	ms=$(( (t1 - t0) / 1000000 + 1 ))
}
many $N; small=$ms
many $((4 * N)); big=$ms
echo "jobs_bounds: $N jobs ${small} ms, $((4 * N)) jobs ${big} ms"
[ "$big" -lt $((30 * small + 200)) ] || bad "checking jobs grows too fast: $N jobs ${small} ms, $((4 * N)) jobs ${big} ms"

[ "$fail" -eq 0 ] && echo "jobs_bounds: all checks passed"
exit "$fail"
