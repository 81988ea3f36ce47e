#!/bin/bash
# crawl_warc.sh — what a crawl's WARC holds (issue 15, items 5 and 8): the
# robots.txt responses the crawl obeyed (no JSON line for them); each
# request and response record is filed under the URL it was sent to
# (WARC-Target-URI), also for a redirect the fetch does not follow (the
# crawl queues its target as a link; get stops at a target that is not
# http(s)), so a replay tool never sees a URL answering with a redirect to
# itself, and no URL is captured twice.  Checked with an independent reader
# of the WARC (a few lines of python3 below) and tests/lib/warc_check.py.
# Servers: python3 http.server and tests/lib/testserver on 127.0.0.1.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:-.}/tests/lib/cli_lib.sh"
need python3
check_py="${top_srcdir:-.}/tests/lib/warc_check.py"
check_py="$(cd "$(dirname "$check_py")" && pwd)/$(basename "$check_py")"

cd "$tmp" || exit 99
mkdir -p www/sub www/private
cat > www/index.html <<'EOF'
<html><head><title>home</title></head><body>
<a href="sub">sub (301 to sub/)</a> <a href="sub/">sub/</a> <a href="a.html">a</a>
<a href="private/p.html">disallowed</a>
</body></html>
EOF
echo '<html><head><title>sub</title></head><body><a href="../a.html">a</a></body></html>' > www/sub/index.html
echo '<html><head><title>a</title></head><body>a</body></html>' > www/a.html
echo '<title>p</title>' > www/private/p.html
printf 'User-agent: *\nDisallow: /private/\n' > www/robots.txt
start_pyserver pyport "$PWD/www"
p="http://127.0.0.1:$pyport"

# warc_list FILE: one line per request/response record: TYPE URI FIRSTLINE,
# FIRSTLINE being the request line or the status line of its HTTP block
warc_list() {
	python3 - "$1" <<'PY'
import sys
data = open(sys.argv[1], "rb").read()
i = 0
while i < len(data):
    end = data.index(b"\r\n\r\n", i)
    head = data[i:end].decode("utf-8", "replace").split("\r\n")
    fields = {}
    for line in head[1:]:
        k, _, v = line.partition(":")
        fields[k.strip().lower()] = v.strip()
    n = int(fields["content-length"])
    block = data[end + 4:end + 4 + n]
    i = end + 4 + n + 4
    t = fields["warc-type"]
    if t in ("request", "response"):
        first = block.split(b"\r\n", 1)[0].decode("utf-8", "replace")
        print(t, fields["warc-target-uri"], first)
PY
}

# --- a crawl through a redirect -------------------------------------------------
timeout 30 "$gather" crawl --no-progress "$p/" --warc c.warc --jsonl c.jsonl 2>cerr.txt; rc=$?
[ $rc -eq 0 ] || bad "crawl: exit $rc: $(cat cerr.txt)"
python3 "$check_py" c.warc >/dev/null 2>err.txt || bad "warc_check: $(cat err.txt)"
warc_list c.warc > list.txt || bad "cannot read c.warc"
# every request record's URI is the URL its request line asks for
while read -r type uri method target _; do
	[ "$type" = request ] || continue
	[ "$p$target" = "$uri" ] || bad "request for $target filed under $uri"
done < list.txt
# the 301 is filed under /sub, the page under /sub/, each once
grep -q "^response $p/sub HTTP/1.0 301" list.txt || bad "no 301 response under $p/sub: $(cat list.txt)"
[ "$(grep -c "^response $p/sub/ HTTP/1.0 200" list.txt)" = 1 ] ||
	bad "$p/sub/ not captured exactly once: $(cat list.txt)"
[ "$(grep '^response ' list.txt | awk '{print $2}' | sort | uniq -d)" = "" ] ||
	bad "a URL captured twice: $(cat list.txt)"
# robots.txt, the rules the crawl obeyed, is in the WARC once (request and
# response), and is no page: no JSON line, not in the summary's count
[ "$(grep -c "^response $p/robots.txt HTTP/1.0 200" list.txt)" = 1 ] ||
	bad "robots.txt not captured once: $(cat list.txt)"
grep -q "^request $p/robots.txt GET /robots.txt " list.txt || bad "no robots.txt request record"
jq -e 'select(.url | endswith("/robots.txt"))' c.jsonl >/dev/null && bad "robots.txt has a JSON line: $(cat c.jsonl)"
[ "$(wc -l < c.jsonl)" = 5 ] || bad "crawl: $(wc -l < c.jsonl) records, want 5: $(cat c.jsonl)"
grep -q "^gather crawl: 5 pages," cerr.txt || bad "crawl summary: $(cat cerr.txt)"
# without a WARC, or with --no-robots, nothing of robots.txt anywhere
timeout 30 "$gather" crawl --no-progress "$p/" --jsonl n.jsonl --mirror m 2>err.txt
[ -e m/127.0.0.1:$pyport/robots.txt ] && bad "robots.txt saved in the mirror"
jq -e 'select(.url | endswith("/robots.txt"))' n.jsonl >/dev/null && bad "robots.txt has a JSON line without --warc"
timeout 30 "$gather" crawl --no-progress --no-robots "$p/" --warc nr.warc --jsonl /dev/null 2>err.txt
warc_list nr.warc | grep -q robots.txt && bad "robots.txt in the WARC of a --no-robots crawl"

# the records agree: /sub is the 301 whose final_url is /sub/
[ "$(jq -r 'select(.url == "'"$p"'/sub") | "\(.status) \(.final_url)"' c.jsonl)" = "301 $p/sub/" ] ||
	bad "the record of /sub: $(cat c.jsonl)"

# --- get: a redirect to a URL that is not http(s) -------------------------------
start_server port
b="http://127.0.0.1:$port"
timeout 20 "$gather" get --no-progress "$b/redirect-to?url=ftp://example.invalid/x" \
	--warc g.warc >g.jsonl 2>err.txt
[ "$(jq -r '"\(.status) \(.error) \(.final_url)"' g.jsonl)" = "302 bad_url ftp://example.invalid/x" ] ||
	bad "get, redirect to ftp: $(cat g.jsonl)"
warc_list g.warc > glist.txt || bad "cannot read g.warc"
grep -q "^response $b/redirect-to?url=ftp://example.invalid/x HTTP/1.1 302" glist.txt ||
	bad "the 302 is not filed under the URL that gave it: $(cat glist.txt)"

exit $fail
