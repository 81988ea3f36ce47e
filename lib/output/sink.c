/* sink.c — the sinks (see sink.h): their outputs, put and close; the
 * writer thread that writes them is writer.c.
 *
 * Records are handed over by the reactor (gather_sink_put never blocks),
 * queued in one bounded FIFO per writer, and written by the writer's thread
 * to each record's sink: the JSON lines file, the WARC and the mirror / -o
 * directories, in the order they were put.
 *
 * The writer takes whatever is queued (up to SINK_BATCH records) at each
 * wake-up — after a lull, having lingered up to SINK_LINGER_MS for a full
 * batch — writes the WARC records and files first, then each sink's JSON
 * lines of the batch with one write() — so a line never appears before the
 * record's other outputs, the file only ever holds whole lines (a failed
 * write is cut back off a regular file), and a reader doing `tail -f` sees
 * each batch as soon as it is written (no stdio buffering).
 *
 * On a reactor (gather_writer_new with a base), written records go back to
 * the reactor thread: the writer frees their bodies, appends them to a
 * hand-back list and wakes the reactor once per batch (event_active on a
 * notify event, the one libevent call the writer makes), where each sink's
 * done() receives them (the crawl marks a URL done only then: its record is
 * in every output).  The same wake-up says "room again" after a refused
 * put, so nobody polls.  A sink is closed on the writer thread too (flush,
 * fsync: never on the reactor) once every record put before is written,
 * and its closed() runs on the reactor.
 *
 * While records or closes are out, a keep-alive timer (long period, does
 * nothing) keeps event_base_dispatch() from returning for lack of events.
 *
 * Signals: the writer thread blocks every signal, so SIGINT/SIGTERM go to
 * the reactor's thread and never interrupt a write half-way, and a closed
 * pipe gives EPIPE (reported at close) instead of killing the process with
 * SIGPIPE. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "gather/error.h"
#include "output/jsonl.h"
#include "output/mirror.h"
#include "output/sink-internal.h"
#include "output/sink.h"
#include "output/warc.h"
#include "util/strbuf.h"

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
void gather_sink_flush_lines(struct gather_sink *s)
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
		s->jsonl_off += (uint64_t)k;
	}
}


/* Flush s's outputs to disk and say where they end (writer thread; see
 * gather_sink_on_sync).  Nothing is said once the sink has failed. */
void gather_sink_sync_now(struct gather_sink *s)
{
	struct gather_output_marks m = { 0 };
	char err[512];

	s->unsynced = false;
	s->synced_at = sink_mono_ms();
	if (s->err) {
		if (!s->said_err) {   /* once: the state stops committing */
			s->said_err = true;
			m.error = s->errmsg;
			s->sync(&m, s->sync_arg);
		}
		return;
	}
	if (s->jsonl_fd >= 0 && s->jsonl_regular) {
		if (fdatasync(s->jsonl_fd) < 0 && errno != EINVAL) {
			snprintf(err, sizeof err, "%s: %s", s->jsonl_name, strerror(errno));
			sink_fail(s, GATHER_E_IO, err);
			gather_sink_sync_now(s);
			return;
		}
		m.jsonl = true;
		m.jsonl_off = s->jsonl_off;
	}
	if (s->mirror && gather_mirror_sync(s->mirror, err, sizeof err) < 0) {
		sink_fail(s, GATHER_E_IO, err);
		gather_sink_sync_now(s);
		return;
	}
	if (s->warc) {
		if (gather_warc_sync(s->warc, &m.warc_file, &m.warc_off, err, sizeof err) < 0) {
			sink_fail(s, GATHER_E_IO, err);
			gather_sink_sync_now(s);
			return;
		}
		m.warc = true;
	}
	s->sync(&m, s->sync_arg);
}

/* Save r's body in the directory m (writer thread, before r's line is
 * made).  The record says where (its "saved" key), so a reader of the
 * records finds the file without knowing the layout; a path set before
 * (get -o FILE, on a worker) stays: that is the file the user named.  A
 * body that could not be saved is said in its record too (not "status 200,
 * error null"): error "io", the message naming the file. */
static void save_body(struct gather_sink *s, struct gather_mirror *m, struct gather_result *r)
{
	char err[512];
	char **where = r->saved ? NULL : &r->saved;

	if (gather_mirror_save_as(m, r, where, err, sizeof err) < 0) {
		sink_fail(s, GATHER_E_IO, err);
		if (r->err == 0)
			gather_result_fail(r, GATHER_E_IO, err);
	}
}

/* Write one record to the WARC and directories and queue its line
 * (writer thread). */
