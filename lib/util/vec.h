/* vec.h — a growable array of T as an anonymous struct: VEC(T) declares
 * one, VEC_PUSH appends (doubling; on a failed realloc it sets .oom and
 * drops the element: check .oom once after a run of pushes).  A zeroed
 * struct is empty; free(.v) frees it. */
#ifndef GATHER_VEC_H
#define GATHER_VEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>

#define VEC(T) struct { T *v; size_t n, cap; bool oom; }
#define VEC_PUSH(a, x)                                                        \
	do {                                                                  \
		if ((a).n == (a).cap) {                                       \
			size_t c_ = (a).cap ? 2 * (a).cap : 64;               \
			void *p_ = realloc((a).v, c_ * sizeof *(a).v);        \
			if (!p_) {                                            \
				(a).oom = true;                               \
				break;                                        \
			}                                                     \
			(a).v = p_;                                           \
			(a).cap = c_;                                         \
		}                                                             \
		(a).v[(a).n++] = (x);                                         \
	} while (0)

#endif
