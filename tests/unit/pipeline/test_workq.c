/* test_workq.c — the worker pool: every item processed and returned once,
 * on the right threads; backpressure; shutdown with work queued; a stress
 * run with reactor-side and threaded producers (run it under TSan too). */
#include "config.h"

#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <event2/thread.h>

#include "gather/error.h"
#include "gather/result.h"
#include "pipeline/workq.h"

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static struct event_base *new_base(void)
{
	/* Must precede event_base_new so the base gets its lock. */
	ck_assert_int_eq(evthread_use_pthreads(), 0);
	struct event_base *b = event_base_new();
	ck_assert_ptr_nonnull(b);
	return b;
}

static struct gather_result *item(unsigned id)
{
	struct gather_result *r = gather_result_new();
	ck_assert_ptr_nonnull(r);
	r->depth = id;
	return r;
}

/* Shared state of one test; counters the workers touch are atomic. */
struct ctx {
	pthread_t reactor;
	struct event_base *base;
	struct gather_workq *q;
	unsigned total;           /* items the test expects back */
	unsigned char *seen;      /* per id: done() calls (reactor only) */
	atomic_uint worked;       /* work() calls */
	atomic_bool wrong_thread; /* work() ran on the reactor or done() off it */
	unsigned n_done;          /* reactor only */
	unsigned n_processed;     /* reactor only */
	unsigned n_unprocessed;   /* reactor only */
	/* gate: work() on id gate_id waits until gate_open */
	pthread_mutex_t gmu;
	pthread_cond_t gcv;
	bool gate_open;
	bool gate_entered;
	unsigned gate_id;
	bool use_gate;
	/* stress */
	unsigned next_id;         /* reactor producers only */
	unsigned reactor_items;   /* ids [0, reactor_items) pushed by timers */
	unsigned again;           /* reactor only: AGAIN answers seen */
};

static void ctx_init(struct ctx *c, unsigned total)
{
	memset(c, 0, sizeof(*c));
	c->reactor = pthread_self();
	c->total = total;
	c->seen = calloc(total ? total : 1, 1);
	ck_assert_ptr_nonnull(c->seen);
	pthread_mutex_init(&c->gmu, NULL);
	pthread_cond_init(&c->gcv, NULL);
	c->base = new_base();
}

static void ctx_fini(struct ctx *c)
{
	free(c->seen);
	pthread_mutex_destroy(&c->gmu);
	pthread_cond_destroy(&c->gcv);
	event_base_free(c->base);
}

static void gate_open(struct ctx *c)
{
	pthread_mutex_lock(&c->gmu);
	c->gate_open = true;
	pthread_cond_broadcast(&c->gcv);
	pthread_mutex_unlock(&c->gmu);
}

static bool gate_entered(struct ctx *c)
{
	pthread_mutex_lock(&c->gmu);
	bool e = c->gate_entered;
	pthread_mutex_unlock(&c->gmu);
	return e;
}

/* A little real CPU work so that workers overlap. */
static void work(struct gather_result *r, void *arg)
{
	struct ctx *c = arg;
	unsigned h = r->depth * 2654435761u;

	if (pthread_equal(pthread_self(), c->reactor))
		atomic_store(&c->wrong_thread, true);
	if (c->use_gate && r->depth == c->gate_id) {
		pthread_mutex_lock(&c->gmu);
		c->gate_entered = true;
		for (int i = 0; i < 1000 && !c->gate_open; i++) {
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += 10 * 1000000L;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&c->gcv, &c->gmu, &ts);
		}
		pthread_mutex_unlock(&c->gmu);
	}
	for (int i = 0; i < 200; i++)
		h = h * 31 + (unsigned)i;
	r->status = 200 + (int)(h & 1);
	r->processed = true;
	atomic_fetch_add(&c->worked, 1);
}

