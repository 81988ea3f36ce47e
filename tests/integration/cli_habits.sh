#!/bin/bash
# cli_habits.sh — issue 15's command-line items against tests/lib/testserver
# on 127.0.0.1: one record per input line, redirect chains on servers that
# close, methods as tokens, credentials (sent, never shown, never across
# origins), and the habits curl and wget users bring.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:-.}/tests/lib/cli_lib.sh"

start_server port
b="http://127.0.0.1:$port"
G() { timeout 60 "$gather" get "$@"; }
usage2() { # WANT-REGEX ARGS...: exit 2, one message matching
	local want=$1 rc
	shift
	timeout 30 "$gather" "$@" >"$tmp/u.out" 2>"$tmp/u.err"
	rc=$?
	[ $rc -eq 2 ] || bad "$*: exit $rc, want 2 ($(head -c 200 "$tmp/u.err"))"
	[ "$(wc -l < "$tmp/u.err")" -eq 1 ] || bad "$*: want one message, got: $(cat "$tmp/u.err")"
	grep -Eq -- "$want" "$tmp/u.err" || bad "$*: message '$(cat "$tmp/u.err")' lacks /$want/"
}

# --- item 3: one record per input line --------------------------------------
{
	echo "$b/status/200"
	head -c $((10 << 20)) /dev/zero | tr '\0' 'x'; echo
	printf '%s/status/201?\0%s/status/500\n' "$b" "$b"
	echo "$b/status/202"
} > "$tmp/lines.txt"
G -i "$tmp/lines.txt" > "$tmp/l.out" 2>"$tmp/l.err"
rc=$?
[ $rc -eq 1 ] || bad "long/NUL lines: exit $rc, want 1"
jsonl_check "$tmp/l.out" 4
[ "$(jq -r 'select(.error == "bad_url") | .message' "$tmp/l.out" | grep -c 'lines.txt:[23])')" -eq 2 ] ||
	bad "long/NUL lines: want bad_url records for lines 2 and 3: $(jq -c '[.url[0:40], .error, .message]' "$tmp/l.out")"
for u in "$b/status/200" "$b/status/202"; do
	[ "$(field "$tmp/l.out" "$u" .status)" -ge 200 ] 2>/dev/null || bad "long/NUL lines: $u not fetched"
done
jq -r .url "$tmp/l.out" | grep -q "status/500" && grep -q '"status":500' "$tmp/l.out" &&
	bad "NUL line: a part of it was fetched"

# --- item 4: redirect chains on a server that closes after each 302 --------
G "$b/redirect-close/10" > "$tmp/r.out" 2>/dev/null || bad "redirect-close/10: exit $?"
[ "$(jq -r '"\(.status) \(.redirects)"' "$tmp/r.out")" = "200 10" ] ||
	bad "redirect-close/10: $(cat "$tmp/r.out")"

# --- item 6: the method is a token ------------------------------------------
usage2 'invalid method' get -X $'GET /admin HTTP/1.1\r\nX:' "$b/echo"
usage2 'invalid method' get -X 'GE T' "$b/echo"
G -X PROPFIND --regex 'm=^[A-Z]+' "$b/echo" > "$tmp/m.out" || bad "-X PROPFIND: exit $?"
[ "$(jq -r .fields.m "$tmp/m.out")" = PROPFIND ] || bad "-X PROPFIND: sent $(jq -r .fields.m "$tmp/m.out")"

# --- item 7: credentials ----------------------------------------------------
cred="http://alice:s3cret@127.0.0.1:$port"
other="http%3A%2F%2Flocalhost%3A$port%2Fecho"
G --regex 'auth=Authorization: [^\r]*' --warc "$tmp/c.warc" "$cred/echo" \
	"$cred/redirect-to?url=%2Fecho" "$cred/redirect-to?url=$other" "$cred/status/200" \
	> "$tmp/c.out" 2>"$tmp/c.err"
rc=$?; [ $rc -eq 0 ] || bad "credentials: exit $rc $(cat "$tmp/c.err")"
jsonl_check "$tmp/c.out" 4
grep -q s3cret "$tmp/c.out" "$tmp/c.err" && bad "credentials: the password is shown: $(grep -h s3cret "$tmp/c.out" "$tmp/c.err" | head -c 300)"
zcat -f "$tmp/c.warc" | grep -a '^WARC-Target-URI' | grep -q s3cret && bad "credentials: the password is in WARC-Target-URI"
zcat -f "$tmp/c.warc" | grep -aq '^WARC-Target-URI: http://alice:\*\*\*@' || bad "credentials: WARC-Target-URI not redacted as user:***@"
basic="Authorization: Basic $(printf alice:s3cret | base64)"
ru="http://alice:***@127.0.0.1:$port"
[ "$(field "$tmp/c.out" "$ru/echo" .fields.auth)" = "$basic" ] || bad "credentials: not sent as Basic: $(cat "$tmp/c.out")"
[ "$(field "$tmp/c.out" "$ru/redirect-to?url=%2Fecho" .fields.auth)" = "$basic" ] || bad "credentials: not kept on a same-origin redirect"
[ "$(field "$tmp/c.out" "$ru/redirect-to?url=$other" .fields.auth)" = null ] || bad "credentials: sent across a redirect to another origin"
[ "$(field "$tmp/c.out" "$ru/redirect-to?url=%2Fecho" .final_url)" = "$ru/echo" ] || bad "credentials: final_url not redacted"
G -u bob:pw --regex 'auth=Authorization: [^\r]*' "$b/echo" "$b/redirect-to?url=$other" > "$tmp/u2.out" || bad "-u: exit $?"
[ "$(field "$tmp/u2.out" "$b/echo" .fields.auth)" = "Authorization: Basic $(printf bob:pw | base64)" ] || bad "-u: not sent"
[ "$(field "$tmp/u2.out" "$b/redirect-to?url=$other" .fields.auth)" = null ] || bad "-u: sent across a redirect to another origin"
exit $fail
