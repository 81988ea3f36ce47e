/* mirror.c — saving bodies as files without ever writing outside the
 * directory we were given.
 *
 * The cautionary tales are wget's CVE-2014-4877 (a symlink served over FTP
 * was followed, writing anywhere) and CVE-2016-4971 (a redirect chose the
 * local file name).  So:
 *   - names come from gather_mirror_path / gather_mirror_flat_name, which
 *     escape everything that could mean something to the file system
 *     (percent-decoded dots and slashes included: "%2e%2e" is decoded, then
 *     the segment ".." is stored as the literal name "%2E%2E");
 *   - every directory is opened relative to its parent's descriptor with
 *     O_NOFOLLOW | O_DIRECTORY, created with mkdirat, and the file is created
 *     with openat(O_CREAT | O_EXCL | O_NOFOLLOW) under a temporary name and
 *     renamed (renameat replaces a symlink, it does not write through it);
 *   - a name that is needed both as a file and as a directory (page "a",
 *     then page "a/b"): the directory wins and the file is kept as
 *     "a%file" ("%f" is never produced by the escaper, which writes
 *     upper-case hex, so no URL maps there).  wget deletes the file instead.
 *
 * Durability: files appear whole (rename) or not at all; the data reaches
 * the disk at gather_mirror_close (one syncfs for the whole tree rather than
 * an fsync per page, which would make the writer thread disk-bound). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "gather/error.h"
#include "util/hex.h"
#include "output/mirror.h"
#include "util/strbuf.h"
#include "gather/result.h"

#define CONFLICT_SUFFIX "%file"
#define TMP_PREFIX ".gather-tmp-"
#define FLAT_STEM_MAX 100

struct gather_mirror {
	char *dir;  /* as given, for messages */
	int root;   /* O_DIRECTORY descriptor of dir */
	bool flat;
};

/* -- names ------------------------------------------------------------------ */

static void sha256_hex(const char *s, size_t n, char out[65])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	if (EVP_Digest(s, n, md, &len, EVP_sha256(), NULL) != 1 || len != 32)
		memset(md, 0, 32);
	for (int i = 0; i < 32; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[64] = '\0';
}

/* Append s[0..n) percent-decoded, then with every byte that could mean
 * something to a file system, '%' (so the mapping is one-to-one) and, in a
 * path segment, '@' (our query separator) encoded as %XX. */
static void escape_into(struct gather_strbuf *c, const char *s, size_t n, bool is_query)
{
	static const char hex[] = "0123456789ABCDEF";

	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		int hi, lo;
		if (ch == '%' && i + 2 < n && (hi = gather_hexval(s[i + 1])) >= 0 &&
		    (lo = gather_hexval(s[i + 2])) >= 0) {
			ch = (unsigned char)(hi << 4 | lo);
			i += 2;
		}
		if (ch < 0x20 || ch == 0x7f || ch == '/' || ch == '\\' || ch == '%' ||
		    (ch == '@' && !is_query)) {
			char e[3] = { '%', hex[ch >> 4], hex[ch & 15] };
			gather_strbuf_add(c, e, 3);
		} else
			gather_strbuf_addc(c, (char)ch);
	}
}

/* Append the escaped component c as a file name: "." and ".." become "%2E"
 * and "%2E%2E"; a name over GATHER_MIRROR_MAX_NAME bytes keeps a 150-byte
 * prefix (not cutting a %XX in two) followed by "~" and 32 hex digits of the
 * SHA-256 of the whole name. */
static void add_name(struct gather_strbuf *out, const struct gather_strbuf *c)
{
	if (c->oom) {
		out->oom = true;
		return;
	}
	if (c->len == 1 && c->p[0] == '.')
		gather_strbuf_add(out, "%2E", 3);
	else if (c->len == 2 && c->p[0] == '.' && c->p[1] == '.')
		gather_strbuf_add(out, "%2E%2E", 6);
	else if (c->len > GATHER_MIRROR_MAX_NAME) {
		char h[65];
		size_t keep = 150;
		for (size_t k = keep - 2; k < 150; k++)
			if (c->p[k] == '%')
				keep = k;
		sha256_hex(c->p, c->len, h);
		gather_strbuf_add(out, c->p, keep);
		gather_strbuf_addc(out, '~');
		gather_strbuf_add(out, h, 32);
	} else if (c->len > 0)
		gather_strbuf_add(out, c->p, c->len);
}

