/*
 * actor_test: actors on the worker pool, end to end: delivery and FIFO from
 * many producers, a token ring, stopping with messages in flight, stopping
 * the pool with work pending, fairness, and spawn/free churn. Every test
 * waits on conditions with deadlines; leaks show under --config=asan.
 */
#include <ck_pr.h>
#include <stdatomic.h>
#include <string.h>

#include "src/actor.h"
#include "src/sched.h"
#include "tests/harness/harness.h"

#define WAIT_MS 20000

/* ---- M producers x K messages into one actor ------------------------ */

#define MAX_PRODUCERS 8

typedef struct seq_msg {
	gri_msg hdr;
	int     producer;
	int     seq;
} seq_msg;

typedef struct counter_actor {
	gri_actor  base;
	int        next[MAX_PRODUCERS]; /* owner only */
	long       got;                 /* owner only */
	long       want;
	bool       ok;
	bool       yield_each; /* end the run after every message */
	gts_latch *done;
} counter_actor;

static void
counter_dispatch(gri_actor *self, gri_msg *m)
{
	counter_actor *c  = (counter_actor *) self;
	seq_msg       *sm = (seq_msg *) m;

	if (sm->seq != c->next[sm->producer]) {
		c->ok = false;
	}
	c->next[sm->producer] = sm->seq + 1;
	if (c->yield_each) {
		gri_actor_yield(self);
	}
	if (++c->got == c->want) {
		gts_latch_count_down(c->done);
	}
}

static const gri_actor_ops counter_ops = {
    .name     = "counter",
    .dispatch = counter_dispatch,
};

typedef struct prod_arg {
	gri_actor *target;
	int        id;
	int        k;
} prod_arg;

static void *
prod_main(void *arg)
{
	prod_arg *pa = arg;

	for (int i = 0; i < pa->k; i++) {
		seq_msg *m = (seq_msg *) gri_msg_alloc(sizeof(*m), 1);
		GTS_ASSERT(m != NULL);
		m->producer = pa->id;
		m->seq      = i;
		gri_actor_send(pa->target, &m->hdr);
	}
	return (NULL);
}

static void
producers_into_one(int m, int k, int64_t spin_ns, bool yield_each)
{
	gri_sched     *s;
	gri_actor     *a;
	gts_latch      done;
	pthread_t      tids[MAX_PRODUCERS];
	prod_arg       args[MAX_PRODUCERS];
	gri_sched_opts o = {.nthreads = 2, .spin_ns = spin_ns};

	GTS_PASS(gri_sched_alloc(&s, &o));
	GTS_PASS(gri_actor_spawn(s, &counter_ops, sizeof(counter_actor), &a));
	counter_actor *c = (counter_actor *) a;
	c->want          = (long) m * k;
	c->ok            = true;
	c->yield_each    = yield_each;
	c->done          = &done;
	gts_latch_init(&done, 1);
	for (int i = 0; i < m; i++) {
		args[i] = (prod_arg) {.target = a, .id = i, .k = k};
		GTS_EQ(pthread_create(&tids[i], NULL, prod_main, &args[i]), 0);
	}
	for (int i = 0; i < m; i++) {
		pthread_join(tids[i], NULL);
	}
	GTS_ASSERT(gts_latch_wait(&done, WAIT_MS));
	/* The latch orders the actor's writes before our reads. */
	GTS_ASSERT(c->ok);
	GTS_EQ(c->got, (long) m * k);
	for (int i = 0; i < m; i++) {
		GTS_EQ(c->next[i], k);
	}
	gri_actor_unref(a);
	gri_sched_free(s);
	gts_latch_fini(&done);
}

static void
test_actor_producers_spin(void)
{
	producers_into_one(4, 50000, -1, false);
}

static void
test_actor_producers_nospin(void)
{
	/* Without spinning every hand-off goes through park/wake. */
	producers_into_one(8, 10000, 0, false);
}

static void
test_actor_producers_yield(void)
{
	/* A run ended after every message (gri_actor_yield) loses none and
	 * keeps each producer's order, also when the mailbox is then empty. */
	producers_into_one(4, 20000, -1, true);
}

/* ---- a ring of 1000 actors passing tokens ---------------------------- */

