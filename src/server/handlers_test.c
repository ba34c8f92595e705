/*
 * handlers_test: the handler thread pool: tasks run once, the pool grows
 * while every thread is busy, holds at max_threads (tasks queue), retires
 * idle threads down to min_threads, says when tasks wait for a thread,
 * stop cancels what is queued and waits for what runs, and it works
 * without spinning and from many producers.
 */
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "src/server/handlers.h"
#include "tests/harness/harness.h"

#define WAIT_MS 10000

typedef struct job {
	gri_hpool_task t;
	int            id;
	int            sleep_ms;
	gts_latch     *started;   /* counted down when it starts */
	gts_latch     *all_in;    /* waited on after starting (may be NULL) */
	gts_latch     *done;      /* counted down at its end */
	atomic_int     runs;      /* run calls */
	atomic_int     cancels;   /* cancel calls */
	gorums_err     why;       /* the cancel's reason */
	bool           waited_ok; /* all_in opened in time */
	gri_hpool     *pool;      /* for the stop-from-a-task test */
	gorums_err     stop_rv;
} job;

static atomic_int running;
static atomic_int max_running;

static void
sleep_ms(int ms)
{
	struct timespec ts = {.tv_sec  = ms / 1000,
	                      .tv_nsec = (long) (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) != 0) { }
}

static void
job_run(gri_hpool_task *t)
{
	job *j = (job *) t;
	int  n, m;

	atomic_fetch_add(&j->runs, 1);
	n = atomic_fetch_add(&running, 1) + 1;
	while ((m = atomic_load(&max_running)) < n &&
	       !atomic_compare_exchange_weak(&max_running, &m, n)) { }
	if (j->started != NULL) {
		gts_latch_count_down(j->started);
	}
	if (j->all_in != NULL) {
		j->waited_ok = gts_latch_wait(j->all_in, WAIT_MS);
	}
	if (j->sleep_ms > 0) {
		sleep_ms(j->sleep_ms);
	}
	if (j->pool != NULL) {
		j->stop_rv = gri_hpool_stop(j->pool);
	}
	atomic_fetch_sub(&running, 1);
	if (j->done != NULL) {
		gts_latch_count_down(j->done);
	}
}

static void
job_cancel(gri_hpool_task *t, gorums_err why)
{
	job *j = (job *) t;

	j->why = why;
	atomic_fetch_add(&j->cancels, 1);
	if (j->done != NULL) {
		gts_latch_count_down(j->done);
	}
}

static void
job_init(job *j, int id)
{
	memset(j, 0, sizeof(*j));
	j->id       = id;
	j->t.run    = job_run;
	j->t.cancel = job_cancel;
	atomic_init(&j->runs, 0);
	atomic_init(&j->cancels, 0);
}

static void
reset_counters(void)
{
	atomic_store(&running, 0);
	atomic_store(&max_running, 0);
}

/* wait_nthreads polls until p has n threads: retiring has no event. */
static void
wait_nthreads(gri_hpool *p, int n)
{
	uint64_t end = gts_now_ns() + (uint64_t) WAIT_MS * 1000000u;

	while (gri_hpool_nthreads(p) != n) {
		GTS_ASSERT(gts_now_ns() < end);
		sleep_ms(1);
	}
}

#define NRUN 200

static void
test_runs_each_once(void)
{
	gri_hpool *p;
	static job jobs[NRUN];
	gts_latch  done;

	reset_counters();
	GTS_PASS(gri_hpool_alloc(&p, NULL));
	gts_latch_init(&done, NRUN);
	for (int i = 0; i < NRUN; i++) {
		job_init(&jobs[i], i);
		jobs[i].done = &done;
		gri_hpool_submit(p, &jobs[i].t);
	}
	GTS_ASSERT(gts_latch_wait(&done, WAIT_MS));
	for (int i = 0; i < NRUN; i++) {
		GTS_EQ(atomic_load(&jobs[i].runs), 1);
		GTS_EQ(atomic_load(&jobs[i].cancels), 0);
	}
	gri_hpool_free(p);
	gts_latch_fini(&done);
}

#define NGROW 32

