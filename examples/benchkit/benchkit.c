/*
 * benchkit.c: context switches and latency summaries. See benchkit.h.
 */
#include "examples/benchkit/benchkit.h"

#include <stdlib.h>
#include <sys/resource.h>

static long
bk_csw_of(int who)
{
	struct rusage ru;

	if (getrusage(who, &ru) != 0) {
		return (0);
	}
	return (ru.ru_nvcsw + ru.ru_nivcsw);
}

long
bk_csw(void)
{
	return (bk_csw_of(RUSAGE_SELF));
}

long
bk_csw_thread(void)
{
	return (bk_csw_of(RUSAGE_THREAD));
}

static int
bk_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *) a;
	uint64_t y = *(const uint64_t *) b;

	return ((x > y) - (x < y));
}

bk_summary
bk_summarize(uint64_t *samples, int n)
{
	bk_summary s;
	double     sum = 0;

	qsort(samples, (size_t) n, sizeof(samples[0]), bk_cmp_u64);
	for (int i = 0; i < n; i++) {
		sum += (double) samples[i];
	}
	s.p50_ns  = (double) samples[(n * 50 + 99) / 100 - 1];
	s.p99_ns  = (double) samples[(n * 99 + 99) / 100 - 1];
	s.mean_ns = sum / n;
	return (s);
}
