#!/usr/bin/env python3
"""layers.py — the include rule of lib/ (DESIGN.md, README "Architecture").

Every folder of lib/ is a layer with a rank; include/gather/ holds the
installed API, each header ranked with the layer that implements it.  A
file may include:
  - a header of its own folder;
  - a header of a folder of strictly lower rank (so html, output and net,
    all rank 2, do not include each other);
  - never another folder's *-internal.h.
cmd/ may include anything under include/ and lib/ but no *-internal.h.
Prints one line per violation as FILE:LINE: message; exit 1 if any.
Usage: layers.py SRCDIR
"""
import os
import re
import sys

RANK = {
    'util': 0,       # libc only: strbuf, maps, errors, options, results
    'url': 1,        # URL parse / normalize / resolve, origin keys
    'net': 2,        # dns, tcp, tls
    'html': 2,       # parsing, links, fields, the fast scanner
    'output': 2,     # writer thread, jsonl, warc, mirror
    'store': 2,      # SQLite crawl state, the on-disk queue (--state)
    'http': 3,       # http1, decode, fetch, engine
    'pipeline': 4,   # engine -> work queue -> writer, input
    'bench': 4,      # the in-process origin of `gather bench`
    'crawl': 5,      # frontier, scope, robots, sitemap, crawl
    'job': 6,        # job files, the get runner
    'daemon': 7,     # gatherd: API, jobs, spool, schedules
}
# Installed headers: the layer they belong to.
PUBLIC = {
    'error.h': 'util', 'options.h': 'util', 'result.h': 'util',
    'engine.h': 'http', 'crawl.h': 'crawl', 'job.h': 'job', 'runner.h': 'job',
    'gather.h': 'job', 'pipeline.h': 'pipeline',
}
INC = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def folder_of(inc):
    """(folder, is_internal) of an include path as written, or None."""
    parts = inc.split('/')
    internal = parts[-1].endswith('-internal.h')
    if len(parts) == 2 and parts[0] == 'gather':
        return (PUBLIC.get(parts[1], 'gather:' + parts[1]), internal)
    if len(parts) == 2 and parts[0] in RANK:
        return (parts[0], internal)
    return None


def rank(folder):
    if folder.startswith('gather:'):
        layer = PUBLIC.get(folder[7:])
        return RANK[layer] if layer else None
    return RANK.get(folder)


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else '.'
    bad = 0
    checked = 0
    for top in ('lib', 'include/gather', 'cmd'):
        for d, _, files in os.walk(os.path.join(src, top)):
            for f in sorted(files):
                if not f.endswith(('.c', '.h')) or f.startswith('llhttp-'):
                    continue
                path = os.path.join(d, f)
                rel = os.path.relpath(path, src)
                parts = rel.split(os.sep)
                if parts[0] == 'lib' and len(parts) == 2:
                    print(f'{rel}:1: a source file at the top of lib/: put it in its layer\'s folder')
                    bad += 1
                    continue
                if parts[0] == 'lib':
                    mine, my_rank = parts[1], RANK.get(parts[1])
                    if my_rank is None:
                        print(f'{rel}:1: lib/{mine}/ is not a known layer (add it to tests/lint/layers.py)')
                        bad += 1
                        continue
                elif parts[0] == 'include':
                    layer = PUBLIC.get(f)
                    if layer is None:
                        print(f'{rel}:1: installed header with no layer (add it to tests/lint/layers.py)')
                        bad += 1
                        continue
                    mine, my_rank = layer, RANK[layer]
                else:
                    mine, my_rank = 'cmd', 99
                for n, line in enumerate(open(path, encoding='utf-8', errors='replace'), 1):
                    m = INC.match(line)
                    if not m:
                        continue
                    checked += 1
                    inc = m.group(1)
                    if inc == 'config.h' or (mine == 'cmd' and '/' not in inc):
                        continue
                    fo = folder_of(inc)
                    if fo is None:
                        print(f'{rel}:{n}: "{inc}": include headers as "layer/name.h" or "gather/name.h"')
                        bad += 1
                        continue
                    folder, internal = fo
                    if folder == mine:
                        continue
                    if internal:
                        print(f'{rel}:{n}: "{inc}" is another folder\'s internal header')
                        bad += 1
                        continue
                    r = rank(folder)
                    if r is None:
                        print(f'{rel}:{n}: "{inc}": unknown header')
                        bad += 1
                    elif r >= my_rank:
                        print(f'{rel}:{n}: "{inc}" is layer {r} ({folder}), not below {mine} ({my_rank})')
                        bad += 1
    if checked == 0:
        print('layers.py: no include checked: wrong SRCDIR?')
        return 1
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
