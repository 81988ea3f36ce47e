/* site.c — the generated site of `gather bench` (see site.h). */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bench/site.h"
#include "gather/error.h"
#include "util/strbuf.h"

/* splitmix64: a small, well-mixed generator; the whole site follows from
 * the seed through it, so one seed is one site on every machine. */
static uint64_t mix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t hash_str(const char *p, size_t len)
{
	uint64_t h = 1469598103934665603ULL;   /* FNV-1a */
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)p[i]) * 1099511628211ULL;
	return h ^ (h >> 29);
}

static bool is_html(enum bench_kind k)
{
	return k == BENCH_PAGE || k == BENCH_LIST || k == BENCH_NEW || k == BENCH_PRIVATE;
}

static int add_link(struct bench_url *u, uint32_t *cap, uint32_t to, uint8_t form)
{
	if (u->nlinks == *cap) {
		uint32_t nc = *cap ? 2 * *cap : 16;
		struct bench_link *l = realloc(u->links, nc * sizeof *l);
		if (!l)
			return GATHER_E_NOMEM;
		u->links = l;
		*cap = nc;
	}
	u->links[u->nlinks++] = (struct bench_link){ to, form };
	return 0;
}

static int set_path(struct bench_url *u, enum bench_kind kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int set_path(struct bench_url *u, enum bench_kind kind, const char *fmt, ...)
{
	char buf[64];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	u->kind = kind;
	u->path = strdup(buf);
	return u->path ? 0 : GATHER_E_NOMEM;
}

static int index_paths(struct bench_site *s)
{
	s->nslot = 16;
	while (s->nslot < 2 * (size_t)s->n)
		s->nslot *= 2;
	s->slot = calloc(s->nslot, sizeof *s->slot);
	if (!s->slot)
		return GATHER_E_NOMEM;
	for (uint32_t id = 0; id < s->n; id++) {
		const char *p = s->u[id].path;
		size_t i = hash_str(p, strlen(p)) & (s->nslot - 1);
		while (s->slot[i])
			i = (i + 1) & (s->nslot - 1);
		s->slot[i] = id + 1;
	}
	return 0;
}

int64_t bench_site_lookup(const struct bench_site *s, const char *p, size_t len)
{
	size_t i = hash_str(p, len) & (s->nslot - 1);
	for (uint32_t v; (v = s->slot[i]); i = (i + 1) & (s->nslot - 1)) {
		const char *q = s->u[v - 1].path;
		if (strncmp(q, p, len) == 0 && q[len] == '\0')
			return v - 1;
	}
	return -1;
}

/* Depth of every URL from the seed as a crawler obeying robots.txt meets
 * it: PRIVATE and GONE are leaves (refused, 404), an OLD's NEW shares its
 * depth (the redirect is followed inside the one fetch). */
static int compute_depths(struct bench_site *s)
{
	uint32_t *q = malloc(s->n * sizeof *q);
	size_t head = 0, tail = 0;
	if (!q)
		return GATHER_E_NOMEM;
	for (uint32_t i = 0; i < s->n; i++)
		s->u[i].depth = -1;
	s->u[0].depth = 0;
	q[tail++] = 0;
	s->max_depth = 0;
	while (head < tail) {
		struct bench_url *u = &s->u[q[head++]];
		if (u->kind == BENCH_OLD) {
			struct bench_url *t = &s->u[u->target];
			if (t->depth < 0) {
				t->depth = u->depth;
				q[tail++] = u->target;
			}
			continue;
		}
		if (u->kind == BENCH_PRIVATE || !is_html(u->kind))
			continue;
		for (uint32_t k = 0; k < u->nlinks; k++) {
			struct bench_url *t = &s->u[u->links[k].to];
			if (t->depth >= 0)
				continue;
			t->depth = u->depth + 1;
			if (t->depth > s->max_depth)
				s->max_depth = t->depth;
			q[tail++] = u->links[k].to;
		}
	}
	free(q);
	return 0;
}

struct bench_site *bench_site_new(uint32_t n_pages, size_t size, uint64_t seed,
                                  char *err, size_t errlen)
{
	if (n_pages < 1 || n_pages > BENCH_MAX_PAGES) {
		snprintf(err, errlen, "pages must be 1 to %u", BENCH_MAX_PAGES);
		return NULL;
	}
	if (size < BENCH_MIN_SIZE || size > BENCH_MAX_SIZE) {
		snprintf(err, errlen, "size must be %u to %u bytes", BENCH_MIN_SIZE, BENCH_MAX_SIZE);
		return NULL;
	}
	/* The parts: P tree pages, L listing pages under two query orders, R
	 * moved pages (OLD + NEW), G dead links, D disallowed pages. */
	uint32_t L = n_pages >= 200 ? 2 : 0, R = n_pages >= 100 ? 3 : 0;
	uint32_t P = n_pages - 2 * L - R, G = n_pages >= 100 ? 3 : 1;
	uint32_t D = n_pages / 100 < 2 ? 2 : n_pages / 100;
	struct bench_site *s = calloc(1, sizeof *s);
	uint32_t *cap = NULL;
	uint64_t rng = seed;
	int rc = GATHER_E_NOMEM;

	if (!s)
		goto fail;
	s->seed = seed;
	s->size = size;
	s->n_pages = n_pages;
	s->n = P + 2 * L + 2 * R + G + D + 2;
	s->u = calloc(s->n, sizeof *s->u);
	cap = calloc(s->n, sizeof *cap);
	if (!s->u || !cap)
		goto fail;

	uint32_t id = 0, list0, old0, priv0;
	for (uint32_t i = 0; i < P; i++, id++) {
		uint64_t x = seed ^ (i * 0x9e3779b97f4a7c15ULL);
		rc = i == 0 ? set_path(&s->u[id], BENCH_PAGE, "/")
		            : set_path(&s->u[id], BENCH_PAGE, "/s%u/", (unsigned)(mix(&x) % 8));
		if (rc == 0 && i > 0) {   /* the file name after the section */
			char buf[64];
			snprintf(buf, sizeof buf, "%sp%u.html", s->u[id].path, i);
			free(s->u[id].path);
			if (!(s->u[id].path = strdup(buf)))
				rc = GATHER_E_NOMEM;
		}
		if (rc)
			goto fail;
	}
	list0 = id;
	for (uint32_t k = 0; k < L; k++) {
		if ((rc = set_path(&s->u[id], BENCH_LIST, "/list?page=%u&sort=name", k)))
			goto fail;
		s->u[id].target = id;
		id++;
		if ((rc = set_path(&s->u[id], BENCH_LIST, "/list?sort=name&page=%u", k)))
			goto fail;
		s->u[id].target = id - 1;   /* rendered as its twin */
		id++;
	}
	old0 = id;
	for (uint32_t k = 0; k < R; k++) {
		if ((rc = set_path(&s->u[id + k], BENCH_OLD, "/old/%u.html", k)) ||
		    (rc = set_path(&s->u[id + R + k], BENCH_NEW, "/new/%u.html", k)))
			goto fail;
		s->u[id + k].target = id + R + k;
	}
	id += 2 * R;
	for (uint32_t k = 0; k < G; k++, id++)
		if ((rc = set_path(&s->u[id], BENCH_GONE, "/gone/%u.html", k)))
			goto fail;
	priv0 = id;
	for (uint32_t k = 0; k < D; k++, id++)
		if ((rc = set_path(&s->u[id], BENCH_PRIVATE, "/private/%u.html", k)))
			goto fail;
	s->robots_id = id;
	if ((rc = set_path(&s->u[id++], BENCH_ROBOTS, "/robots.txt")))
		goto fail;
	s->sitemap_id = id;
	if ((rc = set_path(&s->u[id++], BENCH_SITEMAP, "/sitemap.xml")))
		goto fail;

	/* Links.  The tree makes every tree page reachable; cross links to
	 * any linkable URL make it a web, not a tree; every other URL is
	 * linked from two random tree pages, so it is reachable too. */
	uint32_t linkable = old0 + R;   /* tree pages, LIST, OLD */
	for (uint32_t i = 0; i < P; i++) {
		for (uint64_t c = 10ull * i + 1; c <= 10ull * i + 10 && c < P; c++)
			if ((rc = add_link(&s->u[i], &cap[i], (uint32_t)c, mix(&rng) % BENCH_FORMS)))
				goto fail;
		if (i > 0 && (rc = add_link(&s->u[i], &cap[i], (i - 1) / 10, mix(&rng) % BENCH_FORMS)))
			goto fail;
		for (int k = 0; k < 3; k++)
			if ((rc = add_link(&s->u[i], &cap[i], mix(&rng) % linkable, mix(&rng) % BENCH_FORMS)))
				goto fail;
	}
	for (uint32_t t = list0; t < priv0 + D; t++) {
		if (s->u[t].kind == BENCH_NEW)
			continue;   /* reached through its OLD only */
		for (int k = 0; k < 2; k++) {
			uint32_t from = mix(&rng) % P;
			if ((rc = add_link(&s->u[from], &cap[from], t, mix(&rng) % BENCH_FORMS)))
				goto fail;
		}
	}
	for (uint32_t t = list0; t < priv0 + D; t++) {
		struct bench_url *u = &s->u[t];
		if (!is_html(u->kind) || (u->kind == BENCH_LIST && u->target != t))
			continue;
		for (int k = 0; k < 5; k++)
			if ((rc = add_link(u, &cap[t], mix(&rng) % P, mix(&rng) % BENCH_FORMS)))
				goto fail;
		if (u->kind == BENCH_PRIVATE &&   /* a crawler ignoring robots goes deeper */
		    (rc = add_link(u, &cap[t], priv0 + (t - priv0 + 1) % D, 0)))
			goto fail;
	}
	for (uint32_t t = list0; t < old0; t++)   /* a LIST twin: the same links */
		if (s->u[t].target != t) {
			const struct bench_url *a = &s->u[s->u[t].target];
			if (!(s->u[t].links = malloc(a->nlinks * sizeof *a->links)))
				goto fail;
			memcpy(s->u[t].links, a->links, a->nlinks * sizeof *a->links);
			s->u[t].nlinks = a->nlinks;
		}
	if ((rc = index_paths(s)) || (rc = compute_depths(s)))
		goto fail;
	free(cap);
	return s;
fail:
	free(cap);
	bench_site_free(s);
	snprintf(err, errlen, "%s", rc == GATHER_E_NOMEM ? "out of memory" : gather_err_text(rc));
	return NULL;
}

void bench_site_free(struct bench_site *s)
{
	if (!s)
		return;
	for (uint32_t i = 0; s->u && i < s->n; i++) {
		free(s->u[i].path);
		free(s->u[i].links);
	}
	free(s->u);
	free(s->slot);
	free(s);
}

/* ---- spellings --------------------------------------------------------- */

static size_t put(char *buf, size_t cap, size_t at, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++, at++)
		if (at + 1 < cap)
			buf[at] = s[i];
	if (cap)
		buf[at + 1 < cap ? at : cap - 1] = '\0';
	return at;
}

