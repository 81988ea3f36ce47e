/* hello.c — the smallest program on the installed API: built by `make
 * installcheck` against the installed headers and gather.pc only (no
 * internal header is reachable from there).  It prints the version, checks
 * an option parser and an error text, and makes and frees an engine on an
 * event base.  Exit 0 when all of that works. */
#include <stdio.h>
#include <string.h>

#include <event2/event.h>
#include <gather/gather.h>

int main(void)
{
	struct gather_opts o;
	char err[256];
	uint64_t ms = 0;

	printf("gather %s\n", gather_version());
	gather_opts_init(&o, GATHER_CMD_GET);
	if (gather_parse_seconds("2.5", &ms) != 0 || ms != 2500) {
		fprintf(stderr, "hello: gather_parse_seconds(\"2.5\") gave %llu\n",
		        (unsigned long long)ms);
		return 1;
	}
	if (strcmp(gather_err_name(GATHER_E_DNS), "dns") != 0) {
		fprintf(stderr, "hello: gather_err_name(GATHER_E_DNS) is %s\n",
		        gather_err_name(GATHER_E_DNS));
		return 1;
	}
	struct event_base *base = event_base_new();
	struct gather_engine *e = base ? gather_engine_new(base, &o, err, sizeof err) : NULL;
	if (!e) {
		fprintf(stderr, "hello: engine: %s\n", base ? err : "no event base");
		return 1;
	}
	printf("engine: %zu in flight\n", gather_engine_inflight(e));
	gather_engine_free(e);
	event_base_free(base);
	gather_opts_free(&o);
	return 0;
}
