/* test_job.c — job files: keys from the option table, defaults, include,
 * ${VAR}, and every fault reported as FILE:LINE: message. */
#include "config.h"

#include <check.h>
#include <confuse.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gather/error.h"
#include "gather/job.h"
#include "gather/options.h"
#include "util/strbuf.h"

static char tmpdir[64];

static void setup(void)
{
	snprintf(tmpdir, sizeof tmpdir, "/tmp/test_job.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void teardown(void)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
}

/* Write content to tmpdir/name (subdirectories made); returns the path in a
 * static-per-call buffer the caller copies if needed. */
static void put(const char *name, const char *content, char *path, size_t len)
{
	char dir[512];
	snprintf(path, len, "%s/%s", tmpdir, name);
	snprintf(dir, sizeof dir, "%s", path);
	for (char *s = dir + strlen(tmpdir) + 1; (s = strchr(s, '/')); s++) {
		*s = '\0';
		mkdir(dir, 0755);
		*s = '/';
	}
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(content, f);
	ck_assert_int_eq(fclose(f), 0);
}

/* Load and expect success; diagnostics, if any, fail the test. */
static void load_ok(const char *path, struct gather_jobfile *jf)
{
	struct gather_strv d = { 0 };
	int r = gather_jobfile_load(path, jf, &d);
	ck_assert_msg(r == 0, "load failed (%d): %s", r, d.n ? d.v[0] : "(no message)");
	ck_assert_uint_eq(d.n, 0);
	gather_strv_free(&d);
}

/* Load and expect failure with exactly the diagnostics want (FILE stands for
 * the file's path); returns nothing, asserts all. */
static void load_bad(const char *path, const char *const *want, size_t nwant)
{
	struct gather_jobfile jf;
	struct gather_strv d = { 0 };
	int r = gather_jobfile_load(path, &jf, &d);
	ck_assert_int_eq(r, GATHER_E_INVALID);
	ck_assert_uint_eq(jf.n, 0);
	ck_assert_ptr_null(jf.jobs);
	if (d.n != nwant)
		for (size_t i = 0; i < d.n; i++)
			fprintf(stderr, "  got: %s\n", d.v[i]);
	ck_assert_uint_eq(d.n, nwant);
	for (size_t i = 0; i < nwant; i++) {
		char exp[2048] = "";
		size_t n = 0;
		for (const char *w = want[i]; *w && n + 1 < sizeof exp;) {
			if (strncmp(w, "FILE", 4) == 0) {
				n += (size_t)snprintf(exp + n, sizeof exp - n, "%s", path);
				w += 4;
			} else {
				exp[n++] = *w++;
				exp[n] = '\0';
			}
		}
		ck_assert_str_eq(d.v[i], exp);
	}
	gather_strv_free(&d);
}

START_TEST(test_full_job)
{
	char p[512], u[512];
	struct gather_jobfile jf;
	put("urls.txt", "https://a.example/\n", u, sizeof u);
	put("site.conf",
	    "# a site crawl\n"
	    "job \"docs\" {\n"
	    "  seeds       = {\"https://docs.example.org/\", \"https://docs.example.org/b\"}\n"
	    "  urls-file   = \"urls.txt\"   # relative to this file\n"
	    "  scope       = \"prefix\"\n"
	    "  allow       = {'^https://docs\\.example\\.org/3/'}\n"
	    "  deny        = {'\\.pdf$'}\n"
	    "  depth       = 3\n"
	    "  max-pages   = 10000\n"
	    "  concurrency = 32\n"
	    "  per-host    = 4\n"
	    "  delay       = 250ms\n"
	    "  robots      = false\n"
	    "  user-agent  = \"gather/1.0 (+https://example.org/bot)\"\n"
	    "  header      = {\"Accept-Language: en\", \"X-A: b\"}\n"
	    "  timeout     = 2.5\n"
	    "  retries     = 0\n"
	    "  max-body    = \"64K\"\n"
	    "  warc-max-size = 1048576\n"
	    "  extract \"title\" { xpath = \"//title\" }\n"
	    "  extract \"h2\"    { xpath = \"//h2\" all = true }\n"
	    "  regex \"year\" { pattern = '\\d{4}' }\n"
	    "  output { jsonl = \"docs.jsonl\" warc = \"docs.warc.gz\" mirror = \"docs/\" }\n"
	    "}\n", p, sizeof p);
	load_ok(p, &jf);
	ck_assert_uint_eq(jf.n, 1);
	struct gather_job *j = &jf.jobs[0];
	ck_assert_str_eq(j->name, "docs");
	ck_assert_str_eq(j->file, p);
	ck_assert_uint_eq(j->line, 2);
	ck_assert_uint_eq(j->cmd, GATHER_CMD_CRAWL);
	ck_assert_uint_eq(j->seeds.n, 2);
	ck_assert_str_eq(j->seeds.v[1], "https://docs.example.org/b");
	ck_assert_uint_eq(j->opts.input.n, 1);
	ck_assert_str_eq(j->opts.input.v[0], u);
	ck_assert_int_eq(j->opts.scope, GATHER_SCOPE_PREFIX);
	ck_assert_str_eq(j->opts.allow.v[0], "^https://docs\\.example\\.org/3/");
	ck_assert_str_eq(j->opts.deny.v[0], "\\.pdf$");
	ck_assert_uint_eq(j->opts.depth, 3);
	ck_assert_uint_eq(j->opts.max_pages, 10000);
	ck_assert_uint_eq(j->opts.concurrency, 32);
	ck_assert_uint_eq(j->opts.per_host, 4);
	ck_assert_uint_eq(j->opts.delay_ms, 250);
	ck_assert(!j->opts.robots);
	ck_assert_str_eq(j->opts.user_agent, "gather/1.0 (+https://example.org/bot)");
	ck_assert_uint_eq(j->opts.headers.n, 2);
	ck_assert_str_eq(j->opts.headers.v[0], "Accept-Language: en");
	ck_assert_uint_eq(j->opts.timeout_ms, 2500);
	ck_assert_uint_eq(j->opts.retries, 0);
	ck_assert_uint_eq(j->opts.max_body, 65536);
	ck_assert_uint_eq(j->opts.warc_max_size, 1048576);
	ck_assert_uint_eq(j->opts.extract.n, 2);
	ck_assert_str_eq(j->opts.extract.v[0], "title=//title");
	ck_assert_str_eq(j->opts.extract.v[1], "h2[]=//h2");
	ck_assert_uint_eq(j->opts.regex.n, 1);
	ck_assert_str_eq(j->opts.regex.v[0], "year=\\d{4}");
	ck_assert_str_eq(j->opts.jsonl, "docs.jsonl"); /* relative to the cwd */
	ck_assert_str_eq(j->opts.warc, "docs.warc.gz");
	ck_assert_str_eq(j->opts.mirror, "docs/");
	/* untouched keys keep the crawl defaults */
	ck_assert_uint_eq(j->opts.connect_timeout_ms, 10000);
	ck_assert_uint_eq(j->opts.max_redirs, 10);
	gather_jobfile_free(&jf);
	ck_assert_ptr_null(jf.jobs);
}
END_TEST

START_TEST(test_modes)
{
	char p[512], u[512];
	struct gather_jobfile jf;
	put("u.txt", "https://a.example/\n", u, sizeof u);
	put("m.conf",
	    "job \"list\" { urls-file = \"u.txt\" }\n"
	    "job \"seeds-get\" { seeds = {\"https://a.example/\"} mode = \"get\" }\n"
	    "job \"list-crawl\" { input = {\"u.txt\"} mode = crawl }\n"
	    "job \"crawl\" { seeds = \"https://b.example/\" }\n", p, sizeof p);
	load_ok(p, &jf);
	ck_assert_uint_eq(jf.n, 4);
	ck_assert_uint_eq(jf.jobs[0].cmd, GATHER_CMD_GET);
	ck_assert_uint_eq(jf.jobs[0].opts.per_host, 0);          /* get default */
	ck_assert_uint_eq(jf.jobs[0].opts.max_body, 1ull << 30);
	ck_assert_uint_eq(jf.jobs[1].cmd, GATHER_CMD_GET);
	ck_assert_uint_eq(jf.jobs[2].cmd, GATHER_CMD_CRAWL);
	ck_assert_str_eq(jf.jobs[2].opts.input.v[0], u);
	ck_assert_uint_eq(jf.jobs[3].cmd, GATHER_CMD_CRAWL);
	ck_assert_uint_eq(jf.jobs[3].opts.per_host, 4);          /* crawl default */
	ck_assert_uint_eq(jf.jobs[3].line, 4);
	gather_jobfile_free(&jf);
}
END_TEST

START_TEST(test_defaults)
{
	char p[512];
	struct gather_jobfile jf;
	put("d.conf",
	    "defaults {\n"
	    "  user-agent = \"dflt/1\"\n"
	    "  header = {\"A: 1\", \"B: 2\"}\n"
	    "  retries = 7\n"
	    "  depth = 2\n"                      /* crawl key: fine for get jobs here */
	    "  extract \"t\" { xpath = \"//title\" }\n"
	    "  output { jsonl = \"all.jsonl\" }\n"
	    "}\n"
	    "job \"a\" { seeds = {\"https://a.example/\"} retries = 1 header = {\"C: 3\"} }\n"
	    "job \"b\" { seeds = {\"https://b.example/\"} extract \"h\" { xpath = \"//h1\" } jsonl = \"b.jsonl\" }\n"
	    "defaults { retries = 9 }\n", p, sizeof p);
	load_ok(p, &jf);
	ck_assert_uint_eq(jf.n, 2);
	struct gather_opts *a = &jf.jobs[0].opts, *b = &jf.jobs[1].opts;
	ck_assert_str_eq(a->user_agent, "dflt/1");
	ck_assert_uint_eq(a->retries, 1);                 /* the job's own wins */
	ck_assert_uint_eq(a->headers.n, 1);               /* a list is replaced */
	ck_assert_str_eq(a->headers.v[0], "C: 3");
	ck_assert_uint_eq(a->depth, 2);
	ck_assert_str_eq(a->extract.v[0], "t=//title");
	ck_assert_str_eq(a->jsonl, "all.jsonl");
	ck_assert_uint_eq(b->retries, 9);                 /* the later defaults block */
	ck_assert_uint_eq(b->headers.n, 2);
	ck_assert_uint_eq(b->extract.n, 1);
	ck_assert_str_eq(b->extract.v[0], "h=//h1");
	ck_assert_str_eq(b->jsonl, "b.jsonl");            /* top level beats defaults' output */
	gather_jobfile_free(&jf);
}
END_TEST

START_TEST(test_include)
{
	char p[512], q[512];
	struct gather_jobfile jf;
	put("conf/sub/common.conf",
	    "// shared settings\n"
	    "defaults { user-agent = \"common/1\" retries = 3 }\n"
	    "job \"inc\" { urls-file = \"list.txt\" }\n", q, sizeof q);
	put("conf/sub/list.txt", "https://x.example/\n", q, sizeof q);
	put("conf/main.conf",
	    "job \"first\" { seeds = {\"https://a.example/\"} }\n"
	    "include(\"sub/common.conf\")\n"
	    "job \"last\" { seeds = {\"https://b.example/\"} }\n"
	    "defaults { retries = 4 }\n", p, sizeof p);
	load_ok(p, &jf);
	ck_assert_uint_eq(jf.n, 3);
	ck_assert_str_eq(jf.jobs[0].name, "first");
	ck_assert_str_eq(jf.jobs[1].name, "inc");       /* in place of the include */
	ck_assert_str_eq(jf.jobs[2].name, "last");
	ck_assert(strstr(jf.jobs[1].file, "conf/sub/common.conf") != NULL);
	ck_assert_uint_eq(jf.jobs[1].line, 3);
	ck_assert_str_eq(jf.jobs[1].opts.input.v[0], q); /* relative to common.conf */
	for (size_t i = 0; i < 3; i++) {
		ck_assert_str_eq(jf.jobs[i].opts.user_agent, "common/1");
		ck_assert_uint_eq(jf.jobs[i].opts.retries, 4); /* own defaults beat included */
	}
	gather_jobfile_free(&jf);
}
END_TEST

START_TEST(test_env)
{
	char p[512];
	struct gather_jobfile jf;
	setenv("GATHER_TEST_HOST", "env.example", 1);
	unsetenv("GATHER_TEST_UNSET");
	put("e.conf",
	    "job \"e\" {\n"
	    "  seeds = {\"https://${GATHER_TEST_HOST}/\"}\n"
	    "  user-agent = \"ua-${GATHER_TEST_UNSET:-none}\"\n"
	    "  jsonl = ${GATHER_TEST_HOST}\n"
	    "  allow = {'^https://${NOT_EXPANDED}'}\n"   /* single quotes: literal */
	    "}\n", p, sizeof p);
	load_ok(p, &jf);
	ck_assert_str_eq(jf.jobs[0].seeds.v[0], "https://env.example/");
	ck_assert_str_eq(jf.jobs[0].opts.user_agent, "ua-none");
	ck_assert_str_eq(jf.jobs[0].opts.jsonl, "env.example");
	ck_assert_str_eq(jf.jobs[0].opts.allow.v[0], "^https://${NOT_EXPANDED}");
	gather_jobfile_free(&jf);

	put("u.conf",
	    "# comment\n"
	    "job \"u\" {\n"
	    "  seeds = {\"https://a.example/\"}\n"
	    "  user-agent = \"x-${GATHER_TEST_UNSET}\"\n"
	    "  timeout = \"${GATHER_TEST_UNSET}\"\n"      /* once: not also "invalid value ''" */
	    "}\n", p, sizeof p);
	static const char *const want[] = {
		"FILE:4: undefined environment variable 'GATHER_TEST_UNSET' (write ${GATHER_TEST_UNSET:-} to allow it unset)",
		"FILE:5: undefined environment variable 'GATHER_TEST_UNSET' (write ${GATHER_TEST_UNSET:-} to allow it unset)",
	};
	load_bad(p, want, 2);
}
END_TEST

/* A value for option d that differs from its default, and a check. */
static void sample(const struct gather_optdef *d, const struct gather_opts *dflt,
                   char *val, size_t len)
{
	const void *p = (const char *)dflt + d->offset;
	switch (d->type) {
	case GATHER_OPT_BOOL: snprintf(val, len, "%s", *(const bool *)p ? "false" : "true"); break;
	case GATHER_OPT_UINT: snprintf(val, len, "%u", *(const unsigned *)p + 7); break;
	case GATHER_OPT_U64: snprintf(val, len, "%llu", (unsigned long long)*(const uint64_t *)p + 7); break;
	case GATHER_OPT_SIZE: snprintf(val, len, "\"3M\""); break;
	case GATHER_OPT_SECONDS: snprintf(val, len, "0.25"); break;
	case GATHER_OPT_MS: snprintf(val, len, "%llu", (unsigned long long)*(const uint64_t *)p + 7); break;
	case GATHER_OPT_STR: snprintf(val, len, "\"v-%s\"", d->name); break;
	case GATHER_OPT_STRV:
		snprintf(val, len, "{\"%s\"}", strcmp(d->name, "header") == 0 ? "K: v" :
		         strcmp(d->name, "input") == 0 ? "in.txt" :
		         strcmp(d->name, "resolve") == 0 ? "a.example:443:127.0.0.1" : "^x");
		break;
	case GATHER_OPT_SCOPE: snprintf(val, len, "any"); break;
	}
}

START_TEST(test_every_option)
{
	char in[512];
	put("in.txt", "https://a.example/\n", in, sizeof in);
	for (const struct gather_optdef *d = gather_optdefs; d->name; d++) {
		char body[1024], val[256], p[512];
		struct gather_jobfile jf;
		struct gather_opts dflt;
		unsigned cmd = (d->cmds & GATHER_CMD_CRAWL) ? GATHER_CMD_CRAWL : GATHER_CMD_GET;
		gather_opts_init(&dflt, cmd);
		sample(d, &dflt, val, sizeof val);
		if (strcmp(d->name, "extract") == 0)
			snprintf(body, sizeof body, "  extract \"f\" { xpath = \"//p\" }\n");
		else if (strcmp(d->name, "regex") == 0)
			snprintf(body, sizeof body, "  regex \"f\" { pattern = \"^x\" }\n");
		else
			snprintf(body, sizeof body, "  %s = %s\n", d->name, val);
		char file[1200];
		snprintf(file, sizeof file, "job \"o\" {\n  seeds = {\"https://a.example/\"}\n  mode = %s\n%s}\n",
		         cmd == GATHER_CMD_CRAWL ? "crawl" : "get", body);
		put("every.conf", file, p, sizeof p);
		load_ok(p, &jf);
		ck_assert_uint_eq(jf.n, 1);
		const void *got = (const char *)&jf.jobs[0].opts + d->offset;
		const void *def = (const char *)&dflt + d->offset;
		switch (d->type) {
		case GATHER_OPT_BOOL: ck_assert_msg(*(const bool *)got != *(const bool *)def, "%s", d->name); break;
		case GATHER_OPT_UINT: ck_assert_uint_eq(*(const unsigned *)got, *(const unsigned *)def + 7); break;
		case GATHER_OPT_U64:
		case GATHER_OPT_MS: ck_assert_uint_eq(*(const uint64_t *)got, *(const uint64_t *)def + 7); break;
		case GATHER_OPT_SIZE: ck_assert_uint_eq(*(const uint64_t *)got, 3u << 20); break;
		case GATHER_OPT_SECONDS: ck_assert_uint_eq(*(const uint64_t *)got, 250); break;
		case GATHER_OPT_STR: {
			char want[128];
			snprintf(want, sizeof want, "v-%s", d->name);
			ck_assert_str_eq(*(char *const *)got, want);
			break;
		}
		case GATHER_OPT_STRV: {
			const struct gather_strv *sv = got;
			ck_assert_msg(sv->n == 1, "%s: %zu values", d->name, sv->n);
			if (strcmp(d->name, "input") == 0)
				ck_assert_str_eq(sv->v[0], in);
			else if (strcmp(d->name, "extract") == 0)
				ck_assert_str_eq(sv->v[0], "f=//p");
			else if (strcmp(d->name, "regex") == 0 || strcmp(d->name, "allow") == 0 ||
			         strcmp(d->name, "deny") == 0)
				ck_assert(strstr(sv->v[0], "^x") != NULL);
			else if (strcmp(d->name, "resolve") == 0)
				ck_assert_str_eq(sv->v[0], "a.example:443:127.0.0.1");
			else
				ck_assert_str_eq(sv->v[0], "K: v");
			break;
		}
		case GATHER_OPT_SCOPE: ck_assert_int_eq(*(const enum gather_scope *)got, GATHER_SCOPE_ANY); break;
		}
		gather_jobfile_free(&jf);
		gather_opts_free(&dflt);
	}
}
END_TEST

/* Fault cases: the file and every diagnostic it must give, in order. */
static const struct {
	const char *text;
	const char *want[6];
} bad[] = {
	/* three independent faults, three diagnostics, after comments */
	{ "# leading comment\n"
	  "/* a block\n   comment */\n"
	  "job \"a\" {\n"
	  "  seeds = {\"https://a.example/\"}  # trailing\n"
	  "  depth = \"deep\"\n"
	  "  robots = maybe\n"
	  "  deny = {'ok', '(unclosed'}\n"
	  "}\n",
	  { "FILE:6: invalid value 'deep' for depth: expected a whole number or inf",
	    "FILE:7: invalid value 'maybe' for robots: expected true or false",
	    "FILE:8: bad regular expression '(unclosed' in deny: missing closing parenthesis at offset 9" } },
	{ "job \"a\" {\n  seeds = {\"https://a.example/\"}\n  colour = red\n  shape = round\n}\n",
	  { "FILE:3: unknown key 'colour' in job 'a'", "FILE:4: unknown key 'shape' in job 'a'" } },
	{ "job \"a\" { urls-file = \"missing.txt\" }\n",
	  { "FILE:1: cannot read urls-file 'TMP/missing.txt': No such file or directory" } },
	{ "job \"a\" {\n}\n", { "FILE:1: job 'a' has no seeds and no urls-file" } },
	{ "job \"a\" { seeds = {\"https://a.example/\"} }\njob \"a\" {\n  seeds = {\"ftp://b/\"}\n}\n",
	  { "FILE:2: duplicate job name 'a' (first at FILE:1)",
	    "FILE:3: bad seed URL 'ftp://b/': not an absolute http or https URL" } },
	{ "job \"g\" {\n  seeds = {\"https://a.example/\"}\n  mode = get\n  depth = 2\n}\n",
	  { "FILE:4: 'depth' applies to crawl jobs only, and job 'g' is a get job" } },
	{ "job \"m\" {\n  seeds = {\"https://a.example/\"}\n  mode = walk\n}\n",
	  { "FILE:3: invalid value 'walk' for mode: expected crawl or get" } },
	{ "job \"x\" {\n  seeds = {\"https://a.example/\"}\n  extract \"t\" {\n    all = true\n  }\n"
	  "  extract \"u\" { xpath = \"//[\" }\n  regex \"r\" { pattern = \"a(\" }\n  extract \"a=b\" { xpath = \"//a\" }\n}\n",
	  { "FILE:4: extract 't' has no xpath",
	    "FILE:6: bad XPath '//[' in extract 'u': invalid expression at offset 2",
	    "FILE:7: bad regular expression 'a(' in regex 'r': missing closing parenthesis at offset 2",
	    "FILE:8: bad field name 'a=b' in extract: no '=', '[' or ']'" } },
	{ "defaults {\n  seeds = {\"https://a.example/\"}\n}\njob \"h\" {\n  seeds = {\"https://a.example/\"}\n"
	  "  header = {\"NoColon\"}\n  jsonl = \"a\"\n  output { jsonl = \"b\" }\n}\n",
	  { "FILE:2: 'seeds' belongs in a job, not in defaults",
	    "FILE:6: bad header 'NoColon': expected 'Name: value'",
	    "FILE:8: 'jsonl' is set both in output { } and outside it" } },
	/* a syntax error stops libconfuse; faults before it are still reported */
	{ "job \"a\" {\n  seeds = {\"https://a.example/\"}\n  retries = x\n}\njob \"b\" {\n  depth = {\n}\n",
	  { "FILE:3: invalid value 'x' for retries: expected a whole number",
	    "FILE:6: unexpected token '{'" } },
	{ "colour = 1\njob \"a\" { seeds = \"https://a.example/\" output { foo = 1 } }\ndefaults { bar = 2 }\n",
	  { "FILE:1: unknown key 'colour'", "FILE:2: unknown key 'foo' in output",
	    "FILE:3: unknown key 'bar' in defaults" } },
	{ "job \"\" { seeds = {\"https://a.example/\"} }\n", { "FILE:1: job name is empty" } },
	{ "job \"a\" { seeds = {\"https://a.example/\"} }\n\"never closed\n",
	  { "FILE:2: unterminated string" } },
	{ "job \"a\" {\n  seeds = {\"https://a.example/\"}\n  retries = 1\n}\n}\n",
	  { "FILE:5: unexpected closing brace" } },
	{ "include(\"nope.conf\")\njob \"a\" { seeds = {\"https://a.example/\"} }\n",
	  { "FILE:1: cannot read included file 'TMP/nope.conf': No such file or directory" } },
	{ "include(\"bad.conf\")\njob \"a\" { seeds = {\"https://a.example/\"} }\n",
	  { "FILE:1: include cycle: 'TMP/bad.conf' is already being read" } },
};

START_TEST(test_faults)
{
	char p[512], want[6][1024];
	const char *w[6];
	size_t n = 0;
	put("bad.conf", bad[_i].text, p, sizeof p);
	for (; n < 6 && bad[_i].want[n]; n++) {
		const char *t = strstr(bad[_i].want[n], "TMP");
		if (t)
			snprintf(want[n], sizeof want[n], "%.*s%s%s", (int)(t - bad[_i].want[n]),
			         bad[_i].want[n], tmpdir, t + 3);
		else
			snprintf(want[n], sizeof want[n], "%s", bad[_i].want[n]);
		w[n] = want[n];
	}
	load_bad(p, w, n);
}
END_TEST

START_TEST(test_unreadable)
{
	char p[512];
	snprintf(p, sizeof p, "%s/none.conf", tmpdir);
	static const char *const want[] = { "FILE: cannot read: No such file or directory" };
	load_bad(p, want, 1);
}
END_TEST

START_TEST(test_empty_and_nodiags)
{
	char p[512];
	struct gather_jobfile jf;
	put("empty.conf", "", p, sizeof p);
	load_ok(p, &jf);
	ck_assert_uint_eq(jf.n, 0);
	gather_jobfile_free(&jf);
	gather_jobfile_free(NULL);
	/* diags may be NULL */
	put("b.conf", "job \"a\" { }\n", p, sizeof p);
	ck_assert_int_eq(gather_jobfile_load(p, &jf, NULL), GATHER_E_INVALID);
}
END_TEST

/* Bad input never crashes: truncated and scrambled files give faults. */
START_TEST(test_garbage)
{
	static const char *const good =
		"defaults { retries = 1 }\n"
		"job \"a\" {\n  seeds = {\"https://a.example/\"}\n  extract \"t\" { xpath = \"//t\" }\n"
		"  output { jsonl = \"x\" }\n  allow = {'^h', \"${HOME}\"} /* c */ # d\n}\n";
	size_t n = strlen(good);
	char p[512], buf[512];
	unsigned seed = 12345;
	for (size_t cut = 0; cut <= n; cut++) {
		struct gather_jobfile jf;
		memcpy(buf, good, cut);
		buf[cut] = '\0';
		put("g.conf", buf, p, sizeof p);
		int r = gather_jobfile_load(p, &jf, NULL);
		ck_assert(r == 0 || r == GATHER_E_INVALID);
		gather_jobfile_free(&jf);
	}
	for (unsigned round = 0; round < 300; round++) {
		struct gather_jobfile jf;
		struct gather_strv d = { 0 };
		memcpy(buf, good, n + 1);
		for (unsigned k = 0; k < 4; k++) {
			seed = seed * 1103515245u + 12345u;
			buf[(seed >> 8) % n] = "{}\"'=,()#/*$\\\n x"[(seed >> 20) % 17];
		}
		put("g.conf", buf, p, sizeof p);
		int r = gather_jobfile_load(p, &jf, &d);
		ck_assert(r == 0 || r == GATHER_E_INVALID);
		ck_assert(r == 0 ? d.n == 0 : d.n > 0);
		gather_jobfile_free(&jf);
		gather_strv_free(&d);
	}
}
END_TEST

/* Loads on several threads at once (libconfuse's scanner is global state:
 * job.c serializes it) all succeed with the same result. */
static void *load_many(void *arg)
{
	const char *path = arg;
	for (int i = 0; i < 20; i++) {
		struct gather_jobfile jf;
		struct gather_strv d = { 0 };
		if (gather_jobfile_load(path, &jf, &d) != 0 || jf.n != 2 ||
		    strcmp(jf.jobs[1].opts.user_agent, "t/1") != 0)
			return (void *)1;
		gather_jobfile_free(&jf);
		gather_strv_free(&d);
	}
	return NULL;
}

START_TEST(test_threads)
{
	char p[512];
	pthread_t t[4];
	put("t.conf",
	    "# threads\ndefaults { user-agent = \"t/1\" }\n"
	    "job \"a\" { seeds = {\"https://a.example/\"} extract \"t\" { xpath = \"//t\" } }\n"
	    "job \"b\" { seeds = {\"https://b.example/\"} allow = {'^https://b'} }\n", p, sizeof p);
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, load_many, p), 0);
	for (int i = 0; i < 4; i++) {
		void *r;
		ck_assert_int_eq(pthread_join(t[i], &r), 0);
		ck_assert_ptr_null(r);
	}
}
END_TEST

