/* seen.h — the crawl's seen set: 64-bit fingerprints of normalized URLs in
 * an open-addressing table, at most 16 bytes per URL.
 *
 * A fingerprint is SipHash-2-4 of the URL under a 128-bit key (per crawl, so
 * that pages cannot craft collisions).  Two different URLs collide with
 * probability 2^-64 per pair; among n URLs the chance of any collision is
 * about n^2 / 2^65: 3e-8 at one million URLs, 3e-4 at a hundred million.  A
 * collision makes the crawl skip one URL, silently.
 *
 * Memory: 8 bytes per slot, load kept between 0.53 and 0.8 (growth by 1.5x)
 * once past the minimal table, so bytes / count <= 15.
 *
 * Not thread-safe: one owner (the frontier, on the reactor thread). */
#ifndef GATHER_SEEN_H
#define GATHER_SEEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct gather_seen;

/* SipHash-2-4 of s[0..n) with the 16-byte key; never 0 (0 marks an empty
 * slot, so a hash of 0 is mapped to 1). */
uint64_t gather_seen_fingerprint(const uint8_t key[16], const void *s, size_t n);

/* A new empty set; NULL on OOM. */
struct gather_seen *gather_seen_new(void);
void gather_seen_free(struct gather_seen *s);   /* accepts NULL */

/* Adds fp.  1 if it was new, 0 if already there, GATHER_E_NOMEM. */
int gather_seen_add(struct gather_seen *s, uint64_t fp);
/* Room for n fingerprints without growing.  0 or GATHER_E_NOMEM. */
int gather_seen_reserve(struct gather_seen *s, size_t n);
bool gather_seen_has(const struct gather_seen *s, uint64_t fp);

size_t gather_seen_count(const struct gather_seen *s);
/* Bytes allocated by the set (table and header). */
size_t gather_seen_bytes(const struct gather_seen *s);

#endif
