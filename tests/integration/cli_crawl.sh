#!/bin/bash
# cli_crawl.sh — `gather crawl` against a generated site served by nginx on
# 127.0.0.1 (a private prefix and config, killed at the end; skipped when
# nginx is absent).  The site holds the traps of real sites: dot segments,
# upper-case scheme, percent-encoding variants, <base href>, fragments,
# query variants, mailto/javascript links, links to another host, a
# robots.txt disallowing a directory.  Checked: exactly the expected pages,
# each fetched at most once (nginx's access log), robots.txt once, robots
# records, --depth against a BFS computed here, --max-pages, --scope
# prefix/host/any, --allow/--deny, the fields of every record.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:-.}/tests/lib/cli_lib.sh"
nginx=$(command -v nginx || { [ -x /usr/sbin/nginx ] && echo /usr/sbin/nginx; })
[ -n "$nginx" ] || { echo "nginx is not installed: skipped" >&2; exit 77; }
need python3

# --- the site and its link graph --------------------------------------------------
# site.py gen DIR PORT: write the pages; site.py check ...: compare a crawl's
# records and nginx's log with the graph (BFS from the seed, scope rules).
cat > "$tmp/site.py" <<'EOF'
import json, os, re, sys
from collections import deque

def graph(port):
    H = "http://127.0.0.1:%d" % port
    O = "http://localhost:%d" % port          # another host (same nginx)
    # page path -> [(href as written, normalized target or None)]
    g = {
        "/": [("a/one.html", H + "/a/one.html"),
              ("./a/../a/one.html#top", H + "/a/one.html"),
              ("HTTP://127.0.0.1:%d/b/two.html" % port, H + "/b/two.html"),
              ("http://127.0.0.1:%d/b/./x/../two.html" % port, H + "/b/two.html"),
              ("/c/%7Euser.html", H + "/c/~user.html"),
              ("mailto:someone@example.com", None),
              ("javascript:void(0)", None),
              (O + "/ext.html", O + "/ext.html"),
              ("/private/secret.html", H + "/private/secret.html"),
              ("#only-a-fragment", H + "/"),
              ("/missing.html", H + "/missing.html")],
        "/a/one.html": [("../c/~user.html", H + "/c/~user.html"),
                        ("/d/q.html?a=1", H + "/d/q.html?a=1"),
                        ("/d/q.html?a=%31", H + "/d/q.html?a=1"),
                        ("/d/q.html?a=1#frag", H + "/d/q.html?a=1"),
                        ("/d/q.html?a=2", H + "/d/q.html?a=2")],
        "/b/two.html": [("three.html", H + "/e/three.html"),          # <base href="/e/">
                        ("../b/two.html", H + "/b/two.html")],
        "/c/~user.html": [("/private/other.html", H + "/private/other.html"),
                          ("HTTP://127.0.0.1:%d/A/upper.html" % port, H + "/A/upper.html"),
                          ("/c/%7euser.html", H + "/c/~user.html")],
        "/d/q.html": [("?a=2", None), ("q.html", H + "/d/q.html")],   # None: depends on the query
        "/e/three.html": [("/deep/1.html", H + "/deep/1.html")],
        "/A/upper.html": [],
        "/deep/1.html": [("2.html", H + "/deep/2.html")],
        "/deep/2.html": [("./3.html", H + "/deep/3.html")],
        "/deep/3.html": [("/deep/4.html", H + "/deep/4.html"), ("/", H + "/")],
        "/deep/4.html": [("5.html#x", H + "/deep/5.html")],
        "/deep/5.html": [("6.html", H + "/deep/6.html")],
        "/deep/6.html": [],
        "/private/secret.html": [], "/private/other.html": [],
        "/ext.html": [],
    }
    return H, O, g

def out_links(H, g, url):
    path = url.split("/", 3)[3] if url.count("/") >= 3 else ""
    path = "/" + path
    if path.startswith("/d/q.html"):
        return [url.split("?")[0] + "?a=2", H + "/d/q.html"]
    return [t for _, t in g.get(path.split("?")[0], []) if t]

