/* test_spill.c — the on-disk queue of a crawl with --state (lib/store/spill):
 * rows come back per depth in put order, each once, with their parents;
 * puts after a take are seen by the next; a row longer than take()'s read
 * block; a queue left by a killed run is cleared at open; the files are
 * removed at close; a depth taken to the end gives its disk space back. */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/spill.h"

struct got {
	char url[64][96];
	char parent[64][96];
	size_t n;
	char *big;   /* a row too long for url[] */
};

static int collect(const char *url, const char *parent, void *arg)
{
	struct got *g = arg;
	if (strlen(url) >= sizeof g->url[0]) {
		free(g->big);
		g->big = strdup(url);
		return 0;
	}
	ck_assert_uint_lt(g->n, 64);
	snprintf(g->url[g->n], sizeof g->url[0], "%s", url);
	snprintf(g->parent[g->n], sizeof g->parent[0], "%s", parent ? parent : "-");
	g->n++;
	return 0;
}

static char dir[256];

static void setup(void)
{
	char t[] = "/tmp/test_spill.XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(t));
	snprintf(dir, sizeof dir, "%s/queue", t);
}

static void teardown(void)
{
	char *slash = strrchr(dir, '/');
	*slash = '\0';
	rmdir(dir);
}

START_TEST(test_order_and_parents)
{
	struct gather_spill *s;
	char err[256];
	ck_assert_int_eq(gather_spill_open(dir, &s, err, sizeof err), 0);
	char u[64];
	for (int i = 0; i < 10; i++) {
		snprintf(u, sizeof u, "http://a.test/%d", i);
		ck_assert_int_eq(gather_spill_put(s, 1 + i % 2, u, i < 5 ? "http://a.test/p1" : "http://a.test/p2"), 0);
	}
	ck_assert_int_eq(gather_spill_put(s, 1, "http://a.test/seedlike", NULL), 0);
	ck_assert_uint_gt(gather_spill_bytes(s), 0);

	struct got g = { 0 };
	/* depth 1: 0 2 4 6 8 then the row without a parent; three, then the rest */
	ck_assert_int_eq(gather_spill_take(s, 1, 3, collect, &g), 3);
	/* a put after a take is seen by the next take, after the earlier rows */
	ck_assert_int_eq(gather_spill_put(s, 1, "http://a.test/late", "http://a.test/p3"), 0);
	ck_assert_int_eq(gather_spill_take(s, 1, 100, collect, &g), 4);
	ck_assert_int_eq(gather_spill_take(s, 1, 100, collect, &g), 0);
	const char *want[] = { "/0", "/2", "/4", "/6", "/8", "/seedlike", "/late" };
	const char *wantp[] = { "/p1", "/p1", "/p1", "/p2", "/p2", "-", "/p3" };
	ck_assert_uint_eq(g.n, 7);
	for (size_t i = 0; i < g.n; i++) {
		ck_assert_str_eq(strrchr(g.url[i], '/'), want[i]);
		ck_assert_str_eq(strcmp(g.parent[i], "-") ? strrchr(g.parent[i], '/') : "-", wantp[i]);
	}
	/* depth 2 untouched by all that; a depth never put is empty */
	g.n = 0;
	ck_assert_int_eq(gather_spill_take(s, 2, 100, collect, &g), 5);
	ck_assert_str_eq(g.url[0], "http://a.test/1");
	ck_assert_str_eq(g.parent[4], "http://a.test/p2");
	ck_assert_int_eq(gather_spill_take(s, 7, 100, collect, &g), 0);
	gather_spill_close(s);
	struct stat sb;
	ck_assert_int_ne(stat(dir, &sb), 0);   /* removed at close */
}
END_TEST

START_TEST(test_long_row)
{
	struct gather_spill *s;
	char err[256];
	ck_assert_int_eq(gather_spill_open(dir, &s, err, sizeof err), 0);
	/* longer than the write buffer and the read block */
	size_t n = 700 * 1024;
	char *big = malloc(n + 1);
	memcpy(big, "http://a.test/", 14);
	memset(big + 14, 'x', n - 14);
	big[n] = '\0';
	ck_assert_int_eq(gather_spill_put(s, 3, "http://a.test/before", NULL), 0);
	ck_assert_int_eq(gather_spill_put(s, 3, big, "http://a.test/p"), 0);
	ck_assert_int_eq(gather_spill_put(s, 3, "http://a.test/after", NULL), 0);
	struct got g = { 0 };
	ck_assert_int_eq(gather_spill_take(s, 3, 100, collect, &g), 3);
	ck_assert_ptr_nonnull(g.big);
	ck_assert_str_eq(g.big, big);
	ck_assert_uint_eq(g.n, 2);
	ck_assert_str_eq(g.url[1], "http://a.test/after");
	/* all taken: the depth's file is emptied */
	ck_assert_uint_lt(gather_spill_bytes(s), 1024);
	free(g.big);
	free(big);
	gather_spill_close(s);
}
END_TEST

START_TEST(test_stale_queue_cleared)
{
	struct gather_spill *s;
	char err[256], p[512];
	/* a queue left by a killed run: files in the directory */
	ck_assert_int_eq(mkdir(dir, 0700), 0);
	snprintf(p, sizeof p, "%s/d1", dir);
	FILE *f = fopen(p, "w");
	ck_assert_ptr_nonnull(f);
	fputs("garbage that is not a row", f);
	fclose(f);
	ck_assert_int_eq(gather_spill_open(dir, &s, err, sizeof err), 0);
	struct got g = { 0 };
	ck_assert_int_eq(gather_spill_take(s, 1, 100, collect, &g), 0);
	ck_assert_int_eq(gather_spill_put(s, 1, "http://a.test/new", NULL), 0);
	ck_assert_int_eq(gather_spill_take(s, 1, 100, collect, &g), 1);
	ck_assert_str_eq(g.url[0], "http://a.test/new");
	gather_spill_close(s);
}
END_TEST

START_TEST(test_unwritable)
{
	struct gather_spill *s = (struct gather_spill *)1;
	char err[256];
	ck_assert_int_lt(gather_spill_open("/proc/no/such/queue", &s, err, sizeof err), 0);
	ck_assert_ptr_null(s);
	ck_assert_ptr_nonnull(strstr(err, "/proc/no/such/queue"));
}
END_TEST

static Suite *spill_suite(void)
{
	Suite *s = suite_create("spill");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_order_and_parents);
	tcase_add_test(tc, test_long_row);
	tcase_add_test(tc, test_stale_queue_cleared);
	tcase_add_test(tc, test_unwritable);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(spill_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
