/* seen.c — fingerprint set with linear probing (see seen.h for the odds and
 * the memory bound).  Nothing is ever removed, so probing needs no
 * tombstones.  Slot index = (fp * cap) >> 64 ("fastrange"), which lets the
 * capacity grow by 1.5x instead of doubling: doubling would leave the load at
 * 0.4 after a resize (20 bytes per URL), 1.5x leaves it at 0.53. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "gather/error.h"
#include "util/seen.h"

#define SEEN_MIN_CAP 64
/* Grow when count would exceed 4/5 of the capacity. */
#define SEEN_MAX_LOAD_NUM 4
#define SEEN_MAX_LOAD_DEN 5

struct gather_seen {
	uint64_t *slot;  /* 0 = empty */
	size_t cap, count;
};

static inline uint64_t rotl(uint64_t x, int b) { return (x << b) | (x >> (64 - b)); }

#define SIPROUND do { \
	v0 += v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32); \
	v2 += v3; v3 = rotl(v3, 16); v3 ^= v2; \
	v0 += v3; v3 = rotl(v3, 21); v3 ^= v0; \
	v2 += v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32); \
} while (0)

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

/* SipHash-2-4 (Aumasson and Bernstein, 2012), reference algorithm. */
static uint64_t siphash24(const uint8_t key[16], const uint8_t *in, size_t n)
{
	uint64_t k0 = le64(key), k1 = le64(key + 8);
	uint64_t v0 = 0x736f6d6570736575ULL ^ k0, v1 = 0x646f72616e646f6dULL ^ k1;
	uint64_t v2 = 0x6c7967656e657261ULL ^ k0, v3 = 0x7465646279746573ULL ^ k1;
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t m = le64(in + i);
		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
	}
	uint64_t b = (uint64_t)n << 56;
	for (size_t j = 0; i + j < n; j++)
		b |= (uint64_t)in[i + j] << (8 * j);
	v3 ^= b;
	SIPROUND;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

uint64_t gather_seen_fingerprint(const uint8_t key[16], const void *s, size_t n)
{
	uint64_t h = siphash24(key, s, n);
	return h ? h : 1;
}

struct gather_seen *gather_seen_new(void)
{
	struct gather_seen *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->slot = calloc(SEEN_MIN_CAP, sizeof *s->slot);
	if (!s->slot) {
		free(s);
		return NULL;
	}
	s->cap = SEEN_MIN_CAP;
	return s;
}

void gather_seen_free(struct gather_seen *s)
{
	if (!s)
		return;
	free(s->slot);
	free(s);
}

static inline size_t home(uint64_t fp, size_t cap)
{
	return (size_t)(((unsigned __int128)fp * cap) >> 64);
}

/* Slot holding fp, or the empty slot where it would go. */
static size_t probe(const uint64_t *slot, size_t cap, uint64_t fp)
{
	size_t i = home(fp, cap);
	while (slot[i] && slot[i] != fp)
		i = i + 1 == cap ? 0 : i + 1;
	return i;
}

/* Called by gather_seen_add when the next insert would pass the load
 * limit: rehash into a table 1.5x larger. */
static int grow(struct gather_seen *s)
{
	size_t cap = s->cap + s->cap / 2;
	uint64_t *slot = calloc(cap, sizeof *slot);
	if (!slot)
		return GATHER_E_NOMEM;
	for (size_t i = 0; i < s->cap; i++)
		if (s->slot[i])
			slot[probe(slot, cap, s->slot[i])] = s->slot[i];
	free(s->slot);
	s->slot = slot;
	s->cap = cap;
	return 0;
}

int gather_seen_add(struct gather_seen *s, uint64_t fp)
{
	if (!fp)
		fp = 1;
	size_t i = probe(s->slot, s->cap, fp);
	if (s->slot[i])
		return 0;
	if ((s->count + 1) * SEEN_MAX_LOAD_DEN > s->cap * SEEN_MAX_LOAD_NUM) {
		int rc = grow(s);
		if (rc)
			return rc;
		i = probe(s->slot, s->cap, fp);
	}
	s->slot[i] = fp;
	s->count++;
	return 1;
}

int gather_seen_reserve(struct gather_seen *s, size_t n)
{
	while ((n + 1) * SEEN_MAX_LOAD_DEN > s->cap * SEEN_MAX_LOAD_NUM)
		if (grow(s) < 0)
			return GATHER_E_NOMEM;
	return 0;
}

bool gather_seen_has(const struct gather_seen *s, uint64_t fp)
{
	if (!fp)
		fp = 1;
	return s->slot[probe(s->slot, s->cap, fp)] != 0;
}

size_t gather_seen_count(const struct gather_seen *s) { return s->count; }

size_t gather_seen_bytes(const struct gather_seen *s)
{
	return sizeof *s + s->cap * sizeof *s->slot;
}
