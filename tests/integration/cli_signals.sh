#!/bin/bash
# cli_signals.sh — `gather get` under SIGINT/SIGTERM (in-flight fetches end
# as cancelled, every record flushed whole, exit 130/143; a second signal leaves at
# once), the progress line (off when stderr is not a terminal, on with
# --progress or on a terminal), and bounded memory on long URL lists read
# from a file and from a pipe.  Server: tests/lib/testserver on 127.0.0.1.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:-.}/tests/lib/cli_lib.sh"

start_server port
b="http://127.0.0.1:$port"
now_ms() { echo $(($(date +%s%N) / 1000000)); }
# wait_lines FILE N: until FILE has N lines (at most 10 s)
# reap PID: wait for it at most 20 s (then SIGKILL); its exit status in rc
reap() { local i=0; while kill -0 "$1" 2>/dev/null && [ $i -lt 200 ]; do sleep 0.1; i=$((i + 1)); done
	kill -KILL "$1" 2>/dev/null; wait "$1"; rc=$?; }
wait_lines() { local i=0; while [ "$(cat "$1" 2>/dev/null | wc -l)" -lt "$2" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done; }

# --- 1. SIGINT / SIGTERM with fetches in flight ------------------------------
for i in $(seq 1 5); do echo "$b/bytes/10?fast=$i"; done > "$tmp/slow.txt"
for i in $(seq 1 200); do echo "$b/slow/8000?i=$i"; done >> "$tmp/slow.txt"
for sig in INT TERM; do
	"$gather" get -c 10 -i "$tmp/slow.txt" --jsonl "$tmp/s.jsonl" 2>"$tmp/s.err" &
	gp=$!
	wait_lines "$tmp/s.jsonl" 5
	sleep 0.3 # the next 10 are in flight now
	t0=$(now_ms)
	kill -$sig $gp
	reap $gp
	t=$(($(now_ms) - t0))
	want=130; [ $sig = TERM ] && want=143
	[ $rc -eq $want ] || bad "SIG$sig: exit $rc, want $want"
	[ $t -lt 3000 ] || bad "SIG$sig: took $t ms to stop"
	jsonl_check "$tmp/s.jsonl" 15
	[ "$(jq -r 'select(.url|test("fast")) | .status' "$tmp/s.jsonl" | sort -u)" = 200 ] || bad "SIG$sig: fast ones not 200"
	[ "$(jq -r 'select(.url|test("slow")) | .error' "$tmp/s.jsonl" | sort | uniq -c | sed 's/^ *//')" = "10 cancelled" ] ||
		bad "SIG$sig: in-flight fetches not all cancelled: $(jq -c '[.url,.error]' "$tmp/s.jsonl")"
	[ "$(tail -c 1 "$tmp/s.jsonl" | od -An -c | tr -d ' ')" = '\n' ] || bad "SIG$sig: last line not complete"
	rm -f "$tmp/s.jsonl"
done

# records to stdout through a pipe: flushed too
mkfifo "$tmp/pipe"
cat "$tmp/pipe" >"$tmp/p.jsonl" &
cp=$!
"$gather" get -c 10 -i "$tmp/slow.txt" >"$tmp/pipe" 2>/dev/null &
gp=$!
wait_lines "$tmp/p.jsonl" 5
sleep 0.3
kill -INT $gp
reap $gp
wait $cp
[ $rc -eq 130 ] || bad "SIGINT, stdout a pipe: exit $rc, want 130"
jsonl_check "$tmp/p.jsonl" 15

# gather crawl: the same stop (crawl's default --per-host is 4)
for i in $(seq 1 50); do echo "$b/slow/8000?crawl=$i"; done > "$tmp/seeds.txt"
"$gather" crawl --no-robots -i "$tmp/seeds.txt" >"$tmp/c.jsonl" 2>"$tmp/c.err" &
gp=$!
sleep 1
t0=$(now_ms)
kill -TERM $gp
reap $gp
t=$(($(now_ms) - t0))
[ $rc -eq 143 ] || bad "crawl SIGTERM: exit $rc, want 143: $(cat "$tmp/c.err")"
[ $t -lt 3000 ] || bad "crawl SIGTERM: took $t ms"
[ "$(jq -r .error "$tmp/c.jsonl" | sort | uniq -c | sed 's/^ *//')" = "4 cancelled" ] || bad "crawl SIGTERM: records $(jq -c '[.url,.error]' "$tmp/c.jsonl")"

# a pipe that stays open: URLs are fetched as they come, SIGINT ends the wait
mkfifo "$tmp/feed"
exec {feed}<>"$tmp/feed"
"$gather" get -i - <"$tmp/feed" >"$tmp/f.jsonl" 2>"$tmp/f.err" &
gp=$!
echo "$b/status/200?fed=1" >&$feed
wait_lines "$tmp/f.jsonl" 1
[ "$(jq -r .status "$tmp/f.jsonl")" = 200 ] || bad "streamed input: no record before the pipe closed"
echo "$b/slow/8000?fed=2" >&$feed
sleep 0.5
kill -INT $gp
t0=$(now_ms)
reap $gp
[ $(($(now_ms) - t0)) -lt 3000 ] || bad "streamed input: SIGINT did not end the run"
[ $rc -eq 130 ] || bad "streamed input: exit $rc, want 130"
[ "$(jq -r .error "$tmp/f.jsonl" | tr '\n' ' ')" = "null cancelled " ] || bad "streamed input: $(cat "$tmp/f.jsonl")"
exec {feed}>&-

# a second signal leaves at once: the output is a fifo nobody reads, so the
# first stop cannot finish writing
mkfifo "$tmp/stuck"
exec {hold}<>"$tmp/stuck"
for i in $(seq 1 3000); do echo "$b/bytes/2000?i=$i"; done > "$tmp/many.txt"
# two_signals PID WHAT WAIT: SIGINT after WAIT s, which must leave PID
# running (blocked on the fifo), then a second that must end it at once
# with 130
two_signals() {
	sleep "$3"
	kill -INT "$1"
	sleep 0.5
	kill -0 "$1" 2>/dev/null || bad "$2: the first signal ended a blocked run (test broken): $(cat "$tmp/two.err")"
	local t0; t0=$(now_ms)
	kill -INT "$1"
	reap "$1"
	t=$(($(now_ms) - t0))
	[ $rc -eq 130 ] || bad "$2, second signal: exit $rc, want 130"
	[ $t -lt 1000 ] || bad "$2, second signal: took $t ms"
}
"$gather" get -c 20 -i "$tmp/many.txt" >"$tmp/stuck" 2>"$tmp/two.err" &
two_signals $! "get in flight" 1

# the same once every fetch is over and only the output is left to drain
# (the reactor's loop has ended; the job is in the background, so its
# inherited SIGINT disposition is "ignore"): the first signal lets the drain
# go on, the second leaves at once.  For get and for run.
for i in $(seq 1 300); do echo "$b/bytes/2000?drain=$i"; done > "$tmp/drain.txt"
printf 'job "drain" {\n  mode = "get"\n  urls-file = "%s"\n  output { jsonl = "%s" }\n}\n' \
	"$tmp/drain.txt" "$tmp/stuck" > "$tmp/drain.conf"
for how in get run; do
	if [ $how = get ]; then "$gather" get -c 20 -i "$tmp/drain.txt" >"$tmp/stuck" 2>"$tmp/two.err" &
	else "$gather" run "$tmp/drain.conf" >/dev/null 2>"$tmp/two.err" & fi
	# 300 local fetches are long over after 2 s; 75 kB of records fill the fifo
	two_signals $! "$how drain" 2
done
exec {hold}<&-

# --- 2. progress line -----------------------------------------------------------
timeout 30 "$gather" get "$b/slow/600" "$b/bytes/10" >/dev/null 2>"$tmp/pr1"
[ -s "$tmp/pr1" ] && bad "progress written when stderr is not a terminal: $(od -c "$tmp/pr1" | head -n 3)"
timeout 30 "$gather" get --progress "$b/slow/600" "$b/bytes/10" >/dev/null 2>"$tmp/pr2"
grep -q "1 in flight" "$tmp/pr2" || bad "--progress: no in-flight progress line: $(od -c "$tmp/pr2" | head -n 3)"
grep -q "2 done, 0 in flight" "$tmp/pr2" || bad "--progress: no final line"
if command -v script >/dev/null 2>&1; then
	timeout 30 script -qfec "$gather get --jsonl $tmp/tty.jsonl $b/slow/600 $b/status/404" /dev/null >"$tmp/pr3" 2>&1
	grep -q "in flight" "$tmp/pr3" || bad "terminal: no progress line: $(od -c "$tmp/pr3" | head -n 3)"
	grep -q "2 done, 0 in flight.*1 errors" "$tmp/pr3" || bad "terminal: final progress line wrong: $(tr '\r' '\n' < "$tmp/pr3" | tail -n 2)"
	jsonl_check "$tmp/tty.jsonl" 2
	timeout 30 script -qfec "$gather get --no-progress --jsonl /dev/null $b/slow/600" /dev/null >"$tmp/pr4" 2>&1
	grep -q "in flight" "$tmp/pr4" && bad "terminal: --no-progress still shows the line"
	# records to the terminal itself: no progress line cutting them (as curl)
	timeout 30 script -qfec "$gather get $b/slow/600" /dev/null >"$tmp/pr5" 2>&1
	grep -q "in flight" "$tmp/pr5" && bad "terminal: progress line drawn over records on the same terminal"
	grep -q '"status":200' "$tmp/pr5" || bad "terminal: no record on stdout: $(od -c "$tmp/pr5" | head -n 3)"
	timeout 30 script -qfec "$gather get --progress $b/slow/600" /dev/null >"$tmp/pr6" 2>&1
	grep -q "in flight" "$tmp/pr6" || bad "terminal: --progress did not force the line"
else
	echo "script(1) missing: terminal progress not checked" >&2
fi

# --- 3. bounded memory on long lists ------------------------------------------------
N=100000
LIMIT_KB=65536
T=40
# a sanitizer build keeps shadow memory and quarantines frees: a looser
# bound, and more time before the hang guard (timeout) calls it stuck
if ldd "$gather" 2>/dev/null | grep -q 'libasan\|libtsan'; then LIMIT_KB=1048576; T=150; fi
if [ -x /usr/bin/time ]; then
	awk -v b="$b" -v n=$N 'BEGIN { for (i = 1; i <= n; i++) print b "/bytes/0?i=" i }' > "$tmp/big.txt"
	/usr/bin/time -f %M -o "$tmp/rss1" timeout $T "$gather" get -c 64 -i "$tmp/big.txt" >"$tmp/big1" 2>"$tmp/big1.err"
	rc=$?
	[ $rc -eq 0 ] || bad "long list from a file: exit $rc: $(head -c 300 "$tmp/big1.err")"
	[ "$(wc -l < "$tmp/big1")" -eq $N ] || bad "long list from a file: $(wc -l < "$tmp/big1") records"
	[ "$(jq -r .url "$tmp/big1" | sort -u | wc -l)" -eq $N ] || bad "long list from a file: URLs not all distinct"
	[ "$(tail -n 1 "$tmp/rss1")" -lt $LIMIT_KB ] || bad "long list from a file: peak RSS $(tail -n 1 "$tmp/rss1") kB"
	cat "$tmp/big.txt" | /usr/bin/time -f %M -o "$tmp/rss2" timeout $T "$gather" get -c 64 -i - >"$tmp/big2" 2>"$tmp/big2.err"
	rc=$?
	[ $rc -eq 0 ] || bad "long list from a pipe: exit $rc: $(head -c 300 "$tmp/big2.err")"
	[ "$(wc -l < "$tmp/big2")" -eq $N ] || bad "long list from a pipe: $(wc -l < "$tmp/big2") records"
	[ "$(jq -r 'select(.status == 200) | .url' "$tmp/big2" | sort -u | wc -l)" -eq $N ] || bad "long list from a pipe: not all 200 and distinct"
	[ "$(tail -n 1 "$tmp/rss2")" -lt $LIMIT_KB ] || bad "long list from a pipe: peak RSS $(tail -n 1 "$tmp/rss2") kB"
else
	echo "/usr/bin/time missing: memory bound not checked" >&2
fi

exit $fail
