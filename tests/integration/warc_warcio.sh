#!/bin/sh
# warc_warcio.sh — the WARC files gather writes, read by an independent
# reader: tests/lib/warc_check.py (python3's standard library only; nothing
# fetched at test time).  Every record must parse (gzip members, WARC
# headers, Content-Length), every block and payload digest must match, and
# the chunked-origin, gzip-encoded and binary bodies must decode back to what
# was fetched (warc_check.py says what it checks: all that warcio.js checked
# before).  Covers plain, .gz, rotated and live (engine + tests/lib/testserver,
# written by the sink) files.  Then the reader is shown to catch a flipped
# byte, a wrong digest, a cut file and a bad Content-Length.
# No python3 is a failure, not a skip: an unread WARC is not a good one.
set -u
: "${top_builddir:=.}"
: "${top_srcdir:=.}"

py=$(command -v python3) || { echo "FAIL: python3 is missing: the WARC files cannot be read" >&2; exit 1; }
check="$top_srcdir/tests/lib/warc_check.py"
dir=$(mktemp -d "${TMPDIR:-/tmp}/warc_check.XXXXXX") || exit 99
trap 'rm -rf "$dir"' EXIT INT TERM
"$top_builddir/tests/unit/output/test_warc" --samples "$dir" || { echo "FAIL: writing samples"; exit 1; }
ls "$dir"/rot-00001.warc.gz "$dir"/rot-00001.warc >/dev/null || { echo "FAIL: no rotation"; exit 1; }

# and what the sink writes from live fetches (engine + test server)
"$top_builddir/tests/unit/output/test_sink_live" --samples "$dir" || { echo "FAIL: live samples"; exit 1; }

rc=0
rd() { timeout 60 "$py" "$check" "$@"; }
# five fetches in each set of files
rd --expect-responses 5 "$dir/plain.warc" || rc=1
rd --expect-responses 5 "$dir/sample.warc.gz" || rc=1
rd --expect-responses 5 "$dir"/rot.warc.gz "$dir"/rot-0*.warc.gz || rc=1
rd --expect-responses 5 "$dir"/rot.warc "$dir"/rot-0*.warc || rc=1
# eleven live fetches, each with a response head
rd --expect-responses 11 "$dir/live.warc" || rc=1
rd --expect-responses 11 "$dir/live.warc.gz" || rc=1

# the reader fails on damage (else the checks above prove nothing)
refuse() { # refuse WHAT FILE: warc_check.py must fail on FILE
	if rd "$2" >/dev/null 2>"$dir/err"; then
		echo "FAIL: warc_check.py accepted $1"; rc=1
	elif [ ! -s "$dir/err" ]; then
		echo "FAIL: warc_check.py failed on $1 without a message"; rc=1
	fi
}
p="$dir/plain.warc"
# one byte of the /page body ("hello" -> "jello"): block digest
sed 's/hello warcio/jello warcio/' "$p" > "$dir/flip.warc"
cmp -s "$p" "$dir/flip.warc" && { echo "FAIL: the flip did not change the file"; rc=1; }
refuse "a flipped body byte" "$dir/flip.warc"
# a payload digest that is not the payload's
sed '0,/^WARC-Payload-Digest: sha1:/s//WARC-Payload-Digest: sha1:A/' "$p" > "$dir/pd.warc"
refuse "a wrong payload digest" "$dir/pd.warc"
# a Content-Length one too large, a file cut short, a gzip file cut short
sed 's/^Content-Length: 84\r$/Content-Length: 85\r/' "$p" > "$dir/cl.warc"
cmp -s "$p" "$dir/cl.warc" && { echo "FAIL: the Content-Length edit did not change the file"; rc=1; }
refuse "a wrong Content-Length" "$dir/cl.warc"
head -c $(($(stat -c %s "$p") - 10)) "$p" > "$dir/cut.warc"
refuse "a cut file" "$dir/cut.warc"
g="$dir/sample.warc.gz"
head -c $(($(stat -c %s "$g") - 5)) "$g" > "$dir/cut.warc.gz"
refuse "a cut gzip file" "$dir/cut.warc.gz"
# a response count that is not the one expected
if rd --expect-responses 4 "$p" >/dev/null 2>&1; then echo "FAIL: --expect-responses not checked"; rc=1; fi
exit $rc
