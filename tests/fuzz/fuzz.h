/* fuzz.h — what the harnesses of tests/fuzz/<target>/harness.c share.
 *
 * Each harness defines LLVMFuzzerTestOneInput (libFuzzer's entry point) and
 * checks properties of the parser it drives, not only that it survives: a
 * broken property prints what broke and aborts, which libFuzzer (and the
 * corpus replay of `make check`, tests/fuzz/replay.c) reports as a finding
 * with the input that caused it. */
#ifndef GATHER_FUZZ_H
#define GATHER_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* A property of the target does not hold: say which, and abort. */
#define FUZZ_CHECK(cond, ...)                                                   \
	do {                                                                        \
		if (!(cond)) {                                                          \
			fprintf(stderr, "%s:%d: property broken: %s: ", __FILE__, __LINE__, \
			        #cond);                                                     \
			fprintf(stderr, __VA_ARGS__);                                       \
			fputc('\n', stderr);                                                \
			abort();                                                            \
		}                                                                       \
	} while (0)

/* Out of memory inside a harness: not a finding of the target. */
#define FUZZ_OOM(p)                                                             \
	do {                                                                        \
		if (!(p)) {                                                             \
			fprintf(stderr, "%s:%d: harness out of memory\n", __FILE__, __LINE__); \
			abort();                                                            \
		}                                                                       \
	} while (0)

#endif
