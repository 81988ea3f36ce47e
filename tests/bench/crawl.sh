#!/bin/bash
# tests/bench/crawl.sh — gather crawl against wget and wget2 on a local site.
#
# Generates (once) a 20,000-page site with tests/bench/crawlsite.py (pages of
# ~8 KiB, ~10 links each, every page reachable from the seed, links written
# in eight spellings of the same URL), serves it with a private nginx on
# 127.0.0.1:18081 with an access log, then runs each crawler ROUNDS times,
# alternating, on the seed http://localhost:18081/p/00000.html.  For each run
# it reads the run's slice of the access log: requests, unique pages fetched
# with 200 (nginx's normalized $uri), 404s (links resolved wrong), duplicate
# fetches (requests - unique URIs), pages found vs the true set, wall time,
# peak RSS; pages/s = unique pages / wall time.  Prints the medians and
# gather's ratio to each peer.  nginx is stopped at exit.  Not a test.
#
# Usage: tests/bench/crawl.sh [ROUNDS] [peers...]   (from the build tree)
#   peers: wget2 wget (default), gather-state (gather with --state: a new
#   crash-safe state each run; issue 13's goal: >= 0.8x gather), baseline (another gather binary, $BASELINE,
#   e.g. one built from main, to measure a change), gather-dD (gather with
#   --depth D instead of 100), or "depths": gather-d50 gather-d1000000
#   gather-dinf, whose CPU seconds are then printed side by side (issue 12:
#   the frontier's cost must not depend on the depth limit; goal within 5%)
#   env: C (concurrency, 64), N (pages, 20000), PORT (18081),
#   CRAWL_BENCH_PREFIX (/tmp/gather-crawlbench; one per concurrent user)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=${top_builddir:-$(pwd)}
ROUNDS=${1:-3}; shift $(( $# < 1 ? $# : 1 ))
peers=${*:-wget2 wget}
[ "$peers" = depths ] && peers="gather-d50 gather-d1000000 gather-dinf"
C=${C:-64}; N=${N:-20000}; port=${PORT:-18081}
pre=${CRAWL_BENCH_PREFIX:-/tmp/gather-crawlbench}
seed=http://localhost:$port/p/00000.html

mkdir -p "$pre/www" "$pre/logs"
if [ ! -f "$pre/www/truth.txt" ] || [ "$(wc -l < "$pre/www/truth.txt")" -ne "$N" ]; then
  rm -rf "$pre/www"; mkdir -p "$pre/www"
  python3 "$here/crawlsite.py" "$pre/www" "$N" "localhost:$port" > "$pre/depth"
fi
cat > "$pre/nginx.conf" <<EOF
worker_processes 1;
daemon on;
pid nginx.pid;
error_log error.log warn;
events { worker_connections 16384; }
http {
    log_format uri '\$status \$uri \$request_uri';
    access_log logs/access.log uri buffer=256k;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 100000;
    keepalive_timeout 60s;
    types { text/html html; }
    default_type application/octet-stream;
    server {
        listen 127.0.0.1:$port reuseport backlog=8192;
        root www;
    }
}
EOF
[ -f "$pre/nginx.pid" ] && kill "$(cat "$pre/nginx.pid")" 2>/dev/null && sleep 0.3 || true
: > "$pre/logs/access.log"
nginx -p "$pre" -c "$pre/nginx.conf"
res=$(mktemp -d)
trap 'kill "$(cat "$pre/nginx.pid")" 2>/dev/null || true; rm -rf "$res"' EXIT
for _ in $(seq 50); do curl -sf -o /dev/null "$seed" && break; sleep 0.1; done
: > "$pre/logs/access.log"   # nginx keeps its fd: truncation is safe (O_APPEND)

crawl_cmd() { # NAME: the crawler's command line
  case $1 in
  gather) echo "$top/gather crawl --no-robots --depth 100 -c $C --per-host $C --jsonl $res/g.jsonl $seed";;
  gather-d*) echo "$top/gather crawl --no-robots --depth ${1#gather-d} -c $C --per-host $C --jsonl $res/g.jsonl $seed";;
  gather-state) echo "$top/gather crawl --state $res/st --no-robots --depth 100 -c $C --per-host $C --jsonl $res/g.jsonl $seed";;
  baseline) echo "${BASELINE:?set BASELINE=path/to/gather} crawl --no-robots --depth 100 -c $C --per-host $C --jsonl $res/g.jsonl $seed";;
  wget)   echo "wget -q -r -l inf -nd --delete-after -e robots=off -P $res/w $seed";;
  wget2)  echo "wget2 -q -r -l inf -nd --delete-after --no-robots --max-threads=$C -P $res/w2 $seed";;
  esac
}

