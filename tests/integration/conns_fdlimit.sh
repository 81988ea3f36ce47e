#!/bin/bash
# conns_fdlimit.sh — issue 16 item 4: with `ulimit -n 256` and -c 1000, 758
# of 1,000 fetches failed with "Too many open files".  Now the soft limit is
# raised to the hard one at start, concurrency is capped to what the
# descriptors allow (said once on stderr), and a fetch whose socket() still
# fails with EMFILE waits for a descriptor instead of failing.
#  1. ulimit -n 256 (soft and hard), -c 1000: every fetch succeeds, one
#     message says the concurrency was lowered;
#  2. the same with 150 descriptors inherited open, which the cap does not
#     know of: sockets run out, fetches wait, and every one succeeds;
#  3. soft 256 under a higher hard limit: raised, nothing capped, no message.
source "${top_srcdir:-.}/tests/lib/cli_lib.sh"
start_server port
N=1000
seq 1 "$N" | awk -v p="$port" '{print "http://127.0.0.1:" p "/slow/300?i=" $1}' > "$tmp/urls"

check() { # NAME OUT ERR
	local ok
	ok=$(grep -c '"status":200' "$2")
	[ "$ok" = "$N" ] || bad "$1: $ok of $N fetches answered 200 ($(grep -v '"status":200' "$2" | head -n 2))"
	! grep -q "Too many open files" "$2" "$3" || bad "$1: Too many open files"
}

( ulimit -n 256 && exec timeout 120 "$gather" get -c 1000 -i "$tmp/urls" --jsonl "$tmp/a.jsonl" ) 2>"$tmp/a.err"
check "ulimit -n 256, -c 1000" "$tmp/a.jsonl" "$tmp/a.err"
[ "$(grep -c 'concurrency 1000 lowered to 224: the descriptor limit (ulimit -n) is 256' "$tmp/a.err")" = 1 ] ||
	bad "ulimit -n 256: want one line on the lowered concurrency, got: $(head -c 300 "$tmp/a.err")"

(
	ulimit -n 256 || exit 99
	for i in $(seq 150); do exec {fd}</dev/null; done
	exec timeout 120 "$gather" get -c 1000 --connect-timeout 30 -i "$tmp/urls" --jsonl "$tmp/b.jsonl"
) 2>"$tmp/b.err"
check "ulimit -n 256, 150 descriptors taken" "$tmp/b.jsonl" "$tmp/b.err"

hard=$(ulimit -Hn)
if [ "$hard" = unlimited ] || [ "$hard" -ge 1300 ]; then
	( ulimit -Sn 256 && exec timeout 120 "$gather" get -c 1000 -i "$tmp/urls" --jsonl "$tmp/c.jsonl" ) 2>"$tmp/c.err"
	check "soft 256, hard $hard" "$tmp/c.jsonl" "$tmp/c.err"
	! grep -q "lowered" "$tmp/c.err" || bad "soft 256, hard $hard: the soft limit was not raised: $(cat "$tmp/c.err")"
else
	echo "hard descriptor limit $hard: the raise to the hard limit is not checked" >&2
fi
exit $fail
