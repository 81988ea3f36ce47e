/* api-stream.c — the control API's long answers: GET /v1/jobs/ID/records
 * and GET /v1/events with follow=1 are chunked replies that stay open,
 * fed from the timers (records every 200 ms and each second, events as
 * each is logged) and each dropped when its client goes.  Apart from the
 * routes (api.c) because a follower outlives its request's handler: it
 * keeps its own list, its close handling and its flow control (a client
 * that reads slowly is not fed past FEED_HIGH), and the rest of the API
 * reaches it only through api_records, api_events and api_streams_end.
 * Reactor thread only. */
#include "config.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/http.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/api-internal.h"
#include "daemon/daemon-internal.h"

/* Most bytes of a records file sent per feed of one follower, and most
 * waiting in its connection's output before it is fed again. */
#define FEED_CHUNK (256u << 10)
#define FEED_HIGH  (1u << 20)

enum follow_kind { FOLLOW_RECORDS, FOLLOW_EVENTS };

struct follower {
	struct follower *next;
	struct gatherd *d;
	struct evhttp_request *req;
	struct evhttp_connection *evcon;
	enum follow_kind kind;
	uint64_t job_id;     /* records */
	int fd;              /* records: the file, or -1 until it exists */
	uint64_t off;        /* records: bytes sent */
	uint64_t since;      /* events: last id sent */
};

/* --- followers -------------------------------------------------------- */

static void follower_drop(struct follower *f)
{
	struct follower **pp = &f->d->followers;
	while (*pp && *pp != f)
		pp = &(*pp)->next;
	if (*pp)
		*pp = f->next;
	if (f->fd >= 0)
		close(f->fd);
	free(f);
}

/* The client went.  libevent frees a request with its connection only
 * once the reply was ended; a chunked reply still going (ours) is taken
 * off the connection instead and left to us (evhttp_connection_fail_ ->
 * evhttp_connection_incoming_fail): free it, or every follower a client
 * hangs up on leaks its request. */
static void follower_closed(struct evhttp_connection *c, void *arg)
{
	struct follower *f = arg;
	(void)c;
	if (!evhttp_request_get_connection(f->req))
		evhttp_request_free(f->req);
	follower_drop(f);
}

static void follower_end(struct follower *f)
{
	evhttp_connection_set_closecb(f->evcon, NULL, NULL);
	evhttp_send_reply_end(f->req);
	follower_drop(f);
}

static struct follower *follower_new(struct gatherd *d, struct evhttp_request *req, enum follow_kind k)
{
	struct follower *f = calloc(1, sizeof *f);
	if (!f)
		return NULL;
	f->d = d;
	f->req = req;
	f->kind = k;
	f->fd = -1;
	f->evcon = evhttp_request_get_connection(req);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "application/x-ndjson");
	api_count_status(d, 200);
	evhttp_send_reply_start(req, 200, "OK");
	evhttp_connection_set_closecb(f->evcon, follower_closed, f);
	f->next = d->followers;
	d->followers = f;
	return f;
}

static bool backed_up(struct follower *f)
{
	struct bufferevent *bev = evhttp_connection_get_bufferevent(f->evcon);
	return bev && evbuffer_get_length(bufferevent_get_output(bev)) > FEED_HIGH;
}

/* Send the complete lines of the records file written since the last
 * feed; end once the job is over and everything is sent. */
static void feed_records(struct follower *f)
{
	struct djob *j = NULL;
	char idstr[24];
	snprintf(idstr, sizeof idstr, "%llu", (unsigned long long)f->job_id);
	j = djob_find(f->d, idstr);
	if (backed_up(f))
		return;
	if (f->fd < 0 && j && j->records)
		f->fd = open(j->records, O_RDONLY | O_CLOEXEC);
	bool more = false;
	if (f->fd >= 0) {
		struct stat st;
		if (fstat(f->fd, &st) == 0 && (uint64_t)st.st_size < f->off)
			f->off = 0; /* rewritten from the start (a job run again) */
		char *buf = malloc(FEED_CHUNK);
		ssize_t n = buf ? pread(f->fd, buf, FEED_CHUNK, (off_t)f->off) : -1;
		if (n > 0) {
			size_t upto = (size_t)n;
			while (upto > 0 && buf[upto - 1] != '\n')
				upto--;
			if (upto > 0) {
				struct evbuffer *b = evbuffer_new();
				if (b) {
					evbuffer_add(b, buf, upto);
					evhttp_send_reply_chunk(f->req, b);
					evbuffer_free(b);
					f->off += upto;
				}
			}
			more = (size_t)n == FEED_CHUNK || upto < (size_t)n;
		}
		free(buf);
	}
	if (!j || (!djob_active(j) && !more))
		follower_end(f);
}

