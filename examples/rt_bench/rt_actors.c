/*
 * rt_actors.c: the runtime side of rt_bench: mailbox throughput, ping-pong,
 * a token ring, and wake-up latency, all with actors on a gri_sched.
 *
 * Messages come from gri_msg_alloc and are freed by the mailbox, as in real
 * use, so every number includes the pool allocator. Each benchmark gets a
 * fresh worker pool and frees it before the next one starts, so no idle
 * worker spins beside a baseline.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "examples/rt_bench/bench.h"
#include "src/actor.h"
#include "src/sched.h"

#define MAX_PRODUCERS 16

static gri_sched *
rt_sched(const bench_cfg *c, int64_t spin_ns)
{
	gri_sched     *s;
	gri_sched_opts o = {.nthreads = c->threads, .spin_ns = spin_ns};

	if (gri_sched_alloc(&s, &o) != GORUMS_OK) {
		bench_die("gri_sched_alloc failed");
	}
	return (s);
}

static gri_actor *
rt_spawn(gri_sched *s, const gri_actor_ops *ops, size_t size)
{
	gri_actor *a;

	if (gri_actor_spawn(s, ops, size, &a) != GORUMS_OK) {
		bench_die("gri_actor_spawn failed");
	}
	return (a);
}

static gri_msg *
rt_msg(size_t size)
{
	gri_msg *m = gri_msg_alloc(size, 1);

	if (m == NULL) {
		bench_die("gri_msg_alloc failed");
	}
	return (m);
}

/* ---- mailbox throughput: P producer threads into one actor ---------- */

typedef struct tp_msg {
	gri_msg  hdr;
	uint32_t producer;
	uint32_t seq;
} tp_msg;

typedef struct sink_actor {
	gri_actor base;
	/* Set before the first send, then read-only. */
	long       want;
	gts_latch *done;
	/* Owner only until done counts down (the latch orders the reads). */
	long     got;
	uint32_t next[MAX_PRODUCERS];
	bool     fifo_ok;
	uint64_t t_end;
} sink_actor;

static void
sink_dispatch(gri_actor *self, gri_msg *m)
{
	sink_actor *k = (sink_actor *) self;
	tp_msg     *t = (tp_msg *) m;

	/* Checking FIFO per sender costs little and keeps the benchmark
	 * honest: a mailbox that lost or reordered would fail here. */
	if (t->seq != k->next[t->producer]) {
		k->fifo_ok = false;
	}
	k->next[t->producer] = t->seq + 1;
	if (++k->got == k->want) {
		k->t_end = gts_now_ns();
		gts_latch_count_down(k->done);
	}
}

static const gri_actor_ops sink_ops = {
    .name     = "bench_sink",
    .dispatch = sink_dispatch,
};

typedef struct tp_producer {
	gri_actor         *target;
	pthread_barrier_t *start;
	uint32_t           id;
	long               n;
	uint64_t           t_first; /* read after join */
} tp_producer;

static void *
tp_producer_main(void *arg)
{
	tp_producer *p = arg;

	pthread_barrier_wait(p->start);
	p->t_first = gts_now_ns();
	for (long i = 0; i < p->n; i++) {
		tp_msg *t   = (tp_msg *) rt_msg(sizeof(*t));
		t->producer = p->id;
		t->seq      = (uint32_t) i;
		gri_actor_send(p->target, &t->hdr);
	}
	return (NULL);
}

bench_rate
rt_mbox_throughput(const bench_cfg *c, int producers)
{
	gri_sched        *s;
	sink_actor       *k;
	gts_latch         done;
	pthread_barrier_t start;
	pthread_t         tids[MAX_PRODUCERS];
	tp_producer       prod[MAX_PRODUCERS];
	long              per = c->mbox_msgs / producers;
	uint64_t          t0  = UINT64_MAX;
	bench_rate        r   = {0};

	if (producers > MAX_PRODUCERS) {
		bench_die("too many producers");
	}
	s = rt_sched(c, -1);
	k = (sink_actor *) rt_spawn(s, &sink_ops, sizeof(sink_actor));
	gts_latch_init(&done, 1);
	k->want    = per * producers;
	k->done    = &done;
	k->fifo_ok = true;
	pthread_barrier_init(&start, NULL, (unsigned) producers);

	long csw0 = bk_csw();
	for (int i = 0; i < producers; i++) {
		prod[i] = (tp_producer) {.target = &k->base,
		                         .start  = &start,
		                         .id     = (uint32_t) i,
		                         .n      = per};
		if (pthread_create(&tids[i], NULL, tp_producer_main,
		                   &prod[i]) != 0) {
			bench_die("pthread_create failed");
		}
	}
	for (int i = 0; i < producers; i++) {
		pthread_join(tids[i], NULL);
		if (prod[i].t_first < t0) {
			t0 = prod[i].t_first;
		}
	}
	bench_latch_wait(&done, "mailbox throughput");
	if (!k->fifo_ok) {
		bench_die("mailbox throughput: FIFO per sender violated");
	}
	r.ops_per_s  = (double) k->want * 1e9 / (double) (k->t_end - t0);
	r.csw_per_op = (double) (bk_csw() - csw0) / (double) k->want;
	gri_actor_unref(&k->base);
	gri_sched_free(s);
	pthread_barrier_destroy(&start);
	gts_latch_fini(&done);
	return (r);
}

