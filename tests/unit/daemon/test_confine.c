/* test_confine.c — a submitted job's paths stay inside its directory:
 * relative paths are joined, absolute paths, "..", and symlinks out (at
 * any component, or the file itself) are refused; symlinks that stay in
 * are fine. */
#include "config.h"

#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/confine.h"
#include "gather/error.h"

static char top[PATH_MAX], job[PATH_MAX + 8], out[PATH_MAX + 8];

/* top/job (the job's directory) and top/out (somewhere else). */
static void setup(void)
{
	snprintf(top, sizeof top, "/tmp/test_confine.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(top));
	snprintf(job, sizeof job, "%s/job", top);
	snprintf(out, sizeof out, "%s/out", top);
	ck_assert_int_eq(mkdir(job, 0700), 0);
	ck_assert_int_eq(mkdir(out, 0700), 0);
}

static void teardown(void)
{
	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", top);
	ck_assert_int_eq(system(cmd), 0);
}

static int confine(const char *path, char **ret)
{
	char err[512];
	*ret = NULL;
	return gatherd_confine(job, path, ret, err, sizeof err);
}

START_TEST(relative_joined)
{
	static const char *ok[] = { "records.jsonl", "sub/dir/x.warc.gz", "./a", "a/./b", "a..b", "..a/x" };
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		char *p, want[PATH_MAX * 2];
		ck_assert_msg(confine(ok[i], &p) == 0, "%s refused", ok[i]);
		snprintf(want, sizeof want, "%s/%s", job, ok[i]);
		ck_assert_str_eq(p, want);
		free(p);
	}
}
END_TEST

START_TEST(absolute_and_dotdot_refused)
{
	static const char *bad[] = { "/etc/passwd", "/tmp/x", "..", "../x", "a/../../x", "a/..", "a/../b", "" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char *p;
		ck_assert_msg(confine(bad[i], &p) == GATHER_E_INVALID, "'%s' accepted", bad[i]);
		ck_assert_ptr_null(p);
	}
}
END_TEST

START_TEST(symlinks_out_refused)
{
	char link[PATH_MAX * 2], *p;
	snprintf(link, sizeof link, "%s/esc", job);
	ck_assert_int_eq(symlink(out, link), 0);              /* a directory out */
	ck_assert_int_eq(confine("esc/records.jsonl", &p), GATHER_E_INVALID);
	ck_assert_int_eq(confine("esc", &p), GATHER_E_INVALID);
	snprintf(link, sizeof link, "%s/file", job);
	ck_assert_int_eq(symlink("/etc/passwd", link), 0);    /* the file itself */
	ck_assert_int_eq(confine("file", &p), GATHER_E_INVALID);
	snprintf(link, sizeof link, "%s/dangling", job);
	ck_assert_int_eq(symlink("/nonexistent/dir/x", link), 0); /* not there (yet) */
	ck_assert_int_eq(confine("dangling", &p), GATHER_E_INVALID);
}
END_TEST

START_TEST(symlinks_inside_fine)
{
	char link[PATH_MAX * 2], *p;
	snprintf(link, sizeof link, "%s/sub", job);
	ck_assert_int_eq(mkdir(link, 0700), 0);
	snprintf(link, sizeof link, "%s/in", job);
	ck_assert_int_eq(symlink("sub", link), 0);
	ck_assert_int_eq(confine("in/x.jsonl", &p), 0);
	free(p);
}
END_TEST

START_TEST(joined_inputs)
{
	char err[512], path[PATH_MAX * 2];
	snprintf(path, sizeof path, "%s/urls.txt", job);
	ck_assert_int_eq(gatherd_confine_joined(job, path, err, sizeof err), 0);
	ck_assert_int_eq(gatherd_confine_joined(job, "/etc/passwd", err, sizeof err), GATHER_E_INVALID);
	snprintf(path, sizeof path, "%s/../out/urls.txt", job);
	ck_assert_int_eq(gatherd_confine_joined(job, path, err, sizeof err), GATHER_E_INVALID);
	snprintf(path, sizeof path, "%sX/urls.txt", job);  /* a sibling sharing the prefix */
	ck_assert_int_eq(gatherd_confine_joined(job, path, err, sizeof err), GATHER_E_INVALID);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("confine");
	TCase *tc = tcase_create("confine");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, relative_joined);
	tcase_add_test(tc, absolute_and_dotdot_refused);
	tcase_add_test(tc, symlinks_out_refused);
	tcase_add_test(tc, symlinks_inside_fine);
	tcase_add_test(tc, joined_inputs);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