#define PUTS(str) (at = put(buf, cap, at, (str), strlen(str)))
#define PUTN(str, n) (at = put(buf, cap, at, (str), (n)))

/* Length of the directory part of path p ("/s3/p7.html" → 4, "/list?x" → 1):
 * up to the last '/' before any query.  Every directory of the site is one
 * level deep at most, which the relative spellings rely on. */
static size_t dir_len(const char *p)
{
	size_t q = strcspn(p, "?"), d = 0;
	for (size_t i = 0; i < q; i++)
		if (p[i] == '/')
			d = i + 1;
	return d;
}

size_t bench_site_href(const struct bench_site *s, uint32_t from, const struct bench_link *l,
                       char *buf, size_t cap)
{
	const char *t = s->u[l->to].path, *f = s->u[from].path;
	size_t dt = dir_len(t), df = dir_len(f), at = 0;
	const char *b = t + dt;   /* the last segment, query included */
	char enc[8];
	const char *hex;

	if (cap)
		buf[0] = '\0';
	switch (l->form) {
	case 1:   /* relative to the page's directory */
		if (df == dt && strncmp(f, t, dt) == 0)
			return *b ? PUTS(b) : PUTS("./");
		if (df == 1)
			return t[1] ? PUTS(t + 1) : PUTS("/");
		PUTS("../");
		return t[1] ? PUTS(t + 1) : PUTS("./");
	case 2:   /* a "." segment */
		PUTN(t, dt);
		PUTS("./");
		return PUTS(b);
	case 3:   /* a fragment */
		PUTS(t);
		snprintf(enc, sizeof enc, "#f%u", l->to % 7);
		return PUTS(enc);
	case 4:   /* the first character percent-encoded, lower-case hex */
	case 6:   /* the last segment's first character, upper-case hex */
		hex = l->form == 4 ? "0123456789abcdef" : "0123456789ABCDEF";
		{
			size_t i = l->form == 4 ? 1 : dt;
			unsigned char c = (unsigned char)t[i];
			if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
				return PUTS(t);
			enc[0] = '%';
			enc[1] = hex[c >> 4];
			enc[2] = hex[c & 15];
			enc[3] = '\0';
			PUTN(t, i);
			PUTS(enc);
			return PUTS(t + i + 1);
		}
	case 5:   /* a ".." segment that comes back (above the root at "/") */
		PUTN(t, dt);
		PUTS("../");
		if (dt > 1)
			PUTN(t + 1, dt - 1);
		return PUTS(b);
	default:
		return PUTS(t);
	}
}