/* escape_into + add_name for one component. */
static void add_component(struct gather_strbuf *out, const char *s, size_t n, bool is_query)
{
	struct gather_strbuf c = { 0 };
	escape_into(&c, s, n, is_query);
	add_name(out, &c);
	free(c.p);
}

/* The parts of an absolute URL we name files by. */
struct urlparts {
	const char *scheme; size_t scheme_len;
	const char *host; size_t host_len;     /* without brackets for IPv6 */
	bool ipv6;
	const char *port; size_t port_len;     /* digits, or empty */
	const char *path; size_t path_len;     /* from '/', may be empty */
	const char *query; size_t query_len;   /* after '?', may be empty */
};

/* Split url (scheme "://" authority path ["?" query] ["#" fragment]); the
 * userinfo is dropped.  Returns false when there is no "://". */
static bool split_url(const char *url, struct urlparts *u)
{
	memset(u, 0, sizeof *u);
	const char *p = strstr(url, "://");
	if (!p || p == url)
		return false;
	u->scheme = url;
	u->scheme_len = (size_t)(p - url);
	const char *a = p + 3;
	size_t alen = strcspn(a, "/?#");
	const char *at = NULL;
	for (size_t i = 0; i < alen; i++)
		if (a[i] == '@')
			at = a + i;
	if (at) {
		alen -= (size_t)(at + 1 - a);
		a = at + 1;
	}
	const char *end = a + alen;
	if (alen > 0 && a[0] == '[') {
		const char *rb = memchr(a, ']', alen);
		if (!rb)
			rb = end;
		u->host = a + 1;
		u->host_len = (size_t)(rb - a - 1);
		u->ipv6 = true;
		a = rb < end ? rb + 1 : end;
	} else {
		const char *colon = memchr(a, ':', alen);
		u->host = a;
		u->host_len = colon ? (size_t)(colon - a) : alen;
		a = colon ? colon : end;
	}
	if (a < end && *a == ':') {
		u->port = a + 1;
		u->port_len = (size_t)(end - a - 1);
	}
	u->path = end;
	u->path_len = strcspn(end, "?#");
	if (end[u->path_len] == '?') {
		u->query = end + u->path_len + 1;
		u->query_len = strcspn(u->query, "#");
	}
	return true;
}

static bool is_default_port(const struct urlparts *u)
{
	if (u->port_len == 0)
		return true;
	if (u->scheme_len == 4 && !strncasecmp(u->scheme, "http", 4))
		return u->port_len == 2 && !memcmp(u->port, "80", 2);
	if (u->scheme_len == 5 && !strncasecmp(u->scheme, "https", 5))
		return u->port_len == 3 && !memcmp(u->port, "443", 3);
	return false;
}