void gather_sink_write_record(struct gather_sink *s, struct gather_result *r)
{
	char err[512];

	if (s->warc && gather_warc_write(s->warc, r, err, sizeof err) < 0)
		sink_fail(s, GATHER_E_IO, err);
	if (r->warc_only)
		return;
	if (s->mirror)
		save_body(s, s->mirror, r);
	if (s->outdir)
		save_body(s, s->outdir, r);
	add_line(s, r);
}

/* Close the files of s and free what open made; the first error goes to
 * err (writer thread for a shared writer, else the closing thread). */
int gather_sink_close_files(struct gather_sink *s, char *err, size_t errlen)
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
	s->jsonl_fd = -1;
	if (gather_warc_close(s->warc, m, sizeof m) < 0 && !rc) {
		rc = GATHER_E_IO;
		if (err)
			snprintf(err, errlen, "%s", m);
	}
	s->warc = NULL;
	if (gather_mirror_close(s->mirror, m, sizeof m) < 0 && !rc) {
		rc = GATHER_E_IO;
		if (err)
			snprintf(err, errlen, "%s", m);
	}
	s->mirror = NULL;
	if (gather_mirror_close(s->outdir, m, sizeof m) < 0 && !rc) {
		rc = GATHER_E_IO;
		if (err)
			snprintf(err, errlen, "%s", m);
	}
	s->outdir = NULL;
	free(s->jsonl_name);
	s->jsonl_name = NULL;
	free(s->lines.p);
	s->lines.p = NULL;
	return rc ? GATHER_E_IO : 0;
}

/* Open the JSON lines output: o->jsonl or stdout. */
static int open_jsonl(struct gather_sink *s, const char *path,
                      const struct gather_output_marks *at, char *err, size_t errlen)
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
		bool keep = at && at->jsonl && at->jsonl_off > 0;
		s->jsonl_fd = open(path, O_WRONLY | O_CREAT | (keep ? 0 : O_TRUNC) | O_CLOEXEC, 0644);
		if (s->jsonl_fd < 0) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			return GATHER_E_IO;
		}
		s->jsonl_owned = true;
		if (keep) {
			/* a resume: the committed lines stay, the rest goes */
			if (fstat(s->jsonl_fd, &st) < 0 || !S_ISREG(st.st_mode) ||
			    (uint64_t)st.st_size < at->jsonl_off) {
				snprintf(err, errlen, "%s: %llu bytes, but the crawl state committed %llu: "
				         "the file was cut or replaced since", path,
				         (unsigned long long)st.st_size, (unsigned long long)at->jsonl_off);
				return GATHER_E_INVALID;
			}
			if (ftruncate(s->jsonl_fd, (off_t)at->jsonl_off) < 0 ||
			    lseek(s->jsonl_fd, (off_t)at->jsonl_off, SEEK_SET) < 0) {
				snprintf(err, errlen, "%s: %s", path, strerror(errno));
				return GATHER_E_IO;
			}
			s->jsonl_off = at->jsonl_off;
		}
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

/* Free a sink whose files are closed or were never opened. */
static void sink_free(struct gather_sink *s)
{
	free(s->jsonl_name);
	free(s->lines.p);
	free(s);
}

struct gather_sink *gather_sink_open_on(struct gather_writer *w, const struct gather_opts *o,
                                        unsigned cmd, char *err, size_t errlen)
{
	return gather_sink_open_at(w, o, cmd, NULL, err, errlen);
}

