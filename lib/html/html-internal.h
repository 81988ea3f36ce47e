/* html-internal.h — what lib/html.c, lib/html-links.c and lib/html-fields.c
 * share.  Not installed; nothing outside lib/html*.c includes it. */
#ifndef GATHER_HTML_INTERNAL_H
#define GATHER_HTML_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <libxml/xpath.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <openssl/evp.h>

#include "html/html.h"

/* Cost caps for one document (not options: they only stop hostile input,
 * never a real page).  XPath: operations per expression (libxml2's
 * opLimit).  PCRE2: backtracking steps and heap per match. */
#define HTML_XPATH_OP_LIMIT 50000000ul
#define HTML_PCRE2_MATCH_LIMIT 10000000u
#define HTML_PCRE2_HEAP_LIMIT_KIB 65536u

/* One --extract spec, compiled. */
struct html_field {
	char *name;               /* JSON key */
	bool all;                 /* NAME[]=: every match, as an array */
	xmlXPathCompExprPtr expr;
};

/* One --regex spec, compiled. */
struct html_regex {
	char *name;
	pcre2_code *code;
	bool has_group;           /* value is group 1, else the whole match */
};

/* Built by gather_extractor_new on one thread, then read-only: workers share
 * it without locks.  (libxml2 caches a function lookup inside a compiled
 * XPath step on first use; every thread stores the same pointer there.) */
struct gather_extractor {
	bool assets;
	bool norm_links;          /* links normalized (gather_extractor_normalize_links) */
	bool robots_meta;         /* rel=nofollow and <meta name=robots> obeyed */
	unsigned max_links;
	struct html_field *fields;
	size_t n_fields;
	struct html_regex *regexes;
	size_t n_regexes;
	pcre2_match_context *mctx;  /* match limits; read-only during matches */
	EVP_MD *sha256;             /* fetched once */
};

/* First libxml2 error text seen while one is installed (compile time). */
struct html_errcap {
	char msg[256];
	int n;
};

/* The calling thread's libxml2 error handlers, saved while ours (which
 * only record into an html_errcap) are installed, so nothing is printed. */
struct html_errsave {
	xmlStructuredErrorFunc serr;
	void *sctx;
	xmlGenericErrorFunc gerr;
	void *gctx;
};
void html_quiet_begin(struct html_errsave *save, struct html_errcap *cap);
void html_quiet_end(const struct html_errsave *save);


/* html-input.c: the bytes and the encoding handed to libxml2.  data is
 * the body itself, or a cleaned copy (NULs made spaces, over-long start
 * tags cut) that copy owns. */
struct html_input {
	const char *data;
	size_t len;
	const char *encoding;   /* never NULL: libxml2 never guesses */
	char *copy;
	char label[64];         /* storage for encoding */
	size_t tags_cut;        /* start tags cut at HTML_MAX_ATTRS */
};
/* Most attributes kept on one start tag: libxml2 2.9 checks each new
 * attribute against all earlier ones, so a tag with a million attributes
 * would take hours.  Real pages have a few dozen. */
#define HTML_MAX_ATTRS 1000
int html_input_prepare(const struct gather_result *r, struct html_input *in);
/* The charset= parameter of a Content-Type value into buf; false when
 * absent or implausible. */
bool html_ctype_charset(const char *ct, char *buf, size_t buflen);
/* Whether b[0..n) is valid UTF-8 (pure ASCII included). */
bool html_is_utf8(const char *b, size_t n);
void html_input_clear(struct html_input *in);

/* XPath normalize-space(): runs of space, TAB, CR, LF collapsed to one
 * space, trimmed.  New string (malloc), NULL on OOM. */
char *html_normalize_space(const char *s);
/* A JSON string from n bytes that should be UTF-8: invalid bytes are taken
 * as Latin-1.  NULL on OOM. */
json_t *html_json_string(const char *s, size_t n);

/* html-links.c: title and links of doc into r (r->title, r->links,
 * r->n_links_found); doc_url may be NULL (then no links).  0 or
 * GATHER_E_NOMEM. */
int html_links_extract(const struct gather_extractor *x, xmlDocPtr doc,
                       const char *doc_url, struct gather_result *r);

/* Links gathered without a tree (html-scan.c): raw references in document
 * order and the first <base href>, resolved only at the end, when the base
 * is known. */
struct html_refs {
	char **v;
	size_t n, cap;
	char *base;             /* raw href of the first <base href>, or NULL */
	unsigned robots;        /* HTML_ROBOTS_* of the page's <meta name=robots> */
};
/* What a page's <meta name="robots"> says (when x->robots_meta). */
enum {
	HTML_ROBOTS_NOFOLLOW = 1,
	HTML_ROBOTS_NOINDEX = 2,
};
/* The links of one element (name lower case; atts name, value pairs,
 * NULL-terminated, a value NULL for a bare attribute) into refs, as the
 * tree walk would take them.  0 or GATHER_E_NOMEM. */
int html_refs_element(const struct gather_extractor *x, struct html_refs *refs,
                      const char *name, const char *const *atts);
/* Resolve refs against the base (or doc_url; no links when doc_url is NULL)
 * into r->links / r->n_links_found as html_links_extract does; frees refs'
 * contents.  0 or GATHER_E_NOMEM. */
int html_refs_finish(const struct gather_extractor *x, struct html_refs *refs,
                     const char *doc_url, struct gather_result *r);
void html_refs_clear(struct html_refs *refs);

/* html-scan.c: the title and links of an HTML body without libxml2, for
 * the pages a plain scan reads exactly as libxml2 would (UTF-8, no NULs,
 * ordinary markup).  1 when done (r->title, r->links filled), 0 when the
 * page must go to libxml2 instead (nothing changed in r), or
 * GATHER_E_NOMEM. */
int html_scan(const struct gather_extractor *x, struct gather_result *r, const char *doc_url);

/* html-fields.c */
int html_fields_compile(struct gather_extractor *x, const struct gather_opts *o,
                        char *err, size_t errlen);
void html_fields_free(struct gather_extractor *x);
/* Evaluate every field into *ret (a new object NAME → value); doc may be
 * NULL (not HTML: XPath fields are null), body is the raw body for the
 * regexes.  0 or GATHER_E_NOMEM. */
int html_fields_eval(const struct gather_extractor *x, xmlDocPtr doc,
                     const char *body, size_t len, json_t **ret);

#endif
