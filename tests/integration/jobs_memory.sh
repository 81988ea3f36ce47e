#!/bin/bash
# jobs_memory.sh — checking many jobs holds one chunk of libconfuse sections
# at a time, not all of them (issue 16, job files: `gather check` over
# 100,000 jobs took 1.3 GB, 11 KB per job, nearly all libconfuse's copies of
# the option table per section).  The peak RSS of 40,000 jobs less that of
# 10,000, per job, must stay under 4 KB (what a built job holds is about
# 1 KB); before the change it was about 12 KB.  A ratio of two runs, so the
# program's own size does not count.  No server.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:-.}/tests/lib/cli_lib.sh"
[ -x /usr/bin/time ] || { echo "/usr/bin/time missing: skipped" >&2; exit 77; }

# a sanitizer build keeps freed memory in quarantine and shadow memory for
# all: RSS says nothing about what the program holds
if ldd "$gather" 2>/dev/null | grep -q 'libasan\|libtsan'; then
	echo "sanitizer build: peak RSS is not the program's; skipped" >&2
	exit 77
fi

gen() { # gen N FILE: N small jobs after a defaults block, as jobs.sh makes
	# (their URLs on 127.0.0.1: nothing is fetched, but never elsewhere)
	awk -v n="$1" 'BEGIN {
		print "defaults {\n  concurrency = 8\n}"
		for (i = 0; i < n; i++)
			printf "job \"site-%d\" {\n  mode = get\n  seeds = {\"http://127.0.0.1:9/h%d\"}\n  max-body = 1M\n}\n", i, i
	}' > "$2"
}
peak() { # peak N: gather check over N jobs; its peak RSS (KB) in kb
	gen "$1" "$tmp/j$1.conf"
	/usr/bin/time -f %M -o "$tmp/rss$1" timeout 120 "$gather" check "$tmp/j$1.conf" >"$tmp/out$1" 2>"$tmp/err$1"
	local rc=$?
	[ $rc -eq 0 ] || bad "check $1 jobs: exit $rc: $(head -c 300 "$tmp/err$1")"
	grep -q "^$tmp/j$1.conf: $1 jobs OK\$" "$tmp/out$1" || bad "check $1 jobs: $(cat "$tmp/out$1")"
	kb=$(tail -n 1 "$tmp/rss$1")
}
peak 10000; small=$kb
peak 40000; large=$kb
per_job=$(( (large - small) * 1024 / 30000 ))
echo "peak RSS: 10,000 jobs $small KB, 40,000 jobs $large KB: $per_job bytes per job" >&2
[ "$per_job" -lt 4096 ] || bad "checking jobs holds $per_job bytes per job (want < 4096)"

# gather run loads the same way: a bad job in the last chunk is said at its
# line, and nothing runs
gen 2000 "$tmp/bad.conf"
line=$(grep -n 'h1990"' "$tmp/bad.conf" | cut -d: -f1)
line=$((line + 1))
sed -i "${line}s/max-body = 1M/max-body = lots/" "$tmp/bad.conf"
grep -q "max-body = lots" "$tmp/bad.conf" || { echo "bad.conf not made" >&2; exit 99; }
timeout 60 "$gather" run "$tmp/bad.conf" >/dev/null 2>"$tmp/bad.err"; rc=$?
[ $rc -eq 2 ] || bad "run bad.conf: exit $rc, want 2"
grep -q "bad.conf:$line: invalid value 'lots' for max-body" "$tmp/bad.err" || bad "run bad.conf: $(head -c 300 "$tmp/bad.err")"

exit $fail
