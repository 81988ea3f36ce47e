/* signals.c — SIGINT/SIGTERM for the CLI: the first asks for a clean stop
 * (through the reactor), the second leaves at once, whatever the process is
 * doing by then.
 *
 * libevent's signal events cannot keep the second promise: their handler
 * only writes to a socketpair that the loop reads, and the reactor's
 * thread can be blocked outside the loop (joining a writer thread that
 * waits on a pipe nobody reads), or the loop can be over and the events
 * freed, which puts back the inherited disposition (SIG_IGN for a job
 * started with & by a script).  So the handler here counts signals itself
 * and calls _exit(128 + signal) on the second (130 for SIGINT, 143 for
 * SIGTERM, as the shell reports a process the signal killed); the first is passed to the reactor
 * through a self-pipe (the same trick libevent uses). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "cli.h"

/* Process-wide by nature: a signal handler can only reach globals. */
static volatile sig_atomic_t sig_count;
static volatile sig_atomic_t sig_last;
static int sig_pipe[2] = { -1, -1 };

static void on_sig(int sig)
{
	static const char msg[] = "\ngather: signal again, leaving now\n";
	int e = errno;
	sig_last = sig;
	if (sig_count++ > 0) {
		ssize_t w = write(STDERR_FILENO, msg, sizeof msg - 1);
		(void)w;
		_exit(128 + sig);
	}
	if (sig_pipe[1] >= 0) {
		ssize_t w = write(sig_pipe[1], "s", 1);
		(void)w;
	}
	errno = e;
}

struct cli_signals {
	struct event *ev;
	cli_signal_fn cb;
	void *arg;
};

static void on_pipe(evutil_socket_t fd, short what, void *arg)
{
	struct cli_signals *s = arg;
	char buf[16];
	(void)what;
	while (read(fd, buf, sizeof buf) > 0)
		;
	s->cb((int)sig_last, s->arg);
}

struct cli_signals *cli_signals_open(struct event_base *base, cli_signal_fn cb, void *arg)
{
	struct cli_signals *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	if (sig_pipe[0] < 0 && pipe2(sig_pipe, O_NONBLOCK | O_CLOEXEC) < 0) {
		free(s);
		return NULL;
	}
	s->cb = cb;
	s->arg = arg;
	s->ev = event_new(base, sig_pipe[0], EV_READ | EV_PERSIST, on_pipe, s);
	if (!s->ev || event_add(s->ev, NULL) < 0) {
		if (s->ev)
			event_free(s->ev);
		free(s);
		return NULL;
	}
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_sig;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	return s;
}

void cli_signals_close(struct cli_signals *s)
{
	/* The handler stays: after the loop, a first signal is only counted
	 * (the run is finishing anyway) and a second one still leaves. */
	if (!s)
		return;
	event_free(s->ev);
	free(s);
}
