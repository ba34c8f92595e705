/*
 * benchkit.h: what the benchmark programs (rt_bench, transport_bench,
 * benchmark) measure the same way: context switches and latency samples.
 * Clock and latch come from tests/harness/latch.h.
 */
#ifndef BENCHKIT_H
#define BENCHKIT_H

#include <stdint.h>

/*
 * bk_csw counts the voluntary plus involuntary context switches of the
 * whole process (every thread, live or joined) so far; bk_csw_thread those
 * of the calling thread only. Only differences of two calls mean anything.
 */
long bk_csw(void);
long bk_csw_thread(void);

/* A latency distribution, in nanoseconds. */
typedef struct bk_summary {
	double p50_ns;
	double p99_ns;
	double mean_ns;
} bk_summary;

/*
 * bk_summarize sorts n > 0 samples (nanoseconds) in place and returns
 * their nearest-rank p50 and p99 (the smallest sample with at least that
 * share of them at or below it) and their mean.
 */
bk_summary bk_summarize(uint64_t *samples, int n);

#endif /* BENCHKIT_H */
