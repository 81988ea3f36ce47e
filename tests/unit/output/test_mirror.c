/* test_mirror.c — the mirror layout, every hostile name we know of (encoded
 * dot segments, slashes, backslashes, NUL, over-long names and paths), a
 * symlink planted inside DIR, file/directory collisions, atomic replacement,
 * and the flat -o names.  Nothing may ever be written outside DIR. */
#include "config.h"

#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gather/error.h"
#include "output/mirror.h"
#include "gather/result.h"
#include "ckmain.h"

static char top[256], mdir[300], outside[300];

static void setup(void)
{
	snprintf(top, sizeof top, "/tmp/test_mirror.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(top));
	snprintf(mdir, sizeof mdir, "%s/m", top);
	snprintf(outside, sizeof outside, "%s/outside", top);
	ck_assert_int_eq(mkdir(outside, 0755), 0);
}

static void teardown(void)
{
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", top);
	ck_assert_int_eq(system(cmd), 0);
}

static struct gather_result *page(const char *url, int status, const char *body)
{
	struct gather_result *r = gather_result_new();
	r->url = strdup(url);
	r->final_url = strdup(url);
	r->status = status;
	r->body.len = strlen(body);
	r->body.data = malloc(r->body.len + 1);
	memcpy(r->body.data, body, r->body.len + 1);
	return r;
}

static int save(struct gather_mirror *m, const char *url, const char *body, char *err, size_t n)
{
	struct gather_result *r = page(url, 200, body);
	int rc = gather_mirror_save(m, r, err, n);
	gather_result_free(r);
	return rc;
}

static char *read_file(const char *dir, const char *rel)
{
	static char buf[4096];
	char path[1024];
	snprintf(path, sizeof path, "%s/%s", dir, rel);
	int fd = open(path, O_RDONLY | O_NOFOLLOW);
	if (fd < 0)
		return NULL;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	buf[n < 0 ? 0 : n] = '\0';
	return buf;
}

/* Entries in a directory (recursively), "." and ".." not counted. */
static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	int n = 0;
	struct dirent *e;
	if (!d)
		return -1;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		n++;
		if (e->d_type == DT_DIR) {
			char sub[1024];
			snprintf(sub, sizeof sub, "%s/%s", dir, e->d_name);
			n += count_entries(sub);
		}
	}
	closedir(d);
	return n;
}

/* No temporary file left anywhere below dir. */
static void assert_no_tmp(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d))) {
		ck_assert_msg(strncmp(e->d_name, ".gather-tmp-", 12) != 0, "left %s", e->d_name);
		if (e->d_type == DT_DIR && strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			char sub[1024];
			snprintf(sub, sizeof sub, "%s/%s", dir, e->d_name);
			assert_no_tmp(sub);
		}
	}
	closedir(d);
}

/* What every name must satisfy, whatever the URL. */
static void assert_safe_path(const char *url, const char *p)
{
	ck_assert_msg(p[0] != '/' && p[0] != '\0', "%s -> absolute/empty %s", url, p);
	size_t comps = 0;
	for (const char *c = p;;) {
		size_t n = strcspn(c, "/");
		ck_assert_msg(n > 0, "%s -> empty component in %s", url, p);
		ck_assert_msg(n <= GATHER_MIRROR_MAX_NAME, "%s -> long component in %s", url, p);
		ck_assert_msg(!(n == 1 && c[0] == '.') && !(n == 2 && c[0] == '.' && c[1] == '.'),
		              "%s -> dot component in %s", url, p);
		comps++;
		if (!c[n])
			break;
		c += n + 1;
	}
	ck_assert_uint_le(comps, GATHER_MIRROR_MAX_DEPTH);
	ck_assert_uint_le(strlen(p), GATHER_MIRROR_MAX_PATH);
	for (const unsigned char *q = (const unsigned char *)p; *q; q++)
		ck_assert_msg(*q >= 0x20 && *q != 0x7f && *q != '\\', "%s -> bad byte in %s", url, p);
}

