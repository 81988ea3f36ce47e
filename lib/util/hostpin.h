/* hostpin.h — a --resolve entry, curl's spelling: HOST:PORT:ADDR[,ADDR...]
 * pins the name HOST, when asked for port PORT, to those addresses instead
 * of resolving it.  An IPv6 address is written in brackets ([::1]; bare
 * is accepted too, as the host and port come first); HOST may be
 * bracketed as well.  Parsed once here for both the option check
 * (lib/util/options.c: a bad entry is a usage error naming it) and the
 * resolver (lib/net/dns.c).
 *
 * Any thread; nothing global. */
#ifndef GATHER_HOSTPIN_H
#define GATHER_HOSTPIN_H

#include <stdint.h>
#include <sys/socket.h>

#define HOSTPIN_MAX_ADDRS 8
#define HOSTPIN_MAX_HOST 253     /* RFC 1035 §2.3.4, as text */

struct hostpin {
	char host[HOSTPIN_MAX_HOST + 1]; /* lower case, without brackets */
	uint16_t port;
	int n;
	struct sockaddr_storage a[HOSTPIN_MAX_ADDRS]; /* port set */
	socklen_t len[HOSTPIN_MAX_ADDRS];
};

/* 0 with *ret filled, or GATHER_E_INVALID (an empty or over-long host, a
 * port outside 1-65535, no address, more than HOSTPIN_MAX_ADDRS, or an
 * address that is not a numeric IPv4 or IPv6 address). */
int hostpin_parse(const char *s, struct hostpin *ret);

#endif
