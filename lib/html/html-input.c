/* html-input.c — what libxml2's HTML parser is given: the encoding, decided
 * here once (so libxml2 never switches on its own half-way through), and
 * the bytes, cleaned of what makes libxml2 2.9 misbehave:
 *
 *  - A NUL byte between markup ends libxml2's parse (the rest of the page,
 *    links included, would be lost): NULs become spaces.
 *  - A start tag's attributes are checked for duplicates pairwise, so one
 *    tag with N attributes costs N²/2 compares (100k attributes, 1 MB of
 *    input: ~20 s): a start tag is cut (a '>' put in) after HTML_MAX_ATTRS.
 *
 * The encoding (after WHATWG Encoding and HTML §13.2.3): a BOM; else the
 * Content-Type charset; else a body that is valid UTF-8 (or ASCII) is
 * UTF-8; else a <meta> charset in the first 1024 bytes; else
 * windows-1252.  Encodings where ASCII bytes do not mean ASCII (UTF-7,
 * ISO-2022-*, HZ, EBCDIC, UTF-32) are not honoured, as browsers do not:
 * the scan for long tags below reads bytes (or UTF-16 units) as ASCII, and
 * that must be what libxml2 then sees.
 *
 * Runs on a worker thread; pure apart from malloc. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/encoding.h>

#include "gather/error.h"
#include "html/html-internal.h"
#include "util/utf8.h"

/* --- the encoding --------------------------------------------------------- */

/* The charset= parameter of a Content-Type value into buf (token chars
 * only, quotes removed); false when absent or implausible. */
bool html_ctype_charset(const char *ct, char *buf, size_t buflen)
{
	const char *p;
	size_t n = 0;

	if (!ct)
		return false;
	for (p = strchr(ct, ';'); p; p = strchr(p + 1, ';')) {
		const char *q = p + 1;
		while (*q == ' ' || *q == '\t')
			q++;
		if (strncasecmp(q, "charset", 7) != 0)
			continue;
		q += 7;
		while (*q == ' ' || *q == '\t')
			q++;
		if (*q != '=')
			continue;
		q++;
		while (*q == ' ' || *q == '\t')
			q++;
		if (*q == '"')
			q++;
		while (q[n] && (q[n] == '-' || q[n] == '_' || q[n] == '.' || q[n] == ':' ||
		                (q[n] >= '0' && q[n] <= '9') || (q[n] >= 'a' && q[n] <= 'z') ||
		                (q[n] >= 'A' && q[n] <= 'Z')))
			n++;
		if (n == 0 || n >= buflen)
			return false;
		memcpy(buf, q, n);
		buf[n] = '\0';
		return true;
	}
	return false;
}

/* Whether label names an encoding we let libxml2 use: one it knows, in
 * which every ASCII byte means that ASCII character (or UTF-16).  May
 * rewrite label ("utf-16" means little-endian without a BOM). */
static bool usable_encoding(char *label, size_t cap)
{
	static const char *const refused[] = {
		"utf-7", "utf7", "utf-32", "utf32", "ucs-4", "ucs4", "iso-2022", "csiso2022",
		"hz", "ebcdic", "cp037", "ibm037", "cp500", "ibm500", "cp1026", "ibm1026",
		"cp875", "x-imap4", "unicode-1-1-utf-7",
	};
	xmlCharEncodingHandlerPtr h;

	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		if (strncasecmp(label, refused[i], strlen(refused[i])) == 0)
			return false;
	if (strcasecmp(label, "utf-16") == 0 || strcasecmp(label, "utf16") == 0)
		snprintf(label, cap, "UTF-16LE");
	h = xmlFindCharEncodingHandler(label);
	if (!h)
		return false;
	xmlCharEncCloseFunc(h);
	return true;
}

/* Whether b is valid UTF-8 (pure ASCII included): then it is read as
 * UTF-8, whatever a <meta> may claim.  Text that is not UTF-8 almost never
 * happens to form valid sequences, and ASCII reads the same in every
 * encoding we accept, so UTF-8's fast path in libxml2 serves it. */
bool html_is_utf8(const char *b, size_t n)
{
	const unsigned char *u = (const unsigned char *)b;

	for (size_t i = 0; i < n;) {
		uint64_t w;
		size_t l;
		if (i + 8 <= n) {  /* eight ASCII bytes at a time */
			memcpy(&w, u + i, 8);
			if (!(w & 0x8080808080808080ull)) {
				i += 8;
				continue;
			}
		}
		if (u[i] < 0x80) {
			i++;
			continue;
		}
		if (!(l = gather_utf8_seq(u + i, n - i)))
			return false;
		i += l;
	}
	return true;
}

