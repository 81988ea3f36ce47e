/* resq.c — the pipeline's result FIFO (see resq.h). */
#include "config.h"

#include <stdlib.h>

#include "gather/error.h"
#include "pipeline/resq.h"

int gather_resq_push(struct gather_resq *q, struct gather_result *r)
{
	if (q->n == q->cap) {
		size_t cap = q->cap ? q->cap * 2 : 64;
		struct gather_result **v = malloc(cap * sizeof *v);
		if (!v)
			return GATHER_E_NOMEM;
		for (size_t i = 0; i < q->n; i++)
			v[i] = q->v[(q->head + i) % q->cap];
		free(q->v);
		q->v = v;
		q->cap = cap;
		q->head = 0;
	}
	q->v[(q->head + q->n) % q->cap] = r;
	q->n++;
	return 0;
}

struct gather_result *gather_resq_peek(const struct gather_resq *q)
{
	return q->n ? q->v[q->head] : NULL;
}

void gather_resq_pop(struct gather_resq *q)
{
	q->head = (q->head + 1) % q->cap;
	q->n--;
}

void gather_resq_free(struct gather_resq *q)
{
	while (q->n) {
		gather_result_free(gather_resq_peek(q));
		gather_resq_pop(q);
	}
	free(q->v);
	q->v = NULL;
	q->cap = q->head = 0;
}
