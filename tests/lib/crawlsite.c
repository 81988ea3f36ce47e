/* crawlsite.c — see crawlsite.h. */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "crawlsite.h"

struct page {
	char *target, *ctype, *body, *header;
	int status;
	unsigned delay_ms;
	unsigned hits;
	uint64_t first_ms;   /* monotonic time of the first hit */
};

struct pending {
	struct pending *next;
	struct crawlsite *s;
	struct evhttp_request *req;
	struct page *p;
	struct event *timer;
};

struct crawlsite {
	struct event_base *base;
	struct evhttp *http;
	uint16_t port;
	struct page *pages;
	size_t n, cap;
	unsigned total, open, max_open;
	uint64_t last_start_ms, min_gap_ms;
	struct pending *pending;   /* delayed answers */
};

static void pending_drop(struct pending *pd)
{
	for (struct pending **p = &pd->s->pending; *p; p = &(*p)->next)
		if (*p == pd) {
			*p = pd->next;
			break;
		}
	event_free(pd->timer);
	free(pd);
}

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* "{PORT}" → the port. */
static char *subst(const struct crawlsite *s, const char *in)
{
	char port[8];
	snprintf(port, sizeof port, "%u", s->port);
	size_t cap = strlen(in) * 2 + 16, n = 0;
	char *out = malloc(cap);
	for (const char *p = in; *p;) {
		if (strncmp(p, "{PORT}", 6) == 0) {
			memcpy(out + n, port, strlen(port));
			n += strlen(port);
			p += 6;
		} else {
			out[n++] = *p++;
		}
	}
	out[n] = '\0';
	return out;
}

static void reply(struct crawlsite *s, struct evhttp_request *req, struct page *p)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	struct evbuffer *b = evbuffer_new();
	if (p) {
		char *body = subst(s, p->body ? p->body : "");
		evbuffer_add(b, body, strlen(body));
		free(body);
		evhttp_add_header(h, "Content-Type", p->ctype ? p->ctype : "text/html");
		if (p->header) {
			char *hv = subst(s, p->header);
			char *colon = strchr(hv, ':');
			if (colon) {
				*colon = '\0';
				evhttp_add_header(h, hv, colon + 2);
			}
			free(hv);
		}
		evhttp_send_reply(req, p->status, "X", b);
	} else {
		evbuffer_add_printf(b, "not here\n");
		evhttp_send_reply(req, 404, "Not Found", b);
	}
	evbuffer_free(b);
	s->open--;
}

static void on_delay(evutil_socket_t fd, short what, void *arg)
{
	struct pending *pd = arg;
	(void)fd;
	(void)what;
	evhttp_connection_set_closecb(evhttp_request_get_connection(pd->req), NULL, NULL);
	reply(pd->s, pd->req, pd->p);
	pending_drop(pd);
}

/* The client went away before a delayed answer: forget it. */
static void on_close(struct evhttp_connection *conn, void *arg)
{
	struct pending *pd = arg;
	(void)conn;
	pd->s->open--;
	pending_drop(pd);
}

static void on_request(struct evhttp_request *req, void *arg)
{
	struct crawlsite *s = arg;
	const char *target = evhttp_request_get_uri(req);
	uint64_t now = mono_ms();
	if (s->total && now - s->last_start_ms < s->min_gap_ms)
		s->min_gap_ms = now - s->last_start_ms;
	s->last_start_ms = now;
	s->total++;
	if (++s->open > s->max_open)
		s->max_open = s->open;
	struct page *p = NULL;
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->pages[i].target, target) == 0)
			p = &s->pages[i];
	if (p && !p->hits++)
		p->first_ms = now;
	if (p && p->delay_ms) {
		struct pending *pd = calloc(1, sizeof *pd);
		pd->s = s;
		pd->req = req;
		pd->p = p;
		pd->timer = evtimer_new(s->base, on_delay, pd);
		pd->next = s->pending;
		s->pending = pd;
		evhttp_connection_set_closecb(evhttp_request_get_connection(req), on_close, pd);
		struct timeval tv = { p->delay_ms / 1000, (p->delay_ms % 1000) * 1000 };
		evtimer_add(pd->timer, &tv);
		return;
	}
	reply(s, req, p);
}

struct crawlsite *crawlsite_new(struct event_base *base)
{
	struct crawlsite *s = calloc(1, sizeof *s);
	s->base = base;
	s->min_gap_ms = UINT64_MAX;
	s->http = evhttp_new(base);
	struct evhttp_bound_socket *bs = evhttp_bind_socket_with_handle(s->http, "127.0.0.1", 0);
	if (!bs) {
		evhttp_free(s->http);
		free(s);
		return NULL;
	}
	struct sockaddr_in sin;
	socklen_t len = sizeof sin;
	getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&sin, &len);
	s->port = ntohs(sin.sin_port);
	evhttp_set_gencb(s->http, on_request, s);
	evhttp_set_allowed_methods(s->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD);
	return s;
}

void crawlsite_free(struct crawlsite *s)
{
	if (!s)
		return;
	while (s->pending) {
		evhttp_connection_set_closecb(evhttp_request_get_connection(s->pending->req),
		                              NULL, NULL);
		pending_drop(s->pending);
	}
	evhttp_free(s->http);
	for (size_t i = 0; i < s->n; i++) {
		free(s->pages[i].target);
		free(s->pages[i].ctype);
		free(s->pages[i].body);
		free(s->pages[i].header);
	}
	free(s->pages);
	free(s);
}

uint16_t crawlsite_port(const struct crawlsite *s) { return s->port; }

void crawlsite_add(struct crawlsite *s, const char *target, int status, const char *ctype,
                   const char *body, unsigned delay_ms, const char *header)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 16;
		s->pages = realloc(s->pages, s->cap * sizeof *s->pages);
	}
	struct page *p = &s->pages[s->n++];
	memset(p, 0, sizeof *p);
	p->target = strdup(target);
	p->status = status;
	p->ctype = ctype ? strdup(ctype) : NULL;
	p->body = body ? strdup(body) : NULL;
	p->header = header ? strdup(header) : NULL;
	p->delay_ms = delay_ms;
}

unsigned crawlsite_hits(const struct crawlsite *s, const char *target)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->pages[i].target, target) == 0)
			return s->pages[i].hits;
	return 0;
}

uint64_t crawlsite_first_ms(const struct crawlsite *s, const char *target)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->pages[i].target, target) == 0)
			return s->pages[i].first_ms;
	return 0;
}

unsigned crawlsite_total(const struct crawlsite *s) { return s->total; }
unsigned crawlsite_max_open(const struct crawlsite *s) { return s->max_open; }
uint64_t crawlsite_min_gap_ms(const struct crawlsite *s) { return s->min_gap_ms; }
