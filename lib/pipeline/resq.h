/* resq.h — a FIFO of results waiting on the reactor for a worker slot or
 * the writer (lib/pipeline/pipeline.c, one pair per stream).  It grows as
 * needed; runs keep it short by starting nothing new while it holds
 * anything (gather_stream_busy).  One thread (the reactor) owns a queue. */
#ifndef GATHER_RESQ_H
#define GATHER_RESQ_H

#include <stddef.h>

#include "gather/result.h"

struct gather_resq {
	struct gather_result **v;
	size_t head, n, cap;
};

/* Append r (the queue owns it).  0 or GATHER_E_NOMEM (r still the caller's). */
int gather_resq_push(struct gather_resq *q, struct gather_result *r);
/* The oldest result, still queued; NULL when empty. */
struct gather_result *gather_resq_peek(const struct gather_resq *q);
/* Drop the oldest (after peek, when its new owner took it). */
void gather_resq_pop(struct gather_resq *q);
/* Free the queued results and the queue; q is left empty. */
void gather_resq_free(struct gather_resq *q);

#endif
