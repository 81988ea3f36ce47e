#!/bin/sh
# testserver.sh — the standalone tests/lib/testserver as script tests use it:
# --make-certs, plain and --tls modes, --port-file, a few routes via curl,
# and it exits by itself when its stdin closes.
set -u
: "${top_builddir:=.}"
ts="$top_builddir/tests/lib/testserver"
command -v curl >/dev/null 2>&1 || { echo "no curl: skipped" >&2; exit 77; }

tmp=$(mktemp -d /tmp/testserver.XXXXXX) || exit 99
pids=""
trap 'for p in $pids; do kill "$p" 2>/dev/null; done; rm -rf "$tmp"' EXIT
fail=0
bad() { echo "FAIL: $*" >&2; fail=1; }

"$ts" --make-certs "$tmp" || bad "--make-certs"
for f in ca.pem key.pem good.pem expired.pem wronghost.pem selfsigned.pem; do
	[ -s "$tmp/$f" ] || bad "missing $f"
done

# wait_port FILE: the port the server wrote (bounded wait)
wait_port() {
	i=0
	while [ ! -s "$1" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	cat "$1"
}

# plain, fed by a pipe that stays open until we close it
mkfifo "$tmp/in"
"$ts" --port-file "$tmp/port" < "$tmp/in" > "$tmp/out" &
pids="$pids $!"; srv=$!
exec 3> "$tmp/in"
port=$(wait_port "$tmp/port")
[ -n "$port" ] || bad "no port"
[ "$(head -n1 "$tmp/out")" = "$port" ] || bad "stdout port"
code=$(curl -s -m 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/status/418")
[ "$code" = 418 ] || bad "/status/418 gave $code"
body=$(curl -s -m 5 "http://127.0.0.1:$port/redirect/2" -L)
[ "$body" = done ] || bad "/redirect/2 gave '$body'"
curl -s -m 5 -H 'X-Probe: 1' "http://127.0.0.1:$port/echo" | grep -q '^X-Probe: 1' || bad "/echo"
curl -s -m 5 --compressed "http://127.0.0.1:$port/gzip" | grep -q 'quick brown fox' || bad "/gzip"
exec 3>&-    # stdin closes: the server must exit
i=0
while kill -0 "$srv" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
kill -0 "$srv" 2>/dev/null && bad "server still running after stdin closed"

# TLS with the good certificate, verified against the test CA
"$ts" --tls "$tmp/good.pem" "$tmp/key.pem" --port-file "$tmp/tport" < /dev/null > /dev/null &
pids="$pids $!"
port=$(wait_port "$tmp/tport")
code=$(curl -s -m 5 --cacert "$tmp/ca.pem" -o /dev/null -w '%{http_code}' "https://127.0.0.1:$port/status/200")
[ "$code" = 200 ] || bad "https /status/200 gave $code"
curl -s -m 5 -o /dev/null "https://127.0.0.1:$port/status/200" && bad "https without the CA verified"

exit $fail
