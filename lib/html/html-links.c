/* html-links.c — the title and the outgoing links of a parsed page.
 *
 * Two iterative walks over the tree (never recursion: the tree may be as
 * deep as libxml2 allows): the first finds the document's base URL (the
 * first <base href>, HTML §4.2.3), the second takes the title and, in
 * document order, every link kind we follow, resolves it against the base
 * with gather_url_resolve (which strips whitespace and drops the fragment),
 * keeps http/https ones only, and each URL once.  For a crawl
 * (gather_extractor_normalize_links) each also comes normalized, in the
 * same pass (gather_url_resolve_pair, lib/url-fast.c).
 *
 * Runs on a worker thread; touches only the document and the result it is
 * given. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gather/error.h"
#include "html/html-internal.h"
#include "url/url.h"

/* The distinct links of one page in document order, with a hash set (open
 * addressing, indices into v) to find duplicates.  Distinct as resolved
 * (n_links_found counts those); when norm (a crawl), nv[i] is v[i]
 * normalized (NULL when that fails; the same pointer when equal), and
 * links_store hands out nv. */
struct linkset {
	char **v;
	char **nv;        /* when norm: as many as v */
	bool norm;
	size_t n, cap;
	size_t *tab;      /* 0: empty, else index + 1 */
	size_t tabcap;    /* power of two, > 2 n */
	/* the base, parsed once for all the page's links */
	struct gather_url_base *pbase;
	const char *pbase_of;
	int pbase_rc;
};

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull;  /* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static int set_grow(struct linkset *ls)
{
	size_t ncap = ls->tabcap ? ls->tabcap * 2 : 64;
	size_t *nt = calloc(ncap, sizeof(*nt));

	if (!nt)
		return GATHER_E_NOMEM;
	for (size_t i = 0; i < ls->n; i++) {
		size_t j = hash_str(ls->v[i]) & (ncap - 1);
		while (nt[j])
			j = (j + 1) & (ncap - 1);
		nt[j] = i + 1;
	}
	free(ls->tab);
	ls->tab = nt;
	ls->tabcap = ncap;
	return 0;
}

/* Frees a resolved link and its normalized form (NULL, or the same). */
static void pair_free(char *url, char *nurl)
{
	if (nurl != url)
		free(nurl);
	free(url);
}

/* Takes ownership of url and nurl (when ls->norm; freed when a duplicate
 * or on error). */
static int set_add(struct linkset *ls, char *url, char *nurl)
{
	size_t j;

	if ((ls->n + 1) * 2 >= ls->tabcap && set_grow(ls) < 0)
		goto nomem;
	for (j = hash_str(url) & (ls->tabcap - 1); ls->tab[j]; j = (j + 1) & (ls->tabcap - 1)) {
		if (strcmp(ls->v[ls->tab[j] - 1], url) == 0) {
			pair_free(url, nurl);
			return 0;
		}
	}
	if (ls->n == ls->cap) {
		size_t ncap = ls->cap ? ls->cap * 2 : 32;
		char **nv = realloc(ls->v, ncap * sizeof(*nv));
		if (!nv)
			goto nomem;
		ls->v = nv;
		if (ls->norm) {
			if (!(nv = realloc(ls->nv, ncap * sizeof(*nv))))
				goto nomem;
			ls->nv = nv;
		}
		ls->cap = ncap;
	}
	if (ls->norm)
		ls->nv[ls->n] = nurl;
	ls->v[ls->n++] = url;
	ls->tab[j] = ls->n;
	return 0;
nomem:
	pair_free(url, nurl);
	return GATHER_E_NOMEM;
}

static void set_free(struct linkset *ls)
{
	gather_url_base_free(ls->pbase);
	for (size_t i = 0; i < ls->n; i++)
		pair_free(ls->v[i], ls->norm ? ls->nv[i] : NULL);
	free(ls->v);
	free(ls->nv);
	free(ls->tab);
}

