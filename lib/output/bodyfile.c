/* bodyfile.c — see bodyfile.h. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "gather/error.h"
#include "output/bodyfile.h"

/* Temporary names tried before giving up (each is O_EXCL: another
 * process's file is never touched). */
#define TMP_TRIES 64

static int write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Called by gather_bodyfile_save for a regular or new path: a new file
 * beside path, opened for writing, its name in *ret (malloc).  Mode 0666
 * less the umask, as curl creates its -o file.  An fd, or -errno. */
static int open_temp(const char *path, char **ret)
{
	const char *slash = strrchr(path, '/');
	int dirlen = slash ? (int)(slash - path + 1) : 0;
	const char *base = slash ? slash + 1 : path;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	uint64_t seed = (uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 32) ^ (uintptr_t)&ts;

	for (int i = 0; i < TMP_TRIES; i++) {
		char *name;
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		/* hidden, and short enough for NAME_MAX with any base name */
		if (asprintf(&name, "%.*s.%.200s.%08x.part", dirlen, path, base,
		             (unsigned)(seed >> 32)) < 0)
			return -ENOMEM;
		int fd = open(name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0666);
		if (fd >= 0) {
			*ret = name;
			return fd;
		}
		int e = errno;
		free(name);
		if (e != EEXIST)
			return -e;
	}
	return -EEXIST;
}

int gather_bodyfile_save(const char *path, const void *data, size_t len,
                         char *err, size_t errlen)
{
	struct stat st;
	char *tmp = NULL;
	int fd, rc;

	if (strcmp(path, "-") == 0) {
		rc = write_all(STDOUT_FILENO, data, len);
		if (rc < 0)
			snprintf(err, errlen, "stdout: %s", strerror(-rc));
		return rc < 0 ? GATHER_E_IO : 0;
	}
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOCTTY);
		rc = fd < 0 ? -errno : write_all(fd, data, len);
		if (fd >= 0 && close(fd) < 0 && rc == 0)
			rc = -errno;
		if (rc < 0)
			snprintf(err, errlen, "%s: %s", path,
			         rc == -EISDIR || S_ISDIR(st.st_mode) ? "a directory" : strerror(-rc));
		return rc < 0 ? GATHER_E_IO : 0;
	}
	fd = open_temp(path, &tmp);
	if (fd < 0) {
		snprintf(err, errlen, "%s: cannot create a file beside it: %s", path, strerror(-fd));
		return GATHER_E_IO;
	}
	rc = write_all(fd, data, len);
	/* synced before the rename: after a crash, FILE is the old one or
	 * the whole new one */
	if (rc == 0 && fdatasync(fd) < 0)
		rc = -errno;
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, path) < 0)
		rc = -errno;
	if (rc < 0) {
		unlink(tmp);
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
	}
	free(tmp);
	return rc < 0 ? GATHER_E_IO : 0;
}
