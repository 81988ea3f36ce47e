/* sink.c — the writer thread: records are handed over by the reactor
 * (gather_sink_put never blocks), queued in a bounded FIFO, and written by
 * one thread per sink to the JSON lines file, the WARC and the mirror / -o
 * directories, in the order they were put.
 *
 * The writer takes whatever is queued (up to SINK_BATCH records) at each
 * wake-up — after a lull, having lingered up to SINK_LINGER_MS for a full
 * batch — writes the WARC records and files first, then all the batch's
 * JSON lines with one write() — so a line never appears before the record's
 * other outputs, the file only ever holds whole lines (a failed write is cut
 * back off a regular file), and a reader doing `tail -f` sees each batch as
 * soon as it is written (no stdio buffering: every batch is flushed).
 *
 * Signals: the writer thread blocks every signal, so SIGINT/SIGTERM go to
 * the reactor's thread and never interrupt a write half-way, and a closed
 * pipe gives EPIPE (reported by gather_sink_close) instead of killing the
 * process with SIGPIPE.  On shutdown the caller stops putting and calls
 * gather_sink_close, which drains the queue before returning. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "gather/error.h"
#include "output/jsonl.h"
#include "output/mirror.h"
#include "output/sink.h"
#include "util/strbuf.h"
#include "output/warc.h"

/* Records waiting for the writer, at most; and bytes of bodies and heads
 * they hold (the queue always takes one record, however large). */
#define SINK_QUEUE_MAX 1024
#define SINK_QUEUE_BYTES (256ull << 20)
/* Records written per wake-up. */
#define SINK_BATCH 64
/* How long the writer, woken by a record put into an empty queue, waits for
 * more to come (or SINK_BATCH of them) before writing: a record is never
 * later than this (after the batch before it is written).  Encoding a record
 * takes well under a microsecond, so without this a writer keeping up with
 * a fast crawl sleeps after nearly every record and each put pays a futex
 * wake and a context switch (measured: 7,000 wake-ups for 20,000 records);
 * 1 ms makes batches of tens of records at thousands of pages/s and is
 * nothing next to a fetch.  Close does not wait for it. */
#define SINK_LINGER_MS 1

struct gather_sink {
	/* set by gather_sink_open, read-only afterwards (any thread) */
	unsigned cmd;
	unsigned flags;          /* GATHER_FETCH_KEEP_* */
	int jsonl_fd;            /* stdout's 1 or our own file */
	bool jsonl_owned;
	bool jsonl_regular;      /* a regular file: cut back on errors, fsync */
	char *jsonl_name;        /* for messages: the file or "stdout" */
	struct gather_warc *warc;     /* writer thread only after open */
	struct gather_mirror *mirror; /* writer thread only after open */
	struct gather_mirror *outdir; /* writer thread only after open */
	pthread_t thread;
	gather_sink_written_fn written; /* set before the first put */
	void *written_arg;

	/* the queue: under mu, shared by the putting thread and the writer */
	pthread_mutex_t mu;
	pthread_cond_t cv;       /* signalled on put into an empty queue, when
	                          * a batch is full, and on close; CLOCK_MONOTONIC */
	struct gather_result *q[SINK_QUEUE_MAX];
	size_t head, count;
	uint64_t q_bytes;
	bool closing;
	bool hurry;              /* a put was refused: write without lingering */

	/* writer thread only until joined, then the closing thread */
	int err;                 /* first error, 0 or GATHER_E_IO / _NOMEM */
	char errmsg[1024];
	struct gather_strbuf lines; /* the batch's JSON lines */
};

/* Bytes a record holds that count against SINK_QUEUE_BYTES. */
static uint64_t record_bytes(const struct gather_result *r)
{
	return r->body.len + r->raw_body.len + r->req_head.len + r->resp_head.len;
}

/* Remember the first error (writer thread). */
static void sink_fail(struct gather_sink *s, int err, const char *msg)
{
	if (s->err)
		return;
	s->err = err;
	snprintf(s->errmsg, sizeof s->errmsg, "%s", msg);
}

/* Append r's JSON line to the batch buffer (writer thread): encoded in
 * place, no copy and no malloc once the buffer has grown. */
static void add_line(struct gather_sink *s, const struct gather_result *r)
{
	size_t start = s->lines.len;

	if (gather_jsonl_record(&s->lines, r, s->cmd) == 0) {
		gather_strbuf_addc(&s->lines, '\n');
		if (!s->lines.oom)
			return;
		/* no room for the newline: drop the line, keep the batch */
		s->lines.oom = false;
		s->lines.len = start;
		s->lines.p[start] = '\0';
	}
	char m[600];
	snprintf(m, sizeof m, "%s: out of memory formatting the record of %.400s",
	         s->jsonl_name, r->url ? r->url : "?");
	sink_fail(s, GATHER_E_NOMEM, m);
}

/* Write the batch's lines whole (writer thread).  A failed write leaves a
 * regular file as it was before the batch: the batch started where the
 * file offset is now less what was written of it (asked only on failure,
 * which saves an lseek per batch). */
