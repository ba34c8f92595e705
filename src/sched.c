/*
 * sched.c: the worker pool. See sched.h.
 *
 * Design notes.
 *
 * Queues. Each worker owns a gri_ring (single-producer/multi-consumer):
 * only the owner enqueues; the owner and thieves dequeue. Beside it is a
 * "run next" slot, touched only by the owner: an actor that a running
 * behaviour schedules goes there and runs as soon as the current batch
 * ends, on the same thread and warm cache (a message hop costs one push and
 * one pop, no stealing). An older occupant is moved to the ring. Threads
 * outside the pool schedule through the inject queue, a mutex-guarded list
 * with an atomic length so that idle workers can poll it without the lock.
 *
 * Fairness. A batch is bounded (gri_actor_run); an actor with more to do
 * goes to the back of the ring. The run-next slot is skipped after
 * SCHED_RUNNEXT_STREAK consecutive uses and the inject queue is polled
 * every SCHED_INJECT_EVERY runs, so neither a ping-pong pair nor local work
 * can starve the rest.
 *
 * Spinning and parking. A worker with nothing to do spins (polling all
 * queues) for spin_ns, then parks on the condition variable. A producer
 * that made work visible on a shared queue wakes one parked worker only if
 * no worker is spinning (a spinner will find it). The lost-wakeup race is
 * closed Dekker-style: the producer publishes, issues a seq_cst fence and
 * reads the counters; the parker increments nsleeping (a seq_cst RMW) and
 * then re-checks the queues. One of the two sees the other.
 *
 * Tasks and lending. A behaviour may defer a task (a server connection's
 * handler runner) to its worker: it runs when the actor's batch ends, on
 * the same thread and warm cache, instead of waking another thread for
 * it. A task may block (a handler may sleep), which an actor must not, so
 * its worker is lent for the task: its run-next actor goes to the ring
 * (where thieves reach it) and the thread stops being the record's owner
 * (sched_self is NULL, so what the task schedules goes to the inject
 * queue). When the task returns, the thread takes its record back, unless
 * the record was handed on meanwhile: by the task itself when it says it
 * will block (gri_sched_detach, from a handler's release), or by the
 * monitor, a thread that checks every millisecond (every 10 ms while no
 * task runs for long) for a task that has run since its last look. The
 * record then goes to a spare thread, or a new one, so the pool keeps N
 * records running whatever the tasks do, as Go's runtime hands a P on
 * when its M blocks in a system call; the task's thread becomes a spare
 * once the task returns. The lending word (one CAS for each side) decides
 * who owns the record.
 */
#include "src/sched.h"
#include "src/sched_impl.h"

#include <ck_pr.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "src/pool.h"
#include "src/ring.h"
#include "src/spin.h"
#include "src/timer.h"
#include "src/tsan.h"

#define SCHED_RING_SIZE      256 /* per worker; power of two */
#define SCHED_BATCH_DEFAULT  64  /* messages per actor run */
#define SCHED_RUNNEXT_STREAK 32  /* run-next uses before the ring's turn */
#define SCHED_INJECT_EVERY   61  /* runs between inject polls when busy */

/* The process-wide pool of gri_sched_hold, guarded by shared_mtx. */
static pthread_mutex_t shared_mtx = PTHREAD_MUTEX_INITIALIZER;
static gri_sched      *shared_sched;

/* The worker the calling thread is, if any (or its helper record). */
static _Thread_local sched_worker *sched_self;

/* A helping thread's worker record: no ring (no slots), so what it
 * would queue goes to the inject queue; only its run-next slot is its own. */
static _Thread_local sched_worker sched_helper;

/* The record lent to the task this thread runs (NULL once handed on), and
 * the pool of that task, kept until it returns. */
static _Thread_local sched_worker *sched_lent;
static _Thread_local unsigned      sched_lent_v; /* its lending word */
static _Thread_local gri_sched    *sched_task_of;

bool
gri_sched_on_worker(const gri_sched *s)
{
	return ((sched_self != NULL && sched_self->sched == s &&
	         sched_self != &sched_helper) ||
	        sched_task_of == s);
}

