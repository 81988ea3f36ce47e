/* http1/harness.c — lib/http/http1.c: response heads (and bodies) as they
 * come off a connection, fed in pieces.
 *
 * Input: one byte of flags (bit 0: a response to HEAD; bits 1-3: the
 * piece size, 1 << n bytes), then the bytes the server sends.  Properties:
 * the parser never asks for more once it has said COMPLETE or ERROR; a
 * head accepted has a status 100..999 and at most max_head bytes and
 * max_headers fields; an error has a message; the body handed out is never
 * more than what came in; the head copy (WARC) is at most max_head. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "../fuzz.h"
#include "gather/error.h"
#include "http/http1.h"

#define MAX_HEAD 4096
#define MAX_HEADERS 32

struct sink {
	size_t bytes;
};

static int on_body(const char *data, size_t len, void *arg)
{
	struct sink *s = arg;

	(void)data;
	s->bytes += len;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http1_resp r;
	struct gather_buf raw = { 0 };
	struct sink s = { 0 };
	struct evbuffer *in;
	enum http1_rc rc = HTTP1_MORE;
	bool head_done = false;
	size_t piece, off = 0;

	if (size < 1)
		return 0;
	piece = (size_t)1 << ((data[0] >> 1) & 7);
	memset(&r, 0, sizeof(r));  /* http1_resp_init frees what an earlier response kept */
	FUZZ_OOM(in = evbuffer_new());
	http1_resp_init(&r, MAX_HEAD, MAX_HEADERS, data[0] & 1, on_body, &s, &raw);
	data++;
	size--;
	while (rc == HTTP1_MORE || (rc == HTTP1_HEAD && off < size)) {
		size_t n = size - off < piece ? size - off : piece;
		if (n == 0)
			break;
		FUZZ_OOM(evbuffer_add(in, data + off, n) == 0);
		off += n;
		rc = head_done ? http1_feed_body(&r, in) : http1_feed_head(&r, in);
		if (rc == HTTP1_HEAD || (rc == HTTP1_COMPLETE && !head_done)) {
			head_done = true;
			FUZZ_CHECK(r.status >= 100 && r.status <= 999, "status %d", r.status);
			FUZZ_CHECK(raw.len <= MAX_HEAD, "head copy of %zu bytes", raw.len);
			FUZZ_CHECK(r.nheaders <= MAX_HEADERS, "%u header fields", r.nheaders);
			if (rc == HTTP1_HEAD && evbuffer_get_length(in) > 0)
				rc = http1_feed_body(&r, in);
		}
	}
	if (rc == HTTP1_MORE || rc == HTTP1_HEAD)
		rc = http1_eof(&r);
	FUZZ_CHECK(rc == HTTP1_COMPLETE || rc == HTTP1_ERROR, "ended in state %d", rc);
	if (rc == HTTP1_ERROR)
		FUZZ_CHECK(r.err < 0 && r.msg[0], "an error without code (%d) or message", r.err);
	FUZZ_CHECK(s.bytes <= size, "%zu body bytes out of %zu in", s.bytes, size);
	http1_resp_clear(&r);
	free(raw.data);
	evbuffer_free(in);
	return 0;
}