/* A charset named by a <meta> in the first 1024 bytes (a simplified form of
 * HTML's "prescan a byte stream to determine its encoding": the first
 * "charset" inside a <meta ...> tag, as charset=... or in content=). */
static bool meta_charset(const char *b, size_t n, char *buf, size_t buflen)
{
	size_t end = n < 1024 ? n : 1024;

	for (size_t i = 0; i + 5 < end; i++) {
		size_t j, k = 0;
		if (b[i] != '<' || strncasecmp(b + i + 1, "meta", 4) != 0)
			continue;
		for (j = i + 5; j + 7 < end && b[j] != '>'; j++) {
			if (strncasecmp(b + j, "charset", 7) != 0)
				continue;
			j += 7;
			while (j < end && (b[j] == ' ' || b[j] == '\t' || b[j] == '\n' || b[j] == '\r'))
				j++;
			if (j >= end || b[j] != '=')
				break;
			j++;
			while (j < end && (b[j] == ' ' || b[j] == '"' || b[j] == '\''))
				j++;
			while (j + k < end && k + 1 < buflen &&
			       (b[j + k] == '-' || b[j + k] == '_' || b[j + k] == '.' || b[j + k] == ':' ||
			        (b[j + k] >= '0' && b[j + k] <= '9') || (b[j + k] >= 'a' && b[j + k] <= 'z') ||
			        (b[j + k] >= 'A' && b[j + k] <= 'Z')))
				k++;
			if (k == 0)
				break;
			memcpy(buf, b + j, k);
			buf[k] = '\0';
			return true;
		}
	}
	return false;
}

/* Sets in->encoding (into in->label when it is not a constant); returns
 * the size of one code unit as the long-tag scan must read it (1, or 2 for
 * UTF-16) and whether units are big-endian. */
static int choose_encoding(const struct gather_result *r, struct html_input *in, bool *be)
{
	const unsigned char *u = (const unsigned char *)in->data;
	size_t n = in->len;

	*be = false;
	if (n >= 3 && u[0] == 0xEF && u[1] == 0xBB && u[2] == 0xBF) {
		in->encoding = "UTF-8";
		return 1;
	}
	if (n >= 2 && ((u[0] == 0xFE && u[1] == 0xFF) || (u[0] == 0xFF && u[1] == 0xFE))) {
		*be = u[0] == 0xFE;
		in->encoding = *be ? "UTF-16BE" : "UTF-16LE";
		return 2;
	}
	if (html_ctype_charset(r->content_type, in->label, sizeof(in->label)) &&
	    usable_encoding(in->label, sizeof(in->label))) {
		in->encoding = in->label;
		if (strncasecmp(in->label, "utf-16", 6) == 0 || strncasecmp(in->label, "utf16", 5) == 0) {
			*be = strcasestr(in->label, "be") != NULL;
			return 2;
		}
		return 1;
	}
	if (html_is_utf8(in->data, n)) {
		in->encoding = "UTF-8";
		return 1;
	}
	/* A <meta> claiming UTF-16 in an ASCII-readable page is wrong:
	 * HTML says use UTF-8 then. */
	if (meta_charset(in->data, n, in->label, sizeof(in->label)) &&
	    usable_encoding(in->label, sizeof(in->label))) {
		in->encoding = strncasecmp(in->label, "utf-16", 6) == 0 ? "UTF-8" : in->label;
		return 1;
	}
	in->encoding = "windows-1252";
	return 1;
}

/* --- cleaning ----------------------------------------------------------- */

static int ensure_copy(struct html_input *in)
{
	if (in->copy)
		return 0;
	in->copy = malloc(in->len ? in->len : 1);
	if (!in->copy)
		return GATHER_E_NOMEM;
	memcpy(in->copy, in->data, in->len);
	in->data = in->copy;
	return 0;
}

/* The body read as code units of `unit` bytes: the ASCII character a unit
 * stands for, or 0x100 for anything else. */
struct units {
	const unsigned char *b;
	size_t n;      /* units */
	int unit;
	bool be;
};

static unsigned unit_at(const struct units *s, size_t i)
{
	if (s->unit == 1)
		return s->b[i];
	const unsigned char *p = s->b + 2 * i;
	unsigned hi = s->be ? p[0] : p[1], lo = s->be ? p[1] : p[0];
	return hi == 0 && lo < 0x80 ? lo : 0x100;
}

