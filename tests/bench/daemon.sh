#!/bin/bash
# tests/bench/daemon.sh — what the service costs (issue 14).
#
# 1. Four crawls of the benchmark site (`gather bench --dump`, N pages,
#    served by a private nginx on 127.0.0.1:$PORT) submitted at once to
#    gatherd through the API (max-jobs 4, one pipeline), against the same
#    four run one after another by `gather crawl`: wall times and their
#    ratio (sequential / gatherd; goal >= 0.9: the service costs nothing).
# 2. GET /v1/jobs with 1,000 jobs kept: latency over 1,000 requests,
#    median and p99 (goal p99 < 10 ms).
# Not a test.  Usage (from the build tree): tests/bench/daemon.sh
#   env: N (pages, 5000), C (concurrency per job, 32), PORT (18091),
#   DAEMON_BENCH_PREFIX (/tmp/gather-daemonbench)
set -euo pipefail
top=${top_builddir:-$(pwd)}
N=${N:-5000}; C=${C:-32}; port=${PORT:-18091}
pre=${DAEMON_BENCH_PREFIX:-/tmp/gather-daemonbench}
seed=http://127.0.0.1:$port/
command -v nginx >/dev/null || PATH=$PATH:/usr/sbin
mkdir -p "$pre/logs" "$pre/run"
if [ ! -f "$pre/www.n" ] || [ "$(cat "$pre/www.n")" != "$N" ]; then
  rm -rf "$pre/www"
  "$top/gather" bench --pages "$N" --dump "$pre/www" --base "$seed" > /dev/null
  echo "$N" > "$pre/www.n"
fi
cat > "$pre/nginx.conf" <<NGX
worker_processes 1;
daemon on;
pid nginx.pid;
error_log error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_requests 100000;
    types { text/html html; }
    default_type text/html;
    server { listen 127.0.0.1:$port reuseport backlog=4096; root www; index index.html; }
}
NGX
[ -f "$pre/nginx.pid" ] && kill "$(cat "$pre/nginx.pid")" 2>/dev/null && sleep 0.3 || true
nginx -p "$pre" -c "$pre/nginx.conf"
gpid=""
cleanup() {
  [ -n "$gpid" ] && kill "$gpid" 2>/dev/null && wait "$gpid" 2>/dev/null
  kill "$(cat "$pre/nginx.pid")" 2>/dev/null || true
}
trap cleanup EXIT
for _ in $(seq 50); do curl -sf -o /dev/null "$seed" && break; sleep 0.1; done

opts="--no-robots --depth 100 -c $C --per-host $C"
# --- sequential gather crawl ------------------------------------------------
s=$(date +%s.%N)
for i in 1 2 3 4; do
  # shellcheck disable=SC2086
  "$top/gather" crawl $opts --jsonl "$pre/seq$i.jsonl" "$seed" 2> /dev/null || true
done
e=$(date +%s.%N)
seq_s=$(awk -v s="$s" -v e="$e" 'BEGIN{printf "%.2f", e-s}')
seq_pages=$(cat "$pre"/seq?.jsonl | wc -l)

# --- gatherd: four at once --------------------------------------------------
rm -rf "$pre/state"
printf 'max-jobs = 4\nkeep-jobs = 2000\nper-host = %s\nmax-connections = 256\n' "$C" > "$pre/gatherd.conf"
STATE_DIRECTORY=$pre/state RUNTIME_DIRECTORY=$pre/run "$top/gatherd" -c "$pre/gatherd.conf" 2> "$pre/gatherd.log" &
gpid=$!
sock=$pre/run/gatherd.sock
for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.05; done
job=$(printf 'job "site" {\n  seeds = {"%s"}\n  robots = false\n  depth = 100\n  concurrency = %s\n  per-host = %s\n}\n' "$seed" "$C" "$C")
python3 - "$sock" "$job" "$N" > "$pre/result" <<'PY'
import http.client, json, socket, sys, time
sock, job, n = sys.argv[1], sys.argv[2].encode(), int(sys.argv[3])
class U(http.client.HTTPConnection):
    def __init__(self): super().__init__("localhost", timeout=600)
    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX); self.sock.connect(sock)
def req(m, p, body=None):
    c = U(); c.request(m, p, body=body); r = c.getresponse(); d = r.read(); c.close(); return r.status, d
t0 = time.monotonic()
ids = [json.loads(req("POST", "/v1/jobs", job)[1])["jobs"][0]["id"] for _ in range(4)]
end = time.monotonic() + 600
while time.monotonic() < end:
    js = [json.loads(req("GET", "/v1/jobs/" + i)[1]) for i in ids]
    if all(j["state"] in ("done", "failed", "cancelled") for j in js):
        break
    time.sleep(0.05)
wall = time.monotonic() - t0
pages = sum(j["stats"]["pages"] for j in js)
print("daemon_s %.2f" % wall)
print("daemon_pages %d" % pages)
print("daemon_states %s" % ",".join(j["state"] for j in js))
# 1,000 jobs kept: small ones (one page each), then GET /v1/jobs x 1000
one = job.replace(b"depth = 100", b"max-pages = 1")
for _ in range(996):
    req("POST", "/v1/jobs", one)
while time.monotonic() < end:
    s, d = req("GET", "/v1/jobs?state=queued"); q = len(json.loads(d)["jobs"])
    s, d = req("GET", "/v1/jobs?state=running"); r = len(json.loads(d)["jobs"])
    if q + r == 0:
        break
    time.sleep(0.2)
c = U(); c.connect()
lat = []
for _ in range(1000):
    t = time.perf_counter()
    c.request("GET", "/v1/jobs"); r = c.getresponse(); d = r.read()
    lat.append((time.perf_counter() - t) * 1000)
njobs = len(json.loads(d)["jobs"])
lat.sort()
print("list_jobs %d" % njobs)
print("list_bytes %d" % len(d))
print("list_p50_ms %.2f" % lat[499])
print("list_p99_ms %.2f" % lat[989])
PY
kill "$gpid"; wait "$gpid" || true; gpid=""
cat "$pre/result"
d_s=$(awk '$1 == "daemon_s" {print $2}' "$pre/result")
echo "== 4 crawls of $N pages (concurrency $C each), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "  gather crawl x4, one after another: $seq_s s, $seq_pages records"
echo "  gatherd, 4 jobs at once:            $d_s s, $(awk '$1 == "daemon_pages" {print $2}' "$pre/result") records"
echo "  ratio (sequential / gatherd): $(awk -v a="$seq_s" -v b="$d_s" 'BEGIN{printf "%.2f", a/b}') (goal >= 0.9)"
echo "== GET /v1/jobs with $(awk '$1 == "list_jobs" {print $2}' "$pre/result") jobs kept ($(awk '$1 == "list_bytes" {print $2}' "$pre/result") bytes): p50 $(awk '$1 == "list_p50_ms" {print $2}' "$pre/result") ms, p99 $(awk '$1 == "list_p99_ms" {print $2}' "$pre/result") ms (goal p99 < 10 ms)"
