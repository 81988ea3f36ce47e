/* http1.c — HTTP/1.1 request heads and the llhttp glue for responses. */
#include "config.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <openssl/evp.h>

#include "gather/error.h"
#include "http/http1.h"
#include "util/hex.h"

/* ---- request ------------------------------------------------------------ */

static bool header_named(const char *line, const char *name)
{
	size_t n = strlen(name);
	return strncasecmp(line, name, n) == 0 && line[n] == ':';
}

static bool user_has(const struct http1_head_conf *o, const char *name)
{
	for (size_t i = 0; i < o->headers->n; i++)
		if (header_named(o->headers->v[i], name))
			return true;
	return false;
}

static int fixed_add(char **buf, size_t *len, size_t *cap, const char *a, const char *b)
{
	size_t la = strlen(a), lb = b ? strlen(b) : 0;
	if (*len + la + lb + 3 > *cap) {
		size_t ncap = (*cap + la + lb + 3) * 2;
		char *n = realloc(*buf, ncap);
		if (!n)
			return GATHER_E_NOMEM;
		*buf = n;
		*cap = ncap;
	}
	memcpy(*buf + *len, a, la);
	if (lb)
		memcpy(*buf + *len + la, b, lb);
	*len += la + lb;
	memcpy(*buf + *len, "\r\n", 3);
	*len += 2;
	return 0;
}

bool http1_is_token(const char *s)
{
	/* RFC 9110 §5.6.2: token = 1*tchar */
	static const char tchar[] = "!#$%&'*+-.^_`|~";
	if (!s || !*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      strchr(tchar, *s)))
			return false;
	return true;
}

int http1_fixed_init(struct http1_fixed *f, const struct http1_head_conf *o, char *err, size_t errlen)
{
	/* The method goes on the request line as is (RFC 9110 §9.1: a token);
	 * anything else could write a second request line. */
	if (o->method && !http1_is_token(o->method)) {
		char shown[61];
		size_t i;
		for (i = 0; o->method[i] && i < sizeof(shown) - 1; i++) /* not CR/LF on a terminal */
			shown[i] = (unsigned char)o->method[i] < 0x20 ? '?' : o->method[i];
		shown[i] = '\0';
		snprintf(err, errlen, "invalid method \"%s\": want a token such as GET or PROPFIND", shown);
		return GATHER_E_INVALID;
	}
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int rc = 0;

	memset(f, 0, sizeof(*f));
	for (size_t i = 0; i < o->headers->n; i++) {
		const char *h = o->headers->v[i];
		const char *colon = strchr(h, ':');
		if (strpbrk(h, "\r\n") || !colon || colon == h || strcspn(h, " \t") < (size_t)(colon - h)) {
			snprintf(err, errlen, "invalid header \"%.60s\": want \"Name: value\" without CR/LF", h);
			return GATHER_E_INVALID;
		}
	}
	if (!user_has(o, "User-Agent"))
		rc = fixed_add(&buf, &len, &cap, "User-Agent: ",
		               o->user_agent ? o->user_agent : gather_default_user_agent());
	if (!rc && !user_has(o, "Accept"))
		rc = fixed_add(&buf, &len, &cap, "Accept: */*", NULL);
	if (!rc && o->compressed && !user_has(o, "Accept-Encoding"))
		rc = fixed_add(&buf, &len, &cap, "Accept-Encoding: gzip, deflate, br, zstd", NULL);
	for (size_t i = 0; !rc && i < o->headers->n; i++)
		rc = fixed_add(&buf, &len, &cap, o->headers->v[i], NULL);
	if (!rc && o->user_agent && strpbrk(o->user_agent, "\r\n")) {
		snprintf(err, errlen, "User-Agent contains CR or LF");
		rc = GATHER_E_INVALID;
	}
	if (rc) {
		free(buf);
		return rc;
	}
	f->lines = buf ? buf : strdup("");
	f->len = len;
	f->user_host = user_has(o, "Host");
	f->user_auth = user_has(o, "Authorization");
	f->user_ctype = user_has(o, "Content-Type");
	return f->lines ? 0 : GATHER_E_NOMEM;
}

