/* warc-fetch.c — a fetch's result as its two WARC records: the request
 * record (the head as sent, its credentials cut, and the --data body when
 * the head announces one; WARC-Concurrent-To the response's record ID) and
 * the response record (the head as stored + raw_body, transfer-decoded, NOT
 * content-decoded: a gzip'ed page is stored gzip'ed, as sent).  warc.c
 * writes the pair (warc_write_pair): split from it (issue 11) where only
 * finished records cross, so this file never touches the descriptor.
 *
 * Chunked responses.  The engine hands us the body already de-chunked, so a
 * stored head that still said "Transfer-Encoding: chunked" would lie about
 * the bytes after it: readers that de-chunk (warcio, pywb) would then fail on
 * the body, and the payload digest would be ambiguous (digest of the chunked
 * or of the de-chunked bytes?  tools disagree).  So, like browser-based
 * capture tools that only ever see de-chunked bodies, we rewrite the stored
 * head: every Transfer-Encoding and Content-Length field is dropped and one
 * "Content-Length: <len of raw_body>" is added.  Heads without chunked
 * framing are stored byte for byte.
 *
 * Threads: the thread using the struct gather_warc (warc.h). */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/uio.h>

#include "gather/error.h"
#include "gather/result.h"
#include "output/warc-internal.h"
#include "output/warc.h"
#include "url/url.h"
#include "util/strbuf.h"

/* Does the header line l (no CR/LF) name field f ("Name:")? */
static bool field_is(const char *l, size_t n, const char *f)
{
	size_t fl = strlen(f);
	return n >= fl && strncasecmp(l, f, fl) == 0;
}

/* Whether a head's Transfer-Encoding says chunked. */
static bool head_is_chunked(const char *h, size_t len)
{
	for (size_t i = 0; i < len;) {
		const char *nl = memchr(h + i, '\n', len - i);
		size_t n = nl ? (size_t)(nl - (h + i)) : len - i;
		if (field_is(h + i, n, "transfer-encoding:")) {
			for (size_t k = 18; k + 7 <= n; k++)
				if (strncasecmp(h + i + k, "chunked", 7) == 0)
					return true;
		}
		i += n + 1;
	}
	return false;
}

/* The head to store for r into out (see the file comment): as received, or
 * rewritten without chunked framing; always ending in an empty line. */
static void stored_head(const struct gather_result *r, struct gather_strbuf *out)
{
	const char *h = r->resp_head.data;
	size_t len = r->resp_head.len;

	if (!head_is_chunked(h, len)) {
		gather_strbuf_add(out, h, len);
		/* a head cut short still ends in CRLF CRLF, so readers find the body */
		if (!(len >= 2 && h[len - 1] == '\n' && (h[len - 2] == '\n' ||
		      (len >= 4 && memcmp(h + len - 4, "\r\n\r\n", 4) == 0))))
			gather_strbuf_adds(out, len && h[len - 1] == '\n' ? "\r\n" : "\r\n\r\n");
		return;
	}
	bool dropping = false;
	for (size_t i = 0; i < len;) {
		const char *l = h + i;
		const char *nl = memchr(l, '\n', len - i);
		size_t n = nl ? (size_t)(nl - l) : len - i;
		size_t t = n;
		i += n + 1;
		if (t && l[t - 1] == '\r')
			t--;
		if (t == 0)
			break; /* end of head */
		if (l[0] == ' ' || l[0] == '\t') { /* obs-fold continuation */
			if (dropping)
				continue;
		} else
			dropping = field_is(l, t, "transfer-encoding:") ||
			           field_is(l, t, "content-length:");
		if (dropping)
			continue;
		gather_strbuf_add(out, l, t);
		gather_strbuf_adds(out, "\r\n");
	}
	gather_strbuf_printf(out, "Content-Length: %zu\r\n\r\n", r->raw_body.len);
}

/* The request head as sent, but with the credentials of Authorization and
 * Proxy-Authorization cut to their scheme ("Authorization: Basic
 * (redacted)"), as records and logs never show them: an archive is passed
 * around.  true when out holds such a copy (false: nothing to hide). */
static bool redact_head(const char *h, size_t len, struct gather_strbuf *out)
{
	bool any = false;
	for (size_t i = 0; i < len;) {
		const char *nl = memchr(h + i, '\n', len - i);
		size_t n = nl ? (size_t)(nl - (h + i)) + 1 : len - i;
		size_t k = field_is(h + i, n, "authorization:") ? 14
		           : field_is(h + i, n, "proxy-authorization:") ? 20 : 0;
		if (!k) {
			gather_strbuf_add(out, h + i, n);
			i += n;
			continue;
		}
		const char *l = h + i;
		size_t j = k, s;
		while (j < n && (l[j] == ' ' || l[j] == '\t'))
			j++;
		for (s = j; j < n && l[j] != ' ' && l[j] != '\t' && l[j] != '\r' && l[j] != '\n'; j++)
			;
		gather_strbuf_add(out, l, k);
		gather_strbuf_adds(out, " ");
		if (j < n && (l[j] == ' ' || l[j] == '\t')) {   /* a scheme, then the secret */
			gather_strbuf_add(out, l + s, j - s);
			gather_strbuf_adds(out, " ");
		}
		gather_strbuf_adds(out, "(redacted)\r\n");
		any = true;
		i += n;
	}
	return any;
}