/* Resolve ref[0..n) against base and keep it when it is a new http(s)
 * URL; anything unresolvable (mailto:, javascript:, garbage) is skipped.
 * When ls->norm, its normalized form comes along (gather_url_resolve_pair:
 * one pass, most often without uriparser). */
static int add_ref(struct linkset *ls, const char *base, const char *ref, size_t n)
{
	char *abs = NULL, *nabs = NULL;
	int rc;

	if (ls->pbase_of != base) {
		gather_url_base_free(ls->pbase);
		ls->pbase = NULL;
		ls->pbase_of = base;
		ls->pbase_rc = gather_url_base_new(base, &ls->pbase);
	}
	if (ls->pbase_rc)
		rc = ls->pbase_rc;
	else if (ls->norm)
		rc = gather_url_resolve_pair(ls->pbase, ref, n, &abs, &nabs);
	else
		rc = gather_url_resolve_base_n(ls->pbase, ref, n, &abs);

	if (rc == GATHER_E_NOMEM)
		return rc;
	if (rc < 0)
		return 0;
	/* gather_url_resolve gives any scheme (RFC 3986 §5.4.1 "g:h"): keep
	 * http(s) only. */
	if (strncasecmp(abs, "http://", 7) != 0 && strncasecmp(abs, "https://", 8) != 0) {
		pair_free(abs, nabs);
		return 0;
	}
	return set_add(ls, abs, nabs);
}

/* --- the tree ------------------------------------------------------------- */

/* The node after n in document order (pre-order), descending only into
 * elements; NULL at the end.  Iterative, so depth costs no stack. */
static xmlNodePtr walk_next(xmlDocPtr doc, xmlNodePtr n)
{
	if (n->type == XML_ELEMENT_NODE && n->children)
		return n->children;
	while (n && n != (xmlNodePtr)doc) {
		if (n->next)
			return n->next;
		n = n->parent;
	}
	return NULL;
}

/* One element whose links are wanted: a tree node (lib/html-links.c's
 * walk), or a name and attribute pairs (lib/html-scan.c's scanner). */
struct html_el {
	const char *name;
	xmlNodePtr node;            /* NULL: use atts */
	const char *const *atts;    /* name, value, ..., NULL; a value may be NULL */
};

/* Where visit() puts the references it finds: resolved at once into ls
 * against base (tree: the base is known before the walk), or kept raw in
 * refs until the end of the scan (html-scan.c). */
struct ref_out {
	struct linkset *ls;
	const char *base;
	struct html_refs *refs;
	unsigned *robots;           /* HTML_ROBOTS_* seen so far on the page */
};

/* The value of attribute name (lower case, as the HTML parser stores
 * names) of element n, or NULL when absent.  Usually points into the tree;
 * when libxml2 split the value, a copy is made and put in *owned. */
static const char *attr_get(const struct html_el *el, const char *name, xmlChar **owned)
{
	if (!el->node) {
		/* the first of duplicates, as libxml2 keeps it */
		for (const char *const *a = el->atts; a && a[0]; a += 2)
			if (strcmp(a[0], name) == 0)
				return a[1] ? a[1] : "";
		return NULL;
	}
	for (xmlAttrPtr a = el->node->properties; a; a = a->next) {
		xmlNodePtr c = a->children;

		if (strcmp((const char *)a->name, name) != 0)
			continue;
		if (!c)
			return "";
		if (c->type == XML_TEXT_NODE && !c->next)
			return c->content ? (const char *)c->content : "";
		*owned = xmlNodeListGetString(el->node->doc, c, 1);
		return *owned ? (const char *)*owned : "";
	}
	return NULL;
}

/* Keep a raw reference for later (html-scan.c). */
static int refs_add(struct html_refs *refs, const char *ref, size_t n)
{
	char *s;

	if (refs->n == refs->cap) {
		size_t ncap = refs->cap ? refs->cap * 2 : 32;
		char **nv = realloc(refs->v, ncap * sizeof(*nv));
		if (!nv)
			return GATHER_E_NOMEM;
		refs->v = nv;
		refs->cap = ncap;
	}
	if (!(s = strndup(ref, n)))
		return GATHER_E_NOMEM;
	refs->v[refs->n++] = s;
	return 0;
}

