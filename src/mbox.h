/*
 * mbox.h: the actor mailbox, an intrusive lock-free MPSC queue of messages.
 *
 * The algorithm is ponyc's messageq.c (Vyukov's node-based MPSC queue with a
 * stub node) built on Concurrency Kit's ck_pr, with one flag in the low bit
 * of head: "empty and not scheduled". Any thread may push; exactly one
 * thread at a time, the one running the owning actor, may pop and mark
 * empty. A push that finds the flag set reports it, and that sender alone
 * must schedule the actor, so an actor is never on two run queues.
 *
 * Progress: push is wait-free (one exchange). Pop is wait-free but may
 * report "empty" while a producer is between its exchange and its link;
 * markempty then fails and the actor runs again, so nothing is lost.
 */
#ifndef GRI_MBOX_H
#define GRI_MBOX_H

#include <stdbool.h>
#include <stdint.h>

/*
 * gri_msg is the header every message begins with. Messages come from
 * gri_msg_alloc (src/actor.h) and the mailbox frees them: a popped message
 * stays the queue's stub until the next pop, so a behaviour may read it for
 * its whole dispatch but must not free it or keep it.
 */
typedef struct gri_msg gri_msg;
struct gri_msg {
	gri_msg *next; /* queue link: written by producers via ck_pr only */
	uint32_t id;   /* message kind, chosen by the receiving actor */
	uint32_t size; /* allocation size, for the pool */
	/* drop releases what the message owns when it is not delivered (its
	 * actor stopped); NULL when it owns nothing. */
	void (*drop)(gri_msg *m);
};

typedef struct gri_mbox {
	/* head: swung by producers (any thread) and by markempty; ck_pr only.
	 */
	gri_msg *head;
	/* tail: the consumer's cursor; only the thread running the actor. */
	gri_msg *tail;
} gri_mbox;

/* gri_mbox_init sets up q empty and unscheduled; false if out of memory. */
bool gri_mbox_init(gri_mbox *q);

/*
 * gri_mbox_fini frees the stub. The queue must be drained (pop returned
 * NULL) and no producer may touch it any more.
 */
void gri_mbox_fini(gri_mbox *q);

/*
 * gri_mbox_push_mpsc appends m; any thread. It returns true if the queue was
 * marked empty, in which case the caller must schedule the owning actor.
 */
bool gri_mbox_push_mpsc(gri_mbox *q, gri_msg *m);

/*
 * gri_mbox_pop_sc returns the next message, or NULL if none is visible yet;
 * consumer only. The message stays valid until the next pop or fini.
 */
gri_msg *gri_mbox_pop_sc(gri_mbox *q);

/*
 * gri_mbox_markempty_sc is the consumer's last step before giving the actor
 * up: it returns true if the queue was empty and is now marked so (a later
 * push will schedule the actor again), false if messages arrived (the
 * consumer must keep the actor scheduled). Consumer only; after a true
 * return the caller must not touch q again.
 */
bool gri_mbox_markempty_sc(gri_mbox *q);

#endif /* GRI_MBOX_H */
