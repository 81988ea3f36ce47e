/* test_sink.c — the writer thread: many records through all outputs, order
 * kept, AGAIN when the queue is full (count and bytes), close drains, lines
 * appear without close (tail -f), I/O errors reported with the file name,
 * a closed pipe does not kill the process. */
#include "config.h"

#include <check.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "gather/engine.h"
#include "gather/error.h"
#include "gather/options.h"
#include "gather/result.h"
#include "output/sink.h"
#include "ckmain.h"

static char top[256];
static struct gather_opts opts;

static void setup(void)
{
	snprintf(top, sizeof top, "/tmp/test_sink.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(top));
	gather_opts_init(&opts, GATHER_CMD_GET);
}

static void teardown(void)
{
	char cmd[300];
	gather_opts_free(&opts);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", top);
	ck_assert_int_eq(system(cmd), 0);
}

static char *in_top(const char *name)
{
	char p[512];
	snprintf(p, sizeof p, "%s/%s", top, name);
	return strdup(p);
}

static void buf_set(struct gather_buf *b, const char *s)
{
	b->len = strlen(s);
	b->data = malloc(b->len + 1);
	memcpy(b->data, s, b->len + 1);
}

static struct gather_result *record(int i, size_t title_len)
{
	char url[64];
	struct gather_result *r = gather_result_new();
	snprintf(url, sizeof url, "http://127.0.0.1/p%d", i);
	r->url = strdup(url);
	r->final_url = strdup(url);
	r->status = 200;
	r->attempts = 1;
	r->start_unix_ms = 1700000000000ull;
	snprintf(r->ip, sizeof r->ip, "127.0.0.1");
	buf_set(&r->body, "<p>body</p>");
	buf_set(&r->raw_body, "<p>body</p>");
	buf_set(&r->req_head, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
	buf_set(&r->resp_head, "HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n");
	r->bytes = r->body.len;
	if (title_len) {
		r->processed = true;
		r->title = malloc(title_len + 1);
		memset(r->title, 't', title_len);
		r->title[title_len] = '\0';
	}
	return r;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };
	nanosleep(&ts, NULL);
}

/* Put r, retrying on AGAIN for up to 10 s. */
static void put_wait(struct gather_sink *s, struct gather_result *r)
{
	for (int i = 0; i < 10000; i++) {
		int rc = gather_sink_put(s, r);
		if (rc == 0)
			return;
		ck_assert_int_eq(rc, GATHER_E_AGAIN);
		sleep_ms(1);
	}
	ck_abort_msg("sink stayed full");
}

/* Lines of a file, each checked to be a JSON object whose url is
 * http://127.0.0.1/p<i> for i = 0, 1, ... (order kept). */
static size_t check_lines(const char *path)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0, n = 0;
	ssize_t len;
	ck_assert_ptr_nonnull(f);
	while ((len = getline(&line, &cap, f)) > 0) {
		ck_assert_msg(line[len - 1] == '\n', "partial last line");
		json_error_t e;
		json_t *j = json_loads(line, 0, &e);
		ck_assert_msg(j != NULL, "line %zu: %s", n, e.text);
		char want[64];
		snprintf(want, sizeof want, "http://127.0.0.1/p%zu", n);
		ck_assert_str_eq(json_string_value(json_object_get(j, "url")), want);
		json_decref(j);
		n++;
	}
	free(line);
	fclose(f);
	return n;
}

static size_t count_in_file(const char *path, const char *needle)
{
	FILE *f = fopen(path, "rb");
	ck_assert_ptr_nonnull(f);
	fseek(f, 0, SEEK_END);
	long len = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *p = malloc((size_t)len + 1);
	ck_assert_int_eq(fread(p, 1, (size_t)len, f), (size_t)len);
	p[len] = '\0';
	fclose(f);
	size_t n = 0;
	for (char *q = p; (q = memmem(q, (size_t)(len - (q - p)), needle, strlen(needle))); q++)
		n++;
	free(p);
	return n;
}

