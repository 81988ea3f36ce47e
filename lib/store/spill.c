/* spill.c — an on-disk queue of URLs by depth in flat files (see spill.h).
 *
 * The queue is a directory: one append-only file per depth ("dN") and one
 * of parents ("parents").  A row in dN is
 *     u32 len | u64 parent | url bytes with their NUL (len of them)
 * where parent is the offset + 1 of the parent's string in "parents"
 * (0: none; a page's links share one parent string: the parent of the
 * last put is remembered).  A depth keeps a write buffer and a read
 * cursor: take() flushes the depth (and the parents), then reads rows from
 * the cursor in big blocks, so a put costs a memcpy and a take a share of
 * one pread.  A depth whose rows are all taken is truncated, so the disk
 * holds about what is queued.
 *
 * It was an SQLite table before: an INSERT per URL made resuming a crawl
 * of a million queued URLs spend a fifth of its time here, and nothing in
 * this file needs to survive a crash (the crawl state rebuilds it). */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gather/error.h"
#include "store/spill.h"
#include "util/u64map.h"

#define SPILL_WBUF (64u * 1024)    /* write buffer per depth (and parents) */
#define SPILL_RBUF (256u * 1024)   /* read block of take() */
#define ROW_HEAD 12u

struct appendf {
	int fd;
	uint64_t end;          /* bytes in the file and the buffer */
	char *buf;
	size_t blen;           /* bytes buffered, not yet in the file */
};

struct depthq {
	struct appendf f;
	uint64_t rd;           /* offset of the first row not taken */
};

struct gather_spill {
	char *dir;
	struct gather_u64map depths;   /* depth + 1 -> struct depthq * */
	struct appendf parents;
	char *last_parent;             /* the parent of the last put ... */
	uint64_t last_parent_ref;      /* ... and its offset + 1 */
	char *rbuf;                    /* take()'s block */
	size_t rcap;
	uint64_t pcache_ref;           /* the parent read last by take() */
	char *pcache;
};

static int af_flush(struct appendf *f)
{
	size_t off = 0;
	while (off < f->blen) {
		ssize_t w = pwrite(f->fd, f->buf + off, f->blen - off,
		                   (off_t)(f->end - f->blen + off));
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return GATHER_E_IO;
		off += (size_t)w;
	}
	f->blen = 0;
	return 0;
}

static int af_write(struct appendf *f, const void *p, size_t n)
{
	if (f->blen + n > SPILL_WBUF && af_flush(f) < 0)
		return GATHER_E_IO;
	if (n > SPILL_WBUF) {
		/* longer than the buffer: straight to the file (blen is 0) */
		f->end += n;
		f->blen = n;
		char *keep = f->buf;
		f->buf = (char *)p;
		int rc = af_flush(f);
		f->buf = keep;
		if (rc < 0)
			f->end -= n;
		return rc;
	}
	memcpy(f->buf + f->blen, p, n);
	f->blen += n;
	f->end += n;
	return 0;
}

static int af_open(struct appendf *f, const char *dir, const char *name)
{
	char p[4096];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	f->end = f->blen = 0;
	if (!(f->buf = malloc(SPILL_WBUF)))
		return GATHER_E_NOMEM;
	f->fd = open(p, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (f->fd < 0) {
		free(f->buf);
		f->buf = NULL;
		return GATHER_E_IO;
	}
	return 0;
}

static void af_close(struct appendf *f)
{
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
	free(f->buf);
	f->buf = NULL;
}

/* Remove the directory's files (ours: a queue left by a run that was
 * killed) and the directory. */
static void remove_dir(const char *dir)
{
	DIR *d = opendir(dir);
	if (d) {
		struct dirent *e;
		while ((e = readdir(d)))
			if (e->d_name[0] != '.')
				unlinkat(dirfd(d), e->d_name, 0);
		closedir(d);
	}
	rmdir(dir);
}

int gather_spill_open(const char *path, struct gather_spill **ret, char *err, size_t errlen)
{
	*ret = NULL;
	struct gather_spill *s = calloc(1, sizeof *s);
	if (!s || !(s->dir = strdup(path)) || !(s->rbuf = malloc(SPILL_RBUF))) {
		if (s)
			free(s->dir);
		free(s);
		snprintf(err, errlen, "out of memory");
		return GATHER_E_NOMEM;
	}
	s->rcap = SPILL_RBUF;
	s->parents.fd = -1;
	remove_dir(path);
	int rc = mkdir(path, 0700) < 0 ? GATHER_E_IO : af_open(&s->parents, path, "parents");
	if (rc < 0) {
		snprintf(err, errlen, "%s: %s", path, rc == GATHER_E_NOMEM ? "out of memory"
		         : strerror(errno));
		gather_spill_close(s);
		return rc;
	}
	*ret = s;
	return 0;
}

void gather_spill_close(struct gather_spill *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->depths.cap; i++)
		if (s->depths.key && s->depths.key[i]) {
			struct depthq *q = s->depths.val[i];
			af_close(&q->f);
			free(q);
		}
	gather_u64map_clear(&s->depths);
	af_close(&s->parents);
	if (s->dir)
		remove_dir(s->dir);
	free(s->dir);
	free(s->last_parent);
	free(s->rbuf);
	free(s->pcache);
	free(s);
}

static struct depthq *depth_get(struct gather_spill *s, unsigned depth, bool make)
{
	uint64_t k = (uint64_t)depth + 1;
	struct depthq *q = gather_u64map_get(&s->depths, k);
	if (q || !make)
		return q;
	char name[32];
	snprintf(name, sizeof name, "d%u", depth);
	if (!(q = calloc(1, sizeof *q)))
		return NULL;
	if (af_open(&q->f, s->dir, name) < 0) {
		free(q);
		return NULL;
	}
	if (gather_u64map_put(&s->depths, k, q) < 0) {
		af_close(&q->f);
		free(q);
		return NULL;
	}
	return q;
}

