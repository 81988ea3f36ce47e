#!/bin/sh
# jobs_conf.sh — every job file shipped in conf/jobs passes `gather check`.
set -u
: "${top_builddir:=.}" "${top_srcdir:=.}"
fail=0 n=0
for f in "$top_srcdir"/conf/jobs/*.conf; do
	n=$((n + 1))
	if ! out=$(env -u GATHER_SITE -u GATHER_URLS "$top_builddir/gather" check "$f" 2>&1); then
		echo "FAIL: $out" >&2
		fail=1
	fi
done
[ "$n" -ge 2 ] || { echo "FAIL: only $n job files in conf/jobs" >&2; fail=1; }
exit $fail
