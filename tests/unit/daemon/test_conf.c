/* test_conf.c — gatherd.conf: defaults from the environment (systemd's
 * STATE_DIRECTORY / RUNTIME_DIRECTORY, else XDG, else HOME), every key of
 * the shipped conf/gatherd.conf, and faults as FILE:LINE. */
#include "config.h"

#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/conf.h"
#include "gather/error.h"

static char path[PATH_MAX];

static void write_conf(const char *text)
{
	snprintf(path, sizeof path, "/tmp/test_conf.XXXXXX");
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static void clear_env(void)
{
	unsetenv("STATE_DIRECTORY");
	unsetenv("RUNTIME_DIRECTORY");
	unsetenv("XDG_STATE_HOME");
	unsetenv("XDG_RUNTIME_DIR");
	unsetenv("CONFIGURATION_DIRECTORY");
	unsetenv("XDG_CONFIG_HOME");
	setenv("HOME", "/home/u", 1);
}

START_TEST(defaults_from_env)
{
	struct gatherd_conf c;
	clear_env();
	ck_assert_int_eq(gatherd_conf_defaults(&c), 0);
	ck_assert_str_eq(c.state_dir, "/home/u/.local/state/gather");
	ck_assert_str_eq(c.socket_path, "/home/u/.local/state/gather/gatherd.sock");
	ck_assert_str_eq(c.job_dir, "/home/u/.config/gather/jobs");
	ck_assert_ptr_null(c.spool_dir);
	ck_assert_uint_eq(c.max_jobs, GATHERD_MAX_JOBS);
	ck_assert_uint_eq(c.keep_jobs, GATHERD_KEEP_JOBS);
	ck_assert_uint_eq(c.max_body, GATHERD_MAX_BODY);
	ck_assert_ptr_null(c.listen);
	gatherd_conf_free(&c);

	setenv("XDG_STATE_HOME", "/x/state", 1);
	setenv("XDG_RUNTIME_DIR", "/run/user/7", 1);
	ck_assert_int_eq(gatherd_conf_defaults(&c), 0);
	ck_assert_str_eq(c.state_dir, "/x/state/gather");
	ck_assert_str_eq(c.socket_path, "/run/user/7/gather/gatherd.sock");
	gatherd_conf_free(&c);
	setenv("XDG_CONFIG_HOME", "/x/conf", 1);
	ck_assert_int_eq(gatherd_conf_defaults(&c), 0);
	ck_assert_str_eq(c.job_dir, "/x/conf/gather/jobs");
	gatherd_conf_free(&c);

	/* systemd's, first of a list */
	setenv("STATE_DIRECTORY", "/var/lib/gather:/var/lib/other", 1);
	setenv("RUNTIME_DIRECTORY", "/run/gather", 1);
	ck_assert_int_eq(gatherd_conf_defaults(&c), 0);
	ck_assert_str_eq(c.state_dir, "/var/lib/gather");
	ck_assert_str_eq(c.socket_path, "/run/gather/gatherd.sock");
	gatherd_conf_free(&c);
	setenv("CONFIGURATION_DIRECTORY", "/etc/gather", 1);
	ck_assert_int_eq(gatherd_conf_defaults(&c), 0);
	ck_assert_str_eq(c.job_dir, "/etc/gather/jobs");
	gatherd_conf_free(&c);
	clear_env();
}
END_TEST

START_TEST(every_key)
{
	struct gatherd_conf c;
	struct gather_strv diags = { 0 };
	write_conf("state-dir = \"/s\"\nsocket = \"/r/g.sock\"\nspool-dir = \"/sp\"\njob-dir = \"/j\"\n"
	           "listen = \"127.0.0.1:9000\"\ntoken-file = \"/t\"\nmax-jobs = 2\nworkers = 3\n"
	           "keep-jobs = 10\nmax-connections = 5\nper-host = 2\ndelay = 250ms\nmax-body = 64K\n"
	           "max-header = 4K\nidle-timeout = 1.5\nmax-events = 100\nsocket-mode = 0600\n");
	ck_assert_int_eq(gatherd_conf_load(path, &c, &diags), 0);
	ck_assert_uint_eq(diags.n, 0);
	ck_assert_str_eq(c.state_dir, "/s");
	ck_assert_str_eq(c.socket_path, "/r/g.sock");
	ck_assert_str_eq(c.spool_dir, "/sp");
	ck_assert_str_eq(c.job_dir, "/j");
	gatherd_conf_free(&c);
	/* without job-dir: jobs/ beside the file (/etc/gather/jobs for
	 * /etc/gather/gatherd.conf, whatever $HOME says) */
	write_conf("max-jobs = 2\n");
	ck_assert_int_eq(gatherd_conf_load(path, &c, &diags), 0);
	char want[PATH_MAX];
	snprintf(want, sizeof want, "%.*s/jobs", (int)(strrchr(path, '/') - path), path);
	ck_assert_str_eq(c.job_dir, want);
	ck_assert_ptr_null(c.spool_dir);
	gatherd_conf_free(&c);
	unlink(path);
	write_conf("state-dir = \"/s\"\nsocket = \"/r/g.sock\"\nspool-dir = \"/sp\"\njob-dir = \"/j\"\n"
	           "listen = \"127.0.0.1:9000\"\ntoken-file = \"/t\"\nmax-jobs = 2\nworkers = 3\n"
	           "keep-jobs = 10\nmax-connections = 5\nper-host = 2\ndelay = 250ms\nmax-body = 64K\n"
	           "max-header = 4K\nidle-timeout = 1.5\nmax-events = 100\nsocket-mode = 0600\n");
	ck_assert_int_eq(gatherd_conf_load(path, &c, &diags), 0);
	ck_assert_str_eq(c.listen, "127.0.0.1:9000");
	ck_assert_uint_eq(c.max_jobs, 2);
	ck_assert_uint_eq(c.workers, 3);
	ck_assert_uint_eq(c.keep_jobs, 10);
	ck_assert_uint_eq(c.max_connections, 5);
	ck_assert_uint_eq(c.per_host, 2);
	ck_assert_uint_eq(c.delay_ms, 250);
	ck_assert_uint_eq(c.max_body, 65536);
	ck_assert_uint_eq(c.max_header, 4096);
	ck_assert_uint_eq(c.idle_timeout_ms, 1500);
	ck_assert_uint_eq(c.max_events, 100);
	ck_assert_uint_eq(c.socket_mode, 0600);
	gatherd_conf_free(&c);
	unlink(path);
}
END_TEST

START_TEST(faults_at_their_line)
{
	struct gatherd_conf c;
	struct gather_strv diags = { 0 };
	char want[PATH_MAX + 64];
	write_conf("# comment\nmax-jobs = 0\nstate-dir = \"relative\"\n\nmax-body = lots\nbogus = 1\n");
	ck_assert_int_eq(gatherd_conf_load(path, &c, &diags), GATHER_E_INVALID);
	ck_assert_ptr_null(c.state_dir);
	ck_assert_uint_ge(diags.n, 1);
	/* libconfuse stops at the unknown key (line 6): that one is said */
	snprintf(want, sizeof want, "%s:6:", path);
	ck_assert_msg(strncmp(diags.v[0], want, strlen(want)) == 0, "got %s", diags.v[0]);
	gather_strv_free(&diags);
	unlink(path);

	write_conf("# comment\nmax-jobs = 0\nstate-dir = \"relative\"\n\nmax-body = lots\n");
	ck_assert_int_eq(gatherd_conf_load(path, &c, &diags), GATHER_E_INVALID);
	ck_assert_uint_eq(diags.n, 3);
	snprintf(want, sizeof want, "%s:2: max-jobs", path);
	ck_assert_msg(strncmp(diags.v[0], want, strlen(want)) == 0, "got %s", diags.v[0]);
	snprintf(want, sizeof want, "%s:3: state-dir", path);
	ck_assert_msg(strncmp(diags.v[1], want, strlen(want)) == 0, "got %s", diags.v[1]);
	snprintf(want, sizeof want, "%s:5: max-body", path);
	ck_assert_msg(strncmp(diags.v[2], want, strlen(want)) == 0, "got %s", diags.v[2]);
	gather_strv_free(&diags);
	unlink(path);

	write_conf("listen = \"127.0.0.1:1\"\n");
	ck_assert_int_eq(gatherd_conf_load(path, &c, &diags), GATHER_E_INVALID);
	ck_assert_uint_eq(diags.n, 1);
	ck_assert_ptr_nonnull(strstr(diags.v[0], "token-file"));
	gather_strv_free(&diags);
	unlink(path);

	ck_assert_int_eq(gatherd_conf_load("/nonexistent/gatherd.conf", &c, &diags), GATHER_E_IO);
	ck_assert_uint_eq(diags.n, 1);
	gather_strv_free(&diags);
}
END_TEST

START_TEST(shipped_conf)
{
	struct gatherd_conf c;
	struct gather_strv diags = { 0 };
	char p[PATH_MAX];
	const char *src = getenv("top_srcdir");
	snprintf(p, sizeof p, "%s/conf/gatherd.conf", src ? src : ".");
	ck_assert_int_eq(gatherd_conf_load(p, &c, &diags), 0);
	gatherd_conf_free(&c);
	gather_strv_free(&diags);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("conf");
	TCase *tc = tcase_create("conf");
	tcase_add_test(tc, defaults_from_env);
	tcase_add_test(tc, every_key);
	tcase_add_test(tc, faults_at_their_line);
	tcase_add_test(tc, shipped_conf);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
