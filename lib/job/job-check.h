/* job-check.h — compile-checks of job-file values (internal to lib/job.c).
 * Each returns 0, or GATHER_E_INVALID with a message (without the value
 * itself) in err.  Thread-safe: no global state is touched (libxml2 errors
 * go to a per-context handler, not the global one). */
#ifndef GATHER_JOB_CHECK_H
#define GATHER_JOB_CHECK_H

#include <stddef.h>

int job_check_url(const char *url, char *err, size_t errlen);
int job_check_regex(const char *re, char *err, size_t errlen);
int job_check_xpath(const char *xpath, char *err, size_t errlen);

#endif
