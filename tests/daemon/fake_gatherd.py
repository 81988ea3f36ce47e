#!/usr/bin/env python3
"""fake_gatherd.py — a STAND-IN for gatherd's control API, for testing
`gather ctl` while the real daemon is being built (issue 14).

It is not gatherd.  It answers the API's contract (the table in issue 14:
HTTP/1.1 + JSON on a Unix socket) with canned JSON, and records every
request it got (method, path, headers, body) as one JSON line in LOG, so a
test checks what ctl sent as well as what ctl made of the answer.  End-to-end
tests against the real daemon come with it; this fake keeps ctl's own tests
independent of the daemon's state.

Usage: fake_gatherd.py SOCKET LOG [--mode MODE]
  MODE normal (default): the canned answers below
       stall: accept, read the request, never answer
       huge: 200 with a 2 MiB JSON body for every request
       garbage: a response that is not HTTP
       text500: 500 with a body that is not JSON
Prints "ready" on stdout once listening; exits after 120 s in any case.

Canned state: job j1 "site" running, j2 "prices" done; unknown ids 404.
  POST /v1/jobs with "BAD" in the body: 400 with errors[] (lines 2 and 4);
  bodies over 4096 bytes: 413.  pause/resume/cancel j2 (done): 409.
  DELETE j1 (running): 409.  events?since=0: 410.
"""
import json
import os
import socketserver
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler

JOBS = {
    "j1": {"id": "j1", "name": "site", "kind": "crawl", "state": "running", "priority": 0,
           "created": "2026-12-02T20:00:00Z", "started": "2026-12-02T20:00:01Z",
           "finished": None, "restarts": 0,
           "stats": {"pages": 120, "errors": 2, "bytes": 123456, "queued": 40,
                     "inflight": 4, "pages_per_s": 12.5}},
    "j2": {"id": "j2", "name": "prices", "kind": "get", "state": "done", "priority": 5,
           "created": "2026-12-02T19:00:00Z", "started": "2026-12-02T19:00:00Z",
           "finished": "2026-12-02T19:01:00Z", "restarts": 1,
           "stats": {"pages": 30, "errors": 0, "bytes": 999, "queued": 0,
                     "inflight": 0, "pages_per_s": 0.0}},
}
MAX_BODY = 4096
ALLOWED = {"pause": {"running", "queued"}, "resume": {"paused"},
           "cancel": {"running", "queued", "paused"}}
