/* result.c — allocation and release of struct gather_result. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "gather/error.h"
#include "gather/result.h"

struct gather_result *gather_result_new(void)
{
	return calloc(1, sizeof(struct gather_result));
}

void gather_result_free(struct gather_result *r)
{
	if (!r)
		return;
	free(r->url);
	free(r->final_url);
	free(r->sent_url);
	free(r->message);
	free(r->content_type);
	free(r->body.data);
	free(r->req_head.data);
	free(r->resp_head.data);
	free(r->raw_body.data);
	free(r->parent);
	free(r->saved);
	free(r->title);
	for (size_t i = 0; i < r->links.n; i++)
		free(r->links.v[i]);
	free(r->links.v);
	free(r->link_ids);
	json_decref(r->fields);
	free(r);
}

void gather_result_drop_bodies(struct gather_result *r)
{
	struct gather_buf *b[] = { &r->body, &r->req_head, &r->resp_head, &r->raw_body };
	for (size_t i = 0; i < sizeof b / sizeof b[0]; i++) {
		free(b[i]->data);
		b[i]->data = NULL;
		b[i]->len = 0;
	}
}

int gather_result_fail(struct gather_result *r, int err, const char *msg)
{
	char *m = strdup(msg ? msg : gather_err_text(err));
	r->err = err;
	free(r->message);
	r->message = m; /* NULL on OOM: the code still says what happened */
	return err;
}
