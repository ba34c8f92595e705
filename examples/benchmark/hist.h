/*
 * hist.h: a latency histogram with log-linear buckets, in the manner of
 * HdrHistogram.
 *
 * Values (nanoseconds) below 256 have a bucket each; above, every power of
 * two [2^m, 2^(m+1)) is cut into 128 equal buckets, so a bucket spans at
 * most 1/128 of its values and a percentile reported as its bucket's
 * midpoint is within 0.4% of the true sample. Values from 2^45 ns (9.7
 * hours) up land in the last bucket. Mean and count are exact.
 *
 * Threads. Counts are atomics updated with relaxed order, so any number of
 * threads may record into one histogram at once; the totals are read after
 * the recorders are known to be done (a join, a barrier or a completed
 * call orders them), never concurrently with recording.
 */
#ifndef BENCH_HIST_H
#define BENCH_HIST_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define HIST_SUB_BITS 7 /* 128 buckets per power of two */
#define HIST_MAX_BITS 45
#define HIST_NBUCKETS            \
	((2u << HIST_SUB_BITS) + \
	 (HIST_MAX_BITS - HIST_SUB_BITS - 1) * (1u << HIST_SUB_BITS))

typedef struct hist {
	atomic_uint_fast64_t n;
	atomic_uint_fast64_t sum; /* ns */
	atomic_uint_fast64_t counts[HIST_NBUCKETS];
} hist;

/* hist_reset empties h. Not concurrently with recording. */
void hist_reset(hist *h);

/* hist_record adds one value (ns). Any thread. */
void hist_record(hist *h, uint64_t v);

/* hist_add adds count values of bucket idx and their sum (ns). */
void hist_add(hist *h, uint32_t idx, uint64_t count, uint64_t sum);

/* hist_merge adds src's values to dst. */
void hist_merge(hist *dst, const hist *src);

/* hist_count is the number of values recorded. */
uint64_t hist_count(const hist *h);

/* hist_sum is the exact sum of the values (ns). */
uint64_t hist_sum(const hist *h);

/* hist_mean is the exact mean (ns); 0 if empty. */
double hist_mean(const hist *h);

/*
 * hist_percentile is the value (ns) at or below which pct percent of the
 * values lie (the midpoint of that bucket); 0 if empty.
 */
double hist_percentile(const hist *h, double pct);

/* hist_bucket_count is bucket idx's count (for sending it on). */
uint64_t hist_bucket_count(const hist *h, uint32_t idx);

#endif /* BENCH_HIST_H */
