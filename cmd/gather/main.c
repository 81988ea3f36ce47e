/* main.c — gather(1): the command line.  Parses arguments, dispatches to a
 * subcommand, reports errors once; no engine logic lives here. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>

#include "cli.h"
#include "gather/error.h"
#include "gather/options.h"
#include "util/fdlimit.h"

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
	"  bench [OPTIONS]            crawl a generated site served in-process; check, report\n"
	"  state [--json] DIR         show what a crawl's --state DIR holds\n"
	"  ctl [OPTIONS] VERB [ARGS]  talk to gatherd: status, jobs, submit, pause, records, ...\n"
	"\n"
	"  gather COMMAND --help      options of a command\n"
	"  gather --version           version and libraries\n"
	"\n"
	"Exit status: 0 all fetched, 1 some failed, 2 usage or config error,\n"
	"3 a limit ended the run, 130/143 after SIGINT/SIGTERM (gather(1)).\n"
	"See gather(1), gather.conf(5), gatherd(8).\n");
}


/* Command-line only spellings (curl's), not job-file keys: val 0x3000+i.
 * cmds: the commands that take it (0: all). */
static const struct cli_extra {
	const char *name;
	int short_name;
	bool has_arg;
	const char *arg, *help;
	unsigned cmds;
} extras[] = {
	{ "head", 'I', false, NULL, "send HEAD requests (as -X HEAD)", 0 },
	{ "data-binary", 0, true, "DATA", "send DATA as is (@FILE: FILE's bytes, line ends kept)", 0 },
	{ "output", 'o', true, "FILE", "write the body of the one URL to FILE, whole or not at all (-: stdout, records then only to --jsonl FILE), as curl -o", GATHER_CMD_GET },
	{ "silent", 's', false, NULL, "no progress line", 0 },
	{ "verbose", 'v', false, NULL, "a line per finished fetch on stderr (status, URL, time)", 0 },
	{ NULL, 0, false, NULL, NULL, 0 }
};

static bool extra_for(const struct cli_extra *x, unsigned cmd)
{
	return !x->cmds || (x->cmds & cmd);
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
	for (const struct cli_extra *x = extras; x->name; x++) {
		char left[64], sh[8] = "    ";
		if (!extra_for(x, cmd))
			continue;
		if (x->short_name)
			snprintf(sh, sizeof sh, "-%c, ", x->short_name);
		snprintf(left, sizeof left, "%s--%s%s%s", sh, x->name, x->arg ? " " : "", x->arg ? x->arg : "");
		fprintf(f, "  %-28s %s\n", left, x->help);
	}
	fprintf(f, "  %-28s %s\n", "-h, --help", "show this help");
}

/* Long options are built from gather_optdefs: each takes its argument, and
 * each boolean gets a --no- twin.  val encodes the table index: 0x1000+i for
 * the option, 0x2000+i for its --no- form. */
/* -d @FILE / --data-binary @FILE: the file's contents (curl: -d drops CR
 * and LF, --data-binary keeps them).  0, or EXIT_USAGE after a message. */
static int data_from(const char *cmdname, const char *v, bool binary, struct gather_opts *o)
{
	FILE *f;
	char *buf = NULL;
	size_t len = 0, cap = 0, n;
	char chunk[8192];

	if (v[0] != '@') {
		free(o->data);
		o->data = strdup(v);
		return o->data ? 0 : EXIT_USAGE;
	}
	f = strcmp(v + 1, "-") == 0 ? stdin : fopen(v + 1, "rb");
	if (!f) {
		fprintf(stderr, "gather %s: %s: %s\n", cmdname, v + 1, strerror(errno));
		return EXIT_USAGE;
	}
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
		if (len + n + 1 > cap) {
			size_t ncap = (len + n + 1) * 2;
			char *nb = realloc(buf, ncap);
			if (!nb)
				break;
			buf = nb, cap = ncap;
		}
		for (size_t i = 0; i < n; i++)
			if (binary || (chunk[i] != '\r' && chunk[i] != '\n'))
				buf[len++] = chunk[i];
	}
	bool bad = ferror(f) || n > 0 || (len && memchr(buf, '\0', len));
	if (f != stdin)
		fclose(f);
	if (bad) {
		/* the body is a C string: a NUL byte would cut it short */
		fprintf(stderr, "gather %s: %s: cannot read it, or it holds a NUL byte\n", cmdname, v + 1);
		free(buf);
		return EXIT_USAGE;
	}
	free(o->data);
	o->data = buf ? buf : strdup("");
	if (buf)
		buf[len] = '\0';
	return o->data ? 0 : EXIT_USAGE;
}

/* getopt_long takes any unique prefix ("--head" was "--header"): accept
 * only whole names.  text is the argument that named the option. */
static bool whole_name(const char *text, const char *name)
{
	size_t n = strlen(name);
	return strncmp(text, "--", 2) != 0 ||
	       (strncmp(text + 2, name, n) == 0 && (text[2 + n] == '\0' || text[2 + n] == '='));
}

