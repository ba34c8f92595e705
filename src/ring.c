/*
 * ring.c: the scheduler's spmc run queue. See ring.h.
 *
 * Memory orders. The producer stores the slot, then (store fence) the new
 * tail: a consumer that loads the tail and then (load fence) the slot sees
 * the entry and everything written before it was queued. A consumer owns
 * the entry only if its CAS moves the head from the index it read; the
 * producer reuses a slot only once the head has passed it, which makes any
 * consumer still holding that stale index fail its CAS. Indices are free
 * running unsigned counters: differences are right across wrap-around.
 */
#include "src/ring.h"

#include <ck_pr.h>
#include <stdlib.h>

#include "src/tsan.h"

bool
gri_ring_init(gri_ring *r, unsigned capacity)
{
	if (capacity < 2 || (capacity & (capacity - 1)) != 0) {
		return (false);
	}
	r->c_head = 0;
	r->p_tail = 0;
	r->mask   = capacity - 1;
	r->slots  = calloc(capacity, sizeof(void *));
	return (r->slots != NULL);
}

void
gri_ring_fini(gri_ring *r)
{
	free(r->slots);
	r->slots = NULL;
}

bool
gri_ring_push_sp(gri_ring *r, void *p)
{
	unsigned tail = r->p_tail; /* ours alone */
	unsigned head = ck_pr_load_uint(&r->c_head);

	if (tail - head > r->mask) {
		return (false);
	}
	ck_pr_store_ptr(&r->slots[tail & r->mask], p);
	ck_pr_fence_store();
	ck_pr_store_uint(&r->p_tail, tail + 1);
	return (true);
}

typedef enum { RING_EMPTY, RING_TAKEN, RING_LOST } ring_claim_result;

/* ring_claim tries once to take the head entry. */
static ring_claim_result
ring_claim(gri_ring *r, void **pp)
{
	unsigned head = ck_pr_load_uint(&r->c_head);

	ck_pr_fence_load();
	if (head == ck_pr_load_uint(&r->p_tail)) {
		return (RING_EMPTY);
	}
	ck_pr_fence_load();
	void *p = ck_pr_load_ptr(&r->slots[head & r->mask]);
	/* The slot read happens before the claim: once the CAS succeeds the
	 * producer may reuse the slot. */
	ck_pr_fence_store_atomic();
	if (!ck_pr_cas_uint(&r->c_head, head, head + 1)) {
		return (RING_LOST);
	}
	*pp = p;
	return (RING_TAKEN);
}

bool
gri_ring_trypop_mc(gri_ring *r, void **pp)
{
	return (ring_claim(r, pp) == RING_TAKEN);
}

bool
gri_ring_pop_mc(gri_ring *r, void **pp)
{
	ring_claim_result res;

	while ((res = ring_claim(r, pp)) == RING_LOST) {
		ck_pr_stall();
	}
	return (res == RING_TAKEN);
}

unsigned
gri_ring_size(const gri_ring *r)
{
	unsigned head = ck_pr_load_uint(&r->c_head);
	unsigned tail = ck_pr_load_uint(&r->p_tail);

	/* Read in that order, tail - head can only over-count (never wrap
	 * below zero). */
	return (tail - head);
}
