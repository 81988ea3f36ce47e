/* decode.h — streaming Content-Encoding decoders (RFC 9110 §8.4): gzip,
 * deflate (zlib-wrapped or raw), br, zstd, identity, and chains of them.
 *
 * Threads: a decoder belongs to one fetch on the reactor thread; nothing is
 * shared.  Output goes to a sink callback in pieces of at most
 * GATHER_DECODE_CHUNK bytes, so a decompression bomb is stopped as soon as
 * the sink says "enough" (returns non-zero), never materialized. */
#ifndef GATHER_DECODE_H
#define GATHER_DECODE_H

#include <stddef.h>

#define GATHER_DECODE_CHUNK 16384
#define GATHER_DECODE_MAX_LAYERS 4

struct gather_decoder;

/* Receives decoded bytes.  Return 0 to go on, or a negative gather_err to
 * stop decoding (that value is returned by gather_decoder_push). */
typedef int (*gather_decode_sink_fn)(const char *data, size_t len, void *arg);

/* A decoder for the Content-Encoding header value ce (e.g. "gzip",
 * "gzip, br"; NULL, "" and "identity" decode nothing).  On success *ret is
 * the decoder, or NULL when no decoding is needed.  Returns 0,
 * GATHER_E_DECODE (unknown coding or too many layers; msg says which) or
 * GATHER_E_NOMEM.  msg may be NULL. */
int gather_decoder_new(const char *ce, struct gather_decoder **ret,
                       char *msg, size_t msglen);

/* Feed len encoded bytes; decoded output goes to sink.  Returns 0, the
 * sink's stop value, or GATHER_E_DECODE (corrupt data, msg says why). */
int gather_decoder_push(struct gather_decoder *d, const void *data, size_t len,
                        gather_decode_sink_fn sink, void *arg,
                        char *msg, size_t msglen);

/* The encoded stream ended: GATHER_E_DECODE if a layer is incomplete. */
int gather_decoder_finish(struct gather_decoder *d, char *msg, size_t msglen);

/* Accepts NULL. */
void gather_decoder_free(struct gather_decoder *d);

#endif
