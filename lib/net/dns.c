/* dns.c — evdns_getaddrinfo plus a per-engine cache of answers.
 *
 * evdns_getaddrinfo does not hand out record TTLs, so an answer is kept for
 * DNS_TTL_MS; the cache holds at most DNS_CACHE_MAX names (full: emptied). */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/dns.h>
#include <event2/event.h>
#include <event2/event_struct.h>
#include <event2/util.h>

#include "net/dns.h"
#include "util/clock.h"
#include "gather/error.h"
#include "util/hostpin.h"

_Static_assert(HOSTPIN_MAX_ADDRS <= DNS_MAX_ADDRS, "a pin's addresses fit a dns_addrs");

#define DNS_TTL_MS 60000
#define DNS_CACHE_MAX 4096
#define DNS_BUCKETS 256

struct dns_entry {
	struct dns_entry *next;
	uint64_t expires_ms;
	struct dns_addrs addrs;   /* port 0 */
	char host[];
};

struct dns {
	struct event_base *base;
	struct evdns_base *evdns;
	struct dns_entry *bucket[DNS_BUCKETS];
	unsigned n;
	int family;                /* AF_UNSPEC, or the one family handed out */
	struct hostpin *pins;      /* --resolve, in the order given; few */
	size_t npins;
};

struct dns_req {
	struct dns *d;
	struct evdns_getaddrinfo_request *req;
	dns_fn cb;
	void *arg;
	uint16_t port;
	bool in_call, cancelled;
	int err;                   /* result kept for a delivery deferred past the call */
	struct dns_addrs addrs;
	struct event deliver;
	char host[];
};

static unsigned hash(const char *s)
{
	unsigned h = 5381;
	while (*s)
		h = h * 33 + (unsigned char)*s++;
	return h % DNS_BUCKETS;
}

struct dns *dns_new(struct event_base *base, char *err, size_t errlen)
{
	struct dns *d = calloc(1, sizeof(*d));
	if (!d) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	d->base = base;
	d->evdns = evdns_base_new(base, EVDNS_BASE_INITIALIZE_NAMESERVERS);
	if (!d->evdns) {
		snprintf(err, errlen, "cannot set up the DNS resolver (resolv.conf?)");
		free(d);
		return NULL;
	}
	return d;
}

static void cache_clear(struct dns *d)
{
	for (int i = 0; i < DNS_BUCKETS; i++) {
		while (d->bucket[i]) {
			struct dns_entry *e = d->bucket[i];
			d->bucket[i] = e->next;
			free(e);
		}
	}
	d->n = 0;
}

/* Called by dns_free only.  A function of its own, never inlined, so that
 * thread sanitizer reports of libevent's own close-before-event_del here
 * (see tests/tsan.supp) name dns_free as a frame: libevent is built without
 * frame pointers, and TSan's unwinder then shows the caller of the function
 * that called into libevent, not the function itself. */
__attribute__((noinline)) static void evdns_teardown(struct evdns_base *evdns)
{
	/* libevent 2.1's evdns_nameserver_free closes each nameserver's UDP
	 * socket and only then event_del()s its event, so epoll_ctl(DEL) runs
	 * on a closed descriptor, whose number another thread (the sink's
	 * writer opening a file) may already have been given.  The kernel
	 * answers EBADF/ENOENT/EPERM and libevent ignores it; no descriptor of
	 * another thread is ever in this reactor's epoll set.  Nothing in our
	 * order can prevent it: every nameserver socket is private to evdns. */
	evdns_base_free(evdns, 1); /* cancelled requests get their callback */
	__asm__ volatile("" ::: "memory"); /* not a tail call: keep our frame */
}

void dns_free(struct dns *d)
{
	if (!d)
		return;
	evdns_teardown(d->evdns);
	cache_clear(d);
	free(d->pins);
	free(d);
}

void dns_set_family(struct dns *d, int family)
{
	if (d->family != family)
		cache_clear(d); /* answers kept for the other family */
	d->family = family;
}

