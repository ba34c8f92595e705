/*
 * bench.h: what the benchmark's client (benchmark.c) and its server
 * (server.c) share: method ids, the server, the clocks.
 */
#ifndef BENCH_BENCH_H
#define BENCH_BENCH_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "examples/benchkit/benchkit.h"
#include "examples/benchmark/bench.pb-c.h"
#include "examples/benchmark/hist.h"
#include "gorums/server.h"
#include "tests/harness/latch.h"

/* The methods of Gorums' benchmark service (benchmark.proto). */
enum {
	M_QUORUM_CALL            = 1, /* Echo -> Echo */
	M_SLOW_SERVER            = 2, /* Echo -> Echo, after 10 ms */
	M_MULTICAST              = 3, /* TimedMsg, one way */
	M_START_SERVER_BENCHMARK = 4, /* StartRequest -> StartResponse */
	M_STOP_SERVER_BENCHMARK  = 5, /* StopRequest -> Result */
	M_START_BENCHMARK        = 6, /* StartRequest -> StartResponse */
	M_STOP_BENCHMARK         = 7, /* StopRequest -> MemoryStat */
};

/*
 * bench_fail reports what failed and why and ends the process at once
 * (_exit: other threads are mid-call). bench_xcalloc is calloc or
 * bench_fail. Both in benchmark.c.
 */
_Noreturn void bench_fail(const char *what, const char *why);
void          *bench_xcalloc(size_t n, size_t size);

/* SlowServer's processing time, as in Gorums. */
#define SLOW_SERVER_NS 10000000

/*
 * bench_server is one benchmark server: Gorums' benchmark/server.go. It
 * counts the multicast messages it handles and their one-way latency
 * between a StartServerBenchmark and a StopServerBenchmark, and the
 * allocations of its process between StartBenchmark and StopBenchmark.
 */
typedef struct bench_server {
	gorums_server *srv;
	char           url[256];
	/* Multicast handlers record here, possibly on several threads (one
	 * per client connection); atomics, see hist.h. */
	hist lat;
	/* Start and stop may come from several clients: under mtx. */
	pthread_mutex_t mtx;
	uint64_t        start_ns;     /* StartServerBenchmark, monotonic */
	uint64_t        start_allocs; /* either start */
} bench_server;

/*
 * bench_server_start opens a server listening on url and records its bound
 * URL in s->url; exits the program on failure (it is a benchmark).
 */
void bench_server_start(bench_server *s, const char *url);

/*
 * bench_inline_handlers makes bench_server_start run handlers inline on the
 * runtime's actor threads (gorums_server_opts.inline_handlers; flag
 * -inline-handlers). Set before the first server starts.
 */
extern bool bench_inline_handlers;

/* bench_server_close stops and frees the server. */
void bench_server_close(bench_server *s);

/* Wall-clock time, for the multicast send time: across processes (and
 * machines, given synchronised clocks), as Go's UnixNano. */
static inline int64_t
wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((int64_t) ts.tv_sec * 1000000000 + (int64_t) ts.tv_nsec);
}

#endif /* BENCH_BENCH_H */
