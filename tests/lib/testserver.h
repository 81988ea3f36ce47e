/* testserver.h — a scriptable, misbehaving HTTP/1.1 server for tests.
 *
 * Listens on 127.0.0.1, port 0 (an ephemeral port; also [::1] on the same
 * port when the host has IPv6 loopback), on the caller's
 * event_base, plain or TLS.  Used in-process by the Check tests (same base as
 * the engine under test) and as the program tests/testserver by script tests:
 *
 *   tests/testserver [--tls CERT KEY] [--port-file F]   prints "PORT\n", serves
 *       until killed, until stdin closes (when it is a pipe or socket; a
 *       /dev/null or file stdin is ignored), or for at most 300 s
 *   tests/testserver --make-certs DIR   writes ca.pem, key.pem (leaf key),
 *       good.pem (127.0.0.1, ::1, localhost; signed by ca.pem), expired.pem,
 *       wronghost.pem, selfsigned.pem, and exits
 *
 * Routes (by request path; anything else: 404):
 *   /status/CODE        that status, body "status CODE\n" (none for 1xx/204/304)
 *   /bytes/N            N bytes of 'x' with Content-Length (N <= 1 GiB)
 *   /stats              200, "conns C open O peak P requests R\n": connections
 *                       accepted, open now, most open at once, requests
 *                       answered (the /stats request counts itself)
 *   /echo               200, body = the request head and body as received
 *   /redirect/N         302 to /redirect/N-1; /redirect/0 is 200 "done\n"
 *   /redirect-close/N   as /redirect/N, but each answer is followed by a close
 *                       without "Connection: close" (a pooled connection dies)
 *   /redirect-to?url=U[&status=S]  S (default 302) with Location: U (U
 *                       percent-decoded; may be any scheme)
 *   /loop               302 to /loop, forever
 *   /slow/MS            waits MS ms, then 200 "slow\n"
 *   /chunked            chunked body TESTSERVER_TEXT in 7-byte chunks
 *   /gzip /deflate /br /zstd   TESTSERVER_TEXT with that Content-Encoding
 *                       (/deflate is zlib-wrapped, /deflate-raw raw deflate,
 *                       /gzip-br: gzip then br, "Content-Encoding: gzip, br")
 *   /gzip-corrupt       Content-Encoding: gzip, body not gzip
 *   /bomb/gzip          ~1.1 MB of gzip members inflating to 1.1 GiB of zeros
 *   /drip[?ms=M&n=N]    Content-Length N (100), one byte every M ms (10)
 *   /silence            reads the request, never answers
 *   /reset-mid          head + 1000 of 100000 body bytes, then a TCP RST
 *   /truncated          Content-Length 1000, 500 bytes sent, then close
 *   /endless            chunked body that never ends (until the client goes)
 *   /headers/huge       a 70000-byte header field
 *   /headers/many       3000 header fields
 *   /1xx                100 Continue, 103 Early Hints, then 200 "ok"
 *   /garbage-after      a valid 200 followed by junk bytes, keep-alive
 *   /cl-conflict        Content-Length: 5 and Content-Length: 6
 *   /cl-negative        Content-Length: -1
 *   /chunk-bad          chunk size "zz"
 *   /chunk-overflow     chunk size of 20 hex digits
 *   /bad-status         status line "HTTP/1.1 2x0 OK"
 *   /http10             HTTP/1.0 response without keep-alive, close-delimited
 *   /retry-after/N[?s=S|?date=1]  503 with Retry-After: S (default 1, or an
 *                       HTTP-date S s ahead) for the first N hits of that exact
 *                       target (path and query), then 200 "ok\n"
 *   /close              200 "closing\n" with Connection: close, then closes
 *   /close-idle         200 "ok\n", then closes the connection 50 ms later
 *                       (a pooled connection the peer closed)
 *   /drop-next          200 "ok\n", then the next request on that connection
 *                       is read and the connection closed without an answer
 *   /html/...           404 here (left for others)
 *
 * Every response but the misbehaving ones is HTTP/1.1 keep-alive.
 * Threads: the server lives on its base's thread. */
#ifndef GATHER_TESTSERVER_H
#define GATHER_TESTSERVER_H

#include <stdbool.h>
#include <stdint.h>

#include <openssl/ssl.h>

struct event_base;
struct testserver;

#define TESTSERVER_TEXT "The quick brown fox jumps over the lazy dog.\n" \
	"Pack my box with five dozen liquor jugs.\n"

/* A server on 127.0.0.1:0; tls is NULL for plain HTTP (the server takes a
 * reference to it).  NULL on failure. */
struct testserver *testserver_new(struct event_base *base, SSL_CTX *tls);
void testserver_free(struct testserver *ts);  /* accepts NULL */
uint16_t testserver_port(const struct testserver *ts);
/* Connections accepted and requests answered so far. */
unsigned testserver_conns(const struct testserver *ts);
unsigned testserver_requests(const struct testserver *ts);
/* Most connections open at once so far. */
unsigned testserver_peak(const struct testserver *ts);
/* Whether it also listens on [::1] (same port). */
bool testserver_has_ipv6(const struct testserver *ts);
/* TLS handshakes that resumed a session. */
unsigned testserver_resumed(const struct testserver *ts);

#endif
