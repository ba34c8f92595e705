/*
 * hist.c: log-linear latency histogram. See hist.h.
 */
#include "examples/benchmark/hist.h"

#include <math.h>
#include <string.h>

#define SUB_COUNT (1u << HIST_SUB_BITS) /* 128 */
#define LINEAR    (2u * SUB_COUNT)      /* 0..255: one bucket each */

static uint32_t
bucket_of(uint64_t v)
{
	int      msb;
	uint32_t shift, top;

	if (v < LINEAR) {
		return ((uint32_t) v);
	}
	msb = 63 - __builtin_clzll(v);
	if (msb >= HIST_MAX_BITS) {
		return (HIST_NBUCKETS - 1);
	}
	/* Keep the top HIST_SUB_BITS + 1 bits: top is in [128, 256). */
	shift = (uint32_t) msb - HIST_SUB_BITS;
	top   = (uint32_t) (v >> shift);
	return (LINEAR + (shift - 1) * SUB_COUNT + (top - SUB_COUNT));
}

static double
bucket_mid(uint32_t idx)
{
	uint32_t k, shift;
	uint64_t low;

	if (idx < LINEAR) {
		return ((double) idx);
	}
	k     = idx - LINEAR;
	shift = k / SUB_COUNT + 1;
	low   = (uint64_t) (SUB_COUNT + k % SUB_COUNT) << shift;
	return ((double) low + (double) (1ull << shift) / 2.0);
}

void
hist_reset(hist *h)
{
	atomic_store_explicit(&h->n, 0, memory_order_relaxed);
	atomic_store_explicit(&h->sum, 0, memory_order_relaxed);
	for (uint32_t i = 0; i < HIST_NBUCKETS; i++) {
		atomic_store_explicit(&h->counts[i], 0, memory_order_relaxed);
	}
}

void
hist_record(hist *h, uint64_t v)
{
	atomic_fetch_add_explicit(&h->counts[bucket_of(v)], 1,
	                          memory_order_relaxed);
	atomic_fetch_add_explicit(&h->sum, v, memory_order_relaxed);
	atomic_fetch_add_explicit(&h->n, 1, memory_order_relaxed);
}

void
hist_add(hist *h, uint32_t idx, uint64_t count, uint64_t sum)
{
	if (idx >= HIST_NBUCKETS) {
		idx = HIST_NBUCKETS - 1;
	}
	atomic_fetch_add_explicit(&h->counts[idx], count,
	                          memory_order_relaxed);
	atomic_fetch_add_explicit(&h->sum, sum, memory_order_relaxed);
	atomic_fetch_add_explicit(&h->n, count, memory_order_relaxed);
}

void
hist_merge(hist *dst, const hist *src)
{
	for (uint32_t i = 0; i < HIST_NBUCKETS; i++) {
		uint64_t c = hist_bucket_count(src, i);
		if (c != 0) {
			hist_add(dst, i, c, 0);
		}
	}
	atomic_fetch_add_explicit(
	    &dst->sum, atomic_load_explicit(&src->sum, memory_order_relaxed),
	    memory_order_relaxed);
}

uint64_t
hist_count(const hist *h)
{
	return (atomic_load_explicit(&h->n, memory_order_relaxed));
}

uint64_t
hist_bucket_count(const hist *h, uint32_t idx)
{
	return (atomic_load_explicit(&h->counts[idx], memory_order_relaxed));
}

uint64_t
hist_sum(const hist *h)
{
	return (atomic_load_explicit(&h->sum, memory_order_relaxed));
}

double
hist_mean(const hist *h)
{
	uint64_t n = hist_count(h);

	if (n == 0) {
		return (0);
	}
	return ((double) atomic_load_explicit(&h->sum, memory_order_relaxed) /
	        (double) n);
}

double
hist_percentile(const hist *h, double pct)
{
	uint64_t n = hist_count(h), rank, seen = 0;

	if (n == 0) {
		return (0);
	}
	/* The smallest value with at least pct% of the values at or below
	 * it: rank ceil(pct/100 * n), at least the first. */
	rank = (uint64_t) ceil(pct / 100.0 * (double) n);
	if (rank < 1) {
		rank = 1;
	}
	for (uint32_t i = 0; i < HIST_NBUCKETS; i++) {
		seen += hist_bucket_count(h, i);
		if (seen >= rank) {
			return (bucket_mid(i));
		}
	}
	return (bucket_mid(HIST_NBUCKETS - 1));
}
