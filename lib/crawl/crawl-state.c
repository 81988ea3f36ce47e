/* crawl-state.c — a crawl's --state DIR (see crawl-state.h): the facts a
 * commit writes, the frontier that logs its adds, and the resume.
 *
 * Threads: open, the frontier and finish on the reactor; durable() and
 * synced() on the pipeline's writer thread.  What both touch (the pending
 * batch, the set of URL ids the state names, the error) is under mu. */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/random.h>
#include <time.h>

#include "crawl/crawl-replay.h"
#include "crawl/crawl-state.h"
#include "crawl/frontier-mem.h"
#include "crawl/frontier.h"
#include "gather/error.h"
#include "gather/options.h"
#include "crawl/frontier-state.h"
#include "store/state.h"
#include "util/clock.h"
#include "util/seen.h"
#include "util/strbuf.h"
#include "util/u64map.h"
#include "util/vec.h"

/* One commit's facts, built between two syncs. */
struct pending {
	VEC(struct gather_state_page) pages;
	VEC(uint64_t) ids;
	VEC(struct gather_state_url) urls;
	struct gather_strbuf text;
	VEC(struct gather_state_add) adds;
	VEC(uint64_t) marks;
	struct gather_run_stats st;   /* records of these pages */
};

struct crawl_state {
	struct gather_state *db;
	char *dir;
	uint8_t key[16];
	unsigned max_depth;
	struct gather_output_marks at;
	bool have_marks;              /* at is from an earlier run */
	bool resumed, finished;
	uint64_t pages;               /* pages committed when opened */
	struct gather_run_stats carried; /* counters when opened */
	struct gather_u64map marks;   /* bad seed records written (key -> 1) */

	pthread_mutex_t mu;
	struct gather_seen *known;    /* URL ids in the state or pending */
	struct pending p;
	char err[512];
	bool failed;
	uint64_t queued, inflight;    /* the frontier's, last said */

	/* writer thread only */
	struct gather_run_stats committed;
};

/* ---- helpers ------------------------------------------------------------- */

static uint64_t fp(const struct crawl_state *cs, const char *s)
{
	return gather_seen_fingerprint(cs->key, s, strlen(s));
}

static void pending_free(struct pending *p)
{
	free(p->pages.v);
	free(p->ids.v);
	free(p->urls.v);
	free(p->text.p);
	free(p->adds.v);
	free(p->marks.v);
	memset(p, 0, sizeof *p);
}

static bool pending_oom(const struct pending *p)
{
	return p->pages.oom || p->ids.oom || p->urls.oom || p->adds.oom || p->marks.oom ||
	       p->text.oom;
}

/* The URL with id is named in the next commit unless the state has it
 * (mu held). */
static void name_url(struct crawl_state *cs, uint64_t id, const char *url)
{
	if (gather_seen_has(cs->known, id))
		return;
	if (gather_seen_add(cs->known, id) < 0) {
		cs->p.urls.oom = true;
		return;
	}
	struct gather_state_url u = { id, cs->p.text.len, strlen(url) };
	gather_strbuf_add(&cs->p.text, url, u.len);
	VEC_PUSH(cs->p.urls, u);
}

static void fail(struct crawl_state *cs, const char *msg)
{
	pthread_mutex_lock(&cs->mu);
	if (!cs->failed) {
		cs->failed = true;
		snprintf(cs->err, sizeof cs->err, "%s", msg);
	}
	pthread_mutex_unlock(&cs->mu);
}

/* ---- the options that choose pages --------------------------------------- */

static void strv_text(struct gather_strbuf *b, const struct gather_strv *v)
{
	b->len = 0;
	gather_strbuf_adds(b, "");   /* "" when v is empty */
	for (size_t i = 0; v && i < v->n; i++) {
		if (i)
			gather_strbuf_addc(b, ' ');
		gather_strbuf_adds(b, v->v[i]);
	}
}

/* name = value for each option a resumed crawl must share with the crawl
 * that made the state: those that choose which pages are fetched, and
 * the outputs (their files are resumed). */
struct sig {
	char name[32];
	char *value;
};

static void sig_put(struct sig *out, size_t *n, const char *name, const struct gather_strbuf *b)
{
	snprintf(out[*n].name, sizeof out[*n].name, "%s", name);
	out[(*n)++].value = strdup(b->p ? b->p : "");
}

