/* test_u64map.c — lib/u64map.c: put/get/del against a plain array as the
 * model, through growth and shrinking; a drained map gives its memory
 * back. */
#include "config.h"

#include <check.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "gather/error.h"
#include "util/u64map.h"
#include "ckmain.h"

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	return x | 1;     /* nonzero */
}

START_TEST(test_model)
{
	enum { N = 20000 };
	struct gather_u64map m = { 0 };
	static char present[N];
	uint64_t r = 12345;

	for (int step = 0; step < 200000; step++) {
		r = r * 6364136223846793005ull + 1442695040888963407ull;
		size_t k = (size_t)(r >> 33) % N;
		/* mostly puts early, mostly deletes late: the map grows, then shrinks */
		bool put = (r >> 20) % 100 < (step < 100000 ? 70u : 20u);
		if (put) {
			ck_assert_int_eq(gather_u64map_put(&m, mix(k), &present[k]), 0);
			present[k] = 1;
		} else {
			void *v = gather_u64map_del(&m, mix(k));
			ck_assert_ptr_eq(v, present[k] ? &present[k] : NULL);
			present[k] = 0;
		}
		if (step % 997 == 0) {
			size_t count = 0;
			for (size_t i = 0; i < N; i++) {
				count += present[i];
				ck_assert_ptr_eq(gather_u64map_get(&m, mix(i)), present[i] ? &present[i] : NULL);
			}
			ck_assert_uint_eq(m.count, count);
			ck_assert(m.cap == 0 || (m.cap >= 16 && m.count * 2 <= m.cap));
		}
	}
	gather_u64map_clear(&m);
}
END_TEST

START_TEST(test_shrinks)
{
	struct gather_u64map m = { 0 };
	int v;

	for (uint64_t i = 1; i <= 100000; i++)
		ck_assert_int_eq(gather_u64map_put(&m, mix(i), &v), 0);
	size_t big = gather_u64map_bytes(&m);
	for (uint64_t i = 11; i <= 100000; i++)
		ck_assert_ptr_eq(gather_u64map_del(&m, mix(i)), &v);
	ck_assert_uint_eq(m.count, 10);
	ck_assert_uint_le(gather_u64map_bytes(&m), 64 * (sizeof(uint64_t) + sizeof(void *)));
	ck_assert_uint_gt(big, 100 * gather_u64map_bytes(&m));
	for (uint64_t i = 1; i <= 10; i++)
		ck_assert_ptr_eq(gather_u64map_get(&m, mix(i)), &v);
	ck_assert_ptr_null(gather_u64map_get(&m, mix(11)));
	gather_u64map_clear(&m);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("u64map");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_model);
	tcase_add_test(tc, test_shrinks);
	suite_add_tcase(s, tc);
	return ckmain_run(s);
}
