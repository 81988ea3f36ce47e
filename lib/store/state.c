/* state.c — a crawl's state directory in SQLite (see state.h).
 *
 * WAL mode with synchronous=FULL: a commit is on disk when
 * gather_state_commit returns (the WAL is fsynced), and a reader (gather
 * state DIR) never blocks the crawl.  Every statement is prepared once. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "gather/error.h"
#include "store/state.h"

#define STATE_VERSION "1"

enum {
	S_URL, S_PAGE, S_ADD, S_MARK, S_OUT, S_META, S_N
};

static const char *const stmt_sql[S_N] = {
	[S_URL] = "INSERT INTO urls(id, url) VALUES (?, ?)",
	[S_PAGE] = "INSERT INTO pages(id, depth, parent, links) VALUES (?, ?, ?, ?)",
	[S_ADD] = "INSERT INTO adds(id, depth, parent) VALUES (?, ?, ?)",
	[S_MARK] = "INSERT OR IGNORE INTO marks(key) VALUES (?)",
	[S_OUT] = "INSERT OR REPLACE INTO outputs(name, path, file, off) VALUES (?, ?, ?, ?)",
	[S_META] = "INSERT OR REPLACE INTO meta(k, v) VALUES (?, ?)",
};

struct gather_state {
	sqlite3 *db;
	int lock_fd;
	bool is_new;
	char *path;            /* DIR/state.db, for messages */
	sqlite3_stmt *s[S_N];
};

static int db_err(struct gather_state *st, const char *what, char *err, size_t errlen)
{
	if (err)
		snprintf(err, errlen, "%s: %s: %s", st->path, what, sqlite3_errmsg(st->db));
	return GATHER_E_IO;
}

static int exec(struct gather_state *st, const char *sql, char *err, size_t errlen)
{
	char *msg = NULL;
	if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) == SQLITE_OK)
		return 0;
	if (err)
		snprintf(err, errlen, "%s: %s", st->path, msg ? msg : sqlite3_errmsg(st->db));
	sqlite3_free(msg);
	return GATHER_E_IO;
}

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS meta(k TEXT PRIMARY KEY, v BLOB) WITHOUT ROWID;"
	/* urls and pages are appended in commit order and read whole (a
	 * resume), never looked up: a rowid each, no index on the id.  (An
	 * index keyed by fingerprints would make every insert a random
	 * B-tree write, and hand the ids back sorted, which clusters the
	 * resume's hash sets.)  The writer names each URL once. */
	"CREATE TABLE IF NOT EXISTS urls(seq INTEGER PRIMARY KEY, id INTEGER NOT NULL,"
	" url TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS pages(seq INTEGER PRIMARY KEY, id INTEGER NOT NULL,"
	" depth INTEGER NOT NULL, parent INTEGER NOT NULL, links BLOB);"
	"CREATE TABLE IF NOT EXISTS adds(seq INTEGER PRIMARY KEY, id INTEGER NOT NULL,"
	" depth INTEGER NOT NULL, parent INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS marks(key INTEGER PRIMARY KEY);"
	"CREATE TABLE IF NOT EXISTS outputs(name TEXT PRIMARY KEY, path TEXT NOT NULL,"
	" file INTEGER NOT NULL, off INTEGER NOT NULL) WITHOUT ROWID;";

/* The lock: DIR/lock held with flock for the life of st (released by the
 * kernel when the process dies, so kill -9 leaves no stale lock). */
static int take_lock(struct gather_state *st, const char *dir, char *err, size_t errlen)
{
	char p[4096];
	snprintf(p, sizeof p, "%s/lock", dir);
	st->lock_fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (st->lock_fd < 0) {
		snprintf(err, errlen, "%s: %s", p, strerror(errno));
		return GATHER_E_IO;
	}
	if (flock(st->lock_fd, LOCK_EX | LOCK_NB) < 0) {
		char pid[32] = "";
		ssize_t k = pread(st->lock_fd, pid, sizeof pid - 1, 0);
		pid[k > 0 ? k : 0] = '\0';
		pid[strcspn(pid, "\n")] = '\0';
		if (errno == EWOULDBLOCK || errno == EAGAIN)
			snprintf(err, errlen, "%s: in use by another crawl%s%s%s", dir,
			         pid[0] ? " (pid " : "", pid, pid[0] ? ")" : "");
		else
			snprintf(err, errlen, "%s: %s", p, strerror(errno));
		return GATHER_E_INVALID;
	}
	char pid[32];
	int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
	if (ftruncate(st->lock_fd, 0) == 0 && pwrite(st->lock_fd, pid, (size_t)n, 0) < 0) {
		/* the pid is only for the message above */
	}
	return 0;
}

