#!/bin/sh
# outputs_cli.sh — `gather get` with every output against tests/lib/testserver
# on 127.0.0.1: JSON lines, WARC (.gz), --mirror tree and --output-dir files
# hold what was fetched; then SIGTERM in the middle of a long run: the
# process ends cleanly, the JSON lines file holds only whole lines and the
# WARC only whole gzip members (read by warcio when tests/integration/warc_warcio.sh
# has installed it).
set -u
: "${top_builddir:=.}"
gather="$top_builddir/gather"
server="$top_builddir/tests/lib/testserver"

if "$gather" get 2>&1 | grep -q 'not available in this build yet'; then
	echo "gather get is not in this build yet: skipped" >&2
	exit 77
fi

tmp=$(mktemp -d /tmp/outputs_cli.XXXXXX) || exit 99
srv=""
gpid=""
trap 'exec 3>&- 2>/dev/null; [ -n "$gpid" ] && kill "$gpid" 2>/dev/null; [ -n "$srv" ] && kill "$srv" 2>/dev/null; rm -rf "$tmp"' EXIT
fail=0
bad() { echo "FAIL: $*" >&2; fail=1; }

# the server runs until its stdin closes: a fifo this shell holds open
mkfifo "$tmp/stdin" || exit 99
exec 3<>"$tmp/stdin"
"$server" --port-file "$tmp/port" <"$tmp/stdin" >/dev/null 2>&1 &
srv=$!
i=0
while [ ! -s "$tmp/port" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
port=$(cat "$tmp/port")
[ -n "$port" ] || { echo "test server did not start" >&2; exit 99; }
b="http://127.0.0.1:$port"
text='The quick brown fox jumps over the lazy dog.
Pack my box with five dozen liquor jugs.'

warcio_check() { # FILE...: every record parses and every digest matches
	# (tests/lib/warc_check.py: python3's standard library; never skipped)
	timeout 60 python3 "$top_srcdir/tests/lib/warc_check.py" "$@" >/dev/null || bad "warc_check.py: $*"
}

# --- 1. every output ------------------------------------------------------
( cd "$tmp" && timeout 30 "$gather" get --warc out.warc.gz --jsonl out.jsonl \
	--mirror m --output-dir o "$b/chunked" "$b/gzip" "$b/bytes/1000" "$b/status/404" \
	"$b/redirect/2" "$b/truncated" "$b/status/200?q=/../../x" ) 2>"$tmp/err"
rc=$?
[ "$rc" -eq 1 ] || bad "get: exit $rc, want 1 (a 404 and a truncated body): $(cat "$tmp/err")"
[ "$(wc -l < "$tmp/out.jsonl")" = 7 ] || bad "out.jsonl: want 7 lines"
grep -q '"url":"'"$b"'/truncated".*"error":"bad_response"' "$tmp/out.jsonl" || bad "out.jsonl: no truncated record"
h="$tmp/m/127.0.0.1:$port"
[ "$(cat "$h/chunked")" = "$text" ] || bad "mirror: chunked body"
[ "$(cat "$h/gzip")" = "$text" ] || bad "mirror: gzip body not decoded"
[ "$(cat "$h/redirect/0")" = "done" ] || bad "mirror: redirect saved under its final URL"
[ -f "$h/status/200@q=%2F..%2F..%2Fx" ] || bad "mirror: query name"
[ -e "$h/status/404" ] && bad "mirror: a 404 was saved"
[ -e "$h/truncated" ] && bad "mirror: a truncated body was saved"
[ "$(find "$tmp" -path "$tmp/m" -prune -o -path "$tmp/o" -prune -o -name x -print)" = "" ] || bad "wrote outside the mirror"
[ "$(ls "$tmp/o" | wc -l)" = 5 ] || bad "output-dir: want 5 files, have $(ls "$tmp/o")"
ls "$tmp/o" | grep -q '^127.0.0.1_bytes_1000-[0-9a-f]\{12\}$' || bad "output-dir: name of /bytes/1000"
gzip -t "$tmp/out.warc.gz" || bad "out.warc.gz: not whole gzip members"
[ "$(gzip -dc "$tmp/out.warc.gz" | grep -ac '^WARC-Type: response')" = 7 ] || bad "out.warc.gz: want 7 responses"
warcio_check --expect-responses 7 "$tmp/out.warc.gz"

# --- 2. SIGTERM in the middle ----------------------------------------------
i=0
while [ $i -lt 1500 ]; do
	echo "$b/bytes/$((i * 37 % 5000))?i=$i"
	echo "$b/drip?ms=5&n=40&i=$i"
	i=$((i + 1))
done > "$tmp/urls.txt"
# gather itself gets the signal (timeout(1) would re-raise it on itself and
# exit 143 whatever gather did); a watchdog bounds the run instead.
( cd "$tmp" && exec "$gather" get --concurrency 50 --warc t.warc.gz \
	--jsonl t.jsonl --input urls.txt ) 2>"$tmp/err2" &
gpid=$!
( sleep 60; kill -KILL "$gpid" ) >/dev/null 2>&1 &
watchdog=$!
i=0
while [ "$( (wc -l < "$tmp/t.jsonl") 2>/dev/null || echo 0)" -lt 100 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
kill -TERM "$gpid"
wait "$gpid"
rc=$?
kill "$watchdog" 2>/dev/null
gpid=""
[ "$rc" -eq 143 ] || bad "SIGTERM: exit $rc, want 143: $(cat "$tmp/err2")"
lines=$(wc -l < "$tmp/t.jsonl")
[ "$lines" -ge 100 ] && [ "$lines" -lt 3000 ] || bad "SIGTERM: $lines lines, want a part of 3000"
[ -z "$(tail -c 1 "$tmp/t.jsonl")" ] || bad "SIGTERM: last line not whole"
python3 -c 'import json, sys
for l in open(sys.argv[1], "rb"): json.loads(l)' "$tmp/t.jsonl" || bad "SIGTERM: a line is not JSON"
gzip -t "$tmp/t.warc.gz" || bad "SIGTERM: WARC not whole gzip members"
warcio_check "$tmp/t.warc.gz"

exit $fail
