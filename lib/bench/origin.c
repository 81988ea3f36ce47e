/* origin.c — the in-process origin of `gather bench` (see origin.h). */
#include "config.h"

#define _GNU_SOURCE 1   /* RUSAGE_THREAD */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <zlib.h>

#include "bench/origin.h"
#include "gather/error.h"

struct bench_origin {
	/* set by new, read-only afterwards */
	const struct bench_site *site;
	struct bench_origin_conf conf;
	struct event_base *base;
	struct evhttp *http;
	SSL_CTX *ssl;
	uint16_t port;
	char baseurl[64];
	char cacert[4096];        /* "" without tls */
	pthread_t thread;
	bool started, stopped;
	/* the origin thread's while it runs; the owner's after stop */
	uint32_t *count;
	uint64_t requests, others, bytes_sent;
	char *other[BENCH_ORIGIN_OTHERS];
	double cpu_s;
};

/* ---- answering --------------------------------------------------------- */

static int unhex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* A target as a crawler may send it without normalizing (the origin still
 * answers it, as any server would, but counts it apart): fragment dropped,
 * unreserved characters decoded, dot segments of the path removed (RFC 3986
 * §6.2.2, §5.2.4).  out has room for strlen(t) + 2 bytes. */
static void normalize_target(const char *t, char *out)
{
	size_t n = 0, plen;
	for (size_t i = 0; t[i] && t[i] != '#'; i++) {
		int a, b, v;
		if (t[i] == '%' && (a = unhex(t[i + 1])) >= 0 && (b = unhex(t[i + 2])) >= 0 &&
		    (v = a * 16 + b, (v >= 'a' && v <= 'z') || (v >= 'A' && v <= 'Z') ||
		     (v >= '0' && v <= '9') || v == '-' || v == '.' || v == '_' || v == '~')) {
			out[n++] = (char)v;
			i += 2;
		} else {
			out[n++] = t[i];
		}
	}
	out[n] = '\0';
	plen = strcspn(out, "?");
	/* remove_dot_segments in place over out[0..plen), then the query */
	size_t w = 0, r = 0;
	while (r < plen) {
		if (plen - r >= 3 && strncmp(out + r, "/./", 3) == 0) {
			r += 2;
		} else if (plen - r == 2 && strncmp(out + r, "/.", 2) == 0) {
			out[r + 1] = '/';
			r += 1;
		} else if ((plen - r >= 4 && strncmp(out + r, "/../", 4) == 0) ||
		           (plen - r == 3 && strncmp(out + r, "/..", 3) == 0)) {
			r += 3;
			if (r == plen)
				out[--r] = '/';
			while (w > 0 && out[--w] != '/')
				;
		} else {
			do
				out[w++] = out[r++];
			while (r < plen && out[r] != '/');
		}
	}
	if (w == 0)
		out[w++] = '/';
	memmove(out + w, out + plen, strlen(out + plen) + 1);
}

static void free_body(const void *data, size_t len, void *arg)
{
	(void)len;
	(void)arg;
	free((void *)data);
}

/* gzip (RFC 1952) of data with zlib's fast level: the origin should cost
 * the run little.  NULL on failure. */