def gen(d, port):
    H, O, g = graph(port)
    for path, links in g.items():
        f = d + ("/index.html" if path == "/" else path)
        os.makedirs(os.path.dirname(f), exist_ok=True)
        base = '<base href="/e/">' if path == "/b/two.html" else ""
        body = "".join('<a href="%s">l</a>\n' % h.replace("&", "&amp;") for h, _ in links)
        with open(f, "w") as fh:
            fh.write("<!doctype html><html><head><title>T %s</title>%s</head><body>"
                     "<h1>H %s</h1>\n%s</body></html>\n" % (path, base, path, body))
    with open(d + "/robots.txt", "w") as fh:
        fh.write("User-agent: *\nDisallow: /private/\n")

def in_scope(url, seed, scope, allow, deny, H):
    if scope == "host" and not url.startswith(H + "/"):
        return False
    if scope == "prefix":
        if not url.startswith(seed.rsplit("/", 1)[0] + "/"):
            return False
    if allow and not any(re.search(a, url) for a in allow):
        return False
    if deny and any(re.search(x, url) for x in deny):
        return False
    return True

def expect(port, seed, depth, scope, allow, deny):
    """BFS: url -> depth, for every URL that gets a record."""
    H, O, g = graph(port)
    seen = {seed: 0}
    q = deque([seed])
    while q:
        u = q.popleft()
        if seen[u] >= depth or "/private/" in u or u.endswith("/missing.html"):
            continue
        for t in out_links(H, g, u):
            if t in seen or not in_scope(t, seed, scope, allow, deny, H):
                continue
            seen[t] = seen[u] + 1
            q.append(t)
    return seen

def check(argv):
    port, seed, depth, scope, recs, log = int(argv[0]), argv[1], int(argv[2]), argv[3], argv[4], argv[5]
    allow = [a[8:] for a in argv[6:] if a.startswith("--allow=")]
    deny = [a[7:] for a in argv[6:] if a.startswith("--deny=")]
    maxpages = [int(a[12:]) for a in argv[6:] if a.startswith("--max-pages=")]
    H, O, g = graph(port)
    fails = []
    rows = [json.loads(l) for l in open(recs)]
    exp = expect(port, seed, depth, scope, allow, deny)
    byurl = {}
    for r in rows:
        for k in ("url", "status", "error", "depth", "parent", "bytes", "content_type",
                  "title", "links", "fields", "time_ms"):
            if k not in r:
                fails.append("record without %s: %s" % (k, r))
        if r["url"] in byurl:
            fails.append("two records for " + r["url"])
        byurl[r["url"]] = r
    # nginx log: "host uri" per request
    reqs = {}
    for l in open(log):
        host, uri = l.split()
        reqs[(host, uri)] = reqs.get((host, uri), 0) + 1
    for k, n in reqs.items():
        if n > 1:
            fails.append("%s%s fetched %d times" % (k[0], k[1], n))
    if maxpages:
        fetched = [u for u, r in byurl.items() if r["error"] != "robots"]
        if len(fetched) != maxpages[0]:
            fails.append("--max-pages %d: %d pages: %s" % (maxpages[0], len(fetched), sorted(fetched)))
        for u in byurl:
            if u not in exp:
                fails.append("--max-pages: unexpected page " + u)
        exp = {}
    for u, d in exp.items():
        r = byurl.get(u)
        if not r:
            fails.append("no record for %s (depth %d)" % (u, d))
            continue
        if r["depth"] != d:
            fails.append("%s: depth %s, want %d" % (u, r["depth"], d))
        if "/private/" in u:
            if r["error"] != "robots" or r["status"] is not None:
                fails.append("%s: want a robots record: %s" % (u, r))
            if ("127.0.0.1:%d" % port, u[len(H):]) in reqs:
                fails.append("%s: disallowed but fetched" % u)
            continue
        if u.endswith("/missing.html"):
            if r["status"] != 404:
                fails.append("%s: status %s" % (u, r["status"]))
            continue
        path = "/" + u.split("/", 3)[3]
        if r["status"] != 200 or r["error"] is not None:
            fails.append("%s: status %s error %s" % (u, r["status"], r["error"]))
        if r["title"] != "T " + path.split("?")[0] or r["content_type"] != "text/html":
            fails.append("%s: title %r content_type %r" % (u, r["title"], r["content_type"]))
        if not isinstance(r["bytes"], int) or r["bytes"] <= 0 or not isinstance(r["time_ms"], int):
            fails.append("%s: bytes %r time_ms %r" % (u, r["bytes"], r["time_ms"]))
        host = u.split("/")[2]
        if reqs.get((host, path), 0) != 1:
            fails.append("%s: %d requests in the log" % (u, reqs.get((host, path), 0)))
        if d == 0:
            if r["parent"] is not None:
                fails.append("seed %s has parent %r" % (u, r["parent"]))
        else:
            p = byurl.get(r["parent"])
            if not p or u not in out_links(H, g, r["parent"]) or exp.get(r["parent"]) != d - 1:
                fails.append("%s: parent %r is not a linking page at depth %d" % (u, r["parent"], d - 1))
    for u in byurl:
        if u not in exp and not maxpages:
            fails.append("unexpected record " + u)
    pages = {("127.0.0.1:%d" % port if u.startswith(H) else "localhost:%d" % port, "/" + u.split("/", 3)[3])
             for u, r in byurl.items() if r["error"] != "robots"}
    for (host, uri), n in reqs.items():
        if uri == "/robots.txt":
            continue
        if (host, uri) not in pages:
            fails.append("fetched %s%s without a record" % (host, uri))
    hosts = {u.split("/")[2] for u in byurl}
    for h in hosts:
        if reqs.get((h, "/robots.txt"), 0) != 1:
            fails.append("robots.txt of %s fetched %d times" % (h, reqs.get((h, "/robots.txt"), 0)))
    for f in fails:
        print("FAIL:", f)
    return 1 if fails else 0

