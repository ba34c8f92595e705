/*
 * baseline.c: what the runtime is measured against, on plain threads.
 *
 * - mcv: the textbook mutex + condition variable unbounded queue
 *   (producers lock, push, unlock, signal; the consumer locks, waits while
 *   empty, pops one), ping-pong between two threads on one mutex and two
 *   condition variables, and a thread woken by a condition variable.
 * - ring: Concurrency Kit's ck_ring with threads that spin instead of
 *   sleeping (bounded; a producer retries while the ring is full).
 *   ck_ring's multi-producer enqueue commits in ticket order, spinning
 *   until the previous ticket is committed. With more producers than cores
 *   a preempted ticket holder stalls every later one for a time slice, and
 *   the rate collapses to thousands of messages a second (4 producers on
 *   2 cores, optimised or not; under ThreadSanitizer to hundreds). So that
 *   one run cannot take minutes, the MPSC run stops at cfg->cap_ns and
 *   reports what it delivered by then, marked as capped.
 * - spin: a thread spinning on an atomic, the floor for a wake-up.
 *
 * Every message is a gri_pool_alloc object that the sender allocates and
 * the receiver frees, as the runtime's are, so that the comparison is of
 * the queues and the scheduling, not of the allocators.
 */
#include <ck_pr.h>
#include <ck_ring.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "examples/rt_bench/bench.h"
#include "src/pool.h"

#define MAX_PRODUCERS  16
#define MPSC_RING_SIZE 4096 /* power of two; holds MPSC_RING_SIZE - 1 */
#define PP_RING_SIZE   16

typedef struct bl_msg {
	struct bl_msg *next; /* mcv queue link */
	uint32_t       producer;
	uint32_t       seq;
	uint64_t       pad; /* 32 bytes, like the runtime's message */
} bl_msg;

static bl_msg *
bl_msg_alloc(void)
{
	bl_msg *m = gri_pool_alloc(sizeof(*m));

	if (m == NULL) {
		bench_die("gri_pool_alloc failed");
	}
	return (m);
}

static void
bl_msg_free(bl_msg *m)
{
	gri_pool_free(m, sizeof(*m));
}

/* ---- throughput: P producers into one consumer ------------------------ */

typedef struct tp_ctx tp_ctx;

typedef struct tp_producer {
	tp_ctx  *ctx;
	uint32_t id;
	long     n;
	uint64_t t_first; /* read after join */
} tp_producer;

struct tp_ctx {
	pthread_barrier_t start;
	long              want;
	/* The consumer's; read after it is joined. */
	uint32_t next[MAX_PRODUCERS];
	bool     fifo_ok;
	uint64_t t_end;
	long     got;

	/* mcv: the list under mtx. */
	pthread_mutex_t mtx;
	pthread_cond_t  cv;
	bl_msg         *head;
	bl_msg         *tail;

	/* ring: MPSC. stop is set by the consumer at the time cap (relaxed:
	 * it carries no data); producers_left counts the producers still
	 * sending (release on exit, so that the consumer that reads 0 sees
	 * their last enqueue). */
	ck_ring_t         ring;
	ck_ring_buffer_t *ring_buf;
	uint64_t          cap_ns;
	uint64_t          t_start; /* before the producers start */
	atomic_bool       stop;
	atomic_int        producers_left;
	bool              capped;
};

static void
tp_consume(tp_ctx *x, bl_msg *m)
{
	if (m->seq != x->next[m->producer]) {
		x->fifo_ok = false;
	}
	x->next[m->producer] = m->seq + 1;
	bl_msg_free(m);
}

static void *
mcv_producer_main(void *arg)
{
	tp_producer *p = arg;
	tp_ctx      *x = p->ctx;

	pthread_barrier_wait(&x->start);
	p->t_first = gts_now_ns();
	for (long i = 0; i < p->n; i++) {
		bl_msg *m   = bl_msg_alloc();
		m->next     = NULL;
		m->producer = p->id;
		m->seq      = (uint32_t) i;
		pthread_mutex_lock(&x->mtx);
		if (x->tail != NULL) {
			x->tail->next = m;
		} else {
			x->head = m;
		}
		x->tail = m;
		pthread_mutex_unlock(&x->mtx);
		pthread_cond_signal(&x->cv);
	}
	return (NULL);
}

static void *
mcv_consumer_main(void *arg)
{
	tp_ctx *x = arg;

	for (long got = 0; got < x->want; got++) {
		bl_msg *m;

		pthread_mutex_lock(&x->mtx);
		while ((m = x->head) == NULL) {
			pthread_cond_wait(&x->cv, &x->mtx);
		}
		if ((x->head = m->next) == NULL) {
			x->tail = NULL;
		}
		pthread_mutex_unlock(&x->mtx);
		tp_consume(x, m);
	}
	x->t_end = gts_now_ns();
	x->got   = x->want;
	return (NULL);
}

