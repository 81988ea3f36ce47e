/* decode.c — streaming Content-Encoding decoders: zlib (gzip, deflate),
 * brotli and zstd, chained in the reverse order of the header (RFC 9110
 * §8.4: codings are listed in the order they were applied). */
#include "config.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <brotli/decode.h>
#include <zlib.h>
#include <zstd.h>

#include "http/decode.h"
#include "gather/error.h"

enum coding { C_GZIP, C_DEFLATE, C_BR, C_ZSTD };

struct layer {
	enum coding coding;
	bool started;       /* zlib: inflateInit2 done (deflate sniffs first byte) */
	bool ended;         /* stream end seen */
	union {
		z_stream z;
		BrotliDecoderState *br;
		ZSTD_DStream *zstd;
	} u;
	char out[GATHER_DECODE_CHUNK];
};

struct gather_decoder {
	unsigned n;                       /* layers, applied from 0 (outermost) */
	struct layer *layer[GATHER_DECODE_MAX_LAYERS];
};

static void set_msg(char *msg, size_t msglen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void set_msg(char *msg, size_t msglen, const char *fmt, ...)
{
	va_list ap;
	if (!msg || !msglen)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, msglen, fmt, ap);
	va_end(ap);
}

static int coding_parse(const char *s, size_t len, enum coding *ret)
{
	static const struct { const char *name; enum coding c; } names[] = {
		{ "gzip", C_GZIP }, { "x-gzip", C_GZIP }, { "deflate", C_DEFLATE },
		{ "br", C_BR }, { "zstd", C_ZSTD },
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i].name) == len && strncasecmp(s, names[i].name, len) == 0) {
			*ret = names[i].c;
			return 0;
		}
	return GATHER_E_DECODE;
}

static void layer_free(struct layer *l)
{
	if (!l)
		return;
	switch (l->coding) {
	case C_GZIP:
	case C_DEFLATE:
		if (l->started)
			inflateEnd(&l->u.z);
		break;
	case C_BR:
		BrotliDecoderDestroyInstance(l->u.br);
		break;
	case C_ZSTD:
		ZSTD_freeDStream(l->u.zstd);
		break;
	}
	free(l);
}

void gather_decoder_free(struct gather_decoder *d)
{
	if (!d)
		return;
	for (unsigned i = 0; i < d->n; i++)
		layer_free(d->layer[i]);
	free(d);
}

static struct layer *layer_new(enum coding c)
{
	struct layer *l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	l->coding = c;
	switch (c) {
	case C_GZIP:
		if (inflateInit2(&l->u.z, 16 + MAX_WBITS) != Z_OK)
			goto fail;
		l->started = true;
		break;
	case C_DEFLATE:
		break; /* zlib or raw: decided by the first byte */
	case C_BR:
		if (!(l->u.br = BrotliDecoderCreateInstance(NULL, NULL, NULL)))
			goto fail;
		break;
	case C_ZSTD:
		if (!(l->u.zstd = ZSTD_createDStream()) || ZSTD_isError(ZSTD_initDStream(l->u.zstd)))
			goto fail;
		break;
	}
	return l;
fail:
	layer_free(l);
	return NULL;
}

int gather_decoder_new(const char *ce, struct gather_decoder **ret, char *msg, size_t msglen)
{
	enum coding list[GATHER_DECODE_MAX_LAYERS];
	unsigned n = 0;
	const char *p = ce ? ce : "";

	/* "gzip, br": split on commas, trim blanks, skip identity */
	while (*p) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		const char *s = p;
		while (*p && *p != ',')
			p++;
		const char *e = p;
		while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		size_t len = (size_t)(e - s);
		if (len == 0 || (len == 8 && strncasecmp(s, "identity", 8) == 0))
			continue;
		if (n == GATHER_DECODE_MAX_LAYERS) {
			set_msg(msg, msglen, "too many content codings in \"%s\"", ce);
			return GATHER_E_DECODE;
		}
		if (coding_parse(s, len, &list[n]) < 0) {
			set_msg(msg, msglen, "unsupported Content-Encoding \"%s\"", ce);
			return GATHER_E_DECODE;
		}
		n++;
	}
	if (n == 0) {
		*ret = NULL;
		return 0;
	}
	struct gather_decoder *d = calloc(1, sizeof(*d));
	if (!d)
		return GATHER_E_NOMEM;
	/* the last coding applied is undone first */
	for (unsigned i = 0; i < n; i++) {
		if (!(d->layer[i] = layer_new(list[n - 1 - i]))) {
			gather_decoder_free(d);
			return GATHER_E_NOMEM;
		}
		d->n++;
	}
	*ret = d;
	return 0;
}

static int push_layer(struct gather_decoder *d, unsigned i, const uint8_t *in, size_t len,
                      gather_decode_sink_fn sink, void *arg, char *msg, size_t msglen);

/* Called for each decoded piece of layer i: on to the next layer or the sink. */
static int emit(struct gather_decoder *d, unsigned i, const char *out, size_t len,
                gather_decode_sink_fn sink, void *arg, char *msg, size_t msglen)
{
	if (len == 0)
		return 0;
	if (i + 1 == d->n)
		return sink(out, len, arg);
	return push_layer(d, i + 1, (const uint8_t *)out, len, sink, arg, msg, msglen);
}

