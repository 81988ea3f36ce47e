/* jsonl_ref.h — the former jansson-based record encoder, test-only (see
 * jsonl_ref.c). */
#ifndef GATHER_TESTS_JSONL_REF_H
#define GATHER_TESTS_JSONL_REF_H

struct gather_result;

/* r's JSON line as gather wrote it with jansson; malloc'ed, NULL on OOM. */
char *jsonl_ref_record(const struct gather_result *r, unsigned cmd);

#endif
