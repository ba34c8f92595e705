/*
 * mbox_test: validates the MPSC mailbox on its own, without the scheduler:
 * producer threads hammer one mailbox while one consumer thread pops and
 * marks empty, and plays the scheduler's part by tracking the "was empty"
 * reports. Any lost, duplicated or reordered message, or a second
 * "schedule" while the consumer holds the queue, fails the test.
 */
#include <ck_pr.h>
#include <stdatomic.h>
#include <string.h>

#include "src/actor.h"
#include "src/mbox.h"
#include "tests/harness/harness.h"

typedef struct hammer_msg {
	gri_msg hdr;
	int     producer;
	int     seq;
} hammer_msg;

#define MAX_PRODUCERS 8

typedef struct hammer {
	gri_mbox   q;
	int        nproducers;
	int        nmsgs;
	atomic_int schedules;   /* pushes that reported "was empty" */
	atomic_int unscheduled; /* markempty successes */
	atomic_int go;
} hammer;

typedef struct producer_arg {
	hammer *h;
	int     id;
} producer_arg;

static void *
producer_main(void *arg)
{
	producer_arg *pa = arg;
	hammer       *h  = pa->h;

	while (!atomic_load(&h->go)) {
		ck_pr_stall();
	}
	for (int i = 0; i < h->nmsgs; i++) {
		hammer_msg *m = (hammer_msg *) gri_msg_alloc(sizeof(*m), 1);
		GTS_ASSERT(m != NULL);
		m->producer = pa->id;
		m->seq      = i;
		if (gri_mbox_push_mpsc(&h->q, &m->hdr)) {
			atomic_fetch_add(&h->schedules, 1);
		}
	}
	return (NULL);
}

static void
mbox_hammer(int nproducers, int nmsgs)
{
	hammer       h;
	pthread_t    tids[MAX_PRODUCERS];
	producer_arg args[MAX_PRODUCERS];
	int          next[MAX_PRODUCERS];
	long         total = (long) nproducers * nmsgs;
	long         got   = 0;

	memset(&h, 0, sizeof(h));
	memset(next, 0, sizeof(next));
	GTS_ASSERT(gri_mbox_init(&h.q));
	h.nproducers = nproducers;
	h.nmsgs      = nmsgs;
	for (int i = 0; i < nproducers; i++) {
		args[i].h  = &h;
		args[i].id = i;
		GTS_EQ(pthread_create(&tids[i], NULL, producer_main, &args[i]),
		       0);
	}
	atomic_store(&h.go, 1);

	/* The consumer: "scheduled" whenever a push reported empty. */
	bool scheduled = false;
	while (got < total) {
		if (!scheduled) {
			/* Wait until some push reported "was empty". */
			if (atomic_load(&h.schedules) ==
			    atomic_load(&h.unscheduled)) {
				ck_pr_stall();
				continue;
			}
			scheduled = true;
		}
		gri_msg *m;
		while ((m = gri_mbox_pop_sc(&h.q)) != NULL) {
			hammer_msg *hm = (hammer_msg *) m;
			GTS_ASSERT(hm->producer >= 0 &&
			           hm->producer < nproducers);
			/* FIFO per producer, each exactly once. */
			GTS_EQ(hm->seq, next[hm->producer]);
			next[hm->producer]++;
			got++;
		}
		if (gri_mbox_markempty_sc(&h.q)) {
			atomic_fetch_add(&h.unscheduled, 1);
			scheduled = false;
		}
	}
	for (int i = 0; i < nproducers; i++) {
		pthread_join(tids[i], NULL);
	}
	for (int i = 0; i < nproducers; i++) {
		GTS_EQ(next[i], nmsgs);
	}
	/* Drain a last empty report and check the flag is set at rest. */
	GTS_ASSERT(gri_mbox_pop_sc(&h.q) == NULL);
	GTS_ASSERT(gri_mbox_markempty_sc(&h.q));
	/* Each "was empty" report matched exactly one release. */
	int sch = atomic_load(&h.schedules);
	int uns = atomic_load(&h.unscheduled) + (scheduled ? 1 : 0);
	GTS_EQ(sch, uns);
	gri_mbox_fini(&h.q);
}

static void
test_mbox_single_producer(void)
{
	mbox_hammer(1, 200000);
}

static void
test_mbox_four_producers(void)
{
	mbox_hammer(4, 100000);
}

static void
test_mbox_eight_producers(void)
{
	mbox_hammer(8, 20000);
}

static void
test_mbox_empty_flag(void)
{
	gri_mbox q;
	GTS_ASSERT(gri_mbox_init(&q));
	/* A new mailbox is empty and unscheduled: the first push reports
	 * it; the second does not. */
	gri_msg *a = gri_msg_alloc(sizeof(gri_msg), 1);
	gri_msg *b = gri_msg_alloc(sizeof(gri_msg), 2);
	GTS_ASSERT(gri_mbox_push_mpsc(&q, a));
	GTS_ASSERT(!gri_mbox_push_mpsc(&q, b));
	GTS_ASSERT(gri_mbox_pop_sc(&q) == a);
	/* Not empty yet: markempty must refuse. */
	GTS_ASSERT(!gri_mbox_markempty_sc(&q));
	GTS_ASSERT(gri_mbox_pop_sc(&q) == b);
	GTS_ASSERT(gri_mbox_pop_sc(&q) == NULL);
	GTS_ASSERT(gri_mbox_markempty_sc(&q));
	gri_msg *c = gri_msg_alloc(sizeof(gri_msg), 3);
	GTS_ASSERT(gri_mbox_push_mpsc(&q, c));
	GTS_ASSERT(gri_mbox_pop_sc(&q) == c);
	GTS_ASSERT(gri_mbox_pop_sc(&q) == NULL);
	gri_mbox_fini(&q);
}

gts_test TEST_LIST[] = {
    {"mbox empty flag", test_mbox_empty_flag},
    {"mbox 1 producer", test_mbox_single_producer},
    {"mbox 4 producers", test_mbox_four_producers},
    {"mbox 8 producers", test_mbox_eight_producers},
    {NULL, NULL},
};
