#!/usr/bin/env python3
"""gatherd_test.py — gatherd end to end: real processes, real sockets.

Starts ./gatherd with its own NOTIFY_SOCKET (a datagram socket read here),
WATCHDOG_USEC, state directory and control socket, and a site served by
python3's http.server on 127.0.0.1; then checks the systemd notifications in
order, every row of the control API with its error codes and limits, a crawl
finishing, kill -9 mid-crawl and a restart finishing the job, SIGTERM (exit 0
within 10 s, the job paused and resumed at the next start), confinement,
the TCP listener's 401, the watchdog stopping while one of two workers hangs
(the GATHERD_TEST_HANG_WORKER hook), socket activation (fd 3 passed as
systemd does), keep-jobs pruning, the log's priority prefixes, and --check;
then gatherd_more.py: the spool, schedules, and `gather ctl` end to end.
Every wait is bounded.  Usage: gatherd_test.py BUILDDIR
Exit 0 all passed, 1 a failure (each printed as FAIL: ...), 99 setup error.
"""
import http.client
import http.server
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gatherd_more  # noqa: E402  (the spool, schedules and ctl parts)

BUILD = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".")
GATHERD = os.path.join(BUILD, "gatherd")
failures = []
procs = []


def bad(msg):
    print("FAIL: " + msg, file=sys.stderr, flush=True)
    failures.append(msg)


def check(cond, msg):
    if not cond:
        bad(msg)
    return cond


def wait_for(fn, timeout=10.0, step=0.05):
    """fn() until it is truthy or timeout seconds pass; its last value."""
    end = time.monotonic() + timeout
    while True:
        v = fn()
        if v or time.monotonic() >= end:
            return v
        time.sleep(step)


# --- the site: N pages, each linking the next two and back to the first ----
class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a):
        pass


def serve_site(root, n):
    os.makedirs(root, exist_ok=True)
    for i in range(n):
        links = "".join('<a href="p%d.html">p%d</a>' % (k, k) for k in (i + 1, i + 2, 0) if k < n)
        with open(os.path.join(root, "p%d.html" % i), "w") as f:
            f.write("<html><head><title>page %d</title></head><body>%s</body></html>\n" % (i, links))

    def handler(*a, **kw):
        return Quiet(*a, directory=root, **kw)
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv, "http://127.0.0.1:%d" % srv.server_address[1]


# --- HTTP over the Unix socket ----------------------------------------------
class UnixConn(http.client.HTTPConnection):
    def __init__(self, path, timeout=10):
        super().__init__("localhost", timeout=timeout)
        self.path = path

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(self.timeout)
        s.connect(self.path)
        self.sock = s


