/* html.c — processing one fetched page on a worker thread: decide whether
 * the body is HTML, parse it with libxml2's HTML parser, and hand the tree
 * to html-links.c (title, links) and html-fields.c (XPath and PCRE2 fields);
 * SHA-256 of every body.  Without XPath fields, an ordinary UTF-8 page is
 * read by html-scan.c's plain scan instead (same title and links, no tree).
 *
 * Thread safety: the extractor is read-only after gather_extractor_new.  A
 * call to gather_extract uses its own parser context, document and XPath
 * context, and installs libxml2 error handlers for the calling thread only
 * (libxml2 keeps them per thread), restoring the previous ones on return. */
#include "config.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/HTMLparser.h>
#include <libxml/parser.h>

#include "gather/error.h"
#include "html/html-internal.h"
#include "util/utf8.h"

/* libxml2's default nesting limit (xmlParserMaxDepth, 256) stays in force:
 * no XML_PARSE_HUGE, so a hostile document nested a million deep is cut at
 * that depth instead of growing the tree and every walk over it. */
#define HTML_PARSE_OPTS (HTML_PARSE_RECOVER | HTML_PARSE_NONET | \
                         HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING)

/* --- errors: never printed ---------------------------------------------- */

/* libxml2 calls this (on the thread that raised the error) for every error
 * while our handler is installed. */
static void html_on_error(void *ctx, xmlErrorPtr e)
{
	struct html_errcap *cap = ctx;
	size_t n;

	if (!cap || !e)
		return;
	cap->n++;
	if (!cap->msg[0] && e->message) {
		snprintf(cap->msg, sizeof(cap->msg), "%s", e->message);
		n = strlen(cap->msg);
		while (n > 0 && (cap->msg[n - 1] == '\n' || cap->msg[n - 1] == ' '))
			cap->msg[--n] = '\0';
	}
}

/* The few libxml2 paths that bypass structured errors end up here. */
static void html_on_generic(void *ctx, const char *fmt, ...)
{
	struct html_errcap *cap = ctx;

	if (cap)
		cap->n++;
	(void)fmt;
}

void html_quiet_begin(struct html_errsave *save, struct html_errcap *cap)
{
	save->serr = xmlStructuredError;
	save->sctx = xmlStructuredErrorContext;
	save->gerr = xmlGenericError;
	save->gctx = xmlGenericErrorContext;
	cap->msg[0] = '\0';
	cap->n = 0;
	xmlSetStructuredErrorFunc(cap, html_on_error);
	xmlSetGenericErrorFunc(cap, html_on_generic);
}

void html_quiet_end(const struct html_errsave *save)
{
	xmlSetStructuredErrorFunc(save->sctx, save->serr);
	xmlSetGenericErrorFunc(save->gctx, save->gerr);
}

/* --- strings ------------------------------------------------------------ */

static bool is_xml_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

char *html_normalize_space(const char *s)
{
	size_t n = strlen(s), o = 0;
	char *out = malloc(n + 1);
	bool pending_space = false;

	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (is_xml_space((unsigned char)s[i])) {
			pending_space = o > 0;
			continue;
		}
		if (pending_space)
			out[o++] = ' ';
		pending_space = false;
		out[o++] = s[i];
	}
	out[o] = '\0';
	return out;
}

json_t *html_json_string(const char *s, size_t n)
{
	json_t *j = json_stringn(s, n);
	char *fix;
	size_t o = 0;

	if (j)
		return j;
	/* Not UTF-8 (a regex over a Latin-1 body): bytes that do not form a
	 * sequence are taken as Latin-1 code points. */
	fix = malloc(n * 2 + 1);
	if (!fix)
		return NULL;
	for (size_t i = 0; i < n;) {
		const unsigned char *u = (const unsigned char *)s + i;
		size_t l = gather_utf8_seq(u, n - i);
		if (l) {
			memcpy(fix + o, u, l);
			o += l;
			i += l;
		} else {
			fix[o++] = (char)(0xC0 | u[0] >> 6);
			fix[o++] = (char)(0x80 | (u[0] & 0x3F));
			i++;
		}
	}
	j = json_stringn(fix, o);
	free(fix);
	return j;
}

/* --- is it HTML, and in which charset ------------------------------------ */

/* The media type of a Content-Type value is text/html or
 * application/xhtml+xml (case-insensitive, parameters ignored). */
static bool ctype_is_html(const char *ct)
{
	static const char *const types[] = { "text/html", "application/xhtml+xml" };

	if (!ct)
		return false;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		size_t n = strlen(types[i]);
		if (strncasecmp(ct, types[i], n) == 0 &&
		    (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ' || ct[n] == '\t'))
			return true;
	}
	return false;
}

/* WHATWG MIME Sniffing §7.1 (rules for identifying an unknown MIME type),
 * the HTML patterns: after whitespace and a UTF-8 BOM, one of these tags
 * (case-insensitive) followed by a space or '>'. */
static bool body_looks_html(const char *b, size_t n)
{
	static const char *const tags[] = {
		"<!doctype html", "<html", "<head", "<script", "<iframe", "<h1",
		"<div", "<font", "<table", "<a", "<style", "<title", "<b", "<body",
		"<br", "<p", "<!--",
	};
	size_t i = 0;

	if (n >= 3 && memcmp(b, "\xEF\xBB\xBF", 3) == 0)
		i = 3;
	while (i < n && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' ||
	                 b[i] == '\r' || b[i] == '\f'))
		i++;
	for (size_t t = 0; t < sizeof(tags) / sizeof(tags[0]); t++) {
		size_t l = strlen(tags[t]);
		if (n - i > l && strncasecmp(b + i, tags[t], l) == 0 &&
		    (b[i + l] == ' ' || b[i + l] == '>' || strcmp(tags[t], "<!--") == 0))
			return true;
	}
	return false;
}