run() { # NAME: one crawl; appends "wall rss reqs uniq200 n404 dups found missing" to $res/NAME
  local name=$1 before s e cmd
  rm -rf "$res/w" "$res/w2" "$res/g.jsonl" "$res/st"
  cmd=$(crawl_cmd "$name")
  before=$(wc -l < "$pre/logs/access.log")
  s=$(date +%s.%N)
  # shellcheck disable=SC2086
  /usr/bin/time -f '%M %U %S' -o "$res/rss" $cmd > /dev/null 2> "$res/err" || echo "  ($name exited $?)" >&2
  e=$(date +%s.%N)
  # The log is buffered (an unbuffered one costs nginx a write() per
  # request, which it would charge to every crawler alike); USR1 makes the
  # worker flush and reopen it.
  kill -USR1 "$(cat "$pre/nginx.pid")"
  sleep 0.3
  tail -n +"$((before + 1))" "$pre/logs/access.log" > "$res/slice"
  awk '$1 == 200 {print $2}' "$res/slice" | sort -u > "$res/got"
  local reqs uniq200 n404 uniq found missing rss ut st
  reqs=$(wc -l < "$res/slice")
  uniq=$(awk '{print $2}' "$res/slice" | sort -u | wc -l)
  uniq200=$(wc -l < "$res/got")
  n404=$(awk '$1 == 404' "$res/slice" | wc -l)
  found=$(comm -12 "$res/got" <(sort "$pre/www/truth.txt") | wc -l)
  missing=$((N - found))
  read -r rss ut st < <(tail -n1 "$res/rss")
  echo "$(awk -v s="$s" -v e="$e" 'BEGIN{printf "%.2f", e-s}') $rss $reqs $uniq200 $n404 $((reqs - uniq)) $found $missing $(awk -v u="$ut" -v t="$st" 'BEGIN{printf "%.2f", u+t}')" >> "$res/$name"
  tail -n1 "$res/$name" | awk -v n="$name" '{printf "  %-7s %6.2f s  %6.0f pages/s  %d requests, %d unique 200, %d 404, %d duplicate fetches, %d/%d pages found, peak RSS %d KiB, CPU %.2f s\n", n, $1, $4/$1, $3, $4, $5, $6, $7, $7+$8, $2, $9}'
  if [ "${name%%-*}" = gather ] || [ "$name" = baseline ]; then
    echo "          gather records: $(wc -l < "$res/g.jsonl") lines, $(grep -c '"status":200' "$res/g.jsonl" || true) with status 200"
  fi
}

# The origin's ceiling: wrk (one thread, no parsing, no link following)
# fetching the same pages as fast as this nginx serves them.  A crawler
# can't be faster than this; it bounds every ratio below.
ceiling=""
if command -v wrk >/dev/null 2>&1; then
  cat > "$pre/urls.lua" <<EOF
local paths, i = {}, 0
for line in io.lines("$pre/www/truth.txt") do paths[#paths + 1] = line end
request = function() i = i % #paths + 1; return wrk.format("GET", paths[i]) end
EOF
  ceiling=$(wrk -t1 -c"$C" -d2s -s "$pre/urls.lua" "http://127.0.0.1:$port/" | awk '/Requests\/sec/ {printf "%.0f", $2}')
  kill -USR1 "$(cat "$pre/nginx.pid")"   # its log lines out before the first slice
  sleep 0.3
fi
echo "== crawl of $N pages ($(du -sh "$pre/www/p" | cut -f1), deepest page $(cat "$pre/depth") hops from the seed), concurrency $C, $ROUNDS rounds; load: $(cut -d' ' -f1-3 /proc/loadavg)"
for t in gather $peers; do echo "  $t: $(crawl_cmd "$t")"; done
for r in $(seq "$ROUNDS"); do
  echo "-- round $r (load $(cut -d' ' -f1 /proc/loadavg))"
  for t in gather $peers; do run "$t"; done
done
med() { # NAME COLUMN
  awk -v c="$2" '{print $c}' "$res/$1" | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'
}
rate_med() { awk '{printf "%.0f\n", $4/$1}' "$res/$1" | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
echo "== medians"
[ -n "$ceiling" ] && echo "  origin ceiling (wrk -t1 -c$C, no parsing): $ceiling req/s"
echo "  | tool | pages/s | wall s | requests | duplicate fetches | pages found / $N | 404 | peak RSS KiB | CPU s (user+sys) |"
echo "  |---|---|---|---|---|---|---|---|---|"
for t in gather $peers; do
  echo "  | $t | $(rate_med "$t") | $(med "$t" 1) | $(med "$t" 3) | $(med "$t" 6) | $(med "$t" 7) | $(med "$t" 5) | $(med "$t" 2) | $(med "$t" 9) |"
done
# Ratios per round (same round, same machine state), then their median.
for p in $peers; do
  paste -d' ' "$res/gather" "$res/$p" | awk '{printf "%.3f\n", ($4/$1)/($13/$10)}' | sort -n \
    | awk -v p="$p" '{a[NR]=$1; s=s " " $1} END{printf "  gather/%s pages/s: median %.2fx (rounds:%s)\n", p, a[int((NR+1)/2)], s}'
done
# Depth limits side by side: CPU seconds (user+sys), median of the rounds.
case " $peers " in *" gather-d50 "*)
  base=$(med gather-d50 9)
  line="  CPU s by --depth (median):"
  for p in $peers; do
    case $p in gather-d*)
      line="$line ${p#gather-d} $(med "$p" 9) s ($(awk -v a="$(med "$p" 9)" -v b="$base" 'BEGIN{printf "%+.1f%%", (a-b)/b*100}'));";;
    esac
  done
  echo "$line (goal: within 5% of --depth 50)";;
esac
