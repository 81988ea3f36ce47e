/* cron.h — 5-field cron schedules (crontab(5) as Vixie cron reads them) and
 * their next firing in a time zone, for gatherd's `schedule = "CRON"` job
 * key (issue 14).
 *
 * Why in util (layer 0) and not lib/daemon: a job file's schedule is checked
 * where job files are loaded (lib/job, layer 6: `gather check`, gatherd's
 * POST /v1/jobs and its spool all report a bad schedule as FILE:LINE the
 * same way), and the layer rule lets lib/job include only lower layers.  It
 * needs libc alone.
 *
 * Syntax: "MIN HOUR DOM MONTH DOW", fields separated by blanks.  A field is
 * a list of elements separated by ',': '*', N, N-M, each optionally
 * followed by /STEP ('*' /STEP: every STEP from the field's low end; N/STEP:
 * from N to the field's high end, as cronie reads it).  Months take jan..dec
 * and days of the week sun..sat (any case), also in ranges; day of week 7 is
 * Sunday, as 0.  Vixie cron's rule: when both day fields are restricted
 * (neither starts with '*'), a day matches when either matches; otherwise
 * both must.  Macros: @yearly = @annually, @monthly, @weekly, @daily =
 * @midnight, @hourly (not @reboot: a service has no boot to run at).
 *
 * Usage by the daemon (one struct per scheduled job, parsed once):
 *
 *	struct gather_cron c;
 *	char err[256];
 *	if (gather_cron_parse(job->schedule, &c, err, sizeof err) < 0)
 *		... cannot happen for a job that loaded: gather_jobfile_load
 *		    already refused it as FILE:LINE ...
 *	time_t next;
 *	if (gather_cron_next(&c, job->timezone, time(NULL), &next) == 0)
 *		arm a timer for next - now (seconds; wall clock: re-arm after
 *		a clock jump, i.e. check time(NULL) >= next when it fires and
 *		compute again from the time it fired, never from the timer's
 *		own idea of time)
 *
 * After a firing at T, the next one is gather_cron_next(&c, tz, T, &next).
 * For `persistent = true`: on start, with L the last recorded firing,
 * gather_cron_next(&c, tz, L, &due) and due <= now means a run was missed
 * while the service was down: run once now (as systemd's Persistent=).
 *
 * Threads: gather_cron_parse and gather_cron_tz_check from any thread.
 * gather_cron_next with a tz sets TZ for its own duration under a lock
 * inside cron.c and restores it: glibc offers no per-call time zone.  Call
 * it from one thread (gatherd's reactor), while no other thread converts
 * local time (localtime_r, mktime, strftime %Z): they would see tz for
 * those microseconds.  gather's own records use UTC (gmtime_r), untouched. */
#ifndef GATHER_CRON_H
#define GATHER_CRON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

enum { GATHER_CRON_MIN, GATHER_CRON_HOUR, GATHER_CRON_DOM, GATHER_CRON_MONTH, GATHER_CRON_DOW,
       GATHER_CRON_NFIELDS };

struct gather_cron {
	/* bit v of bits[f]: value v of field f matches (minute 0-59, hour
	 * 0-23, day of month 1-31, month 1-12, day of week 0-6 with 0 Sunday) */
	uint64_t bits[GATHER_CRON_NFIELDS];
	bool dom_star, dow_star; /* the field's text starts with '*' (Vixie) */
};

/* Parse spec into *ret (set only on success).  0, or GATHER_E_INVALID with
 * a message in err naming the field and its 1-based column, e.g.
 * "hour field at column 4: 25 is out of range 0-23".  A schedule that can
 * never fire ("0 0 30 2 *") is refused too. */
int gather_cron_parse(const char *spec, struct gather_cron *ret, char *err, size_t errlen);

/* Whether tz names a time zone of the tz database (a TZif file under
 * $TZDIR, else /usr/share/zoneinfo, e.g. "Europe/Berlin", "UTC"): 0, or
 * GATHER_E_INVALID with a message (glibc would take an unknown name as UTC,
 * silently).  Names holding "..", starting with '/' or with characters
 * outside [A-Za-z0-9_+-./] are refused without touching the disk. */
int gather_cron_tz_check(const char *tz, char *err, size_t errlen);

/* The first firing of c strictly after `after`, in time zone tz (NULL: the
 * process's local zone), into *ret.  Wall-clock times that do not exist (a
 * DST gap) fire at the first instant after the gap, as systemd's calendar
 * timers do; times that happen twice (DST ends) fire once, at the first.
 * 0, or GATHER_E_INVALID: tz unknown, or no firing within 50 years (only
 * for a struct not made by gather_cron_parse), or past year 9999. */
int gather_cron_next(const struct gather_cron *c, const char *tz, time_t after, time_t *ret);

#endif
