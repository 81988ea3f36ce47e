/* api-internal.h — what the three files of the control API share: api.c
 * (the routes and their handlers), api-stream.c (the chunked answers fed
 * from the timers: records and events with follow=1) and api-listen.c
 * (sockets, connections, limits, start and stop).  The rest of the daemon
 * sees only daemon-internal.h's gatherd_api_*.  Not installed.  Reactor
 * thread only. */
#ifndef GATHER_DAEMON_API_INTERNAL_H
#define GATHER_DAEMON_API_INTERNAL_H

#include <jansson.h>

#include "daemon/daemon-internal.h"

struct evhttp_request;
struct evkeyvalq;

/* api.c */

/* Every answer's status goes through here: counted by class for
 * /metrics. */
void api_count_status(struct gatherd *d, int code);
/* o (taken, NULL: out of memory) as the body of a code answer. */
void api_reply_json(struct gatherd *d, struct evhttp_request *req, int code, json_t *o);
/* {"error": msg} as the body of a code answer. */
void api_reply_error(struct gatherd *d, struct evhttp_request *req, int code, const char *msg);
/* evhttp's callback for every request, arg the gatherd: routes it. */
void api_on_request(struct evhttp_request *req, void *arg);

/* api-stream.c */

/* GET /v1/jobs/ID/records of job j: the records file as it is, or with
 * follow=1 fed as it grows until the job is over. */
void api_records(struct gatherd *d, struct evhttp_request *req, struct djob *j, struct evkeyvalq *q);
/* GET /v1/events: those after since=ID, and with follow=1 each new one. */
void api_events(struct gatherd *d, struct evhttp_request *req, struct evkeyvalq *q);
/* At stop: every stream ended (the reply closed) and freed. */
void api_streams_end(struct gatherd *d);

#endif
