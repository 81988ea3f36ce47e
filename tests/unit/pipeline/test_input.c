/* test_input.c — URL lists: one call per input line, always.  An over-long
 * line (10 MB) or a line holding NUL bytes is one refused line with its true
 * line number, and the next line is read from its start; from a regular
 * file and from a pipe read through the reactor. */
#include "config.h"

#include <check.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "gather/error.h"
#include "pipeline/input.h"
#include "ckmain.h"

#define MAX_LINE 65536

/* What gather_input_next gave for one line. */
struct got {
	char *url;
	char src[64];
	int bad;
};

static void on_ready(void *arg)
{
	(*(int *)arg)++;
}

/* Read every line of files through an input on base, waiting on the
 * reactor when a pipe is empty (bounded: 20 s).  Returns the count. */
static size_t read_all(struct event_base *base, const char *file, struct got *got, size_t max)
{
	struct gather_strv files = { 0 };
	int ready = 0;
	size_t n = 0;
	ck_assert_int_eq(gather_strv_push(&files, file), 0);
	struct gather_input *in = gather_input_new(base, NULL, &files, MAX_LINE, on_ready, &ready);
	ck_assert_ptr_nonnull(in);
	for (unsigned guard = 0; guard < 1000000; guard++) {
		char *url;
		const char *src;
		int bad;
		int r = gather_input_next(in, &url, &src, &bad);
		if (r == 1)
			break;
		if (r == GATHER_E_AGAIN) {
			struct timeval tv = { 20, 0 };
			ready = 0;
			event_base_loopexit(base, &tv);
			ck_assert_int_eq(event_base_loop(base, EVLOOP_ONCE), 0);
			ck_assert_msg(ready, "no input within 20 s");
			continue;
		}
		ck_assert_int_eq(r, 0);
		ck_assert_uint_lt(n, max);
		got[n].url = url;
		snprintf(got[n].src, sizeof got[n].src, "%s", src);
		got[n].bad = bad;
		n++;
	}
	gather_input_free(in);
	gather_strv_free(&files);
	return n;
}

static void got_free(struct got *got, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(got[i].url);
}

static char *tmpfile_with(const char *data, size_t len)
{
	static char name[64];
	snprintf(name, sizeof name, "/tmp/test_input.XXXXXX");
	int fd = mkstemp(name);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
	close(fd);
	return name;
}

/* "http://a/1\n" + long line of n bytes + eol + "http://a/3\n" */
static char *with_long_line(size_t n, const char *eol, size_t *len)
{
	size_t el = strlen(eol);
	char *d = malloc(n + el + 64);
	ck_assert_ptr_nonnull(d);
	size_t p = (size_t)sprintf(d, "http://a/1\n");
	memcpy(d + p, "http://b/", 9);
	memset(d + p + 9, 'x', n - 9);
	p += n;
	memcpy(d + p, eol, el);
	p += el;
	p += (size_t)sprintf(d + p, "http://a/3\n");
	*len = p;
	return d;
}

static void check_three(struct got *got, size_t n, const char *file, int bad)
{
	char want[128];
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(got[0].url, "http://a/1");
	ck_assert_int_eq(got[0].bad, 0);
	ck_assert_int_eq(got[1].bad, bad);
	ck_assert_str_eq(got[2].url, "http://a/3");
	ck_assert_int_eq(got[2].bad, 0);
	for (int i = 0; i < 3; i++) {
		snprintf(want, sizeof want, "%s:%d", file, i + 1);
		ck_assert_str_eq(got[i].src, want);
	}
}

static const char *const eols[] = { "\n", "\r\n" };

START_TEST(test_long_line_is_one_record)
{
	struct event_base *base = event_base_new();
	struct got got[8];
	size_t len;
	char *d = with_long_line(10u << 20, eols[_i], &len);
	char *f = tmpfile_with(d, len);
	size_t n = read_all(base, f, got, 8);
	check_three(got, n, f, GATHER_INPUT_TOOLONG);
	ck_assert_uint_eq(strlen(got[1].url), MAX_LINE);
	ck_assert(strncmp(got[1].url, "http://b/xxx", 12) == 0);
	got_free(got, n);
	unlink(f);
	free(d);
	event_base_free(base);
}
END_TEST

/* Around the limit: max_line bytes is a line, one more is too long, in one
 * read or split across reads (the 64 KiB read size). */
