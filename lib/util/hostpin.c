/* hostpin.c — parsing a --resolve entry (hostpin.h). */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <string.h>

#include "util/hostpin.h"
#include "gather/error.h"

/* One address of the list, [v6] or bare, into slot i with port. */
static int add_addr(struct hostpin *p, const char *s, size_t len)
{
	char buf[INET6_ADDRSTRLEN + 2];
	if (len >= 2 && s[0] == '[' && s[len - 1] == ']')
		s++, len -= 2;
	if (len == 0 || len >= sizeof(buf) || p->n >= HOSTPIN_MAX_ADDRS)
		return GATHER_E_INVALID;
	memcpy(buf, s, len);
	buf[len] = 0;
	struct sockaddr_storage *ss = &p->a[p->n];
	memset(ss, 0, sizeof(*ss));
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	if (inet_pton(AF_INET, buf, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(p->port);
		p->len[p->n++] = sizeof(*s4);
	} else if (inet_pton(AF_INET6, buf, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(p->port);
		p->len[p->n++] = sizeof(*s6);
	} else {
		return GATHER_E_INVALID;
	}
	return 0;
}

int hostpin_parse(const char *s, struct hostpin *ret)
{
	struct hostpin p;
	const char *h = s, *end;
	memset(&p, 0, sizeof(p));
	if (!s)
		return GATHER_E_INVALID;
	/* HOST, or [HOST] (an IPv6 literal as the URL's host) */
	if (*s == '[') {
		h = s + 1;
		if (!(end = strchr(h, ']')) || end[1] != ':')
			return GATHER_E_INVALID;
		s = end + 2;
	} else {
		if (!(end = strchr(s, ':')))
			return GATHER_E_INVALID;
		s = end + 1;
	}
	size_t hl = (size_t)(end - h);
	if (hl == 0 || hl > HOSTPIN_MAX_HOST)
		return GATHER_E_INVALID;
	for (size_t i = 0; i < hl; i++) {
		unsigned char c = (unsigned char)h[i];
		if (c <= ' ' || c >= 0x7f || c == '/' || c == '@')
			return GATHER_E_INVALID;
		p.host[i] = (char)tolower(c);
	}
	/* PORT: 1-65535, digits only */
	unsigned long port = 0;
	const char *d = s;
	for (; *s >= '0' && *s <= '9' && s - d < 6; s++)
		port = port * 10 + (unsigned long)(*s - '0');
	if (s == d || *s != ':' || port == 0 || port > 65535)
		return GATHER_E_INVALID;
	p.port = (uint16_t)port;
	s++;
	/* ADDR[,ADDR...] */
	if (!*s)
		return GATHER_E_INVALID;
	for (;;) {
		const char *comma = strchr(s, ',');
		size_t len = comma ? (size_t)(comma - s) : strlen(s);
		if (add_addr(&p, s, len) < 0)
			return GATHER_E_INVALID;
		if (!comma)
			break;
		s = comma + 1;
	}
	*ret = p;
	return 0;
}