class Daemon:
    """One gatherd with its own notify socket, state and control socket."""

    def __init__(self, tmp, name, conf="", env=None, watchdog_usec=None, journal=False):
        self.dir = os.path.join(tmp, name)
        os.makedirs(self.dir, exist_ok=True)
        self.state = os.path.join(self.dir, "state")
        self.sock = os.path.join(self.dir, "run", "gatherd.sock")
        self.conf = os.path.join(self.dir, "gatherd.conf")
        with open(self.conf, "w") as f:
            f.write(conf)
        self.notify_path = os.path.join(self.dir, "notify")
        self.env = dict(os.environ)
        for k in ("LISTEN_FDS", "LISTEN_PID", "JOURNAL_STREAM", "WATCHDOG_PID", "WATCHDOG_USEC"):
            self.env.pop(k, None)
        # CONFIGURATION_DIRECTORY: job-dir's default, here an empty place
        # (never the schedules of whoever runs the tests)
        self.env.update({"STATE_DIRECTORY": self.state, "RUNTIME_DIRECTORY": os.path.dirname(self.sock),
                         "NOTIFY_SOCKET": self.notify_path,
                         "CONFIGURATION_DIRECTORY": os.path.join(self.dir, "etc")})
        if watchdog_usec:
            self.env["WATCHDOG_USEC"] = str(watchdog_usec)
        self.env.update(env or {})
        self.journal = journal
        self.msgs = []      # (monotonic time, datagram text)
        self.lock = threading.Lock()
        self.proc = None
        self.nsock = None

    def _read_notify(self, s):
        while True:
            try:
                data = s.recv(4096)
            except OSError:
                return
            with self.lock:
                self.msgs.append((time.monotonic(), data.decode()))

    def start(self, wait_ready=True):
        os.makedirs(os.path.dirname(self.sock), exist_ok=True)
        if self.nsock is None:
            if os.path.exists(self.notify_path):
                os.unlink(self.notify_path)
            self.nsock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            self.nsock.bind(self.notify_path)
            threading.Thread(target=self._read_notify, args=(self.nsock,), daemon=True).start()
        with self.lock:
            self.msgs = []
        self.errpath = os.path.join(self.dir, "stderr.%d" % time.monotonic_ns())
        self.err = open(self.errpath, "w")
        env = dict(self.env)
        if self.journal:
            st = os.fstat(self.err.fileno())
            env["JOURNAL_STREAM"] = "%d:%d" % (st.st_dev, st.st_ino)
        self.proc = subprocess.Popen([GATHERD, "-c", self.conf], env=env, stdout=subprocess.DEVNULL,
                                     stderr=self.err, preexec_fn=getattr(self, "preexec", None))
        procs.append(self.proc)
        if wait_ready and not wait_for(lambda: self.seen("READY=1") or self.proc.poll() is not None, 15):
            raise SystemExit("gatherd did not say READY=1: " + self.log())
        if self.proc.poll() is not None:
            raise SystemExit("gatherd exited %d: %s" % (self.proc.returncode, self.log()))

    def seen(self, text, after=0.0):
        with self.lock:
            return [t for t, m in self.msgs if text in m.split("\n") and t >= after] or \
                   [t for t, m in self.msgs if text.endswith("=") and any(
                       l.startswith(text) for l in m.split("\n")) and t >= after]

    def messages(self):
        with self.lock:
            return list(self.msgs)

    def log(self):
        try:
            with open(self.errpath) as f:
                return f.read()
        except OSError:
            return ""

    def req(self, method, path, body=None, headers=None, timeout=10):
        c = UnixConn(self.sock, timeout)
        try:
            try:
                c.request(method, path, body=body, headers=headers or {})
            except (BrokenPipeError, ConnectionResetError):
                pass  # answered (413) and closed before the whole body was sent
            r = c.getresponse()
            data = r.read()
            return r.status, dict((k.lower(), v) for k, v in r.getheaders()), data
        finally:
            c.close()

    def json(self, method, path, body=None, want=None):
        st, hd, data = self.req(method, path, body)
        try:
            doc = json.loads(data) if data else None
        except ValueError:
            doc = None
            bad("%s %s: not JSON: %r" % (method, path, data[:200]))
        if want is not None:
            check(st == want, "%s %s: status %d, want %d: %r" % (method, path, st, want, data[:300]))
        return st, doc

    def job(self, jid):
        return self.json("GET", "/v1/jobs/%s" % jid)[1]

    def wait_state(self, jid, states, timeout=30):
        if isinstance(states, str):
            states = (states,)
        j = wait_for(lambda: (self.job(jid) or {}).get("state") in states and self.job(jid), timeout, 0.1)
        check(j, "job %s: not %s within %d s (now %s)" % (jid, "/".join(states), timeout, self.job(jid)))
        return j

    def stop(self, sig=signal.SIGTERM, timeout=10):
        t0 = time.monotonic()
        self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            bad("gatherd did not exit within %d s of signal %d" % (timeout, sig))
            rc = None
        self.err.close()
        return rc, time.monotonic() - t0


def job_text(name, seed, extra=""):
    return ('job "%s" {\n  seeds = {"%s"}\n  robots = false\n  depth = 100\n%s}\n' % (name, seed, extra)).encode()


def records_of(d, jid):
    st, hd, data = d.req("GET", "/v1/jobs/%s/records" % jid)
    check(st == 200, "records %s: status %d" % (jid, st))
    check(hd.get("content-type") == "application/x-ndjson", "records: content-type %s" % hd.get("content-type"))
    return [json.loads(l) for l in data.decode().splitlines() if l]


def submit(d, text, want=201, query=""):
    st, doc = d.json("POST", "/v1/jobs" + query, text, want)
    return doc