/* --- the extractor -------------------------------------------------------- */

struct gather_extractor *gather_extractor_new(const struct gather_opts *o,
                                              char *err, size_t errlen)
{
	struct gather_extractor *x;

	xmlInitParser();          /* idempotent; before any worker parses */
	json_object_seed(0);      /* jansson's hash seed, before threads */
	x = calloc(1, sizeof(*x));
	if (!x)
		goto nomem;
	x->assets = o->assets;
	x->max_links = o->max_links;
	x->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	x->mctx = pcre2_match_context_create(NULL);
	if (!x->sha256 || !x->mctx) {
		gather_extractor_free(x);
		goto nomem;
	}
	pcre2_set_match_limit(x->mctx, HTML_PCRE2_MATCH_LIMIT);
	pcre2_set_heap_limit(x->mctx, HTML_PCRE2_HEAP_LIMIT_KIB);
	if (html_fields_compile(x, o, err, errlen) < 0) {
		gather_extractor_free(x);
		return NULL;
	}
	return x;
nomem:
	if (err && errlen)
		snprintf(err, errlen, "extractor: out of memory");
	return NULL;
}

void gather_extractor_normalize_links(struct gather_extractor *x)
{
	x->norm_links = true;
}

void gather_extractor_obey_robots_meta(struct gather_extractor *x)
{
	x->robots_meta = true;
}

void gather_extractor_free(struct gather_extractor *x)
{
	if (!x)
		return;
	html_fields_free(x);
	pcre2_match_context_free(x->mctx);
	EVP_MD_free(x->sha256);
	free(x);
}

/* Drop what an earlier gather_extract put into r, so a second call does
 * not leak. */
static void clear_outputs(struct gather_result *r)
{
	free(r->title);
	r->title = NULL;
	for (size_t i = 0; i < r->links.n; i++)
		free(r->links.v[i]);
	free(r->links.v);
	r->links.v = NULL;
	r->links.n = 0;
	r->n_links_found = 0;
	json_decref(r->fields);
	r->fields = NULL;
	r->has_sha256 = false;
	r->noindex = false;
}

/* Parse the body as HTML into *ret.  0, or GATHER_E_NOMEM (libxml2
 * recovers from everything but running out of memory). */
static int parse_html(const struct gather_result *r, const char *doc_url, xmlDocPtr *ret)
{
	struct html_input in;
	htmlParserCtxtPtr ctxt;

	if (html_input_prepare(r, &in) < 0)
		return GATHER_E_NOMEM;
	ctxt = htmlNewParserCtxt();
	if (!ctxt) {
		html_input_clear(&in);
		return GATHER_E_NOMEM;
	}
	*ret = htmlCtxtReadMemory(ctxt, in.data, (int)in.len, doc_url, in.encoding,
	                          HTML_PARSE_OPTS);
	htmlFreeParserCtxt(ctxt);
	html_input_clear(&in);
	return *ret ? 0 : GATHER_E_NOMEM;
}

int gather_extract(const struct gather_extractor *x, struct gather_result *r)
{
	const char *doc_url = r->final_url ? r->final_url : r->url;
	const char *body = r->body.data ? r->body.data : "";
	size_t len = r->body.data ? r->body.len : 0;
	struct html_errsave save;
	struct html_errcap cap;
	xmlDocPtr doc = NULL;
	json_t *fields = NULL;
	int rc = 0;

	clear_outputs(r);
	r->processed = true;
	/* Every response has a digest, an empty body's too; a fetch that got
	 * no response has none. */
	if (r->status > 0 || len > 0) {
		unsigned int mdlen = 0;
		r->has_sha256 = EVP_Digest(body, len, r->sha256, &mdlen, x->sha256, NULL) == 1 &&
		                mdlen == sizeof(r->sha256);
	}

	html_quiet_begin(&save, &cap);
	if (len > (size_t)INT_MAX) {
		rc = GATHER_E_TOO_LARGE; /* libxml2 takes an int length */
	} else if (len > 0 && (ctype_is_html(r->content_type) || body_looks_html(body, len))) {
		/* Title and links only (no XPath): most pages are read by the
		 * plain scan of html-scan.c; the others by libxml2. */
		rc = html_scan(x, r, doc_url);
		if (rc == 0)
			rc = parse_html(r, doc_url, &doc);
		else if (rc == 1)
			rc = 0;
	}
	if (doc && rc == 0)
		rc = html_links_extract(x, doc, doc_url, r);
	if (rc != GATHER_E_NOMEM && (x->n_fields || x->n_regexes)) {
		int frc = html_fields_eval(x, doc, body, rc == GATHER_E_TOO_LARGE ? 0 : len, &fields);
		if (frc < 0)
			rc = frc;
		else
			r->fields = fields;
	}
	xmlFreeDoc(doc);
	html_quiet_end(&save);
	return rc;
}
