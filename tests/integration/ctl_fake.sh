#!/bin/bash
# ctl_fake.sh — `gather ctl` against tests/daemon/fake_gatherd.py, a
# stand-in for gatherd's control API (issue 14's table): for each verb the
# method, path and body ctl sent (the fake records them), what ctl printed,
# and its exit status for 2xx, 400, 404, 409, 410, 413, 500, no socket, a
# stalled daemon, an answer over --max-response and one that is not HTTP.
# End-to-end tests against the real gatherd are separate.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:-.}/tests/lib/cli_lib.sh"
need python3
fake="$top_srcdir/tests/daemon/fake_gatherd.py"

# start_fake NAME [MODE]: the fake on $tmp/NAME.sock, its requests in
# $tmp/NAME.log; waits (at most 20 s) until it listens.
start_fake() {
	local name=$1 mode=${2:-normal} i=0
	: > "$tmp/$name.log"
	python3 "$fake" "$tmp/$name.sock" "$tmp/$name.log" --mode "$mode" > "$tmp/$name.ready" 2>"$tmp/$name.err" &
	pids+=($!)
	while ! grep -q ready "$tmp/$name.ready" 2>/dev/null && [ $i -lt 200 ]; do sleep 0.1; i=$((i + 1)); done
	grep -q ready "$tmp/$name.ready" || { echo "fake gatherd did not start: $(cat "$tmp/$name.err")" >&2; exit 99; }
}
sock="$tmp/f.sock"
log="$tmp/f.log"
C() { timeout 30 "$gather" ctl --socket "$sock" "$@"; }
# last N: the Nth last request the fake got, as compact JSON
last() { tail -n "${1:-1}" "$log" | head -n 1; }
req_is() { # METHOD PATH: the last request
	local got
	got=$(last | jq -r '.method + " " + .path')
	[ "$got" = "$1 $2" ] || bad "request: got '$got', want '$1 $2'"
}
nreq() { wc -l < "$log"; }

start_fake f

# --- status: GET /v1/status; JSON into a pipe, a table with --table
out=$(C status 2>"$tmp/err"); rc=$?
[ $rc -eq 0 ] || bad "status: exit $rc: $(cat "$tmp/err")"
req_is GET /v1/status
[ "$(last | jq -r .body)" = "" ] || bad "status: a body was sent"
[ "$(printf '%s' "$out" | jq -r .version)" = 0.1.0 ] || bad "status: stdout '$out'"
out=$(C --table status); rc=$?
[ $rc -eq 0 ] || bad "status --table: exit $rc"
printf '%s\n' "$out" | grep -Eq '^jobs\.running +1$' || bad "status --table: '$out'"
printf '%s\n' "$out" | grep -Eq '^pages_per_s +12\.50$' || bad "status --table: '$out'"

# --- jobs [--state S]
out=$(C jobs --json); rc=$?
[ $rc -eq 0 ] || bad "jobs: exit $rc"
req_is GET /v1/jobs
[ "$(printf '%s' "$out" | jq -r '[.jobs[].id] | join(",")')" = "j1,j2" ] || bad "jobs: '$out'"
out=$(C jobs --state running --table); rc=$?
[ $rc -eq 0 ] || bad "jobs --state: exit $rc"
req_is GET "/v1/jobs?state=running"
[ "$(printf '%s\n' "$out" | wc -l)" -eq 2 ] || bad "jobs --state table: '$out'"
printf '%s\n' "$out" | head -n 1 | grep -Eq '^ID +NAME +KIND +STATE +PRIO +PAGES' || bad "jobs table head: '$out'"
printf '%s\n' "$out" | tail -n 1 | grep -Eq '^j1 +site +crawl +running +0 +120 +2 +40 +12\.50 ' || bad "jobs table row: '$out'"
n=$(nreq)
C jobs --state sleeping >/dev/null 2>"$tmp/err"; rc=$?
[ $rc -eq 2 ] || bad "jobs --state sleeping: exit $rc"
grep -q "expected queued, running, paused, done, failed or cancelled" "$tmp/err" || bad "bad state: $(cat "$tmp/err")"
[ "$(nreq)" -eq "$n" ] || bad "bad state: a request was sent"