# --- the tests ---------------------------------------------------------------
def test_notify_and_api(tmp, base, npages):
    token = "t0ken-" + "x" * 20
    tokfile = os.path.join(tmp, "token")
    with open(tokfile, "w") as f:
        f.write(token + "\n")
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    conf = ("max-jobs = 2\nkeep-jobs = 50\nmax-body = 4K\nmax-header = 4K\nmax-connections = 4\n"
            "idle-timeout = 2\nmax-events = 16\nworkers = 2\n"
            'listen = "127.0.0.1:%d"\ntoken-file = "%s"\n' % (port, tokfile))
    d = Daemon(tmp, "api", conf, watchdog_usec=1000000, journal=True)
    d.start()

    # READY, then STATUS and WATCHDOG (every 0.5 s)
    check(wait_for(lambda: len(d.seen("WATCHDOG=1")) >= 2, 5), "no WATCHDOG=1 pings (WATCHDOG_USEC=1 s)")
    check(wait_for(lambda: d.seen("STATUS="), 5), "no STATUS=")
    ready = d.seen("READY=1")[0]
    check(all(t >= ready for t in d.seen("WATCHDOG=1")), "WATCHDOG=1 before READY=1")

    # status
    st, doc = d.json("GET", "/v1/status", want=200)
    check(doc and doc.get("version") and "jobs" in doc and "pages_per_s" in doc, "status: %s" % doc)
    check(d.json("POST", "/v1/status")[0] == 405, "POST /v1/status is not 405")
    check(d.json("GET", "/v1/nothing")[0] == 404, "unknown path is not 404")
    check(d.json("GET", "/v1/schedules", want=200)[1] == {"schedules": []}, "schedules: not an empty list")

    # submit: 201, Location, jobs; crawl finishes with every page once
    st, hd, data = d.req("POST", "/v1/jobs", job_text("site", base + "/p0.html"))
    check(st == 201, "POST /v1/jobs: %d %r" % (st, data[:300]))
    doc = json.loads(data)
    jid = doc["jobs"][0]["id"]
    check(hd.get("location") == "/v1/jobs/" + jid, "Location: %s" % hd.get("location"))
    check(doc["jobs"][0]["name"] == "site" and doc["jobs"][0]["state"] in ("queued", "running"), str(doc))
    j = d.wait_state(jid, "done")
    recs = records_of(d, jid)
    urls = [r["url"] for r in recs]
    check(len(urls) == npages and len(set(urls)) == npages, "crawl: %d records, %d distinct, want %d"
          % (len(urls), len(set(urls)), npages))
    check(all(r["status"] == 200 for r in recs), "crawl: a page is not 200")
    if j:
        check(j["stats"]["pages"] == npages and j["kind"] == "crawl" and j["restarts"] == 0, "job: %s" % j)
        check(j["created"].endswith("Z") and "T" in j["started"] and j["finished"], "times: %s" % j)
    check(os.path.isfile(os.path.join(d.state, "jobs", jid, "records.jsonl")), "no records.jsonl in the job dir")
    check(os.path.isfile(os.path.join(d.state, "jobs", jid, "job.conf")), "no job.conf in the job dir")

    # faults: 400 with lines; 413; confinement
    st, doc = d.json("POST", "/v1/jobs", b'job "x" {\n  seeds = {"http://127.0.0.1:1/"}\n  bogus = 1\n}\n', 400)
    check(doc and doc.get("error") and doc.get("errors") and doc["errors"][0]["line"] == 3,
          "400 without the line of the fault: %s" % doc)
    st, doc = d.json("POST", "/v1/jobs", b"x" * 5000)
    check(st == 413 and doc and doc.get("error"), "a 5000-byte body over max-body 4K: %d %s" % (st, doc))
    st, hd, data = d.req("POST", "/v1/jobs", b"x" * 100000)
    check(st == 413, "a 100000-byte body over max-body 4K: %d" % st)
    for out, what in (('jsonl = "/tmp/owned.jsonl"', "absolute"), ('jsonl = "../../x.jsonl"', ".."),
                      ('warc = "a/../../b.warc"', ".. inside"), ('mirror = "/etc"', "absolute mirror")):
        st, doc = d.json("POST", "/v1/jobs", job_text("c", base + "/p0.html", "  output { %s }\n" % out))
        check(st == 400 and doc and doc.get("errors"), "confinement (%s): %d %s" % (what, st, doc))
    st, doc = d.json("POST", "/v1/jobs", b'include("/etc/gather/x.conf")\n' + job_text("c", base + "/"))
    check(st == 400 and doc["errors"][0]["line"] == 1, "include() not refused: %d %s" % (st, doc))
    st, doc = d.json("POST", "/v1/jobs", b'# a comment\n/* and\n   another */ include ("/etc/gather/x.conf")\n' +
                     job_text("c", base + "/"))
    check(st == 400 and doc["errors"][0]["line"] == 3, "include() after comments not refused at line 3: %d %s" % (st, doc))
    # include( in a comment or a quoted value calls nothing: accepted
    doc = submit(d, b'# include("/etc/passwd")\n// include("/x")\n' +
                 job_text("inc", base + "/p0.html", '  max-pages = 1\n  user-agent = "a \\"include(b)\\" c"\n'))
    check(doc and doc.get("jobs"), "include( inside a comment or a string refused: %s" % doc)
    if doc and doc.get("jobs"):  # gone again: the checks below count the jobs
        d.wait_state(doc["jobs"][0]["id"], "done")
        d.json("DELETE", "/v1/jobs/" + doc["jobs"][0]["id"], want=204)
    check(not os.path.exists("/tmp/owned.jsonl"), "an absolute output was written")
    # a relative output lands in the job's directory
    doc = submit(d, job_text("rel", base + "/p0.html", '  max-pages = 2\n  output { jsonl = "out/r.jsonl" }\n'))
    rid = doc["jobs"][0]["id"]
    d.wait_state(rid, "done")
    check(os.path.isfile(os.path.join(d.state, "jobs", rid, "out", "r.jsonl")), "relative output not in the job dir")
    check(len(records_of(d, rid)) == 2, "records of a job with its own jsonl")

    # two jobs in one text: a directory each, so the same relative output
    # names (or none) do not clash; two outputs of one job that are one file do
    two = job_text("a", base + "/p0.html", "  max-pages = 1\n") + \
        job_text("b", base + "/p0.html", '  max-pages = 1\n  output { jsonl = "same.jsonl" }\n') + \
        job_text("c", base + "/p0.html", '  max-pages = 1\n  output { jsonl = "same.jsonl" }\n')
    doc = submit(d, two)
    check(doc and len(doc["jobs"]) == 3 and len({j["id"] for j in doc["jobs"]}) == 3, "three jobs in one text: %s" % doc)
    st, doc2 = d.json("POST", "/v1/jobs", job_text("x", base + "/p0.html",
                      '  output {\n    jsonl = "o.x"\n    warc = "o.x"\n  }\n'))
    check(st == 400, "two outputs of one job that are one file: %d %s" % (st, doc2))
    for j in (doc or {}).get("jobs", []):
        d.wait_state(j["id"], "done")
        check(len(records_of(d, j["id"])) == 1, "job %s of a text of three: records" % j["name"])
        d.json("DELETE", "/v1/jobs/" + j["id"], want=204)

    # list, filter, 404
    st, doc = d.json("GET", "/v1/jobs", want=200)
    check(doc and len(doc["jobs"]) == 2, "GET /v1/jobs: %s" % doc)
    for k in ("id", "name", "kind", "state", "priority", "created", "started", "finished", "restarts", "stats"):
        check(k in doc["jobs"][0], "job without %s" % k)
    check(all(k in doc["jobs"][0]["stats"] for k in ("pages", "errors", "bytes", "queued", "inflight", "pages_per_s")),
          "stats: %s" % doc["jobs"][0]["stats"])
    check(d.json("GET", "/v1/jobs?state=running", want=200)[1]["jobs"] == [], "state filter")
    check(len(d.json("GET", "/v1/jobs?state=done", want=200)[1]["jobs"]) == 2, "state=done")
    d.json("GET", "/v1/jobs?state=bogus", want=400)
    d.json("GET", "/v1/jobs/9999", want=404)
    d.json("GET", "/v1/jobs/abc", want=404)
    d.json("POST", "/v1/jobs/9999/pause", want=404)
    d.json("POST", "/v1/jobs?priority=x", b"", want=400)

    # a slow job: pause, 409s, resume, records follow, cancel
    slow = job_text("slow", base + "/p0.html", "  delay = 0.15\n  per-host = 1\n  concurrency = 1\n")
    sid = submit(d, slow)["jobs"][0]["id"]
    d.wait_state(sid, "running")
    wait_for(lambda: d.job(sid)["stats"]["pages"] >= 2, 10)
    d.json("POST", "/v1/jobs/%s/pause" % sid, want=200)
    d.wait_state(sid, "paused")
    d.json("POST", "/v1/jobs/%s/pause" % sid, want=409)
    d.json("DELETE", "/v1/jobs/9999", want=404)
    d.json("GET", "/v1/jobs/%s/resume" % sid, want=405)
    d.json("POST", "/v1/jobs/%s/resume" % sid, want=200)
    d.wait_state(sid, "running")
    d.json("POST", "/v1/jobs/%s/resume" % sid, want=409)
    st, hd, data = d.req("DELETE", "/v1/jobs/%s" % sid)
    check(st == 409, "DELETE of a running job: %d" % st)
    # follow: chunked, until the job ends; every page once
    c = UnixConn(d.sock, 60)
    c.request("GET", "/v1/jobs/%s/records?follow=1" % sid)
    r = c.getresponse()
    check(r.status == 200 and r.getheader("Transfer-Encoding") == "chunked", "follow: %d %s" % (r.status, r.getheaders()))
    t0 = time.monotonic()
    lines = r.read().decode().splitlines()
    c.close()
    check(time.monotonic() - t0 < 60, "follow did not end")
    furls = [json.loads(l)["url"] for l in lines]
    check(len(furls) == npages and len(set(furls)) == npages, "follow: %d lines, %d distinct, want %d"
          % (len(furls), len(set(furls)), npages))
    check(d.job(sid)["state"] == "done", "follow ended before the job: %s" % d.job(sid)["state"])
    d.json("POST", "/v1/jobs/%s/cancel" % sid, want=409)
    d.json("POST", "/v1/jobs/%s/pause" % sid, want=409)
    # cancel a running one
    cid = submit(d, slow)["jobs"][0]["id"]
    d.wait_state(cid, "running")
    d.json("POST", "/v1/jobs/%s/cancel" % cid, want=200)
    d.wait_state(cid, "cancelled")
    d.json("POST", "/v1/jobs/%s/resume" % cid, want=409)
    # queue: max-jobs 2, priorities
    q = [submit(d, slow)["jobs"][0]["id"] for _ in range(3)]
    hi = submit(d, slow, query="?priority=5")["jobs"][0]["id"]
    wait_for(lambda: d.job(q[0])["state"] == "running" and d.job(q[1])["state"] == "running", 10)
    check(d.job(q[2])["state"] == "queued" and d.job(hi)["state"] == "queued", "max-jobs 2: %s %s"
          % (d.job(q[2])["state"], d.job(hi)["state"]))
    d.json("POST", "/v1/jobs/%s/pause" % q[2], want=200)        # queued → paused
    check(d.job(q[2])["state"] == "paused", "a queued job paused")
    d.json("POST", "/v1/jobs/%s/cancel" % q[0], want=200)
    d.wait_state(hi, ("running",))                               # priority first
    check(d.job(q[2])["state"] == "paused", "a paused job started")
    for x in (q[1], hi):
        d.json("POST", "/v1/jobs/%s/cancel" % x, want=200)
    d.json("POST", "/v1/jobs/%s/cancel" % q[2], want=200)         # paused → cancelled
    for x in (q[0], q[1], hi, q[2]):
        d.wait_state(x, "cancelled")
    # delete
    st, hd, data = d.req("DELETE", "/v1/jobs/%s" % cid)
    check(st == 204 and not data, "DELETE: %d %r" % (st, data))
    check(not os.path.exists(os.path.join(d.state, "jobs", cid)), "DELETE left the job's files")
    d.json("GET", "/v1/jobs/%s" % cid, want=404)

    # events: increasing ids; since; 410 past max-events (16)
    st, hd, data = d.req("GET", "/v1/events?since=0")
    check(st == 410, "events since=0 after more than max-events: %d" % st)
    st, hd, data = d.req("GET", "/v1/events")
    st, doc = d.json("GET", "/v1/status")
    check(doc["workers"] == 2, "status workers %s with workers = 2" % doc["workers"])
    evs = []
    oldest = None
    st, hd, data = d.req("GET", "/v1/events?since=%d" % 10 ** 9)
    check(st == 200 and data == b"", "events since a future id: %d %r" % (st, data[:100]))
    # the oldest kept: from the 410's body
    st, hd, data = d.req("GET", "/v1/events?since=0")
    oldest = json.loads(data).get("oldest", 1)
    st, hd, data = d.req("GET", "/v1/events?since=%d" % (oldest - 1))
    check(st == 200 and hd.get("content-type") == "application/x-ndjson", "events: %d" % st)
    evs = [json.loads(l) for l in data.decode().splitlines()]
    ids = [e["id"] for e in evs]
    check(len(ids) == 16 and ids == sorted(ids) and len(set(ids)) == 16, "events ids: %s" % ids)
    check(all(e.get("job") and e.get("state") for e in evs), "events fields")
    # follow: a new job's events arrive on the open stream
    c = UnixConn(d.sock, 20)
    c.request("GET", "/v1/events?follow=1&since=%d" % ids[-1])
    r = c.getresponse()
    nid = submit(d, job_text("ev", base + "/p0.html", "  max-pages = 1\n"))["jobs"][0]["id"]
    got = []
    while len(got) < 3:
        line = r.fp.readline()  # chunk size
        if not line:
            break
        n = int(line.strip(), 16)
        if n == 0:
            break
        got += [json.loads(l) for l in r.fp.read(n).decode().splitlines()]
        r.fp.readline()
    c.close()
    check([e["state"] for e in got[:3]] == ["queued", "running", "done"] and all(e["job"] == nid for e in got[:3])
          and got[0]["id"] == ids[-1] + 1, "events follow: %s" % got)

    # metrics
    st, hd, data = d.req("GET", "/metrics")
    text = data.decode()
    check(st == 200 and hd.get("content-type", "").startswith("text/plain; version=0.0.4"), "metrics: %d %s" % (st, hd))
    check('gatherd_job_pages_total{job="%s"} %d' % (jid, npages) in text, "metrics: no pages_total of job %s" % jid)
    check('gatherd_fetch_duration_seconds_bucket{job="%s",le="+Inf"} %d' % (jid, npages) in text, "metrics: histogram")
    check("# TYPE gatherd_job_pages_total counter" in text and 'gatherd_jobs{state="done"}' in text, "metrics: types")
    check("127.0.0.1" not in text, "metrics: a label per URL or host")

    # limits: header size, connections, idle
    st, hd, data = d.req("GET", "/v1/status", headers={"X-Big": "y" * 8000})
    check(st in (400, 413, 431), "an 8K header over max-header 4K: %d" % st)
    idle = []
    for _ in range(4):
        s = socket.socket(socket.AF_UNIX)
        s.connect(d.sock)
        idle.append(s)
    time.sleep(0.5)
    c = UnixConn(d.sock, 0.8)
    try:
        c.request("GET", "/v1/status")
        c.getresponse().read()
        bad("a 5th connection answered with max-connections 4")
    except (socket.timeout, TimeoutError, OSError):
        pass
    c.close()
    t0 = time.monotonic()
    # the idle ones are closed by the server (idle-timeout 2 s)
    for s in idle:
        s.settimeout(5)
        try:
            check(s.recv(10) == b"", "an idle connection got data")
        except (socket.timeout, TimeoutError):
            bad("an idle connection was not closed within 5 s (idle-timeout 2)")
        s.close()
    check(time.monotonic() - t0 < 4.5, "idle connections closed late")
    check(wait_for(lambda: d.json("GET", "/v1/status")[0] == 200, 3), "no answer once the idle ones closed")

    # TCP listener: 401 without or with a wrong token
    def tcp(hdrs):
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        c.request("GET", "/v1/status", headers=hdrs)
        r = c.getresponse()
        r.read()
        c.close()
        return r.status, r.getheader("WWW-Authenticate")
    check(tcp({}) == (401, "Bearer"), "TCP without a token: %s" % (tcp({}),))
    check(tcp({"Authorization": "Bearer " + token[:-1] + "y"})[0] == 401, "TCP with a wrong token")
    check(tcp({"Authorization": "Bearer " + token + "x"})[0] == 401, "TCP with a longer token")
    check(tcp({"Authorization": "Bearer " + token})[0] == 200, "TCP with the token")

    # SIGHUP: RELOADING=1 with MONOTONIC_USEC= in one datagram, then READY=1
    with open(d.conf, "a") as f:
        f.write("max-jobs = 3\n")
    t_hup = time.monotonic()
    d.proc.send_signal(signal.SIGHUP)
    check(wait_for(lambda: d.seen("READY=1", t_hup), 5), "no READY=1 after SIGHUP")
    rel = [(t, m) for t, m in d.messages() if t >= t_hup and "RELOADING=1" in m.split("\n")]
    check(rel and any(l.startswith("MONOTONIC_USEC=") for l in rel[0][1].split("\n")),
          "RELOADING=1 without MONOTONIC_USEC= in the same datagram: %s" % rel)
    if rel:
        check(rel[0][0] <= d.seen("READY=1", t_hup)[0], "READY=1 before RELOADING=1")
        usec = [int(l.split("=")[1]) for l in rel[0][1].split("\n") if l.startswith("MONOTONIC_USEC=")]
        check(usec and abs(usec[0] / 1e6 - time.clock_gettime(time.CLOCK_MONOTONIC)) < 10, "MONOTONIC_USEC: %s" % usec)
    check(d.json("GET", "/v1/status")[1]["max_jobs"] == 3, "max-jobs not reloaded")

    # SIGTERM: STOPPING=1, exit 0 within 10 s
    t_term = time.monotonic()
    rc, took = d.stop()
    check(rc == 0, "exit status %s after SIGTERM" % rc)
    check(took < 10, "SIGTERM: exit took %.1f s" % took)
    check(d.seen("STOPPING=1", t_term), "no STOPPING=1")
    # logs: under the journal (JOURNAL_STREAM is stderr) every line has <N>
    log = d.log().splitlines()
    check(log and all(l[:1] == "<" and l[2:3] == ">" for l in log), "a log line without <N>: %s" % log[:3])
    check(any(l.startswith("<6>gatherd: job %s: started" % jid) for l in log), "no 'job ID: started' line")
    check(any("deleted by uid %d" % os.getuid() in l for l in log), "the peer uid is not logged for a change")


