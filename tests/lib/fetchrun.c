/* fetchrun.c — see fetchrun.h. */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <event2/thread.h>

#include "fetchrun.h"

void fr_init(struct fetchrun *fr, SSL_CTX *tls)
{
	memset(fr, 0, sizeof(*fr));
	signal(SIGPIPE, SIG_IGN); /* as cmd/ does: writes to closed sockets are errors */
	evthread_use_pthreads();
	fr->base = event_base_new();
	if (!fr->base)
		abort();
	fr->ts = testserver_new(fr->base, tls);
	if (!fr->ts)
		abort();
	fr->https = tls != NULL;
	gather_opts_init(&fr->o, GATHER_CMD_GET);
	fr->o.retries = 0;
	fr->o.timeout_ms = 5000;
	fr->o.connect_timeout_ms = 2000;
	fr->o.first_byte_timeout_ms = 2000;
	fr->o.idle_timeout_ms = 2000;
	fr->o.retry_max_wait_ms = 2000;
}

static int hook(const char *url, void *arg)
{
	struct fetchrun *fr = ((struct fr_slot *)arg)->fr;
	if (fr->refuse_redirects_to && strstr(url, fr->refuse_redirects_to))
		return -11; /* GATHER_E_SCOPE */
	return 0;
}

struct gather_engine *fr_engine(struct fetchrun *fr, char *err, size_t errlen)
{
	fr->e = gather_engine_new(fr->base, &fr->o, err, errlen);
	return fr->e;
}

static void done_cb(struct gather_result *r, void *arg)
{
	struct fr_slot *sl = arg;
	struct fetchrun *fr = sl->fr;
	unsigned i = sl->i;
	fr->res[i] = r;
	if (++fr->ndone == fr->n)
		event_base_loopbreak(fr->base);
}

void fr_add(struct fetchrun *fr, const char *path, unsigned flags)
{
	char url[2048];
	if (fr->n >= FR_MAX)
		abort();
	if (strstr(path, "://") || !strchr(path, '/'))
		snprintf(url, sizeof(url), "%s", path);
	else
		snprintf(url, sizeof(url), "%s://127.0.0.1:%u%s", fr->https ? "https" : "http",
		         testserver_port(fr->ts), path);
	unsigned i = fr->n++;
	fr->slot[i].fr = fr;
	fr->slot[i].i = i;
	if (gather_engine_fetch(fr->e, url, flags, NULL, done_cb, hook, &fr->slot[i]) != 0)
		abort();
}

unsigned fr_run(struct fetchrun *fr, unsigned timeout_ms)
{
	struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
	if (fr->ndone < fr->n) {
		event_base_loopexit(fr->base, &tv);
		event_base_dispatch(fr->base);
	}
	return fr->ndone;
}

void fr_idle(struct fetchrun *fr, unsigned ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
	event_base_loopexit(fr->base, &tv);
	event_base_dispatch(fr->base);
}

void fr_free(struct fetchrun *fr)
{
	gather_engine_free(fr->e);
	for (unsigned i = 0; i < fr->n; i++)
		gather_result_free(fr->res[i]);
	testserver_free(fr->ts);
	gather_opts_free(&fr->o);
	event_base_free(fr->base);
}
