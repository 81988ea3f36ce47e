/* hostshare.c — see hostshare.h.  A map from the host's fingerprint (with
 * a key of the share's own: crawls have keys of their own) to its slot. */
#include "config.h"

#include <stdlib.h>
#include <sys/random.h>

#include "util/hostshare.h"
#include "util/seen.h"
#include "util/u64map.h"

struct gather_hostshare {
	uint8_t key[16];
	struct gather_u64map slots;   /* fingerprint -> struct gather_hostslot */
};

struct gather_hostshare *gather_hostshare_new(void)
{
	struct gather_hostshare *s = calloc(1, sizeof *s);
	if (s && getrandom(s->key, sizeof s->key, 0) != (ssize_t)sizeof s->key) {
		/* any key will do: hosts are not chosen by an attacker here */
		for (size_t i = 0; i < sizeof s->key; i++)
			s->key[i] = (uint8_t)(i * 131 + 7);
	}
	return s;
}

void gather_hostshare_free(struct gather_hostshare *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->slots.cap; i++)
		if (s->slots.key[i])
			free(s->slots.val[i]);
	gather_u64map_clear(&s->slots);
	free(s);
}

struct gather_hostslot *gather_hostshare_get(struct gather_hostshare *s, const char *host,
                                             size_t len)
{
	uint64_t fp = gather_seen_fingerprint(s->key, host, len);
	struct gather_hostslot *h = gather_u64map_get(&s->slots, fp);
	if (h)
		return h;
	h = calloc(1, sizeof *h);
	if (h && gather_u64map_put(&s->slots, fp, h) < 0) {
		free(h);
		return NULL;
	}
	return h;
}
