#!/bin/sh
# jobs_bounds.sh — job files are read with bounds (issue 16): only regular
# files (a FIFO is never waited on, /dev/zero never read), at most
# --max-job-size bytes, a file that is not a job file is said to be one
# without quoting it, a NUL byte and an unterminated /* comment are faults
# with their line; and checking many jobs is linear (16,000 jobs, which took
# minutes when it was cubic, within a bound), faults at their lines in a
# file parsed in chunks.
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

# A big file is parsed in chunks of 512 jobs (libconfuse grows a section
# list one entry at a time): every fault keeps its FILE:LINE across the
# chunks, jobs and includes keep their order, a name is a duplicate across
# chunks, and a syntax error still ends the file where it stands.
awk 'BEGIN {
	print "defaults {\n  concurrency = 8\n}"
	for (i = 0; i < 1300; i++) {
		if (i == 700) print "include(\"inc.conf\")"
		if (i == 1100) printf "job \"j5\" {\n  seeds = {\"http://dup.example/\"}\n}\n"
		printf "job \"j%d\" {\n  seeds = {\"http://h%d.example/\"}\n", i, i
		if (i == 600) print "  colour = red"
		if (i == 1200) print "  seeds = {\"ftp://x/\"}"
		print "}"
	}
}' > "$tmp/chunks.conf"
# the lines are those one libconfuse parse of the whole file gives (as
# checked against the build before the chunks)
check "$tmp/chunks.conf"
[ "$rc" -eq 2 ] || bad "chunks: exit $rc, want 2"
grep -q "^$tmp/chunks.conf:1806: unknown key 'colour' in job 'j600'\$" "$tmp/err" || bad "chunks: unknown key: $(head -c 600 "$tmp/err")"
grep -q "^$tmp/chunks.conf:3306: duplicate job name 'j5' (first at $tmp/chunks.conf:19)\$" "$tmp/err" || bad "chunks: duplicate: $(head -c 600 "$tmp/err")"
grep -q "^$tmp/chunks.conf:3610: bad seed URL 'ftp://x/'" "$tmp/err" || bad "chunks: bad seed: $(head -c 600 "$tmp/err")"
[ "$(wc -l < "$tmp/err")" -eq 3 ] || bad "chunks: $(wc -l < "$tmp/err") faults, want 3: $(head -c 900 "$tmp/err")"
# the same file without its faults runs its jobs in file order, the
# included job where include() stands
sed -e '/colour = red/d' -e '/ftp:/d' -e 's/"j5" {\(.*\)dup/"dup" {\1dup/' "$tmp/chunks.conf" |
	awk '/^job "j5" \{$/ && ++n == 2 { sub(/j5/, "dup") } { print }' > "$tmp/chunks-ok.conf"
check "$tmp/chunks-ok.conf"
[ "$rc" -eq 0 ] && grep -q "^$tmp/chunks-ok.conf: 1302 jobs OK\$" "$tmp/out" || bad "chunks-ok: exit $rc: $(head -c 600 "$tmp/err") $(cat "$tmp/out")"
# a syntax error in a later chunk: said at its line, nothing after it parsed
awk 'BEGIN { for (i = 0; i < 1300; i++) {
	printf "job \"s%d\" {\n  seeds = {\"http://h%d.example/\"}\n}\n", i, i
	if (i == 900) print "job \"broken\" { seeds = {\"http://x/\" }"
} }' > "$tmp/syntax.conf"
check "$tmp/syntax.conf"
[ "$rc" -eq 2 ] || bad "syntax: exit $rc, want 2"
grep -q "^$tmp/syntax.conf:2705: " "$tmp/err" || bad "syntax error line: $(head -c 600 "$tmp/err")"
grep -q "s1000\|s1299" "$tmp/err" && bad "syntax: jobs after the error were parsed: $(head -c 600 "$tmp/err")"

# Checking many jobs is linear: 4 times the jobs must take under 10 times
# as long (quadratic: 16 times; cubic, as before: 64 times, 8,000 jobs took
# 43 s).  A ratio, not seconds, so a slow or sanitizer build measures it
# alike; the speed itself is tests/bench/jobs.sh's.
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
[ "$big" -lt $((10 * small + 200)) ] || bad "checking jobs grows too fast: $N jobs ${small} ms, $((4 * N)) jobs ${big} ms"

[ "$fail" -eq 0 ] && echo "jobs_bounds: all checks passed"
exit "$fail"
