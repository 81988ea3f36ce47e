/* crawlsite.h — a generated web site for crawl tests: an evhttp server on
 * 127.0.0.1, port 0, serving pages by exact request-target (as received,
 * so the test sees exactly what the crawler asked for), counting hits, the
 * most requests open at once and request start times.  "{PORT}" in a body
 * or header value is replaced by the server's port.
 * Runs on the caller's event_base (same thread as the crawl under test). */
#ifndef GATHER_TEST_CRAWLSITE_H
#define GATHER_TEST_CRAWLSITE_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct crawlsite;

struct crawlsite *crawlsite_new(struct event_base *base);
void crawlsite_free(struct crawlsite *s);
uint16_t crawlsite_port(const struct crawlsite *s);

/* Serve target ("/a/b?q") with status, Content-Type (NULL: text/html),
 * body, after delay_ms; header "Name: value" added when not NULL. */
void crawlsite_add(struct crawlsite *s, const char *target, int status, const char *ctype,
                   const char *body, unsigned delay_ms, const char *header);

/* Requests received for target (exact), and in total. */
unsigned crawlsite_hits(const struct crawlsite *s, const char *target);
unsigned crawlsite_total(const struct crawlsite *s);
/* Monotonic ms of the first request for target (0 if none). */
uint64_t crawlsite_first_ms(const struct crawlsite *s, const char *target);
/* Most requests being answered at once. */
unsigned crawlsite_max_open(const struct crawlsite *s);
/* Smallest gap in ms between two request starts (UINT64_MAX if < 2). */
uint64_t crawlsite_min_gap_ms(const struct crawlsite *s);

#endif
