/* input.c — lazily read URL lists (see input.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "gather/error.h"
#include "pipeline/input.h"

struct gather_input {
	struct event_base *base;
	struct gather_strv urls;      /* positional URLs, handed out first */
	size_t next_url;
	struct gather_strv files;
	size_t next_file;
	size_t max_line;

	/* the file being read */
	int fd;                       /* -1 when none is open */
	bool fd_is_stdin;
	bool fd_nonblocking;          /* a pipe or tty: read through ev */
	int fd_flags;                 /* stdin's file status flags before us, or -1 */
	bool eof;                     /* no more bytes from fd */
	struct event *ev;             /* EV_READ on fd when non-blocking */
	struct evbuffer *buf;         /* bytes read, not yet split into lines */
	unsigned long lineno;
	bool discarding;              /* inside an over-long line's tail */
	bool closed;

	char label[512];
	gather_input_ready_fn ready;
	void *arg;
};

struct gather_input *gather_input_new(struct event_base *base,
                                      const struct gather_strv *urls,
                                      const struct gather_strv *files,
                                      size_t max_line,
                                      gather_input_ready_fn ready, void *arg)
{
	struct gather_input *in = calloc(1, sizeof *in);
	if (!in)
		return NULL;
	in->base = base;
	in->fd = -1;
	in->max_line = max_line ? max_line : 65536;
	in->ready = ready;
	in->arg = arg;
	in->buf = evbuffer_new();
	if (!in->buf)
		goto fail;
	for (size_t i = 0; urls && i < urls->n; i++)
		if (gather_strv_push(&in->urls, urls->v[i]) < 0)
			goto fail;
	for (size_t i = 0; files && i < files->n; i++)
		if (gather_strv_push(&in->files, files->v[i]) < 0)
			goto fail;
	return in;
fail:
	gather_input_free(in);
	return NULL;
}

static void close_file(struct gather_input *in)
{
	if (in->ev) {
		event_free(in->ev);
		in->ev = NULL;
	}
	if (in->fd >= 0 && !in->fd_is_stdin)
		close(in->fd);
	/* stdin's open file description is shared with our parent (a terminal,
	 * the shell's pipe): leave it blocking as we found it. */
	if (in->fd >= 0 && in->fd_is_stdin && in->fd_flags >= 0 && !(in->fd_flags & O_NONBLOCK))
		fcntl(in->fd, F_SETFL, in->fd_flags);
	in->fd = -1;
	evbuffer_drain(in->buf, evbuffer_get_length(in->buf));
}

void gather_input_free(struct gather_input *in)
{
	if (!in)
		return;
	close_file(in);
	if (in->buf)
		evbuffer_free(in->buf);
	gather_strv_free(&in->urls);
	gather_strv_free(&in->files);
	free(in);
}

void gather_input_close(struct gather_input *in)
{
	in->closed = true;
	close_file(in);
}

/* Called by libevent when a non-blocking input fd is readable. */
static void on_readable(evutil_socket_t fd, short what, void *arg)
{
	struct gather_input *in = arg;
	(void)fd;
	(void)what;
	event_del(in->ev);
	in->ready(in->arg);
}

static int open_next_file(struct gather_input *in, const char **ret_src)
{
	const char *name = in->files.v[in->next_file++];
	struct stat st;

	in->fd_is_stdin = strcmp(name, "-") == 0;
	in->fd_flags = -1;
	in->fd = in->fd_is_stdin ? STDIN_FILENO : open(name, O_RDONLY | O_CLOEXEC);
	in->eof = false;
	in->lineno = 0;
	in->discarding = false;
	if (in->fd < 0) {
		snprintf(in->label, sizeof in->label, "%s: %s", name, strerror(errno));
		*ret_src = in->label;
		return GATHER_E_IO;
	}
	in->fd_nonblocking = fstat(in->fd, &st) == 0 && !S_ISREG(st.st_mode);
	if (in->fd_nonblocking) {
		int fl = fcntl(in->fd, F_GETFL);
		in->fd_flags = fl;
		if (fl >= 0)
			fcntl(in->fd, F_SETFL, fl | O_NONBLOCK);
		in->ev = event_new(in->base, in->fd, EV_READ, on_readable, in);
		if (!in->ev)
			return GATHER_E_NOMEM;
	}
	return 0;
}

/* Read more bytes into in->buf.  0 on progress or EOF (in->eof), AGAIN when
 * a non-blocking fd has nothing, IO on error. */
static int fill(struct gather_input *in)
{
	int n = evbuffer_read(in->buf, in->fd, 65536);
	if (n > 0)
		return 0;
	if (n == 0) {
		in->eof = true;
		return 0;
	}
	if (errno == EAGAIN || errno == EWOULDBLOCK) {
		event_add(in->ev, NULL);
		return GATHER_E_AGAIN;
	}
	if (errno == EINTR)
		return 0;
	return GATHER_E_IO;
}

/* Take one line (without EOL) from in->buf; at EOF the unterminated rest. */
static char *take_line(struct gather_input *in, size_t *len)
{
	char *line = evbuffer_readln(in->buf, len, EVBUFFER_EOL_CRLF);
	if (!line && in->eof && evbuffer_get_length(in->buf) > 0) {
		*len = evbuffer_get_length(in->buf);
		line = malloc(*len + 1);
		if (line) {
			evbuffer_remove(in->buf, line, *len);
			line[*len] = '\0';
		}
	}
	return line;
}

static char *trim(char *s)
{
	char *e;
	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\f' || *s == '\v')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\f' || e[-1] == '\v'))
		*--e = '\0';
	return s;
}

/* Drop bytes of an over-long line's tail through its end of line.  0 when
 * the tail is gone (discarding cleared), AGAIN/IO from fill. */
