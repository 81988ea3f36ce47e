/* main.c — gatherd(8): the gather service.  This file owns the process:
 * the command line, gatherd.conf, signals, systemd's notifications
 * (READY, STATUS, WATCHDOG, RELOADING, STOPPING) and the log lines; the
 * service itself is lib/daemon. */
#include "config.h"

#include <errno.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

#include "daemon/conf.h"
#include "daemon/daemon.h"
#include "gather/error.h"

#define DEFAULT_CONF SYSCONFDIR "/gather/gatherd.conf"
/* A clean stop must be over before systemd's TimeoutStopSec (the issue:
 * within 10 s); past this the process leaves anyway. */
#define STOP_DEADLINE_S 9

struct main {
	struct event_base *base;
	struct gatherd *d;
	const char *conf_path;      /* -c, or NULL: DEFAULT_CONF when it exists */
	bool journal;               /* stderr is the journal: <N> prefixes */
	uint64_t watchdog_usec;
	struct event *ev_term, *ev_int, *ev_hup, *ev_status, *ev_watchdog, *ev_deadline;
	int exit;
};

static void usage(FILE *f)
{
	fprintf(f,
	"Usage: gatherd [-c FILE] [--check]\n"
	"\n"
	"The gather service: runs crawl jobs submitted through a control API (HTTP\n"
	"and JSON on a Unix socket; see gatherd(8) for the API), dropped into its\n"
	"spool-dir, or scheduled in its job-dir; one reactor and one worker pool\n"
	"for every job, max-jobs at once, the rest queued.\n"
	"\n"
	"Options:\n"
	"  -c, --config FILE   configuration file (default " DEFAULT_CONF " when it\n"
	"                      exists, else the built-in defaults)\n"
	"      --check         check the configuration file and exit\n"
	"  -h, --help          show this help\n"
	"  -V, --version       show the version\n"
	"\n"
	"Signals: SIGHUP reloads the configuration and the schedules, SIGTERM or\n"
	"SIGINT pause the running jobs (they resume at the next start) and stop.\n");
}

/* $JOURNAL_STREAM is "DEV:INO" of the journal's stream: when it is our
 * stderr, lines get sd-daemon(3) <N> priority prefixes. */
static bool stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	if (!js || sscanf(js, "%llu:%llu", &dev, &ino) != 2 || fstat(STDERR_FILENO, &st) < 0)
		return false;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

/* One line per event, written with one call so lines never interleave. */
static void log_line(int prio, const char *job, const char *msg, void *arg)
{
	struct main *m = arg;
	char pre[8] = "", line[1400];
	if (m->journal)
		snprintf(pre, sizeof pre, "<%d>", prio);
	if (job)
		snprintf(line, sizeof line, "%sgatherd: job %s: %s\n", pre, job, msg);
	else
		snprintf(line, sizeof line, "%sgatherd: %s\n", pre, msg);
	fputs(line, stderr);
}

static void logf_main(struct main *m, int prio, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void logf_main(struct main *m, int prio, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	log_line(prio, NULL, msg, m);
}

/* Load the configuration: every fault printed as FILE:LINE.  0 or 2. */
static int load_conf(struct main *m, struct gatherd_conf *c)
{
	struct gather_strv diags = { 0 };
	const char *path = m->conf_path;
	if (!path && access(DEFAULT_CONF, F_OK) == 0)
		path = DEFAULT_CONF;
	int r = gatherd_conf_load(path, c, &diags);
	for (size_t i = 0; i < diags.n; i++)
		fprintf(stderr, "%s%s\n", m->journal ? "<3>" : "", diags.v[i]);
	gather_strv_free(&diags);
	if (r == GATHER_E_NOMEM)
		fprintf(stderr, "gatherd: out of memory\n");
	return r < 0 ? 2 : 0;
}

static void notify_status(struct main *m)
{
	char st[200], buf[256];
	gatherd_status_line(m->d, st, sizeof st);
	snprintf(buf, sizeof buf, "STATUS=%s", st);
	sd_notify(0, buf);
}

static void on_status(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	notify_status(arg);
}

/* Half of WATCHDOG_USEC: ping only while every worker makes progress (the
 * reactor answers by running this at all; gatherd_alive logs why not). */
static void on_watchdog(evutil_socket_t fd, short what, void *arg)
{
	struct main *m = arg;
	(void)fd;
	(void)what;
	if (gatherd_alive(m->d, m->watchdog_usec / 1000))
		sd_notify(0, "WATCHDOG=1");
}

static void on_stopped(void *arg)
{
	struct main *m = arg;
	logf_main(m, GATHERD_LOG_NOTICE, "stopped");
	event_base_loopexit(m->base, NULL);
}

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct main *m = arg;
	(void)fd;
	(void)what;
	logf_main(m, GATHERD_LOG_WARNING, "jobs did not stop within %d s: leaving anyway", STOP_DEADLINE_S);
	event_base_loopexit(m->base, NULL);
}

static void on_term(evutil_socket_t sig, short what, void *arg)
{
	struct main *m = arg;
	struct timeval t = { STOP_DEADLINE_S, 0 };
	(void)what;
	if (m->ev_deadline)
		return; /* stopping already */
	sd_notify(0, "STOPPING=1");
	logf_main(m, GATHERD_LOG_NOTICE, "%s: stopping", sig == SIGINT ? "SIGINT" : "SIGTERM");
	m->ev_deadline = evtimer_new(m->base, on_deadline, m);
	if (m->ev_deadline)
		evtimer_add(m->ev_deadline, &t);
	gatherd_shutdown(m->d, on_stopped, m);
}