void http1_fixed_clear(struct http1_fixed *f)
{
	free(f->lines);
	memset(f, 0, sizeof(*f));
}

int http1_basic_auth(const char *cred, bool pct, char **ret)
{
	size_t n = strlen(cred), m = 0;
	char *plain = malloc(n + 2), *out = NULL;
	if (!plain)
		return GATHER_E_NOMEM;
	for (size_t i = 0; i < n; i++) {
		int hi, lo;
		if (pct && cred[i] == '%' && (hi = gather_hexval(cred[i + 1])) >= 0 &&
		    (lo = gather_hexval(cred[i + 2])) >= 0) {
			plain[m++] = (char)(hi << 4 | lo);
			i += 2;
		} else {
			plain[m++] = cred[i];
		}
	}
	/* "user" alone: an empty password, as curl sends for http://user@host/ */
	if (!memchr(plain, ':', m))
		plain[m++] = ':';
	/* RFC 7617 §2: "Basic " base64(user-id ":" password) */
	if ((out = malloc(6 + 4 * ((m + 2) / 3) + 1))) {
		memcpy(out, "Basic ", 6);
		EVP_EncodeBlock((unsigned char *)out + 6, (const unsigned char *)plain, (int)m);
	}
	OPENSSL_cleanse(plain, m);
	free(plain);
	if (!out)
		return GATHER_E_NOMEM;
	*ret = out;
	return 0;
}

int http1_request(struct evbuffer *out, const char *method, const struct gather_url *u,
                  const struct http1_fixed *fx, const char *auth, const char *body,
                  size_t body_len, struct gather_buf *raw)
{
	char host[300], cl[120], authl[16];
	/* Our credentials only where the user gave no Authorization header. */
	const char *av = auth && !fx->user_auth ? auth : NULL;
	const char *lb = u->ipv6 ? "[" : "", *rb = u->ipv6 ? "]" : "";
	bool dflt = u->port == (u->https ? 443 : 80);

	if (fx->user_host)
		host[0] = 0;
	else if (dflt)
		snprintf(host, sizeof(host), "Host: %s%s%s\r\n", lb, u->host, rb);
	else
		snprintf(host, sizeof(host), "Host: %s%s%s:%u\r\n", lb, u->host, rb, u->port);
	cl[0] = 0;
	/* -d sends a form, as curl does, unless the user said otherwise */
	if (body)
		snprintf(cl, sizeof(cl), "%sContent-Length: %zu\r\n",
		         fx->user_ctype ? "" : "Content-Type: application/x-www-form-urlencoded\r\n",
		         body_len);
	snprintf(authl, sizeof(authl), "%s", av ? "Authorization: " : "");

	size_t ml = strlen(method), tl = strlen(u->target), hl = strlen(host), cll = strlen(cl);
	size_t all = strlen(authl), avl = av ? strlen(av) + 2 : 0;
	size_t total = ml + 1 + tl + 11 + hl + all + avl + fx->len + cll + 2;
	struct evbuffer_iovec v;
	if (evbuffer_reserve_space(out, total, &v, 1) < 1)
		return GATHER_E_NOMEM;
	char *p = v.iov_base;
	memcpy(p, method, ml), p += ml;
	*p++ = ' ';
	memcpy(p, u->target, tl), p += tl;
	memcpy(p, " HTTP/1.1\r\n", 11), p += 11;
	memcpy(p, host, hl), p += hl;
	if (av) {
		memcpy(p, authl, all), p += all;
		memcpy(p, av, avl - 2), p += avl - 2;
		memcpy(p, "\r\n", 2), p += 2;
	}
	memcpy(p, fx->lines, fx->len), p += fx->len;
	memcpy(p, cl, cll), p += cll;
	memcpy(p, "\r\n", 2), p += 2;
	if (raw) {
		char *copy = malloc(total);
		if (!copy)
			return GATHER_E_NOMEM;
		memcpy(copy, v.iov_base, total);
		free(raw->data);
		raw->data = copy;
		raw->len = total;
	}
	v.iov_len = total;
	if (evbuffer_commit_space(out, &v, 1) < 0)
		return GATHER_E_NOMEM;
	if (body && body_len && evbuffer_add(out, body, body_len) < 0)
		return GATHER_E_NOMEM;
	return 0;
}

