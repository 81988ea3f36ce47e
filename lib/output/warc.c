/* warc.c — WARC/1.1 records (ISO 28500:2017, "WARC 1.1" in the IIPC text).
 *
 * Each fetch that got a response becomes two records, written request first:
 *   request:  the request head as sent (+ the --data body when the head
 *             announces one), WARC-Concurrent-To the response's record ID;
 *   response: the response head + raw_body (transfer-decoded, NOT
 *             content-decoded: a gzip'ed page is stored gzip'ed, as sent).
 *
 * Chunked responses.  The engine hands us the body already de-chunked, so a
 * stored head that still said "Transfer-Encoding: chunked" would lie about
 * the bytes after it: readers that de-chunk (warcio, pywb) would then fail on
 * the body, and the payload digest would be ambiguous (digest of the chunked
 * or of the de-chunked bytes?  tools disagree).  So, like browser-based
 * capture tools that only ever see de-chunked bodies, we rewrite the stored
 * head: every Transfer-Encoding and Content-Length field is dropped and one
 * "Content-Length: <len of raw_body>" is added.  Heads without chunked
 * framing are stored byte for byte.  Block digest = SHA-1 of the whole
 * stored block, payload digest = SHA-1 of raw_body (both base32, "sha1:").
 *
 * Each record is produced whole in memory and written with one write() (or
 * one writev() for plain files); on a failed or short write the file is cut
 * back to the end of the last whole record, so a reader can always read the
 * file up to its end.  ".gz" files hold one gzip member per record (the
 * usual .warc.gz layout: seekable by record offset, concatenable). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <zlib.h>

#include "gather/error.h"
#include "gather/options.h"
#include "gather/result.h"
#include "url/url.h"
#include "util/strbuf.h"
#include "output/warc.h"

/* Pieces of one record: header, block parts, trailer. */
#define WARC_MAX_PARTS 6

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

/* A header field value from a string we do not control (a URL): bytes that
 * could break the record's framing or are not URI characters (controls,
 * space, DEL, non-ASCII) are percent-encoded. */
static void db_uri(struct gather_strbuf *b, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p <= 0x20 || *p >= 0x7f)
			gather_strbuf_printf(b, "%%%02X", *p);
		else
			gather_strbuf_add(b, p, 1);
	}
}

/* A warcinfo value: CR and LF would end the line early; they become spaces. */
static void db_field_value(struct gather_strbuf *b, const char *s)
{
	for (const char *p = s; *p; p++)
		gather_strbuf_add(b, (*p == '\r' || *p == '\n') ? " " : p, 1);
}

/* "sha1:" + base32 of the digest md (20 bytes). */
static void sha1_label(const unsigned char *md, char out[38])
{
	static const char b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

	memcpy(out, "sha1:", 5);
	/* 20 bytes = 160 bits = 32 base32 digits, no padding (RFC 4648 §6) */
	for (size_t i = 0; i < 32; i++) {
		size_t bit = i * 5, byte = bit / 8, off = bit % 8;
		unsigned v = (unsigned)md[byte] << 8 | (byte + 1 < 20 ? md[byte + 1] : 0);
		out[5 + i] = b32[(v >> (11 - off)) & 31];
	}
	out[37] = '\0';
}

/* SHA-1 label over the parts of a block; out[0] is NUL on failure. */
static void sha1_parts(const struct iovec *iov, size_t n, char out[38])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	bool ok = c && EVP_DigestInit_ex(c, EVP_sha1(), NULL) == 1;

	for (size_t i = 0; ok && i < n; i++)
		ok = EVP_DigestUpdate(c, iov[i].iov_base, iov[i].iov_len) == 1;
	ok = ok && EVP_DigestFinal_ex(c, md, &mdlen) == 1 && mdlen == 20;
	EVP_MD_CTX_free(c);
	if (ok)
		sha1_label(md, out);
	else
		out[0] = '\0';
}

void gather_warc_sha1_label(const void *p, size_t n, char out[38])
{
	struct iovec v = { (void *)p, n };
	sha1_parts(&v, 1, out);
}

