/*
 * call.c: the call handle: completion, waiting, cancel, free. See
 * call_impl.h for the protocol.
 */
#include <ck_pr.h>
#include <stdlib.h>

#include "actors/node/node.h"
#include "src/client/call_impl.h"
#include "src/pool.h"
#include "src/sched.h"
#include "src/spin.h"

gorums_call *
gri_call_alloc(void)
{
	gorums_call *c = gri_pool_zalloc(sizeof(*c));

	if (c == NULL) {
		return (NULL);
	}
	gri_arena_init(&c->arena);
	atomic_init(&c->nreplies, 0);
	atomic_init(&c->ready, false);
	atomic_init(&c->done, false);
	atomic_init(&c->cancel_requested, false);
	atomic_init(&c->refs, 1);
	atomic_init(&c->parked, 0);
	pthread_mutex_init(&c->mtx, NULL);
	pthread_cond_init(&c->cv, NULL);
	return (c);
}

void
gri_call_ref(gorums_call *c)
{
	/* Relaxed: the caller holds a reference already. */
	atomic_fetch_add_explicit(&c->refs, 1, memory_order_relaxed);
}

void
gri_call_unref(gorums_call *c)
{
	/* acq_rel: every holder's writes happen before the free. */
	if (atomic_fetch_sub_explicit(&c->refs, 1, memory_order_acq_rel) !=
	    1) {
		return;
	}
	if (c->reply != NULL) {
		protobuf_c_message_free_unpacked(c->reply, NULL);
	}
	for (gri_watch *w = c->watchers; w != NULL; w = c->watchers) {
		c->watchers = w->next;
		gri_pool_free(w, sizeof(*w));
	}
	gri_arena_fini(&c->arena);
	if (c->completer_ref) {
		gri_actor_unref(c->completer);
	}
	if (c->sink != NULL) {
		gri_actor_unref(c->sink);
	}
	pthread_cond_destroy(&c->cv);
	pthread_mutex_destroy(&c->mtx);
	gri_pool_free(c, sizeof(*c));
}

/* call_fire runs and frees watchers taken off c's list (no lock held). */
static void
call_fire(gorums_call *c, gri_watch *fire)
{
	while (fire != NULL) {
		gri_watch *w = fire;
		fire         = w->next;
		w->cb(c, w->arg);
		gri_pool_free(w, sizeof(*w));
	}
}

void
gri_call_complete(gorums_call *c, gorums_err err, ProtobufCMessage *reply)
{
	gri_watch *fire = NULL;

	if (atomic_load_explicit(&c->ready, memory_order_relaxed)) {
		if (reply != NULL) {
			protobuf_c_message_free_unpacked(reply, NULL);
		}
		return;
	}
	c->result = err;
	c->reply  = reply;
	/* Release: the callback and watchers may read the result now. */
	atomic_store_explicit(&c->ready, true, memory_order_release);
	if (c->cb != NULL) {
		c->cb(c, c->cb_arg);
	}
	/* Only after the callback has returned is the call over, so that
	 * gorums_call_wait/_free never return while it still runs (its
	 * argument may be freed right after them). seq_cst: orders the
	 * store before the load of parked (Dekker with the waiter). */
	atomic_store(&c->done, true);
	if (atomic_load(&c->parked) > 0 || c->watchers != NULL) {
		pthread_mutex_lock(&c->mtx);
		fire        = c->watchers; /* done satisfies every watcher */
		c->watchers = NULL;
		pthread_cond_broadcast(&c->cv);
		pthread_mutex_unlock(&c->mtx);
	}
	call_fire(c, fire);
}

void
gri_call_publish_level(gorums_call *c, int level,
                       const ProtobufCMessage *value)
{
	gri_watch *fire = NULL, **pp;

	pthread_mutex_lock(&c->mtx);
	if (level <= c->level) {
		pthread_mutex_unlock(&c->mtx);
		return;
	}
	c->level       = level;
	c->level_value = value;
	for (pp = &c->watchers; *pp != NULL;) {
		gri_watch *w = *pp;
		if (w->level <= level) {
			*pp     = w->next;
			w->next = fire;
			fire    = w;
		} else {
			pp = &w->next;
		}
	}
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->mtx);
	call_fire(c, fire);
}

