/* html-scan.c — the title and links of an ordinary HTML page without
 * building a libxml2 tree.
 *
 * Crawling without --extract only needs the title and the links, and
 * libxml2's HTML parser (a tree of every text run and attribute, then a
 * walk) costs about ten times a plain scan of the bytes.  This scan reads
 * start tags, end tags, comments, the doctype, character references and
 * <script>/<style> raw text the way libxml2 2.9's HTMLparser.c does with
 * HTML_PARSE_RECOVER, and hands each element to html-links.c's visit()
 * (html_refs_element), so both paths choose the same links.  It only takes
 * pages it can read exactly like libxml2: UTF-8 (by charset or by being
 * valid UTF-8, as html-input.c decides), no NUL bytes, and on anything
 * unusual — a bogus attribute, an unterminated comment, tag or script, a
 * character reference libxml2 would treat specially, markup inside
 * <title>, a processing instruction, <![CDATA[, deep nesting — it gives
 * up and the page goes to libxml2 (tests/test_html.c checks both paths
 * agree on tricky pages).
 *
 * Runs on a worker thread; pure apart from malloc. */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/HTMLparser.h>

#include "gather/error.h"
#include "html/html-internal.h"

/* Open elements counted (void ones not): past this libxml2 decides (its
 * own cut is 256 levels; unclosed <p> and <li> make this count high, so
 * the scan gives up early rather than late). */
#define SCAN_MAX_DEPTH 200
/* Attributes kept on one element we take links from; more: libxml2. */
#define SCAN_MAX_ATTS 32
/* libxml2 reads names 100 characters at a time (htmlParseHTMLName). */
#define SCAN_NAME_MAX 100
/* Attributes on any one tag; more: libxml2 (html-input.c cuts a tag at
 * HTML_MAX_ATTRS, and what follows the cut is text to the tree, so a tag
 * near that many attributes is the tree's to read). */
#define SCAN_MAX_TAG_ATTS 256

/* A result of a scan step: go on, give the page to libxml2, or OOM. */
enum { SCAN_OK = 0, SCAN_GIVE_UP = 1 };

struct sbuf {
	char *d;
	size_t n, cap;
};

static int sb_put(struct sbuf *b, const char *s, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		char *d;
		while (cap < b->n + n + 1)
			cap *= 2;
		if (!(d = realloc(b->d, cap)))
			return GATHER_E_NOMEM;
		b->d = d;
		b->cap = cap;
	}
	memcpy(b->d + b->n, s, n);
	b->n += n;
	b->d[b->n] = '\0';
	return 0;
}

struct scan {
	const struct gather_extractor *x;
	const char *p, *end;
	struct html_refs refs;
	struct sbuf title;     /* raw text of the first <title>, decoded */
	bool in_title, have_title;
	/* open elements (hashes of their names), as libxml2's name stack
	 * would hold them or more: void and self-closed ones are not pushed,
	 * an end tag pops to its element when it is open, else is ignored */
	uint64_t open[SCAN_MAX_DEPTH];
	unsigned depth;
	struct sbuf attv;      /* the current tag's names and values, NUL-separated */
	size_t atto[2 * SCAN_MAX_ATTS];
	size_t natt;
	bool attbare[SCAN_MAX_ATTS];
};

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';  /* IS_BLANK_CH */
}

static bool is_letter(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool name_start(char c)
{
	return is_letter(c) || c == '_' || c == ':' || c == '.';
}

static bool name_char(char c)
{
	return name_start(c) || is_digit(c) || c == '-';
}

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
}

/* An HTML name at s->p (libxml2's htmlParseHTMLName, lower-cased) into
 * buf; false (give up) when it does not start a name or reaches the
 * 100-character piece size. */
static bool read_name(struct scan *s, char *buf)
{
	size_t k = 0;

	if (s->p >= s->end || !name_start(*s->p))
		return false;
	while (s->p < s->end && name_char(*s->p)) {
		if (k + 1 >= SCAN_NAME_MAX)
			return false;
		buf[k++] = lower(*s->p++);
	}
	buf[k] = '\0';
	return s->p < s->end;
}

