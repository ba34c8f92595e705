/*
 * latch.c: clock and latch. See latch.h.
 */
#include "tests/harness/latch.h"

#include <errno.h>

uint64_t
gts_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec);
}

void
gts_timespec_at(struct timespec *ts, uint64_t at_ns)
{
	ts->tv_sec  = (time_t) (at_ns / 1000000000u);
	ts->tv_nsec = (long) (at_ns % 1000000000u);
}

void
gts_latch_init(gts_latch *l, long count)
{
	pthread_condattr_t a;

	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	pthread_mutex_init(&l->mtx, NULL);
	pthread_cond_init(&l->cv, &a);
	pthread_condattr_destroy(&a);
	l->count = count;
}

void
gts_latch_fini(gts_latch *l)
{
	pthread_cond_destroy(&l->cv);
	pthread_mutex_destroy(&l->mtx);
}

void
gts_latch_count_down(gts_latch *l)
{
	pthread_mutex_lock(&l->mtx);
	if (--l->count <= 0) {
		pthread_cond_broadcast(&l->cv);
	}
	pthread_mutex_unlock(&l->mtx);
}

bool
gts_latch_wait(gts_latch *l, int timeout_ms)
{
	struct timespec ts;
	bool            done;

	gts_timespec_at(&ts, gts_now_ns() + (uint64_t) timeout_ms * 1000000u);
	pthread_mutex_lock(&l->mtx);
	while (l->count > 0) {
		if (pthread_cond_timedwait(&l->cv, &l->mtx, &ts) ==
		    ETIMEDOUT) {
			break;
		}
	}
	done = l->count <= 0;
	pthread_mutex_unlock(&l->mtx);
	return (done);
}

bool
gts_poll(bool (*done)(void *arg), void *arg, int timeout_ms)
{
	uint64_t end = gts_now_ns() + (uint64_t) timeout_ms * 1000000u;
	const struct timespec ms = {.tv_sec = 0, .tv_nsec = 1000000};

	while (!done(arg)) {
		if (gts_now_ns() > end) {
			return (done(arg));
		}
		nanosleep(&ms, NULL);
	}
	return (true);
}
