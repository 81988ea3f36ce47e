/* url-redact.c — passwords in URLs kept out of records, WARC headers and
 * log lines: "http://user:pw@host/" is shown as "http://user:***@host/"
 * (curl and wget print them so too).  A user name alone is not hidden. */
#include "config.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "gather/error.h"
#include "gather/result.h"
#include "url/url.h"

static bool scheme_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '+' || c == '-' || c == '.';
}

/* Where the next password in s[from..] is: its start and end (both 0 when
 * there is none).  An authority ends where a URL's would, or at space or a
 * quote (URLs inside messages). */
static void next_password(const char *s, size_t from, size_t *ret_a, size_t *ret_b)
{
	const char *p = s + from;
	*ret_a = *ret_b = 0;
	while ((p = strstr(p, "://"))) {
		const char *a = p + 3, *e = a, *at = NULL, *colon = NULL;
		if (p == s || !scheme_char(p[-1])) {
			p = a;
			continue;
		}
		while (*e && !strchr("/?#\\ \t\r\n\"'<>", *e)) {
			if (*e == '@')
				at = e;
			e++;
		}
		if (at)
			colon = memchr(a, ':', (size_t)(at - a));
		if (colon && colon + 1 < at) {
			*ret_a = (size_t)(colon + 1 - s);
			*ret_b = (size_t)(at - s);
			return;
		}
		p = e;
	}
}

int gather_url_redact(const char *s, char **ret)
{
	size_t a, b, from = 0, n = 0, cap;
	char *out;

	if (!s)
		return 0;
	next_password(s, 0, &a, &b);
	if (!b)
		return 0;
	/* each password becomes 3 bytes: at most 3 more per "://" */
	cap = strlen(s) + 1;
	for (const char *p = s; (p = strstr(p, "://")); p += 3)
		cap += 3;
	if (!(out = malloc(cap)))
		return GATHER_E_NOMEM;
	while (b) {
		memcpy(out + n, s + from, a - from);
		n += a - from;
		memcpy(out + n, "***", 3);
		n += 3;
		from = b;
		next_password(s, from, &a, &b);
	}
	strcpy(out + n, s + from);
	*ret = out;
	return 1;
}

int gather_url_redact_field(char **s)
{
	char *r;
	int rc = s ? gather_url_redact(*s, &r) : 0;
	if (rc == 1) {
		free(*s);
		*s = r;
		return 0;
	}
	return rc;
}

int gather_url_redact_result(struct gather_result *r)
{
	int rc = 0;
	if (!r)
		return 0;
	char **fields[] = { &r->url, &r->final_url, &r->sent_url, &r->parent, &r->message };
	for (size_t i = 0; i < sizeof fields / sizeof *fields; i++)
		if (gather_url_redact_field(fields[i]) < 0)
			rc = GATHER_E_NOMEM;
	return rc;
}