static void done(struct gather_result *r, void *arg)
{
	struct ctx *c = arg;

	if (!pthread_equal(pthread_self(), c->reactor))
		atomic_store(&c->wrong_thread, true);
	ck_assert_uint_lt(r->depth, c->total);
	c->seen[r->depth]++;
	c->n_done++;
	if (r->processed)
		c->n_processed++;
	else
		c->n_unprocessed++;
	gather_result_free(r);
	if (c->n_done == c->total)
		event_base_loopbreak(c->base);
}

/* Run the loop until all items came back or ms passed. */
static void run_until_all(struct ctx *c, unsigned ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
	event_base_loopexit(c->base, &tv);
	event_base_dispatch(c->base);
}

static void assert_each_once(const struct ctx *c)
{
	for (unsigned i = 0; i < c->total; i++)
		ck_assert_msg(c->seen[i] == 1, "item %u returned %u times", i, c->seen[i]);
}

START_TEST(test_counts)
{
	struct ctx c;
	char err[200];
	unsigned pushed = 0;

	ctx_init(&c, 500);
	c.q = gather_workq_new(c.base, 2, 600, work, done, &c, err, sizeof(err));
	ck_assert_msg(c.q != NULL, "%s", err);
	for (; pushed < 500; pushed++)
		ck_assert_int_eq(gather_workq_push(c.q, item(pushed)), 0);
	ck_assert_uint_eq(gather_workq_pending(c.q), 500);
	run_until_all(&c, 10000);
	ck_assert_uint_eq(c.n_done, 500);
	ck_assert_uint_eq(c.n_processed, 500);
	ck_assert_uint_eq(atomic_load(&c.worked), 500);
	ck_assert_uint_eq(gather_workq_pending(c.q), 0);
	ck_assert(!gather_workq_full(c.q));
	ck_assert(!atomic_load(&c.wrong_thread));
	assert_each_once(&c);
	gather_workq_free(c.q);
	ctx_fini(&c);
}
END_TEST

/* With nothing else in the loop, dispatch must not return while work is
 * with the workers, and must return once the last done() ran. */
START_TEST(test_dispatch_waits_for_workers)
{
	struct ctx c;
	char err[200];

	ctx_init(&c, 40);
	c.q = gather_workq_new(c.base, 2, 8, work, done, &c, err, sizeof(err));
	ck_assert_msg(c.q != NULL, "%s", err);
	/* an empty base returns at once */
	ck_assert_int_eq(event_base_dispatch(c.base), 1);
	for (int round = 0; round < 5; round++) {
		for (unsigned i = 0; i < 8; i++)
			ck_assert_int_eq(gather_workq_push(c.q, item(round * 8 + i)), 0);
		ck_assert_int_eq(event_base_dispatch(c.base), round == 4 ? 0 : 1);
		ck_assert_uint_eq(c.n_done, (unsigned)(round + 1) * 8);
		ck_assert_uint_eq(gather_workq_pending(c.q), 0);
	}
	assert_each_once(&c);
	gather_workq_free(c.q);
	ctx_fini(&c);
}
END_TEST

START_TEST(test_default_workers_and_bad_args)
{
	struct ctx c;
	char err[200] = "";

	ctx_init(&c, 50);
	ck_assert_ptr_null(gather_workq_new(c.base, 1, 0, work, done, &c, err, sizeof(err)));
	ck_assert_msg(strstr(err, "capacity") != NULL, "%s", err);
	err[0] = '\0';
	ck_assert_ptr_null(gather_workq_new(c.base, 1, 8, NULL, done, &c, err, sizeof(err)));
	ck_assert_str_ne(err, "");
	ck_assert_ptr_null(gather_workq_new(c.base, 100000, 8, work, done, &c, err, sizeof(err)));

	c.q = gather_workq_new(c.base, 0, 50, work, done, &c, err, sizeof(err));
	ck_assert_msg(c.q != NULL, "%s", err);
	for (unsigned i = 0; i < 50; i++)
		ck_assert_int_eq(gather_workq_push(c.q, item(i)), 0);
	run_until_all(&c, 10000);
	ck_assert_uint_eq(c.n_processed, 50);
	assert_each_once(&c);
	gather_workq_free(c.q);
	gather_workq_free(NULL);
	ctx_fini(&c);
}
END_TEST

