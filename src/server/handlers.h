/*
 * handlers.h: the handler thread pool of a server.
 *
 * Server handlers may block (sleep, do I/O, make nested calls). Most run
 * on the actor worker that decoded their request, lent to them
 * (gri_sched_defer), and counted here (gri_hpool_enter) so that stop
 * waits for them as for its own. The rest run here (a runner started by a
 * release, or off a worker), on threads that are created when every
 * existing one is busy, so that N connections whose handlers block all
 * make progress at once. A
 * connection has at most one task here at a time that holds its ordering
 * gate, its runner (actors/conn/conn.h), which runs that connection's
 * queued handlers one after the other on its thread; a runner with a long
 * backlog asks gri_hpool_waiting now and then and makes way for others.
 *
 * A thread that runs out of work spins for spin_ns (waking a parked thread
 * costs ~20 us on these VMs, so a spinning one takes the next task cheaply),
 * then parks; a thread parked for idle_ns retires, down to min_threads.
 * At most max_threads exist: when all of them are busy, new tasks wait in
 * the queue (FIFO) until one returns. A handler that blocks forever then
 * holds its thread forever, and a handler that waits for a task still
 * queued behind it deadlocks; max_threads is meant to be far above what a
 * server needs, as a guard against runaway thread creation.
 *
 * Threads: every function may be called from any thread, unless its comment
 * says otherwise. Submitting never blocks on a task (it may create a
 * thread), so actor behaviours may submit.
 */
#ifndef GRI_HANDLERS_H
#define GRI_HANDLERS_H

#include <stdbool.h>
#include <stdint.h>

#include "gorums/errors.h"

typedef struct gri_hpool      gri_hpool;
typedef struct gri_hpool_task gri_hpool_task;

/*
 * gri_hpool_task is one unit of work, embedded in its owner's object. Either
 * run or cancel is called, exactly once; after that the pool does not touch
 * the task again, so either callback may free it.
 */
struct gri_hpool_task {
	/* The queue link: the pool only, under its mutex. */
	gri_hpool_task *next;
	/* run does the work, on a handler thread. */
	void (*run)(gri_hpool_task *t);
	/* cancel is called instead of run when the task will never run: the
	 * pool was stopped (GORUMS_ESTOPPED) or no thread could be created
	 * and none exists (GORUMS_ENOMEM). On the thread that submitted or
	 * stopped; it must not block. */
	void (*cancel)(gri_hpool_task *t, gorums_err why);
};

#define GRI_HPOOL_MAX_DEFAULT     1024
#define GRI_HPOOL_SPIN_DEFAULT_NS 50000               /* 50 us */
#define GRI_HPOOL_IDLE_DEFAULT_NS (10 * 1000000000LL) /* 10 s */

typedef struct gri_hpool_opts {
	int     max_threads;  /* 0: GRI_HPOOL_MAX_DEFAULT */
	int     min_threads;  /* kept when idle; 0: none, <0: 1 */
	int     max_spinning; /* threads spinning at once; 0: cores */
	int64_t spin_ns;      /* <0: GRI_HPOOL_SPIN_DEFAULT_NS; 0: none */
	int64_t idle_ns;      /* <=0: GRI_HPOOL_IDLE_DEFAULT_NS */
} gri_hpool_opts;

/* gri_hpool_opts_init fills o with the defaults. */
void gri_hpool_opts_init(gri_hpool_opts *o);

/*
 * gri_hpool_alloc creates a pool with no thread yet; o may be NULL for the
 * defaults. Threads are created on demand by gri_hpool_submit.
 */
gorums_err gri_hpool_alloc(gri_hpool **pp, const gri_hpool_opts *o);

/*
 * gri_hpool_submit queues t; a handler thread runs it soon: a spinning one,
 * else a parked one woken up, else a new one, unless max_threads are busy
 * (then t waits for the first thread that frees up). If the pool is stopped,
 * or no thread exists and none can be created, t->cancel runs before this
 * returns, on the calling thread.
 */
void gri_hpool_submit(gri_hpool *p, gri_hpool_task *t);

/*
 * gri_hpool_stop stops the pool: queued tasks are cancelled
 * (GORUMS_ESTOPPED), tasks already running run to their end, and every
 * thread is joined and every entered task left (gri_hpool_enter), so it
 * waits for the slowest running task. Later submits
 * are cancelled. Not from a handler thread of p (it would join itself):
 * there it returns GORUMS_EBUSY and does nothing. Idempotent.
 */
gorums_err gri_hpool_stop(gri_hpool *p);

/*
 * gri_hpool_enter accounts a task that the caller runs on a thread of its
 * own (a worker lent to it, gri_sched_defer) as one of p's: false, and
 * nothing, if p is stopping (then submit it, which cancels it). Every true
 * is matched by one gri_hpool_leave when the task has ended; stop waits
 * for that as it waits for its own threads. Lock-free; any thread.
 */
bool gri_hpool_enter(gri_hpool *p);

/* gri_hpool_leave ends what gri_hpool_enter began. */
void gri_hpool_leave(gri_hpool *p);

/* gri_hpool_free stops p if needed and frees it; not from its threads. */
void gri_hpool_free(gri_hpool *p);

/*
 * gri_hpool_waiting is true if tasks are queued, waiting for a thread: a
 * hint (a relaxed read, maybe stale), cheap enough for a long-running task
 * to ask now and then whether it should make way (submit itself again,
 * behind the others, and return).
 */
bool gri_hpool_waiting(gri_hpool *p);

/* gri_hpool_nthreads is the number of threads alive, for tests. */
int gri_hpool_nthreads(gri_hpool *p);

/* gri_hpool_on_thread is true if the caller is one of p's threads. */
bool gri_hpool_on_thread(const gri_hpool *p);

#endif /* GRI_HANDLERS_H */
