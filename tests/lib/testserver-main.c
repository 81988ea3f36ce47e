/* testserver-main.c — tests/testserver, the standalone test server for
 * script tests (usage in testserver.h). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>
#include <openssl/err.h>

#include "testcerts.h"
#include "testserver.h"

#define MAX_LIFETIME_S 300

static void stop_cb(evutil_socket_t fd, short what, void *arg)
{
	char buf[256];
	(void)what;
	if (fd >= 0 && read(fd, buf, sizeof(buf)) > 0)
		return; /* stdin data: ignored; only EOF stops */
	event_base_loopbreak(arg);
}

static int usage(void)
{
	fprintf(stderr, "usage: testserver [--tls CERT KEY] [--port-file F] | --make-certs DIR\n");
	return 2;
}

int main(int argc, char **argv)
{
	const char *cert = NULL, *key = NULL, *port_file = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--make-certs") && i + 1 < argc) {
			struct testcerts tc;
			if (testcerts_make(&tc) < 0 || testcerts_write(&tc, argv[i + 1]) < 0) {
				fprintf(stderr, "testserver: cannot write certificates to %s\n", argv[i + 1]);
				return 1;
			}
			testcerts_free(&tc);
			return 0;
		} else if (!strcmp(argv[i], "--tls") && i + 2 < argc) {
			cert = argv[++i];
			key = argv[++i];
		} else if (!strcmp(argv[i], "--port-file") && i + 1 < argc)
			port_file = argv[++i];
		else
			return usage();
	}
	SSL_CTX *ctx = NULL;
	if (cert) {
		ctx = SSL_CTX_new(TLS_server_method());
		if (!ctx || SSL_CTX_use_certificate_chain_file(ctx, cert) != 1 ||
		    SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
			fprintf(stderr, "testserver: cannot load %s / %s\n", cert, key);
			return 1;
		}
	}
	evthread_use_pthreads();
	struct event_base *base = event_base_new();
	struct testserver *ts = base ? testserver_new(base, ctx) : NULL;
	SSL_CTX_free(ctx);
	if (!ts) {
		fprintf(stderr, "testserver: cannot listen on 127.0.0.1\n");
		return 1;
	}
	printf("%u\n", testserver_port(ts));
	fflush(stdout);
	if (port_file) {
		FILE *fp = fopen(port_file, "w");
		if (!fp || fprintf(fp, "%u\n", testserver_port(ts)) < 0 || fclose(fp) != 0) {
			fprintf(stderr, "testserver: cannot write %s\n", port_file);
			return 1;
		}
	}
	struct event *in = event_new(base, 0, EV_READ | EV_PERSIST, stop_cb, base);
	struct event *life = evtimer_new(base, stop_cb, base);
	struct timeval tv = { MAX_LIFETIME_S, 0 };
	struct stat st;
	/* only a pipe or socket can "close"; /dev/null, files, ttys: ignored */
	if (in && fstat(0, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)))
		event_add(in, NULL);
	evtimer_add(life, &tv);
	event_base_dispatch(base);
	event_free(in);
	event_free(life);
	testserver_free(ts);
	event_base_free(base);
	return 0;
}
