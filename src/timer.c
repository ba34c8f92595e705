/*
 * timer.c: one thread firing timeouts from a 4-ary min-heap. See timer.h.
 *
 * The heap is an array of gri_timeout pointers; each timeout keeps its own
 * index, so cancelling or moving one is O(log n) with no search. One mutex
 * guards the heap and every pending timeout. The thread sleeps on a
 * CLOCK_MONOTONIC condition variable until the earliest due time; a
 * scheduler signals it only when its timeout becomes the heap top with a due
 * time earlier than the one the thread sleeps until. Cancelling the top
 * never signals: the thread wakes at the old due time, finds nothing due,
 * and sleeps again until the new top.
 */
#include "src/timer.h"

#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#define TIMEOUT_IDLE SIZE_MAX /* to_index of a timeout not in a heap */
#define HEAP_ARITY   4
#define HEAP_MIN_CAP 64

struct gri_timer {
	pthread_mutex_t mtx;
	pthread_cond_t  cv;      /* the timer thread sleeps here */
	pthread_cond_t  done_cv; /* cancel_wait awaits a callback's return */
	pthread_t       thread;  /* written by alloc, read by free */

	/*
	 * Everything below is guarded by mtx. wake_at is the due time the
	 * thread sleeps until: UINT64_MAX when it sleeps with nothing
	 * pending, 0 while it is awake (it re-reads the heap before it
	 * sleeps again). running is only compared, never dereferenced, once
	 * the callback has started: the callback may free it.
	 */
	gri_timeout **heap;     /* min-heap on (to_due, to_seq) */
	size_t        len;      /* pending timeouts */
	size_t        cap;      /* slots in heap; only grows */
	uint64_t      seq;      /* next schedule sequence number */
	uint64_t      wake_at;  /* see above */
	gri_timeout  *running;  /* whose callback runs now, or NULL */
	uint64_t      ndone;    /* callbacks returned so far */
	unsigned      nwaiters; /* cancel_wait callers on done_cv */
	bool          stopping; /* set once, by free */
};

/*
 * timer_self is the timer whose thread this is, NULL on other threads; it
 * lets cancel_wait notice that it runs inside a callback. Thread-local, so
 * only its own thread touches it.
 */
static _Thread_local gri_timer *timer_self;

uint64_t
gri_clock_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec);
}

void
gri_clock_timespec(struct timespec *ts, uint64_t at_ns)
{
	ts->tv_sec  = (time_t) (at_ns / 1000000000u);
	ts->tv_nsec = (long) (at_ns % 1000000000u);
}

static uint64_t
add_sat(uint64_t a, uint64_t b)
{
	return (a > UINT64_MAX - b ? UINT64_MAX : a + b);
}

/* before: does a fire before b? Caller holds the timer's mtx. */
static bool
before(const gri_timeout *a, const gri_timeout *b)
{
	if (a->to_due != b->to_due) {
		return (a->to_due < b->to_due);
	}
	return (a->to_seq < b->to_seq);
}

static void
heap_set(gri_timer *t, size_t i, gri_timeout *to)
{
	t->heap[i]   = to;
	to->to_index = i;
}

static void
heap_sift_up(gri_timer *t, size_t i)
{
	gri_timeout *to = t->heap[i];

	while (i > 0) {
		size_t parent = (i - 1) / HEAP_ARITY;
		if (!before(to, t->heap[parent])) {
			break;
		}
		heap_set(t, i, t->heap[parent]);
		i = parent;
	}
	heap_set(t, i, to);
}

static void
heap_sift_down(gri_timer *t, size_t i)
{
	gri_timeout *to = t->heap[i];

	for (;;) {
		size_t first = i * HEAP_ARITY + 1;
		size_t best;

		if (first >= t->len) {
			break;
		}
		best = first;
		for (size_t c = first + 1;
		     c < first + HEAP_ARITY && c < t->len; c++) {
			if (before(t->heap[c], t->heap[best])) {
				best = c;
			}
		}
		if (!before(t->heap[best], to)) {
			break;
		}
		heap_set(t, i, t->heap[best]);
		i = best;
	}
	heap_set(t, i, to);
}

/* heap_fix restores the heap order after the key of heap[i] changed. */
static void
heap_fix(gri_timer *t, size_t i)
{
	if (i > 0 && before(t->heap[i], t->heap[(i - 1) / HEAP_ARITY])) {
		heap_sift_up(t, i);
	} else {
		heap_sift_down(t, i);
	}
}

