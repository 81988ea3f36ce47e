/* decode/harness.c — lib/http/decode.c: Content-Encoding chains (gzip,
 * deflate, br, zstd), fed in pieces, into a sink with a limit.
 *
 * Input: "CODINGS\n" (the Content-Encoding value), then one byte choosing
 * the piece size, then the encoded body.  The sink takes up to LIMIT bytes
 * and says "enough" (GATHER_E_TOO_LARGE) past it, as the fetch's does for
 * --max-body.  Properties: each call hands at most GATHER_DECODE_CHUNK
 * bytes; nothing is handed after "enough" (a decompression bomb stops
 * there, never materialized); so the output never passes the limit by
 * more than one chunk, and what the sink accepted never passes it. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "../fuzz.h"
#include "gather/error.h"
#include "http/decode.h"

#define LIMIT (256u * 1024u)

struct sink {
	size_t accepted, offered;
	bool stopped;
};

static int on_out(const char *data, size_t len, void *arg)
{
	struct sink *s = arg;

	(void)data;
	FUZZ_CHECK(!s->stopped, "%zu bytes handed after the sink said enough", len);
	FUZZ_CHECK(len <= GATHER_DECODE_CHUNK, "a piece of %zu bytes", len);
	s->offered += len;
	if (s->accepted + len > LIMIT) {
		s->stopped = true;
		return GATHER_E_TOO_LARGE;
	}
	s->accepted += len;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size < 64 ? size : 64);
	struct gather_decoder *d = NULL;
	struct sink s = { 0 };
	char ce[65], msg[200];
	size_t piece, off;
	int rc;

	if (!nl || (size_t)(nl - data) + 2 > size)
		return 0;
	memcpy(ce, data, (size_t)(nl - data));
	ce[nl - data] = '\0';
	piece = (size_t)1 << (nl[1] & 15);
	size -= (size_t)(nl + 2 - data);
	data = nl + 2;
	rc = gather_decoder_new(ce, &d, msg, sizeof(msg));
	if (rc < 0) {
		FUZZ_CHECK(rc == GATHER_E_DECODE || rc == GATHER_E_NOMEM, "new returned %d", rc);
		return 0;
	}
	if (!d)
		return 0;       /* no coding: nothing to decode */
	for (off = 0; off < size && rc == 0; off += piece) {
		size_t n = size - off < piece ? size - off : piece;
		rc = gather_decoder_push(d, data + off, n, on_out, &s, msg, sizeof(msg));
		FUZZ_CHECK(rc == 0 || rc == GATHER_E_DECODE || rc == GATHER_E_TOO_LARGE ||
		           rc == GATHER_E_NOMEM, "push returned %d", rc);
		FUZZ_CHECK((rc == GATHER_E_TOO_LARGE) == s.stopped, "push %d, sink stopped %d", rc, s.stopped);
	}
	if (rc == 0)
		(void)gather_decoder_finish(d, msg, sizeof(msg));
	FUZZ_CHECK(s.accepted <= LIMIT, "%zu bytes accepted, limit %u", s.accepted, LIMIT);
	FUZZ_CHECK(s.offered <= LIMIT + GATHER_DECODE_CHUNK, "%zu bytes out, limit %u", s.offered, LIMIT);
	gather_decoder_free(d);
	return 0;
}
