/* job.c — `gather check FILE...`: load every job file, report every fault
 * once as FILE:LINE: message on stderr; then, across all the jobs given (as
 * gather run would run them, maybe at once), outputs that are the same file
 * or that are an input.  Exit 0 when all are good, 2 when not. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "gather/error.h"
#include "gather/job.h"

static void check_usage(FILE *f)
{
	fprintf(f, "Usage: gather check JOB.conf...\n"
	           "\n"
	           "Check job files (gather.conf(5)) and report every fault as FILE:LINE: message.\n"
	           "Exit status: 0 all files good, 2 some fault.\n");
}

int cmd_check(int argc, char **argv)
{
	int ret = EXIT_ALL_OK, nfiles = 0;
	struct gather_jobfile *files = calloc((size_t)argc, sizeof *files);
	const char **names = calloc((size_t)argc, sizeof *names);

	if (!files || !names) {
		fprintf(stderr, "gather check: out of memory\n");
		free(files);
		free(names);
		return EXIT_USAGE;
	}
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			check_usage(stdout);
			ret = -1;
			goto out;
		}
		if (strcmp(argv[i], "--") == 0)
			break;
		if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "gather check: unknown option '%s'\n", argv[i]);
			check_usage(stderr);
			ret = EXIT_USAGE;
			goto out;
		}
	}
	for (int i = 1; i < argc; i++) {
		struct gather_jobfile jf;
		struct gather_strv diags = { 0 };
		if (strcmp(argv[i], "--") == 0 && nfiles == 0 && i == 1)
			continue;
		int r = gather_jobfile_load(argv[i], &jf, &diags);
		for (size_t k = 0; k < diags.n; k++)
			fprintf(stderr, "%s\n", diags.v[k]);
		if (r == 0 && jf.n == 0) {
			/* what `gather run` refuses, check refuses too */
			fprintf(stderr, "%s: no job in it\n", argv[i]);
			gather_jobfile_free(&jf);
			names[nfiles] = NULL;
			files[nfiles++] = (struct gather_jobfile){ 0 };
			ret = EXIT_USAGE;
		} else if (r == 0) {
			names[nfiles] = argv[i];
			files[nfiles++] = jf;
		} else {
			if (r == GATHER_E_NOMEM)
				fprintf(stderr, "gather check: %s: out of memory\n", argv[i]);
			names[nfiles] = NULL; /* loaded with faults: no jobs */
			files[nfiles++] = (struct gather_jobfile){ 0 };
			ret = EXIT_USAGE;
		}
		gather_strv_free(&diags);
	}
	if (nfiles == 0) {
		check_usage(stderr);
		ret = EXIT_USAGE;
		goto out;
	}
	/* outputs that clash, within a job or across the jobs of all files */
	struct gather_strv diags = { 0 };
	int r = gather_jobfiles_check_files(files, (size_t)nfiles, &diags);
	for (size_t k = 0; k < diags.n; k++)
		fprintf(stderr, "%s\n", diags.v[k]);
	gather_strv_free(&diags);
	if (r == GATHER_E_NOMEM)
		fprintf(stderr, "gather check: out of memory\n");
	if (r < 0)
		ret = EXIT_USAGE;
	/* OK only when nothing at all clashed: a clash may span two files */
	for (int f = 0; f < nfiles; f++)
		if (names[f] && r == 0)
			printf("%s: %zu job%s OK\n", names[f], files[f].n, files[f].n == 1 ? "" : "s");
out:
	for (int f = 0; f < nfiles; f++)
		gather_jobfile_free(&files[f]);
	free(files);
	free(names);
	return ret < 0 ? EXIT_ALL_OK : ret;
}
