/*
 * timer.h: the runtime's one timer facility.
 *
 * A gri_timer is one thread that fires gri_timeouts at their due times:
 * quorum-call deadlines, reconnect backoff and periodic ticks. Pending
 * timeouts live in a 4-ary min-heap ordered by due time, then by schedule
 * order, so scheduling and cancelling cost O(log n) and 100k pending
 * deadlines are cheap. A gri_timeout is embedded in its owner's object, so
 * arming it never allocates once the heap array has grown to the largest
 * number of timeouts pending at once.
 *
 * Callbacks run on the timer thread, one at a time, with no lock held. They
 * must be short and must not block (the runtime's callbacks only post a
 * message). They may schedule and cancel any timeout of any timer, their
 * own included, but must never call gri_timer_free on their own timer.
 *
 * Every function here may be called from any thread, callbacks included,
 * except where its comment says otherwise. A timeout belongs to at most one
 * timer at a time: pass the same timer to every call on it until it is no
 * longer pending.
 */
#ifndef GRI_TIMER_H
#define GRI_TIMER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gorums/errors.h"

typedef struct gri_timer   gri_timer;
typedef struct gri_timeout gri_timeout;

/* gri_timeout_cb is a timeout's callback; it runs on the timer thread. */
typedef void (*gri_timeout_cb)(void *arg);

/*
 * gri_timeout is one deadline or tick, embedded in its owner's object. Its
 * fields are private: touch them only through the functions below.
 * gri_timeout_init writes all of them before the timeout is shared; from
 * then on every field is guarded by the mutex of the timer it is scheduled
 * on (to_cb and to_arg are only read there, and rewritten only by another
 * gri_timeout_init while the timeout is neither pending nor running).
 */
struct gri_timeout {
	uint64_t       to_due;    /* absolute gri_clock_ns() due time */
	uint64_t       to_period; /* 0: one-shot; else re-armed every period */
	uint64_t       to_seq;    /* schedule order, breaks ties on to_due */
	size_t         to_index;  /* heap position; SIZE_MAX: not pending */
	gri_timeout_cb to_cb;
	void          *to_arg;
};

/* gri_clock_ns returns CLOCK_MONOTONIC in nanoseconds. */
uint64_t gri_clock_ns(void);

/*
 * gri_clock_timespec writes the gri_clock_ns() time at_ns as a timespec,
 * for pthread_cond_timedwait on a condition variable that waits on
 * CLOCK_MONOTONIC.
 */
struct timespec;
void gri_clock_timespec(struct timespec *ts, uint64_t at_ns);

/*
 * gri_timer_alloc creates a timer and starts its thread. On success *tp is
 * the caller's, to release with gri_timer_free. Fails with GORUMS_ENOMEM
 * when memory or the thread cannot be had.
 */
gorums_err gri_timer_alloc(gri_timer **tp);

/*
 * gri_timer_free stops the timer thread, waiting for a callback in progress
 * to return, and releases the timer. Timeouts still pending are dropped
 * without firing and left as after gri_timeout_init: their owners may free
 * or re-arm them on another timer. Never call it from a callback of this
 * timer (that would join the calling thread). NULL is ignored.
 */
void gri_timer_free(gri_timer *t);

/*
 * gri_timeout_init prepares to, not pending, to call cb(arg) when it fires.
 * Call it before the first schedule, and never while to is pending or its
 * callback is running. It needs no fini: a timeout that is not pending and
 * whose callback is not running may simply be freed (gri_timer_cancel_wait
 * brings a timeout to that state).
 */
void gri_timeout_init(gri_timeout *to, gri_timeout_cb cb, void *arg);

/*
 * gri_timer_schedule arms to to fire delay_ns from now, and then every
 * period_ns if period_ns is not 0. Scheduling a pending timeout moves it
 * (new due time, new period, and it now ranks after timeouts already
 * scheduled for the same time). Timeouts due at the same time fire in the
 * order they were scheduled. A periodic timeout is re-armed at due+period
 * just before its callback runs; if the timer is late, the missed periods
 * are skipped, not fired in a burst. Fails only with GORUMS_ENOMEM, when
 * to was not pending and the heap array could not grow; to is then left
 * as it was. Rescheduling a pending timeout never fails.
 */
gorums_err gri_timer_schedule(gri_timer *t, gri_timeout *to, uint64_t delay_ns,
                              uint64_t period_ns);

/*
 * gri_timer_schedule_at is gri_timer_schedule with an absolute due time on
 * the gri_clock_ns() clock; a time already past fires as soon as possible.
 */
gorums_err gri_timer_schedule_at(gri_timer *t, gri_timeout *to,
                                 uint64_t due_ns, uint64_t period_ns);

/*
 * gri_timer_cancel disarms to. It returns true if to was pending and will
 * now not fire, false if it was not armed or has already been taken to
 * fire (its callback may be running or done). For a periodic timeout the
 * next period is armed before the callback runs, so cancelling returns true
 * even while the callback is running; that run still completes. Use
 * gri_timer_cancel_wait to also wait for it.
 */
bool gri_timer_cancel(gri_timer *t, gri_timeout *to);

/*
 * gri_timer_cancel_wait cancels to and, if its callback is running on the
 * timer thread, waits for the callback to return; afterwards the caller may
 * free to. If the callback re-arms to, it is cancelled again, so the
 * callback must eventually stop re-arming it. Called from a callback of the
 * same timer (on the timer thread), it only cancels: to's callback is then
 * either the caller itself or not running, and waiting would deadlock. It
 * must not be called holding a lock that a callback of this timer takes.
 */
void gri_timer_cancel_wait(gri_timer *t, gri_timeout *to);

/* gri_timer_pending returns the number of timeouts armed on t. */
size_t gri_timer_pending(gri_timer *t);

#endif /* GRI_TIMER_H */