/* ---- response ----------------------------------------------------------- */

enum { H_NONE, H_CTYPE, H_LOCATION, H_RETRY_AFTER, H_CENC };

static struct http1_resp *R(llhttp_t *p)
{
	return p->data;
}

static int fail(struct http1_resp *r, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(struct http1_resp *r, int err, const char *fmt, ...)
{
	va_list ap;
	r->err = err;
	va_start(ap, fmt);
	vsnprintf(r->msg, sizeof(r->msg), fmt, ap);
	va_end(ap);
	return HPE_USER;
}

static int on_header_field(llhttp_t *p, const char *at, size_t len)
{
	struct http1_resp *r = R(p);
	for (size_t i = 0; i < len && r->namelen < sizeof(r->name) - 1; i++)
		r->name[r->namelen++] = (char)tolower((unsigned char)at[i]);
	r->name[r->namelen] = 0;
	return 0;
}

static char **want_slot(struct http1_resp *r)
{
	switch (r->want) {
	case H_CTYPE: return &r->content_type;
	case H_LOCATION: return &r->location;
	case H_RETRY_AFTER: return &r->retry_after;
	case H_CENC: return &r->content_encoding;
	}
	return NULL;
}

/* Called when a header name is complete: count it, decide whether to keep
 * its value. */
static int on_header_field_complete(llhttp_t *p)
{
	struct http1_resp *r = R(p);
	if (++r->nheaders > r->max_headers)
		return fail(r, GATHER_E_TOO_LARGE, "more than %u header fields", r->max_headers);
	r->want = H_NONE;
	if (!strcmp(r->name, "content-type"))
		r->want = H_CTYPE;
	else if (!strcmp(r->name, "location"))
		r->want = H_LOCATION;
	else if (!strcmp(r->name, "retry-after"))
		r->want = H_RETRY_AFTER;
	else if (!strcmp(r->name, "content-encoding"))
		r->want = H_CENC;
	char **slot = want_slot(r);
	if (slot && *slot) { /* repeated: keep the first (Location twice is odd anyway) */
		if (r->want == H_CENC) {
			/* RFC 9110 §5.3: repeated fields combine with commas */
			size_t n = strlen(*slot);
			char *s = realloc(*slot, n + 3);
			if (!s)
				return fail(r, GATHER_E_NOMEM, "out of memory");
			memcpy(s + n, ", ", 3);
			*slot = s;
		} else
			r->want = H_NONE;
	}
	r->namelen = 0;
	return 0;
}

static int on_header_value(llhttp_t *p, const char *at, size_t len)
{
	struct http1_resp *r = R(p);
	char **slot = want_slot(r);
	if (!slot)
		return 0;
	size_t n = *slot ? strlen(*slot) : 0;
	char *s = realloc(*slot, n + len + 1);
	if (!s)
		return fail(r, GATHER_E_NOMEM, "out of memory");
	memcpy(s + n, at, len);
	s[n + len] = 0;
	*slot = s;
	return 0;
}

static int on_header_value_complete(llhttp_t *p)
{
	R(p)->want = H_NONE;
	return 0;
}

static void drop_headers(struct http1_resp *r)
{
	free(r->content_type);
	free(r->location);
	free(r->retry_after);
	free(r->content_encoding);
	r->content_type = r->location = r->retry_after = r->content_encoding = NULL;
}

static int on_headers_complete(llhttp_t *p)
{
	struct http1_resp *r = R(p);
	r->status = p->status_code;
	if (p->http_major != 1)
		return fail(r, GATHER_E_BAD_RESPONSE, "not an HTTP/1.x response (HTTP/%u)", (unsigned)p->http_major);
	/* RFC 9112 §4: status-code = 3DIGIT, RFC 9110 §15: 100..599 defined
	 * (and up to 999 read as its class); llhttp takes "20" and "020" too */
	if (r->status < 100 || r->status > 999)
		return fail(r, GATHER_E_BAD_RESPONSE, "malformed status code %d", r->status);
	if (r->status == 101)
		return fail(r, GATHER_E_BAD_RESPONSE, "unexpected 101 Switching Protocols");
	if (r->status >= 100 && r->status < 200) {
		r->interim = true;
		return 1; /* interim responses have no body */
	}
	r->headers_done = true;
	/* RFC 9112 §6.3: no body after HEAD, 204 or 304 */
	return r->head_request || r->status == 204 || r->status == 304 ? 1 : 0;
}

static int on_body(llhttp_t *p, const char *at, size_t len)
{
	struct http1_resp *r = R(p);
	int rc = r->on_body ? r->on_body(at, len, r->arg) : 0;
	if (rc < 0) {
		r->err = rc;
		if (!r->msg[0])
			snprintf(r->msg, sizeof(r->msg), "%s", gather_err_text(rc));
		return HPE_USER;
	}
	return 0;
}

static int on_message_complete(llhttp_t *p)
{
	struct http1_resp *r = R(p);
	if (r->interim) {
		/* 1xx: forget it, the final response follows on the same stream */
		r->interim = false;
		r->nheaders = 0;
		drop_headers(r);
		return 0;
	}
	r->complete = true;
	r->keepalive = llhttp_should_keep_alive(p);
	return HPE_PAUSED; /* bytes after this are not ours */
}

static const llhttp_settings_t settings = {
	.on_header_field = on_header_field,
	.on_header_field_complete = on_header_field_complete,
	.on_header_value = on_header_value,
	.on_header_value_complete = on_header_value_complete,
	.on_headers_complete = on_headers_complete,
	.on_body = on_body,
	.on_message_complete = on_message_complete,
};

void http1_resp_init(struct http1_resp *r, uint64_t max_head, unsigned max_headers,
                     bool head_request, http1_body_fn fn, void *arg, struct gather_buf *raw_head)
{
	drop_headers(r);
	memset(r, 0, sizeof(*r));
	llhttp_init(&r->p, HTTP_RESPONSE, &settings);
	r->p.data = r;
	r->max_head = max_head;
	r->max_headers = max_headers;
	r->head_request = head_request;
	r->on_body = fn;
	r->arg = arg;
	r->raw_head = raw_head;
}

void http1_resp_clear(struct http1_resp *r)
{
	drop_headers(r);
}

/* Feeds len bytes from the start of in to llhttp; *used gets how many it
 * consumed.  Returns 0, 1 when paused at message end, or -1 on error. */
static int execute(struct http1_resp *r, struct evbuffer *in, size_t len, size_t *used)
{
	struct evbuffer_iovec vec[8];
	struct evbuffer_ptr ptr;
	size_t done = 0;

	evbuffer_ptr_set(in, &ptr, 0, EVBUFFER_PTR_SET);
	while (done < len) {
		int n = evbuffer_peek(in, (ev_ssize_t)(len - done), &ptr, vec, 8);
		if (n <= 0)
			break;
		if (n > 8)
			n = 8;
		for (int i = 0; i < n && done < len; i++) {
			size_t l = vec[i].iov_len;
			if (l > len - done)
				l = len - done;
			llhttp_errno_t e = llhttp_execute(&r->p, vec[i].iov_base, l);
			if (e == HPE_PAUSED) {
				done += (size_t)(llhttp_get_error_pos(&r->p) - (const char *)vec[i].iov_base);
				*used = done;
				return 1;
			}
			if (e != HPE_OK) {
				if (!r->err) { /* else a callback said which limit or rule */
					r->err = GATHER_E_BAD_RESPONSE;
					snprintf(r->msg, sizeof(r->msg), "malformed response: %s",
					         llhttp_get_error_reason(&r->p));
				}
				*used = done;
				return -1;
			}
			done += l;
		}
		evbuffer_ptr_set(in, &ptr, done, EVBUFFER_PTR_SET);
	}
	*used = done;
	return 0;
}

static int keep_raw_head(struct http1_resp *r, struct evbuffer *in, size_t len)
{
	char *s = malloc(len + 1);
	if (!s)
		return GATHER_E_NOMEM;
	evbuffer_copyout(in, s, len);
	s[len] = 0;
	free(r->raw_head->data);
	r->raw_head->data = s;
	r->raw_head->len = len;
	return 0;
}

enum http1_rc http1_feed_head(struct http1_resp *r, struct evbuffer *in)
{
	for (unsigned guard = 0; guard < 64; guard++) { /* 1xx responses, then the final one */
		size_t have = evbuffer_get_length(in);
		if (have == 0)
			return HTTP1_MORE;
		char start[5];
		size_t sl = have < 5 ? have : 5;
		evbuffer_copyout(in, start, sl);
		if (memcmp(start, "HTTP/", sl) != 0) {
			r->err = GATHER_E_BAD_RESPONSE;
			snprintf(r->msg, sizeof(r->msg), "malformed response: not an HTTP/1.x status line");
			return HTTP1_ERROR;
		}
		struct evbuffer_ptr from;
		evbuffer_ptr_set(in, &from, r->scanned > 3 ? r->scanned - 3 : 0, EVBUFFER_PTR_SET);
		struct evbuffer_ptr end = evbuffer_search(in, "\r\n\r\n", 4, &from);
		if (end.pos < 0) {
			r->scanned = have;
			if (have > r->max_head)
				goto too_large;
			return HTTP1_MORE;
		}
		size_t headlen = (size_t)end.pos + 4, used = 0;
		r->scanned = 0;
		if (headlen > r->max_head)
			goto too_large;
		if (r->raw_head && keep_raw_head(r, in, headlen) < 0)
			return r->err = GATHER_E_NOMEM, HTTP1_ERROR;
		int rc = execute(r, in, headlen, &used);
		evbuffer_drain(in, used);
		if (rc < 0)
			return HTTP1_ERROR;
		if (r->complete) {
			if (evbuffer_get_length(in) > 0) {
				r->leftover = true; /* e.g. a body after HEAD or 304 */
				r->keepalive = false;
			}
			return HTTP1_COMPLETE;
		}
		if (r->headers_done)
			return HTTP1_HEAD;
		/* an interim 1xx response went by: look for the next head */
	}
	r->err = GATHER_E_BAD_RESPONSE;
	snprintf(r->msg, sizeof(r->msg), "too many interim 1xx responses");
	return HTTP1_ERROR;
too_large:
	r->err = GATHER_E_TOO_LARGE;
	snprintf(r->msg, sizeof(r->msg), "response head over %" PRIu64 " bytes", r->max_head);
	return HTTP1_ERROR;
}

enum http1_rc http1_feed_body(struct http1_resp *r, struct evbuffer *in)
{
	size_t have = evbuffer_get_length(in), used = 0;
	int rc = execute(r, in, have, &used);
	evbuffer_drain(in, used);
	if (rc < 0)
		return HTTP1_ERROR;
	if (r->complete) {
		if (evbuffer_get_length(in) > 0) {
			r->leftover = true;  /* junk after a complete response */
			r->keepalive = false;
		}
		return HTTP1_COMPLETE;
	}
	return HTTP1_MORE;
}

enum http1_rc http1_eof(struct http1_resp *r)
{
	if (!r->headers_done) {
		r->err = GATHER_E_BAD_RESPONSE;
		snprintf(r->msg, sizeof(r->msg), "connection closed inside the response head");
		return HTTP1_ERROR;
	}
	if (r->complete)
		return HTTP1_COMPLETE;
	llhttp_errno_t e = llhttp_finish(&r->p);
	if ((e == HPE_OK || e == HPE_PAUSED) && r->complete) {
		r->keepalive = false;
		return HTTP1_COMPLETE;
	}
	if (r->err)
		return HTTP1_ERROR;
	r->err = GATHER_E_BAD_RESPONSE;
	if (r->p.flags & F_CHUNKED)
		snprintf(r->msg, sizeof(r->msg), "connection closed inside the chunked body");
	else
		snprintf(r->msg, sizeof(r->msg),
		         "connection closed %" PRIu64 " bytes before the end of the body (Content-Length mismatch)",
		         (uint64_t)r->p.content_length);
	return HTTP1_ERROR;
}