#define RING_N 1000

typedef struct ring_actor {
	gri_actor          base;
	struct ring_actor *next; /* set before any message is sent */
	long               hops; /* owner only */
	gts_latch         *done;
} ring_actor;

typedef struct token_msg {
	gri_msg hdr;
	long    left; /* hops still to make */
} token_msg;

static void
ring_dispatch(gri_actor *self, gri_msg *m)
{
	ring_actor *r = (ring_actor *) self;
	token_msg  *t = (token_msg *) m;

	r->hops++;
	if (t->left == 0) {
		gts_latch_count_down(r->done);
		return;
	}
	token_msg *n = (token_msg *) gri_msg_alloc(sizeof(*n), 1);
	GTS_ASSERT(n != NULL);
	n->left = t->left - 1;
	gri_actor_send(&r->next->base, &n->hdr);
}

static const gri_actor_ops ring_ops = {
    .name     = "ring",
    .dispatch = ring_dispatch,
};

static void
test_actor_ring(void)
{
	gri_sched  *s;
	ring_actor *ring[RING_N];
	gts_latch   done;
	const int   tokens = 10;
	const long  laps   = 20; /* each token goes round 20 times */

	GTS_PASS(gri_sched_alloc(&s, NULL));
	gts_latch_init(&done, tokens);
	for (int i = 0; i < RING_N; i++) {
		GTS_PASS(gri_actor_spawn(s, &ring_ops, sizeof(ring_actor),
		                         (gri_actor **) &ring[i]));
		ring[i]->done = &done;
	}
	for (int i = 0; i < RING_N; i++) {
		ring[i]->next = ring[(i + 1) % RING_N];
	}
	for (int t = 0; t < tokens; t++) {
		token_msg *m = (token_msg *) gri_msg_alloc(sizeof(*m), 1);
		m->left      = laps * RING_N - 1;
		gri_actor_send(&ring[t * (RING_N / tokens)]->base, &m->hdr);
	}
	GTS_ASSERT(gts_latch_wait(&done, WAIT_MS));
	long total = 0;
	for (int i = 0; i < RING_N; i++) {
		total += ring[i]->hops;
	}
	GTS_EQ(total, tokens * laps * RING_N);
	for (int i = 0; i < RING_N; i++) {
		gri_actor_unref(&ring[i]->base);
	}
	gri_sched_free(s);
	gts_latch_fini(&done);
}

/* ---- stopping an actor with messages in flight ----------------------- */

typedef struct owned_msg {
	gri_msg     hdr;
	char       *buf;     /* owned: freed by dispatch or by drop */
	atomic_int *dropped; /* counts drops */
} owned_msg;

static void
owned_drop(gri_msg *m)
{
	owned_msg *om = (owned_msg *) m;

	free(om->buf);
	atomic_fetch_add(om->dropped, 1);
}

typedef struct sink_actor {
	gri_actor   base;
	atomic_int *delivered;
	atomic_int *stops;
	atomic_int *finis;
} sink_actor;

static void
sink_dispatch(gri_actor *self, gri_msg *m)
{
	sink_actor *k  = (sink_actor *) self;
	owned_msg  *om = (owned_msg *) m;

	free(om->buf);
	atomic_fetch_add(k->delivered, 1);
}

static void
sink_stop(gri_actor *self)
{
	atomic_fetch_add(((sink_actor *) self)->stops, 1);
}

static void
sink_fini(gri_actor *self)
{
	atomic_fetch_add(((sink_actor *) self)->finis, 1);
}

static const gri_actor_ops sink_ops = {
    .name     = "sink",
    .dispatch = sink_dispatch,
    .stop     = sink_stop,
    .fini     = sink_fini,
};

typedef struct stop_arg {
	gri_actor  *target;
	atomic_int *dropped;
	int         n;
} stop_arg;

static void *
owned_sender(void *arg)
{
	stop_arg *sa = arg;

	for (int i = 0; i < sa->n; i++) {
		owned_msg *m = (owned_msg *) gri_msg_alloc(sizeof(*m), 1);
		m->buf       = malloc(32);
		m->dropped   = sa->dropped;
		m->hdr.drop  = owned_drop;
		gri_actor_send(sa->target, &m->hdr);
	}
	return (NULL);
}

