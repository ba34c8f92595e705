/*
 * harness.h: gorums test support (GTS), in the spirit of nng's NUTS.
 *
 * A test file defines TEST_LIST, an array of { "module what", fn } entries
 * ending with { NULL, NULL }; the harness supplies main(). Each test runs
 * under a watchdog: past its deadline (GTS_DEADLINE_S seconds, default 60,
 * or the environment variable GTS_DEADLINE_S) the process aborts with the
 * test's name, so a bug fails fast instead of hanging. The first failed
 * assertion ends the process with a message naming file, line and cause.
 * The last line printed is "N passed, N failed".
 */
#ifndef GTS_HARNESS_H
#define GTS_HARNESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <pthread.h>

#include "gorums/errors.h"
#include "tests/harness/latch.h"

typedef struct gts_test {
	const char *name;
	void (*fn)(void);
} gts_test;

extern gts_test TEST_LIST[];

/* gts_fail reports a failed assertion and ends the process. */
void gts_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 3, 4)));

#define GTS_ASSERT(cond)                                                     \
	do {                                                                 \
		if (!(cond)) {                                               \
			gts_fail(__FILE__, __LINE__, "assertion failed: %s", \
			         #cond);                                     \
		}                                                            \
	} while (0)

/* GTS_PASS asserts that expr returns GORUMS_OK. */
#define GTS_PASS(expr)                                                     \
	do {                                                               \
		int gts_rv_ = (int) (expr);                                \
		if (gts_rv_ != GORUMS_OK) {                                \
			gts_fail(__FILE__, __LINE__, "%s: %s (%d)", #expr, \
			         gorums_strerror(gts_rv_), gts_rv_);       \
		}                                                          \
	} while (0)

/* GTS_FAIL asserts that expr returns the error want. */
#define GTS_FAIL(expr, want)                                        \
	do {                                                        \
		int gts_rv_ = (int) (expr);                         \
		if (gts_rv_ != (int) (want)) {                      \
			gts_fail(__FILE__, __LINE__,                \
			         "%s: got %s (%d), want %s", #expr, \
			         gorums_strerror(gts_rv_), gts_rv_, \
			         gorums_strerror((int) (want)));    \
		}                                                   \
	} while (0)

/* GTS_EQ asserts that two integers are equal and prints both if not. */
#define GTS_EQ(a, b)                                                       \
	do {                                                               \
		long long gts_a_ = (long long) (a);                        \
		long long gts_b_ = (long long) (b);                        \
		if (gts_a_ != gts_b_) {                                    \
			gts_fail(__FILE__, __LINE__,                       \
			         "%s == %s: %lld != %lld", #a, #b, gts_a_, \
			         gts_b_);                                  \
		}                                                          \
	} while (0)

#endif /* GTS_HARNESS_H */
