/* sink.c — the writer thread and the sinks on it (see sink.h).
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
#include <signal.h>
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
#include "output/sink.h"
#include "output/warc.h"
#include "util/strbuf.h"

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
/* Period of the keep-alive timer; firing is harmless. */
#define SINK_KEEPALIVE_S 3600

/* A queued record (r) of sink s.  In the hand-back list: a record (r), n
 * records written and freed already (r NULL, n > 0: a sink without a done
 * callback), or "s is closed" (r NULL, n 0). */
struct wentry {
	struct gather_sink *s;
	struct gather_result *r;
	size_t n;
};

struct gather_writer {
	/* set at creation, read-only afterwards (any thread) */
	struct event_base *base;  /* NULL: no reactor (a sink's own writer) */
	pthread_t thread;
	bool started;
	struct event *notify;     /* reactor owns it; the writer only event_active()s it */
	struct event *keepalive;  /* reactor thread only */

	/* reactor thread only */
	size_t out;               /* records and closes not yet handed back */
	struct wentry *spare;     /* the hand-back array of the last wake-up,
	                           * swapped in again (no malloc per batch) */
	size_t spare_cap;
	bool kept_alive;
	void (*room_fn)(void *);
	void *room_arg;

	/* under mu, shared by the reactor (put, close) and the writer */
	pthread_mutex_t mu;
	pthread_cond_t cv;        /* signalled on put into an empty queue, when
	                           * a batch is full, on a close request and on
	                           * shutdown; CLOCK_MONOTONIC */
	pthread_cond_t cv_room;   /* signalled when the writer took a batch
	                           * (gather_sink_put_wait, at teardown) */
	struct wentry q[SINK_QUEUE_MAX];
	size_t head, count;
	uint64_t q_bytes;
	uint64_t seq_in;          /* records ever put */
	uint64_t seq_out;         /* records ever taken and written */
	struct gather_sink *closeq, *closeq_tail; /* close requests, in order */
	struct wentry *back;      /* hand-back list for the reactor */
	size_t nback, capback;
	bool woken;               /* an event_active() is outstanding */
	bool refused;             /* a put was refused, or full() said so */
	bool shutdown;            /* gather_writer_free / a sink's own close */
	bool hurry;               /* a put was refused: write without lingering */

	/* writer thread only: sinks with a sync callback and records written
	 * since their last sync (synced when due, or when the writer idles) */
	struct gather_sink *dirty[SINK_BATCH];
	size_t ndirty;
};

struct gather_sink {
	/* set by open, read-only afterwards (any thread) */
	struct gather_writer *w;
	bool own_writer;         /* gather_sink_open: w is ours alone */
	unsigned cmd;
	unsigned flags;          /* GATHER_FETCH_KEEP_* */
	int jsonl_fd;            /* stdout's 1 or our own file */
	bool jsonl_owned;
	bool jsonl_regular;      /* a regular file: cut back on errors, fsync */
	char *jsonl_name;        /* for messages: the file or "stdout" */
	struct gather_warc *warc;     /* writer thread only after open */
	struct gather_mirror *mirror; /* writer thread only after open */
	struct gather_mirror *outdir; /* writer thread only after open */
	gather_sink_written_fn written; /* set before the first put */
	void *written_arg;
	gather_sink_done_fn done;       /* set before the first put */
	void *done_arg;
	gather_sink_count_fn done_n;    /* or this: counts, records freed */
	void *done_n_arg;
	gather_sink_sync_fn sync;       /* set before the first put */
	void *sync_arg;
	uint64_t sync_ms;

	/* reactor thread only */
	size_t pending;          /* put, not handed back */
	gather_sink_closed_fn closed;
	void *closed_arg;

	/* under the writer's mu */
	uint64_t close_seq;      /* close once seq_out reaches it */
	struct gather_sink *close_next;

	/* writer thread only until closed (then the reactor reads them) */
	int err;                 /* first error, 0 or GATHER_E_IO / _NOMEM */
	char errmsg[1024];
	struct gather_strbuf lines; /* the batch's JSON lines */
	bool touched;            /* has lines in the batch being written */
	size_t freed;            /* records of the batch freed here (no done()) */
	uint64_t jsonl_off;      /* end of the JSON lines file (a regular one) */
	bool unsynced;           /* records written since the last sync */
	bool said_err;           /* the sync callback was told of s->err */
	uint64_t synced_at;      /* CLOCK_MONOTONIC ms of the last sync */
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
		s->jsonl_off += (uint64_t)k;
	}
}

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Flush s's outputs to disk and say where they end (writer thread; see
 * gather_sink_on_sync).  Nothing is said once the sink has failed. */
