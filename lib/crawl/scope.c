/* scope.c — crawl scope rules (see scope.h).
 *
 * Hosts are compared without port and scheme, so http://h/ and
 * https://h:8443/ share a host scope (a site moving to https stays in).
 * Domain scope compares registrable domains from libpsl's built-in list
 * (psl_builtin: no file access); a host with no registrable domain (an IP
 * address, "localhost") is compared as a whole.  Prefix scope is the seed
 * URL up to the last '/' of its path, compared after "scheme:", like
 * wget --no-parent. */
#include "config.h"

#define PCRE2_CODE_UNIT_WIDTH 8

#include <ctype.h>
#include <libpsl.h>
#include <pcre2.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gather/error.h"
#include "crawl/scope.h"
#include "url/url.h"

struct regex_list {
	pcre2_code **re;
	size_t n;
};

struct gather_scope_rules {
	enum gather_scope mode;
	unsigned max_url_len;         /* 0: no limit */
	struct regex_list allow, deny;
	/* Seeds may arrive (a pipe) while workers check links: key/nkey are
	 * under lock, taken shared by checks and exclusive by add_seed. */
	pthread_rwlock_t lock;
	char **key;                   /* per seed: host, domain or prefix */
	size_t nkey;
};

/* The scope key of url for mode: a new string, or NULL (no host / OOM). */
static char *scope_key(enum gather_scope mode, const char *url)
{
	size_t n;
	const char *h = gather_url_host_of(url, &n);
	if (!h)
		return NULL;
	if (mode == GATHER_SCOPE_PREFIX) {
		const char *p = strstr(url, "://") + 1;   /* keep "//" */
		size_t end = strcspn(p, "?#");
		while (end > 0 && p[end - 1] != '/')
			end--;
		/* "//host" alone (no path): the whole site. */
		if (end <= 2)
			end = strlen(p);
		return strndup(p, end);
	}
	char *host = strndup(h, n);
	if (!host || mode != GATHER_SCOPE_DOMAIN)
		return host;
	for (char *c = host; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	const char *dom = psl_registrable_domain(psl_builtin(), host);
	if (dom && dom != host) {
		char *d = strdup(dom);
		free(host);
		return d;
	}
	return host;
}

static void regex_list_free(struct regex_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		pcre2_code_free(l->re[i]);
	free(l->re);
	l->re = NULL;
	l->n = 0;
}

/* Compiles every pattern of sv; on error names opt and the pattern. */
static int regex_list_init(struct regex_list *l, const struct gather_strv *sv,
                           const char *opt, char *err, size_t errlen)
{
	if (!sv->n)
		return 0;
	l->re = calloc(sv->n, sizeof *l->re);
	if (!l->re) {
		snprintf(err, errlen, "out of memory");
		return GATHER_E_NOMEM;
	}
	for (size_t i = 0; i < sv->n; i++) {
		int code;
		PCRE2_SIZE off;
		pcre2_code *re = pcre2_compile((PCRE2_SPTR)sv->v[i], PCRE2_ZERO_TERMINATED, 0,
		                               &code, &off, NULL);
		if (!re) {
			PCRE2_UCHAR msg[160];
			pcre2_get_error_message(code, msg, sizeof msg);
			if (err)
				snprintf(err, errlen, "--%s '%s': %s at offset %zu", opt,
				         sv->v[i], (const char *)msg, (size_t)off);
			return GATHER_E_INVALID;
		}
		/* JIT is an optimisation only: matching works without it. */
		(void)pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
		l->re[l->n++] = re;
	}
	return 0;
}

/* 1 if any pattern matches url, 0 if none, negative on a match error
 * (e.g. a match limit hit: treated as no match by the caller). */
static int regex_list_match(const struct regex_list *l, const char *url)
{
	if (!l->n)
		return 0;
	pcre2_match_data *md = pcre2_match_data_create(1, NULL);
	if (!md)
		return GATHER_E_NOMEM;
	int hit = 0;
	for (size_t i = 0; i < l->n && !hit; i++)
		hit = pcre2_match(l->re[i], (PCRE2_SPTR)url, strlen(url), 0, 0, md, NULL) >= 0;
	pcre2_match_data_free(md);
	return hit;
}

struct gather_scope_rules *gather_scope_rules_new(const struct gather_opts *o,
                                                  char *err, size_t errlen)
{
	struct gather_scope_rules *s = calloc(1, sizeof *s);
	if (!s) {
		if (err)
			snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->mode = o->scope;
	s->max_url_len = o->max_url_len;
	pthread_rwlock_init(&s->lock, NULL);
	if (regex_list_init(&s->allow, &o->allow, "allow", err, errlen) ||
	    regex_list_init(&s->deny, &o->deny, "deny", err, errlen)) {
		gather_scope_rules_free(s);
		return NULL;
	}
	return s;
}

void gather_scope_rules_free(struct gather_scope_rules *s)
{
	if (!s)
		return;
	regex_list_free(&s->allow);
	regex_list_free(&s->deny);
	for (size_t i = 0; i < s->nkey; i++)
		free(s->key[i]);
	free(s->key);
	pthread_rwlock_destroy(&s->lock);
	free(s);
}

int gather_scope_rules_add_seed(struct gather_scope_rules *s, const char *url)
{
	if (!url || !gather_url_host_of(url, &(size_t){ 0 }))
		return GATHER_E_BAD_URL;
	if (s->mode == GATHER_SCOPE_ANY)
		return 0;
	char *k = scope_key(s->mode, url);
	if (!k)
		return GATHER_E_NOMEM;
	int rc = 0;
	pthread_rwlock_wrlock(&s->lock);
	size_t i = 0;
	while (i < s->nkey && strcmp(s->key[i], k) != 0)
		i++;
	if (i < s->nkey) {
		free(k);   /* known */
	} else {
		char **v = realloc(s->key, (s->nkey + 1) * sizeof *v);
		if (v) {
			s->key = v;
			s->key[s->nkey++] = k;
		} else {
			free(k);
			rc = GATHER_E_NOMEM;
		}
	}
	pthread_rwlock_unlock(&s->lock);
	return rc;
}

int gather_scope_rules_check(const struct gather_scope_rules *s, const char *url)
{
	if (!url || (s->max_url_len && strlen(url) > s->max_url_len))
		return GATHER_E_SCOPE;
	if (s->mode == GATHER_SCOPE_PREFIX) {
		const char *p = strstr(url, "://");
		int in = 0;
		pthread_rwlock_rdlock((pthread_rwlock_t *)&s->lock);
		for (size_t i = 0; p && i < s->nkey && !in; i++)
			in = strncmp(p + 1, s->key[i], strlen(s->key[i])) == 0;
		pthread_rwlock_unlock((pthread_rwlock_t *)&s->lock);
		if (!in)
			return GATHER_E_SCOPE;
	} else if (s->mode != GATHER_SCOPE_ANY) {
		char *k = scope_key(s->mode, url);
		if (!k)
			return GATHER_E_SCOPE;
		int in = 0;
		pthread_rwlock_rdlock((pthread_rwlock_t *)&s->lock);
		for (size_t i = 0; i < s->nkey && !in; i++)
			in = strcmp(k, s->key[i]) == 0;
		pthread_rwlock_unlock((pthread_rwlock_t *)&s->lock);
		free(k);
		if (!in)
			return GATHER_E_SCOPE;
	}
	if (regex_list_match(&s->deny, url) > 0)
		return GATHER_E_SCOPE;
	if (s->allow.n && regex_list_match(&s->allow, url) <= 0)
		return GATHER_E_SCOPE;
	return 0;
}