static void
test_actor_stop_in_flight(void)
{
	gri_sched *s;
	gri_actor *a;
	atomic_int delivered = 0, dropped = 0, stops = 0, finis = 0;
	pthread_t  t[2];
	const int  n = 20000;

	GTS_PASS(gri_sched_alloc(&s, NULL));
	GTS_PASS(gri_actor_spawn(s, &sink_ops, sizeof(sink_actor), &a));
	sink_actor *k = (sink_actor *) a;
	k->delivered  = &delivered;
	k->stops      = &stops;
	k->finis      = &finis;
	stop_arg sa   = {.target = a, .dropped = &dropped, .n = n};
	for (int i = 0; i < 2; i++) {
		GTS_EQ(pthread_create(&t[i], NULL, owned_sender, &sa), 0);
	}
	/* Stop while the senders are mid-way; stop again (idempotent). */
	GTS_PASS(gri_actor_stop(a));
	GTS_PASS(gri_actor_stop(a));
	for (int i = 0; i < 2; i++) {
		pthread_join(t[i], NULL);
	}
	/* Our reference goes; the actor is freed once its queue is done,
	 * and every message was either delivered or dropped. */
	gri_actor_unref(a);
	uint64_t deadline = gts_now_ns() + (uint64_t) WAIT_MS * 1000000u;
	while (atomic_load(&finis) == 0 && gts_now_ns() < deadline) {
		sched_yield();
	}
	GTS_EQ(atomic_load(&finis), 1);
	GTS_EQ(atomic_load(&stops), 1);
	GTS_EQ(atomic_load(&delivered) + atomic_load(&dropped), 2 * n);
	gri_sched_free(s);
}

/* ---- stopping the pool with work pending ----------------------------- */

static void
test_actor_sched_stop_pending(void)
{
	gri_sched     *s;
	atomic_int     delivered = 0, dropped = 0, stops = 0, finis = 0;
	const int      nactors = 50, nmsgs = 200;
	gri_sched_opts o = {.nthreads = 1};

	GTS_PASS(gri_sched_alloc(&s, &o));
	for (int i = 0; i < nactors; i++) {
		gri_actor *a;
		GTS_PASS(
		    gri_actor_spawn(s, &sink_ops, sizeof(sink_actor), &a));
		sink_actor *k = (sink_actor *) a;
		k->delivered  = &delivered;
		k->stops      = &stops;
		k->finis      = &finis;
		stop_arg sa   = {.target = a, .dropped = &dropped, .n = nmsgs};
		owned_sender(&sa);
		/* The pool now holds the only reference. */
		gri_actor_unref(a);
	}
	/* Stop with most of that still queued: whatever did not run is
	 * dropped and every actor freed, with nothing leaked. */
	GTS_PASS(gri_sched_stop(s));
	GTS_EQ(atomic_load(&finis), nactors);
	GTS_EQ(atomic_load(&delivered) + atomic_load(&dropped),
	       nactors * nmsgs);
	/* Sending to a live actor after stop drops, never hangs. */
	gri_actor *late;
	GTS_PASS(gri_actor_spawn(s, &sink_ops, sizeof(sink_actor), &late));
	sink_actor *k = (sink_actor *) late;
	k->delivered  = &delivered;
	k->stops      = &stops;
	k->finis      = &finis;
	stop_arg sa   = {.target = late, .dropped = &dropped, .n = 3};
	owned_sender(&sa);
	gri_actor_unref(late);
	GTS_EQ(atomic_load(&finis), nactors + 1);
	GTS_EQ(atomic_load(&delivered) + atomic_load(&dropped),
	       nactors * nmsgs + 3);
	GTS_PASS(gri_sched_stop(s)); /* idempotent */
	gri_sched_free(s);
}

/* ---- fairness: a self-feeding actor does not starve another ---------- */

typedef struct busy_actor {
	gri_actor   base;
	atomic_bool quit;
	long        runs; /* owner only */
} busy_actor;

static void
busy_dispatch(gri_actor *self, gri_msg *m)
{
	busy_actor *b = (busy_actor *) self;

	(void) m;
	b->runs++;
	if (!atomic_load(&b->quit)) {
		/* Keeps its own mailbox non-empty forever. */
		gri_actor_send(self, gri_msg_alloc(sizeof(gri_msg), 1));
	}
}

