/* warc-internal.h — what warc.c (records, files, rotation) and
 * warc-fetch.c (a fetch's result as its request and response records)
 * share.  Internal to lib/output.
 *
 * Threads: a struct gather_warc and its records are used by one thread at
 * a time (the sink's writer thread after open; warc.h). */
#ifndef GATHER_WARC_INTERNAL_H
#define GATHER_WARC_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "gather/result.h"
#include "util/strbuf.h"

/* Pieces of one record: header, block parts, trailer. */
#define WARC_MAX_PARTS 6

/* One writer, owned by its opener (gather_warc_open, gather_warc_close).
 * warc-fetch.c reads fd, cur_name and req_body; the rest is warc.c's. */
struct gather_warc {
	char *path;           /* as given; rotated names derive from it */
	char *cur_name;       /* file being written */
	int fd;
	bool gz;
	uint64_t max_size;    /* 0: never rotate */
	unsigned n_file;      /* index of cur_name (0: path itself) */
	uint64_t size;        /* bytes in the current file */
	uint64_t n_fetches;   /* request/response pairs in the current file */
	struct gather_buf info; /* warcinfo block (options), rewritten per file */
	char *req_body;       /* o->data, stored after a request head that asks for it */
};

/* One record, ready to write: the header in hdr, the block in parts (the
 * parts point into memory the builder's caller keeps until the write). */
struct warc_record {
	struct gather_strbuf hdr;
	struct iovec iov[WARC_MAX_PARTS];
	size_t n_iov;          /* hdr + block parts + trailer */
	struct gather_strbuf gz;        /* the gzip member, when the file is .gz */
	uint64_t size;         /* bytes this record takes in the file */
};

/* A header field value from a string we do not control (a URL): bytes that
 * could break the record's framing or are not URI characters (controls,
 * space, DEL, non-ASCII) are percent-encoded. */
void warc_db_uri(struct gather_strbuf *b, const char *s);
/* "<urn:uuid:...>", a random (version 4) UUID.  0 or GATHER_E_IO. */
int warc_record_id(char out[48]);
/* WARC-Date (W3C ISO 8601, UTC, milliseconds as WARC 1.1 §5.4 allows) of
 * unix_ms (0: now). */
void warc_date(uint64_t unix_ms, char out[64]);
/* Fill rec, zeroed by the caller: WARC header fields (fields: extra "Name:
 * value\r\n" lines), the block parts (at most WARC_MAX_PARTS - 2), digests
 * and the trailer; gzip it when w->gz.  0 or GATHER_E_NOMEM. */
int warc_record_build(struct gather_warc *w, struct warc_record *rec, const char *type,
                      const char *id, const char *date, const char *fields,
                      const char *content_type, const struct iovec *block,
                      size_t n_block, const struct iovec *payload);
/* What warc_record_build allocated (not rec itself). */
void warc_record_free(struct warc_record *rec);
/* Write one fetch's records, req (NULL: none) then resp, as a whole or not
 * at all (a failed write is cut back off); first moving to the next file
 * of the rotation when the pair would take this one past max_size, and
 * writing the warcinfo record a file lacks.  0 or GATHER_E_IO /
 * GATHER_E_NOMEM with err naming the file. */
int warc_write_pair(struct gather_warc *w, struct warc_record *req, struct warc_record *resp,
                    char *err, size_t errlen);

#endif
