/*
 * bench.h: what the parts of rt_bench share: the sizes of a run, the
 * measurements, and helpers (clock and latch: tests/harness/latch.h;
 * context switches and percentiles: examples/benchkit).
 *
 * Every benchmark stamps its own start and end with CLOCK_MONOTONIC on the
 * threads doing the work (the first send, the last receive), so the cost of
 * telling the main thread that it is over is never part of the number.
 */
#ifndef RT_BENCH_BENCH_H
#define RT_BENCH_BENCH_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "examples/benchkit/benchkit.h"
#include "tests/harness/latch.h"

/* How long any benchmark may take before the run is declared hung. */
#define BENCH_TIMEOUT_MS 60000

/* The sizes of one run (scaled by -n, shrunk by -quick). */
typedef struct bench_cfg {
	int      threads;       /* worker pool size */
	int      reps;          /* repetitions of each rate; median kept */
	long     mbox_msgs;     /* messages per mailbox throughput run */
	long     pp_actor;      /* round trips, actor ping-pong */
	long     pp_spin;       /* round trips, spinning ck_ring ping-pong */
	long     pp_mutex;      /* round trips, mutex+condvar ping-pong */
	long     ring_hops;     /* hops per ring run */
	int      ring_actors;   /* actors in the ring */
	int      lat_samples;   /* wake-ups per latency run */
	uint64_t lat_gap_ns;    /* idle gap before each wake-up */
	int64_t  lat_spin_long; /* spin_ns that outlasts the gap */
	uint64_t cap_ns;        /* time cap of a spinning MPSC run */
} bench_cfg;

/* A rate: operations per second and context switches per operation. */
typedef struct bench_rate {
	double ops_per_s;
	double csw_per_op; /* < 0: not measured */
	bool   capped;     /* stopped by the time cap before the end */
} bench_rate;

/* A latency distribution, in nanoseconds. */
typedef struct bench_lat {
	double p50_ns;
	double p99_ns;
	double csw_per_op; /* of the woken side (the sender's excluded) */
} bench_lat;

/*
 * bench_cpu_others_ns returns the CPU time (all cores) that the rest of the
 * machine has used so far: busy time from /proc/stat minus this process's
 * own. Other tenants of a 2-core VM skew every number, so the table says
 * how much they took; only differences of two calls mean anything, and
 * /proc/stat counts in clock ticks, so they are good to a few percent.
 * 0 if /proc/stat cannot be read.
 */
int64_t bench_cpu_others_ns(void);

/* bench_die reports a broken benchmark and ends the process (status 1). */
void bench_die(const char *what) __attribute__((noreturn));

/* bench_latch_wait waits for l to reach zero; a timeout ends the process. */
void bench_latch_wait(gts_latch *l, const char *what);

/* bench_pause is the body of a spin loop: a CPU pause, and every so often
 * a yield so that a spinner cannot starve the thread it waits for when
 * there are fewer cores than runnable threads. */
void bench_pause(unsigned *spins);

/* bench_lat_summarize sorts samples and fills p50 and p99. */
void bench_lat_summarize(uint64_t *samples, int n, bench_lat *out);

/* The runtime (rt_actors.c). */
bench_rate rt_mbox_throughput(const bench_cfg *c, int producers);
bench_rate rt_pingpong(const bench_cfg *c);
bench_rate rt_ring(const bench_cfg *c, int tokens);
bench_lat  rt_wakeup(const bench_cfg *c, int64_t spin_ns);

/* The baselines (baseline.c). */
bench_rate mcv_queue_throughput(const bench_cfg *c, int producers);
bench_rate ring_mpsc_throughput(const bench_cfg *c, int producers);
bench_rate mcv_pingpong(const bench_cfg *c);
bench_rate ring_spsc_pingpong(const bench_cfg *c);
bench_lat  mcv_wakeup(const bench_cfg *c);
bench_lat  spin_wakeup(const bench_cfg *c);

#endif /* RT_BENCH_BENCH_H */