static const gri_actor_ops busy_ops = {
    .name     = "busy",
    .dispatch = busy_dispatch,
};

typedef struct ping_actor {
	gri_actor  base;
	gts_latch *done;
} ping_actor;

static void
ping_dispatch(gri_actor *self, gri_msg *m)
{
	(void) m;
	gts_latch_count_down(((ping_actor *) self)->done);
}

static const gri_actor_ops ping_ops = {
    .name     = "ping",
    .dispatch = ping_dispatch,
};

static void
test_actor_fairness(void)
{
	gri_sched     *s;
	gri_actor     *busy[2], *p;
	gts_latch      done;
	gri_sched_opts o = {.nthreads = 1};

	/* One worker: the busy actors and the ping actor must share it. */
	GTS_PASS(gri_sched_alloc(&s, &o));
	for (int i = 0; i < 2; i++) {
		GTS_PASS(gri_actor_spawn(s, &busy_ops, sizeof(busy_actor),
		                         &busy[i]));
		gri_actor_send(busy[i], gri_msg_alloc(sizeof(gri_msg), 1));
	}
	GTS_PASS(gri_actor_spawn(s, &ping_ops, sizeof(ping_actor), &p));
	((ping_actor *) p)->done = &done;
	gts_latch_init(&done, 100);
	for (int i = 0; i < 100; i++) {
		gri_actor_send(p, gri_msg_alloc(sizeof(gri_msg), 1));
	}
	GTS_ASSERT(gts_latch_wait(&done, WAIT_MS));
	for (int i = 0; i < 2; i++) {
		atomic_store(&((busy_actor *) busy[i])->quit, true);
	}
	GTS_PASS(gri_sched_stop(s));
	for (int i = 0; i < 2; i++) {
		gri_actor_unref(busy[i]);
	}
	gri_actor_unref(p);
	gri_sched_free(s);
	gts_latch_fini(&done);
}

/* ---- many actors spawned and freed in a loop ------------------------- */

static void
test_actor_spawn_churn(void)
{
	gri_sched *s;
	atomic_int delivered = 0, dropped = 0, stops = 0, finis = 0;
	const int  rounds = 20000;

	GTS_PASS(gri_sched_alloc(&s, NULL));
	for (int i = 0; i < rounds; i++) {
		gri_actor *a;
		GTS_PASS(
		    gri_actor_spawn(s, &sink_ops, sizeof(sink_actor), &a));
		sink_actor *k = (sink_actor *) a;
		k->delivered  = &delivered;
		k->stops      = &stops;
		k->finis      = &finis;
		stop_arg sa   = {.target = a, .dropped = &dropped, .n = 2};
		owned_sender(&sa);
		if (i % 2 == 0) {
			GTS_PASS(gri_actor_stop(a));
		}
		gri_actor_unref(a);
	}
	uint64_t deadline = gts_now_ns() + (uint64_t) WAIT_MS * 1000000u;
	while (atomic_load(&finis) < rounds && gts_now_ns() < deadline) {
		sched_yield();
	}
	GTS_EQ(atomic_load(&finis), rounds);
	GTS_EQ(atomic_load(&stops), rounds);
	GTS_EQ(atomic_load(&delivered) + atomic_load(&dropped), 2 * rounds);
	gri_sched_free(s);
}

/* ---- stop from inside the pool is refused ---------------------------- */

typedef struct stopper_actor {
	gri_actor  base;
	gri_sched *sched;
	int        rv; /* written by the behaviour, read after the latch */
	gts_latch *done;
} stopper_actor;

static void
stopper_dispatch(gri_actor *self, gri_msg *m)
{
	stopper_actor *st = (stopper_actor *) self;

	(void) m;
	st->rv = gri_sched_stop(st->sched);
	gts_latch_count_down(st->done);
}

static const gri_actor_ops stopper_ops = {
    .name     = "stopper",
    .dispatch = stopper_dispatch,
};

