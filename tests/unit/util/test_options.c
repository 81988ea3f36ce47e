/* test_options.c — option table, defaults and value parsers. */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "gather/error.h"
#include "gather/options.h"

static const struct { const char *in; int ok; uint64_t want; } size_cases[] = {
	{ "0", 1, 0 }, { "123", 1, 123 }, { "64K", 1, 65536 }, { "64k", 1, 65536 },
	{ "10M", 1, 10485760 }, { "1G", 1, 1073741824 }, { "2T", 1, 2199023255552ull },
	{ "64KB", 1, 65536 }, { "64KiB", 1, 65536 }, { "16384P", 0, 0 }, { "", 0, 0 },
	{ "K", 0, 0 }, { "-1", 0, 0 }, { "1.5M", 0, 0 }, { "12X", 0, 0 },
	{ "18446744073709551615", 1, UINT64_MAX }, { "18446744073709551616", 0, 0 },
	{ "17179869184G", 0, 0 }, { "17179869183G", 1, 17179869183ull << 30 },
};

START_TEST(test_parse_size)
{
	uint64_t v = 777;
	int r = gather_parse_size(size_cases[_i].in, &v);
	if (size_cases[_i].ok) {
		ck_assert_msg(r == 0, "'%s' refused", size_cases[_i].in);
		ck_assert_uint_eq(v, size_cases[_i].want);
	} else {
		ck_assert_msg(r == GATHER_E_INVALID, "'%s' accepted", size_cases[_i].in);
		ck_assert_uint_eq(v, 777); /* untouched on failure */
	}
}
END_TEST

static const struct { const char *in; int ok; uint64_t want; } sec_cases[] = {
	{ "10", 1, 10000 }, { "2.5", 1, 2500 }, { "0.001", 1, 1 }, { "0.0001", 1, 0 },
	{ ".5", 1, 500 }, { "3.", 1, 3000 }, { ".", 0, 0 }, { "", 0, 0 }, { "1e3", 0, 0 },
	{ "-1", 0, 0 }, { "1.2.3", 0, 0 }, { "99999999999999999999", 0, 0 },
	/* units, one family for every time value (--delay included) */
	{ "250ms", 1, 250 }, { "0ms", 1, 0 }, { "1.5s", 1, 1500 }, { "2m", 1, 120000 },
	{ "1.5m", 1, 90000 }, { "1h", 1, 3600000 }, { ".5s", 1, 500 },
	{ "ms", 0, 0 }, { "s", 0, 0 }, { "2.5ms", 0, 0 }, { "5x", 0, 0 }, { "5 s", 0, 0 },
	{ "5sm", 0, 0 }, { "99999999999999999h", 0, 0 },
};

START_TEST(test_parse_seconds)
{
	uint64_t v = 777;
	int r = gather_parse_seconds(sec_cases[_i].in, &v);
	if (sec_cases[_i].ok) {
		ck_assert_msg(r == 0, "'%s' refused", sec_cases[_i].in);
		ck_assert_uint_eq(v, sec_cases[_i].want);
	} else {
		ck_assert_msg(r == GATHER_E_INVALID, "'%s' accepted", sec_cases[_i].in);
	}
}
END_TEST

START_TEST(test_defaults)
{
	struct gather_opts g, c;
	gather_opts_init(&g, GATHER_CMD_GET);
	gather_opts_init(&c, GATHER_CMD_CRAWL);
	ck_assert_uint_eq(g.connect_timeout_ms, 10000);
	ck_assert_uint_eq(g.timeout_ms, 120000);
	ck_assert_uint_eq(g.idle_timeout_ms, 30000);
	ck_assert_uint_eq(g.max_redirs, 10);
	ck_assert_uint_eq(g.max_head, 65536);
	ck_assert_uint_eq(g.retries, 2);
	ck_assert_uint_eq(g.concurrency, 64);
	ck_assert_uint_eq(c.max_body, 64u << 20);
	ck_assert_uint_eq(c.per_host, 4);
	ck_assert_uint_eq(c.depth, 5);
	ck_assert(c.robots);
	ck_assert(g.compressed);
	ck_assert(!g.insecure);
	gather_opts_free(&g);
	gather_opts_free(&c);
}
END_TEST