START_TEST(test_flags)
{
	char err[256];
	opts.jsonl = in_top("a.jsonl");
	struct gather_sink *s = gather_sink_open(&opts, GATHER_CMD_GET, err, sizeof err);
	ck_assert_uint_eq(gather_sink_fetch_flags(s), 0);
	ck_assert_int_eq(gather_sink_close(s, err, sizeof err), 0);
	opts.warc = in_top("a.warc");
	s = gather_sink_open(&opts, GATHER_CMD_GET, err, sizeof err);
	ck_assert_uint_eq(gather_sink_fetch_flags(s), GATHER_FETCH_KEEP_RAW);
	ck_assert_int_eq(gather_sink_close(s, err, sizeof err), 0);
	opts.outdir = in_top("o");
	s = gather_sink_open(&opts, GATHER_CMD_GET, err, sizeof err);
	ck_assert_uint_eq(gather_sink_fetch_flags(s), GATHER_FETCH_KEEP_RAW | GATHER_FETCH_KEEP_BODY);
	ck_assert_int_eq(gather_sink_close(s, err, sizeof err), 0);
	free(opts.warc);
	opts.warc = NULL;
	free(opts.outdir);
	opts.outdir = NULL;
	opts.mirror = in_top("m");
	s = gather_sink_open(&opts, GATHER_CMD_CRAWL, err, sizeof err);
	ck_assert_uint_eq(gather_sink_fetch_flags(s), GATHER_FETCH_KEEP_BODY);
	ck_assert_int_eq(gather_sink_close(s, err, sizeof err), 0);
}
END_TEST

/* Many records through every output; close drains the queue. */
START_TEST(test_many_records_all_outputs)
{
	char err[256];
	enum { N = 1500 };
	opts.jsonl = in_top("out.jsonl");
	opts.warc = in_top("out.warc.gz");
	opts.mirror = in_top("mirror");
	opts.outdir = in_top("flat");
	struct gather_sink *s = gather_sink_open(&opts, GATHER_CMD_GET, err, sizeof err);
	ck_assert_msg(s != NULL, "%s", err);
	for (int i = 0; i < N; i++)
		put_wait(s, record(i, (size_t)(i % 7) * 50));
	ck_assert_int_eq(gather_sink_close(s, err, sizeof err), 0);
	ck_assert_uint_eq(check_lines(opts.jsonl), N);

	/* every fetch in the WARC (gzip: count the records by inflating) */
	char cmd[700];
	snprintf(cmd, sizeof cmd, "gzip -dc '%s' > '%s/out.warc'", opts.warc, top);
	ck_assert_int_eq(system(cmd), 0);
	char *plain = in_top("out.warc");
	ck_assert_uint_eq(count_in_file(plain, "WARC-Type: response\r\n"), N);
	ck_assert_uint_eq(count_in_file(plain, "WARC-Type: request\r\n"), N);
	free(plain);
	char *p = in_top("mirror/127.0.0.1/p1499");
	ck_assert_int_eq(access(p, R_OK), 0);
	free(p);
}
END_TEST

struct written {
	size_t n;
	int next; /* the p<i> expected next: order kept */
	bool order_ok;
	bool line_was_there;
	const char *jsonl;
};

static void on_written(const struct gather_result *r, void *arg)
{
	struct written *w = arg;
	char want[64];
	snprintf(want, sizeof want, "http://127.0.0.1/p%d", w->next++);
	if (strcmp(r->url, want) != 0)
		w->order_ok = false;
	/* the record's line is already in the file */
	FILE *f = fopen(w->jsonl, "r");
	char *line = NULL;
	size_t cap = 0;
	bool found = false;
	size_t wl = strlen(want);
	while (f && !found && getline(&line, &cap, f) > 0) {
		char *u = strstr(line, "\"url\":\"");
		found = u && strncmp(u + 7, want, wl) == 0 && u[7 + wl] == '"';
	}
	free(line);
	if (f)
		fclose(f);
	if (!found)
		w->line_was_there = false;
	w->n++;
}

/* The written callback: every record, in order, after its line is out. */
START_TEST(test_written_callback)
{
	char err[256];
	opts.jsonl = in_top("w.jsonl");
	struct written w = { 0, 0, true, true, opts.jsonl };
	struct gather_sink *s = gather_sink_open(&opts, GATHER_CMD_GET, err, sizeof err);
	gather_sink_on_written(s, on_written, &w);
	for (int i = 0; i < 200; i++)
		put_wait(s, record(i, 0));
	ck_assert_int_eq(gather_sink_close(s, err, sizeof err), 0);
	ck_assert_uint_eq(w.n, 200);
	ck_assert(w.order_ok);
	ck_assert(w.line_was_there);
}
END_TEST

