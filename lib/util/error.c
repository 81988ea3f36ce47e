/* error.c — names and texts for enum gather_err. */
#include "config.h"
#include "gather/error.h"

static const struct {
	const char *name;
	const char *text;
} err_table[] = {
	[0]                            = { "ok", "ok" },
	[-GATHER_E_BAD_URL]            = { "bad_url", "malformed or unsupported URL" },
	[-GATHER_E_DNS]                = { "dns", "host name did not resolve" },
	[-GATHER_E_CONNECT]            = { "connect", "connection failed" },
	[-GATHER_E_TLS]                = { "tls", "TLS handshake failed" },
	[-GATHER_E_TIMEOUT]            = { "timeout", "timed out" },
	[-GATHER_E_TOO_MANY_REDIRECTS] = { "too_many_redirects", "too many redirects" },
	[-GATHER_E_TOO_LARGE]          = { "too_large", "response over a size limit" },
	[-GATHER_E_BAD_RESPONSE]       = { "bad_response", "malformed HTTP response" },
	[-GATHER_E_DECODE]             = { "decode", "content decoding failed" },
	[-GATHER_E_ROBOTS]             = { "robots", "disallowed by robots.txt" },
	[-GATHER_E_SCOPE]              = { "scope", "outside the crawl scope" },
	[-GATHER_E_CANCELLED]          = { "cancelled", "cancelled" },
	[-GATHER_E_IO]                 = { "io", "input/output error" },
	[-GATHER_E_NOMEM]              = { "nomem", "out of memory" },
	[-GATHER_E_INVALID]            = { "invalid", "invalid argument" },
	[-GATHER_E_AGAIN]              = { "again", "resource temporarily unavailable" },
	[-GATHER_E_LIMIT]              = { "limit", "a run limit (max-time, max-pages) ended the run" },
};

const char *gather_err_name(int err)
{
	if (err > 0 || err < GATHER_E__LAST)
		return "unknown";
	return err_table[-err].name;
}

const char *gather_err_text(int err)
{
	if (err > 0 || err < GATHER_E__LAST)
		return "unknown error";
	return err_table[-err].text;
}