int cli_parse(int argc, char **argv, unsigned cmd, struct gather_opts *o,
              struct gather_strv *pos, struct cli_flags *fl)
{
	size_t n = 0, nx = sizeof extras / sizeof *extras;
	for (const struct gather_optdef *d = gather_optdefs; d->name; d++)
		n++;
	struct option *lo = calloc(2 * n + nx + 2, sizeof *lo);
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
	for (size_t i = 0; extras[i].name; i++) {
		const struct cli_extra *x = &extras[i];
		if (!extra_for(x, cmd))
			continue;
		lo[k++] = (struct option){ x->name, x->has_arg ? required_argument : no_argument, NULL,
		                           0x3000 + (int)i };
		if (x->short_name && sl + 3 < sizeof shorts) {
			shorts[sl++] = (char)x->short_name;
			if (x->has_arg)
				shorts[sl++] = ':';
			shorts[sl] = '\0';
		}
	}
	lo[k++] = (struct option){ "help", no_argument, NULL, 'h' };
	lo[k] = (struct option){ 0 };

	optind = 1;
	opterr = 0;
	for (;;) {
		int li = -1;
		int c = getopt_long(argc, argv, shorts, lo, &li);
		const struct gather_optdef *d;
		char err[256];
		if (c == -1)
			break;
		/* the argument that named a long option: just before optind,
		 * or before its separate argument (getopt has moved any
		 * positional arguments out of the way by now) */
		int at = li >= 0 && optarg && optind >= 2 && optarg == argv[optind - 1] ? optind - 2 : optind - 1;
		if (li >= 0 && c != '?' && c != ':' && at >= 1 && !whole_name(argv[at], lo[li].name)) {
			fprintf(stderr, "gather %s: unknown option '%.*s' (see gather %s --help)\n", argv[0],
			        (int)strcspn(argv[at], "="), argv[at], argv[0]);
			ret = EXIT_USAGE;
			goto out;
		}
		for (size_t i = 0; c > 0 && c < 0x1000 && extras[i].name; i++)
			if (extras[i].short_name == c)
				c = 0x3000 + (int)i;
		if (c >= 0x3000 && c < 0x3000 + (int)nx) {
			const struct cli_extra *x = &extras[c - 0x3000];
			if (x->short_name == 'I') {
				free(o->method);
				if (!(o->method = strdup("HEAD")))
					ret = EXIT_USAGE;
			} else if (x->short_name == 's') {
				fl->silent = true;
			} else if (x->short_name == 'v') {
				fl->verbose = true;
			} else if (x->short_name == 'o') {
				free(o->output);
				if (!(o->output = strdup(optarg)))
					ret = EXIT_USAGE;
			} else {
				ret = data_from(argv[0], optarg, true, o);
			}
			if (ret)
				goto out;
			continue;
		}
		if (c == 'h') {
			printf("Usage: gather %s [OPTIONS] %s\n\nOptions:\n", argv[0],
			       cmd == GATHER_CMD_CRAWL ? "SEED..." : "[URL...]");
			cli_print_options(stdout, cmd);
			ret = -1;
			goto out;
		}
		if (c == ':' || c == '?') {
			const struct gather_optdef *od = NULL;
			if (optopt >= 0x3000) {
				const struct cli_extra *x = &extras[optopt - 0x3000];
				fprintf(stderr, "gather %s: option --%s %s\n", argv[0], x->name,
				        c == ':' ? "needs an argument" : "takes no argument");
				ret = EXIT_USAGE;
				goto out;
			}
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
		if (d && d->offset == offsetof(struct gather_opts, data)) {
			if ((ret = data_from(argv[0], optarg, false, o)))
				goto out;
			continue;
		}
		if (!d || gather_opt_set(o, d, optarg, err, sizeof err) < 0) {
			fprintf(stderr, "gather %s: %s\n", argv[0], d ? err : "bad option");
			ret = EXIT_USAGE;
			goto out;
		}
	}
	cli_cap_concurrency(argv[0], o);
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

void cli_cap_concurrency(const char *cmd, struct gather_opts *o)
{
	static bool said; /* once per process, however many jobs */
	uint64_t nfd = gather_fd_limit();
	unsigned c = gather_fd_concurrency(nfd, o->concurrency);
	if (c == o->concurrency)
		return;
	if (!said)
		fprintf(stderr, "gather %s: concurrency %u lowered to %u: the descriptor limit "
		        "(ulimit -n) is %llu, %llu of them kept for files and the rest\n", cmd,
		        o->concurrency, c, (unsigned long long)nfd,
		        (unsigned long long)gather_fd_reserve(nfd));
	said = true;
	o->concurrency = c;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} cmds[] = {
		{ "get", cmd_get }, { "crawl", cmd_crawl }, { "run", cmd_run }, { "check", cmd_check },
		{ "bench", cmd_bench }, { "state", cmd_state }, { "ctl", cmd_ctl },
	};

	/* libevent and OpenSSL write to sockets without MSG_NOSIGNAL: a peer
	 * that goes away must give EPIPE, not kill us; so must a closed stdout. */
	signal(SIGPIPE, SIG_IGN);
	/* Each fetch in flight holds a socket: take every descriptor the
	 * hard limit allows (as nginx's worker_rlimit_nofile), then
	 * cli_cap_concurrency fits --concurrency to it. */
	gather_fd_limit_raise();
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