static int out_ref_n(struct ref_out *o, const char *ref, size_t n)
{
	return o->refs ? refs_add(o->refs, ref, n) : add_ref(o->ls, o->base, ref, n);
}

static int out_ref(struct ref_out *o, const char *ref)
{
	return out_ref_n(o, ref, strlen(ref));
}

static bool is_ascii_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

/* rel is a set of space-separated tokens, compared ASCII case-insensitively
 * (HTML §4.6.7). */
static bool rel_has(const char *rel, const char *tok)
{
	size_t tl = strlen(tok);

	while (rel && *rel) {
		size_t n = 0;
		while (is_ascii_space(*rel))
			rel++;
		while (rel[n] && !is_ascii_space(rel[n]))
			n++;
		if (n == tl && strncasecmp(rel, tok, n) == 0)
			return true;
		rel += n;
	}
	return false;
}

/* The directives of a <meta name=robots content=...> value: tokens
 * separated by commas or spaces (Google's and wget2's reading), ASCII
 * case-insensitive; "none" is nofollow and noindex. */
static unsigned robots_directives(const char *c)
{
	unsigned f = 0;

	while (c && *c) {
		size_t n = 0;
		while (*c == ',' || is_ascii_space(*c))
			c++;
		while (c[n] && c[n] != ',' && !is_ascii_space(c[n]))
			n++;
		if ((n == 8 && strncasecmp(c, "nofollow", 8) == 0) || (n == 4 && strncasecmp(c, "none", 4) == 0))
			f |= HTML_ROBOTS_NOFOLLOW;
		if ((n == 7 && strncasecmp(c, "noindex", 7) == 0) || (n == 4 && strncasecmp(c, "none", 4) == 0))
			f |= HTML_ROBOTS_NOINDEX;
		c += n;
	}
	return f;
}

/* The URL in a <meta http-equiv=refresh content=...> value, per HTML's
 * "shared declarative refresh steps": time, then ';' or ',', then
 * optionally "url=", then the URL, optionally quoted.  Sets *url and *len;
 * false when there is none. */
static bool refresh_url(const char *c, const char **url, size_t *len)
{
	const char *p = c, *start;
	char quote = 0;

	while (is_ascii_space(*p))
		p++;
	start = p;
	while ((*p >= '0' && *p <= '9') || *p == '.')
		p++;
	if (p == start)
		return false;
	while (is_ascii_space(*p))
		p++;
	if (*p == ';' || *p == ',')
		p++;
	while (is_ascii_space(*p))
		p++;
	if (!*p)
		return false;
	if (strncasecmp(p, "url", 3) == 0) {
		const char *q = p + 3;
		while (is_ascii_space(*q))
			q++;
		if (*q == '=') {
			q++;
			while (is_ascii_space(*q))
				q++;
			p = q;
		}
	}
	if (*p == '"' || *p == '\'')
		quote = *p++;
	start = p;
	while (*p && *p != quote)
		p++;
	*url = start;
	*len = (size_t)(p - start);
	return *len > 0;
}

/* Every URL of a srcset attribute (HTML §4.8.4.3.1): candidates separated
 * by commas, each a URL then optional descriptors. */
static int add_srcset(struct ref_out *o, const char *s)
{
	while (*s) {
		size_t n = 0;
		int rc;

		while (is_ascii_space(*s) || *s == ',')
			s++;
		while (s[n] && !is_ascii_space(s[n]))
			n++;
		if (n == 0)
			break;
		/* "a.png,b.png" without descriptors: a trailing comma ends it */
		rc = out_ref_n(o, s, (s[n - 1] == ',') ? n - 1 : n);
		if (rc < 0)
			return rc;
		s += n;
		while (*s && *s != ',')
			s++;
	}
	return 0;
}

