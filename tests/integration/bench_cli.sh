#!/bin/bash
# bench_cli.sh — `gather bench`: the generated site crawled (and got) through
# the in-process origin, plain, --tls, --gzip and --mode get: exit 0, the
# JSON says every page and exact; a fault the origin is told to make (the
# seed served with no links: GATHER_BENCH_BARE_ID=0) must make the check
# fail with exit 1, so the checker is seen to fail; --jsonl gets every
# record; --dump writes a site a static server can serve; bad options exit 2.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:-.}/tests/lib/cli_lib.sh"

keys='["pages","errors","pages_per_s","mb_per_s","p50_ms","p90_ms","p99_ms","max_ms","cpu_s","origin_cpu_s","rss_kb","exact"]'

# run NAME ARGS...: gather bench --json ARGS, output in $tmp/NAME.{json,err}, rc in $rc
run() {
	local name=$1
	shift
	timeout 60 "$gather" bench --json "$@" > "$tmp/$name.json" 2> "$tmp/$name.err"
	rc=$?
}

# exact NAME N: rc 0, pages N, site_pages N, exact, no errors, every key there
exact() {
	local name=$1 n=$2
	[ "$rc" -eq 0 ] || bad "$name: exit $rc: $(tail -n 12 "$tmp/$name.err")"
	jq -e --argjson n "$n" --argjson keys "$keys" '
		.pages == $n and .site_pages == $n and .exact == true and .errors == 0 and
		.differences == 0 and .pages_per_s > 0 and .mb_per_s > 0 and .rss_kb > 0 and
		.p50_ms <= .p90_ms and .p90_ms <= .p99_ms and .p99_ms <= .max_ms and
		([$keys[] as $k | has($k)] | all)' "$tmp/$name.json" > /dev/null ||
		bad "$name: $(cat "$tmp/$name.json")"
	grep -q 'check: *exact' "$tmp/$name.err" || bad "$name: no exact line in the report"
	grep -q 'share this machine' "$tmp/$name.err" || bad "$name: the report does not say the cores are shared"
}

run crawl --pages 2000
exact crawl 2000
# the site's extras: robots.txt refusals and planned 404s are records too
jq -e '.records > .pages' "$tmp/crawl.json" > /dev/null || bad "crawl: no refusals or 404 records"
grep -q 'refused by robots.txt' "$tmp/crawl.err" || bad "crawl: report without the refusals"

run tls --pages 2000 --tls
exact tls 2000
run gzip --pages 2000 --gzip
exact gzip 2000
# gzip on the wire, decoded by the client: the origin sent less than came out
jq -e '.origin_bytes > 0 and .origin_bytes * 2 < .bytes' "$tmp/gzip.json" > /dev/null ||
	bad "gzip: not compressed on the wire: $(cat "$tmp/gzip.json")"
jq -e '.origin_bytes >= .bytes' "$tmp/crawl.json" > /dev/null || bad "crawl: $(cat "$tmp/crawl.json")"
run get --pages 2000 --mode get
exact get 2000
jq -e '.records == 2000 and .mode == "get"' "$tmp/get.json" > /dev/null || bad "get: $(cat "$tmp/get.json")"
run small --pages 150 --size 512 --seed 99 -c 1 --per-host 1 --workers 1
exact small 150

# The checker can fail: the seed page served bare, everything else missed.
GATHER_BENCH_BARE_ID=0 run bare --pages 2000
[ "$rc" -eq 1 ] || bad "bare: exit $rc, want 1"
jq -e '.exact == false and .differences > 0 and .pages < 2000' "$tmp/bare.json" > /dev/null ||
	bad "bare: $(cat "$tmp/bare.json")"
{ grep -q 'NOT exact' "$tmp/bare.err" && grep -q 'no record (the run missed it)' "$tmp/bare.err"; } ||
	bad "bare: the report does not list what differed: $(cat "$tmp/bare.err")"

# Outputs go where asked: one JSON line per record, each URL once.
run out --pages 300 --jsonl "$tmp/out.jsonl"
exact out 300
n=$(jq -r .records "$tmp/out.json")
[ "$(wc -l < "$tmp/out.jsonl")" -eq "$n" ] || bad "out: $(wc -l < "$tmp/out.jsonl") lines, want $n"
[ "$(jq -r .url "$tmp/out.jsonl" | sort | uniq -d | wc -l)" -eq 0 ] || bad "out: a URL recorded twice"

# --dump: the site as files, the same for the same seed.
timeout 60 "$gather" bench --pages 300 --seed 5 --dump "$tmp/d1" --base http://localhost:8088 2> "$tmp/dump.err" ||
	bad "dump: exit $?: $(cat "$tmp/dump.err")"
timeout 60 "$gather" bench --pages 300 --seed 5 --dump "$tmp/d2" --base http://localhost:8088 2>/dev/null
timeout 60 "$gather" bench --pages 300 --seed 6 --dump "$tmp/d3" --base http://localhost:8088 2>/dev/null
for f in index.html robots.txt sitemap.xml REDIRECTS; do
	[ -s "$tmp/d1/$f" ] || bad "dump: no $f"
done
[ "$(grep -c '<loc>http://localhost:8088/' "$tmp/d1/sitemap.xml")" -eq 300 ] || bad "dump: sitemap has not 300 pages"
grep -q '^Disallow: /private/' "$tmp/d1/robots.txt" || bad "dump: robots.txt disallows nothing"
[ "$(wc -l < "$tmp/d1/REDIRECTS")" -eq 3 ] || bad "dump: REDIRECTS: $(cat "$tmp/d1/REDIRECTS")"
diff -r "$tmp/d1" "$tmp/d2" > /dev/null || bad "dump: one seed gave two sites"
diff -r "$tmp/d1" "$tmp/d3" > /dev/null && bad "dump: two seeds gave one site"

# Usage errors: exit 2, one message.
for args in "--pages 0" "--pages x" "--size 10" "--mode fast" "--bogus" "-c 0" "extra" "--pages"; do
	# shellcheck disable=SC2086
	timeout 10 "$gather" bench $args > /dev/null 2> "$tmp/usage.err"
	r=$?
	[ "$r" -eq 2 ] || bad "bench $args: exit $r, want 2"
	[ "$(wc -l < "$tmp/usage.err")" -eq 1 ] || bad "bench $args: $(cat "$tmp/usage.err")"
done
"$gather" bench --help | grep -q -- '--pages N' || bad "bench --help"
exit $fail
