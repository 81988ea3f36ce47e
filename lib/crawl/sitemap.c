/* sitemap.c — see sitemap.h. */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/xmlreader.h>
#include <zlib.h>

#include "gather/error.h"
#include "crawl/sitemap.h"

/* Called by gather_sitemap_parse for gzip input: inflates into a new
 * buffer of at most max bytes (*truncated set if there was more). */
static int gunzip(const unsigned char *in, size_t len, size_t max, char **ret,
                  size_t *ret_len, bool *truncated)
{
	z_stream z;
	memset(&z, 0, sizeof z);
	if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
		return GATHER_E_NOMEM;
	size_t cap = len * 4 < max ? len * 4 + 64 : max + 1, n = 0;
	char *out = malloc(cap);
	int rc = out ? 0 : GATHER_E_NOMEM;
	z.next_in = (unsigned char *)in;
	z.avail_in = len > UINT32_MAX ? UINT32_MAX : (uInt)len;
	while (!rc) {
		if (n == cap) {
			if (cap > max) {   /* one byte past max arrived: cut */
				*truncated = true;
				n = max;
				break;
			}
			size_t ncap = cap * 2 > max + 1 ? max + 1 : cap * 2;
			char *o = realloc(out, ncap);
			if (!o) {
				rc = GATHER_E_NOMEM;
				break;
			}
			out = o;
			cap = ncap;
		}
		z.next_out = (unsigned char *)out + n;
		z.avail_out = (uInt)(cap - n);
		int zr = inflate(&z, Z_NO_FLUSH);
		n = cap - z.avail_out;
		if (zr == Z_STREAM_END)
			break;
		if (zr == Z_BUF_ERROR && z.avail_in == 0) {
			*truncated = true;   /* stream cut short: keep what came */
			break;
		}
		if (zr != Z_OK && zr != Z_BUF_ERROR)
			rc = zr == Z_MEM_ERROR ? GATHER_E_NOMEM : GATHER_E_DECODE;
	}
	inflateEnd(&z);
	if (n > max) {
		n = max;
		*truncated = true;
	}
	if (rc) {
		free(out);
		return rc;
	}
	*ret = out;
	*ret_len = n;
	return 0;
}

/* Keeps u[0..n) trimmed, unless it holds a NUL byte: no URL does, and
 * cutting it there would keep the spaces before the NUL.  0, 1 (the limit:
 * stop) or GATHER_E_NOMEM. */
static int push_url(struct gather_sitemap *s, size_t max_urls, const char *u, size_t n)
{
	if (memchr(u, '\0', n))
		return 0;
	while (n && isspace((unsigned char)*u))
		u++, n--;
	while (n && isspace((unsigned char)u[n - 1]))
		n--;
	if (!n)
		return 0;
	if (s->n >= max_urls) {
		s->truncated = true;
		return 1;   /* stop */
	}
	if ((s->n & (s->n - 1)) == 0) {   /* grow at powers of two */
		char **v = realloc(s->urls, (s->n ? s->n * 2 : 1) * sizeof *v);
		if (!v)
			return GATHER_E_NOMEM;
		s->urls = v;
	}
	char *c = strndup(u, n);
	if (!c)
		return GATHER_E_NOMEM;
	s->urls[s->n++] = c;
	return 0;
}

/* The plain-text form: one absolute http(s) URL per line. */
static int parse_text(const char *p, size_t len, size_t max_urls, struct gather_sitemap *s)
{
	for (size_t i = 0; i < len;) {
		size_t e = i;
		while (e < len && p[e] != '\n' && p[e] != '\r')
			e++;
		const char *l = p + i;
		size_t n = e - i;
		while (n && isspace((unsigned char)*l))
			l++, n--;
		if ((n > 7 && strncasecmp(l, "http://", 7) == 0) ||
		    (n > 8 && strncasecmp(l, "https://", 8) == 0)) {
			int rc = push_url(s, max_urls, l, n);
			if (rc)
				return rc < 0 ? rc : 0;
		}
		i = e + 1;
	}
	return s->n ? 0 : GATHER_E_BAD_RESPONSE;
}