static void sink_sync(struct gather_sink *s)
{
	struct gather_output_marks m = { 0 };
	char err[512];

	s->unsynced = false;
	s->synced_at = mono_ms();
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
			sink_sync(s);
			return;
		}
		m.jsonl = true;
		m.jsonl_off = s->jsonl_off;
	}
	if (s->mirror && gather_mirror_sync(s->mirror, err, sizeof err) < 0) {
		sink_fail(s, GATHER_E_IO, err);
		sink_sync(s);
		return;
	}
	if (s->warc) {
		if (gather_warc_sync(s->warc, &m.warc_file, &m.warc_off, err, sizeof err) < 0) {
			sink_fail(s, GATHER_E_IO, err);
			sink_sync(s);
			return;
		}
		m.warc = true;
	}
	s->sync(&m, s->sync_arg);
}

/* After a batch (writer thread): s has new records; sync it when due, else
 * keep it on the dirty list for the idle wait. */
static void sink_after_batch(struct gather_writer *w, struct gather_sink *s)
{
	if (!s->sync)
		return;
	if (!s->unsynced) {
		s->unsynced = true;
		if (w->ndirty < SINK_BATCH) {
			w->dirty[w->ndirty++] = s;
		} else {
			sink_sync(s);   /* no room on the list: now */
			return;
		}
	}
	if (mono_ms() - s->synced_at >= s->sync_ms)
		sink_sync(s);
}

/* Sync the dirty sinks that are due (all of them when all is true) and
 * drop synced ones from the list; the ms until the next is due, or
 * UINT64_MAX (writer thread). */
static uint64_t sync_dirty(struct gather_writer *w, bool all)
{
	uint64_t now = mono_ms(), next = UINT64_MAX;
	size_t k = 0;
	for (size_t i = 0; i < w->ndirty; i++) {
		struct gather_sink *s = w->dirty[i];
		if (s->unsynced && (all || now - s->synced_at >= s->sync_ms))
			sink_sync(s);
		if (s->unsynced) {
			uint64_t due = s->synced_at + s->sync_ms;
			uint64_t in = due > now ? due - now : 0;
			if (in < next)
				next = in;
			w->dirty[k++] = s;
		}
	}
	w->ndirty = k;
	return next;
}

/* A sink about to close leaves the dirty list, synced (writer thread). */
static void sink_undirty(struct gather_writer *w, struct gather_sink *s)
{
	if (s->unsynced)
		sink_sync(s);
	size_t k = 0;
	for (size_t i = 0; i < w->ndirty; i++)
		if (w->dirty[i] != s)
			w->dirty[k++] = w->dirty[i];
	w->ndirty = k;
}

/* Write one record to the WARC and directories and queue its line
 * (writer thread). */
static void write_record(struct gather_sink *s, struct gather_result *r)
{
	char err[512];

	if (s->warc && gather_warc_write(s->warc, r, err, sizeof err) < 0)
		sink_fail(s, GATHER_E_IO, err);
	/* A body that could not be saved is said in its record too (not
	 * "status 200, error null"): error "io", the message naming the file. */
	if (s->mirror && gather_mirror_save(s->mirror, r, err, sizeof err) < 0) {
		sink_fail(s, GATHER_E_IO, err);
		if (r->err == 0)
			gather_result_fail(r, GATHER_E_IO, err);
	}
	if (s->outdir && gather_mirror_save(s->outdir, r, err, sizeof err) < 0) {
		sink_fail(s, GATHER_E_IO, err);
		if (r->err == 0)
			gather_result_fail(r, GATHER_E_IO, err);
	}
	add_line(s, r);
}

/* Close the files of s and free what open made; the first error goes to
 * err (writer thread for a shared writer, else the closing thread). */
static int sink_close_files(struct gather_sink *s, char *err, size_t errlen)
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