/* "<urn:uuid:...>", a random (version 4) UUID. */
static int new_record_id(char out[48])
{
	unsigned char u[16];
	if (RAND_bytes(u, sizeof u) != 1)
		return GATHER_E_IO;
	u[6] = (u[6] & 0x0f) | 0x40;
	u[8] = (u[8] & 0x3f) | 0x80;
	snprintf(out, 48, "<urn:uuid:%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	         "%02x%02x%02x%02x%02x%02x>", u[0], u[1], u[2], u[3], u[4], u[5], u[6],
	         u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
	return 0;
}

/* WARC-Date (W3C ISO 8601, UTC, milliseconds as WARC 1.1 §5.4 allows). */
static void warc_date(uint64_t unix_ms, char out[64])
{
	if (unix_ms == 0) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		unix_ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	}
	time_t t = (time_t)(unix_ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	snprintf(out, 64, "%04d-%02d-%02dT%02d:%02d:%02d.%03uZ", tm.tm_year + 1900,
	         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
	         (unsigned)(unix_ms % 1000));
}

/* One record, ready to write: the header in hdr, the block in parts. */
struct record {
	struct gather_strbuf hdr;
	struct iovec iov[WARC_MAX_PARTS];
	size_t n_iov;          /* hdr + block parts + trailer */
	struct gather_strbuf gz;        /* the gzip member, when the file is .gz */
	uint64_t size;         /* bytes this record takes in the file */
};

static void record_free(struct record *rec)
{
	free(rec->hdr.p);
	free(rec->gz.p);
}

/* Compress the whole record into one gzip member (rec->gz). */
static int record_gzip(struct record *rec)
{
	z_stream z;
	size_t total = 0;
	memset(&z, 0, sizeof z);
	for (size_t i = 0; i < rec->n_iov; i++)
		total += rec->iov[i].iov_len;
	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return GATHER_E_NOMEM;
	size_t cap = deflateBound(&z, (uLong)total) + 64;
	rec->gz.p = malloc(cap);
	if (!rec->gz.p) {
		deflateEnd(&z);
		return GATHER_E_NOMEM;
	}
	rec->gz.cap = cap;
	z.next_out = (Bytef *)rec->gz.p;
	z.avail_out = (uInt)cap;
	int rc = Z_OK;
	for (size_t i = 0; i < rec->n_iov && rc == Z_OK; i++) {
		z.next_in = (Bytef *)rec->iov[i].iov_base;
		z.avail_in = (uInt)rec->iov[i].iov_len;
		rc = deflate(&z, i + 1 == rec->n_iov ? Z_FINISH : Z_NO_FLUSH);
		if (rc == Z_BUF_ERROR && z.avail_in == 0)
			rc = Z_OK;
	}
	rec->gz.len = cap - z.avail_out;
	deflateEnd(&z);
	if (rc != Z_STREAM_END)
		return GATHER_E_NOMEM;
	rec->size = rec->gz.len;
	return 0;
}

/* Fill rec: WARC header fields (fields: extra "Name: value\r\n" lines), the
 * block parts, digests and the trailer; gzip it when w->gz. */
static int record_build(struct gather_warc *w, struct record *rec, const char *type,
                        const char *id, const char *date, const char *fields,
                        const char *content_type, const struct iovec *block,
                        size_t n_block, const struct iovec *payload)
{
	char bd[38], pd[38];
	uint64_t blen = 0;

	for (size_t i = 0; i < n_block; i++)
		blen += block[i].iov_len;
	sha1_parts(block, n_block, bd);
	if (!bd[0])
		return GATHER_E_NOMEM;
	gather_strbuf_printf(&rec->hdr, "WARC/1.1\r\nWARC-Type: %s\r\nWARC-Record-ID: %s\r\n"
	          "WARC-Date: %s\r\n", type, id, date);
	gather_strbuf_adds(&rec->hdr, fields);
	gather_strbuf_printf(&rec->hdr, "WARC-Block-Digest: %s\r\n", bd);
	if (payload) {
		sha1_parts(payload, 1, pd);
		if (!pd[0])
			return GATHER_E_NOMEM;
		gather_strbuf_printf(&rec->hdr, "WARC-Payload-Digest: %s\r\n", pd);
	}
	gather_strbuf_printf(&rec->hdr, "Content-Type: %s\r\nContent-Length: %llu\r\n\r\n",
	          content_type, (unsigned long long)blen);
	if (rec->hdr.oom)
		return GATHER_E_NOMEM;

	rec->n_iov = 0;
	rec->iov[rec->n_iov++] = (struct iovec){ rec->hdr.p, rec->hdr.len };
	for (size_t i = 0; i < n_block; i++)
		if (block[i].iov_len)
			rec->iov[rec->n_iov++] = block[i];
	rec->iov[rec->n_iov++] = (struct iovec){ (void *)"\r\n\r\n", 4 };
	rec->size = rec->hdr.len + blen + 4;
	return w->gz ? record_gzip(rec) : 0;
}

/* Write all of iov (short writes continue; EINTR retried). */
static int write_all(int fd, struct iovec *iov, size_t n)
{
	while (n > 0) {
		ssize_t k = writev(fd, iov, (int)n);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (k == 0)
			return -EIO;
		size_t left = (size_t)k;
		while (n > 0 && left >= iov->iov_len) {
			left -= iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + left;
			iov->iov_len -= left;
		}
	}
	return 0;
}

static int record_write(struct gather_warc *w, struct record *rec, char *err, size_t errlen)
{
	struct iovec one, copy[WARC_MAX_PARTS];
	struct iovec *v = copy;
	size_t n = rec->n_iov;

	if (w->gz) {
		one = (struct iovec){ rec->gz.p, rec->gz.len };
		v = &one;
		n = 1;
	} else
		memcpy(copy, rec->iov, n * sizeof *copy);
	int rc = write_all(w->fd, v, n);
	if (rc < 0) {
		/* cut a partial record back off so the file stays readable */
		if (ftruncate(w->fd, (off_t)w->size) == 0)
			lseek(w->fd, (off_t)w->size, SEEK_SET);
		snprintf(err, errlen, "%s: %s", w->cur_name, strerror(-rc));
		return GATHER_E_IO;
	}
	w->size += rec->size;
	return 0;
}

/* The warcinfo block: what wrote the file and with which options. */
static void info_from_opts(struct gather_strbuf *b, const struct gather_opts *o, unsigned cmd)
{
	gather_strbuf_printf(b, "software: gather/%s\r\n", VERSION);
	gather_strbuf_adds(b, "format: WARC File Format 1.1\r\n");
	gather_strbuf_adds(b, "conformsTo: http://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/\r\n");
	for (const struct gather_optdef *d = gather_optdefs; o && d->name; d++) {
		const char *base = (const char *)o + d->offset;
		if (cmd && !(d->cmds & cmd))
			continue;
		switch (d->type) {
		case GATHER_OPT_BOOL:
			gather_strbuf_printf(b, "%s: %s\r\n", d->name, *(const bool *)base ? "true" : "false");
			break;
		case GATHER_OPT_UINT:
			if (base == (const char *)&o->depth && o->depth == GATHER_DEPTH_INF)
				gather_strbuf_printf(b, "%s: inf\r\n", d->name); /* as given */
			else
				gather_strbuf_printf(b, "%s: %u\r\n", d->name, *(const unsigned *)base);
			break;
		case GATHER_OPT_U64:
		case GATHER_OPT_SIZE:
		case GATHER_OPT_MS:
			gather_strbuf_printf(b, "%s: %llu\r\n", d->name,
			          (unsigned long long)*(const uint64_t *)base);
			break;
		case GATHER_OPT_SECONDS: {
			uint64_t ms = *(const uint64_t *)base;
			gather_strbuf_printf(b, "%s: %llu.%03u\r\n", d->name, (unsigned long long)(ms / 1000),
			          (unsigned)(ms % 1000));
			break;
		}
		case GATHER_OPT_STR: {
			const char *s = *(char *const *)base;
			if (s) {
				gather_strbuf_printf(b, "%s: ", d->name);
				db_field_value(b, s);
				gather_strbuf_adds(b, "\r\n");
			}
			break;
		}
		case GATHER_OPT_STRV: {
			const struct gather_strv *sv = (const struct gather_strv *)base;
			for (size_t i = 0; i < sv->n; i++) {
				const char *s = sv->v[i];
				gather_strbuf_printf(b, "%s: ", d->name);
				/* credentials stay out of the archive's description */
				if (d->offset == offsetof(struct gather_opts, headers) &&
				    (!strncasecmp(s, "authorization:", 14) || !strncasecmp(s, "cookie:", 7) ||
				     !strncasecmp(s, "proxy-authorization:", 20))) {
					gather_strbuf_add(b, s, (size_t)(strchr(s, ':') - s));
					gather_strbuf_adds(b, ": (redacted)");
				} else
					db_field_value(b, s);
				gather_strbuf_adds(b, "\r\n");
			}
			break;
		}
		case GATHER_OPT_SCOPE:
			gather_strbuf_printf(b, "%s: %s\r\n", d->name,
			          gather_scope_name(*(const enum gather_scope *)base));
			break;
		}
	}
}

static int write_warcinfo(struct gather_warc *w, char *err, size_t errlen)
{
	struct record rec = { 0 };
	struct gather_strbuf fields = { 0 };
	char id[48], date[64];
	const char *slash = strrchr(w->cur_name, '/');

	if (new_record_id(id) < 0) {
		snprintf(err, errlen, "%s: no random bytes for a record ID", w->cur_name);
		return GATHER_E_IO;
	}
	warc_date(0, date);
	gather_strbuf_adds(&fields, "WARC-Filename: ");
	db_uri(&fields, slash ? slash + 1 : w->cur_name);
	gather_strbuf_adds(&fields, "\r\n");
	struct iovec block = { w->info.data, w->info.len };
	int rc = fields.oom ? GATHER_E_NOMEM
	         : record_build(w, &rec, "warcinfo", id, date, fields.p,
	                        "application/warc-fields", &block, 1, NULL);
	if (rc == 0)
		rc = record_write(w, &rec, err, errlen);
	else
		snprintf(err, errlen, "%s: out of memory", w->cur_name);
	free(fields.p);
	record_free(&rec);
	return rc;
}

char *gather_warc_file_name(const char *path, unsigned n)
{
	static const char *const exts[] = { ".warc.gz", ".warc" };
	size_t len = strlen(path), stem = len;
	const char *ext = "";
	char *out;

	if (n == 0)
		return strdup(path);
	for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++) {
		size_t el = strlen(exts[i]);
		if (len > el && strcmp(path + len - el, exts[i]) == 0) {
			stem = len - el;
			ext = exts[i];
			break;
		}
	}
	size_t cap = len + 16;
	out = malloc(cap);
	if (out)
		snprintf(out, cap, "%.*s-%05u%s", (int)stem, path, n, ext);
	return out;
}

