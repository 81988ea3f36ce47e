#!/bin/bash
# cli_get.sh — `gather get` end to end against tests/lib/testserver (and a
# python3 http.server for HTML) on 127.0.0.1: argument parsing, inputs,
# records, outputs, exit codes, TLS and every limit flag.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:-.}/tests/lib/cli_lib.sh"
need python3

start_server port
b="http://127.0.0.1:$port"
G() { timeout 30 "$gather" get "$@"; }

# --- usage: exit 2 with one clear message; --help exit 0 -------------------
usage_case() { # WANT-REGEX ARGS...: exit 2, one stderr line matching
	local want=$1 rc
	shift
	G "$@" >"$tmp/u.out" 2>"$tmp/u.err"
	rc=$?
	[ $rc -eq 2 ] || bad "get $*: exit $rc, want 2"
	[ "$(wc -l < "$tmp/u.err")" -eq 1 ] || bad "get $*: want one message, got: $(cat "$tmp/u.err")"
	grep -Eq -- "$want" "$tmp/u.err" || bad "get $*: message '$(cat "$tmp/u.err")' lacks /$want/"
	[ -s "$tmp/u.out" ] && bad "get $*: wrote to stdout"
}
usage_case "unknown option '--bogus'" --bogus "$b/status/200"
usage_case "unknown option '--bogus'" "$b/status/200" --bogus
usage_case "-Z is unknown" -Z "$b/status/200"
usage_case "--timeout needs an argument" "$b/status/200" --timeout
usage_case "-c needs an argument" "$b/status/200" -c
usage_case "invalid value 'abc' for timeout" --timeout abc "$b/status/200"
usage_case "invalid value 'x' for concurrency" -c x "$b/status/200"
usage_case "invalid value '-3' for max-redirs" --max-redirs=-3 "$b/status/200"
usage_case "invalid value '12Q' for max-body" --max-body 12Q "$b/status/200"
usage_case "--progress takes no argument" --progress=yes "$b/status/200"
usage_case "unknown option '--depth'" --depth 2 "$b/status/200"   # crawl only
usage_case "no URL given" -c 4
"$gather" fetch x >/dev/null 2>"$tmp/u.err"; rc=$?
[ $rc -eq 2 ] && grep -q "unknown command 'fetch'" "$tmp/u.err" || bad "unknown command: exit $rc"
G --help >"$tmp/h.out" 2>&1; rc=$?
[ $rc -eq 0 ] || bad "get --help: exit $rc"
for o in --timeout --max-body --input --jsonl --output-dir --extract --regex --cacert --insecure; do
	grep -q -- "$o" "$tmp/h.out" || bad "get --help does not list $o"
done
"$gather" --help >/dev/null 2>&1 || bad "gather --help: not exit 0"
"$gather" >/dev/null 2>&1; [ $? -eq 2 ] || bad "gather without a command: want exit 2"

# --- URLs from arguments and files, options anywhere, -- ------------------
printf '# a comment\n\n   %s/status/201  \n\t\n  # indented comment\n%s/bytes/7\r\nnot a url\n%s/status/202\n%s/bytes/3' \
	"$b" "$b" "$b" "$b" > "$tmp/list.txt"
G "$b/status/200" -i "$tmp/list.txt" --concurrency=2 "$b/redirect/2" -c 3 \
	-- "$b/bytes/1?q=a b" >"$tmp/o1" 2>"$tmp/e1"
rc=$?
[ $rc -eq 1 ] || bad "mixed inputs: exit $rc, want 1 (bad_url): $(cat "$tmp/e1")"
jsonl_check "$tmp/o1" 8
for u in "$b/status/200" "$b/status/201" "$b/bytes/7" "$b/status/202" "$b/bytes/3" "$b/redirect/2" \
	"$b/bytes/1?q=a b" "not a url"; do
	[ "$(jq -r --arg u "$u" 'select(.url == $u) | .url' "$tmp/o1" | wc -l)" -eq 1 ] || bad "mixed inputs: no single record for '$u'"