static int state_open(const char *dir, bool ro, struct gather_state **ret, char *err,
                      size_t errlen)
{
	*ret = NULL;
	struct gather_state *st = calloc(1, sizeof *st);
	if (!st) {
		snprintf(err, errlen, "out of memory");
		return GATHER_E_NOMEM;
	}
	st->lock_fd = -1;
	size_t n = strlen(dir) + sizeof "/state.db";
	st->path = malloc(n);
	if (!st->path) {
		free(st);
		snprintf(err, errlen, "out of memory");
		return GATHER_E_NOMEM;
	}
	snprintf(st->path, n, "%s/state.db", dir);
	int rc;
	struct stat sb;
	if (!ro && mkdir(dir, 0755) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		rc = GATHER_E_IO;
		goto fail;
	}
	if (stat(dir, &sb) < 0) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		rc = GATHER_E_INVALID;
		goto fail;
	}
	if (!S_ISDIR(sb.st_mode)) {
		snprintf(err, errlen, "%s: not a directory", dir);
		rc = GATHER_E_INVALID;
		goto fail;
	}
	if (!ro && (rc = take_lock(st, dir, err, errlen)) < 0)
		goto fail;
	st->is_new = stat(st->path, &sb) < 0;
	if (ro && st->is_new) {
		snprintf(err, errlen, "%s: no crawl state here", dir);
		rc = GATHER_E_INVALID;
		goto fail;
	}
	int flags = ro ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	if (sqlite3_open_v2(st->path, &st->db, flags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		rc = db_err(st, "cannot open", err, errlen);
		goto fail;
	}
	sqlite3_busy_timeout(st->db, 2000);
	/* A file that is not a database, or not ours, fails here or below. */
	if (!ro && (rc = exec(st, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
	                               " PRAGMA cache_size=-16384;", err, errlen)) < 0)
		goto fail;
	if (!ro && (rc = exec(st, schema, err, errlen)) < 0)
		goto fail;
	for (int i = 0; !ro && i < S_N; i++) {
		if (sqlite3_prepare_v3(st->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &st->s[i],
		                       NULL) != SQLITE_OK) {
			rc = db_err(st, "not a gather crawl state", err, errlen);
			goto fail;
		}
	}
	char *v = NULL;
	size_t vl;
	if ((rc = gather_state_get(st, "version", &v, &vl)) < 0) {
		snprintf(err, errlen, "%s: not a gather crawl state (%s)", st->path,
		         sqlite3_errmsg(st->db));
		goto fail;
	}
	if (v && strcmp(v, STATE_VERSION) != 0) {
		snprintf(err, errlen, "%s: state version %s, this gather reads version %s", st->path,
		         v, STATE_VERSION);
		free(v);
		rc = GATHER_E_INVALID;
		goto fail;
	}
	st->is_new = v == NULL;
	free(v);
	if (st->is_new && !ro) {
		const char *k[] = { "version" }, *val[] = { STATE_VERSION };
		size_t l[] = { 1 };
		if ((rc = gather_state_set(st, k, val, l, 1, err, errlen)) < 0)
			goto fail;
	}
	*ret = st;
	return 0;
fail:
	gather_state_close(st);
	return rc;
}

int gather_state_open(const char *dir, struct gather_state **ret, char *err, size_t errlen)
{
	return state_open(dir, false, ret, err, errlen);
}

int gather_state_open_ro(const char *dir, struct gather_state **ret, char *err, size_t errlen)
{
	return state_open(dir, true, ret, err, errlen);
}

