#!/bin/bash
# tests/bench/conns.sh — gather's memory per open connection.
#
# Runs the test server (tests/lib/testserver) on 127.0.0.1 and, for each N,
# fetches N URLs of /slow/MS at concurrency N, so N connections are open at
# once, then 10 URLs at concurrency 10; reports both peak RSS values and
# (peak_N - peak_10) / N, the memory one more connection costs, with the
# server's own count of connections open at once (/stats), which shows that
# all N really were open together (issue 12).  Goal: <= 8 KiB a connection.
#
# Descriptors: gather and the server each need N and some more.  The soft
# limit is raised to the hard one here (these machines: 20,000), which
# allows N up to about 19,700 (gather keeps a reserve, util/fdlimit.h).
# Local ports: each run leaves its N client ports in TIME_WAIT for 60 s
# (gather closes first), and a run that finds no free port fails connects
# and falls back on reused connections; so each run first waits (at most
# 90 s) until N ports of ip_local_port_range are free.
# Usage: tests/bench/conns.sh [MS] [N...]   (from the build tree; default
# MS 15000: on a loaded 2-core machine 18,000 connects take ~7 s, and all
# must be open before the first answer; N 10000 18000)
set -euo pipefail
top=${top_builddir:-$(pwd)}
MS=${1:-15000}; shift $(( $# < 1 ? $# : 1 ))
Ns=${*:-10000 18000}
hard=$(ulimit -Hn)
ulimit -n "$hard"
echo "soft descriptor limit raised to the hard limit: $(ulimit -Sn)"
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
wait_ports() { # N
  local lo hi tw
  read -r lo hi < /proc/sys/net/ipv4/ip_local_port_range
  for _ in $(seq 90); do
    tw=$(ss -tan state time-wait | wc -l)
    [ $((hi - lo - tw)) -gt $(($1 + 1000)) ] && return 0
    sleep 1
  done
  echo "  (only $((hi - lo - tw)) local ports free, $tw in TIME_WAIT: connects may fail)"
}
peak() { # N: peak RSS KiB, fetches ok, connections the server saw open at once
  seq 1 "$1" | awk -v p="$port" -v ms="$MS" '{print "http://127.0.0.1:" p "/slow/" ms "?i=" $1}' > "$tmp/urls"
  local before
  before=$(curl -sf "http://127.0.0.1:$port/stats" | awk '{print $2}')
  /usr/bin/time -f '%M' -o "$tmp/rss" "$top/gather" get -c "$1" --per-host "$1" \
    --connect-timeout 60 --idle-timeout 60 -i "$tmp/urls" --jsonl "$tmp/out" 2> "$tmp/err" || true
  # The server's peak is over its whole life: runs grow, so the last one's
  # N is what it shows; check the accepted count moved by N too.
  local st
  st=$(curl -sf "http://127.0.0.1:$port/stats")
  echo "$(cat "$tmp/rss") $(grep -c '"status":200' "$tmp/out") $(echo "$st" | awk '{print $6}') $(( $(echo "$st" | awk '{print $2}') - before - 1 ))"
}
read -r base ok10 _ _ < <(peak 10)
echo "peak RSS: $base KiB with 10 connections ($ok10 ok)"
for N in $Ns; do
  wait_ports "$N"
  read -r big okN open accepted < <(peak "$N")
  echo "peak RSS: $big KiB with $N ($okN ok; server: $accepted connections accepted, at most $open open at once)"
  awk -v a="$base" -v b="$big" -v n="$N" 'BEGIN{printf "  memory per connection at %d: %.2f KiB (goal <= 8 KiB)\n", n, (b-a)/n}'
  grep -v '^$' "$tmp/err" | head -n 3 || true
done
