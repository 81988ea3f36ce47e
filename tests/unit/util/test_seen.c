/* test_seen.c — SipHash test vectors and the 16-bytes-per-URL bound. */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/seen.h"
#include "ckmain.h"

START_TEST(test_siphash_vectors)
{
	uint8_t key[16], msg[64];
	for (int i = 0; i < 16; i++)
		key[i] = (uint8_t)i;
	for (int i = 0; i < 64; i++)
		msg[i] = (uint8_t)i;
	/* From the SipHash paper (appendix A) and its reference vectors.h. */
	ck_assert_uint_eq(gather_seen_fingerprint(key, msg, 15), 0xa129ca6149be45e5ULL);
	ck_assert_uint_eq(gather_seen_fingerprint(key, msg, 0), 0x726fdb47dd0e0e31ULL);
	ck_assert_uint_eq(gather_seen_fingerprint(key, msg, 8), 0x93f5f5799a932462ULL);
	/* key matters */
	uint8_t key2[16] = { 1 };
	ck_assert_uint_ne(gather_seen_fingerprint(key, "http://a/", 9),
	                  gather_seen_fingerprint(key2, "http://a/", 9));
}
END_TEST

START_TEST(test_basic)
{
	struct gather_seen *s = gather_seen_new();
	ck_assert_ptr_nonnull(s);
	ck_assert(!gather_seen_has(s, 42));
	ck_assert_int_eq(gather_seen_add(s, 42), 1);
	ck_assert_int_eq(gather_seen_add(s, 42), 0);
	ck_assert(gather_seen_has(s, 42));
	ck_assert_int_eq(gather_seen_add(s, 0), 1);   /* 0 is stored as 1 */
	ck_assert_int_eq(gather_seen_add(s, 1), 0);
	ck_assert_uint_eq(gather_seen_count(s), 2);
	gather_seen_free(s);
	gather_seen_free(NULL);
}
END_TEST

/* One million URLs: every one found, no false hits, <= 16 bytes each. */
START_TEST(test_million)
{
	uint8_t key[16] = "gather-test-key";
	struct gather_seen *s = gather_seen_new();
	char url[64];
	const size_t n = 1000000;
	size_t worst = 0;
	for (size_t i = 0; i < n; i++) {
		int len = snprintf(url, sizeof url, "http://host%zu.example/page/%zu", i % 97, i);
		ck_assert_int_eq(gather_seen_add(s, gather_seen_fingerprint(key, url, (size_t)len)), 1);
		/* The bound holds all along once past the minimal table. */
		if (i >= 1000) {
			size_t per = gather_seen_bytes(s) / (i + 1);
			if (per > worst)
				worst = per;
		}
	}
	ck_assert_uint_eq(gather_seen_count(s), n);
	double per = (double)gather_seen_bytes(s) / (double)gather_seen_count(s);
	ck_assert_msg(per <= 16.0, "%.2f bytes per URL", per);
	ck_assert_msg(worst <= 16, "worst %zu bytes per URL", worst);
	for (size_t i = 0; i < n; i += 7) {
		int len = snprintf(url, sizeof url, "http://host%zu.example/page/%zu", i % 97, i);
		ck_assert(gather_seen_has(s, gather_seen_fingerprint(key, url, (size_t)len)));
	}
	size_t false_hits = 0;
	for (size_t i = 0; i < 100000; i++) {
		int len = snprintf(url, sizeof url, "http://other.example/%zu", i);
		false_hits += gather_seen_has(s, gather_seen_fingerprint(key, url, (size_t)len));
	}
	ck_assert_uint_eq(false_hits, 0);
	gather_seen_free(s);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("seen");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_siphash_vectors);
	tcase_add_test(tc, test_basic);
	tcase_add_test(tc, test_million);
	suite_add_tcase(s, tc);
	return ckmain_run(s);
}
