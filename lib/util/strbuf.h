/* strbuf.h — a growable, always NUL-terminated byte string for building
 * names, URLs and record heads.  On allocation failure .oom is set and
 * further appends do nothing, so a builder checks once at the end.
 * A zeroed struct is an empty buffer; free .p when done. */
#ifndef GATHER_STRBUF_H
#define GATHER_STRBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

struct gather_strbuf {
	char *p;      /* NULL until the first append */
	size_t len, cap;
	bool oom;
};

void gather_strbuf_add(struct gather_strbuf *b, const void *s, size_t n);

static inline void gather_strbuf_adds(struct gather_strbuf *b, const char *s)
{
	gather_strbuf_add(b, s, strlen(s));
}

static inline void gather_strbuf_addc(struct gather_strbuf *b, char c)
{
	gather_strbuf_add(b, &c, 1);
}

/* printf into the buffer; for short, bounded fields (< 512 bytes, else
 * .oom is set). */
void gather_strbuf_printf(struct gather_strbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