# --- submit FILE...: each file's bytes as the body of one POST /v1/jobs
printf 'job "new" {\n  seeds = {"http://127.0.0.1:9/"}\n}\n' > "$tmp/good.conf"
printf 'job "a" {\n  colour = red\n  BAD\n  seeds = {"ftp://x/"}\n}\n' > "$tmp/bad.conf"
out=$(cd "$tmp" && C submit good.conf bad.conf 2>"$tmp/err"); rc=$?
[ $rc -eq 1 ] || bad "submit good+bad: exit $rc, want 1"
[ "$(last 2 | jq -r '.method + " " + .path')" = "POST /v1/jobs" ] || bad "submit: first request $(last 2)"
req_is POST /v1/jobs
[ "$(last 2 | jq -r .body)" = "$(cat "$tmp/good.conf")" ] || bad "submit: good.conf body differs"
[ "$(last | jq -r .body)" = "$(cat "$tmp/bad.conf")" ] || bad "submit: bad.conf body differs"
[ "$(last | jq -r '.headers["content-length"]')" = "$(wc -c < "$tmp/bad.conf")" ] || bad "submit: content-length"
[ "$(printf '%s' "$out" | jq -r '.jobs[0].id')" = j3 ] || bad "submit: stdout '$out'"
cat > "$tmp/want" <<'EOF2'
gather ctl: bad.conf: the job file has faults (HTTP 400)
bad.conf:2: unknown key 'colour' in job 'a'
bad.conf:4: bad seed URL 'ftp://x/'
EOF2
diff -u "$tmp/want" "$tmp/err" >&2 || bad "submit: stderr differs"
out=$(cd "$tmp" && C --table submit - < good.conf); rc=$?
[ $rc -eq 0 ] || bad "submit -: exit $rc"
[ "$(last | jq -r .body)" = "$(cat "$tmp/good.conf")" ] || bad "submit -: body differs"
printf '%s\n' "$out" | tail -n 1 | grep -Eq '^j3 +new +queued$' || bad "submit table: '$out'"
head -c 5000 /dev/zero | tr '\0' '#' > "$tmp/big.conf"
C submit "$tmp/big.conf" >/dev/null 2>"$tmp/err"; rc=$?
[ $rc -eq 1 ] || bad "submit 413: exit $rc"
grep -qx "gather ctl: $tmp/big.conf: request body over 4096 bytes (HTTP 413)" "$tmp/err" || bad "413: $(cat "$tmp/err")"
n=$(nreq)
C submit --max-job-size 1K "$tmp/big.conf" >/dev/null 2>"$tmp/err"; rc=$?
[ $rc -eq 2 ] || bad "submit over --max-job-size: exit $rc"
grep -q "larger than --max-job-size" "$tmp/err" || bad "--max-job-size: $(cat "$tmp/err")"
[ "$(nreq)" -eq "$n" ] || bad "--max-job-size: a request was sent"
C submit "$tmp/none.conf" >/dev/null 2>"$tmp/err"; rc=$?
[ $rc -eq 2 ] || bad "submit missing file: exit $rc"

# --- show ID: 200 and 404
out=$(C show j1); rc=$?
[ $rc -eq 0 ] || bad "show: exit $rc"
req_is GET /v1/jobs/j1
[ "$(printf '%s' "$out" | jq -r .stats.pages)" = 120 ] || bad "show: '$out'"
C show nope >/dev/null 2>"$tmp/err"; rc=$?
[ $rc -eq 1 ] || bad "show 404: exit $rc"
req_is GET /v1/jobs/nope
grep -qx "gather ctl: no job 'nope' (HTTP 404)" "$tmp/err" || bad "show 404: $(cat "$tmp/err")"