static void flush_lines(struct gather_sink *s)
{
	const char *p = s->lines.p;
	size_t n = s->lines.len, done = 0;

	s->lines.len = 0;
	while (n > 0) {
		ssize_t k = write(s->jsonl_fd, p, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			char m[600];
			snprintf(m, sizeof m, "%s: %s", s->jsonl_name, k < 0 ? strerror(errno) : "short write");
			sink_fail(s, GATHER_E_IO, m);
			off_t now = s->jsonl_regular ? lseek(s->jsonl_fd, 0, SEEK_CUR) : -1;
			if (now >= 0 && (uint64_t)now >= done) {
				off_t start = now - (off_t)done;
				if (ftruncate(s->jsonl_fd, start) == 0)
					lseek(s->jsonl_fd, start, SEEK_SET);
			}
			return;
		}
		p += k;
		n -= (size_t)k;
		done += (size_t)k;
	}
}

/* Write one record to the WARC and directories and queue its line
 * (writer thread). */
static void write_record(struct gather_sink *s, struct gather_result *r)
{
	char err[512];

	if (s->warc && gather_warc_write(s->warc, r, err, sizeof err) < 0)
		sink_fail(s, GATHER_E_IO, err);
	if (s->mirror && gather_mirror_save(s->mirror, r, err, sizeof err) < 0)
		sink_fail(s, GATHER_E_IO, err);
	if (s->outdir && gather_mirror_save(s->outdir, r, err, sizeof err) < 0)
		sink_fail(s, GATHER_E_IO, err);
	add_line(s, r);
}

/* Wait (mu held) up to SINK_LINGER_MS for a full batch, unless closing or
 * a put was refused (writer thread; called when the first record after a
 * lull woke it, rather than waking, and preempting the reactor, once per
 * record).  A timed wait on cv, not a sleep: a full batch, a refused put
 * or close end it early. */
static void linger(struct gather_sink *s)
{
	struct timespec until;

	if (s->count >= SINK_BATCH || s->closing || s->hurry)
		return;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_nsec += SINK_LINGER_MS * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	while (s->count < SINK_BATCH && !s->closing && !s->hurry)
		if (pthread_cond_timedwait(&s->cv, &s->mu, &until) == ETIMEDOUT)
			break;
}

/* The writer thread: wait for records, write them in batches, end when
 * closing and the queue is empty. */
