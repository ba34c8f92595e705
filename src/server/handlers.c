/*
 * handlers.c: the handler thread pool. See handlers.h.
 *
 * Design notes.
 *
 * One mutex guards the queue and the thread accounting; it is held for a
 * few instructions only (and across pthread_create, see below), never while
 * a task runs. Each thread is in one of four states, counted under the
 * mutex: busy (running a task, not counted), spinning (nspinning), parked
 * (nparked), or starting (nstarting: created, not yet looking for work).
 *
 * Who runs a queued task. Spinning threads poll the queue length (qlen, an
 * atomic mirror of the list length) without the mutex and take the mutex
 * to pop. A submit counts the threads that are already on their way to the
 * queue, avail = nspinning + wakeups + nstarting, and adds one only if the
 * queue is now longer than that: by waking a parked thread (a wake-up
 * token, as in sched.c, so that a signal is never lost or double-counted),
 * else by creating a thread, else (at max_threads) not at all. Busy threads
 * take queued tasks too when they finish, so a task never waits while a
 * thread idles, and it never waits for a busy thread while a new one could
 * be created. Every transition between states happens under the mutex, so
 * the count is exact when a submit reads it.
 *
 * Spinning. At most max_spinning threads spin at once (a spinner burns a
 * core; more than the cores would only slow the busy ones down); the rest
 * park at once.
 *
 * Threads are created under the mutex. That costs the submitting thread a
 * pthread_create (tens of microseconds, only when every thread is busy),
 * but it keeps the thread list exact for stop, which must join them all.
 *
 * Retiring. A thread parked for idle_ns, while more than min_threads exist,
 * leaves: it moves its record to the zombie list and exits; whoever retires
 * next (or stop) joins it. So no actor worker ever joins a thread, and no
 * zombie waits long.
 */
#include "src/server/handlers.h"

#include "src/pool.h"
#include "src/spin.h"
#include "src/timer.h"

#include <ck_pr.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

typedef struct hpool_thread hpool_thread;
struct hpool_thread {
	/* Under the pool's mutex: its place on the live or zombie list. */
	hpool_thread *next;
	/* Written by pthread_create under the mutex, read by the joiner. */
	pthread_t  tid;
	gri_hpool *pool;
};

struct gri_hpool {
	/* Read-only after alloc. */
	int     max_threads;
	int     min_threads;
	int     max_spinning;
	int64_t spin_ns;
	int64_t idle_ns;

	pthread_mutex_t mtx;
	pthread_cond_t  cv;      /* parked threads wait here (monotonic) */
	pthread_cond_t  stop_cv; /* concurrent stops wait for the first */

	/* Under mtx. */
	gri_hpool_task *head;
	gri_hpool_task *tail;
	int             nqueued;
	int             nthreads; /* live: not yet retired */
	int             nstarting;
	int             nspinning;
	int             nparked;
	int             wakeups; /* tokens for parked threads */
	hpool_thread   *live;
	hpool_thread   *zombies;
	bool            stopping;
	bool            stopped; /* stop has joined everything */

	/* Written under mtx, read by spinners without it. Relaxed: a stale
	 * value costs one more poll; the pop itself is under mtx. */
	atomic_int  qlen;
	atomic_bool stop_hint;
	/* Tasks entered (gri_hpool_enter), not yet left. seq_cst, Dekker with
	 * stop_hint: an enter either sees the stop or is waited for. */
	atomic_int nborrowed;
};

/* The pool the calling thread belongs to, if any. */
static _Thread_local gri_hpool *hpool_self;

void
gri_hpool_opts_init(gri_hpool_opts *o)
{
	o->max_threads  = GRI_HPOOL_MAX_DEFAULT;
	o->min_threads  = 1;
	o->max_spinning = 0;
	o->spin_ns      = GRI_HPOOL_SPIN_DEFAULT_NS;
	o->idle_ns      = GRI_HPOOL_IDLE_DEFAULT_NS;
}

bool
gri_hpool_on_thread(const gri_hpool *p)
{
	return (hpool_self != NULL && hpool_self == p);
}