/* The request body when the request head announces one of its length. */
static size_t request_body_len(const struct gather_warc *w, const struct gather_result *r)
{
	const char *h = r->req_head.data;
	size_t len = r->req_head.len;
	if (!w->req_body)
		return 0;
	for (size_t i = 0; i < len;) {
		const char *nl = memchr(h + i, '\n', len - i);
		size_t n = nl ? (size_t)(nl - (h + i)) : len - i;
		if (field_is(h + i, n, "content-length:")) {
			unsigned long long v = strtoull(h + i + 15, NULL, 10);
			return v == strlen(w->req_body) ? (size_t)v : 0;
		}
		i += n + 1;
	}
	return 0;
}

/* WARC-Truncated for a response that ended in an error (§5.13). */
static const char *truncated_reason(int err)
{
	switch (err) {
	case GATHER_E_TOO_LARGE:
		return "length";
	case GATHER_E_TIMEOUT:
		return "time";
	case GATHER_E_CONNECT:
	case GATHER_E_CANCELLED:
	case GATHER_E_BAD_RESPONSE:
		return "disconnect";
	case GATHER_E_IO:
	case GATHER_E_NOMEM:
		return "unspecified";
	default:
		return NULL; /* complete: redirect refused, decode failed, ... */
	}
}

int gather_warc_write(struct gather_warc *w, const struct gather_result *r,
                      char *err, size_t errlen)
{
	struct warc_record req = { 0 }, resp = { 0 };
	struct gather_strbuf head = { 0 }, fields = { 0 }, rfields = { 0 }, qhead = { 0 };
	char req_id[48], resp_id[48], date[64];
	int rc;

	if (r->status <= 0 || r->resp_head.len == 0)
		return 0;
	if (w->fd < 0) {
		snprintf(err, errlen, "%s: closed after an earlier error", w->cur_name);
		return GATHER_E_IO;
	}
	if (warc_record_id(req_id) < 0 || warc_record_id(resp_id) < 0) {
		snprintf(err, errlen, "%s: no random bytes for a record ID", w->cur_name);
		return GATHER_E_IO;
	}
	warc_date(r->start_unix_ms, date);

	/* fields shared by both records */
	/* The URL the response answered (a redirect not followed has its
	 * target in final_url, not the URL that gave the 3xx), without its
	 * password (the record's own fields may come from a caller that has
	 * not redacted them yet). */
	const char *target = r->sent_url ? r->sent_url : r->final_url ? r->final_url :
	                     r->url ? r->url : "";
	char *shown = NULL;
	if (gather_url_redact(target, &shown) < 0)
		fields.oom = true;
	gather_strbuf_adds(&fields, "WARC-Target-URI: ");
	warc_db_uri(&fields, shown ? shown : target);
	free(shown);
	gather_strbuf_adds(&fields, "\r\n");
	if (r->ip[0] && strspn(r->ip, "0123456789abcdefABCDEF.:") == strlen(r->ip))
		gather_strbuf_printf(&fields, "WARC-IP-Address: %s\r\n", r->ip);
	gather_strbuf_add(&rfields, fields.p, fields.len);
	gather_strbuf_printf(&fields, "WARC-Concurrent-To: %s\r\n", resp_id);
	const char *why = truncated_reason(r->err);
	if (why)
		gather_strbuf_printf(&rfields, "WARC-Truncated: %s\r\n", why);

	stored_head(r, &head);
	rc = GATHER_E_NOMEM;
	if (head.oom || fields.oom || rfields.oom)
		goto out_nomem;

	size_t body_len = request_body_len(w, r);
	bool red = redact_head(r->req_head.data, r->req_head.len, &qhead);
	if (qhead.oom)
		goto out_nomem;
	struct iovec qb[2] = { { red ? qhead.p : r->req_head.data, red ? qhead.len : r->req_head.len },
	                       { w->req_body, body_len } };
	struct iovec qp = { w->req_body, body_len };
	struct iovec sb[2] = { { head.p, head.len }, { r->raw_body.data, r->raw_body.len } };
	struct iovec sp = { r->raw_body.data, r->raw_body.len };

	if (r->req_head.len &&
	    (rc = warc_record_build(w, &req, "request", req_id, date, fields.p,
	                            "application/http;msgtype=request", qb, 2, &qp)) < 0)
		goto out_nomem;
	if ((rc = warc_record_build(w, &resp, "response", resp_id, date, rfields.p,
	                            "application/http;msgtype=response", sb, 2, &sp)) < 0)
		goto out_nomem;

	rc = warc_write_pair(w, r->req_head.len ? &req : NULL, &resp, err, errlen);
	goto out;
out_nomem:
	snprintf(err, errlen, "%s: out of memory", w->cur_name);
out:
	warc_record_free(&req);
	warc_record_free(&resp);
	free(head.p);
	free(fields.p);
	free(rfields.p);
	free(qhead.p);
	return rc;
}
