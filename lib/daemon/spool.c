/* spool.c — the spool directory's inotify watcher and its accept/reject
 * moves (spool.h). */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/spool.h"
#include "gather/error.h"

struct gather_spool {
	struct event_base *base;
	char *dir;
	int dirfd;                /* O_PATH | O_DIRECTORY: stat names without races on dir */
	int ifd;                  /* inotify */
	struct event *ev;         /* ifd readable */
	struct event *scan_ev;    /* the start-up scan, run once from the loop */
	gather_spool_fn fn;
	void *arg;
	bool in_cb;               /* fn may be running: close defers the free */
	bool dead;                /* closed from inside fn */
};

static void spool_free(struct gather_spool *s)
{
	if (s->ev)
		event_free(s->ev);
	if (s->scan_ev)
		event_free(s->scan_ev);
	if (s->ifd >= 0)
		close(s->ifd);
	if (s->dirfd >= 0)
		close(s->dirfd);
	free(s->dir);
	free(s);
}

/* Report dir/name to fn when it is a spooled job file: a visible name of
 * sane length, a regular file now (not moved away by an earlier report). */
static void report(struct gather_spool *s, const char *name)
{
	struct stat st;
	size_t n = strlen(name);
	if (n == 0 || name[0] == '.' || n > GATHER_SPOOL_MAX_NAME)
		return;
	if (fstatat(s->dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
		return;
	size_t len = strlen(s->dir) + n + 2;
	char *path = malloc(len);
	if (!path)
		return; /* out of memory: the next start's scan finds it */
	snprintf(path, len, "%s/%s", s->dir, name);
	s->fn(path, s->arg);
	free(path);
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Report every file in the directory, in name order: at start, and after
 * the inotify queue overflowed (events were lost). */
static void scan(struct gather_spool *s)
{
	int fd = openat(s->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while (n < GATHER_SPOOL_MAX_SCAN && (e = readdir(d))) {
		if (e->d_name[0] == '.' || (e->d_type != DT_REG && e->d_type != DT_UNKNOWN))
			continue;
		if (n == cap) {
			size_t nc = cap ? 2 * cap : 64;
			char **v = realloc(names, nc * sizeof *v);
			if (!v)
				break;
			names = v, cap = nc;
		}
		if (!(names[n] = strdup(e->d_name)))
			break;
		n++;
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof *names, cmp_names);
	for (size_t i = 0; i < n; i++) {
		if (!s->dead)
			report(s, names[i]);
		free(names[i]);
	}
	free(names);
}

/* The start-up scan: activated once by open, so fn runs from the loop. */
static void on_scan(evutil_socket_t fd, short what, void *arg)
{
	struct gather_spool *s = arg;
	(void)fd, (void)what;
	s->in_cb = true;
	scan(s);
	s->in_cb = false;
	if (s->dead)
		spool_free(s);
}

/* The inotify descriptor is readable: report each complete file.  A few
 * reads per wake-up, then back to the loop (level-triggered: it calls again
 * while more is queued), so a flood of files cannot starve other events. */
static void on_inotify(evutil_socket_t fd, short what, void *arg)
{
	struct gather_spool *s = arg;
	char buf[16 * 1024] __attribute__((aligned(__alignof__(struct inotify_event))));
	(void)what;

	s->in_cb = true;
	for (int round = 0; round < 8 && !s->dead; round++) {
		ssize_t n = read(fd, buf, sizeof buf);
		if (n <= 0)
			break; /* EAGAIN: all read */
		for (char *p = buf; p + sizeof(struct inotify_event) <= buf + n && !s->dead;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;
			p += sizeof *ev + ev->len;
			if (ev->mask & IN_Q_OVERFLOW)
				scan(s);
			else if (!(ev->mask & IN_ISDIR) && ev->len)
				report(s, ev->name);
		}
	}
	s->in_cb = false;
	if (s->dead)
		spool_free(s);
}

/* Make dir/sub unless it is there. */
static int make_sub(int dirfd, const char *sub)
{
	struct stat st;
	if (mkdirat(dirfd, sub, 0750) == 0)
		return 0;
	if (errno == EEXIST && fstatat(dirfd, sub, &st, 0) == 0 && S_ISDIR(st.st_mode))
		return 0;
	if (errno == EEXIST)
		errno = ENOTDIR;
	return GATHER_E_IO;
}

int gather_spool_open(struct event_base *base, const char *dir, gather_spool_fn fn, void *arg,
                      struct gather_spool **ret)
{
	struct gather_spool *s = calloc(1, sizeof *s);
	int e;

	if (!s)
		return GATHER_E_NOMEM;
	s->base = base, s->fn = fn, s->arg = arg;
	s->dirfd = s->ifd = -1;
	if (!(s->dir = strdup(dir))) {
		free(s);
		return GATHER_E_NOMEM;
	}
	/* O_RDONLY, not O_PATH: mkdirat needs a real descriptor */
	if ((s->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    make_sub(s->dirfd, "accepted") < 0 || make_sub(s->dirfd, "rejected") < 0 ||
	    (s->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) < 0 ||
	    inotify_add_watch(s->ifd, dir, IN_CLOSE_WRITE | IN_MOVED_TO | IN_ONLYDIR) < 0)
		goto io;
	if (!(s->ev = event_new(base, s->ifd, EV_READ | EV_PERSIST, on_inotify, s)) ||
	    !(s->scan_ev = event_new(base, -1, 0, on_scan, s)) || event_add(s->ev, NULL) < 0) {
		spool_free(s);
		return GATHER_E_NOMEM;
	}
	/* the watch is on before the scan: a file closed in between is seen
	 * by one or both, never by neither */
	event_active(s->scan_ev, EV_TIMEOUT, 0);
	*ret = s;
	return 0;
io:
	e = errno;
	spool_free(s);
	errno = e;
	return GATHER_E_IO;
}

void gather_spool_close(struct gather_spool *s)
{
	if (!s)
		return;
	if (s->in_cb) {
		/* inside fn: its caller frees once fn returns */
		s->dead = true;
		event_del(s->ev);
		event_del(s->scan_ev);
		return;
	}
	spool_free(s);
}

/* dir part and name part of path, into malloc'ed *dir and pointer *name. */
static int split(const char *path, char **dir, const char **name)
{
	const char *slash = strrchr(path, '/');
	*name = slash ? slash + 1 : path;
	if (!**name || strcmp(*name, ".") == 0 || strcmp(*name, "..") == 0)
		return GATHER_E_INVALID;
	*dir = slash ? strndup(path, (size_t)(slash - path ? slash - path : 1)) : strdup(".");
	return *dir ? 0 : GATHER_E_NOMEM;
}

/* Move path to dir/sub/NAME or the first free dir/sub/NAME.N; never over
 * an existing file (RENAME_NOREPLACE; link + unlink where the file system
 * has no renameat2 flags).  *ret_path the new path. */
static int move_to(const char *path, const char *sub, char **ret_path)
{
	char *dir, *to = NULL;
	const char *name;
	int r = split(path, &dir, &name);

	if (r < 0)
		return r;
	for (unsigned k = 0; k < 1000; k++) {
		free(to);
		int n = k ? asprintf(&to, "%s/%s/%s.%u", dir, sub, name, k)
		          : asprintf(&to, "%s/%s/%s", dir, sub, name);
		if (n < 0) {
			to = NULL;
			r = GATHER_E_NOMEM;
			break;
		}
		if (renameat2(AT_FDCWD, path, AT_FDCWD, to, RENAME_NOREPLACE) == 0) {
			r = 0;
			break;
		}
		if (errno == EINVAL || errno == ENOSYS) {
			if (link(path, to) == 0) {
				r = unlink(path) == 0 ? 0 : GATHER_E_IO;
				break;
			}
		}
		if (errno != EEXIST) {
			r = GATHER_E_IO;
			break;
		}
		r = GATHER_E_INVALID;
	}
	free(dir);
	if (r == 0 && ret_path)
		*ret_path = to;
	else
		free(to);
	return r;
}

int gather_spool_accept(const char *path, char **ret_path)
{
	return move_to(path, "accepted", ret_path);
}

int gather_spool_reject(const char *path, const char *why, char **ret_path)
{
	char *to = NULL, *err = NULL, *tmp = NULL;
	int r = move_to(path, "rejected", &to);
	if (r < 0)
		return r;
	const char *base = strrchr(to, '/') + 1;
	size_t dlen = (size_t)(base - to), len = strlen(why ? why : "");
	if (asprintf(&err, "%s.err", to) < 0)
		err = NULL;
	if (asprintf(&tmp, "%.*s.%s.err.XXXXXX", (int)dlen, to, base) < 0)
		tmp = NULL;
	r = err && tmp ? 0 : GATHER_E_NOMEM;
	int fd = r == 0 ? mkostemp(tmp, O_CLOEXEC) : -1;
	if (r == 0 && fd < 0)
		r = GATHER_E_IO;
	if (fd >= 0) {
		bool nl = len == 0 || why[len - 1] != '\n';
		FILE *f = fdopen(fd, "w");
		if (!f) {
			close(fd);
			r = GATHER_E_IO;
		} else {
			if (len)
				fwrite(why, 1, len, f);
			if (nl)
				fputc('\n', f);
			if (ferror(f) | (fclose(f) != 0))
				r = GATHER_E_IO;
		}
		/* 0644 rather than mkstemp's 0600: operators read it */
		if (r == 0 && (chmod(tmp, 0644) < 0 || rename(tmp, err) < 0))
			r = GATHER_E_IO;
		if (r < 0)
			unlink(tmp);
	}
	free(err);
	free(tmp);
	if (ret_path)
		*ret_path = to;
	else
		free(to);
	return r;
}