/* Poll (bounded) until work() ran n times. */
static void wait_worked(struct ctx *c, unsigned n)
{
	for (int i = 0; i < 1000 && atomic_load(&c->worked) < n; i++)
		sleep_ms(5);
	ck_assert_uint_ge(atomic_load(&c->worked), n);
}

START_TEST(test_backpressure)
{
	struct ctx c;
	char err[200];
	struct gather_result *extra;

	ctx_init(&c, 6);
	c.q = gather_workq_new(c.base, 2, 4, work, done, &c, err, sizeof(err));
	ck_assert_msg(c.q != NULL, "%s", err);
	for (unsigned i = 0; i < 4; i++)
		ck_assert_int_eq(gather_workq_push(c.q, item(i)), 0);
	ck_assert(gather_workq_full(c.q));
	extra = item(4);
	ck_assert_int_eq(gather_workq_push(c.q, extra), GATHER_E_AGAIN);

	/* All four processed by the workers, but done() has not run (the
	 * loop has not): they still count against the capacity. */
	wait_worked(&c, 4);
	ck_assert_uint_eq(gather_workq_pending(c.q), 4);
	ck_assert(gather_workq_full(c.q));
	ck_assert_int_eq(gather_workq_push(c.q, extra), GATHER_E_AGAIN);
	ck_assert_uint_eq(c.n_done, 0);

	/* One loop pass runs the notify callback: done() for all four. */
	for (int i = 0; i < 100 && c.n_done < 4; i++)
		event_base_loop(c.base, EVLOOP_ONCE);
	ck_assert_uint_eq(c.n_done, 4);
	ck_assert_uint_eq(gather_workq_pending(c.q), 0);
	ck_assert(!gather_workq_full(c.q));
	ck_assert_int_eq(gather_workq_push(c.q, extra), 0);
	ck_assert_int_eq(gather_workq_push(c.q, item(5)), 0);
	run_until_all(&c, 10000);
	ck_assert_uint_eq(c.n_done, 6);
	assert_each_once(&c);
	gather_workq_free(c.q);
	ctx_fini(&c);
}
END_TEST

/* gather_workq_stuck_ms: 0 while the workers idle; one worker held on one
 * item (the gate) for 300 ms shows at least that long and is named, while
 * the other worker goes on with the rest; 0 again once it is let go. */
START_TEST(test_stuck_one_worker)
{
	struct ctx c;
	char err[200];
	unsigned w = 99;

	ctx_init(&c, 11);
	c.use_gate = true;
	c.gate_id = 0;
	c.q = gather_workq_new(c.base, 2, 16, work, done, &c, err, sizeof(err));
	ck_assert_msg(c.q != NULL, "%s", err);
	sleep_ms(20);
	ck_assert_uint_eq(gather_workq_stuck_ms(c.q, &w), 0);
	ck_assert_uint_eq(w, 99);
	ck_assert_int_eq(gather_workq_push(c.q, item(0)), 0);
	for (int i = 0; i < 1000 && !gate_entered(&c); i++)
		sleep_ms(2);
	ck_assert(gate_entered(&c));
	/* the other worker takes the rest, one or a few at a time */
	for (unsigned i = 1; i < 11; i++)
		ck_assert_int_eq(gather_workq_push(c.q, item(i)), 0);
	wait_worked(&c, 10);
	sleep_ms(300);
	uint64_t stuck = gather_workq_stuck_ms(c.q, &w);
	ck_assert_msg(stuck >= 300 && stuck < 10000, "stuck %llu ms", (unsigned long long)stuck);
	ck_assert_uint_lt(w, 2);
	gate_open(&c);
	run_until_all(&c, 10000);
	ck_assert_uint_eq(c.n_done, 11);
	assert_each_once(&c);
	ck_assert_uint_eq(gather_workq_stuck_ms(c.q, NULL), 0);
	gather_workq_free(c.q);
	ctx_fini(&c);
}
END_TEST