static size_t signature(const struct gather_opts *o, const struct gather_strv *seeds,
                        struct sig *out)
{
	static const char *const scopes[] = { "host", "domain", "prefix", "any" };
	const struct { const char *name; const struct gather_strv *v; } lists[] = {
		{ "seeds", seeds }, { "input", &o->input }, { "allow", &o->allow },
		{ "deny", &o->deny },
	};
	struct gather_strbuf b = { 0 };
	size_t n = 0;
	for (size_t i = 0; i < sizeof lists / sizeof *lists; i++) {
		strv_text(&b, lists[i].v);
		sig_put(out, &n, lists[i].name, &b);
	}
#define SIG(nm, ...)                                                          \
	do {                                                                  \
		b.len = 0;                                                    \
		gather_strbuf_adds(&b, "");                                   \
		gather_strbuf_printf(&b, __VA_ARGS__);                        \
		sig_put(out, &n, nm, &b);                                     \
	} while (0)
	SIG("depth", "%u", o->depth);
	SIG("scope", "%s", (unsigned)o->scope < 4 ? scopes[o->scope] : "?");
	SIG("robots", "%s", o->robots ? "on" : "off");
	SIG("max-pages", "%llu", (unsigned long long)o->max_pages);
	SIG("assets", "%s", o->assets ? "on" : "off");
	SIG("max-url-length", "%u", o->max_url_len);
	SIG("max-links", "%u", o->max_links);
	SIG("sitemaps", "%s", o->sitemaps ? "on" : "off");
	SIG("jsonl", "%s", o->jsonl && strcmp(o->jsonl, "-") ? o->jsonl : "(stdout)");
	SIG("warc", "%s", o->warc ? o->warc : "(none)");
	SIG("mirror", "%s", o->mirror ? o->mirror : "(none)");
#undef SIG
	free(b.p);
	return n;
}

#define SIG_MAX 20

static int check_signature(struct crawl_state *cs, const struct gather_opts *o,
                           const struct gather_strv *seeds, char *err, size_t errlen)
{
	struct sig sig[SIG_MAX];
	size_t n = signature(o, seeds, sig);
	int rc = 0;
	const char *k[SIG_MAX];
	const char *v[SIG_MAX];
	char keys[SIG_MAX][48];
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (!sig[i].value) {
			snprintf(err, errlen, "out of memory");
			rc = GATHER_E_NOMEM;
			break;
		}
		snprintf(keys[i], sizeof keys[i], "opt:%.31s", sig[i].name);
		k[i] = keys[i];
		v[i] = sig[i].value;
		if (cs->resumed) {
			char *was = NULL;
			if (gather_state_get(cs->db, keys[i], &was, NULL) < 0) {
				gather_state_why(cs->db, err, errlen);
				rc = GATHER_E_IO;
			} else if (!was || strcmp(was, sig[i].value) != 0) {
				snprintf(err, errlen,
				         "%s holds a crawl made with other %s (%s%s%s), not %s%s%s: "
				         "resume it with the same seeds and options, or use another "
				         "--state DIR", cs->dir, sig[i].name,
				         strchr("sia", sig[i].name[0]) ? "\"" : "", was ? was : "?",
				         strchr("sia", sig[i].name[0]) ? "\"" : "",
				         strchr("sia", sig[i].name[0]) ? "\"" : "", sig[i].value,
				         strchr("sia", sig[i].name[0]) ? "\"" : "");
				rc = GATHER_E_INVALID;
			}
			free(was);
		}
	}
	if (rc == 0 && !cs->resumed) {
		rc = gather_state_set(cs->db, k, v, NULL, n, err, errlen);
	}
	for (size_t i = 0; i < n; i++)
		free(sig[i].value);
	return rc;
}

/* ---- the frontier's adds -------------------------------------------------- */

/* The state frontier: url was added from outside a page's links (a seed, a
 * sitemap URL, a redirect target): it joins the next commit. */
static int log_add(void *arg, const char *url, unsigned depth, const char *parent)
{
	struct crawl_state *cs = arg;
	uint64_t id = fp(cs, url);
	struct gather_state_add a = { id, depth, parent ? fp(cs, parent) : 0 };
	pthread_mutex_lock(&cs->mu);
	name_url(cs, id, url);
	VEC_PUSH(cs->p.adds, a);
	bool oom = pending_oom(&cs->p);
	pthread_mutex_unlock(&cs->mu);
	return oom ? GATHER_E_NOMEM : 0;
}