START_TEST(test_layout_table)
{
	static const struct {
		const char *url, *path;
	} t[] = {
		{ "http://Host:8080/a/b/", "host:8080/a/b/index.html" },
		{ "http://h", "h/index.html" },
		{ "http://h/", "h/index.html" },
		{ "https://h:443/x", "h/x" },
		{ "http://h:80/x", "h/x" },
		{ "http://h:443/x", "h:443/x" },
		{ "http://h/p.php?x=1&y=/z", "h/p.php@x=1&y=%2Fz" },
		{ "http://h/?q", "h/index.html@q" },
		{ "http://h/d/?a=b@c", "h/d/index.html@a=b@c" },
		{ "http://h/a@b", "h/a%40b" },
		{ "http://h/x#frag", "h/x" },
		{ "http://h/a//b", "h/a/b" },
		{ "http://user:pw@h/x", "h/x" },
		{ "http://[::1]:8080/x", "[::1]:8080/x" },
		{ "http://h/caf%C3%A9 x", "h/caf\xc3\xa9 x" },
		/* hostile */
		{ "http://h/a%2fb/%2e%2e/c", "h/a%2Fb/%2E%2E/c" },
		{ "http://h/%2E%2e/%2e%2E/etc/passwd", "h/%2E%2E/%2E%2E/etc/passwd" },
		{ "http://h/.%2e/x", "h/%2E%2E/x" },
		{ "http://h/%2e./x", "h/%2E%2E/x" },
		{ "http://h/../../x", "h/%2E%2E/%2E%2E/x" },
		{ "http://h/./x", "h/%2E/x" },
		{ "http://h/x/..", "h/x/%2E%2E" },
		{ "http://h/%2e%2e", "h/%2E%2E" },
		{ "http://h/..%2f..%2fetc", "h/..%2F..%2Fetc" },
		{ "http://h/..%5c..%5cetc", "h/..%5C..%5Cetc" },
		{ "http://h/a%5cb\\c", "h/a%5Cb%5Cc" },
		{ "http://h/..\\..\\x", "h/..%5C..%5Cx" },
		{ "http://h/a%00b", "h/a%00b" },
		{ "http://h/a%0d%0ab%09", "h/a%0D%0Ab%09" },
		{ "http://h/100%", "h/100%25" },
		{ "http://h/%zz%2", "h/%25zz%252" },
		{ "http://h/%252e%252e", "h/%252e%252e" },
		{ "http://../x", "%2E%2E/x" },
		{ "http://./x", "%2E/x" },
		{ "http://%2e%2e/x", "%2E%2E/x" },
		{ "http:///x", "_nohost/x" },
		{ "http://h%2f..%2f/x", "h%2F..%2F/x" },
		{ "http://h/x?../../etc", "h/x@..%2F..%2Fetc" },
		{ "http://h/x?%00", "h/x@%00" },
		{ "http://h/a%40b?c", "h/a%40b@c" },
		{ "http://h/a%file", "h/a%25file" },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		char *p = gather_mirror_path(t[i].url);
		ck_assert_ptr_nonnull(p);
		ck_assert_msg(strcmp(p, t[i].path) == 0, "%s -> %s, want %s", t[i].url, p, t[i].path);
		assert_safe_path(t[i].url, p);
		free(p);
	}
}
END_TEST

