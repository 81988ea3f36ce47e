/* cron/harness.c — util/cron.h: 5-field cron schedules and their next
 * firing.
 *
 * Input: byte 0 picks the time zone (UTC, Europe/Berlin, America/New_York,
 * Australia/Lord_Howe: a half-hour DST shift), bytes 1-4 the moment to
 * start from (seconds after 2000-01-01, so up to 2136), the rest is the
 * schedule's text.  Properties: the parse returns 0 or GATHER_E_INVALID
 * (never crashes, never hangs), a refusal says where ("column N"); a
 * schedule that parses fires, strictly after the start, within 50 years, on
 * a whole minute; in UTC at a minute whose fields all match. */
#include "config.h"

#include <stdint.h>
#include <string.h>
#include <time.h>

#include "../fuzz.h"
#include "gather/error.h"
#include "util/cron.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const zones[] = { "UTC", "Europe/Berlin", "America/New_York",
	                                     "Australia/Lord_Howe" };
	char spec[512], err[320] = "";
	struct gather_cron c;
	time_t after, t = 0;

	if (size < 5)
		return 0;
	const char *tz = zones[data[0] % 4];
	after = (time_t)946684800 + (time_t)((uint32_t)data[1] << 24 | (uint32_t)data[2] << 16 |
	                                     (uint32_t)data[3] << 8 | data[4]);
	size_t n = size - 5 < sizeof spec - 1 ? size - 5 : sizeof spec - 1;
	memcpy(spec, data + 5, n);
	spec[n] = '\0';

	int r = gather_cron_parse(spec, &c, err, sizeof err);
	FUZZ_CHECK(r == 0 || r == GATHER_E_INVALID, "parse returned %d", r);
	if (r < 0) {
		FUZZ_CHECK(strstr(err, "column ") != NULL || strcmp(err, "no schedule") == 0,
		           "a refusal that says not where: '%s'", err);
		return 0;
	}
	r = gather_cron_next(&c, tz, after, &t);
	FUZZ_CHECK(r == 0, "'%s' in %s after %lld: no firing (%d)", spec, tz, (long long)after, r);
	FUZZ_CHECK(t > after && t - after <= (time_t)50 * 366 * 86400,
	           "'%s' in %s after %lld: fires at %lld", spec, tz, (long long)after, (long long)t);
	if (strcmp(tz, "UTC") == 0) {
		struct tm tm;
		gmtime_r(&t, &tm);
		bool dom = c.bits[GATHER_CRON_DOM] >> tm.tm_mday & 1;
		bool dow = c.bits[GATHER_CRON_DOW] >> tm.tm_wday & 1;
		FUZZ_CHECK(tm.tm_sec == 0 && (c.bits[GATHER_CRON_MIN] >> tm.tm_min & 1) &&
		           (c.bits[GATHER_CRON_HOUR] >> tm.tm_hour & 1) &&
		           (c.bits[GATHER_CRON_MONTH] >> (tm.tm_mon + 1) & 1) &&
		           (c.dom_star || c.dow_star ? dom && dow : dom || dow),
		           "'%s' fires at %lld, which it does not match", spec, (long long)t);
	}
	return 0;
}
