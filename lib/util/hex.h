/* hex.h — hex digits, for the percent-decoders (url, robots, mirror). */
#ifndef GATHER_HEX_H
#define GATHER_HEX_H

/* The value of hex digit c (either case), or -1 (any other int, including
 * a negative char). */
static inline int gather_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

#endif