/* gatherd's schedule keys (issue 14): kept for the daemon, checked here as
 * gatherd's cron parser reads them, each fault at its line. */
START_TEST(test_schedule)
{
	char p[512];
	struct gather_jobfile jf;
	put("s.conf",
	    "defaults { timezone = \"America/New_York\" }\n"
	    "job \"n\" {\n"
	    "  seeds = {\"https://a.example/\"}\n"
	    "  schedule = \"30 2 * * mon-fri\"\n"
	    "  overlap = \"queue\"\n"
	    "  persistent = true\n"
	    "}\n"
	    "job \"w\" {\n"
	    "  seeds = {\"https://a.example/\"}\n"
	    "  schedule = \"@weekly\"\n"
	    "  timezone = \"Europe/Berlin\"\n"
	    "}\n"
	    "job \"once\" { seeds = {\"https://a.example/\"} }\n", p, sizeof p);
	load_ok(p, &jf);
	ck_assert_uint_eq(jf.n, 3);
	ck_assert_str_eq(jf.jobs[0].schedule, "30 2 * * mon-fri");
	ck_assert_uint_eq(jf.jobs[0].schedule_line, 4);
	ck_assert_str_eq(jf.jobs[0].timezone, "America/New_York");
	ck_assert(jf.jobs[0].overlap_queue && jf.jobs[0].persistent);
	ck_assert_str_eq(jf.jobs[1].schedule, "@weekly");
	ck_assert_str_eq(jf.jobs[1].timezone, "Europe/Berlin");
	ck_assert(!jf.jobs[1].overlap_queue && !jf.jobs[1].persistent);
	ck_assert_ptr_null(jf.jobs[2].schedule);
	ck_assert_ptr_null(jf.jobs[2].timezone);
	ck_assert_uint_eq(jf.jobs[2].schedule_line, 0);
	gather_jobfile_free(&jf);

	put("b.conf",
	    "defaults { schedule = \"@daily\" }\n"
	    "job \"a\" {\n"
	    "  seeds = {\"https://a.example/\"}\n"
	    "  schedule = \"0 9 * * 1 2\"\n"
	    "  timezone = \"Europe/Nowhere\"\n"
	    "  overlap = \"replace\"\n"
	    "  persistent = \"sometimes\"\n"
	    "}\n"
	    "job \"b\" {\n"
	    "  seeds = {\"https://a.example/\"}\n"
	    "  schedule = \"0 0 30 2 *\"\n"
	    "}\n"
	    "job \"c\" {\n"
	    "  seeds = {\"https://a.example/\"}\n"
	    "  overlap = \"skip\"\n"
	    "  timezone = \"../../etc/passwd\"\n"
	    "}\n", p, sizeof p);
	static const char *const want[] = {
		"FILE:1: 'schedule' belongs in a job, not in defaults",
		"FILE:4: bad schedule '0 9 * * 1 2': column 11: more than 5 fields (minute hour "
		"day-of-month month day-of-week)",
		"FILE:5: bad timezone: unknown time zone 'Europe/Nowhere' (No such file or directory)",
		"FILE:6: invalid value 'replace' for overlap: expected skip or queue",
		"FILE:7: invalid value 'sometimes' for persistent: expected true or false",
		"FILE:11: bad schedule '0 0 30 2 *': day-of-month field at column 5: no month of the "
		"month field has such a day: the schedule never fires",
		"FILE:15: 'overlap' without a schedule in job 'c'",
		"FILE:16: 'timezone' without a schedule in job 'c'",
	};
	load_bad(p, want, sizeof want / sizeof *want);
}
END_TEST

