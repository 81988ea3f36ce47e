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