/* ---- bodies ------------------------------------------------------------- */

static const char *const words[] = {
	"gather", "crawl", "fetch", "engine", "reactor", "frontier", "worker", "queue",
	"parser", "link", "page", "host", "scope", "robots", "sitemap", "archive",
	"record", "header", "body", "chunk", "socket", "timer", "buffer", "event",
	"thread", "state", "machine", "result", "error", "limit", "depth", "origin",
};

static void render_html(const struct bench_site *s, uint32_t id, struct gather_strbuf *b)
{
	const struct bench_url *u = &s->u[id];
	uint32_t shown = u->kind == BENCH_LIST ? u->target : id;
	uint64_t x = s->seed ^ ((uint64_t)shown * 0xd1b54a32d192ed03ULL);
	char href[256];
	gather_strbuf_printf(b, "<!DOCTYPE html>\n<html><head><meta charset=utf-8>"
	                     "<title>Page %u</title></head>\n<body><h1>Page %u</h1>\n"
	                     "<ul class=nav>\n", shown, shown);
	for (uint32_t k = 0; k < u->nlinks && !b->oom; k++) {
		bench_site_href(s, id, &u->links[k], href, sizeof href);
		gather_strbuf_printf(b, "<li><a href=\"%s\">Link %u</a></li>\n", href, u->links[k].to);
	}
	gather_strbuf_adds(b, "</ul>\n");
	while (!b->oom && b->len + 24 < s->size) {
		gather_strbuf_adds(b, "<p>");
		for (int w = 0; w < 40 && b->len + 24 < s->size; w++) {
			if (w)
				gather_strbuf_addc(b, ' ');
			gather_strbuf_adds(b, words[mix(&x) % (sizeof words / sizeof *words)]);
		}
		gather_strbuf_adds(b, ".</p>\n");
	}
	gather_strbuf_adds(b, "</body></html>\n");
}

