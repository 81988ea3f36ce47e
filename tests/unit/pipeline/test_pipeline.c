/* test_pipeline.c — the one pipeline (gather/pipeline.h) with real worker
 * and writer threads: two streams share one pool and one writer, each
 * result is processed and written once, in order, written() comes only
 * once the record is in the file, backpressure says busy and wakes the
 * stream when the writer has room, a stop writes what waits unprocessed, a
 * stream freed early is finished by the pipeline, and the resq FIFO. */
#include "config.h"

#include <check.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>

#include "fixture.h"
#include "gather/error.h"
#include "gather/options.h"
#include "gather/pipeline.h"
#include "gather/result.h"
#include "pipeline/resq.h"
#include "ckmain.h"

struct side {
	struct gather_opts o;
	char *path;
	struct gather_stream *s;
	atomic_uint processed;    /* work() calls (worker threads) */
	unsigned recorded, written, wakes, closed, out_of_order, not_in_file;
	unsigned counted;          /* written_count() calls */
	int closed_rc;
	unsigned next_written;    /* the id written() expects next */
	bool check_file;          /* written(): the line is in the file already */
	bool done;                /* closed() ran */
};

static struct gather_result *record(unsigned i, size_t body)
{
	struct gather_result *r = gather_result_new();
	char u[64];
	ck_assert_ptr_nonnull(r);
	snprintf(u, sizeof u, "http://127.0.0.1/p/%u", i);
	r->url = strdup(u);
	r->status = 200;
	r->depth = i; /* the id, read back in written() */
	if (body) {
		r->body.data = malloc(body);
		memset(r->body.data, 'x', body);
		r->body.len = body;
		r->bytes = body;
	}
	return r;
}

static void work(struct gather_result *r, void *arg)
{
	struct side *sd = arg;
	atomic_fetch_add(&sd->processed, 1);
	r->processed = true;
}

static void on_record(struct gather_result *r, void *arg)
{
	struct side *sd = arg;
	(void)r;
	sd->recorded++;
}

static void on_written(struct gather_result *r, void *arg)
{
	struct side *sd = arg;
	if (r->depth != sd->next_written)
		sd->out_of_order++;
	sd->next_written = r->depth + 1;
	ck_assert_ptr_null(r->body.data); /* the writer dropped the bodies */
	if (sd->check_file) {
		char *all = fixture_read(sd->path, NULL);
		char needle[80];
		snprintf(needle, sizeof needle, "\"%s\"", r->url);
		if (!all || !strstr(all, needle))
			sd->not_in_file++;
		free(all);
	}
	sd->written++;
	gather_result_free(r);
}

static void on_written_count(size_t n, void *arg)
{
	struct side *sd = arg;
	sd->written += (unsigned)n;
	sd->counted++;
}

static void on_wake(void *arg)
{
	struct side *sd = arg;
	sd->wakes++;
}

static void on_closed(int rc, const char *msg, void *arg)
{
	struct side *sd = arg;
	(void)msg;
	sd->closed++;
	sd->closed_rc = rc;
	sd->done = true;
}

static void side_init2(struct side *sd, struct gather_pipeline *p, const char *name,
                       bool with_work, bool counts)
{
	char err[256] = "";
	memset(sd, 0, sizeof *sd);
	gather_opts_init(&sd->o, GATHER_CMD_GET);
	sd->path = fixture_path(name);
	sd->o.jsonl = strdup(sd->path);
	struct gather_stream_conf c = {
		.o = &sd->o,
		.cmd = GATHER_CMD_GET,
		.work = with_work ? work : NULL,
		.record = on_record,
		.written = counts ? NULL : on_written,
		.written_count = counts ? on_written_count : NULL,
		.wake = on_wake,
		.closed = on_closed,
		.arg = sd,
	};
	sd->s = gather_stream_new(p, &c, err, sizeof err);
	ck_assert_msg(sd->s != NULL, "%s", err);
}

static void side_init(struct side *sd, struct gather_pipeline *p, const char *name, bool with_work)
{
	side_init2(sd, p, name, with_work, false);
}

