#!/bin/bash
# state_kill.sh — the crash-safe crawl state (--state DIR) against a
# generated site of 3,000 pages (tests/lib/stateside.py) on nginx: a crawl
# killed with SIGKILL at random instants, tens of times, and run again with
# the same command each time, ends with outputs that hold every page exactly
# once, at the depths of an uninterrupted crawl (a BFS computed here): the
# JSON lines whole, the WARC's records whole with their digests right and one
# response per fetched page, the mirror holding every page.  The same with
# SIGTERM (exit 143, then resumed), there with most of the queue on disk
# (--queue-window 50).  Bounded: at most 60 runs per part.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:-.}/tests/lib/cli_lib.sh"
need python3
side="$top_srcdir/tests/lib/stateside.py"

python3 "$side" gen "$tmp/www" 3000 7 || exit 99
start_nginx port "$tmp/www" 'location /r/ { rewrite ^/r/(\d+)$ /p/$1.html permanent; }'
B="http://127.0.0.1:$port"
python3 "$side" expect "$tmp/www" "$B" 8 > "$tmp/exp" || exit 99
# pages with a body: each one response in the WARC, one file in the mirror
nfetch=$(wc -l < "$tmp/exp")

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# killed NAME SIGNAL [OPTION...]: crawl with --state until a run ends by
# itself; each run but the last gets SIGNAL after a random time between 1/40
# and 1/6 of what the whole crawl takes uninterrupted on this machine (timed
# first, into other files), so the crawl is cut many times on a fast machine
# and under a sanitizer alike.
killed() {
	local name=$1 sig=$2 runs=0 kills=0 rc=0 pid t0 total lo hi
	shift 2
	local args=(crawl --depth 8 -c 8 --state "$tmp/$name.state" --jsonl "$tmp/$name.jsonl"
		--warc "$tmp/$name.warc.gz" --warc-max-size 400K --mirror "$tmp/$name.mirror" "$@" "$B/p/0.html")
	t0=$(now_ms)
	"$gather" crawl --depth 8 -c 8 --state "$tmp/$name.timed" --jsonl "$tmp/$name.timed.jsonl" \
		--warc "$tmp/$name.timed.warc.gz" --warc-max-size 400K --mirror "$tmp/$name.timed.mirror" \
		"$@" "$B/p/0.html" 2>/dev/null
	rc=$?
	[ $rc -le 1 ] || { bad "$name: the uninterrupted crawl exit $rc"; return; }
	total=$(($(now_ms) - t0))
	lo=$((total / 40)); hi=$((total / 6))
	[ $lo -ge 5 ] || lo=5
	[ $hi -gt $lo ] || hi=$((lo + 1))
	rm -rf "$tmp/$name".timed*
	while [ $runs -lt 60 ]; do
		runs=$((runs + 1))
		"$gather" "${args[@]}" 2>>"$tmp/$name.err" &
		pid=$!
		if [ $kills -lt 25 ]; then
			sleep "$(awk -v ms=$((lo + RANDOM % (hi - lo))) 'BEGIN { printf "%.3f", ms / 1000 }')"
			kill -"$sig" $pid 2>/dev/null && kills=$((kills + 1))
		fi
		{ wait $pid; } 2>/dev/null
		rc=$?
		case $rc in
		137|143) [ $kills -gt 0 ] || { bad "$name: run $runs died of a signal nobody sent ($rc)"; return; } ;;
		0|1) break ;;   # 1: the missing pages (404) are failures
		*) bad "$name: run $runs exit $rc: $(tail -n 3 "$tmp/$name.err")"; return ;;
		esac
	done
	echo "$name: $kills signals, $runs runs (kills after $lo-$hi ms; uninterrupted $total ms)" >&2
	[ $kills -ge 3 ] || bad "$name: only $kills kills landed: the crawl was too quick to test"
	python3 "$side" check "$tmp/$name.jsonl" "$tmp/exp" >&2 || bad "$name: the JSON lines (above)"
	responses=$(jq -s '[.[] | select(.status != null and .status > 0)] | length' "$tmp/$name.jsonl")
	# and robots.txt, which every run fetches again and the WARC keeps (a
	# request and a response record each, no JSON line)
	robots=$(gzip -dc "$tmp/$name".warc.gz "$tmp/$name"-*.warc.gz 2>/dev/null |
		grep -ac "^WARC-Target-URI: $B/robots.txt")
	responses=$((responses + robots / 2))
	python3 "$top_srcdir/tests/lib/warc_check.py" --expect-responses "$responses" \
		"$tmp/$name".warc.gz "$tmp/$name"-*.warc.gz > "$tmp/$name.wc" 2>&1 || bad "$name: WARC: $(tail -n 3 "$tmp/$name.wc")"
	ok=$(jq -r 'select(.status == 200) | .url' "$tmp/$name.jsonl" | sed "s|^$B||" | sort)
	have=$(cd "$tmp/$name.mirror/127.0.0.1:$port" 2>/dev/null && find . -type f | sed 's|^\.||' | sort)
	missing=$(comm -23 <(echo "$ok") <(echo "$have") | head -n 3)
	[ -z "$missing" ] || bad "$name: not in the mirror: $missing"
	# run again: finished, nothing fetched, outputs unchanged
	local before after
	before=$(cat "$tmp/$name.jsonl" "$tmp/$name".warc.gz "$tmp/$name"-*.warc.gz | cksum)
	: > "$tmp/ngx/logs/access.log"
	"$gather" "${args[@]}" 2>"$tmp/$name.again"
	grep -q 'finished already' "$tmp/$name.again" || bad "$name: a finished crawl run again: $(cat "$tmp/$name.again")"
	after=$(cat "$tmp/$name.jsonl" "$tmp/$name".warc.gz "$tmp/$name"-*.warc.gz | cksum)
	[ "$before" = "$after" ] || bad "$name: a finished crawl run again changed its outputs"
	[ ! -s "$tmp/ngx/logs/access.log" ] || bad "$name: a finished crawl run again fetched $(wc -l < "$tmp/ngx/logs/access.log") URLs"
}

killed k9 KILL
# with a window of 50 queued URLs in memory: the rest of the queue on disk
killed term TERM --queue-window 50
exit $fail
