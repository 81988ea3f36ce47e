#!/bin/sh
# jobs_schedule.sh — gatherd's schedule keys in job files (issue 14):
# `gather check` takes good ones and reports bad ones as FILE:LINE naming the
# cron field and column; `gather run` ignores them and runs the job once,
# at once (no waiting for the schedule).
set -u
: "${top_builddir:=.}" "${top_srcdir:=.}"
gather="$top_builddir/gather"
tmp=$(mktemp -d /tmp/jobs_schedule.XXXXXX) || exit 99
srv=""
trap '[ -n "$srv" ] && kill "$srv" 2>/dev/null; rm -rf "$tmp"' EXIT
fail=0
bad() { echo "FAIL: $*" >&2; fail=1; }

mkdir -p "$tmp/site"
printf '<html><head><title>Home</title></head><body>home</body></html>\n' > "$tmp/site/index.html"
. "$top_srcdir/tests/lib/pyserve.sh"
pyserve "$tmp/site" "$tmp"

# a schedule far from now (Feb 29 at 03:07, Berlin): run must not wait for it
cat > "$tmp/sched.conf" <<EOF2
job "nightly" {
  seeds = {"$base/"}
  mode = get
  jsonl = "$tmp/out.jsonl"
  schedule = "7 3 29 2 *"
  timezone = "Europe/Berlin"
  overlap = "queue"
  persistent = true
}
EOF2
out=$("$gather" check "$tmp/sched.conf" 2>"$tmp/err"); rc=$?
[ "$rc" -eq 0 ] || bad "check good: exit $rc: $(cat "$tmp/err")"
[ "$out" = "$tmp/sched.conf: 1 job OK" ] || bad "check good: stdout '$out'"
timeout 60 "$gather" run "$tmp/sched.conf" 2>"$tmp/err"; rc=$?
[ "$rc" -eq 0 ] || bad "run: exit $rc: $(cat "$tmp/err")"
[ "$(wc -l < "$tmp/out.jsonl" 2>/dev/null)" = 1 ] || bad "run: want exactly 1 record"
grep -q '"status":200' "$tmp/out.jsonl" || bad "run: $(cat "$tmp/out.jsonl")"

# faults: each at its line, the cron ones naming field and column; exit 2
cat > "$tmp/bad.conf" <<'EOF2'
job "a" {
  seeds = {"http://127.0.0.1:9/"}
  schedule = "*/5 9-17 * * mon-fry"
  timezone = "Europe/Atlantis"
}
job "b" {
  seeds = {"http://127.0.0.1:9/"}
  schedule = "@fortnightly"
  overlap = "both"
}
job "c" {
  seeds = {"http://127.0.0.1:9/"}
  persistent = true
}
EOF2
out=$("$gather" check "$tmp/bad.conf" 2>"$tmp/err"); rc=$?
[ "$rc" -eq 2 ] || bad "check bad: exit $rc"
[ -z "$out" ] || bad "check bad: stdout '$out'"
cat > "$tmp/want" <<EOF2
$tmp/bad.conf:3: bad schedule '*/5 9-17 * * mon-fry': day-of-week field at column 18: 'fry' is not a number nor a name sun..sat
$tmp/bad.conf:4: bad timezone: unknown time zone 'Europe/Atlantis' (No such file or directory)
$tmp/bad.conf:8: bad schedule '@fortnightly': column 1: unknown macro '@fortnightly' (expected @hourly, @daily, @midnight, @weekly, @monthly, @yearly or @annually)
$tmp/bad.conf:9: invalid value 'both' for overlap: expected skip or queue
$tmp/bad.conf:13: 'persistent' without a schedule in job 'c'
EOF2
diff -u "$tmp/want" "$tmp/err" >&2 || bad "check bad: messages differ"
# and run refuses it as check does, running nothing
timeout 60 "$gather" run "$tmp/bad.conf" 2>/dev/null; rc=$?
[ "$rc" -eq 2 ] || bad "run bad: exit $rc, want 2"
exit $fail
