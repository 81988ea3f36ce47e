/* conf.c — gatherd.conf: defaults from the environment, then the file.
 * Every key is read as a string and parsed with the same functions as job
 * files (sizes "1M", times "0.25" / "250ms"), so the units are the same
 * everywhere; each value's line is noted while libconfuse parses it. */
#include "config.h"

#include <confuse.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "daemon/conf.h"
#include "gather/error.h"

enum key_type { K_PATH, K_STR, K_UINT, K_SIZE, K_TIME, K_MODE };

static const struct conf_key {
	const char *name;
	enum key_type type;
	size_t off;
	uint64_t min, max;     /* for numbers */
} keys[] = {
	{ "state-dir", K_PATH, offsetof(struct gatherd_conf, state_dir), 0, 0 },
	{ "socket", K_PATH, offsetof(struct gatherd_conf, socket_path), 0, 0 },
	{ "spool-dir", K_PATH, offsetof(struct gatherd_conf, spool_dir), 0, 0 },
	{ "job-dir", K_PATH, offsetof(struct gatherd_conf, job_dir), 0, 0 },
	{ "listen", K_STR, offsetof(struct gatherd_conf, listen), 0, 0 },
	{ "token-file", K_PATH, offsetof(struct gatherd_conf, token_file), 0, 0 },
	{ "max-jobs", K_UINT, offsetof(struct gatherd_conf, max_jobs), 1, 10000 },
	{ "workers", K_UINT, offsetof(struct gatherd_conf, workers), 0, 1024 },
	{ "keep-jobs", K_UINT, offsetof(struct gatherd_conf, keep_jobs), 0, 10000000 },
	{ "max-connections", K_UINT, offsetof(struct gatherd_conf, max_connections), 1, 100000 },
	{ "per-host", K_UINT, offsetof(struct gatherd_conf, per_host), 1, 100000 },
	{ "delay", K_TIME, offsetof(struct gatherd_conf, delay_ms), 0, 3600000 },
	{ "max-body", K_SIZE, offsetof(struct gatherd_conf, max_body), 64, 1ull << 30 },
	{ "max-header", K_SIZE, offsetof(struct gatherd_conf, max_header), 256, 1ull << 24 },
	{ "idle-timeout", K_TIME, offsetof(struct gatherd_conf, idle_timeout_ms), 100, 86400000 },
	{ "max-events", K_UINT, offsetof(struct gatherd_conf, max_events), 16, 10000000 },
	{ "socket-mode", K_MODE, offsetof(struct gatherd_conf, socket_mode), 0, 0777 },
};
#define NKEYS (sizeof keys / sizeof keys[0])

/* Reactor thread only (see conf.h): libconfuse's callbacks get no user
 * pointer, so the load in progress is found here. */
static struct conf_load {
	const char *file;
	struct gather_strv *diags;
	int faults;
	unsigned line[NKEYS];
} *current;

static void diag(struct conf_load *l, unsigned line, const char *fmt, ...)
{
	char msg[512], buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	snprintf(buf, sizeof buf, "%s:%u: %s", l->file, line, msg);
	l->faults++;
	if (l->diags)
		gather_strv_push(l->diags, buf);
}

static void on_error(cfg_t *cfg, const char *fmt, va_list ap)
{
	char msg[512];
	vsnprintf(msg, sizeof msg, fmt, ap);
	diag(current, cfg ? (unsigned)cfg->line : 0, "%s", msg);
}

/* Called by libconfuse as it stores each value: note its line. */
static int on_value(cfg_t *cfg, cfg_opt_t *opt)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].name, opt->name) == 0)
			current->line[i] = (unsigned)cfg->line;
	return 0;
}

static char *dup_env_path(const char *var, const char *suffix)
{
	const char *v = getenv(var);
	if (!v || !*v)
		return NULL;
	/* $STATE_DIRECTORY may list several, colon-separated: the first */
	size_t n = strcspn(v, ":");
	size_t len = n + (suffix ? strlen(suffix) : 0) + 1;
	char *s = malloc(len);
	if (s)
		snprintf(s, len, "%.*s%s", (int)n, v, suffix ? suffix : "");
	return s;
}