/* The host directory: lower-cased host, ":port" when not the default. */
static void add_host(struct gather_strbuf *out, const struct urlparts *u)
{
	struct gather_strbuf h = { 0 };
	if (u->host_len == 0)
		gather_strbuf_add(&h, "_nohost", 7);
	if (u->ipv6)
		gather_strbuf_addc(&h, '[');
	for (size_t i = 0; i < u->host_len; i++) {
		char c = u->host[i];
		gather_strbuf_addc(&h, (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c);
	}
	if (u->ipv6)
		gather_strbuf_addc(&h, ']');
	if (!is_default_port(u)) {
		gather_strbuf_addc(&h, ':');
		gather_strbuf_add(&h, u->port, u->port_len);
	}
	if (h.oom)
		out->oom = true;
	else
		add_component(out, h.p, h.len, true);
	free(h.p);
}

/* host/_long/<sha256 of url>: for URLs whose names would be too long or too
 * deep, and (under "_nohost") for strings that are not absolute URLs. */
static char *long_path(const struct urlparts *u, const char *url)
{
	struct gather_strbuf out = { 0 };
	char h[65];

	if (u)
		add_host(&out, u);
	else
		gather_strbuf_add(&out, "_nohost", 7);
	sha256_hex(url, strlen(url), h);
	gather_strbuf_add(&out, "/_long/", 7);
	gather_strbuf_add(&out, h, 64);
	if (out.oom) {
		free(out.p);
		return NULL;
	}
	return out.p;
}

char *gather_mirror_path(const char *url)
{
	struct urlparts u;
	struct gather_strbuf out = { 0 };
	unsigned depth = 1;

	if (!split_url(url, &u))
		return long_path(NULL, url);
	add_host(&out, &u);
	const char *p = u.path, *end = u.path + u.path_len;
	if (p < end && *p == '/')
		p++;
	for (;;) {
		const char *slash = memchr(p, '/', (size_t)(end - p));
		if (!slash)
			break;
		if (slash > p) { /* empty segments ("a//b") are skipped */
			gather_strbuf_addc(&out, '/');
			add_component(&out, p, (size_t)(slash - p), false);
			depth++;
		}
		p = slash + 1;
	}
	/* the last segment: the page's name (index.html for a directory),
	 * "@" and the query when there is one, limited as one name */
	struct gather_strbuf name = { 0 };
	if (p == end)
		gather_strbuf_add(&name, "index.html", 10);
	else
		escape_into(&name, p, (size_t)(end - p), false);
	if (u.query_len > 0) {
		gather_strbuf_addc(&name, '@');
		escape_into(&name, u.query, u.query_len, true);
	}
	gather_strbuf_addc(&out, '/');
	add_name(&out, &name);
	free(name.p);
	depth++;
	if (out.oom) {
		free(out.p);
		return NULL;
	}
	if (out.len > GATHER_MIRROR_MAX_PATH || depth > GATHER_MIRROR_MAX_DEPTH) {
		free(out.p);
		return long_path(&u, url);
	}
	return out.p;
}

char *gather_mirror_flat_name(const char *url)
{
	struct urlparts u;
	struct gather_strbuf stem = { 0 }, out = { 0 };
	char h[65], ext[12] = "";

	if (split_url(url, &u)) {
		/* the extension of the last path segment: '.' + 1..8 alphanumerics */
		const char *end = u.path + u.path_len, *seg = end;
		while (seg > u.path && seg[-1] != '/')
			seg--;
		const char *dot = NULL;
		for (const char *q = seg; q < end; q++)
			if (*q == '.')
				dot = q;
		size_t el = dot ? (size_t)(end - dot - 1) : 0;
		bool alnum = el >= 1 && el <= 8 && dot > seg;
		for (size_t i = 0; alnum && i < el; i++) {
			char c = dot[1 + i];
			alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
		}
		size_t plen = u.path_len;
		if (alnum) {
			snprintf(ext, sizeof ext, "%.*s", (int)(el + 1), dot);
			plen = (size_t)(dot - u.path);
		}
		gather_strbuf_add(&stem, u.host, u.host_len);
		gather_strbuf_add(&stem, u.path, plen);
		if (u.query_len) {
			gather_strbuf_addc(&stem, '_');
			gather_strbuf_add(&stem, u.query, u.query_len);
		}
	} else
		gather_strbuf_add(&stem, url, strlen(url));
	if (stem.oom) {
		free(stem.p);
		return NULL;
	}
	/* letters, digits, '.', '-' kept; runs of anything else become one '_' */
	for (size_t i = 0; i < stem.len && out.len < FLAT_STEM_MAX; i++) {
		char c = stem.p[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		          (c >= '0' && c <= '9') || c == '.' || c == '-';
		if (ok && !(c == '.' && out.len == 0))
			gather_strbuf_addc(&out, c);
		else if (out.len == 0 || out.p[out.len - 1] != '_')
			gather_strbuf_addc(&out, '_');
	}
	while (out.len > 0 && out.p[out.len - 1] == '_')
		out.p[--out.len] = '\0';
	free(stem.p);
	sha256_hex(url, strlen(url), h);
	if (out.len)
		gather_strbuf_addc(&out, '-');
	gather_strbuf_add(&out, h, 12);
	gather_strbuf_add(&out, ext, strlen(ext));
	if (out.oom) {
		free(out.p);
		return NULL;
	}
	return out.p;
}

/* -- the file system ------------------------------------------------------ */

/* mkdir -p for the user's own directory (trusted: symlinks in it are the
 * user's choice). */
static int mkdir_parents(const char *dir)
{
	char *p = strdup(dir);
	if (!p)
		return -ENOMEM;
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST) {
			int e = errno;
			free(p);
			return -e;
		}
		*s = '/';
	}
	int rc = mkdir(p, 0755) < 0 && errno != EEXIST ? -errno : 0;
	free(p);
	return rc;
}

