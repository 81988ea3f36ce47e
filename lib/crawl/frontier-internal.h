/* frontier-internal.h — the in-memory frontier's parts, shared by
 * frontier.c (entries and the ops table) and frontier-sched.c (depth
 * levels, host queues, the waiting heap, host placement).  See frontier.c
 * for the design.  Not for other files. */
#ifndef GATHER_FRONTIER_INTERNAL_H
#define GATHER_FRONTIER_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crawl/frontier.h"
#include "crawl/frontier-mem.h"
#include "util/hostshare.h"
#include "util/seen.h"
#include "util/u64map.h"

enum fe_state { FE_QUEUED, FE_INFLIGHT, FE_DONE };

struct fhost;

/* A URL that is not settled.  Owned by the map mem->entries. */
struct fentry {
	uint64_t fp;
	char *url;               /* in the same allocation, after the struct */
	char *parent;            /* NULL for seeds */
	struct fhost *host;
	unsigned depth;
	enum fe_state state;
	bool on_stack;
	bool released;           /* INFLIGHT: fetched() gave its host slot back */
	struct fentry *prev, *next; /* host queue (QUEUED) or kept list (DONE) */
	char *links;             /* DONE: NUL-separated, nlinks of them */
	size_t links_len, nlinks;
};

struct elist {
	struct fentry *head, *tail;
};

struct hlist {
	struct fhost *head, *tail;
};

/* A host's queued entries of one depth.  Owned by its host. */
struct hq {
	unsigned depth;
	struct elist l;
};

/* A host (host[:port]).  Owned by mem->hosts; lives as long as the frontier. */
struct fhost {
	uint64_t fp;
	unsigned inflight;
	size_t queued;
	uint64_t ready_at_ms;    /* no start before this */
	uint64_t delay_ms;       /* between starts; >= the frontier's */
	struct gather_hostslot *shared; /* counts of every crawl on the reactor
	                          * (gather_frontier_conf.share), or NULL */
	struct hq **q;           /* non-empty queues, by depth ascending */
	unsigned nq, qcap;
	enum { H_NONE, H_READY, H_WAITING } where;
	struct level *bucket;        /* H_READY: in bucket->ready */
	struct fhost *rprev, *rnext;
	size_t heap_idx;             /* in waiting heap */
};

enum { LV_UNFIN, LV_KEPT, LV_READY, LV_N };
#define LV_OUT SIZE_MAX

/* One depth in use.  Owned by mem->levels; freed as soon as all three
 * parts are empty. */
struct level {
	unsigned depth;
	uint64_t unfin;          /* queued + in flight */
	struct elist kept;       /* fetched, unsettled, with links */
	struct hlist ready;      /* hosts whose shallowest queued depth this is */
	size_t pos[LV_N];        /* index in mem->lv[k], or LV_OUT */
};

/* A min-heap of levels by depth. */
struct lheap {
	struct level **v;
	size_t n, cap;
};

struct mem {
	struct gather_frontier base;
	struct gather_frontier_conf c;
	uint64_t now_ms;
	struct gather_seen *seen;
	struct gather_u64map entries; /* fp -> struct fentry */
	struct gather_u64map hosts;   /* fp of host key -> struct fhost */
	size_t nhosts;
	struct gather_u64map levels;  /* depth + 1 -> struct level */
	struct lheap lv[LV_N];        /* levels with that part non-empty */
	uint64_t nhq;                 /* host queues held */
	uint64_t touched;             /* test hook: slots looked at */
	struct fhost **heap;
	size_t nheap, heapcap;
	/* A layer keeping part of the queue elsewhere (frontier-mem.h). */
	gather_frontier_spill_fn spill;
	void *spill_arg;
	uint64_t floor;          /* its shallowest depth (UINT64_MAX: none) */
	struct fentry **stack;   /* pages whose links are to be offered again */
	size_t nstack, stackcap;
	struct gather_frontier_stats st;
};

/* ---- frontier-sched.c -------------------------------------------------- */

uint64_t fr_host_fp(const struct mem *m, const char *url);
void fr_el_push(struct elist *l, struct fentry *e);
void fr_el_unlink(struct elist *l, struct fentry *e);
void fr_lh_set(struct mem *m, int k, struct level *L, bool in);
struct level *fr_lh_min(struct mem *m, int k);
struct level *fr_level_get(struct mem *m, unsigned d);
void fr_level_update(struct mem *m, struct level *L);
struct level *fr_level_need(struct mem *m, unsigned d);
uint64_t fr_unfin_min(struct mem *m);
void fr_unfin_dec(struct mem *m, unsigned d);
struct hq *fr_hq_get(struct mem *m, const struct fhost *h, unsigned d);
struct hq *fr_hq_need(struct mem *m, struct fhost *h, unsigned d);
void fr_hq_trim(struct mem *m, struct fhost *h, struct hq *hq);
bool fr_shared_blocked(struct mem *m, struct fhost *h);
void fr_host_place(struct mem *m, struct fhost *h);
struct fhost *fr_host_get(struct mem *m, const char *url);

#endif
