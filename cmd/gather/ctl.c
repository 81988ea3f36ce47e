/* ctl.c — `gather ctl VERB ...`: gatherd's control API (issue 14) from the
 * command line.  One HTTP/1.1 request per verb (per file for submit) over
 * the daemon's Unix socket, answered with JSON; shown as a table on a
 * terminal, passed through as JSON (or JSON lines) with --json or into a
 * pipe.
 *
 * A small blocking client, not evhttp: one request at a time needs no
 * reactor, and the response goes through lib/http's strict llhttp parser
 * (http1.h), the one every fetch uses, with its head limits.  Every wait is
 * bounded by --timeout (connect, send, the response head, and each read of
 * a body that is not a stream); a body kept in memory by --max-response.
 *
 * Exit: 0 done; 1 the daemon answered an error (its "error" printed); 2
 * usage, no daemon at the socket, or no sensible answer from it. */
#include "config.h"

#include <errno.h>
#include <event2/buffer.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "gather/error.h"
#include "gather/job.h"
#include "gather/options.h"
#include "http/http1.h"
#include "util/strbuf.h"

#define CTL_TIMEOUT_MS 30000u               /* --timeout default */
#define CTL_MAX_RESPONSE (64ull << 20)      /* --max-response default */
#define CTL_MAX_HEAD (64u << 10)            /* as a fetch's response head */
#define CTL_MAX_LINE (1u << 20)             /* one line of a stream, shown as a table */

enum ctl_out { OUT_TABLE, OUT_JSON };

struct ctl {
	const char *socket;       /* --socket, or NULL: the defaults */
	enum ctl_out out;
	uint64_t timeout_ms;
	uint64_t max_response;
	uint64_t max_job_size;
	const char *state;        /* jobs --state */
	bool follow;              /* records --follow, events --follow */
	bool timeout_given;       /* --timeout: streams wait no longer either */
	const char *since;        /* events --since */
	const char *verb;
	char **args;              /* the verb's arguments */
	int nargs;
	/* the one socket in use */
	char *path;               /* where it connected */
};

static void ctl_usage(FILE *f)
{
	fprintf(f,
	"Usage: gather ctl [OPTIONS] VERB [ARGS]\n"
	"\n"
	"Talk to gatherd over its control socket.\n"
	"\n"
	"Verbs:\n"
	"  status                 version, uptime, jobs by state, workers, pages/s\n"
	"  jobs [--state S]       the jobs (S: queued running paused done failed cancelled)\n"
	"  submit FILE...         submit job files (- reads standard input)\n"
	"  show ID                one job\n"
	"  pause ID | resume ID | cancel ID\n"
	"  rm ID                  remove a job that is not running, with its files\n"
	"  records ID [--follow]  its records (JSON lines); --follow: until the job ends\n"
	"  events [--since N] [--follow]\n"
	"                         job state changes kept (from event N); --follow: and\n"
	"                         then as they happen, until interrupted\n"
	"  schedules              scheduled jobs, next run and last outcome\n"
	"\n"
	"Options:\n"
	"  --socket PATH          the control socket (default: $GATHER_SOCKET, else\n"
	"                         $RUNTIME_DIRECTORY/gatherd.sock, else for root\n"
	"                         /run/gather/gatherd.sock, for others\n"
	"                         $XDG_RUNTIME_DIR/gather/gatherd.sock (without it\n"
	"                         gatherd's own default, its state directory's\n"
	"                         gatherd.sock) then /run/gather/gatherd.sock)\n"
	"  --json                 JSON (JSON lines for streams), not a table\n"
	"  --table                a table even when standard output is no terminal\n"
	"  --timeout SECS         longest wait for the daemon (default 30; streams wait\n"
	"                         for their next line without limit unless given)\n"
	"  --max-response SIZE    largest answer kept in memory, K/M/G (default 64M)\n"
	"  --max-job-size SIZE    largest job file submitted (default 16M)\n"
	"  -h, --help             this help\n"
	"\n"
	"Exit status: 0 done, 1 the daemon refused (its error is shown), 2 usage or\n"
	"no daemon at the socket.\n");
}

/* ------------------------------------------------------------ transport */

static uint64_t now_ms(void);

/* A connected non-blocking socket to path, or -1 with errno.  A Unix
 * socket connects at once or fails at once (ECONNREFUSED: no one listens),
 * but a blocking connect() waits without limit while the listener's
 * backlog is full (a daemon that stopped accepting); non-blocking, that is
 * EAGAIN, retried until deadline, then ETIMEDOUT. */