static void
cancel_msg_drop(gri_msg *m)
{
	gri_cancel_msg *cm = (gri_cancel_msg *) m;

	if (cm->call != NULL) {
		gri_call_complete(cm->call, GORUMS_ECLOSED, NULL);
		gri_call_unref(cm->call);
	}
}

gri_msg *
gri_cancel_msg_alloc(gorums_call *c, gorums_err err)
{
	gri_cancel_msg *m =
	    (gri_cancel_msg *) gri_msg_alloc(sizeof(*m), c->cancel_id);

	if (m == NULL) {
		return (NULL);
	}
	gri_call_ref(c);
	m->call     = c;
	m->err      = err;
	m->hdr.drop = cancel_msg_drop;
	return (&m->hdr);
}

static void
call_expiry_cb(void *arg)
{
	gorums_call *c = arg;

	/* Timer thread: only enqueue. The armed deadline's reference moves
	 * with the message; the message already holds one, so drop ours. */
	gri_actor_send(c->completer, c->expiry);
	gri_call_unref(c);
}

static void
call_deadline_noop(void *arg)
{
	(void) arg;
}

gorums_err
gri_call_arm_deadline(gorums_call *c, int timeout_ms)
{
	gorums_err rv;

	gri_timeout_init(&c->deadline, call_deadline_noop, NULL);
	if (timeout_ms <= 0) {
		return (GORUMS_OK);
	}
	if ((c->expiry = gri_cancel_msg_alloc(c, GORUMS_ETIMEDOUT)) == NULL) {
		return (GORUMS_ENOMEM);
	}
	gri_timeout_init(&c->deadline, call_expiry_cb, c);
	gri_call_ref(c);
	rv = gri_timer_schedule(c->timer, &c->deadline,
	                        (uint64_t) timeout_ms * 1000000u, 0);
	if (rv != GORUMS_OK) {
		c->expiry->drop = NULL; /* never sent: it ends nothing */
		gri_msg_free(c->expiry);
		c->expiry = NULL;
		gri_call_unref(c); /* the message's */
		gri_call_unref(c); /* the deadline's */
	}
	return (rv);
}

void
gri_call_disarm_deadline(gorums_call *c)
{
	if (c->expiry == NULL) {
		return;
	}
	if (gri_timer_cancel(c->timer, &c->deadline)) {
		/* It never fired: its message and reference are ours. The
		 * message's own reference goes with it (without its drop:
		 * the call is ending anyway). */
		gri_cancel_msg *m = (gri_cancel_msg *) c->expiry;
		c->expiry         = NULL;
		m->hdr.drop       = NULL;
		gri_msg_free(&m->hdr);
		gri_call_unref(c); /* the message's */
		gri_call_unref(c); /* the deadline's */
		return;
	}
	/* It fired: wait until its callback has posted the message (it only
	 * enqueues), so that no callback of this call outlives the call's
	 * completer. The message and the reference are the completer's. */
	gri_timer_cancel_wait(c->timer, &c->deadline);
}

bool
gorums_call_done(gorums_call *c)
{
	return (atomic_load_explicit(&c->done, memory_order_acquire));
}

static bool
call_done_fn(void *arg)
{
	return (gorums_call_done(arg));
}

bool
gri_call_help(gorums_call *c)
{
	gri_sched *s = c->node != NULL ? c->node->base.sched : NULL;

	if (s == NULL || c->spin_ns <= 0) {
		return (gorums_call_done(c));
	}
	return (gri_sched_help_until(s, call_done_fn, c, c->spin_ns));
}

/*
 * Callers that help a pool at once, at most. One helping caller takes the
 * hand-offs of a lone call (the common case at low load); with many
 * callers, more helpers only contend for the same queues and steal each
 * other's work, while the pool's workers run the calls anyway. Measured
 * (examples/benchmark, 3 servers, quorum 2): 32 callers 39k and 32k ops/s
 * with one helper against 31k and 27k with all helping; one caller
 * unchanged. (At the start of this change, before it: 43k with no caller
 * helping against 28k with all.)
 */