static void side_free(struct side *sd)
{
	gather_stream_free(sd->s);
	gather_opts_free(&sd->o);
	free(sd->path);
}

START_TEST(test_two_streams_share)
{
	struct event_base *base = event_base_new();
	char err[256] = "";
	fixture_mkdir("test_pipeline");
	struct gather_pipeline *p = gather_pipeline_new(base, 2, 64, err, sizeof err);
	ck_assert_msg(p != NULL, "%s", err);
	struct side a, b;
	side_init(&a, p, "a.jsonl", true);
	side_init2(&b, p, "b.jsonl", true, true); /* records freed by the writer */
	a.check_file = true;
	enum { N = 500 };
	for (unsigned i = 0; i < N; i++) {
		gather_stream_submit(a.s, record(i, 100), true);
		gather_stream_submit(b.s, record(i, 0), i % 2 == 0); /* half processed */
	}
	ck_assert_uint_eq(gather_stream_pending(a.s), N);
	gather_stream_close(a.s);
	gather_stream_close(b.s);
	bool both = false;
	while (!both) {
		fixture_loop_until(base, &a.done, 20000);
		fixture_loop_until(base, &b.done, 20000);
		both = true;
	}
	ck_assert_uint_eq(atomic_load(&a.processed), N);
	ck_assert_uint_eq(atomic_load(&b.processed), N / 2);
	ck_assert_uint_eq(a.recorded, N);
	ck_assert_uint_eq(a.written, N);
	ck_assert_uint_eq(b.written, N);
	ck_assert_uint_lt(b.counted, N); /* counted a batch at a time */
	ck_assert_uint_gt(b.counted, 0);
	/* (no order across streams or workers: each result is written once) */
	ck_assert_uint_eq(a.not_in_file, 0); /* written() after the line is out */
	ck_assert_uint_eq(a.closed, 1);
	ck_assert_int_eq(a.closed_rc, 0);
	ck_assert_uint_eq(fixture_count_lines(a.path), N);
	ck_assert_uint_eq(fixture_count_lines(b.path), N);
	ck_assert_uint_eq(gather_stream_pending(a.s), 0);
	side_free(&a);
	side_free(&b);
	gather_pipeline_free(p);
	event_base_free(base);
	fixture_rmdir();
}
END_TEST

/* A writer stuck on a FIFO nobody reads yet, and more records than its
 * queue holds (1,024): the stream is busy; once the FIFO is read, wake()
 * comes when the writer has room, with nothing polling. */
START_TEST(test_backpressure_wakes)
{
	struct event_base *base = event_base_new();
	char err[256] = "";
	fixture_mkdir("test_pipeline");
	struct gather_pipeline *p = gather_pipeline_new(base, 1, 16, err, sizeof err);
	ck_assert_msg(p != NULL, "%s", err);
	char *fifo = fixture_path("fifo");
	ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	int rd = open(fifo, O_RDONLY | O_NONBLOCK);
	ck_assert_int_ge(rd, 0);
	struct side a;
	side_init(&a, p, "fifo", false);
	enum { N = 3000 };
	for (unsigned i = 0; i < N; i++)
		gather_stream_submit(a.s, record(i, 64), false);
	ck_assert(gather_stream_busy(a.s));
	ck_assert_uint_eq(a.wakes, 0);
	/* the reader reads, the reactor runs: the writer drains, wakes us */
	char buf[65536];
	size_t lines = 0;
	bool woke = false;
	for (int turns = 0; turns < 4000 && !(woke && a.done); turns++) {
		ssize_t k;
		while ((k = read(rd, buf, sizeof buf)) > 0)
			for (ssize_t i = 0; i < k; i++)
				lines += buf[i] == '\n';
		struct timeval tv = { 0, 5000 };
		event_base_loopexit(base, &tv);
		event_base_loop(base, EVLOOP_ONCE);
		if (!woke && a.wakes > 0 && !gather_stream_busy(a.s)) {
			woke = true;
			gather_stream_close(a.s);
		}
	}
	ck_assert_msg(woke, "no wake() after the writer made room");
	ck_assert_msg(a.done, "not closed");
	ssize_t k;
	while ((k = read(rd, buf, sizeof buf)) > 0)
		for (ssize_t i = 0; i < k; i++)
			lines += buf[i] == '\n';
	close(rd);
	free(fifo);
	ck_assert_uint_eq(a.written, N);
	ck_assert_uint_eq(a.out_of_order, 0); /* one FIFO: put order kept */
	ck_assert_uint_eq(lines, N);
	side_free(&a);
	gather_pipeline_free(p);
	event_base_free(base);
	fixture_rmdir();
}
END_TEST