static void *writer_main(void *arg)
{
	struct gather_sink *s = arg;
	struct gather_result *batch[SINK_BATCH];

	pthread_mutex_lock(&s->mu);
	for (;;) {
		bool slept = false;
		while (s->count == 0 && !s->closing) {
			pthread_cond_wait(&s->cv, &s->mu);
			slept = true;
		}
		if (slept)
			linger(s); /* woken after a lull: let a batch gather */
		if (s->count == 0)
			break; /* closing, everything written */
		size_t n = 0;
		s->hurry = false;
		while (s->count > 0 && n < SINK_BATCH) {
			struct gather_result *r = s->q[s->head];
			s->q[s->head] = NULL;
			s->head = (s->head + 1) % SINK_QUEUE_MAX;
			s->count--;
			s->q_bytes -= record_bytes(r);
			batch[n++] = r;
		}
		pthread_mutex_unlock(&s->mu);
		for (size_t i = 0; i < n; i++)
			write_record(s, batch[i]);
		flush_lines(s);
		for (size_t i = 0; i < n; i++) {
			if (s->written)
				s->written(batch[i], s->written_arg);
			gather_result_free(batch[i]);
		}
		pthread_mutex_lock(&s->mu);
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

/* Close and free what open made, when the thread is not (or no longer)
 * running; the first error goes to err. */
static int sink_free(struct gather_sink *s, char *err, size_t errlen)
{
	char m[512];
	int rc = s->err;

	if (rc && err)
		snprintf(err, errlen, "%s", s->errmsg);
	if (s->jsonl_fd >= 0 && s->jsonl_regular && fsync(s->jsonl_fd) < 0 &&
	    errno != EINVAL && errno != EROFS && !rc) {
		rc = GATHER_E_IO;
		if (err)
			snprintf(err, errlen, "%s: %s", s->jsonl_name, strerror(errno));
	}
	if (s->jsonl_owned && s->jsonl_fd >= 0 && close(s->jsonl_fd) < 0 && !rc) {
		rc = GATHER_E_IO;
		if (err)
			snprintf(err, errlen, "%s: %s", s->jsonl_name, strerror(errno));
	}
	if (gather_warc_close(s->warc, m, sizeof m) < 0 && !rc) {
		rc = GATHER_E_IO;
		if (err)
			snprintf(err, errlen, "%s", m);
	}
	if (gather_mirror_close(s->mirror, m, sizeof m) < 0 && !rc) {
		rc = GATHER_E_IO;
		if (err)
			snprintf(err, errlen, "%s", m);
	}
	if (gather_mirror_close(s->outdir, m, sizeof m) < 0 && !rc) {
		rc = GATHER_E_IO;
		if (err)
			snprintf(err, errlen, "%s", m);
	}
	for (size_t i = 0; i < s->count; i++)
		gather_result_free(s->q[(s->head + i) % SINK_QUEUE_MAX]);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	free(s->jsonl_name);
	free(s->lines.p);
	free(s);
	return rc;
}

/* Open the JSON lines output: o->jsonl or stdout. */
static int open_jsonl(struct gather_sink *s, const char *path, char *err, size_t errlen)
{
	struct stat st;

	if (path && strcmp(path, "-") == 0) /* --jsonl - : stdout, as -i - is stdin */
		path = NULL;
	s->jsonl_name = strdup(path ? path : "stdout");
	if (!s->jsonl_name) {
		snprintf(err, errlen, "out of memory");
		return GATHER_E_NOMEM;
	}
	if (path) {
		s->jsonl_fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (s->jsonl_fd < 0) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			return GATHER_E_IO;
		}
		s->jsonl_owned = true;
	} else {
		s->jsonl_fd = STDOUT_FILENO;
		if (fcntl(STDOUT_FILENO, F_GETFL) < 0) {
			snprintf(err, errlen, "stdout: %s", strerror(errno));
			s->jsonl_fd = -1;
			return GATHER_E_IO;
		}
	}
	s->jsonl_regular = fstat(s->jsonl_fd, &st) == 0 && S_ISREG(st.st_mode);
	return 0;
}

struct gather_sink *gather_sink_open(const struct gather_opts *o, unsigned cmd,
                                     char *err, size_t errlen)
{
	struct gather_sink *s = calloc(1, sizeof *s);
	sigset_t all, old;

	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->cmd = cmd;
	s->jsonl_fd = -1;
	pthread_mutex_init(&s->mu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (open_jsonl(s, o->jsonl, err, errlen) < 0)
		goto fail;
	if (o->warc) {
		s->warc = gather_warc_open(o->warc, o->warc_max_size, o, cmd, err, errlen);
		if (!s->warc)
			goto fail;
		s->flags |= GATHER_FETCH_KEEP_RAW;
	}
	if (o->mirror) {
		s->mirror = gather_mirror_open(o->mirror, false, err, errlen);
		if (!s->mirror)
			goto fail;
		s->flags |= GATHER_FETCH_KEEP_BODY;
	}
	if (o->outdir) {
		s->outdir = gather_mirror_open(o->outdir, true, err, errlen);
		if (!s->outdir)
			goto fail;
		s->flags |= GATHER_FETCH_KEEP_BODY;
	}
	/* the writer inherits a mask with every signal blocked (file comment) */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	int rc = pthread_create(&s->thread, NULL, writer_main, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		snprintf(err, errlen, "writer thread: %s", strerror(rc));
		goto fail;
	}
	(void)pthread_setname_np(s->thread, "gather-sink"); /* for top -H; best effort */
	return s;
fail:
	sink_free(s, NULL, 0);
	return NULL;
}

unsigned gather_sink_fetch_flags(const struct gather_sink *s)
{
	return s->flags;
}

void gather_sink_on_written(struct gather_sink *s, gather_sink_written_fn fn, void *arg)
{
	/* before the first put: the mutex publishes it to the writer */
	pthread_mutex_lock(&s->mu);
	s->written = fn;
	s->written_arg = arg;
	pthread_mutex_unlock(&s->mu);
}

int gather_sink_put(struct gather_sink *s, struct gather_result *r)
{
	uint64_t bytes = record_bytes(r);

	pthread_mutex_lock(&s->mu);
	if (s->closing || s->count == SINK_QUEUE_MAX ||
	    (s->count > 0 && s->q_bytes + bytes > SINK_QUEUE_BYTES)) {
		if (!s->closing && !s->hurry) {
			s->hurry = true; /* full by bytes before SINK_BATCH records */
			pthread_cond_signal(&s->cv);
		}
		pthread_mutex_unlock(&s->mu);
		return GATHER_E_AGAIN;
	}
	s->q[(s->head + s->count) % SINK_QUEUE_MAX] = r;
	s->count++;
	s->q_bytes += bytes;
	if (s->count == 1 || s->count == SINK_BATCH)
		pthread_cond_signal(&s->cv); /* the writer waits when empty, or lingers */
	pthread_mutex_unlock(&s->mu);
	return 0;
}

bool gather_sink_full(const struct gather_sink *s)
{
	/* the mutex is the only mutable part of a const sink */
	pthread_mutex_t *mu = (pthread_mutex_t *)&s->mu;
	pthread_mutex_lock(mu);
	bool full = s->count == SINK_QUEUE_MAX || s->q_bytes >= SINK_QUEUE_BYTES;
	pthread_mutex_unlock(mu);
	return full;
}

int gather_sink_close(struct gather_sink *s, char *err, size_t errlen)
{
	if (!s)
		return 0;
	pthread_mutex_lock(&s->mu);
	s->closing = true;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
	pthread_join(s->thread, NULL);
	int rc = sink_free(s, err, errlen);
	return rc ? GATHER_E_IO : 0;
}