def test_kill9_and_sigterm(tmp, base, npages):
    d = Daemon(tmp, "crash", "max-jobs = 2\n")
    d.start()
    slow = job_text("slow", base + "/p0.html", "  delay = 0.1\n  per-host = 1\n  concurrency = 1\n")
    jid = submit(d, slow)["jobs"][0]["id"]
    check(wait_for(lambda: (d.job(jid) or {}).get("stats", {}).get("pages", 0) >= 3, 15), "slow job made no progress")
    d.proc.kill()                      # kill -9 mid-crawl
    d.proc.wait(10)
    d.err.close()
    with open(os.path.join(d.state, "jobs", jid, "job.json")) as f:
        check(json.load(f)["state"] == "running", "job.json after kill -9 is not 'running'")
    d.start()
    j = d.wait_state(jid, "done", 60)
    if j:
        check(j["restarts"] == 1, "restarts after kill -9: %s" % j["restarts"])
    urls = [r["url"] for r in records_of(d, jid)]
    check(len(urls) == npages and len(set(urls)) == npages, "after kill -9: %d records, %d distinct, want %d"
          % (len(urls), len(set(urls)), npages))
    check("recovered: was running" in d.log(), "no recovery line in the log")
    check(not any(l.startswith("<") for l in d.log().splitlines()), "plain log has <N> prefixes")

    # SIGTERM mid-crawl: paused for the restart, resumes on the next start
    jid = submit(d, slow)["jobs"][0]["id"]
    check(wait_for(lambda: (d.job(jid) or {}).get("stats", {}).get("pages", 0) >= 3, 15), "slow job 2 made no progress")
    rc, took = d.stop()
    check(rc == 0 and took < 10, "SIGTERM mid-crawl: exit %s after %.1f s" % (rc, took))
    with open(os.path.join(d.state, "jobs", jid, "job.json")) as f:
        js = json.load(f)
    check(js["state"] == "paused" and js["restart"], "job.json after SIGTERM: %s" % js)
    d.start()
    j = d.wait_state(jid, "done", 60)
    if j:
        check(j["restarts"] == 1, "restarts after SIGTERM: %s" % j["restarts"])
    urls = [r["url"] for r in records_of(d, jid)]
    check(len(set(urls)) == npages and len(urls) == npages, "after SIGTERM + start: %d records" % len(urls))
    d.stop()


