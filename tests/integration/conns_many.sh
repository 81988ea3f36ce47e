#!/bin/bash
# conns_many.sh — issue 12: `gather get -c N` holds N connections open at
# once, N > 4,096 (the engine admitted at most 4,096 fetches per loop turn
# and never came back for the rest until some finished).  N fetches of
# /slow/MS; the test server, in its own process, counts the connections open
# at once (/stats); all N must have been open together.  Needs N + ~200
# descriptors in each process: the soft limit is raised to the hard one,
# and the test is skipped (77) when the hard limit is lower.
source "${top_srcdir:-.}/tests/lib/cli_lib.sh"
need curl
N=${CONNS_MANY_N:-5000}
MS=${CONNS_MANY_MS:-8000}
hard=$(ulimit -Hn)
if [ "$hard" != unlimited ] && [ "$hard" -lt $((N + 256)) ]; then
	echo "hard descriptor limit $hard < $((N + 256)): cannot hold $N connections; skipped" >&2
	exit 77
fi
ulimit -n "$hard" || { echo "cannot raise the soft descriptor limit to $hard; skipped" >&2; exit 77; }
start_server port
seq 1 "$N" | awk -v p="$port" -v ms="$MS" '{print "http://127.0.0.1:" p "/slow/" ms "?i=" $1}' > "$tmp/urls"
s=$(date +%s%N)
timeout 120 "$gather" get -c "$N" --connect-timeout 60 --idle-timeout 60 -i "$tmp/urls" \
	--jsonl "$tmp/out.jsonl" 2>"$tmp/err"
rc=$?
e=$(date +%s%N)
[ $rc = 0 ] || bad "gather get -c $N exited $rc: $(head -c 300 "$tmp/err")"
ok=$(grep -c '"status":200' "$tmp/out.jsonl")
[ "$ok" = "$N" ] || bad "$ok of $N fetches answered 200"
stats=$(curl -sf "http://127.0.0.1:$port/stats")
peak=$(echo "$stats" | awk '{print $6}')
[ -n "$peak" ] && [ "$peak" -ge "$N" ] || bad "at most $peak connections open at once, want $N ($stats)"
ms=$(( (e - s) / 1000000 ))
echo "$N fetches of /slow/$MS: $ms ms; server: $stats"
exit $fail
