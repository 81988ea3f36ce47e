#!/bin/bash
# net_resolve.sh — -4/--ipv4, -6/--ipv6 and --resolve HOST:PORT:ADDR (issue
# 15) against tests/lib/testserver, which listens on 127.0.0.1 and, when the
# machine has IPv6 loopback, on [::1] at the same port.  The address a fetch
# really used is read from its WARC record (WARC-IP-Address).  Names are
# either pinned with --resolve (never looked up) or come from /etc/hosts:
# no packet leaves 127.0.0.0/8 and ::1.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:-.}/tests/lib/cli_lib.sh"

start_server port
G() { timeout 60 "$gather" get "$@"; }
# ip ARGS...: fetch with ARGS (a URL among them), print the peer address
# of the response ("" when none) and leave the record in $tmp/r.jsonl.
ip() {
	rm -f "$tmp/r.warc"
	G --warc "$tmp/r.warc" --jsonl "$tmp/r.jsonl" --retries 0 "$@" 2>"$tmp/ip.err"
	grep -a '^WARC-IP-Address: ' "$tmp/r.warc" 2>/dev/null | head -n 1 | sed 's/^WARC-IP-Address: //; s/\r$//'
}
usage2() { # WANT-STRING ARGS...: exit 2, one message containing it
	local want=$1 rc
	shift
	timeout 30 "$gather" "$@" >"$tmp/u.out" 2>"$tmp/u.err"
	rc=$?
	[ $rc -eq 2 ] || bad "$*: exit $rc, want 2 ($(head -c 200 "$tmp/u.err"))"
	[ "$(wc -l < "$tmp/u.err")" -eq 1 ] || bad "$*: want one message, got: $(cat "$tmp/u.err")"
	grep -Fq -- "$want" "$tmp/u.err" || bad "$*: message '$(cat "$tmp/u.err")' lacks '$want'"
	[ -s "$tmp/u.out" ] && bad "$*: a usage error fetched something: $(head -c 200 "$tmp/u.out")"
}

# Can this machine bind ::1?  Only then are the IPv6 cases run.
v6=0
python3 -c 'import socket; s = socket.socket(socket.AF_INET6); s.bind(("::1", 0))' 2>/dev/null && v6=1

# --- --resolve: a name that exists nowhere reaches our server --------------
a=$(ip --resolve "example.test:$port:127.0.0.1" "http://example.test:$port/status/200")
[ "$a" = 127.0.0.1 ] || bad "--resolve example.test:$port:127.0.0.1: address '$a' ($(cat "$tmp/ip.err"))"
[ "$(jq -r .status "$tmp/r.jsonl")" = 200 ] || bad "--resolve: want 200: $(cat "$tmp/r.jsonl")"
# the name stays the request's: Host header and URL are example.test's
G --resolve "EXAMPLE.test:$port:127.0.0.1" "http://example.test:$port/echo" -o "$tmp/echo" >/dev/null 2>&1
grep -rqi "^host: example.test:$port" "$tmp/echo" || bad "--resolve: the request's Host is not the pinned name"
# only that port is pinned: localhost at another port is still /etc/hosts'
# (127.0.0.2, where nothing listens, would refuse)
a=$(ip --resolve "localhost:1:127.0.0.2" "http://localhost:$port/status/200")
[ "$a" = 127.0.0.1 ] || bad "--resolve of another port applied: address '$a' ($(cat "$tmp/r.jsonl"))"
a=$(ip --resolve "localhost:$port:127.0.0.2" "http://localhost:$port/status/200")
[ "$(jq -r .error "$tmp/r.jsonl")" = connect ] || bad "--resolve localhost:$port:127.0.0.2 not applied: $(cat "$tmp/r.jsonl")"
# the last entry for HOST:PORT wins, as in curl
a=$(ip --resolve "example.test:$port:127.0.0.2" --resolve "example.test:$port:127.0.0.1" "http://example.test:$port/status/200")
[ "$a" = 127.0.0.1 ] || bad "--resolve twice: the last should win, address '$a'"
# several addresses, in order: the next after a refused one
a=$(ip --resolve "multi.test:$port:127.0.0.2,127.0.0.1" "http://multi.test:$port/status/200")
[ "$a" = 127.0.0.1 ] || bad "--resolve with two addresses: address '$a' ($(cat "$tmp/r.jsonl"))"
if [ $v6 = 1 ]; then
	a=$(ip --resolve "v6.test:$port:[::1]" "http://v6.test:$port/status/200")
	[ "$a" = ::1 ] || bad "--resolve v6.test:$port:[::1]: address '$a' ($(cat "$tmp/ip.err"))"
	# IPv6 literal URL hosts work as before
	a=$(ip "http://[::1]:$port/status/200")
	[ "$a" = ::1 ] || bad "http://[::1]:$port/: address '$a'"
else
	echo "::1 cannot be bound here: the IPv6 --resolve case is skipped" >&2
fi

