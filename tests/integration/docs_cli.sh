#!/bin/sh
# docs_cli.sh — gather(1) and --help describe the same options: every option
# that `gather get --help` or `gather crawl --help` lists is in gather.1, and
# every option gather.1 lists is accepted by --help of get, crawl, bench or
# state;
# the BENCH section of gather.1 and `gather bench --help` list the same
# options.  Same for gatherd(8) and `gatherd --help`.
set -u
: "${top_srcdir:=.}" "${top_builddir:=.}"
fail=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
{ "$top_builddir/gather" get --help; "$top_builddir/gather" crawl --help;
  "$top_builddir/gather" bench --help; "$top_builddir/gather" state --help;
  "$top_builddir/gather" ctl --help; } |
	grep -o -- '--[a-z][a-z0-9-]*' | sort -u > "$tmp/help"
grep -o '\\fB\\-\\-[a-z][a-z0-9\\-]*\\fR' "$top_srcdir/cmd/gather/gather.1.in" |
	sed 's/\\fB//; s/\\fR//; s/\\-/-/g' | sort -u > "$tmp/man"
# --no-X forms stand next to X in the man page and in the help text.
grep -v -- '^--no-' "$tmp/man" > "$tmp/man1"
n=$(wc -l < "$tmp/help")
[ "$n" -ge 30 ] || { echo "FAIL: --help lists only $n options" >&2; fail=1; }
for o in $(cat "$tmp/help"); do
	case $o in --no-*) continue;; esac
	grep -qx -- "$o" "$tmp/man1" || { echo "FAIL: $o is in --help but not in gather.1" >&2; fail=1; }
done
for o in $(cat "$tmp/man1"); do
	grep -qx -- "$o" "$tmp/help" || { echo "FAIL: $o is in gather.1 but not in --help" >&2; fail=1; }
done
# gather bench: its own options, in the BENCH section
"$top_builddir/gather" bench --help | grep -o -- '--[a-z][a-z0-9-]*' | sort -u > "$tmp/bhelp"
sed -n '/^\.SH BENCH/,/^\.SH /p' "$top_srcdir/cmd/gather/gather.1.in" |
	grep -o '\\fB\\-\\-[a-z][a-z0-9\\-]*\\fR' | sed 's/\\fB//; s/\\fR//; s/\\-/-/g' |
	{ cat; echo --help; } | sort -u > "$tmp/bman"
[ "$(wc -l < "$tmp/bhelp")" -ge 10 ] || { echo "FAIL: gather bench --help lists too few options" >&2; fail=1; }
diff "$tmp/bhelp" "$tmp/bman" > "$tmp/bdiff" ||
	{ echo "FAIL: gather bench --help (<) and gather.1's BENCH (>) differ:" >&2; cat "$tmp/bdiff" >&2; fail=1; }
# gather ctl: its options and verbs' options, in the CTL section
"$top_builddir/gather" ctl --help | grep -o -- '--[a-z][a-z0-9-]*' | sort -u > "$tmp/chelp"
sed -n '/^\.SH CTL/,/^\.SH /p' "$top_srcdir/cmd/gather/gather.1.in" |
	grep -o '\\fB\\-\\-[a-z][a-z0-9\\-]*\\fR' | sed 's/\\fB//; s/\\fR//; s/\\-/-/g' | sort -u > "$tmp/cman"
[ "$(wc -l < "$tmp/chelp")" -ge 8 ] || { echo "FAIL: gather ctl --help lists too few options" >&2; fail=1; }
diff "$tmp/chelp" "$tmp/cman" > "$tmp/cdiff" ||
	{ echo "FAIL: gather ctl --help (<) and gather.1's CTL (>) differ:" >&2; cat "$tmp/cdiff" >&2; fail=1; }
for v in status jobs submit show pause resume cancel rm records events schedules; do
	sed -n '/^\.SH CTL/,/^\.SH /p' "$top_srcdir/cmd/gather/gather.1.in" | grep -q "fB$v\\|^\.BI\? $v" ||
		{ echo "FAIL: gather ctl $v is not in gather.1's CTL" >&2; fail=1; }
	"$top_builddir/gather" ctl --help | grep -q "^  $v\|| $v " ||
		{ echo "FAIL: gather ctl $v is not in gather ctl --help" >&2; fail=1; }
done
# gatherd
"$top_builddir/gatherd" --help | grep -o -- '--[a-z][a-z0-9-]*' | sort -u > "$tmp/dhelp"
for o in $(cat "$tmp/dhelp"); do
	r=$(printf '%s' "$o" | sed 's/-/\\\\-/g')
	grep -q -- "$r" "$top_srcdir/cmd/gatherd/gatherd.8.in" || { echo "FAIL: gatherd $o not in gatherd.8" >&2; fail=1; }
done
"$top_builddir/gather" --version | grep -q "^gather [0-9]" || { echo "FAIL: gather --version" >&2; fail=1; }
"$top_builddir/gatherd" --version | grep -q "^gatherd [0-9]" || { echo "FAIL: gatherd --version" >&2; fail=1; }
exit $fail