static bool
sched_has_work(gri_sched *s)
{
	if (atomic_load(&s->inject_len) > 0) {
		return (true);
	}
	for (int i = 0; i < s->nworkers; i++) {
		if (gri_ring_size(&s->workers[i].ring) > 0) {
			return (true);
		}
	}
	return (false);
}

/*
 * sched_notify is called after work became visible on a shared queue: it
 * wakes one parked worker unless some worker is spinning.
 */
static void
sched_notify(gri_sched *s)
{
	/* Order our publication before reading the counters (Dekker). */
	atomic_thread_fence(memory_order_seq_cst);
	if (atomic_load(&s->nspinning) > 0 ||
	    atomic_load(&s->nsleeping) == 0) {
		return;
	}
	bool wake = false;
	pthread_mutex_lock(&s->park_mtx);
	if (s->wakeups < atomic_load(&s->nsleeping)) {
		s->wakeups++;
		wake = true;
	}
	pthread_mutex_unlock(&s->park_mtx);
	/* Signal after unlocking, or the woken worker blocks at once on the
	 * mutex we still hold (an extra context switch). The parker re-checks
	 * wakeups under the mutex, so no wake-up is lost. */
	if (wake) {
		pthread_cond_signal(&s->park_cv);
	}
}

static void
sched_inject(gri_sched *s, gri_actor *a, bool quiet)
{
	pthread_mutex_lock(&s->inject_mtx);
	if (s->inject_closed) {
		pthread_mutex_unlock(&s->inject_mtx);
		/* Stopped: nobody will run it; drop the scheduling ref. */
		gri_actor_unref(a);
		return;
	}
	a->inject_next = NULL;
	if (s->inject_tail != NULL) {
		s->inject_tail->inject_next = a;
	} else {
		s->inject_head = a;
	}
	s->inject_tail = a;
	atomic_fetch_add(&s->inject_len, 1);
	pthread_mutex_unlock(&s->inject_mtx);
	if (!quiet) {
		sched_notify(s);
	}
}

static gri_actor *
sched_inject_pop(gri_sched *s)
{
	gri_actor *a;

	if (atomic_load_explicit(&s->inject_len, memory_order_relaxed) == 0) {
		return (NULL);
	}
	pthread_mutex_lock(&s->inject_mtx);
	if ((a = s->inject_head) != NULL) {
		s->inject_head = a->inject_next;
		if (s->inject_head == NULL) {
			s->inject_tail = NULL;
		}
		atomic_fetch_sub(&s->inject_len, 1);
	}
	pthread_mutex_unlock(&s->inject_mtx);
	return (a);
}

/*
 * sched_push_ring queues a on w's ring (owner only), or injects if full.
 * With quiet set, no parked worker is woken for it: the caller will run it
 * next itself (waking another would only have it steal the actor away).
 */
static void
sched_push_ring(sched_worker *w, gri_actor *a, bool quiet)
{
	if (w->ring.slots == NULL || !gri_ring_push_sp(&w->ring, a)) {
		sched_inject(w->sched, a, false);
		return;
	}
	if (!quiet) {
		sched_notify(w->sched);
	}
}

void
gri_sched_schedule(gri_sched *s, gri_actor *a)
{
	sched_worker *w = sched_self;

	if (w == NULL && sched_lent != NULL && sched_lent->sched == s) {
		/* From a task on a worker lent to it: that worker polls the
		 * inject queue when the task returns (waking another would
		 * only move the actor off this warm thread). Unless the worker
		 * was taken over meanwhile: then, Dekker with the monitor's
		 * CAS, wake one as any sender would. */
		sched_inject(s, a, true);
		atomic_thread_fence(memory_order_seq_cst);
		if (atomic_load(&sched_lent->lend) != sched_lent_v) {
			sched_notify(s);
		}
		return;
	}
	if (w == NULL || w->sched != s) {
		sched_inject(s, a, false);
		return;
	}
	/* From a behaviour: run it next, here. The previous run-next actor
	 * keeps its place in line on the ring. */
	gri_actor *old = w->runnext;
	w->runnext     = a;
	if (old != NULL) {
		sched_push_ring(w, old, false);
	}
}

