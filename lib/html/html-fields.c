/* html-fields.c — user-defined fields of a page: --extract NAME=XPATH
 * (first match), NAME[]=XPATH (all matches) and --regex NAME=PCRE2.
 *
 * Expressions are compiled once, in gather_extractor_new (any thread), and
 * then only read; each evaluation has its own xmlXPathContext and
 * pcre2_match_data, so workers evaluate in parallel without locks. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/HTMLtree.h>
#include <libxml/xpathInternals.h>

#include "gather/error.h"
#include "html/html-internal.h"

static int spec_error(char *err, size_t errlen, const char *kind, const char *spec,
                      const char *what)
{
	if (err && errlen)
		snprintf(err, errlen, "%s \"%s\": %s", kind, spec, what);
	return GATHER_E_INVALID;
}

/* Split "NAME=VALUE" (NAME[]=VALUE when brackets is true) into a new name
 * and a pointer to VALUE.  false when malformed. */
static bool split_spec(const char *spec, bool brackets, char **name, bool *all,
                       const char **value)
{
	const char *eq = strchr(spec, '=');
	size_t n;

	if (!eq || eq == spec || eq[1] == '\0')
		return false;
	n = (size_t)(eq - spec);
	*all = false;
	if (brackets && n > 2 && spec[n - 2] == '[' && spec[n - 1] == ']') {
		*all = true;
		n -= 2;
	}
	if (memchr(spec, '[', n) || memchr(spec, ']', n))
		return false;
	*name = strndup(spec, n);
	*value = eq + 1;
	return *name != NULL;
}

static bool name_taken(const struct gather_extractor *x, const char *name)
{
	for (size_t i = 0; i < x->n_fields; i++)
		if (strcmp(x->fields[i].name, name) == 0)
			return true;
	for (size_t i = 0; i < x->n_regexes; i++)
		if (strcmp(x->regexes[i].name, name) == 0)
			return true;
	return false;
}

/* A new XPath context on doc, with the operation cap, the document node as
 * context node. */
static xmlXPathContextPtr xpath_ctx(xmlDocPtr doc)
{
	xmlXPathContextPtr xc = xmlXPathNewContext(doc);

	if (xc) {
		xc->node = (xmlNodePtr)doc;
		xc->opLimit = HTML_XPATH_OP_LIMIT;
	}
	return xc;
}

/* Compile one --extract spec into x->fields[x->n_fields].  probe is an
 * empty document: evaluating against it catches what compiles but cannot
 * run (unknown functions, undefined variables). */
static int compile_xpath(struct gather_extractor *x, const char *spec, xmlDocPtr probe,
                         struct html_errcap *cap, char *err, size_t errlen)
{
	struct html_field *f = &x->fields[x->n_fields];
	const char *expr;
	xmlXPathContextPtr xc;
	xmlXPathObjectPtr res;

	if (!split_spec(spec, true, &f->name, &f->all, &expr))
		return spec_error(err, errlen, "extract", spec, "expected NAME=XPATH or NAME[]=XPATH");
	if (name_taken(x, f->name)) {
		free(f->name);
		return spec_error(err, errlen, "extract", spec, "field name given twice");
	}
	cap->n = 0;
	cap->msg[0] = '\0';
	f->expr = xmlXPathCompile((const xmlChar *)expr);
	if (!f->expr) {
		free(f->name);
		return spec_error(err, errlen, "extract", spec,
		                  cap->msg[0] ? cap->msg : "invalid XPath expression");
	}
	xc = xpath_ctx(probe);
	if (!xc) {
		xmlXPathFreeCompExpr(f->expr);
		free(f->name);
		return spec_error(err, errlen, "extract", spec, "out of memory");
	}
	res = xmlXPathCompiledEval(f->expr, xc);
	xmlXPathFreeContext(xc);
	if (!res) {
		xmlXPathFreeCompExpr(f->expr);
		free(f->name);
		return spec_error(err, errlen, "extract", spec,
		                  cap->msg[0] ? cap->msg : "XPath evaluation error");
	}
	xmlXPathFreeObject(res);
	x->n_fields++;
	return 0;
}

static int compile_regex(struct gather_extractor *x, const char *spec, char *err,
                         size_t errlen)
{
	struct html_regex *re = &x->regexes[x->n_regexes];
	const char *pat;
	bool all;
	int ecode;
	PCRE2_SIZE eoff;
	uint32_t groups = 0;

	if (!split_spec(spec, false, &re->name, &all, &pat))
		return spec_error(err, errlen, "regex", spec, "expected NAME=REGEX");
	if (name_taken(x, re->name)) {
		free(re->name);
		return spec_error(err, errlen, "regex", spec, "field name given twice");
	}
	re->code = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED, 0, &ecode, &eoff, NULL);
	if (!re->code) {
		PCRE2_UCHAR msg[160];
		char what[220];
		pcre2_get_error_message(ecode, msg, sizeof(msg));
		snprintf(what, sizeof(what), "%s at offset %zu", (const char *)msg, (size_t)eoff);
		free(re->name);
		return spec_error(err, errlen, "regex", spec, what);
	}
	/* JIT is an optimization only: without it pcre2_match interprets. */
	(void)pcre2_jit_compile(re->code, PCRE2_JIT_COMPLETE);
	pcre2_pattern_info(re->code, PCRE2_INFO_CAPTURECOUNT, &groups);
	re->has_group = groups > 0;
	x->n_regexes++;
	return 0;
}