bool
gri_hpool_waiting(gri_hpool *p)
{
	return (atomic_load_explicit(&p->qlen, memory_order_relaxed) > 0);
}

int
gri_hpool_nthreads(gri_hpool *p)
{
	int n;

	pthread_mutex_lock(&p->mtx);
	n = p->nthreads;
	pthread_mutex_unlock(&p->mtx);
	return (n);
}

/* hpool_pop takes the first queued task; under mtx. */
static gri_hpool_task *
hpool_pop(gri_hpool *p)
{
	gri_hpool_task *t = p->head;

	if (t != NULL) {
		p->head = t->next;
		if (p->head == NULL) {
			p->tail = NULL;
		}
		p->nqueued--;
		atomic_store_explicit(&p->qlen, p->nqueued,
		                      memory_order_relaxed);
		t->next = NULL;
	}
	return (t);
}

/* hpool_take_all empties the queue into a list for cancelling; under mtx. */
static gri_hpool_task *
hpool_take_all(gri_hpool *p)
{
	gri_hpool_task *list = p->head;

	p->head = p->tail = NULL;
	p->nqueued        = 0;
	atomic_store_explicit(&p->qlen, 0, memory_order_relaxed);
	return (list);
}

static void
hpool_cancel_list(gri_hpool_task *list, gorums_err why)
{
	gri_hpool_task *t;

	while ((t = list) != NULL) {
		list    = t->next;
		t->next = NULL;
		t->cancel(t, why);
	}
}

/*
 * hpool_spin polls the queue for up to spin_ns and returns a task, or NULL
 * when the time is up or the pool stops. Called and returns with mtx held;
 * the caller has counted itself in nspinning, and this uncounts it.
 */
static gri_hpool_task *
hpool_spin(gri_hpool *p)
{
	gri_hpool_task *t = NULL;
	uint64_t        start;

	pthread_mutex_unlock(&p->mtx);
	start = gri_clock_ns();
	for (unsigned i = 1;; i++) {
		if (atomic_load_explicit(&p->stop_hint,
		                         memory_order_relaxed)) {
			break;
		}
		if (atomic_load_explicit(&p->qlen, memory_order_relaxed) > 0) {
			pthread_mutex_lock(&p->mtx);
			if ((t = hpool_pop(p)) != NULL) {
				p->nspinning--;
				return (t);
			}
			pthread_mutex_unlock(&p->mtx);
		}
		if (i % 64 == 0 &&
		    gri_clock_ns() - start > (uint64_t) p->spin_ns) {
			break;
		}
		gri_spin_pause();
	}
	pthread_mutex_lock(&p->mtx);
	p->nspinning--;
	return (hpool_pop(p));
}

/*
 * hpool_park waits for a wake-up token or stop; with mtx held. It returns
 * false if the thread should retire (idle for idle_ns with more than
 * min_threads alive).
 */
static bool
hpool_park(gri_hpool *p)
{
	struct timespec ts;
	bool            stay = true;

	/* What this thread freed would otherwise lie idle with it (pool.h);
	 * under mtx, but the pool's locks are leaves. */
	if (p->wakeups == 0 && !p->stopping) {
		gri_pool_thread_idle();
	}
	p->nparked++;
	gri_clock_timespec(&ts, gri_clock_ns() + (uint64_t) p->idle_ns);
	while (p->wakeups == 0 && !p->stopping) {
		if (pthread_cond_timedwait(&p->cv, &p->mtx, &ts) !=
		    ETIMEDOUT) {
			continue;
		}
		if (p->wakeups == 0 && !p->stopping &&
		    p->nthreads > p->min_threads) {
			stay = false;
			break;
		}
		gri_clock_timespec(&ts,
		                   gri_clock_ns() + (uint64_t) p->idle_ns);
	}
	p->nparked--;
	if (stay && p->wakeups > 0) {
		p->wakeups--;
	}
	return (stay);
}

/*
 * hpool_retire removes th from the live list to the zombie list, taking
 * the zombies already there to join; with mtx held, which it releases.
 */