/* Wait (mu held) up to SINK_LINGER_MS for a full batch, unless shutting
 * down or a put was refused (writer thread; called when the first record
 * after a lull woke it, rather than waking, and preempting the reactor,
 * once per record).  A timed wait on cv, not a sleep: a full batch, a
 * refused put, a close request or shutdown end it early. */
static void linger(struct gather_writer *w)
{
	struct timespec until;

	if (w->count >= SINK_BATCH || w->shutdown || w->hurry || w->closeq)
		return;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_nsec += SINK_LINGER_MS * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	while (w->count < SINK_BATCH && !w->shutdown && !w->hurry && !w->closeq)
		if (pthread_cond_timedwait(&w->cv, &w->mu, &until) == ETIMEDOUT)
			break;
}

/* Append to the hand-back list (mu held).  Grows it; on OOM the writer
 * retries after a short sleep rather than lose a record's done(). */
static void back_push_locked(struct gather_writer *w, struct gather_sink *s,
                             struct gather_result *r, size_t n)
{
	while (w->nback == w->capback) {
		size_t cap = w->capback ? 2 * w->capback : 256;
		struct wentry *v = realloc(w->back, cap * sizeof *v);
		if (v) {
			w->back = v;
			w->capback = cap;
			break;
		}
		pthread_mutex_unlock(&w->mu);
		struct timespec ts = { 0, 1000000 };
		nanosleep(&ts, NULL);
		pthread_mutex_lock(&w->mu);
	}
	w->back[w->nback].s = s;
	w->back[w->nback].r = r;
	w->back[w->nback].n = n;
	w->nback++;
}

/* Wake the reactor once for everything handed back since it last ran
 * (mu held; lock order: mu, then the base's lock). */
static void wake_locked(struct gather_writer *w)
{
	if (w->base && !w->woken && (w->nback || w->refused)) {
		w->woken = true;
		event_active(w->notify, 0, 0);
	}
}

/* The writer thread: wait for records and close requests, write records in
 * batches, close sinks when their records are written, hand both back to
 * the reactor; end on shutdown once the queue is empty. */
static void *writer_main(void *arg)
{
	struct gather_writer *w = arg;
	struct wentry batch[SINK_BATCH];
	struct gather_sink *touched[SINK_BATCH];

	pthread_mutex_lock(&w->mu);
	for (;;) {
		bool slept = false;
		while (w->count == 0 && !w->closeq && !w->shutdown) {
			if (w->ndirty) {
				/* idle with records not on disk: sync them when due,
				 * not at the next record (which may never come) */
				pthread_mutex_unlock(&w->mu);
				uint64_t in = sync_dirty(w, false);
				pthread_mutex_lock(&w->mu);
				if (in != UINT64_MAX && w->count == 0 && !w->closeq && !w->shutdown) {
					struct timespec until;
					clock_gettime(CLOCK_MONOTONIC, &until);
					until.tv_sec += (time_t)(in / 1000);
					until.tv_nsec += (long)(in % 1000) * 1000000L;
					if (until.tv_nsec >= 1000000000L) {
						until.tv_sec++;
						until.tv_nsec -= 1000000000L;
					}
					pthread_cond_timedwait(&w->cv, &w->mu, &until);
				}
				slept = true;
				continue;
			}
			pthread_cond_wait(&w->cv, &w->mu);
			slept = true;
		}
		if (slept && w->count)
			linger(w); /* woken after a lull: let a batch gather */
		if (w->count == 0 && !w->closeq)
			break; /* shutdown, everything written */
		size_t n = 0, nt = 0;
		w->hurry = false;
		while (w->count > 0 && n < SINK_BATCH) {
			batch[n] = w->q[w->head];
			w->q[w->head].r = NULL;
			w->head = (w->head + 1) % SINK_QUEUE_MAX;
			w->count--;
			w->q_bytes -= record_bytes(batch[n].r);
			n++;
		}
		if (n)
			pthread_cond_broadcast(&w->cv_room);
		pthread_mutex_unlock(&w->mu);

		for (size_t i = 0; i < n; i++) {
			struct gather_sink *s = batch[i].s;
			write_record(s, batch[i].r);
			if (!s->touched) {
				s->touched = true;
				touched[nt++] = s;
			}
		}
		for (size_t i = 0; i < nt; i++) {
			flush_lines(touched[i]);
			touched[i]->touched = false;
		}
		/* The written callbacks first (a sync covers the records whose
		 * written callback ran), then the syncs that are due. */
		bool any_sync = false;
		for (size_t i = 0; i < n; i++) {
			struct gather_sink *s = batch[i].s;
			if (s->written)
				s->written(batch[i].r, s->written_arg);
			any_sync |= s->sync != NULL;
			if (w->base && s->done) {
				/* the record goes back to the reactor, slim */
				gather_result_drop_bodies(batch[i].r);
			} else {
				/* freed here, off the reactor; a count goes back */
				gather_result_free(batch[i].r);
				batch[i].r = NULL;
				s->freed++;
			}
		}

		for (size_t i = 0; any_sync && i < nt; i++)
			sink_after_batch(w, touched[i]);

		pthread_mutex_lock(&w->mu);
		w->seq_out += n;
		for (size_t i = 0; i < n; i++) {
			struct gather_sink *s = batch[i].s;
			if (batch[i].r)
				back_push_locked(w, s, batch[i].r, 0);
			else if (w->base && s->freed) {
				back_push_locked(w, s, NULL, s->freed);
				s->freed = 0;
			}
		}
		/* Close the sinks whose records are all written now. */
		while (w->closeq && w->closeq->close_seq <= w->seq_out) {
			struct gather_sink *s = w->closeq;
			w->closeq = s->close_next;
			if (!w->closeq)
				w->closeq_tail = NULL;
			pthread_mutex_unlock(&w->mu);
			char m[1024] = "";
			if (s->sync)
				sink_undirty(w, s);
			s->err = sink_close_files(s, m, sizeof m);
			snprintf(s->errmsg, sizeof s->errmsg, "%s", m);
			pthread_mutex_lock(&w->mu);
			back_push_locked(w, s, NULL, 0);
		}
		wake_locked(w);
	}
	pthread_mutex_unlock(&w->mu);
	sync_dirty(w, true);   /* a sink's own writer: its close joins us */
	return NULL;
}