static gri_actor *
sched_steal(sched_worker *w)
{
	gri_sched *s = w->sched;
	void      *p;

	if (s->nworkers < 2) {
		return (NULL);
	}
	/* xorshift: start at a random victim so thieves spread out. */
	w->rng ^= w->rng << 13;
	w->rng ^= w->rng >> 7;
	w->rng ^= w->rng << 17;
	int start = (int) (w->rng % (uint64_t) s->nworkers);
	for (int i = 0; i < s->nworkers; i++) {
		sched_worker *v = &s->workers[(start + i) % s->nworkers];
		if (v == w || gri_ring_size(&v->ring) == 0) {
			continue;
		}
		if (gri_ring_trypop_mc(&v->ring, &p)) {
			return (p);
		}
	}
	return (NULL);
}

static gri_actor *
sched_find_work(sched_worker *w)
{
	gri_sched *s = w->sched;
	gri_actor *a = NULL;
	void      *p;

	w->ticks++;
	if (w->ticks % SCHED_INJECT_EVERY == 0 &&
	    (a = sched_inject_pop(s)) != NULL) {
		return (a);
	}
	if (w->runnext != NULL &&
	    (w->runnext_streak < SCHED_RUNNEXT_STREAK ||
	     gri_ring_size(&w->ring) == 0)) {
		a          = w->runnext;
		w->runnext = NULL;
		w->runnext_streak++;
		return (a);
	}
	w->runnext_streak = 0;
	if (w->ring.slots != NULL && gri_ring_pop_mc(&w->ring, &p)) {
		return (p);
	}
	if (w->runnext != NULL) {
		a          = w->runnext;
		w->runnext = NULL;
		return (a);
	}
	if ((a = sched_inject_pop(s)) != NULL) {
		return (a);
	}
	return (sched_steal(w));
}

/* sched_spin polls for work for up to spin_ns; NULL if none came. */
static gri_actor *
sched_spin(sched_worker *w)
{
	gri_sched *s = w->sched;
	gri_actor *a = NULL;
	uint64_t   start;

	if (s->spin_ns <= 0 || !gri_spin_enter()) {
		return (NULL);
	}
	atomic_fetch_add(&s->nspinning, 1);
	start = gri_clock_ns();
	for (unsigned i = 1;; i++) {
		if ((a = sched_find_work(w)) != NULL) {
			break;
		}
		if (atomic_load_explicit(&s->stopping, memory_order_relaxed)) {
			break;
		}
		if (i % 64 == 0 &&
		    gri_clock_ns() - start > (uint64_t) s->spin_ns) {
			break;
		}
		gri_spin_pause();
	}
	/* The last spinner to find work hands the watch on if more work is
	 * already waiting, so a parked worker helps with it. */
	gri_spin_leave();
	if (atomic_fetch_sub(&s->nspinning, 1) == 1 && a != NULL &&
	    sched_has_work(s)) {
		sched_notify(s);
	}
	return (a);
}

static void
sched_park(sched_worker *w)
{
	gri_sched *s = w->sched;

	gri_pool_thread_idle(); /* see pool.h */
	pthread_mutex_lock(&s->park_mtx);
	atomic_fetch_add(&s->nsleeping, 1);
	/* Re-check after announcing ourselves (Dekker with sched_notify). */
	if (!sched_has_work(s) && !atomic_load(&s->stopping)) {
		while (s->wakeups == 0 && !atomic_load(&s->stopping)) {
			pthread_cond_wait(&s->park_cv, &s->park_mtx);
		}
		if (s->wakeups > 0) {
			s->wakeups--;
		}
	}
	atomic_fetch_sub(&s->nsleeping, 1);
	pthread_mutex_unlock(&s->park_mtx);
}

