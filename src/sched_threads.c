/*
 * sched_threads.c: the threads of the worker pool: one per worker record
 * at first; spares that adopt the records of workers lent to blocking
 * tasks; the monitor that hands such records on. See sched.c, "Tasks and
 * lending", for why.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "src/pool.h"
#include "src/sched_impl.h"
#include "src/timer.h"

#define SCHED_MON_TICK_NS    1000000      /* the monitor's look: 1 ms ... */
#define SCHED_MON_SLOW_NS    10000000     /* ... 10 ms when no task ran long */
#define SCHED_MON_IDLE_TICKS 100          /* quiet looks before slowing down */
#define SCHED_SPARE_IDLE_NS  1000000000LL /* a spare's wait before it exits */

static void *sched_thread_main(void *arg);

/*
 * gri_sched_adopt: with neither a spare nor a new thread, w goes to the
 * orphans, which the next thread to become a spare adopts. Nothing while
 * stopping: stop drains w's queues.
 */
void
gri_sched_adopt(gri_sched *s, sched_worker *w)
{
	sched_thread *th;

	pthread_mutex_lock(&s->thr_mtx);
	if (atomic_load(&s->stopping)) {
		pthread_mutex_unlock(&s->thr_mtx);
		return;
	}
	/* Not lent any more: the adopter owns it. The sequence stays, so the
	 * task's thread, whose CAS expects its own lend, cannot take it. */
	atomic_store_explicit(
	    &w->lend,
	    atomic_load_explicit(&w->lend, memory_order_relaxed) & ~LEND_STATE,
	    memory_order_relaxed);
	for (th = s->threads; th != NULL; th = th->next) {
		if (th->spare && th->adopt == NULL) {
			break;
		}
	}
	if (th != NULL) {
		th->adopt = w;
		pthread_cond_broadcast(&s->spare_cv);
	} else if ((th = calloc(1, sizeof(*th))) != NULL) {
		th->sched = s;
		th->adopt = w;
		if (pthread_create(&th->tid, NULL, sched_thread_main, th) ==
		    0) {
			th->next   = s->threads;
			s->threads = th;
		} else {
			free(th);
			th = NULL;
		}
	}
	if (th == NULL) {
		w->orphan_next = s->orphans;
		s->orphans     = w;
	}
	pthread_mutex_unlock(&s->thr_mtx);
}

/*
 * sched_spare_exit_locked takes th off the list and detaches it; its
 * thread must return at once, touching nothing of s after the caller
 * unlocks thr_mtx.
 */
static void
sched_spare_exit_locked(gri_sched *s, sched_thread *th)
{
	sched_thread **pp = &s->threads;

	while (*pp != th) {
		pp = &(*pp)->next;
	}
	*pp = th->next;
	(void) pthread_detach(th->tid);
	free(th);
}

/*
 * sched_spare_wait makes th a spare until a record is handed to it (or an
 * orphan waits); NULL when the pool stops, or when th has waited for
 * SCHED_SPARE_IDLE_NS with more than nworkers spares around: then th has
 * left the list (sched_spare_exit_locked) and its thread must return. So
 * a steady stream of blocking handlers reuses its spares (no thread is
 * created per handler), and a burst of them leaves no crowd behind.
 */
static sched_worker *
sched_spare_wait(gri_sched *s, sched_thread *th)
{
	sched_worker   *w     = NULL;
	uint64_t        until = gri_clock_ns() + SCHED_SPARE_IDLE_NS;
	struct timespec ts;

	gri_pool_thread_idle(); /* see pool.h */
	pthread_mutex_lock(&s->thr_mtx);
	while (!atomic_load(&s->stopping)) {
		int nspare = 0;

		if ((w = th->adopt) != NULL) {
			th->adopt = NULL;
			break;
		}
		if ((w = s->orphans) != NULL) {
			s->orphans = w->orphan_next;
			break;
		}
		th->spare = true;
		gri_clock_timespec(&ts, until);
		if (pthread_cond_timedwait(&s->spare_cv, &s->thr_mtx, &ts) !=
		    ETIMEDOUT) {
			continue;
		}
		for (sched_thread *t = s->threads; t != NULL; t = t->next) {
			nspare += t->spare && t->adopt == NULL;
		}
		/* Not once stopping: stop joins the list without the lock. */
		if (nspare > s->nworkers && th->adopt == NULL &&
		    !atomic_load(&s->stopping)) {
			sched_spare_exit_locked(s, th);
			pthread_mutex_unlock(&s->thr_mtx);
			return (NULL);
		}
		until += SCHED_SPARE_IDLE_NS; /* stay */
	}
	th->spare = false;
	pthread_mutex_unlock(&s->thr_mtx);
	return (w);
}