# --- -4 / -6 against a name that has both families --------------------------
# A pinned name with both, and, when /etc/hosts has one, a name with a
# loopback address of each family.
# The pinned name lists first the family the flag must skip, so taking the
# first address regardless would show.
names=("dual.test")
pins4=(--resolve "dual.test:$port:[::1],127.0.0.1")
pins6=(--resolve "dual.test:$port:127.0.0.1,[::1]")
hn=$(awk '$1 ~ /^127\./ { for (i = 2; i <= NF; i++) v4[$i] = 1 }
          $1 == "::1" { for (i = 2; i <= NF; i++) v6[$i] = 1 }
          END { for (n in v4) if (n in v6) { print n; exit } }' /etc/hosts 2>/dev/null)
[ -n "$hn" ] && names+=("$hn") || echo "no /etc/hosts name with both families: the pinned one only" >&2
if [ $v6 = 1 ]; then
	for n in "${names[@]}"; do
		a=$(ip -4 "${pins4[@]}" "http://$n:$port/status/200")
		[ "$a" = 127.0.0.1 ] || bad "-4 $n: address '$a' ($(cat "$tmp/ip.err"))"
		a=$(ip --ipv6 "${pins6[@]}" "http://$n:$port/status/200")
		[ "$a" = ::1 ] || bad "--ipv6 $n: address '$a' ($(cat "$tmp/ip.err"))"
		# -4 then -6: the last wins, as in curl
		a=$(ip -4 -6 "${pins6[@]}" "http://$n:$port/status/200")
		[ "$a" = ::1 ] || bad "-4 -6 $n: address '$a', want the last one given"
	done
else
	echo "::1 cannot be bound here: -6 skipped" >&2
	a=$(ip -4 "${pins4[@]}" "http://dual.test:$port/status/200")
	[ "$a" = 127.0.0.1 ] || bad "-4 dual.test: address '$a'"
fi
# a family the host does not have: a dns error, no connection anywhere
ip -6 "http://127.0.0.1:$port/status/200" >/dev/null
[ "$(jq -r .error "$tmp/r.jsonl")" = dns ] || bad "-6 to an IPv4 literal: want a dns error: $(cat "$tmp/r.jsonl")"
ip -4 --resolve "only6.test:$port:[::1]" "http://only6.test:$port/status/200" >/dev/null
jq -r .message "$tmp/r.jsonl" | grep -q 'no IPv4 address' || bad "-4 with an IPv6-only pin: $(cat "$tmp/r.jsonl")"

# --- malformed --resolve: exit 2, naming it, before any fetch ---------------
for spec in "example.test" "example.test:$port" "example.test:$port:" "example.test:0:127.0.0.1" \
	"example.test:70000:127.0.0.1" ":$port:127.0.0.1" "example.test:$port:localhost" \
	"example.test:$port:[::1" "example.test:x:127.0.0.1" "example.test:$port:127.0.0.1,"; do
	usage2 "invalid value '$spec' for resolve" get --resolve "$spec" "http://example.test:$port/"
done
usage2 "for resolve" crawl --resolve "nope" "http://127.0.0.1:$port/"

# --- job files: resolve = {...} and ipv4 = true --------------------------------
cat > "$tmp/pin.conf" <<EOF
job "pinned" {
  seeds = {"http://example.test:$port/status/200", "http://dual.test:$port/status/201"}
  mode = get
  resolve = {"example.test:$port:127.0.0.1", "dual.test:$port:[::1],127.0.0.1"}
  ipv4 = true
  retries = 0
  jsonl = "$tmp/job.jsonl"
  warc = "$tmp/job.warc"
}
EOF
timeout 60 "$gather" check "$tmp/pin.conf" >/dev/null 2>"$tmp/chk.err" || bad "gather check pin.conf: $(cat "$tmp/chk.err")"
timeout 60 "$gather" run "$tmp/pin.conf" 2>"$tmp/run.err" || bad "gather run pin.conf: $(cat "$tmp/run.err")"
[ "$(jq -r .status "$tmp/job.jsonl" 2>/dev/null | sort | tr '\n' ' ')" = "200 201 " ] ||
	bad "job with resolve: $(cat "$tmp/job.jsonl" 2>/dev/null)"
ips=$(grep -a '^WARC-IP-Address: ' "$tmp/job.warc" 2>/dev/null | tr -d '\r' | sort -u)
[ "$ips" = "WARC-IP-Address: 127.0.0.1" ] ||
	bad "job with resolve and ipv4: not both over 127.0.0.1: $(grep -a '^WARC-IP' "$tmp/job.warc" 2>/dev/null)"
sed 's/dual.test:[0-9]*:\[::1\],127.0.0.1/dual.test:80:[::1/' "$tmp/pin.conf" > "$tmp/bad.conf"
timeout 60 "$gather" check "$tmp/bad.conf" >/dev/null 2>"$tmp/bad.err"; rc=$?
[ $rc -eq 2 ] || bad "gather check with a bad resolve entry: exit $rc, want 2"
grep -q "bad.conf:4:.*resolve" "$tmp/bad.err" || bad "gather check: the bad resolve entry is not named by file:line: $(cat "$tmp/bad.err")"

exit $fail