NEW_STATE = {"pause": "paused", "resume": "running", "cancel": "cancelled"}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-gatherd/0"

    def log_message(self, fmt, *args):  # the Unix peer has no address to log
        pass

    def record(self, body):
        entry = {"method": self.command, "path": self.path,
                 "headers": {k.lower(): v for k, v in self.headers.items()},
                 "body": body.decode("utf-8", "replace")}
        with self.server.lock, open(self.server.log, "a") as f:
            f.write(json.dumps(entry) + "\n")

    def send_json(self, status, obj, extra=None):
        data = (json.dumps(obj) + "\n").encode() if obj is not None else b""
        self.send_response(status)
        if obj is not None:
            self.send_header("Content-Type", "application/json")
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)

    def send_stream(self, lines, delay):
        """ndjson, chunked, one line per chunk with a pause between: what a
        follow stream looks like on the wire."""
        self.send_response(200)
        self.send_header("Content-Type", "application/x-ndjson")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Connection", "close")
        self.end_headers()
        for line in lines:
            data = (json.dumps(line) + "\n").encode()
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.flush()
            time.sleep(delay)
        self.wfile.write(b"0\r\n\r\n")

    def handle_any(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n > MAX_BODY:
            self.record(b"")
            self.send_json(413, {"error": "request body over %d bytes" % MAX_BODY})
            return
        body = self.rfile.read(n) if n else b""
        self.record(body)
        mode = self.server.mode
        if mode == "stall":
            time.sleep(60)
            return
        if mode == "huge":
            self.send_json(200, {"pad": "x" * (2 << 20)})
            return
        if mode == "garbage":
            self.wfile.write(b"SMTP ready\r\n\r\n")
            return
        if mode == "text500":
            data = b"internal trouble\n"
            self.wfile.write(b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: %d\r\n"
                             b"Connection: close\r\n\r\n%s" % (len(data), data))
            return
        self.route(body)

    def route(self, body):
        path, _, query = self.path.partition("?")
        parts = path.strip("/").split("/")
        m = self.command
        if m == "GET" and path == "/v1/status":
            return self.send_json(200, {"version": "0.1.0", "uptime_s": 42,
                                        "jobs": {"queued": 0, "running": 1, "done": 1},
                                        "workers": 2, "pages_per_s": 12.5})
        if path == "/v1/jobs" and m == "GET":
            jobs = list(JOBS.values())
            if query.startswith("state="):
                jobs = [j for j in jobs if j["state"] == query[6:]]
            return self.send_json(200, {"jobs": jobs})
        if path == "/v1/jobs" and m == "POST":
            if b"BAD" in body:
                return self.send_json(400, {"error": "the job file has faults", "errors": [
                    {"line": 2, "message": "unknown key 'colour' in job 'a'"},
                    {"line": 4, "message": "bad seed URL 'ftp://x/'"}]})
            return self.send_json(201, {"jobs": [{"id": "j3", "name": "new", "state": "queued"}]},
                                  {"Location": "/v1/jobs/j3"})
        if m == "GET" and path == "/v1/schedules":
            return self.send_json(200, {"schedules": [
                {"name": "nightly", "file": "/etc/gather/jobs/n.conf", "schedule": "30 2 * * *",
                 "timezone": "Europe/Berlin", "overlap": "skip", "persistent": True,
                 "next_run": "2026-12-03T01:30:00Z", "last_run": "2026-12-02T01:30:00Z",
                 "last_job": "j1", "last_outcome": "done"}]})
        if m == "GET" and path == "/v1/events":
            if query == "since=0":
                return self.send_json(410, {"error": "event 0 is too old: the oldest kept is 5"})
            return self.send_stream([{"id": 6, "job": "j1", "state": "running"},
                                     {"id": 7, "job": "j1", "state": "paused"}], 0.2)
        if len(parts) >= 3 and parts[:2] == ["v1", "jobs"]:
            job = JOBS.get(parts[2])
            if job is None:
                return self.send_json(404, {"error": "no job '%s'" % parts[2]})
            if len(parts) == 3 and m == "GET":
                return self.send_json(200, job)
            if len(parts) == 3 and m == "DELETE":
                if job["state"] == "running":
                    return self.send_json(409, {"error": "job '%s' is running: cancel it first"
                                                % job["id"]})
                return self.send_json(204, None)
            if len(parts) == 4 and m == "POST" and parts[3] in ALLOWED:
                if job["state"] not in ALLOWED[parts[3]]:
                    return self.send_json(409, {"error": "job '%s' is %s: it cannot be %s"
                                                % (job["id"], job["state"], NEW_STATE[parts[3]])})
                return self.send_json(200, dict(job, state=NEW_STATE[parts[3]]))
            if len(parts) == 4 and m == "GET" and parts[3] == "records":
                recs = [{"url": "http://a.example/%d" % i, "status": 200} for i in range(3)]
                if query == "follow=1":
                    return self.send_stream(recs, 0.2)
                data = "".join(json.dumps(r) + "\n" for r in recs).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-ndjson")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(data)
                return
        return self.send_json(404 if m in ("GET", "DELETE") else 405,
                              {"error": "no such endpoint: %s %s" % (m, path)})

    do_GET = do_POST = do_DELETE = do_PUT = handle_any


class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    sock, log = sys.argv[1], sys.argv[2]
    mode = sys.argv[4] if len(sys.argv) > 4 and sys.argv[3] == "--mode" else "normal"
    if os.path.exists(sock):
        os.unlink(sock)
    srv = Server(sock, Handler)
    srv.log, srv.mode, srv.lock = log, mode, threading.Lock()
    threading.Timer(120, srv.shutdown).start()  # never outlives a test
    print("ready", flush=True)
    srv.serve_forever()
    os._exit(0)


if __name__ == "__main__":
    main()
