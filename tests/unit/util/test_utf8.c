/* test_utf8.c — gather_utf8_seq, the one UTF-8 check of every layer:
 * well-formed sequences of each length, and the ill-formed ones Unicode's
 * table 3-7 rules out (overlongs, surrogates, past U+10FFFF, stray or
 * missing continuation bytes, a sequence cut by the end). */
#include "config.h"

#include <check.h>
#include <stdlib.h>

#include "util/utf8.h"
#include "ckmain.h"

static const struct {
	const char *s;
	size_t len, want;
} cases[] = {
	{ "a", 1, 1 },
	{ "\x7f", 1, 1 },
	{ "\xc3\xa9", 2, 2 },                 /* é */
	{ "\xe2\x82\xac", 3, 3 },             /* € */
	{ "\xef\xbf\xbd", 3, 3 },             /* U+FFFD */
	{ "\xf0\x9f\x98\x80", 4, 4 },         /* U+1F600 */
	{ "\xf4\x8f\xbf\xbf", 4, 4 },         /* U+10FFFF */
	{ "\xc3\xa9zz", 4, 2 },               /* only the first sequence */
	{ "\xc0\x80", 2, 0 },                 /* overlong NUL */
	{ "\xc1\xbf", 2, 0 },
	{ "\xe0\x80\x80", 3, 0 },             /* overlong */
	{ "\xe0\x9f\xbf", 3, 0 },
	{ "\xed\xa0\x80", 3, 0 },             /* U+D800 */
	{ "\xed\xbf\xbf", 3, 0 },             /* U+DFFF */
	{ "\xf0\x8f\xbf\xbf", 4, 0 },         /* overlong */
	{ "\xf4\x90\x80\x80", 4, 0 },         /* U+110000 */
	{ "\xf5\x80\x80\x80", 4, 0 },
	{ "\xff", 1, 0 },
	{ "\x80", 1, 0 },                     /* a continuation byte alone */
	{ "\xc3", 1, 0 },                     /* cut by the end */
	{ "\xe2\x82", 2, 0 },
	{ "\xc3\x28", 2, 0 },                 /* no continuation */
	{ "\xe2\x28\xa1", 3, 0 },
	{ "\xf0\x9f\x98\x28", 4, 0 },
};

START_TEST(test_seq)
{
	ck_assert_msg(gather_utf8_seq((const unsigned char *)cases[_i].s, cases[_i].len) ==
	              cases[_i].want, "case %d", _i);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("utf8");
	TCase *tc = tcase_create("core");
	tcase_add_loop_test(tc, test_seq, 0, sizeof cases / sizeof *cases);
	suite_add_tcase(s, tc);
	return ckmain_run(s);
}