/* sched_run runs a's batch on w and puts it back or lets it go. */
static void
sched_run(sched_worker *w, gri_actor *a)
{
	if (gri_actor_run(a, w->sched->batch)) {
		/* More to do. Alone on our ring and with no run-next actor,
		 * it is what we run next anyway: no one needs waking. */
		sched_push_ring(w, a,
		                w->runnext == NULL && w->ring.slots != NULL &&
		                    gri_ring_size(&w->ring) == 0);
	} else {
		/* Marked empty: drop the scheduling reference. */
		gri_actor_unref(a);
	}
}

bool
gri_sched_help_begin(gri_sched *s)
{
	if (sched_self != NULL) {
		return (false);
	}
	memset(&sched_helper, 0, sizeof(sched_helper));
	sched_helper.sched = s;
	sched_helper.index = -1;
	sched_helper.rng   = (uint64_t) (uintptr_t) &sched_helper | 1;
	sched_self         = &sched_helper;
	atomic_fetch_add(&s->nspinning, 1);
	return (true);
}

bool
gri_sched_help_until(gri_sched *s, bool (*done)(void *), void *arg,
                     int64_t budget_ns)
{
	sched_worker *w = sched_self;
	uint64_t      start;

	if (w != &sched_helper || w->sched != s) {
		return (done(arg));
	}
	/* Run what is queued; spin for more only with a spinning slot. */
	bool spinning = false;
	start         = gri_clock_ns();
	for (unsigned i = 1; !done(arg); i++) {
		gri_actor *a = sched_find_work(w);
		if (a != NULL) {
			sched_run(w, a);
			continue;
		}
		if (!spinning && !(spinning = gri_spin_enter())) {
			break;
		}
		if (i % 64 == 0 &&
		    gri_clock_ns() - start > (uint64_t) budget_ns) {
			break;
		}
		gri_spin_pause();
	}
	if (spinning) {
		gri_spin_leave();
	}
	return (done(arg));
}

void
gri_sched_help_end(gri_sched *s)
{
	sched_worker *w = sched_self;

	if (w != &sched_helper || w->sched != s) {
		return;
	}
	sched_self = NULL;
	if (w->runnext != NULL) {
		sched_inject(s, w->runnext, false);
		w->runnext = NULL;
	}
	/* The last spinner leaving with work queued wakes a worker for it. */
	if (atomic_fetch_sub(&s->nspinning, 1) == 1 && sched_has_work(s)) {
		sched_notify(s);
	}
}

/*
 * sched_run_task runs w's deferred task with w lent (see the design
 * notes); true if the thread still owns w afterwards.
 */
static bool
sched_run_task(sched_worker *w)
{
	gri_sched_task *t = w->task;
	gri_actor      *a = w->runnext;
	unsigned        v;

	w->task = NULL;
	if (a != NULL) {
		/* Nothing may wait behind a task that blocks. */
		w->runnext = NULL;
		sched_push_ring(w, a, false);
	}
	/* Release: what the owner did before happens before whatever the
	 * thread that takes the record over does. */
	v = ((atomic_load_explicit(&w->lend, memory_order_relaxed) >> 2) + 1)
	        << 2 |
	    LEND_YES;
	atomic_store_explicit(&w->lend, v, memory_order_release);
	sched_self    = NULL;
	sched_lent    = w;
	sched_lent_v  = v;
	sched_task_of = w->sched;
	t->run(t);
	sched_task_of = NULL;
	if (sched_lent == NULL) {
		return (false); /* handed on by the task (gri_sched_detach) */
	}
	sched_lent = NULL;
	/* Acquire: if we get it back, no one else touched it meanwhile. */
	if (!atomic_compare_exchange_strong_explicit(
	        &w->lend, &v, v & ~LEND_STATE, memory_order_acquire,
	        memory_order_relaxed)) {
		return (false); /* taken by the monitor */
	}
	sched_self = w;
	return (true);
}