START_TEST(test_set_each_type)
{
	struct gather_opts o;
	char err[256] = "";
	gather_opts_init(&o, GATHER_CMD_CRAWL);

	ck_assert_int_eq(gather_opt_set(&o, gather_opt_find("timeout"), "1.25", err, sizeof err), 0);
	ck_assert_uint_eq(o.timeout_ms, 1250);
	ck_assert_int_eq(gather_opt_set(&o, gather_opt_find("max-body"), "5M", err, sizeof err), 0);
	ck_assert_uint_eq(o.max_body, 5u << 20);
	ck_assert_int_eq(gather_opt_set(&o, gather_opt_find_short('c'), "7", err, sizeof err), 0);
	ck_assert_uint_eq(o.concurrency, 7);
	ck_assert_int_eq(gather_opt_set(&o, gather_opt_find("robots"), "false", err, sizeof err), 0);
	ck_assert(!o.robots);
	ck_assert_int_eq(gather_opt_set(&o, gather_opt_find("insecure"), NULL, err, sizeof err), 0);
	ck_assert(o.insecure);
	ck_assert_int_eq(gather_opt_set(&o, gather_opt_find("scope"), "prefix", err, sizeof err), 0);
	ck_assert_int_eq(o.scope, GATHER_SCOPE_PREFIX);
	ck_assert_int_eq(gather_opt_set(&o, gather_opt_find_short('H'), "A: 1", err, sizeof err), 0);
	ck_assert_int_eq(gather_opt_set(&o, gather_opt_find_short('H'), "B: 2", err, sizeof err), 0);
	ck_assert_uint_eq(o.headers.n, 2);
	ck_assert_str_eq(o.headers.v[1], "B: 2");
	ck_assert_int_eq(gather_opt_set(&o, gather_opt_find_short('A'), "x/1", err, sizeof err), 0);
	ck_assert_int_eq(gather_opt_set(&o, gather_opt_find_short('A'), "y/2", err, sizeof err), 0);
	ck_assert_str_eq(o.user_agent, "y/2");

	/* refusals name the option and leave the value alone */
	ck_assert_int_eq(gather_opt_set(&o, gather_opt_find("scope"), "planet", err, sizeof err), GATHER_E_INVALID);
	ck_assert_ptr_nonnull(strstr(err, "scope"));
	ck_assert_int_eq(o.scope, GATHER_SCOPE_PREFIX);
	ck_assert_int_eq(gather_opt_set(&o, gather_opt_find("retries"), "4294967296", err, sizeof err), GATHER_E_INVALID);
	ck_assert_uint_eq(o.retries, 2);
	ck_assert_int_eq(gather_opt_set(&o, gather_opt_find("robots"), "maybe", err, sizeof err), GATHER_E_INVALID);
	gather_opts_free(&o);
	ck_assert_ptr_null(o.user_agent);
}
END_TEST

START_TEST(test_table_is_consistent)
{
	/* names unique, short options unique, every STR/STRV freed by opts_free */
	for (const struct gather_optdef *a = gather_optdefs; a->name; a++) {
		ck_assert_msg(a->help && *a->help, "%s has no help", a->name);
		ck_assert_msg((a->type == GATHER_OPT_BOOL) == (a->arg == NULL),
		              "%s: bools take no argument, others name one", a->name);
		for (const struct gather_optdef *b = a + 1; b->name; b++) {
			ck_assert_str_ne(a->name, b->name);
			if (a->short_name)
				ck_assert_int_ne(a->short_name, b->short_name);
		}
		ck_assert_ptr_eq(gather_opt_find(a->name), a);
	}
	ck_assert_ptr_null(gather_opt_find("no-such-option"));
}
END_TEST

static Suite *options_suite(void)
{
	Suite *s = suite_create("options");
	TCase *tc = tcase_create("core");
	tcase_add_loop_test(tc, test_parse_size, 0, sizeof size_cases / sizeof *size_cases);
	tcase_add_loop_test(tc, test_parse_seconds, 0, sizeof sec_cases / sizeof *sec_cases);
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_set_each_type);
	tcase_add_test(tc, test_table_is_consistent);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(options_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