# --- pause / resume / cancel: POST with an empty body; 200 and 409
for v in pause cancel; do
	out=$(C $v j1); rc=$?
	[ $rc -eq 0 ] || bad "$v j1: exit $rc"
	req_is POST "/v1/jobs/j1/$v"
	[ "$(last | jq -r '.headers["content-length"] + "|" + .body')" = "0|" ] || bad "$v: $(last)"
	[ "$(printf '%s' "$out" | jq -r .id)" = j1 ] || bad "$v: '$out'"
done
C resume j2 >/dev/null 2>"$tmp/err"; rc=$?
[ $rc -eq 1 ] || bad "resume 409: exit $rc"
req_is POST /v1/jobs/j2/resume
grep -qx "gather ctl: job 'j2' is done: it cannot be running (HTTP 409)" "$tmp/err" || bad "409: $(cat "$tmp/err")"

# --- rm ID: DELETE; 204 and 409
out=$(C --table rm j2); rc=$?
[ $rc -eq 0 ] || bad "rm: exit $rc"
req_is DELETE /v1/jobs/j2
[ "$out" = "removed j2" ] || bad "rm: '$out'"
[ -z "$(C rm j2)" ] || bad "rm --json: printed something for a 204"
C rm j1 >/dev/null 2>"$tmp/err"; rc=$?
[ $rc -eq 1 ] || bad "rm 409: exit $rc"
grep -qx "gather ctl: job 'j1' is running: cancel it first (HTTP 409)" "$tmp/err" || bad "rm 409: $(cat "$tmp/err")"

# --- records ID [--follow]: JSON lines as they come
out=$(C records j1); rc=$?
[ $rc -eq 0 ] || bad "records: exit $rc"
req_is GET /v1/jobs/j1/records
[ "$(printf '%s\n' "$out" | jq -r .url | tr '\n' ' ')" = "http://a.example/0 http://a.example/1 http://a.example/2 " ] || bad "records: '$out'"
out=$(C --table records j1 --follow); rc=$?
[ $rc -eq 0 ] || bad "records --follow: exit $rc"
req_is GET "/v1/jobs/j1/records?follow=1"
[ "$(printf '%s\n' "$out" | wc -l)" -eq 3 ] || bad "records --follow: '$out'"
# lines come 0.2 s apart: each shown before the next is sent
C records j1 --follow | while read -r line; do date +%s.%N; done > "$tmp/times"
[ "$(wc -l < "$tmp/times")" -eq 3 ] || bad "records --follow: $(wc -l < "$tmp/times") lines"
awk 'NR==1{a=$1} END{exit !($1 - a > 0.3)}' "$tmp/times" || bad "records --follow: lines came all at once: $(cat "$tmp/times")"
C records nope >/dev/null 2>"$tmp/err"; rc=$?
[ $rc -eq 1 ] || bad "records 404: exit $rc"
grep -qx "gather ctl: no job 'nope' (HTTP 404)" "$tmp/err" || bad "records 404: $(cat "$tmp/err")"
# a given --timeout holds for a followed stream too (lines 0.2 s apart)
C --timeout 0.05 records j1 --follow >/dev/null 2>"$tmp/err"; rc=$?
[ $rc -eq 2 ] || bad "records --follow --timeout 0.05: exit $rc"
grep -q "no answer within 0.05 s (--timeout)" "$tmp/err" || bad "follow timeout: $(cat "$tmp/err")"

# --- events [--since N]; 410 when N is too old
out=$(C events --since 5); rc=$?
[ $rc -eq 0 ] || bad "events: exit $rc"
req_is GET "/v1/events?since=5"
[ "$(printf '%s\n' "$out" | jq -r .id | tr '\n' ' ')" = "6 7 " ] || bad "events: '$out'"
out=$(C --table events); rc=$?
req_is GET /v1/events
[ "$(printf '%s\n' "$out" | head -n 1)" = "id=6 job=j1 state=running" ] || bad "events table: '$out'"
out=$(C events --follow --since 5); rc=$?
req_is GET "/v1/events?since=5&follow=1"
[ $rc -eq 0 ] || bad "events --follow: exit $rc"
C show j1 --follow >/dev/null 2>&1; [ $? -eq 2 ] || bad "show --follow: not a usage error"
C events --since 0 >/dev/null 2>"$tmp/err"; rc=$?
[ $rc -eq 1 ] || bad "events 410: exit $rc"
grep -qx "gather ctl: event 0 is too old: the oldest kept is 5 (HTTP 410)" "$tmp/err" || bad "410: $(cat "$tmp/err")"
C events --since -1 >/dev/null 2>&1; [ $? -eq 2 ] || bad "events --since -1: not a usage error"