static void
test_grows_when_busy(void)
{
	gri_hpool *p;
	static job jobs[NGROW];
	gts_latch  in, done;

	reset_counters();
	GTS_PASS(gri_hpool_alloc(&p, NULL));
	gts_latch_init(&in, NGROW);
	gts_latch_init(&done, NGROW);
	/* Each waits until all have started: only NGROW threads at once
	 * get them all past. */
	for (int i = 0; i < NGROW; i++) {
		job_init(&jobs[i], i);
		jobs[i].started = &in;
		jobs[i].all_in  = &in;
		jobs[i].done    = &done;
		gri_hpool_submit(p, &jobs[i].t);
	}
	GTS_ASSERT(gts_latch_wait(&done, WAIT_MS));
	for (int i = 0; i < NGROW; i++) {
		GTS_ASSERT(jobs[i].waited_ok);
	}
	GTS_EQ(atomic_load(&max_running), NGROW);
	GTS_ASSERT(gri_hpool_nthreads(p) >= NGROW);
	gri_hpool_free(p);
	gts_latch_fini(&in);
	gts_latch_fini(&done);
}

static void
test_max_threads_queues(void)
{
	gri_hpool     *p;
	gri_hpool_opts o;
	static job     jobs[6];
	gts_latch      done;
	uint64_t       t0;

	reset_counters();
	gri_hpool_opts_init(&o);
	o.max_threads = 2;
	GTS_PASS(gri_hpool_alloc(&p, &o));
	gts_latch_init(&done, 6);
	GTS_ASSERT(!gri_hpool_waiting(p));
	t0 = gts_now_ns();
	for (int i = 0; i < 6; i++) {
		job_init(&jobs[i], i);
		jobs[i].sleep_ms = 30;
		jobs[i].done     = &done;
		gri_hpool_submit(p, &jobs[i].t);
	}
	GTS_ASSERT(gri_hpool_nthreads(p) <= 2);
	/* At least four wait for the two threads (30 ms each). */
	GTS_ASSERT(gri_hpool_waiting(p));
	GTS_ASSERT(gts_latch_wait(&done, WAIT_MS));
	/* The last ones ran, so none waits. */
	GTS_ASSERT(!gri_hpool_waiting(p));
	/* Three rounds of two. */
	GTS_ASSERT(gts_now_ns() - t0 >= 90u * 1000000u);
	GTS_EQ(atomic_load(&max_running), 2);
	for (int i = 0; i < 6; i++) {
		GTS_EQ(atomic_load(&jobs[i].runs), 1);
	}
	gri_hpool_free(p);
	gts_latch_fini(&done);
}

static void
retire_down_to(int min)
{
	gri_hpool     *p;
	gri_hpool_opts o;
	static job     jobs[4];
	job            again;
	gts_latch      in, done, done2;

	reset_counters();
	gri_hpool_opts_init(&o);
	o.min_threads = min;
	o.idle_ns     = 20 * 1000000; /* 20 ms */
	GTS_PASS(gri_hpool_alloc(&p, &o));
	gts_latch_init(&in, 4);
	gts_latch_init(&done, 4);
	for (int i = 0; i < 4; i++) {
		job_init(&jobs[i], i);
		jobs[i].started = &in;
		jobs[i].all_in  = &in;
		jobs[i].done    = &done;
		gri_hpool_submit(p, &jobs[i].t);
	}
	GTS_ASSERT(gts_latch_wait(&done, WAIT_MS));
	GTS_EQ(atomic_load(&max_running), 4);
	wait_nthreads(p, min);
	/* Still serving after retiring. */
	gts_latch_init(&done2, 1);
	job_init(&again, 99);
	again.done = &done2;
	gri_hpool_submit(p, &again.t);
	GTS_ASSERT(gts_latch_wait(&done2, WAIT_MS));
	GTS_EQ(atomic_load(&again.runs), 1);
	gri_hpool_free(p);
	gts_latch_fini(&in);
	gts_latch_fini(&done);
	gts_latch_fini(&done2);
}

static void
test_retires_to_zero(void)
{
	retire_down_to(0);
}

static void
test_retires_to_min(void)
{
	retire_down_to(1);
}