/* heap_push adds to, which is not pending; the caller ensured room. */
static void
heap_push(gri_timer *t, gri_timeout *to)
{
	assert(t->len < t->cap);
	heap_set(t, t->len, to);
	t->len++;
	heap_sift_up(t, t->len - 1);
}

/* heap_remove takes the pending timeout at index i out of the heap. */
static void
heap_remove(gri_timer *t, size_t i)
{
	gri_timeout *to = t->heap[i];

	assert(i < t->len && to->to_index == i);
	t->len--;
	if (i != t->len) {
		heap_set(t, i, t->heap[t->len]);
		heap_fix(t, i);
	}
	t->heap[t->len] = NULL;
	to->to_index    = TIMEOUT_IDLE;
}

static gorums_err
heap_grow(gri_timer *t)
{
	size_t        cap = t->cap == 0 ? HEAP_MIN_CAP : t->cap * 2;
	gri_timeout **heap;

	if (cap < t->cap || cap > SIZE_MAX / sizeof(*heap)) {
		return (GORUMS_ENOMEM);
	}
	if ((heap = realloc(t->heap, cap * sizeof(*heap))) == NULL) {
		return (GORUMS_ENOMEM);
	}
	t->heap = heap;
	t->cap  = cap;
	return (GORUMS_OK);
}

/*
 * timer_rearm puts a periodic timeout that was just taken to fire back in
 * the heap one period after its due time, or, if the thread is so late
 * that this is already past, at the first period boundary after now.
 * There is room: the timeout was just removed.
 */
static void
timer_rearm(gri_timer *t, gri_timeout *to)
{
	uint64_t next = add_sat(to->to_due, to->to_period);
	uint64_t now;

	if (next <= (now = gri_clock_ns())) {
		/* No overflow: due + period <= now, so period < now. */
		uint64_t missed = (now - to->to_due) / to->to_period;
		next            = to->to_due + (missed + 1) * to->to_period;
	}
	to->to_due = next;
	to->to_seq = t->seq++;
	heap_push(t, to);
}

static void *
timer_main(void *arg)
{
	gri_timer *t   = arg;
	uint64_t   now = 0;

	(void) pthread_setname_np(pthread_self(), "gri:timer");
	timer_self = t;
	pthread_mutex_lock(&t->mtx);
	while (!t->stopping) {
		gri_timeout   *to;
		gri_timeout_cb cb;
		void          *cb_arg;

		if (t->len == 0) {
			t->wake_at = UINT64_MAX;
			pthread_cond_wait(&t->cv, &t->mtx);
			t->wake_at = 0;
			continue;
		}
		to = t->heap[0];
		if (to->to_due > now) {
			now = gri_clock_ns();
		}
		if (to->to_due > now) {
			struct timespec ts;

			gri_clock_timespec(&ts, to->to_due);
			t->wake_at = to->to_due;
			pthread_cond_timedwait(&t->cv, &t->mtx, &ts);
			t->wake_at = 0;
			continue;
		}

		heap_remove(t, 0);
		if (to->to_period != 0) {
			timer_rearm(t, to);
		}
		cb         = to->to_cb;
		cb_arg     = to->to_arg;
		t->running = to;
		pthread_mutex_unlock(&t->mtx);

		cb(cb_arg);

		/* The callback may have freed to: do not dereference it. */
		pthread_mutex_lock(&t->mtx);
		t->running = NULL;
		t->ndone++;
		if (t->nwaiters > 0) {
			pthread_cond_broadcast(&t->done_cv);
		}
	}
	pthread_mutex_unlock(&t->mtx);
	return (NULL);
}

gorums_err
gri_timer_alloc(gri_timer **tp)
{
	gri_timer         *t;
	pthread_condattr_t ca;

	if ((t = calloc(1, sizeof(*t))) == NULL) {
		return (GORUMS_ENOMEM);
	}
	if (pthread_condattr_init(&ca) != 0) {
		free(t);
		return (GORUMS_ENOMEM);
	}
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	if (pthread_mutex_init(&t->mtx, NULL) != 0) {
		goto fail_mtx;
	}
	if (pthread_cond_init(&t->cv, &ca) != 0) {
		goto fail_cv;
	}
	if (pthread_cond_init(&t->done_cv, &ca) != 0) {
		goto fail_done_cv;
	}
	if (pthread_create(&t->thread, NULL, timer_main, t) != 0) {
		goto fail_thread;
	}
	pthread_condattr_destroy(&ca);
	*tp = t;
	return (GORUMS_OK);

fail_thread:
	pthread_cond_destroy(&t->done_cv);
fail_done_cv:
	pthread_cond_destroy(&t->cv);
fail_cv:
	pthread_mutex_destroy(&t->mtx);
fail_mtx:
	pthread_condattr_destroy(&ca);
	free(t);
	return (GORUMS_ENOMEM);
}

