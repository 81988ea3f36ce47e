/* vec.h — growable arrays.  gather_grow makes room for one more element
 * in any array kept as pointer, count and capacity.  VEC(T) declares one
 * as an anonymous struct, VEC_PUSH appends (on a failed realloc it sets
 * .oom and drops the element: check .oom once after a run of pushes).  A
 * zeroed struct is empty; free(.v) frees it. */
#ifndef GATHER_VEC_H
#define GATHER_VEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>

/* Room for element n of an array v of *cap elements of size bytes,
 * doubling from first: the array (moved or not, *cap updated), or NULL
 * when out of memory (v and *cap stand). */
static inline void *gather_grow(void *v, size_t n, size_t *cap, size_t size, size_t first)
{
	if (n < *cap)
		return v;
	size_t c = *cap ? 2 * *cap : first;
	void *p = realloc(v, c * size);
	if (p)
		*cap = c;
	return p;
}

#define VEC(T) struct { T *v; size_t n, cap; bool oom; }
#define VEC_PUSH(a, x)                                                        \
	do {                                                                  \
		void *p_ = gather_grow((a).v, (a).n, &(a).cap, sizeof *(a).v, 64); \
		if (!p_) {                                                    \
			(a).oom = true;                                       \
			break;                                                \
		}                                                             \
		(a).v = p_;                                                   \
		(a).v[(a).n++] = (x);                                         \
	} while (0)

#endif
