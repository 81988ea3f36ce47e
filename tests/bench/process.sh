#!/bin/sh
# process.sh — page-processing throughput: gather's extractor through the
# real work queue with 1 and 2 workers, and lxml on the same files doing the
# same work, alternated ROUNDS times so that noise from a shared machine hits
# all three alike; the scaling ratio is taken within each round.
#
#   tests/bench/process.sh [ROUNDS] [DIR]
#
# Needs a built tree (make bench-process) and, for the comparison, python3-lxml.
# Not part of `make check`.
set -eu
rounds=${1:-3}
dir=${2:-/usr/share/doc/python3.11/html}
top_builddir=${top_builddir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
bench=$top_builddir/tests/bench/bench_process
[ -x "$bench" ] || { echo "process.sh: build it first: make bench-process" >&2; exit 1; }
[ -d "$dir" ] || { echo "process.sh: no directory $dir" >&2; exit 1; }

files=$(mktemp)
trap 'rm -f "$files"' EXIT
find "$dir" -name '*.html' -size +0 | sort > "$files"
n=$(wc -l < "$files")
echo "process.sh: $n files under $dir, $rounds rounds"

X1='h1=//h1'; X2='ids[]=//section/@id'; X3='paras=count(//p)'
BASE=https://docs.python.org/3.11/library/
PY=/usr/bin/python3
have_lxml=no
$PY -c 'import lxml.html' 2>/dev/null && have_lxml=yes

mbs() { sed -n 's/.* MB\/s=\([0-9.]*\).*/\1/p'; }
mbc() { sed -n 's/.*MB\/cpu_s=\([0-9.]*\).*/\1/p'; }
i=1
best1=0; best2=0; bestl=0
max() { echo "$1 $2" | awk '{print ($1 > $2) ? $1 : $2}'; }
while [ "$i" -le "$rounds" ]; do
  one=$("$bench" -w 1 -r 2 -b $BASE -x "$X1" -x "$X2" -x "$X3" -l "$files")
  two=$("$bench" -w 2 -r 2 -b $BASE -x "$X1" -x "$X2" -x "$X3" -l "$files")
  echo "round $i: $one"
  echo "round $i: $two"
  r1=$(echo "$one" | mbs); r2=$(echo "$two" | mbs)
  best1=$(max "$best1" "$r1"); best2=$(max "$best2" "$r2")
  line="round $i: scaling 2w/1w = $(echo "$r2 $r1" | awk '{printf "%.2f", $1/$2}')"
  if [ $have_lxml = yes ]; then
    lx=$($PY "$top_srcdir/tests/bench/process_lxml.py" 2 $BASE "$X1" "$X2" "$X3" "$files")
    echo "round $i: $lx"
    rl=$(echo "$lx" | mbs)
    bestl=$(max "$bestl" "$rl")
    c1=$(echo "$one" | mbc); cl=$(echo "$lx" | mbc)
    line="$line, gather 1w / lxml: wall $(echo "$r1 $rl" | awk '{printf "%.2f", $1/$2}')"
    line="$line, per CPU second $(echo "$c1 $cl" | awk '{printf "%.2f", $1/$2}')"
  fi
  echo "$line"
  i=$((i + 1))
done
echo "best of $rounds: 1 worker $best1 MB/s, 2 workers $best2 MB/s," \
  "scaling $(echo "$best2 $best1" | awk '{printf "%.2f", $1/$2}')$( [ $have_lxml = yes ] &&
  echo ", lxml $bestl MB/s, gather 1w / lxml $(echo "$best1 $bestl" | awk '{printf "%.2f", $1/$2}')")"
echo "load average now: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