# --- schedules
out=$(C --table schedules); rc=$?
[ $rc -eq 0 ] || bad "schedules: exit $rc"
req_is GET /v1/schedules
printf '%s\n' "$out" | head -n 1 | grep -Eq '^NAME +SCHEDULE +TIMEZONE +OVERLAP +NEXT +LAST +OUTCOME$' || bad "schedules head: '$out'"
printf '%s\n' "$out" | tail -n 1 | grep -Eq '^nightly +30 2 \* \* \* +Europe/Berlin +skip +2026-12-03T01:30:00Z +2026-12-02T01:30:00Z +done$' || bad "schedules row: '$out'"

# --- usage errors: exit 2, nothing sent
n=$(nreq)
for args in "" "frobnicate" "show" "show a b" "pause ../x" "show a/b" "status extra" "show j1 --state running" \
	"jobs --follow" "status --bogus" "--json --table status" "--timeout 0 status" "--max-response x status"; do
	# shellcheck disable=SC2086
	C $args >/dev/null 2>"$tmp/err"; rc=$?
	[ $rc -eq 2 ] || bad "'ctl $args': exit $rc, want 2"
	[ -s "$tmp/err" ] || bad "'ctl $args': no message"
done
[ "$(nreq)" -eq "$n" ] || bad "usage errors sent requests"
"$gather" ctl --help | grep -q '^Usage: gather ctl' || bad "ctl --help"

# --- no daemon: nothing there, and a socket no one listens on
timeout 30 "$gather" ctl --socket "$tmp/nothing.sock" status >/dev/null 2>"$tmp/err"; rc=$?
[ $rc -eq 2 ] || bad "no socket: exit $rc"
grep -qx "gather ctl: no gatherd at $tmp/nothing.sock: No such file or directory" "$tmp/err" || bad "no socket: $(cat "$tmp/err")"
python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$tmp/dead.sock"
timeout 30 "$gather" ctl --socket "$tmp/dead.sock" status >/dev/null 2>"$tmp/err"; rc=$?
[ $rc -eq 2 ] || bad "dead socket: exit $rc"
grep -qx "gather ctl: no gatherd at $tmp/dead.sock: Connection refused" "$tmp/err" || bad "dead socket: $(cat "$tmp/err")"
# the defaults: $GATHER_SOCKET, else $RUNTIME_DIRECTORY, $XDG_RUNTIME_DIR (not root), /run/gather
GATHER_SOCKET=$sock timeout 30 "$gather" ctl jobs >/dev/null || bad "GATHER_SOCKET not used"
env -u GATHER_SOCKET RUNTIME_DIRECTORY="$tmp/rt" XDG_RUNTIME_DIR="$tmp/xdg" timeout 30 "$gather" ctl status >/dev/null 2>"$tmp/err"; rc=$?
if [ ! -S /run/gather/gatherd.sock ]; then
	[ $rc -eq 2 ] || bad "defaults: exit $rc"
	{
		echo "gather ctl: no gatherd at $tmp/rt/gatherd.sock: No such file or directory"
		[ "$(id -u)" -ne 0 ] && echo "gather ctl: no gatherd at $tmp/xdg/gather/gatherd.sock: No such file or directory"
		echo "gather ctl: no gatherd at /run/gather/gatherd.sock: No such file or directory"
	} > "$tmp/want"
	diff -u "$tmp/want" "$tmp/err" >&2 || bad "defaults: where it looked"
fi
mkdir -p "$tmp/rt"
ln -s "$sock" "$tmp/rt/gatherd.sock"
env -u GATHER_SOCKET RUNTIME_DIRECTORY="$tmp/rt" timeout 30 "$gather" ctl status >/dev/null || bad "RUNTIME_DIRECTORY not used"

