/* options.h — every knob of a fetch, crawl or job, in one struct, and one
 * table that describes each knob once.  The command line (cmd/gather) builds
 * its getopt table and --help from gather_optdefs[]; job files (lib/job.c)
 * build their libconfuse keys from the same table, so every command-line
 * option has a job-file key of the same name and meaning. */
#ifndef GATHER_OPTIONS_H
#define GATHER_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum gather_scope {
	GATHER_SCOPE_HOST = 0,  /* same host as the seed (default) */
	GATHER_SCOPE_DOMAIN,    /* same registrable domain (libpsl) */
	GATHER_SCOPE_PREFIX,    /* below the seed's directory, like wget -np */
	GATHER_SCOPE_ANY,
};

/* --depth inf (job files: depth = "inf"): follow links without a depth
 * limit.  The largest finite depth is one less. */
#define GATHER_DEPTH_INF UINT32_MAX

/* A growable vector of owned strings. */
struct gather_strv {
	char **v;
	size_t n;
};
int gather_strv_push(struct gather_strv *sv, const char *s); /* copies s */
void gather_strv_free(struct gather_strv *sv);                 /* accepts zeroed */

/* Which commands an option applies to (bit set). */
enum {
	GATHER_CMD_GET   = 1u << 0,
	GATHER_CMD_CRAWL = 1u << 1,
	GATHER_CMD_ALL   = GATHER_CMD_GET | GATHER_CMD_CRAWL,
};

struct gather_opts {
	/* request */
	char *method;                 /* NULL: GET, or POST when data is set */
	char *data;                   /* request body, NULL for none */
	struct gather_strv headers;   /* extra "Name: value" lines */
	char *user_agent;             /* NULL: "gather/VERSION" */
	char *user;                   /* -u "USER:PASS": Basic auth to the first origin */
	bool compressed;              /* send Accept-Encoding and decode */

	/* TLS */
	bool insecure;                /* skip peer and host name verification */
	char *cacert;                 /* CA bundle file, NULL: system store */

	/* name resolution */
	bool ipv4, ipv6;              /* -4 / -6: that family only (at most one set) */
	struct gather_strv resolve;   /* "HOST:PORT:ADDR[,ADDR...]" pins (curl's --resolve) */

	/* time limits, milliseconds */
	uint64_t timeout_ms;          /* total per request, armed once */
	uint64_t connect_timeout_ms;  /* DNS + TCP connect + TLS handshake */
	uint64_t first_byte_timeout_ms; /* request sent to the first response byte */
	uint64_t idle_timeout_ms;     /* between reads, once the response began */
	uint64_t keepalive_ms;        /* idle pooled connection lifetime */
	uint64_t retry_max_wait_ms;   /* cap on backoff and Retry-After */

	/* size and count limits */
	uint64_t max_body;            /* decoded body bytes */
	uint64_t max_head;            /* response head bytes */
	unsigned max_headers;         /* response header fields */
	unsigned max_redirs;
	bool location;                /* follow redirects (else a 3xx is the result) */
	unsigned retries;
	unsigned concurrency;         /* fetches in flight, in total */
	unsigned per_host;            /* connections per host; 0: = concurrency */

	/* processing (worker threads) */
	unsigned workers;             /* 0: number of cores */
	bool assets;                  /* follow page requisites (img, script, css) */
	unsigned max_links;           /* links taken from one page */
	struct gather_strv extract;   /* "NAME=XPATH" or "NAME[]=XPATH" */
	struct gather_strv regex;     /* "NAME=PCRE2" */

	/* crawl */
	unsigned depth;               /* GATHER_DEPTH_INF: no limit */
	uint64_t max_pages;           /* 0: unlimited */
	uint64_t max_time_ms;         /* 0: unlimited */
	enum gather_scope scope;
	struct gather_strv allow;     /* PCRE2 on the normalized URL */
	struct gather_strv deny;
	bool robots;
	uint64_t delay_ms;            /* between request starts to one host */
	bool sitemaps;
	unsigned max_url_len;