/* ---- ping-pong between two actors ------------------------------------ */

typedef struct pp_actor {
	gri_actor base;
	/* Set before the first send, then read-only. */
	struct pp_actor *peer;
	bool             pinger;
	gts_latch       *done;
	/* Owner only until done counts down. */
	long     left;
	uint64_t t_end;
} pp_actor;

static void
pp_dispatch(gri_actor *self, gri_msg *m)
{
	pp_actor *p = (pp_actor *) self;

	(void) m;
	if (p->pinger && --p->left == 0) {
		p->t_end = gts_now_ns();
		gts_latch_count_down(p->done);
		return;
	}
	gri_actor_send(&p->peer->base, rt_msg(sizeof(gri_msg)));
}

static const gri_actor_ops pp_ops = {
    .name     = "bench_pingpong",
    .dispatch = pp_dispatch,
};

bench_rate
rt_pingpong(const bench_cfg *c)
{
	gri_sched *s = rt_sched(c, -1);
	gts_latch  done;
	pp_actor  *a = (pp_actor *) rt_spawn(s, &pp_ops, sizeof(pp_actor));
	pp_actor  *b = (pp_actor *) rt_spawn(s, &pp_ops, sizeof(pp_actor));
	bench_rate r = {0};

	gts_latch_init(&done, 1);
	a->peer   = b;
	a->pinger = true;
	a->left   = c->pp_actor;
	a->done   = &done;
	b->peer   = a;
	b->done   = &done;

	long     csw0 = bk_csw();
	uint64_t t0   = gts_now_ns();
	/* The serve: b answers it, and a counts the answers. */
	gri_actor_send(&b->base, rt_msg(sizeof(gri_msg)));
	bench_latch_wait(&done, "actor ping-pong");
	r.ops_per_s  = (double) c->pp_actor * 1e9 / (double) (a->t_end - t0);
	r.csw_per_op = (double) (bk_csw() - csw0) / (double) c->pp_actor;
	gri_actor_unref(&a->base);
	gri_actor_unref(&b->base);
	gri_sched_free(s);
	gts_latch_fini(&done);
	return (r);
}

/* ---- a ring of actors passing tokens ---------------------------------- */

typedef struct ring_actor {
	gri_actor base;
	/* Set before the first send, then read-only. */
	struct ring_actor *next;
	atomic_int        *tokens_left;
	uint64_t          *t_end;
	gts_latch         *done;
	/* Owner only. */
	long hops;
} ring_actor;

typedef struct token_msg {
	gri_msg hdr;
	long    left; /* hops still to make after this one */
} token_msg;

static void
ring_dispatch(gri_actor *self, gri_msg *m)
{
	ring_actor *r = (ring_actor *) self;
	token_msg  *t = (token_msg *) m;

	r->hops++;
	if (t->left == 0) {
		/* acq_rel: the last token's stamp is taken after every other
		 * token has finished. */
		if (atomic_fetch_sub_explicit(r->tokens_left, 1,
		                              memory_order_acq_rel) == 1) {
			*r->t_end = gts_now_ns();
			gts_latch_count_down(r->done);
		}
		return;
	}
	token_msg *n = (token_msg *) rt_msg(sizeof(*n));
	n->left      = t->left - 1;
	gri_actor_send(&r->next->base, &n->hdr);
}

static const gri_actor_ops ring_ops = {
    .name     = "bench_ring",
    .dispatch = ring_dispatch,
};