struct gather_mirror *gather_mirror_open(const char *dir, bool flat, char *err, size_t errlen)
{
	struct gather_mirror *m = calloc(1, sizeof *m);
	if (!m || !(m->dir = strdup(dir))) {
		free(m);
		snprintf(err, errlen, "%s: out of memory", dir);
		return NULL;
	}
	m->flat = flat;
	int rc = mkdir_parents(dir);
	m->root = rc < 0 ? -1 : open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (m->root < 0) {
		snprintf(err, errlen, "%s: %s", dir, strerror(rc < 0 ? -rc : errno));
		free(m->dir);
		free(m);
		return NULL;
	}
	/* can we create files in it? */
	if (faccessat(m->root, ".", W_OK | X_OK, AT_EACCESS) < 0) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		gather_mirror_close(m, NULL, 0);
		return NULL;
	}
	return m;
}

int gather_mirror_sync(struct gather_mirror *m, char *err, size_t errlen)
{
	/* One call for every file saved since the last: the files are many
	 * and small, an fsync each would cost a disk flush per page. */
	if (syncfs(m->root) < 0) {
		snprintf(err, errlen, "mirror: %s", strerror(errno));
		return GATHER_E_IO;
	}
	return 0;
}

int gather_mirror_close(struct gather_mirror *m, char *err, size_t errlen)
{
	int rc = 0;
	if (!m)
		return 0;
	if (m->root >= 0) {
		if (syncfs(m->root) < 0)
			rc = -errno;
		close(m->root);
	}
	if (rc < 0 && err)
		snprintf(err, errlen, "%s: %s", m->dir, strerror(-rc));
	free(m->dir);
	free(m);
	return rc < 0 ? GATHER_E_IO : 0;
}

/* Open directory name below dir, creating it; never through a symlink.  A
 * regular file in the way is moved to name%file (see the file comment). */