static void *
ring_producer_main(void *arg)
{
	tp_producer *p = arg;
	tp_ctx      *x = p->ctx;

	pthread_barrier_wait(&x->start);
	p->t_first = gts_now_ns();
	for (long i = 0; i < p->n; i++) {
		if (atomic_load_explicit(&x->stop, memory_order_relaxed)) {
			break;
		}
		bl_msg  *m     = bl_msg_alloc();
		unsigned spins = 0;
		m->producer    = p->id;
		m->seq         = (uint32_t) i;
		while (!ck_ring_enqueue_mpsc(&x->ring, x->ring_buf, m)) {
			bench_pause(&spins);
		}
	}
	atomic_fetch_sub_explicit(&x->producers_left, 1, memory_order_release);
	return (NULL);
}

static void *
ring_consumer_main(void *arg)
{
	tp_ctx  *x       = arg;
	unsigned spins   = 0;
	unsigned polls   = 0;
	long     got     = 0;
	bool     stopped = false;

	while (got < x->want) {
		bl_msg *m;

		if ((++polls & 4095) == 0 && !stopped &&
		    gts_now_ns() - x->t_start > x->cap_ns) {
			atomic_store_explicit(&x->stop, true,
			                      memory_order_relaxed);
			stopped = true;
		}
		if (ck_ring_dequeue_mpsc(&x->ring, x->ring_buf, &m)) {
			tp_consume(x, m);
			got++;
		} else if (stopped &&
		           atomic_load_explicit(&x->producers_left,
		                                memory_order_acquire) == 0) {
			/* Every producer has quit: re-check once, since a
			 * last enqueue may have landed after our miss. */
			if (!ck_ring_dequeue_mpsc(&x->ring, x->ring_buf, &m)) {
				break;
			}
			tp_consume(x, m);
			got++;
		} else {
			bench_pause(&spins);
		}
	}
	x->t_end  = gts_now_ns();
	x->got    = got;
	x->capped = got < x->want;
	return (NULL);
}

static bench_rate
tp_run(const bench_cfg *c, int producers, void *(*producer_main)(void *),
       void *(*consumer_main)(void *) )
{
	tp_ctx     *x;
	pthread_t   ctid;
	pthread_t   tids[MAX_PRODUCERS];
	tp_producer prod[MAX_PRODUCERS];
	long        per = c->mbox_msgs / producers;
	uint64_t    t0  = UINT64_MAX;
	bench_rate  r   = {0};

	if (producers > MAX_PRODUCERS) {
		bench_die("too many producers");
	}
	if ((x = calloc(1, sizeof(*x))) == NULL ||
	    (x->ring_buf = calloc(MPSC_RING_SIZE, sizeof(ck_ring_buffer_t))) ==
	        NULL) {
		bench_die("out of memory");
	}
	x->want    = per * producers;
	x->fifo_ok = true;
	x->cap_ns  = c->cap_ns;
	atomic_init(&x->stop, false);
	atomic_init(&x->producers_left, producers);
	pthread_barrier_init(&x->start, NULL, (unsigned) producers);
	pthread_mutex_init(&x->mtx, NULL);
	pthread_cond_init(&x->cv, NULL);
	ck_ring_init(&x->ring, MPSC_RING_SIZE);

	long csw0  = bk_csw();
	x->t_start = gts_now_ns();
	if (pthread_create(&ctid, NULL, consumer_main, x) != 0) {
		bench_die("pthread_create failed");
	}
	for (int i = 0; i < producers; i++) {
		prod[i] =
		    (tp_producer) {.ctx = x, .id = (uint32_t) i, .n = per};
		if (pthread_create(&tids[i], NULL, producer_main, &prod[i]) !=
		    0) {
			bench_die("pthread_create failed");
		}
	}
	for (int i = 0; i < producers; i++) {
		pthread_join(tids[i], NULL);
		if (prod[i].t_first < t0) {
			t0 = prod[i].t_first;
		}
	}
	pthread_join(ctid, NULL);
	if (!x->fifo_ok) {
		bench_die("baseline throughput: FIFO per sender violated");
	}
	if (x->got == 0) {
		bench_die("baseline throughput: nothing delivered");
	}
	r.ops_per_s  = (double) x->got * 1e9 / (double) (x->t_end - t0);
	r.csw_per_op = (double) (bk_csw() - csw0) / (double) x->got;
	r.capped     = x->capped;
	pthread_cond_destroy(&x->cv);
	pthread_mutex_destroy(&x->mtx);
	pthread_barrier_destroy(&x->start);
	free(x->ring_buf);
	free(x);
	return (r);
}

bench_rate
mcv_queue_throughput(const bench_cfg *c, int producers)
{
	return (tp_run(c, producers, mcv_producer_main, mcv_consumer_main));
}

