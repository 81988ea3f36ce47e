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
# the request record keeps the scheme, not the secret (a page that does not
# echo the request, so the only copy would be the request record's)
G --warc "$tmp/c2.warc" "$cred/status/200" -H 'Proxy-Authorization: Bearer t0ken' > /dev/null 2>&1 ||
	bad "credentials: WARC run exit $?"
zcat -f "$tmp/c2.warc" | grep -aq "$(printf alice:s3cret | base64)\|t0ken" &&
	bad "credentials: the WARC request record holds the credentials"
zcat -f "$tmp/c2.warc" | grep -aq '^Authorization: Basic (redacted)' ||
	bad "credentials: no 'Authorization: Basic (redacted)' in the WARC request record"
zcat -f "$tmp/c2.warc" | grep -aq '^Proxy-Authorization: Bearer (redacted)' ||
	bad "credentials: no 'Proxy-Authorization: Bearer (redacted)' in the WARC request record"
ru="http://alice:***@127.0.0.1:$port"
[ "$(field "$tmp/c.out" "$ru/echo" .fields.auth)" = "$basic" ] || bad "credentials: not sent as Basic: $(cat "$tmp/c.out")"
[ "$(field "$tmp/c.out" "$ru/redirect-to?url=%2Fecho" .fields.auth)" = "$basic" ] || bad "credentials: not kept on a same-origin redirect"
[ "$(field "$tmp/c.out" "$ru/redirect-to?url=$other" .fields.auth)" = null ] || bad "credentials: sent across a redirect to another origin"
[ "$(field "$tmp/c.out" "$ru/redirect-to?url=%2Fecho" .final_url)" = "$ru/echo" ] || bad "credentials: final_url not redacted"
G -u bob:pw --regex 'auth=Authorization: [^\r]*' "$b/echo" "$b/redirect-to?url=$other" > "$tmp/u2.out" || bad "-u: exit $?"
[ "$(field "$tmp/u2.out" "$b/echo" .fields.auth)" = "Authorization: Basic $(printf bob:pw | base64)" ] || bad "-u: not sent"
[ "$(field "$tmp/u2.out" "$b/redirect-to?url=$other" .fields.auth)" = null ] || bad "-u: sent across a redirect to another origin"

# --- option parsing: whole names only, files checked first ------------------
usage2 "unknown option '--hea'" get --hea "$b/echo"
usage2 "unknown option '--conc'" get --conc=2 "$b/echo"
usage2 "unknown option '--no-loc'" get --no-loc "$b/echo"
usage2 'option --head takes no argument' get --head=1 "$b/echo"
usage2 'per-host: expected at least 1' get --per-host 0 "$b/echo"
usage2 'per-host: expected at least 1' crawl --per-host 0 "$b/"
usage2 "-i $tmp/missing: No such file" get -i "$tmp/missing" "$b/echo"
usage2 "--cacert $tmp/missing: No such file" get --cacert "$tmp/missing" "$b/echo"
usage2 "invalid value '250x' for delay" crawl --delay 250x "$b/"
usage2 "unknown option '--assets'" get --assets "$b/echo"  # what get does not use
"$gather" get --help > "$tmp/gh" || bad "get --help: exit $?"
grep -Eq -- '--(assets|max-links|depth|delay)\b' "$tmp/gh" && bad "get --help lists crawl options: $(grep -E -- '--(assets|max-links|depth|delay)' "$tmp/gh")"
grep -q -- '--timeout S .*0: no limit' "$tmp/gh" || bad "get --help does not say --timeout 0 is no limit"
"$gather" --version > "$tmp/v" || bad "--version: exit $?"
for lib in libevent OpenSSL llhttp libxml2 zlib brotli zstd pcre2 uriparser libpsl jansson libconfuse SQLite; do
	grep -q "$lib [0-9]" "$tmp/v" || bad "--version does not name $lib"