#define CALL_HELPERS_MAX 1

static atomic_int call_helpers;

/* call_help_begin makes this thread a helper of s if the budget allows. */
static bool
call_help_begin(gri_sched *s)
{
	if (atomic_fetch_add(&call_helpers, 1) >= CALL_HELPERS_MAX) {
		atomic_fetch_sub(&call_helpers, 1);
		return (false);
	}
	if (!gri_sched_help_begin(s)) {
		atomic_fetch_sub(&call_helpers, 1);
		return (false);
	}
	return (true);
}

static void
call_help_end(gri_sched *s)
{
	gri_sched_help_end(s);
	atomic_fetch_sub(&call_helpers, 1);
}

gri_sched *
gri_call_help_begin(gorums_node *n)
{
	gri_sched *s = n != NULL ? n->base.sched : NULL;

	if (s == NULL || n->opts.wait_spin_ns <= 0 || !call_help_begin(s)) {
		return (NULL);
	}
	return (s);
}

void
gri_call_help_end(gri_sched *s, gorums_call *c)
{
	if (s == NULL) {
		return;
	}
	if (c != NULL) {
		(void) gri_call_help(c);
	}
	call_help_end(s);
}

gorums_err
gorums_call_wait(gorums_call *c)
{
	/* Only while the call runs is its node certain to exist (a manager
	 * closed since may have freed it). */
	gri_sched *s = !gorums_call_done(c) && c->node != NULL
	    ? c->node->base.sched
	    : NULL;

	/* Before parking, help the runtime for a while: the answer usually
	 * comes within a round trip, and running its hand-offs here costs
	 * less than a ~20 us wake-up of a parked worker and of this thread. */
	if (!gorums_call_done(c) && s != NULL && c->spin_ns > 0) {
		if (call_help_begin(s)) {
			(void) gri_call_help(c);
			call_help_end(s);
		} else {
			/* On a worker (a misuse), helping already, or
			 * another caller helps: spin. */
			uint64_t start = gri_clock_ns();
			for (unsigned i = 1; !gorums_call_done(c); i++) {
				if (i % 64 == 0 &&
				    gri_clock_ns() - start >
				        (uint64_t) c->spin_ns) {
					break;
				}
				gri_spin_pause();
			}
		}
	}
	if (!gorums_call_done(c)) {
		pthread_mutex_lock(&c->mtx);
		atomic_fetch_add(&c->parked, 1);
		while (!atomic_load(&c->done)) {
			pthread_cond_wait(&c->cv, &c->mtx);
		}
		atomic_fetch_sub(&c->parked, 1);
		pthread_mutex_unlock(&c->mtx);
	}
	return (c->result);
}

void
gorums_call_cancel(gorums_call *c)
{
	gri_msg *m;

	if (gorums_call_done(c) ||
	    atomic_exchange(&c->cancel_requested, true)) {
		return;
	}
	if ((m = gri_cancel_msg_alloc(c, GORUMS_ECANCELED)) == NULL) {
		/* XXX: lost to memory; the deadline, if any, still ends it. */
		atomic_store(&c->cancel_requested, false);
		return;
	}
	gri_actor_send(c->completer, m);
}

gorums_err
gorums_call_result(gorums_call *c, ProtobufCMessage **reply)
{
	/* Ready, not done: the completion callback may ask for it. */
	if (!atomic_load_explicit(&c->ready, memory_order_acquire)) {
		return (GORUMS_EBUSY);
	}
	if (reply != NULL) {
		*reply   = c->reply;
		c->reply = NULL;
	}
	return (c->result);
}

void
gorums_call_free(gorums_call *c)
{
	if (c == NULL) {
		return;
	}
	gorums_call_cancel(c);
	(void) gorums_call_wait(c);
	gri_call_unref(c);
}