/* Add the links of one element.  Page requisites only when x->assets. */
static int visit(const struct gather_extractor *x, struct ref_out *o, const struct html_el *n)
{
	const char *name = n->name;
	const char *v = NULL, *v2 = NULL;
	xmlChar *own = NULL, *own2 = NULL;
	int rc = 0;

	/* Most elements (div, p, span, li, td, code...) are none of ours:
	 * reject them on the first letter before any string compare. */
	switch (name[0]) {
	case 'a': case 'f': case 'i': case 'l': case 'm': case 's':
		break;
	default:
		return 0;
	}
	if (x->robots_meta && (!strcmp(name, "a") || !strcmp(name, "area") || !strcmp(name, "link"))) {
		/* rel=nofollow: not a link to follow (HTML §4.6.7.15) */
		bool nofollow = rel_has(attr_get(n, "rel", &own2), "nofollow");
		xmlFree(own2);
		own2 = NULL;
		if (nofollow)
			return 0;
	}
	if (!strcmp(name, "a") || !strcmp(name, "area")) {
		v = attr_get(n, "href", &own);
	} else if (!strcmp(name, "frame") || !strcmp(name, "iframe")) {
		v = attr_get(n, "src", &own);
	} else if (!strcmp(name, "link")) {
		const char *rel = attr_get(n, "rel", &own2);
		bool req = rel_has(rel, "stylesheet") || rel_has(rel, "icon");
		if (req ? x->assets : (rel_has(rel, "alternate") || rel_has(rel, "next") ||
		                       rel_has(rel, "prev")))
			v = attr_get(n, "href", &own);
	} else if (!strcmp(name, "meta")) {
		const char *he = attr_get(n, "http-equiv", &own2);
		const char *url;
		size_t len;
		if (he && strcasecmp(he, "refresh") == 0 &&
		    (v2 = attr_get(n, "content", &own)) && refresh_url(v2, &url, &len))
			rc = out_ref_n(o, url, len);
		v2 = NULL;
		if (x->robots_meta) {
			const char *mn;
			xmlFree(own2);
			own2 = NULL;
			if ((mn = attr_get(n, "name", &own2)) && strcasecmp(mn, "robots") == 0) {
				xmlFree(own);
				own = NULL;
				*o->robots |= robots_directives(attr_get(n, "content", &own));
			}
		}
	} else if (x->assets && (!strcmp(name, "img") || !strcmp(name, "source"))) {
		v = attr_get(n, "src", &own);
		v2 = attr_get(n, "srcset", &own2);
	} else if (x->assets && !strcmp(name, "script")) {
		v = attr_get(n, "src", &own);
	}
	if (v && rc == 0)
		rc = out_ref(o, v);
	if (v2 && rc == 0)
		rc = add_srcset(o, v2);
	xmlFree(own);
	xmlFree(own2);
	return rc;
}

/* The first <base href> of the document, resolved against the document's
 * URL; NULL (use doc_url) when there is none or it does not resolve. */
static char *find_base(xmlDocPtr doc, const char *doc_url, int *rc)
{
	*rc = 0;
	for (xmlNodePtr n = doc->children; n; n = walk_next(doc, n)) {
		xmlChar *own = NULL;
		const char *href;
		char *abs = NULL;

		if (n->type != XML_ELEMENT_NODE || strcmp((const char *)n->name, "base") != 0)
			continue;
		struct html_el el = { (const char *)n->name, n, NULL };
		href = attr_get(&el, "href", &own);
		if (!href)
			continue;
		*rc = gather_url_resolve(doc_url, href, &abs);
		xmlFree(own);
		if (*rc != GATHER_E_NOMEM)
			*rc = 0;
		return abs;
	}
	return NULL;
}

static int links_store(const struct gather_extractor *x, struct linkset *lsp, int rc,
                       unsigned robots, struct gather_result *r);

