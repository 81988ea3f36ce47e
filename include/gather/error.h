/* error.h — the closed set of outcomes a fetch, a parse or a config line can
 * end in.  Internal functions return 0 or one of these negative codes; each
 * has a stable short name used in JSON records ("dns", "timeout", ...). */
#ifndef GATHER_ERROR_H
#define GATHER_ERROR_H

enum gather_err {
	GATHER_OK                   = 0,
	GATHER_E_BAD_URL            = -1,  /* input URL unusable */
	GATHER_E_DNS                = -2,  /* name did not resolve */
	GATHER_E_CONNECT            = -3,  /* TCP connect failed / reset before response */
	GATHER_E_TLS                = -4,  /* handshake or verification failed */
	GATHER_E_TIMEOUT            = -5,  /* a phase timer fired */
	GATHER_E_TOO_MANY_REDIRECTS = -6,
	GATHER_E_TOO_LARGE          = -7,  /* head, header count or body over a limit */
	GATHER_E_BAD_RESPONSE       = -8,  /* not HTTP/1.x, or broke framing rules */
	GATHER_E_DECODE             = -9,  /* content decoding failed */
	GATHER_E_ROBOTS             = -10, /* disallowed by robots.txt */
	GATHER_E_SCOPE              = -11, /* outside the crawl's scope */
	GATHER_E_CANCELLED          = -12, /* ended by a signal or shutdown */
	GATHER_E_IO                 = -13, /* local file or socket error */
	GATHER_E_NOMEM              = -14,
	GATHER_E_INVALID            = -15, /* bad argument, option or config value */
	GATHER_E_AGAIN              = -16, /* would block: queue full, try later */
	GATHER_E_LIMIT              = -17, /* a run limit (max-time, max-pages) ended it */
	GATHER_E__LAST              = -17
};

/* Short stable name ("dns", "too_large", ...) for err <= 0; "ok" for 0,
 * "unknown" for anything outside the enum.  Never NULL. */
const char *gather_err_name(int err);

/* Default human text for err ("name did not resolve", ...). Never NULL. */
const char *gather_err_text(int err);

#endif
