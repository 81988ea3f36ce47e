/* cron.c — 5-field cron schedules and their next firing (cron.h). */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gather/error.h"
#include "util/cron.h"

static const struct field {
	const char *name;
	unsigned lo, hi;
	const char *const *names; /* names[i] is value names_base + i */
	unsigned names_base;
} fields[GATHER_CRON_NFIELDS] = {
	{ "minute", 0, 59, NULL, 0 },
	{ "hour", 0, 23, NULL, 0 },
	{ "day-of-month", 1, 31, NULL, 0 },
	{ "month", 1, 12, (const char *const[]){ "jan", "feb", "mar", "apr", "may", "jun", "jul",
	                                         "aug", "sep", "oct", "nov", "dec", NULL }, 1 },
	/* 7 is Sunday too (crontab(5)); folded into bit 0 */
	{ "day-of-week", 0, 7, (const char *const[]){ "sun", "mon", "tue", "wed", "thu", "fri",
	                                              "sat", NULL }, 0 },
};

static const struct {
	const char *name, *spec;
} macros[] = {
	{ "@yearly", "0 0 1 1 *" }, { "@annually", "0 0 1 1 *" }, { "@monthly", "0 0 1 * *" },
	{ "@weekly", "0 0 * * 0" }, { "@daily", "0 0 * * *" }, { "@midnight", "0 0 * * *" },
	{ "@hourly", "0 * * * *" },
};