/* Close the current file (if any) and start file number n with its
 * warcinfo record. */
static int open_file_at(struct gather_warc *w, unsigned n, uint64_t keep, char *err,
                        size_t errlen)
{
	char *name = gather_warc_file_name(w->path, n);
	if (!name) {
		snprintf(err, errlen, "%s: out of memory", w->path);
		return GATHER_E_NOMEM;
	}
	int fd = open(name, O_WRONLY | O_CREAT | (keep ? 0 : O_TRUNC) | O_CLOEXEC, 0644);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", name, strerror(errno));
		free(name);
		return GATHER_E_IO;
	}
	if (w->fd >= 0) {
		int rc = fsync(w->fd) < 0 && errno != EINVAL ? -errno : 0;
		if (close(w->fd) < 0 && rc == 0)
			rc = -errno;
		if (rc < 0) {
			snprintf(err, errlen, "%s: %s", w->cur_name, strerror(-rc));
			close(fd);
			free(name);
			w->fd = -1;
			return GATHER_E_IO;
		}
	}
	free(w->cur_name);
	w->cur_name = name;
	w->fd = fd;
	w->n_file = n;
	w->size = 0;
	w->n_fetches = 0;
	if (keep) {
		/* A resume: the file holds keep committed bytes (whole records,
		 * whole gzip members) and maybe a tail written after the last
		 * commit, which goes. */
		struct stat sb;
		if (fstat(fd, &sb) < 0 || (uint64_t)sb.st_size < keep) {
			snprintf(err, errlen, "%s: %llu bytes, but the crawl state committed %llu: "
			         "the file was cut or replaced since", name,
			         (unsigned long long)(fstat(fd, &sb) == 0 ? (uint64_t)sb.st_size : 0),
			         (unsigned long long)keep);
			return GATHER_E_INVALID;
		}
		if (ftruncate(fd, (off_t)keep) < 0 || lseek(fd, (off_t)keep, SEEK_SET) < 0) {
			snprintf(err, errlen, "%s: %s", name, strerror(errno));
			return GATHER_E_IO;
		}
		w->size = keep;
		w->n_fetches = 1;   /* it may hold fetches: rotate as usual */
		return 0;
	}
	return write_warcinfo(w, err, errlen);
}

