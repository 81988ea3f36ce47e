/* main.c — gatherd(8): the gather service.  This version only answers
 * --version and --help; the control API, spool and schedules come with the
 * daemon's own issue.  Until then gather@.service runs job files. */
#include "config.h"

#include <stdio.h>
#include <string.h>

static void usage(FILE *f)
{
	fprintf(f,
	"Usage: gatherd [-c FILE]\n"
	"\n"
	"The gather service: runs crawl jobs submitted through a control API,\n"
	"dropped into a spool directory, or due on a schedule.\n"
	"\n"
	"This version of gatherd does not run jobs yet; use gather run JOB.conf,\n"
	"or the gather@.service / gather@.timer units, which do.\n"
	"\n"
	"Options:\n"
	"  -c, --config FILE   configuration file (default " SYSCONFDIR "/gather/gatherd.conf)\n"
	"  -h, --help          show this help\n"
	"  -V, --version       show the version\n");
}

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--version") == 0 || strcmp(argv[i], "-V") == 0) {
			printf("gatherd %s\n", PACKAGE_VERSION);
			return 0;
		}
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return 0;
		}
	}
	fprintf(stderr, "gatherd: the service is not implemented in this version; "
	                "use 'gather run JOB.conf' (see gatherd(8))\n");
	return 2;
}
