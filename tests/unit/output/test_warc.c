/* test_warc.c — WARC/1.1 record structure, digests against known values,
 * chunked heads, gzip members, rotation, write errors.  A small reader here
 * parses what the writer wrote; tests/warc_warcio.sh checks the same files
 * with a real third-party reader. */
#include "config.h"

#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "gather/error.h"
#include "gather/options.h"
#include "gather/result.h"
#include "output/warc.h"
#include "ckmain.h"

#define MAX_RECS 16

struct rec {
	char hdr[2048];
	char *block;
	size_t block_len;
};

struct warcfile {
	struct rec r[MAX_RECS];
	size_t n;
	size_t members; /* gzip members, for .gz */
};

static char tmpdir[256];

static void setup(void)
{
	snprintf(tmpdir, sizeof tmpdir, "/tmp/test_warc.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void teardown(void)
{
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
}

static char *path_in(const char *name)
{
	static char p[512];
	snprintf(p, sizeof p, "%s/%s", tmpdir, name);
	return p;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "open %s", path);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *p = malloc((size_t)n + 1);
	ck_assert_int_eq(fread(p, 1, (size_t)n, f), (size_t)n);
	p[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return p;
}

/* Inflate a file of concatenated gzip members; counts the members. */
static char *gunzip_members(const char *in, size_t in_len, size_t *out_len, size_t *members)
{
	size_t cap = in_len * 20 + 4096, o = 0, i = 0;
	char *out = malloc(cap);
	*members = 0;
	while (i < in_len) {
		z_stream z;
		memset(&z, 0, sizeof z);
		ck_assert_int_eq(inflateInit2(&z, 31), Z_OK);
		z.next_in = (Bytef *)in + i;
		z.avail_in = (uInt)(in_len - i);
		z.next_out = (Bytef *)out + o;
		z.avail_out = (uInt)(cap - o);
		int rc = inflate(&z, Z_FINISH);
		ck_assert_msg(rc == Z_STREAM_END, "gzip member %zu: %d", *members, rc);
		i += z.total_in;
		o += z.total_out;
		inflateEnd(&z);
		(*members)++;
	}
	*out_len = o;
	return out;
}

/* Parse a whole WARC file into f; fails the test on any framing error. */
static void parse_warc(const char *path, struct warcfile *f)
{
	size_t len;
	char *p = slurp(path, &len);
	memset(f, 0, sizeof *f);
	if (len >= 2 && (unsigned char)p[0] == 0x1f && (unsigned char)p[1] == 0x8b) {
		size_t ul;
		char *u = gunzip_members(p, len, &ul, &f->members);
		free(p);
		p = u;
		len = ul;
	}
	size_t i = 0;
	while (i < len) {
		ck_assert_msg(f->n < MAX_RECS, "too many records");
		struct rec *r = &f->r[f->n++];
		ck_assert_msg(strncmp(p + i, "WARC/1.1\r\n", 10) == 0, "record %zu: no version line", f->n);
		char *end = strstr(p + i, "\r\n\r\n");
		ck_assert_ptr_nonnull(end);
		size_t hl = (size_t)(end - (p + i)) + 4;
		ck_assert_uint_lt(hl, sizeof r->hdr);
		memcpy(r->hdr, p + i, hl);
		r->hdr[hl] = '\0';
		char *cl = strstr(r->hdr, "\r\nContent-Length: ");
		ck_assert_ptr_nonnull(cl);
		r->block_len = strtoull(cl + 18, NULL, 10);
		i += hl;
		ck_assert_uint_le(i + r->block_len + 4, len);
		r->block = malloc(r->block_len + 1);
		memcpy(r->block, p + i, r->block_len);
		r->block[r->block_len] = '\0';
		i += r->block_len;
		ck_assert_msg(memcmp(p + i, "\r\n\r\n", 4) == 0, "record %zu: no trailer", f->n);
		i += 4;
	}
	free(p);
}

static void free_warc(struct warcfile *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->r[i].block);
}

/* Value of WARC header field name in r ("" if absent), copied to buf. */
static const char *field(const struct rec *r, const char *name, char *buf, size_t n)
{
	char key[128];
	snprintf(key, sizeof key, "\r\n%s: ", name);
	const char *s = strstr(r->hdr, key);
	buf[0] = '\0';
	if (!s)
		return buf;
	s += strlen(key);
	size_t l = strcspn(s, "\r");
	snprintf(buf, n, "%.*s", (int)l, s);
	return buf;
}

/* Digests in every record match the block (and the payload after the HTTP
 * head, for request/response). */
static void check_digests(const struct warcfile *f)
{
	char want[38], got[128];
	for (size_t i = 0; i < f->n; i++) {
		const struct rec *r = &f->r[i];
		gather_warc_sha1_label(r->block, r->block_len, want);
		ck_assert_str_eq(field(r, "WARC-Block-Digest", got, sizeof got), want);
		field(r, "WARC-Payload-Digest", got, sizeof got);
		if (got[0]) {
			const char *body = strstr(r->block, "\r\n\r\n");
			ck_assert_ptr_nonnull(body);
			body += 4;
			gather_warc_sha1_label(body, r->block_len - (size_t)(body - r->block), want);
			ck_assert_str_eq(got, want);
		}
	}
}

static void buf_set(struct gather_buf *b, const char *s, size_t n)
{
	b->data = malloc(n ? n : 1);
	memcpy(b->data, s, n);
	b->len = n;
}

static struct gather_result *fake(const char *url, const char *head, const char *body, size_t blen)
{
	struct gather_result *r = gather_result_new();
	r->url = strdup(url);
	r->final_url = strdup(url);
	r->status = 200;
	r->start_unix_ms = 1700000000123ull;
	snprintf(r->ip, sizeof r->ip, "127.0.0.1");
	const char *req = "GET / HTTP/1.1\r\nHost: h\r\n\r\n";
	buf_set(&r->req_head, req, strlen(req));
	buf_set(&r->resp_head, head, strlen(head));
	buf_set(&r->raw_body, body, blen);
	return r;
}

START_TEST(test_digest_known_values)
{
	char out[38];
	gather_warc_sha1_label("", 0, out);
	ck_assert_str_eq(out, "sha1:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ");
	gather_warc_sha1_label("hello", 5, out);
	ck_assert_str_eq(out, "sha1:VL2MMHO4YXUKFWV63YHTWSBM3GXKSQ2N");
}
END_TEST

START_TEST(test_file_names)
{
	static const struct {
		const char *in;
		unsigned n;
		const char *out;
	} t[] = {
		{ "a.warc.gz", 0, "a.warc.gz" },
		{ "a.warc.gz", 1, "a-00001.warc.gz" },
		{ "/x/crawl.warc", 12, "/x/crawl-00012.warc" },
		{ "out.bin", 3, "out.bin-00003" },
		{ ".warc", 2, ".warc-00002" },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		char *s = gather_warc_file_name(t[i].in, t[i].n);
		ck_assert_str_eq(s, t[i].out);
		free(s);
	}
}
END_TEST

START_TEST(test_plain_structure)
{
	struct gather_opts o;
	char err[256] = "", got[256], got2[256];
	gather_opts_init(&o, GATHER_CMD_CRAWL);
	gather_strv_push(&o.headers, "Authorization: Bearer secret");
	gather_strv_push(&o.headers, "X-Ok: fine");
	struct gather_warc *w = gather_warc_open(path_in("a.warc"), 0, &o, 0, err, sizeof err);
	ck_assert_msg(w != NULL, "%s", err);

	struct gather_result *r = fake("http://h/x?y=1",
		"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", "hello", 5);
	ck_assert_int_eq(gather_warc_write(w, r, err, sizeof err), 0);
	gather_result_free(r);
	/* no response: nothing written */
	r = gather_result_new();
	r->url = strdup("http://nx.invalid/");
	gather_result_fail(r, GATHER_E_DNS, NULL);
	ck_assert_int_eq(gather_warc_write(w, r, err, sizeof err), 0);
	gather_result_free(r);
	ck_assert_int_eq(gather_warc_close(w, err, sizeof err), 0);

	struct warcfile f;
	parse_warc(path_in("a.warc"), &f);
	ck_assert_uint_eq(f.n, 3);
	ck_assert_str_eq(field(&f.r[0], "WARC-Type", got, sizeof got), "warcinfo");
	ck_assert_str_eq(field(&f.r[0], "Content-Type", got, sizeof got), "application/warc-fields");
	ck_assert_str_eq(field(&f.r[0], "WARC-Filename", got, sizeof got), "a.warc");
	ck_assert_ptr_nonnull(strstr(f.r[0].block, "software: gather/" VERSION "\r\n"));
	ck_assert_ptr_nonnull(strstr(f.r[0].block, "format: WARC File Format 1.1\r\n"));
	ck_assert_ptr_nonnull(strstr(f.r[0].block, "\r\ndepth: "));
	ck_assert_ptr_nonnull(strstr(f.r[0].block, "\r\nheader: Authorization: (redacted)\r\n"));
	ck_assert_ptr_null(strstr(f.r[0].block, "secret"));
	ck_assert_ptr_nonnull(strstr(f.r[0].block, "X-Ok: fine\r\n"));

	ck_assert_str_eq(field(&f.r[1], "WARC-Type", got, sizeof got), "request");
	ck_assert_str_eq(field(&f.r[1], "Content-Type", got, sizeof got), "application/http;msgtype=request");
	ck_assert_str_eq(f.r[1].block, "GET / HTTP/1.1\r\nHost: h\r\n\r\n");
	ck_assert_str_eq(field(&f.r[2], "WARC-Type", got, sizeof got), "response");
	ck_assert_str_eq(field(&f.r[2], "Content-Type", got, sizeof got), "application/http;msgtype=response");
	ck_assert_str_eq(field(&f.r[1], "WARC-Concurrent-To", got, sizeof got),
	                 field(&f.r[2], "WARC-Record-ID", got2, sizeof got2));
	ck_assert_str_ne(field(&f.r[0], "WARC-Record-ID", got, sizeof got), got2);
	/* random v4 UUIDs */
	ck_assert_uint_eq(strlen(got2), 47);
	ck_assert(strncmp(got2, "<urn:uuid:", 10) == 0 && got2[24] == '4');
	ck_assert(strchr("89ab", got2[29]) != NULL);
	for (int i = 1; i <= 2; i++) {
		ck_assert_str_eq(field(&f.r[i], "WARC-Target-URI", got, sizeof got), "http://h/x?y=1");
		ck_assert_str_eq(field(&f.r[i], "WARC-IP-Address", got, sizeof got), "127.0.0.1");
		ck_assert_str_eq(field(&f.r[i], "WARC-Date", got, sizeof got), "2023-11-14T22:13:20.123Z");
	}
	ck_assert_str_eq(f.r[2].block, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello");
	ck_assert_str_eq(field(&f.r[2], "WARC-Block-Digest", got, sizeof got),
	                 "sha1:EIXNIFVWRF6HI2HGZIS7J43FJMLM4H6K");
	ck_assert_str_eq(field(&f.r[2], "WARC-Payload-Digest", got, sizeof got),
	                 "sha1:VL2MMHO4YXUKFWV63YHTWSBM3GXKSQ2N");
	ck_assert_str_eq(field(&f.r[1], "WARC-Payload-Digest", got, sizeof got),
	                 "sha1:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ");
	check_digests(&f);
	free_warc(&f);
	gather_opts_free(&o);
}
END_TEST

/* A chunked origin: the stored head drops Transfer-Encoding and says how
 * long the (de-chunked) body is; a binary body with NULs and CRLFs survives. */
START_TEST(test_chunked_binary)
{
	char err[256], got[256];
	struct gather_warc *w = gather_warc_open(path_in("c.warc"), 0, NULL, 0, err, sizeof err);
	ck_assert_msg(w != NULL, "%s", err);
	char body[300];
	for (size_t i = 0; i < sizeof body; i++)
		body[i] = (char)(i * 7);
	memcpy(body + 10, "\r\n\r\nWARC/1.1\r\n", 14);
	struct gather_result *r = fake("http://h/bin",
		"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
		"Transfer-Encoding: chunked\r\nX-After: 1\r\n\r\n", body, sizeof body);
	ck_assert_int_eq(gather_warc_write(w, r, err, sizeof err), 0);
	gather_result_free(r);
	ck_assert_int_eq(gather_warc_close(w, err, sizeof err), 0);

	struct warcfile f;
	parse_warc(path_in("c.warc"), &f);
	ck_assert_uint_eq(f.n, 3);
	const char *want_head = "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
	                        "X-After: 1\r\nContent-Length: 300\r\n\r\n";
	ck_assert_uint_eq(f.r[2].block_len, strlen(want_head) + sizeof body);
	ck_assert(memcmp(f.r[2].block, want_head, strlen(want_head)) == 0);
	ck_assert(memcmp(f.r[2].block + strlen(want_head), body, sizeof body) == 0);
	ck_assert_str_eq(field(&f.r[2], "WARC-Truncated", got, sizeof got), "");
	check_digests(&f);
	free_warc(&f);
}
END_TEST

START_TEST(test_gz_members_and_rotation)
{
	char err[256], got[256];
	struct gather_opts o;
	gather_opts_init(&o, GATHER_CMD_GET);
	o.data = strdup("a=1&b=2");
	/* rotate after each fetch: every record pair is bigger than 300 bytes */
	struct gather_warc *w = gather_warc_open(path_in("r.warc.gz"), 300, &o, 0, err, sizeof err);
	ck_assert_msg(w != NULL, "%s", err);
	for (int i = 0; i < 3; i++) {
		char url[64];
		snprintf(url, sizeof url, "http://h/%d", i);
		struct gather_result *r = fake(url, "HTTP/1.1 200 OK\r\n\r\n", "body body body", 14);
		free(r->req_head.data);
		const char *q = "POST / HTTP/1.1\r\nContent-Length: 7\r\n\r\n";
		buf_set(&r->req_head, q, strlen(q));
		if (i == 2)
			r->err = GATHER_E_TOO_LARGE;
		ck_assert_int_eq(gather_warc_write(w, r, err, sizeof err), 0);
		gather_result_free(r);
	}
	ck_assert_int_eq(gather_warc_close(w, err, sizeof err), 0);

	for (unsigned n = 0; n < 3; n++) {
		char *name = gather_warc_file_name(path_in("r.warc.gz"), n);
		struct warcfile f;
		parse_warc(name, &f);
		ck_assert_uint_eq(f.n, 3);
		ck_assert_uint_eq(f.members, 3); /* one gzip member per record */
		ck_assert_str_eq(field(&f.r[0], "WARC-Type", got, sizeof got), "warcinfo");
		ck_assert_str_eq(field(&f.r[0], "WARC-Filename", got, sizeof got), strrchr(name, '/') + 1);
		ck_assert_str_eq(f.r[1].block, "POST / HTTP/1.1\r\nContent-Length: 7\r\n\r\na=1&b=2");
		ck_assert_str_eq(field(&f.r[2], "WARC-Truncated", got, sizeof got), n == 2 ? "length" : "");
		check_digests(&f);
		free_warc(&f);
		free(name);
	}
	char *name = gather_warc_file_name(path_in("r.warc.gz"), 3);
	ck_assert_int_ne(access(name, F_OK), 0);
	free(name);
	gather_opts_free(&o);
}
END_TEST

/* Without rotation every record goes into one file; a big limit too. */
START_TEST(test_no_rotation_under_limit)
{
	char err[256];
	struct gather_warc *w = gather_warc_open(path_in("n.warc.gz"), 1 << 20, NULL, 0, err, sizeof err);
	ck_assert_ptr_nonnull(w);
	for (int i = 0; i < 4; i++) {
		struct gather_result *r = fake("http://h/", "HTTP/1.0 200 OK\r\n\r\n", "x", 1);
		ck_assert_int_eq(gather_warc_write(w, r, err, sizeof err), 0);
		gather_result_free(r);
	}
	ck_assert_int_eq(gather_warc_close(w, err, sizeof err), 0);
	struct warcfile f;
	parse_warc(path_in("n.warc.gz"), &f);
	ck_assert_uint_eq(f.n, 9);
	ck_assert_uint_eq(f.members, 9);
	free_warc(&f);
	char *name = gather_warc_file_name(path_in("n.warc.gz"), 1);
	ck_assert_int_ne(access(name, F_OK), 0);
	free(name);
}
END_TEST

/* Hostile header values cannot break the record framing. */
START_TEST(test_hostile_target)
{
	char err[256], got[256];
	struct gather_warc *w = gather_warc_open(path_in("h.warc"), 0, NULL, 0, err, sizeof err);
	struct gather_result *r = fake("http://h/a b\r\nWARC-Type: evil\xff", "HTTP/1.1 200 OK", "", 0);
	snprintf(r->ip, sizeof r->ip, "1.2.3.4\r\nX: y");
	ck_assert_int_eq(gather_warc_write(w, r, err, sizeof err), 0);
	gather_result_free(r);
	ck_assert_int_eq(gather_warc_close(w, err, sizeof err), 0);
	struct warcfile f;
	parse_warc(path_in("h.warc"), &f);
	ck_assert_uint_eq(f.n, 3);
	ck_assert_str_eq(field(&f.r[2], "WARC-Target-URI", got, sizeof got),
	                 "http://h/a%20b%0D%0AWARC-Type:%20evil%FF");
	ck_assert_str_eq(field(&f.r[2], "WARC-Type", got, sizeof got), "response");
	ck_assert_str_eq(field(&f.r[2], "WARC-IP-Address", got, sizeof got), "");
	/* a head without its blank line gets one */
	ck_assert_str_eq(f.r[2].block, "HTTP/1.1 200 OK\r\n\r\n");
	check_digests(&f);
	free_warc(&f);
}
END_TEST

/* A record that does not fit (file size limit: EFBIG, like a full disk) is
 * cut back off: the file still ends after a whole record, and writing goes
 * on when space allows. */
START_TEST(test_failed_write_cut_back)
{
	char err[256] = "", big[3000];
	struct stat st;
	struct gather_warc *w = gather_warc_open(path_in("f.warc"), 0, NULL, 0, err, sizeof err);
	ck_assert_ptr_nonnull(w);
	ck_assert_int_eq(stat(path_in("f.warc"), &st), 0);
	off_t info_size = st.st_size;

	signal(SIGXFSZ, SIG_IGN); /* this forked test only */
	struct rlimit rl;
	ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &rl), 0);
	rlim_t unlimited = rl.rlim_cur;
	memset(big, 'b', sizeof big);
	/* the request record itself does not fit; then only the response.
	 * (No ck_assert while limited: Check's own result file obeys it.) */
	int rcs[2];
	off_t sizes[2];
	char errs[2][256];
	for (int k = 0; k < 2; k++) {
		rl.rlim_cur = (rlim_t)info_size + (k ? 1500 : 100);
		setrlimit(RLIMIT_FSIZE, &rl);
		struct gather_result *r = fake("http://h/big", "HTTP/1.1 200 OK\r\n\r\n", big, sizeof big);
		rcs[k] = gather_warc_write(w, r, errs[k], sizeof errs[k]);
		gather_result_free(r);
		sizes[k] = stat(path_in("f.warc"), &st) == 0 ? st.st_size : -1;
		rl.rlim_cur = unlimited;
		setrlimit(RLIMIT_FSIZE, &rl);
	}
	for (int k = 0; k < 2; k++) {
		ck_assert_int_eq(rcs[k], GATHER_E_IO);
		ck_assert_ptr_nonnull(strstr(errs[k], "f.warc"));
		ck_assert_int_eq(sizes[k], info_size);
	}

	struct gather_result *r;
	r = fake("http://h/small", "HTTP/1.1 200 OK\r\n\r\n", "s", 1);
	ck_assert_int_eq(gather_warc_write(w, r, err, sizeof err), 0);
	gather_result_free(r);
	ck_assert_int_eq(gather_warc_close(w, err, sizeof err), 0);

	struct warcfile f;
	parse_warc(path_in("f.warc"), &f);
	ck_assert_uint_eq(f.n, 3);
	ck_assert_str_eq(field(&f.r[2], "WARC-Target-URI", err, sizeof err), "http://h/small");
	check_digests(&f);
	free_warc(&f);
}
END_TEST