static void *
sched_thread_main(void *arg)
{
	sched_thread *th = arg;
	gri_sched    *s  = th->sched;
	sched_worker *w;

	pthread_mutex_lock(&s->thr_mtx);
	w         = th->adopt;
	th->adopt = NULL;
	pthread_mutex_unlock(&s->thr_mtx);
	while (w != NULL && !gri_sched_worker_loop(w)) {
		w = sched_spare_wait(s, th);
	}
	return (NULL);
}

/*
 * sched_monitor_main hands on the records of tasks that run long: a task
 * seen lent at two looks in a row (same lend) has run for a tick at
 * least, and probably blocks.
 */
static void *
sched_monitor_main(void *arg)
{
	gri_sched *s    = arg;
	unsigned  *seen = calloc((size_t) s->nworkers, sizeof(*seen));
	int        idle = 0;

	(void) pthread_setname_np(pthread_self(), "gri:monitor");
	pthread_mutex_lock(&s->thr_mtx);
	while (!atomic_load(&s->stopping)) {
		struct timespec ts;
		int64_t tick = idle > SCHED_MON_IDLE_TICKS ? SCHED_MON_SLOW_NS
		                                           : SCHED_MON_TICK_NS;
		bool    any  = false;

		gri_clock_timespec(&ts, gri_clock_ns() + (uint64_t) tick);
		(void) pthread_cond_timedwait(&s->mon_cv, &s->thr_mtx, &ts);
		if (atomic_load(&s->stopping) || seen == NULL) {
			break;
		}
		pthread_mutex_unlock(&s->thr_mtx);
		for (int i = 0; i < s->nworkers; i++) {
			sched_worker *w = &s->workers[i];
			unsigned      v = atomic_load_explicit(
			         &w->lend, memory_order_relaxed);

			if ((v & LEND_STATE) != LEND_YES) {
				continue;
			}
			any = true;
			/* seq_cst: Dekker with a task's quiet schedule. */
			if (v == seen[i] &&
			    atomic_compare_exchange_strong(&w->lend, &v,
			                                   (v & ~LEND_STATE) |
			                                       LEND_TAKEN)) {
				gri_sched_adopt(s, w);
			}
			seen[i] = v;
		}
		idle = any ? 0 : idle + 1;
		pthread_mutex_lock(&s->thr_mtx);
	}
	pthread_mutex_unlock(&s->thr_mtx);
	free(seen);
	return (NULL);
}

bool
gri_sched_monitor_start(gri_sched *s)
{
	bool ok;

	pthread_mutex_lock(&s->thr_mtx);
	if (!s->mon_started && !atomic_load(&s->stopping) &&
	    pthread_create(&s->mon_tid, NULL, sched_monitor_main, s) == 0) {
		s->mon_started = true;
		atomic_store_explicit(&s->mon_on, true, memory_order_release);
	}
	ok = s->mon_started;
	pthread_mutex_unlock(&s->thr_mtx);
	return (ok);
}

gorums_err
gri_sched_threads_start(gri_sched *s)
{
	for (int i = 0; i < s->nworkers; i++) {
		sched_thread *th = calloc(1, sizeof(*th));

		if (th != NULL) {
			th->sched = s;
			th->adopt = &s->workers[i];
		}
		if (th == NULL ||
		    pthread_create(&th->tid, NULL, sched_thread_main, th) !=
		        0) {
			free(
			    th); /* stop joins only the threads that started */
			return (GORUMS_ENOMEM);
		}
		pthread_mutex_lock(&s->thr_mtx);
		th->next   = s->threads;
		s->threads = th;
		pthread_mutex_unlock(&s->thr_mtx);
	}
	return (GORUMS_OK);
}

void
gri_sched_threads_join(gri_sched *s)
{
	/* After stopping is set, no thread is added (gri_sched_adopt checks
	 * it under thr_mtx); threads still in a task join when it returns. */
	pthread_mutex_lock(&s->thr_mtx);
	pthread_cond_broadcast(&s->spare_cv);
	pthread_cond_signal(&s->mon_cv);
	pthread_mutex_unlock(&s->thr_mtx);
	if (s->mon_started) {
		pthread_join(s->mon_tid, NULL);
	}
	for (sched_thread *th = s->threads; th != NULL; th = th->next) {
		pthread_join(th->tid, NULL);
	}
}

void
gri_sched_threads_free(gri_sched *s)
{
	while (s->threads != NULL) {
		sched_thread *th = s->threads;
		s->threads       = th->next;
		free(th);
	}
}