static int discard_tail(struct gather_input *in)
{
	for (;;) {
		size_t eol_len = 0;
		struct evbuffer_ptr p = evbuffer_search_eol(in->buf, NULL, &eol_len, EVBUFFER_EOL_CRLF);
		if (p.pos >= 0) {
			evbuffer_drain(in->buf, (size_t)p.pos + eol_len);
			in->discarding = false;
			return 0;
		}
		/* Keep a trailing CR: its LF may come with the next read. */
		size_t n = evbuffer_get_length(in->buf);
		if (n > 0) {
			struct evbuffer_ptr q;
			char last = 0;
			evbuffer_ptr_set(in->buf, &q, n - 1, EVBUFFER_PTR_SET);
			evbuffer_copyout_from(in->buf, &q, &last, 1);
			evbuffer_drain(in->buf, last == '\r' ? n - 1 : n);
		}
		if (in->eof) {
			evbuffer_drain(in->buf, evbuffer_get_length(in->buf));
			in->discarding = false;
			return 0;
		}
		int r = fill(in);
		if (r < 0)
			return r;
	}
}

/* A line holding NUL bytes, for its record: each NUL shown as U+FFFD (the
 * replacement character), so the record says what was there.  Frees line;
 * returns a new string or NULL. */
static char *show_nul(char *line, size_t len)
{
	size_t nul = 0;
	for (size_t i = 0; i < len; i++)
		nul += line[i] == '\0';
	char *s = malloc(len + 2 * nul + 1), *p = s;
	if (s) {
		for (size_t i = 0; i < len; i++) {
			if (line[i] == '\0') {
				memcpy(p, "\xef\xbf\xbd", 3);
				p += 3;
			} else {
				*p++ = line[i];
			}
		}
		*p = '\0';
	}
	free(line);
	return s;
}

int gather_input_next(struct gather_input *in, char **ret, const char **ret_src,
                      int *ret_toolong)
{
	*ret_toolong = 0;
	if (in->closed)
		return 1;
	if (in->next_url < in->urls.n) {
		snprintf(in->label, sizeof in->label, "argument %zu", in->next_url + 1);
		*ret_src = in->label;
		*ret = strdup(in->urls.v[in->next_url++]);
		return *ret ? 0 : GATHER_E_NOMEM;
	}
	for (;;) {
		size_t len;
		char *line;
		int r;

		if (in->fd < 0) {
			if (in->next_file >= in->files.n)
				return 1;
			r = open_next_file(in, ret_src);
			if (r < 0) {
				close_file(in);
				return r;
			}
		}
		if (in->discarding) {
			/* The tail of an over-long line already reported: drop it
			 * without making records of it, up to its end of line, so
			 * the next line is read from its start. */
			r = discard_tail(in);
			if (r == 0)
				continue;
			if (r == GATHER_E_IO) {
				snprintf(in->label, sizeof in->label, "%s: %s",
				         in->files.v[in->next_file - 1], strerror(errno));
				*ret_src = in->label;
				close_file(in);
			}
			return r;
		}
		line = take_line(in, &len);
		if (!line) {
			if (in->eof) {
				close_file(in);
				continue;
			}
			if (evbuffer_get_length(in->buf) > in->max_line) {
				/* An over-long line: one record with its head, the
				 * rest dropped by discard_tail. */
				len = in->max_line;
				line = malloc(len + 1);
				if (!line)
					return GATHER_E_NOMEM;
				evbuffer_remove(in->buf, line, len);
				line[len] = '\0';
				in->lineno++;
				snprintf(in->label, sizeof in->label, "%s:%lu",
				         in->files.v[in->next_file - 1], in->lineno);
				*ret_src = in->label;
				in->discarding = true;
				*ret_toolong = memchr(line, '\0', len) ? GATHER_INPUT_NUL : GATHER_INPUT_TOOLONG;
				*ret = *ret_toolong == GATHER_INPUT_NUL ? show_nul(line, len) : line;
				return *ret ? 0 : GATHER_E_NOMEM;
			}
			r = fill(in);
			if (r == GATHER_E_IO) {
				snprintf(in->label, sizeof in->label, "%s: %s",
				         in->files.v[in->next_file - 1], strerror(errno));
				*ret_src = in->label;
				close_file(in);
				return r;
			}
			if (r < 0)
				return r;
			continue;
		}
		if (memchr(line, '\0', len)) {
			/* A NUL cannot be part of a URL, and C strings would
			 * silently cut the line there: the whole line is one
			 * refused record. */
			in->lineno++;
			snprintf(in->label, sizeof in->label, "%s:%lu",
			         in->files.v[in->next_file - 1], in->lineno);
			*ret_src = in->label;
			*ret_toolong = GATHER_INPUT_NUL;
			*ret = show_nul(line, len > in->max_line ? in->max_line : len);
			return *ret ? 0 : GATHER_E_NOMEM;
		}
		in->lineno++;
		char *t = line;
		if (in->lineno == 1 && strncmp(t, "\xef\xbb\xbf", 3) == 0)
			t += 3; /* a UTF-8 byte order mark (files saved by Windows editors) */
		t = trim(t);
		if (*t == '\0' || *t == '#') {
			free(line);
			continue;
		}
		snprintf(in->label, sizeof in->label, "%s:%lu",
		         in->files.v[in->next_file - 1], in->lineno);
		*ret_src = in->label;
		if (t != line)
			memmove(line, t, strlen(t) + 1);
		if (len > in->max_line) {
			*ret_toolong = GATHER_INPUT_TOOLONG;
			line[in->max_line] = '\0';
		}
		*ret = line;
		return 0;
	}
}
