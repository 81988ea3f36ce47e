/* test_fileid.c — same-file detection before outputs are opened (issue 15):
 * hard links, symlinks, ./ and absolute spellings, files not there yet,
 * stdin/stdout, devices, and the messages naming both sides. */
#include "config.h"

#include <check.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gather/error.h"
#include "gather/options.h"
#include "util/fileid.h"
#include "ckmain.h"

static char dir[PATH_MAX];

/* A fresh directory per test, made the working directory. */
static void setup(void)
{
	snprintf(dir, sizeof dir, "/tmp/test_fileid.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_eq(chdir(dir), 0);
}

static void teardown(void)
{
	char cmd[PATH_MAX + 16];
	ck_assert_int_eq(chdir("/"), 0);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static void touch(const char *p)
{
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ck_assert_int_ge(fd, 0);
	close(fd);
}

static bool same(const char *a, const char *b)
{
	struct gather_fileid x, y;
	ck_assert_int_eq(gather_fileid_of_path(a, &x), 0);
	ck_assert_int_eq(gather_fileid_of_path(b, &y), 0);
	bool r = gather_fileid_same(&x, &y);
	ck_assert(r == gather_fileid_same(&y, &x));
	gather_fileid_clear(&x);
	gather_fileid_clear(&y);
	return r;
}

START_TEST(test_existing)
{
	char abs[PATH_MAX + 8];
	touch("a");
	touch("b");
	ck_assert_int_eq(mkdir("sub", 0755), 0);
	ck_assert_int_eq(link("a", "hard"), 0);
	ck_assert_int_eq(symlink("a", "soft"), 0);
	snprintf(abs, sizeof abs, "%s/a", dir);
	ck_assert(same("a", "a"));
	ck_assert(same("a", "./a"));
	ck_assert(same("a", abs));
	ck_assert(same("a", "sub/../a"));
	ck_assert(same("a", "hard"));
	ck_assert(same("a", "soft"));
	ck_assert(!same("a", "b"));
	ck_assert(!same("a", "sub"));
	ck_assert(same("sub", "sub/"));
	ck_assert(same("sub", "./sub/."));
	/* devices are shared by design: /dev/null twice is no clash */
	ck_assert(!same("/dev/null", "/dev/null"));
}
END_TEST

START_TEST(test_not_there_yet)
{
	char abs[PATH_MAX + 8];
	ck_assert_int_eq(mkdir("sub", 0755), 0);
	snprintf(abs, sizeof abs, "%s/new", dir);
	ck_assert(same("new", "new"));
	ck_assert(same("new", "./new"));
	ck_assert(same("new", abs));
	ck_assert(same("new", "sub/../new"));
	ck_assert(same("sub/new", "./sub/new"));
	ck_assert(!same("new", "sub/new"));
	ck_assert(!same("new", "new2"));
	/* a directory that is not there either: the names as given */
	ck_assert(same("nodir/x", "nodir/x"));
	ck_assert(!same("nodir/x", "nodir/y"));
	/* one there, one not: never the same */
	touch("a");
	ck_assert(!same("a", "new"));
}
END_TEST

START_TEST(test_fd)
{
	struct gather_fileid x, y;
	touch("a");
	int fd = open("a", O_RDONLY);
	ck_assert_int_ge(fd, 0);
	gather_fileid_of_fd(fd, &x);
	ck_assert_int_eq(gather_fileid_of_path("./a", &y), 0);
	ck_assert(gather_fileid_same(&x, &y));
	gather_fileid_clear(&y);
	close(fd);
	/* a closed descriptor is nothing */
	gather_fileid_of_fd(fd, &y);
	ck_assert(!gather_fileid_same(&x, &y));
	gather_fileid_clear(&x);
	gather_fileid_clear(&y);
}
END_TEST

/* The set: each conflict once, naming both, with the right verdict. */
START_TEST(test_files)
{
	struct gather_files fs = { 0 };
	struct gather_strv faults = { 0 };
	touch("l.txt");
	ck_assert_int_eq(gather_files_add(&fs, "l.txt", false, "-i l.txt", &faults), 0);
	ck_assert_int_eq(gather_files_add(&fs, "./l.txt", false, "-i ./l.txt", &faults), 0);
	ck_assert_int_eq(gather_files_add(&fs, "out", true, "--warc out", &faults), 0);
	ck_assert_uint_eq(faults.n, 0);
	ck_assert_int_eq(gather_files_add(&fs, "l.txt", true, "--jsonl l.txt", &faults), GATHER_E_INVALID);
	ck_assert_uint_eq(faults.n, 1);
	ck_assert_str_eq(faults.v[0], "-i l.txt and --jsonl l.txt are the same file: "
	                 "the output would destroy the input");
	ck_assert_int_eq(gather_files_add(&fs, "./out", true, "--mirror ./out", &faults), GATHER_E_INVALID);
	ck_assert_uint_eq(faults.n, 2);
	ck_assert_str_eq(faults.v[1], "--warc out and --mirror ./out are the same file: "
	                 "the outputs would overwrite each other");
	/* an input met after the output it is */
	ck_assert_int_eq(gather_files_add(&fs, "out", false, "-i out", &faults), GATHER_E_INVALID);
	ck_assert_uint_eq(faults.n, 3);
	ck_assert_ptr_nonnull(strstr(faults.v[2], "destroy the input"));
	/* stdout twice (two jobs' records) is one stream */
	ck_assert_int_eq(gather_files_add(&fs, NULL, true, "job 'a' jsonl '-'", &faults), 0);
	ck_assert_int_eq(gather_files_add(&fs, "-", true, "job 'b' jsonl '-'", &faults), 0);
	ck_assert_uint_eq(faults.n, 3);
	gather_files_free(&fs);
	gather_strv_free(&faults);
	ck_assert_uint_eq(fs.n, 0);
}
END_TEST

/* gather_files_add_opts: every output and input of one option set, with
 * command-line labels, then a second set labelled as a job. */
START_TEST(test_opts)
{
	struct gather_opts o, p;
	struct gather_files fs = { 0 };
	struct gather_strv faults = { 0 };
	touch("l.txt");
	gather_opts_init(&o, GATHER_CMD_GET);
	ck_assert_int_eq(gather_strv_push(&o.input, "l.txt"), 0);
	o.jsonl = strdup("l.txt");
	o.warc = strdup("w.warc");
	ck_assert_int_eq(gather_files_add_opts(&fs, &o, NULL, &faults), GATHER_E_INVALID);
	ck_assert_uint_eq(faults.n, 1);
	ck_assert_str_eq(faults.v[0], "-i l.txt and --jsonl l.txt are the same file: "
	                 "the output would destroy the input");

	gather_opts_init(&p, GATHER_CMD_CRAWL);
	p.mirror = strdup("./w.warc");
	ck_assert_int_eq(gather_files_add_opts(&fs, &p, "b", &faults), GATHER_E_INVALID);
	ck_assert_uint_eq(faults.n, 2);
	ck_assert_str_eq(faults.v[1], "--warc w.warc and job 'b' mirror './w.warc' are the same file: "
	                 "the outputs would overwrite each other");
	gather_opts_free(&o);
	gather_opts_free(&p);
	gather_files_free(&fs);
	gather_strv_free(&faults);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fileid");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_existing);
	tcase_add_test(tc, test_not_there_yet);
	tcase_add_test(tc, test_fd);
	tcase_add_test(tc, test_files);
	tcase_add_test(tc, test_opts);
	suite_add_tcase(s, tc);
	return ckmain_run(s);
}
