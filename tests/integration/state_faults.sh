#!/bin/bash
# state_faults.sh — the crawl state (--state DIR) refuses what would harm it,
# each with one clear error naming the file or the option, exit 2, and what
# was committed stays good (the crawl resumes to the exact result after):
#   a DIR made with other options or seeds; a DIR in use by a running crawl
#   (the lock); an output cut since the last commit; a database that is not
#   ours; a damaged database; a read-only DIR; a full disk (a small tmpfs,
#   remounted bigger to resume; mounts skipped where refused).  Also: `gather state` in text and JSON, a
#   bad seed line written once across a resume, --state as a job-file key.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:-.}/tests/lib/cli_lib.sh"
need python3
side="$top_srcdir/tests/lib/stateside.py"
python3 "$side" gen "$tmp/www" 600 11 || exit 99
start_nginx port "$tmp/www" 'location /r/ { rewrite ^/r/(\d+)$ /p/$1.html permanent; }'
B="http://127.0.0.1:$port"
python3 "$side" expect "$tmp/www" "$B" 5 > "$tmp/exp" || exit 99

# stopped NAME ARGS...: a crawl stopped by SIGTERM once its JSON lines
# hold something (--delay keeps it slow; at most 10 s: sanitizer builds are
# slow to start), for the faults below to meet a half-done state
stopped() {
	local name=$1 i=0; shift
	"$gather" crawl --depth 5 --delay 0.005 -c 4 "$@" "$B/p/0.html" 2>"$tmp/$name.err" &
	local pid=$!
	sleep 0.3
	while [ "$(stat -c %s "$tmp/$name.jsonl" 2>/dev/null || echo 0)" -lt 2000 ] && [ $i -lt 100 ]; do
		sleep 0.1; i=$((i + 1))
	done
	kill -TERM $pid
	{ wait $pid; } 2>/dev/null
	local rc=$?
	[ $rc -eq 143 ] || bad "$name: the stopped crawl exit $rc, want 143: $(cat "$tmp/$name.err")"
}
finish() { # NAME ARGS...: resume to the end; the result exact
	local name=$1; shift
	"$gather" crawl --depth 5 --delay 0.005 -c 4 "$@" "$B/p/0.html" 2>"$tmp/$name.err2"
	local rc=$?
	[ $rc -le 1 ] || bad "$name: resume exit $rc: $(cat "$tmp/$name.err2")"
	grep -q 'resuming the crawl' "$tmp/$name.err2" || bad "$name: no resume line: $(cat "$tmp/$name.err2")"
	python3 "$side" check "$tmp/$name.jsonl" "$tmp/exp" >/dev/null 2>"$tmp/$name.chk" ||
		bad "$name: after the resume: $(head -n 5 "$tmp/$name.chk")"
}

# --- other options, other seeds ------------------------------------------------------
A=(--state "$tmp/o.st" --jsonl "$tmp/o.jsonl")
stopped o "${A[@]}"
"$gather" crawl --depth 4 --delay 0.005 "${A[@]}" "$B/p/0.html" 2>"$tmp/o.e1"
rc=$?
[ $rc -eq 2 ] || bad "other --depth: exit $rc, want 2"
grep -q 'other depth (5), not 4' "$tmp/o.e1" || bad "other --depth: message $(cat "$tmp/o.e1")"
"$gather" crawl --depth 5 --delay 0.005 "${A[@]}" "$B/p/1.html" 2>"$tmp/o.e2"
rc=$?
[ $rc -eq 2 ] && grep -q 'other seeds' "$tmp/o.e2" || bad "other seeds: exit $rc, $(cat "$tmp/o.e2")"
"$gather" crawl --depth 5 --delay 0.005 --no-robots "${A[@]}" "$B/p/0.html" 2>"$tmp/o.e3"
rc=$?
[ $rc -eq 2 ] && grep -q 'other robots' "$tmp/o.e3" || bad "--no-robots: exit $rc, $(cat "$tmp/o.e3")"
"$gather" crawl --depth 5 --delay 0.005 --state "$tmp/o.st" --jsonl "$tmp/o2.jsonl" "$B/p/0.html" 2>"$tmp/o.e4"
rc=$?
[ $rc -eq 2 ] && grep -q 'other jsonl' "$tmp/o.e4" || bad "another --jsonl: exit $rc, $(cat "$tmp/o.e4")"
finish o "${A[@]}"

