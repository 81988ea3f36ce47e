/* test_cron.c — the cron parser and its next firing (util/cron.h): tables of
 * schedules against firings worked out by hand (DST in Europe/Berlin and
 * America/New_York, Feb 29, Vixie's day rule, macros), bad input naming its
 * field and column, and a brute-force cross-check in UTC: every minute
 * tested against the fields, one at a time. */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gather/error.h"
#include "util/cron.h"
#include "ckmain.h"

/* "YYYY-MM-DD HH:MM:SS" in UTC to time_t. */
static time_t utc(const char *s)
{
	struct tm tm = { 0 };
	const char *end = strptime(s, "%Y-%m-%d %H:%M:%S", &tm);
	ck_assert_msg(end && !*end, "bad time in the table: %s", s);
	return timegm(&tm);
}

static const char *fmt(time_t t, char *buf, size_t len)
{
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
	return buf;
}

static const struct next_case {
	const char *spec, *tz, *after, *want; /* times in UTC */
} next_cases[] = {
	{ "* * * * *", "UTC", "2026-01-01 00:00:00", "2026-01-01 00:01:00" },
	{ "* * * * *", "UTC", "2026-01-01 00:00:30", "2026-01-01 00:01:00" },
	{ "0 * * * *", "UTC", "2026-01-01 00:00:00", "2026-01-01 01:00:00" },
	{ "*/15 * * * *", "UTC", "2026-01-01 10:14:59", "2026-01-01 10:15:00" },
	{ "*/15 * * * *", "UTC", "2026-01-01 10:15:00", "2026-01-01 10:30:00" },
	{ "5/20 * * * *", "UTC", "2026-01-01 10:06:00", "2026-01-01 10:25:00" },
	{ "*/60 * * * *", "UTC", "2026-01-01 10:06:00", "2026-01-01 11:00:00" },
	{ "10-40/15 3 * * *", "UTC", "2026-01-01 03:26:00", "2026-01-01 03:40:00" },
	{ "1,2,3-4 * * * *", "UTC", "2026-01-01 10:02:00", "2026-01-01 10:03:00" },
	/* Feb 29: leap years only, and 2100 is none */
	{ "0 0 29 2 *", "UTC", "2026-03-01 00:00:00", "2028-02-29 00:00:00" },
	{ "0 0 29 2 *", "UTC", "2096-03-01 00:00:00", "2104-02-29 00:00:00" },
	{ "0 0 31 * *", "UTC", "2026-01-31 00:00:00", "2026-03-31 00:00:00" },
	{ "59 23 31 12 *", "UTC", "2026-12-31 23:59:00", "2027-12-31 23:59:00" },
	/* 2026-12-02 is a Wednesday */
	{ "0 0 * * 7", "UTC", "2026-12-02 00:00:00", "2026-12-06 00:00:00" },
	{ "0 0 * * 0", "UTC", "2026-12-02 00:00:00", "2026-12-06 00:00:00" },
	{ "0 0 * * SUN", "UTC", "2026-12-02 00:00:00", "2026-12-06 00:00:00" },
	{ "0 0 * * 5-7", "UTC", "2026-12-02 00:00:00", "2026-12-04 00:00:00" },
	{ "0 0 * * fri-sat", "UTC", "2026-12-05 00:00:00", "2026-12-11 00:00:00" },
	/* Vixie: both day fields restricted: either; one starts with '*': both */
	{ "30 4 1,15 * 5", "UTC", "2026-12-02 00:00:00", "2026-12-04 04:30:00" },
	{ "30 4 1,15 * 5", "UTC", "2026-12-12 00:00:00", "2026-12-15 04:30:00" },
	{ "30 4 */10 * 5", "UTC", "2026-12-02 00:00:00", "2026-12-11 04:30:00" },
	{ "30 4 15 * */7", "UTC", "2026-12-02 00:00:00", "2027-08-15 04:30:00" }, /* a Sunday the 15th */
	{ "30 4 15 * *", "UTC", "2026-12-02 00:00:00", "2026-12-15 04:30:00" },
	{ "0 12 * jan-mar mon-fri", "UTC", "2026-12-02 00:00:00", "2027-01-01 12:00:00" },
	{ "0 12 * Feb *", "UTC", "2026-12-02 00:00:00", "2027-02-01 12:00:00" },
	{ "@yearly", "UTC", "2026-12-02 00:00:00", "2027-01-01 00:00:00" },
	{ "@annually", "UTC", "2026-12-02 00:00:00", "2027-01-01 00:00:00" },
	{ "@monthly", "UTC", "2026-11-15 00:00:00", "2026-12-01 00:00:00" },
	{ "@weekly", "UTC", "2026-12-02 00:00:00", "2026-12-06 00:00:00" },
	{ "@daily", "UTC", "2026-12-02 10:00:00", "2026-12-03 00:00:00" },
	{ "@midnight", "UTC", "2026-12-02 10:00:00", "2026-12-03 00:00:00" },
	{ "  @hourly  ", "UTC", "2026-12-02 10:30:00", "2026-12-02 11:00:00" },
	{ "\t0  9\t* * *", "UTC", "2026-12-02 10:30:00", "2026-12-03 09:00:00" },
	/* Europe/Berlin: 2026-03-29 02:00 CET -> 03:00 CEST (01:00Z);
	 * 2026-10-25 03:00 CEST -> 02:00 CET (01:00Z) */
	{ "0 9 * * *", "Europe/Berlin", "2026-03-28 12:00:00", "2026-03-29 07:00:00" },
	{ "0 9 * * *", "Europe/Berlin", "2026-03-27 12:00:00", "2026-03-28 08:00:00" },
	{ "30 2 * * *", "Europe/Berlin", "2026-03-28 12:00:00", "2026-03-29 01:00:00" }, /* gap */
	{ "30 2 * * *", "Europe/Berlin", "2026-03-29 01:00:00", "2026-03-30 00:30:00" },
	{ "*/30 2 * * *", "Europe/Berlin", "2026-03-29 00:00:00", "2026-03-29 01:00:00" },
	{ "*/30 2 * * *", "Europe/Berlin", "2026-03-29 01:00:00", "2026-03-30 00:00:00" }, /* once */
	{ "30 2 * * *", "Europe/Berlin", "2026-10-24 12:00:00", "2026-10-25 00:30:00" }, /* first */
	{ "30 2 * * *", "Europe/Berlin", "2026-10-25 00:30:00", "2026-10-26 01:30:00" }, /* not again */
	{ "30 2 * * *", "Europe/Berlin", "2026-10-25 01:10:00", "2026-10-26 01:30:00" },
	{ "0 * * * *", "Europe/Berlin", "2026-10-25 00:30:00", "2026-10-25 02:00:00" },
	{ "0 3 * * *", "Europe/Berlin", "2026-10-25 00:30:00", "2026-10-25 02:00:00" },
	/* America/New_York: 2026-03-08 02:00 EST -> 03:00 EDT (07:00Z);
	 * 2026-11-01 02:00 EDT -> 01:00 EST (06:00Z) */
	{ "30 2 * * *", "America/New_York", "2026-03-07 12:00:00", "2026-03-08 07:00:00" }, /* gap */
	{ "30 1 * * *", "America/New_York", "2026-10-31 12:00:00", "2026-11-01 05:30:00" },
	{ "30 1 * * *", "America/New_York", "2026-11-01 05:30:00", "2026-11-02 06:30:00" },
	{ "0 0 * * *", "America/New_York", "2026-12-02 00:00:00", "2026-12-02 05:00:00" },
	{ "0 0 29 2 *", "America/New_York", "2026-03-01 00:00:00", "2028-02-29 05:00:00" },
};