static int load_mark(uint64_t key, void *arg)
{
	struct crawl_state *cs = arg;
	return key ? gather_u64map_put(&cs->marks, key, (void *)1) : 0;
}

static int load_output(const struct gather_state_output *o, void *arg)
{
	struct crawl_state *cs = arg;
	if (strcmp(o->name, "jsonl") == 0) {
		cs->at.jsonl = true;
		cs->at.jsonl_off = o->off;
	} else if (strcmp(o->name, "warc") == 0) {
		cs->at.warc = true;
		cs->at.warc_file = o->file;
		cs->at.warc_off = o->off;
	}
	return 0;
}

static const char *const counter_keys[] = { "done", "ok", "failed", "refused", "limited",
	                                    "bytes" };

static uint64_t *counter(struct gather_run_stats *st, size_t i)
{
	uint64_t *v[] = { &st->done, &st->ok, &st->failed, &st->refused, &st->limited,
		          &st->bytes };
	return v[i];
}

/* ---- public ------------------------------------------------------------ */

int crawl_state_open(const struct gather_opts *o, const struct gather_strv *seeds,
                     struct gather_frontier_conf *fc, struct crawl_state **ret,
                     struct gather_frontier **frontier, char *err, size_t errlen)
{
	*ret = NULL;
	*frontier = NULL;
	struct crawl_state *cs = calloc(1, sizeof *cs);
	struct gather_frontier *sf = NULL;
	int rc = GATHER_E_NOMEM;
	if (!cs || !(cs->dir = strdup(o->state)) || !(cs->known = gather_seen_new())) {
		snprintf(err, errlen, "out of memory");
		goto fail_early;
	}
	pthread_mutex_init(&cs->mu, NULL);
	cs->max_depth = fc->max_depth;
	if ((rc = gather_state_open(o->state, &cs->db, err, errlen)) < 0)
		goto fail;
	char *key = NULL;
	size_t klen = 0;
	if ((rc = gather_state_get(cs->db, "key", &key, &klen)) < 0) {
		gather_state_why(cs->db, err, errlen);
		goto fail;
	}
	if (key && klen == 16) {
		memcpy(cs->key, key, 16);
		cs->resumed = true;
	} else if (!key) {
		/* new (or made and killed before its first words) */
		memcpy(cs->key, fc->key, 16);
	} else {
		free(key);
		snprintf(err, errlen, "%s: the crawl state has no usable key (damaged?)", o->state);
		rc = GATHER_E_INVALID;
		goto fail;
	}
	free(key);
	if ((rc = check_signature(cs, o, seeds, err, errlen)) < 0)
		goto fail;
	if (!cs->resumed) {
		const char *k[] = { "key", "created" };
		char created[32];
		snprintf(created, sizeof created, "%lld", (long long)time(NULL));
		const char *v[] = { (const char *)cs->key, created };
		size_t l[] = { 16, strlen(created) };
		if ((rc = gather_state_set(cs->db, k, v, l, 2, err, errlen)) < 0)
			goto fail;
	}
	memcpy(fc->key, cs->key, 16);

	/* what the state holds */
	uint64_t fin = 0;
	if ((rc = gather_state_outputs(cs->db, load_output, cs)) < 0 ||
	    (rc = gather_state_get_u64(cs->db, "finished", &fin)) < 0 ||
	    (rc = gather_state_each_mark(cs->db, load_mark, cs)) < 0) {
		gather_state_why(cs->db, err, errlen);
		goto fail;
	}
	cs->finished = fin != 0;
	for (size_t i = 0; i < sizeof counter_keys / sizeof *counter_keys; i++) {
		char k[32];
		snprintf(k, sizeof k, "n:%s", counter_keys[i]);
		gather_state_get_u64(cs->db, k, counter(&cs->carried, i));
	}
	cs->committed = cs->carried;
	cs->have_marks = cs->resumed;

