/*
 * actor.c: spawn, send, stop, run, and free actors. See actor.h.
 */
#include "src/actor.h"

#include "src/pool.h"
#include "src/sched.h"

gri_msg *
gri_msg_alloc(size_t size, uint32_t id)
{
	gri_msg *m;

	if (size < sizeof(gri_msg) || size > UINT32_MAX) {
		return (NULL);
	}
	if ((m = gri_pool_zalloc(size)) == NULL) {
		return (NULL);
	}
	m->id   = id;
	m->size = (uint32_t) size;
	return (m);
}

void
gri_msg_free(gri_msg *m)
{
	if (m == NULL) {
		return;
	}
	if (m->drop != NULL) {
		m->drop(m);
	}
	gri_pool_free(m, m->size);
}

gorums_err
gri_actor_spawn(gri_sched *sched, const gri_actor_ops *ops, size_t size,
                gri_actor **ap)
{
	gri_actor *a;

	if (size < sizeof(gri_actor) || ops == NULL || ops->dispatch == NULL) {
		return (GORUMS_EINVAL);
	}
	if ((a = gri_pool_zalloc(size)) == NULL) {
		return (GORUMS_ENOMEM);
	}
	if (!gri_mbox_init(&a->mbox)) {
		gri_pool_free(a, size);
		return (GORUMS_ENOMEM);
	}
	a->ops   = ops;
	a->sched = sched;
	a->size  = size;
	/* Relaxed: the actor is published to other threads by whatever hands
	 * them the pointer, which orders this store. */
	atomic_init(&a->refs, 1);
	*ap = a;
	return (GORUMS_OK);
}

void
gri_actor_ref(gri_actor *a)
{
	/* Relaxed: the caller already holds a reference, so the count cannot
	 * reach zero concurrently. */
	atomic_fetch_add_explicit(&a->refs, 1, memory_order_relaxed);
}

/* actor_drop_message releases an undelivered message's contents. */
static void
actor_drop_message(gri_msg *m)
{
	if (m->drop != NULL) {
		m->drop(m);
	}
	/* The mailbox frees m itself (it is the stub now). */
}

static void
actor_free(gri_actor *a)
{
	gri_msg *m;

	if (!a->stopped && a->ops->stop != NULL) {
		a->ops->stop(a);
	}
	a->stopped = true;
	/* Nobody can push any more (no references) and nobody runs the actor
	 * (scheduling holds a reference), so we are the only consumer. */
	while ((m = gri_mbox_pop_sc(&a->mbox)) != NULL) {
		actor_drop_message(m);
	}
	if (a->ops->fini != NULL) {
		a->ops->fini(a);
	}
	gri_mbox_fini(&a->mbox);
	gri_pool_free(a, a->size);
}

void
gri_actor_unref(gri_actor *a)
{
	/* Release: our writes to the actor happen before its fini. Acquire
	 * (on the last reference): we see every other holder's writes. */
	if (atomic_fetch_sub_explicit(&a->refs, 1, memory_order_acq_rel) ==
	    1) {
		actor_free(a);
	}
}

void
gri_actor_send(gri_actor *a, gri_msg *m)
{
	if (gri_mbox_push_mpsc(&a->mbox, m)) {
		/* We alone saw the empty flag: the actor is ours to schedule,
		 * and the run queue holds a reference until it lets go. */
		gri_actor_ref(a);
		gri_sched_schedule(a->sched, a);
	}
}

gorums_err
gri_actor_stop(gri_actor *a)
{
	gri_msg *m = gri_msg_alloc(sizeof(gri_msg), GRI_MSG_STOP);

	if (m == NULL) {
		return (GORUMS_ENOMEM);
	}
	gri_actor_send(a, m);
	return (GORUMS_OK);
}

static void
actor_flush(gri_actor *a, int delivered)
{
	if (delivered > 0 && a->ops->flush != NULL) {
		a->ops->flush(a);
	}
}

void
gri_actor_yield(gri_actor *a)
{
	a->yield = true;
}

bool
gri_actor_run(gri_actor *a, int batch)
{
	for (int i = 0; i < batch; i++) {
		gri_msg *m = gri_mbox_pop_sc(&a->mbox);
		if (m == NULL) {
			actor_flush(a, i);
			/* The last thing we do: after markempty succeeds, a
			 * new sender may schedule the actor on another thread.
			 */
			return (!gri_mbox_markempty_sc(&a->mbox));
		}
		if (m->id == GRI_MSG_STOP) {
			if (!a->stopped && a->ops->stop != NULL) {
				a->ops->stop(a);
			}
			a->stopped = true;
		} else if (a->stopped) {
			actor_drop_message(m);
		} else {
			a->ops->dispatch(a, m);
		}
		if (a->yield) {
			/* Asked to let go now (gri_actor_yield); run again
			 * whether or not more is queued (the next run finds
			 * out, and marks the mailbox empty if so). */
			a->yield = false;
			actor_flush(a, i + 1);
			return (true);
		}
	}
	/* Batch used up: yield to other actors even if more is queued. */
	actor_flush(a, batch);
	return (true);
}
