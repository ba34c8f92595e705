/*
 * hist_test: the histogram's percentiles are within 1% of the exact ones,
 * its mean and count are exact, and merging adds.
 */
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "examples/benchmark/hist.h"

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;

	return (x < y ? -1 : x > y);
}

/* The exact percentile by hist.h's definition: rank ceil(p/100 * n). */
static uint64_t
exact(const uint64_t *sorted, size_t n, double pct)
{
	size_t rank = (size_t) ceil(pct / 100.0 * (double) n);

	return (sorted[rank < 1 ? 0 : rank - 1]);
}

int
main(void)
{
	enum { N = 200000 };
	uint64_t *v = malloc(N * sizeof(*v)), sum = 0;
	hist     *h = calloc(1, sizeof(*h)), *g = calloc(1, sizeof(*g));
	double    pcts[] = {0, 1, 10, 50, 90, 99, 99.9, 100};
	int       bad    = 0;

	hist_reset(h);
	hist_reset(g);
	assert(hist_count(h) == 0 && hist_percentile(h, 50) == 0);
	/* Log-uniform from 1 ns to ~100 s, plus the exact small values. */
	srand(1);
	for (size_t i = 0; i < N; i++) {
		double e = (double) rand() / RAND_MAX * 25.3;
		v[i]     = i < 300 ? i : (uint64_t) exp(e);
		sum += v[i];
		hist_record(i % 2 ? h : g, v[i]);
	}
	hist_merge(h, g);
	assert(hist_count(h) == N);
	assert(hist_sum(h) == sum);
	assert(fabs(hist_mean(h) - (double) sum / N) < 1e-6 * hist_mean(h));
	qsort(v, N, sizeof(*v), cmp_u64);
	for (size_t i = 0; i < sizeof(pcts) / sizeof(pcts[0]); i++) {
		double want = (double) exact(v, N, pcts[i]);
		double got  = hist_percentile(h, pcts[i]);
		double err  = want == 0 ? got : fabs(got - want) / want;
		printf("p%-5g want %14.0f got %16.1f rel.err %.5f\n", pcts[i],
		       want, got, err);
		if (err > 0.01) {
			bad = 1;
		}
	}
	/* Every single value, small or large, lands within 1%. */
	for (uint64_t x = 1; x < (1ull << 44); x = x * 3 / 2 + 1) {
		hist_reset(g);
		hist_record(g, x);
		if (fabs(hist_percentile(g, 50) - (double) x) > 0.01 * x) {
			printf("value %llu reads %f\n", (unsigned long long) x,
			       hist_percentile(g, 50));
			bad = 1;
		}
	}
	free(v);
	free(h);
	free(g);
	printf(bad ? "FAIL\n" : "PASS\n");
	return (bad);
}