bench_rate
ring_mpsc_throughput(const bench_cfg *c, int producers)
{
	return (tp_run(c, producers, ring_producer_main, ring_consumer_main));
}

/* ---- ping-pong between two threads ------------------------------------ */

typedef struct pp_ctx {
	long     n;
	uint64_t t0;
	uint64_t t_end;

	/* mcv: the ball (a message) and whose turn it is, under mtx. */
	pthread_mutex_t mtx;
	pthread_cond_t  cv[2];
	int             turn;
	bl_msg         *ball;

	/* ring: one SPSC ring each way. */
	ck_ring_t        ring[2];
	ck_ring_buffer_t buf[2][PP_RING_SIZE];
} pp_ctx;

typedef struct pp_side {
	pp_ctx *ctx;
	int     me;
} pp_side;

static void *
mcv_pp_main(void *arg)
{
	pp_side *sd   = arg;
	pp_ctx  *x    = sd->ctx;
	int      me   = sd->me;
	int      peer = 1 - me;

	/* Side 0 serves and counts round trips; side 1 answers. */
	if (me == 0) {
		x->t0 = gts_now_ns();
	}
	for (long i = 0; i < x->n; i++) {
		pthread_mutex_lock(&x->mtx);
		if (me == 0) {
			x->ball = bl_msg_alloc();
			x->turn = peer;
			pthread_cond_signal(&x->cv[peer]);
		}
		while (x->turn != me) {
			pthread_cond_wait(&x->cv[me], &x->mtx);
		}
		bl_msg_free(x->ball);
		x->ball = NULL;
		if (me == 1) {
			x->ball = bl_msg_alloc();
			x->turn = peer;
			pthread_cond_signal(&x->cv[peer]);
		}
		pthread_mutex_unlock(&x->mtx);
	}
	if (me == 0) {
		x->t_end = gts_now_ns();
	}
	return (NULL);
}

static void *
ring_pp_main(void *arg)
{
	pp_side *sd    = arg;
	pp_ctx  *x     = sd->ctx;
	int      me    = sd->me;
	unsigned spins = 0;
	bl_msg  *m;

	if (me == 0) {
		x->t0 = gts_now_ns();
	}
	for (long i = 0; i < x->n; i++) {
		if (me == 0) {
			/* Cannot fail: at most one message in flight. */
			(void) ck_ring_enqueue_spsc(&x->ring[1], x->buf[1],
			                            bl_msg_alloc());
		}
		while (!ck_ring_dequeue_spsc(&x->ring[me], x->buf[me], &m)) {
			bench_pause(&spins);
		}
		bl_msg_free(m);
		if (me == 1) {
			(void) ck_ring_enqueue_spsc(&x->ring[0], x->buf[0],
			                            bl_msg_alloc());
		}
	}
	if (me == 0) {
		x->t_end = gts_now_ns();
	}
	return (NULL);
}

static bench_rate
pp_run(long n, void *(*side_main)(void *) )
{
	pp_ctx    *x;
	pthread_t  tids[2];
	pp_side    sides[2];
	bench_rate r = {0};

	if ((x = calloc(1, sizeof(*x))) == NULL) {
		bench_die("out of memory");
	}
	x->n    = n;
	x->turn = 0;
	pthread_mutex_init(&x->mtx, NULL);
	pthread_cond_init(&x->cv[0], NULL);
	pthread_cond_init(&x->cv[1], NULL);
	ck_ring_init(&x->ring[0], PP_RING_SIZE);
	ck_ring_init(&x->ring[1], PP_RING_SIZE);

	long csw0 = bk_csw();
	/* The answering side first, so the server does not wait for it. */
	for (int i = 1; i >= 0; i--) {
		sides[i] = (pp_side) {.ctx = x, .me = i};
		if (pthread_create(&tids[i], NULL, side_main, &sides[i]) !=
		    0) {
			bench_die("pthread_create failed");
		}
	}
	pthread_join(tids[0], NULL);
	pthread_join(tids[1], NULL);
	r.ops_per_s  = (double) n * 1e9 / (double) (x->t_end - x->t0);
	r.csw_per_op = (double) (bk_csw() - csw0) / (double) n;
	pthread_cond_destroy(&x->cv[1]);
	pthread_cond_destroy(&x->cv[0]);
	pthread_mutex_destroy(&x->mtx);
	free(x);
	return (r);
}

bench_rate
mcv_pingpong(const bench_cfg *c)
{
	return (pp_run(c->pp_mutex, mcv_pp_main));
}

bench_rate
ring_spsc_pingpong(const bench_cfg *c)
{
	return (pp_run(c->pp_spin, ring_pp_main));
}

/* ---- wake-up latency: a thread waiting for a signal ------------------- */