static void
hpool_retire(gri_hpool *p, hpool_thread *th)
{
	hpool_thread **pp;
	hpool_thread  *old;

	for (pp = &p->live; *pp != th; pp = &(*pp)->next) { }
	*pp = th->next;
	p->nthreads--;
	old        = p->zombies;
	th->next   = NULL;
	p->zombies = th;
	pthread_mutex_unlock(&p->mtx);

	/* They have left their loops; joining only waits for their exit. */
	while (old != NULL) {
		hpool_thread *z = old;
		old             = z->next;
		pthread_join(z->tid, NULL);
		free(z);
	}
}

static void *
hpool_main(void *arg)
{
	hpool_thread   *th = arg;
	gri_hpool      *p  = th->pool;
	gri_hpool_task *t;

	(void) pthread_setname_np(pthread_self(), "gri:handler");
	hpool_self = p;
	pthread_mutex_lock(&p->mtx);
	p->nstarting--;
	while (!p->stopping) {
		if ((t = hpool_pop(p)) == NULL && p->spin_ns > 0 &&
		    p->nspinning < p->max_spinning && gri_spin_enter()) {
			p->nspinning++;
			t = hpool_spin(p);
			gri_spin_leave();
		}
		if (t != NULL) {
			pthread_mutex_unlock(&p->mtx);
			t->run(t);
			pthread_mutex_lock(&p->mtx);
			continue;
		}
		if (p->stopping) {
			break;
		}
		if (!hpool_park(p)) {
			hpool_retire(p, th); /* unlocks */
			hpool_self = NULL;
			return (NULL);
		}
	}
	/* Stopping: stop joins us from the live list. */
	pthread_mutex_unlock(&p->mtx);
	hpool_self = NULL;
	return (NULL);
}

/* hpool_spawn creates one thread; with mtx held. */
static bool
hpool_spawn(gri_hpool *p)
{
	hpool_thread *th = calloc(1, sizeof(*th));

	if (th == NULL) {
		return (false);
	}
	th->pool = p;
	if (pthread_create(&th->tid, NULL, hpool_main, th) != 0) {
		free(th);
		return (false);
	}
	th->next = p->live;
	p->live  = th;
	p->nthreads++;
	p->nstarting++;
	return (true);
}

void
gri_hpool_submit(gri_hpool *p, gri_hpool_task *t)
{
	gri_hpool_task *orphans = NULL;
	gorums_err      why     = GORUMS_ESTOPPED;

	t->next = NULL;
	pthread_mutex_lock(&p->mtx);
	if (p->stopping) {
		pthread_mutex_unlock(&p->mtx);
		t->cancel(t, GORUMS_ESTOPPED);
		return;
	}
	if (p->tail != NULL) {
		p->tail->next = t;
	} else {
		p->head = t;
	}
	p->tail = t;
	p->nqueued++;
	atomic_store_explicit(&p->qlen, p->nqueued, memory_order_relaxed);
	if (p->nqueued > p->nspinning + p->wakeups + p->nstarting) {
		if (p->nparked > p->wakeups) {
			p->wakeups++;
			pthread_cond_signal(&p->cv);
		} else if (p->nthreads < p->max_threads && !hpool_spawn(p) &&
		           p->nthreads == 0) {
			/* No thread exists and none can be made: nothing
			 * would ever run the queue. */
			orphans = hpool_take_all(p);
			why     = GORUMS_ENOMEM;
		}
		/* Otherwise every thread is busy and max_threads exist (or
		 * one could not be created): the task waits for the first
		 * thread that finishes its task. */
	}
	pthread_mutex_unlock(&p->mtx);
	hpool_cancel_list(orphans, why);
}