/* Helper for shutdown: opens the gate only once free() has begun (push
 * answers CANCELLED), so exactly the gated item is processed. */
static void *open_gate_on_stop(void *p)
{
	struct ctx *c = p;
	struct gather_result *probe = gather_result_new();

	for (int i = 0; i < 5000; i++) {
		int rc = gather_workq_push(c->q, probe);
		ck_assert_int_ne(rc, 0); /* the queue is full until stopped */
		if (rc == GATHER_E_CANCELLED)
			break;
		sleep_ms(1);
	}
	gather_result_free(probe);
	gate_open(c);
	return NULL;
}

START_TEST(test_shutdown_with_items_queued)
{
	struct ctx c;
	char err[200];
	pthread_t helper;

	ctx_init(&c, 10);
	c.use_gate = true;
	c.gate_id = 0;
	c.q = gather_workq_new(c.base, 1, 10, work, done, &c, err, sizeof(err));
	ck_assert_msg(c.q != NULL, "%s", err);
	for (unsigned i = 0; i < 10; i++)
		ck_assert_int_eq(gather_workq_push(c.q, item(i)), 0);
	for (int i = 0; i < 1000 && !gate_entered(&c); i++)
		sleep_ms(2);
	ck_assert(gate_entered(&c));
	ck_assert_int_eq(pthread_create(&helper, NULL, open_gate_on_stop, &c), 0);
	gather_workq_free(c.q); /* joins the worker: item 0 finishes */
	pthread_join(helper, NULL);
	ck_assert_uint_eq(c.n_done, 10);
	ck_assert_uint_eq(c.n_processed, 1);
	ck_assert_uint_eq(c.n_unprocessed, 9);
	ck_assert_uint_eq(atomic_load(&c.worked), 1);
	assert_each_once(&c);
	ctx_fini(&c);
}
END_TEST

/* done() that pushes a result back during free() gets CANCELLED. */
static void done_repush(struct gather_result *r, void *arg)
{
	struct ctx *c = arg;
	ck_assert_int_eq(gather_workq_push(c->q, r), GATHER_E_CANCELLED);
	done(r, arg);
}

START_TEST(test_shutdown_push_refused)
{
	struct ctx c;
	char err[200];

	ctx_init(&c, 3);
	c.q = gather_workq_new(c.base, 1, 8, work, done_repush, &c, err, sizeof(err));
	ck_assert_msg(c.q != NULL, "%s", err);
	for (unsigned i = 0; i < 3; i++)
		ck_assert_int_eq(gather_workq_push(c.q, item(i)), 0);
	gather_workq_free(c.q);
	ck_assert_uint_eq(c.n_done, 3);
	assert_each_once(&c);
	ctx_fini(&c);
}
END_TEST

/* --- stress -------------------------------------------------------------
 * Three persistent timers on the reactor push ids [0, reactor_items) until
 * the queue says AGAIN; two producer threads push their own id ranges,
 * retrying on AGAIN; done() counts every id once. */
#define STRESS_REACTOR 6000u
#define STRESS_THREADS 2u
#define STRESS_PER_THREAD 3000u
#define STRESS_TOTAL (STRESS_REACTOR + STRESS_THREADS * STRESS_PER_THREAD)

static void on_producer_timer(evutil_socket_t fd, short what, void *arg)
{
	struct ctx *c = arg;

	for (int i = 0; i < 50 && c->next_id < c->reactor_items; i++) {
		struct gather_result *r = item(c->next_id);
		int rc = gather_workq_push(c->q, r);
		if (rc == GATHER_E_AGAIN) {
			c->again++;
			gather_result_free(r);
			break;
		}
		ck_assert_int_eq(rc, 0);
		c->next_id++;
	}
}

struct producer {
	struct ctx *c;
	unsigned first, n;
	unsigned again;
};