int dns_add_pin(struct dns *d, const char *spec, char *err, size_t errlen)
{
	struct hostpin pin;
	if (hostpin_parse(spec, &pin) < 0) {
		snprintf(err, errlen, "bad --resolve entry '%s': expected HOST:PORT:ADDR[,ADDR...]", spec);
		return GATHER_E_INVALID;
	}
	for (size_t i = 0; i < d->npins; i++)
		if (d->pins[i].port == pin.port && !strcmp(d->pins[i].host, pin.host)) {
			d->pins[i] = pin; /* as curl: the last entry for HOST:PORT */
			return 0;
		}
	struct hostpin *np = realloc(d->pins, (d->npins + 1) * sizeof(*np));
	if (!np) {
		snprintf(err, errlen, "out of memory");
		return GATHER_E_NOMEM;
	}
	d->pins = np;
	d->pins[d->npins++] = pin;
	return 0;
}

static const char *family_name(int family)
{
	return family == AF_INET ? "IPv4" : "IPv6";
}

/* Keeps the addresses of d's family in a (all when AF_UNSPEC), in order. */
static void keep_family(const struct dns *d, struct dns_addrs *a)
{
	if (d->family == AF_UNSPEC)
		return;
	int k = 0;
	for (int i = 0; i < a->n; i++)
		if (a->a[i].ss_family == d->family) {
			if (k != i) {
				a->a[k] = a->a[i];
				a->len[k] = a->len[i];
			}
			k++;
		}
	a->n = k;
}

/* host:port's pin, or NULL.  Host names are compared without case (a
 * URL's host is lower case already; a pin's is made so). */
static const struct hostpin *find_pin(const struct dns *d, const char *host, uint16_t port)
{
	for (size_t i = 0; i < d->npins; i++)
		if (d->pins[i].port == port && !strcasecmp(d->pins[i].host, host))
			return &d->pins[i];
	return NULL;
}

static void set_port(struct dns_addrs *a, uint16_t port)
{
	for (int i = 0; i < a->n; i++) {
		if (a->a[i].ss_family == AF_INET)
			((struct sockaddr_in *)&a->a[i])->sin_port = htons(port);
		else
			((struct sockaddr_in6 *)&a->a[i])->sin6_port = htons(port);
	}
}

int dns_lookup_now(struct dns *d, const char *host, uint16_t port, struct dns_addrs *out,
                   char *msg, size_t msglen)
{
	struct sockaddr_in s4;
	struct sockaddr_in6 s6;
	const struct hostpin *pin = d->npins ? find_pin(d, host, port) : NULL;
	const char *why = NULL;
	memset(&s4, 0, sizeof(s4));
	memset(&s6, 0, sizeof(s6));
	if (pin) {
		out->n = pin->n;
		for (int i = 0; i < pin->n; i++) {
			out->a[i] = pin->a[i];
			out->len[i] = pin->len[i];
		}
		why = "pinned by --resolve";
	} else if (inet_pton(AF_INET, host, &s4.sin_addr) == 1) {
		s4.sin_family = AF_INET;
		memcpy(&out->a[0], &s4, sizeof(s4));
		out->len[0] = sizeof(s4);
		out->n = 1;
		why = "an IPv4 address";
	} else if (inet_pton(AF_INET6, host, &s6.sin6_addr) == 1) {
		s6.sin6_family = AF_INET6;
		memcpy(&out->a[0], &s6, sizeof(s6));
		out->len[0] = sizeof(s6);
		out->n = 1;
		why = "an IPv6 address";
	} else {
		struct dns_entry **pp = &d->bucket[hash(host)];
		uint64_t now = gather_now_ms();
		for (; *pp; pp = &(*pp)->next)
			if (!strcmp((*pp)->host, host))
				break;
		if (!*pp)
			return 0;
		if ((*pp)->expires_ms <= now) {
			struct dns_entry *e = *pp;
			*pp = e->next;
			free(e);
			d->n--;
			return 0;
		}
		*out = (*pp)->addrs;
	}
	keep_family(d, out);
	if (out->n == 0) {
		/* curl -6 http://127.0.0.1/ fails to resolve too */
		snprintf(msg, msglen, "cannot resolve %s: no %s address (%s)", host, family_name(d->family),
		         why ? why : "cached answer");
		return GATHER_E_DNS;
	}
	set_port(out, port);
	return 1;
}