done
[ "$(field "$tmp/o1" "not a url" .error)" = bad_url ] || bad "bad line: error not bad_url"
field "$tmp/o1" "not a url" .message | grep -q "list.txt:7" || bad "bad line: message does not name list.txt:7: $(field "$tmp/o1" "not a url" .message)"
[ "$(field "$tmp/o1" "$b/bytes/7" .bytes)" = 7 ] || bad "CRLF line: bytes"
[ "$(field "$tmp/o1" "$b/redirect/2" '[.status,.redirects,.final_url]|@tsv')" = "$(printf '200\t2\t%s/redirect/0' "$b")" ] ||
	bad "redirect record: $(field "$tmp/o1" "$b/redirect/2" .)"
[ "$(field "$tmp/o1" "$b/status/200" '[.status,.error,.message,.bytes,.content_type,.attempts]|@tsv')" = \
	"$(printf '200\t\t\t11\ttext/plain\t1')" ] || bad "200 record: $(field "$tmp/o1" "$b/status/200" .)"
[ -s "$tmp/e1" ] && bad "mixed inputs: unexpected stderr: $(cat "$tmp/e1")"

# a UTF-8 byte order mark before the first line is not part of the URL
printf '\xef\xbb\xbf%s/status/200?bom=1\r\n' "$b" > "$tmp/bom.txt"
G -i "$tmp/bom.txt" >"$tmp/o17" 2>/dev/null; rc=$?
[ $rc -eq 0 ] && [ "$(jq -r .url "$tmp/o17")" = "$b/status/200?bom=1" ] || bad "BOM: exit $rc, $(cat "$tmp/o17")"

# '--' ends options: a URL that looks like an option is a (bad) URL
G -c 2 -- "$b/status/200" --timeout >"$tmp/o2" 2>"$tmp/e2"; rc=$?
[ $rc -eq 1 ] || bad "after --: exit $rc, want 1"
jsonl_check "$tmp/o2" 2
[ "$(field "$tmp/o2" "--timeout" .error)" = bad_url ] || bad "after --: '--timeout' not taken as a URL"
field "$tmp/o2" "--timeout" .message | grep -q "argument 2" || bad "after --: message does not name the argument"

# odd but valid URLs are reported exactly as given
odd=("$b/status/200?a=%zz&b=%41#frag" "HTTP://127.0.0.1:$port/./bytes/../bytes/2" "$b/bytes/4?x=ü" "$b//bytes/5")
G "${odd[@]}" >"$tmp/o3" 2>"$tmp/e3"; rc=$?
jsonl_check "$tmp/o3" 4
for u in "${odd[@]}"; do
	[ "$(field "$tmp/o3" "$u" .url | wc -l)" -eq 1 ] || bad "odd URL '$u' not reported as given"