START_TEST(test_next)
{
	const struct next_case *k = &next_cases[_i];
	struct gather_cron c;
	char err[256], got[32], want[32];
	time_t t = 0;

	ck_assert_msg(gather_cron_parse(k->spec, &c, err, sizeof err) == 0, "%s: %s", k->spec, err);
	ck_assert_int_eq(gather_cron_next(&c, k->tz, utc(k->after), &t), 0);
	ck_assert_msg(t == utc(k->want), "'%s' in %s after %s: got %s, want %s", k->spec, k->tz,
	              k->after, fmt(t, got, sizeof got), fmt(utc(k->want), want, sizeof want));
}
END_TEST

static const struct bad_case {
	const char *spec, *err; /* err: the whole message */
} bad_cases[] = {
	{ "", "column 1: 0 fields, expected 5 (minute hour day-of-month month day-of-week) or a "
	      "macro (@hourly, @daily, @weekly, @monthly, @yearly)" },
	{ "* * * *", "column 8: 4 fields, expected 5 (minute hour day-of-month month day-of-week) "
	             "or a macro (@hourly, @daily, @weekly, @monthly, @yearly)" },
	{ "* * * * * *", "column 11: more than 5 fields (minute hour day-of-month month day-of-week)" },
	{ "60 * * * *", "minute field at column 1: 60 is out of range 0-59" },
	{ "* 24 * * *", "hour field at column 3: 24 is out of range 0-23" },
	{ "* * 0 * *", "day-of-month field at column 5: 0 is out of range 1-31" },
	{ "* * 32 * *", "day-of-month field at column 5: 32 is out of range 1-31" },
	{ "* * * 13 *", "month field at column 7: 13 is out of range 1-12" },
	{ "* * * 0 *", "month field at column 7: 0 is out of range 1-12" },
	{ "* * * * 8", "day-of-week field at column 9: 8 is out of range 0-7" },
	{ "* * * * 1-8", "day-of-week field at column 9: 8 is out of range 0-7" },
	{ "* * * * mox", "day-of-week field at column 9: 'mox' is not a number nor a name sun..sat" },
	{ "* * * * monday", "day-of-week field at column 9: 'monday' is not a number nor a name sun..sat" },
	{ "* * * foo *", "month field at column 7: 'foo' is not a number nor a name jan..dec" },
	{ "jan * * * *", "minute field at column 1: unexpected 'j' (a number was expected)" },
	{ "*/0 * * * *", "minute field at column 3: step 0 is out of range 1-60" },
	{ "*/61 * * * *", "minute field at column 3: step 61 is out of range 1-60" },
	{ "*/4294967297 * * * *", "minute field at column 3: number too large" },
	{ "0 */18446744073709551617 * * *", "hour field at column 5: number too large" },
	{ "99999999999999999999 * * * *", "minute field at column 1: number too large" },
	{ "*/a * * * *", "minute field at column 3: a step must be a number" },
	{ "*/ * * * *", "minute field at column 3: a step must be a number" },
	{ "5-1 * * * *", "minute field at column 1: range 5-1 goes backwards" },
	{ "0 0 * * sat-sun", "day-of-week field at column 9: range 6-0 goes backwards" },
	{ "1,,2 * * * *", "minute field at column 3: a value is missing" },
	{ "1, * * * *", "minute field at column 3: a value is missing after ','" },
	{ ",1 * * * *", "minute field at column 1: a value is missing" },
	{ "1- * * * *", "minute field at column 3: a value is missing" },
	{ "1-x * * * *", "minute field at column 3: unexpected 'x' (a number was expected)" },
	{ "1-5/2-3 * * * *", "minute field at column 6: unexpected '-'" },
	{ "** * * * *", "minute field at column 2: unexpected '*'" },
	{ "1 2 3 4 5\001", "day-of-week field at column 10: unexpected byte 0x01" },
	{ "@reboot", "column 1: unknown macro '@reboot' (expected @hourly, @daily, @midnight, "
	             "@weekly, @monthly, @yearly or @annually)" },
	{ "@daily 5", "column 8: nothing may follow @daily" },
	{ "0 0 30 2 *", "day-of-month field at column 5: no month of the month field has such a "
	                "day: the schedule never fires" },
	{ "0 0  31 4,6,9,11 */2", "day-of-month field at column 6: no month of the month field "
	                          "has such a day: the schedule never fires" },
};

