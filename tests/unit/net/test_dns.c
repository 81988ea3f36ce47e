/* test_dns.c — what the resolver answers without asking anyone: numeric
 * hosts, --resolve pins (in order, last entry per HOST:PORT, names without
 * case, only at their port), and -4/-6 filtering both, with a dns error
 * when nothing of the family is left.  No query leaves the process: every
 * name here is pinned or numeric, and a miss only returns 0. */
#include "config.h"

#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "gather/error.h"
#include "net/dns.h"

static struct event_base *base;
static struct dns *d;

static void setup(void)
{
	char err[256];
	base = event_base_new();
	ck_assert_ptr_nonnull(base);
	d = dns_new(base, err, sizeof(err));
	ck_assert_msg(d != NULL, "dns_new: %s", err);
}

static void teardown(void)
{
	dns_free(d);
	event_base_free(base);
}

/* "ADDR ADDR ..." of a, each with its port checked against port. */
static const char *addrs_str(const struct dns_addrs *a, uint16_t port)
{
	static char out[512];
	out[0] = 0;
	for (int i = 0; i < a->n; i++) {
		char ip[64];
		const struct sockaddr_storage *ss = &a->a[i];
		if (ss->ss_family == AF_INET) {
			const struct sockaddr_in *s4 = (const void *)ss;
			inet_ntop(AF_INET, &s4->sin_addr, ip, sizeof(ip));
			ck_assert_uint_eq(ntohs(s4->sin_port), port);
		} else {
			const struct sockaddr_in6 *s6 = (const void *)ss;
			inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof(ip));
			ck_assert_uint_eq(ntohs(s6->sin6_port), port);
		}
		strcat(out, i ? " " : "");
		strcat(out, ip);
	}
	return out;
}

static const struct {
	int family;
	const char *host;
	uint16_t port;
	int rc;                 /* 1 found, 0 not (would resolve), GATHER_E_DNS */
	const char *want;       /* addresses, or a piece of the message */
} cases[] = {
	{ AF_UNSPEC, "127.0.0.1", 80, 1, "127.0.0.1" },
	{ AF_UNSPEC, "::1", 80, 1, "::1" },
	{ AF_INET, "127.0.0.1", 80, 1, "127.0.0.1" },
	{ AF_INET6, "127.0.0.1", 80, GATHER_E_DNS, "no IPv6 address" },
	{ AF_INET, "::1", 443, GATHER_E_DNS, "no IPv4 address" },
	{ AF_INET6, "::1", 443, 1, "::1" },
	/* pins: dual.test:80 -> [::1],127.0.0.1; v6.test:80 -> [::1] */
	{ AF_UNSPEC, "dual.test", 80, 1, "::1 127.0.0.1" },
	{ AF_UNSPEC, "DUAL.Test", 80, 1, "::1 127.0.0.1" },
	{ AF_INET, "dual.test", 80, 1, "127.0.0.1" },
	{ AF_INET6, "dual.test", 80, 1, "::1" },
	{ AF_INET, "v6.test", 80, GATHER_E_DNS, "no IPv4 address (pinned by --resolve)" },
	{ AF_UNSPEC, "dual.test", 81, 0, NULL },       /* another port: not pinned */
	{ AF_UNSPEC, "other.test", 80, 0, NULL },
	/* replaced by the later entry for the same HOST:PORT */
	{ AF_UNSPEC, "again.test", 8080, 1, "127.0.0.3" },
	/* a pin for an IP literal host wins over the literal */
	{ AF_UNSPEC, "::2", 80, 1, "127.0.0.4" },
};

START_TEST(test_lookup_now)
{
	char err[256], msg[300] = "";
	struct dns_addrs a;
	static const char *const pins[] = {
		"dual.test:80:[::1],127.0.0.1", "v6.test:80:[::1]", "again.test:8080:127.0.0.2",
		"AGAIN.test:8080:127.0.0.3", "[::2]:80:127.0.0.4",
	};
	for (size_t i = 0; i < sizeof(pins) / sizeof(pins[0]); i++)
		ck_assert_int_eq(dns_add_pin(d, pins[i], err, sizeof(err)), 0);
	dns_set_family(d, cases[_i].family);
	memset(&a, 0, sizeof(a));
	int rc = dns_lookup_now(d, cases[_i].host, cases[_i].port, &a, msg, sizeof(msg));
	ck_assert_msg(rc == cases[_i].rc, "%s:%u: %d, want %d (%s)", cases[_i].host, cases[_i].port, rc,
	              cases[_i].rc, msg);
	if (rc == 1)
		ck_assert_str_eq(addrs_str(&a, cases[_i].port), cases[_i].want);
	else if (rc < 0)
		ck_assert_msg(strstr(msg, cases[_i].want), "message \"%s\"", msg);
}
END_TEST

START_TEST(test_bad_pin)
{
	char err[256] = "";
	ck_assert_int_eq(dns_add_pin(d, "a.test:80:not-an-address", err, sizeof(err)), GATHER_E_INVALID);
	ck_assert_msg(strstr(err, "a.test:80:not-an-address"), "message \"%s\"", err);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("dns");
	TCase *tc = tcase_create("dns");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_lookup_now, 0, sizeof(cases) / sizeof(cases[0]));
	tcase_add_test(tc, test_bad_pin);
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
