"""gatherd_more.py — the parts of gatherd_test.py for what feeds gatherd
jobs besides the API, and for `gather ctl` against the real daemon:

  spool     files dropped into STATE/spool: accepted/ within a second,
            rejected/ with NAME.err holding NAME:LINE faults; dot-names and
            half-written files never read; ${VAR} refused (API and spool),
            the daemon's environment never read back
  sched     job-dir schedules: a firing (the schedules' clock moved by the
            test-only GATHERD_TEST_CLOCK_OFFSET so a minute boundary is five
            seconds away), GET /v1/schedules (next run in RFC 3339, last
            outcome), SIGHUP re-reading job-dir, a faulty file skipped,
            persistent runs once after a restart "two hours later" (and a
            schedule that is not persistent does not), overlap skip and queue
  ctl       every verb of `gather ctl` against gatherd: exit 0 / 1 / 2, the
            daemon's errors on stderr with FILE:LINE, records --follow ending
            with its job, events, schedules, no daemon at the socket

Each function takes h, the gatherd_test module (its Daemon, check, wait_for
and failure list).  Every wait is bounded."""
import json
import os
import signal
import subprocess
import time
from datetime import datetime, timezone


def site_job(name, base, extra=""):
    return 'job "%s" {\n  seeds = {"%s/p0.html"}\n  robots = false\n  depth = 100\n%s}\n' % (name, base, extra)


# --- spool --------------------------------------------------------------------
def test_spool(h, tmp, base, npages):
    d = h.Daemon(tmp, "spool", "workers = 1\n", env={"GATHERD_TEST_SECRET": "s3cret-value"})
    d.start()
    spool = os.path.join(d.state, "spool")
    acc, rej = os.path.join(spool, "accepted"), os.path.join(spool, "rejected")
    h.check(os.path.isdir(acc) and os.path.isdir(rej), "spool: no accepted/ and rejected/ in STATE/spool")

    # a good file, written under a dot-name and renamed: accepted within a second
    with open(os.path.join(spool, ".ok.conf"), "w") as f:
        f.write(site_job("spooled", base, "  max-pages = 3\n"))
    time.sleep(1.2)
    h.check(os.path.exists(os.path.join(spool, ".ok.conf")), "spool: a dot-name file was taken")
    t0 = time.monotonic()
    os.rename(os.path.join(spool, ".ok.conf"), os.path.join(spool, "ok.conf"))
    got = h.wait_for(lambda: os.path.exists(os.path.join(acc, "ok.conf")), 5, 0.02)
    took = time.monotonic() - t0
    h.check(got and took < 1.0, "spool: ok.conf not in accepted/ within a second (%.2f s)" % took)
    print("spool: a file renamed in was accepted after %.3f s" % took, flush=True)
    h.check(not os.path.exists(os.path.join(spool, "ok.conf")), "spool: ok.conf left in the spool")
    st, doc = d.json("GET", "/v1/jobs", want=200)
    jobs = [j for j in (doc or {}).get("jobs", []) if j["name"] == "spooled"]
    h.check(len(jobs) == 1 and jobs[0]["source"] == "spool:ok.conf", "spool: the job made: %s" % jobs)
    if jobs:
        d.wait_state(jobs[0]["id"], "done")
        h.check(d.job(jobs[0]["id"])["stats"]["pages"] == 3, "spool: the job did not run")

    # a file with faults: rejected/, NAME.err with NAME:LINE faults, no job
    with open(os.path.join(spool, "bad.conf"), "w") as f:  # close-write: complete
        f.write('job "b" {\n  seeds = {"%s/"}\n  colour = "red"\n}\n' % base)
    h.check(h.wait_for(lambda: os.path.exists(os.path.join(rej, "bad.conf.err")), 5, 0.02),
            "spool: bad.conf not rejected")
    h.check(os.path.exists(os.path.join(rej, "bad.conf")), "spool: bad.conf not moved to rejected/")
    err = open(os.path.join(rej, "bad.conf.err")).read() if os.path.exists(os.path.join(rej, "bad.conf.err")) else ""
    h.check(err.startswith("bad.conf:3: ") and "colour" in err, "spool: bad.conf.err: %r" % err)
    # the same name again: kept apart, the first never overwritten
    with open(os.path.join(spool, "bad.conf"), "w") as f:
        f.write("job {\n")
    h.check(h.wait_for(lambda: os.path.exists(os.path.join(rej, "bad.conf.1")), 5, 0.02),
            "spool: a second bad.conf is not rejected/bad.conf.1")
    h.check(open(os.path.join(rej, "bad.conf.err")).read() == err, "spool: the first .err was overwritten")

    # ${VAR}: the daemon's environment is not the submitter's
    with open(os.path.join(spool, "env.conf"), "w") as f:
        f.write('job "e" {\n  seeds = {"%s/"}\n  user-agent = "${GATHERD_TEST_SECRET}"\n}\n' % base)
    h.check(h.wait_for(lambda: os.path.exists(os.path.join(rej, "env.conf.err")), 5, 0.02),
            "spool: a job with ${VAR} not rejected")
    if os.path.exists(os.path.join(rej, "env.conf.err")):
        err = open(os.path.join(rej, "env.conf.err")).read()
        h.check(err.startswith("env.conf:3: ") and "${" in err, "spool: env.conf.err: %r" % err)
    st, doc = d.json("POST", "/v1/jobs", ('job "e" {\n  seeds = {"%s/"}\n\n  user-agent = "x ${HOME:-y}"\n}\n'
                                          % base).encode(), 400)
    h.check(doc and doc.get("errors") and doc["errors"][0]["line"] == 4 and "${" in doc["errors"][0]["message"],
            "API: ${VAR} not refused by line: %s" % doc)
    # in single quotes, in a comment, or escaped it is no reference: allowed
    ok = ('job "lit" {\n  # ${GATHERD_TEST_SECRET} in a comment\n  seeds = {"%s/p0.html"}\n'
          "  user-agent = 'ua ${GATHERD_TEST_SECRET}'\n  max-pages = 1\n}\n" % base)
    st, doc = d.json("POST", "/v1/jobs", ok.encode(), 201)
    if doc:
        d.wait_state(doc["jobs"][0]["id"], "done")
    recs = h.records_of(d, doc["jobs"][0]["id"]) if doc else []
    h.check(not any("s3cret-value" in json.dumps(r) for r in recs), "the daemon's environment leaked into records")
    h.check("s3cret-value" not in d.log(), "the daemon's environment leaked into the log")
    rc, took = d.stop()
    h.check(rc == 0, "spool: exit %s" % rc)
    # a file dropped while the service was down is taken at the next start
    with open(os.path.join(spool, "later.conf"), "w") as f:
        f.write(site_job("later", base, "  max-pages = 1\n"))
    d.start()
    h.check(h.wait_for(lambda: os.path.exists(os.path.join(acc, "later.conf")), 5, 0.05),
            "spool: a file dropped while down is not taken at start")
    d.stop()


