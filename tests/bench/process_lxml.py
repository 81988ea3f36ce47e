#!/usr/bin/python3
"""process_lxml.py — the same per-page work as bench_process, with lxml:
parse (lxml.html), title, links (iterlinks, resolved, fragment dropped,
http(s) only, deduplicated per page), three XPath fields, SHA-256.
Single process, so the figure is per core.

    process_lxml.py PASSES BASE_URL XPATH1 XPATH2 XPATH3 LISTFILE
"""
import hashlib
import sys
import time
from urllib.parse import urljoin, urldefrag

import lxml.html


def norm(s):
    return " ".join(s.split())


def process(data, url, xps):
    doc = lxml.html.document_fromstring(data, base_url=url)
    title = doc.findtext(".//title")
    title = norm(title) if title is not None else None
    links = {}
    for _el, _attr, link, _pos in doc.iterlinks():
        u = urldefrag(urljoin(url, link.strip()))[0]
        if u.startswith(("http://", "https://")):
            links.setdefault(u, None)
    fields = []
    for all_, xp in xps:
        res = xp(doc)
        if isinstance(res, list):
            vals = [norm(r if isinstance(r, str) else r.text_content()) for r in res]
            fields.append(vals if all_ else (vals[0] if vals else None))
        else:
            fields.append(str(res))
    digest = hashlib.sha256(data).digest()
    return title, list(links), fields, digest


def main():
    passes, base = int(sys.argv[1]), sys.argv[2]
    xps = []
    for spec in sys.argv[3:6]:
        name, expr = spec.split("=", 1)
        xps.append((name.endswith("[]"), lxml.etree.XPath(expr)))
    files = []
    with open(sys.argv[6]) as f:
        paths = [line.strip() for line in f if line.strip()]
    for path in paths:
        with open(path, "rb") as f:
            files.append((base + path.rsplit("/", 1)[-1], f.read()))
    nbytes = nlinks = ndocs = 0
    t0 = time.monotonic()
    c0 = time.process_time()
    for _ in range(passes):
        for url, data in files:
            _t, links, _f, _d = process(data, url, xps)
            nbytes += len(data)
            nlinks += len(links)
            ndocs += 1
    dt = time.monotonic() - t0
    dc = time.process_time() - c0
    print("lxml docs=%d MB=%.1f s=%.3f MB/s=%.1f docs/s=%.0f cpu_s=%.3f MB/cpu_s=%.1f links=%d"
          % (ndocs, nbytes / 1e6, dt, nbytes / 1e6 / dt, ndocs / dt, dc, nbytes / 1e6 / dc,
             nlinks))


if __name__ == "__main__":
    main()