/* A message "FIELD field at column N: ..." into err; returns GATHER_E_INVALID. */
static int field_err(char *err, size_t errlen, const struct field *f, size_t col, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static int field_err(char *err, size_t errlen, const struct field *f, size_t col, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(err, errlen, "%s field at column %zu: ", f->name, col);
	if (n >= 0 && (size_t)n < errlen) {
		va_start(ap, fmt);
		vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return GATHER_E_INVALID;
}

/* An unexpected byte, quoted when printable. */
static int bad_char(char *err, size_t errlen, const struct field *f, size_t col, char c,
                    const char *why)
{
	if (isprint((unsigned char)c))
		return field_err(err, errlen, f, col, "unexpected '%c'%s", c, why);
	return field_err(err, errlen, f, col, "unexpected byte 0x%02x%s", (unsigned char)c, why);
}

/* One value at s (a number or, for month and day of week, a name) into
 * *ret; *end past it.  Called for each end of a range and for a step
 * (names false).  Numbers stop growing at 9999: any larger is out of
 * range anyway, and they cannot overflow. */
static int parse_value(const char *s, const char **end, const struct field *f, bool names,
                       const char *spec, unsigned *ret, char *err, size_t errlen)
{
	size_t col = (size_t)(s - spec) + 1;
	if (isdigit((unsigned char)*s)) {
		unsigned v = 0;
		while (isdigit((unsigned char)*s)) {
			if (v > 9999)
				return field_err(err, errlen, f, col, "number too large");
			v = v * 10 + (unsigned)(*s - '0');
			s++;
		}
		*end = s;
		*ret = v;
		return 0;
	}
	if (names && f->names && isalpha((unsigned char)*s)) {
		size_t n = 0;
		while (isalpha((unsigned char)s[n]))
			n++;
		for (unsigned i = 0; n == 3 && f->names[i]; i++)
			if (strncasecmp(s, f->names[i], 3) == 0) {
				*ret = f->names_base + i;
				*end = s + 3;
				return 0;
			}
		return field_err(err, errlen, f, col, "'%.*s' is not a number nor a name %s..%s",
		                 (int)(n > 20 ? 20 : n), s, f->names[0],
		                 f == &fields[GATHER_CRON_MONTH] ? "dec" : "sat");
	}
	if (!*s || *s == ',' || *s == ' ' || *s == '\t')
		return field_err(err, errlen, f, col, "a value is missing");
	return bad_char(err, errlen, f, col, *s, f->names ? "" : " (a number was expected)");
}

/* Field fi of spec, the text [s, e), into *bits. */
static int parse_field(const char *spec, const char *s, const char *e, unsigned fi,
                       uint64_t *bits, char *err, size_t errlen)
{
	const struct field *f = &fields[fi];
	*bits = 0;
	for (;;) {
		const char *el = s;
		unsigned a, b, step = 1;
		int r;
		if (*s == '*') {
			a = f->lo, b = f->hi;
			s++;
		} else {
			if ((r = parse_value(s, &s, f, true, spec, &a, err, errlen)) < 0)
				return r;
			b = a;
			if (*s == '-') {
				if ((r = parse_value(s + 1, &s, f, true, spec, &b, err, errlen)) < 0)
					return r;
			} else if (*s == '/') {
				b = f->hi; /* N/STEP: from N to the end (cronie) */
			}
			if (a < f->lo || a > f->hi || b < f->lo || b > f->hi)
				return field_err(err, errlen, f, (size_t)(el - spec) + 1,
				                 "%u is out of range %u-%u", a < f->lo || a > f->hi ? a : b,
				                 f->lo, f->hi);
			if (a > b)
				return field_err(err, errlen, f, (size_t)(el - spec) + 1,
				                 "range %u-%u goes backwards", a, b);
		}
		if (*s == '/') {
			const char *st = s + 1;
			if (!isdigit((unsigned char)*st))
				return field_err(err, errlen, f, (size_t)(st - spec) + 1,
				                 "a step must be a number");
			if ((r = parse_value(st, &s, f, false, spec, &step, err, errlen)) < 0)
				return r;
			/* a step past the range selects its first value alone
			 * (Vixie cron); 0 or absurd sizes are mistakes */
			if (step == 0 || step > f->hi + 1)
				return field_err(err, errlen, f, (size_t)(st - spec) + 1,
				                 "step %u is out of range 1-%u", step, f->hi + 1);
		}
		for (unsigned v = a; v <= b; v += step)
			*bits |= 1ull << (fi == GATHER_CRON_DOW && v == 7 ? 0 : v);
		if (s == e)
			return 0;
		if (*s != ',')
			return bad_char(err, errlen, f, (size_t)(s - spec) + 1, *s, "");
		s++;
		if (s == e)
			return field_err(err, errlen, f, (size_t)(s - spec) + 1, "a value is missing after ','");
	}
}

static bool is_leap(long y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned month_days(long y, unsigned m)
{
	static const unsigned char d[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	return m == 2 && is_leap(y) ? 29 : d[m - 1];
}

/* Whether some month of the month field has some day of the day-of-month
 * field (February counts 29 days): else, with the days ANDed, the schedule
 * never fires. */
static bool dom_possible(const struct gather_cron *c)
{
	for (unsigned m = 1; m <= 12; m++)
		if (c->bits[GATHER_CRON_MONTH] >> m & 1)
			for (unsigned d = 1; d <= (m == 2 ? 29u : month_days(2001, m)); d++)
				if (c->bits[GATHER_CRON_DOM] >> d & 1)
					return true;
	return false;
}

static int parse_fields(const char *spec, const char *text, struct gather_cron *ret, char *err,
                        size_t errlen)
{
	struct gather_cron c = { 0 };
	const char *s = text;
	unsigned n = 0;
	int r;

	for (;;) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s)
			break;
		const char *e = s;
		while (*e && *e != ' ' && *e != '\t')
			e++;
		if (n == GATHER_CRON_NFIELDS) {
			snprintf(err, errlen, "column %zu: more than 5 fields (minute hour day-of-month "
			         "month day-of-week)", (size_t)(s - spec) + 1);
			return GATHER_E_INVALID;
		}
		if (n == GATHER_CRON_DOM)
			c.dom_star = *s == '*';
		if (n == GATHER_CRON_DOW)
			c.dow_star = *s == '*';
		if ((r = parse_field(spec, s, e, n, &c.bits[n], err, errlen)) < 0)
			return r;
		n++;
		s = e;
	}
	if (n < GATHER_CRON_NFIELDS) {
		snprintf(err, errlen, "column %zu: %u field%s, expected 5 (minute hour day-of-month month "
		         "day-of-week) or a macro (@hourly, @daily, @weekly, @monthly, @yearly)",
		         (size_t)(s - spec) + 1, n, n == 1 ? "" : "s");
		return GATHER_E_INVALID;
	}
	if ((c.dom_star || c.dow_star) && !dom_possible(&c)) {
		/* name the column of the day-of-month field, the third */
		const char *p = text;
		for (unsigned k = 0; k < 3; k++) {
			while (*p == ' ' || *p == '\t')
				p++;
			if (k < 2)
				while (*p && *p != ' ' && *p != '\t')
					p++;
		}
		snprintf(err, errlen, "day-of-month field at column %zu: no month of the month field "
		         "has such a day: the schedule never fires", (size_t)(p - spec) + 1);
		return GATHER_E_INVALID;
	}
	*ret = c;
	return 0;
}

int gather_cron_parse(const char *spec, struct gather_cron *ret, char *err, size_t errlen)
{
	const char *s = spec;
	if (!spec) {
		snprintf(err, errlen, "no schedule");
		return GATHER_E_INVALID;
	}
	while (*s == ' ' || *s == '\t')
		s++;
	if (*s != '@')
		return parse_fields(spec, spec, ret, err, errlen);
	size_t n = strcspn(s, " \t");
	for (size_t i = 0; i < sizeof macros / sizeof *macros; i++)
		if (strlen(macros[i].name) == n && strncasecmp(s, macros[i].name, n) == 0) {
			const char *t = s + n + strspn(s + n, " \t");
			if (*t) {
				snprintf(err, errlen, "column %zu: nothing may follow %s",
				         (size_t)(t - spec) + 1, macros[i].name);
				return GATHER_E_INVALID;
			}
			return parse_fields(macros[i].spec, macros[i].spec, ret, err, errlen);
		}
	snprintf(err, errlen, "column %zu: unknown macro '%.*s' (expected @hourly, @daily, @midnight, "
	         "@weekly, @monthly, @yearly or @annually)", (size_t)(s - spec) + 1,
	         (int)(n > 20 ? 20 : n), s);
	return GATHER_E_INVALID;
}

int gather_cron_tz_check(const char *tz, char *err, size_t errlen)
{
	const char *dir = getenv("TZDIR");
	char path[4096], magic[4];
	size_t n = tz ? strlen(tz) : 0;

	if (!n || n > 255 || tz[0] == '/' || strstr(tz, "..") ||
	    strspn(tz, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_+-./") != n) {
		snprintf(err, errlen, "'%.64s' is not a time zone name (e.g. Europe/Berlin, UTC)",
		         tz ? tz : "");
		return GATHER_E_INVALID;
	}
	snprintf(path, sizeof path, "%s/%s", dir && *dir ? dir : "/usr/share/zoneinfo", tz);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	ssize_t got = fd >= 0 ? read(fd, magic, sizeof magic) : -1;
	int e = errno;
	if (fd >= 0)
		close(fd);
	if (got != (ssize_t)sizeof magic || memcmp(magic, "TZif", 4) != 0) {
		snprintf(err, errlen, "unknown time zone '%s' (%s)", tz,
		         got < 0 ? strerror(e) : "not a tz database file");
		return GATHER_E_INVALID;
	}
	return 0;
}

/* ------------------------------------------------------------ next firing */

/* Days since 1970-01-01 of a proleptic Gregorian date, and back (Howard
 * Hinnant's chrono algorithms): no time zone, no libc, no limits. */
static long days_from_civil(long y, unsigned m, unsigned d)
{
	y -= m <= 2;
	long era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long)doe - 719468;
}

static void civil_from_days(long z, long *y, unsigned *m, unsigned *d)
{
	z += 719468;
	long era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (long)yoe + era * 400 + (*m <= 2);
}

/* The local wall-clock time of t, as seconds since the epoch as if the wall
 * clock were UTC ("naive"); false when libc cannot convert t. */
static bool local_naive(time_t t, long long *ret)
{
	struct tm tm;
	if (!localtime_r(&t, &tm))
		return false;
	*ret = (long long)days_from_civil(tm.tm_year + 1900L, (unsigned)tm.tm_mon + 1,
	                                  (unsigned)tm.tm_mday) * 86400 +
	       tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec;
	return true;
}

/* The first instant whose local wall clock reads naive time u; in a gap
 * (no such instant), the first instant after the gap.  Offsets are taken a
 * day either side: a zone changes its offset at most once in two days. */
static bool instant_of(long long u, time_t *ret)
{
	long long offs[3], l;
	size_t n = 0;
	bool found = false;
	time_t best = 0;

	for (int k = -1; k <= 1; k++) {
		time_t probe = (time_t)(u + k * 86400);
		if (!local_naive(probe, &l))
			return false;
		long long off = l - (long long)probe;
		bool dup = false;
		for (size_t i = 0; i < n; i++)
			dup |= offs[i] == off;
		if (!dup)
			offs[n++] = off;
	}
	for (size_t i = 0; i < n; i++) {
		time_t t = (time_t)(u - offs[i]);
		if (local_naive(t, &l) && l == u && (!found || t < best))
			best = t, found = true;
	}
	if (!found) {
		/* the gap: the smallest t whose wall clock is past u; the
		 * wall clock rises with t across a gap, so bisect */
		long long lo = u, hi = u;
		for (size_t i = 0; i < n; i++) {
			lo = u - offs[i] < lo ? u - offs[i] : lo;
			hi = u - offs[i] > hi ? u - offs[i] : hi;
		}
		lo -= 1, hi += 1;
		while (hi - lo > 1) {
			long long mid = lo + (hi - lo) / 2;
			if (!local_naive((time_t)mid, &l))
				return false;
			if (l > u)
				hi = mid;
			else
				lo = mid;
		}
		best = (time_t)hi;
	}
	*ret = best;
	return true;
}

static bool day_matches(const struct gather_cron *c, unsigned d, unsigned wday)
{
	bool dom = c->bits[GATHER_CRON_DOM] >> d & 1, dow = c->bits[GATHER_CRON_DOW] >> wday & 1;
	/* Vixie cron: both restricted, either day; else both */
	return c->dom_star || c->dow_star ? dom && dow : dom || dow;
}

/* Walk the wall-clock minutes that match c, from the one after after's,
 * until one maps to an instant past after.  A minute that happened twice
 * maps to its first instant, which is not past after once the first has
 * fired: so it fires once. */
static int next_local(const struct gather_cron *c, time_t after, time_t *ret)
{
	long long a;
	if (!local_naive(after, &a))
		return GATHER_E_INVALID;
	long long start = a - ((a % 60) + 60) % 60 + 60;
	long day0 = (long)((start - ((start % 86400) + 86400) % 86400) / 86400);
	unsigned smin = (unsigned)((start - (long long)day0 * 86400) / 60);

	/* 50 years: a date on a weekday recurs within 40 (28 but across a
	 * century that is not a leap year) */
	for (long day = day0; day < day0 + 50L * 366; day++) {
		long y;
		unsigned m, d, wday = (unsigned)(((day % 7) + 11) % 7); /* 1970-01-01: Thursday */
		civil_from_days(day, &y, &m, &d);
		if (y > 9999)
			return GATHER_E_INVALID;
		if (!(c->bits[GATHER_CRON_MONTH] >> m & 1) || !day_matches(c, d, wday))
			continue;
		for (unsigned h = day == day0 ? smin / 60 : 0; h < 24; h++) {
			if (!(c->bits[GATHER_CRON_HOUR] >> h & 1))
				continue;
			for (unsigned mi = day == day0 && h == smin / 60 ? smin % 60 : 0; mi < 60; mi++) {
				time_t t;
				if (!(c->bits[GATHER_CRON_MIN] >> mi & 1))
					continue;
				if (!instant_of((long long)day * 86400 + h * 3600 + mi * 60, &t))
					return GATHER_E_INVALID;
				if (t > after) {
					*ret = t;
					return 0;
				}
			}
		}
	}
	return GATHER_E_INVALID;
}

/* TZ is process-wide: one conversion at a time (cron.h, Threads). */
static pthread_mutex_t tz_lock = PTHREAD_MUTEX_INITIALIZER;

int gather_cron_next(const struct gather_cron *c, const char *tz, time_t after, time_t *ret)
{
	char err[320], *old = NULL, *want = NULL;
	const char *cur;
	int rc;

	if (tz && gather_cron_tz_check(tz, err, sizeof err) < 0)
		return GATHER_E_INVALID;
	pthread_mutex_lock(&tz_lock);
	if (tz) {
		/* ":NAME": a tz database file, never a POSIX rule string */
		if ((cur = getenv("TZ")) && !(old = strdup(cur))) {
			pthread_mutex_unlock(&tz_lock);
			return GATHER_E_NOMEM;
		}
		size_t n = strlen(tz) + 2;
		if (!(want = malloc(n)) || (snprintf(want, n, ":%s", tz), setenv("TZ", want, 1) < 0)) {
			free(old);
			free(want);
			pthread_mutex_unlock(&tz_lock);
			return GATHER_E_NOMEM;
		}
	}
	/* localtime_r does not read TZ again by itself (glibc): tzset does */
	tzset();
	rc = next_local(c, after, ret);
	if (tz) {
		if (old)
			setenv("TZ", old, 1);
		else
			unsetenv("TZ");
		tzset();
		free(old);
		free(want);
	}
	pthread_mutex_unlock(&tz_lock);
	return rc;
}
