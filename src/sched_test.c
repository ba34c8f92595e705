/*
 * sched_test: tasks deferred to a worker (gri_sched_defer) and the
 * lending that lets them block: on a pool of ONE worker, a task that
 * blocks must not hold up the actors, whether it says so
 * (gri_sched_detach) or not (the monitor hands the worker on). Every wait
 * has a deadline, so a pool that stalls fails the test instead of hanging.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>

#include "src/actor.h"
#include "src/sched.h"
#include "tests/harness/harness.h"

#define WAIT_MS 20000

enum { MSG_DEFER = 1, MSG_DEFER_TWICE, MSG_PING };

typedef struct fixture fixture;

/* The task: signals that it runs, then blocks on release unless told not
 * to, detaching first if told to. */
typedef struct blocking_task {
	gri_sched_task base;
	fixture       *f;
} blocking_task;

typedef struct test_actor {
	gri_actor base;
	fixture  *f;
} test_actor;

struct fixture {
	gri_sched    *s;
	gri_actor    *deferrer;
	gri_actor    *pinger;
	blocking_task task;
	blocking_task task2;
	bool          block;  /* the task waits for release */
	bool          detach; /* ... after gri_sched_detach */
	atomic_int    defer_ok;
	atomic_int    defer_second_ok;
	atomic_bool   task_on_worker;
	atomic_int    ntasks;
	gts_latch     task_started;
	gts_latch     release;
	gts_latch     task_done;
	gts_latch     pinged;
};

static void
task_run(gri_sched_task *t)
{
	fixture *f = ((blocking_task *) t)->f;

	atomic_store(&f->task_on_worker, gri_sched_on_worker(f->s));
	atomic_fetch_add(&f->ntasks, 1);
	gts_latch_count_down(&f->task_started);
	if (f->detach) {
		gri_sched_detach();
	}
	if (f->block) {
		GTS_ASSERT(gts_latch_wait(&f->release, WAIT_MS));
	}
	gts_latch_count_down(&f->task_done);
}

static void
deferrer_dispatch(gri_actor *self, gri_msg *m)
{
	fixture *f = ((test_actor *) self)->f;

	atomic_store(&f->defer_ok, gri_sched_defer(f->s, &f->task.base));
	if (m->id == MSG_DEFER_TWICE) {
		/* One task per worker and batch: the second is refused. */
		atomic_store(&f->defer_second_ok,
		             gri_sched_defer(f->s, &f->task2.base));
	}
}

static void
pinger_dispatch(gri_actor *self, gri_msg *m)
{
	(void) m;
	gts_latch_count_down(&((test_actor *) self)->f->pinged);
}

static const gri_actor_ops deferrer_ops = {
    .name     = "deferrer",
    .dispatch = deferrer_dispatch,
};

static const gri_actor_ops pinger_ops = {
    .name     = "pinger",
    .dispatch = pinger_dispatch,
};

static void
fixture_start(fixture *f, bool block, bool detach)
{
	gri_sched_opts o = {.nthreads = 1, .spin_ns = -1};

	memset(f, 0, sizeof(*f));
	f->block  = block;
	f->detach = detach;
	GTS_PASS(gri_sched_alloc(&f->s, &o));
	GTS_PASS(gri_actor_spawn(f->s, &deferrer_ops, sizeof(test_actor),
	                         &f->deferrer));
	GTS_PASS(gri_actor_spawn(f->s, &pinger_ops, sizeof(test_actor),
	                         &f->pinger));
	((test_actor *) f->deferrer)->f = f;
	((test_actor *) f->pinger)->f   = f;
	f->task.base.run                = task_run;
	f->task.f                       = f;
	f->task2.base.run               = task_run;
	f->task2.f                      = f;
	atomic_init(&f->defer_ok, -1);
	atomic_init(&f->defer_second_ok, -1);
	gts_latch_init(&f->task_started, 1);
	gts_latch_init(&f->release, 1);
	gts_latch_init(&f->task_done, 1);
	gts_latch_init(&f->pinged, 1);
}

static void
post(gri_actor *a, uint32_t id)
{
	gri_msg *m = gri_msg_alloc(sizeof(gri_msg), id);

	GTS_ASSERT(m != NULL);
	gri_actor_send(a, m);
}