def test_keep_and_politeness(tmp, base):
    """keep-jobs prunes the oldest finished jobs, files and all; per-host and
    delay of the service bound every job's."""
    d = Daemon(tmp, "keep", "keep-jobs = 2\nper-host = 1\ndelay = 0.3\n")
    d.start()
    # workers unset: the pool runs one per online CPU, and status says so
    # (not the 0 of the configuration)
    w = d.json("GET", "/v1/status")[1]["workers"]
    check(w == len(os.sched_getaffinity(0)) or w == os.cpu_count(), "status workers %s, want %d" % (w, os.cpu_count()))
    ids = []
    for i in range(4):
        ids.append(submit(d, job_text("k%d" % i, base + "/p0.html", "  max-pages = 1\n"))["jobs"][0]["id"])
        d.wait_state(ids[-1], "done")
    st, doc = d.json("GET", "/v1/jobs", want=200)
    check([j["id"] for j in doc["jobs"]] == ids[2:], "keep-jobs 2: %s" % [j["id"] for j in doc["jobs"]])
    for i in ids[:2]:
        check(not os.path.exists(os.path.join(d.state, "jobs", i)), "a pruned job's files are left")
    check("pruned (keep-jobs 2)" in d.log(), "no log line for pruning")
    # 5 pages at concurrency 8, per-host 8 asked: delay 0.3 s of the service
    # between requests to the one host makes it last 1.2 s at least
    jid = submit(d, job_text("p", base + "/p0.html", "  max-pages = 5\n  concurrency = 8\n  per-host = 8\n"))["jobs"][0]["id"]
    j = d.wait_state(jid, "done")
    if j:
        from datetime import datetime
        t = [datetime.strptime(j[k], "%Y-%m-%dT%H:%M:%S.%fZ") for k in ("started", "finished")]
        check((t[1] - t[0]).total_seconds() >= 1.2, "delay 0.3 of the service not applied: %s" % (t[1] - t[0]))
    d.stop()


