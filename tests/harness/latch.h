/*
 * latch.h: a monotonic clock and a one-shot latch, for tests (through
 * harness.h) and for the benchmark programs, which wait the same way:
 * on a condition with a deadline, never by sleeping.
 */
#ifndef GTS_LATCH_H
#define GTS_LATCH_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <pthread.h>

/* gts_now_ns is CLOCK_MONOTONIC in nanoseconds. */
uint64_t gts_now_ns(void);

/* gts_timespec_at turns a gts_now_ns instant into a timespec for
 * pthread_cond_timedwait on a CLOCK_MONOTONIC condition variable. */
void gts_timespec_at(struct timespec *ts, uint64_t at_ns);

/*
 * gts_latch: a count that threads decrement and one thread awaits with a
 * deadline. It is a mutex and a condition variable on purpose: the waiter
 * parks instead of spinning, leaving the cores to the threads it awaits.
 */
typedef struct gts_latch {
	pthread_mutex_t mtx;
	pthread_cond_t  cv;
	long            count;
} gts_latch;

void gts_latch_init(gts_latch *l, long count);
void gts_latch_fini(gts_latch *l);
void gts_latch_count_down(gts_latch *l);
/* gts_latch_wait returns true once the count is zero, false at timeout. */
bool gts_latch_wait(gts_latch *l, int timeout_ms);

/*
 * gts_poll calls done(arg) every millisecond until it returns true (then
 * true) or timeout_ms passed (then false). For conditions that have no
 * event to wait on (a count kept by the code under test).
 */
bool gts_poll(bool (*done)(void *arg), void *arg, int timeout_ms);

#endif /* GTS_LATCH_H */
