/* test_decode.c — streaming content decoders. */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <brotli/encode.h>
#include <zlib.h>
#include <zstd.h>

#include "http/decode.h"
#include "gather/error.h"
#include "ckmain.h"

struct out {
	char *data;
	size_t len, limit;
	unsigned calls;
};

static int sink(const char *d, size_t len, void *arg)
{
	struct out *o = arg;
	o->calls++;
	if (o->limit && o->len + len > o->limit)
		return GATHER_E_TOO_LARGE;
	o->data = realloc(o->data, o->len + len);
	memcpy(o->data + o->len, d, len);
	o->len += len;
	return 0;
}

static size_t zenc(const char *in, size_t len, int wbits, unsigned char *out, size_t cap)
{
	z_stream z;
	memset(&z, 0, sizeof(z));
	deflateInit2(&z, 6, Z_DEFLATED, wbits, 8, Z_DEFAULT_STRATEGY);
	z.next_in = (Bytef *)in;
	z.avail_in = (uInt)len;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	ck_assert_int_eq(deflate(&z, Z_FINISH), Z_STREAM_END);
	size_t n = cap - z.avail_out;
	deflateEnd(&z);
	return n;
}

static const char text[] = "hello hello hello, decoded world; hello hello hello!\n";

/* Feeds enc in pieces of step bytes. */
static int feed(const char *ce, const unsigned char *enc, size_t len, size_t step, struct out *o)
{
	struct gather_decoder *d = NULL;
	char msg[200];
	int rc = gather_decoder_new(ce, &d, msg, sizeof(msg));
	if (rc)
		return rc;
	ck_assert_ptr_nonnull(d);
	for (size_t i = 0; i < len && !rc; i += step)
		rc = gather_decoder_push(d, enc + i, len - i < step ? len - i : step, sink, o, msg, sizeof(msg));
	if (!rc)
		rc = gather_decoder_finish(d, msg, sizeof(msg));
	gather_decoder_free(d);
	return rc;
}

START_TEST(test_codings)
{
	static const struct { const char *ce; int wbits; } cases[] = {
		{ "gzip", 31 }, { "x-gzip", 31 }, { "deflate", 15 }, { "deflate", -15 }, { "GZIP", 31 },
	};
	unsigned char enc[1024];
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++)
		for (size_t step = 1; step <= 1024; step *= 4) {
			size_t n = zenc(text, strlen(text), cases[c].wbits, enc, sizeof(enc));
			struct out o = { 0 };
			ck_assert_int_eq(feed(cases[c].ce, enc, n, step, &o), 0);
			ck_assert_uint_eq(o.len, strlen(text));
			ck_assert(memcmp(o.data, text, o.len) == 0);
			free(o.data);
		}
}
END_TEST

START_TEST(test_br_zstd_chain)
{
	unsigned char gz[1024], br[2048], zs[1024];
	size_t gzn = zenc(text, strlen(text), 31, gz, sizeof(gz));
	size_t brn = sizeof(br);
	ck_assert(BrotliEncoderCompress(5, 22, BROTLI_MODE_GENERIC, gzn, gz, &brn, br));
	size_t zsn = ZSTD_compress(zs, sizeof(zs), text, strlen(text), 3);
	struct out o = { 0 };
	ck_assert_int_eq(feed("gzip, br", br, brn, 3, &o), 0); /* br applied last, undone first */
	ck_assert_uint_eq(o.len, strlen(text));
	free(o.data);
	memset(&o, 0, sizeof(o));
	ck_assert_int_eq(feed("zstd", zs, zsn, 5, &o), 0);
	ck_assert_uint_eq(o.len, strlen(text));
	ck_assert(memcmp(o.data, text, o.len) == 0);
	free(o.data);
}
END_TEST

START_TEST(test_identity_unknown)
{
	struct gather_decoder *d = (void *)1;
	char msg[200];
	ck_assert_int_eq(gather_decoder_new(NULL, &d, msg, sizeof(msg)), 0);
	ck_assert_ptr_null(d);
	d = (void *)1;
	ck_assert_int_eq(gather_decoder_new(" identity ", &d, msg, sizeof(msg)), 0);
	ck_assert_ptr_null(d);
	ck_assert_int_eq(gather_decoder_new("compress", &d, msg, sizeof(msg)), GATHER_E_DECODE);
	ck_assert_ptr_nonnull(strstr(msg, "unsupported Content-Encoding"));
	ck_assert_int_eq(gather_decoder_new("gzip, gzip, gzip, gzip, gzip", &d, msg, sizeof(msg)), GATHER_E_DECODE);
}
END_TEST

START_TEST(test_corrupt_truncated)
{
	unsigned char enc[1024];
	size_t n = zenc(text, strlen(text), 31, enc, sizeof(enc));
	struct out o = { 0 };
	ck_assert_int_eq(feed("gzip", enc, n - 6, 7, &o), GATHER_E_DECODE); /* truncated */
	free(o.data);
	memset(&o, 0, sizeof(o));
	ck_assert_int_eq(feed("gzip", (const unsigned char *)"garbage!garbage!", 16, 16, &o), GATHER_E_DECODE);
	ck_assert_int_eq(feed("br", (const unsigned char *)"\xff\xff\xff\xff garbage", 12, 4, &o), GATHER_E_DECODE);
	ck_assert_int_eq(feed("zstd", (const unsigned char *)"garbage!garbage!", 16, 16, &o), GATHER_E_DECODE);
	free(o.data);
}
END_TEST

/* 64 MiB of zeros in ~64 KB: the sink's limit stops it after a few chunks. */
START_TEST(test_bomb_stops_early)
{
	size_t zn = 64u << 20;
	char *zeros = calloc(1, zn);
	unsigned char *enc = malloc(1 << 20);
	size_t n = zenc(zeros, zn, 31, enc, 1 << 20);
	free(zeros);
	ck_assert_uint_lt(n, 200000);
	struct out o = { .limit = 100000 };
	ck_assert_int_eq(feed("gzip", enc, n, n, &o), GATHER_E_TOO_LARGE);
	ck_assert_uint_le(o.len, 100000);
	ck_assert_uint_lt(o.calls, 10);
	free(o.data);
	free(enc);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("decode");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_codings);
	tcase_add_test(tc, test_br_zstd_chain);
	tcase_add_test(tc, test_identity_unknown);
	tcase_add_test(tc, test_corrupt_truncated);
	tcase_add_test(tc, test_bomb_stops_early);
	suite_add_tcase(s, tc);
	return ckmain_run(s);
}