	/* input and output */
	struct gather_strv input;     /* -i FILE ("-" is stdin) */
	char *jsonl;                  /* NULL: stdout */
	char *warc;
	uint64_t warc_max_size;
	char *mirror;
	char *outdir;                 /* --output-dir DIR: save bodies (get) */
	char *output;                 /* -o FILE: the one URL's body to FILE, "-":
	                               * stdout (get, command line only: not in
	                               * gather_optdefs, no job key) */
	char *state;                  /* --state DIR: crash-safe crawl state */
	uint64_t queue_window;        /* --queue-window: URLs queued in memory
	                               * with a state (0: the default) */
	bool progress;                /* force the progress line */
};

/* Where a run's outputs end, for a crawl with --state: the writer thread
 * says so after an fdatasync (gather_stream_conf.synced), and a resumed
 * crawl reopens its outputs there, cutting off what came after. */
struct gather_output_marks {
	bool jsonl;            /* a regular --jsonl FILE (stdout has no mark) */
	uint64_t jsonl_off;
	bool warc;
	unsigned warc_file;    /* index in the rotation of the WARC being written */
	uint64_t warc_off;
	const char *error;     /* set: the outputs failed (disk full...) with
	                        * this message; nothing is on disk past the
	                        * marks of the call before */
};

enum gather_opt_type {
	GATHER_OPT_BOOL,     /* CLI: --name / --no-name; job: true/false */
	GATHER_OPT_UINT,     /* unsigned, decimal */
	GATHER_OPT_U64,      /* uint64_t count, decimal */
	GATHER_OPT_SIZE,     /* uint64_t bytes: 123, 64K, 10M, 1G */
	GATHER_OPT_SECONDS,  /* uint64_t ms, given in (fractional) seconds */
	GATHER_OPT_MS,       /* uint64_t ms, given in milliseconds */
	GATHER_OPT_STR,      /* char *, replaced */
	GATHER_OPT_STRV,     /* struct gather_strv, repeatable, appends */
	GATHER_OPT_SCOPE,    /* enum gather_scope by name */
};

struct gather_optdef {
	const char *name;         /* long option and job key, e.g. "max-body" */
	int short_name;           /* e.g. 'c', or 0 */
	enum gather_opt_type type;
	size_t offset;            /* into struct gather_opts */
	unsigned cmds;            /* GATHER_CMD_* that take it */
	const char *arg;          /* argument name for --help, NULL for bools */
	const char *help;
};

/* The table, ended by an entry whose name is NULL. */
extern const struct gather_optdef gather_optdefs[];

/* Defaults for a command (GATHER_CMD_GET or GATHER_CMD_CRAWL). */
void gather_opts_init(struct gather_opts *o, unsigned cmd);
/* Frees what o owns; o is left zeroed.  Accepts a zeroed struct. */
void gather_opts_free(struct gather_opts *o);

const struct gather_optdef *gather_opt_find(const char *name);
const struct gather_optdef *gather_opt_find_short(int c);

/* Parse value per d->type and store it in o.  For BOOL, value NULL means
 * true.  On error returns GATHER_E_INVALID and writes a message naming the
 * option into err (which may be NULL). */
int gather_opt_set(struct gather_opts *o, const struct gather_optdef *d,
                   const char *value, char *err, size_t errlen);

/* "64K", "10M", "1G", "123" → bytes.  0 or GATHER_E_INVALID. */
int gather_parse_size(const char *s, uint64_t *ret);
/* "1.5" seconds → 1500 ms.  0 or GATHER_E_INVALID. */
int gather_parse_seconds(const char *s, uint64_t *ret_ms);
/* Decimal unsigned with overflow check against max. */
int gather_parse_u64(const char *s, uint64_t max, uint64_t *ret);

const char *gather_scope_name(enum gather_scope s);
int gather_scope_parse(const char *s, enum gather_scope *ret);

/* The default User-Agent, "gather/VERSION". */
const char *gather_default_user_agent(void);

#endif
