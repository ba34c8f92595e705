/*
 * ring_test: the scheduler's spmc ring. The owner pushes and pops while
 * thieves steal, with the ring kept small so that slots are reused lap
 * after lap (the case where a thief's speculative slot read meets the
 * owner's next write): every entry is taken exactly once.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "src/ring.h"
#include "tests/harness/harness.h"

#define ITEMS   200000
#define THIEVES 2

typedef struct steal_state {
	gri_ring      ring;
	atomic_uchar *seen; /* ITEMS entries: how often each was taken */
	atomic_bool   done;
	atomic_long   taken;
} steal_state;

static void
take(steal_state *st, void *p)
{
	uintptr_t v = (uintptr_t) p;

	GTS_ASSERT(v >= 1 && v <= ITEMS);
	atomic_fetch_add(&st->seen[v - 1], 1);
	atomic_fetch_add(&st->taken, 1);
}

static void *
thief_main(void *arg)
{
	steal_state *st = arg;
	void        *p;

	while (!atomic_load(&st->done)) {
		if (gri_ring_trypop_mc(&st->ring, &p)) {
			take(st, p);
		}
	}
	while (gri_ring_pop_mc(&st->ring, &p)) {
		take(st, p);
	}
	return (NULL);
}

static void
test_ring_steal_laps(void)
{
	steal_state st;
	pthread_t   t[THIEVES];
	void       *p;

	GTS_ASSERT(gri_ring_init(&st.ring, 8));
	st.seen = calloc(ITEMS, sizeof(*st.seen));
	GTS_ASSERT(st.seen != NULL);
	atomic_init(&st.done, false);
	atomic_init(&st.taken, 0);
	for (int i = 0; i < THIEVES; i++) {
		GTS_EQ(pthread_create(&t[i], NULL, thief_main, &st), 0);
	}
	for (uintptr_t v = 1; v <= ITEMS; v++) {
		/* Full: the owner drains one itself, as a worker would. */
		while (!gri_ring_push_sp(&st.ring, (void *) v)) {
			if (gri_ring_pop_mc(&st.ring, &p)) {
				take(&st, p);
			}
		}
		if (v % 3 == 0 && gri_ring_pop_mc(&st.ring, &p)) {
			take(&st, p);
		}
	}
	atomic_store(&st.done, true);
	for (int i = 0; i < THIEVES; i++) {
		pthread_join(t[i], NULL);
	}
	GTS_EQ(atomic_load(&st.taken), ITEMS);
	for (int i = 0; i < ITEMS; i++) {
		GTS_EQ(atomic_load(&st.seen[i]), 1);
	}
	GTS_EQ(gri_ring_size(&st.ring), 0u);
	gri_ring_fini(&st.ring);
	free(st.seen);
}

static void
test_ring_bounds(void)
{
	gri_ring r;
	void    *p;

	GTS_ASSERT(!gri_ring_init(&r, 6)); /* not a power of two */
	GTS_ASSERT(!gri_ring_init(&r, 1));
	GTS_ASSERT(gri_ring_init(&r, 4));
	GTS_ASSERT(!gri_ring_pop_mc(&r, &p));
	for (uintptr_t v = 1; v <= 4; v++) {
		GTS_ASSERT(gri_ring_push_sp(&r, (void *) v));
	}
	GTS_ASSERT(!gri_ring_push_sp(&r, (void *) 5)); /* full */
	GTS_EQ(gri_ring_size(&r), 4u);
	for (uintptr_t v = 1; v <= 4; v++) { /* FIFO */
		GTS_ASSERT(gri_ring_trypop_mc(&r, &p));
		GTS_EQ((uintptr_t) p, v);
	}
	GTS_ASSERT(!gri_ring_trypop_mc(&r, &p));
	gri_ring_fini(&r);
}

gts_test TEST_LIST[] = {
    {"ring bounds and fifo", test_ring_bounds},
    {"ring steal across laps", test_ring_steal_laps},
    {NULL, NULL},
};
