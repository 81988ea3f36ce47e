#!/bin/sh
# jobs.sh — how long `gather check` takes over one job file of N jobs
# (issue 16: checking was cubic in the number of jobs; 8,000 took 43 s).
# Its memory: tests/integration/jobs_memory.sh (100,000 jobs: 1.46 GB peak
# RSS before chunks were built and freed as parsed, 150 MB after).
#
# Usage: tests/bench/jobs.sh [N] [GATHER]   (default 100000, ./gather)
# Prints "N jobs checked in S s".  Exit 1 when the check fails.
set -eu
n=${1:-100000}
gather=${2:-./gather}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# one defaults block, then N small jobs, as a generated site list would be
awk -v n="$n" 'BEGIN {
	print "defaults {\n  concurrency = 8\n}"
	for (i = 0; i < n; i++)
		printf "job \"site-%d\" {\n  mode = get\n  seeds = {\"http://h%d.example/\"}\n  max-body = 1M\n}\n", i, i
}' > "$tmp/jobs.conf"
start=$(date +%s.%N)
"$gather" check "$tmp/jobs.conf" > "$tmp/out"
end=$(date +%s.%N)
grep -q "^$tmp/jobs.conf: $n jobs OK\$" "$tmp/out"
echo "$n jobs checked in $(echo "$end - $start" | bc -l | sed 's/^\./0./' | cut -c1-5) s"
