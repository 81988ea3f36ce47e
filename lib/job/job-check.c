/* job-check.c — compile-checks of job-file values: seed URLs, PCRE2
 * patterns (allow, deny, regex), XPath expressions (extract). */
#include "config.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <libxml/xpath.h>
#include <libxml/xmlerror.h>
#include <pcre2.h>
#include <stdio.h>
#include <stddef.h>
#include <string.h>

#include "gather/error.h"
#include "gather/job.h"
#include "job/job-check.h"
#include "url/url.h"
#include "util/fileid.h"

/* Seeds are refused exactly as get and crawl refuse them: gather_url_parse
 * (absolute http or https with a host; no raw CR/LF, bad ports, ...). */
int job_check_url(const char *url, char *err, size_t errlen)
{
	struct gather_url u = { 0 };
	if (gather_url_parse(url, &u) < 0) {
		snprintf(err, errlen, "not an absolute http or https URL");
		return GATHER_E_INVALID;
	}
	gather_url_clear(&u);
	return 0;
}

int job_check_regex(const char *re, char *err, size_t errlen)
{
	int code;
	PCRE2_SIZE off;
	pcre2_code *c = pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED, 0, &code, &off, NULL);
	if (c) {
		pcre2_code_free(c);
		return 0;
	}
	PCRE2_UCHAR msg[256];
	if (pcre2_get_error_message(code, msg, sizeof msg) < 0)
		snprintf((char *)msg, sizeof msg, "error %d", code);
	snprintf(err, errlen, "%s at offset %zu", (const char *)msg, (size_t)off);
	return GATHER_E_INVALID;
}

struct xpath_err {
	char *buf;
	size_t len;
	int seen;
};

/* libxml2's structured error handler for one XPath context: keep the first
 * message, so nothing is printed. */
static void on_xpath_error(void *arg, xmlErrorPtr e)
{
	struct xpath_err *x = arg;
	if (x->seen++ || !e)
		return;
	snprintf(x->buf, x->len, "%s", e->message ? e->message : "invalid expression");
	size_t n = strlen(x->buf);
	while (n && (x->buf[n - 1] == '\n' || x->buf[n - 1] == ' '))
		x->buf[--n] = '\0';
	if (e->str1 && e->int1 >= 0)
		snprintf(x->buf + n, x->len - n, " at offset %d", e->int1);
}

int job_check_xpath(const char *xpath, char *err, size_t errlen)
{
	struct xpath_err x = { err, errlen, 0 };
	xmlXPathContextPtr ctx = xmlXPathNewContext(NULL);
	if (!ctx) {
		snprintf(err, errlen, "out of memory");
		return GATHER_E_NOMEM;
	}
	ctx->error = on_xpath_error;
	ctx->userData = &x;
	xmlXPathCompExprPtr comp = xmlXPathCtxtCompile(ctx, (const xmlChar *)xpath);
	xmlXPathFreeContext(ctx);
	if (comp) {
		xmlXPathFreeCompExpr(comp);
		return 0;
	}
	if (!x.seen)
		snprintf(err, errlen, "invalid XPath expression");
	return GATHER_E_INVALID;
}

/* Every job's files go into one set, in the order the jobs run, so that a
 * clash names the earlier job's file first (util/fileid.h). */
int gather_jobfiles_check_files(const struct gather_jobfile *files, size_t n,
                                struct gather_strv *diags)
{
	struct gather_files fs = { 0 };
	int rc = 0;

	for (size_t f = 0; f < n && rc != GATHER_E_NOMEM; f++)
		for (size_t j = 0; j < files[f].n && rc != GATHER_E_NOMEM; j++) {
			const struct gather_job *job = &files[f].jobs[j];
			struct gather_strv faults = { 0 };
			int r = gather_files_add_opts(&fs, &job->opts, job->name, &faults);
			for (size_t k = 0; k < faults.n; k++) {
				char msg[1400];
				snprintf(msg, sizeof msg, "%s:%u: %s", job->file, job->line, faults.v[k]);
				if (!diags || gather_strv_push(diags, msg) < 0)
					r = diags ? GATHER_E_NOMEM : r;
			}
			gather_strv_free(&faults);
			if (r < rc)
				rc = r;
		}
	gather_files_free(&fs);
	return rc;
}
