/* http1.h — HTTP/1.1 on the wire (RFC 9112): request heads out, response
 * heads and bodies in through llhttp in strict mode (no lenient flags).
 *
 * Threads: an http1_resp belongs to one connection on the reactor thread. */
#ifndef GATHER_HTTP1_H
#define GATHER_HTTP1_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <llhttp.h>

#include "gather/options.h"
#include "gather/result.h"
#include "url/url.h"

struct evbuffer;

/* The fixed part of every request head (User-Agent, Accept, Accept-Encoding,
 * the user's extra headers), built once per engine. */
struct http1_fixed {
	char *lines;       /* "Name: value\r\n"..., malloc */
	size_t len;
	bool user_host;    /* the user gave a Host header: don't send ours */
	bool user_auth;    /* ... an Authorization header: no Basic credentials */
	bool user_ctype;   /* ... a Content-Type: none of ours with a body */
};

/* Whether s is an RFC 9110 token (a method, a header name). */
bool http1_is_token(const char *s);

/* What the fixed head lines are made of (the engine fills it from its
 * options: -X, -H, -A, --compressed). */
struct http1_head_conf {
	const char *method;                /* checked here; NULL: the default */
	const struct gather_strv *headers; /* "Name: value" lines */
	const char *user_agent;            /* NULL: gather's own */
	bool compressed;                   /* send Accept-Encoding */
};

/* Builds f from c.  A user header replaces a default of the same name.
 * Returns 0, GATHER_E_INVALID (a method that is not a token, a header with
 * CR/LF or without a colon; message in err) or GATHER_E_NOMEM. */
int http1_fixed_init(struct http1_fixed *f, const struct http1_head_conf *c,
                     char *err, size_t errlen);
void http1_fixed_clear(struct http1_fixed *f);

/* "Basic ..." (RFC 7617) for cred "user[:password]", percent-decoded first
 * when pct (a URL's userinfo; -u is taken as written).  0 with *ret
 * (malloc) or GATHER_E_NOMEM. */
int http1_basic_auth(const char *cred, bool pct, char **ret);

/* Appends the request (head and body) for u to out.  auth, when not NULL,
 * is the Authorization value (unless the user gave that header).  A body
 * goes with Content-Length and, unless the user gave one, Content-Type:
 * application/x-www-form-urlencoded (what curl -d sends).  When raw is not
 * NULL the head is also copied into it (malloc; replaced).  Returns 0 or
 * GATHER_E_NOMEM. */
int http1_request(struct evbuffer *out, const char *method, const struct gather_url *u,
                  const struct http1_fixed *fx, const char *auth, const char *body,
                  size_t body_len, struct gather_buf *raw);

/* Receives transfer-decoded body bytes; return 0 or a negative gather_err
 * to stop. */
typedef int (*http1_body_fn)(const char *data, size_t len, void *arg);

/* Tri-state result of feeding bytes to the parser. */
enum http1_rc {
	HTTP1_MORE = 0,     /* need more bytes */
	HTTP1_HEAD,         /* final response head parsed, body follows */
	HTTP1_COMPLETE,     /* whole response parsed */
	HTTP1_ERROR,        /* err and msg say what broke (limit or rule) */
};

struct http1_resp {
	llhttp_t p;
	/* limits */
	uint64_t max_head;
	unsigned max_headers;
	bool head_request;      /* response to HEAD: no body (RFC 9110 §9.3.2) */
	/* body sink */
	http1_body_fn on_body;
	void *arg;
	struct gather_buf *raw_head;  /* when not NULL: the final head is copied here */

	/* parse state */
	size_t scanned;         /* head bytes already searched for CRLFCRLF */
	unsigned nheaders;
	bool headers_done, complete, interim;
	char name[32];          /* header name being read, lower case, truncated */
	size_t namelen;
	int want;               /* which header value is being kept, H_* */
	char *content_type, *location, *retry_after, *content_encoding; /* malloc */

	/* outcome */
	int status;
	bool keepalive;         /* connection may be reused after this response */
	bool leftover;          /* bytes followed the response (anomaly) */
	int err;
	char msg[160];
};

/* Prepare r for a new response on a (possibly reused) connection. */
void http1_resp_init(struct http1_resp *r, uint64_t max_head, unsigned max_headers,
                     bool head_request, http1_body_fn on_body, void *arg,
                     struct gather_buf *raw_head);
/* Frees the kept header values. */
void http1_resp_clear(struct http1_resp *r);

/* While the head is incomplete: looks for its end in in, parses it (skipping
 * 1xx interim responses, RFC 9110 §15.2) and drains it.  Returns MORE, HEAD,
 * COMPLETE (bodiless response) or ERROR. */
enum http1_rc http1_feed_head(struct http1_resp *r, struct evbuffer *in);
/* After HEAD: parses and drains body bytes.  Returns MORE, COMPLETE or ERROR. */
enum http1_rc http1_feed_body(struct http1_resp *r, struct evbuffer *in);
/* The peer closed: COMPLETE for a close-delimited body, else ERROR
 * (truncated).  got_any says whether any response byte arrived. */
enum http1_rc http1_eof(struct http1_resp *r);

#endif
