/* u64map.c — see u64map.h. */
#include "config.h"

#include <stdlib.h>

#include "gather/error.h"
#include "util/u64map.h"

static inline size_t slot_of(uint64_t key, size_t cap)
{
	return (size_t)(key >> 32 ^ key) & (cap - 1);
}

void gather_u64map_clear(struct gather_u64map *m)
{
	free(m->key);
	free(m->val);
	m->key = NULL;
	m->val = NULL;
	m->cap = m->count = 0;
}

void *gather_u64map_get(const struct gather_u64map *m, uint64_t key)
{
	if (!m->cap || !key)
		return NULL;
	for (size_t i = slot_of(key, m->cap);; i = (i + 1) & (m->cap - 1)) {
		if (m->key[i] == key)
			return m->val[i];
		if (!m->key[i])
			return NULL;
	}
}

/* Rehash into cap slots (a power of two holding count at load <= 1/2). */
static int resize(struct gather_u64map *m, size_t cap)
{
	uint64_t *key = calloc(cap, sizeof *key);
	void **val = calloc(cap, sizeof *val);
	if (!key || !val) {
		free(key);
		free(val);
		return GATHER_E_NOMEM;
	}
	for (size_t i = 0; i < m->cap; i++) {
		if (!m->key[i])
			continue;
		size_t j = slot_of(m->key[i], cap);
		while (key[j])
			j = (j + 1) & (cap - 1);
		key[j] = m->key[i];
		val[j] = m->val[i];
	}
	free(m->key);
	free(m->val);
	m->key = key;
	m->val = val;
	m->cap = cap;
	return 0;
}

int gather_u64map_reserve(struct gather_u64map *m, size_t n)
{
	size_t cap = m->cap ? m->cap : 16;
	while (cap < 2 * n + 2)
		cap *= 2;
	return cap > m->cap ? resize(m, cap) : 0;
}

/* Called by put when the table is full past 1/2: rehash into 2x. */
static int grow(struct gather_u64map *m)
{
	return resize(m, m->cap ? m->cap * 2 : 16);
}

int gather_u64map_put(struct gather_u64map *m, uint64_t key, void *val)
{
	if (!key)
		return GATHER_E_INVALID;
	if ((m->count + 1) * 2 > m->cap) {
		int rc = grow(m);
		if (rc)
			return rc;
	}
	size_t i = slot_of(key, m->cap);
	while (m->key[i] && m->key[i] != key)
		i = (i + 1) & (m->cap - 1);
	if (!m->key[i])
		m->count++;
	m->key[i] = key;
	m->val[i] = val;
	return 0;
}

void *gather_u64map_del(struct gather_u64map *m, uint64_t key)
{
	if (!m->cap || !key)
		return NULL;
	size_t mask = m->cap - 1, i = slot_of(key, m->cap);
	while (m->key[i] != key) {
		if (!m->key[i])
			return NULL;
		i = (i + 1) & mask;
	}
	void *val = m->val[i];
	/* Backward shift (Knuth 6.4 algorithm R): move later members of the
	 * cluster into the hole when their home slot allows it. */
	for (size_t j = (i + 1) & mask; m->key[j]; j = (j + 1) & mask) {
		size_t h = slot_of(m->key[j], m->cap);
		/* j's home h lies cyclically in (i, j]: it must stay. */
		if (i <= j ? (i < h && h <= j) : (i < h || h <= j))
			continue;
		m->key[i] = m->key[j];
		m->val[i] = m->val[j];
		i = j;
	}
	m->key[i] = 0;
	m->val[i] = NULL;
	m->count--;
	/* Below 1/8 full, halve down to 1/4 full (a crawl's entry map drains
	 * as pages settle).  The gap between 1/8 and 1/2 keeps a put/del
	 * pair at the edge from rehashing every time; no memory, no shrink. */
	if (m->cap > 16 && m->count * 8 < m->cap) {
		size_t cap = m->cap;
		while (cap > 16 && m->count * 4 < cap / 2)
			cap /= 2;
		(void)resize(m, cap);
	}
	return val;
}

size_t gather_u64map_bytes(const struct gather_u64map *m)
{
	return m->cap * (sizeof *m->key + sizeof *m->val);
}