if sys.argv[1] == "gen":
    gen(sys.argv[2], int(sys.argv[3]))
elif sys.argv[1] == "check":
    sys.exit(check(sys.argv[2:]))
elif sys.argv[1] == "bfs":
    for u, d in sorted(expect(int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), sys.argv[5], [], []).items()):
        print(d, u)
EOF

# --- nginx on a free port, private prefix (cli_lib.sh) ------------------------------
mkdir -p "$tmp/www"
start_nginx port "$tmp/www"
python3 "$tmp/site.py" gen "$tmp/www" "$port" || exit 99
H="http://127.0.0.1:$port"

# crawl NAME SEED DEPTH SCOPE [gather flags...]: run, then compare with the BFS
n=0
crawl() {
	local name=$1 seed=$2 depth=$3 scope=$4 rc extra=()
	shift 4
	n=$((n + 1))
	: > "$tmp/ngx/logs/access.log"
	timeout 30 "$gather" crawl --depth "$depth" --scope "$scope" "$@" "$seed" >"$tmp/c$n.jsonl" 2>"$tmp/c$n.err"
	rc=$?
	case " $* " in
	*" --max-pages="*) [ $rc -eq 3 ] || bad "$name: exit $rc, want 3 (a limit ended the crawl): $(cat "$tmp/c$n.err")";;
	*) [ $rc -le 1 ] || bad "$name: exit $rc: $(cat "$tmp/c$n.err")";;
	esac
	jq -e . "$tmp/c$n.jsonl" >/dev/null 2>&1 || bad "$name: output is not JSON lines"
	for a in "$@"; do case $a in --allow=*|--deny=*|--max-pages=*) extra+=("$a");; esac; done
	python3 "$tmp/site.py" check "$port" "$seed" "$depth" "$scope" "$tmp/c$n.jsonl" \
		"$tmp/ngx/logs/access.log" "${extra[@]}" >"$tmp/c$n.check" ||
		bad "$name: $(cat "$tmp/c$n.check")"
	last="$tmp/c$n.jsonl"
}

