#!/bin/bash
# tests/bench/conns.sh — gather's memory per open connection.
#
# Runs the test server (tests/lib/testserver) on 127.0.0.1 and fetches N URLs of
# /slow/MS at concurrency N, so N connections are open at once, then the same
# with 10 URLs; reports both peak RSS values and (peak_N - peak_10) / N, the
# memory one more connection costs.  Goal: <= 64 KiB a connection.
# Usage: tests/bench/conns.sh [N] [MS]   (from the build tree)
set -euo pipefail
top=${top_builddir:-$(pwd)}
N=${1:-10000}; MS=${2:-4000}
ulimit -n $((N + 1024)) 2>/dev/null || ulimit -n "$(ulimit -Hn)"
tmp=$(mktemp -d)
# The test server runs until its stdin closes: feed it from a sleep that
# holds none of our output open (else a pipe reading this script's output
# waits for the sleep), and end both at exit.
exec 3< <(exec sleep 900 2> /dev/null)
sleeper=$!
"$top/tests/lib/testserver" --port-file "$tmp/port" <&3 > /dev/null &
srv=$!
exec 3<&-
trap 'kill $srv $sleeper 2>/dev/null || true; rm -rf "$tmp"' EXIT
for _ in $(seq 50); do [ -s "$tmp/port" ] && break; sleep 0.1; done
port=$(cat "$tmp/port")
seq 1 "$N" | awk -v p="$port" -v ms="$MS" '{print "http://127.0.0.1:" p "/slow/" ms "?i=" $1}' > "$tmp/urls"
head -n 10 "$tmp/urls" > "$tmp/urls10"
peak() { # URLFILE C
  /usr/bin/time -f '%M' -o "$tmp/rss" "$top/gather" get -c "$2" --per-host "$2" \
    --connect-timeout 60 --idle-timeout 60 -i "$1" --jsonl "$tmp/out" || true
  echo "$(cat "$tmp/rss") $(grep -c '"status":200' "$tmp/out")"
}
read -r base ok10 < <(peak "$tmp/urls10" 10)
read -r big okN < <(peak "$tmp/urls" "$N")
echo "peak RSS: $base KiB with 10 connections ($ok10 ok), $big KiB with $N ($okN ok)"
awk -v a="$base" -v b="$big" -v n="$N" 'BEGIN{printf "memory per connection: %.1f KiB (goal <= 64 KiB)\n", (b-a)/n}'