	/* the frontier: replayed from the committed pages; the queue beyond
	 * its window on disk next to the state */
	{
		size_t pl = strlen(o->state) + sizeof "/queue.db";
		char *qp = malloc(pl);
		if (!qp) {
			snprintf(err, errlen, "out of memory");
			rc = GATHER_E_NOMEM;
			goto fail;
		}
		/* queue.db: the SQLite queue of earlier versions, if one was
		 * left by a kill */
		snprintf(qp, pl, "%s/queue.db", o->state);
		unlink(qp);
		snprintf(qp, pl, "%s/queue", o->state);
		sf = gather_frontier_state_new(fc, o->queue_window ? o->queue_window
		                                                    : CRAWL_STATE_WINDOW,
		                               qp, log_add, cs, err, errlen);
		free(qp);
		if (!sf) {
			rc = GATHER_E_IO;
			goto fail;
		}
	}
	if ((rc = crawl_replay(cs->db, cs->known, cs->max_depth, sf, &cs->pages, err, errlen)) < 0)
		goto fail;
	*ret = cs;
	*frontier = sf;
	return 0;
fail:
	gather_frontier_free(sf);
fail_early:
	crawl_state_free(cs);
	return rc;
}

void crawl_state_free(struct crawl_state *cs)
{
	if (!cs)
		return;
	gather_state_close(cs->db);
	gather_seen_free(cs->known);
	gather_u64map_clear(&cs->marks);
	pending_free(&cs->p);
	if (cs->dir)
		pthread_mutex_destroy(&cs->mu);
	free(cs->dir);
	free(cs);
}

const struct gather_output_marks *crawl_state_marks(const struct crawl_state *cs)
{
	/* a state whose outputs were never committed: reopened empty (and a
	 * WARC rotation begun then is removed) */
	return cs->resumed ? &cs->at : NULL;
}

void crawl_state_counters(const struct crawl_state *cs, struct gather_run_stats *st)
{
	for (size_t i = 0; i < sizeof counter_keys / sizeof *counter_keys; i++)
		*counter(st, i) = *counter((struct gather_run_stats *)&cs->carried, i);
}

uint64_t crawl_state_pages(const struct crawl_state *cs)
{
	return cs->pages;
}

bool crawl_state_resumed(const struct crawl_state *cs)
{
	return cs->resumed;
}

bool crawl_state_finished(const struct crawl_state *cs)
{
	return cs->finished;
}

uint64_t crawl_state_mark_key(const struct crawl_state *cs, const char *url, const char *msg)
{
	struct gather_strbuf b = { 0 };
	gather_strbuf_printf(&b, "%s\n%s", url ? url : "", msg ? msg : "");
	uint64_t k = b.p ? gather_seen_fingerprint(cs->key, b.p, b.len) : 0;
	free(b.p);
	return k;
}

bool crawl_state_marked(const struct crawl_state *cs, uint64_t key)
{
	return key && gather_u64map_get(&cs->marks, key) != NULL;
}

/* Writer thread: r is in every output.  Its facts join the next commit. */
void crawl_state_durable(struct crawl_state *cs, const struct gather_result *r)
{
	pthread_mutex_lock(&cs->mu);
	struct pending *p = &cs->p;
	p->st.done++;
	if (r->err == 0 && r->status > 0 && r->status < 400)
		p->st.ok++;
	else if (r->err == GATHER_E_ROBOTS || r->err == GATHER_E_SCOPE)
		p->st.refused++;
	else if (r->err == GATHER_E_LIMIT)
		p->st.limited++;
	else
		p->st.failed++;
	p->st.bytes += r->bytes;
	if (!r->frontier_id) {
		/* a bad seed line: remembered so a resume does not write it again */
		uint64_t k = crawl_state_mark_key(cs, r->url, r->message);
		if (k)
			VEC_PUSH(p->marks, k);
		pthread_mutex_unlock(&cs->mu);
		return;
	}
	size_t n = r->processed ? r->links.n : 0;
	struct gather_state_page pg = { r->frontier_id, r->depth, 0, p->ids.n, n };
	for (size_t i = 0; i < n; i++) {
		uint64_t id = r->link_ids ? r->link_ids[i] : fp(cs, r->links.v[i]);
		name_url(cs, id, r->links.v[i]);
		VEC_PUSH(p->ids, id);
	}
	VEC_PUSH(p->pages, pg);
	pthread_mutex_unlock(&cs->mu);
}