/* Called by libxml2 for parse errors: we keep quiet (lib/ never prints)
 * and just note that the document was broken. */
static void xml_error(void *arg, const char *msg, xmlParserSeverities sev,
                      xmlTextReaderLocatorPtr loc)
{
	(void)msg;
	(void)loc;
	if (sev == XML_PARSER_SEVERITY_ERROR)
		*(bool *)arg = true;
}

static int parse_xml(const char *p, size_t len, size_t max_urls, struct gather_sitemap *s)
{
	if (len > INT32_MAX)
		len = INT32_MAX;
	/* No XML_PARSE_NOENT / DTDLOAD / DTDATTR: entities are not expanded
	 * from outside, and NONET keeps libxml2 off the network. */
	xmlTextReaderPtr r = xmlReaderForMemory(p, (int)len, NULL, NULL,
	                                        XML_PARSE_NONET | XML_PARSE_NOERROR |
	                                        XML_PARSE_NOWARNING | XML_PARSE_COMPACT);
	if (!r)
		return GATHER_E_NOMEM;
	bool broken = false;
	xmlTextReaderSetErrorHandler(r, xml_error, &broken);
	int root = 0;   /* 0 unknown, 1 urlset, 2 sitemapindex, -1 other */
	int rc = 0, ret;
	while (!rc && (ret = xmlTextReaderRead(r)) == 1) {
		if (xmlTextReaderNodeType(r) != XML_READER_TYPE_ELEMENT)
			continue;
		const char *name = (const char *)xmlTextReaderConstLocalName(r);
		int depth = xmlTextReaderDepth(r);
		if (!name)
			continue;
		if (depth == 0) {
			root = strcmp(name, "urlset") == 0 ? 1
			     : strcmp(name, "sitemapindex") == 0 ? 2 : -1;
			if (root < 0)
				break;
			continue;
		}
		/* <urlset><url><loc> or <sitemapindex><sitemap><loc> */
		if (depth != 2 || strcmp(name, "loc") != 0)
			continue;
		xmlChar *text = xmlTextReaderReadString(r);
		if (text) {
			int pr = push_url(s, max_urls, (const char *)text, strlen((char *)text));
			xmlFree(text);
			if (pr)
				rc = pr < 0 ? pr : 1;
		}
	}
	if (rc == 0 && ret < 0)
		broken = true;
	xmlFreeTextReader(r);
	if (rc < 0)
		return rc;
	if (root <= 0)
		return GATHER_E_BAD_RESPONSE;
	s->index = root == 2;
	if (broken)
		s->truncated = true;
	return 0;
}

int gather_sitemap_parse(const void *body, size_t len, size_t max_bytes, size_t max_urls,
                         struct gather_sitemap *ret)
{
	if (!body)
		return GATHER_E_BAD_RESPONSE;
	if (!max_bytes)
		max_bytes = GATHER_SITEMAP_MAX_BYTES;
	if (!max_urls)
		max_urls = GATHER_SITEMAP_MAX_URLS;
	struct gather_sitemap s = { 0 };
	const unsigned char *b = body;
	char *plain = NULL;
	if (len >= 2 && b[0] == 0x1f && b[1] == 0x8b) {
		int rc = gunzip(b, len, max_bytes, &plain, &len, &s.truncated);
		if (rc)
			return rc;
		b = (const unsigned char *)plain;
	} else if (len > max_bytes) {
		len = max_bytes;
		s.truncated = true;
	}
	size_t i = 0;
	if (len >= 3 && memcmp(b, "\xef\xbb\xbf", 3) == 0)
		i = 3;
	while (i < len && isspace(b[i]))
		i++;
	int rc = i < len && b[i] == '<'
	       ? parse_xml((const char *)b, len, max_urls, &s)
	       : parse_text((const char *)b + i, len - i, max_urls, &s);
	free(plain);
	if (rc) {
		gather_sitemap_clear(&s);
		return rc;
	}
	*ret = s;
	return 0;
}

void gather_sitemap_clear(struct gather_sitemap *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->urls[i]);
	free(s->urls);
	memset(s, 0, sizeof *s);
}