int html_fields_compile(struct gather_extractor *x, const struct gather_opts *o,
                        char *err, size_t errlen)
{
	struct html_errsave save;
	struct html_errcap cap;
	xmlDocPtr probe = NULL;
	int rc = 0;

	x->fields = calloc(o->extract.n + 1, sizeof(*x->fields));
	x->regexes = calloc(o->regex.n + 1, sizeof(*x->regexes));
	if (!x->fields || !x->regexes)
		return spec_error(err, errlen, "extractor", "", "out of memory");
	html_quiet_begin(&save, &cap);
	if (o->extract.n) {
		probe = htmlNewDocNoDtD(NULL, NULL);
		if (!probe)
			rc = spec_error(err, errlen, "extractor", "", "out of memory");
	}
	for (size_t i = 0; i < o->extract.n && rc == 0; i++)
		rc = compile_xpath(x, o->extract.v[i], probe, &cap, err, errlen);
	for (size_t i = 0; i < o->regex.n && rc == 0; i++)
		rc = compile_regex(x, o->regex.v[i], err, errlen);
	xmlFreeDoc(probe);
	html_quiet_end(&save);
	return rc;
}

void html_fields_free(struct gather_extractor *x)
{
	for (size_t i = 0; x->fields && i < x->n_fields; i++) {
		free(x->fields[i].name);
		xmlXPathFreeCompExpr(x->fields[i].expr);
	}
	free(x->fields);
	for (size_t i = 0; x->regexes && i < x->n_regexes; i++) {
		free(x->regexes[i].name);
		pcre2_code_free(x->regexes[i].code);
	}
	free(x->regexes);
}

/* --- evaluation ----------------------------------------------------------- */

/* A node's string value, whitespace-normalized, as JSON. */
static json_t *node_value(xmlNodePtr node)
{
	xmlChar *s = xmlXPathCastNodeToString(node);
	char *norm = s ? html_normalize_space((const char *)s) : NULL;
	json_t *j = norm ? html_json_string(norm, strlen(norm)) : NULL;

	xmlFree(s);
	free(norm);
	return j;
}

/* The JSON value of an XPath result: first node's text (or null), all
 * nodes' texts, or a string/number/boolean as its string. */
static json_t *xpath_value(xmlXPathObjectPtr res, bool all)
{
	json_t *v;

	if (!res)
		return all ? json_array() : json_null();  /* evaluation failed */
	if (res->type == XPATH_NODESET) {
		xmlNodeSetPtr ns = res->nodesetval;
		int n = ns ? ns->nodeNr : 0;
		if (!all)
			return n > 0 ? node_value(ns->nodeTab[0]) : json_null();
		v = json_array();
		for (int i = 0; v && i < n; i++) {
			if (json_array_append_new(v, node_value(ns->nodeTab[i])) < 0) {
				json_decref(v);
				v = NULL;
			}
		}
		return v;
	}
	xmlChar *s = xmlXPathCastToString(res);
	v = s ? html_json_string((const char *)s, strlen((const char *)s)) : NULL;
	xmlFree(s);
	if (v && all) {
		json_t *a = json_array();
		if (!a || json_array_append_new(a, v) < 0) {
			json_decref(a);
			return NULL;
		}
		v = a;
	}
	return v;
}

/* Group 1 when the pattern has groups (null when it did not take part),
 * else the whole match; null when no match or a limit was hit. */
static json_t *regex_value(const struct gather_extractor *x, const struct html_regex *re,
                           const char *body, size_t len)
{
	pcre2_match_data *md = pcre2_match_data_create_from_pattern(re->code, NULL);
	json_t *v = NULL;
	int m;

	if (!md)
		return NULL;
	m = pcre2_match(re->code, (PCRE2_SPTR)body, len, 0, 0, md, x->mctx);
	if (m > 0) {
		PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
		int g = re->has_group ? 1 : 0;
		if (g < m && ov[2 * g] != PCRE2_UNSET && ov[2 * g + 1] >= ov[2 * g])
			v = html_json_string(body + ov[2 * g], ov[2 * g + 1] - ov[2 * g]);
		else
			v = json_null();
	} else {
		v = json_null();
	}
	pcre2_match_data_free(md);
	return v;
}

int html_fields_eval(const struct gather_extractor *x, xmlDocPtr doc,
                     const char *body, size_t len, json_t **ret)
{
	json_t *obj = json_object();
	xmlXPathContextPtr xc = NULL;
	int rc = 0;

	if (!obj)
		return GATHER_E_NOMEM;
	if (doc && x->n_fields && !(xc = xpath_ctx(doc)))
		rc = GATHER_E_NOMEM;
	for (size_t i = 0; i < x->n_fields && rc == 0; i++) {
		const struct html_field *f = &x->fields[i];
		json_t *v;

		if (!xc) {
			v = json_null();  /* no document: not HTML */
		} else {
			xmlXPathObjectPtr res;
			xc->node = (xmlNodePtr)doc;
			xc->opCount = 0;
			res = xmlXPathCompiledEval(f->expr, xc);
			v = xpath_value(res, f->all);
			xmlXPathFreeObject(res);
		}
		if (json_object_set_new(obj, f->name, v) < 0)
			rc = GATHER_E_NOMEM;
	}
	for (size_t i = 0; i < x->n_regexes && rc == 0; i++) {
		const struct html_regex *re = &x->regexes[i];
		if (json_object_set_new(obj, re->name, regex_value(x, re, body, len)) < 0)
			rc = GATHER_E_NOMEM;
	}
	xmlXPathFreeContext(xc);
	if (rc < 0) {
		json_decref(obj);
		return rc;
	}
	*ret = obj;
	return 0;
}
