/* test_hostpin.c — --resolve entries (util/hostpin.h), table-driven, and
 * the option checks built on them: a bad entry refused by gather_opt_set
 * with a message naming it; -4 and -6, the last one given wins. */
#include "config.h"

#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "gather/error.h"
#include "gather/options.h"
#include "util/hostpin.h"

static const struct {
	const char *in;
	const char *host;       /* NULL: refused */
	unsigned port;
	int n;
	const char *addr0, *addr1;
} cases[] = {
	{ "example.org:443:127.0.0.1", "example.org", 443, 1, "127.0.0.1", NULL },
	{ "Example.ORG:80:[::1]", "example.org", 80, 1, "::1", NULL },
	{ "a.test:8080:::1", "a.test", 8080, 1, "::1", NULL },        /* bare IPv6, as curl takes it */
	{ "a.test:1:127.0.0.2,[::1]", "a.test", 1, 2, "127.0.0.2", "::1" },
	{ "[::1]:443:127.0.0.1", "::1", 443, 1, "127.0.0.1", NULL },  /* a URL's IPv6 host */
	{ "a.test:65535:[2001:db8::1],10.0.0.1", "a.test", 65535, 2, "2001:db8::1", "10.0.0.1" },
	{ "a.test:1:1.2.3.4,1.2.3.4,1.2.3.4,1.2.3.4,1.2.3.4,1.2.3.4,1.2.3.4,1.2.3.4", "a.test", 1, 8, "1.2.3.4", "1.2.3.4" },
	/* refused */
	{ "a.test:1:1.2.3.4,1.2.3.4,1.2.3.4,1.2.3.4,1.2.3.4,1.2.3.4,1.2.3.4,1.2.3.4,1.2.3.4", NULL, 0, 0, NULL, NULL },
	{ "", NULL, 0, 0, NULL, NULL },
	{ "a.test", NULL, 0, 0, NULL, NULL },
	{ "a.test:443", NULL, 0, 0, NULL, NULL },
	{ "a.test:443:", NULL, 0, 0, NULL, NULL },
	{ ":443:127.0.0.1", NULL, 0, 0, NULL, NULL },
	{ "a.test::127.0.0.1", NULL, 0, 0, NULL, NULL },
	{ "a.test:0:127.0.0.1", NULL, 0, 0, NULL, NULL },
	{ "a.test:65536:127.0.0.1", NULL, 0, 0, NULL, NULL },
	{ "a.test:0000080:127.0.0.1", NULL, 0, 0, NULL, NULL },
	{ "a.test:-1:127.0.0.1", NULL, 0, 0, NULL, NULL },
	{ "a.test:80x:127.0.0.1", NULL, 0, 0, NULL, NULL },
	{ "a.test:80:localhost", NULL, 0, 0, NULL, NULL },            /* names are not addresses */
	{ "a.test:80:127.0.0.1,", NULL, 0, 0, NULL, NULL },
	{ "a.test:80:,127.0.0.1", NULL, 0, 0, NULL, NULL },
	{ "a.test:80:[::1", NULL, 0, 0, NULL, NULL },
	{ "a.test:80:[127.0.0.1]x", NULL, 0, 0, NULL, NULL },
	{ "a.test:80:256.0.0.1", NULL, 0, 0, NULL, NULL },
	{ "[::1:80:127.0.0.1", NULL, 0, 0, NULL, NULL },
	{ "a b:80:127.0.0.1", NULL, 0, 0, NULL, NULL },
	{ "user@a.test:80:127.0.0.1", NULL, 0, 0, NULL, NULL },
	{ "a.test:80:127.0.0.1\n", NULL, 0, 0, NULL, NULL },
};