static int connect_unix(const char *path, uint64_t deadline)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof sa.sun_path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	while (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		int e = errno;
		if (e == EINTR)
			continue;
		if (e == EAGAIN && now_ms() < deadline) {
			/* bounded: at most --timeout of 10 ms naps */
			nanosleep(&(struct timespec){ 0, 10 * 1000 * 1000 }, NULL);
			continue;
		}
		close(fd);
		errno = e == EAGAIN ? ETIMEDOUT : e;
		return -1;
	}
	return fd;
}

/* The candidates, in order (the daemon binds the first of the same list
 * that applies to it; /run/gather is where the packaged service listens,
 * tried last for a user whose own daemon is not running). */
static size_t default_paths(char paths[4][512])
{
	const char *v;
	size_t n = 0;
	if ((v = getenv("GATHER_SOCKET")) && *v) {
		snprintf(paths[n++], 512, "%s", v);
		return n;
	}
	if ((v = getenv("RUNTIME_DIRECTORY")) && *v)
		snprintf(paths[n++], 512, "%.*s/gatherd.sock", (int)strcspn(v, ":"), v);
	if (geteuid() != 0 && (v = getenv("XDG_RUNTIME_DIR")) && *v)
		snprintf(paths[n++], 512, "%s/gather/gatherd.sock", v);
	else if (geteuid() != 0 && (v = getenv("XDG_STATE_HOME")) && *v)
		/* gatherd with neither runtime directory binds in its state
		 * directory (gatherd_conf_defaults) */
		snprintf(paths[n++], 512, "%s/gather/gatherd.sock", v);
	else if (geteuid() != 0 && (v = getenv("HOME")) && *v)
		snprintf(paths[n++], 512, "%s/.local/state/gather/gatherd.sock", v);
	snprintf(paths[n++], 512, "/run/gather/gatherd.sock");
	return n;
}

/* Connect to --socket or the first default that answers; else say where
 * it looked, each path once, and return -1. */
static int ctl_connect(struct ctl *c)
{
	char paths[4][512];
	int errs[4];
	size_t n;

	if (c->socket) {
		snprintf(paths[0], sizeof paths[0], "%s", c->socket);
		n = 1;
	} else {
		n = default_paths(paths);
	}
	for (size_t i = 0; i < n; i++) {
		int fd = connect_unix(paths[i], now_ms() + c->timeout_ms);
		if (fd >= 0) {
			free(c->path);
			c->path = strdup(paths[i]);
			return fd;
		}
		errs[i] = errno;
	}
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, "gather ctl: no gatherd at %s: %s\n", paths[i], strerror(errs[i]));
	return -1;
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Wait for fd to be ready for events until deadline (0: no limit). 1
 * ready, 0 timed out, -1 error. */
static int wait_fd(int fd, short events, uint64_t deadline)
{
	for (;;) {
		struct pollfd p = { fd, events, 0 };
		uint64_t now = now_ms();
		int ms = -1;
		if (deadline) {
			if (now >= deadline)
				return 0;
			ms = deadline - now > 60000 ? 60000 : (int)(deadline - now);
		}
		int r = poll(&p, 1, ms);
		if (r > 0)
			return 1;
		if (r < 0 && errno != EINTR)
			return -1;
	}
}

