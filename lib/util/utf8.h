/* utf8.h — well-formed UTF-8 (RFC 3629, Unicode's table 3-7: no
 * overlongs, no surrogates, nothing past U+10FFFF), for every layer that
 * checks text: the JSON writers, the HTML input and fields. */
#ifndef GATHER_UTF8_H
#define GATHER_UTF8_H

#include <stddef.h>

/* Length of the valid UTF-8 sequence at s[0..len), or 0 if s[0] does not
 * start one (len >= 1). */
size_t gather_utf8_seq(const unsigned char *s, size_t len);

#endif