done
# --delay takes seconds like every time option: 3 pages, 0.3 s apart
printf '<a href="/b">b</a><a href="/c">c</a>' > "$tmp/site.html"
t0=$(date +%s%N)
timeout 30 "$gather" crawl --depth 0 --delay 0.3 --no-robots "$b/status/200" "$b/status/201" "$b/status/202" >/dev/null 2>&1 ||
	bad "crawl --delay 0.3: exit $?"
t=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$t" -ge 550 ] || bad "crawl --delay 0.3: 3 fetches to one host took $t ms, want >= 600"

# --- gather run and check agree; options after the files --------------------
printf 'job "a" { urls-file = "%s"  output { jsonl = "%s" } }\n' "$tmp/one.txt" "$tmp/run.jsonl" > "$tmp/a.conf"
echo "$b/status/200" > "$tmp/one.txt"
timeout 30 "$gather" run "$tmp/a.conf" --parallel 2>"$tmp/run.err" || bad "run FILE --parallel: exit $? $(cat "$tmp/run.err")"
[ "$(jq -r .status "$tmp/run.jsonl" 2>/dev/null)" = 200 ] || bad "run FILE --parallel: no record"
: > "$tmp/empty.conf"
usage2 'no job' run "$tmp/empty.conf"
usage2 'no job' check "$tmp/empty.conf"

# --- curl's spellings ---------------------------------------------------------
G -I "$b/bytes/100" > "$tmp/i.out" || bad "-I: exit $?"
[ "$(jq -r '"\(.status) \(.bytes)"' "$tmp/i.out")" = "200 0" ] || bad "-I: not a HEAD request: $(cat "$tmp/i.out")"
G --no-location "$b/redirect/2" > "$tmp/nl.out" || bad "--no-location: exit $?"
[ "$(jq -r '"\(.status) \(.redirects) \(.error)"' "$tmp/nl.out")" = "302 0 null" ] || bad "--no-location: $(cat "$tmp/nl.out")"
G -L "$b/redirect/2" > "$tmp/L.out" || bad "-L: exit $?"
[ "$(jq -r '"\(.status) \(.redirects)"' "$tmp/L.out")" = "200 2" ] || bad "-L: $(cat "$tmp/L.out")"
printf 'a=1\r\nb=2\n' > "$tmp/form"
G -d @"$tmp/form" --regex 'ct=Content-Type: [^\r]*' --regex 'body=\r\n\r\n[\s\S]*$' "$b/echo" > "$tmp/d.out" || bad "-d @FILE: exit $?"
[ "$(jq -r .fields.ct "$tmp/d.out")" = "Content-Type: application/x-www-form-urlencoded" ] || bad "-d: no form Content-Type: $(cat "$tmp/d.out")"
[ "$(jq -r .fields.body "$tmp/d.out")" = $'\r\n\r\na=1b=2' ] || bad "-d @FILE: body $(jq .fields.body "$tmp/d.out")"
G --data-binary @"$tmp/form" --regex 'body=\r\n\r\n[\s\S]*$' "$b/echo" > "$tmp/db.out" || bad "--data-binary: exit $?"
[ "$(jq -c .fields.body "$tmp/db.out")" = '"\r\n\r\na=1\r\nb=2\n"' ] || bad "--data-binary @FILE: body $(jq .fields.body "$tmp/db.out")"
usage2 "$tmp/nofile: No such file" get -d @"$tmp/nofile" "$b/echo"
G -s -v "$b/status/200" "http://alice:s3cret@127.0.0.1:$port/status/201" > "$tmp/sv.out" 2> "$tmp/sv.err" || bad "-s -v: exit $?"
grep -q "^\* 200 $b/status/200 " "$tmp/sv.err" || bad "-v: no line for the fetch: $(cat "$tmp/sv.err")"
grep -q "^\* 201 http://alice:\*\*\*@127.0.0.1:$port/status/201 " "$tmp/sv.err" || bad "-v: credentials line: $(cat "$tmp/sv.err")"
grep -q s3cret "$tmp/sv.err" && bad "-v shows the password"

exit $fail
