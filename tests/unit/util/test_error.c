/* test_error.c — every error code has a distinct stable name and a text. */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "gather/error.h"
#include "ckmain.h"

START_TEST(test_names)
{
	ck_assert_str_eq(gather_err_name(0), "ok");
	ck_assert_str_eq(gather_err_name(GATHER_E_DNS), "dns");
	ck_assert_str_eq(gather_err_name(GATHER_E_TOO_MANY_REDIRECTS), "too_many_redirects");
	ck_assert_str_eq(gather_err_name(GATHER_E_BAD_URL), "bad_url");
	ck_assert_str_eq(gather_err_name(GATHER_E_CANCELLED), "cancelled");
	ck_assert_str_eq(gather_err_name(1), "unknown");
	ck_assert_str_eq(gather_err_name(GATHER_E__LAST - 1), "unknown");
	ck_assert_str_eq(gather_err_text(-1000), "unknown error");
	for (int a = GATHER_E__LAST; a <= 0; a++) {
		ck_assert_ptr_nonnull(gather_err_name(a));
		ck_assert_str_ne(gather_err_name(a), "unknown");
		ck_assert_ptr_nonnull(gather_err_text(a));
		for (int b = a + 1; b <= 0; b++)
			ck_assert_str_ne(gather_err_name(a), gather_err_name(b));
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("error");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_names);
	suite_add_tcase(s, tc);
	return ckmain_run(s);
}