static void addr_is(const struct hostpin *p, int i, const char *want, unsigned port)
{
	char got[64] = "";
	const struct sockaddr_storage *ss = &p->a[i];
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)ss;
		inet_ntop(AF_INET, &s4->sin_addr, got, sizeof(got));
		ck_assert_uint_eq(ntohs(s4->sin_port), port);
		ck_assert_uint_eq(p->len[i], sizeof(*s4));
	} else {
		const struct sockaddr_in6 *s6 = (const void *)ss;
		ck_assert_int_eq(ss->ss_family, AF_INET6);
		inet_ntop(AF_INET6, &s6->sin6_addr, got, sizeof(got));
		ck_assert_uint_eq(ntohs(s6->sin6_port), port);
		ck_assert_uint_eq(p->len[i], sizeof(*s6));
	}
	ck_assert_str_eq(got, want);
}

START_TEST(test_parse)
{
	struct hostpin p;
	int rc = hostpin_parse(cases[_i].in, &p);
	if (!cases[_i].host) {
		ck_assert_msg(rc == GATHER_E_INVALID, "'%s' accepted", cases[_i].in);
		return;
	}
	ck_assert_msg(rc == 0, "'%s' refused", cases[_i].in);
	ck_assert_str_eq(p.host, cases[_i].host);
	ck_assert_uint_eq(p.port, cases[_i].port);
	ck_assert_int_eq(p.n, cases[_i].n);
	addr_is(&p, 0, cases[_i].addr0, cases[_i].port);
	if (cases[_i].addr1)
		addr_is(&p, p.n - 1, cases[_i].addr1, cases[_i].port);
}
END_TEST

START_TEST(test_host_limit)
{
	char s[600];
	struct hostpin p;
	memset(s, 'a', HOSTPIN_MAX_HOST);
	strcpy(s + HOSTPIN_MAX_HOST, ":80:127.0.0.1");
	ck_assert_int_eq(hostpin_parse(s, &p), 0);
	ck_assert_uint_eq(strlen(p.host), HOSTPIN_MAX_HOST);
	memset(s, 'a', HOSTPIN_MAX_HOST + 1);
	strcpy(s + HOSTPIN_MAX_HOST + 1, ":80:127.0.0.1");
	ck_assert_int_eq(hostpin_parse(s, &p), GATHER_E_INVALID);
}
END_TEST

START_TEST(test_options)
{
	struct gather_opts o;
	char err[300];
	gather_opts_init(&o, GATHER_CMD_GET);
	const struct gather_optdef *r = gather_opt_find("resolve");
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(gather_opt_set(&o, r, "a.test:80:127.0.0.1", err, sizeof(err)), 0);
	ck_assert_int_eq(gather_opt_set(&o, r, "a.test:80:nope", err, sizeof(err)), GATHER_E_INVALID);
	ck_assert_msg(strstr(err, "'a.test:80:nope'") && strstr(err, "resolve"), "message \"%s\"", err);
	ck_assert_uint_eq(o.resolve.n, 1);
	/* -4 and -6: the last wins (curl); --no-ipv4 leaves -6 alone */
	const struct gather_optdef *four = gather_opt_find_short('4'), *six = gather_opt_find_short('6');
	ck_assert_ptr_nonnull(four);
	ck_assert_ptr_nonnull(six);
	ck_assert_int_eq(gather_opt_set(&o, four, NULL, err, sizeof(err)), 0);
	ck_assert(o.ipv4 && !o.ipv6);
	ck_assert_int_eq(gather_opt_set(&o, six, NULL, err, sizeof(err)), 0);
	ck_assert(!o.ipv4 && o.ipv6);
	ck_assert_int_eq(gather_opt_set(&o, four, "false", err, sizeof(err)), 0);
	ck_assert(!o.ipv4 && o.ipv6);
	ck_assert_int_eq(gather_opt_set(&o, four, "maybe", err, sizeof(err)), GATHER_E_INVALID);
	ck_assert(!o.ipv4 && o.ipv6);
	gather_opts_free(&o);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("hostpin");
	TCase *tc = tcase_create("hostpin");
	tcase_add_loop_test(tc, test_parse, 0, sizeof(cases) / sizeof(cases[0]));
	tcase_add_test(tc, test_host_limit);
	tcase_add_test(tc, test_options);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