gorums_err
gri_hpool_alloc(gri_hpool **pp, const gri_hpool_opts *o)
{
	gri_hpool         *p;
	gri_hpool_opts     d;
	pthread_condattr_t a;

	gri_hpool_opts_init(&d);
	if (o == NULL) {
		o = &d;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		return (GORUMS_ENOMEM);
	}
	p->max_threads = o->max_threads > 0 ? o->max_threads : d.max_threads;
	p->min_threads = o->min_threads >= 0 ? o->min_threads : 1;
	p->spin_ns     = o->spin_ns >= 0 ? o->spin_ns : d.spin_ns;
	p->idle_ns     = o->idle_ns > 0 ? o->idle_ns : d.idle_ns;
	if ((p->max_spinning = o->max_spinning) <= 0) {
		long c          = sysconf(_SC_NPROCESSORS_ONLN);
		p->max_spinning = c > 0 ? (int) c : 1;
	}
	pthread_mutex_init(&p->mtx, NULL);
	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	pthread_cond_init(&p->cv, &a);
	pthread_condattr_destroy(&a);
	pthread_cond_init(&p->stop_cv, NULL);
	atomic_init(&p->qlen, 0);
	atomic_init(&p->stop_hint, false);
	atomic_init(&p->nborrowed, 0);
	*pp = p;
	return (GORUMS_OK);
}

gorums_err
gri_hpool_stop(gri_hpool *p)
{
	hpool_thread   *threads;
	gri_hpool_task *queued;

	if (gri_hpool_on_thread(p)) {
		return (GORUMS_EBUSY);
	}
	pthread_mutex_lock(&p->mtx);
	if (p->stopping) {
		/* Stopped, or being stopped by another thread: wait for it
		 * to finish joining. */
		while (!p->stopped) {
			pthread_cond_wait(&p->stop_cv, &p->mtx);
		}
		pthread_mutex_unlock(&p->mtx);
		return (GORUMS_OK);
	}
	p->stopping = true;
	atomic_store(&p->stop_hint, true); /* seq_cst: see nborrowed */
	pthread_cond_broadcast(&p->cv);
	queued = hpool_take_all(p);
	pthread_mutex_unlock(&p->mtx);

	/* Cancel first: their owners can finish while the threads drain. */
	hpool_cancel_list(queued, GORUMS_ESTOPPED);

	/* No thread is created once stopping is set, so the lists are
	 * final; threads only move from live to zombies, under mtx. Join
	 * the live ones first: a retiring one may still be joining the
	 * zombies it took. */
	for (;;) {
		pthread_mutex_lock(&p->mtx);
		if ((threads = p->live) == NULL) {
			threads    = p->zombies;
			p->zombies = NULL;
		} else {
			p->live = threads->next;
			p->nthreads--;
			threads->next = NULL;
		}
		pthread_mutex_unlock(&p->mtx);
		if (threads == NULL) {
			break;
		}
		while (threads != NULL) {
			hpool_thread *th = threads;
			threads          = th->next;
			pthread_join(th->tid, NULL);
			free(th);
		}
	}
	/* Entered tasks: polled, because a leaver must not touch p after its
	 * decrement (we may free p right after seeing it), so it cannot
	 * signal. Only a stop with tasks still running waits here. */
	while (atomic_load(&p->nborrowed) > 0) {
		struct timespec ms = {0, 1000000};
		nanosleep(&ms, NULL);
	}
	pthread_mutex_lock(&p->mtx);
	p->stopped = true;
	pthread_cond_broadcast(&p->stop_cv);
	pthread_mutex_unlock(&p->mtx);
	return (GORUMS_OK);
}

bool
gri_hpool_enter(gri_hpool *p)
{
	atomic_fetch_add(&p->nborrowed, 1);
	if (atomic_load(&p->stop_hint)) {
		gri_hpool_leave(p);
		return (false);
	}
	return (true);
}

void
gri_hpool_leave(gri_hpool *p)
{
	/* The last touch of p: a stop that sees the count drop may free it
	 * at once (it polls; see gri_hpool_stop). */
	atomic_fetch_sub(&p->nborrowed, 1);
}

void
gri_hpool_free(gri_hpool *p)
{
	if (p == NULL) {
		return;
	}
	(void) gri_hpool_stop(p);
	pthread_cond_destroy(&p->stop_cv);
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mtx);
	free(p);
}