/* A stop: what waits for a worker goes to the outputs unprocessed. */
START_TEST(test_stop_writes_unprocessed)
{
	struct event_base *base = event_base_new();
	char err[256] = "";
	fixture_mkdir("test_pipeline");
	/* room for 4 in the workq: the rest waits in the stream */
	struct gather_pipeline *p = gather_pipeline_new(base, 1, 4, err, sizeof err);
	ck_assert_msg(p != NULL, "%s", err);
	struct side a;
	side_init(&a, p, "a.jsonl", true);
	enum { N = 200 };
	for (unsigned i = 0; i < N; i++)
		gather_stream_submit(a.s, record(i, 10), true);
	gather_stream_stop(a.s);
	gather_stream_close(a.s);
	fixture_loop_until(base, &a.done, 20000);
	ck_assert_uint_eq(a.written, N);
	ck_assert_uint_lt(atomic_load(&a.processed), N); /* most were not */
	ck_assert_uint_eq(fixture_count_lines(a.path), N);
	side_free(&a);
	gather_pipeline_free(p);
	event_base_free(base);
	fixture_rmdir();
}
END_TEST

/* A run freed while its results are out: the pipeline writes them and
 * closes the outputs (no callback into the freed run; ASan checks the
 * memory). */
START_TEST(test_free_early)
{
	struct event_base *base = event_base_new();
	char err[256] = "";
	fixture_mkdir("test_pipeline");
	struct gather_pipeline *p = gather_pipeline_new(base, 2, 32, err, sizeof err);
	ck_assert_msg(p != NULL, "%s", err);
	struct side a;
	side_init(&a, p, "a.jsonl", true);
	for (unsigned i = 0; i < 100; i++)
		gather_stream_submit(a.s, record(i, 10), true);
	char *path = strdup(a.path);
	side_free(&a);   /* the stream lives on inside the pipeline */
	gather_pipeline_free(p);
	ck_assert_uint_eq(fixture_count_lines(path), 100);
	ck_assert_uint_eq(a.written, 0); /* no callback after the free */
	free(path);
	event_base_free(base);
	fixture_rmdir();
}
END_TEST

START_TEST(test_resq)
{
	struct gather_resq q = { 0 };
	struct gather_result *v[300];
	for (unsigned i = 0; i < 300; i++) {
		v[i] = record(i, 0);
		ck_assert_int_eq(gather_resq_push(&q, v[i]), 0);
		if (i % 3 == 2) { /* wrap around while growing */
			ck_assert_ptr_eq(gather_resq_peek(&q), v[i / 3]);
			gather_resq_pop(&q);
		}
	}
	ck_assert_uint_eq(q.n, 200);
	for (unsigned i = 100; i < 150; i++) {
		ck_assert_ptr_eq(gather_resq_peek(&q), v[i]);
		gather_resq_pop(&q);
		gather_result_free(v[i]);
	}
	for (unsigned i = 0; i < 100; i++)
		gather_result_free(v[i]);
	gather_resq_free(&q); /* frees the 150 still queued */
	ck_assert_ptr_null(gather_resq_peek(&q));
}
END_TEST

int main(void)
{
	evthread_use_pthreads();
	Suite *s = suite_create("pipeline");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_two_streams_share);
	tcase_add_test(tc, test_backpressure_wakes);
	tcase_add_test(tc, test_stop_writes_unprocessed);
	tcase_add_test(tc, test_free_early);
	tcase_add_test(tc, test_resq);
	suite_add_tcase(s, tc);
	return ckmain_run(s);
}