/* Lines show up while the sink is open (tail -f). */
START_TEST(test_flushed_without_close)
{
	char err[256];
	struct stat st;
	opts.jsonl = in_top("live.jsonl");
	struct gather_sink *s = gather_sink_open(&opts, GATHER_CMD_GET, err, sizeof err);
	ck_assert_int_eq(gather_sink_put(s, record(0, 0)), 0);
	int waited = 0;
	while (waited < 2000 && (stat(opts.jsonl, &st) < 0 || st.st_size == 0)) {
		sleep_ms(10);
		waited += 10;
	}
	ck_assert_int_gt(st.st_size, 0);
	ck_assert_int_lt(waited, 1000); /* well within the ~200 ms promised, even loaded */
	ck_assert_uint_eq(check_lines(opts.jsonl), 1);
	ck_assert_int_eq(gather_sink_close(s, err, sizeof err), 0);
}
END_TEST

struct batches {
	const char *jsonl;
	off_t last_size;
	int n;  /* distinct file sizes seen: batches written */
};

static void on_written_batch(const struct gather_result *r, void *arg)
{
	struct batches *b = arg;
	struct stat st;
	if (stat(b->jsonl, &st) == 0 && st.st_size != b->last_size) {
		b->last_size = st.st_size;
		b->n++;
	}
}

/* Records trickling in (one per 100 us or so, as in a fast crawl) are written in
 * batches, not one write and one wake-up each: the writer lingers
 * (SINK_LINGER_MS) after a put into an empty queue. */
START_TEST(test_trickle_batched)
{
	char err[256];
	opts.jsonl = in_top("trickle.jsonl");
	struct batches b = { opts.jsonl, 0, 0 };
	struct gather_sink *s = gather_sink_open(&opts, GATHER_CMD_GET, err, sizeof err);
	gather_sink_on_written(s, on_written_batch, &b);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < 40; i++) {
		put_wait(s, record(i, 0));
		struct timespec ts = { 0, 100000 };
		nanosleep(&ts, NULL);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ck_assert_int_eq(gather_sink_close(s, err, sizeof err), 0);
	ck_assert_uint_eq(check_lines(opts.jsonl), 40);
	long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	/* Lingering gives about one batch per millisecond of the loop (a
	 * batch written while more arrived is followed at once by the next,
	 * so not exactly); without it about one per record, 40.  Half of that
	 * separates the two even when a slow build (sanitizers) makes the
	 * loop take longer; the check means something when the loop took well
	 * under 40 ms, i.e. unless the machine is swamped. */
	ck_assert_msg(b.n <= 20 || ms >= 30, "%d batches for 40 records in %ld ms", b.n, ms);
}
END_TEST

struct drain {
	int fd;
	size_t lines;
};

static void *drain_main(void *arg)
{
	struct drain *d = arg;
	char buf[65536];
	ssize_t n;
	while ((n = read(d->fd, buf, sizeof buf)) > 0)
		for (ssize_t i = 0; i < n; i++)
			d->lines += buf[i] == '\n';
	return NULL;
}

/* A writer stuck on a pipe nobody reads: puts fill the queue and get AGAIN
 * (ownership stays with the caller), then everything accepted is written
 * once the pipe is read. */
START_TEST(test_again_when_full)
{
	char err[256], path[64];
	int p[2];
	ck_assert_int_eq(pipe(p), 0);
	snprintf(path, sizeof path, "/dev/fd/%d", p[1]);
	opts.jsonl = strdup(path);
	struct gather_sink *s = gather_sink_open(&opts, GATHER_CMD_GET, err, sizeof err);
	ck_assert_msg(s != NULL, "%s", err);
	close(p[1]);

	size_t accepted = 0;
	int again = 0;
	for (int i = 0; i < 100000 && !again; i++) {
		struct gather_result *r = record(i, 2000);
		int rc = gather_sink_put(s, r);
		if (rc == GATHER_E_AGAIN) {
			again = 1;
			ck_assert(gather_sink_full(s));
			gather_result_free(r); /* still ours */
		} else {
			ck_assert_int_eq(rc, 0);
			accepted++;
		}
	}
	ck_assert(again);
	ck_assert_uint_ge(accepted, 1024);

	struct drain d = { p[0], 0 };
	pthread_t t;
	pthread_create(&t, NULL, drain_main, &d);
	ck_assert_int_eq(gather_sink_close(s, err, sizeof err), 0);
	pthread_join(t, NULL);
	close(p[0]);
	ck_assert_uint_eq(d.lines, accepted);
}
END_TEST