bench_rate
rt_ring(const bench_cfg *c, int tokens)
{
	gri_sched   *s = rt_sched(c, -1);
	gts_latch    done;
	int          n = c->ring_actors;
	ring_actor **ring;
	atomic_int   tokens_left;
	uint64_t     t_end = 0;
	long         per   = c->ring_hops / tokens;
	bench_rate   r     = {0};

	if ((ring = calloc((size_t) n, sizeof(*ring))) == NULL) {
		bench_die("out of memory");
	}
	gts_latch_init(&done, 1);
	atomic_init(&tokens_left, tokens);
	for (int i = 0; i < n; i++) {
		ring[i] =
		    (ring_actor *) rt_spawn(s, &ring_ops, sizeof(ring_actor));
		ring[i]->tokens_left = &tokens_left;
		ring[i]->t_end       = &t_end;
		ring[i]->done        = &done;
	}
	for (int i = 0; i < n; i++) {
		ring[i]->next = ring[(i + 1) % n];
	}

	long     csw0 = bk_csw();
	uint64_t t0   = gts_now_ns();
	for (int i = 0; i < tokens; i++) {
		token_msg *t = (token_msg *) rt_msg(sizeof(*t));
		t->left      = per - 1;
		gri_actor_send(&ring[(long) i * n / tokens]->base, &t->hdr);
	}
	bench_latch_wait(&done, "actor ring");
	r.ops_per_s  = (double) per * tokens * 1e9 / (double) (t_end - t0);
	r.csw_per_op = (double) (bk_csw() - csw0) / (double) (per * tokens);
	/* Each actor's count is final: it did its last hop before the last
	 * token finished. */
	long total = 0;
	for (int i = 0; i < n; i++) {
		total += ring[i]->hops;
	}
	if (total != per * tokens) {
		bench_die("actor ring: hops lost");
	}
	for (int i = 0; i < n; i++) {
		gri_actor_unref(&ring[i]->base);
	}
	gri_sched_free(s);
	gts_latch_fini(&done);
	free(ring);
	return (r);
}

/* ---- wake-up latency: a foreign thread sends to an idle actor --------- */

typedef struct lat_msg {
	gri_msg  hdr;
	uint64_t t_send;
	int      idx;
} lat_msg;

typedef struct lat_actor {
	gri_actor base;
	/* Set before the first send. */
	uint64_t *samples;
	/* Written by the actor; the release store publishes samples[idx]. */
	atomic_int ran;
} lat_actor;

static void
lat_dispatch(gri_actor *self, gri_msg *m)
{
	lat_actor *l = (lat_actor *) self;
	lat_msg   *t = (lat_msg *) m;

	l->samples[t->idx] = gts_now_ns() - t->t_send;
	atomic_store_explicit(&l->ran, t->idx + 1, memory_order_release);
}

static const gri_actor_ops lat_ops = {
    .name     = "bench_wakeup",
    .dispatch = lat_dispatch,
};

/* Discarded first samples: they warm the pools and the caches. */
#define LAT_WARMUP 16

bench_lat
rt_wakeup(const bench_cfg *c, int64_t spin_ns)
{
	gri_sched      *s     = rt_sched(c, spin_ns);
	int             total = c->lat_samples + LAT_WARMUP;
	uint64_t       *samples;
	lat_actor      *l;
	bench_lat       out;
	struct timespec gap  = {0, (long) c->lat_gap_ns};
	struct timespec poll = {0, 10000};

	if ((samples = calloc((size_t) total, sizeof(*samples))) == NULL) {
		bench_die("out of memory");
	}
	l          = (lat_actor *) rt_spawn(s, &lat_ops, sizeof(lat_actor));
	l->samples = samples;
	atomic_init(&l->ran, 0);

	long csw0      = bk_csw();
	long csw0_self = bk_csw_thread();
	for (int i = 0; i < total; i++) {
		uint64_t deadline;

		/* The gap makes the actor idle and lets the workers run out
		 * of (or not) their spinning time before the next send. */
		clock_nanosleep(CLOCK_MONOTONIC, 0, &gap, NULL);
		lat_msg *t = (lat_msg *) rt_msg(sizeof(*t));
		t->idx     = i;
		t->t_send  = gts_now_ns();
		gri_actor_send(&l->base, &t->hdr);
		/* Wait for this one to run, so each sample is one wake-up and
		 * never a queue. */
		deadline =
		    gts_now_ns() + (uint64_t) BENCH_TIMEOUT_MS * 1000000u;
		while (atomic_load_explicit(&l->ran, memory_order_acquire) <=
		       i) {
			if (gts_now_ns() > deadline) {
				bench_die("wake-up latency: actor never ran");
			}
			clock_nanosleep(CLOCK_MONOTONIC, 0, &poll, NULL);
		}
	}
	/* The sender's own switches (its sleeps) are not the runtime's. */
	long csw = (bk_csw() - csw0) - (bk_csw_thread() - csw0_self);
	bench_lat_summarize(samples + LAT_WARMUP, c->lat_samples, &out);
	out.csw_per_op = (double) csw / (double) total;
	gri_actor_unref(&l->base);
	gri_sched_free(s);
	free(samples);
	return (out);
}