static char *gzip_body(const char *data, size_t len, size_t *ret_len)
{
	z_stream z = { 0 };
	if (deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return NULL;
	uLong cap = deflateBound(&z, (uLong)len);
	char *out = malloc(cap);
	if (!out) {
		deflateEnd(&z);
		return NULL;
	}
	z.next_in = (Bytef *)data;
	z.avail_in = (uInt)len;
	z.next_out = (Bytef *)out;
	z.avail_out = (uInt)cap;
	int rc = deflate(&z, Z_FINISH);
	*ret_len = z.total_out;
	deflateEnd(&z);
	if (rc != Z_STREAM_END) {
		free(out);
		return NULL;
	}
	return out;
}

static bool accepts_gzip(struct evhttp_request *req)
{
	const char *ae = evhttp_find_header(evhttp_request_get_input_headers(req), "Accept-Encoding");
	return ae && strstr(ae, "gzip");
}

/* evhttp's callback, origin thread: one request. */
static void on_request(struct evhttp_request *req, void *arg)
{
	struct bench_origin *o = arg;
	const char *t = evhttp_request_get_uri(req);
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	struct evbuffer *out = evbuffer_new();
	int64_t id;
	char *body = NULL;
	size_t len = 0;
	int status;

	o->requests++;
	if (!out) {
		evhttp_send_error(req, 500, NULL);
		return;
	}
	id = bench_site_lookup(o->site, t, strlen(t));
	if (id >= 0) {
		o->count[id]++;
	} else {
		size_t tl = strlen(t);
		char *n = tl < 4000 ? malloc(tl + 8) : NULL;
		if (n) {
			normalize_target(t, n);
			id = bench_site_lookup(o->site, n, strlen(n));
			free(n);
		}
		if (o->others < BENCH_ORIGIN_OTHERS)
			o->other[o->others] = strdup(t);
		o->others++;
	}
	if (id < 0) {
		status = 404;
		body = strdup("Not found\n");
		len = body ? strlen(body) : 0;
		evhttp_add_header(h, "Content-Type", "text/plain");
	} else if (id == o->conf.bare_id && o->site->u[id].kind != BENCH_ROBOTS &&
	           o->site->u[id].kind != BENCH_SITEMAP) {
		status = 200;   /* test-only fault: a page with no links */
		body = strdup("<!DOCTYPE html>\n<html><head><title>bare</title></head><body></body></html>\n");
		len = body ? strlen(body) : 0;
		evhttp_add_header(h, "Content-Type", "text/html");
	} else {
		status = bench_site_status(o->site, (uint32_t)id);
		if (bench_site_render(o->site, (uint32_t)id, o->baseurl, &body, &len) < 0) {
			evbuffer_free(out);
			evhttp_send_error(req, 500, NULL);
			return;
		}
		evhttp_add_header(h, "Content-Type", bench_site_content_type(o->site, (uint32_t)id));
		if (status == 301) {
			char loc[512];
			snprintf(loc, sizeof loc, "%s%s", o->baseurl,
			         o->site->u[o->site->u[id].target].path);
			evhttp_add_header(h, "Location", loc);
		}
	}
	if (body && o->conf.gzip && len > 0 && accepts_gzip(req)) {
		size_t zl;
		char *z = gzip_body(body, len, &zl);
		if (z) {
			free(body);
			body = z;
			len = zl;
			evhttp_add_header(h, "Content-Encoding", "gzip");
		}
	}
	if (o->conf.gzip)
		evhttp_add_header(h, "Vary", "Accept-Encoding");
	if (body && evbuffer_add_reference(out, body, len, free_body, NULL) < 0)
		free(body);
	o->bytes_sent += len;
	evhttp_send_reply(req, status, status == 200 ? "OK" : status == 301 ? "Moved Permanently"
	                                                                      : "Not Found", out);
	evbuffer_free(out);
}

/* ---- TLS --------------------------------------------------------------- */

static int add_ext(X509 *x, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	X509_EXTENSION *ex = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (!ex)
		return -1;
	int rc = X509_add_ext(x, ex, -1) ? 0 : -1;
	X509_EXTENSION_free(ex);
	return rc;
}

/* A P-256 key and a certificate for 127.0.0.1 signed by itself, valid for
 * a day, written as PEM to a private temporary file the client trusts for
 * this run only. */
static int make_tls(struct bench_origin *o, char *err, size_t errlen)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	int rc = -1, fd = -1;
	FILE *f = NULL;

	if (!key || !x)
		goto out;
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_NAME *name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"gather bench", -1, -1, 0);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"127.0.0.1", -1, -1, 0);
	X509_set_issuer_name(x, name);
	X509_set_pubkey(x, key);
	if (add_ext(x, NID_basic_constraints, "critical,CA:TRUE") ||
	    add_ext(x, NID_subject_key_identifier, "hash") ||
	    add_ext(x, NID_subject_alt_name, "IP:127.0.0.1") || !X509_sign(x, key, EVP_sha256()))
		goto out;
	o->ssl = SSL_CTX_new(TLS_server_method());
	if (!o->ssl || SSL_CTX_use_certificate(o->ssl, x) != 1 ||
	    SSL_CTX_use_PrivateKey(o->ssl, key) != 1)
		goto out;
	const char *tmp = getenv("TMPDIR");
	snprintf(o->cacert, sizeof o->cacert, "%s/gather-bench-XXXXXX",
	         tmp && *tmp && strlen(tmp) < sizeof o->cacert - 32 ? tmp : "/tmp");
	fd = mkstemp(o->cacert);
	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		snprintf(err, errlen, "cannot write a certificate file: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		o->cacert[0] = '\0';
		goto out_msg;
	}
	int written = PEM_write_X509(f, x);
	if (fclose(f) != 0 || !written) {
		snprintf(err, errlen, "cannot write %s", o->cacert);
		goto out_msg;
	}
	rc = 0;
out:
	if (rc < 0)
		snprintf(err, errlen, "cannot make the TLS key and certificate");
out_msg:
	X509_free(x);
	EVP_PKEY_free(key);
	return rc;
}

/* evhttp's bufferevent factory under --tls, origin thread. */
static struct bufferevent *tls_bev(struct event_base *base, void *arg)
{
	struct bench_origin *o = arg;
	SSL *ssl = SSL_new(o->ssl);
	if (!ssl)
		return NULL;
	return bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING,
	                                      BEV_OPT_CLOSE_ON_FREE);
}

