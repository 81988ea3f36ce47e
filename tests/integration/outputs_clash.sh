#!/bin/bash
# outputs_clash.sh — an output never destroys an input or another output
# (issue 15, item 1): get, crawl, check and run refuse (exit 2, naming both)
# two outputs that are one file and an output that is an input, compared by
# device and inode (links, ./ spellings, stdin/stdout) or, for files not there
# yet, by resolved path; before anything is opened, so the input is intact.
# Server: tests/lib/testserver on 127.0.0.1.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:-.}/tests/lib/cli_lib.sh"

start_server port
b="http://127.0.0.1:$port"
cd "$tmp" || exit 99
printf '%s/status/200?a\n%s/status/200?b\n' "$b" "$b" > l.txt
cp l.txt l.orig
ln l.txt hard.txt
ln -s l.txt soft.txt
mkdir sub

# refused CMD... : exit 2, stderr names both ($1 and $2 are fixed strings
# expected in the message), l.txt untouched
refused() {
	local a=$1 c=$2
	shift 2
	timeout 20 "$gather" "$@" >out.txt 2>err.txt; local rc=$?
	[ $rc -eq 2 ] || bad "$*: exit $rc, want 2: $(head -c 300 err.txt)"
	grep -qF -- "$a and $c are the same file" err.txt || bad "$*: message does not name '$a' and '$c': $(head -c 300 err.txt)"
	[ "$(wc -l < err.txt)" -ge 1 ] || bad "$*: no message"
	cmp -s l.txt l.orig || bad "$*: l.txt changed"
	[ ! -s out.txt ] || bad "$*: wrote records: $(head -c 200 out.txt)"
}

refused "-i l.txt" "--jsonl l.txt" get -i l.txt --jsonl l.txt
refused "-i l.txt" "--warc ./l.txt" get -i l.txt --warc ./l.txt
refused "-i l.txt" "--jsonl sub/../l.txt" get -i l.txt --jsonl sub/../l.txt
refused "-i l.txt" "--jsonl $tmp/l.txt" get -i l.txt --jsonl "$tmp/l.txt"
refused "-i hard.txt" "--jsonl l.txt" get -i hard.txt --jsonl l.txt
refused "-i soft.txt" "--warc l.txt" get -i soft.txt --warc l.txt
refused "-i l.txt" "--jsonl l.txt" crawl --no-robots -i l.txt --jsonl l.txt
refused "-i l.txt" "--mirror l.txt" crawl --no-robots -i l.txt --mirror l.txt
# stdin and stdout are files too
refused "-i - (stdin)" "--jsonl l.txt" get -i - --jsonl l.txt < l.txt
timeout 20 "$gather" get -i l.txt >> l.txt 2>err.txt; rc=$?
[ $rc -eq 2 ] || bad "get -i l.txt >> l.txt: exit $rc, want 2"
grep -qF -- "-i l.txt and --jsonl - (stdout) are the same file" err.txt || bad ">> l.txt: $(cat err.txt)"
cmp -s l.txt l.orig || bad ">> l.txt: l.txt changed"

# two outputs, one new file: nothing created
refused "--jsonl new.out" "--warc ./new.out" get "$b/status/200" --jsonl new.out --warc ./new.out
[ ! -e new.out ] || bad "--jsonl X --warc X: X created"
refused "--jsonl sub/x" "--warc $tmp/sub/x" get "$b/status/200" --jsonl sub/x --warc "$tmp/sub/x"
refused "--mirror m" "--output-dir m/" get "$b/status/200" --mirror m --output-dir m/
refused "--jsonl l.orig" "--warc l.orig" crawl --no-robots "$b/status/200" --warc l.orig --jsonl l.orig

