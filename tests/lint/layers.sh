#!/bin/sh
# layers.sh — make check's guard of the include rule (tests/lint/layers.py).
: "${top_srcdir:=.}"
exec python3 "$top_srcdir/tests/lint/layers.py" "$top_srcdir"