def test_watchdog_hang(tmp, base):
    """ONE of two workers hangs on an item (the test-only hook
    GATHERD_TEST_HANG_WORKER): the other goes on (a job finishes, probes
    come back), and the pings stop all the same: each worker's own
    progress stamp says it has been on one item for longer than
    WATCHDOG_USEC."""
    hang = os.path.join(tmp, "hang.flag")
    d = Daemon(tmp, "hang", "workers = 2\n", env={"GATHERD_TEST_HANG_WORKER": hang}, watchdog_usec=600000)
    d.start()
    check(wait_for(lambda: len(d.seen("WATCHDOG=1")) >= 3, 5), "no pings before the hang")
    probes0 = d.json("GET", "/v1/status")[1]["probes"]
    open(hang, "w").close()            # one worker hangs on the hook's item
    time.sleep(1.4)                    # sent within 0.3 s, stuck past 0.6 s
    t_hung = time.monotonic()
    jid = submit(d, job_text("during", base + "/p0.html", "  max-pages = 5\n"))["jobs"][0]["id"]
    j = d.wait_state(jid, "done", 10)  # the other worker parses its pages
    check(j and j["stats"]["pages"] == 5, "a job did not finish while one worker hangs: %s" % j)
    time.sleep(max(0.0, 1.5 - (time.monotonic() - t_hung)))
    check(not d.seen("WATCHDOG=1", t_hung), "WATCHDOG=1 sent while a worker hangs")
    check(d.json("GET", "/v1/status")[1]["probes"] > probes0 + 2,
          "the probes stopped too: the hook hung the whole pool, not one worker")
    check("has been busy on one item" in d.log(), "no log line naming the stuck worker")
    check(d.json("GET", "/v1/status")[0] == 200, "the reactor stopped answering")
    os.unlink(hang)                    # the worker goes on: pings again
    t_back = time.monotonic()
    check(wait_for(lambda: d.seen("WATCHDOG=1", t_back), 5), "no WATCHDOG=1 after the worker went on")
    rc, took = d.stop()
    check(rc == 0, "exit %s" % rc)