static void *producer_thread(void *p)
{
	struct producer *pr = p;

	for (unsigned id = pr->first; id < pr->first + pr->n; id++) {
		struct gather_result *r = item(id);
		int rc;
		for (int tries = 0; (rc = gather_workq_push(pr->c->q, r)) == GATHER_E_AGAIN &&
		     tries < 200000; tries++) {
			pr->again++;
			sched_yield();
		}
		ck_assert_int_eq(rc, 0);
	}
	return NULL;
}

START_TEST(test_stress)
{
	struct ctx c;
	char err[200];
	struct event *timers[3];
	struct timeval ms1 = { 0, 1000 };
	pthread_t th[STRESS_THREADS];
	struct producer pr[STRESS_THREADS];

	ctx_init(&c, STRESS_TOTAL);
	c.reactor_items = STRESS_REACTOR;
	c.q = gather_workq_new(c.base, 4, 32, work, done, &c, err, sizeof(err));
	ck_assert_msg(c.q != NULL, "%s", err);
	for (int i = 0; i < 3; i++) {
		timers[i] = event_new(c.base, -1, EV_PERSIST, on_producer_timer, &c);
		ck_assert_ptr_nonnull(timers[i]);
		event_add(timers[i], &ms1);
	}
	for (unsigned i = 0; i < STRESS_THREADS; i++) {
		pr[i] = (struct producer){ &c, STRESS_REACTOR + i * STRESS_PER_THREAD,
		                           STRESS_PER_THREAD, 0 };
		ck_assert_int_eq(pthread_create(&th[i], NULL, producer_thread, &pr[i]), 0);
	}
	run_until_all(&c, 40000);
	for (unsigned i = 0; i < STRESS_THREADS; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < 3; i++)
		event_free(timers[i]);
	ck_assert_uint_eq(c.next_id, STRESS_REACTOR);
	ck_assert_uint_eq(c.n_done, STRESS_TOTAL);
	ck_assert_uint_eq(c.n_processed, STRESS_TOTAL);
	ck_assert_uint_eq(gather_workq_pending(c.q), 0);
	ck_assert(!atomic_load(&c.wrong_thread));
	/* capacity 32 against 5 producers: backpressure must have happened */
	ck_assert_uint_gt(c.again + pr[0].again + pr[1].again, 0);
	assert_each_once(&c);
	gather_workq_free(c.q);
	ctx_fini(&c);
}
END_TEST

/* Free while producers and workers are busy: nothing lost or leaked. */
START_TEST(test_stress_free_midway)
{
	struct ctx c;
	char err[200];
	struct event *timer;
	struct timeval ms1 = { 0, 1000 };

	ctx_init(&c, 4000);
	c.reactor_items = 4000;
	c.q = gather_workq_new(c.base, 3, 16, work, done, &c, err, sizeof(err));
	ck_assert_msg(c.q != NULL, "%s", err);
	timer = event_new(c.base, -1, EV_PERSIST, on_producer_timer, &c);
	event_add(timer, &ms1);
	run_until_all(&c, 30); /* stop early, with work in flight */
	event_free(timer);
	gather_workq_free(c.q);
	ck_assert_uint_eq(c.n_done, c.next_id);
	ck_assert_uint_eq(c.n_processed + c.n_unprocessed, c.next_id);
	for (unsigned i = 0; i < c.next_id; i++)
		ck_assert_uint_eq(c.seen[i], 1);
	ctx_fini(&c);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("workq");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_counts);
	tcase_add_test(tc, test_dispatch_waits_for_workers);
	tcase_add_test(tc, test_default_workers_and_bad_args);
	tcase_add_test(tc, test_backpressure);
	tcase_add_test(tc, test_stuck_one_worker);
	tcase_add_test(tc, test_shutdown_with_items_queued);
	tcase_add_test(tc, test_shutdown_push_refused);
	tcase_add_test(tc, test_stress);
	tcase_add_test(tc, test_stress_free_midway);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	libevent_global_shutdown();
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