/* A file of many chunks (JOB_CHUNK_JOBS jobs each) built chunk by chunk as
 * it is parsed, each chunk freed once built: the defaults at the top apply
 * to every job, a job's own key wins, an include in the middle keeps its
 * place, a fault in a late chunk keeps its line. */
static void big_file(const char *name, unsigned n, const char *head, const char *tail,
                     unsigned special, const char *special_body, char *path, size_t len)
{
	struct gather_strbuf b = { 0 };
	gather_strbuf_adds(&b, head);
	for (unsigned i = 0; i < n; i++) {
		if (i == special && special_body)
			gather_strbuf_printf(&b, "job \"j%u\" { seeds = {\"http://h%u.example/\"} %s }\n",
			                     i, i, special_body);
		else
			gather_strbuf_printf(&b, "job \"j%u\" { seeds = {\"http://h%u.example/\"} }\n", i, i);
		if (i == n / 2)
			gather_strbuf_adds(&b, "include(\"mid.conf\")\n");
	}
	gather_strbuf_adds(&b, tail);
	ck_assert(!b.oom);
	put(name, b.p, path, len);
	free(b.p);
}

START_TEST(test_big_file_chunks)
{
	char p[512], q[512];
	struct gather_jobfile jf;
	const unsigned n = 1700; /* four chunks */
	put("mid.conf", "job \"mid\" { seeds = {\"http://mid.example/\"} }\n", q, sizeof q);

	/* defaults first: every chunk built as parsed */
	big_file("a.conf", n, "defaults {\n  retries = 7\n}\n", "", 1300, "retries = 2", p, sizeof p);
	load_ok(p, &jf);
	ck_assert_uint_eq(jf.n, n + 1);
	for (unsigned i = 0, k = 0; i < jf.n; i++) {
		char want[32];
		if (i == n / 2 + 1) {
			ck_assert_str_eq(jf.jobs[i].name, "mid");  /* where include() stands */
			ck_assert_uint_eq(jf.jobs[i].opts.retries, 7);
			continue;
		}
		snprintf(want, sizeof want, "j%u", k);
		ck_assert_str_eq(jf.jobs[i].name, want);
		ck_assert_uint_eq(jf.jobs[i].line, k + 4 + (k > n / 2));
		ck_assert_uint_eq(jf.jobs[i].opts.retries, k == 1300 ? 2 : 7);
		k++;
	}
	gather_jobfile_free(&jf);

	/* a defaults block in the last chunk applies to the first job too */
	big_file("b.conf", n, "", "defaults { retries = 9 }\n", 5, "retries = 1", p, sizeof p);
	load_ok(p, &jf);
	ck_assert_uint_eq(jf.n, n + 1);
	ck_assert_uint_eq(jf.jobs[0].opts.retries, 9);
	ck_assert_uint_eq(jf.jobs[5].opts.retries, 1);
	ck_assert_uint_eq(jf.jobs[n].opts.retries, 9);
	ck_assert_str_eq(jf.jobs[n / 2 + 1].name, "mid");
	ck_assert_uint_eq(jf.jobs[n / 2 + 1].opts.retries, 9);
	gather_jobfile_free(&jf);

	/* a fault in the fourth chunk: its line, once */
	big_file("c.conf", n, "defaults {\n  retries = 7\n}\n", "", 1600, "retries = \"x\"", p, sizeof p);
	const char *want[] = { "FILE:1605: invalid value 'x' for retries: expected a whole number" };
	load_bad(p, want, 1);
}
END_TEST

static Suite *job_suite(void)
{
	Suite *s = suite_create("job");
	TCase *tc = tcase_create("job");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_full_job);
	tcase_add_test(tc, test_modes);
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_include);
	tcase_add_test(tc, test_big_file_chunks);
	tcase_add_test(tc, test_env);
	tcase_add_test(tc, test_every_option);
	tcase_add_loop_test(tc, test_faults, 0, sizeof bad / sizeof *bad);
	tcase_add_test(tc, test_unreadable);
	tcase_add_test(tc, test_empty_and_nodiags);
	tcase_add_test(tc, test_garbage);
	tcase_add_test(tc, test_threads);
	tcase_add_test(tc, test_schedule);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(job_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