void
gri_timer_free(gri_timer *t)
{
	if (t == NULL) {
		return;
	}
	assert(timer_self != t);
	pthread_mutex_lock(&t->mtx);
	t->stopping = true;
	pthread_cond_signal(&t->cv);
	pthread_mutex_unlock(&t->mtx);
	pthread_join(t->thread, NULL);

	/* The thread is gone: drop what is still pending, unfired. */
	for (size_t i = 0; i < t->len; i++) {
		t->heap[i]->to_index = TIMEOUT_IDLE;
	}
	free(t->heap);
	pthread_cond_destroy(&t->done_cv);
	pthread_cond_destroy(&t->cv);
	pthread_mutex_destroy(&t->mtx);
	free(t);
}

void
gri_timeout_init(gri_timeout *to, gri_timeout_cb cb, void *arg)
{
	to->to_due    = 0;
	to->to_period = 0;
	to->to_seq    = 0;
	to->to_index  = TIMEOUT_IDLE;
	to->to_cb     = cb;
	to->to_arg    = arg;
}

gorums_err
gri_timer_schedule_at(gri_timer *t, gri_timeout *to, uint64_t due_ns,
                      uint64_t period_ns)
{
	pthread_mutex_lock(&t->mtx);
	if (to->to_index == TIMEOUT_IDLE && t->len == t->cap) {
		gorums_err rv;
		if ((rv = heap_grow(t)) != GORUMS_OK) {
			pthread_mutex_unlock(&t->mtx);
			return (rv);
		}
	}
	to->to_due    = due_ns;
	to->to_period = period_ns;
	to->to_seq    = t->seq++;
	if (to->to_index == TIMEOUT_IDLE) {
		heap_push(t, to);
	} else {
		heap_fix(t, to->to_index);
	}
	/*
	 * Wake the thread only if it sleeps past the new earliest due time.
	 * Once signalled it re-reads the heap, so later schedulers need not
	 * signal again (wake_at 0 also means it is awake and will re-read).
	 */
	if (to->to_index == 0 && due_ns < t->wake_at) {
		t->wake_at = 0;
		pthread_cond_signal(&t->cv);
	}
	pthread_mutex_unlock(&t->mtx);
	return (GORUMS_OK);
}

gorums_err
gri_timer_schedule(gri_timer *t, gri_timeout *to, uint64_t delay_ns,
                   uint64_t period_ns)
{
	return (gri_timer_schedule_at(t, to, add_sat(gri_clock_ns(), delay_ns),
	                              period_ns));
}

bool
gri_timer_cancel(gri_timer *t, gri_timeout *to)
{
	bool pending;

	pthread_mutex_lock(&t->mtx);
	pending = to->to_index != TIMEOUT_IDLE;
	if (pending) {
		heap_remove(t, to->to_index);
	}
	pthread_mutex_unlock(&t->mtx);
	return (pending);
}

void
gri_timer_cancel_wait(gri_timer *t, gri_timeout *to)
{
	pthread_mutex_lock(&t->mtx);
	for (;;) {
		uint64_t ndone;

		if (to->to_index != TIMEOUT_IDLE) {
			heap_remove(t, to->to_index);
		}
		if (t->running != to || timer_self == t) {
			break;
		}
		/*
		 * Wait for this run to return (ndone moves), not merely for
		 * running to differ: the callback may re-arm to and the
		 * thread may fire it again before this thread wakes.
		 */
		ndone = t->ndone;
		t->nwaiters++;
		while (t->ndone == ndone) {
			pthread_cond_wait(&t->done_cv, &t->mtx);
		}
		t->nwaiters--;
	}
	pthread_mutex_unlock(&t->mtx);
}

size_t
gri_timer_pending(gri_timer *t)
{
	size_t n;

	pthread_mutex_lock(&t->mtx);
	n = t->len;
	pthread_mutex_unlock(&t->mtx);
	return (n);
}