/* Keep the reactor's loop alive exactly while something is out (reactor
 * thread). */
static void keepalive(struct gather_writer *w)
{
	if (w->out > 0 && !w->kept_alive) {
		struct timeval tv = { SINK_KEEPALIVE_S, 0 };
		w->kept_alive = event_add(w->keepalive, &tv) == 0;
	} else if (w->out == 0 && w->kept_alive) {
		event_del(w->keepalive);
		w->kept_alive = false;
	}
}

static void on_keepalive(evutil_socket_t fd, short what, void *arg)
{
	struct gather_writer *w = arg;
	(void)fd;
	(void)what;
	w->kept_alive = false;
	keepalive(w);
}

/* Reactor thread: the writer handed records and closed sinks back. */
static void on_notify(evutil_socket_t fd, short what, void *arg)
{
	struct gather_writer *w = arg;
	(void)fd;
	(void)what;

	pthread_mutex_lock(&w->mu);
	struct wentry *v = w->back;
	size_t n = w->nback, cap = w->capback;
	bool room = w->refused;
	w->back = w->spare;
	w->capback = w->spare_cap;
	w->nback = 0;
	w->refused = false;
	w->woken = false;
	pthread_mutex_unlock(&w->mu);

	for (size_t i = 0; i < n; i++) {
		struct gather_sink *s = v[i].s;
		if (v[i].r) {
			w->out--;
			s->pending--;
			if (s->done)
				s->done(v[i].r, s->done_arg);
			else
				gather_result_free(v[i].r);
			continue;
		}
		if (v[i].n) {   /* written and freed on the writer thread */
			w->out -= v[i].n;
			s->pending -= v[i].n;
			if (s->done_n)
				s->done_n(v[i].n, s->done_n_arg);
			continue;
		}
		w->out--;
		/* s is closed: its last call */
		if (s->closed)
			s->closed(s->err, s->err ? s->errmsg : NULL, s->closed_arg);
		free(s);
	}
	w->spare = v;
	w->spare_cap = cap;
	keepalive(w);
	if (room && w->room_fn)
		w->room_fn(w->room_arg);
}

