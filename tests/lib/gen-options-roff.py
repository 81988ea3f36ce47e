#!/usr/bin/env python3
"""Print gather(1)'s OPTIONS entries from lib/options.c's gather_optdefs[].

Usage: tests/lib/gen-options-roff.py lib/options.c > /tmp/opts.roff
The output is pasted into cmd/gather/gather.1 between the OPTIONS markers;
tests/integration/docs_cli.sh checks that the page and --help list the same options."""
import re
import sys

src = open(sys.argv[1]).read()
pat = re.compile(r'\{ "([a-z0-9-]+)", (\'.\'|0), GATHER_OPT_(\w+), OFF\(\w+\), (\w), '
                 r'(NULL|"[^"]*"), "((?:[^"\\]|\\.)*)"(?: PACKAGE_VERSION "([^"]*)")? \}')
def esc(t):
    return t.replace('\\', '\\\\').replace('-', '\\-')
for m in pat.finditer(src):
    name, short, typ, cmds, arg, hlp, tail = m.groups()
    hlp = hlp.replace('\\"', '"') + ('VERSION' + tail if tail is not None else '')
    arg = None if arg == 'NULL' else arg.strip('"')
    head = ''
    if short != '0':
        head = '\\fB\\-%s\\fR, ' % short.strip("'")
    head += '\\fB\\-\\-%s\\fR' % esc(name)
    if arg:
        head += ' \\fI%s\\fR' % esc(arg)
    if typ == 'BOOL' and name not in ('compressed', 'robots'):
        head += ' (\\fB\\-\\-no\\-%s\\fR)' % esc(name)
    only = {'G': ' (get only)', 'C': ' (crawl only)', 'A': ''}[cmds]
    print('.TP\n' + head + '\n' + esc(hlp[0].upper() + hlp[1:]) + only + '.')