int gather_spill_put(struct gather_spill *s, unsigned depth, const char *url,
                     const char *parent)
{
	uint64_t pref = 0;
	if (parent) {
		if (!s->last_parent || strcmp(s->last_parent, parent) != 0) {
			size_t pl = strlen(parent);
			char *p = malloc(pl + 1);
			if (!p)
				return GATHER_E_NOMEM;
			memcpy(p, parent, pl + 1);
			uint32_t len = (uint32_t)pl + 1;
			uint64_t at = s->parents.end;
			if (af_write(&s->parents, &len, 4) < 0 || af_write(&s->parents, p, len) < 0) {
				free(p);
				return GATHER_E_IO;
			}
			free(s->last_parent);
			s->last_parent = p;
			s->last_parent_ref = at + 1;
		}
		pref = s->last_parent_ref;
	}
	struct depthq *q = depth_get(s, depth, true);
	if (!q)
		return GATHER_E_IO;
	size_t ul = strlen(url) + 1;
	if (ul > UINT32_MAX)
		return GATHER_E_INVALID;
	unsigned char head[ROW_HEAD];
	uint32_t len = (uint32_t)ul;
	memcpy(head, &len, 4);
	memcpy(head + 4, &pref, 8);
	if (af_write(&q->f, head, ROW_HEAD) < 0 || af_write(&q->f, url, ul) < 0)
		return GATHER_E_IO;
	return 0;
}

static int pread_all(int fd, char *p, size_t n, uint64_t off)
{
	while (n) {
		ssize_t r = pread(fd, p, n, (off_t)off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return GATHER_E_IO;
		p += r;
		n -= (size_t)r;
		off += (uint64_t)r;
	}
	return 0;
}

/* The parent string at ref (offset + 1 in "parents"); the one read last is
 * kept, as a page's links come together.  NULL on failure. */
static const char *parent_at(struct gather_spill *s, uint64_t ref)
{
	if (ref == s->pcache_ref && s->pcache)
		return s->pcache;
	if (ref - 1 + 4 > s->parents.end - s->parents.blen && af_flush(&s->parents) < 0)
		return NULL;   /* still in the buffer */
	uint32_t len;
	if (pread_all(s->parents.fd, (char *)&len, 4, ref - 1) < 0 || !len)
		return NULL;
	char *p = malloc(len);
	if (!p || pread_all(s->parents.fd, p, len, ref - 1 + 4) < 0 || p[len - 1]) {
		free(p);
		return NULL;
	}
	free(s->pcache);
	s->pcache = p;
	s->pcache_ref = ref;
	return p;
}

long gather_spill_take(struct gather_spill *s, unsigned depth, size_t max,
                       int (*fn)(const char *url, const char *parent, void *arg), void *arg)
{
	struct depthq *q = depth_get(s, depth, false);
	if (!q)
		return 0;
	if (af_flush(&q->f) < 0)
		return GATHER_E_IO;
	long n = 0;
	while ((size_t)n < max && q->rd < q->f.end) {
		/* a block of whole rows from the cursor (one row may need more) */
		size_t want = q->f.end - q->rd < s->rcap ? (size_t)(q->f.end - q->rd) : s->rcap;
		if (pread_all(q->f.fd, s->rbuf, want, q->rd) < 0)
			return GATHER_E_IO;
		size_t at = 0;
		while ((size_t)n < max && at + ROW_HEAD <= want) {
			uint32_t len;
			uint64_t pref;
			memcpy(&len, s->rbuf + at, 4);
			memcpy(&pref, s->rbuf + at + 4, 8);
			if (!len)
				return GATHER_E_IO;   /* not a row: damaged */
			if (at + ROW_HEAD + len > want)
				break;                /* runs past the block: read it again */
			if (s->rbuf[at + ROW_HEAD + len - 1])
				return GATHER_E_IO;
			const char *url = s->rbuf + at + ROW_HEAD;
			const char *parent = NULL;
			if (pref && !(parent = parent_at(s, pref)))
				return GATHER_E_IO;
			at += ROW_HEAD + len;
			q->rd += ROW_HEAD + len;
			n++;
			int r = fn(url, parent, arg);
			if (r < 0)
				return r;
		}
		if (at == 0) {
			/* one row longer than the block: a bigger block */
			uint32_t len;
			memcpy(&len, s->rbuf, 4);
			size_t need = (size_t)len + ROW_HEAD;
			if (want >= ROW_HEAD && need > s->rcap && q->rd + need <= q->f.end) {
				char *b = realloc(s->rbuf, need);
				if (!b)
					return GATHER_E_NOMEM;
				s->rbuf = b;
				s->rcap = need;
				continue;
			}
			return GATHER_E_IO;
		}
	}
	if (q->rd == q->f.end) {
		/* every row taken: the file's space back */
		if (ftruncate(q->f.fd, 0) == 0)
			q->rd = q->f.end = 0;
	}
	return n;
}

unsigned long long gather_spill_bytes(const struct gather_spill *s)
{
	unsigned long long b = s->parents.end;
	for (size_t i = 0; i < s->depths.cap; i++)
		if (s->depths.key && s->depths.key[i])
			b += ((struct depthq *)s->depths.val[i])->f.end -
			     ((struct depthq *)s->depths.val[i])->rd;
	return b;
}