void gather_state_close(struct gather_state *st)
{
	if (!st)
		return;
	for (int i = 0; i < S_N; i++)
		sqlite3_finalize(st->s[i]);
	sqlite3_close(st->db);
	if (st->lock_fd >= 0)
		close(st->lock_fd);   /* releases the flock */
	free(st->path);
	free(st);
}

bool gather_state_is_new(const struct gather_state *st)
{
	return st->is_new;
}

int gather_state_get(struct gather_state *st, const char *k, char **ret, size_t *len)
{
	sqlite3_stmt *q;
	*ret = NULL;
	if (len)
		*len = 0;
	if (sqlite3_prepare_v2(st->db, "SELECT v FROM meta WHERE k = ?", -1, &q, NULL) != SQLITE_OK)
		return GATHER_E_IO;
	sqlite3_bind_text(q, 1, k, -1, SQLITE_STATIC);
	int rc = sqlite3_step(q), ret_rc = 0;
	if (rc == SQLITE_ROW) {
		const void *p = sqlite3_column_blob(q, 0);
		int n = sqlite3_column_bytes(q, 0);
		char *v = malloc((size_t)n + 1);
		if (!v) {
			ret_rc = GATHER_E_NOMEM;
		} else {
			if (n)
				memcpy(v, p, (size_t)n);
			v[n] = '\0';
			*ret = v;
			if (len)
				*len = (size_t)n;
		}
	} else if (rc != SQLITE_DONE) {
		ret_rc = GATHER_E_IO;
	}
	sqlite3_finalize(q);
	return ret_rc;
}

int gather_state_get_u64(struct gather_state *st, const char *k, uint64_t *ret)
{
	char *v;
	*ret = 0;
	int rc = gather_state_get(st, k, &v, NULL);
	if (rc < 0 || !v)
		return rc;
	*ret = strtoull(v, NULL, 10);
	free(v);
	return 0;
}

static int bind_meta(struct gather_state *st, const char *k, const char *v, size_t len)
{
	sqlite3_stmt *q = st->s[S_META];
	sqlite3_reset(q);
	sqlite3_bind_text(q, 1, k, -1, SQLITE_STATIC);
	sqlite3_bind_blob(q, 2, v, (int)len, SQLITE_STATIC);
	return sqlite3_step(q) == SQLITE_DONE ? 0 : GATHER_E_IO;
}

int gather_state_set(struct gather_state *st, const char *const *k, const char *const *v,
                     const size_t *vlen, size_t n, char *err, size_t errlen)
{
	if (exec(st, "BEGIN IMMEDIATE", err, errlen) < 0)
		return GATHER_E_IO;
	for (size_t i = 0; i < n; i++) {
		if (bind_meta(st, k[i], v[i], vlen ? vlen[i] : strlen(v[i])) < 0) {
			db_err(st, "cannot write", err, errlen);
			exec(st, "ROLLBACK", NULL, 0);
			return GATHER_E_IO;
		}
	}
	return exec(st, "COMMIT", err, errlen);
}

int gather_state_outputs(struct gather_state *st,
                         int (*fn)(const struct gather_state_output *o, void *arg), void *arg)
{
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(st->db, "SELECT name, path, file, off FROM outputs", -1, &q, NULL) !=
	    SQLITE_OK)
		return GATHER_E_IO;
	int rc = 0, s;
	while ((s = sqlite3_step(q)) == SQLITE_ROW) {
		struct gather_state_output o = {
			.name = (const char *)sqlite3_column_text(q, 0),
			.path = (const char *)sqlite3_column_text(q, 1),
			.file = (unsigned)sqlite3_column_int64(q, 2),
			.off = (uint64_t)sqlite3_column_int64(q, 3),
		};
		if (!o.name || !o.path)
			continue;
		if ((rc = fn(&o, arg)) < 0)
			break;
	}
	if (rc == 0 && s != SQLITE_DONE)
		rc = GATHER_E_IO;
	sqlite3_finalize(q);
	return rc;
}

