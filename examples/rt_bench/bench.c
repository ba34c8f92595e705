/*
 * bench.c: clocks, latches and counters for rt_bench. See bench.h.
 */
#include "examples/rt_bench/bench.h"

#include <ck_pr.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

uint64_t
bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec);
}

static long
bench_csw_of(int who)
{
	struct rusage ru;

	if (getrusage(who, &ru) != 0) {
		return (0);
	}
	return (ru.ru_nvcsw + ru.ru_nivcsw);
}

long
bench_csw(void)
{
	return (bench_csw_of(RUSAGE_SELF));
}

long
bench_csw_thread(void)
{
	return (bench_csw_of(RUSAGE_THREAD));
}

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

void
bench_die(const char *what)
{
	fprintf(stderr, "rt_bench: %s\n", what);
	fflush(stdout);
	exit(1);
}

void
bench_latch_init(bench_latch *l, long count)
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
bench_latch_fini(bench_latch *l)
{
	pthread_cond_destroy(&l->cv);
	pthread_mutex_destroy(&l->mtx);
}

void
bench_latch_count_down(bench_latch *l)
{
	pthread_mutex_lock(&l->mtx);
	if (--l->count <= 0) {
		pthread_cond_broadcast(&l->cv);
	}
	pthread_mutex_unlock(&l->mtx);
}

void
bench_latch_wait(bench_latch *l, const char *what)
{
	struct timespec ts;
	uint64_t        deadline;

	deadline   = bench_now_ns() + (uint64_t) BENCH_TIMEOUT_MS * 1000000u;
	ts.tv_sec  = (time_t) (deadline / 1000000000u);
	ts.tv_nsec = (long) (deadline % 1000000000u);
	pthread_mutex_lock(&l->mtx);
	while (l->count > 0) {
		if (pthread_cond_timedwait(&l->cv, &l->mtx, &ts) ==
		    ETIMEDOUT) {
			pthread_mutex_unlock(&l->mtx);
			fprintf(stderr,
			        "rt_bench: %s: no completion in %d ms\n", what,
			        BENCH_TIMEOUT_MS);
			exit(1);
		}
	}
	pthread_mutex_unlock(&l->mtx);
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

static int
bench_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *) a;
	uint64_t y = *(const uint64_t *) b;

	return ((x > y) - (x < y));
}

void
bench_lat_summarize(uint64_t *samples, int n, bench_lat *out)
{
	qsort(samples, (size_t) n, sizeof(samples[0]), bench_cmp_u64);
	/* Nearest rank: the smallest sample with at least p of them at or
	 * below it. */
	out->p50_ns = (double) samples[(n * 50 + 99) / 100 - 1];
	out->p99_ns = (double) samples[(n * 99 + 99) / 100 - 1];
}