START_TEST(test_open_errors)
{
	char err[256] = "";
	ck_assert_ptr_null(gather_warc_open("/nonexistent-dir/x.warc", 0, NULL, 0, err, sizeof err));
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent-dir/x.warc"));
	/* the warcinfo write fails on a full disk */
	if (access("/dev/full", W_OK) == 0) {
		err[0] = '\0';
		ck_assert_ptr_null(gather_warc_open("/dev/full", 0, NULL, 0, err, sizeof err));
		ck_assert_ptr_nonnull(strstr(err, "/dev/full"));
	}
}
END_TEST

/* gzip of s (for a Content-Encoding: gzip body). */
static size_t gzip_of(const char *s, char *out, size_t cap)
{
	z_stream z;
	memset(&z, 0, sizeof z);
	ck_assert_int_eq(deflateInit2(&z, 9, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY), Z_OK);
	z.next_in = (Bytef *)s;
	z.avail_in = (uInt)strlen(s);
	z.next_out = (Bytef *)out;
	z.avail_out = (uInt)cap;
	ck_assert_int_eq(deflate(&z, Z_FINISH), Z_STREAM_END);
	size_t n = z.total_out;
	deflateEnd(&z);
	return n;
}

/* The fetches the sample files hold: a page, a chunked binary body, a
 * gzip-encoded page, a POST, a truncated body. */
