#!/usr/bin/env python3
"""stateside.py — a generated site for the crawl-state tests, and checks.

  stateside.py gen DIR N SEED      write N pages under DIR (a random link graph
                                   fixed by SEED: forward and back links,
                                   redirects /r/K -> /p/K.html (nginx), links
                                   to /private/ (robots.txt disallows it) and
                                   to missing pages)
  stateside.py expect DIR BASE DEPTH   print "depth url" of every record an
                                   exact crawl from BASE/p/0.html gives (BFS;
                                   a redirect's target at the redirect's depth)
  stateside.py check JSONL EXPECT  each URL once, the set and depths as
                                   expected, every line whole JSON
"""
import json, os, random, sys
from collections import deque

def graph(n, seed):
    rnd = random.Random(seed)
    g = {}
    for i in range(n):
        links = []
        for _ in range(rnd.randint(3, 9)):
            r = rnd.random()
            if r < 0.70:
                j = min(n - 1, i + rnd.randint(1, 40))
            elif r < 0.85:
                j = rnd.randint(0, n - 1)
            else:
                j = max(0, i - rnd.randint(1, 200))
            links.append("/p/%d.html" % j)
        if rnd.random() < 0.05:
            links.append("/r/%d" % rnd.randint(0, n - 1))
        if rnd.random() < 0.03:
            links.append("/private/%d.html" % i)
        if rnd.random() < 0.03:
            links.append("/missing/%d.html" % i)
        g["/p/%d.html" % i] = links
    return g

def gen(d, n, seed):
    g = graph(n, seed)
    os.makedirs(os.path.join(d, "p"), exist_ok=True)
    os.makedirs(os.path.join(d, "private"), exist_ok=True)
    with open(os.path.join(d, "robots.txt"), "w") as f:
        f.write("User-agent: *\nDisallow: /private/\n")
    for path, links in g.items():
        body = "".join('<li><a href="%s">%s</a>' % (l, l) for l in links)
        with open(os.path.join(d, path.lstrip("/")), "w") as f:
            f.write("<!doctype html><title>%s</title><ul>%s</ul>%s\n"
                    % (path, body, "x" * (len(path) * 37 % 2000)))
    with open(os.path.join(d, "graph.json"), "w") as f:
        json.dump(g, f)

def expect(d, base, maxd):
    g = json.load(open(os.path.join(d, "graph.json")))
    dist = {"/p/0.html": 0}
    q = deque(["/p/0.html"])
    while q:   # 0-1 BFS: a redirect's target at the redirect's depth
        u = q.popleft()
        du = dist[u]
        if u.startswith("/r/"):
            t = "/p/%s.html" % u[3:]
            if du < dist.get(t, 1 << 30):
                dist[t] = du
                q.appendleft(t)
            continue
        if du >= maxd or u not in g:
            continue
        for l in g[u]:
            if du + 1 < dist.get(l, 1 << 30):
                dist[l] = du + 1
                q.append(l)
    for u, k in sorted(dist.items(), key=lambda x: (x[1], x[0])):
        print(k, base + u)

def check(jsonl, exp):
    want = {}
    for line in open(exp):
        k, u = line.split()
        want[u] = int(k)
    got, bad = {}, []
    data = open(jsonl, "rb").read()
    if data and not data.endswith(b"\n"):
        bad.append("the file ends in a partial line")
    for no, line in enumerate(data.split(b"\n")[:-1], 1):
        try:
            r = json.loads(line)
        except ValueError:
            bad.append("line %d is not JSON: %r" % (no, line[:80]))
            continue
        u = r["url"]
        if u in got:
            bad.append("twice: %s (lines %d and %d)" % (u, got[u][1], no))
        got[u] = (r["depth"], no)
    for u in sorted(set(want) - set(got)):
        bad.append("missing: %s" % u)
    for u in sorted(set(got) - set(want)):
        bad.append("not expected: %s" % u)
    for u in sorted(set(got) & set(want)):
        if got[u][0] != want[u]:
            bad.append("depth of %s is %d, want %d" % (u, got[u][0], want[u]))
    for b in bad[:20]:
        print(b, file=sys.stderr)
    if bad:
        print("%d problems, %d records, %d expected" % (len(bad), len(got), len(want)), file=sys.stderr)
        return 1
    print("%d records, each once, depths exact" % len(got))
    return 0

if __name__ == "__main__":
    a = sys.argv[1:]
    if a[0] == "gen":
        gen(a[1], int(a[2]), int(a[3]))
    elif a[0] == "expect":
        expect(a[1], a[2], int(a[3]))
    elif a[0] == "check":
        sys.exit(check(a[1], a[2]))