# --- gather state ---------------------------------------------------------------------
"$gather" state "$tmp/o.st" > "$tmp/st.txt" || bad "gather state: exit $?"
grep -q '^crawl: *finished' "$tmp/st.txt" || bad "gather state: $(cat "$tmp/st.txt")"
"$gather" state --json "$tmp/o.st" > "$tmp/st.json" || bad "gather state --json: exit $?"
n=$(wc -l < "$tmp/exp")
jq -e --argjson n "$n" '.finished == true and .counters.done == $n and .pages == $n and
	.options.depth == "5" and (.outputs | map(.name) == ["jsonl"]) and
	(.outputs[0].offset > 0) and .running_pid == 0 and (.committed | test("^20"))' "$tmp/st.json" >/dev/null ||
	bad "gather state --json: $(cat "$tmp/st.json")"
[ "$(jq '.outputs[0].offset' "$tmp/st.json")" -eq "$(stat -c %s "$tmp/o.jsonl")" ] ||
	bad "gather state: the jsonl offset is not the file's size"
"$gather" state "$tmp/nowhere" 2>"$tmp/st.e"; rc=$?
[ $rc -eq 2 ] && grep -q "gather state: $tmp/nowhere: No such file" "$tmp/st.e" || bad "gather state of nothing: exit $rc, $(cat "$tmp/st.e")"