/* Sitemaps hold 50,000 URLs at most (sitemaps.org): the first ones. */
static void render_sitemap(const struct bench_site *s, const char *base, struct gather_strbuf *b)
{
	uint32_t listed = 0;
	gather_strbuf_adds(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	                   "<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n");
	for (uint32_t id = 0; id < s->n && listed < 50000 && !b->oom; id++) {
		const struct bench_url *u = &s->u[id];
		if (u->kind != BENCH_PAGE && u->kind != BENCH_LIST && u->kind != BENCH_NEW)
			continue;
		listed++;
		gather_strbuf_adds(b, "<url><loc>");
		gather_strbuf_adds(b, base);
		for (const char *p = u->path; *p; p++)   /* XML: the & of queries */
			if (*p == '&')
				gather_strbuf_adds(b, "&amp;");
			else
				gather_strbuf_addc(b, *p);
		gather_strbuf_adds(b, "</loc></url>\n");
	}
	gather_strbuf_adds(b, "</urlset>\n");
}

int bench_site_render(const struct bench_site *s, uint32_t id, const char *base,
                      char **ret, size_t *ret_len)
{
	struct gather_strbuf b = { 0 };
	const struct bench_url *u = &s->u[id];
	if (is_html(u->kind)) {
		render_html(s, id, &b);
	} else if (u->kind == BENCH_ROBOTS) {
		gather_strbuf_adds(&b, "User-agent: *\nDisallow: /private/\n\nSitemap: ");
		gather_strbuf_adds(&b, base);
		gather_strbuf_adds(&b, "/sitemap.xml\n");
	} else if (u->kind == BENCH_SITEMAP) {
		render_sitemap(s, base, &b);
	} else if (u->kind == BENCH_OLD) {
		gather_strbuf_adds(&b, "Moved to ");
		gather_strbuf_adds(&b, s->u[u->target].path);
		gather_strbuf_addc(&b, '\n');
	} else {
		gather_strbuf_adds(&b, "Not found\n");
	}
	if (b.oom) {
		free(b.p);
		return GATHER_E_NOMEM;
	}
	*ret = b.p;
	*ret_len = b.len;
	return 0;
}

