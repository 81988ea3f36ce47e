#!/bin/sh
# systemd_units.sh — the units and man pages this build installs: the man
# pages name the configured paths (no @var@ left; the job directory is the
# unit's), `systemd-analyze verify` accepts gather@.service and gather@.timer
# (Documentation= resolved against the built man pages), and
# `systemd-analyze security --offline=yes` rates gather@.service's exposure
# at 2.0 or less.  The man checks always run; without systemd-analyze the
# rest is skipped (exit 77) with a message.
set -u
: "${top_builddir:=.}" "${top_srcdir:=.}"
fail=0
bad() { echo "FAIL: $*" >&2; fail=1; }
b=$(cd "$top_builddir" && pwd)
tmp=$(mktemp -d /tmp/systemd_units.XXXXXX) || exit 99
trap 'rm -rf "$tmp"' EXIT

unit="$b/systemd/gather@.service"
[ -f "$unit" ] || { echo "FAIL: $unit not built" >&2; exit 1; }
for m in cmd/gather/gather.1 cmd/gatherd/gatherd.8 conf/gather.conf.5; do
	[ -f "$b/$m" ] || { bad "$m not built"; continue; }
	grep -n '@[a-z_]*@' "$b/$m" && bad "$m: a @var@ left unsubstituted"
done
grep -n '@[a-z_]*@' "$unit" && bad "gather@.service: a @var@ left unsubstituted"
# the job files the unit runs are where the man pages say
jobs=$(sed -n 's|^ExecStart=[^ ]* run \(.*\)/%i\.conf$|\1|p' "$unit")
case $jobs in /*/gather/jobs) ;; *) bad "gather@.service: ExecStart names no job file: $(grep ExecStart "$unit")" ;; esac
grep -qF "$jobs/NAME.conf" "$b/cmd/gather/gather.1" || bad "gather.1 does not name $jobs/NAME.conf"
grep -qF "$jobs/NAME.conf" "$b/cmd/gatherd/gatherd.8" || bad "gatherd.8 does not name $jobs/NAME.conf"
grep -qF "$jobs/" "$b/conf/gather.conf.5" || bad "gather.conf.5 does not name $jobs/"
env=$(sed -n 's|^EnvironmentFile=-\(.*\)/%i\.env$|\1|p' "$unit")
[ "$env/jobs" = "$jobs" ] || bad "gather@.service: EnvironmentFile=-$env/%i.env is not beside $jobs"
grep -qF "$env/NAME.env" "$b/conf/gather.conf.5" || bad "gather.conf.5 does not name $env/NAME.env"
# the unit's success statuses are gather's: 0, 3 (a limit) and 143
# (systemctl stop: SIGTERM), not 1
grep -qx 'SuccessExitStatus=3 143' "$unit" || bad "gather@.service: SuccessExitStatus is not 3 143"

if ! command -v systemd-analyze >/dev/null 2>&1; then
	echo "systemd-analyze is not installed: unit checks skipped" >&2
	[ $fail -eq 0 ] && exit 77
	exit 1
fi
# an instance, running this build's gather, as systemd would load it
sed "s|^ExecStart=[^ ]*|ExecStart=$b/gather|" "$unit" > "$tmp/gather@test.service"
cp "$top_srcdir/systemd/gather@.timer" "$tmp/gather@test.timer"
mkdir -p "$tmp/man/man1" "$tmp/man/man5" "$tmp/man/man8"
cp "$b/cmd/gather/gather.1" "$tmp/man/man1/" 2>/dev/null
cp "$b/conf/gather.conf.5" "$tmp/man/man5/" 2>/dev/null
cp "$b/cmd/gatherd/gatherd.8" "$tmp/man/man8/" 2>/dev/null
man_opt=""
command -v man >/dev/null 2>&1 || man_opt="--man=no"
# shellcheck disable=SC2086
MANPATH="$tmp/man" timeout 60 systemd-analyze verify $man_opt "$tmp/gather@test.service" \
	"$tmp/gather@test.timer" >"$tmp/verify" 2>&1 || bad "systemd-analyze verify: $(cat "$tmp/verify")"
[ -s "$tmp/verify" ] && bad "systemd-analyze verify warns: $(cat "$tmp/verify")"
timeout 60 systemd-analyze security --offline=yes "$tmp/gather@test.service" >"$tmp/sec" 2>&1
level=$(sed -n 's/.*Overall exposure level for gather@test.service: \([0-9.]*\).*/\1/p' "$tmp/sec")
[ -n "$level" ] || { bad "systemd-analyze security: no level: $(tail -n 5 "$tmp/sec")"; exit 1; }
echo "gather@.service exposure: $level"
awk -v l="$level" 'BEGIN { exit !(l <= 2.0) }' || bad "gather@.service exposure $level > 2.0: $(grep '✗' "$tmp/sec" | head -n 20)"

# gatherd.service and gatherd.socket (issue 14): verify, exposure <= 1.5,
# Type=notify with a watchdog, the socket 0660 for the group gather, which
# the sysusers.d file makes
d="$b/systemd/gatherd.service"
[ -f "$d" ] || { bad "$d not built"; exit 1; }
grep -n '@[a-z_]*@' "$d" && bad "gatherd.service: a @var@ left unsubstituted"
sed "s|^ExecStart=[^ ]*|ExecStart=$b/gatherd|" "$d" > "$tmp/gatherd.service"
cp "$top_srcdir/systemd/gatherd.socket" "$tmp/gatherd.socket"
for k in Type=notify WatchdogSec= 'ExecReload=' StateDirectory=gather RuntimeDirectory=gather LogsDirectory=gather; do
	grep -q "^$k" "$d" || bad "gatherd.service: no $k"
done
grep -qx 'SocketMode=0660' "$tmp/gatherd.socket" || bad "gatherd.socket: not 0660"
grep -qx 'SocketGroup=gather' "$tmp/gatherd.socket" || bad "gatherd.socket: not group gather"
grep -q '^g gather ' "$top_srcdir/systemd/gather.sysusers" || bad "gather.sysusers: no static group gather"
# shellcheck disable=SC2086
MANPATH="$tmp/man" timeout 60 systemd-analyze verify $man_opt "$tmp/gatherd.service" \
	"$tmp/gatherd.socket" >"$tmp/verify" 2>&1 || bad "systemd-analyze verify gatherd: $(cat "$tmp/verify")"
[ -s "$tmp/verify" ] && bad "systemd-analyze verify gatherd warns: $(cat "$tmp/verify")"
timeout 60 systemd-analyze security --offline=yes "$tmp/gatherd.service" >"$tmp/sec" 2>&1
level=$(sed -n 's/.*Overall exposure level for gatherd.service: \([0-9.]*\).*/\1/p' "$tmp/sec")
[ -n "$level" ] || { bad "systemd-analyze security gatherd: no level: $(tail -n 5 "$tmp/sec")"; exit 1; }
echo "gatherd.service exposure: $level"
awk -v l="$level" 'BEGIN { exit !(l <= 1.5) }' || bad "gatherd.service exposure $level > 1.5: $(grep '✗' "$tmp/sec" | head -n 20)"
exit $fail
