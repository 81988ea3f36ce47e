/* confine.c — job paths confined to the job's directory (confine.h). */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "daemon/confine.h"
#include "gather/error.h"

/* True when p has a ".." component. */
static int has_dotdot(const char *p)
{
	while (*p) {
		size_t n = strcspn(p, "/");
		if (n == 2 && p[0] == '.' && p[1] == '.')
			return 1;
		p += n;
		while (*p == '/')
			p++;
	}
	return 0;
}

/* Resolve the longest existing prefix of full (symlinks followed) and say
 * whether it is root or below it.  1 inside, 0 outside, negative on error. */
static int resolves_inside(const char *root, const char *full)
{
	char *probe = strdup(full), resolved[PATH_MAX];
	if (!probe)
		return GATHER_E_NOMEM;
	for (;;) {
		if (realpath(probe, resolved))
			break;
		struct stat st;
		if ((errno != ENOENT && errno != ENOTDIR) ||
		    (lstat(probe, &st) == 0 && S_ISLNK(st.st_mode))) {
			/* unreadable, or a dangling symlink (opening it would
			 * create its target, wherever that is) */
			free(probe);
			return 0;
		}
		char *slash = strrchr(probe, '/');
		if (!slash || slash == probe) {
			free(probe);
			return 0;
		}
		*slash = '\0';
	}
	free(probe);
	size_t n = strlen(root);
	return strncmp(resolved, root, n) == 0 && (resolved[n] == '\0' || resolved[n] == '/');
}

int gatherd_confine(const char *dir, const char *path, char **ret, char *err, size_t errlen)
{
	char root[PATH_MAX];

	if (!path || !*path) {
		snprintf(err, errlen, "empty path");
		return GATHER_E_INVALID;
	}
	if (path[0] == '/') {
		snprintf(err, errlen, "'%s': an absolute path (paths are relative to the job's directory)", path);
		return GATHER_E_INVALID;
	}
	if (has_dotdot(path)) {
		snprintf(err, errlen, "'%s': '..' leaves the job's directory", path);
		return GATHER_E_INVALID;
	}
	if (!realpath(dir, root)) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return GATHER_E_IO;
	}
	size_t len = strlen(root) + 1 + strlen(path) + 1;
	char *full = malloc(len);
	if (!full)
		return GATHER_E_NOMEM;
	snprintf(full, len, "%s/%s", root, path);
	int in = resolves_inside(root, full);
	if (in <= 0) {
		free(full);
		if (in < 0)
			return in;
		snprintf(err, errlen, "'%s': a symbolic link leads out of the job's directory", path);
		return GATHER_E_INVALID;
	}
	*ret = full;
	return 0;
}

int gatherd_confine_joined(const char *dir, const char *joined, char *err, size_t errlen)
{
	size_t n = strlen(dir);
	while (n > 1 && dir[n - 1] == '/')
		n--;
	if (strncmp(joined, dir, n) != 0 || joined[n] != '/') {
		snprintf(err, errlen, "'%s': an absolute path (paths are relative to the job's directory)", joined);
		return GATHER_E_INVALID;
	}
	char *full = NULL;
	int r = gatherd_confine(dir, joined + n + 1, &full, err, errlen);
	free(full);
	return r;
}