static int push_zlib(struct gather_decoder *d, unsigned i, const uint8_t *in, size_t len,
                     gather_decode_sink_fn sink, void *arg, char *msg, size_t msglen)
{
	struct layer *l = d->layer[i];
	if (!l->started) {
		/* RFC 9110 says zlib (RFC 1950); some servers send raw deflate */
		bool zlib_hdr = len >= 2 && (in[0] & 0x0f) == 8 && ((in[0] << 8) | in[1]) % 31 == 0;
		if (len < 2)
			zlib_hdr = (in[0] & 0x0f) == 8;
		if (inflateInit2(&l->u.z, zlib_hdr ? MAX_WBITS : -MAX_WBITS) != Z_OK)
			return GATHER_E_NOMEM;
		l->started = true;
	}
	z_stream *z = &l->u.z;
	z->next_in = (Bytef *)(uintptr_t)in;
	z->avail_in = (uInt)len;
	while (z->avail_in > 0 || (!l->ended && z->avail_out == 0)) {
		if (l->ended) {
			/* RFC 1952 §2.2: a gzip file may hold several members */
			if (l->coding == C_GZIP && z->avail_in > 0 && z->next_in[0] == 0x1f) {
				inflateReset(z);
				l->ended = false;
			} else {
				z->avail_in = 0; /* trailing bytes after the stream: ignored */
				break;
			}
		}
		z->next_out = (Bytef *)l->out;
		z->avail_out = sizeof(l->out);
		int rc = inflate(z, Z_NO_FLUSH);
		size_t got = sizeof(l->out) - z->avail_out;
		if (rc == Z_STREAM_END)
			l->ended = true;
		else if (rc == Z_BUF_ERROR && got == 0)
			break; /* needs more input */
		else if (rc != Z_OK) {
			set_msg(msg, msglen, "corrupt %s data", l->coding == C_GZIP ? "gzip" : "deflate");
			if (z->msg && msg && msglen) {
				size_t k = strlen(msg);
				snprintf(msg + k, msglen - k, ": %s", z->msg);
			}
			return GATHER_E_DECODE;
		}
		int r = emit(d, i, l->out, got, sink, arg, msg, msglen);
		if (r)
			return r;
		if (got < sizeof(l->out) && z->avail_in == 0)
			break;
	}
	return 0;
}

static int push_br(struct gather_decoder *d, unsigned i, const uint8_t *in, size_t len,
                   gather_decode_sink_fn sink, void *arg, char *msg, size_t msglen)
{
	struct layer *l = d->layer[i];
	size_t avail_in = len;
	const uint8_t *next_in = in;
	for (;;) {
		size_t avail_out = sizeof(l->out);
		uint8_t *next_out = (uint8_t *)l->out;
		BrotliDecoderResult rc = BrotliDecoderDecompressStream(l->u.br, &avail_in, &next_in,
		                                                       &avail_out, &next_out, NULL);
		size_t got = sizeof(l->out) - avail_out;
		if (rc == BROTLI_DECODER_RESULT_ERROR) {
			set_msg(msg, msglen, "corrupt brotli data: %s",
			        BrotliDecoderErrorString(BrotliDecoderGetErrorCode(l->u.br)));
			return GATHER_E_DECODE;
		}
		int r = emit(d, i, l->out, got, sink, arg, msg, msglen);
		if (r)
			return r;
		if (rc == BROTLI_DECODER_RESULT_SUCCESS) {
			l->ended = true;
			return 0; /* trailing bytes ignored */
		}
		if (rc == BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT)
			return 0;
		/* NEEDS_MORE_OUTPUT: loop */
	}
}

static int push_zstd(struct gather_decoder *d, unsigned i, const uint8_t *in, size_t len,
                     gather_decode_sink_fn sink, void *arg, char *msg, size_t msglen)
{
	struct layer *l = d->layer[i];
	ZSTD_inBuffer ib = { in, len, 0 };
	for (;;) {
		ZSTD_outBuffer ob = { l->out, sizeof(l->out), 0 };
		size_t rc = ZSTD_decompressStream(l->u.zstd, &ob, &ib);
		if (ZSTD_isError(rc)) {
			set_msg(msg, msglen, "corrupt zstd data: %s", ZSTD_getErrorName(rc));
			return GATHER_E_DECODE;
		}
		l->ended = rc == 0;
		int r = emit(d, i, l->out, ob.pos, sink, arg, msg, msglen);
		if (r)
			return r;
		if (ib.pos == ib.size && ob.pos < ob.size)
			return 0;
	}
}

static int push_layer(struct gather_decoder *d, unsigned i, const uint8_t *in, size_t len,
                      gather_decode_sink_fn sink, void *arg, char *msg, size_t msglen)
{
	if (len == 0)
		return 0;
	switch (d->layer[i]->coding) {
	case C_GZIP:
	case C_DEFLATE:
		return push_zlib(d, i, in, len, sink, arg, msg, msglen);
	case C_BR:
		return push_br(d, i, in, len, sink, arg, msg, msglen);
	case C_ZSTD:
		return push_zstd(d, i, in, len, sink, arg, msg, msglen);
	}
	return GATHER_E_DECODE;
}

int gather_decoder_push(struct gather_decoder *d, const void *data, size_t len,
                        gather_decode_sink_fn sink, void *arg, char *msg, size_t msglen)
{
	return push_layer(d, 0, data, len, sink, arg, msg, msglen);
}

int gather_decoder_finish(struct gather_decoder *d, char *msg, size_t msglen)
{
	static const char *const names[] = { "gzip", "deflate", "brotli", "zstd" };
	for (unsigned i = 0; i < d->n; i++)
		if (!d->layer[i]->ended) {
			set_msg(msg, msglen, "%s stream truncated", names[d->layer[i]->coding]);
			return GATHER_E_DECODE;
		}
	return 0;
}
