/* result.h — one record per fetched (or refused) URL.
 *
 * A result is created by the engine on the reactor thread, handed whole to
 * whoever consumes it (a worker for processing, then a sink for writing); at
 * any moment exactly one thread owns it, and ownership moves with the pointer
 * through the locked queues.  No libevent object hangs off a result, so any
 * thread may read or free it. */
#ifndef GATHER_RESULT_H
#define GATHER_RESULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A malloc'ed byte buffer (not NUL-terminated unless said). */
struct gather_buf {
	char *data;
	size_t len;
};

struct gather_result {
	/* identity */
	char *url;             /* as given (get) or normalized (crawl) */
	char *final_url;       /* after redirects; NULL when no request was made */
	char *sent_url;        /* the URL the final response answered, when that
	                        * is not final_url (a redirect not followed:
	                        * final_url is its target); else NULL */

	/* outcome: status > 0 when a response head arrived; err is 0 or a
	 * negative enum gather_err, message the human text (NULL on success) */
	int status;
	int err;
	char *message;

	/* what came back */
	char *content_type;    /* Content-Type header value, NULL if absent */
	uint64_t bytes;        /* decoded body bytes received */
	unsigned redirects;
	unsigned attempts;
	uint64_t time_ms;      /* from first attempt start to finish */
	uint64_t start_unix_ms;/* wall clock at the final request (WARC-Date) */
	char ip[48];           /* peer address of the final response, "" if none */
	uint64_t retry_after_ms; /* the final response's Retry-After (delay-seconds
	                          * or HTTP-date, in ms from its arrival) when its
	                          * status is 429 or 503; 0 when absent, invalid,
	                          * in the past, or another status */

	/* kept only when asked for (GATHER_FETCH_KEEP_*), else empty */
	struct gather_buf body;      /* content-decoded body */
	struct gather_buf req_head;  /* raw request head as sent (WARC) */
	struct gather_buf resp_head; /* raw response head as received (WARC) */
	struct gather_buf raw_body;  /* transfer-decoded, not content-decoded (WARC) */

	/* crawl bookkeeping, set by the crawler */
	unsigned depth;
	char *parent;          /* URL of the page that linked here, NULL for seeds */

	/* processing, set by a worker (lib/html.c) when processed is true */
	bool processed;
	char *title;           /* NULL when none */
	struct {
		char **v;          /* absolute, fragment-free http(s) URLs */
		size_t n;
	} links;
	size_t n_links_found;  /* before --max-links cut the list */
	uint64_t frontier_id;  /* crawl: the frontier's id of url, from next();
	                        * 0 for a record the frontier did not hand out */
	bool warc_only;        /* crawl: a fetch kept in the WARC alone (robots.txt,
	                        * RFC 9309 policy the crawl obeyed): no JSON line,
	                        * no mirror file, not a page in any count */
	bool redirect_target;  /* crawl: a redirect in scope was not followed:
	                        * final_url (normalized) goes to the frontier */
	uint64_t *link_ids;    /* crawl: links.n frontier ids (fingerprints) of
	                        * links.v, made by the worker; or NULL */
	void *fields;          /* json_t * object NAME → string / array, or NULL */
	unsigned char sha256[32];
	bool has_sha256;
	bool noindex;          /* <meta name=robots content=noindex|none>, when the
	                        * extractor obeys it (gather_extractor_obey_robots_meta) */
	char *saved;           /* where the body was saved (get -o FILE: FILE, "-"
	                        * for stdout; --output-dir and --mirror: DIR/name,
	                        * set by the sink's writer), NULL when it was not */

	/* the pipeline stream carrying it (lib/pipeline), NULL elsewhere */
	void *owner;
};

/* What a fetch keeps in its result (flags of gather_engine_fetch; the
 * outputs ask for them: gather_sink_fetch_flags). */
enum {
	GATHER_FETCH_KEEP_BODY = 1u << 0, /* keep the decoded body in result->body */
	GATHER_FETCH_KEEP_RAW  = 1u << 1, /* keep req_head, resp_head, raw_body (WARC) */
};

/* Counters of one run (get, crawl, a daemon job). */
struct gather_run_stats {
	uint64_t done;        /* records written */
	uint64_t ok;          /* responses with status < 400 */
	uint64_t failed;      /* errors and status >= 400 (refusals excluded) */
	uint64_t refused;     /* not fetched by rule: robots.txt, scope, nofollow */
	uint64_t limited;     /* records ended by a run limit (error "limit") */
	bool limit_hit;       /* a limit (max-time, max-pages) ended the run */
	bool fatal;           /* a fault for the user to fix ended it (the
	                       * crawl state could not be written): exit 2 */
	uint64_t inflight;
	uint64_t queued;      /* known and not started (crawl frontier) */
	uint64_t bytes;       /* decoded body bytes */
	uint64_t elapsed_ms;
};

/* A zeroed result; NULL on OOM. */
struct gather_result *gather_result_new(void);
/* Frees r and everything it owns.  Accepts NULL. */
void gather_result_free(struct gather_result *r);
/* Frees the bodies and heads r holds (what only the outputs need) and
 * empties them; the rest of the record stays. */
void gather_result_drop_bodies(struct gather_result *r);
/* Sets r->err and r->message (copied; when msg is NULL the default text of
 * err is used).  Returns err. */
int gather_result_fail(struct gather_result *r, int err, const char *msg);

#endif