START_TEST(test_long_names)
{
	char url[8192], *p;

	/* one over-long component: prefix + "~" + 32 hex */
	snprintf(url, sizeof url, "http://h/%0300d", 0);
	p = gather_mirror_path(url);
	ck_assert_uint_eq(strlen(p), 2 + 150 + 1 + 32);
	ck_assert(strncmp(p, "h/0000", 6) == 0 && p[2 + 150] == '~');
	assert_safe_path(url, p);
	/* two different long names stay different */
	url[strlen(url) - 1] = '1';
	char *p2 = gather_mirror_path(url);
	ck_assert_str_ne(p, p2);
	free(p);
	free(p2);

	/* the cut never splits a %XX escape */
	strcpy(url, "http://h/");
	for (int i = 0; i < 100; i++)
		strcat(url, "%00");
	p = gather_mirror_path(url);
	assert_safe_path(url, p);
	ck_assert_uint_eq(strlen(p), 2 + 150 + 1 + 32); /* 150 is a multiple of 3 */
	ck_assert(strstr(p, "%00~") != NULL);
	free(p);

	/* too deep: host/_long/<sha256> */
	strcpy(url, "http://h/");
	for (int i = 0; i < 100; i++)
		strcat(url, "a/");
	p = gather_mirror_path(url);
	ck_assert_uint_eq(strlen(p), 2 + 6 + 64);
	ck_assert(strncmp(p, "h/_long/", 8) == 0);
	free(p);

	/* too long overall */
	strcpy(url, "http://h");
	for (int i = 0; i < 10; i++) {
		strcat(url, "/");
		size_t l = strlen(url);
		memset(url + l, 'x', 190);
		url[l + 190] = '\0';
	}
	p = gather_mirror_path(url);
	ck_assert(strncmp(p, "h/_long/", 8) == 0);
	free(p);

	/* not a URL at all */
	p = gather_mirror_path("../../etc/passwd");
	ck_assert(strncmp(p, "_nohost/_long/", 14) == 0);
	assert_safe_path("../../etc/passwd", p);
	free(p);
}
END_TEST

/* Random URLs made of dangerous pieces: every name is safe, and saving them
 * all writes nothing outside DIR. */
START_TEST(test_fuzz_hostile)
{
	static const char *const pieces[] = {
		"%2e", "%2E", ".", "..", "/", "\\", "%2f", "%2F", "%5c", "%00", "%0a", "a",
		"?", "#", "@", "%", ":", "%25", "%2e%2e", "~", "index.html", "//", "\xff",
	};
	char err[512];
	struct gather_mirror *m = gather_mirror_open(mdir, false, err, sizeof err);
	ck_assert_msg(m != NULL, "%s", err);
	unsigned seed = 12345;
	for (int i = 0; i < 1500; i++) {
		char url[512] = "http://";
		int n = 1 + (int)(rand_r(&seed) % 12);
		if (rand_r(&seed) % 3 == 0)
			strcat(url, "h/");
		for (int k = 0; k < n; k++)
			strcat(url, pieces[rand_r(&seed) % (sizeof pieces / sizeof pieces[0])]);
		char *p = gather_mirror_path(url);
		ck_assert_ptr_nonnull(p);
		assert_safe_path(url, p);
		free(p);
		if (i % 3 == 0) { /* saving is slower: a third of them */
			int rc = save(m, url, "x", err, sizeof err);
			ck_assert_msg(rc == 1, "%s: %d %s", url, rc, err);
		}
	}
	ck_assert_int_eq(gather_mirror_close(m, err, sizeof err), 0);
	ck_assert_int_eq(count_entries(outside), 0);
	/* top holds only m and outside */
	ck_assert_int_eq(count_entries(top), 2 + count_entries(mdir));
	assert_no_tmp(mdir);
}
END_TEST

