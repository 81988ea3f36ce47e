#!/bin/bash
# tests/bench/get.sh — gather get against its peers on the shared local origin.
#
# Starts ../shared/bench/serve.sh (nginx on 127.0.0.1:18080, 20,000 files of
# 4 KiB), then runs gather and each peer on the same URL list at the same
# concurrency, alternating, ROUNDS times; prints each run and the median
# throughput ratios gather/peer.  Also checks that gather wrote one record per
# URL, all status 200.  Not a test: numbers move with the machine, ratios are
# what count.
#
# Usage: tests/bench/get.sh [C] [ROUNDS] [peers...]   (from the build tree)
#   peers: curl wget2 aiohttp (default), aria2, baseline (another gather
#   binary, $BASELINE, e.g. one built from main, to measure a change)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=${top_builddir:-$(pwd)}
shared=${SHARED:-$here/../../../shared/bench}
[ -x "$shared/serve.sh" ] || { echo "no $shared/serve.sh (set SHARED=)" >&2; exit 1; }
C=${1:-64}; ROUNDS=${2:-3}; shift $(( $# < 2 ? $# : 2 ))
peers=${*:-curl wget2 aiohttp}
pre=${BENCH_PREFIX:-/tmp/gather-bench}
"$shared/serve.sh" start
trap '"$shared/serve.sh" stop' EXIT
urls=$pre/urls.txt; N=$(wc -l < "$urls")
res=$(mktemp -d)

rate() { # NAME CMD...: run, record req/s
  local name=$1 s e; shift
  s=$(date +%s.%N); "$@" >/dev/null 2>"$res/err" || echo "  ($name exited $?)" >&2; e=$(date +%s.%N)
  awk -v n="$N" -v s="$s" -v e="$e" 'BEGIN{printf "%.0f\n", n/(e-s)}' | tee -a "$res/$name" | sed "s/^/  $name  /; s/\$/ req\/s/"
}
gather_run() {
  /usr/bin/time -f '%M' -o "$res/rss" "$top/gather" get -c "$C" -i "$urls" --jsonl "$res/out.jsonl"
}

echo "== $N URLs at concurrency $C, $ROUNDS rounds (wrk shows the ceiling)"
URLS=$urls wrk -t1 -c"$C" -d3s -s "$shared/wrk_urls.lua" http://127.0.0.1:18080 | awk '/Requests\/sec/{print "  wrk     " $2 " req/s (ceiling)"}'
for r in $(seq "$ROUNDS"); do
  echo "-- round $r"
  rate gather gather_run
  ok=$(grep -c '"status":200,"error":null' "$res/out.jsonl" || true)
  echo "  gather records: $(wc -l < "$res/out.jsonl") lines, $ok with status 200; peak RSS $(cat "$res/rss") KiB"
  [ "$ok" -eq "$N" ] || echo "  WARNING: gather did not get all $N URLs right" >&2
  for p in $peers; do
    case $p in
    curl)    awk '{print "url = \"" $0 "\"\noutput = \"/dev/null\""}' "$urls" > "$res/curl.cfg"
             rate curl curl -s --parallel --parallel-max "$C" -K "$res/curl.cfg";;
    wget2)   rm -rf "$res/w"; rate wget2 wget2 -q --max-threads="$C" -i "$urls" -P "$res/w" --no-robots;;
    aria2)   rm -rf "$res/a"; rate aria2 aria2c -q -i "$urls" -j "$C" -x 16 -d "$res/a" --allow-overwrite=true --auto-file-renaming=false;;
    aiohttp) rate aiohttp /usr/bin/python3 "$shared/aiohttp_fetch.py" "$urls" "$C";;
    baseline) rate baseline "${BASELINE:?set BASELINE=another gather binary}" get -c "$C" -i "$urls" --jsonl "$res/base.jsonl";;
    esac
  done
done
med() { sort -n "$res/$1" | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
g=$(med gather)
echo "== medians (req/s) and gather's ratio to each"
echo "  gather  $g"
for p in $peers; do
  [ -f "$res/$p" ] || continue
  m=$(med "$p"); awk -v g="$g" -v m="$m" -v p="$p" 'BEGIN{printf "  %-7s %s  gather/%s = %.2fx\n", p, m, p, g/m}'
done
rm -rf "$res"