static int open_file(struct gather_warc *w, unsigned n, char *err, size_t errlen)
{
	return open_file_at(w, n, 0, err, errlen);
}

static struct gather_warc *warc_open(const char *path, uint64_t max_size,
                                     const struct gather_opts *o, unsigned cmd,
                                     unsigned file, uint64_t off, bool resume, char *err,
                                     size_t errlen);

struct gather_warc *gather_warc_open(const char *path, uint64_t max_size,
                                     const struct gather_opts *o, unsigned cmd,
                                     char *err, size_t errlen)
{
	return warc_open(path, max_size, o, cmd, 0, 0, false, err, errlen);
}

struct gather_warc *gather_warc_open_at(const char *path, uint64_t max_size,
                                        const struct gather_opts *o, unsigned cmd,
                                        unsigned file, uint64_t off, char *err, size_t errlen)
{
	return warc_open(path, max_size, o, cmd, file, off, true, err, errlen);
}

static struct gather_warc *warc_open(const char *path, uint64_t max_size,
                                     const struct gather_opts *o, unsigned cmd,
                                     unsigned file, uint64_t off, bool resume, char *err,
                                     size_t errlen)
{
	struct gather_warc *w = calloc(1, sizeof *w);
	struct gather_strbuf info = { 0 };
	size_t len = strlen(path);

	if (!w || !(w->path = strdup(path)) ||
	    (o && o->data && !(w->req_body = strdup(o->data)))) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	w->fd = -1;
	w->gz = len > 3 && strcmp(path + len - 3, ".gz") == 0;
	w->max_size = max_size;
	info_from_opts(&info, o, cmd);
	if (info.oom) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	w->info.data = info.p;
	w->info.len = info.len;
	info.p = NULL;
	/* Files after the committed one were begun after the last commit. */
	for (unsigned k = file + 1; resume; k++) {
		char *name = gather_warc_file_name(path, k);
		if (!name)
			break;
		int gone = unlink(name) < 0 && errno == ENOENT;
		free(name);
		if (gone)
			break;
	}
	if (open_file_at(w, file, off, err, errlen) < 0)
		goto fail;
	return w;
fail:
	free(info.p);
	if (w && w->fd >= 0) {
		close(w->fd);
		w->fd = -1;
	}
	gather_warc_close(w, NULL, 0);
	return NULL;
}

