/* main.c — gather(1): the command line.  Parses arguments, dispatches to a
 * subcommand, reports errors once; no engine logic lives here. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "gather/error.h"
#include "gather/options.h"

static void usage(FILE *f)
{
	fprintf(f,
	"Usage: gather COMMAND [OPTIONS] [ARGS]\n"
	"\n"
	"An asynchronous HTTP client, scraper and crawler.\n"
	"\n"
	"Commands:\n"
	"  get [OPTIONS] [URL...]     fetch URLs concurrently, one JSON line per URL\n"
	"  crawl [OPTIONS] SEED...    follow links from the seeds within a scope\n"
	"  run [--parallel] JOB.conf...  run the jobs described in job files\n"
	"  check JOB.conf...          check job files and report every fault\n"
	"\n"
	"  gather COMMAND --help      options of a command\n"
	"  gather --version           version and libraries\n"
	"\n"
	"Exit status: 0 all fetched, 1 some failed, 2 usage or config error.\n"
	"See gather(1), gather.conf(5), gatherd(8).\n");
}


void cli_print_options(FILE *f, unsigned cmd)
{
	for (const struct gather_optdef *d = gather_optdefs; d->name; d++) {
		char left[64], sh[8] = "    ";
		if (!(d->cmds & cmd))
			continue;
		if (d->short_name)
			snprintf(sh, sizeof sh, "-%c, ", d->short_name);
		snprintf(left, sizeof left, "%s--%s%s%s", sh, d->name, d->arg ? " " : "",
		         d->arg ? d->arg : "");
		fprintf(f, "  %-28s %s\n", left, d->help);
	}
	fprintf(f, "  %-28s %s\n", "-h, --help", "show this help");
}

/* Long options are built from gather_optdefs: each takes its argument, and
 * each boolean gets a --no- twin.  val encodes the table index: 0x1000+i for
 * the option, 0x2000+i for its --no- form. */
int cli_parse(int argc, char **argv, unsigned cmd, struct gather_opts *o,
              struct gather_strv *pos)
{
	size_t n = 0;
	for (const struct gather_optdef *d = gather_optdefs; d->name; d++)
		n++;
	struct option *lo = calloc(2 * n + 2, sizeof *lo);
	char **noname = calloc(n, sizeof *noname);
	char shorts[128] = ":h"; /* ':' first: a missing argument gives ':' */
	size_t k = 0, sl = 2;
	int ret = 0;

	if (!lo || !noname) {
		fprintf(stderr, "gather: out of memory\n");
		free(lo);
		free(noname);
		return EXIT_USAGE;
	}
	for (size_t i = 0; i < n; i++) {
		const struct gather_optdef *d = &gather_optdefs[i];
		if (!(d->cmds & cmd))
			continue;
		int has_arg = d->type == GATHER_OPT_BOOL ? no_argument : required_argument;
		lo[k++] = (struct option){ d->name, has_arg, NULL, 0x1000 + (int)i };
		if (d->type == GATHER_OPT_BOOL) {
			size_t len = strlen(d->name) + 4;
			noname[i] = malloc(len);
			if (noname[i]) {
				snprintf(noname[i], len, "no-%s", d->name);
				lo[k++] = (struct option){ noname[i], no_argument, NULL, 0x2000 + (int)i };
			}
		}
		if (d->short_name && sl + 3 < sizeof shorts) {
			shorts[sl++] = (char)d->short_name;
			if (has_arg == required_argument)
				shorts[sl++] = ':';
			shorts[sl] = '\0';
		}
	}
	lo[k++] = (struct option){ "help", no_argument, NULL, 'h' };
	lo[k] = (struct option){ 0 };

	optind = 1;
	opterr = 0;
	for (;;) {
		int c = getopt_long(argc, argv, shorts, lo, NULL);
		const struct gather_optdef *d;
		char err[256];
		if (c == -1)
			break;
		if (c == 'h') {
			printf("Usage: gather %s [OPTIONS] %s\n\nOptions:\n", argv[0],
			       cmd == GATHER_CMD_CRAWL ? "SEED..." : "[URL...]");
			cli_print_options(stdout, cmd);
			ret = -1;
			goto out;
		}
		if (c == ':' || c == '?') {
			const struct gather_optdef *od = NULL;
			if (optopt >= 0x2000)
				od = &gather_optdefs[optopt - 0x2000];
			else if (optopt >= 0x1000)
				od = &gather_optdefs[optopt - 0x1000];
			if (c == ':' && od)
				fprintf(stderr, "gather %s: option --%s needs an argument\n", argv[0], od->name);
			else if (c == ':')
				fprintf(stderr, "gather %s: option -%c needs an argument\n", argv[0], optopt);
			else if (od)
				fprintf(stderr, "gather %s: option --%s%s takes no argument\n", argv[0],
				        optopt >= 0x2000 ? "no-" : "", od->name);
			else if (optopt)
				fprintf(stderr, "gather %s: option -%c is unknown (see gather %s --help)\n",
				        argv[0], optopt, argv[0]);
			else
				fprintf(stderr, "gather %s: unknown option '%s' (see gather %s --help)\n",
				        argv[0], argv[optind - 1], argv[0]);
			ret = EXIT_USAGE;
			goto out;
		}
		if (c >= 0x2000) {
			d = &gather_optdefs[c - 0x2000];
			*(bool *)((char *)o + d->offset) = false;
			continue;
		}
		d = c >= 0x1000 ? &gather_optdefs[c - 0x1000] : gather_opt_find_short(c);
		if (!d || gather_opt_set(o, d, optarg, err, sizeof err) < 0) {
			fprintf(stderr, "gather %s: %s\n", argv[0], d ? err : "bad option");
			ret = EXIT_USAGE;
			goto out;
		}
	}
	for (int i = optind; i < argc; i++)
		if (gather_strv_push(pos, argv[i]) < 0) {
			fprintf(stderr, "gather: out of memory\n");
			ret = EXIT_USAGE;
			goto out;
		}
out:
	for (size_t i = 0; i < n; i++)
		free(noname[i]);
	free(noname);
	free(lo);
	return ret;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} cmds[] = {
		{ "get", cmd_get }, { "crawl", cmd_crawl }, { "run", cmd_run }, { "check", cmd_check },
	};

	/* libevent and OpenSSL write to sockets without MSG_NOSIGNAL: a peer
	 * that goes away must give EPIPE, not kill us; so must a closed stdout. */
	signal(SIGPIPE, SIG_IGN);
	/* A closed stdin/stdout/stderr would be reused by the first socket or
	 * file we open, and records written into it: hold each closed one with
	 * /dev/null opened the wrong way round, so using it fails (EBADF). */
	for (int fd = 0; fd <= 2; fd++)
		if (fcntl(fd, F_GETFD) < 0 && errno == EBADF &&
		    open("/dev/null", fd == 0 ? O_WRONLY : O_RDONLY) != fd)
			return EXIT_USAGE;
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
		cli_print_version(stdout);
		return EXIT_ALL_OK;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return EXIT_ALL_OK;
	}
	for (size_t i = 0; i < sizeof cmds / sizeof *cmds; i++)
		if (strcmp(argv[1], cmds[i].name) == 0)
			return cmds[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "gather: unknown command '%s' (see gather --help)\n", argv[1]);
	return EXIT_USAGE;
}