struct gather_sink *gather_sink_open_at(struct gather_writer *w, const struct gather_opts *o,
                                        unsigned cmd, const struct gather_output_marks *at,
                                        char *err, size_t errlen)
{
	struct gather_sink *s = calloc(1, sizeof *s);

	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->w = w;
	s->cmd = cmd;
	s->jsonl_fd = -1;
	if (open_jsonl(s, o->jsonl, at, err, errlen) < 0)
		goto fail;
	if (o->warc) {
		s->warc = at ? gather_warc_open_at(o->warc, o->warc_max_size, o, cmd,
		                                   at->warc ? at->warc_file : 0,
		                                   at->warc ? at->warc_off : 0, err, errlen)
		             : gather_warc_open(o->warc, o->warc_max_size, o, cmd, err, errlen);
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
	return s;
fail:
	gather_sink_close_files(s, NULL, 0);
	sink_free(s);
	return NULL;
}

struct gather_sink *gather_sink_open(const struct gather_opts *o, unsigned cmd,
                                     char *err, size_t errlen)
{
	struct gather_writer *w = gather_writer_create(NULL, err, errlen);
	if (!w)
		return NULL;
	struct gather_sink *s = gather_sink_open_on(w, o, cmd, err, errlen);
	if (!s) {
		gather_writer_join(w);
		gather_writer_destroy(w);
		return NULL;
	}
	s->own_writer = true;
	return s;
}

unsigned gather_sink_fetch_flags(const struct gather_sink *s)
{
	return s->flags;
}

void gather_sink_on_sync(struct gather_sink *s, gather_sink_sync_fn fn, void *arg,
                         unsigned interval_ms)
{
	s->sync = fn;
	s->sync_arg = arg;
	s->sync_ms = interval_ms;
	s->synced_at = sink_mono_ms();
}

void gather_sink_on_written(struct gather_sink *s, gather_sink_written_fn fn, void *arg)
{
	/* before the first put: the writer's mutex publishes it to the writer */
	pthread_mutex_lock(&s->w->mu);
	s->written = fn;
	s->written_arg = arg;
	pthread_mutex_unlock(&s->w->mu);
}

void gather_sink_on_done(struct gather_sink *s, gather_sink_done_fn fn, void *arg)
{
	/* before the first put: the writer's mutex publishes it */
	pthread_mutex_lock(&s->w->mu);
	s->done = fn;
	s->done_arg = arg;
	pthread_mutex_unlock(&s->w->mu);
}

void gather_sink_on_done_count(struct gather_sink *s, gather_sink_count_fn fn, void *arg)
{
	s->done_n = fn;
	s->done_n_arg = arg;
}

size_t gather_sink_pending(const struct gather_sink *s)
{
	return s->pending;
}

int gather_sink_put(struct gather_sink *s, struct gather_result *r)
{
	struct gather_writer *w = s->w;
	uint64_t bytes = sink_record_bytes(r);

	pthread_mutex_lock(&w->mu);
	if (w->shutdown || s->closed || w->count == SINK_QUEUE_MAX ||
	    (w->count > 0 && w->q_bytes + bytes > SINK_QUEUE_BYTES)) {
		if (!w->shutdown && !w->hurry) {
			w->hurry = true; /* full by bytes before SINK_BATCH records */
			pthread_cond_signal(&w->cv);
		}
		w->refused = true;
		pthread_mutex_unlock(&w->mu);
		return GATHER_E_AGAIN;
	}
	w->q[(w->head + w->count) % SINK_QUEUE_MAX] = (struct wentry){ s, r };
	w->count++;
	w->q_bytes += bytes;
	w->seq_in++;
	if (w->count == 1 || w->count == SINK_BATCH)
		pthread_cond_signal(&w->cv); /* the writer waits when empty, or lingers */
	pthread_mutex_unlock(&w->mu);
	if (w->base) {
		s->pending++;
		w->out++;
		gather_writer_keepalive(w);
	}
	return 0;
}

void gather_sink_put_wait(struct gather_sink *s, struct gather_result *r)
{
	struct gather_writer *w = s->w;
	pthread_mutex_lock(&w->mu);
	while (w->count == SINK_QUEUE_MAX ||
	       (w->count > 0 && w->q_bytes + sink_record_bytes(r) > SINK_QUEUE_BYTES)) {
		w->hurry = true;
		pthread_cond_signal(&w->cv);
		pthread_cond_wait(&w->cv_room, &w->mu);
	}
	pthread_mutex_unlock(&w->mu);
	if (gather_sink_put(s, r) < 0) /* shut down under us: nobody writes it */
		gather_result_free(r);
}

bool gather_sink_full(const struct gather_sink *s)
{
	return gather_writer_full(s->w);
}

void gather_sink_close_async(struct gather_sink *s, gather_sink_closed_fn closed, void *arg)
{
	struct gather_writer *w = s->w;

	s->closed = closed;
	s->closed_arg = arg;
	pthread_mutex_lock(&w->mu);
	s->close_seq = w->seq_in;
	s->close_next = NULL;
	if (w->closeq_tail)
		w->closeq_tail->close_next = s;
	else
		w->closeq = s;
	w->closeq_tail = s;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	w->out++;
	gather_writer_keepalive(w);
}

int gather_sink_close(struct gather_sink *s, char *err, size_t errlen)
{
	if (!s)
		return 0;
	if (!s->own_writer) {
		if (err)
			snprintf(err, errlen, "a sink on a shared writer closes with gather_sink_close_async");
		return GATHER_E_INVALID;
	}
	struct gather_writer *w = s->w;
	gather_writer_join(w);  /* everything queued is written first */
	int rc = gather_sink_close_files(s, err, errlen);
	sink_free(s);
	gather_writer_destroy(w);
	return rc;
}