/* The byte bound: one record is always taken, however big; the next one
 * that would pass 256 MiB queued waits. */
START_TEST(test_again_on_bytes)
{
	char err[256], path[64];
	int p[2];
	ck_assert_int_eq(pipe(p), 0);
	snprintf(path, sizeof path, "/dev/fd/%d", p[1]);
	opts.jsonl = strdup(path);
	struct gather_sink *s = gather_sink_open(&opts, GATHER_CMD_GET, err, sizeof err);
	close(p[1]);
	/* stall the writer on the full pipe */
	size_t accepted = 0;
	for (int i = 0; i < 200; i++) {
		ck_assert_int_eq(gather_sink_put(s, record(i, 4000)), 0);
		accepted++;
	}
	sleep_ms(100);
	ck_assert(!gather_sink_full(s));
	/* records of 200 MB and 100 MB (not written anywhere but JSON lines,
	 * which only reads the length) */
	struct gather_result *big = record(200, 0), *big2 = record(201, 0);
	big->body.len = 200u << 20;
	big2->body.len = 100u << 20;
	int rc = gather_sink_put(s, big);
	ck_assert_int_eq(rc, 0);
	accepted++;
	ck_assert(!gather_sink_full(s));
	ck_assert_int_eq(gather_sink_put(s, big2), GATHER_E_AGAIN);
	struct gather_result *small = record(201, 0);
	ck_assert_int_eq(gather_sink_put(s, small), 0);
	accepted++;

	struct drain d = { p[0], 0 };
	pthread_t t;
	pthread_create(&t, NULL, drain_main, &d);
	ck_assert_int_eq(gather_sink_close(s, err, sizeof err), 0);
	pthread_join(t, NULL);
	close(p[0]);
	ck_assert_uint_eq(d.lines, accepted);
	big2->body.len = 0;
	gather_result_free(big2);
}
END_TEST

START_TEST(test_close_drains)
{
	char err[256];
	opts.jsonl = in_top("d.jsonl");
	struct gather_sink *s = gather_sink_open(&opts, GATHER_CMD_CRAWL, err, sizeof err);
	for (int i = 0; i < 1000; i++)
		ck_assert_int_eq(gather_sink_put(s, record(i, 0)), 0);
	ck_assert_int_eq(gather_sink_close(s, err, sizeof err), 0);
	ck_assert_uint_eq(check_lines(opts.jsonl), 1000);
	ck_assert_int_eq(gather_sink_close(NULL, err, sizeof err), 0);
}
END_TEST

START_TEST(test_write_error_reported)
{
	char err[256] = "";
	if (access("/dev/full", W_OK) != 0)
		return;
	opts.jsonl = strdup("/dev/full");
	struct gather_sink *s = gather_sink_open(&opts, GATHER_CMD_GET, err, sizeof err);
	ck_assert_msg(s != NULL, "%s", err);
	for (int i = 0; i < 10; i++)
		put_wait(s, record(i, 0));
	ck_assert_int_eq(gather_sink_close(s, err, sizeof err), GATHER_E_IO);
	ck_assert_ptr_nonnull(strstr(err, "/dev/full"));
	ck_assert_ptr_nonnull(strstr(err, "No space"));
}
END_TEST

/* A batch that does not fit (file size limit: EFBIG, like a full disk) is
 * cut back off: the JSON lines file only ever holds whole lines. */