# --- schedules --------------------------------------------------------------
def rfc(t):
    return datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def offset_to(second):
    """A GATHERD_TEST_CLOCK_OFFSET that puts the schedules' clock at
    `second` past a minute now."""
    return second - int(time.time()) % 60


def sched_jobs(d, key):
    st, doc = d.json("GET", "/v1/jobs")
    return [j for j in (doc or {}).get("jobs", []) if j.get("source") == "schedule:" + key]


def schedules(d):
    st, doc = d.json("GET", "/v1/schedules", want=200)
    return {s["name"]: s for s in (doc or {}).get("schedules", [])}


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def test_schedules(h, tmp, base, npages):
    jd = os.path.join(tmp, "sched-jobs")
    os.makedirs(jd)
    write(os.path.join(jd, "a.conf"), site_job("tick", base, '  max-pages = 1\n  schedule = "* * * * *"\n'
                                                '  persistent = true\n'))
    write(os.path.join(jd, "b.conf"), site_job("hourly", base, '  max-pages = 1\n  schedule = "@hourly"\n'))
    slow = "  delay = 0.3\n  per-host = 1\n  concurrency = 1\n"
    write(os.path.join(jd, "slow.conf"),
          site_job("skip", base, slow + '  schedule = "* * * * *"\n  persistent = true\n') +
          site_job("queue", base, slow + '  schedule = "* * * * *"\n  persistent = true\n  overlap = "queue"\n'))
    write(os.path.join(jd, "notes.txt"), "not a job file\n")
    conf = 'job-dir = "%s"\nmax-jobs = 4\n' % jd
    off = offset_to(55)
    d = h.Daemon(tmp, "sched", conf, env={"GATHERD_TEST_CLOCK_OFFSET": str(off)})
    d.start()
    t_start = int(time.time()) + off
    boundary = (t_start // 60 + 1) * 60
    s = schedules(d)
    h.check(sorted(s) == ["hourly", "queue", "skip", "tick"], "schedules: %s" % sorted(s))
    if "tick" in s:
        t = s["tick"]
        h.check(t["next_run"] == rfc(boundary), "tick: next_run %s, want %s" % (t["next_run"], rfc(boundary)))
        h.check(t["last_run"] is None and t["last_outcome"] is None and t["overlap"] == "skip"
                and t["persistent"] is True and t["schedule"] == "* * * * *"
                and t["file"] == os.path.join(jd, "a.conf"), "tick before its firing: %s" % t)
    if "hourly" in s:
        h.check(s["hourly"]["next_run"] == rfc((t_start // 3600 + 1) * 3600), "hourly: %s" % s["hourly"])
    # the firing: within a second of the minute (5 s from start: room for a slow start), the job alone
    h.check(h.wait_for(lambda: sched_jobs(d, "a.conf:tick"), 8, 0.1), "tick did not fire")
    tj = sched_jobs(d, "a.conf:tick")
    if tj:
        h.check(len(tj) == 1 and tj[0]["name"] == "tick", "tick: jobs %s" % tj)
        d.wait_state(tj[0]["id"], "done")
        t = schedules(d).get("tick", {})
        h.check(t.get("last_outcome") == "done" and t.get("last_job") == tj[0]["id"]
                and t.get("last_run") == rfc(boundary) and t.get("next_run") == rfc(boundary + 60),
                "tick after its firing: %s" % t)
    h.check(not sched_jobs(d, "b.conf:hourly"), "hourly fired")
    # gather ctl shows them as a table (the file and job id only in --json)
    r = subprocess.run([os.path.join(h.BUILD, "gather"), "ctl", "--socket", d.sock, "--table", "schedules"],
                       capture_output=True, text=True, timeout=30)
    rows = r.stdout.splitlines()
    h.check(r.returncode == 0 and rows and rows[0].split() == ["NAME", "SCHEDULE", "TIMEZONE", "OVERLAP", "NEXT",
                                                               "LAST", "OUTCOME"], "ctl schedules: %r" % r.stdout)
    h.check(any(l.split()[:1] == ["tick"] and l.split()[-2:] == [rfc(boundary), "done"] for l in rows[1:]),
            "ctl schedules: no row for tick with its last run and outcome: %r" % r.stdout)
    # both slow ones fired too; stop them, they are for the restart below
    h.check(h.wait_for(lambda: len(sched_jobs(d, "slow.conf:skip")) == 1 and
                       len(sched_jobs(d, "slow.conf:queue")) == 1, 5), "the slow schedules did not fire")
    for k in ("slow.conf:skip", "slow.conf:queue"):
        for j in sched_jobs(d, k):
            d.json("POST", "/v1/jobs/%s/cancel" % j["id"])
            d.wait_state(j["id"], "cancelled")

    # SIGHUP: job-dir read again; a faulty file is logged FILE:LINE and skipped
    write(os.path.join(jd, "c.conf"), site_job("berlin", base, '  schedule = "30 4 * * *"\n'
                                                '  timezone = "Europe/Berlin"\n'))
    write(os.path.join(jd, "d.conf"), site_job("broken", base, '  schedule = "61 * * * *"\n'))
    write(os.path.join(jd, "e.conf"), site_job("leaky", base, '  schedule = "@daily"\n  user-agent = "${HOME}"\n'))
    t_hup = time.monotonic()
    d.proc.send_signal(signal.SIGHUP)
    h.check(h.wait_for(lambda: d.seen("READY=1", t_hup), 5), "no READY=1 after SIGHUP")
    s = schedules(d)
    h.check(sorted(s) == ["berlin", "hourly", "queue", "skip", "tick"], "schedules after reload: %s" % sorted(s))
    if "berlin" in s:
        h.check(s["berlin"]["timezone"] == "Europe/Berlin" and s["berlin"]["next_run"].endswith(("02:30:00Z", "03:30:00Z")),
                "berlin: %s" % s["berlin"])
    if "tick" in s and tj:
        h.check(s["tick"]["last_job"] == tj[0]["id"], "reload forgot tick's last job: %s" % s["tick"])
    log = d.log()
    h.check(os.path.join(jd, "d.conf") + ":5:" in log and "minute" in log, "no d.conf:5: fault in the log")
    h.check(os.path.join(jd, "e.conf") + ":6:" in log, "no e.conf:6: ${VAR} fault in the log")
    os.unlink(os.path.join(jd, "c.conf"))
    os.unlink(os.path.join(jd, "d.conf"))
    os.unlink(os.path.join(jd, "e.conf"))
    t_hup = time.monotonic()
    d.proc.send_signal(signal.SIGHUP)
    h.check(h.wait_for(lambda: d.seen("READY=1", t_hup), 5), "no READY=1 after the second SIGHUP")
    h.check(sorted(schedules(d)) == ["hourly", "queue", "skip", "tick"], "a removed file's schedule stays")
    before = {k: len(sched_jobs(d, k)) for k in ("a.conf:tick", "b.conf:hourly", "slow.conf:skip", "slow.conf:queue")}
    rc, took = d.stop()
    h.check(rc == 0, "sched: exit %s" % rc)
    with open(os.path.join(d.state, "schedules.json")) as f:
        kept = json.load(f)
    h.check(sorted(kept) == ["a.conf:tick", "b.conf:hourly", "slow.conf:queue", "slow.conf:skip"],
            "schedules.json: %s" % sorted(kept))

    # two hours later, 5 s before a minute: the persistent ones missed
    # firings and run once at start; hourly (not persistent) does not.  The
    # slow jobs still run at the minute: skip drops that firing, queue
    # waits for its job.
    d.env["GATHERD_TEST_CLOCK_OFFSET"] = str(offset_to(55) + 7200)
    d.start()
    t_start = int(time.time()) + int(d.env["GATHERD_TEST_CLOCK_OFFSET"])
    h.check(h.wait_for(lambda: len(sched_jobs(d, "a.conf:tick")) == before["a.conf:tick"] + 1, 2),
            "persistent: tick did not run at start")
    h.check(len(sched_jobs(d, "slow.conf:skip")) == before["slow.conf:skip"] + 1 and
            len(sched_jobs(d, "slow.conf:queue")) == before["slow.conf:queue"] + 1,
            "persistent: the slow ones did not run once at start")
    h.check(len(sched_jobs(d, "b.conf:hourly")) == 0, "hourly (not persistent) ran at start")
    h.check(d.log().count("missed while the service was down") == 3, "persistent: log: %s" % d.log())
    # the minute: skip is skipped, queue waits
    boundary = (t_start // 60 + 1) * 60
    h.check(h.wait_for(lambda: (schedules(d).get("skip", {}).get("last_run") == rfc(boundary)), 8, 0.1),
            "the minute after the restart did not fire")
    s = schedules(d)
    h.check((s.get("skip", {}).get("last_outcome") or "").startswith("skipped"), "overlap skip: %s" % s.get("skip"))
    h.check((s.get("queue", {}).get("last_outcome") or "").startswith("waiting for job"), "overlap queue: %s" % s.get("queue"))
    h.check(len(sched_jobs(d, "slow.conf:skip")) == before["slow.conf:skip"] + 1, "overlap skip made a job")
    h.check(len(sched_jobs(d, "slow.conf:queue")) == before["slow.conf:queue"] + 1, "overlap queue made a job at once")
    # the queued firing goes when its job ends (cancelled here: no 9 s wait)
    qj = sched_jobs(d, "slow.conf:queue")[-1]["id"]
    d.json("POST", "/v1/jobs/%s/cancel" % qj, want=200)
    h.check(h.wait_for(lambda: len(sched_jobs(d, "slow.conf:queue")) == before["slow.conf:queue"] + 2, 5),
            "overlap queue: the waiting firing did not go once its job ended")
    for k in ("slow.conf:skip", "slow.conf:queue"):
        for j in sched_jobs(d, k):
            if j["state"] in ("queued", "running"):
                d.json("POST", "/v1/jobs/%s/cancel" % j["id"])
    d.stop()


# --- gather ctl against gatherd -------------------------------------------------
def test_ctl(h, tmp, base, npages):
    gather = os.path.join(h.BUILD, "gather")
    d = h.Daemon(tmp, "ctl", "max-jobs = 2\n")
    d.start()

    def ctl(*args, timeout=30, stdin=None):
        r = subprocess.run([gather, "ctl", "--socket", d.sock] + list(args), capture_output=True, text=True,
                           timeout=timeout, input=stdin)
        return r.returncode, r.stdout, r.stderr

    def ctl_json(*args):
        rc, out, err = ctl("--json", *args)
        try:
            return rc, json.loads(out) if out.strip() else None, err
        except ValueError:
            h.bad("ctl %s: not JSON: %r" % (" ".join(args), out[:200]))
            return rc, None, err

    rc, doc, err = ctl_json("status")
    h.check(rc == 0 and doc and doc.get("version") and "jobs" in doc, "ctl status: %d %s %s" % (rc, doc, err))
    rc, out, err = ctl("--table", "status")
    h.check(rc == 0 and "version" in out and "jobs.running" in out, "ctl --table status: %d %r" % (rc, out))

    # submit: good (exit 0), faults (exit 1, FILE:LINE on stderr), both (1, the good one made)
    good, bad_, env = (os.path.join(tmp, n) for n in ("good.conf", "bad.conf", "env.conf"))
    write(good, site_job("quick", base, "  max-pages = 3\n"))
    write(bad_, '# a job\njob "b" {\n  seeds = {"%s/"}\n  colour = "red"\n}\n' % base)
    write(env, site_job("e", base, '  user-agent = "${USER}"\n'))
    rc, doc, err = ctl_json("submit", good)
    h.check(rc == 0 and doc and doc["jobs"][0]["name"] == "quick", "ctl submit: %d %s %s" % (rc, doc, err))
    qid = doc["jobs"][0]["id"] if doc else "0"
    rc, out, err = ctl("submit", bad_)
    h.check(rc == 1 and (bad_ + ":4: ") in err and "colour" in err and out == "", "ctl submit bad: %d %r %r" % (rc, out, err))
    rc, out, err = ctl("submit", env)
    h.check(rc == 1 and (env + ":5: ") in err, "ctl submit ${VAR}: %d %r" % (rc, err))
    rc, doc, err = ctl_json("submit", bad_, good)
    h.check(rc == 1 and doc and doc["jobs"][0]["name"] == "quick", "ctl submit bad good: %d %s" % (rc, doc))
    rc, out, err = ctl("submit", os.path.join(tmp, "missing.conf"))
    h.check(rc == 2 and "missing.conf" in err, "ctl submit of a missing file: %d %r" % (rc, err))
    d.wait_state(qid, "done")

    # jobs, show, records
    rc, doc, err = ctl_json("jobs")
    h.check(rc == 0 and doc and qid in [j["id"] for j in doc["jobs"]], "ctl jobs: %d %s" % (rc, doc))
    rc, doc, err = ctl_json("jobs", "--state", "done")
    h.check(rc == 0 and doc and all(j["state"] == "done" for j in doc["jobs"]) and doc["jobs"], "ctl jobs --state done")
    rc, out, err = ctl("jobs", "--state", "sleeping")
    h.check(rc == 2, "ctl jobs --state sleeping: %d" % rc)
    rc, out, err = ctl("--table", "jobs")
    h.check(rc == 0 and out.split("\n")[0].split()[:4] == ["ID", "NAME", "KIND", "STATE"] and "quick" in out,
            "ctl --table jobs: %r" % out)
    rc, doc, err = ctl_json("show", qid)
    h.check(rc == 0 and doc and doc["id"] == qid and doc["stats"]["pages"] == 3, "ctl show: %d %s" % (rc, doc))
    rc, out, err = ctl("show", "99999")
    h.check(rc == 1 and "no such job" in err and "404" in err, "ctl show of an unknown job: %d %r" % (rc, err))
    rc, out, err = ctl("show", "../etc")
    h.check(rc == 2, "ctl show ../etc: %d" % rc)
    rc, out, err = ctl("records", qid)
    lines = [json.loads(l) for l in out.splitlines() if l]
    h.check(rc == 0 and len(lines) == 3 and all(r["status"] == 200 for r in lines), "ctl records: %d %r" % (rc, out[:200]))

    # a slow job: pause / resume / cancel / rm with their 409s
    slow = site_job("slow", base, "  delay = 0.1\n  per-host = 1\n  concurrency = 1\n")
    r = subprocess.run([gather, "ctl", "--socket", d.sock, "--json", "submit", "-"], input=slow, capture_output=True,
                       text=True, timeout=30)
    sid = json.loads(r.stdout)["jobs"][0]["id"] if r.returncode == 0 else "0"
    h.check(r.returncode == 0, "ctl submit - (stdin): %d %r" % (r.returncode, r.stderr))
    d.wait_state(sid, "running")
    rc, out, err = ctl("rm", sid)
    h.check(rc == 1 and "running" in err and "409" in err, "ctl rm of a running job: %d %r" % (rc, err))
    rc, doc, err = ctl_json("pause", sid)
    h.check(rc == 0 and doc and doc["id"] == sid, "ctl pause: %d %s %r" % (rc, doc, err))
    d.wait_state(sid, "paused")
    rc, out, err = ctl("pause", sid)
    h.check(rc == 1 and "409" in err, "ctl pause of a paused job: %d %r" % (rc, err))
    rc, out, err = ctl("--table", "resume", sid)
    h.check(rc == 0 and sid in out and "STATE" in out, "ctl resume: %d %r %r" % (rc, out, err))
    d.wait_state(sid, "running")
    # records --follow: every page once, ending when the job ends
    t0 = time.monotonic()
    rc, out, err = ctl("records", sid, "--follow", timeout=60)
    urls = [json.loads(l)["url"] for l in out.splitlines() if l]
    h.check(rc == 0 and len(urls) == npages and len(set(urls)) == npages,
            "ctl records --follow: exit %d, %d lines, %d distinct, want %d" % (rc, len(urls), len(set(urls)), npages))
    h.check(d.job(sid)["state"] == "done", "ctl records --follow ended before its job (%s, %.1f s)"
            % (d.job(sid)["state"], time.monotonic() - t0))
    rc, out, err = ctl("cancel", sid)
    h.check(rc == 1 and "409" in err, "ctl cancel of a done job: %d %r" % (rc, err))
    cid = json.loads(subprocess.run([gather, "ctl", "--socket", d.sock, "--json", "submit", "-"], input=slow,
                                    capture_output=True, text=True, timeout=30).stdout)["jobs"][0]["id"]
    d.wait_state(cid, "running")
    rc, out, err = ctl("cancel", cid)
    h.check(rc == 0, "ctl cancel: %d %r" % (rc, err))
    d.wait_state(cid, "cancelled")
    rc, out, err = ctl("--table", "rm", cid)
    h.check(rc == 0 and out.strip() == "removed %s" % cid, "ctl rm: %d %r %r" % (rc, out, err))
    rc, out, err = ctl("show", cid)
    h.check(rc == 1, "ctl show of a removed job: %d" % rc)

    # events: the kept ones (ends), since N, 410 as exit 1; --follow sees a new job
    rc, out, err = ctl("events")
    evs = [json.loads(l) for l in out.splitlines() if l]
    h.check(rc == 0 and evs and [e["id"] for e in evs] == sorted(e["id"] for e in evs), "ctl events: %d %r" % (rc, out[:200]))
    last = evs[-1]["id"] if evs else 0
    rc, out, err = ctl("events", "--since", str(last - 2))
    h.check(rc == 0 and [json.loads(l)["id"] for l in out.splitlines()] == [last - 1, last], "ctl events --since: %r" % out)
    p = subprocess.Popen([gather, "ctl", "--socket", d.sock, "events", "--follow", "--since", str(last)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    h.procs.append(p)
    nid = json.loads(ctl("--json", "submit", good)[1])["jobs"][0]["id"]
    d.wait_state(nid, "done")
    got = []
    end = time.monotonic() + 10
    while len(got) < 3 and time.monotonic() < end:
        line = p.stdout.readline()
        if not line:
            break
        got.append(json.loads(line))
    p.terminate()
    p.wait(5)
    h.check([(e["job"], e["state"]) for e in got] == [(nid, "queued"), (nid, "running"), (nid, "done")],
            "ctl events --follow: %s" % got)

    # schedules: none here (an empty job-dir)
    rc, doc, err = ctl_json("schedules")
    h.check(rc == 0 and doc == {"schedules": []}, "ctl schedules: %d %s" % (rc, doc))

    # usage, and no daemon at the socket: exit 2 naming where it looked
    rc, out, err = ctl("frobnicate")
    h.check(rc == 2 and "unknown verb" in err, "ctl frobnicate: %d %r" % (rc, err))
    rc, out, err = ctl("pause")
    h.check(rc == 2, "ctl pause without an ID: %d" % rc)
    d.stop()
    rc, out, err = ctl("status")
    h.check(rc == 2 and ("no gatherd at %s" % d.sock) in err, "ctl with no daemon: %d %r" % (rc, err))
    env = dict(os.environ)
    for k in ("GATHER_SOCKET", "RUNTIME_DIRECTORY", "XDG_RUNTIME_DIR", "XDG_STATE_HOME"):
        env.pop(k, None)
    env["RUNTIME_DIRECTORY"] = os.path.join(tmp, "nowhere")
    r = subprocess.run([gather, "ctl", "status"], capture_output=True, text=True, timeout=30, env=env)
    h.check(r.returncode == 2 and os.path.join(tmp, "nowhere", "gatherd.sock") in r.stderr,
            "ctl without --socket and no daemon: %d %r" % (r.returncode, r.stderr))
