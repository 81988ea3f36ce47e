/* dns.h — asynchronous name resolution (evdns: resolv.conf and /etc/hosts)
 * with a small TTL cache; numeric hosts never touch the resolver, nor do
 * names pinned to addresses (--resolve HOST:PORT:ADDR); with a family set
 * (-4, -6) only addresses of that family are ever handed out.
 *
 * Threads: one dns per engine, reactor thread only. */
#ifndef GATHER_DNS_H
#define GATHER_DNS_H

#include <stdint.h>
#include <sys/socket.h>

struct event_base;
struct dns;
struct dns_req;

#define DNS_MAX_ADDRS 8

/* Addresses in the order to try, port already set. */
struct dns_addrs {
	int n;
	struct sockaddr_storage a[DNS_MAX_ADDRS];
	socklen_t len[DNS_MAX_ADDRS];
};

/* NULL with a message in err on failure. */
struct dns *dns_new(struct event_base *base, char *err, size_t errlen);
/* Cancels nothing: callers cancel their requests first.  Accepts NULL. */
void dns_free(struct dns *d);

/* Only addresses of family from now on: AF_INET, AF_INET6, or AF_UNSPEC
 * (both, the default). */
void dns_set_family(struct dns *d, int family);
/* Pins a name at a port to addresses: spec is a --resolve entry,
 * "HOST:PORT:ADDR[,ADDR...]" (util/hostpin.h).  A later pin of the same
 * HOST:PORT replaces it.  0, GATHER_E_INVALID with a message in err, or
 * GATHER_E_NOMEM. */
int dns_add_pin(struct dns *d, const char *spec, char *err, size_t errlen);

/* A pinned name, a numeric host or a fresh cache entry: fills out, returns
 * 1.  0: resolve it (dns_resolve).  GATHER_E_DNS with msg when it can have
 * no address: a pin or a numeric host of the other family only. */
int dns_lookup_now(struct dns *d, const char *host, uint16_t port, struct dns_addrs *out,
                   char *msg, size_t msglen);

/* err is 0 or GATHER_E_DNS (msg says why); a is valid only during the call. */
typedef void (*dns_fn)(int err, const char *msg, const struct dns_addrs *a, void *arg);

/* Starts resolving; cb is called once, later (never inside this call),
 * unless dns_cancel is called first.  NULL on OOM. */
struct dns_req *dns_resolve(struct dns *d, const char *host, uint16_t port, dns_fn cb, void *arg);
/* Stops r; its callback will not run.  r is freed. */
void dns_cancel(struct dns_req *r);

#endif