int gather_warc_sync(struct gather_warc *w, unsigned *file, uint64_t *off, char *err,
                     size_t errlen)
{
	if (w->fd < 0) {
		snprintf(err, errlen, "%s: closed after an earlier error", w->cur_name);
		return GATHER_E_IO;
	}
	if (fdatasync(w->fd) < 0 && errno != EINVAL) {
		snprintf(err, errlen, "%s: %s", w->cur_name, strerror(errno));
		return GATHER_E_IO;
	}
	*file = w->n_file;
	*off = w->size;
	return 0;
}

int gather_warc_close(struct gather_warc *w, char *err, size_t errlen)
{
	int rc = 0;
	if (!w)
		return 0;
	if (w->fd >= 0) {
		if (fsync(w->fd) < 0 && errno != EINVAL)
			rc = -errno;
		if (close(w->fd) < 0 && rc == 0)
			rc = -errno;
	}
	if (rc < 0 && err)
		snprintf(err, errlen, "%s: %s", w->cur_name, strerror(-rc));
	free(w->path);
	free(w->cur_name);
	free(w->info.data);
	free(w->req_body);
	free(w);
	return rc < 0 ? GATHER_E_IO : 0;
}

/* -- the response head, as stored ---------------------------------------- */

/* Does the header line l (no CR/LF) name field f ("Name:")? */
static bool field_is(const char *l, size_t n, const char *f)
{
	size_t fl = strlen(f);
	return n >= fl && strncasecmp(l, f, fl) == 0;
}

/* Whether a head's Transfer-Encoding says chunked. */
static bool head_is_chunked(const char *h, size_t len)
{
	for (size_t i = 0; i < len;) {
		const char *nl = memchr(h + i, '\n', len - i);
		size_t n = nl ? (size_t)(nl - (h + i)) : len - i;
		if (field_is(h + i, n, "transfer-encoding:")) {
			for (size_t k = 18; k + 7 <= n; k++)
				if (strncasecmp(h + i + k, "chunked", 7) == 0)
					return true;
		}
		i += n + 1;
	}
	return false;
}

/* The head to store for r into out (see the file comment): as received, or
 * rewritten without chunked framing; always ending in an empty line. */