static void
test_actor_stop_from_worker(void)
{
	gri_sched *s;
	gri_actor *a;
	gts_latch  done;

	GTS_PASS(gri_sched_alloc(&s, NULL));
	GTS_PASS(gri_actor_spawn(s, &stopper_ops, sizeof(stopper_actor), &a));
	((stopper_actor *) a)->sched = s;
	((stopper_actor *) a)->done  = &done;
	gts_latch_init(&done, 1);
	gri_actor_send(a, gri_msg_alloc(sizeof(gri_msg), 1));
	GTS_ASSERT(gts_latch_wait(&done, WAIT_MS));
	GTS_FAIL(((stopper_actor *) a)->rv, GORUMS_EBUSY);
	gri_actor_unref(a);
	gri_sched_free(s);
	gts_latch_fini(&done);
}

/* ---- a late release of the shared pool during its fini --------------- */

typedef struct releaser_actor {
	gri_actor  base;
	gts_latch *running;
	gts_latch *go;
} releaser_actor;

/* Counted outside the actor: its memory goes right after its fini. */
static atomic_int releaser_released;

static void
releaser_dispatch(gri_actor *self, gri_msg *m)
{
	releaser_actor *r = (releaser_actor *) self;

	(void) m;
	gts_latch_count_down(r->running);
	GTS_ASSERT(gts_latch_wait(r->go, WAIT_MS));
}

static void
releaser_fini(gri_actor *self)
{
	/* As a closed server's last connection does: give back the pool
	 * it held, from one of that pool's workers. */
	gri_sched_release(self->sched);
	atomic_fetch_add(&releaser_released, 1);
}

static const gri_actor_ops releaser_ops = {
    .name     = "releaser",
    .dispatch = releaser_dispatch,
    .fini     = releaser_fini,
};

static void *
fini_main(void *arg)
{
	(void) arg;
	gri_sched_fini_shared();
	return (NULL);
}

static void
test_actor_release_during_fini(void)
{
	gri_sched *s, *s2;
	gri_actor *a;
	gts_latch  running, go;
	pthread_t  t;

	GTS_PASS(gri_sched_hold(&s, NULL));
	GTS_ASSERT(gri_sched_shared(s));
	GTS_PASS(
	    gri_actor_spawn(s, &releaser_ops, sizeof(releaser_actor), &a));
	releaser_actor *r = (releaser_actor *) a;
	gts_latch_init(&running, 1);
	gts_latch_init(&go, 1);
	r->running = &running;
	r->go      = &go;
	gri_actor_send(a, gri_msg_alloc(sizeof(gri_msg), 1));
	GTS_ASSERT(gts_latch_wait(&running, WAIT_MS));
	/* The pool's fini starts; it waits for the busy worker. */
	GTS_EQ(pthread_create(&t, NULL, fini_main, NULL), 0);
	/* Once the process-wide pool is let go of, a new hold starts
	 * another: then the old one is no longer the global one. */
	uint64_t end = gts_now_ns() + (uint64_t) WAIT_MS * 1000000u;
	for (;;) {
		GTS_PASS(gri_sched_hold(&s2, NULL));
		if (s2 != s) {
			break;
		}
		GTS_ASSERT(gts_now_ns() < end);
		sched_yield();
	}
	/* The actor's last reference goes on the worker, after the global
	 * pointer moved on: releasing s there must not free it. */
	gri_actor_unref(a);
	gts_latch_count_down(&go);
	GTS_EQ(pthread_join(t, NULL), 0);
	GTS_EQ(atomic_load(&releaser_released), 1);
	gri_sched_fini_shared(); /* s2 */
	gts_latch_fini(&running);
	gts_latch_fini(&go);
}

gts_test TEST_LIST[] = {
    {"actor producers fifo (spin)", test_actor_producers_spin},
    {"actor producers fifo (no spin)", test_actor_producers_nospin},
    {"actor producers fifo (yield each)", test_actor_producers_yield},
    {"actor ring of 1000", test_actor_ring},
    {"actor stop in flight", test_actor_stop_in_flight},
    {"actor sched stop pending", test_actor_sched_stop_pending},
    {"actor fairness", test_actor_fairness},
    {"actor spawn churn", test_actor_spawn_churn},
    {"actor stop from worker", test_actor_stop_from_worker},
    {"actor release during fini", test_actor_release_during_fini},
    {NULL, NULL},
};
