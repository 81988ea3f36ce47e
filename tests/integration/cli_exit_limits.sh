#!/bin/bash
# cli_exit_limits.sh — the exit statuses that need the run counters the
# runner and the crawl fill in (refused, limited, limit_hit; issue 15, item
# 2): robots refusals are not failures (0), a limit (max-pages, max-time)
# ends the run with 3 and its cut records say "limit", gather run takes the
# worst of its jobs'.  The rest of the statuses: cli_exit.sh.
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

# robots.txt refusals are not failures: a polite crawl exits 0 (and the
# record says why it was not fetched)
st 0 "crawl, robots refusal only" crawl --depth 3 "$base/"
[ "$(field out.jsonl "$base/private/p.html" .error)" = robots ] || bad "crawl: no robots record for p.html: $(cat out.jsonl)"
[ "$(jq -r 'select(.status == 200) | .url' out.jsonl | wc -l)" -eq 4 ] || bad "crawl: not 4 pages: $(cat out.jsonl)"
# the crawl's summary: pages, errors, bytes, time
grep -Eq '^gather crawl: 5 pages, 0 errors, [0-9]+ bytes, [0-9]+\.[0-9]{3} s, 1 refused$' err.txt ||
	bad "crawl summary: $(cat err.txt)"
# a limit ends the run: 3, and the records it cut say "limit"
st 3 "crawl --max-pages" crawl --no-robots --depth 3 --max-pages 2 "$base/"
grep -q 'stopped by a limit' err.txt || bad "max-pages summary: $(cat err.txt)"
for i in $(seq 1 20); do echo "$b/slow/5000?t=$i"; done > slow.txt
t0=$(now_ms)
st 3 "crawl --max-time" crawl --no-robots --max-time 1 -i slow.txt
[ $(($(now_ms) - t0)) -lt 5000 ] || bad "crawl --max-time 1 took $(($(now_ms) - t0)) ms"
jq -r .error out.jsonl | sort -u | grep -qx limit || bad "max-time: no 'limit' record: $(jq -c '[.url,.error]' out.jsonl | head -3)"
jq -r .error out.jsonl | grep -qx cancelled && bad "max-time: records say cancelled, not limit"

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
st 0 "run, robots refusals only" run polite.conf
st 3 "run, a limit" run ok.conf limit.conf
st 1 "run, a limit and a 404" run limit.conf fail.conf
exit $fail