static void
fixture_finish(fixture *f)
{
	GTS_PASS(gri_sched_stop(f->s));
	gri_actor_unref(f->deferrer);
	gri_actor_unref(f->pinger);
	gri_sched_free(f->s);
	gts_latch_fini(&f->task_started);
	gts_latch_fini(&f->release);
	gts_latch_fini(&f->task_done);
	gts_latch_fini(&f->pinged);
}

/*
 * A blocked task, on the pool's only worker, while another actor needs
 * to run: it runs while the task still blocks (the task is released only
 * after the ping arrived).
 */
static void
blocked_task_case(bool detach)
{
	fixture f;

	fixture_start(&f, true, detach);
	post(f.deferrer, MSG_DEFER);
	GTS_ASSERT(gts_latch_wait(&f.task_started, WAIT_MS));
	GTS_EQ(atomic_load(&f.defer_ok), 1);
	GTS_ASSERT(atomic_load(&f.task_on_worker));
	post(f.pinger, MSG_PING);
	GTS_ASSERT(gts_latch_wait(&f.pinged, WAIT_MS));
	gts_latch_count_down(&f.release);
	GTS_ASSERT(gts_latch_wait(&f.task_done, WAIT_MS));
	/* The pool goes on after the task (its thread became a spare). */
	gts_latch_fini(&f.pinged);
	gts_latch_init(&f.pinged, 1);
	post(f.pinger, MSG_PING);
	GTS_ASSERT(gts_latch_wait(&f.pinged, WAIT_MS));
	fixture_finish(&f);
}

static void
test_sched_task_blocks(void)
{
	blocked_task_case(false); /* the monitor hands the worker on */
}

static void
test_sched_task_detaches(void)
{
	blocked_task_case(true);
}

/* Tasks that return at once keep their worker: many in a row all run. */
static void
test_sched_task_returns(void)
{
	fixture f;

	fixture_start(&f, false, false);
	for (int i = 0; i < 1000; i++) {
		gts_latch_fini(&f.task_done);
		gts_latch_init(&f.task_done, 1);
		post(f.deferrer, MSG_DEFER);
		GTS_ASSERT(gts_latch_wait(&f.task_done, WAIT_MS));
		GTS_EQ(atomic_load(&f.defer_ok), 1);
	}
	GTS_EQ(atomic_load(&f.ntasks), 1000);
	fixture_finish(&f);
}

/* Off a worker, or with a task deferred already, defer refuses. */
static void
test_sched_defer_refused(void)
{
	fixture f;

	fixture_start(&f, false, false);
	GTS_ASSERT(!gri_sched_defer(f.s, &f.task.base));
	gri_sched_detach(); /* off a task: nothing */
	post(f.deferrer, MSG_DEFER_TWICE);
	GTS_ASSERT(gts_latch_wait(&f.task_done, WAIT_MS));
	GTS_EQ(atomic_load(&f.defer_ok), 1);
	GTS_EQ(atomic_load(&f.defer_second_ok), 0);
	GTS_EQ(atomic_load(&f.ntasks), 1);
	fixture_finish(&f);
}

/* Stop waits for a task that still blocks, and joins its thread. */
static void *
stopper(void *arg)
{
	fixture *f = arg;

	GTS_PASS(gri_sched_stop(f->s));
	return (NULL);
}

static void
test_sched_stop_waits_for_task(void)
{
	fixture   f;
	pthread_t tid;

	fixture_start(&f, true, true);
	post(f.deferrer, MSG_DEFER);
	GTS_ASSERT(gts_latch_wait(&f.task_started, WAIT_MS));
	GTS_ASSERT(pthread_create(&tid, NULL, stopper, &f) == 0);
	gts_latch_count_down(&f.release);
	GTS_ASSERT(pthread_join(tid, NULL) == 0);
	GTS_ASSERT(gts_latch_wait(&f.task_done, 0));
	fixture_finish(&f);
}

gts_test TEST_LIST[] = {
    {"sched task blocks, monitor hands on", test_sched_task_blocks},
    {"sched task detaches", test_sched_task_detaches},
    {"sched tasks return", test_sched_task_returns},
    {"sched defer refused", test_sched_defer_refused},
    {"sched stop waits for a task", test_sched_stop_waits_for_task},
    {NULL, NULL},
};