START_TEST(test_bad)
{
	const struct bad_case *k = &bad_cases[_i];
	struct gather_cron c = { .bits = { 42 } };
	char err[256] = "";

	ck_assert_msg(gather_cron_parse(k->spec, &c, err, sizeof err) == GATHER_E_INVALID,
	              "'%s' was taken", k->spec);
	ck_assert_str_eq(err, k->err);
	ck_assert_msg(c.bits[0] == 42, "ret changed on failure");
	/* a short buffer is cut, never overrun */
	char small[8];
	memset(small, 'x', sizeof small);
	ck_assert_int_eq(gather_cron_parse(k->spec, &c, small, 5), GATHER_E_INVALID);
	ck_assert_uint_le(strlen(small), 4);
	ck_assert_int_eq(small[7], 'x');
}
END_TEST

/* Schedules that are right to take, though unusual. */
START_TEST(test_good_edges)
{
	static const char *const ok[] = {
		"0 0 29 2 *", "0 0 31 1-12 *", "0 0 30 2 1", /* both restricted: Mondays too */
		"59 23 * * 7", "0-59 0-23 1-31 1-12 0-7", "*/1 */1 */1 */1 */1", "0 0 1 JAN MON",
		"0 0 * * sun,7", "00 01 01 01 00", "@HOURLY",
	};
	for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
		struct gather_cron c;
		char err[256] = "";
		ck_assert_msg(gather_cron_parse(ok[i], &c, err, sizeof err) == 0, "%s: %s", ok[i], err);
	}
	struct gather_cron a, b;
	char err[256];
	ck_assert_int_eq(gather_cron_parse("0 0 * * 7", &a, err, sizeof err), 0);
	ck_assert_int_eq(gather_cron_parse("0 0 * * 0", &b, err, sizeof err), 0);
	ck_assert(memcmp(a.bits, b.bits, sizeof a.bits) == 0);
	ck_assert_int_eq(gather_cron_parse("*/7 * * * *", &a, err, sizeof err), 0);
	ck_assert_uint_eq(a.bits[GATHER_CRON_MIN], 1ull | 1ull << 7 | 1ull << 14 | 1ull << 21 |
	                  1ull << 28 | 1ull << 35 | 1ull << 42 | 1ull << 49 | 1ull << 56);
}
END_TEST