static void write_samples(struct gather_warc *w)
{
	char err[256], bin[300], gz[128];
	struct gather_result *r;

	r = fake("http://127.0.0.1:8080/page", "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
	         "Content-Length: 20\r\n\r\n", "<p>hello warcio</p>\n", 20);
	ck_assert_int_eq(gather_warc_write(w, r, err, sizeof err), 0);
	gather_result_free(r);

	for (size_t i = 0; i < sizeof bin; i++)
		bin[i] = (char)(i * 13 + 1);
	memcpy(bin + 20, "\r\n0\r\n\r\n", 7);
	r = fake("http://127.0.0.1:8080/chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
	         "Content-Type: application/octet-stream\r\n\r\n", bin, sizeof bin);
	ck_assert_int_eq(gather_warc_write(w, r, err, sizeof err), 0);
	gather_result_free(r);

	size_t gl = gzip_of("hello gzip world", gz, sizeof gz);
	r = fake("http://127.0.0.1:8080/gz", "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n"
	         "Transfer-Encoding: chunked\r\n\r\n", gz, gl);
	ck_assert_int_eq(gather_warc_write(w, r, err, sizeof err), 0);
	gather_result_free(r);

	r = fake("http://127.0.0.1:8080/post", "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\n", "ok", 2);
	free(r->req_head.data);
	const char *q = "POST /post HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nContent-Length: 7\r\n\r\n";
	buf_set(&r->req_head, q, strlen(q));
	ck_assert_int_eq(gather_warc_write(w, r, err, sizeof err), 0);
	gather_result_free(r);

	r = fake("http://127.0.0.1:8080/big", "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n", "part", 4);
	r->err = GATHER_E_TOO_LARGE;
	ck_assert_int_eq(gather_warc_write(w, r, err, sizeof err), 0);
	gather_result_free(r);
}

