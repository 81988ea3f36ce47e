/* spill.c — an on-disk queue of URLs by depth in SQLite (see spill.h).
 *
 * Tables: parents(id, url) (a page's links share one parent row: the
 * parent of the last put is remembered) and q(seq, depth, url, parent),
 * appended in seq order and not indexed (an index on depth would double
 * the cost of a put).  A cursor per depth, the last seq looked at, makes
 * take() a scan of the rowid range after it: a crawl puts its queue
 * mostly in order of depth, so few rows of other depths are passed over,
 * and none twice for one depth. */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "gather/error.h"
#include "store/spill.h"
#include "util/u64map.h"

#define SPILL_TXN_ROWS 16384

struct gather_spill {
	sqlite3 *db;
	char *path;
	sqlite3_stmt *put, *parent, *take;
	bool in_txn;
	size_t txn_rows;
	char *last_parent;            /* the parent of the last put ... */
	sqlite3_int64 last_parent_id; /* ... and its row */
	struct gather_u64map cursor;  /* depth + 1 -> last seq taken (as a pointer) */
};

static int run(sqlite3 *db, const char *sql)
{
	return sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : GATHER_E_IO;
}

int gather_spill_open(const char *path, struct gather_spill **ret, char *err, size_t errlen)
{
	*ret = NULL;
	struct gather_spill *s = calloc(1, sizeof *s);
	if (!s || !(s->path = strdup(path))) {
		free(s);
		snprintf(err, errlen, "out of memory");
		return GATHER_E_NOMEM;
	}
	unlink(path);
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	                    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK ||
	    run(s->db, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
	               " PRAGMA cache_size=-4096;"
	               "CREATE TABLE parents(id INTEGER PRIMARY KEY, url TEXT NOT NULL);"
	               "CREATE TABLE q(seq INTEGER PRIMARY KEY, depth INTEGER NOT NULL,"
	               " url TEXT NOT NULL, parent INTEGER NOT NULL);") < 0 ||
	    sqlite3_prepare_v2(s->db, "INSERT INTO q(depth, url, parent) VALUES (?, ?, ?)", -1,
	                       &s->put, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, "INSERT INTO parents(url) VALUES (?)", -1, &s->parent,
	                       NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, "SELECT q.seq, q.url, p.url FROM q LEFT JOIN parents p"
	                       " ON p.id = q.parent WHERE q.depth = ? AND q.seq > ?"
	                       " ORDER BY q.seq LIMIT ?", -1, &s->take, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, s->db ? sqlite3_errmsg(s->db) : "cannot open");
		gather_spill_close(s);
		return GATHER_E_IO;
	}
	*ret = s;
	return 0;
}

void gather_spill_close(struct gather_spill *s)
{
	if (!s)
		return;
	sqlite3_finalize(s->put);
	sqlite3_finalize(s->parent);
	sqlite3_finalize(s->take);
	sqlite3_close(s->db);
	if (s->path)
		unlink(s->path);
	free(s->path);
	free(s->last_parent);
	gather_u64map_clear(&s->cursor);
	free(s);
}

static int flush(struct gather_spill *s)
{
	if (!s->in_txn)
		return 0;
	s->in_txn = false;
	s->txn_rows = 0;
	return run(s->db, "COMMIT");
}

int gather_spill_put(struct gather_spill *s, unsigned depth, const char *url,
                     const char *parent)
{
	if (!s->in_txn) {
		if (run(s->db, "BEGIN") < 0)
			return GATHER_E_IO;
		s->in_txn = true;
	}
	sqlite3_int64 pid = 0;
	if (parent) {
		if (!s->last_parent || strcmp(s->last_parent, parent) != 0) {
			char *p = strdup(parent);
			if (!p)
				return GATHER_E_NOMEM;
			sqlite3_bind_text(s->parent, 1, parent, -1, SQLITE_STATIC);
			int rc = sqlite3_step(s->parent);
			sqlite3_reset(s->parent);
			if (rc != SQLITE_DONE) {
				free(p);
				return GATHER_E_IO;
			}
			free(s->last_parent);
			s->last_parent = p;
			s->last_parent_id = sqlite3_last_insert_rowid(s->db);
		}
		pid = s->last_parent_id;
	}
	sqlite3_bind_int64(s->put, 1, depth);
	sqlite3_bind_text(s->put, 2, url, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s->put, 3, pid);
	int rc = sqlite3_step(s->put);
	sqlite3_reset(s->put);
	if (rc != SQLITE_DONE)
		return GATHER_E_IO;
	if (++s->txn_rows >= SPILL_TXN_ROWS)
		return flush(s);
	return 0;
}

long gather_spill_take(struct gather_spill *s, unsigned depth, size_t max,
                       int (*fn)(const char *url, const char *parent, void *arg), void *arg)
{
	if (flush(s) < 0)
		return GATHER_E_IO;
	uint64_t k = (uint64_t)depth + 1;
	sqlite3_int64 after = (sqlite3_int64)(uintptr_t)gather_u64map_get(&s->cursor, k);
	sqlite3_bind_int64(s->take, 1, depth);
	sqlite3_bind_int64(s->take, 2, after);
	sqlite3_bind_int64(s->take, 3, (sqlite3_int64)max);
	long n = 0;
	int rc;
	while ((rc = sqlite3_step(s->take)) == SQLITE_ROW) {
		after = sqlite3_column_int64(s->take, 0);
		const char *url = (const char *)sqlite3_column_text(s->take, 1);
		const char *parent = (const char *)sqlite3_column_text(s->take, 2);
		n++;
		int r = url ? fn(url, parent, arg) : 0;
		if (r < 0) {
			n = r;
			break;
		}
	}
	if (n >= 0 && rc != SQLITE_ROW && rc != SQLITE_DONE)
		n = GATHER_E_IO;
	sqlite3_reset(s->take);
	if (n > 0 && after && gather_u64map_put(&s->cursor, k, (void *)(uintptr_t)after) < 0)
		n = GATHER_E_NOMEM;
	return n;
}

unsigned long long gather_spill_bytes(const struct gather_spill *s)
{
	struct stat sb;
	return stat(s->path, &sb) == 0 ? (unsigned long long)sb.st_size : 0;
}