START_TEST(test_tz)
{
	char err[256];
	struct gather_cron c;
	time_t t;
	static const char *const bad[] = { "", "/etc/passwd", "../../etc/passwd", "Europe/../UTC",
	                                   "Nowhere/City", "Europe", "Europe/Berlin\n", "a b" };
	ck_assert_int_eq(gather_cron_tz_check("Europe/Berlin", err, sizeof err), 0);
	ck_assert_int_eq(gather_cron_tz_check("UTC", err, sizeof err), 0);
	ck_assert_int_eq(gather_cron_tz_check("America/New_York", err, sizeof err), 0);
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		ck_assert_msg(gather_cron_tz_check(bad[i], err, sizeof err) == GATHER_E_INVALID,
		              "'%s' taken", bad[i]);
	ck_assert_int_eq(gather_cron_tz_check("Nowhere/City", err, sizeof err), GATHER_E_INVALID);
	ck_assert_ptr_nonnull(strstr(err, "unknown time zone 'Nowhere/City'"));
	ck_assert_int_eq(gather_cron_parse("* * * * *", &c, err, sizeof err), 0);
	ck_assert_int_eq(gather_cron_next(&c, "Nowhere/City", 0, &t), GATHER_E_INVALID);

	/* NULL is the process's zone; a tz leaves TZ as it was */
	ck_assert_int_eq(setenv("TZ", ":America/New_York", 1), 0);
	tzset();
	ck_assert_int_eq(gather_cron_parse("0 0 * * *", &c, err, sizeof err), 0);
	ck_assert_int_eq(gather_cron_next(&c, NULL, utc("2026-12-02 00:00:00"), &t), 0);
	ck_assert(t == utc("2026-12-02 05:00:00"));
	ck_assert_int_eq(gather_cron_next(&c, "Europe/Berlin", utc("2026-12-02 00:00:00"), &t), 0);
	ck_assert(t == utc("2026-12-02 23:00:00"));
	ck_assert_str_eq(getenv("TZ"), ":America/New_York");
	ck_assert_int_eq(gather_cron_next(&c, NULL, utc("2026-12-02 00:00:00"), &t), 0);
	ck_assert(t == utc("2026-12-02 05:00:00"));
	unsetenv("TZ");
	ck_assert_int_eq(gather_cron_next(&c, "UTC", utc("2026-12-02 00:00:00"), &t), 0);
	ck_assert_ptr_null(getenv("TZ"));
	tzset();
}
END_TEST

