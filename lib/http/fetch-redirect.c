/* fetch-redirect.c — the requests after the first: following Location
 * (RFC 9110 §15.4: the method it keeps or changes, the URL it resolves
 * against), the credentials that go with each request (never across an
 * origin, as curl without --location-trusted), and the URL a request
 * records as sent.  Apart from fetch.c, which runs the states and the
 * connection, because this is policy about URLs and headers.
 *
 * Threads: the engine's reactor thread. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gather/error.h"
#include "http/fetch-internal.h"
#include "http/http1.h"

static bool same_origin(const struct gather_url *a, const struct gather_url *b)
{
	return a->https == b->https && a->port == b->port && strcmp(a->host, b->host) == 0;
}

/* Credentials for the first request: the URL's own, else -u's. */
int fetch_initial_auth(struct fetch *f)
{
	if (f->url.userinfo)
		return http1_basic_auth(f->url.userinfo, true, &f->auth);
	if (f->e->o->user)
		return http1_basic_auth(f->e->o->user, false, &f->auth);
	return 0;
}

/* Before following a redirect to nu: credentials go with it only to the
 * same origin (curl without --location-trusted), or when the target names
 * its own.  Once dropped they stay dropped. */
static int redirect_auth(struct fetch *f, const struct gather_url *nu)
{
	if (nu->userinfo) {
		free(f->auth);
		f->auth = NULL;
		return http1_basic_auth(nu->userinfo, true, &f->auth);
	}
	if (f->auth && !same_origin(&f->url, nu)) {
		free(f->auth);
		f->auth = NULL;
	}
	return 0;
}

/* When a URL is parsed for a request (the first, each redirect): f->cur
 * becomes what the request asks for, so final_url shows what was sent (no
 * dot segments, no fragment; issue 16), and the next Location resolves
 * against it.  0 or GATHER_E_NOMEM (f->cur as it was). */
int fetch_set_cur(struct fetch *f, const struct gather_url *u)
{
	char *sent;
	int rc = gather_url_compose(u, &sent);
	if (rc < 0)
		return rc;
	free(f->cur);
	f->cur = sent;
	return 0;
}

/* A redirect that is not followed (its target is not http(s), or the
 * redirect hook refused it) ends the fetch with final_url = the target, as
 * documented; the 3xx response came from sent, which the result keeps as
 * sent_url so the WARC records it under the URL it answered (takes sent). */
static enum step redirect_stop(struct fetch *f, char *sent, int err, const char *msg)
{
	free(f->res->sent_url);
	f->res->sent_url = sent;
	fetch_finish(f, err, msg);
	return STEP_DONE;
}

enum step fetch_step_redirect(struct fetch *f)
{
	char *next = NULL, m[300];
	struct gather_url nu;
	int rc = gather_url_resolve(f->cur, f->resp.location, &next);
	if (rc == GATHER_E_NOMEM || (rc < 0 && !(next = strdup(f->resp.location)))) {
		fetch_finish(f, GATHER_E_NOMEM, NULL);
		return STEP_DONE;
	}
	char *sent = f->cur;
	f->cur = next;
	if (rc < 0 || gather_url_parse(next, &nu) < 0) {
		/* documented: a non-http(s) target ends the fetch with bad_url,
		 * the 3xx status, and final_url = the target */
		snprintf(m, sizeof(m), "redirect to unsupported URL %.250s", next);
		return redirect_stop(f, sent, GATHER_E_BAD_URL, m);
	}
	if ((rc = redirect_auth(f, &nu)) < 0 || (rc = fetch_set_cur(f, &nu)) < 0) {
		gather_url_clear(&nu);
		free(sent);
		fetch_finish(f, rc, NULL);
		return STEP_DONE;
	}
	if (f->redirect && (rc = f->redirect(f->cur, f->arg)) < 0) {
		gather_url_clear(&nu);
		return redirect_stop(f, sent, rc, NULL);
	}
	free(sent);
	f->res->redirects++;
	int s = f->resp.status;
	/* RFC 9110 §15.4.4: 303 → GET; 301/302 after POST → GET, as browsers do */
	if ((s == 303 && !f->head_request) || ((s == 301 || s == 302) && !strcmp(f->method, "POST"))) {
		f->method = "GET";
		f->with_body = false;
	}
	gather_url_clear(&f->url);
	f->url = nu;
	f->host = engine_host(f->e, &f->url);
	if (!f->host) {
		fetch_finish(f, GATHER_E_NOMEM, NULL);
		return STEP_DONE;
	}
	/* Each hop is a new request: it gets its own retry on a fresh
	 * connection when the pooled one turns out closed (servers that close
	 * after every 302 without "Connection: close"; curl follows them). */
	f->reuse_retried = false;
	fetch_set_state(f, FS_PENDING);
	return STEP_AGAIN;
}