# the whole site: deeper than its deepest page
crawl "full" "$H/" 20 host -c 8
[ "$(jq -r 'select(.url|test("localhost")) | .url' "$last")" = "" ] || bad "host scope: another host crawled"
[ "$(jq -s 'map(select(.error == null and .status == 200)) | length' "$last")" = 15 ] || bad "full: want 15 pages of 200"
[ "$(jq -s 'map(select(.error == "robots")) | length' "$last")" = 2 ] || bad "full: want 2 robots records"
rc=$(timeout 30 "$gather" crawl --depth 1 "$H/" >/dev/null 2>&1; echo $?)
[ "$rc" = 1 ] || bad "crawl with a 404 and robots refusals: exit $rc, want 1"
# every depth from 0 to the last level
for d in 0 1 2 3 5; do crawl "--depth $d" "$H/" $d host; done
# limits and filters
crawl "--max-pages" "$H/" 20 host --max-pages=4 -c 1
crawl "--deny" "$H/" 20 host --deny=/d/ --deny='deep/[4-6]'
crawl "--allow" "$H/" 20 host '--allow=/(a|c)/'
# scopes
crawl "prefix" "$H/deep/1.html" 20 prefix
crawl "host from deep" "$H/deep/1.html" 20 host
crawl "any" "$H/" 20 any
[ "$(jq -r 'select(.url|test("localhost")) | .status' "$last" | sort | tr "\n" " ")" = "200 " ] || bad "any scope: the other host's pages not crawled"
# seeds from -i: a bad line gets its record, exit 1; a missing file is
# refused up front (exit 2, one message), as wget does
printf '# seeds\nnot a url\n\n%s/deep/6.html\n' "$H" > "$tmp/seeds.txt"
timeout 30 "$gather" crawl -i "$tmp/nosuch.txt" -i "$tmp/seeds.txt" >"$tmp/s.jsonl" 2>"$tmp/s.err"; rc=$?
[ $rc -eq 2 ] || bad "crawl -i missing: exit $rc, want 2"
[ "$(wc -l < "$tmp/s.err")" -eq 1 ] && grep -q "nosuch.txt" "$tmp/s.err" || bad "crawl -i missing: stderr '$(cat "$tmp/s.err")'"
timeout 30 "$gather" crawl -i "$tmp/seeds.txt" >"$tmp/s.jsonl" 2>"$tmp/s.err"; rc=$?
[ $rc -eq 1 ] || bad "crawl -i: exit $rc, want 1"
[ "$(jq -r 'select(.url == "not a url") | .message' "$tmp/s.jsonl")" = "malformed URL, or not http/https ($tmp/seeds.txt:2)" ] || bad "crawl -i: bad seed record"
[ "$(jq -r --arg u "$H/deep/6.html" 'select(.url == $u) | .status' "$tmp/s.jsonl")" = 200 ] || bad "crawl -i: good seed after a bad one"
timeout 10 "$gather" crawl -i "$tmp/nosuch.txt" >/dev/null 2>&1; rc=$?
[ $rc -eq 2 ] || bad "crawl with only a missing -i file: exit $rc, want 2"
timeout 10 "$gather" crawl >/dev/null 2>"$tmp/s.err"; rc=$?
[ $rc -eq 2 ] && grep -q "no seed" "$tmp/s.err" || bad "crawl without seeds: exit $rc"
timeout 10 "$gather" crawl --scope sideways "$H/" >/dev/null 2>"$tmp/s.err"; rc=$?
[ $rc -eq 2 ] && grep -q "scope" "$tmp/s.err" || bad "crawl --scope sideways: exit $rc"
timeout 10 "$gather" crawl --deny '(' "$H/" >/dev/null 2>"$tmp/s.err"; rc=$?
[ $rc -eq 2 ] && [ "$(wc -l < "$tmp/s.err")" -eq 1 ] || bad "crawl --deny '(': exit $rc, '$(cat "$tmp/s.err")'"

# --extract fields on crawled pages
timeout 30 "$gather" crawl --depth 1 --extract 'h=//h1' "$H/" >"$tmp/x.jsonl" 2>/dev/null
[ "$(jq -r --arg u "$H/a/one.html" 'select(.url == $u) | .fields.h' "$tmp/x.jsonl")" = "H /a/one.html" ] || bad "crawl --extract: $(head -n 2 "$tmp/x.jsonl")"

# robots.txt unreachable because the host is: the seed's record carries the
# fetch's own error (connect), and says robots.txt could not be had.
closed=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
timeout 30 "$gather" crawl --retries 0 "http://127.0.0.1:$closed/" >"$tmp/down.jsonl" 2>/dev/null
rc=$?
[ "$rc" -eq 1 ] || bad "crawl of a closed port: exit $rc, want 1"
[ "$(jq -r '.error' "$tmp/down.jsonl")" = connect ] || bad "crawl of a closed port: $(cat "$tmp/down.jsonl")"
jq -r '.message' "$tmp/down.jsonl" | grep -q 'robots.txt unreachable' || bad "crawl of a closed port: message $(cat "$tmp/down.jsonl")"

[ -n "${KEEP:-}" ] && cp -r "$tmp" /tmp/cli_crawl.keep
exit $fail