int gatherd_conf_defaults(struct gatherd_conf *c)
{
	memset(c, 0, sizeof *c);
	c->max_jobs = GATHERD_MAX_JOBS;
	c->keep_jobs = GATHERD_KEEP_JOBS;
	c->max_connections = GATHERD_MAX_CONNECTIONS;
	c->per_host = GATHERD_PER_HOST;
	c->delay_ms = GATHERD_DELAY_MS;
	c->max_body = GATHERD_MAX_BODY;
	c->max_header = GATHERD_MAX_HEADER;
	c->idle_timeout_ms = GATHERD_IDLE_TIMEOUT_MS;
	c->max_events = GATHERD_MAX_EVENTS;
	c->socket_mode = 0660;

	if (!(c->state_dir = dup_env_path("STATE_DIRECTORY", NULL)) &&
	    !(c->state_dir = dup_env_path("XDG_STATE_HOME", "/gather")) &&
	    !(c->state_dir = dup_env_path("HOME", "/.local/state/gather")))
		c->state_dir = strdup("/var/lib/gather");
	if (!(c->socket_path = dup_env_path("RUNTIME_DIRECTORY", "/gatherd.sock")) &&
	    !(c->socket_path = dup_env_path("XDG_RUNTIME_DIR", "/gather/gatherd.sock")) &&
	    c->state_dir) {
		size_t n = strlen(c->state_dir) + sizeof "/gatherd.sock";
		if ((c->socket_path = malloc(n)))
			snprintf(c->socket_path, n, "%s/gatherd.sock", c->state_dir);
	}
	/* schedules: a configuration directory (systemd's
	 * ConfigurationDirectory=, /etc/gather), else the user's; a missing
	 * directory is no schedule (the spool's default, STATE/spool, is
	 * made by the daemon: it follows a state-dir set in the file) */
	if (!(c->job_dir = dup_env_path("CONFIGURATION_DIRECTORY", "/jobs")) &&
	    !(c->job_dir = dup_env_path("XDG_CONFIG_HOME", "/gather/jobs")) &&
	    !(c->job_dir = dup_env_path("HOME", "/.config/gather/jobs")))
		c->job_dir = strdup(SYSCONFDIR "/gather/jobs");
	if (!c->state_dir || !c->socket_path || !c->job_dir) {
		gatherd_conf_free(c);
		return GATHER_E_NOMEM;
	}
	return 0;
}

void gatherd_conf_free(struct gatherd_conf *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < NKEYS; i++)
		if (keys[i].type == K_PATH || keys[i].type == K_STR)
			free(*(char **)((char *)c + keys[i].off));
	free(c->file);
	memset(c, 0, sizeof *c);
}

/* Store the value of key k, or note a fault at its line. */
static void set_key(struct conf_load *l, struct gatherd_conf *c, size_t k, const char *v)
{
	const struct conf_key *d = &keys[k];
	void *p = (char *)c + d->off;
	unsigned line = l->line[k];
	uint64_t u = 0;
	int r = 0;

	switch (d->type) {
	case K_PATH:
	case K_STR:
		if (!*v) {
			if (d->type == K_STR) { /* listen = "": off */
				free(*(char **)p);
				*(char **)p = NULL;
				return;
			}
			diag(l, line, "%s: empty", d->name);
			return;
		}
		if (d->type == K_PATH && v[0] != '/') {
			diag(l, line, "%s: '%s' is not an absolute path", d->name, v);
			return;
		}
		{
			char *s = strdup(v);
			if (!s) {
				diag(l, line, "out of memory");
				return;
			}
			free(*(char **)p);
			*(char **)p = s;
		}
		return;
	case K_UINT:
		r = gather_parse_u64(v, d->max, &u);
		break;
	case K_SIZE:
		r = gather_parse_size(v, &u);
		break;
	case K_TIME:
		r = gather_parse_seconds(v, &u);
		break;
	case K_MODE: {
		char *end;
		errno = 0;
		unsigned long m = strtoul(v, &end, 8);
		r = (errno || end == v || *end || m > d->max) ? GATHER_E_INVALID : 0;
		u = m;
		break;
	}
	}
	if (r < 0) {
		diag(l, line, "%s: bad value '%s'", d->name, v);
		return;
	}
	if (d->type != K_MODE && (u < d->min || u > d->max)) {
		diag(l, line, "%s: %s is out of range [%llu, %llu]", d->name, v,
		     (unsigned long long)d->min, (unsigned long long)d->max);
		return;
	}
	if (d->type == K_UINT || d->type == K_MODE)
		*(unsigned *)p = (unsigned)u;
	else
		*(uint64_t *)p = u;
}

/* The file's text with '#' comments blanked: libconfuse 3.3 counts the
 * line of a '#' comment twice, so every line after one would be wrong in
 * the messages.  A '#' inside quotes or within a word stays.  NULL with
 * errno set on a read error or a file over 1 MiB. */
static char *read_text(const char *path)
{
	FILE *fp = fopen(path, "re");
	if (!fp)
		return NULL;
	size_t cap = 1u << 20, n;
	char *t = malloc(cap + 1);
	if (!t) {
		fclose(fp);
		errno = ENOMEM;
		return NULL;
	}
	n = fread(t, 1, cap + 1, fp);
	fclose(fp);
	if (n > cap) {
		free(t);
		errno = EFBIG;
		return NULL;
	}
	t[n] = '\0';
	char quote = 0;
	for (size_t i = 0; i < n; i++) {
		char c = t[i];
		if (quote) {
			if (c == '\\' && quote == '"' && i + 1 < n)
				i++;
			else if (c == quote)
				quote = 0;
		} else if (c == '"' || c == '\'') {
			quote = c;
		} else if (c == '#' && (i == 0 || t[i - 1] == ' ' || t[i - 1] == '\t' || t[i - 1] == '\n')) {
			while (i < n && t[i] != '\n')
				t[i++] = ' ';
		}
	}
	return t;
}

int gatherd_conf_load(const char *path, struct gatherd_conf *ret, struct gather_strv *diags)
{
	struct gatherd_conf c;
	struct conf_load l = { .file = path, .diags = diags };
	cfg_opt_t opts[NKEYS + 1];
	int rc;

	memset(ret, 0, sizeof *ret);
	rc = gatherd_conf_defaults(&c);

	if (rc < 0)
		return rc;
	if (!path) {
		*ret = c;
		return 0;
	}
	if (!(c.file = strdup(path))) {
		gatherd_conf_free(&c);
		return GATHER_E_NOMEM;
	}
	struct stat st;
	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode)) {
		char buf[600];
		snprintf(buf, sizeof buf, "%s: %s", path,
		         errno && !S_ISREG(st.st_mode) ? strerror(errno) : "not a regular file");
		if (diags)
			gather_strv_push(diags, buf);
		gatherd_conf_free(&c);
		return GATHER_E_IO;
	}
	for (size_t i = 0; i < NKEYS; i++)
		opts[i] = (cfg_opt_t)CFG_STR(keys[i].name, NULL, CFGF_NODEFAULT);
	opts[NKEYS] = (cfg_opt_t)CFG_END();

	cfg_t *cfg = cfg_init(opts, CFGF_NONE);
	if (!cfg) {
		gatherd_conf_free(&c);
		return GATHER_E_NOMEM;
	}
	current = &l;
	cfg_set_error_function(cfg, on_error);
	for (size_t i = 0; i < NKEYS; i++)
		cfg_set_validate_func(cfg, keys[i].name, on_value);
	char *text = read_text(path);
	int pr = text ? cfg_parse_buf(cfg, text) : CFG_FILE_ERROR;
	free(text);
	if (pr == CFG_FILE_ERROR) {
		char buf[600];
		snprintf(buf, sizeof buf, "%s: %s", path, strerror(errno));
		if (diags)
			gather_strv_push(diags, buf);
		l.faults++;
	} else if (pr == CFG_SUCCESS) {
		/* in the file's order, so the faults come sorted by line */
		size_t order[NKEYS];
		for (size_t i = 0; i < NKEYS; i++) {
			size_t k = i;
			while (k > 0 && l.line[order[k - 1]] > l.line[i]) {
				order[k] = order[k - 1];
				k--;
			}
			order[k] = i;
		}
		for (size_t o = 0; o < NKEYS; o++) {
			size_t i = order[o];
			if (cfg_size(cfg, keys[i].name) > 0)
				set_key(&l, &c, i, cfg_getstr(cfg, keys[i].name));
		}
	} else if (l.faults == 0) {
		diag(&l, 0, "cannot parse");
	}
	/* schedules beside the file read (/etc/gather/gatherd.conf:
	 * /etc/gather/jobs) unless it names its own job-dir */
	if (l.faults == 0 && !l.line[3]) {
		/* absolute: "-c gatherd.conf" names the directory it was run in */
		const char *slash = strrchr(path, '/');
		char *dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path)) : strdup(".");
		char *abs = dir ? realpath(dir, NULL) : NULL;
		const char *base = abs ? abs : dir;
		size_t n = base ? strlen(base) + sizeof "/jobs" : 0;
		char *j = base ? malloc(n) : NULL;
		if (j)
			snprintf(j, n, "%s/jobs", strcmp(base, "/") == 0 ? "" : base);
		free(dir);
		free(abs);
		if (!j) {
			current = NULL;
			cfg_free(cfg);
			gatherd_conf_free(&c);
			return GATHER_E_NOMEM;
		}
		free(c.job_dir);
		c.job_dir = j;
	}
	/* a token file without a listener is harmless; a listener without
	 * one is refused: the TCP API is never open to anyone */
	if (l.faults == 0 && c.listen && !c.token_file)
		diag(&l, l.line[4], "listen needs token-file (the TCP listener takes a bearer token)");
	current = NULL;
	cfg_free(cfg);
	if (l.faults) {
		gatherd_conf_free(&c);
		return pr == CFG_FILE_ERROR ? GATHER_E_IO : GATHER_E_INVALID;
	}
	*ret = c;
	return 0;
}

int gatherd_conf_copy(struct gatherd_conf *dst, const struct gatherd_conf *src)
{
	*dst = *src;
	dst->file = NULL;
	for (size_t i = 0; i < NKEYS; i++)
		if (keys[i].type == K_PATH || keys[i].type == K_STR)
			*(char **)((char *)dst + keys[i].off) = NULL;
	if (src->file && !(dst->file = strdup(src->file)))
		goto oom;
	for (size_t i = 0; i < NKEYS; i++) {
		if (keys[i].type != K_PATH && keys[i].type != K_STR)
			continue;
		const char *v = *(char *const *)((const char *)src + keys[i].off);
		if (v && !(*(char **)((char *)dst + keys[i].off) = strdup(v)))
			goto oom;
	}
	return 0;
oom:
	gatherd_conf_free(dst);
	return GATHER_E_NOMEM;
}
