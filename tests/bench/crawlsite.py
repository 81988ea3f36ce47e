#!/usr/bin/env python3
"""tests/bench/crawlsite.py — the crawl benchmark's site, deterministic.

Usage: crawlsite.py DIR N HOSTPORT
Writes DIR/p/00000.html .. DIR/p/<N-1>.html (about 8 KiB each) and
DIR/truth.txt (the N paths, one a line), and prints the deepest BFS depth
from the seed /p/00000.html.

Page i links to its children 10i+1..10i+10 (a 10-ary tree, so every page is
reachable within ceil(log10(9N+1)) hops), to its parent, and to pseudo-random
pages until it has at least 10 links.  Each link is written in one of eight
spellings of the same URL, as real sites do: relative, ./, ../p/, absolute
path, absolute URL, uppercase scheme and host, a %-encoded unreserved digit,
and a /./ segment with a fragment.
"""
import os
import sys
from collections import deque

d, n, hostport = sys.argv[1], int(sys.argv[2]), sys.argv[3]
host, port = hostport.split(":")
os.makedirs(os.path.join(d, "p"), exist_ok=True)

WORDS = ("gather crawl fetch engine reactor frontier worker queue parser link "
         "page host scope robots sitemap archive record header body chunk socket "
         "timer buffer event thread state machine result error limit depth").split()


def spell(j, form):
    name = "%05d.html" % j
    if form == 0:
        return name
    if form == 1:
        return "./" + name
    if form == 2:
        return "../p/" + name
    if form == 3:
        return "/p/" + name
    if form == 4:
        return "http://%s:%s/p/%s" % (host, port, name)
    if form == 5:
        return "HTTP://%s:%s/p/%s" % (host.upper(), port, name)
    if form == 6:
        return "/p/%%3%s%s" % (name[0], name[1:])  # %3N is the digit N
    return "/p/./%s#s%d" % (name, j % 7)


def links_of(i):
    out = [c for c in range(10 * i + 1, 10 * i + 11) if c < n]
    if i:
        out.append((i - 1) // 10)
    x = (i * 2654435761 + 12345) & 0xFFFFFFFF
    while len(out) < 10:
        x = (x * 1103515245 + 12345) & 0x7FFFFFFF
        out.append(x % n)
    return out


graph = []
for i in range(n):
    ls = links_of(i)
    graph.append(ls)
    x = (i * 40503 + 7) & 0xFFFF
    parts = ["<!DOCTYPE html>\n<html><head><meta charset=utf-8><title>Page %d</title>"
             "</head>\n<body><h1>Page %d</h1>\n<ul class=nav>\n" % (i, i)]
    for k, j in enumerate(ls):
        parts.append('<li><a href="%s">Page %d</a></li>\n' % (spell(j, (i + k) % 8), j))
    parts.append("</ul>\n")
    size = sum(len(p) for p in parts)
    while size < 8000:
        ws = []
        for _ in range(60):
            x = (x * 1103515245 + 12345) & 0x7FFFFFFF
            ws.append(WORDS[x % len(WORDS)])
        p = "<p>" + " ".join(ws) + ".</p>\n"
        parts.append(p)
        size += len(p)
    parts.append("</body></html>\n")
    with open(os.path.join(d, "p", "%05d.html" % i), "w") as f:
        f.write("".join(parts))

with open(os.path.join(d, "truth.txt"), "w") as f:
    for i in range(n):
        f.write("/p/%05d.html\n" % i)

depth = [-1] * n
depth[0] = 0
q = deque([0])
while q:
    i = q.popleft()
    for j in graph[i]:
        if depth[j] < 0:
            depth[j] = depth[i] + 1
            q.append(j)
assert min(depth) >= 0, "unreachable page"
print(max(depth))
