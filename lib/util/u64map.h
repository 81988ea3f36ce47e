/* u64map.h — a hash map from nonzero 64-bit keys (fingerprints) to
 * pointers: linear probing, power-of-two capacity, load <= 1/2,
 * backward-shift deletion (no tombstones).  Keys are expected to be well
 * mixed already (SipHash fingerprints), so the slot is taken from the key's
 * high bits directly.
 *
 * Not thread-safe: one owner. */
#ifndef GATHER_U64MAP_H
#define GATHER_U64MAP_H

#include <stddef.h>
#include <stdint.h>

struct gather_u64map {
	uint64_t *key;   /* 0 = empty */
	void **val;
	size_t cap, count;
};

/* A zeroed struct is an empty map. */
void gather_u64map_clear(struct gather_u64map *m);   /* frees the table only */
/* Room for n entries without growing.  0 or GATHER_E_NOMEM. */
int gather_u64map_reserve(struct gather_u64map *m, size_t n);
void *gather_u64map_get(const struct gather_u64map *m, uint64_t key);
/* Insert or replace.  0 or GATHER_E_NOMEM.  key must not be 0. */
int gather_u64map_put(struct gather_u64map *m, uint64_t key, void *val);
/* Remove key; returns its value or NULL. */
void *gather_u64map_del(struct gather_u64map *m, uint64_t key);
size_t gather_u64map_bytes(const struct gather_u64map *m);

#endif