int gather_state_each_url(struct gather_state *st,
                          int (*fn)(uint64_t id, const char *url, size_t len, void *arg), void *arg)
{
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(st->db, "SELECT id, url FROM urls", -1, &q, NULL) != SQLITE_OK)
		return GATHER_E_IO;
	int rc = 0, s;
	while ((s = sqlite3_step(q)) == SQLITE_ROW) {
		const char *u = (const char *)sqlite3_column_text(q, 1);
		if (u && (rc = fn((uint64_t)sqlite3_column_int64(q, 0), u,
		                  (size_t)sqlite3_column_bytes(q, 1), arg)) < 0)
			break;
	}
	if (rc == 0 && s != SQLITE_DONE)
		rc = GATHER_E_IO;
	sqlite3_finalize(q);
	return rc;
}

int gather_state_each_page(struct gather_state *st,
                           int (*fn)(uint64_t id, unsigned depth, uint64_t parent,
                                     const unsigned char *links, size_t n, void *arg),
                           void *arg)
{
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(st->db, "SELECT id, depth, parent, links FROM pages", -1, &q, NULL) !=
	    SQLITE_OK)
		return GATHER_E_IO;
	int rc = 0, s;
	while ((s = sqlite3_step(q)) == SQLITE_ROW) {
		const unsigned char *l = sqlite3_column_blob(q, 3);
		size_t n = (size_t)sqlite3_column_bytes(q, 3) / 8;
		if ((rc = fn((uint64_t)sqlite3_column_int64(q, 0), (unsigned)sqlite3_column_int64(q, 1),
		             (uint64_t)sqlite3_column_int64(q, 2), l, n, arg)) < 0)
			break;
	}
	if (rc == 0 && s != SQLITE_DONE)
		rc = GATHER_E_IO;
	sqlite3_finalize(q);
	return rc;
}

int gather_state_each_add(struct gather_state *st,
                          int (*fn)(uint64_t id, unsigned depth, uint64_t parent, void *arg),
                          void *arg)
{
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(st->db, "SELECT id, depth, parent FROM adds ORDER BY seq", -1, &q,
	                       NULL) != SQLITE_OK)
		return GATHER_E_IO;
	int rc = 0, s;
	while ((s = sqlite3_step(q)) == SQLITE_ROW) {
		if ((rc = fn((uint64_t)sqlite3_column_int64(q, 0), (unsigned)sqlite3_column_int64(q, 1),
		             (uint64_t)sqlite3_column_int64(q, 2), arg)) < 0)
			break;
	}
	if (rc == 0 && s != SQLITE_DONE)
		rc = GATHER_E_IO;
	sqlite3_finalize(q);
	return rc;
}

int gather_state_each_mark(struct gather_state *st, int (*fn)(uint64_t key, void *arg), void *arg)
{
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(st->db, "SELECT key FROM marks", -1, &q, NULL) != SQLITE_OK)
		return GATHER_E_IO;
	int rc = 0, s;
	while ((s = sqlite3_step(q)) == SQLITE_ROW)
		if ((rc = fn((uint64_t)sqlite3_column_int64(q, 0), arg)) < 0)
			break;
	if (rc == 0 && s != SQLITE_DONE)
		rc = GATHER_E_IO;
	sqlite3_finalize(q);
	return rc;
}

int gather_state_each_meta(struct gather_state *st,
                           int (*fn)(const char *k, const char *v, size_t len, void *arg),
                           void *arg)
{
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(st->db, "SELECT k, v FROM meta ORDER BY k", -1, &q, NULL) != SQLITE_OK)
		return GATHER_E_IO;
	int rc = 0, s;
	while ((s = sqlite3_step(q)) == SQLITE_ROW) {
		const char *k = (const char *)sqlite3_column_text(q, 0);
		const char *v = sqlite3_column_blob(q, 1);
		if (k && (rc = fn(k, v ? v : "", (size_t)sqlite3_column_bytes(q, 1), arg)) < 0)
			break;
	}
	if (rc == 0 && s != SQLITE_DONE)
		rc = GATHER_E_IO;
	sqlite3_finalize(q);
	return rc;
}

static int count(struct gather_state *st, const char *sql, uint64_t *ret)
{
	sqlite3_stmt *q;
	*ret = 0;
	if (sqlite3_prepare_v2(st->db, sql, -1, &q, NULL) != SQLITE_OK)
		return GATHER_E_IO;
	int rc = sqlite3_step(q) == SQLITE_ROW ? 0 : GATHER_E_IO;
	if (rc == 0)
		*ret = (uint64_t)sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return rc;
}

