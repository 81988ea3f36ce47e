/* test_spool.c — the spool watcher (daemon/spool.h) on a real directory and
 * a real event_base: files there at start, a half-written file not reported
 * until closed, dot-files ignored, renames in reported, accept and reject
 * moves (never overwriting), close from inside the callback.  Every wait is
 * a loop run bounded by a timer. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/spool.h"
#include "gather/error.h"
#include "ckmain.h"

static char dir[PATH_MAX];

struct seen {
	char *paths[64];
	size_t n;
	size_t want;              /* break the loop at this many */
	struct event_base *base;
	struct gather_spool *sp;
	bool close_in_cb;
	bool accept_in_cb;
};

static void on_file(const char *path, void *arg)
{
	struct seen *s = arg;
	ck_assert_uint_lt(s->n, 64);
	s->paths[s->n++] = strdup(path);
	if (s->accept_in_cb)
		ck_assert_int_eq(gather_spool_accept(path, NULL), 0);
	if (s->close_in_cb) {
		gather_spool_close(s->sp);
		s->sp = NULL;
	}
	if (s->n >= s->want)
		event_base_loopbreak(s->base);
}

static void on_timeout(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	event_base_loopbreak(arg);
}

/* Run the loop until want reports came or ms passed. */
static void run_for(struct seen *s, size_t want, int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
	struct event *t = evtimer_new(s->base, on_timeout, s->base);
	s->want = want;
	evtimer_add(t, &tv);
	event_base_dispatch(s->base);
	event_free(t);
}

static void seen_clear(struct seen *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->paths[i]);
	s->n = 0;
}

static void put(const char *name, const char *text)
{
	char p[PATH_MAX + 64];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
}

static bool exists(const char *name)
{
	char p[PATH_MAX + 64];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	return access(p, F_OK) == 0;
}

static const char *base_of(const char *p)
{
	return strrchr(p, '/') + 1;
}

static void setup(void)
{
	snprintf(dir, sizeof dir, "/tmp/test_spool.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

START_TEST(test_existing)
{
	struct seen s = { .base = event_base_new() };
	char sub[PATH_MAX + 8];
	put("b.conf", "b");
	put("a.conf", "a");
	put(".hidden", "h");
	snprintf(sub, sizeof sub, "%s/subdir", dir);
	ck_assert_int_eq(mkdir(sub, 0755), 0);
	snprintf(sub, sizeof sub, "%s/link", dir);
	ck_assert_int_eq(symlink("/etc/passwd", sub), 0);

	ck_assert_int_eq(gather_spool_open(s.base, dir, on_file, &s, &s.sp), 0);
	ck_assert_uint_eq(s.n, 0); /* never from inside open */
	ck_assert(exists("accepted") && exists("rejected"));
	run_for(&s, 99, 300);
	ck_assert_uint_eq(s.n, 2);
	ck_assert_str_eq(base_of(s.paths[0]), "a.conf");
	ck_assert_str_eq(base_of(s.paths[1]), "b.conf");
	ck_assert_int_eq(strncmp(s.paths[0], dir, strlen(dir)), 0);
	gather_spool_close(s.sp);
	seen_clear(&s);
	event_base_free(s.base);
}
END_TEST

START_TEST(test_half_written)
{
	struct seen s = { .base = event_base_new() };
	char p[PATH_MAX + 16];
	ck_assert_int_eq(gather_spool_open(s.base, dir, on_file, &s, &s.sp), 0);
	run_for(&s, 1, 100);
	ck_assert_uint_eq(s.n, 0);

	snprintf(p, sizeof p, "%s/job.conf", dir);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "job \"a\" {", 9), 9);
	run_for(&s, 1, 300);
	ck_assert_uint_eq(s.n, 0); /* still open for writing */
	ck_assert_int_eq(write(fd, " }\n", 3), 3);
	run_for(&s, 1, 200);
	ck_assert_uint_eq(s.n, 0);
	ck_assert_int_eq(close(fd), 0);
	run_for(&s, 1, 5000);
	ck_assert_uint_eq(s.n, 1);
	ck_assert_str_eq(base_of(s.paths[0]), "job.conf");
	/* a file opened for reading and closed is no new file */
	fd = open(p, O_RDONLY | O_CLOEXEC);
	close(fd);
	run_for(&s, 2, 200);
	ck_assert_uint_eq(s.n, 1);
	gather_spool_close(s.sp);
	seen_clear(&s);
	event_base_free(s.base);
}
END_TEST

