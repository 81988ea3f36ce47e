/* job/harness.c — lib/job: job files (gather.conf(5)) parsed, validated
 * and built into jobs, includes and all.
 *
 * Input: the text of a job file, loaded from a private directory that
 * also holds "inc.conf" (a valid job file to include) and "secret.txt"
 * (a file that is not a job file, with a marker line).  Properties: the
 * load returns 0 or GATHER_E_INVALID (never crashes, never hangs, never
 * reads past the size limit: a file over it is a fault); every diagnostic
 * names its file ("FILE:LINE: ..." or "FILE: ..."); no diagnostic echoes a
 * line of the file that is not a job file; a load that succeeds gives
 * jobs with names and a known command. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../fuzz.h"
#include "gather/error.h"
#include "gather/job.h"

#define SECRET "SECRET-MARKER-7f3a"
#define MAX_SIZE 65536

static char dir[256], path[300];

static void put(const char *name, const char *text)
{
	char p[300];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	FUZZ_OOM(f = fopen(p, "w"));
	fputs(text, f);
	fclose(f);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");

	(void)argc;
	(void)argv;
	snprintf(dir, sizeof(dir), "%s/gather-fuzz-job.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	FUZZ_OOM(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/job.conf", dir);
	put("inc.conf", "job \"included\" {\n  mode = get\n  seeds = {\"http://example.com/\"}\n}\n");
	put("secret.txt", SECRET " = {\n" SECRET "\n");
	return 0;
}

/* The directory goes when the process ends (libFuzzer exits through
 * exit(), and so does the replay). */
__attribute__((destructor)) static void cleanup(void)
{
	char p[300];

	if (!dir[0])
		return;
	snprintf(p, sizeof(p), "%s/inc.conf", dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/secret.txt", dir);
	unlink(p);
	unlink(path);
	rmdir(dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gather_jobfile jf;
	struct gather_strv diags = { 0 };
	FILE *f;
	int rc;

	if (size > 2 * MAX_SIZE)
		return 0;
	FUZZ_OOM(f = fopen(path, "wb"));
	FUZZ_OOM(fwrite(data, 1, size, f) == size);
	fclose(f);
	rc = gather_jobfile_load_max(path, MAX_SIZE, &jf, &diags);
	FUZZ_CHECK(rc == 0 || rc == GATHER_E_INVALID, "load returned %d", rc);
	FUZZ_CHECK((rc == 0) == (diags.n == 0), "load returned %d with %zu diagnostics", rc, diags.n);
	if (size > MAX_SIZE)
		FUZZ_CHECK(rc == GATHER_E_INVALID, "a file of %zu bytes over the limit %u loaded", size,
		           MAX_SIZE);
	for (size_t i = 0; i < diags.n; i++) {
		FUZZ_CHECK(diags.v[i][0] == '/', "diagnostic without its file: %s", diags.v[i]);
		/* (unless the job file itself says it) */
		FUZZ_CHECK(!strstr(diags.v[i], SECRET) || memmem(data, size, SECRET, strlen(SECRET)),
		           "a line of a file that is not a job file echoed: %s", diags.v[i]);
	}
	for (size_t i = 0; i < jf.n; i++) {
		FUZZ_CHECK(jf.jobs[i].name && jf.jobs[i].file && jf.jobs[i].line > 0, "job %zu", i);
		FUZZ_CHECK(jf.jobs[i].cmd == GATHER_CMD_GET || jf.jobs[i].cmd == GATHER_CMD_CRAWL,
		           "job %zu: command %u", i, jf.jobs[i].cmd);
	}
	gather_jobfile_free(&jf);
	gather_strv_free(&diags);
	return 0;
}
