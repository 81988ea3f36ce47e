/* warc.c — WARC/1.1 files (ISO 28500:2017, "WARC 1.1" in the IIPC text):
 * records built, digested, gzip'ed and written; a file opened, resumed,
 * rotated, synced and closed; the warcinfo record at the head of each file.
 *
 * Each fetch that got a response becomes two records, written request first;
 * warc-fetch.c makes them from the fetch's result (the heads as stored, the
 * fields), this file writes them as one pair (warc_write_pair).  The split
 * (issue 11) is where only finished records cross: everything that touches
 * the descriptor, the size or the rotation is here.  Block digest = SHA-1 of
 * the whole stored block, payload digest = SHA-1 of the payload (both
 * base32, "sha1:").
 *
 * Each record is produced whole in memory and written with one write() (or
 * one writev() for plain files); on a failed or short write the file is cut
 * back to the end of the last whole record, so a reader can always read the
 * file up to its end.  ".gz" files hold one gzip member per record (the
 * usual .warc.gz layout: seekable by record offset, concatenable).
 *
 * Threads: one at a time (the sink's writer thread after open), as warc.h
 * says. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
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
#include "output/warc-internal.h"
#include "output/warc.h"
#include "util/strbuf.h"

void warc_db_uri(struct gather_strbuf *b, const char *s)
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

int warc_record_id(char out[48])
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

void warc_date(uint64_t unix_ms, char out[64])
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


void warc_record_free(struct warc_record *rec)
{
	free(rec->hdr.p);
	free(rec->gz.p);
}

/* Compress the whole record into one gzip member (rec->gz). */
static int record_gzip(struct warc_record *rec)
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

int warc_record_build(struct gather_warc *w, struct warc_record *rec, const char *type,
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

static int record_write(struct gather_warc *w, struct warc_record *rec, char *err, size_t errlen)
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
	struct warc_record rec = { 0 };
	struct gather_strbuf fields = { 0 };
	char id[48], date[64];
	const char *slash = strrchr(w->cur_name, '/');

	if (warc_record_id(id) < 0) {
		snprintf(err, errlen, "%s: no random bytes for a record ID", w->cur_name);
		return GATHER_E_IO;
	}
	warc_date(0, date);
	gather_strbuf_adds(&fields, "WARC-Filename: ");
	warc_db_uri(&fields, slash ? slash + 1 : w->cur_name);
	gather_strbuf_adds(&fields, "\r\n");
	struct iovec block = { w->info.data, w->info.len };
	int rc = fields.oom ? GATHER_E_NOMEM
	         : warc_record_build(w, &rec, "warcinfo", id, date, fields.p,
	                             "application/warc-fields", &block, 1, NULL);
	if (rc == 0)
		rc = record_write(w, &rec, err, errlen);
	else
		snprintf(err, errlen, "%s: out of memory", w->cur_name);
	free(fields.p);
	warc_record_free(&rec);
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

/* Write one fetch's records (see warc-internal.h).  Called by
 * gather_warc_write (warc-fetch.c) once both records are built, so that a
 * rotation is decided on their real sizes. */
int warc_write_pair(struct gather_warc *w, struct warc_record *req, struct warc_record *resp,
                    char *err, size_t errlen)
{
	int rc;

	if (w->max_size && w->n_fetches > 0 &&
	    w->size + (req ? req->size : 0) + resp->size > w->max_size &&
	    (rc = open_file(w, w->n_file + 1, err, errlen)) < 0)
		return rc;
	/* a file whose warcinfo failed (disk full) gets it before any fetch */
	if (w->size == 0 && (rc = write_warcinfo(w, err, errlen)) < 0)
		return rc;
	uint64_t start = w->size;
	if (req && (rc = record_write(w, req, err, errlen)) < 0)
		return rc;
	if ((rc = record_write(w, resp, err, errlen)) < 0) {
		/* no request record without its response */
		if (w->size != start && ftruncate(w->fd, (off_t)start) == 0) {
			lseek(w->fd, (off_t)start, SEEK_SET);
			w->size = start;
		}
		return rc;
	}
	w->n_fetches++;
	return 0;
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