static size_t utf8_put(unsigned cp, char *o)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xC0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xE0 | cp >> 12);
		o[1] = (char)(0x80 | (cp >> 6 & 0x3F));
		o[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	o[0] = (char)(0xF0 | cp >> 18);
	o[1] = (char)(0x80 | (cp >> 12 & 0x3F));
	o[2] = (char)(0x80 | (cp >> 6 & 0x3F));
	o[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

/* A reference at q ('&'): what libxml2's htmlParseCharRef /
 * htmlParseEntityRef make of it, appended to b; *q moves past it.  Gives up
 * on a numeric reference without ';' or with a value libxml2 refuses, and
 * on a name that runs into non-ASCII (libxml2's names take letters beyond
 * ASCII). */
static int decode_ref(const char **q, const char *end, struct sbuf *b)
{
	const char *p = *q + 1;
	char out[8];

	if (p < end && *p == '#') {
		unsigned long v = 0;
		bool hex = p + 1 < end && (p[1] == 'x' || p[1] == 'X');
		const char *d = p + (hex ? 2 : 1), *e = d;
		for (; e < end && e - d < 8; e++) {
			int dv = is_digit(*e) ? *e - '0' : !hex ? -1 :
			         (*e >= 'a' && *e <= 'f') ? *e - 'a' + 10 :
			         (*e >= 'A' && *e <= 'F') ? *e - 'A' + 10 : -1;
			if (dv < 0)
				break;
			v = v * (hex ? 16 : 10) + (unsigned long)dv;
		}
		if (e == d || e >= end || *e != ';')
			return SCAN_GIVE_UP;
		/* libxml2's IS_CHAR; anything else it drops or cuts at */
		if (!(v == 0x9 || v == 0xA || v == 0xD || (v >= 0x20 && v <= 0xD7FF) ||
		      (v >= 0xE000 && v <= 0xFFFD) || (v >= 0x10000 && v <= 0x10FFFF)))
			return SCAN_GIVE_UP;
		*q = e + 1;
		return sb_put(b, out, utf8_put((unsigned)v, out));
	}
	/* a name: XML Name characters, ASCII only here */
	const char *e = p;
	char name[40];
	if (e < end && (is_letter(*e) || *e == '_' || *e == ':'))
		while (e < end && (name_char(*e)) && e - p < (long)sizeof(name) - 1)
			e++;
	/* the value or text ends at a quote or '<': no name goes on past it */
	if ((e < end && (unsigned char)*e >= 0x80) || e - p >= (long)sizeof(name) - 1)
		return SCAN_GIVE_UP;
	if (e == p) {                       /* no name: a plain '&' */
		*q = p;
		return sb_put(b, "&", 1);
	}
	memcpy(name, p, (size_t)(e - p));
	name[e - p] = '\0';
	if (e < end && *e == ';') {
		const htmlEntityDesc *ent = htmlEntityLookup((const xmlChar *)name);
		if (ent) {
			*q = e + 1;
			return sb_put(b, out, utf8_put(ent->value, out));
		}
	}
	/* unknown, or no ';': the text as it was (a ';' stays after it) */
	const char *amp = *q;
	*q = e;
	return sb_put(b, amp, (size_t)(e - amp));
}

/* Append p..e to b with references decoded. */
static int put_text(struct sbuf *b, const char *p, const char *e)
{
	while (p < e) {
		const char *amp = memchr(p, '&', (size_t)(e - p));
		int rc = sb_put(b, p, (size_t)((amp ? amp : e) - p));
		if (rc || !amp)
			return rc;
		p = amp;
		if ((rc = decode_ref(&p, e, b)) != 0)
			return rc;
	}
	return 0;
}

static uint64_t name_hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;  /* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

/* What the scan needs to know of an element name. */
enum {
	EL_WANTED = 1,   /* html-links.c's visit() may take links from it (or <base>) */
	EL_VOID = 2,     /* no end tag: never on the open-element stack */
	EL_RAW = 4,      /* <script>, <style>: raw text */
	EL_TITLE = 8,
};

/* Most names (div, p, li, span, td...) are none of these: a switch on the
 * first letter rejects them before any compare. */
static unsigned classify(const char *n)
{
	switch (n[0]) {
	case 'a':
		return !strcmp(n, "a") ? EL_WANTED : !strcmp(n, "area") ? EL_WANTED | EL_VOID : 0;
	case 'b':
		return !strcmp(n, "base") ? EL_WANTED | EL_VOID : !strcmp(n, "br") ? EL_VOID : 0;
	case 'c':
		return !strcmp(n, "col") ? EL_VOID : 0;
	case 'e':
		return !strcmp(n, "embed") ? EL_VOID : 0;
	case 'f':
		return !strcmp(n, "frame") ? EL_WANTED : 0;
	case 'h':
		return !strcmp(n, "hr") ? EL_VOID : 0;
	case 'i':
		return !strcmp(n, "iframe") ? EL_WANTED : !strcmp(n, "img") ? EL_WANTED | EL_VOID :
		       !strcmp(n, "input") ? EL_VOID : 0;
	case 'l':
		return !strcmp(n, "link") ? EL_WANTED | EL_VOID : 0;
	case 'm':
		return !strcmp(n, "meta") ? EL_WANTED | EL_VOID : 0;
	case 'p':
		return !strcmp(n, "param") ? EL_VOID : 0;
	case 's':
		return !strcmp(n, "script") ? EL_WANTED | EL_RAW : !strcmp(n, "style") ? EL_RAW :
		       !strcmp(n, "source") ? EL_WANTED | EL_VOID : 0;
	case 't':
		return !strcmp(n, "title") ? EL_TITLE : !strcmp(n, "track") ? EL_VOID : 0;
	case 'w':
		return !strcmp(n, "wbr") ? EL_VOID : 0;
	default:
		return 0;
	}
}

/* The attributes of a start tag after its name, as htmlParseStartTag reads
 * them, up to and past '>' or "/>" (*selfclose).  Kept (in s->attv) only
 * when keep. */
static int read_attrs(struct scan *s, bool keep, bool *selfclose)
{
	char name[SCAN_NAME_MAX];

	s->attv.n = 0;
	s->natt = 0;
	*selfclose = false;
	for (unsigned seen = 0;; seen++) {
		if (seen > SCAN_MAX_TAG_ATTS)
			return SCAN_GIVE_UP;
		while (s->p < s->end && is_blank(*s->p))
			s->p++;
		if (s->p >= s->end)
			return SCAN_GIVE_UP;
		if (*s->p == '>') {
			s->p++;
			return SCAN_OK;
		}
		if (*s->p == '/' && s->p + 1 < s->end && s->p[1] == '>') {
			s->p += 2;
			*selfclose = true;
			return SCAN_OK;
		}
		if (!read_name(s, name))
			return SCAN_GIVE_UP;  /* a bogus attribute */
		while (s->p < s->end && is_blank(*s->p))
			s->p++;
		const char *v = NULL, *ve = NULL;
		if (s->p < s->end && *s->p == '=') {
			for (s->p++; s->p < s->end && is_blank(*s->p); s->p++)
				;
			if (s->p >= s->end)
				return SCAN_GIVE_UP;
			if (*s->p == '"' || *s->p == '\'') {
				const char *q = memchr(s->p + 1, *s->p, (size_t)(s->end - s->p - 1));
				if (!q)
					return SCAN_GIVE_UP;
				v = s->p + 1;
				ve = q;
				s->p = q + 1;
			} else {
				v = s->p;
				while (s->p < s->end && !is_blank(*s->p) && *s->p != '>')
					s->p++;
				ve = s->p;
			}
		}
		if (!keep)
			continue;
		bool dup = false;
		for (size_t i = 0; i < s->natt && !dup; i++)
			dup = strcmp(s->attv.d + s->atto[2 * i], name) == 0;
		if (dup)
			continue;              /* libxml2 keeps the first */
		if (s->natt == SCAN_MAX_ATTS)
			return SCAN_GIVE_UP;
		int rc;
		s->atto[2 * s->natt] = s->attv.n;
		if ((rc = sb_put(&s->attv, name, strlen(name) + 1)) != 0)
			return rc;
		s->atto[2 * s->natt + 1] = s->attv.n;
		s->attbare[s->natt] = !v;
		if (v && (rc = put_text(&s->attv, v, ve)) != 0)
			return rc;
		if ((rc = sb_put(&s->attv, "", 1)) != 0)
			return rc;
		s->natt++;
	}
}

/* <script> and <style> hold raw text up to "</script" / "</style"
 * (htmlParseScript with recovery: the name compared case-insensitively);
 * s->p is left at that end tag. */
static int skip_raw(struct scan *s, const char *name)
{
	size_t n = strlen(name);

	for (const char *q = s->p; q < s->end;) {
		const char *lt = memchr(q, '<', (size_t)(s->end - q));
		if (!lt || lt + 2 + n >= s->end)
			return SCAN_GIVE_UP;
		if (lt[1] == '/' && strncasecmp(lt + 2, name, n) == 0) {
			char c = lt[2 + n];
			if (c != '>' && !is_blank(c))
				return SCAN_GIVE_UP; /* "</scriptx": libxml2 goes odd ways */
			s->p = lt;
			return SCAN_OK;
		}
		q = lt + 1;
	}
	return SCAN_GIVE_UP;
}

static int start_tag(struct scan *s)
{
	char name[SCAN_NAME_MAX];
	bool selfclose, keep;
	unsigned cls;
	int rc;

	s->p++;                          /* '<' */
	if (!read_name(s, name))
		return SCAN_GIVE_UP;
	if (s->in_title)
		return SCAN_GIVE_UP;         /* markup inside <title> */
	cls = classify(name);
	keep = cls & EL_WANTED;
	if ((rc = read_attrs(s, keep, &selfclose)) != 0)
		return rc;
	if (keep) {
		const char *atts[2 * SCAN_MAX_ATTS + 1];
		for (size_t i = 0; i < s->natt; i++) {
			atts[2 * i] = s->attv.d + s->atto[2 * i];
			atts[2 * i + 1] = s->attbare[i] ? NULL : s->attv.d + s->atto[2 * i + 1];
		}
		atts[2 * s->natt] = NULL;
		if ((rc = html_refs_element(s->x, &s->refs, name, atts)) != 0)
			return rc;
	}
	if ((cls & EL_TITLE) && !s->have_title) {
		if (selfclose)
			return SCAN_GIVE_UP;
		s->in_title = true;
	}
	if (!selfclose && (cls & EL_RAW) && (rc = skip_raw(s, name)) != 0)
		return rc;
	if (!selfclose && !(cls & EL_VOID)) {
		if (s->depth == SCAN_MAX_DEPTH)
			return SCAN_GIVE_UP;
		s->open[s->depth++] = name_hash(name);
	}
	return SCAN_OK;
}

static int end_tag(struct scan *s)
{
	char name[SCAN_NAME_MAX];
	const char *gt;

	s->p += 2;                       /* "</" */
	if (!read_name(s, name))
		return SCAN_GIVE_UP;
	/* libxml2 (recovering) skips to the next '>' */
	if (!(gt = memchr(s->p, '>', (size_t)(s->end - s->p))))
		return SCAN_GIVE_UP;
	s->p = gt + 1;
	if (s->in_title) {
		if (strcmp(name, "title") != 0)
			return SCAN_GIVE_UP;     /* might close the title early */
		s->in_title = false;
		s->have_title = true;
	}
	uint64_t h = name_hash(name);
	for (unsigned i = s->depth; i > 0; i--) {
		if (s->open[i - 1] == h) {
			s->depth = i - 1;
			break;
		}
	}
	return SCAN_OK;
}

/* XML's PubidChar: what htmlParsePubidLiteral reads of a public id. */
static bool pubid_char(char c)
{
	return is_letter(c) || is_digit(c) || (c && strchr(" \r\n-'()+,./:=?;!*#@$_%", c));
}

/* A quoted literal at *q (of a doctype's external id); *q moves past it.
 * false when it is not one the way libxml2 reads it. */
static bool doctype_literal(const char **q, const char *e, bool pubid)
{
	const char *p = *q, *c;

	if (p >= e || (*p != '"' && *p != '\''))
		return false;
	if (!(c = memchr(p + 1, *p, (size_t)(e - p - 1))))
		return false;
	for (const char *k = p + 1; pubid && k < c; k++)
		if (!pubid_char(*k) || *k == *p)
			return false;
	*q = c + 1;
	return true;
}

static const char *skip_blanks(const char *q, const char *e)
{
	while (q < e && is_blank(*q))
		q++;
	return q;
}

/* <!DOCTYPE ...> as htmlParseDocTypeDecl reads it: a name, an optional
 * external id (PUBLIC "pubid" ["system"] | SYSTEM "system", where a quote
 * starts a literal), then anything up to the first '>', quotes or not
 * (issue 16: a quote after the name is no literal to libxml2, so
 * `<!DOCTYPE html b 1x"...><a href=...>` ends at the first '>').  A
 * doctype without quotes ends at its first '>' either way; one with quotes
 * in another form goes to libxml2. */
static int doctype(struct scan *s)
{
	const char *p = s->p, *e = s->end, *q = p + 9, *gt;

	if (!(gt = memchr(q, '>', (size_t)(e - q))))
		return SCAN_GIVE_UP;
	if (memchr(q, '<', (size_t)(gt - q)))
		return SCAN_GIVE_UP;
	if (!memchr(q, '"', (size_t)(gt - q)) && !memchr(q, '\'', (size_t)(gt - q))) {
		s->p = gt + 1;
		return SCAN_OK;
	}
	q = skip_blanks(q, e);
	while (q < e && !is_blank(*q) && *q != '>' && *q != '"' && *q != '\'')
		q++;
	q = skip_blanks(q, e);
	if (e - q > 6 && strncasecmp(q, "public", 6) == 0) {
		q = skip_blanks(q + 6, e);
		if (!doctype_literal(&q, e, true))
			return SCAN_GIVE_UP;
		q = skip_blanks(q, e);
		if (q < e && (*q == '"' || *q == '\'') && !doctype_literal(&q, e, false))
			return SCAN_GIVE_UP;
	} else if (e - q > 6 && strncasecmp(q, "system", 6) == 0) {
		q = skip_blanks(q + 6, e);
		if (!doctype_literal(&q, e, false))
			return SCAN_GIVE_UP;
	} else {
		return SCAN_GIVE_UP;
	}
	q = skip_blanks(q, e);
	if (q >= e || *q != '>')
		return SCAN_GIVE_UP;
	s->p = q + 1;
	return SCAN_OK;
}

/* <!-- comment -->, <!DOCTYPE ...>; anything else after "<!" gives up. */
static int markup_decl(struct scan *s)
{
	const char *p = s->p, *e = s->end;

	if (e - p >= 4 && p[2] == '-' && p[3] == '-') {
		/* libxml2 2.9 looks for "-->" after "<!--", so "<!-->" is no end;
		 * leave such oddities to it */
		const char *q, *bang;
		if (e - p < 7 || p[4] == '>' || (p[4] == '-' && p[5] == '>'))
			return SCAN_GIVE_UP;
		if (!(q = memmem(p + 4, (size_t)(e - p - 4), "-->", 3)))
			return SCAN_GIVE_UP;
		/* "--!>" ends a comment too (htmlParseComment: "comment
		 * incorrectly closed"), when it comes first */
		bang = memmem(p + 4, (size_t)(q + 3 - (p + 4)), "--!>", 4);
		s->p = bang ? bang + 4 : q + 3;
		return SCAN_OK;
	}
	if (e - p > 9 && strncasecmp(p, "<!doctype", 9) == 0)
		return doctype(s);
	return SCAN_GIVE_UP;
}

static int scan_body(struct scan *s)
{
	int rc;

	while (s->p < s->end) {
		const char *lt = memchr(s->p, '<', (size_t)(s->end - s->p));
		if (s->in_title && (rc = put_text(&s->title, s->p, lt ? lt : s->end)) != 0)
			return rc;
		if (!lt || lt + 1 >= s->end)
			break;
		s->p = lt;
		char c = lt[1];
		if (is_letter(c))
			rc = start_tag(s);
		else if (c == '/' && lt + 2 < s->end && is_letter(lt[2]))
			rc = end_tag(s);
		else if (c == '!')
			rc = markup_decl(s);
		else if (c == '/' || c == '?' || c == '_' || c == ':' || c == '.')
			rc = SCAN_GIVE_UP;       /* odd end tags, PIs, odd names */
		else {                       /* '<' as text */
			if (s->in_title && (rc = sb_put(&s->title, "<", 1)) != 0)
				return rc;
			s->p++;
			rc = SCAN_OK;
		}
		if (rc)
			return rc;
	}
	return s->in_title ? SCAN_GIVE_UP : SCAN_OK;
}

/* Whether libxml2 would read the body as UTF-8 (html-input.c's choice)
 * and the scan may read it. */
static bool scannable(const struct gather_result *r)
{
	char cs[64];

	/* NUL and the other C0 controls but TAB, LF, FF and CR: libxml2 drops
	 * or replaces them in text (a title "Page\x17" is "Page" in its
	 * tree: found by tests/fuzz/html), so such pages are its to read */
	const unsigned char *b = (const unsigned char *)r->body.data;
	for (size_t i = 0; i < r->body.len; i++)
		if (b[i] < 0x20 && b[i] != '\t' && b[i] != '\n' && b[i] != '\f' && b[i] != '\r')
			return false;
	if (html_ctype_charset(r->content_type, cs, sizeof(cs)) &&
	    strcasecmp(cs, "utf-8") != 0 && strcasecmp(cs, "utf8") != 0)
		return false;
	return html_is_utf8(r->body.data, r->body.len);
}

int html_scan(const struct gather_extractor *x, struct gather_result *r, const char *doc_url)
{
	struct scan s;
	int rc;

	if (x->n_fields || !r->body.data || !scannable(r))
		return 0;
	memset(&s, 0, sizeof(s));
	s.x = x;
	s.p = r->body.data;
	s.end = r->body.data + r->body.len;
	rc = scan_body(&s);
	free(s.attv.d);
	if (rc == 0 && s.have_title &&
	    !(r->title = html_normalize_space(s.title.d ? s.title.d : "")))
		rc = GATHER_E_NOMEM;
	free(s.title.d);
	if (rc != 0) {
		html_refs_clear(&s.refs);
		free(r->title);
		r->title = NULL;
		return rc == SCAN_GIVE_UP ? 0 : rc;
	}
	rc = html_refs_finish(x, &s.refs, doc_url, r);
	return rc < 0 ? rc : 1;
}
