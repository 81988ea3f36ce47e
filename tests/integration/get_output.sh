#!/bin/bash
# get_output.sh — what `gather get` writes besides its records (issues 15
# and 16): -o FILE and -o - (curl's -o: one URL's body, whole or not at
# all), and final_url as the URL sent (no dot segments, no fragment).
# Servers: tests/lib/testserver and python3 http.server on 127.0.0.1.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:-.}/tests/lib/cli_lib.sh"

start_server port
b="http://127.0.0.1:$port"
cd "$tmp" || exit 99
G() { timeout 20 "$gather" get --no-progress "$@"; }

# --- final_url: what was sent -------------------------------------------------
# /echo answers with the request head: its first line is the target sent
G --regex 'line=GET [^ ]+' "$b/a/./b/../../echo?x=1#top" \
	"HTTP://127.0.0.1:$port/redirect-to?url=/a/../status/200" >dots.jsonl 2>err.txt
jsonl_check dots.jsonl 2
# records come in completion order: each is picked by what it redirected
r1=$(jq -c 'select(.redirects == 0)' dots.jsonl)
[ "$(jq -r .url <<<"$r1")" = "$b/a/./b/../../echo?x=1#top" ] || bad "url not as given: $r1"
[ "$(jq -r .final_url <<<"$r1")" = "$b/echo?x=1" ] || bad "final_url not as sent: $r1"
[ "$(jq -r .fields.line <<<"$r1")" = "GET /echo?x=1" ] || bad "request target: $r1"
r2=$(jq -c 'select(.url | startswith("HTTP:"))' dots.jsonl)
[ "$(jq -r .final_url <<<"$r2")" = "$b/status/200" ] || bad "redirect final_url: $r2"
[ "$(jq -r .redirects <<<"$r2")" = 1 ] || bad "redirects: $r2"

# --- -o FILE / -o - -------------------------------------------------------------
mkdir www
head -c 300000 /dev/urandom > www/bin    # NUL bytes and all: binary safe
printf 'a\0b\r\n\0' > www/small
start_pyserver pyport "$PWD/www"
p="http://127.0.0.1:$pyport"

# the body, byte for byte, and the record on stdout as without -o
G -o got.bin "$p/bin" >rec.jsonl 2>err.txt; rc=$?
[ $rc -eq 0 ] || bad "-o FILE: exit $rc: $(cat err.txt)"
cmp -s got.bin www/bin || bad "-o FILE: body differs"
jsonl_check rec.jsonl 1
[ "$(jq -r .bytes rec.jsonl)" = 300000 ] || bad "-o FILE: record $(cat rec.jsonl)"
G -o got.small "$p/small" >/dev/null 2>&1 && cmp -s got.small www/small || bad "-o FILE: small binary body differs"
[ "$(ls -A | grep -c '\.part$')" = 0 ] || bad "-o FILE: temporary files left: $(ls -A)"
# -v says where it was saved
G -v -o v.bin "$p/small" >/dev/null 2>err.txt
grep -qF "saved to v.bin" err.txt || bad "-v: no 'saved to': $(cat err.txt)"
# replaced whole when it exists
echo old > got.small
G -o got.small "$p/small" >/dev/null 2>&1 && cmp -s got.small www/small || bad "-o FILE over an old file"

# -o -: the body alone on stdout; the records only to --jsonl FILE
G -o - "$p/bin" >pipe.bin 2>err.txt; rc=$?
[ $rc -eq 0 ] || bad "-o -: exit $rc: $(cat err.txt)"
cmp -s pipe.bin www/bin || bad "-o -: stdout is not the body alone"
G -o - --jsonl r2.jsonl "$p/bin" 2>err.txt | cmp -s - www/bin || bad "-o - | cmp: differs"
jsonl_check r2.jsonl 1
# a reader that goes away early: a quiet end (141, as a filter killed by
# SIGPIPE), no message
G -o - "$p/bin" 2>err.txt | head -c 100 >/dev/null; rc=${PIPESTATUS[0]}
[ $rc -eq 0 ] || [ $rc -eq 141 ] || bad "-o - | head: exit $rc"
[ ! -s err.txt ] || bad "-o - | head: said $(cat err.txt)"

# a failed fetch leaves no file, and an old one as it was
G -o cut.bin "$b/truncated" >rec.jsonl 2>/dev/null; rc=$?
[ $rc -eq 1 ] || bad "-o on a cut body: exit $rc"
[ ! -e cut.bin ] || bad "-o: a partial file was left ($(stat -c %s cut.bin) bytes)"
echo old > keep.bin
G --retries 0 -o keep.bin "http://127.0.0.1:1/" >/dev/null 2>&1
[ "$(cat keep.bin)" = old ] || bad "-o: a failed fetch changed the old file"
[ "$(ls -A | grep -c '\.part$')" = 0 ] || bad "-o: temporary files left after failures: $(ls -A)"
# a file that cannot be written: the record's error is io, naming it
G -o nodir/x.bin "$p/small" >rec.jsonl 2>/dev/null; rc=$?
[ $rc -eq 1 ] || bad "-o into a missing directory: exit $rc"
[ "$(jq -r .error rec.jsonl)" = io ] && jq -r .message rec.jsonl | grep -qF nodir/x.bin ||
	bad "-o into a missing directory: $(cat rec.jsonl)"
# any response that came whole is its body, as curl -o (the status says 404)
G -o nf.txt "$b/status/404" >/dev/null 2>&1; rc=$?
[ $rc -eq 1 ] && [ "$(cat nf.txt)" = "status 404" ] || bad "-o on a 404: exit $rc, file '$(cat nf.txt 2>&1)'"
# a device is written, never replaced
G -o /dev/null "$p/small" >/dev/null 2>err.txt || bad "-o /dev/null: $(cat err.txt)"
[ -c /dev/null ] || bad "-o /dev/null replaced /dev/null"

# refused up front (exit 2, nothing fetched, nothing created)
refused() { # WHAT ARGS...: exit 2 with a message matching WHAT
	local what=$1
	shift
	G "$@" >out.txt 2>err.txt; local rc=$?
	[ $rc -eq 2 ] || bad "$*: exit $rc, want 2"
	grep -qF -- "$what" err.txt || bad "$*: message '$(cat err.txt)', want '$what'"
	[ ! -s out.txt ] || bad "$*: wrote $(head -c 200 out.txt)"
}
refused "-o FILE takes exactly one URL" -o two.bin "$p/small" "$p/bin"
[ ! -e two.bin ] || bad "-o with two URLs created the file"
printf '%s\n' "$p/small" > l.txt
cp l.txt l.orig
refused "-o FILE takes exactly one URL" -o one.bin -i l.txt
refused "-o - and --jsonl - would both write to stdout" -o - --jsonl - "$p/small"
refused "-i l.txt and --output l.txt are the same file" -o l.txt -i l.txt
refused "--jsonl same.out and --output ./same.out are the same file" --jsonl same.out -o ./same.out "$p/small"
cmp -s l.txt l.orig || bad "-o onto the input changed it"
[ ! -e same.out ] || bad "-o and --jsonl one file: created it"
G -o x "$p/small" "--output-dir" d >/dev/null 2>&1 || bad "-o FILE with --output-dir DIR"
"$gather" crawl -o x "$p/" >/dev/null 2>err.txt; rc=$?
[ $rc -eq 2 ] || bad "crawl -o: exit $rc (want 2: -o is get's)"

exit $fail
