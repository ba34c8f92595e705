/*
 * bench.c: helpers of rt_bench. See bench.h.
 */
#include "examples/rt_bench/bench.h"

#include <ck_pr.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

int64_t
bench_cpu_others_ns(void)
{
	FILE              *f;
	unsigned long long v[8] = {0};
	struct rusage      ru;
	long               hz = sysconf(_SC_CLK_TCK);
	uint64_t           busy, self;

	if ((f = fopen("/proc/stat", "r")) == NULL) {
		return (0);
	}
	/* cpu user nice system idle iowait irq softirq steal */
	int n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0],
	               &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]);
	fclose(f);
	if (n != 8 || hz <= 0 || getrusage(RUSAGE_SELF, &ru) != 0) {
		return (0);
	}
	/* Steal counts too: it is a vCPU the hypervisor gave to others. */
	busy = (v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) * 1000000000ull /
	    (uint64_t) hz;
	self =
	    ((uint64_t) ru.ru_utime.tv_sec + (uint64_t) ru.ru_stime.tv_sec) *
	        1000000000ull +
	    ((uint64_t) ru.ru_utime.tv_usec + (uint64_t) ru.ru_stime.tv_usec) *
	        1000ull;
	return ((int64_t) busy - (int64_t) self);
}

_Noreturn void
bench_die(const char *what)
{
	fprintf(stderr, "rt_bench: %s\n", what);
	fflush(stdout);
	exit(1);
}

void
bench_latch_wait(gts_latch *l, const char *what)
{
	if (!gts_latch_wait(l, BENCH_TIMEOUT_MS)) {
		fprintf(stderr, "rt_bench: %s: no completion in %d ms\n", what,
		        BENCH_TIMEOUT_MS);
		exit(1);
	}
}

void
bench_pause(unsigned *spins)
{
	/* 1024 pauses are a few microseconds: long enough that a spinner
	 * with a core of its own never yields on the fast path. */
	if ((++*spins & 1023) == 0) {
		sched_yield();
	} else {
		ck_pr_stall();
	}
}

void
bench_lat_summarize(uint64_t *samples, int n, bench_lat *out)
{
	bk_summary sum = bk_summarize(samples, n);

	out->p50_ns = sum.p50_ns;
	out->p99_ns = sum.p99_ns;
}
