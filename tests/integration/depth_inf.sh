#!/bin/bash
# depth_inf.sh — issue 12: --depth inf (and depth = "inf" in job files) means
# no depth limit; a number past the largest says "too large", negative and
# non-numeric values keep their error.  A chain site of 40 pages (each links
# only the next) is crawled whole with inf, and cut at N with --depth N.
source "${top_srcdir:-.}/tests/lib/cli_lib.sh"
source "${top_srcdir:-.}/tests/lib/pyserve.sh"
mkdir -p "$tmp/www"
for i in $(seq 0 39); do
	printf '<html><body><a href="p%d.html">next</a></body></html>\n' $((i + 1)) > "$tmp/www/p$i.html"
done
pyserve "$tmp/www" "$tmp"
pids+=("$srv")

crawl() { # EXPECTED_RECORDS DEPTH_ARG...
	local want=$1
	shift
	timeout 60 "$gather" crawl --no-robots "$@" --jsonl "$tmp/c.jsonl" "$base/p0.html" 2>"$tmp/c.err"
	local got deepest
	got=$(jq -s 'map(select(.status == 200)) | length' "$tmp/c.jsonl")
	deepest=$(jq -s 'map(.depth) | max' "$tmp/c.jsonl")
	[ "$got" = "$want" ] || bad "crawl $*: $got pages fetched, want $want ($(head -c 300 "$tmp/c.err"))"
	[ "$deepest" = "$((want - 1))" ] || [ "$want" = 40 ] || bad "crawl $*: deepest record $deepest"
}
# 40 pages (p0..p39) and one 404 record for p40
crawl 40 --depth inf
crawl 40 --depth 4294967294
crawl 11 --depth 10
[ "$(jq -s 'map(select(.status == 404)) | length' "$tmp/c.jsonl")" = 0 ] || bad "--depth 10 went past 10"
crawl 40 --depth inf
[ "$(jq -s 'map(.depth) | max' "$tmp/c.jsonl")" = 40 ] || bad "--depth inf: the 404 at depth 40 is missing"

# errors: exit 2, one clear message
for v in -1 abc 1.5 ""; do
	out=$("$gather" crawl --depth "$v" "$base/p0.html" 2>&1 >/dev/null); rc=$?
	[ $rc = 2 ] || bad "--depth '$v': exit $rc, want 2"
	case $out in *"expected a whole number or inf"*) ;; *) bad "--depth '$v': $out";; esac
done
for v in 4294967295 99999999999999999999999; do
	out=$("$gather" crawl --depth "$v" "$base/p0.html" 2>&1 >/dev/null); rc=$?
	[ $rc = 2 ] || bad "--depth '$v': exit $rc, want 2"
	case $out in *"too large (at most 4294967294, or inf)"*) ;; *) bad "--depth '$v': $out";; esac
done
# other whole-number options say "too large" too, without "or inf"
out=$("$gather" get -c 4294967296 "$base/p0.html" 2>&1 >/dev/null)
case $out in *"too large (at most 4294967295)") ;; *) bad "-c 4294967296: $out";; esac

# job files: depth = "inf" and depth = inf
for v in '"inf"' inf; do
	printf 'job "j" {\n  seeds = {"%s/p0.html"}\n  mode = crawl\n  robots = false\n  depth = %s\n  jsonl = "%s/j.jsonl"\n}\n' \
		"$base" "$v" "$tmp" > "$tmp/j.conf"
	"$gather" check "$tmp/j.conf" >/dev/null 2>&1 || bad "depth = $v: gather check failed"
	rm -f "$tmp/j.jsonl"
	timeout 60 "$gather" run "$tmp/j.conf" >/dev/null 2>"$tmp/j.err"
	n=$(jq -s 'map(select(.status == 200)) | length' "$tmp/j.jsonl" 2>/dev/null)
	[ "$n" = 40 ] || bad "job depth = $v: $n pages, want 40 ($(head -c 300 "$tmp/j.err"))"
done
printf 'job "j" {\n  seeds = {"%s/p0.html"}\n  mode = crawl\n  depth = "-3"\n}\n' "$base" > "$tmp/k.conf"
out=$("$gather" check "$tmp/k.conf" 2>&1); rc=$?
[ $rc = 2 ] || bad "depth = \"-3\": exit $rc"
case $out in *"k.conf:4: invalid value '-3' for depth: expected a whole number or inf"*) ;; *) bad "depth = -3: $out";; esac
exit $fail
