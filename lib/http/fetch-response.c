/* fetch-response.c — a response as it comes into the fetch's result: the
 * body through transfer and content decoding, bounded by max_body and kept
 * when asked; the head's fields; and what a status asks of the machine
 * (redirect, retry, Retry-After).  Apart from fetch.c because none of it
 * changes a state: the steps there call these and decide.
 *
 * Threads: the engine's reactor thread. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gather/error.h"
#include "http/fetch-internal.h"

static int buf_append(struct gather_buf *b, size_t *cap, const char *d, size_t len)
{
	if (b->len + len > *cap) {
		size_t ncap = *cap ? *cap : 16384;
		while (ncap < b->len + len)
			ncap *= 2;
		char *n = realloc(b->data, ncap);
		if (!n)
			return GATHER_E_NOMEM;
		b->data = n;
		*cap = ncap;
	}
	memcpy(b->data + b->len, d, len);
	b->len += len;
	return 0;
}

/* Content-decoded bytes: count, bound by max_body, keep when asked.  The
 * limit is exact: of a piece that crosses it only the bytes up to it are
 * counted and kept, so bytes never exceeds max_body (issue 16). */
static int on_decoded(const char *d, size_t len, void *arg)
{
	struct fetch *f = arg;
	uint64_t room = f->e->o->max_body - f->res->bytes;
	bool over = len > room;
	if (over)
		len = (size_t)room;
	f->res->bytes += len;
	if ((f->flags & GATHER_FETCH_KEEP_BODY) && buf_append(&f->res->body, &f->body_cap, d, len) < 0)
		return GATHER_E_NOMEM;
	if (over) {
		snprintf(f->resp.msg, sizeof(f->resp.msg), "body over %" PRIu64 " bytes", f->e->o->max_body);
		return GATHER_E_TOO_LARGE;
	}
	return 0;
}

/* Transfer-decoded bytes from llhttp: the wire size is bounded too, exactly
 * in the same way (the bytes up to the limit still go on to be decoded). */
int fetch_on_body(const char *d, size_t len, void *arg)
{
	struct fetch *f = arg;
	uint64_t room = f->e->o->max_body - f->wire_bytes;
	bool over = len > room;
	int rc;
	if (over)
		len = (size_t)room;
	f->wire_bytes += len;
	if ((f->flags & GATHER_FETCH_KEEP_RAW) && buf_append(&f->res->raw_body, &f->raw_cap, d, len) < 0)
		return GATHER_E_NOMEM;
	if (f->dec)
		rc = gather_decoder_push(f->dec, d, len, on_decoded, f, f->resp.msg, sizeof(f->resp.msg));
	else
		rc = on_decoded(d, len, f);
	if (rc == 0 && over) {
		snprintf(f->resp.msg, sizeof(f->resp.msg), "body over %" PRIu64 " bytes", f->e->o->max_body);
		rc = GATHER_E_TOO_LARGE;
	}
	return rc;
}

/* Forget the response so far (before a retry or a redirect). */
void fetch_reset_response(struct fetch *f)
{
	struct gather_result *r = f->res;
	r->bytes = 0;
	r->body.len = 0;
	r->raw_body.len = 0;
	free(r->content_type);
	r->content_type = NULL;
	r->retry_after_ms = 0;
	gather_decoder_free(f->dec);
	f->dec = NULL;
	f->wire_bytes = 0;
	f->has_retry_after = false;
	http1_resp_clear(&f->resp);
}

/* The final response head is in: record it, set up content decoding. */
int fetch_got_head(struct fetch *f)
{
	struct gather_result *r = f->res;
	r->status = f->resp.status;
	free(r->content_type);
	r->content_type = f->resp.content_type;
	f->resp.content_type = NULL;
	if (f->e->o->compressed && f->resp.content_encoding && !f->head_request) {
		int rc = gather_decoder_new(f->resp.content_encoding, &f->dec, f->resp.msg, sizeof(f->resp.msg));
		if (rc < 0)
			return rc;
	}
	uint64_t cl = f->resp.p.content_length;
	if ((f->flags & GATHER_FETCH_KEEP_BODY) && !f->dec && cl > 0 && cl <= f->e->o->max_body &&
	    cl <= (8u << 20) && f->body_cap < cl) {
		char *n = realloc(r->body.data, (size_t)cl);
		if (n)
			r->body.data = n, f->body_cap = (size_t)cl;
	}
	return 0;
}

bool fetch_redirect_status(int s)
{
	return s == 301 || s == 302 || s == 303 || s == 307 || s == 308;
}

bool fetch_retry_status(int s)
{
	return s == 429 || s == 502 || s == 503 || s == 504;
}

/* Retry-After (RFC 9110 §10.2.3): delay-seconds or an HTTP-date. */
bool fetch_parse_retry_after(const char *v, uint64_t *ms)
{
	char *end;
	if (!v)
		return false;
	while (*v == ' ')
		v++;
	if (*v >= '0' && *v <= '9') {
		unsigned long long s = strtoull(v, &end, 10);
		if (s > 86400ull * 365)
			s = 86400ull * 365;
		*ms = s * 1000;
		return true;
	}
	struct tm tm;
	memset(&tm, 0, sizeof(tm));
	if (!strptime(v, "%a, %d %b %Y %H:%M:%S GMT", &tm))
		return false;
	time_t when = timegm(&tm), now = time(NULL);
	*ms = when > now ? (uint64_t)(when - now) * 1000 : 0;
	return true;
}