static void
test_stop_cancels_queued(void)
{
	gri_hpool     *p;
	gri_hpool_opts o;
	job            a, b, c, d;
	gts_latch      started;

	reset_counters();
	gri_hpool_opts_init(&o);
	o.max_threads = 1;
	GTS_PASS(gri_hpool_alloc(&p, &o));
	gts_latch_init(&started, 1);
	job_init(&a, 1);
	a.started  = &started;
	a.sleep_ms = 100;
	job_init(&b, 2);
	job_init(&c, 3);
	job_init(&d, 4);
	gri_hpool_submit(p, &a.t);
	GTS_ASSERT(gts_latch_wait(&started, WAIT_MS));
	gri_hpool_submit(p, &b.t);
	gri_hpool_submit(p, &c.t);
	GTS_PASS(gri_hpool_stop(p));
	/* a ran to its end (stop joined it); b and c never ran. */
	GTS_EQ(atomic_load(&a.runs), 1);
	GTS_EQ(atomic_load(&running), 0);
	GTS_EQ(atomic_load(&b.runs), 0);
	GTS_EQ(atomic_load(&b.cancels), 1);
	GTS_EQ(b.why, GORUMS_ESTOPPED);
	GTS_EQ(atomic_load(&c.cancels), 1);
	GTS_EQ(gri_hpool_nthreads(p), 0);
	/* Later submits are cancelled on the spot. */
	gri_hpool_submit(p, &d.t);
	GTS_EQ(atomic_load(&d.cancels), 1);
	GTS_EQ(d.why, GORUMS_ESTOPPED);
	GTS_PASS(gri_hpool_stop(p)); /* idempotent */
	gri_hpool_free(p);
	gts_latch_fini(&started);
}

static void
test_stop_from_task(void)
{
	gri_hpool *p;
	job        j;
	gts_latch  done;

	GTS_PASS(gri_hpool_alloc(&p, NULL));
	gts_latch_init(&done, 1);
	job_init(&j, 1);
	j.pool = p;
	j.done = &done;
	gri_hpool_submit(p, &j.t);
	GTS_ASSERT(gts_latch_wait(&done, WAIT_MS));
	GTS_EQ(j.stop_rv, GORUMS_EBUSY);
	gri_hpool_free(p);
	gts_latch_fini(&done);
}

static void
test_no_spin(void)
{
	gri_hpool     *p;
	gri_hpool_opts o;

	gri_hpool_opts_init(&o);
	o.spin_ns = 0;
	GTS_PASS(gri_hpool_alloc(&p, &o));
	/* Every hand-off parks and wakes. */
	for (int i = 0; i < 200; i++) {
		job       j;
		gts_latch done;
		gts_latch_init(&done, 1);
		job_init(&j, i);
		j.done = &done;
		gri_hpool_submit(p, &j.t);
		GTS_ASSERT(gts_latch_wait(&done, WAIT_MS));
		GTS_EQ(atomic_load(&j.runs), 1);
		gts_latch_fini(&done);
	}
	GTS_ASSERT(gri_hpool_nthreads(p) >= 1);
	gri_hpool_free(p);
}

#define NPROD 4
#define NPER  500

typedef struct prod {
	gri_hpool *pool;
	job       *jobs;
	gts_latch *done;
} prod;

static void *
prod_main(void *arg)
{
	prod *pr = arg;

	for (int i = 0; i < NPER; i++) {
		job_init(&pr->jobs[i], i);
		pr->jobs[i].done = pr->done;
		gri_hpool_submit(pr->pool, &pr->jobs[i].t);
	}
	return (NULL);
}

static void
test_many_producers(void)
{
	gri_hpool *p;
	static job jobs[NPROD][NPER];
	prod       prods[NPROD];
	pthread_t  tids[NPROD];
	gts_latch  done;

	reset_counters();
	GTS_PASS(gri_hpool_alloc(&p, NULL));
	gts_latch_init(&done, NPROD * NPER);
	for (int i = 0; i < NPROD; i++) {
		prods[i] = (prod) {.pool = p, .jobs = jobs[i], .done = &done};
		GTS_EQ(pthread_create(&tids[i], NULL, prod_main, &prods[i]),
		       0);
	}
	for (int i = 0; i < NPROD; i++) {
		pthread_join(tids[i], NULL);
	}
	GTS_ASSERT(gts_latch_wait(&done, WAIT_MS));
	for (int i = 0; i < NPROD; i++) {
		for (int k = 0; k < NPER; k++) {
			GTS_EQ(atomic_load(&jobs[i][k].runs), 1);
		}
	}
	gri_hpool_free(p);
	gts_latch_fini(&done);
}

gts_test TEST_LIST[] = {
    {"hpool runs each task once", test_runs_each_once},
    {"hpool grows when busy", test_grows_when_busy},
    {"hpool max threads queues", test_max_threads_queues},
    {"hpool retires to zero", test_retires_to_zero},
    {"hpool retires to min", test_retires_to_min},
    {"hpool stop cancels queued", test_stop_cancels_queued},
    {"hpool stop from a task", test_stop_from_task},
    {"hpool no spin", test_no_spin},
    {"hpool many producers", test_many_producers},
    {NULL, NULL},
};
