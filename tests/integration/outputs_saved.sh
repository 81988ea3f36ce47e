#!/bin/bash
# outputs_saved.sh — a record says where its body was saved (issue 15: "records
# may carry saved"): get -o FILE, get --output-dir DIR and crawl --mirror DIR
# give each saved body's record a "saved" key, the file's path as the user
# reads it (DIR as given, then the name), and the file there is the body;
# a record whose body was not saved (an error, a 404, a redirect, a robots
# refusal, no body output at all) has no such key.
# Server: python3 http.server on 127.0.0.1.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:-.}/tests/lib/cli_lib.sh"
need python3
need sha256sum

cd "$tmp" || exit 99
mkdir -p www/sub www/private
cat > www/index.html <<'EOF'
<html><head><title>home</title></head><body>
<a href="a.html">a</a> <a href="sub">sub, redirected to sub/</a>
<a href="missing.html">404</a> <a href="private/p.html">disallowed</a>
<a href="data.bin">binary</a>
</body></html>
EOF
echo '<html><head><title>a</title></head><body><a href="/">home</a></body></html>' > www/a.html
echo '<html><head><title>sub</title></head><body>sub</body></html>' > www/sub/index.html
echo '<title>p</title>' > www/private/p.html
head -c 5000 /dev/urandom > www/data.bin
printf 'User-agent: *\nDisallow: /private/\n' > www/robots.txt
start_pyserver pyport "$PWD/www"
p="http://127.0.0.1:$pyport"

# check_saved FILE WHAT: every 2xx record without an error has "saved", a
# file whose SHA-256 is the record's (crawl) or whose bytes are the served
# file's (get); every other record has no "saved"; prints the count
check_saved() {
	local f=$1 what=$2 n=0 line saved url sha
	while IFS= read -r line; do
		if jq -e '.status != null and .status >= 200 and .status < 300 and .error == null' \
			<<<"$line" >/dev/null; then
			saved=$(jq -r '.saved // empty' <<<"$line")
			url=$(jq -r .url <<<"$line")
			if [ -z "$saved" ]; then
				bad "$what: $url saved but its record has no saved: $line"
				continue
			fi
			[ -f "$saved" ] || { bad "$what: $url: saved $saved is no file"; continue; }
			sha=$(jq -r '.sha256 // empty' <<<"$line")
			if [ -n "$sha" ]; then
				[ "$(sha256sum < "$saved" | cut -d' ' -f1)" = "$sha" ] ||
					bad "$what: $url: $saved is not the body the record hashed"
			else
				cmp -s "$saved" "www${url#"$p"}" ||
					bad "$what: $url: $saved is not the served file"
			fi
			n=$((n + 1))
		else
			jq -e 'has("saved") | not' <<<"$line" >/dev/null ||
				bad "$what: a record without a saved body says saved: $line"
		fi
	done < "$f"
	nsaved=$n
}

# --- crawl --mirror ------------------------------------------------------------
timeout 30 "$gather" crawl --no-progress "$p/" --mirror m --jsonl c.jsonl 2>err.txt; rc=$?
[ $rc -eq 1 ] || bad "crawl: exit $rc, want 1 (one 404): $(cat err.txt)"
check_saved c.jsonl "crawl --mirror"
# home, a.html, sub/, data.bin; /sub is a 301, missing a 404, private refused
[ "$nsaved" = 4 ] || bad "crawl --mirror: $nsaved records with a saved body, want 4: $(cat c.jsonl)"
[ "$(jq -r 'select(.url == "'"$p"'/").saved' c.jsonl)" = "m/127.0.0.1:$pyport/index.html" ] ||
	bad "crawl --mirror: home saved as $(jq -r 'select(.url == "'"$p"'/").saved' c.jsonl)"
[ "$(jq -r .saved c.jsonl | grep -v null | sort -u | wc -l)" = 4 ] || bad "crawl --mirror: two records, one file"

# DIR as the user gave it: a trailing slash, an absolute path
timeout 30 "$gather" crawl --no-progress --depth 0 "$p/a.html" --mirror m2/ --jsonl c2.jsonl 2>err.txt ||
	bad "crawl --mirror m2/: $(cat err.txt)"
[ "$(jq -r .saved c2.jsonl)" = "m2/127.0.0.1:$pyport/a.html" ] || bad "crawl --mirror m2/: $(cat c2.jsonl)"
timeout 30 "$gather" crawl --no-progress --depth 0 "$p/a.html" --mirror "$tmp/m3" --jsonl c3.jsonl 2>err.txt ||
	bad "crawl --mirror $tmp/m3: $(cat err.txt)"
[ "$(jq -r .saved c3.jsonl)" = "$tmp/m3/127.0.0.1:$pyport/a.html" ] || bad "crawl --mirror abs: $(cat c3.jsonl)"

# without a body output, no record says saved
timeout 30 "$gather" crawl --no-progress "$p/" --jsonl c4.jsonl 2>err.txt
[ "$(jq -r 'has("saved")' c4.jsonl | sort -u)" = false ] || bad "crawl without --mirror: saved: $(cat c4.jsonl)"

# --- get --output-dir, get -o ------------------------------------------------------
timeout 30 "$gather" get --no-progress "$p/a.html" "$p/data.bin" "$p/missing.html" \
	--output-dir od >g.jsonl 2>err.txt; rc=$?
[ $rc -eq 1 ] || bad "get --output-dir: exit $rc, want 1 (a 404): $(cat err.txt)"
jsonl_check g.jsonl 3
check_saved g.jsonl "get --output-dir"
[ "$nsaved" = 2 ] || bad "get --output-dir: $nsaved saved, want 2: $(cat g.jsonl)"
jq -r '.saved // empty' g.jsonl | grep -qv '^od/' && bad "get --output-dir: a path outside od/: $(cat g.jsonl)"

timeout 30 "$gather" get --no-progress "$p/data.bin" -o one.bin >o.jsonl 2>err.txt ||
	bad "get -o: $(cat err.txt)"
[ "$(jq -r .saved o.jsonl)" = one.bin ] || bad "get -o one.bin: $(cat o.jsonl)"
cmp -s one.bin www/data.bin || bad "get -o one.bin: body differs"
# -o and --output-dir: the record names the file the user named
timeout 30 "$gather" get --no-progress "$p/a.html" -o two.html --output-dir od2 >o2.jsonl 2>err.txt ||
	bad "get -o --output-dir: $(cat err.txt)"
[ "$(jq -r .saved o2.jsonl)" = two.html ] || bad "get -o two.html --output-dir od2: $(cat o2.jsonl)"
# no body output: no saved key
timeout 30 "$gather" get --no-progress "$p/a.html" >n.jsonl 2>err.txt
[ "$(jq -r 'has("saved")' n.jsonl)" = false ] || bad "get without outputs: $(cat n.jsonl)"

exit $fail