/* SIGHUP: RELOADING=1 with MONOTONIC_USEC in one datagram (systemd
 * wants both together), read the file again, READY=1. */
static void on_hup(evutil_socket_t sig, short what, void *arg)
{
	struct main *m = arg;
	struct gatherd_conf c;
	struct timespec ts;
	char buf[128];
	(void)sig;
	(void)what;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(buf, sizeof buf, "RELOADING=1\nMONOTONIC_USEC=%llu",
	         (unsigned long long)ts.tv_sec * 1000000ull + (unsigned long long)ts.tv_nsec / 1000);
	sd_notify(0, buf);
	if (load_conf(m, &c) == 0) {
		gatherd_reload(m->d, &c);
		gatherd_conf_free(&c);
	} else {
		logf_main(m, GATHERD_LOG_ERR, "reload: the configuration has faults; the old one stays");
	}
	sd_notify(0, "READY=1");
	notify_status(m);
}

static void cleanup(struct main *m)
{
	struct event **v[] = { &m->ev_term, &m->ev_int, &m->ev_hup, &m->ev_status, &m->ev_watchdog,
		               &m->ev_deadline };
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
		if (*v[i]) {
			event_free(*v[i]);
			*v[i] = NULL;
		}
	gatherd_free(m->d);
	m->d = NULL;
	if (m->base)
		event_base_free(m->base);
}

int main(int argc, char **argv)
{
	struct main m = { .exit = 0 };
	struct gatherd_conf c;
	bool check = false;
	char err[512];

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--version") == 0 || strcmp(a, "-V") == 0) {
			printf("gatherd %s\n", PACKAGE_VERSION);
			return 0;
		} else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(a, "--check") == 0) {
			check = true;
		} else if ((strcmp(a, "-c") == 0 || strcmp(a, "--config") == 0) && i + 1 < argc) {
			m.conf_path = argv[++i];
		} else if (strncmp(a, "--config=", 9) == 0) {
			m.conf_path = a + 9;
		} else {
			fprintf(stderr, "gatherd: unknown argument '%s'\n", a);
			usage(stderr);
			return 2;
		}
	}
	m.journal = stderr_is_journal();
	if (load_conf(&m, &c) != 0)
		return 2;
	if (check) {
		printf("%s: ok (state %s, socket %s, spool %s%s, job-dir %s)\n", c.file ? c.file : "defaults",
		       c.state_dir, c.socket_path, c.spool_dir ? c.spool_dir : c.state_dir,
		       c.spool_dir ? "" : "/spool", c.job_dir);
		gatherd_conf_free(&c);
		return 0;
	}
	signal(SIGPIPE, SIG_IGN);
	if (evthread_use_pthreads() < 0 || !(m.base = event_base_new())) {
		fprintf(stderr, "gatherd: cannot set up the event loop\n");
		gatherd_conf_free(&c);
		return 1;
	}
	/* socket activation: the control socket systemd passes */
	int nfds = sd_listen_fds(1);
	int lfd = nfds >= 1 ? SD_LISTEN_FDS_START : -1;
	if (nfds > 1)
		logf_main(&m, GATHERD_LOG_WARNING, "systemd passed %d sockets: the first is used", nfds);
	m.d = gatherd_new(m.base, &c, lfd, log_line, &m, err, sizeof err);
	gatherd_conf_free(&c);
	if (!m.d) {
		fprintf(stderr, "%sgatherd: %s\n", m.journal ? "<3>" : "", err);
		cleanup(&m);
		return 1;
	}
	m.ev_term = evsignal_new(m.base, SIGTERM, on_term, &m);
	m.ev_int = evsignal_new(m.base, SIGINT, on_term, &m);
	m.ev_hup = evsignal_new(m.base, SIGHUP, on_hup, &m);
	m.ev_status = event_new(m.base, -1, EV_PERSIST, on_status, &m);
	struct timeval two = { 2, 0 };
	if (!m.ev_term || !m.ev_int || !m.ev_hup || !m.ev_status || evsignal_add(m.ev_term, NULL) < 0 ||
	    evsignal_add(m.ev_int, NULL) < 0 || evsignal_add(m.ev_hup, NULL) < 0 ||
	    event_add(m.ev_status, &two) < 0) {
		fprintf(stderr, "gatherd: cannot catch signals\n");
		cleanup(&m);
		return 1;
	}
	if (sd_watchdog_enabled(0, &m.watchdog_usec) > 0 && m.watchdog_usec > 0) {
		uint64_t half = m.watchdog_usec / 2;
		struct timeval t = { (time_t)(half / 1000000), (suseconds_t)(half % 1000000) };
		m.ev_watchdog = event_new(m.base, -1, EV_PERSIST, on_watchdog, &m);
		if (!m.ev_watchdog || event_add(m.ev_watchdog, &t) < 0) {
			fprintf(stderr, "gatherd: cannot arm the watchdog\n");
			cleanup(&m);
			return 1;
		}
		gatherd_alive(m.d, m.watchdog_usec / 1000); /* the first probe goes out now */
	}
	sd_notify(0, "READY=1");
	notify_status(&m);
	logf_main(&m, GATHERD_LOG_NOTICE, "ready (gather %s)", PACKAGE_VERSION);
	event_base_dispatch(m.base);
	cleanup(&m);
	return m.exit;
}