START_TEST(test_no_partial_line)
{
	char err[256] = "";
	opts.jsonl = in_top("limited.jsonl");
	struct gather_sink *s = gather_sink_open(&opts, GATHER_CMD_GET, err, sizeof err);
	signal(SIGXFSZ, SIG_IGN); /* this forked test only */
	struct rlimit rl;
	ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &rl), 0);
	rlim_t unlimited = rl.rlim_cur;
	/* no ck_assert while limited: Check's own result file obeys it */
	rl.rlim_cur = 10000;
	setrlimit(RLIMIT_FSIZE, &rl);
	int put = 0;
	for (int i = 0; i < 40; i++) {
		struct gather_result *r = record(i, 900); /* ~1 KB lines */
		int ok = 0;
		for (int tries = 0; tries < 5000 && !(ok = gather_sink_put(s, r) == 0); tries++)
			sleep_ms(1);
		if (ok)
			put++;
		else
			gather_result_free(r);
		if (i % 3 == 0)
			sleep_ms(5); /* several batches */
	}
	int rc = gather_sink_close(s, err, sizeof err);
	rl.rlim_cur = unlimited;
	setrlimit(RLIMIT_FSIZE, &rl);
	ck_assert_int_eq(put, 40);
	ck_assert_int_eq(rc, GATHER_E_IO);
	ck_assert_ptr_nonnull(strstr(err, "limited.jsonl"));
	ck_assert_ptr_nonnull(strstr(err, "too large"));

	FILE *f = fopen(opts.jsonl, "r");
	char *line = NULL;
	size_t cap = 0, n = 0;
	ssize_t len;
	while ((len = getline(&line, &cap, f)) > 0) {
		ck_assert_msg(line[len - 1] == '\n', "partial line %zu", n);
		json_t *j = json_loads(line, 0, NULL);
		ck_assert_ptr_nonnull(j);
		json_decref(j);
		n++;
	}
	free(line);
	fclose(f);
	ck_assert_uint_gt(n, 0);
	ck_assert_uint_lt(n, 40);
}
END_TEST

static volatile sig_atomic_t term_seen;

static void on_term(int sig)
{
	(void)sig;
	term_seen = 1;
}

/* SIGTERM in the middle of a run, handled the way the CLI does (stop
 * putting, close the sink): every accepted record is written whole — as
 * many JSON lines as records, every gzip member of the WARC complete. */
START_TEST(test_sigterm_mid_run)
{
	char err[256] = "";
	opts.jsonl = in_top("t.jsonl");
	opts.warc = in_top("t.warc.gz");
	char *count_file = in_top("count");
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct sigaction sa;
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = on_term;
		sigaction(SIGTERM, &sa, NULL);
		struct gather_sink *s = gather_sink_open(&opts, GATHER_CMD_GET, err, sizeof err);
		if (!s)
			_exit(2);
		long n = 0;
		for (int spins = 0; !term_seen && spins < 20000; spins++) {
			struct gather_result *r = record((int)n, 300);
			free(r->raw_body.data);
			r->raw_body.len = 50000;
			r->raw_body.data = calloc(1, r->raw_body.len);
			if (gather_sink_put(s, r) == 0)
				n++;
			else {
				gather_result_free(r);
				sleep_ms(1);
			}
		}
		FILE *f = fopen(count_file, "w");
		fprintf(f, "%ld %d\n", n, (int)term_seen);
		fclose(f);
		_exit(gather_sink_close(s, err, sizeof err) == 0 ? 0 : 3);
	}
	struct stat st;
	for (int i = 0; i < 500 && (stat(opts.jsonl, &st) < 0 || st.st_size < 20000); i++)
		sleep_ms(10);
	ck_assert_int_eq(kill(pid, SIGTERM), 0);
	int status;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	FILE *f = fopen(count_file, "r");
	long n = -1;
	int seen = 0;
	ck_assert_int_eq(fscanf(f, "%ld %d", &n, &seen), 2);
	fclose(f);
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(seen, 1); /* stopped by the signal, mid-run */
	ck_assert_uint_eq(check_lines(opts.jsonl), (size_t)n);
	char cmd[700];
	snprintf(cmd, sizeof cmd, "gzip -dc '%s' > '%s/t.warc'", opts.warc, top);
	ck_assert_int_eq(system(cmd), 0); /* every member complete */
	char *plain = in_top("t.warc");
	ck_assert_uint_eq(count_in_file(plain, "WARC-Type: response\r\n"), (size_t)n);
	free(plain);
	free(count_file);
}
END_TEST

