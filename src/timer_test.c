#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "src/timer.h"
#include "tests/harness/harness.h"

/*
 * GTS_PASS would print gorums_strerror, which lives in //src:errors, not a
 * dependency here; results are compared with GTS_EQ(expr, GORUMS_OK).
 */

#define MS      UINT64_C(1000000)    /* a millisecond in nanoseconds */
#define LONG_NS (3600u * 1000u * MS) /* an hour: never fires in a test */
#define WAIT_MS 5000 /* latch deadline: generous, even under TSan */

/*
 * A gate is a timeout whose callback holds the timer thread until the test
 * releases it, so that the test can arm timeouts that are all due before
 * any of them fires: the firing order is then fixed by the heap alone.
 */
typedef struct gate {
	gri_timeout to;
	gts_latch   started;
	gts_latch   release;
} gate;

static void
gate_cb(void *arg)
{
	gate *g = arg;

	gts_latch_count_down(&g->started);
	GTS_ASSERT(gts_latch_wait(&g->release, WAIT_MS));
}

static void
gate_close(gri_timer *t, gate *g)
{
	gts_latch_init(&g->started, 1);
	gts_latch_init(&g->release, 1);
	gri_timeout_init(&g->to, gate_cb, g);
	GTS_EQ(gri_timer_schedule(t, &g->to, 0, 0), GORUMS_OK);
	GTS_ASSERT(gts_latch_wait(&g->started, WAIT_MS));
}

static void
gate_open(gri_timer *t, gate *g)
{
	gts_latch_count_down(&g->release);
	gri_timer_cancel_wait(t, &g->to);
	gts_latch_fini(&g->started);
	gts_latch_fini(&g->release);
}

/*
 * A recorder counts and logs the firings of a set of timeouts. Callbacks
 * run on the timer thread; the test reads after the latch, whose mutex
 * orders the accesses.
 */
typedef struct rec_item rec_item;
typedef struct recorder {
	gts_latch  latch;
	rec_item **order; /* firing order */
	size_t     nfired;
	size_t     cap;
} recorder;

struct rec_item {
	gri_timeout to;
	recorder   *rec;
	uint64_t    due;
	size_t      id;
	int         fired;
	uint64_t    fired_at;
};

static void
rec_cb(void *arg)
{
	rec_item *it = arg;
	recorder *r  = it->rec;

	it->fired++;
	it->fired_at = gri_clock_ns();
	if (r->nfired < r->cap) {
		r->order[r->nfired] = it;
	}
	r->nfired++;
	gts_latch_count_down(&r->latch);
}

static rec_item *
rec_init(recorder *r, size_t n, long expect)
{
	rec_item *items = calloc(n, sizeof(*items));

	GTS_ASSERT(items != NULL);
	r->order = calloc(n, sizeof(*r->order));
	GTS_ASSERT(r->order != NULL);
	r->cap    = n;
	r->nfired = 0;
	gts_latch_init(&r->latch, expect);
	for (size_t i = 0; i < n; i++) {
		items[i].rec = r;
		items[i].id  = i;
		gri_timeout_init(&items[i].to, rec_cb, &items[i]);
	}
	return (items);
}

static void
rec_fini(recorder *r, rec_item *items)
{
	gts_latch_fini(&r->latch);
	free(r->order);
	free(items);
}

/* A simple counting callback for single timeouts. */
typedef struct counter {
	gri_timeout to;
	gts_latch   latch;
	atomic_int  n;
} counter;

static void
counter_cb(void *arg)
{
	counter *c = arg;

	atomic_fetch_add(&c->n, 1);
	gts_latch_count_down(&c->latch);
}

static void
counter_init(counter *c, long expect)
{
	gri_timeout_init(&c->to, counter_cb, c);
	gts_latch_init(&c->latch, expect);
	atomic_init(&c->n, 0);
}

