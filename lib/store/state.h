/* state.h — a crawl's state directory (--state DIR): one SQLite database in
 * WAL mode, DIR/state.db, and a lock file, DIR/lock, that one process at a
 * time holds (flock).  This layer knows tables and transactions, not
 * crawling: lib/crawl/crawl-state.c says what goes in and rebuilds a crawl
 * from it.
 *
 * The database holds facts, each committed only once it is true on disk:
 *   urls(id, url)          every URL the state names (id: its fingerprint
 *                          with the crawl's key, kept in meta "key")
 *   pages(id, depth, parent, links)   a page whose record is in every
 *                          output, with the ids of the links it brought
 *   adds(id, depth, parent)  URLs put in the frontier from outside a page's
 *                          links: seeds, sitemap URLs, redirect targets
 *   marks(key)             records without a frontier id (bad seed lines)
 *                          already written
 *   outputs(name, path, file, off)  where each output ended at the commit
 *   meta(k, v)             version, key, the options that choose pages,
 *                          counters, finished, commit time
 * A commit (gather_state_commit) writes one batch of these in one
 * transaction, after the outputs were fdatasync'ed: so the outputs always
 * hold at least what the database says, and a resumed crawl cuts them back
 * to the committed offsets and fetches again what came after.
 *
 * Threads: a gather_state is used by one thread at a time (the reactor
 * while a crawl opens and resumes, then the writer thread for commits). */
#ifndef GATHER_STATE_H
#define GATHER_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct gather_state;

/* Open (create when missing, with its directory) DIR's state and take its
 * lock.  0, or GATHER_E_IO / GATHER_E_INVALID with err naming the file and
 * the problem: another process holds the lock, not a gather state, a newer
 * version, read-only, corrupt. */
int gather_state_open(const char *dir, struct gather_state **ret, char *err, size_t errlen);
/* Open without the lock and read-only, to look (gather state DIR). */
int gather_state_open_ro(const char *dir, struct gather_state **ret, char *err, size_t errlen);
void gather_state_close(struct gather_state *st);    /* accepts NULL */

/* True when the database was made by this open (no meta yet). */
bool gather_state_is_new(const struct gather_state *st);

/* meta: a value (malloc'ed, NUL-terminated; *len its length) or NULL when
 * absent (*ret NULL, return 0).  0 or GATHER_E_IO. */
int gather_state_get(struct gather_state *st, const char *k, char **ret, size_t *len);
int gather_state_get_u64(struct gather_state *st, const char *k, uint64_t *ret);
/* Set meta values now, in a transaction of their own (n pairs). */
int gather_state_set(struct gather_state *st, const char *const *k, const char *const *v,
                     const size_t *vlen, size_t n, char *err, size_t errlen);

/* One output's committed end. */
struct gather_state_output {
	const char *name;   /* "jsonl", "warc", "mirror" */
	const char *path;
	unsigned file;      /* rotated WARC: index of the file being written */
	uint64_t off;       /* bytes of that file committed */
};
/* Each committed output, or none for a state never committed. */
int gather_state_outputs(struct gather_state *st,
                         int (*fn)(const struct gather_state_output *o, void *arg), void *arg);

/* Replay (a resume): every url, page, add and mark, in no given order
 * but adds in the order they were made.  fn returning < 0 stops it with
 * that value.  links: n ids, packed little-endian 8 bytes each. */
int gather_state_each_url(struct gather_state *st,
                          int (*fn)(uint64_t id, const char *url, size_t len, void *arg), void *arg);
int gather_state_each_page(struct gather_state *st,
                           int (*fn)(uint64_t id, unsigned depth, uint64_t parent,
                                     const unsigned char *links, size_t n, void *arg),
                           void *arg);
int gather_state_each_add(struct gather_state *st,
                          int (*fn)(uint64_t id, unsigned depth, uint64_t parent, void *arg),
                          void *arg);
int gather_state_each_mark(struct gather_state *st, int (*fn)(uint64_t key, void *arg), void *arg);

/* Every meta value, in order of key (v is not NUL-terminated). */
int gather_state_each_meta(struct gather_state *st,
                           int (*fn)(const char *k, const char *v, size_t len, void *arg),
                           void *arg);

/* err := "PATH: cannot read the crawl state: " and SQLite's word on the
 * last failure (a damaged file says "database disk image is malformed"). */
void gather_state_why(const struct gather_state *st, char *err, size_t errlen);

/* Counts for gather state: rows of pages, urls, adds. */
int gather_state_counts(struct gather_state *st, uint64_t *pages, uint64_t *urls, uint64_t *adds);

/* ---- a commit ------------------------------------------------------------- */

struct gather_state_page {
	uint64_t id;
	unsigned depth;
	uint64_t parent;     /* id, 0 for none */
	size_t first, n;     /* its links: ids[first .. first + n) of the batch */
};
struct gather_state_url {
	uint64_t id;
	size_t off, len;     /* in the batch's text */
};
struct gather_state_add {
	uint64_t id;
	unsigned depth;
	uint64_t parent;
};

/* What one commit writes.  The caller builds it (arrays it owns). */
struct gather_state_batch {
	const struct gather_state_page *pages;
	size_t npages;
	const uint64_t *ids;            /* links of the pages */
	const struct gather_state_url *urls;
	size_t nurls;
	const char *text;               /* the urls' strings */
	const struct gather_state_add *adds;
	size_t nadds;
	const uint64_t *marks;
	size_t nmarks;
	const struct gather_state_output *outputs;
	size_t noutputs;
	const char *const *mk;          /* meta to set too (counters) */
	const char *const *mv;
	size_t nmeta;
};

/* One transaction: all of b or nothing.  0 or GATHER_E_IO with err (disk
 * full, read-only...): nothing of b is kept then. */
int gather_state_commit(struct gather_state *st, const struct gather_state_batch *b,
                        char *err, size_t errlen);

#endif