/* A mirror error (a symlink planted in DIR) is reported at close, the
 * other records still written. */
START_TEST(test_mirror_error_reported)
{
	char err[512] = "";
	opts.jsonl = in_top("m.jsonl");
	opts.mirror = in_top("mirror");
	ck_assert_int_eq(mkdir(opts.mirror, 0755), 0);
	char *link = in_top("mirror/127.0.0.1");
	ck_assert_int_eq(symlink(top, link), 0);
	struct gather_sink *s = gather_sink_open(&opts, GATHER_CMD_CRAWL, err, sizeof err);
	for (int i = 0; i < 5; i++)
		put_wait(s, record(i, 0));
	ck_assert_int_eq(gather_sink_close(s, err, sizeof err), GATHER_E_IO);
	ck_assert_ptr_nonnull(strstr(err, link));
	ck_assert_uint_eq(check_lines(opts.jsonl), 5);
	/* and each record says its body was not saved */
	FILE *jf = fopen(opts.jsonl, "r");
	char line[4096];
	unsigned io = 0;
	while (jf && fgets(line, sizeof line, jf))
		io += strstr(line, "\"error\":\"io\"") != NULL;
	if (jf)
		fclose(jf);
	ck_assert_uint_eq(io, 5);
	char *p = in_top("p0");
	ck_assert_int_ne(access(p, F_OK), 0);
	free(p);
	free(link);
}
END_TEST

/* The reader went away: EPIPE reported, the process lives on. */
START_TEST(test_closed_pipe)
{
	char err[256] = "", path[64];
	int p[2];
	ck_assert_int_eq(pipe(p), 0);
	snprintf(path, sizeof path, "/dev/fd/%d", p[1]);
	opts.jsonl = strdup(path);
	struct gather_sink *s = gather_sink_open(&opts, GATHER_CMD_GET, err, sizeof err);
	close(p[1]);
	close(p[0]);
	for (int i = 0; i < 10; i++)
		put_wait(s, record(i, 0));
	ck_assert_int_eq(gather_sink_close(s, err, sizeof err), GATHER_E_IO);
	ck_assert_ptr_nonnull(strstr(err, "Broken pipe"));
}
END_TEST

START_TEST(test_open_errors)
{
	char err[256] = "";
	opts.jsonl = strdup("/nonexistent-dir/x.jsonl");
	ck_assert_ptr_null(gather_sink_open(&opts, GATHER_CMD_GET, err, sizeof err));
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent-dir/x.jsonl"));
	free(opts.jsonl);
	opts.jsonl = in_top("ok.jsonl");
	opts.warc = strdup("/nonexistent-dir/x.warc");
	ck_assert_ptr_null(gather_sink_open(&opts, GATHER_CMD_GET, err, sizeof err));
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent-dir/x.warc"));
	free(opts.warc);
	opts.warc = NULL;
	opts.mirror = in_top("ok.jsonl/sub"); /* below a file */
	ck_assert_ptr_null(gather_sink_open(&opts, GATHER_CMD_GET, err, sizeof err));
	ck_assert_ptr_nonnull(strstr(err, "ok.jsonl/sub"));
	free(opts.mirror);
	opts.mirror = NULL;
	opts.outdir = in_top("ok.jsonl/o");
	ck_assert_ptr_null(gather_sink_open(&opts, GATHER_CMD_GET, err, sizeof err));
	ck_assert_ptr_nonnull(strstr(err, "ok.jsonl/o"));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sink");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_flags);
	tcase_add_test(tc, test_many_records_all_outputs);
	tcase_add_test(tc, test_flushed_without_close);
	tcase_add_test(tc, test_trickle_batched);
	tcase_add_test(tc, test_again_when_full);
	tcase_add_test(tc, test_again_on_bytes);
	tcase_add_test(tc, test_close_drains);
	tcase_add_test(tc, test_written_callback);
	tcase_add_test(tc, test_write_error_reported);
	tcase_add_test(tc, test_no_partial_line);
	tcase_add_test(tc, test_sigterm_mid_run);
	tcase_add_test(tc, test_mirror_error_reported);
	tcase_add_test(tc, test_closed_pipe);
	tcase_add_test(tc, test_open_errors);
	suite_add_tcase(s, tc);
	return ckmain_run(s);
}