/* ---- life --------------------------------------------------------------- */

struct bench_origin *bench_origin_new(const struct bench_site *site,
                                      const struct bench_origin_conf *conf,
                                      char *err, size_t errlen)
{
	struct bench_origin *o = calloc(1, sizeof *o);
	struct evhttp_bound_socket *bs;
	struct sockaddr_in sa;
	socklen_t sl = sizeof sa;

	if (!o || !(o->count = calloc(site->n, sizeof *o->count))) {
		free(o);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	o->site = site;
	o->conf = *conf;
	if (!(o->base = event_base_new()) || !(o->http = evhttp_new(o->base))) {
		snprintf(err, errlen, "cannot create the origin's event loop");
		goto fail;
	}
	if (conf->tls && make_tls(o, err, errlen) < 0)
		goto fail;
	if (conf->tls)
		evhttp_set_bevcb(o->http, tls_bev, o);
	evhttp_set_gencb(o->http, on_request, o);
	/* A crawl of 10^5 pages on a few connections: keep them open. */
	evhttp_set_timeout(o->http, 120);
	bs = evhttp_bind_socket_with_handle(o->http, "127.0.0.1", 0);
	if (!bs || getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&sa, &sl) < 0) {
		snprintf(err, errlen, "cannot listen on 127.0.0.1: %s", strerror(errno));
		goto fail;
	}
	/* Accepted sockets inherit TCP_NODELAY on Linux.  Without it a TLS
	 * answer (head and body in separate records) waits for the client's
	 * delayed ACK: 40 ms a page. */
	int one = 1;
	setsockopt(evhttp_bound_socket_get_fd(bs), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	o->port = ntohs(sa.sin_port);
	snprintf(o->baseurl, sizeof o->baseurl, "%s://127.0.0.1:%u", conf->tls ? "https" : "http",
	         (unsigned)o->port);
	return o;
fail:
	bench_origin_free(o);
	return NULL;
}

static void *origin_main(void *arg)
{
	struct bench_origin *o = arg;
	struct rusage ru;
	event_base_loop(o->base, EVLOOP_NO_EXIT_ON_EMPTY);
	if (getrusage(RUSAGE_THREAD, &ru) == 0)
		o->cpu_s = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
		           (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	return NULL;
}

int bench_origin_start(struct bench_origin *o)
{
	if (o->started)
		return 0;
	int rc = pthread_create(&o->thread, NULL, origin_main, o);
	if (rc != 0)
		return rc == EAGAIN ? GATHER_E_NOMEM : GATHER_E_IO;
	o->started = true;
	return 0;
}

void bench_origin_stop(struct bench_origin *o)
{
	if (!o || !o->started || o->stopped)
		return;
	/* Thread-safe with libevent's pthreads support: wakes the loop. */
	event_base_loopbreak(o->base);
	pthread_join(o->thread, NULL);
	o->stopped = true;
}

void bench_origin_free(struct bench_origin *o)
{
	if (!o)
		return;
	bench_origin_stop(o);
	if (o->http)
		evhttp_free(o->http);
	/* Connections still open (a client that left without closing) are
	 * freed by evhttp_free, a TLS one partly through callbacks deferred to
	 * the loop: run them once, here on the owner's thread, the origin's
	 * having ended. */
	if (o->base && o->started)
		event_base_loop(o->base, EVLOOP_NONBLOCK);
	if (o->base)
		event_base_free(o->base);
	if (o->ssl)
		SSL_CTX_free(o->ssl);
	if (o->cacert[0])
		unlink(o->cacert);
	for (size_t i = 0; i < BENCH_ORIGIN_OTHERS; i++)
		free(o->other[i]);
	free(o->count);
	free(o);
}

uint16_t bench_origin_port(const struct bench_origin *o) { return o->port; }
const char *bench_origin_base(const struct bench_origin *o) { return o->baseurl; }
const char *bench_origin_cacert(const struct bench_origin *o) { return o->cacert[0] ? o->cacert : NULL; }
const uint32_t *bench_origin_counts(const struct bench_origin *o) { return o->count; }
uint64_t bench_origin_requests(const struct bench_origin *o) { return o->requests; }
uint64_t bench_origin_bytes_sent(const struct bench_origin *o) { return o->bytes_sent; }
double bench_origin_cpu_s(const struct bench_origin *o) { return o->cpu_s; }

uint64_t bench_origin_others(const struct bench_origin *o, const char *const **ret_first,
                             size_t *ret_n)
{
	*ret_first = (const char *const *)o->other;
	*ret_n = o->others < BENCH_ORIGIN_OTHERS ? (size_t)o->others : BENCH_ORIGIN_OTHERS;
	return o->others;
}