START_TEST(test_limits)
{
	struct gather_cron c;
	char err[256];
	time_t t = 7;
	ck_assert_int_eq(gather_cron_parse("0 0 1 1 *", &c, err, sizeof err), 0);
	ck_assert_int_eq(gather_cron_next(&c, "UTC", utc("9999-06-01 00:00:00"), &t), GATHER_E_INVALID);
	ck_assert_int_eq(t, 7); /* untouched on failure */
	/* a struct no parse would make: never fires; bounded, then refused */
	struct gather_cron never = { .bits = { 1, 1, 1ull << 30, 1ull << 2, 0x7f }, .dow_star = true };
	ck_assert_int_eq(gather_cron_next(&never, "UTC", 0, &t), GATHER_E_INVALID);
}
END_TEST

/* The obvious way, one minute at a time in UTC, against the real thing. */
static bool brute_match(const struct gather_cron *c, time_t t)
{
	struct tm tm;
	gmtime_r(&t, &tm);
	bool dom = c->bits[GATHER_CRON_DOM] >> tm.tm_mday & 1;
	bool dow = c->bits[GATHER_CRON_DOW] >> tm.tm_wday & 1;
	return (c->bits[GATHER_CRON_MIN] >> tm.tm_min & 1) && (c->bits[GATHER_CRON_HOUR] >> tm.tm_hour & 1) &&
	       (c->bits[GATHER_CRON_MONTH] >> (tm.tm_mon + 1) & 1) &&
	       (c->dom_star || c->dow_star ? dom && dow : dom || dow);
}

START_TEST(test_brute)
{
	static const char *const mins[] = { "*", "0", "*/7", "5,35", "10-20/3", "59" };
	static const char *const hours[] = { "*", "0", "*/5", "3-4", "23" };
	static const char *const doms[] = { "*", "1", "13", "*/10", "28-31", "29" };
	static const char *const months[] = { "*", "2", "jan,jul", "*/3" };
	static const char *const dows[] = { "*", "0", "fri", "1-5", "*/2" };
	unsigned seed = 12345, n = 0;

	for (int k = 0; k < 120; k++) {
		char spec[128], err[256];
		struct gather_cron c;
		time_t t, after, b;
		seed = seed * 1103515245 + 12345;
		snprintf(spec, sizeof spec, "%s %s %s %s %s", mins[(seed >> 8) % 6],
		         hours[(seed >> 11) % 5], doms[(seed >> 14) % 6], months[(seed >> 17) % 4],
		         dows[(seed >> 20) % 5]);
		after = utc("2025-01-01 00:00:00") + (time_t)(seed % (3u * 365 * 86400));
		ck_assert_msg(gather_cron_parse(spec, &c, err, sizeof err) == 0, "%s: %s", spec, err);
		ck_assert_int_eq(gather_cron_next(&c, "UTC", after, &t), 0);
		/* every minute up to t, at most 800 days of them; a day (or an
		 * hour) whose fields do not match is passed over whole */
		for (b = after - after % 60 + 60; b < t && b < after + 800 * 86400;) {
			struct tm tm;
			gmtime_r(&b, &tm);
			bool dom = c.bits[GATHER_CRON_DOM] >> tm.tm_mday & 1;
			bool dow = c.bits[GATHER_CRON_DOW] >> tm.tm_wday & 1;
			if (!(c.bits[GATHER_CRON_MONTH] >> (tm.tm_mon + 1) & 1) ||
			    !(c.dom_star || c.dow_star ? dom && dow : dom || dow)) {
				b += 86400 - (tm.tm_hour * 3600 + tm.tm_min * 60);
				continue;
			}
			if (!(c.bits[GATHER_CRON_HOUR] >> tm.tm_hour & 1)) {
				b += 3600 - tm.tm_min * 60;
				continue;
			}
			ck_assert_msg(!brute_match(&c, b), "'%s': %lld matches before %lld", spec,
			              (long long)b, (long long)t);
			b += 60;
		}
		ck_assert_msg(brute_match(&c, t) && t % 60 == 0, "'%s': %lld does not match", spec,
		              (long long)t);
		n++;
	}
	ck_assert_uint_eq(n, 120);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cron");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_next, 0, sizeof next_cases / sizeof *next_cases);
	tcase_add_loop_test(tc, test_bad, 0, sizeof bad_cases / sizeof *bad_cases);
	tcase_add_test(tc, test_good_edges);
	tcase_add_test(tc, test_tz);
	tcase_add_test(tc, test_limits);
	tcase_add_test(tc, test_brute);
	suite_add_tcase(s, tc);
	return ckmain_run(s);
}
