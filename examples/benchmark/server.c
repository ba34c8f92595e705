/*
 * server.c: the benchmark server (Gorums' benchmark/server.go): an echo
 * for the quorum calls, a slow echo, a multicast sink that measures, and
 * the start/stop methods that let a remote client collect the server's
 * numbers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "examples/benchmark/allocs.h"
#include "examples/benchmark/bench.h"

static _Noreturn void
die(const char *what, gorums_err rv)
{
	fprintf(stderr, "benchmark: server: %s: %s\n", what,
	        gorums_strerror(rv));
	exit(1);
}

static gorums_err
h_echo(gorums_ctx *ctx, const ProtobufCMessage *req, void *arg)
{
	(void) arg;
	return (gorums_ctx_reply(ctx, req));
}

static gorums_err
h_slow(gorums_ctx *ctx, const ProtobufCMessage *req, void *arg)
{
	struct timespec ts = {.tv_sec = 0, .tv_nsec = SLOW_SERVER_NS};

	(void) arg;
	/* As Gorums: let the connection's next request start, then take
	 * our time. */
	gorums_ctx_release(ctx);
	while (nanosleep(&ts, &ts) != 0) { }
	return (gorums_ctx_reply(ctx, req));
}

static gorums_err
h_multicast(gorums_ctx *ctx, const ProtobufCMessage *req, void *arg)
{
	bench_server *s   = arg;
	const int64_t now = wall_ns();
	const int64_t t =
	    ((const Gorums__Benchmark__TimedMsg *) req)->send_time;

	(void) ctx;
	/* A clock stepped between two machines may make it negative. */
	hist_record(&s->lat, now > t ? (uint64_t) (now - t) : 0);
	return (GORUMS_OK);
}

static gorums_err
h_start_server(gorums_ctx *ctx, const ProtobufCMessage *req, void *arg)
{
	bench_server                    *s = arg;
	Gorums__Benchmark__StartResponse rep =
	    GORUMS__BENCHMARK__START_RESPONSE__INIT;

	(void) req;
	pthread_mutex_lock(&s->mtx);
	hist_reset(&s->lat);
	s->start_allocs = bench_allocs();
	s->start_ns     = gts_now_ns();
	pthread_mutex_unlock(&s->mtx);
	return (gorums_ctx_reply(ctx, &rep.base));
}

static gorums_err
h_stop_server(gorums_ctx *ctx, const ProtobufCMessage *req, void *arg)
{
	bench_server             *s   = arg;
	Gorums__Benchmark__Result rep = GORUMS__BENCHMARK__RESULT__INIT;
	uint32_t                 *idx;
	uint64_t                 *cnt;
	size_t                    n = 0;
	gorums_err                rv;

	(void) req;
	/* The histogram goes back sparse: its non-empty buckets. */
	if ((idx = malloc(HIST_NBUCKETS * sizeof(*idx))) == NULL ||
	    (cnt = malloc(HIST_NBUCKETS * sizeof(*cnt))) == NULL) {
		free(idx);
		return (GORUMS_ENOMEM);
	}
	pthread_mutex_lock(&s->mtx);
	rep.total_time  = (int64_t) (gts_now_ns() - s->start_ns);
	rep.allocs      = bench_allocs() - s->start_allocs;
	rep.total_ops   = hist_count(&s->lat);
	rep.latency_sum = hist_sum(&s->lat);
	for (uint32_t i = 0; i < HIST_NBUCKETS; i++) {
		uint64_t c = hist_bucket_count(&s->lat, i);
		if (c != 0) {
			idx[n]   = i;
			cnt[n++] = c;
		}
	}
	pthread_mutex_unlock(&s->mtx);
	rep.n_hist_index = n;
	rep.hist_index   = idx;
	rep.n_hist_count = n;
	rep.hist_count   = cnt;
	rv               = gorums_ctx_reply(ctx, &rep.base);
	free(idx);
	free(cnt);
	return (rv);
}

static gorums_err
h_start_bench(gorums_ctx *ctx, const ProtobufCMessage *req, void *arg)
{
	bench_server                    *s = arg;
	Gorums__Benchmark__StartResponse rep =
	    GORUMS__BENCHMARK__START_RESPONSE__INIT;

	(void) req;
	pthread_mutex_lock(&s->mtx);
	s->start_allocs = bench_allocs();
	pthread_mutex_unlock(&s->mtx);
	return (gorums_ctx_reply(ctx, &rep.base));
}

static gorums_err
h_stop_bench(gorums_ctx *ctx, const ProtobufCMessage *req, void *arg)
{
	bench_server                 *s = arg;
	Gorums__Benchmark__MemoryStat rep =
	    GORUMS__BENCHMARK__MEMORY_STAT__INIT;

	(void) req;
	pthread_mutex_lock(&s->mtx);
	rep.allocs = bench_allocs() - s->start_allocs;
	pthread_mutex_unlock(&s->mtx);
	return (gorums_ctx_reply(ctx, &rep.base));
}

bool bench_inline_handlers;

void
bench_server_start(bench_server *s, const char *url)
{
	static const struct {
		uint32_t                          method;
		const ProtobufCMessageDescriptor *desc;
		gorums_handler                    h;
	} methods[] = {
	    {M_QUORUM_CALL, &gorums__benchmark__echo__descriptor, h_echo},
	    {M_SLOW_SERVER, &gorums__benchmark__echo__descriptor, h_slow},
	    {M_MULTICAST, &gorums__benchmark__timed_msg__descriptor,
	     h_multicast},
	    {M_START_SERVER_BENCHMARK,
	     &gorums__benchmark__start_request__descriptor, h_start_server},
	    {M_STOP_SERVER_BENCHMARK,
	     &gorums__benchmark__stop_request__descriptor, h_stop_server},
	    {M_START_BENCHMARK, &gorums__benchmark__start_request__descriptor,
	     h_start_bench},
	    {M_STOP_BENCHMARK, &gorums__benchmark__stop_request__descriptor,
	     h_stop_bench},
	};
	gorums_err         rv;
	gorums_server_opts so;

	hist_reset(&s->lat);
	gorums_server_opts_init(&so);
	so.inline_handlers = bench_inline_handlers;
	pthread_mutex_init(&s->mtx, NULL);
	s->start_ns     = gts_now_ns();
	s->start_allocs = bench_allocs();
	if ((rv = gorums_server_open(&s->srv, &so)) != GORUMS_OK) {
		die("open", rv);
	}
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		if ((rv = gorums_server_register(s->srv, methods[i].method,
		                                 methods[i].desc, methods[i].h,
		                                 s)) != GORUMS_OK) {
			die("register", rv);
		}
	}
	if ((rv = gorums_server_listen(s->srv, url)) != GORUMS_OK) {
		fprintf(stderr, "benchmark: failed to listen on '%s': %s\n",
		        url, gorums_strerror(rv));
		exit(1);
	}
	if ((rv = gorums_server_url(s->srv, 0, s->url, sizeof(s->url))) !=
	    GORUMS_OK) {
		die("url", rv);
	}
}

void
bench_server_close(bench_server *s)
{
	gorums_server_close(s->srv);
	s->srv = NULL;
	pthread_mutex_destroy(&s->mtx);
}
