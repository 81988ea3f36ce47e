/* replay.c — main() for a harness built without libFuzzer: runs
 * LLVMFuzzerTestOneInput once on each input, so that `make check` (the
 * plain and the sanitizer builds alike) replays every committed seed corpus
 * and checks the harness's properties on it.  This fuzzes nothing; `make
 * fuzz` in a tree configured with --enable-fuzzing does.
 *
 * Usage: fuzz_TARGET [FILE|DIR]...; without arguments, the corpus
 * $top_srcdir/tests/fuzz/TARGET/corpus (TARGET from the program's name).
 * Exit 0 after at least one input, 1 when there was none or one could not
 * be read; a broken property aborts. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

/* Harnesses that need set-up define LLVMFuzzerInitialize; the others get
 * this one. */
__attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

/* Run the harness on one file; -1 when it cannot be read. */
static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf = NULL;
	size_t len = 0, cap = 0;

	if (!f) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	for (;;) {
		if (len == cap) {
			cap = cap ? cap * 2 : 4096;
			unsigned char *nb = realloc(buf, cap);
			FUZZ_OOM(nb);
			buf = nb;
		}
		size_t r = fread(buf + len, 1, cap - len, f);
		len += r;
		if (r == 0)
			break;
	}
	fclose(f);
	/* libFuzzer hands a buffer of exactly the input's size: so do we,
	 * so that ASan sees any read past it */
	unsigned char *exact = malloc(len ? len : 1);
	FUZZ_OOM(exact);
	memcpy(exact, buf, len);
	free(buf);
	LLVMFuzzerTestOneInput(exact, len);
	free(exact);
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every regular file of dir, in name order; the count run, -1 on error. */
static long run_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0;
	long done = 0;

	if (!d) {
		fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		char **nv = realloc(names, (n + 1) * sizeof(*nv));
		FUZZ_OOM(nv);
		names = nv;
		FUZZ_OOM(names[n] = malloc(strlen(dir) + strlen(e->d_name) + 2));
		sprintf(names[n++], "%s/%s", dir, e->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n; i++) {
		if (done >= 0 && run_file(names[i]) == 0)
			done++;
		else
			done = -1;
		free(names[i]);
	}
	free(names);
	return done;
}

static long run_path(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (S_ISDIR(st.st_mode))
		return run_dir(path);
	return run_file(path) == 0 ? 1 : -1;
}

int main(int argc, char **argv)
{
	long total = 0;

	LLVMFuzzerInitialize(&argc, &argv);
	if (argc > 1) {
		for (int i = 1; i < argc && total >= 0; i++) {
			long n = run_path(argv[i]);
			total = n < 0 ? -1 : total + n;
		}
	} else {
		const char *top = getenv("top_srcdir");
		const char *base = strrchr(argv[0], '/');
		const char *target;
		char dir[4096];

		base = base ? base + 1 : argv[0];
		target = strncmp(base, "fuzz_", 5) == 0 ? base + 5 : base;
		snprintf(dir, sizeof(dir), "%s/tests/fuzz/%s/corpus", top ? top : ".", target);
		total = run_dir(dir);
	}
	if (total <= 0) {
		fprintf(stderr, "replay: %s\n", total == 0 ? "no input" : "an input could not be read");
		return 1;
	}
	printf("replay: %ld inputs, every property held\n", total);
	return 0;
}