START_TEST(test_dot_and_rename)
{
	struct seen s = { .base = event_base_new() };
	char from[PATH_MAX + 64], to[PATH_MAX + 64], other[PATH_MAX + 16];
	ck_assert_int_eq(gather_spool_open(s.base, dir, on_file, &s, &s.sp), 0);
	run_for(&s, 1, 100);

	put(".x.conf.tmp", "x");
	run_for(&s, 1, 300);
	ck_assert_uint_eq(s.n, 0); /* dot-file: ignored */
	snprintf(from, sizeof from, "%s/.x.conf.tmp", dir);
	snprintf(to, sizeof to, "%s/x.conf", dir);
	ck_assert_int_eq(rename(from, to), 0);
	run_for(&s, 1, 5000);
	ck_assert_uint_eq(s.n, 1);
	ck_assert_str_eq(base_of(s.paths[0]), "x.conf");

	/* moved in from another directory (same file system) */
	snprintf(other, sizeof other, "%s-other", dir);
	ck_assert_int_eq(mkdir(other, 0755), 0);
	snprintf(from, sizeof from, "%s/y.conf", other);
	FILE *f = fopen(from, "w");
	ck_assert_ptr_nonnull(f);
	fputs("y", f);
	fclose(f);
	snprintf(to, sizeof to, "%s/y.conf", dir);
	ck_assert_int_eq(rename(from, to), 0);
	rmdir(other);
	run_for(&s, 2, 5000);
	ck_assert_uint_eq(s.n, 2);
	ck_assert_str_eq(base_of(s.paths[1]), "y.conf");

	/* renamed to a dot-name, and files in a subdirectory: nothing */
	snprintf(from, sizeof from, "%s/y.conf", dir);
	snprintf(to, sizeof to, "%s/.y.conf", dir);
	ck_assert_int_eq(rename(from, to), 0);
	put("accepted/z.conf", "z");
	run_for(&s, 3, 300);
	ck_assert_uint_eq(s.n, 2);
	gather_spool_close(s.sp);
	seen_clear(&s);
	event_base_free(s.base);
}
END_TEST

static char *slurp(const char *name)
{
	static char buf[4096];
	char p[PATH_MAX + 64];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	FILE *f = fopen(p, "r");
	ck_assert_msg(f != NULL, "%s: %s", name, strerror(errno));
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

START_TEST(test_accept_reject)
{
	struct seen s = { .base = event_base_new() };
	char p[PATH_MAX + 32], *to = NULL;
	ck_assert_int_eq(gather_spool_open(s.base, dir, on_file, &s, &s.sp), 0);
	run_for(&s, 1, 100);

	put("a.conf", "first");
	snprintf(p, sizeof p, "%s/a.conf", dir);
	ck_assert_int_eq(gather_spool_accept(p, &to), 0);
	ck_assert_str_eq(base_of(to), "a.conf");
	free(to);
	ck_assert(!exists("a.conf"));
	ck_assert_str_eq(slurp("accepted/a.conf"), "first");
	/* the same name again: kept apart, never overwritten */
	put("a.conf", "second");
	ck_assert_int_eq(gather_spool_accept(p, &to), 0);
	ck_assert_str_eq(base_of(to), "a.conf.1");
	free(to);
	ck_assert_str_eq(slurp("accepted/a.conf"), "first");
	ck_assert_str_eq(slurp("accepted/a.conf.1"), "second");
	ck_assert_int_eq(gather_spool_accept(p, NULL), GATHER_E_IO); /* gone */
	ck_assert_int_eq(errno, ENOENT);

	put("b.conf", "bad");
	snprintf(p, sizeof p, "%s/b.conf", dir);
	ck_assert_int_eq(gather_spool_reject(p, "b.conf:3: unknown key 'x'\nb.conf:4: bad", &to), 0);
	ck_assert_str_eq(base_of(to), "b.conf");
	free(to);
	ck_assert(!exists("b.conf"));
	ck_assert_str_eq(slurp("rejected/b.conf"), "bad");
	ck_assert_str_eq(slurp("rejected/b.conf.err"), "b.conf:3: unknown key 'x'\nb.conf:4: bad\n");
	put("b.conf", "bad again");
	ck_assert_int_eq(gather_spool_reject(p, "why\n", NULL), 0);
	ck_assert_str_eq(slurp("rejected/b.conf.1.err"), "why\n");
	ck_assert_str_eq(slurp("rejected/b.conf.err"), "b.conf:3: unknown key 'x'\nb.conf:4: bad\n");
	struct stat st;
	snprintf(p, sizeof p, "%s/rejected/b.conf.1.err", dir);
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0644);

	/* the moves out of the directory are not reported */
	run_for(&s, 1, 300);
	ck_assert_uint_eq(s.n, 0);
	ck_assert_int_eq(gather_spool_accept("", NULL), GATHER_E_INVALID);
	ck_assert_int_eq(gather_spool_accept("dir/", NULL), GATHER_E_INVALID);
	gather_spool_close(s.sp);
	event_base_free(s.base);
}
END_TEST