/*
 * sentinel schedules a one-shot timeout delay_ns ahead and waits for it:
 * every timeout due before it has fired by then, since the timer fires in
 * due order.
 */
static void
sentinel(gri_timer *t, uint64_t delay_ns)
{
	counter s;

	counter_init(&s, 1);
	GTS_EQ(gri_timer_schedule(t, &s.to, delay_ns, 0), GORUMS_OK);
	GTS_ASSERT(gts_latch_wait(&s.latch, WAIT_MS));
	gri_timer_cancel_wait(t, &s.to);
	gts_latch_fini(&s.latch);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint64_t
rng(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (rng_state * 0x2545f4914f6cdd1du);
}

static void
test_timer_alloc_free(void)
{
	gri_timer  *t;
	gri_timeout to;

	GTS_EQ(gri_timer_alloc(&t), GORUMS_OK);
	GTS_EQ(gri_timer_pending(t), 0);
	gri_timeout_init(&to, counter_cb, NULL);
	GTS_ASSERT(!gri_timer_cancel(t, &to)); /* never armed */
	gri_timer_cancel_wait(t, &to);
	gri_timer_free(t);
	gri_timer_free(NULL);
}

static void
test_timer_due_order(void)
{
	enum { N = 1000 };
	gri_timer *t;
	gate       g;
	recorder   r;
	rec_item  *items = rec_init(&r, N, N);
	uint64_t   base;

	GTS_EQ(gri_timer_alloc(&t), GORUMS_OK);
	gate_close(t, &g);
	/* Due times spread over 20 ms, some in the past, with duplicates. */
	base = gri_clock_ns();
	for (size_t i = 0; i < N; i++) {
		items[i].due = base - 5 * MS + rng() % (20 * MS);
		if (i % 10 == 0 && i > 0) {
			items[i].due = items[i - 1].due;
		}
		GTS_EQ(gri_timer_schedule_at(t, &items[i].to, items[i].due, 0),
		       GORUMS_OK);
	}
	GTS_EQ(gri_timer_pending(t), N);
	gate_open(t, &g);
	GTS_ASSERT(gts_latch_wait(&r.latch, WAIT_MS));
	GTS_EQ(r.nfired, N);
	for (size_t i = 1; i < N; i++) {
		rec_item *a = r.order[i - 1];
		rec_item *b = r.order[i];
		GTS_ASSERT(a->due < b->due ||
		           (a->due == b->due && a->id < b->id));
	}
	for (size_t i = 0; i < N; i++) {
		GTS_EQ(items[i].fired, 1);
		/* Never early. */
		GTS_ASSERT(items[i].fired_at >= items[i].due);
	}
	GTS_EQ(gri_timer_pending(t), 0);
	gri_timer_free(t);
	rec_fini(&r, items);
}

static void
test_timer_equal_due_fifo(void)
{
	enum { N = 200 };
	gri_timer *t;
	gate       g;
	recorder   r;
	rec_item  *items = rec_init(&r, N, N);
	uint64_t   due;

	GTS_EQ(gri_timer_alloc(&t), GORUMS_OK);
	gate_close(t, &g);
	due = gri_clock_ns() + 2 * MS;
	for (size_t i = 0; i < N; i++) {
		GTS_EQ(gri_timer_schedule_at(t, &items[i].to, due, 0),
		       GORUMS_OK);
	}
	gate_open(t, &g);
	GTS_ASSERT(gts_latch_wait(&r.latch, WAIT_MS));
	for (size_t i = 0; i < N; i++) {
		GTS_EQ(r.order[i]->id, i);
	}
	gri_timer_free(t);
	rec_fini(&r, items);
}

static void
test_timer_cancel_before_fire(void)
{
	gri_timer *t;
	counter    c;

	GTS_EQ(gri_timer_alloc(&t), GORUMS_OK);
	counter_init(&c, 1);
	GTS_EQ(gri_timer_schedule(t, &c.to, 5 * MS, 0), GORUMS_OK);
	GTS_EQ(gri_timer_pending(t), 1);
	GTS_ASSERT(gri_timer_cancel(t, &c.to));
	GTS_EQ(gri_timer_pending(t), 0);
	GTS_ASSERT(!gri_timer_cancel(t, &c.to)); /* already cancelled */
	/* A sentinel due well after it has fired: the cancelled one never. */
	sentinel(t, 20 * MS);
	GTS_EQ(atomic_load(&c.n), 0);
	gri_timer_free(t);
	gts_latch_fini(&c.latch);
}

static void
test_timer_cancel_after_fire(void)
{
	gri_timer *t;
	counter    c;

	GTS_EQ(gri_timer_alloc(&t), GORUMS_OK);
	counter_init(&c, 1);
	GTS_EQ(gri_timer_schedule(t, &c.to, 1 * MS, 0), GORUMS_OK);
	GTS_ASSERT(gts_latch_wait(&c.latch, WAIT_MS));
	GTS_ASSERT(!gri_timer_cancel(t, &c.to));
	gri_timer_cancel_wait(t, &c.to);
	GTS_EQ(atomic_load(&c.n), 1);
	GTS_EQ(gri_timer_pending(t), 0);
	gri_timer_free(t);
	gts_latch_fini(&c.latch);
}

static void
test_timer_reschedule(void)
{
	gri_timer *t;
	gate       g;
	counter    a;
	uint64_t   start;

	GTS_EQ(gri_timer_alloc(&t), GORUMS_OK);

	/* Later: due now, moved an hour out while the gate holds the
	 * thread; a sentinel scheduled after it fires, it does not. */
	counter_init(&a, 1);
	gate_close(t, &g);
	GTS_EQ(gri_timer_schedule(t, &a.to, 0, 0), GORUMS_OK);
	GTS_EQ(gri_timer_schedule(t, &a.to, LONG_NS, 0), GORUMS_OK);
	GTS_EQ(gri_timer_pending(t), 1);
	gate_open(t, &g);
	sentinel(t, 0);
	GTS_EQ(atomic_load(&a.n), 0);
	GTS_EQ(gri_timer_pending(t), 1);

	/* Earlier: the hour-out timeout moved to 1 ms fires, once. */
	start = gri_clock_ns();
	GTS_EQ(gri_timer_schedule(t, &a.to, 1 * MS, 0), GORUMS_OK);
	GTS_EQ(gri_timer_pending(t), 1);
	GTS_ASSERT(gts_latch_wait(&a.latch, WAIT_MS));
	GTS_ASSERT(gri_clock_ns() - start < 2000 * MS);
	GTS_EQ(atomic_load(&a.n), 1);
	GTS_EQ(gri_timer_pending(t), 0);

	/* Moving one behind another with an equal due time reorders them. */
	gate_close(t, &g);
	{
		recorder  r;
		rec_item *items = rec_init(&r, 3, 3);
		uint64_t  due   = gri_clock_ns();
		for (size_t i = 0; i < 3; i++) {
			GTS_EQ(gri_timer_schedule_at(t, &items[i].to, due, 0),
			       GORUMS_OK);
		}
		GTS_EQ(gri_timer_schedule_at(t, &items[0].to, due, 0),
		       GORUMS_OK);
		gate_open(t, &g);
		GTS_ASSERT(gts_latch_wait(&r.latch, WAIT_MS));
		GTS_EQ(r.order[0]->id, 1);
		GTS_EQ(r.order[1]->id, 2);
		GTS_EQ(r.order[2]->id, 0);
		rec_fini(&r, items);
	}
	gri_timer_free(t);
	gts_latch_fini(&a.latch);
}

static void
test_timer_periodic(void)
{
	gri_timer *t;
	counter    c;
	int        n;

	GTS_EQ(gri_timer_alloc(&t), GORUMS_OK);
	counter_init(&c, 5);
	GTS_EQ(gri_timer_schedule(t, &c.to, 1 * MS, 2 * MS), GORUMS_OK);
	GTS_ASSERT(gts_latch_wait(&c.latch, WAIT_MS));
	/* Armed for its next period whether or not a callback runs now. */
	GTS_ASSERT(gri_timer_cancel(t, &c.to));
	gri_timer_cancel_wait(t, &c.to);
	n = atomic_load(&c.n);
	GTS_ASSERT(n >= 5);
	sentinel(t, 10 * MS); /* five periods */
	GTS_EQ(atomic_load(&c.n), n);
	GTS_EQ(gri_timer_pending(t), 0);
	gri_timer_free(t);
	gts_latch_fini(&c.latch);
}

/*
 * A periodic callback slow on its first run: the periods missed meanwhile
 * are skipped, not fired in a burst.
 */
typedef struct slowtick {
	gri_timeout to;
	gts_latch   latch;
	int         n;        /* timer thread only, read after the latch */
	uint64_t    times[3]; /* likewise */
} slowtick;

static void
slowtick_cb(void *arg)
{
	slowtick       *s  = arg;
	struct timespec ts = {0, (long) (25 * MS)};

	if (s->n < 3) {
		s->times[s->n] = gri_clock_ns();
	}
	if (s->n++ == 0) {
		nanosleep(&ts, NULL); /* two and a half periods */
	}
	gts_latch_count_down(&s->latch);
}

static void
test_timer_periodic_skips_missed(void)
{
	gri_timer *t;
	slowtick   s;
	uint64_t   due;

	GTS_EQ(gri_timer_alloc(&t), GORUMS_OK);
	memset(&s, 0, sizeof(s));
	gri_timeout_init(&s.to, slowtick_cb, &s);
	gts_latch_init(&s.latch, 3);
	due = gri_clock_ns() + 1 * MS;
	GTS_EQ(gri_timer_schedule_at(t, &s.to, due, 10 * MS), GORUMS_OK);
	GTS_ASSERT(gts_latch_wait(&s.latch, WAIT_MS));
	gri_timer_cancel_wait(t, &s.to);
	GTS_ASSERT(s.n >= 3);
	GTS_ASSERT(s.times[0] >= due);
	GTS_ASSERT(s.times[1] >= s.times[0] + 25 * MS); /* one late run */
	/*
	 * The second run ends after due+25ms; periods due+10 and due+20
	 * are skipped, so the third waits for due+30. A burst would fire
	 * due+20 right after the second.
	 */
	GTS_ASSERT(s.times[2] >= due + 30 * MS);
	gri_timer_free(t);
	gts_latch_fini(&s.latch);
}

/* thread_cpu_ns is the CPU time the calling thread has used. */
static uint64_t
thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ((uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec);
}

static void
test_timer_many_pending(void)
{
	enum { N = 100000 };
	gri_timer   *t;
	gri_timeout *tos  = calloc(N, sizeof(*tos));
	size_t      *perm = calloc(N, sizeof(*perm));
	uint64_t     cpu;

	GTS_ASSERT(tos != NULL && perm != NULL);
	GTS_EQ(gri_timer_alloc(&t), GORUMS_OK);
	cpu = thread_cpu_ns();
	for (size_t i = 0; i < N; i++) {
		gri_timeout_init(&tos[i], counter_cb, NULL);
		GTS_EQ(gri_timer_schedule(t, &tos[i],
		                          LONG_NS + rng() % LONG_NS, 0),
		       GORUMS_OK);
		perm[i] = i;
	}
	GTS_EQ(gri_timer_pending(t), N);
	/* Move a third of them, then cancel all in random order. */
	for (size_t i = 0; i < N; i += 3) {
		GTS_EQ(gri_timer_schedule(t, &tos[i],
		                          LONG_NS + rng() % LONG_NS, 0),
		       GORUMS_OK);
	}
	GTS_EQ(gri_timer_pending(t), N);
	for (size_t i = N - 1; i > 0; i--) {
		size_t j = (size_t) (rng() % (i + 1));
		size_t x = perm[i];
		perm[i]  = perm[j];
		perm[j]  = x;
	}
	for (size_t i = 0; i < N; i++) {
		GTS_ASSERT(gri_timer_cancel(t, &tos[perm[i]]));
	}
	cpu = thread_cpu_ns() - cpu;
	GTS_EQ(gri_timer_pending(t), 0);
	/*
	 * O(log n) each: about 0.5 s of CPU under TSan, 50 ms plain; a linear
	 * cancel would take minutes. CPU time, so a loaded machine does not
	 * make it flaky.
	 */
	GTS_ASSERT(cpu < 5000 * MS);
	gri_timer_free(t);
	free(perm);
	free(tos);
}

static void
test_timer_many_fire(void)
{
	enum { N = 20000 };
	gri_timer *t;
	recorder   r;
	rec_item  *items = rec_init(&r, N, N);
	uint64_t   base  = gri_clock_ns();

	GTS_EQ(gri_timer_alloc(&t), GORUMS_OK);
	for (size_t i = 0; i < N; i++) {
		items[i].due = base + rng() % (30 * MS);
		GTS_EQ(gri_timer_schedule_at(t, &items[i].to, items[i].due, 0),
		       GORUMS_OK);
	}
	GTS_ASSERT(gts_latch_wait(&r.latch, WAIT_MS));
	GTS_EQ(r.nfired, N);
	for (size_t i = 0; i < N; i++) {
		GTS_EQ(items[i].fired, 1);
	}
	GTS_EQ(gri_timer_pending(t), 0);
	gri_timer_free(t);
	rec_fini(&r, items);
}

/* A slow callback whose owner is heap-allocated and freed after cancel. */
typedef struct slow {
	gri_timeout to;
	gts_latch   started;
	atomic_int  finished;
} slow;

static void
slow_cb(void *arg)
{
	slow           *s  = arg;
	struct timespec ts = {0, (long) (50 * MS)};

	gts_latch_count_down(&s->started);
	nanosleep(&ts, NULL);
	atomic_store(&s->finished, 1);
}

static void
test_timer_cancel_wait_slow(void)
{
	gri_timer *t;
	slow      *s = calloc(1, sizeof(*s));

	GTS_ASSERT(s != NULL);
	GTS_EQ(gri_timer_alloc(&t), GORUMS_OK);
	gri_timeout_init(&s->to, slow_cb, s);
	gts_latch_init(&s->started, 1);
	atomic_init(&s->finished, 0);
	GTS_EQ(gri_timer_schedule(t, &s->to, 0, 0), GORUMS_OK);
	GTS_ASSERT(gts_latch_wait(&s->started, WAIT_MS));
	GTS_ASSERT(!gri_timer_cancel(t, &s->to)); /* running, not pending */
	gri_timer_cancel_wait(t, &s->to);
	GTS_EQ(atomic_load(&s->finished), 1);
	/* The timer no longer touches it (ASan would tell). */
	gts_latch_fini(&s->started);
	free(s);
	sentinel(t, 0);
	gri_timer_free(t);
}

/* A callback that re-arms itself until it has run five times. */
typedef struct self_resched {
	gri_timeout to;
	gri_timer  *t;
	gts_latch   latch;
	int         n; /* timer thread only, read after the latch */
} self_resched;

static void
self_resched_cb(void *arg)
{
	self_resched *s = arg;

	if (++s->n < 5) {
		GTS_EQ(gri_timer_schedule(s->t, &s->to, 1 * MS, 0), GORUMS_OK);
	}
	gts_latch_count_down(&s->latch);
}

static void
test_timer_self_reschedule(void)
{
	self_resched s;

	memset(&s, 0, sizeof(s));
	GTS_EQ(gri_timer_alloc(&s.t), GORUMS_OK);
	gri_timeout_init(&s.to, self_resched_cb, &s);
	gts_latch_init(&s.latch, 5);
	GTS_EQ(gri_timer_schedule(s.t, &s.to, 0, 0), GORUMS_OK);
	GTS_ASSERT(gts_latch_wait(&s.latch, WAIT_MS));
	gri_timer_cancel_wait(s.t, &s.to);
	GTS_EQ(s.n, 5);
	GTS_EQ(gri_timer_pending(s.t), 0);
	gri_timer_free(s.t);
	gts_latch_fini(&s.latch);
}

/*
 * Callbacks that cancel: a periodic one stops itself with cancel_wait
 * (which must not wait on its own thread) and cancels another timeout.
 */
typedef struct canceller {
	gri_timeout to;
	gri_timer  *t;
	counter    *victim;
	gts_latch   latch;
	int         n;         /* timer thread only */
	bool        cancelled; /* victim was pending; read after the latch */
} canceller;

static void
canceller_cb(void *arg)
{
	canceller *c = arg;

	if (++c->n == 3) {
		gri_timer_cancel_wait(c->t, &c->to);
		c->cancelled = gri_timer_cancel(c->t, &c->victim->to);
		gts_latch_count_down(&c->latch);
	}
}

static void
test_timer_cancel_from_callback(void)
{
	canceller c;
	counter   v;

	memset(&c, 0, sizeof(c));
	GTS_EQ(gri_timer_alloc(&c.t), GORUMS_OK);
	counter_init(&v, 1);
	c.victim = &v;
	gri_timeout_init(&c.to, canceller_cb, &c);
	gts_latch_init(&c.latch, 1);
	GTS_EQ(gri_timer_schedule(c.t, &v.to, LONG_NS, 0), GORUMS_OK);
	GTS_EQ(gri_timer_schedule(c.t, &c.to, 0, 1 * MS), GORUMS_OK);
	GTS_ASSERT(gts_latch_wait(&c.latch, WAIT_MS));
	sentinel(c.t, 5 * MS);
	GTS_EQ(c.n, 3);
	GTS_ASSERT(c.cancelled);
	GTS_EQ(atomic_load(&v.n), 0);
	GTS_EQ(gri_timer_pending(c.t), 0);
	gri_timer_free(c.t);
	gts_latch_fini(&c.latch);
	gts_latch_fini(&v.latch);
}

static void
test_timer_free_pending(void)
{
	enum { N = 100 };
	gri_timer *t;
	gri_timer *t2;
	counter   *cs = calloc(N, sizeof(*cs));

	GTS_ASSERT(cs != NULL);
	GTS_EQ(gri_timer_alloc(&t), GORUMS_OK);
	for (size_t i = 0; i < N; i++) {
		counter_init(&cs[i], 1);
		GTS_EQ(gri_timer_schedule(t, &cs[i].to, LONG_NS + i * MS,
		                          i % 2 == 0 ? 0 : MS),
		       GORUMS_OK);
	}
	GTS_EQ(gri_timer_pending(t), N);
	gri_timer_free(t);
	/* Dropped unfired, and reset: not pending on another timer. */
	GTS_EQ(gri_timer_alloc(&t2), GORUMS_OK);
	for (size_t i = 0; i < N; i++) {
		GTS_EQ(atomic_load(&cs[i].n), 0);
		GTS_ASSERT(!gri_timer_cancel(t2, &cs[i].to));
	}
	GTS_EQ(gri_timer_schedule(t2, &cs[0].to, 0, 0), GORUMS_OK);
	GTS_ASSERT(gts_latch_wait(&cs[0].latch, WAIT_MS));
	gri_timer_free(t2);
	for (size_t i = 0; i < N; i++) {
		gts_latch_fini(&cs[i].latch);
	}
	free(cs);
}

static void
test_timer_not_early(void)
{
	gri_timer *t;
	recorder   r;
	rec_item  *items = rec_init(&r, 1, 1);
	uint64_t   start;

	GTS_EQ(gri_timer_alloc(&t), GORUMS_OK);
	start = gri_clock_ns();
	GTS_EQ(gri_timer_schedule(t, &items[0].to, 20 * MS, 0), GORUMS_OK);
	GTS_ASSERT(gts_latch_wait(&r.latch, WAIT_MS));
	GTS_ASSERT(items[0].fired_at - start >= 20 * MS);
	GTS_ASSERT(items[0].fired_at - start < 2000 * MS);
	gri_timer_free(t);
	rec_fini(&r, items);
}

/* Threads scheduling and cancelling at once, while timeouts fire. */
enum { STRESS_THREADS = 4, STRESS_PER = 200, STRESS_ROUNDS = 50 };

typedef struct stress_arg {
	gri_timer *t;
	counter    cs[STRESS_PER];
	uint64_t   seed;
} stress_arg;

static void *
stress_main(void *arg)
{
	stress_arg *a = arg;
	uint64_t    x = a->seed;

	for (int r = 0; r < STRESS_ROUNDS; r++) {
		for (size_t i = 0; i < STRESS_PER; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			if (x % 3 == 0) {
				(void) gri_timer_cancel(a->t, &a->cs[i].to);
			} else {
				(void) gri_timer_schedule(a->t, &a->cs[i].to,
				                          x % (2 * MS), 0);
			}
		}
	}
	for (size_t i = 0; i < STRESS_PER; i++) {
		gri_timer_cancel_wait(a->t, &a->cs[i].to);
	}
	return (NULL);
}

static void
test_timer_concurrent(void)
{
	gri_timer  *t;
	pthread_t   th[STRESS_THREADS];
	stress_arg *args = calloc(STRESS_THREADS, sizeof(*args));

	GTS_ASSERT(args != NULL);
	GTS_EQ(gri_timer_alloc(&t), GORUMS_OK);
	for (int i = 0; i < STRESS_THREADS; i++) {
		args[i].t    = t;
		args[i].seed = 0x1234567u + (uint64_t) i * 7919u;
		for (size_t j = 0; j < STRESS_PER; j++) {
			/* A latch that never reaches zero is fine here. */
			counter_init(&args[i].cs[j], 1000000);
		}
		GTS_ASSERT(
		    pthread_create(&th[i], NULL, stress_main, &args[i]) == 0);
	}
	for (int i = 0; i < STRESS_THREADS; i++) {
		pthread_join(th[i], NULL);
	}
	GTS_EQ(gri_timer_pending(t), 0);
	gri_timer_free(t);
	for (int i = 0; i < STRESS_THREADS; i++) {
		for (size_t j = 0; j < STRESS_PER; j++) {
			gts_latch_fini(&args[i].cs[j].latch);
		}
	}
	free(args);
}

gts_test TEST_LIST[] = {
    {"timer alloc free", test_timer_alloc_free},
    {"timer due order", test_timer_due_order},
    {"timer equal due fifo", test_timer_equal_due_fifo},
    {"timer cancel before fire", test_timer_cancel_before_fire},
    {"timer cancel after fire", test_timer_cancel_after_fire},
    {"timer reschedule", test_timer_reschedule},
    {"timer periodic", test_timer_periodic},
    {"timer periodic skips missed", test_timer_periodic_skips_missed},
    {"timer many pending", test_timer_many_pending},
    {"timer many fire", test_timer_many_fire},
    {"timer cancel wait slow", test_timer_cancel_wait_slow},
    {"timer self reschedule", test_timer_self_reschedule},
    {"timer cancel from callback", test_timer_cancel_from_callback},
    {"timer free pending", test_timer_free_pending},
    {"timer not early", test_timer_not_early},
    {"timer concurrent", test_timer_concurrent},
    {NULL, NULL},
};
