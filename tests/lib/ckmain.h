/* ckmain.h — the end of every Check test program's main: run the suite
 * (in the fork mode CK_FORK names), print the summary, exit with failure
 * when any test failed.  Header-only, so a test needs no extra source. */
#ifndef GATHER_TEST_CKMAIN_H
#define GATHER_TEST_CKMAIN_H

#include <stdlib.h>

#include <check.h>

static inline int ckmain_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif
