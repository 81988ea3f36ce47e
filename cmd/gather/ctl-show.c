/* ctl-show.c — what `gather ctl` prints: a kept answer as a table on a
 * terminal (or as it came with --json), the lines of a stream, and the
 * daemon's refusals on stderr.  Split from ctl.c (issue 11): this half reads
 * JSON and writes stdout/stderr, never the socket (ctl-http.c).  A daemon's
 * text is untrusted: control characters are shown as '?'.  Single-threaded. */
#include "config.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "gather/error.h"

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
void ctl_show(const struct ctl *c, const char *body, size_t len)
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
int ctl_refused(int status, const char *body, size_t len, const char *file)
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
int ctl_stream_line(const char *line, size_t len, void *arg)
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