START_TEST(test_save_and_skip)
{
	char err[512];
	struct gather_mirror *m = gather_mirror_open(mdir, false, err, sizeof err);
	ck_assert_msg(m != NULL, "%s", err);
	ck_assert_int_eq(save(m, "http://h/a/b.html", "<p>b</p>", err, sizeof err), 1);
	ck_assert_int_eq(save(m, "http://h/a/", "dir page", err, sizeof err), 1);
	ck_assert_int_eq(save(m, "http://h/a/b.html?x=1", "with query", err, sizeof err), 1);
	ck_assert_str_eq(read_file(mdir, "h/a/b.html"), "<p>b</p>");
	ck_assert_str_eq(read_file(mdir, "h/a/index.html"), "dir page");
	ck_assert_str_eq(read_file(mdir, "h/a/b.html@x=1"), "with query");

	/* only successes are saved */
	struct gather_result *r = page("http://h/404", 404, "not found");
	ck_assert_int_eq(gather_mirror_save(m, r, err, sizeof err), 0);
	gather_result_free(r);
	r = page("http://h/err", 200, "partial");
	r->err = GATHER_E_TOO_LARGE;
	ck_assert_int_eq(gather_mirror_save(m, r, err, sizeof err), 0);
	gather_result_free(r);
	ck_assert_ptr_null(read_file(mdir, "h/404"));
	ck_assert_ptr_null(read_file(mdir, "h/err"));

	/* the final URL names the file */
	r = page("http://h/old", 200, "moved here");
	free(r->final_url);
	r->final_url = strdup("http://h/new");
	ck_assert_int_eq(gather_mirror_save(m, r, err, sizeof err), 1);
	gather_result_free(r);
	ck_assert_str_eq(read_file(mdir, "h/new"), "moved here");

	ck_assert_int_eq(gather_mirror_close(m, err, sizeof err), 0);
	assert_no_tmp(mdir);
}
END_TEST

/* A file where a directory is needed and the other way round: no data is
 * lost, the file is kept as NAME%file, whatever the order. */
START_TEST(test_collisions)
{
	char err[512];
	struct gather_mirror *m = gather_mirror_open(mdir, false, err, sizeof err);
	ck_assert_int_eq(save(m, "http://h/a", "file a", err, sizeof err), 1);
	ck_assert_int_eq(save(m, "http://h/a/b", "file a/b", err, sizeof err), 1);
	ck_assert_str_eq(read_file(mdir, "h/a%file"), "file a");
	ck_assert_str_eq(read_file(mdir, "h/a/b"), "file a/b");
	ck_assert_int_eq(save(m, "http://h/a", "file a v2", err, sizeof err), 1);
	ck_assert_str_eq(read_file(mdir, "h/a%file"), "file a v2");

	ck_assert_int_eq(save(m, "http://h/x/y", "file x/y", err, sizeof err), 1);
	ck_assert_int_eq(save(m, "http://h/x", "file x", err, sizeof err), 1);
	ck_assert_str_eq(read_file(mdir, "h/x%file"), "file x");
	ck_assert_str_eq(read_file(mdir, "h/x/y"), "file x/y");
	/* a URL cannot reach the conflict name: % is always escaped */
	ck_assert_int_eq(save(m, "http://h/x%file", "literal", err, sizeof err), 1);
	ck_assert_str_eq(read_file(mdir, "h/x%25file"), "literal");
	ck_assert_str_eq(read_file(mdir, "h/x%file"), "file x");
	ck_assert_int_eq(gather_mirror_close(m, err, sizeof err), 0);
}
END_TEST

/* CVE-2014-4877: symlinks planted inside DIR are never followed. */
START_TEST(test_symlinks)
{
	char err[512], path[600], link[600];
	struct gather_mirror *m = gather_mirror_open(mdir, false, err, sizeof err);
	ck_assert_ptr_nonnull(m);

	/* a host directory that is a symlink to outside */
	snprintf(link, sizeof link, "%s/evil", mdir);
	ck_assert_int_eq(symlink(outside, link), 0);
	ck_assert_int_eq(save(m, "http://evil/x", "pwned", err, sizeof err), GATHER_E_IO);
	ck_assert_ptr_nonnull(strstr(err, "/m/evil"));
	ck_assert_ptr_nonnull(strstr(err, "symbolic link"));

	/* a deeper directory */
	ck_assert_int_eq(save(m, "http://h/ok", "fine", err, sizeof err), 1);
	snprintf(link, sizeof link, "%s/h/d", mdir);
	ck_assert_int_eq(symlink(outside, link), 0);
	ck_assert_int_eq(save(m, "http://h/d/e/f", "pwned", err, sizeof err), GATHER_E_IO);
	ck_assert_int_eq(count_entries(outside), 0);

	/* a file name that is a symlink to a file outside: replaced, not written through */
	snprintf(path, sizeof path, "%s/target", outside);
	FILE *f = fopen(path, "w");
	fputs("orig", f);
	fclose(f);
	snprintf(link, sizeof link, "%s/h/l", mdir);
	ck_assert_int_eq(symlink(path, link), 0);
	ck_assert_int_eq(save(m, "http://h/l", "new", err, sizeof err), 1);
	ck_assert_str_eq(read_file(outside, "target"), "orig");
	struct stat st;
	ck_assert_int_eq(lstat(link, &st), 0);
	ck_assert(S_ISREG(st.st_mode));
	ck_assert_str_eq(read_file(mdir, "h/l"), "new");
	ck_assert_int_eq(count_entries(outside), 1);
	ck_assert_int_eq(gather_mirror_close(m, err, sizeof err), 0);
	assert_no_tmp(mdir);
}
END_TEST

