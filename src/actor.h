/*
 * actor.h: actors, the unit of concurrency of the runtime.
 *
 * An actor is a struct that begins with a gri_actor, a mailbox, and an ops
 * table of behaviours. Sending a message never blocks and never fails; the
 * receiving actor runs on one worker thread at a time, one message at a
 * time, in the order each sender sent them (FIFO per sender). Behaviours
 * must not block: no sleeping, no blocking I/O, no waiting on other actors.
 *
 * Lifetime. An actor is reference counted. gri_actor_spawn returns one
 * reference; every holder that may send takes its own with gri_actor_ref
 * and drops it with gri_actor_unref. Being scheduled holds a reference too,
 * so the last unref (and with it ops->fini and the memory) happens only
 * when no thread can run or reach the actor.
 *
 * Stopping. gri_actor_stop queues a stop request behind the messages sent
 * before it; when the actor reaches it, ops->stop runs (once), and every
 * later message is dropped undelivered (gri_msg.drop releases what it
 * owns). Freed messages never leak, whether delivered or not.
 */
#ifndef GRI_ACTOR_H
#define GRI_ACTOR_H

#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gorums/errors.h"
#include "src/mbox.h"

typedef struct gri_actor gri_actor;
typedef struct gri_sched gri_sched;

typedef struct gri_actor_ops {
	const char *name; /* for logs and tests */
	/* dispatch handles one message; the mailbox frees m afterwards. */
	void (*dispatch)(gri_actor *self, gri_msg *m);
	/* stop runs once, as a behaviour, when the stop request is reached
	 * (or at the last unref if it never was). May be NULL. */
	void (*stop)(gri_actor *self);
	/* fini frees the actor's own resources at the last unref, on the
	 * unreffing thread, with nothing else touching the actor. May be
	 * NULL. The runtime frees the actor's memory after it. */
	void (*fini)(gri_actor *self);
	/* flush runs, as a behaviour, after each run of dispatches that
	 * delivered something, before the actor lets go of its thread: the
	 * place to push out what the run accumulated (a link's writes go out
	 * as one instead of one per message). May be NULL. */
	void (*flush)(gri_actor *self);
} gri_actor_ops;

struct gri_actor {
	/* Any thread: producers push (atomically) onto the mailbox. */
	gri_mbox mbox;
	/* Any thread, atomic: references; acq_rel so the last unref sees
	 * every holder's writes before fini. */
	atomic_int refs;
	/* Set at spawn, then read-only. */
	const gri_actor_ops *ops;
	gri_sched           *sched;
	size_t               size;
	/* The scheduler's inject-queue link, guarded by its mutex. */
	gri_actor *inject_next;
	/* Only the thread running the actor (a hand-off through the mailbox
	 * and the run queues orders successive runs). */
	bool stopped;
	bool yield; /* gri_actor_yield: end this run after this message */
};

/* GRI_MSG_STOP is the id of the runtime's stop request; actors use others. */
#define GRI_MSG_STOP UINT32_MAX

/*
 * gri_msg_alloc returns a zeroed message of size bytes (at least
 * sizeof(gri_msg); the caller's struct begins with a gri_msg) with the given
 * id, from the pools; NULL if out of memory. Ownership passes to the mailbox
 * at gri_actor_send.
 */
gri_msg *gri_msg_alloc(size_t size, uint32_t id);

/* gri_msg_free frees a message that was never sent, running its drop. */
void gri_msg_free(gri_msg *m);

/*
 * gri_actor_spawn allocates a zeroed actor of size bytes (at least
 * sizeof(gri_actor)) run by sched, and returns it with one reference in
 * *ap. The caller may initialise its own fields before the first send.
 */
gorums_err gri_actor_spawn(gri_sched *sched, const gri_actor_ops *ops,
                           size_t size, gri_actor **ap);

/* gri_actor_ref adds a reference; the caller must already hold one. */
void gri_actor_ref(gri_actor *a);

/* gri_actor_unref drops a reference; the last one frees the actor. */
void gri_actor_unref(gri_actor *a);

/*
 * gri_actor_send hands m to a; any thread, never blocks. The caller must
 * hold a reference to a. The mailbox owns m from now on; if a has stopped,
 * m is dropped.
 */
void gri_actor_send(gri_actor *a, gri_msg *m);

/*
 * gri_actor_stop asks a to stop after the messages already sent to it;
 * asynchronous, any thread, idempotent. Returns GORUMS_ENOMEM if the
 * request could not be allocated.
 */
gorums_err gri_actor_stop(gri_actor *a);

/*
 * gri_actor_yield, from a behaviour of a, ends a's run after the current
 * message: a is scheduled again at the back of its worker's queue, so
 * that what the behaviour deferred to the worker (gri_sched_defer) runs
 * first.
 */
void gri_actor_yield(gri_actor *a);

/*
 * gri_actor_run runs up to batch messages of a; for the scheduler only.
 * It returns true if a must be scheduled again (messages remain), false if
 * its mailbox was marked empty (then the caller must not touch a except to
 * drop the scheduling reference).
 */
bool gri_actor_run(gri_actor *a, int batch);

#endif /* GRI_ACTOR_H */