def test_fd_exhaustion(tmp):
    """Out of descriptors (a hard limit of 64, clients holding more
    connections than that): gatherd stops accepting for a second at a time
    instead of spinning on a readable listening socket (libevent calls
    again at once after a failed accept), says so once, and answers again
    once the clients let go."""
    import resource
    d = Daemon(tmp, "fds", "max-connections = 1000\nidle-timeout = 60\n")
    d.preexec = lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))
    d.start()
    held = []
    for _ in range(100):
        s = socket.socket(socket.AF_UNIX)
        s.settimeout(2)
        try:
            s.connect(d.sock)      # the backlog takes them when accept cannot
        except OSError:
            s.close()
            break
        held.append(s)
    check(wait_for(lambda: "cannot accept a connection" in d.log(), 5),
          "no word of the failed accept with %d connections held: %s" % (len(held), d.log()[-300:]))

    def cpu():
        with open("/proc/%d/stat" % d.proc.pid) as f:
            v = f.read().rsplit(")", 1)[1].split()
        return (int(v[11]) + int(v[12])) / os.sysconf("SC_CLK_TCK")
    c0 = cpu()
    time.sleep(2)
    used = cpu() - c0
    check(used < 0.5, "gatherd used %.2f s of CPU in 2 s while out of descriptors (a busy loop)" % used)
    n = d.log().count("cannot accept a connection")
    check(n <= 3, "the failed accept said %d times in about 2 s" % n)
    for s in held:
        s.close()
    check(wait_for(lambda: d.json("GET", "/v1/status")[0] == 200, 8), "no answer once the clients let go")
    rc, took = d.stop()
    check(rc == 0, "exit %s after SIGTERM" % rc)