/* Discarded first samples, as in rt_actors.c. */
#define LAT_WARMUP 16

typedef struct wk_ctx {
	int       total;
	uint64_t *samples; /* the waiter's; read after join */

	/* mcv: the latest request, under mtx. */
	pthread_mutex_t mtx;
	pthread_cond_t  cv;
	int             posted; /* requests posted so far */
	uint64_t        t_send;

	/* spin: the request count and stamp; the release increment of
	 * spin_posted publishes spin_t_send. */
	atomic_int       spin_posted;
	_Atomic uint64_t spin_t_send;
	/* Both: requests served, for the sender's wait (release). */
	atomic_int ran;
} wk_ctx;

static void *
mcv_waiter_main(void *arg)
{
	wk_ctx *x = arg;

	pthread_mutex_lock(&x->mtx);
	for (int i = 0; i < x->total; i++) {
		while (x->posted <= i) {
			pthread_cond_wait(&x->cv, &x->mtx);
		}
		x->samples[i] = gts_now_ns() - x->t_send;
		atomic_store_explicit(&x->ran, i + 1, memory_order_release);
	}
	pthread_mutex_unlock(&x->mtx);
	return (NULL);
}

static void
mcv_post(wk_ctx *x, int i)
{
	uint64_t t = gts_now_ns();

	pthread_mutex_lock(&x->mtx);
	x->t_send = t;
	x->posted = i + 1;
	pthread_mutex_unlock(&x->mtx);
	pthread_cond_signal(&x->cv);
}

static void *
spin_waiter_main(void *arg)
{
	wk_ctx  *x     = arg;
	unsigned spins = 0;

	for (int i = 0; i < x->total; i++) {
		while (atomic_load_explicit(&x->spin_posted,
		                            memory_order_acquire) <= i) {
			bench_pause(&spins);
		}
		x->samples[i] = gts_now_ns() -
		    atomic_load_explicit(&x->spin_t_send,
		                         memory_order_relaxed);
		atomic_store_explicit(&x->ran, i + 1, memory_order_release);
	}
	return (NULL);
}

static void
spin_post(wk_ctx *x, int i)
{
	atomic_store_explicit(&x->spin_t_send, gts_now_ns(),
	                      memory_order_relaxed);
	atomic_store_explicit(&x->spin_posted, i + 1, memory_order_release);
}

static bench_lat
wk_run(const bench_cfg *c, void *(*waiter_main)(void *),
       void (*post)(wk_ctx *, int))
{
	wk_ctx         *x;
	pthread_t       tid;
	bench_lat       out;
	struct timespec gap  = {0, (long) c->lat_gap_ns};
	struct timespec poll = {0, 10000};

	if ((x = calloc(1, sizeof(*x))) == NULL) {
		bench_die("out of memory");
	}
	x->total = c->lat_samples + LAT_WARMUP;
	if ((x->samples = calloc((size_t) x->total, sizeof(uint64_t))) ==
	    NULL) {
		bench_die("out of memory");
	}
	pthread_mutex_init(&x->mtx, NULL);
	pthread_cond_init(&x->cv, NULL);
	atomic_init(&x->spin_posted, 0);
	atomic_init(&x->spin_t_send, 0);
	atomic_init(&x->ran, 0);

	long csw0      = bk_csw();
	long csw0_self = bk_csw_thread();
	if (pthread_create(&tid, NULL, waiter_main, x) != 0) {
		bench_die("pthread_create failed");
	}
	for (int i = 0; i < x->total; i++) {
		uint64_t deadline;

		clock_nanosleep(CLOCK_MONOTONIC, 0, &gap, NULL);
		post(x, i);
		deadline =
		    gts_now_ns() + (uint64_t) BENCH_TIMEOUT_MS * 1000000u;
		while (atomic_load_explicit(&x->ran, memory_order_acquire) <=
		       i) {
			if (gts_now_ns() > deadline) {
				bench_die("wake-up latency: waiter never ran");
			}
			clock_nanosleep(CLOCK_MONOTONIC, 0, &poll, NULL);
		}
	}
	pthread_join(tid, NULL);
	long csw = (bk_csw() - csw0) - (bk_csw_thread() - csw0_self);
	bench_lat_summarize(x->samples + LAT_WARMUP, c->lat_samples, &out);
	out.csw_per_op = (double) csw / (double) x->total;
	pthread_cond_destroy(&x->cv);
	pthread_mutex_destroy(&x->mtx);
	free(x->samples);
	free(x);
	return (out);
}

bench_lat
mcv_wakeup(const bench_cfg *c)
{
	return (wk_run(c, mcv_waiter_main, mcv_post));
}

bench_lat
spin_wakeup(const bench_cfg *c)
{
	return (wk_run(c, spin_waiter_main, spin_post));
}
