#!/bin/bash
# get_output.sh — what `gather get` writes besides its records (issues 15
# and 16): final_url is the URL as sent (no dot segments, no fragment).
# Server: tests/lib/testserver on 127.0.0.1.
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
r1=$(sed -n 1p dots.jsonl)
[ "$(jq -r .url <<<"$r1")" = "$b/a/./b/../../echo?x=1#top" ] || bad "url not as given: $r1"
[ "$(jq -r .final_url <<<"$r1")" = "$b/echo?x=1" ] || bad "final_url not as sent: $r1"
[ "$(jq -r .fields.line <<<"$r1")" = "GET /echo?x=1" ] || bad "request target: $r1"
r2=$(sed -n 2p dots.jsonl)
[ "$(jq -r .final_url <<<"$r2")" = "$b/status/200" ] || bad "redirect final_url: $r2"
[ "$(jq -r .redirects <<<"$r2")" = 1 ] || bad "redirects: $r2"

exit $fail