# --- a daemon that says nothing: --timeout (default 30 s, not waited for here)
start_fake stall stall
t0=$(date +%s%N)
timeout 30 "$gather" ctl --socket "$tmp/stall.sock" --timeout 0.5 status >/dev/null 2>"$tmp/err"; rc=$?
t1=$(date +%s%N)
[ $rc -eq 2 ] || bad "stall: exit $rc"
grep -qx "gather ctl: $tmp/stall.sock: no answer within 0.5 s (--timeout)" "$tmp/err" || bad "stall: $(cat "$tmp/err")"
[ $(( (t1 - t0) / 1000000 )) -lt 5000 ] || bad "stall: took $(( (t1 - t0) / 1000000 )) ms"
[ $(( (t1 - t0) / 1000000 )) -ge 450 ] || bad "stall: gave up after $(( (t1 - t0) / 1000000 )) ms"

# --- a daemon that no longer accepts, its backlog full: connect() would
# block without limit; --timeout ends it
python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(0)
held = []
for _ in range(8):  # fill the backlog, whatever the kernel rounds 0 to
    c = socket.socket(socket.AF_UNIX); c.setblocking(False)
    try:
        c.connect(sys.argv[1]); held.append(c)
    except BlockingIOError:
        break
print("ready", flush=True)
time.sleep(60)' "$tmp/full.sock" > "$tmp/full.ready" &
pids+=($!)
i=0; while ! grep -q ready "$tmp/full.ready" 2>/dev/null && [ $i -lt 200 ]; do sleep 0.1; i=$((i + 1)); done
t0=$(date +%s%N)
timeout 30 "$gather" ctl --socket "$tmp/full.sock" --timeout 0.5 status >/dev/null 2>"$tmp/err"; rc=$?
t1=$(date +%s%N)
[ $rc -eq 2 ] || bad "backlog full: exit $rc"
grep -qx "gather ctl: no gatherd at $tmp/full.sock: Connection timed out" "$tmp/err" || bad "backlog full: $(cat "$tmp/err")"
[ $(( (t1 - t0) / 1000000 )) -lt 5000 ] || bad "backlog full: took $(( (t1 - t0) / 1000000 )) ms"

# --- an answer over --max-response (default 64M takes the 2 MiB one)
start_fake huge huge
timeout 30 "$gather" ctl --socket "$tmp/huge.sock" --max-response 1K status >/dev/null 2>"$tmp/err"; rc=$?
[ $rc -eq 2 ] || bad "huge: exit $rc"
grep -qx "gather ctl: $tmp/huge.sock: the answer is larger than 1024 bytes (--max-response)" "$tmp/err" || bad "huge: $(cat "$tmp/err")"
got=$(timeout 30 "$gather" ctl --socket "$tmp/huge.sock" status | jq -r '.pad | length')
[ "$got" = 2097152 ] || bad "huge with the default limit: got '$got'"

# --- not HTTP, and a 500 that is not JSON
start_fake garbage garbage
timeout 30 "$gather" ctl --socket "$tmp/garbage.sock" status >/dev/null 2>"$tmp/err"; rc=$?
[ $rc -eq 2 ] || bad "garbage: exit $rc"
grep -q "^gather ctl: $tmp/garbage.sock: bad answer: " "$tmp/err" || bad "garbage: $(cat "$tmp/err")"
start_fake t500 text500
timeout 30 "$gather" ctl --socket "$tmp/t500.sock" status >/dev/null 2>"$tmp/err"; rc=$?
[ $rc -eq 1 ] || bad "500: exit $rc"
grep -qx "gather ctl: HTTP 500: internal trouble" "$tmp/err" || bad "500: $(cat "$tmp/err")"

# --- a reader that goes away mid-stream: no error message, no hang
timeout 30 "$gather" ctl --socket "$sock" records j1 --follow 2>"$tmp/err" | head -n 1 >/dev/null
[ -s "$tmp/err" ] && bad "reader gone: $(cat "$tmp/err")"
exit $fail
