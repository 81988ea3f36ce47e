#!/bin/sh
# gatherd.sh — runs tests/daemon/gatherd_test.py (gatherd end to end: the
# systemd notifications, every API row and error code, limits, a crawl,
# kill -9 and SIGTERM with restarts, confinement, the TCP listener's 401,
# the watchdog with one hung worker, logs, --check; the spool, schedules and
# gather ctl against gatherd: gatherd_more.py).  Skipped without python3.
: "${top_builddir:=.}" "${top_srcdir:=.}"
command -v python3 >/dev/null 2>&1 || { echo "python3 is not installed: skipped" >&2; exit 77; }
exec timeout 300 python3 "$top_srcdir/tests/daemon/gatherd_test.py" "$top_builddir"