int html_links_extract(const struct gather_extractor *x, xmlDocPtr doc,
                       const char *doc_url, struct gather_result *r)
{
	struct linkset ls = { .norm = x->norm_links };
	char *base_owned = NULL;
	const char *base = doc_url;
	unsigned robots = 0;
	int rc = 0;

	if (doc_url) {
		base_owned = find_base(doc, doc_url, &rc);
		if (base_owned)
			base = base_owned;
	}
	for (xmlNodePtr n = doc->children; n && rc == 0; n = walk_next(doc, n)) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (!r->title && n->name[0] == 't' && strcmp((const char *)n->name, "title") == 0) {
			xmlChar *t = xmlNodeGetContent(n);
			r->title = html_normalize_space(t ? (const char *)t : "");
			xmlFree(t);
			if (!r->title)
				rc = GATHER_E_NOMEM;
		}
		if (base && rc == 0) {
			struct html_el el = { (const char *)n->name, n, NULL };
			struct ref_out o = { &ls, base, NULL, &robots };
			rc = visit(x, &o, &el);
		}
	}
	free(base_owned);
	return links_store(x, &ls, rc, robots, r);
}

/* Hand the set to r (or free it when rc < 0): the first max_links are
 * kept, the count says how many there were.  A page whose robots meta
 * says nofollow gives none (and counts none); noindex is noted. */
static int links_store(const struct gather_extractor *x, struct linkset *lsp, int rc,
                       unsigned robots, struct gather_result *r)
{
	struct linkset ls = *lsp;

	if (rc < 0) {
		set_free(&ls);
		return rc;
	}
	r->noindex = robots & HTML_ROBOTS_NOINDEX;
	if (robots & HTML_ROBOTS_NOFOLLOW) {
		set_free(&ls);
		memset(&ls, 0, sizeof(ls));
	}
	gather_url_base_free(ls.pbase);
	r->n_links_found = ls.n;
	while (ls.n > x->max_links) {
		ls.n--;
		pair_free(ls.v[ls.n], ls.norm ? ls.nv[ls.n] : NULL);
	}
	free(ls.tab);
	if (ls.norm) {
		/* the normalized forms, those that have one, in order */
		size_t k = 0;
		for (size_t i = 0; i < ls.n; i++) {
			if (ls.nv[i] != ls.v[i])
				free(ls.v[i]);
			if (ls.nv[i])
				ls.nv[k++] = ls.nv[i];
		}
		free(ls.v);
		ls.v = ls.nv;
		ls.n = k;
	}
	if (ls.n == 0) {
		free(ls.v);
		ls.v = NULL;
	}
	r->links.v = ls.v;
	r->links.n = ls.n;
	return 0;
}

/* --- without a tree (html-scan.c) ------------------------------------------ */

int html_refs_element(const struct gather_extractor *x, struct html_refs *refs,
                      const char *name, const char *const *atts)
{
	struct html_el el = { name, NULL, atts };
	struct ref_out o = { NULL, NULL, refs, &refs->robots };

	/* the first <base> with an href, as find_base takes it */
	if (!refs->base && name[0] == 'b' && strcmp(name, "base") == 0) {
		const char *href = attr_get(&el, "href", NULL);
		if (href && !(refs->base = strdup(href)))
			return GATHER_E_NOMEM;
	}
	return visit(x, &o, &el);
}

void html_refs_clear(struct html_refs *refs)
{
	for (size_t i = 0; i < refs->n; i++)
		free(refs->v[i]);
	free(refs->v);
	free(refs->base);
	memset(refs, 0, sizeof(*refs));
}

int html_refs_finish(const struct gather_extractor *x, struct html_refs *refs,
                     const char *doc_url, struct gather_result *r)
{
	struct linkset ls = { .norm = x->norm_links };
	char *base_owned = NULL;
	const char *base = doc_url;
	unsigned robots = refs->robots;
	int rc = 0;

	if (doc_url) {
		if (refs->base) {
			rc = gather_url_resolve(doc_url, refs->base, &base_owned);
			if (rc != GATHER_E_NOMEM)
				rc = 0;
			if (base_owned)
				base = base_owned;
		}
		for (size_t i = 0; i < refs->n && rc == 0; i++)
			rc = add_ref(&ls, base, refs->v[i], strlen(refs->v[i]));
	}
	free(base_owned);
	html_refs_clear(refs);
	return links_store(x, &ls, rc, robots, r);
}