/* The callback accepts each file (the daemon's way); many at once, and a
 * close from inside the callback stops the reports at once. */
START_TEST(test_in_callback)
{
	struct seen s = { .base = event_base_new(), .accept_in_cb = true };
	char name[32];
	ck_assert_int_eq(gather_spool_open(s.base, dir, on_file, &s, &s.sp), 0);
	run_for(&s, 1, 100);
	for (int i = 0; i < 40; i++) {
		snprintf(name, sizeof name, "j%02d.conf", i);
		put(name, "x");
	}
	run_for(&s, 40, 10000);
	ck_assert_uint_eq(s.n, 40);
	for (int i = 0; i < 40; i++) {
		snprintf(name, sizeof name, "accepted/j%02d.conf", i);
		ck_assert(exists(name));
	}
	seen_clear(&s);
	s.close_in_cb = true;
	s.accept_in_cb = false;
	put("k1.conf", "x");
	put("k2.conf", "x");
	run_for(&s, 5, 500);
	ck_assert_uint_eq(s.n, 1); /* closed in the first callback */
	ck_assert_ptr_null(s.sp);
	seen_clear(&s);
	event_base_free(s.base);
}
END_TEST

START_TEST(test_bad_dir)
{
	struct event_base *base = event_base_new();
	struct gather_spool *sp = (void *)1;
	char p[PATH_MAX + 32];
	ck_assert_int_eq(gather_spool_open(base, "/nonexistent/spool", on_file, NULL, &sp), GATHER_E_IO);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_ptr_eq(sp, (void *)1);
	put("file", "x");
	snprintf(p, sizeof p, "%s/file", dir);
	ck_assert_int_eq(gather_spool_open(base, p, on_file, NULL, &sp), GATHER_E_IO);
	ck_assert_int_eq(errno, ENOTDIR);
	/* accepted exists but is a file */
	snprintf(p, sizeof p, "%s/d", dir);
	ck_assert_int_eq(mkdir(p, 0755), 0);
	put("d/accepted", "x");
	ck_assert_int_eq(gather_spool_open(base, p, on_file, NULL, &sp), GATHER_E_IO);
	ck_assert_int_eq(errno, ENOTDIR);
	gather_spool_close(NULL);
	event_base_free(base);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("spool");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_existing);
	tcase_add_test(tc, test_half_written);
	tcase_add_test(tc, test_dot_and_rename);
	tcase_add_test(tc, test_accept_reject);
	tcase_add_test(tc, test_in_callback);
	tcase_add_test(tc, test_bad_dir);
	suite_add_tcase(s, tc);
	return ckmain_run(s);
}