int bench_site_status(const struct bench_site *s, uint32_t id)
{
	switch (s->u[id].kind) {
	case BENCH_OLD: return 301;
	case BENCH_GONE: return 404;
	default: return 200;
	}
}

const char *bench_site_content_type(const struct bench_site *s, uint32_t id)
{
	switch (s->u[id].kind) {
	case BENCH_ROBOTS: case BENCH_OLD: case BENCH_GONE: return "text/plain";
	case BENCH_SITEMAP: return "application/xml";
	default: return "text/html; charset=utf-8";
	}
}

/* ---- what a run must do -------------------------------------------------- */

void bench_site_expect(const struct bench_site *s, enum bench_mode mode,
                       uint8_t *expect_fetch, uint8_t *expect_record)
{
	for (uint32_t id = 0; id < s->n; id++) {
		const struct bench_url *u = &s->u[id];
		bool page = u->kind == BENCH_PAGE || u->kind == BENCH_LIST || u->kind == BENCH_NEW;
		if (mode == BENCH_GET) {
			expect_fetch[id] = expect_record[id] = page;
			continue;
		}
		bool reached = u->depth >= 0 && u->kind != BENCH_ROBOTS && u->kind != BENCH_SITEMAP;
		expect_fetch[id] = (reached && u->kind != BENCH_PRIVATE) || id == s->robots_id;
		/* a crawl does not follow a redirect inside the fetch: the OLD
		 * record is the 301, and its NEW target, queued in the
		 * frontier like a link, has a record of its own */
		expect_record[id] = reached;
	}
}

size_t bench_site_page_ids(const struct bench_site *s, uint32_t *ids)
{
	size_t n = 0;
	for (uint32_t id = 0; id < s->n; id++) {
		enum bench_kind k = s->u[id].kind;
		if (k == BENCH_PAGE || k == BENCH_LIST || k == BENCH_NEW)
			ids[n++] = id;
	}
	return n;
}

/* ---- --dump ------------------------------------------------------------- */

static int mkdirs(char *path)
{
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		int rc = mkdir(path, 0755);
		*p = '/';
		if (rc < 0 && errno != EEXIST)
			return -1;
	}
	return 0;
}

static int write_file(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "we");
	if (!f)
		return -1;
	size_t w = fwrite(data, 1, len, f);
	return (fclose(f) == 0 && w == len) ? 0 : -1;
}

int bench_site_dump(const struct bench_site *s, const char *dir, const char *base,
                    char *err, size_t errlen)
{
	struct gather_strbuf redirects = { 0 };
	char path[4096];
	int rc = 0;

	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
		return GATHER_E_IO;
	}
	for (uint32_t id = 0; id < s->n && rc == 0; id++) {
		const struct bench_url *u = &s->u[id];
		char *body = NULL;
		size_t len = 0;
		if (u->kind == BENCH_OLD) {
			gather_strbuf_adds(&redirects, u->path);
			gather_strbuf_addc(&redirects, ' ');
			gather_strbuf_adds(&redirects, s->u[u->target].path);
			gather_strbuf_addc(&redirects, '\n');
			continue;
		}
		if (u->kind == BENCH_GONE || (u->kind == BENCH_LIST && u->target != id))
			continue;
		if (u->kind == BENCH_LIST)   /* a static server cannot answer queries: list-K.html */
			snprintf(path, sizeof path, "%s/list-%s.html", dir, u->path + strlen("/list?page="));
		else
			snprintf(path, sizeof path, "%s%s%s", dir, u->path, id == 0 ? "index.html" : "");
		char *amp = u->kind == BENCH_LIST ? strchr(path + strlen(dir), '&') : NULL;
		if (amp)
			strcpy(amp, ".html");
		if (mkdirs(path) < 0 || bench_site_render(s, id, base, &body, &len) < 0 ||
		    write_file(path, body, len) < 0) {
			snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
			rc = GATHER_E_IO;
		}
		free(body);
	}
	if (rc == 0) {
		snprintf(path, sizeof path, "%s/REDIRECTS", dir);
		if (redirects.oom || write_file(path, redirects.p ? redirects.p : "", redirects.len) < 0) {
			snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
			rc = GATHER_E_IO;
		}
	}
	free(redirects.p);
	return rc;
}