# --- the lock -------------------------------------------------------------------------
L=(--state "$tmp/l.st" --jsonl "$tmp/l.jsonl")
"$gather" crawl --depth 5 --delay 0.02 -c 2 "${L[@]}" "$B/p/0.html" 2>/dev/null &
lpid=$!
i=0; while [ ! -s "$tmp/l.st/lock" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
"$gather" crawl --depth 5 --delay 0.02 "${L[@]}" "$B/p/0.html" 2>"$tmp/l.e"
rc=$?
[ $rc -eq 2 ] && grep -q "in use by another crawl (pid $lpid)" "$tmp/l.e" || bad "a locked DIR: exit $rc, $(cat "$tmp/l.e")"
"$gather" state --json "$tmp/l.st" | jq -e --argjson p "$lpid" '.running_pid == $p' >/dev/null ||
	bad "gather state of a running crawl: not its pid"
kill -TERM $lpid; { wait $lpid; } 2>/dev/null
finish l "${L[@]}"

# --- an output cut since the last commit ------------------------------------------------
C=(--state "$tmp/c.st" --jsonl "$tmp/c.jsonl")
stopped c "${C[@]}"
size=$(stat -c %s "$tmp/c.jsonl")
if [ "$size" -gt 10 ]; then
	truncate -s $((size / 2)) "$tmp/c.jsonl"
	"$gather" crawl --depth 5 --delay 0.005 "${C[@]}" "$B/p/0.html" 2>"$tmp/c.e"
	rc=$?
	[ $rc -eq 2 ] && grep -q "c.jsonl: .* bytes, but the crawl state committed .*: the file was cut" "$tmp/c.e" ||
		bad "a cut output: exit $rc, $(cat "$tmp/c.e")"
else
	bad "the stopped crawl wrote nothing ($size bytes)"
fi

# --- not a state -------------------------------------------------------------------------
mkdir -p "$tmp/x.st"; head -c 5000 /dev/urandom > "$tmp/x.st/state.db"
"$gather" crawl --depth 5 --state "$tmp/x.st" --jsonl "$tmp/x.jsonl" "$B/p/0.html" 2>"$tmp/x.e"
rc=$?
[ $rc -eq 2 ] && grep -q "x.st/state.db" "$tmp/x.e" || bad "a foreign state.db: exit $rc, $(cat "$tmp/x.e")"
[ ! -s "$tmp/x.jsonl" ] || bad "a foreign state.db: the crawl ran"

# --- a damaged state, a read-only DIR: refused, the outputs untouched -------------------
D=(--state "$tmp/d.st" --jsonl "$tmp/d.jsonl")
stopped d "${D[@]}"
before=$(cksum < "$tmp/d.jsonl")
cp "$tmp/d.st/state.db" "$tmp/d.good"
# pages 2 and 3: the tables' roots, made first
python3 -c 'import os, sys; f = open(sys.argv[1], "r+b"); f.seek(4096); f.write(os.urandom(8192))' "$tmp/d.st/state.db"
"$gather" crawl --depth 5 --delay 0.005 "${D[@]}" "$B/p/0.html" 2>"$tmp/d.e"
rc=$?
[ $rc -eq 2 ] && grep -q "d.st/state.db: .*malformed" "$tmp/d.e" || bad "a damaged state.db: exit $rc, $(cat "$tmp/d.e")"
[ "$(cksum < "$tmp/d.jsonl")" = "$before" ] || bad "a damaged state.db: the JSON lines changed"
cp "$tmp/d.good" "$tmp/d.st/state.db"
if mount --bind "$tmp/d.st" "$tmp/d.st" 2>/dev/null; then
	if mount -o remount,ro,bind "$tmp/d.st" 2>/dev/null; then
		"$gather" crawl --depth 5 --delay 0.005 "${D[@]}" "$B/p/0.html" 2>"$tmp/d.e2"
		rc=$?
		[ $rc -eq 2 ] && grep -q "d.st/.*Read-only file system" "$tmp/d.e2" ||
			bad "a read-only DIR: exit $rc, $(cat "$tmp/d.e2")"
		[ "$(cksum < "$tmp/d.jsonl")" = "$before" ] || bad "a read-only DIR: the JSON lines changed"
	else
		echo "cannot remount read-only here: the read-only part is skipped" >&2
	fi
	umount "$tmp/d.st"
else
	echo "cannot bind-mount here: the read-only part is skipped" >&2
fi
finish d "${D[@]}"

# --- a bad seed line once, and the job-file key ----------------------------------------------
printf '%s\nnot a url\n' "$B/p/0.html" > "$tmp/seeds.txt"
cat > "$tmp/job.conf" <<EOF
job "j" {
	mode = "crawl"
	input = { "$tmp/seeds.txt" }
	depth = 5
	delay = 0.005
	concurrency = 4
	state = "$tmp/j.st"
	jsonl = "$tmp/j.jsonl"
}
EOF
"$gather" run "$tmp/job.conf" 2>"$tmp/j.e" &
jpid=$!
i=0
while [ "$(stat -c %s "$tmp/j.jsonl" 2>/dev/null || echo 0)" -lt 2000 ] && [ $i -lt 100 ]; do
	sleep 0.1; i=$((i + 1))
done
kill -TERM $jpid; { wait $jpid; } 2>/dev/null
rc=$?
[ $rc -eq 143 ] || bad "job with state stopped: exit $rc: $(cat "$tmp/j.e")"
"$gather" run "$tmp/job.conf" 2>"$tmp/j.e2"
rc=$?
[ $rc -le 1 ] || bad "job with state: exit $rc: $(cat "$tmp/j.e2")"
nb=$(grep -c '"error":"bad_url"' "$tmp/j.jsonl")
[ "$nb" -eq 1 ] || bad "the bad seed line: $nb records, want 1"
grep -v '"error":"bad_url"' "$tmp/j.jsonl" > "$tmp/j2.jsonl"
python3 "$side" check "$tmp/j2.jsonl" "$tmp/exp" >/dev/null 2>"$tmp/j.chk" || bad "job with state: $(head -n 3 "$tmp/j.chk")"

# --- a full disk ---------------------------------------------------------------------------
mkdir -p "$tmp/full"
if mount -t tmpfs -o size=400k tmpfs "$tmp/full" 2>/dev/null; then
	F=(--state "$tmp/full/st" --jsonl "$tmp/full/f.jsonl" --warc "$tmp/full/f.warc")
	"$gather" crawl --depth 5 "${F[@]}" "$B/p/0.html" 2>"$tmp/f.e"
	rc=$?
	[ $rc -eq 2 ] || bad "a full disk: exit $rc, want 2: $(tail -n 3 "$tmp/f.e")"
	grep -q 'No space left on device' "$tmp/f.e" || bad "a full disk: message $(cat "$tmp/f.e")"
	mount -o remount,size=20m "$tmp/full" || bad "remount"
	"$gather" crawl --depth 5 "${F[@]}" "$B/p/0.html" 2>"$tmp/f.e2"
	rc=$?
	[ $rc -le 1 ] || bad "after a full disk: resume exit $rc: $(cat "$tmp/f.e2")"
	python3 "$side" check "$tmp/full/f.jsonl" "$tmp/exp" >/dev/null 2>"$tmp/f.chk" ||
		bad "after a full disk: $(head -n 5 "$tmp/f.chk")"
	python3 "$top_srcdir/tests/lib/warc_check.py" "$tmp/full/f.warc" >/dev/null 2>"$tmp/f.wc" ||
		bad "after a full disk: WARC $(cat "$tmp/f.wc")"
	umount "$tmp/full"
else
	echo "cannot mount a tmpfs here: the full-disk part is skipped" >&2
fi
exit $fail
