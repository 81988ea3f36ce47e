/* pending.c — commands whose engine has not landed yet. */
#include "config.h"

#include <stdio.h>

#include "cli.h"

static int pending(const char *name)
{
	fprintf(stderr, "gather %s: not available in this build yet\n", name);
	return EXIT_USAGE;
}

int cmd_get(int argc, char **argv) { (void)argc; (void)argv; return pending("get"); }
int cmd_crawl(int argc, char **argv) { (void)argc; (void)argv; return pending("crawl"); }
int cmd_run(int argc, char **argv) { (void)argc; (void)argv; return pending("run"); }