static void feed_events(struct follower *f)
{
	struct gatherd *d = f->d;
	if (backed_up(f))
		return;
	struct evbuffer *b = evbuffer_new();
	if (!b)
		return;
	for (uint64_t id = f->since + 1; id < d->next_event; id++) {
		struct devent *e = &d->events[id % d->conf.max_events];
		if (e->id == id && e->line) {
			evbuffer_add(b, e->line, strlen(e->line));
			evbuffer_add(b, "\n", 1);
		}
		f->since = id;
	}
	if (evbuffer_get_length(b))
		evhttp_send_reply_chunk(f->req, b);
	evbuffer_free(b);
}

/* Each follower of kind k fed; a feed may end (free) its follower, so
 * the next one is taken first. */
static void feed_all(struct gatherd *d, enum follow_kind k)
{
	struct follower *f = d->followers, *next;
	for (; f; f = next) {
		next = f->next;
		if (f->kind == k && k == FOLLOW_RECORDS)
			feed_records(f);
		else if (f->kind == k)
			feed_events(f);
	}
}

void gatherd_api_tick(struct gatherd *d)
{
	feed_all(d, FOLLOW_RECORDS);
}

void gatherd_api_event(struct gatherd *d)
{
	feed_all(d, FOLLOW_EVENTS);
}

/* --- the routes that start them ---------------------------------------- */

/* follow=1 or follow=true in the query. */
static bool follow_asked(struct evkeyvalq *q)
{
	const char *fl = evhttp_find_header(q, "follow");
	return fl && (strcmp(fl, "1") == 0 || strcmp(fl, "true") == 0);
}

void api_records(struct gatherd *d, struct evhttp_request *req, struct djob *j, struct evkeyvalq *q)
{
	if (follow_asked(q)) {
		struct follower *f = follower_new(d, req, FOLLOW_RECORDS);
		if (!f) {
			api_reply_error(d, req, 500, "out of memory");
			return;
		}
		f->job_id = j->id;
		feed_records(f);
		return;
	}
	struct evbuffer *b = evbuffer_new();
	int fd = j->records ? open(j->records, O_RDONLY | O_CLOEXEC) : -1;
	struct stat st;
	if (!b) {
		if (fd >= 0)
			close(fd);
		api_reply_error(d, req, 500, "out of memory");
		return;
	}
	/* a job not started yet has no records: an empty answer */
	if (fd >= 0 && fstat(fd, &st) == 0 && st.st_size > 0) {
		if (evbuffer_add_file(b, fd, 0, st.st_size) < 0)
			close(fd);
	} else if (fd >= 0) {
		close(fd);
	}
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "application/x-ndjson");
	api_count_status(d, 200);
	evhttp_send_reply(req, 200, "OK", b);
	evbuffer_free(b);
}

void api_events(struct gatherd *d, struct evhttp_request *req, struct evkeyvalq *q)
{
	const char *s = evhttp_find_header(q, "since");
	uint64_t since = 0;
	if (s && gather_parse_u64(s, UINT64_MAX - 1, &since) < 0) {
		api_reply_error(d, req, 400, "since: an event id");
		return;
	}
	uint64_t last = d->next_event - 1;
	uint64_t oldest = last >= d->conf.max_events ? last - d->conf.max_events + 1 : 1;
	if (since + 1 < oldest) {
		api_reply_json(d, req, 410, json_pack("{s:s, s:I}", "error", "events after that id are gone",
		                                      "oldest", (json_int_t)oldest));
		return;
	}
	struct follower *f = follower_new(d, req, FOLLOW_EVENTS);
	if (!f) {
		api_reply_error(d, req, 500, "out of memory");
		return;
	}
	f->since = since;
	feed_events(f);
	if (!follow_asked(q))
		follower_end(f);
}

void api_streams_end(struct gatherd *d)
{
	while (d->followers)
		follower_end(d->followers);
}