bool
gri_sched_defer(gri_sched *s, gri_sched_task *t)
{
	sched_worker *w = sched_self;

	if (w == NULL || w == &sched_helper || w->sched != s ||
	    w->task != NULL) {
		return (false);
	}
	if (!atomic_load_explicit(&s->mon_on, memory_order_acquire) &&
	    !gri_sched_monitor_start(s)) {
		return (false); /* no monitor: nothing may block on a worker */
	}
	w->task = t;
	return (true);
}

void
gri_sched_detach(void)
{
	sched_worker *w = sched_lent;
	unsigned      v;

	if (w == NULL) {
		return;
	}
	sched_lent = NULL;
	/* Our own lend only: if the monitor took the record, it may since
	 * be lent again by its new owner (a newer sequence). */
	v = sched_lent_v;
	if (atomic_compare_exchange_strong_explicit(
	        &w->lend, &v, (v & ~LEND_STATE) | LEND_TAKEN,
	        memory_order_acq_rel, memory_order_relaxed)) {
		gri_sched_adopt(w->sched, w);
	}
}

/* See sched_impl.h. */
bool
gri_sched_worker_loop(sched_worker *w)
{
	gri_sched *s = w->sched;
	char       name[16];

	/* Named as nng names its threads, for perf, top -H and gdb. */
	snprintf(name, sizeof(name), "gri:worker%d", w->index);
	(void) pthread_setname_np(pthread_self(), name);
	sched_self = w;
	while (!atomic_load_explicit(&s->stopping, memory_order_acquire)) {
		gri_actor *a = sched_find_work(w);
		if (a == NULL && (a = sched_spin(w)) == NULL) {
			sched_park(w);
			continue;
		}
		sched_run(w, a);
		if (w->task != NULL && !sched_run_task(w)) {
			return (false);
		}
	}
	sched_self = NULL;
	return (true);
}

gorums_err
gri_sched_alloc(gri_sched **sp, const gri_sched_opts *opts)
{
	gri_sched *s;
	int        n = opts != NULL ? opts->nthreads : 0;

	if (n < 0) {
		return (GORUMS_EINVAL);
	}
	if (n == 0) {
		long c = sysconf(_SC_NPROCESSORS_ONLN);
		n      = c > 0 ? (int) c : 1;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		return (GORUMS_ENOMEM);
	}
	if ((s->workers = calloc((size_t) n, sizeof(sched_worker))) == NULL) {
		free(s);
		return (GORUMS_ENOMEM);
	}
	s->nworkers = n;
	s->spin_ns  = (opts != NULL && opts->spin_ns >= 0)
	     ? opts->spin_ns
	     : GRI_SCHED_SPIN_DEFAULT_NS;
	s->batch    = (opts != NULL && opts->batch > 0) ? opts->batch
	                                                : SCHED_BATCH_DEFAULT;
	pthread_mutex_init(&s->inject_mtx, NULL);
	pthread_mutex_init(&s->park_mtx, NULL);
	pthread_mutex_init(&s->stop_mtx, NULL);
	pthread_cond_init(&s->park_cv, NULL);
	pthread_mutex_init(&s->thr_mtx, NULL);
	{
		pthread_condattr_t ca;
		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&s->spare_cv, &ca);
		pthread_cond_init(&s->mon_cv, &ca);
		pthread_condattr_destroy(&ca);
	}
	atomic_init(&s->mon_on, false);
	atomic_init(&s->inject_len, 0);
	atomic_init(&s->nsleeping, 0);
	atomic_init(&s->nspinning, 0);
	atomic_init(&s->stopping, false);

	for (int i = 0; i < n; i++) {
		sched_worker *w = &s->workers[i];
		w->sched        = s;
		w->index        = i;
		w->rng          = 0x9e3779b97f4a7c15ull * (uint64_t) (i + 1);
		atomic_init(&w->lend, LEND_NO);
		if (!gri_ring_init(&w->ring, SCHED_RING_SIZE)) {
			gri_sched_free(s);
			return (GORUMS_ENOMEM);
		}
	}
	if (gri_sched_threads_start(s) != GORUMS_OK) {
		gri_sched_free(s);
		return (GORUMS_ENOMEM);
	}
	*sp = s;
	return (GORUMS_OK);
}