static void cache_put(struct dns *d, const char *host, const struct dns_addrs *a)
{
	size_t hl = strlen(host);
	struct dns_entry *e = malloc(sizeof(*e) + hl + 1);
	if (!e)
		return;
	if (d->n >= DNS_CACHE_MAX)
		cache_clear(d);
	memcpy(e->host, host, hl + 1);
	e->addrs = *a;
	e->expires_ms = gather_now_ms() + DNS_TTL_MS;
	unsigned h = hash(host);
	e->next = d->bucket[h];
	d->bucket[h] = e;
	d->n++;
}

/* Delivers a result held back because evdns answered inside dns_resolve. */
static void deliver_cb(evutil_socket_t fd, short what, void *arg)
{
	struct dns_req *r = arg;
	(void)fd, (void)what;
	dns_fn cb = r->cb;
	void *cbarg = r->arg;
	int err = r->err;
	struct dns_addrs a = r->addrs;
	char msg[200];
	snprintf(msg, sizeof(msg), "cannot resolve %s", r->host);
	free(r);
	cb(err, err ? msg : NULL, &a, cbarg);
}

/* evdns callback: collect addresses (IPv4 and IPv6, in the order given). */
static void gai_cb(int result, struct evutil_addrinfo *res, void *arg)
{
	struct dns_req *r = arg;
	r->req = NULL;
	if (r->cancelled) { /* dns_cancel left r to us */
		if (res)
			evutil_freeaddrinfo(res);
		free(r);
		return;
	}
	r->addrs.n = 0;
	for (struct evutil_addrinfo *ai = res; ai && r->addrs.n < DNS_MAX_ADDRS; ai = ai->ai_next) {
		if ((ai->ai_family != AF_INET && ai->ai_family != AF_INET6) ||
		    (r->d->family != AF_UNSPEC && ai->ai_family != r->d->family) ||
		    ai->ai_addrlen > sizeof(struct sockaddr_storage))
			continue;
		memcpy(&r->addrs.a[r->addrs.n], ai->ai_addr, ai->ai_addrlen);
		r->addrs.len[r->addrs.n++] = (socklen_t)ai->ai_addrlen;
	}
	if (res)
		evutil_freeaddrinfo(res);
	char msg[300];
	if (result != 0 || r->addrs.n == 0) {
		r->err = GATHER_E_DNS;
		if (result == 0 && r->d->family != AF_UNSPEC)
			snprintf(msg, sizeof(msg), "cannot resolve %s: no %s address", r->host,
			         family_name(r->d->family));
		else
			snprintf(msg, sizeof(msg), "cannot resolve %s: %s", r->host,
			         result ? evutil_gai_strerror(result) : "no address");
	} else {
		cache_put(r->d, r->host, &r->addrs);
		set_port(&r->addrs, r->port);
	}
	if (r->in_call) {
		event_active(&r->deliver, EV_TIMEOUT, 1);
		return;
	}
	dns_fn cb = r->cb;
	void *cbarg = r->arg;
	int err = r->err;
	struct dns_addrs *a = &r->addrs;
	cb(err, err ? msg : NULL, a, cbarg);
	free(r);
}

struct dns_req *dns_resolve(struct dns *d, const char *host, uint16_t port, dns_fn cb, void *arg)
{
	size_t hl = strlen(host);
	struct dns_req *r = calloc(1, sizeof(*r) + hl + 1);
	if (!r)
		return NULL;
	memcpy(r->host, host, hl + 1);
	r->d = d;
	r->cb = cb;
	r->arg = arg;
	r->port = port;
	event_assign(&r->deliver, d->base, -1, 0, deliver_cb, r);
	struct evutil_addrinfo hints;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = d->family;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	r->in_call = true;
	r->req = evdns_getaddrinfo(d->evdns, host, NULL, &hints, gai_cb, r);
	r->in_call = false;
	return r;
}

void dns_cancel(struct dns_req *r)
{
	if (!r)
		return;
	event_del(&r->deliver);
	if (!r->req) {
		free(r);
		return;
	}
	/* evdns reports the cancel later, through gai_cb, which frees r */
	r->cancelled = true;
	evdns_getaddrinfo_cancel(r->req);
}