/* A file is replaced atomically: a reader holding the old file keeps the
 * old content, new opens see the whole new content, no temp file remains. */
START_TEST(test_atomic_replace)
{
	char err[512], path[600];
	struct gather_mirror *m = gather_mirror_open(mdir, false, err, sizeof err);
	ck_assert_int_eq(save(m, "http://h/p", "version 1", err, sizeof err), 1);
	snprintf(path, sizeof path, "%s/h/p", mdir);
	int fd = open(path, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	struct stat before, after;
	fstat(fd, &before);
	ck_assert_int_eq(save(m, "http://h/p", "version 2, longer", err, sizeof err), 1);
	char buf[64] = "";
	ck_assert_int_eq(read(fd, buf, sizeof buf), 9);
	ck_assert(memcmp(buf, "version 1", 9) == 0);
	close(fd);
	ck_assert_str_eq(read_file(mdir, "h/p"), "version 2, longer");
	ck_assert_int_eq(stat(path, &after), 0);
	ck_assert(before.st_ino != after.st_ino); /* a new file, renamed in */
	ck_assert_int_eq(gather_mirror_close(m, err, sizeof err), 0);
	assert_no_tmp(mdir);
}
END_TEST

START_TEST(test_flat_names)
{
	static const struct {
		const char *url, *prefix, *ext;
	} t[] = {
		{ "https://example.com/docs/page.html?q=1", "example.com_docs_page_q_1-", ".html" },
		{ "http://h/", "h-", "" },
		{ "http://h/../../etc/passwd", "h_.._.._etc_passwd-", "" },
		{ "http://h/.bashrc", "h_.bashrc-", "" },
		{ "http://h/a%2f..%2fb.tar.gz", "h_a_2f.._2fb.tar-", ".gz" },
		{ "http://h/x.verylongextension", "h_x.verylongextension-", "" },
		{ ".hidden", "_hidden-", "" },
		{ "http://h/\\..\\x\x01y", "h_.._x_y-", "" },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		char *n = gather_mirror_flat_name(t[i].url);
		size_t pl = strlen(t[i].prefix), el = strlen(t[i].ext);
		ck_assert_msg(strncmp(n, t[i].prefix, pl) == 0, "%s -> %s", t[i].url, n);
		ck_assert_uint_eq(strlen(n), pl + 12 + el);
		ck_assert_str_eq(n + pl + 12, t[i].ext);
		ck_assert(n[0] != '.');
		ck_assert_uint_eq(strspn(n, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-"),
		                  strlen(n));
		free(n);
	}
	/* different URLs, different names; long URLs are cut */
	char *a = gather_mirror_flat_name("http://h/a?x=1"), *b = gather_mirror_flat_name("http://h/a?x=2");
	ck_assert_str_ne(a, b);
	free(a);
	free(b);
	char url[600] = "http://h/";
	memset(url + 9, 'z', 500);
	url[509] = '\0';
	a = gather_mirror_flat_name(url);
	ck_assert_uint_eq(strlen(a), 100 + 1 + 12);
	free(a);

	/* saved flat, named from the URL as given */
	char err[512];
	struct gather_mirror *m = gather_mirror_open(mdir, true, err, sizeof err);
	struct gather_result *r = page("http://h/../../x.txt", 200, "flat");
	free(r->final_url);
	r->final_url = strdup("http://h/elsewhere");
	ck_assert_int_eq(gather_mirror_save(m, r, err, sizeof err), 1);
	char *n = gather_mirror_flat_name("http://h/../../x.txt");
	ck_assert_str_eq(read_file(mdir, n), "flat");
	free(n);
	gather_result_free(r);
	ck_assert_int_eq(count_entries(mdir), 1);
	ck_assert_int_eq(gather_mirror_close(m, err, sizeof err), 0);
	ck_assert_int_eq(count_entries(outside), 0);
}
END_TEST

/* CVE-2016-4971: a redirect chose wget's local file name (".bash_profile"
 * via an ftp:// target).  -o names come from the URL as given, never from
 * the redirect target; the mirror names by the final URL, but always below
 * DIR/host/. */
START_TEST(test_cve_2016_4971_redirect_names)
{
	char err[512];
	struct gather_mirror *m = gather_mirror_open(mdir, true, err, sizeof err);
	struct gather_result *r = page("http://h/file.txt", 200, "payload");
	free(r->final_url);
	r->final_url = strdup("ftp://evil/.bash_profile");
	ck_assert_int_eq(gather_mirror_save(m, r, err, sizeof err), 1);
	ck_assert_int_eq(gather_mirror_close(m, err, sizeof err), 0);
	char *n = gather_mirror_flat_name("http://h/file.txt");
	ck_assert_str_eq(read_file(mdir, n), "payload");
	ck_assert_int_eq(count_entries(mdir), 1);
	free(n);

	char tree[400];
	snprintf(tree, sizeof tree, "%s/tree", top);
	m = gather_mirror_open(tree, false, err, sizeof err);
	free(r->final_url);
	r->final_url = strdup("http://evil/../../.bash_profile");
	ck_assert_int_eq(gather_mirror_save(m, r, err, sizeof err), 1);
	ck_assert_int_eq(gather_mirror_close(m, err, sizeof err), 0);
	ck_assert_str_eq(read_file(tree, "evil/%2E%2E/%2E%2E/.bash_profile"), "payload");
	ck_assert_int_eq(count_entries(tree), 4);
	ck_assert_int_eq(count_entries(outside), 0);
	gather_result_free(r);
}
END_TEST

START_TEST(test_open_errors)
{
	char err[512], path[600];
	snprintf(path, sizeof path, "%s/file", top);
	FILE *f = fopen(path, "w");
	fclose(f);
	snprintf(path, sizeof path, "%s/file/sub", top);
	ck_assert_ptr_null(gather_mirror_open(path, false, err, sizeof err));
	ck_assert_ptr_nonnull(strstr(err, path));
	/* created with parents */
	snprintf(path, sizeof path, "%s/x/y/z", top);
	struct gather_mirror *m = gather_mirror_open(path, true, err, sizeof err);
	ck_assert_msg(m != NULL, "%s", err);
	ck_assert_int_eq(gather_mirror_close(m, err, sizeof err), 0);
	ck_assert_int_eq(access(path, W_OK), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("mirror");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_layout_table);
	tcase_add_test(tc, test_long_names);
	tcase_add_test(tc, test_fuzz_hostile);
	tcase_add_test(tc, test_save_and_skip);
	tcase_add_test(tc, test_collisions);
	tcase_add_test(tc, test_symlinks);
	tcase_add_test(tc, test_atomic_replace);
	tcase_add_test(tc, test_flat_names);
	tcase_add_test(tc, test_cve_2016_4971_redirect_names);
	tcase_add_test(tc, test_open_errors);
	suite_add_tcase(s, tc);
	return ckmain_run(s);
}