static int open_subdir(int dir, const char *name)
{
	for (int tries = 0; tries < 3; tries++) {
		int fd = openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd >= 0)
			return fd;
		if (errno == ENOENT) {
			if (mkdirat(dir, name, 0755) < 0 && errno != EEXIST)
				return -errno;
			continue;
		}
		if (errno != ENOTDIR && errno != ELOOP)
			return -errno;
		struct stat st;
		if (fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			return -errno;
		if (!S_ISREG(st.st_mode))
			return S_ISLNK(st.st_mode) ? -ELOOP : -ENOTDIR;
		char moved[GATHER_MIRROR_MAX_NAME + 64];
		snprintf(moved, sizeof moved, "%s%s", name, CONFLICT_SUFFIX);
		if (renameat(dir, name, dir, moved) < 0)
			return -errno;
	}
	return -ENOTDIR;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t k = write(fd, p, n);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

/* Write data as dir/name atomically: temporary file, then renameat.  A
 * directory in the way makes it name%file. */
static int write_file(int dir, const char *name, const struct gather_buf *data)
{
	char final[GATHER_MIRROR_MAX_NAME + 64], tmp[64];
	struct stat st;
	int fd = -1, rc;

	snprintf(final, sizeof final, "%s", name);
	if (fstatat(dir, final, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode))
		snprintf(final, sizeof final, "%s%s", name, CONFLICT_SUFFIX);
	for (int tries = 0; fd < 0 && tries < 5; tries++) {
		unsigned char r[8];
		if (RAND_bytes(r, sizeof r) != 1)
			return -EIO;
		snprintf(tmp, sizeof tmp, TMP_PREFIX "%02x%02x%02x%02x%02x%02x%02x%02x",
		         r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7]);
		fd = openat(dir, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (fd < 0 && errno != EEXIST)
			return -errno;
	}
	if (fd < 0)
		return -EEXIST;
	rc = write_all(fd, data->data, data->len);
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && renameat(dir, tmp, dir, final) < 0)
		rc = -errno;
	if (rc < 0)
		unlinkat(dir, tmp, 0);
	return rc;
}

/* Walk rel ("a/b/c") from the root, directory by directory, and write the
 * last component as a file.  Returns 0 or -errno; *where names the failing
 * component's prefix of rel. */
static int save_path(struct gather_mirror *m, char *rel, const struct gather_buf *data,
                     size_t *where)
{
	int dir = m->root, rc = 0;
	char *p = rel;

	for (;;) {
		char *slash = strchr(p, '/');
		*where = (size_t)((slash ? slash : p + strlen(p)) - rel);
		if (!slash) {
			rc = write_file(dir, p, data);
			break;
		}
		*slash = '\0';
		int fd = open_subdir(dir, p);
		*slash = '/';
		if (dir != m->root)
			close(dir);
		if (fd < 0)
			return fd;
		dir = fd;
		p = slash + 1;
	}
	if (dir != m->root)
		close(dir);
	return rc;
}

/* The path a user opens to read rel: DIR/rel as DIR was given (one '/'
 * between them), malloc'ed; NULL on OOM. */
static char *user_path(const struct gather_mirror *m, const char *rel)
{
	size_t dl = strlen(m->dir);
	while (dl > 1 && m->dir[dl - 1] == '/')
		dl--;
	struct gather_strbuf b = { 0 };
	gather_strbuf_add(&b, m->dir, dl);
	if (!(dl == 1 && m->dir[0] == '/'))
		gather_strbuf_addc(&b, '/');
	gather_strbuf_adds(&b, rel);
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	return b.p;
}

int gather_mirror_save_as(struct gather_mirror *m, const struct gather_result *r,
                          char **ret_path, char *err, size_t errlen)
{
	if (r->err != 0 || r->status < 200 || r->status > 299)
		return 0;
	const char *url = m->flat ? r->url : (r->final_url ? r->final_url : r->url);
	if (!url)
		return 0;
	char *rel = m->flat ? gather_mirror_flat_name(url) : gather_mirror_path(url);
	if (!rel) {
		snprintf(err, errlen, "%s: out of memory", m->dir);
		return GATHER_E_NOMEM;
	}
	size_t where = 0;
	int rc = save_path(m, rel, &r->body, &where);
	if (rc < 0)
		snprintf(err, errlen, "%s/%.*s: %s", m->dir, (int)where, rel,
		         rc == -ELOOP ? "a symbolic link, not followed" : strerror(-rc));
	else if (ret_path)
		*ret_path = user_path(m, rel); /* save_path restored every '/' */
	free(rel);
	return rc < 0 ? GATHER_E_IO : 1;
}

int gather_mirror_save(struct gather_mirror *m, const struct gather_result *r,
                       char *err, size_t errlen)
{
	return gather_mirror_save_as(m, r, NULL, err, errlen);
}