/* test_warc --samples DIR: write the sample WARCs tests/warc_warcio.sh
 * reads with warcio (plain, .gz, rotated .gz). */
static int samples(const char *dir)
{
	static const struct {
		const char *name;
		uint64_t max;
	} files[] = { { "plain.warc", 0 }, { "sample.warc.gz", 0 }, { "rot.warc.gz", 700 },
	              { "rot.warc", 1500 } };
	struct gather_opts o;
	char err[256], path[512];

	gather_opts_init(&o, GATHER_CMD_CRAWL);
	o.data = strdup("a=1&b=2");
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, files[i].name);
		struct gather_warc *w = gather_warc_open(path, files[i].max, &o, GATHER_CMD_CRAWL,
		                                         err, sizeof err);
		if (!w) {
			fprintf(stderr, "%s\n", err);
			return 1;
		}
		write_samples(w);
		if (gather_warc_close(w, err, sizeof err) < 0) {
			fprintf(stderr, "%s\n", err);
			return 1;
		}
	}
	gather_opts_free(&o);
	return 0;
}

static const char *samples_dir;

START_TEST(test_samples)
{
	ck_assert_int_eq(samples(samples_dir), 0);
}
END_TEST

int main(int argc, char **argv)
{
	Suite *s = suite_create("warc");
	TCase *tc = tcase_create("core");
	if (argc == 3 && strcmp(argv[1], "--samples") == 0) {
		samples_dir = argv[2];
		tcase_add_test(tc, test_samples);
		suite_add_tcase(s, tc);
		SRunner *sr = srunner_create(s);
		srunner_run_all(sr, CK_SILENT);
		int failed = srunner_ntests_failed(sr);
		srunner_free(sr);
		return failed ? EXIT_FAILURE : EXIT_SUCCESS;
	}
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_digest_known_values);
	tcase_add_test(tc, test_file_names);
	tcase_add_test(tc, test_plain_structure);
	tcase_add_test(tc, test_chunked_binary);
	tcase_add_test(tc, test_gz_members_and_rotation);
	tcase_add_test(tc, test_no_rotation_under_limit);
	tcase_add_test(tc, test_hostile_target);
	tcase_add_test(tc, test_failed_write_cut_back);
	tcase_add_test(tc, test_open_errors);
	suite_add_tcase(s, tc);
	return ckmain_run(s);
}
