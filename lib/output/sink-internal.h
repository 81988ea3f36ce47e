/* sink-internal.h — what sink.c (the sinks: their files, put, close) and
 * writer.c (the writer thread: batches, syncs, hand-back to the reactor)
 * share: the two structures and the calls between them.  Internal to
 * lib/output. */
#ifndef GATHER_SINK_INTERNAL_H
#define GATHER_SINK_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <event2/event.h>

#include "gather/result.h"
#include "output/sink.h"
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
static inline uint64_t sink_record_bytes(const struct gather_result *r)
{
	return r->body.len + r->raw_body.len + r->req_head.len + r->resp_head.len;
}


/* CLOCK_MONOTONIC in ms (the sync intervals). */
static inline uint64_t sink_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* sink.c: a record to its WARC and directories, its line into the batch
 * buffer; the batch's lines to the file; the outputs to disk and the sync
 * callback; the files closed (writer thread). */
void gather_sink_write_record(struct gather_sink *s, struct gather_result *r);
void gather_sink_flush_lines(struct gather_sink *s);
void gather_sink_sync_now(struct gather_sink *s);
int gather_sink_close_files(struct gather_sink *s, char *err, size_t errlen);

/* writer.c: a writer (base NULL: a sink's own, no reactor), its thread
 * joined, its memory freed. */
struct gather_writer *gather_writer_create(struct event_base *base, char *err, size_t errlen);
void gather_writer_join(struct gather_writer *w);
void gather_writer_destroy(struct gather_writer *w);
/* Keep the reactor's loop alive exactly while records or closes are out
 * (reactor thread). */
void gather_writer_keepalive(struct gather_writer *w);

#endif
