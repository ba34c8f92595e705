/*
 * mbox.c: the MPSC mailbox. See mbox.h.
 *
 * Design notes (memory orders). ck_pr_fas_ptr and ck_pr_cas_ptr are full
 * barriers on every target we build for (x86 lock-prefixed instructions;
 * __sync builtins in the ThreadSanitizer overlay). ck_pr_store_ptr and
 * ck_pr_load_ptr are plain accesses the compiler may not reorder across
 * (asm with a memory clobber); the explicit ck_pr_fence_store/_load calls
 * state the release/acquire each side needs, and the TSan overlay turns
 * those loads and stores into __atomic acquire/release so TSan sees the
 * same edges.
 *
 * The edges that matter:
 * - A producer's writes to a message happen before the consumer reads it:
 *   the producer's release store of prev->next pairs with the consumer's
 *   acquire load of tail->next.
 * - The previous consumer's last writes (its tail, the actor's state) happen
 *   before the next consumer runs: markempty's CAS on head is a release, the
 *   producer's exchange that sees the flag acquires it, and the producer's
 *   scheduling hands the actor on with another release/acquire pair.
 * - A stub is freed only after tail->next was seen non-NULL, i.e. after
 *   the producer that linked it made its last access to it.
 */
#include "src/mbox.h"

#include <ck_pr.h>

#include "src/pool.h"
#include "src/tsan.h"

#define MBOX_EMPTY ((uintptr_t) 1)

static gri_msg *
mbox_flag(gri_msg *m)
{
	return ((gri_msg *) ((uintptr_t) m | MBOX_EMPTY));
}

static gri_msg *
mbox_unflag(gri_msg *m)
{
	return ((gri_msg *) ((uintptr_t) m & ~MBOX_EMPTY));
}

bool
gri_mbox_init(gri_mbox *q)
{
	gri_msg *stub = gri_pool_zalloc(sizeof(*stub));

	if (stub == NULL) {
		return (false);
	}
	stub->size = sizeof(*stub);
	ck_pr_store_ptr(&stub->next, NULL);
	q->tail = stub;
	/* Published to other threads by whatever hands them the actor. */
	ck_pr_store_ptr(&q->head, mbox_flag(stub));
	return (true);
}

void
gri_mbox_fini(gri_mbox *q)
{
	gri_pool_free(q->tail, q->tail->size);
	q->tail = NULL;
}

bool
gri_mbox_push_mpsc(gri_mbox *q, gri_msg *m)
{
	gri_msg *prev;

	ck_pr_store_ptr(&m->next, NULL);
	/* Release: m's contents and its NULL link before it becomes the head.
	 * Acquire (the exchange is a full barrier): if it returns the empty
	 * flag, we see the last consumer's writes before we schedule. */
	ck_pr_fence_store_atomic();
	prev = ck_pr_fas_ptr(&q->head, m);
	ck_pr_fence_atomic_store();
	/* Release: publishes m to the consumer, which acquires tail->next. */
	ck_pr_store_ptr(&mbox_unflag(prev)->next, m);
	return (((uintptr_t) prev & MBOX_EMPTY) != 0);
}

gri_msg *
gri_mbox_pop_sc(gri_mbox *q)
{
	gri_msg *tail = q->tail;
	gri_msg *next = ck_pr_load_ptr(&tail->next);

	if (next == NULL) {
		return (NULL);
	}
	/* Acquire: pairs with the producer's release store of this link, so
	 * next's contents are visible. */
	ck_pr_fence_load();
	q->tail = next;
	/* The old stub: its producer is done with it (it wrote ->next). */
	gri_pool_free(tail, tail->size);
	return (next);
}

bool
gri_mbox_markempty_sc(gri_mbox *q)
{
	gri_msg *tail = q->tail;
	gri_msg *head = ck_pr_load_ptr(&q->head);

	if (((uintptr_t) head & MBOX_EMPTY) != 0) {
		return (true);
	}
	if (head != tail) {
		return (false);
	}
	/* Release (full barrier): our writes before we let go of the actor
	 * are visible to the producer whose exchange sees the flag. Fails if
	 * a producer swung head since we read it. */
	return (ck_pr_cas_ptr(&q->head, tail, mbox_flag(tail)));
}