static void stored_head(const struct gather_result *r, struct gather_strbuf *out)
{
	const char *h = r->resp_head.data;
	size_t len = r->resp_head.len;

	if (!head_is_chunked(h, len)) {
		gather_strbuf_add(out, h, len);
		/* a head cut short still ends in CRLF CRLF, so readers find the body */
		if (!(len >= 2 && h[len - 1] == '\n' && (h[len - 2] == '\n' ||
		      (len >= 4 && memcmp(h + len - 4, "\r\n\r\n", 4) == 0))))
			gather_strbuf_adds(out, len && h[len - 1] == '\n' ? "\r\n" : "\r\n\r\n");
		return;
	}
	bool dropping = false;
	for (size_t i = 0; i < len;) {
		const char *l = h + i;
		const char *nl = memchr(l, '\n', len - i);
		size_t n = nl ? (size_t)(nl - l) : len - i;
		size_t t = n;
		i += n + 1;
		if (t && l[t - 1] == '\r')
			t--;
		if (t == 0)
			break; /* end of head */
		if (l[0] == ' ' || l[0] == '\t') { /* obs-fold continuation */
			if (dropping)
				continue;
		} else
			dropping = field_is(l, t, "transfer-encoding:") ||
			           field_is(l, t, "content-length:");
		if (dropping)
			continue;
		gather_strbuf_add(out, l, t);
		gather_strbuf_adds(out, "\r\n");
	}
	gather_strbuf_printf(out, "Content-Length: %zu\r\n\r\n", r->raw_body.len);
}

/* The request head as sent, but with the credentials of Authorization and
 * Proxy-Authorization cut to their scheme ("Authorization: Basic
 * (redacted)"), as records and logs never show them: an archive is passed
 * around.  true when out holds such a copy (false: nothing to hide). */
static bool redact_head(const char *h, size_t len, struct gather_strbuf *out)
{
	bool any = false;
	for (size_t i = 0; i < len;) {
		const char *nl = memchr(h + i, '\n', len - i);
		size_t n = nl ? (size_t)(nl - (h + i)) + 1 : len - i;
		size_t k = field_is(h + i, n, "authorization:") ? 14
		           : field_is(h + i, n, "proxy-authorization:") ? 20 : 0;
		if (!k) {
			gather_strbuf_add(out, h + i, n);
			i += n;
			continue;
		}
		const char *l = h + i;
		size_t j = k, s;
		while (j < n && (l[j] == ' ' || l[j] == '\t'))
			j++;
		for (s = j; j < n && l[j] != ' ' && l[j] != '\t' && l[j] != '\r' && l[j] != '\n'; j++)
			;
		gather_strbuf_add(out, l, k);
		gather_strbuf_adds(out, " ");
		if (j < n && (l[j] == ' ' || l[j] == '\t')) {   /* a scheme, then the secret */
			gather_strbuf_add(out, l + s, j - s);
			gather_strbuf_adds(out, " ");
		}
		gather_strbuf_adds(out, "(redacted)\r\n");
		any = true;
		i += n;
	}
	return any;
}

/* The request body when the request head announces one of its length. */
static size_t request_body_len(const struct gather_warc *w, const struct gather_result *r)
{
	const char *h = r->req_head.data;
	size_t len = r->req_head.len;
	if (!w->req_body)
		return 0;
	for (size_t i = 0; i < len;) {
		const char *nl = memchr(h + i, '\n', len - i);
		size_t n = nl ? (size_t)(nl - (h + i)) : len - i;
		if (field_is(h + i, n, "content-length:")) {
			unsigned long long v = strtoull(h + i + 15, NULL, 10);
			return v == strlen(w->req_body) ? (size_t)v : 0;
		}
		i += n + 1;
	}
	return 0;
}

/* WARC-Truncated for a response that ended in an error (§5.13). */
static const char *truncated_reason(int err)
{
	switch (err) {
	case GATHER_E_TOO_LARGE:
		return "length";
	case GATHER_E_TIMEOUT:
		return "time";
	case GATHER_E_CONNECT:
	case GATHER_E_CANCELLED:
	case GATHER_E_BAD_RESPONSE:
		return "disconnect";
	case GATHER_E_IO:
	case GATHER_E_NOMEM:
		return "unspecified";
	default:
		return NULL; /* complete: redirect refused, decode failed, ... */
	}
}