done
[ "$(field "$tmp/o3" "HTTP://127.0.0.1:$port/./bytes/../bytes/2" .bytes)" = 2 ] || bad "dot segments / upper-case scheme not fetched"
[ "$(field "$tmp/o3" "$b/status/200?a=%zz&b=%41#frag" .status)" = 200 ] || bad "odd query not fetched"

# a missing -i file: refused up front (exit 2, one message naming it, no
# fetch), as wget does; stdin read after a file
printf '%s/status/203\n' "$b" | G -i "$tmp/nosuch.txt" -i - "$b/bytes/9" >"$tmp/o4" 2>"$tmp/e4"
rc=$?
[ $rc -eq 2 ] || bad "missing -i file: exit $rc, want 2"
[ -s "$tmp/o4" ] && bad "missing -i file: records written"
[ "$(wc -l < "$tmp/e4")" -eq 1 ] && grep -q "nosuch.txt: No such file" "$tmp/e4" || bad "missing -i file: stderr '$(cat "$tmp/e4")'"
printf '%s/status/203\n\n#x\n%s/status/404\n' "$b" "$b" | G -i "$tmp/list.txt" -i - "$b/bytes/9" >"$tmp/o4" 2>"$tmp/e4"
jsonl_check "$tmp/o4" 8
[ "$(field "$tmp/o4" "$b/status/203" .status)" = 203 ] || bad "stdin URL not fetched after a missing file"
[ "$(field "$tmp/o4" "$b/status/404" '[.status,.error]|@tsv')" = "$(printf '404\t')" ] || bad "404 record"

# refused lines with nothing in flight: the run still ends (it used to hang
# after a first malformed URL, and after a sink full of refusals)
G "not a url" >"$tmp/o10" 2>/dev/null; rc=$?
[ $rc -eq 1 ] && [ "$(jq -r .error "$tmp/o10")" = bad_url ] || bad "a lone bad URL: exit $rc (124: hung)"
{ for i in $(seq 1 20000); do echo "bad $i"; done; echo "$b/status/200"; } > "$tmp/allbad.txt"
G -i "$tmp/allbad.txt" >"$tmp/o11" 2>/dev/null; rc=$?
[ $rc -eq 1 ] || bad "20000 bad lines: exit $rc (124: hung)"
[ "$(wc -l < "$tmp/o11")" -eq 20001 ] || bad "20000 bad lines: $(wc -l < "$tmp/o11") records, want 20001"
[ "$(tail -n 1 "$tmp/o11" | jq -r .status)" = 200 ] || bad "20000 bad lines: the good URL after them"
{ printf '%s/bytes/1?' "$b"; head -c 70000 /dev/zero | tr '\0' a; printf '\n%s/bytes/2\n' "$b"; } > "$tmp/long.txt"
G -i "$tmp/long.txt" >"$tmp/o12" 2>/dev/null; rc=$?
[ $rc -eq 1 ] || bad "over-long line: exit $rc"
jsonl_check "$tmp/o12" 2
[ "$(jq -r 'select(.error == "bad_url") | .message' "$tmp/o12")" = "line too long for a URL ($tmp/long.txt:1)" ] || bad "over-long line: $(cut -c 1-100 "$tmp/o12")"
[ "$(field "$tmp/o12" "$b/bytes/2" .bytes)" = 2 ] || bad "over-long line: the next line not fetched"
G -i /dev/null >"$tmp/o13" 2>&1; rc=$?
[ $rc -eq 0 ] && [ ! -s "$tmp/o13" ] || bad "empty input: exit $rc, output '$(cat "$tmp/o13")'"
G -i "$tmp" "$b/status/200" >"$tmp/o14" 2>"$tmp/e14"; rc=$?
[ $rc -eq 1 ] && grep -q "Is a directory" "$tmp/e14" && [ "$(jq -r .status "$tmp/o14")" = 200 ] || bad "-i DIR: exit $rc, '$(cat "$tmp/e14")'"

# stdin is shared with whatever reads it next: left blocking as found
echo "$b/status/200" | { G -i - >/dev/null 2>&1; python3 -c 'import fcntl, os; print("nonblock" if fcntl.fcntl(0, fcntl.F_GETFL) & os.O_NONBLOCK else "blocking")'; } >"$tmp/o18"
[ "$(cat "$tmp/o18")" = blocking ] || bad "stdin left O_NONBLOCK after the run"

# exit codes: 0 when every response is below 400
G "$b/status/200" "$b/status/301" "$b/status/399" >/dev/null 2>&1; rc=$?
[ $rc -eq 0 ] || bad "all < 400: exit $rc, want 0"
G "$b/status/200" "$b/status/400" >/dev/null 2>&1; rc=$?
[ $rc -eq 1 ] || bad "a 400: exit $rc, want 1"
G --retries 0 "http://127.0.0.1:1/" >"$tmp/o5" 2>/dev/null; rc=$?
[ $rc -eq 1 ] && [ "$(jq -r .error "$tmp/o5")" = connect ] || bad "refused: exit $rc, $(cat "$tmp/o5")"

# completion order: a slow URL given first is written last
G "$b/slow/700" "$b/status/200" "$b/bytes/2" >"$tmp/o6" 2>/dev/null
[ "$(tail -n 1 "$tmp/o6" | jq -r .url)" = "$b/slow/700" ] || bad "records not in completion order"

# --- outputs: --jsonl, --output-dir DIR, --extract / --regex ---------------------------
G --jsonl "$tmp/out.jsonl" --output-dir "$tmp/dir" "$b/bytes/100" "$b/status/200?f=../../etc/passwd" \
	"$b/chunked" "$b/status/500" >"$tmp/o7" 2>"$tmp/e7"; rc=$?
[ $rc -eq 1 ] || bad "outputs: exit $rc, want 1 (a 500)"
[ -s "$tmp/o7" ] && bad "--jsonl FILE: records also went to stdout"
jsonl_check "$tmp/out.jsonl" 4
n=$(find "$tmp/dir" -type f | wc -l)
[ "$n" -ge 3 ] || bad "-o DIR: $n files, want at least 3 (the 200s)"
find "$tmp/dir" -mindepth 2 | grep -q . && bad "-o DIR: files in subdirectories: $(find "$tmp/dir" -mindepth 2)"
ls "$tmp/dir" | grep -q '/\|^\.' && bad "-o DIR: unsafe names"
[ "$(find "$tmp" -name passwd | wc -l)" -eq 0 ] || bad "-o DIR: a file named passwd was written"
[ "$(cat "$tmp"/dir/*chunked*)" = "$(printf 'The quick brown fox jumps over the lazy dog.\nPack my box with five dozen liquor jugs.')" ] || bad "-o DIR: chunked body"
[ "$(stat -c %s "$tmp"/dir/*bytes_100*)" = 100 ] || bad "-o DIR: bytes/100 size"

( cd "$tmp" && G --jsonl - "$b/status/200" ) >"$tmp/o15" 2>/dev/null
[ "$(jq -r .status "$tmp/o15")" = 200 ] && [ ! -e "$tmp/-" ] || bad "--jsonl - is not stdout"

# output errors: said once, exit 1 (at run time) or 2 (cannot open)
G "$b/status/200" >/dev/full 2>"$tmp/e15"; rc=$?
[ $rc -eq 1 ] && grep -q "stdout: No space left" "$tmp/e15" || bad "stdout full: exit $rc, '$(cat "$tmp/e15")'"
G "$b/status/200" >&- 2>"$tmp/e15"; rc=$?
[ $rc -eq 1 ] && grep -q "stdout: Bad file descriptor" "$tmp/e15" || bad "stdout closed: exit $rc, '$(cat "$tmp/e15")'"
G -i - "$b/status/201" <&- >"$tmp/o16" 2>"$tmp/e16"; rc=$?
[ $rc -eq 1 ] && grep -q -- "-: Bad file descriptor" "$tmp/e16" && [ "$(jq -r .status "$tmp/o16")" = 201 ] ||
	bad "stdin closed: exit $rc, '$(cat "$tmp/e16")'"
G --jsonl "$tmp/no/such/dir/x.jsonl" "$b/status/200" 2>"$tmp/e15"; rc=$?
[ $rc -eq 2 ] && [ "$(wc -l < "$tmp/e15")" -eq 1 ] && grep -q "x.jsonl: No such file" "$tmp/e15" || bad "--jsonl in a missing dir: exit $rc, '$(cat "$tmp/e15")'"

mkdir -p "$tmp/www"
cat > "$tmp/www/page.html" <<'EOF'
<!doctype html><html><head><title>The Title</title></head>
<body><h1 class="t">Heading one</h1><ul><li>alpha</li><li>beta</li><li>gamma</li></ul>
<p>price: 42 EUR</p><a href="/x">x</a><a href="y.html">y</a></body></html>
EOF
( cd "$tmp/www" && exec python3 -u -m http.server --bind 127.0.0.1 0 >"$tmp/py.out" 2>&1 ) &
pids+=($!)
i=0
while ! grep -q 'port [0-9]' "$tmp/py.out" && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
pyport=$(sed -n 's/.* port \([0-9]*\).*/\1/p' "$tmp/py.out" | head -n 1)
[ -n "$pyport" ] || { echo "python3 http.server did not start" >&2; exit 99; }
pg="http://127.0.0.1:$pyport/page.html"
G --extract 'h=//h1' --extract 'li[]=//li' --extract 'none=//table' --regex 'price=price: (\d+)' \
	"$pg" >"$tmp/o8" 2>"$tmp/e8"; rc=$?
[ $rc -eq 0 ] || bad "--extract: exit $rc: $(cat "$tmp/e8")"
jsonl_check "$tmp/o8" 1
[ "$(jq -c '[.fields.h, .fields.li, .fields.none, .fields.price, .title, .links]' "$tmp/o8")" = \
	'["Heading one",["alpha","beta","gamma"],null,"42","The Title",2]' ] || bad "--extract fields: $(cat "$tmp/o8")"
G --extract 'bad=//[' "$pg" >/dev/null 2>"$tmp/e9"; rc=$?
[ $rc -eq 2 ] && [ "$(wc -l < "$tmp/e9")" -eq 1 ] || bad "bad XPath: exit $rc, stderr '$(cat "$tmp/e9")'"
G --regex 'bad=(' "$pg" >/dev/null 2>"$tmp/e9"; rc=$?
[ $rc -eq 2 ] && [ "$(wc -l < "$tmp/e9")" -eq 1 ] || bad "bad regex: exit $rc, stderr '$(cat "$tmp/e9")'"

# --- TLS ----------------------------------------------------------------------
mkdir -p "$tmp/certs"
"$server" --make-certs "$tmp/certs" || exit 99
start_server tport --tls "$tmp/certs/good.pem" "$tmp/certs/key.pem"
tb="https://127.0.0.1:$tport"
G "$tb/status/200" >"$tmp/t1" 2>/dev/null; rc=$?
[ $rc -eq 1 ] && [ "$(jq -r .error "$tmp/t1")" = tls ] || bad "TLS without the CA: exit $rc, $(cat "$tmp/t1")"
jq -r .message "$tmp/t1" | grep -qi "verif\|issuer\|certificate" || bad "TLS error message does not say why: $(jq -r .message "$tmp/t1")"
G --cacert "$tmp/certs/ca.pem" "$tb/status/200" >"$tmp/t2" 2>/dev/null; rc=$?
[ $rc -eq 0 ] && [ "$(jq -r .status "$tmp/t2")" = 200 ] || bad "--cacert: exit $rc, $(cat "$tmp/t2")"
G -k "$tb/bytes/5" >"$tmp/t3" 2>/dev/null; rc=$?
[ $rc -eq 0 ] && [ "$(jq -r .bytes "$tmp/t3")" = 5 ] || bad "-k: exit $rc, $(cat "$tmp/t3")"
G --cacert "$tmp/nosuch.pem" "$tb/status/200" >/dev/null 2>"$tmp/t4"; rc=$?
[ $rc -eq 2 ] && grep -q "nosuch.pem" "$tmp/t4" || bad "--cacert missing file: exit $rc, '$(cat "$tmp/t4")'"

# --- limits: each flag changes the outcome ------------------------------------
limit() { # NAME URL WANT-ERROR FLAGS... : with the flags the fetch fails with WANT-ERROR, without it succeeds
	local name=$1 u=$2 want=$3 e1 e2
	shift 3
	G --retries 0 "$@" "$u" >"$tmp/l1" 2>/dev/null
	e1=$(jq -r '.error' "$tmp/l1")
	[ "$e1" = "$want" ] || bad "$name: with $*: error '$e1', want $want: $(cat "$tmp/l1")"
	G --retries 0 "$u&without=1" >"$tmp/l2" 2>/dev/null
	e2=$(jq -r '[.error, .status] | @tsv' "$tmp/l2")
	[ "$e2" = "$(printf '\t200')" ] || bad "$name: without $*: '$e2', want a 200: $(cat "$tmp/l2")"
}
limit max-body "$b/bytes/5000?a=1" too_large --max-body 4K
limit timeout "$b/slow/1200?a=1" timeout --timeout 0.4
limit idle-timeout "$b/drip?ms=500&n=3" timeout --idle-timeout 0.3
limit first-byte-timeout "$b/slow/800?a=1" timeout --first-byte-timeout 0.3
# two limits, not one: a slow first byte is not an idle stall, nor the reverse
G --retries 0 --idle-timeout 0.3 "$b/slow/800" >"$tmp/l1" 2>/dev/null
[ "$(jq -r .status "$tmp/l1")" = 200 ] || bad "--idle-timeout timed the first byte: $(cat "$tmp/l1")"
G --retries 0 --first-byte-timeout 0.3 "$b/drip?ms=500&n=3" >"$tmp/l1" 2>/dev/null
[ "$(jq -r .status "$tmp/l1")" = 200 ] || bad "--first-byte-timeout timed the body: $(cat "$tmp/l1")"
limit max-redirs "$b/redirect/3?a=1" too_many_redirects --max-redirs 2
# these fail by default and pass with a raised limit
G --retries 0 "$b/headers/huge" >"$tmp/l1" 2>/dev/null
[ "$(jq -r .error "$tmp/l1")" = too_large ] || bad "max-head default: $(cat "$tmp/l1")"
G --retries 0 --max-head 128K "$b/headers/huge" >"$tmp/l1" 2>/dev/null
[ "$(jq -r .status "$tmp/l1")" = 200 ] || bad "--max-head 128K: $(cat "$tmp/l1")"
G --retries 0 "$b/headers/many" >"$tmp/l1" 2>/dev/null
[ "$(jq -r .error "$tmp/l1")" = too_large ] || bad "max-headers default: $(cat "$tmp/l1")"
G --retries 0 --max-headers 4000 "$b/headers/many" >"$tmp/l1" 2>/dev/null
[ "$(jq -r .status "$tmp/l1")" = 200 ] || bad "--max-headers 4000: $(cat "$tmp/l1")"
# retries: one 503 then 200
G --retries 0 "$b/retry-after/1?s=0&r=a" >"$tmp/l1" 2>/dev/null; rc=$?
[ $rc -eq 1 ] && [ "$(jq -r '[.status,.attempts]|@tsv' "$tmp/l1")" = "$(printf '503\t1')" ] || bad "--retries 0: $(cat "$tmp/l1")"
G --retries 1 "$b/retry-after/1?s=0&r=b" >"$tmp/l1" 2>/dev/null; rc=$?
[ $rc -eq 0 ] && [ "$(jq -r '[.status,.attempts]|@tsv' "$tmp/l1")" = "$(printf '200\t2')" ] || bad "--retries 1: $(cat "$tmp/l1")"
# connect-timeout: a listener that never answers the TLS handshake
python3 -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(16)
print(s.getsockname()[1], flush=True)
conns = []
t = time.time()
s.settimeout(0.5)
while time.time() - t < 30:
    try:
        conns.append(s.accept()[0])
    except socket.timeout:
        pass
' >"$tmp/mute.port" &
pids+=($!)
i=0
while [ ! -s "$tmp/mute.port" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
mute="https://127.0.0.1:$(cat "$tmp/mute.port")/"
t0=$(date +%s%N)
G --retries 0 --connect-timeout 0.3 --timeout 5 "$mute" >"$tmp/l1" 2>/dev/null
t1=$(date +%s%N)
[ "$(jq -r .error "$tmp/l1")" = timeout ] || bad "--connect-timeout: $(cat "$tmp/l1")"
[ $(((t1 - t0) / 1000000)) -lt 2500 ] || bad "--connect-timeout 0.3 took $(((t1 - t0) / 1000000)) ms"
t0=$(date +%s%N)
G --retries 0 --timeout 1.5 "$mute" >"$tmp/l2" 2>/dev/null
t1=$(date +%s%N)
[ $(((t1 - t0) / 1000000)) -ge 1400 ] || bad "without --connect-timeout the handshake wait ended early"
# concurrency: 4 x /slow/500 take ~0.5 s at -c 4, >= 2 s at -c 1 or --per-host 1
ms() { local t0 t1; t0=$(date +%s%N); G "$@" >/dev/null 2>&1; t1=$(date +%s%N); echo $(((t1 - t0) / 1000000)); }
slow4=("$b/slow/500?c=1" "$b/slow/500?c=2" "$b/slow/500?c=3" "$b/slow/500?c=4")
# (-c 4 is judged against -c 1 measured now, not against a fixed time: on
# a loaded machine both take longer by the same start-up and scheduling)
t1=$(ms -c 1 "${slow4[@]}"); [ "$t1" -ge 1900 ] || bad "-c 1: 4 slow fetches took only $t1 ms"
t=$(ms -c 4 "${slow4[@]}"); [ $((t + 900)) -lt "$t1" ] || bad "-c 4: 4 slow fetches took $t ms, -c 1 $t1 ms"
t=$(ms --per-host 1 "${slow4[@]}"); [ "$t" -ge 1900 ] || bad "--per-host 1: 4 slow fetches took only $t ms"

exit $fail
