/*
 * sched_impl.h: the worker pool's insides, shared by sched.c (queues,
 * workers, lending) and sched_threads.c (the threads that run the worker
 * records, the spares and the monitor). Not for use outside the pool.
 */
#ifndef GRI_SCHED_IMPL_H
#define GRI_SCHED_IMPL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "src/ring.h"
#include "src/sched.h"

typedef struct sched_thread sched_thread;

typedef struct sched_worker {
	/* The ring: enqueued by the owner only, dequeued by anyone. */
	gri_ring ring;
	/* Owner thread only. */
	gri_actor *runnext;
	int        runnext_streak;
	unsigned   ticks;
	uint64_t   rng;
	/* Owner thread only: a task deferred by a behaviour (gri_sched_defer),
	 * run when the current actor's batch ends. */
	gri_sched_task *task;
	/* The lending word (sched.c, "Tasks and lending"): the sequence number
	 * of the last lend in the upper bits, LEND_NO/YES/TAKEN in the low
	 * two. The owner writes it while not lent; once lent, the lent thread
	 * and the monitor race with one CAS each, and only the winner acts. */
	atomic_uint lend;
	/* Under thr_mtx: its link on the orphans list. */
	struct sched_worker *orphan_next;
	/* Set before the thread starts, then read-only. */
	gri_sched *sched;
	int        index;
} sched_worker;

#define LEND_NO    0u /* run by its owner, not in a task */
#define LEND_YES   1u /* its owner runs a task that may block */
#define LEND_TAKEN 2u /* handed on: the task's thread no longer owns it */
#define LEND_STATE 3u

/*
 * sched_thread is one thread of the pool: it runs a worker record, or
 * waits as a spare for one to adopt. All fields under thr_mtx.
 */
struct sched_thread {
	struct sched_thread *next;
	pthread_t            tid;
	gri_sched           *sched;
	sched_worker        *adopt; /* handed to it, not yet taken */
	bool                 spare; /* waiting for a record */
};

struct gri_sched {
	/* Read-only after alloc. */
	sched_worker *workers;
	int           nworkers; /* workers allocated (each has a ring) */
	int64_t       spin_ns;
	int           batch;
	/* The process-wide pool: set before it is published, never changed.
	 * Recorded, not derived from shared_sched, which gorums_fini clears
	 * while late holders may still release the pool. */
	bool shared;

	/* The inject queue: the list under inject_mtx; inject_len is also
	 * read without it as a hint (a stale value costs one poll or one
	 * spin round, never a lost actor: see the parking protocol). */
	pthread_mutex_t inject_mtx;
	gri_actor      *inject_head;
	gri_actor      *inject_tail;
	bool            inject_closed; /* set by stop: schedule drops */
	atomic_int      inject_len;

	/* Parking: wakeups under park_mtx; the counters are seq_cst atomics
	 * read by producers without the lock (see the design notes). */
	pthread_mutex_t park_mtx;
	pthread_cond_t  park_cv;
	int             wakeups;
	atomic_int      nsleeping;
	atomic_int      nspinning;
	atomic_bool     stopping;

	/* stop_mtx serialises stop (idempotent, possibly concurrent). */
	pthread_mutex_t stop_mtx;
	bool            joined;

	/* The threads, spares and the monitor: under thr_mtx. */
	pthread_mutex_t thr_mtx;
	pthread_cond_t  spare_cv; /* spares wait for a record or stop */
	pthread_cond_t  mon_cv;   /* the monitor's tick; stop wakes it */
	sched_thread   *threads;  /* every thread ever started, to join */
	sched_worker   *orphans;  /* records nobody could adopt (no thread) */
	bool            mon_started;
	pthread_t       mon_tid;
	atomic_bool     mon_on; /* mirror of mon_started, read without lock */
};

/*
 * gri_sched_worker_loop runs w on the calling thread until the pool stops
 * (true) or w is handed on from a task the thread ran (false). sched.c.
 */
bool gri_sched_worker_loop(sched_worker *w);

/*
 * gri_sched_adopt hands w, taken from its lent thread, to a spare thread
 * or a new one. sched_threads.c, as the rest below.
 */
void gri_sched_adopt(gri_sched *s, sched_worker *w);

/* gri_sched_monitor_start starts the monitor once; false if it cannot. */
bool gri_sched_monitor_start(gri_sched *s);

/* gri_sched_threads_start starts a thread for each worker record. */
gorums_err gri_sched_threads_start(gri_sched *s);

/*
 * gri_sched_threads_join wakes the spares and the monitor of a stopping
 * pool and joins every thread (those in a task, when it returns).
 */
void gri_sched_threads_join(gri_sched *s);

/* gri_sched_threads_free frees the thread records; after the join. */
void gri_sched_threads_free(gri_sched *s);

#endif /* GRI_SCHED_IMPL_H */