int gather_warc_write(struct gather_warc *w, const struct gather_result *r,
                      char *err, size_t errlen)
{
	struct record req = { 0 }, resp = { 0 };
	struct gather_strbuf head = { 0 }, fields = { 0 }, rfields = { 0 }, qhead = { 0 };
	char req_id[48], resp_id[48], date[64];
	int rc;

	if (r->status <= 0 || r->resp_head.len == 0)
		return 0;
	if (w->fd < 0) {
		snprintf(err, errlen, "%s: closed after an earlier error", w->cur_name);
		return GATHER_E_IO;
	}
	if (new_record_id(req_id) < 0 || new_record_id(resp_id) < 0) {
		snprintf(err, errlen, "%s: no random bytes for a record ID", w->cur_name);
		return GATHER_E_IO;
	}
	warc_date(r->start_unix_ms, date);

	/* fields shared by both records */
	/* The URL the response answered (a redirect not followed has its
	 * target in final_url, not the URL that gave the 3xx), without its
	 * password (the record's own fields may come from a caller that has
	 * not redacted them yet). */
	const char *target = r->sent_url ? r->sent_url : r->final_url ? r->final_url :
	                     r->url ? r->url : "";
	char *shown = NULL;
	if (gather_url_redact(target, &shown) < 0)
		fields.oom = true;
	gather_strbuf_adds(&fields, "WARC-Target-URI: ");
	db_uri(&fields, shown ? shown : target);
	free(shown);
	gather_strbuf_adds(&fields, "\r\n");
	if (r->ip[0] && strspn(r->ip, "0123456789abcdefABCDEF.:") == strlen(r->ip))
		gather_strbuf_printf(&fields, "WARC-IP-Address: %s\r\n", r->ip);
	gather_strbuf_add(&rfields, fields.p, fields.len);
	gather_strbuf_printf(&fields, "WARC-Concurrent-To: %s\r\n", resp_id);
	const char *why = truncated_reason(r->err);
	if (why)
		gather_strbuf_printf(&rfields, "WARC-Truncated: %s\r\n", why);

	stored_head(r, &head);
	rc = GATHER_E_NOMEM;
	if (head.oom || fields.oom || rfields.oom)
		goto out_nomem;

	size_t body_len = request_body_len(w, r);
	bool red = redact_head(r->req_head.data, r->req_head.len, &qhead);
	if (qhead.oom)
		goto out_nomem;
	struct iovec qb[2] = { { red ? qhead.p : r->req_head.data, red ? qhead.len : r->req_head.len },
	                       { w->req_body, body_len } };
	struct iovec qp = { w->req_body, body_len };
	struct iovec sb[2] = { { head.p, head.len }, { r->raw_body.data, r->raw_body.len } };
	struct iovec sp = { r->raw_body.data, r->raw_body.len };

	if (r->req_head.len &&
	    (rc = record_build(w, &req, "request", req_id, date, fields.p,
	                       "application/http;msgtype=request", qb, 2, &qp)) < 0)
		goto out_nomem;
	if ((rc = record_build(w, &resp, "response", resp_id, date, rfields.p,
	                       "application/http;msgtype=response", sb, 2, &sp)) < 0)
		goto out_nomem;

	if (w->max_size && w->n_fetches > 0 &&
	    w->size + req.size + resp.size > w->max_size &&
	    (rc = open_file(w, w->n_file + 1, err, errlen)) < 0)
		goto out;
	/* a file whose warcinfo failed (disk full) gets it before any fetch */
	if (w->size == 0 && (rc = write_warcinfo(w, err, errlen)) < 0)
		goto out;
	uint64_t start = w->size;
	if (r->req_head.len && (rc = record_write(w, &req, err, errlen)) < 0)
		goto out;
	if ((rc = record_write(w, &resp, err, errlen)) < 0) {
		/* no request record without its response */
		if (w->size != start && ftruncate(w->fd, (off_t)start) == 0) {
			lseek(w->fd, (off_t)start, SEEK_SET);
			w->size = start;
		}
		goto out;
	}
	w->n_fetches++;
	rc = 0;
	goto out;
out_nomem:
	snprintf(err, errlen, "%s: out of memory", w->cur_name);
out:
	record_free(&req);
	record_free(&resp);
	free(head.p);
	free(fields.p);
	free(rfields.p);
	free(qhead.p);
	return rc;
}