static bool is_blank(unsigned c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool is_letter(unsigned c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* libxml2's htmlParseHTMLName: first character, then the rest, at most
 * HTML_PARSER_BUFFER_SIZE (100) of them; the next call goes on from
 * there. */
#define HTML_NAME_MAX 100

static bool name_start(unsigned c)
{
	return is_letter(c) || c == '_' || c == ':' || c == '.';
}

static bool name_char(unsigned c)
{
	return name_start(c) || (c >= '0' && c <= '9') || c == '-';
}

/* Walk every start tag the way libxml2 2.9's htmlParseStartTag reads it
 * (name, then attributes: NAME, optional = and a quoted or bare value;
 * garbage skipped to the next blank or '>'; names read 100 characters at a
 * time, each piece an attribute of its own), and where a tag reaches
 * HTML_MAX_ATTRS + 1 attributes, put a '>' at the start of that attribute.
 * Up to there libxml2 reads the same as this scan, so the scan goes on in
 * step with it: one pass, linear.  Markup inside comments and scripts is
 * scanned as if it were tags: at worst an absurd script gets a '>'. */
static int cut_long_tags(struct html_input *in, int unit, bool be)
{
	struct units s = { (const unsigned char *)in->data, in->len / (size_t)unit, unit, be };
	size_t i = 0, n = s.n;

	while (i < n) {
		unsigned attrs = 0;
		size_t k;

		if (unit == 1) {
			const unsigned char *lt = memchr(s.b + i, '<', n - i);
			if (!lt)
				break;
			i = (size_t)(lt - s.b);
		} else if (unit_at(&s, i) != '<') {
			i++;
			continue;
		}
		if (i + 1 >= n || !is_letter(unit_at(&s, i + 1))) {
			i++;
			continue;
		}
		/* the element name: at most HTML_NAME_MAX characters; what
		 * follows it without a blank is read as attributes */
		for (i++, k = 0; i < n && k < HTML_NAME_MAX && name_char(unit_at(&s, i)); i++, k++)
			;
		for (;;) {
			unsigned c;
			while (i < n && is_blank(unit_at(&s, i)))
				i++;
			if (i >= n)
				break;
			c = unit_at(&s, i);
			if (c == '>') {
				i++;
				break;
			}
			if (c == '/' && i + 1 < n && unit_at(&s, i + 1) == '>') {
				i += 2;
				break;
			}
			if (!name_start(c)) {
				while (i < n && !is_blank(c = unit_at(&s, i)) && c != '>' &&
				       !(c == '/' && i + 1 < n && unit_at(&s, i + 1) == '>'))
					i++;
				continue;
			}
			/* a name longer than HTML_NAME_MAX is several attributes */
			do {
				if (++attrs > HTML_MAX_ATTRS)
					break;
				for (k = 0; i < n && k < HTML_NAME_MAX && name_char(unit_at(&s, i)); i++, k++)
					;
			} while (k == HTML_NAME_MAX && i < n && name_start(unit_at(&s, i)));
			if (attrs > HTML_MAX_ATTRS) {
				if (ensure_copy(in) < 0)
					return GATHER_E_NOMEM;
				s.b = (const unsigned char *)in->data;
				/* the unit is ASCII: its low byte becomes '>' */
				in->copy[unit == 1 ? i : 2 * i + (be ? 1 : 0)] = '>';
				in->tags_cut++;
				i++;
				break;
			}
			while (i < n && is_blank(unit_at(&s, i)))
				i++;
			if (i < n && unit_at(&s, i) == '=') {
				for (i++; i < n && is_blank(unit_at(&s, i)); i++)
					;
				c = i < n ? unit_at(&s, i) : 0;
				if (c == '"' || c == '\'') {
					for (i++; i < n && unit_at(&s, i) != c; i++)
						;
					if (i < n)
						i++;
				} else {
					while (i < n && !is_blank(c = unit_at(&s, i)) && c != '>')
						i++;
				}
			}
		}
	}
	return 0;
}

int html_input_prepare(const struct gather_result *r, struct html_input *in)
{
	bool be;
	int unit;

	memset(in, 0, sizeof(*in));
	in->data = r->body.data;
	in->len = r->body.len;
	unit = choose_encoding(r, in, &be);
	/* NULs are only a problem in byte encodings; in UTF-16 they are half
	 * of every ASCII character. */
	if (unit == 1 && memchr(in->data, 0, in->len)) {
		if (ensure_copy(in) < 0)
			return GATHER_E_NOMEM;
		for (size_t i = 0; i < in->len; i++)
			if (!in->copy[i])
				in->copy[i] = ' ';
	}
	if (cut_long_tags(in, unit, be) < 0) {
		html_input_clear(in);
		return GATHER_E_NOMEM;
	}
	return 0;
}

void html_input_clear(struct html_input *in)
{
	free(in->copy);
	in->copy = NULL;
	in->data = NULL;
}
