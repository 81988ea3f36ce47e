/* job.c — `gather check FILE...`: load every job file, report every fault
 * once as FILE:LINE: message on stderr; exit 0 when all are good, 2 when not. */
#include "config.h"

#include <stdio.h>
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

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			check_usage(stdout);
			return EXIT_ALL_OK;
		}
		if (strcmp(argv[i], "--") == 0)
			break;
		if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "gather check: unknown option '%s'\n", argv[i]);
			check_usage(stderr);
			return EXIT_USAGE;
		}
	}
	for (int i = 1; i < argc; i++) {
		struct gather_jobfile jf;
		struct gather_strv diags = { 0 };
		if (strcmp(argv[i], "--") == 0 && nfiles == 0 && i == 1)
			continue;
		nfiles++;
		int r = gather_jobfile_load(argv[i], &jf, &diags);
		for (size_t k = 0; k < diags.n; k++)
			fprintf(stderr, "%s\n", diags.v[k]);
		if (r == 0 && jf.n == 0) {
			/* what `gather run` refuses, check refuses too */
			fprintf(stderr, "%s: no job in it\n", argv[i]);
			gather_jobfile_free(&jf);
			ret = EXIT_USAGE;
		} else if (r == 0) {
			printf("%s: %zu job%s OK\n", argv[i], jf.n, jf.n == 1 ? "" : "s");
			gather_jobfile_free(&jf);
		} else {
			if (r == GATHER_E_NOMEM)
				fprintf(stderr, "gather check: %s: out of memory\n", argv[i]);
			ret = EXIT_USAGE;
		}
		gather_strv_free(&diags);
	}
	if (nfiles == 0) {
		check_usage(stderr);
		return EXIT_USAGE;
	}
	return ret;
}
