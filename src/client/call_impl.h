/*
 * call_impl.h: the inside of a gorums_call, shared by the public call API
 * (src/client/call.c) and the actors that complete calls (actors/node).
 *
 * Completion protocol. Exactly one actor completes a call (for a call to
 * one node: that node's actor, in a behaviour or when it drops an
 * undelivered message), so completing needs no CAS; it writes result and
 * reply, then releases `done`. Waiters spin on `done` for a bounded time,
 * then park on the condition variable (Dekker with `parked`, both seq_cst).
 *
 * Lifetime. References: the user's handle, the message or routing entry
 * that carries the call to its completer, the armed deadline, and each
 * cancel request in flight. The last gri_call_unref frees it.
 */
#ifndef GRI_CALL_IMPL_H
#define GRI_CALL_IMPL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "gorums/call.h"
#include "gorums/quorum.h"
#include "src/actor.h"
#include "src/arena.h"
#include "src/timer.h"

/* A quorum call's record of one node, for gorums_qcall_node_status. */
typedef struct gri_qstatus {
	uint32_t   id;
	gorums_err err; /* GORUMS_EBUSY until it answers */
} gri_qstatus;

/* A correctable call's watcher (gorums_qcall_watch), under the call's mtx. */
typedef struct gri_watch {
	struct gri_watch *next;
	int               level;
	gorums_call_cb    cb;
	void             *arg;
} gri_watch;

struct gorums_call {
	/* Set before the call is sent; read-only after. */
	gorums_node                      *node;
	uint32_t                          msg_id;
	bool                              oneway;
	const ProtobufCMessageDescriptor *reply_desc;
	gorums_call_cb                    cb;
	void                             *cb_arg;
	uint64_t                          start_ns;
	int64_t                           spin_ns;
	gri_timer                        *timer;
	gri_timeout                       deadline; /* guarded by the timer */
	/* The message the deadline posts, allocated when it is armed so that
	 * expiry cannot fail; owned by the armed deadline. */
	gri_msg *expiry;
	/* The actor that completes the call, and the id of the cancel
	 * message (gri_cancel_msg) it takes for cancel and expiry. With
	 * completer_ref, the call holds a reference to it. */
	gri_actor *completer;
	uint32_t   cancel_id;
	bool       completer_ref;
	/* A sub-call of a quorum call: its node delivers the answer to this
	 * actor (gri_qcall_deliver) instead of completing it. */
	gri_actor *sink;
	uint32_t   sink_idx;

	/* Quorum calls. The arena is the completing actor's while the call
	 * runs, and the user's (read only) after done. */
	bool                    quorum;
	gri_arena               arena;
	gri_qstatus            *qstatus; /* nconfig entries, in the arena */
	size_t                  nconfig;
	atomic_size_t           nreplies;
	const ProtobufCMessage *qresult; /* written before done */
	/* Correctable: under mtx. */
	int                     level;
	const ProtobufCMessage *level_value;
	gri_watch              *watchers;

	/* Written once by the completer, before done is released. */
	gorums_err        result;
	ProtobufCMessage *reply; /* then the user's thread, after done */

	/* ready: the result may be read (set before the callback runs);
	 * done: the call is over, callback included (waiters return). */
	atomic_bool     ready;
	atomic_bool     done;
	atomic_bool     cancel_requested;
	atomic_int      refs;
	atomic_int      parked;
	pthread_mutex_t mtx;
	pthread_cond_t  cv;
};

/*
 * gri_cancel_msg asks a call's completer to end it with err (cancel,
 * deadline); it holds a reference to the call.
 */
typedef struct gri_cancel_msg {
	gri_msg      hdr;
	gorums_call *call;
	gorums_err   err;
} gri_cancel_msg;

/*
 * gri_cancel_msg_alloc makes a cancel message for c's completer with a
 * reference to c; NULL if out of memory. Its drop (if undelivered) ends c
 * with GORUMS_ECLOSED.
 */
gri_msg *gri_cancel_msg_alloc(gorums_call *c, gorums_err err);

/*
 * gri_call_alloc makes a call with one reference (the user's) and the
 * other fields zero; the caller fills in the read-only fields.
 */
gorums_call *gri_call_alloc(void);

void gri_call_ref(gorums_call *c);
void gri_call_unref(gorums_call *c);

/*
 * gri_call_complete completes c with err and reply (c takes the reply),
 * wakes its waiters and runs its callback. For the completing actor only;
 * a call already done is left alone (reply is then freed).
 */
void gri_call_complete(gorums_call *c, gorums_err err,
                       ProtobufCMessage *reply);

/*
 * gri_call_arm_deadline arms c's deadline timeout_ms from now (if > 0):
 * on expiry the timer thread sends c's completer a gri_cancel_msg with
 * GORUMS_ETIMEDOUT (allocated here, so expiry cannot fail). c->timer,
 * c->completer and c->cancel_id must be set.
 */
gorums_err gri_call_arm_deadline(gorums_call *c, int timeout_ms);

/*
 * gri_call_disarm_deadline cancels the deadline if it has not fired and
 * drops its reference; if it fired, it waits for the expiry callback to
 * return (briefly: it only enqueues), and the message keeps the reference.
 * For the completer, whose actor the message goes to.
 */
void gri_call_disarm_deadline(gorums_call *c);

/*
 * gri_call_publish_level records a correctable call's new level and value
 * (if level is higher than the current one) and runs the watchers it
 * satisfies. For the completer.
 */
void gri_call_publish_level(gorums_call *c, int level,
                            const ProtobufCMessage *value);

/*
 * gri_call_help runs the runtime's actors on the calling thread, which
 * must be helping (gri_sched_help_begin on c's pool), until c is done or
 * its spin budget is used up; returns whether it is done.
 */
bool gri_call_help(gorums_call *c);

/*
 * gri_call_help_begin makes a blocking call's thread a helper of n's pool
 * before the call starts, so that the node actors it sends to run on this
 * thread (and write the request) instead of waking workers. It returns the
 * pool helped, or NULL if this thread does not help (spinning disabled, a
 * worker thread, already helping, or another caller helps already: see
 * CALL_HELPERS_MAX). gri_call_help_end then runs c's hand-offs here (c
 * NULL: the call did not start) and ends helping.
 */
gri_sched *gri_call_help_begin(gorums_node *n);
void       gri_call_help_end(gri_sched *s, gorums_call *c);

#endif /* GRI_CALL_IMPL_H */