gorums_err
gri_sched_stop(gri_sched *s)
{
	gri_actor *a;

	if (gri_sched_on_worker(s)) {
		return (GORUMS_EBUSY);
	}
	pthread_mutex_lock(&s->stop_mtx);
	if (s->joined) {
		pthread_mutex_unlock(&s->stop_mtx);
		return (GORUMS_OK);
	}
	pthread_mutex_lock(&s->park_mtx);
	atomic_store(&s->stopping, true);
	pthread_cond_broadcast(&s->park_cv);
	pthread_mutex_unlock(&s->park_mtx);
	gri_sched_threads_join(s);
	s->joined = true;

	/* Close the inject queue first so that actors freed below, and any
	 * thread still sending, cannot queue anything new. */
	pthread_mutex_lock(&s->inject_mtx);
	s->inject_closed = true;
	gri_actor *list  = s->inject_head;
	s->inject_head = s->inject_tail = NULL;
	atomic_store(&s->inject_len, 0);
	pthread_mutex_unlock(&s->inject_mtx);
	while ((a = list) != NULL) {
		list = a->inject_next;
		gri_actor_unref(a);
	}
	for (int i = 0; i < s->nworkers; i++) {
		sched_worker *w = &s->workers[i];
		if (w->runnext != NULL) {
			gri_actor_unref(w->runnext);
			w->runnext = NULL;
		}
		void *p;
		while (gri_ring_pop_mc(&w->ring, &p)) {
			gri_actor_unref(p);
		}
	}
	pthread_mutex_unlock(&s->stop_mtx);
	return (GORUMS_OK);
}

void
gri_sched_free(gri_sched *s)
{
	if (s == NULL) {
		return;
	}
	if (gri_sched_on_worker(s)) {
		/* Its workers cannot be joined from one of them, and freeing
		 * the pool under them corrupts memory: a defect of the
		 * caller, stopped here rather than left to crash later. */
		fprintf(stderr,
		        "gorums: gri_sched_free on one of its workers\n");
		abort();
	}
	(void) gri_sched_stop(s);
	for (int i = 0; i < s->nworkers; i++) {
		gri_ring_fini(&s->workers[i].ring);
	}
	free(s->workers);
	gri_sched_threads_free(s);
	pthread_cond_destroy(&s->mon_cv);
	pthread_cond_destroy(&s->spare_cv);
	pthread_mutex_destroy(&s->thr_mtx);
	pthread_cond_destroy(&s->park_cv);
	pthread_mutex_destroy(&s->stop_mtx);
	pthread_mutex_destroy(&s->park_mtx);
	pthread_mutex_destroy(&s->inject_mtx);
	free(s);
}

gorums_err
gri_sched_hold(gri_sched **sp, const gri_sched_opts *opts)
{
	gorums_err rv = GORUMS_OK;

	if (opts != NULL &&
	    (opts->nthreads != 0 || opts->spin_ns >= 0 || opts->batch != 0)) {
		return (gri_sched_alloc(sp, opts));
	}
	pthread_mutex_lock(&shared_mtx);
	if (shared_sched == NULL &&
	    (rv = gri_sched_alloc(&shared_sched, NULL)) == GORUMS_OK) {
		shared_sched->shared = true;
	}
	if (rv == GORUMS_OK) {
		*sp = shared_sched;
	}
	pthread_mutex_unlock(&shared_mtx);
	return (rv);
}

bool
gri_sched_shared(const gri_sched *s)
{
	return (s->shared);
}

void
gri_sched_release(gri_sched *s)
{
	if (s != NULL && !gri_sched_shared(s)) {
		gri_sched_free(s);
	}
}

void
gri_sched_fini_shared(void)
{
	gri_sched *s;

	pthread_mutex_lock(&shared_mtx);
	s            = shared_sched;
	shared_sched = NULL;
	pthread_mutex_unlock(&shared_mtx);
	gri_sched_free(s);
}
