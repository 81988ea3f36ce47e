#!/bin/sh
# exports.sh — the built libgather.so exports exactly the installed API:
# every dynamic symbol it defines starts with gather_ and is declared in
# include/gather/, and every function declared there is exported
# (lib/gather.sym lists them).
: "${top_srcdir:=.}" "${top_builddir:=.}"
so=$(ls "$top_builddir"/lib/.libs/libgather.so.[0-9]* 2>/dev/null | head -1)
[ -n "$so" ] || { echo "FAIL: no lib/.libs/libgather.so.N built" >&2; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
nm -D --defined-only "$so" | awk '$2 ~ /^[TDBR]$/ {print $3}' | sed 's/@.*//' | sort -u > "$tmp/exported"
grep -ho 'gather_[a-z0-9_]*[[(]' "$top_srcdir"/include/gather/*.h | tr -d '[(' | sort -u > "$tmp/declared"
fail=0
n=$(wc -l < "$tmp/exported")
[ "$n" -ge 20 ] || { echo "FAIL: only $n symbols exported" >&2; fail=1; }
if grep -v '^gather_' "$tmp/exported" > "$tmp/bad"; then
	echo "FAIL: exported without the gather_ prefix:" >&2; cat "$tmp/bad" >&2; fail=1
fi
comm -23 "$tmp/exported" "$tmp/declared" > "$tmp/extra"
if [ -s "$tmp/extra" ]; then
	echo "FAIL: exported but not in include/gather/:" >&2; cat "$tmp/extra" >&2; fail=1
fi
comm -13 "$tmp/exported" "$tmp/declared" > "$tmp/missing"
if [ -s "$tmp/missing" ]; then
	echo "FAIL: declared in include/gather/ but not exported (lib/gather.sym):" >&2
	cat "$tmp/missing" >&2; fail=1
fi
[ $fail -eq 0 ] && echo "exports: $n symbols, all gather_ and all in include/gather/"
exit $fail
