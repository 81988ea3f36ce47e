#!/bin/bash
# tests/bench/bench_vs_nginx.sh — is `gather bench` a fair figure?  The same
# generated site crawled two ways: `gather bench` (origin in the process),
# and `gather crawl` of the site written by `gather bench --dump` and served
# by a private nginx on 127.0.0.1 (redirects and listing pages configured as
# the origin answers them).  Each round runs both, alternating; it prints
# each run's pages/s, wall time, client CPU, and the ratio bench/nginx per
# round and its median.  For the nginx runs the pages are counted in
# nginx's access log (status 200, robots.txt aside) and their duplicates
# reported.  nginx is stopped at exit.  Not a test.
#
# Usage: tests/bench/bench_vs_nginx.sh [ROUNDS]   (from the build tree)
#   env: N (pages, 10000), C (concurrency, 64), PORT (18082), SEED (1)
set -euo pipefail
top=${top_builddir:-$(pwd)}
ROUNDS=${1:-3}
N=${N:-10000}; C=${C:-64}; port=${PORT:-18082}; SEED=${SEED:-1}
gather=$top/gather
nginx=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$nginx" ] || { echo "nginx is not installed" >&2; exit 1; }
pre=$(mktemp -d /tmp/gather-bench-nginx.XXXXXX)
chmod 755 "$pre"   # nginx's workers (nobody) read www/
trap '[ -f "$pre/nginx.pid" ] && kill "$(cat "$pre/nginx.pid")" 2>/dev/null; rm -rf "$pre"' EXIT

"$gather" bench --pages "$N" --seed "$SEED" --dump "$pre/www" --base "http://127.0.0.1:$port" 2>/dev/null
mkdir -p "$pre/logs"
cat > "$pre/nginx.conf" <<EOF
worker_processes 1;
daemon on;
pid nginx.pid;
error_log error.log warn;
events { worker_connections 4096; }
http {
    log_format uri '\$status \$request_uri';
    access_log logs/access.log uri buffer=256k;
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    keepalive_requests 1000000;
    keepalive_timeout 60s;
    types { text/html html; text/plain txt; application/xml xml; }
    default_type text/plain;
    server {
        listen 127.0.0.1:$port reuseport backlog=4096;
        root www;
        index index.html;
        # as the in-process origin answers them (bench --dump's REDIRECTS)
        location /old/ { rewrite ^/old/(.*)\$ /new/\$1 permanent; }
        location = /list { try_files /list-\$arg_page.html =404; }
    }
}
EOF
"$nginx" -p "$pre" -c "$pre/nginx.conf"
for _ in $(seq 50); do curl -sf -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done

echo "== site of $N pages (seed $SEED, $(du -sh "$pre/www" | cut -f1)), -c $C --per-host $C, $ROUNDS rounds; load $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores"
res=$pre/res; : > "$res"
for r in $(seq "$ROUNDS"); do
  # gather crawl of nginx
  kill -USR1 "$(cat "$pre/nginx.pid")"; sleep 0.3; : > "$pre/logs/access.log"
  s=$(date +%s.%N)
  /usr/bin/time -f '%U %S %M' -o "$pre/time" "$gather" crawl --depth 100 -c "$C" --per-host "$C" \
    --jsonl /dev/null "http://127.0.0.1:$port/" 2> "$pre/err" || true   # 1: the site's dead links
  e=$(date +%s.%N)
  kill -USR1 "$(cat "$pre/nginx.pid")"; sleep 0.3
  pages=$(awk '$1 == 200 && $2 != "/robots.txt"' "$pre/logs/access.log" | wc -l)
  uniq=$(awk '$1 == 200 && $2 != "/robots.txt" {print $2}' "$pre/logs/access.log" | sort -u | wc -l)
  read -r u sy rss < <(tail -n1 "$pre/time")
  nps=$(awk -v p="$pages" -v s="$s" -v e="$e" 'BEGIN{printf "%.0f", p/(e-s)}')
  printf '  round %d  crawl of nginx: %6d pages/s, %5.2f s, %d pages with 200 (%d duplicates), client CPU %.2f s, peak RSS %d KiB\n' \
    "$r" "$nps" "$(awk -v s="$s" -v e="$e" 'BEGIN{print e-s}')" "$pages" "$((pages - uniq))" \
    "$(awk -v u="$u" -v s="$sy" 'BEGIN{print u+s}')" "$rss"
  # gather bench, same site
  "$gather" bench --pages "$N" --seed "$SEED" -c "$C" --json > "$pre/b.json" 2> "$pre/err" || echo "  (bench exited $?)"
  bps=$(jq -r '.pages_per_s|floor' "$pre/b.json")
  printf '  round %d  gather bench:   %6d pages/s, %5.2f s, %d pages (exact %s), client CPU %.2f s + origin %.2f s, peak RSS %d KiB\n' \
    "$r" "$bps" "$(jq -r .seconds "$pre/b.json")" "$(jq -r .pages "$pre/b.json")" "$(jq -r .exact "$pre/b.json")" \
    "$(jq -r .cpu_s "$pre/b.json")" "$(jq -r .origin_cpu_s "$pre/b.json")" "$(jq -r .rss_kb "$pre/b.json")"
  echo "$bps $nps" >> "$res"
done
awk '{printf "%.3f\n", $1/$2}' "$res" | sort -n |
  awk '{a[NR]=$1; s=s " " $1} END{printf "== gather bench / gather crawl of nginx, pages/s: median %.2fx (rounds:%s)\n", a[int((NR+1)/2)], s}'
