#!/bin/sh
# warc_warcio.sh — the WARC files gather writes, read by a real third-party
# reader: warcio.js (npm package "warcio", webrecorder's reader used by
# pywb's JS tools).  Every record must parse, every block and payload digest
# must match, and warcio must decode the chunked-origin, gzip-encoded and
# binary bodies back to what was fetched.  Covers plain, .gz, rotated and
# live (engine + tests/testserver, written by the sink) files.  warcio is installed once into a cache under the build tree and
# reused; exit 77 (SKIP) when node or npm is missing or the install fails.
set -u
: "${top_builddir:=.}"
: "${top_srcdir:=.}"

command -v node >/dev/null 2>&1 || { echo "SKIP: no node"; exit 77; }
cache="$top_builddir/tests/node-cache"
if [ ! -f "$cache/node_modules/warcio/package.json" ]; then
  command -v npm >/dev/null 2>&1 || { echo "SKIP: no npm"; exit 77; }
  mkdir -p "$cache"
  if ! timeout 300 npm install --silent --no-audit --no-fund --prefix "$cache" warcio >"$cache/npm.log" 2>&1; then
    echo "SKIP: npm install warcio failed:"; tail -5 "$cache/npm.log"; exit 77
  fi
fi
# node resolves "warcio" from the script's own directory upwards
cp "$top_srcdir/tests/lib/warc_check.mjs" "$cache/warc_check.mjs" || exit 1

dir=$(mktemp -d "$top_builddir/tests/warcio.XXXXXX") || exit 1
trap 'rm -rf "$dir"' EXIT INT TERM
"$top_builddir/tests/unit/output/test_warc" --samples "$dir" || { echo "FAIL: writing samples"; exit 1; }
ls "$dir"/rot-00001.warc.gz "$dir"/rot-00001.warc >/dev/null || { echo "FAIL: no rotation"; exit 1; }

# and what the sink writes from live fetches (engine + test server)
"$top_builddir/tests/unit/output/test_sink_live" --samples "$dir" || { echo "FAIL: live samples"; exit 1; }

rc=0
# five fetches in each set of files
timeout 60 node "$cache/warc_check.mjs" --expect-responses 5 "$dir/plain.warc" || rc=1
timeout 60 node "$cache/warc_check.mjs" --expect-responses 5 "$dir/sample.warc.gz" || rc=1
timeout 60 node "$cache/warc_check.mjs" --expect-responses 5 "$dir"/rot.warc.gz "$dir"/rot-0*.warc.gz || rc=1
timeout 60 node "$cache/warc_check.mjs" --expect-responses 5 "$dir"/rot.warc "$dir"/rot-0*.warc || rc=1
# eleven live fetches, each with a response head
timeout 60 node "$cache/warc_check.mjs" --expect-responses 11 "$dir/live.warc" || rc=1
timeout 60 node "$cache/warc_check.mjs" --expect-responses 11 "$dir/live.warc.gz" || rc=1
exit $rc
