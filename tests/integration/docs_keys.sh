#!/bin/sh
# docs_keys.sh — every option of lib/util/options.c's gather_optdefs[] is
# documented as a job-file key in gather.conf(5), and so is every job key
# that is not an option (seeds, mode, schedule, ...).
set -u
: "${top_srcdir:=.}"
names=$(sed -n 's/^[[:space:]]*{ "\([a-z][a-z0-9-]*\)", .*GATHER_OPT_.*/\1/p' "$top_srcdir/lib/util/options.c")
man="$top_srcdir/conf/gather.conf.5.in"
fail=0 n=0
for name in $names; do
	n=$((n + 1))
	roff=$(printf '%s' "$name" | sed 's/-/\\\\-/g')
	grep -q "\\\\fB$roff\\\\fR" "$man" || { echo "FAIL: '$name' is not documented in gather.conf.5.in" >&2; fail=1; }
done
# and the job keys that are not options (lib/job/job-internal.h's KEY_*)
keys=$(sed -n 's/^#define KEY_[A-Z_]* "\([a-z][a-z0-9-]*\)"$/\1/p' "$top_srcdir/lib/job/job-internal.h")
nk=0
for name in $keys; do
	nk=$((nk + 1))
	roff=$(printf '%s' "$name" | sed 's/-/\\\\-/g')
	grep -q "\\\\fB$roff\\(\\\\fR\\| \\)" "$man" || { echo "FAIL: job key '$name' is not documented in gather.conf.5.in" >&2; fail=1; }
done
[ "$nk" -ge 8 ] || { echo "FAIL: found only $nk job keys in lib/job/job-internal.h" >&2; fail=1; }
[ "$n" -ge 30 ] || { echo "FAIL: found only $n options in lib/util/options.c" >&2; fail=1; }
exit $fail
