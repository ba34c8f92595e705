/*
 * ring.h: a bounded single-producer/multi-consumer ring of pointers: each
 * scheduler worker's run queue, which its owner fills and empties and idle
 * workers steal from.
 *
 * It is ck_ring's spmc algorithm with one difference that matters: a
 * consumer reads a slot speculatively, before the CAS that claims it, and
 * the producer may be overwriting that slot a lap later (the CAS then
 * fails and the value is dropped). ck_ring copies slots with memcpy, which
 * makes that benign overlap a data race in C11 terms and a ThreadSanitizer
 * report; here every slot access is a ck_pr load or store (atomic under
 * the TSan overlay), so the same algorithm is race-free by the book.
 *
 * Contracts, in ck's naming: gri_ring_push_sp by the one producer only;
 * gri_ring_pop_mc and gri_ring_trypop_mc by anyone; gri_ring_size is a
 * snapshot for anyone (a hint: it may be stale by the time it is used).
 */
#ifndef GRI_RING_H
#define GRI_RING_H

#include <stdbool.h>

typedef struct gri_ring {
	/* Claimed by consumers with a CAS; read by the producer (full?). */
	unsigned c_head;
	char     pad[64 - sizeof(unsigned)];
	/* Written by the producer only, after the slot it publishes. */
	unsigned p_tail;
	unsigned mask;  /* capacity - 1; capacity a power of two */
	void   **slots; /* capacity entries, each accessed with ck_pr */
} gri_ring;

/* gri_ring_init allocates a ring for capacity (a power of two >= 2)
 * pointers; false if out of memory or capacity is not a power of two. */
extern bool gri_ring_init(gri_ring *, unsigned capacity);
extern void gri_ring_fini(gri_ring *);

/* gri_ring_push_sp queues p at the tail; false if the ring is full. */
extern bool gri_ring_push_sp(gri_ring *, void *p);

/* gri_ring_trypop_mc takes the head once; false if empty or another
 * consumer took it first. gri_ring_pop_mc retries until it gets an entry
 * or sees the ring empty. */
extern bool gri_ring_trypop_mc(gri_ring *, void **pp);
extern bool gri_ring_pop_mc(gri_ring *, void **pp);

extern unsigned gri_ring_size(const gri_ring *);

#endif /* GRI_RING_H */