# no clash: distinct files, devices, one input read twice
timeout 20 "$gather" get -i l.txt -i ./l.txt --jsonl a.jsonl --warc a.warc 2>err.txt; rc=$?
[ $rc -eq 0 ] || bad "distinct outputs: exit $rc: $(cat err.txt)"
jsonl_check a.jsonl 4
timeout 20 "$gather" get -i l.txt --jsonl /dev/null --warc /dev/null 2>err.txt; rc=$?
[ $rc -eq 0 ] || bad "/dev/null twice: exit $rc: $(cat err.txt)"

# --- job files: gather check and gather run ------------------------------------
cp l.orig l.txt
cat > two.conf <<EOF
job "a" { urls-file = "l.txt" jsonl = "$tmp/same.jsonl" }
job "b" { urls-file = "l.txt" output { jsonl = "./same.jsonl" } }
EOF
cat > self.conf <<EOF
job "self" { urls-file = "l.txt" jsonl = "l.txt" }
EOF
cat > other.conf <<EOF
job "c" { seeds = {"$b/status/200"} warc = "same.jsonl" }
EOF
cat > good.conf <<EOF
job "g1" { urls-file = "l.txt" jsonl = "g1.jsonl" }
job "g2" { urls-file = "l.txt" jsonl = "g2.jsonl" warc = "g2.warc" }
EOF
echo keep > same.jsonl

timeout 20 "$gather" check two.conf >out.txt 2>err.txt; rc=$?
[ $rc -eq 2 ] || bad "check two.conf: exit $rc, want 2"
grep -qF "two.conf:2: job 'a' jsonl '$tmp/same.jsonl' and job 'b' jsonl './same.jsonl' are the same file" err.txt ||
	bad "check two.conf: $(cat err.txt)"
grep -q OK out.txt && bad "check two.conf: said OK: $(cat out.txt)"
timeout 20 "$gather" run two.conf >out.txt 2>err.txt; rc=$?
[ $rc -eq 2 ] || bad "run two.conf: exit $rc, want 2"
grep -qF "are the same file" err.txt || bad "run two.conf: $(cat err.txt)"
[ "$(cat same.jsonl)" = keep ] || bad "run two.conf: same.jsonl written"
timeout 20 "$gather" run --parallel two.conf >/dev/null 2>&1; rc=$?
[ $rc -eq 2 ] || bad "run --parallel two.conf: exit $rc, want 2"

timeout 20 "$gather" check self.conf >out.txt 2>err.txt; rc=$?
[ $rc -eq 2 ] || bad "check self.conf: exit $rc, want 2"
grep -qF "self.conf:1: job 'self' input 'l.txt' and job 'self' jsonl 'l.txt' are the same file: the output would destroy the input" err.txt ||
	bad "check self.conf: $(cat err.txt)"
timeout 20 "$gather" run self.conf >/dev/null 2>err.txt; rc=$?
[ $rc -eq 2 ] || bad "run self.conf: exit $rc, want 2"
cmp -s l.txt l.orig || bad "run self.conf: l.txt changed"

# across files: check and run take all the jobs given together
timeout 20 "$gather" check good.conf other.conf >/dev/null 2>err.txt; rc=$?
[ $rc -eq 0 ] || bad "check good.conf other.conf: exit $rc: $(cat err.txt)"
timeout 20 "$gather" check two.conf other.conf >/dev/null 2>err.txt; rc=$?
[ $rc -eq 2 ] || bad "check two.conf other.conf: exit $rc"
grep -qF "other.conf:1: job 'a' jsonl '$tmp/same.jsonl' and job 'c' warc 'same.jsonl' are the same file" err.txt ||
	bad "check across files: $(cat err.txt)"
timeout 20 "$gather" check good.conf good.conf >/dev/null 2>err.txt; rc=$?
[ $rc -eq 2 ] || bad "check good.conf twice: exit $rc, want 2"
timeout 20 "$gather" run good.conf >/dev/null 2>err.txt; rc=$?
[ $rc -eq 0 ] || bad "run good.conf: exit $rc: $(cat err.txt)"
jsonl_check g1.jsonl 2
jsonl_check g2.jsonl 2
exit $fail
