/*
 * sched.h: the worker pool that runs actors.
 *
 * N worker threads, each with a bounded local run queue (ck_ring, owner
 * pushes, owner and thieves pop) and a one-actor "run next" slot, plus one
 * inject queue for threads outside the pool (nng callbacks, user threads,
 * timers). An actor is put on a queue only by the sender whose push found
 * its mailbox empty, runs a bounded batch, and goes to the back of its
 * worker's queue if more messages remain, so busy actors cannot starve
 * others.
 *
 * Idle workers look for work (own queue, inject queue, stealing) for up to
 * spin_ns before they park; a sender wakes a parked worker only when no
 * worker is spinning. On these VMs waking a parked thread costs ~20 us, so
 * spinning is what keeps hand-offs on a call's path cheap.
 *
 * A behaviour may also defer a task to its worker (gri_sched_defer): a
 * server's handlers run that way, with no hand-off, yet may block, since
 * the worker is lent to the task and handed to another thread if the task
 * blocks (sched.c, "Tasks and lending").
 */
#ifndef GRI_SCHED_H
#define GRI_SCHED_H

#include <stdbool.h>
#include <stdint.h>

#include "gorums/errors.h"
#include "src/actor.h"

typedef struct gri_sched_opts {
	int     nthreads; /* worker threads; 0: the number of cores */
	int64_t spin_ns;  /* idle spinning before parking; <0: default */
	int     batch;    /* messages per actor run; 0: default (64) */
} gri_sched_opts;

#define GRI_SCHED_SPIN_DEFAULT_NS 100000 /* 100 us */

/*
 * gri_sched_alloc starts a worker pool. opts may be NULL for defaults.
 */
gorums_err gri_sched_alloc(gri_sched **sp, const gri_sched_opts *opts);

/*
 * gri_sched_stop stops the workers and joins them: a worker finishes the
 * batch it is running, then exits. Actors still queued are not run: their
 * scheduling references are dropped, so an actor nobody else refers to is
 * freed with its undelivered messages (each dropped). Sends after stop are
 * accepted and dropped the same way when the actor is freed. An actor that
 * something else keeps alive (a link holds a reference to its owner) is
 * not freed by this: stop such actors, and wait until they have stopped,
 * before stopping the pool. Call it from
 * outside the pool: from a worker it returns GORUMS_EBUSY and does nothing
 * (a worker cannot join itself). Idempotent.
 */
gorums_err gri_sched_stop(gri_sched *s);

/*
 * gri_sched_hold gives the caller a worker pool: with opts NULL or all
 * defaults, the process-wide shared pool (started on first use, kept until
 * gri_sched_fini_shared), otherwise a private one. Managers and servers
 * share by default because every pool spins its idle workers, and pools
 * spinning side by side on few cores take the cores from the threads with
 * real work. The shared pool outlives its users on purpose: a late message
 * (an answer for a closed server's connection) may still schedule an actor
 * on it. Release with gri_sched_release.
 */
gorums_err gri_sched_hold(gri_sched **sp, const gri_sched_opts *opts);

/* gri_sched_shared is true if s is the process-wide pool (also after
 * gri_sched_fini_shared has let go of it). */
bool gri_sched_shared(const gri_sched *s);

/*
 * gri_sched_release drops a pool from gri_sched_hold: a private pool is
 * freed (so not from one of its workers); the shared one stays.
 */
void gri_sched_release(gri_sched *s);

/*
 * gri_sched_fini_shared stops and frees the shared pool, if started. For
 * the end of the process (gorums_fini), after every user is closed.
 */
void gri_sched_fini_shared(void);

/* gri_sched_free stops s if needed and frees it; not from a worker. */
void gri_sched_free(gri_sched *s);

/*
 * gri_sched_schedule puts a on a run queue; it must hold the scheduling
 * reference. For the actor module only.
 */
void gri_sched_schedule(gri_sched *s, gri_actor *a);

/*
 * gri_sched_help_begin makes the calling thread, which must not be a
 * worker, a temporary helper of s: until gri_sched_help_end, an actor that
 * a behaviour run on it schedules runs next on it, and
 * gri_sched_help_until runs queued actors on it. A thread that would wait
 * for an actor's answer anyway (a blocking call) thus does the hand-offs
 * on its call's path itself instead of waking workers for them. A helper
 * counts as a spinning worker, so senders do not wake parked workers for
 * work it will take. Returns false (and does nothing) on a worker thread
 * or if the thread already helps.
 */
bool gri_sched_help_begin(gri_sched *s);

/*
 * gri_sched_help_until runs actors of s on the helping thread until
 * done(arg) is true (returns true) or budget_ns passed (returns false).
 */
bool gri_sched_help_until(gri_sched *s, bool (*done)(void *), void *arg,
                          int64_t budget_ns);

/*
 * gri_sched_help_end ends helping: work the helper held goes back to the
 * pool, and a parked worker is woken if work is waiting.
 */
void gri_sched_help_end(gri_sched *s);

/*
 * gri_sched_task is work that a behaviour defers to its worker thread.
 * Unlike a behaviour it may block: see gri_sched_defer.
 */
typedef struct gri_sched_task gri_sched_task;
struct gri_sched_task {
	void (*run)(gri_sched_task *t);
};

/*
 * gri_sched_defer, from a behaviour running on one of s's workers, makes
 * that worker run t once the current actor's batch ends, outside any
 * actor, on the same thread. The worker is lent to t: if t runs long
 * (about a millisecond) or calls gri_sched_detach, another thread takes
 * the worker's place, so a blocking t never holds the pool up. Returns
 * false, and does nothing, on any other thread, when the worker has a
 * task deferred already, or if the pool cannot watch its tasks; the
 * caller then runs t elsewhere.
 */
bool gri_sched_defer(gri_sched *s, gri_sched_task *t);

/*
 * gri_sched_detach, from a deferred task that is about to block (a
 * handler's release), hands its worker to another thread now rather than
 * at the monitor's next look. The calling thread finishes the task, then
 * waits as a spare. Does nothing on any other thread.
 */
void gri_sched_detach(void);

/*
 * gri_sched_on_worker is true if the calling thread is one of s's workers,
 * or runs a task deferred on one (also after gri_sched_detach).
 */
bool gri_sched_on_worker(const gri_sched *s);

#endif /* GRI_SCHED_H */
