/* fixture.c — shared Check helpers (see fixture.h). */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "fixture.h"

static char dir[256];

const char *fixture_mkdir(const char *name)
{
	snprintf(dir, sizeof dir, "/tmp/%s.XXXXXX", name);
	ck_assert_msg(mkdtemp(dir) != NULL, "mkdtemp %s", dir);
	return dir;
}

void fixture_rmdir(void)
{
	char cmd[300];
	if (!dir[0])
		return;
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
	dir[0] = '\0';
}

char *fixture_path(const char *name)
{
	char p[512];
	ck_assert_msg(dir[0], "fixture_path before fixture_mkdir");
	snprintf(p, sizeof p, "%s/%s", dir, name);
	char *s = strdup(p);
	ck_assert_ptr_nonnull(s);
	return s;
}

char *fixture_read(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 4096, n = 0;
	char *p = malloc(cap);
	ck_assert_ptr_nonnull(p);
	size_t k;
	while ((k = fread(p + n, 1, cap - n - 1, f)) > 0) {
		n += k;
		if (cap - n - 1 == 0) {
			cap *= 2;
			p = realloc(p, cap);
			ck_assert_ptr_nonnull(p);
		}
	}
	fclose(f);
	p[n] = '\0';
	if (len)
		*len = n;
	return p;
}

size_t fixture_count_lines(const char *path)
{
	size_t len, n = 0;
	char *p = fixture_read(path, &len);
	for (size_t i = 0; p && i < len; i++)
		n += p[i] == '\n';
	free(p);
	return n;
}

static unsigned long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000 + (unsigned long long)ts.tv_nsec / 1000000;
}

void fixture_loop_until(struct event_base *base, const bool *flag, unsigned max_ms)
{
	unsigned long long t0 = now_ms();
	while (!*flag) {
		ck_assert_msg(now_ms() - t0 < max_ms, "event loop: not done after %u ms", max_ms);
		/* a turn that has no event at all would return 1 at once: a
		 * timer keeps each turn short and bounded */
		struct timeval tv = { 0, 20000 };
		event_base_loopexit(base, &tv);
		ck_assert_int_ge(event_base_loop(base, EVLOOP_ONCE), 0);
	}
}