/* Writer thread: the outputs are on disk up to m: commit. */
void crawl_state_synced(struct crawl_state *cs, const struct gather_output_marks *m)
{
	struct pending take = { 0 };
	if (m->error) {
		fail(cs, m->error);   /* the crawl stops at the last commit */
		return;
	}
	pthread_mutex_lock(&cs->mu);
	if (cs->failed || (!cs->p.pages.n && !cs->p.adds.n && !cs->p.marks.n && !cs->p.urls.n &&
	                   !cs->p.st.done)) {
		pthread_mutex_unlock(&cs->mu);
		return;
	}
	bool oom = pending_oom(&cs->p);
	uint64_t queued = cs->queued, inflight = cs->inflight;
	take = cs->p;
	memset(&cs->p, 0, sizeof cs->p);
	pthread_mutex_unlock(&cs->mu);
	if (oom) {
		/* a fact is missing: committing the rest would lose a page */
		fail(cs, "out of memory keeping the crawl state: it stops at its last commit");
		pending_free(&take);
		return;
	}

	struct gather_state_output outs[2];
	size_t no = 0;
	/* the paths are in the options signature; the name is what counts */
	if (m->jsonl)
		outs[no++] = (struct gather_state_output){ "jsonl", "", 0, m->jsonl_off };
	if (m->warc)
		outs[no++] = (struct gather_state_output){ "warc", "", m->warc_file, m->warc_off };
	struct gather_run_stats tot = cs->committed;
	for (size_t i = 0; i < sizeof counter_keys / sizeof *counter_keys; i++)
		*counter(&tot, i) += *counter(&take.st, i);
	char vals[10][24], keys[10][24], when[24];
	const char *mk[11], *mv[11];
	size_t nm = 0;
	for (size_t i = 0; i < sizeof counter_keys / sizeof *counter_keys; i++, nm++) {
		snprintf(keys[nm], sizeof keys[nm], "n:%s", counter_keys[i]);
		snprintf(vals[nm], sizeof vals[nm], "%llu", (unsigned long long)*counter(&tot, i));
		mk[nm] = keys[nm];
		mv[nm] = vals[nm];
	}
	snprintf(keys[nm], sizeof keys[nm], "queued");
	snprintf(vals[nm], sizeof vals[nm], "%llu", (unsigned long long)queued);
	mk[nm] = keys[nm];
	mv[nm] = vals[nm];
	nm++;
	snprintf(keys[nm], sizeof keys[nm], "inflight");
	snprintf(vals[nm], sizeof vals[nm], "%llu", (unsigned long long)inflight);
	mk[nm] = keys[nm];
	mv[nm] = vals[nm];
	nm++;
	snprintf(when, sizeof when, "%lld", (long long)time(NULL));
	mk[nm] = "committed";
	mv[nm++] = when;
	struct gather_state_batch b = {
		.pages = take.pages.v, .npages = take.pages.n,
		.ids = take.ids.v,
		.urls = take.urls.v, .nurls = take.urls.n, .text = take.text.p,
		.adds = take.adds.v, .nadds = take.adds.n,
		.marks = take.marks.v, .nmarks = take.marks.n,
		.outputs = outs, .noutputs = no,
		.mk = mk, .mv = mv, .nmeta = nm,
	};
	char err[512];
	if (gather_state_commit(cs->db, &b, err, sizeof err) < 0)
		fail(cs, err);
	else
		cs->committed = tot;
	pending_free(&take);
}

void crawl_state_gauges(struct crawl_state *cs, uint64_t queued, uint64_t inflight)
{
	pthread_mutex_lock(&cs->mu);
	cs->queued = queued;
	cs->inflight = inflight;
	pthread_mutex_unlock(&cs->mu);
}

bool crawl_state_error(struct crawl_state *cs, char *buf, size_t len)
{
	pthread_mutex_lock(&cs->mu);
	bool f = cs->failed;
	if (f && buf)
		snprintf(buf, len, "%s", cs->err);
	pthread_mutex_unlock(&cs->mu);
	return f;
}

int crawl_state_finish(struct crawl_state *cs, char *err, size_t errlen)
{
	const char *k[] = { "finished" }, *v[] = { "1" };
	return gather_state_set(cs->db, k, v, NULL, 1, err, errlen);
}