static int send_all(int fd, const char *p, size_t n, uint64_t deadline)
{
	while (n) {
		int w = wait_fd(fd, POLLOUT, deadline);
		if (w <= 0) {
			errno = w == 0 ? ETIMEDOUT : errno;
			return -1;
		}
		ssize_t k = send(fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (k < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (k < 0)
			return -1;
		p += k, n -= (size_t)k;
	}
	return 0;
}

/* What a response's body goes to. */
struct sink {
	struct gather_strbuf body;  /* kept (not a stream) */
	uint64_t max;
	bool stream;                /* lines go to on_line as they come */
	bool wait;                  /* a stream that may idle without limit */
	struct gather_strbuf line;  /* a stream's partial line */
	int (*on_line)(const char *line, size_t len, void *arg);
	void *arg;
	bool too_large;
	int write_err;              /* errno of a failed write to stdout */
};

static int on_body(const char *data, size_t len, void *arg)
{
	struct sink *s = arg;
	if (!s->stream) {
		if (s->body.len + len > s->max) {
			s->too_large = true;
			return GATHER_E_TOO_LARGE;
		}
		gather_strbuf_add(&s->body, data, len);
		return s->body.oom ? GATHER_E_NOMEM : 0;
	}
	/* a stream: whole lines to on_line, the rest kept for the next bytes */
	while (len) {
		const char *nl = memchr(data, '\n', len);
		size_t k = nl ? (size_t)(nl - data) + 1 : len;
		if (s->line.len + k > CTL_MAX_LINE) {
			s->too_large = true;
			return GATHER_E_TOO_LARGE;
		}
		gather_strbuf_add(&s->line, data, k);
		if (s->line.oom)
			return GATHER_E_NOMEM;
		data += k, len -= k;
		if (nl) {
			int r = s->on_line(s->line.p, s->line.len, s->arg);
			s->line.len = 0;
			if (r == GATHER_E_IO)
				s->write_err = errno ? errno : EPIPE;
			if (r < 0)
				return r;
		}
	}
	return 0;
}

struct answer {
	int status;
	char *location;
};

/* Send one request and read its answer into sink.  0 with a->status set;
 * -1 after saying on stderr what went wrong (the caller exits 2). */
static int ctl_request(struct ctl *c, const char *method, const char *target, const char *body,
                       size_t body_len, struct sink *sink, struct answer *a)
{
	struct gather_strbuf req = { 0 };
	struct evbuffer *in = evbuffer_new();
	struct http1_resp r = { 0 }; /* init frees what a reused one kept */
	int fd = -1, ret = -1;
	bool head = true;
	const char *what = "reading the answer";

	if (!in) {
		fprintf(stderr, "gather ctl: out of memory\n");
		return -1;
	}
	http1_resp_init(&r, CTL_MAX_HEAD, 100, false, on_body, sink, NULL);
	if ((fd = ctl_connect(c)) < 0)
		goto out;
	gather_strbuf_printf(&req, "%s %s HTTP/1.1\r\nHost: gatherd\r\n", method, target);
	gather_strbuf_printf(&req, "User-Agent: gather-ctl/%s\r\nAccept: application/json\r\n",
	                     PACKAGE_VERSION);
	if (body)
		gather_strbuf_printf(&req, "Content-Type: text/plain; charset=utf-8\r\n"
		                     "Content-Length: %zu\r\n", body_len);
	else if (strcmp(method, "POST") == 0)
		gather_strbuf_adds(&req, "Content-Length: 0\r\n");
	gather_strbuf_adds(&req, "Connection: close\r\n\r\n");
	if (body)
		gather_strbuf_add(&req, body, body_len);
	if (req.oom) {
		fprintf(stderr, "gather ctl: out of memory\n");
		goto out;
	}
	uint64_t deadline = now_ms() + c->timeout_ms;
	if (send_all(fd, req.p, req.len, deadline) < 0) {
		/* the daemon may answer before reading all (413): read on */
		if (errno != EPIPE && errno != ECONNRESET) {
			fprintf(stderr, "gather ctl: %s: sending the request: %s\n", c->path, strerror(errno));
			goto out;
		}
	}
	deadline = now_ms() + c->timeout_ms;
	for (;;) {
		enum http1_rc rc = HTTP1_MORE;
		/* a followed stream waits for its next line as long as it
		 * takes (records --follow, events), unless --timeout was given */
		int w = wait_fd(fd, POLLIN, !head && sink->wait ? 0 : deadline);
		if (w == 0) {
			fprintf(stderr, "gather ctl: %s: no answer within %.3g s (--timeout)\n", c->path,
			        c->timeout_ms / 1000.0);
			goto out;
		}
		int n = w < 0 ? -1 : evbuffer_read(in, fd, 64 * 1024);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n < 0 && errno != ECONNRESET) {
			fprintf(stderr, "gather ctl: %s: %s: %s\n", c->path, what, strerror(errno));
			goto out;
		}
		if (n <= 0) {
			rc = http1_eof(&r);
		} else {
			deadline = now_ms() + c->timeout_ms; /* an idle limit, per read */
			if (head && (rc = http1_feed_head(&r, in)) == HTTP1_HEAD) {
				head = false;
				a->status = r.status;
				/* an error is one JSON object to report, not a stream */
				if (sink->stream && r.status / 100 != 2)
					sink->stream = sink->wait = false;
				rc = http1_feed_body(&r, in);
			} else if (!head) {
				rc = http1_feed_body(&r, in);
			}
		}
		if (head && rc == HTTP1_COMPLETE)
			a->status = r.status;
		if (rc == HTTP1_COMPLETE) {
			/* a stream's last line may lack its newline */
			if (sink->stream && sink->line.len)
				sink->on_line(sink->line.p, sink->line.len, sink->arg);
			if (r.location)
				a->location = strdup(r.location);
			ret = 0;
			break;
		}
		if (rc == HTTP1_ERROR || n <= 0) {
			if (sink->write_err)
				ret = -2; /* stdout went away: not the daemon's fault */
			else if (sink->too_large)
				fprintf(stderr, "gather ctl: %s: the answer is larger than %llu bytes "
				        "(--max-response)\n", c->path, (unsigned long long)(sink->stream ?
				        CTL_MAX_LINE : sink->max));
			else
				fprintf(stderr, "gather ctl: %s: bad answer: %s\n", c->path,
				        r.msg[0] ? r.msg : "connection closed");
			break;
		}
	}
out:
	if (fd >= 0)
		close(fd);
	free(req.p);
	http1_resp_clear(&r);
	evbuffer_free(in);
	return ret;
}

/* ------------------------------------------------------------- showing */

/* A JSON value as table text: strings bare, null as "-", the rest as JSON.
 * Control characters become '?' (a daemon's text must not drive the
 * terminal).  malloc'ed. */
static char *cell(const json_t *v)
{
	char *s;
	if (!v || json_is_null(v))
		s = strdup("-");
	else if (json_is_string(v))
		s = strdup(json_string_value(v));
	else if (json_is_real(v)) {
		if (asprintf(&s, "%.2f", json_real_value(v)) < 0)
			s = NULL;
	} else
		s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	for (char *p = s; p && *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return s;
}

/* The value at dotted path key ("stats.pages") in o, or NULL. */
static const json_t *get_path(const json_t *o, const char *key)
{
	char part[64];
	while (o && *key) {
		size_t n = strcspn(key, ".");
		snprintf(part, sizeof part, "%.*s", (int)(n < sizeof part ? n : sizeof part - 1), key);
		o = json_is_object(o) ? json_object_get(o, part) : NULL;
		key += n + (key[n] == '.');
	}
	return o;
}

/* Rows of objects as aligned columns: cols[i] is the key shown under
 * heads[i]. */
static void print_table(const json_t *rows, const char *const *cols, const char *const *heads,
                        size_t ncols)
{
	size_t nrows = json_array_size(rows), *w = calloc(ncols, sizeof *w);
	char **cells = calloc((nrows + 1) * ncols, sizeof *cells);
	if (!w || !cells) {
		free(w);
		free(cells);
		return;
	}
	for (size_t j = 0; j < ncols; j++)
		cells[j] = strdup(heads[j]);
	for (size_t i = 0; i < nrows; i++)
		for (size_t j = 0; j < ncols; j++)
			cells[(i + 1) * ncols + j] = cell(get_path(json_array_get(rows, i), cols[j]));
	for (size_t k = 0; k < (nrows + 1) * ncols; k++)
		if (cells[k] && strlen(cells[k]) > w[k % ncols])
			w[k % ncols] = strlen(cells[k]);
	for (size_t i = 0; i <= nrows; i++) {
		for (size_t j = 0; j < ncols; j++) {
			const char *s = cells[i * ncols + j] ? cells[i * ncols + j] : "?";
			if (j + 1 < ncols)
				printf("%-*s  ", (int)w[j], s);
			else
				printf("%s\n", s);
		}
	}
	for (size_t k = 0; k < (nrows + 1) * ncols; k++)
		free(cells[k]);
	free(cells);
	free(w);
}

/* Scalar keys of the objects in rows, in order of first appearance (at
 * most 12): columns for answers whose shape we do not fix (schedules). */
static size_t scalar_keys(const json_t *rows, const char **keys, size_t max)
{
	size_t n = 0, i;
	const json_t *row;
	json_array_foreach(rows, i, row) {
		const char *k;
		const json_t *v;
		json_object_foreach((json_t *)row, k, v) {
			bool have = false;
			if (json_is_object(v) || json_is_array(v))
				continue;
			for (size_t j = 0; j < n; j++)
				have |= strcmp(keys[j], k) == 0;
			if (!have && n < max)
				keys[n++] = k;
		}
	}
	return n;
}

/* An object as "key  value" lines, nested objects as key.sub. */
static void print_kv(const json_t *o, const char *prefix, int width)
{
	const char *k;
	const json_t *v;
	json_object_foreach((json_t *)o, k, v) {
		char name[128];
		snprintf(name, sizeof name, "%s%s", prefix, k);
		if (json_is_object(v)) {
			char p[130];
			snprintf(p, sizeof p, "%s.", name);
			print_kv(v, p, width);
			continue;
		}
		char *s = cell(v);
		printf("%-*s  %s\n", width, name, s ? s : "?");
		free(s);
	}
}

static const char *const job_cols[] = { "id", "name", "kind", "state", "priority", "stats.pages",
                                        "stats.errors", "stats.queued", "stats.pages_per_s", "created" };
static const char *const job_heads[] = { "ID", "NAME", "KIND", "STATE", "PRIO", "PAGES", "ERRORS",
                                         "QUEUED", "PAGES/S", "CREATED" };
#define NJOBCOLS (sizeof job_cols / sizeof *job_cols)

/* Print a kept answer: the body as is with --json (a newline added), else
 * as the verb's table. */
static void show(const struct ctl *c, const char *body, size_t len)
{
	json_error_t je;
	json_t *j;

	if (c->out == OUT_JSON) {
		fwrite(body, 1, len, stdout);
		if (len && body[len - 1] != '\n')
			putchar('\n');
		return;
	}
	if (!len)
		return;
	if (!(j = json_loadb(body, len, 0, &je))) {
		fwrite(body, 1, len, stdout); /* not JSON: shown as it came */
		if (body[len - 1] != '\n')
			putchar('\n');
		return;
	}
	const json_t *jobs = json_object_get(j, "jobs");
	const json_t *sched = json_object_get(j, "schedules");
	if (strcmp(c->verb, "status") == 0 || strcmp(c->verb, "show") == 0) {
		print_kv(j, "", 20);
	} else if (json_is_array(jobs) && strcmp(c->verb, "submit") == 0) {
		/* what was made of the file: new jobs have no stats yet */
		static const char *const cols[] = { "id", "name", "state" }, *const heads[] = { "ID", "NAME", "STATE" };
		print_table(jobs, cols, heads, 3);
	} else if (json_is_array(jobs)) {
		print_table(jobs, job_cols, job_heads, NJOBCOLS);
	} else if (json_is_array(sched) && json_array_size(sched) &&
	           json_object_get(json_array_get(sched, 0), "next_run")) {
		/* gatherd's shape (the file and job id are in --json) */
		static const char *const cols[] = { "name", "schedule", "timezone", "overlap", "next_run",
			                            "last_run", "last_outcome" },
		                         *const heads[] = { "NAME", "SCHEDULE", "TIMEZONE", "OVERLAP", "NEXT",
			                            "LAST", "OUTCOME" };
		print_table(sched, cols, heads, 7);
	} else if (json_is_array(sched)) {
		const char *keys[12], *heads[12];
		char up[12][64];
		size_t n = scalar_keys(sched, keys, 12);
		for (size_t i = 0; i < n; i++) {
			size_t k = 0;
			for (; keys[i][k] && k + 1 < sizeof up[i]; k++)
				up[i][k] = (char)(keys[i][k] >= 'a' && keys[i][k] <= 'z' ?
				                  keys[i][k] - 32 : keys[i][k]);
			up[i][k] = '\0';
			heads[i] = up[i];
		}
		print_table(sched, keys, heads, n);
	} else if (json_is_object(j) && json_object_get(j, "id")) {
		/* one job (pause, resume, cancel): one row */
		json_t *rows = json_pack("[O]", j);
		print_table(rows, job_cols, job_heads, NJOBCOLS);
		json_decref(rows);
	} else {
		print_kv(j, "", 20);
	}
	json_decref(j);
}

/* The daemon said no: its "error" (and each of "errors" as FILE:LINE:
 * message when file names what was sent), else the status and the start
 * of the body; on stderr only, so stdout holds answers alone, with --json
 * too.  Returns 1, the exit status. */
static int refused(int status, const char *body, size_t len, const char *file)
{
	json_error_t je;
	json_t *j = len ? json_loadb(body, len, 0, &je) : NULL;
	const json_t *e = j ? json_object_get(j, "error") : NULL;
	if (json_is_string(e)) {
		char *s = cell(e);
		fprintf(stderr, "gather ctl: %s%s%s (HTTP %d)\n", file ? file : "", file ? ": " : "",
		        s ? s : "?", status);
		free(s);
	} else {
		/* not JSON: its first line, cut at 200 bytes, made printable */
		char first[201];
		size_t n = 0;
		for (; body && n < len && n < sizeof first - 1 && body[n] != '\n' && body[n] != '\r'; n++)
			first[n] = (unsigned char)body[n] < 0x20 || body[n] == 0x7f ? '?' : body[n];
		first[n] = '\0';
		fprintf(stderr, "gather ctl: %s%sHTTP %d%s%s\n", file ? file : "", file ? ": " : "",
		        status, n ? ": " : "", first);
	}
	const json_t *errs = j ? json_object_get(j, "errors") : NULL;
	size_t i;
	const json_t *x;
	json_array_foreach(errs, i, x) {
		char *m = cell(json_object_get(x, "message"));
		json_int_t line = json_integer_value(json_object_get(x, "line"));
		fprintf(stderr, "%s:%lld: %s\n", file ? file : "-", (long long)line, m ? m : "?");
		free(m);
	}
	json_decref(j);
	return 1;
}

/* A line of a stream: as is with --json or for records (already JSON
 * lines), as key=value pairs for events on a terminal. */
static int stream_line(const char *line, size_t len, void *arg)
{
	const struct ctl *c = arg;
	json_error_t je;
	json_t *j;
	if (c->out == OUT_TABLE && strcmp(c->verb, "events") == 0 &&
	    (j = json_loadb(line, len, 0, &je)) && json_is_object(j)) {
		const char *k;
		json_t *v;
		bool first = true;
		json_object_foreach(j, k, v) {
			char *s = cell(v);
			printf("%s%s=%s", first ? "" : " ", k, s ? s : "?");
			free(s);
			first = false;
		}
		putchar('\n');
		json_decref(j);
	} else {
		fwrite(line, 1, len, stdout);
		if (line[len - 1] != '\n')
			putchar('\n');
	}
	/* each line seen at once (a stream is watched), and a reader gone
	 * ends it */
	if (fflush(stdout) != 0 || ferror(stdout))
		return GATHER_E_IO;
	return 0;
}

/* ------------------------------------------------------------- the verbs */

static bool good_id(const char *id)
{
	size_t n = strlen(id);
	/* the daemon's ids go into a URL path as they are: nothing to escape */
	return n > 0 && n <= 128 &&
	       strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") == n &&
	       strcmp(id, ".") != 0 && strcmp(id, "..") != 0;
}

/* One request whose answer is kept and shown; 0, 1 or 2. */
static int simple(struct ctl *c, const char *method, const char *target)
{
	struct sink s = { .max = c->max_response };
	struct answer a = { 0 };
	int r = ctl_request(c, method, target, NULL, 0, &s, &a);
	if (r < 0) {
		free(s.body.p);
		return EXIT_USAGE;
	}
	if (a.status / 100 != 2) {
		r = refused(a.status, s.body.p, s.body.len, NULL);
	} else {
		if (a.status == 204 && c->out == OUT_TABLE && strcmp(c->verb, "rm") == 0)
			printf("removed %s\n", c->args[0]);
		show(c, s.body.p ? s.body.p : "", s.body.len);
		r = 0;
	}
	free(s.body.p);
	free(a.location);
	return r;
}

/* A stream of lines, each shown as it comes; waits: it may idle (follow). */
static int stream(struct ctl *c, const char *target, bool waits)
{
	struct sink s = { .stream = true, .on_line = stream_line, .arg = c,
	                  .wait = waits && !c->timeout_given, .max = c->max_response };
	struct answer a = { 0 };
	int r = ctl_request(c, "GET", target, NULL, 0, &s, &a);
	free(s.line.p);
	if (r >= 0 && a.status / 100 != 2)
		r = refused(a.status, s.body.p, s.body.len, NULL);
	free(s.body.p);
	free(a.location);
	if (r == -2)
		return EXIT_SIGPIPE;
	return r < 0 ? EXIT_USAGE : r;
}

/* Read a job file whole (regular file, FIFO or stdin), up to max bytes. */
static char *read_file(const char *name, uint64_t max, size_t *ret_len)
{
	FILE *f = strcmp(name, "-") == 0 ? stdin : fopen(name, "rb");
	struct gather_strbuf b = { 0 };
	char chunk[16384];
	size_t n;
	if (!f) {
		fprintf(stderr, "gather ctl: %s: %s\n", name, strerror(errno));
		return NULL;
	}
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0 && b.len <= max)
		gather_strbuf_add(&b, chunk, n);
	bool err = ferror(f);
	if (f != stdin)
		fclose(f);
	if (err || b.oom || b.len > max) {
		fprintf(stderr, "gather ctl: %s: %s\n", name, err ? "cannot read it" : b.oom ?
		        "out of memory" : "larger than --max-job-size");
		free(b.p);
		return NULL;
	}
	*ret_len = b.len;
	return b.p ? b.p : strdup("");
}

/* submit FILE...: each file one POST; every file is tried, the worst
 * status wins. */
static int submit(struct ctl *c)
{
	int ret = 0;
	for (int i = 0; i < c->nargs; i++) {
		size_t len;
		char *text = read_file(c->args[i], c->max_job_size, &len);
		struct sink s = { .max = c->max_response };
		struct answer a = { 0 };
		if (!text) {
			ret = EXIT_USAGE;
			continue;
		}
		int r = ctl_request(c, "POST", "/v1/jobs", text, len, &s, &a);
		free(text);
		if (r < 0) {
			free(s.body.p);
			return EXIT_USAGE; /* no daemon: the next file would fail too */
		}
		if (a.status / 100 != 2) {
			refused(a.status, s.body.p, s.body.len, c->args[i]);
			if (ret == 0)
				ret = 1;
		} else {
			show(c, s.body.p ? s.body.p : "", s.body.len);
		}
		free(s.body.p);
		free(a.location);
	}
	return ret;
}

static const char *const states[] = { "queued", "running", "paused", "done", "failed", "cancelled", NULL };

/* Run the verb; its exit status. */
static int run_verb(struct ctl *c)
{
	static const struct {
		const char *verb;
		int nargs;        /* -1: one or more */
	} verbs[] = {
		{ "status", 0 }, { "jobs", 0 }, { "submit", -1 }, { "show", 1 }, { "pause", 1 },
		{ "resume", 1 }, { "cancel", 1 }, { "rm", 1 }, { "records", 1 }, { "events", 0 },
		{ "schedules", 0 },
	};
	char target[512];
	int want = -2;

	for (size_t i = 0; i < sizeof verbs / sizeof *verbs; i++)
		if (strcmp(c->verb, verbs[i].verb) == 0)
			want = verbs[i].nargs;
	if (want == -2) {
		fprintf(stderr, "gather ctl: unknown verb '%s' (see gather ctl --help)\n", c->verb);
		return EXIT_USAGE;
	}
	if ((want == -1 && c->nargs < 1) || (want >= 0 && c->nargs != want)) {
		fprintf(stderr, "gather ctl %s: %s\n", c->verb, want == 0 ? "takes no arguments" :
		        want == 1 ? "needs one job ID" : "needs one or more job files");
		return EXIT_USAGE;
	}
	if (c->state && strcmp(c->verb, "jobs") != 0) {
		fprintf(stderr, "gather ctl %s: --state is an option of jobs\n", c->verb);
		return EXIT_USAGE;
	}
	if (c->follow && strcmp(c->verb, "records") != 0 && strcmp(c->verb, "events") != 0) {
		fprintf(stderr, "gather ctl %s: --follow is an option of records and events\n", c->verb);
		return EXIT_USAGE;
	}
	if (c->since && strcmp(c->verb, "events") != 0) {
		fprintf(stderr, "gather ctl %s: --since is an option of events\n", c->verb);
		return EXIT_USAGE;
	}
	if (want == 1 && !good_id(c->args[0])) {
		fprintf(stderr, "gather ctl %s: '%s' is not a job ID\n", c->verb, c->args[0]);
		return EXIT_USAGE;
	}
	const char *id = want == 1 ? c->args[0] : "";
	if (strcmp(c->verb, "status") == 0)
		return simple(c, "GET", "/v1/status");
	if (strcmp(c->verb, "jobs") == 0) {
		if (c->state) {
			bool ok = false;
			for (size_t i = 0; states[i]; i++)
				ok |= strcmp(c->state, states[i]) == 0;
			if (!ok) {
				fprintf(stderr, "gather ctl jobs: --state '%s': expected queued, running, "
				        "paused, done, failed or cancelled\n", c->state);
				return EXIT_USAGE;
			}
		}
		snprintf(target, sizeof target, "/v1/jobs%s%s", c->state ? "?state=" : "",
		         c->state ? c->state : "");
		return simple(c, "GET", target);
	}
	if (strcmp(c->verb, "submit") == 0)
		return submit(c);
	if (strcmp(c->verb, "show") == 0) {
		snprintf(target, sizeof target, "/v1/jobs/%s", id);
		return simple(c, "GET", target);
	}
	if (strcmp(c->verb, "rm") == 0) {
		snprintf(target, sizeof target, "/v1/jobs/%s", id);
		return simple(c, "DELETE", target);
	}
	if (strcmp(c->verb, "records") == 0) {
		snprintf(target, sizeof target, "/v1/jobs/%s/records%s", id, c->follow ? "?follow=1" : "");
		return stream(c, target, c->follow);
	}
	if (strcmp(c->verb, "events") == 0) {
		uint64_t n;
		if (c->since && gather_parse_u64(c->since, UINT64_MAX, &n) < 0) {
			fprintf(stderr, "gather ctl events: --since '%s': expected an event number\n", c->since);
			return EXIT_USAGE;
		}
		/* without follow=1 gatherd sends the events it keeps and ends */
		if (c->since)
			snprintf(target, sizeof target, "/v1/events?since=%llu%s", (unsigned long long)n,
			         c->follow ? "&follow=1" : "");
		else
			snprintf(target, sizeof target, "/v1/events%s", c->follow ? "?follow=1" : "");
		return stream(c, target, c->follow);
	}
	if (strcmp(c->verb, "schedules") == 0)
		return simple(c, "GET", "/v1/schedules");
	/* pause, resume, cancel */
	snprintf(target, sizeof target, "/v1/jobs/%s/%s", id, c->verb);
	return simple(c, "POST", target);
}

/* The value of option name at argv[*i] ("--name V" or "--name=V"), *i
 * moved past it; NULL when argv[*i] is not that option.  *bad set when it
 * is but lacks its value. */
static const char *opt_value(int argc, char **argv, int *i, const char *name, bool *bad)
{
	size_t n = strlen(name);
	if (strncmp(argv[*i], name, n) != 0)
		return NULL;
	if (argv[*i][n] == '=')
		return argv[*i] + n + 1;
	if (argv[*i][n] != '\0')
		return NULL;
	if (*i + 1 >= argc) {
		*bad = true;
		return NULL;
	}
	return argv[++*i];
}

int cmd_ctl(int argc, char **argv)
{
	struct ctl c = { .timeout_ms = CTL_TIMEOUT_MS, .max_response = CTL_MAX_RESPONSE,
	                 .max_job_size = GATHER_JOB_MAX_SIZE };
	bool json = false, table = false, opts = true;
	char **pos = calloc((size_t)argc + 1, sizeof *pos);
	int npos = 0, ret;

	if (!pos)
		return EXIT_USAGE;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v;
		bool bad = false;
		int m;
		if (!opts || a[0] != '-' || !a[1]) {
			pos[npos++] = argv[i];
			continue;
		}
		if (strcmp(a, "--") == 0) {
			opts = false;
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			ctl_usage(stdout);
			free(pos);
			return EXIT_ALL_OK;
		} else if (strcmp(a, "--json") == 0) {
			json = true;
		} else if (strcmp(a, "--table") == 0) {
			table = true;
		} else if (strcmp(a, "--follow") == 0) {
			c.follow = true;
		} else if ((v = opt_value(argc, argv, &i, "--socket", &bad))) {
			c.socket = v;
		} else if ((v = opt_value(argc, argv, &i, "--state", &bad))) {
			c.state = v;
		} else if ((v = opt_value(argc, argv, &i, "--since", &bad))) {
			c.since = v;
		} else if ((v = opt_value(argc, argv, &i, "--timeout", &bad))) {
			if (gather_parse_seconds(v, &c.timeout_ms) < 0 || c.timeout_ms == 0) {
				fprintf(stderr, "gather ctl: --timeout needs a time above 0 (e.g. 5, 250ms)\n");
				free(pos);
				return EXIT_USAGE;
			}
			c.timeout_given = true;
		} else if ((v = opt_value(argc, argv, &i, "--max-response", &bad))) {
			if (gather_parse_size(v, &c.max_response) < 0 || c.max_response == 0) {
				fprintf(stderr, "gather ctl: --max-response needs a size above 0 (e.g. 64K, 16M)\n");
				free(pos);
				return EXIT_USAGE;
			}
		} else if ((m = cli_max_job_size("ctl", argc, argv, &i, &c.max_job_size)) != 0) {
			if (m < 0) {
				free(pos);
				return EXIT_USAGE;
			}
		} else {
			fprintf(stderr, "gather ctl: %s '%s' (see gather ctl --help)\n",
			        bad ? "an argument is missing after" : "unknown option", a);
			free(pos);
			return EXIT_USAGE;
		}
		if (bad) {
			fprintf(stderr, "gather ctl: an argument is missing after '%s'\n", a);
			free(pos);
			return EXIT_USAGE;
		}
	}
	if (npos == 0 || (json && table)) {
		if (json && table)
			fprintf(stderr, "gather ctl: --json or --table, not both\n");
		ctl_usage(stderr);
		free(pos);
		return EXIT_USAGE;
	}
	if (c.socket && !*c.socket) {
		fprintf(stderr, "gather ctl: --socket needs a path\n");
		free(pos);
		return EXIT_USAGE;
	}
	c.verb = pos[0];
	c.args = pos + 1;
	c.nargs = npos - 1;
	/* a table for a person at a terminal; JSON for a program */
	c.out = json ? OUT_JSON : table ? OUT_TABLE : isatty(STDOUT_FILENO) ? OUT_TABLE : OUT_JSON;
	ret = run_verb(&c);
	if (fflush(stdout) != 0 && ret == 0)
		ret = cli_stdout_gone() ? EXIT_SIGPIPE : EXIT_USAGE;
	free(c.path);
	free(pos);
	return ret;
}
