# cli_lib.sh — shared pieces of the cli_*.sh script tests (sourced, bash).
# Sets gather, server, tmp; bad() records a failure; start_server runs
# tests/lib/testserver on 127.0.0.1 until this shell exits; jsonl_check validates
# every line of a JSON-lines file and the fields of a `gather get` record.
: "${top_builddir:=.}"
: "${top_srcdir:=.}"
gather="$(cd "$top_builddir" && pwd)/gather"
server="$(cd "$top_builddir" && pwd)/tests/lib/testserver"
fail=0
pids=()
tmp=$(mktemp -d "/tmp/${0##*/}.XXXXXX") || exit 99
cleanup() {
	local p rc=$?
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	# a sanitizer build: any report in a captured stderr fails the test
	if grep -rlqs -e 'ERROR: AddressSanitizer' -e 'ERROR: LeakSanitizer' -e 'runtime error:' \
		-e 'WARNING: ThreadSanitizer' "$tmp"; then
		echo "FAIL: sanitizer report in $(grep -rls -e 'Sanitizer' -e 'runtime error:' "$tmp" | head -n 3)" >&2
		grep -rhs -A5 -e 'Sanitizer' -e 'runtime error:' "$tmp" | head -n 20 >&2
		rc=1
	fi
	rm -rf "$tmp"
	exit $rc
}
trap cleanup EXIT
bad() { echo "FAIL: $*" >&2; fail=1; }
need() { command -v "$1" >/dev/null 2>&1 || { echo "$1 is not installed: skipped" >&2; exit 77; }; }
need jq
need timeout

# start_server VAR [testserver args...]: a test server whose stdin is a fifo
# this shell keeps open (it exits when we do); its port goes into VAR.
nserv=0
start_server() {
	local var=$1 i=0 f
	shift
	nserv=$((nserv + 1))
	f="$tmp/srv$nserv"
	mkfifo "$f.in" || exit 99
	eval "exec {fd$nserv}<>\"$f.in\""
	"$server" --port-file "$f.port" "$@" <"$f.in" >/dev/null 2>"$f.err" &
	pids+=($!)
	while [ ! -s "$f.port" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	[ -s "$f.port" ] || { echo "test server did not start: $(cat "$f.err")" >&2; exit 99; }
	printf -v "$var" '%s' "$(cat "$f.port")"
}

# jsonl_check FILE N: exactly N lines, each a JSON object with every field
# of a get record, error null or one of the closed set.
errcodes='["bad_url","dns","connect","tls","timeout","too_many_redirects","too_large","bad_response","decode","robots","scope","cancelled","io","nomem","limit"]'
jsonl_check() {
	local f=$1 n=$2 got
	got=$(wc -l < "$f")
	[ "$got" -eq "$n" ] || bad "$f: $got lines, want $n"
	jq -e --argjson codes "$errcodes" '
		(.url|type) == "string" and
		(.final_url == null or (.final_url|type) == "string") and
		(.status == null or (.status|type) == "number") and
		(.error == null or (.error as $e | $codes | index($e) != null)) and
		(.message == null or (.message|type) == "string") and
		(.error == null or (.message|type) == "string") and
		(.bytes|type) == "number" and
		(.content_type == null or (.content_type|type) == "string") and
		(.redirects|type) == "number" and (.attempts|type) == "number" and
		(.time_ms|type) == "number"' "$f" >/dev/null 2>"$tmp/jq.err" ||
		bad "$f: a line is not a complete get record: $(head -c 300 "$tmp/jq.err")"
	# jq -e checks only the last value: count the good ones too
	got=$(jq -c --argjson codes "$errcodes" 'select((.url|type) == "string" and (.bytes|type) == "number" and (.error == null or (.error as $e | $codes | index($e) != null)))' "$f" 2>/dev/null | wc -l)
	[ "$got" -eq "$n" ] || bad "$f: $got good records, want $n"
}

# field FILE URL JQEXPR: the value of JQEXPR in the record for URL
field() { jq -r --arg u "$2" "select(.url == \$u) | $3" "$1"; }

# start_pyserver VAR ROOT: python3's http.server serving ROOT on 127.0.0.1
# at a port it picks (into VAR; its log in ROOT/../py.out); exit 99 when it
# does not start within 5 s.  Killed when this shell exits.
start_pyserver() {
	local var=$1 root=$2 i=0 log
	log="$(dirname "$root")/py.out"
	( cd "$root" && exec python3 -u -m http.server --bind 127.0.0.1 0 >"$log" 2>&1 ) &
	pids+=($!)
	while ! grep -q 'port [0-9]' "$log" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	printf -v "$var" '%s' "$(sed -n 's/.* port \([0-9]*\).*/\1/p' "$log" | head -n 1)"
	[ -n "${!var}" ] || { echo "python3 http.server did not start" >&2; exit 99; }
}

# start_nginx VAR ROOT [EXTRA]: nginx (skipped when absent: exit 77) serving
# ROOT on 127.0.0.1 at a free port (into VAR), private prefix $tmp/ngx,
# access log $tmp/ngx/logs/access.log ("host uri" lines); EXTRA goes into
# the server block.  Killed when this shell exits.
start_nginx() {
	local var=$1 root=$2 extra=${3:-} nginx try i nport ngpid started=""
	nginx=$(command -v nginx || { [ -x /usr/sbin/nginx ] && echo /usr/sbin/nginx; })
	[ -n "$nginx" ] || { echo "nginx is not installed: skipped" >&2; exit 77; }
	mkdir -p "$tmp/ngx/logs" "$tmp/ngx/tmp"
	for try in 1 2 3 4 5; do
		nport=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
		cat > "$tmp/ngx/nginx.conf" <<EOF
daemon off;
master_process off;
worker_processes 1;
pid $tmp/ngx/nginx.pid;
error_log $tmp/ngx/logs/error.log;
events { worker_connections 512; }
http {
	types { text/html html; text/plain txt; }
	default_type application/octet-stream;
	client_body_temp_path $tmp/ngx/tmp;
	proxy_temp_path $tmp/ngx/tmp;
	fastcgi_temp_path $tmp/ngx/tmp;
	uwsgi_temp_path $tmp/ngx/tmp;
	scgi_temp_path $tmp/ngx/tmp;
	log_format hu '\$http_host \$request_uri';
	access_log $tmp/ngx/logs/access.log hu;
	server {
		listen 127.0.0.1:$nport;
		root $root;
		index index.html;
		$extra
	}
}
EOF
		"$nginx" -p "$tmp/ngx" -c "$tmp/ngx/nginx.conf" 2>"$tmp/ngx/start.err" &
		ngpid=$!
		pids+=($ngpid)
		i=0
		while ! (exec 3<>"/dev/tcp/127.0.0.1/$nport") 2>/dev/null && [ $i -lt 30 ]; do
			kill -0 $ngpid 2>/dev/null || break
			sleep 0.1; i=$((i + 1))
		done
		if kill -0 $ngpid 2>/dev/null; then started=1; break; fi
	done
	[ -n "$started" ] || { echo "nginx did not start: $(cat "$tmp/ngx/start.err")" >&2; exit 99; }
	printf -v "$var" '%s' "$nport"
}