START_TEST(test_limit_edges)
{
	struct event_base *base = event_base_new();
	static const size_t sizes[] = { MAX_LINE - 1, MAX_LINE, MAX_LINE + 1, 2 * MAX_LINE + 7 };
	for (size_t k = 0; k < 4; k++) {
		struct got got[8];
		size_t len;
		char *d = with_long_line(sizes[k], "\n", &len);
		char *f = tmpfile_with(d, len);
		size_t n = read_all(base, f, got, 8);
		check_three(got, n, f, sizes[k] > MAX_LINE ? GATHER_INPUT_TOOLONG : 0);
		got_free(got, n);
		unlink(f);
		free(d);
	}
	event_base_free(base);
}
END_TEST

START_TEST(test_long_last_line_without_eol)
{
	struct event_base *base = event_base_new();
	struct got got[8];
	size_t len;
	char *d = with_long_line(3 * MAX_LINE, "\n", &len);
	/* cut after the long line: it ends the file, unterminated */
	char *end = strstr(d + 11, "\nhttp://a/3");
	ck_assert_ptr_nonnull(end);
	char *f = tmpfile_with(d, (size_t)(end - d));
	size_t n = read_all(base, f, got, 8);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(got[1].bad, GATHER_INPUT_TOOLONG);
	got_free(got, n);
	unlink(f);
	free(d);
	event_base_free(base);
}
END_TEST

START_TEST(test_nul_line)
{
	static const char data[] = "http://a/1\nhttp://evil/\0http://b/\nhttp://a/3\n";
	struct event_base *base = event_base_new();
	struct got got[8];
	char *f = tmpfile_with(data, sizeof data - 1);
	size_t n = read_all(base, f, got, 8);
	check_three(got, n, f, GATHER_INPUT_NUL);
	/* the whole line, the NUL made visible: never the front part alone */
	ck_assert_str_eq(got[1].url, "http://evil/\xef\xbf\xbdhttp://b/");
	got_free(got, n);
	unlink(f);
	event_base_free(base);
}
END_TEST

/* A NUL inside an over-long line, and an over-long line of NULs. */
START_TEST(test_nul_in_long_line)
{
	struct event_base *base = event_base_new();
	struct got got[8];
	size_t len;
	char *d = with_long_line(4 * MAX_LINE, "\n", &len);
	d[11 + 20] = '\0';
	char *f = tmpfile_with(d, len);
	size_t n = read_all(base, f, got, 8);
	check_three(got, n, f, GATHER_INPUT_NUL);
	got_free(got, n);
	unlink(f);
	free(d);
	event_base_free(base);
}
END_TEST

struct writer {
	int fd;
	const char *data;
	size_t len;
};

static void *write_all(void *arg)
{
	struct writer *w = arg;
	for (size_t off = 0; off < w->len;) {
		size_t chunk = w->len - off < 4096 ? w->len - off : 4096;
		ssize_t k = write(w->fd, w->data + off, chunk);
		if (k <= 0)
			break;
		off += (size_t)k;
	}
	close(w->fd);
	return NULL;
}

/* A pipe delivers the long line in many small reads, each one waited for
 * on the reactor: still one record for it. */
START_TEST(test_long_line_from_pipe)
{
	struct event_base *base = event_base_new();
	struct got got[8];
	int fds[2];
	pthread_t t;
	size_t len;
	char name[64];
	char *d = with_long_line(1u << 20, "\n", &len);
	ck_assert_int_eq(pipe(fds), 0);
	struct writer w = { fds[1], d, len };
	ck_assert_int_eq(pthread_create(&t, NULL, write_all, &w), 0);
	snprintf(name, sizeof name, "/dev/fd/%d", fds[0]);
	size_t n = read_all(base, name, got, 8);
	pthread_join(t, NULL);
	close(fds[0]);
	check_three(got, n, name, GATHER_INPUT_TOOLONG);
	got_free(got, n);
	free(d);
	event_base_free(base);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("input");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_long_line_is_one_record, 0, 2);
	tcase_add_test(tc, test_limit_edges);
	tcase_add_test(tc, test_long_last_line_without_eol);
	tcase_add_test(tc, test_nul_line);
	tcase_add_test(tc, test_nul_in_long_line);
	tcase_add_test(tc, test_long_line_from_pipe);
	suite_add_tcase(s, tc);
	return ckmain_run(s);
}
