#!/bin/bash
# cli_exit.sh — the exit status says what happened (issue 15, item 2;
# gather(1) EXIT STATUS): 0 every page fetched (robots refusals are not
# failures), 1 some fetches failed, 2 usage, 3 a limit ended the run, 141
# and no message when stdout's reader goes away (as wget, killed by
# SIGPIPE); gather run's status is its jobs' worst; a crawl ends with a
# summary line.  (130/143 after signals: cli_signals.sh.)
# Servers: tests/lib/testserver and python3 http.server on 127.0.0.1.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:-.}/tests/lib/cli_lib.sh"
. "${top_srcdir:-.}/tests/lib/pyserve.sh"
need python3

start_server port
b="http://127.0.0.1:$port"
now_ms() { echo $(($(date +%s%N) / 1000000)); }
cd "$tmp" || exit 99
exit_site   # the 4-page site with a robots.txt, at $base; st WANT WHAT CMD...

st 0 "get, all 200" get "$b/status/200" "$b/bytes/10"
st 1 "get, a 404" get "$b/status/200" "$b/status/404"
st 1 "get, a refused connection" get "$b/status/200" "http://127.0.0.1:1/"
st 2 "get, unknown option" get --no-such-option "$b/status/200"
st 2 "crawl, no seed" crawl

st 0 "crawl --no-robots" crawl --no-robots --depth 3 "$base/"
grep -Eq '^gather crawl: 5 pages, 0 errors, [0-9]+ bytes, [0-9]+\.[0-9]{3} s$' err.txt || bad "crawl summary: $(cat err.txt)"
st 1 "crawl, a 404" crawl --no-robots --depth 0 "$base/" "$base/missing.html"
grep -q '^gather crawl: 2 pages, 1 errors' err.txt || bad "crawl 404 summary: $(cat err.txt)"

# a reader that goes away (| head -1): quiet, 141, and the run stops soon
for i in $(seq 1 3); do echo "$b/bytes/10?f=$i"; done > list.txt
for i in $(seq 1 40); do echo "$b/slow/2000?h=$i"; done >> list.txt
t0=$(now_ms)
timeout 60 "$gather" get -c 2 -i list.txt 2>pipe.err | head -n 1 > head.out
rc=${PIPESTATUS[0]}
t=$(($(now_ms) - t0))
[ $rc -eq 141 ] || bad "| head -1: exit $rc, want 141"
[ ! -s pipe.err ] || bad "| head -1: a message: $(head -c 300 pipe.err)"
[ "$(wc -l < head.out)" -eq 1 ] || bad "| head -1: no first line"
[ $t -lt 10000 ] || bad "| head -1: the run went on for $t ms"
# the same for a crawl: no summary either
timeout 60 "$gather" crawl --no-robots -c 2 -i list.txt 2>pipe.err | head -n 1 > head.out
rc=${PIPESTATUS[0]}
[ $rc -eq 141 ] || bad "crawl | head -1: exit $rc, want 141"
[ ! -s pipe.err ] || bad "crawl | head -1: a message: $(head -c 300 pipe.err)"
# gather run: a job whose records go to stdout
for i in $(seq 1 3); do echo "$b/bytes/10?r=$i"; done > short.txt
for i in $(seq 1 3); do echo "$b/slow/300?r=$i"; done >> short.txt
printf 'job "piped" { urls-file = "short.txt" concurrency = 1 }\n' > piped.conf
timeout 60 "$gather" run piped.conf 2>pipe.err | head -n 1 > head.out
rc=${PIPESTATUS[0]}
[ $rc -eq 141 ] || bad "run | head -1: exit $rc, want 141: $(head -c 300 pipe.err)"
grep -v "^gather run: job 'piped': " pipe.err | grep -q . && bad "run | head -1: a message: $(head -c 300 pipe.err)"
# records to a file: stdout's reader is nobody's business
timeout 60 "$gather" get --jsonl f.jsonl "$b/slow/1000" "$b/bytes/10" 2>pipe.err | true
rc=${PIPESTATUS[0]}
[ $rc -eq 0 ] || bad "--jsonl FILE | true: exit $rc, want 0"
jsonl_check f.jsonl 2

# gather run: the worst of its jobs' statuses
printf '%s/status/200\n' "$b" > ok.txt
printf '%s/status/404\n' "$b" > bad.txt
cat > ok.conf <<EOF
job "ok" { urls-file = "ok.txt" jsonl = "ok.jsonl" }
job "ok2" { urls-file = "ok.txt" jsonl = "ok2.jsonl" }
EOF
cat > fail.conf <<EOF
job "bad" { urls-file = "bad.txt" jsonl = "bad.jsonl" }
EOF
cat > limit.conf <<EOF
job "limited" { seeds = {"$base/"} robots = false max-pages = 2 jsonl = "lim.jsonl" }
EOF
cat > polite.conf <<EOF
job "polite" { seeds = {"$base/"} depth = 3 jsonl = "polite.jsonl" }
EOF
st 0 "run, all ok" run ok.conf
st 1 "run, ok then a 404" run ok.conf fail.conf
st 1 "run --parallel, a 404" run --parallel fail.conf ok.conf
st 2 "run, unknown option" run --nope ok.conf
exit $fail
