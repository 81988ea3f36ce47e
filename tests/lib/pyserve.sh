# pyserve.sh — sourced by script tests: serve a directory over HTTP on
# 127.0.0.1 with Python's http.server, on a free port, for at most 120 s.
#   pyserve DIR TMPDIR   sets $srv (pid) and $base (http://127.0.0.1:PORT);
#                        exits 99 when the server does not start.
# The caller kills $srv in its EXIT trap.
pyserve() {
	python3 - "$1" > "$2/pyserve.port" 2>/dev/null <<'PY' &
import functools, http.server, sys, threading
h = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[1])
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), h)
print(s.server_address[1], flush=True)
threading.Timer(120, s.shutdown).start()  # never outlives the test
s.serve_forever()
PY
	srv=$!
	_i=0
	while [ ! -s "$2/pyserve.port" ] && [ $_i -lt 50 ]; do sleep 0.1; _i=$((_i + 1)); done
	[ -s "$2/pyserve.port" ] || { echo "test HTTP server did not start" >&2; exit 99; }
	base="http://127.0.0.1:$(cat "$2/pyserve.port")"
}

# exit_site: in the current directory, site/: 4 pages and a robots.txt that
# disallows a fifth (private/p.html), served by pyserve (sets $base, adds
# the server to pids) — the site of cli_exit.sh and cli_exit_limits.sh.
# Also st WANT WHAT CMD...: run gather CMD... (30 s at most) into out.jsonl
# and err.txt, and fail the test (bad) unless it exits WANT.
exit_site() {
	mkdir site site/private
	printf 'User-agent: *\nDisallow: /private/\n' > site/robots.txt
	printf '<html><title>i</title><a href="a.html">a</a> <a href="b.html">b</a> <a href="private/p.html">p</a></html>\n' > site/index.html
	printf '<html><title>a</title><a href="c.html">c</a></html>\n' > site/a.html
	printf '<html><title>b</title></html>\n' > site/b.html
	printf '<html><title>c</title></html>\n' > site/c.html
	printf '<html><title>p</title></html>\n' > site/private/p.html
	pyserve site "$tmp"
	pids+=("$srv")
}
st() {
	local want=$1 what=$2
	shift 2
	timeout 30 "$gather" "$@" >out.jsonl 2>err.txt; rc=$?
	[ $rc -eq "$want" ] || bad "$what: exit $rc, want $want: $(head -c 300 err.txt)"
}