static void writer_destroy(struct gather_writer *w)
{
	for (size_t i = 0; i < w->count; i++)
		gather_result_free(w->q[(w->head + i) % SINK_QUEUE_MAX].r);
	for (size_t i = 0; i < w->nback; i++)
		gather_result_free(w->back[i].r);
	free(w->back);
	free(w->spare);
	if (w->notify)
		event_free(w->notify);
	if (w->keepalive)
		event_free(w->keepalive);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	pthread_cond_destroy(&w->cv_room);
	free(w);
}

static struct gather_writer *writer_new(struct event_base *base, char *err, size_t errlen)
{
	struct gather_writer *w = calloc(1, sizeof *w);
	sigset_t all, old;

	if (!w) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	w->base = base;
	pthread_mutex_init(&w->mu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w->cv, &ca);
	pthread_cond_init(&w->cv_room, &ca);
	pthread_condattr_destroy(&ca);
	if (base) {
		w->notify = event_new(base, -1, 0, on_notify, w);
		w->keepalive = evtimer_new(base, on_keepalive, w);
		if (!w->notify || !w->keepalive) {
			snprintf(err, errlen, "out of memory");
			writer_destroy(w);
			return NULL;
		}
	}
	/* the writer inherits a mask with every signal blocked (file comment) */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	int rc = pthread_create(&w->thread, NULL, writer_main, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		snprintf(err, errlen, "writer thread: %s", strerror(rc));
		writer_destroy(w);
		return NULL;
	}
	w->started = true;
	(void)pthread_setname_np(w->thread, "gather-sink"); /* for top -H; best effort */
	return w;
}

struct gather_writer *gather_writer_new(struct event_base *base, char *err, size_t errlen)
{
	if (!base) {
		snprintf(err, errlen, "a shared writer needs an event base");
		return NULL;
	}
	return writer_new(base, err, errlen);
}

void gather_writer_on_room(struct gather_writer *w, void (*fn)(void *), void *arg)
{
	w->room_fn = fn;
	w->room_arg = arg;
}

bool gather_writer_full(const struct gather_writer *cw)
{
	/* the mutex and the refused flag are the mutable part of a const writer */
	struct gather_writer *w = (struct gather_writer *)cw;
	pthread_mutex_lock(&w->mu);
	bool full = w->count == SINK_QUEUE_MAX || w->q_bytes >= SINK_QUEUE_BYTES;
	if (full)
		w->refused = true; /* the caller waits for room: say when */
	pthread_mutex_unlock(&w->mu);
	return full;
}

/* Stop the thread once everything queued is written, join it. */
static void writer_join(struct gather_writer *w)
{
	pthread_mutex_lock(&w->mu);
	w->shutdown = true;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	if (w->started)
		pthread_join(w->thread, NULL);
	w->started = false;
}

void gather_writer_free(struct gather_writer *w)
{
	if (!w)
		return;
	writer_join(w);
	/* hand-backs nobody will run any more (every sink should be closed) */
	for (size_t i = 0; i < w->nback; i++)
		if (!w->back[i].r && !w->back[i].n)
			free(w->back[i].s);
	writer_destroy(w);
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
	sink_close_files(s, NULL, 0);
	sink_free(s);
	return NULL;
}

struct gather_sink *gather_sink_open(const struct gather_opts *o, unsigned cmd,
                                     char *err, size_t errlen)
{
	struct gather_writer *w = writer_new(NULL, err, errlen);
	if (!w)
		return NULL;
	struct gather_sink *s = gather_sink_open_on(w, o, cmd, err, errlen);
	if (!s) {
		writer_join(w);
		writer_destroy(w);
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
	s->synced_at = mono_ms();
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
	uint64_t bytes = record_bytes(r);

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
		keepalive(w);
	}
	return 0;
}

void gather_sink_put_wait(struct gather_sink *s, struct gather_result *r)
{
	struct gather_writer *w = s->w;
	pthread_mutex_lock(&w->mu);
	while (w->count == SINK_QUEUE_MAX ||
	       (w->count > 0 && w->q_bytes + record_bytes(r) > SINK_QUEUE_BYTES)) {
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
	keepalive(w);
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
	writer_join(w);  /* everything queued is written first */
	int rc = sink_close_files(s, err, errlen);
	sink_free(s);
	writer_destroy(w);
	return rc;
}