def test_socket_activation(tmp):
    """A listening socket passed as systemd does (fd 3, LISTEN_FDS=1,
    LISTEN_PID=its pid): gatherd answers on it, binds none of its own, and
    leaves it in place at exit (it is systemd's)."""
    d = Daemon(tmp, "activ", "")
    path = os.path.join(d.dir, "passed.sock")
    ls = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    ls.bind(path)
    ls.listen(16)
    env = dict(d.env)
    env["LISTEN_FDS"] = "1"
    os.makedirs(os.path.dirname(d.sock), exist_ok=True)
    if os.path.exists(d.notify_path):
        os.unlink(d.notify_path)
    d.nsock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    d.nsock.bind(d.notify_path)
    threading.Thread(target=d._read_notify, args=(d.nsock,), daemon=True).start()
    d.errpath = os.path.join(d.dir, "stderr")
    d.err = open(d.errpath, "w")
    fd = ls.fileno()

    def to_fd3():
        os.dup2(fd, 3)
        os.set_inheritable(3, True)
    d.proc = subprocess.Popen(["/bin/sh", "-c", 'LISTEN_PID=$$ exec "$0" -c "$1"', GATHERD, d.conf],
                              env=env, stdout=subprocess.DEVNULL, stderr=d.err, preexec_fn=to_fd3,
                              close_fds=False)
    procs.append(d.proc)
    check(wait_for(lambda: d.seen("READY=1"), 15), "socket activation: no READY=1: " + d.log())
    d.sock = path
    check(d.json("GET", "/v1/status")[0] == 200, "no answer on the passed socket")
    check(not os.path.exists(os.path.join(os.path.dirname(d.sock), "run", "gatherd.sock")),
          "gatherd bound its own socket too")
    rc, took = d.stop()
    check(rc == 0, "exit %s" % rc)
    check(os.path.exists(path), "gatherd removed the socket systemd passed")
    ls.close()


def test_check(tmp):
    p = os.path.join(tmp, "bad.conf")
    with open(p, "w") as f:
        f.write("# gatherd\nmax-jobs = 2\n\nmax-body = huge\n")
    r = subprocess.run([GATHERD, "--check", "-c", p], capture_output=True, text=True, timeout=10)
    check(r.returncode == 2 and ("%s:4: max-body" % p) in r.stderr, "--check of a bad file: %d %s" % (r.returncode, r.stderr))
    r = subprocess.run([GATHERD, "-c", p], capture_output=True, text=True, timeout=10)
    check(r.returncode == 2 and ("%s:4:" % p) in r.stderr, "a bad file: %d %s" % (r.returncode, r.stderr))
    with open(p, "w") as f:
        f.write("max-jobs = 2\n")
    r = subprocess.run([GATHERD, "--check", "-c", p], capture_output=True, text=True, timeout=10)
    check(r.returncode == 0, "--check of a good file: %d %s" % (r.returncode, r.stderr))
    r = subprocess.run([GATHERD, "-c", os.path.join(tmp, "missing.conf")], capture_output=True, text=True, timeout=10)
    check(r.returncode == 2 and "missing.conf" in r.stderr, "a missing file: %d %s" % (r.returncode, r.stderr))


def main():
    if not os.access(GATHERD, os.X_OK):
        print("no gatherd in " + BUILD, file=sys.stderr)
        return 99
    tmp = tempfile.mkdtemp(prefix="gatherd_test.")
    npages = 30
    srv, base = serve_site(os.path.join(tmp, "www"), npages)
    only = os.environ.get("GATHERD_TESTS", "check,activ,api,crash,keep,fds,hang,spool,sched,ctl").split(",")
    more = {"spool": gatherd_more.test_spool, "sched": gatherd_more.test_schedules, "ctl": gatherd_more.test_ctl}
    try:
        if "check" in only:
            test_check(tmp)
        if "activ" in only:
            test_socket_activation(tmp)
        if "api" in only:
            test_notify_and_api(tmp, base, npages)
        if "crash" in only:
            test_kill9_and_sigterm(tmp, base, npages)
        if "keep" in only:
            test_keep_and_politeness(tmp, base)
        if "fds" in only:
            test_fd_exhaustion(tmp)
        if "hang" in only:
            test_watchdog_hang(tmp, base)
        for name, fn in more.items():
            if name in only:
                fn(sys.modules[__name__], tmp, base, npages)
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        srv.shutdown()
        if not failures:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print("left for a look: " + tmp, file=sys.stderr)
    print("%d failures" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