void gather_state_why(const struct gather_state *st, char *err, size_t errlen)
{
	snprintf(err, errlen, "%s: cannot read the crawl state: %s", st->path, sqlite3_errmsg(st->db));
}

int gather_state_counts(struct gather_state *st, uint64_t *pages, uint64_t *urls, uint64_t *adds)
{
	/* the tables are appended to, never deleted from: the last seq is the
	 * count, found in the b-tree's last page (count(*) reads every page) */
	int rc = count(st, "SELECT coalesce(max(seq), 0) FROM pages", pages);
	if (rc == 0)
		rc = count(st, "SELECT coalesce(max(seq), 0) FROM urls", urls);
	if (rc == 0)
		rc = count(st, "SELECT coalesce(max(seq), 0) FROM adds", adds);
	return rc;
}

static int step(sqlite3_stmt *q)
{
	int rc = sqlite3_step(q);
	sqlite3_reset(q);
	return rc == SQLITE_DONE ? 0 : GATHER_E_IO;
}

int gather_state_commit(struct gather_state *st, const struct gather_state_batch *b,
                        char *err, size_t errlen)
{
	if (exec(st, "BEGIN IMMEDIATE", err, errlen) < 0)
		return GATHER_E_IO;
	sqlite3_stmt *q;
	for (size_t i = 0; i < b->nurls; i++) {
		q = st->s[S_URL];
		sqlite3_bind_int64(q, 1, (sqlite3_int64)b->urls[i].id);
		sqlite3_bind_text(q, 2, b->text + b->urls[i].off, (int)b->urls[i].len, SQLITE_STATIC);
		if (step(q) < 0)
			goto fail;
	}
	for (size_t i = 0; i < b->nadds; i++) {
		q = st->s[S_ADD];
		sqlite3_bind_int64(q, 1, (sqlite3_int64)b->adds[i].id);
		sqlite3_bind_int64(q, 2, b->adds[i].depth);
		sqlite3_bind_int64(q, 3, (sqlite3_int64)b->adds[i].parent);
		if (step(q) < 0)
			goto fail;
	}
	for (size_t i = 0; i < b->npages; i++) {
		const struct gather_state_page *p = &b->pages[i];
		q = st->s[S_PAGE];
		sqlite3_bind_int64(q, 1, (sqlite3_int64)p->id);
		sqlite3_bind_int64(q, 2, p->depth);
		sqlite3_bind_int64(q, 3, (sqlite3_int64)p->parent);
		/* ids are stored as they lie in memory: little-endian on every
		 * machine Debian builds gather for that matters; a state is not
		 * moved between machines of two byte orders. */
		sqlite3_bind_blob(q, 4, b->ids + p->first, (int)(p->n * 8), SQLITE_STATIC);
		if (step(q) < 0)
			goto fail;
	}
	for (size_t i = 0; i < b->nmarks; i++) {
		q = st->s[S_MARK];
		sqlite3_bind_int64(q, 1, (sqlite3_int64)b->marks[i]);
		if (step(q) < 0)
			goto fail;
	}
	for (size_t i = 0; i < b->noutputs; i++) {
		const struct gather_state_output *o = &b->outputs[i];
		q = st->s[S_OUT];
		sqlite3_bind_text(q, 1, o->name, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 2, o->path, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 3, o->file);
		sqlite3_bind_int64(q, 4, (sqlite3_int64)o->off);
		if (step(q) < 0)
			goto fail;
	}
	for (size_t i = 0; i < b->nmeta; i++)
		if (bind_meta(st, b->mk[i], b->mv[i], strlen(b->mv[i])) < 0)
			goto fail;
	if (exec(st, "COMMIT", err, errlen) == 0)
		return 0;
	exec(st, "ROLLBACK", NULL, 0);
	return GATHER_E_IO;
fail:
	db_err(st, "cannot commit", err, errlen);
	exec(st, "ROLLBACK", NULL, 0);
	return GATHER_E_IO;
}
