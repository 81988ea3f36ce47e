/* job.c — `gather check FILE...`: load every job file, report every fault
 * once as FILE:LINE: message on stderr; then, across all the jobs given (as
 * gather run would run them, maybe at once), outputs that are the same file
 * or that are an input.  Exit 0 when all are good, 2 when not. */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "gather/error.h"
#include "gather/job.h"

static void check_usage(FILE *f)
{
	fprintf(f, "Usage: gather check [--max-job-size SIZE] JOB.conf...\n"
	           "\n"
	           "Check job files (gather.conf(5)) and report every fault as FILE:LINE: message.\n"
	           "  --max-job-size SIZE  largest job file read, K/M/G suffixes (default 16M)\n"
	           "Exit status: 0 all files good, 2 some fault.\n");
}

/* --max-job-size SIZE or --max-job-size=SIZE at argv[*i] (moved past its
 * value): 1 taken, 0 not this option, -1 a bad value (said). */
int cli_max_job_size(const char *cmd, int argc, char **argv, int *i, uint64_t *ret)
{
	static const char opt[] = "--max-job-size";
	const char *v;

	if (strncmp(argv[*i], opt, sizeof opt - 1) != 0)
		return 0;
	if (argv[*i][sizeof opt - 1] == '=')
		v = argv[*i] + sizeof opt;
	else if (argv[*i][sizeof opt - 1] == '\0' && *i + 1 < argc)
		v = argv[++*i];
	else if (argv[*i][sizeof opt - 1] == '\0')
		v = NULL;
	else
		return 0;
	if (!v || gather_parse_size(v, ret) < 0 || *ret == 0) {
		fprintf(stderr, "gather %s: --max-job-size needs a size above 0 (e.g. 64K, 16M)\n", cmd);
		return -1;
	}
	return 1;
}

int cmd_check(int argc, char **argv)
{
	int ret = EXIT_ALL_OK, nfiles = 0;
	uint64_t max_size = GATHER_JOB_MAX_SIZE;
	struct gather_jobfile *files = calloc((size_t)argc, sizeof *files);
	const char **names = calloc((size_t)argc, sizeof *names);
	bool *is_file = calloc((size_t)argc + 1, sizeof *is_file);

	if (!files || !names || !is_file) {
		fprintf(stderr, "gather check: out of memory\n");
		free(files);
		free(names);
		free(is_file);
		return EXIT_USAGE;
	}
	for (int i = 1, opts = 1; i < argc; i++) {
		int m;
		if (opts && (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)) {
			check_usage(stdout);
			ret = -1;
			goto out;
		}
		if (opts && strcmp(argv[i], "--") == 0) {
			opts = 0;
			continue;
		}
		if (opts && (m = cli_max_job_size("check", argc, argv, &i, &max_size)) != 0) {
			if (m < 0) {
				ret = EXIT_USAGE;
				goto out;
			}
			continue;
		}
		if (opts && argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "gather check: unknown option '%s'\n", argv[i]);
			check_usage(stderr);
			ret = EXIT_USAGE;
			goto out;
		}
		is_file[i] = true;
	}
	for (int i = 1; i < argc; i++) {
		struct gather_jobfile jf;
		struct gather_strv diags = { 0 };
		if (!is_file[i])
			continue;
		int r = gather_jobfile_load_max(argv[i], max_size, &jf, &diags);
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
	free(is_file);
	return ret < 0 ? EXIT_ALL_OK : ret;
}
