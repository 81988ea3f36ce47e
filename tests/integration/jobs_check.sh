#!/bin/sh
# jobs_check.sh — `gather check`: exit codes, FILE:LINE messages, all faults.
set -u
: "${top_builddir:=.}"
gather="$top_builddir/gather"
tmp=$(mktemp -d /tmp/jobs_check.XXXXXX) || exit 99
trap 'rm -rf "$tmp"' EXIT
fail=0
bad() { echo "FAIL: $*" >&2; fail=1; }

cat > "$tmp/good.conf" <<'CONF'
# two jobs
job "a" { seeds = {"https://a.example/"} }
job "b" {
  urls-file = "urls.txt"
}
CONF
printf 'https://b.example/\n' > "$tmp/urls.txt"
cat > "$tmp/bad.conf" <<'CONF'
# three faults: lines 4, 5, 6
job "a" {
  seeds = {"https://a.example/"}
  depth = "deep"
  colour = "red"
  extract "t" { xpath = "//[" }
}
CONF

# good file: exit 0, "N jobs OK" on stdout, nothing on stderr
out=$("$gather" check "$tmp/good.conf" 2>"$tmp/err"); rc=$?
[ "$rc" -eq 0 ] || bad "good.conf: exit $rc"
[ "$out" = "$tmp/good.conf: 2 jobs OK" ] || bad "good.conf: stdout '$out'"
[ -s "$tmp/err" ] && bad "good.conf: stderr: $(cat "$tmp/err")"

# bad file: exit 2, every fault once as FILE:LINE: message, nothing on stdout
out=$("$gather" check "$tmp/bad.conf" 2>"$tmp/err"); rc=$?
[ "$rc" -eq 2 ] || bad "bad.conf: exit $rc"
[ -z "$out" ] || bad "bad.conf: stdout '$out'"
cat > "$tmp/want" <<EOF2
$tmp/bad.conf:4: invalid value 'deep' for depth: expected a whole number or inf
$tmp/bad.conf:5: unknown key 'colour' in job 'a'
$tmp/bad.conf:6: bad XPath '//[' in extract 't': invalid expression at offset 2
EOF2
diff -u "$tmp/want" "$tmp/err" >&2 || bad "bad.conf: messages differ"

# several files: each checked, the good one still reported OK, exit 2
out=$("$gather" check "$tmp/good.conf" "$tmp/bad.conf" "$tmp/none.conf" 2>"$tmp/err"); rc=$?
[ "$rc" -eq 2 ] || bad "mixed: exit $rc"
[ "$out" = "$tmp/good.conf: 2 jobs OK" ] || bad "mixed: stdout '$out'"
[ "$(wc -l < "$tmp/err")" -eq 4 ] || bad "mixed: $(wc -l < "$tmp/err") messages, want 4"
grep -qx "$tmp/none.conf: cannot read: No such file or directory" "$tmp/err" || bad "mixed: no message for the missing file"

# ${VAR}: defined works, undefined is a fault naming it
printf 'job "e" { seeds = {"https://${GATHER_T_HOST}/"} }\n' > "$tmp/env.conf"
GATHER_T_HOST=h.example "$gather" check "$tmp/env.conf" >/dev/null 2>&1 || bad "env.conf with the variable set"
env -u GATHER_T_HOST "$gather" check "$tmp/env.conf" >/dev/null 2>"$tmp/err" && bad "env.conf without the variable passed"
grep -q "^$tmp/env.conf:1: undefined environment variable 'GATHER_T_HOST'" "$tmp/err" || bad "env.conf: $(cat "$tmp/err")"

# usage: no file, unknown option
"$gather" check >/dev/null 2>&1; rc=$?
[ "$rc" -eq 2 ] || bad "no file: exit $rc"
"$gather" check --bogus "$tmp/good.conf" >/dev/null 2>&1; rc=$?
[ "$rc" -eq 2 ] || bad "--bogus: exit $rc"
"$gather" check --help | grep -q '^Usage: gather check' || bad "--help"
exit $fail
