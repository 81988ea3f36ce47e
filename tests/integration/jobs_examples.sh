#!/bin/sh
# jobs_examples.sh — the shipped examples conf/jobs/*.conf run for real
# against a local HTTP server on 127.0.0.1 (their seeds and URL list are
# pointed there through ${GATHER_SITE} / ${GATHER_URLS}), and leave what
# their comments promise: JSON lines with the extracted fields, a WARC.
set -u
: "${top_builddir:=.}" "${top_srcdir:=.}"
gather="$top_builddir/gather"
tmp=$(mktemp -d /tmp/jobs_examples.XXXXXX) || exit 99
srv=""
trap '[ -n "$srv" ] && kill "$srv" 2>/dev/null; rm -rf "$tmp"' EXIT
fail=0
bad() { echo "FAIL: $*" >&2; fail=1; }

mkdir -p "$tmp/site/docs/3" "$tmp/run"
printf '<html><head><title>Docs</title></head><body><h2>Intro</h2><h2>Use</h2><a href="3/a.html">a</a> <a href="../other.html">out of prefix</a> <a href="manual.pdf">pdf</a></body></html>\n' > "$tmp/site/docs/index.html"
printf '<html><head><title>A</title></head><body><h2>A1</h2><a href="../index.html">up</a></body></html>\n' > "$tmp/site/docs/3/a.html"
printf '<html><head><title>Other</title></head><body>other</body></html>\n' > "$tmp/site/other.html"
printf '%%PDF-1.4\n' > "$tmp/site/docs/manual.pdf"

. "$top_srcdir/tests/lib/pyserve.sh"
pyserve "$tmp/site" "$tmp"

# site-crawl.conf: prefix scope, .pdf denied, title and h2 fields, WARC.
( cd "$tmp/run" && GATHER_SITE="$base/docs/" timeout 60 "$gather" run "$top_srcdir/conf/jobs/site-crawl.conf" ) 2>"$tmp/err1"
rc=$?
[ "$rc" -eq 0 ] || bad "site-crawl: exit $rc: $(cat "$tmp/err1")"
j="$tmp/run/docs.jsonl"
[ "$(grep -c '"status":200' "$j" 2>/dev/null)" = 3 ] || bad "site-crawl: want the 3 pages below /docs/ (/docs/, 3/a.html, index.html): $(cat "$j" 2>/dev/null)"
grep -q '"title":"Docs"' "$j" 2>/dev/null || bad "site-crawl: no title field"
grep -q '"h2":\["Intro","Use"\]' "$j" 2>/dev/null || bad "site-crawl: no h2[] field"
grep -q 'other.html\|manual.pdf' "$j" 2>/dev/null && bad "site-crawl: left its prefix or fetched a denied URL"
gzip -t "$tmp/run/docs.warc.gz" 2>/dev/null || bad "site-crawl: docs.warc.gz is not whole gzip"
[ "$(gzip -dc "$tmp/run/docs.warc.gz" | grep -ac '^WARC-Type: response')" -ge 2 ] || bad "site-crawl: WARC has no responses"

# url-list.conf: a list fetch with a title field.
printf '%s/docs/3/a.html\n# a comment\n\n%s/other.html\n' "$base" "$base" > "$tmp/urls.txt"
( cd "$tmp/run" && GATHER_URLS="$tmp/urls.txt" timeout 60 "$gather" run "$top_srcdir/conf/jobs/url-list.conf" ) 2>"$tmp/err2"
rc=$?
[ "$rc" -eq 0 ] || bad "url-list: exit $rc: $(cat "$tmp/err2")"
[ "$(wc -l < "$tmp/run/url-list.jsonl" 2>/dev/null)" = 2 ] || bad "url-list: want 2 records"
grep -q '"title":"Other"' "$tmp/run/url-list.jsonl" 2>/dev/null || bad "url-list: no title field"
exit $fail
