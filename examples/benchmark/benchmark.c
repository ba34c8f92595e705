/*
 * benchmark: the quorum-call benchmark, Gorums' cmd/benchmark for
 * gorums-c. Same benchmarks, same flags, same measuring method, so that a
 * run of each can be compared line by line:
 *
 *   QuorumCall       -concurrent threads, each making blocking quorum calls
 *                    (threshold quorum: -quorum-size echo replies)
 *   AsyncQuorumCall  async quorum calls, at most -max-async in flight
 *   SlowServer       as QuorumCall, but the handler releases the
 *                    connection's order, sleeps 10 ms, then replies
 *   Multicast        one-way messages to every node, as fast as they go;
 *                    the servers count what they handle and measure the
 *                    one-way latency
 *   RawQuorumCall, RawAsyncQuorumCall
 *                    the floor: what a simple nng client with callback
 *                    hand-offs reaches on this machine in the same run.
 *                    QuorumCall and AsyncQuorumCall written by hand on
 *                    nng_stream, against raw echo servers of their own in
 *                    this process, without any gorums code (raw.h); read
 *                    the gorums rows as ratios to these, as absolute
 *                    numbers move a lot between runs on a small machine.
 *   RawTCPQuorumCall the floor under it: QuorumCall on plain blocking TCP
 *                    sockets, no nng, no runtime (rawtcp.h), each calling
 *                    thread with its own connections: what the machine's
 *                    system calls and wake-ups alone cost a quorum call.
 *                    The Raw* rows are local only: they ignore -server,
 *                    and -remotes skips them.
 *
 * Each benchmark warms up for -warmup, then measures for -time: every
 * client thread calls until the time is up, and the window ends when the
 * last call has completed. Throughput is operations completed in the window
 * per second (Multicast: messages handled per server per second, counted
 * by the servers between a start and a stop request that travel behind
 * the messages). Latency percentiles come from a log-linear histogram of
 * every operation (hist.h). allocs/op counts every malloc of the process
 * in the window (allocs.h): client and in-process servers; with -remotes,
 * the servers report theirs and they are added, as Gorums does.
 *
 * Without -remotes, -config-size servers run in this process on
 * tcp://127.0.0.1:0. With -server ADDR the program is only a server.
 */
#include <inttypes.h>
#include <regex.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nng/nng.h>

#include "examples/benchmark/allocs.h"
#include "examples/benchmark/bench.h"
#include "examples/benchmark/flags.h"
#include "examples/benchmark/raw.h"
#include "examples/benchmark/rawtcp.h"
#include "gorums/call.h"
#include "gorums/config.h"
#include "gorums/manager.h"
#include "gorums/quorum.h"

/* Start and stop requests: generous, so that a dead remote server fails
 * the run instead of hanging it. The measured calls have no deadline, as
 * in Gorums (arming one is work Gorums' calls do not do). */
#define CONTROL_TIMEOUT_MS 30000

/* The async benchmark passes a call's start time as its callback's arg. */
_Static_assert(sizeof(uintptr_t) >= sizeof(uint64_t), "64-bit pointers");

typedef enum bench_kind {
	KIND_QC,        /* blocking quorum calls */
	KIND_ASYNC,     /* async quorum calls */
	KIND_MULTICAST, /* one-way to every node */
} bench_kind;

/* The floors (not in Gorums): hand-written clients with local servers. */
typedef enum bench_floor {
	FLOOR_NONE, /* a gorums benchmark */
	FLOOR_NNG,  /* raw.h: nng_stream with callbacks */
	FLOOR_TCP,  /* rawtcp.h: blocking TCP sockets */
} bench_floor;

typedef struct bench_def {
	const char *name;
	const char *desc;
	bench_kind  kind;
	uint32_t    method;
	bench_floor floor; /* a floor: no gorums, servers of its own */
} bench_def;

/* In Gorums' order (benchmark.GetBenchmarks). */
static const bench_def benches[] = {
    {"QuorumCall", "Blocking quorum calls to echo servers", KIND_QC,
     M_QUORUM_CALL, FLOOR_NONE},
    {"AsyncQuorumCall",
     "Async quorum calls to echo servers, up to -max-async in flight",
     KIND_ASYNC, M_QUORUM_CALL, FLOOR_NONE},
    {"SlowServer",
     "Quorum calls whose handler releases, sleeps 10 ms and replies", KIND_QC,
     M_SLOW_SERVER, FLOOR_NONE},
    {"Multicast",
     "One-way messages to every node (servers count and measure latency)",
     KIND_MULTICAST, M_MULTICAST, FLOOR_NONE},
    /* The floors, not in Gorums. */
    {"RawQuorumCall",
     "The floor of QuorumCall: a hand-written nng client (own local "
     "servers; ignores -remotes)",
     KIND_QC, 0, FLOOR_NNG},
    {"RawAsyncQuorumCall",
     "The floor of AsyncQuorumCall: a hand-written nng client (own local "
     "servers; ignores -remotes)",
     KIND_ASYNC, 0, FLOOR_NNG},
    {"RawTCPQuorumCall",
     "The floor under RawQuorumCall: blocking TCP sockets, no nng, a "
     "connection per thread and server (own local servers; ignores "
     "-remotes)",
     KIND_QC, 0, FLOOR_TCP},
};
#define NBENCHES ((int) (sizeof(benches) / sizeof(benches[0])))

typedef struct options {
	int64_t warmup_ns;
	int64_t time_ns;
	int     payload;
	int     concurrent;
	int     max_async;
	int     num_nodes;
	int     quorum;
	bool    remote;
	int     mcast_flags; /* GORUMS_NOWAIT unless -multicast-wait */
} options;

/* The client side: a manager and the configuration of the run. */
typedef struct client {
	gorums_mgr    *mgr;
	gorums_config *cfg;
	gorums_node  **nodes; /* the configuration's, in its order */
	size_t         nnodes;
} client;

typedef struct result {
	const char *name;
	uint64_t    ops;
	double      throughput; /* ops/s */
	double      mean_us, p50_us, p90_us, p99_us;
	double      allocs_per_op; /* < 0: not counted */
	double      csw_per_op;
} result;

/* One benchmark run, shared by its threads. */
typedef struct run {
	const bench_def  *b;
	const options    *o;
	client           *cl;
	gorums_qcall_opts qopts;
	raw_client       *raw; /* FLOOR_NNG: the floor's client */
	rawtcp           *tcp; /* FLOOR_TCP: its servers and callers */
	uint8_t          *payload;
	/* The end of the current phase: written by the main thread, read by
	 * the workers; the barrier between orders the two. */
	uint64_t          end_ns;
	pthread_barrier_t bar;
} run;

typedef struct worker {
	pthread_t      tid;
	run           *r;
	hist          *lat;    /* blocking calls: this thread's latencies */
	int            share;  /* async: its calls in flight at most */
	uint64_t       issued; /* async: calls started, every phase */
	uint64_t       sent;   /* multicast: sent in the current phase */
	rawtcp_caller *tcp;    /* FLOOR_TCP: this thread's connections */
} worker;

_Noreturn void
bench_fail(const char *what, const char *why)
{
	/* _exit: other threads are mid-call; exit's cleanup would race
	 * them. stdout may hold rows already printed: flush it. */
	fprintf(stderr, "benchmark: %s: %s\n", what, why);
	fflush(stdout);
	_exit(1);
}

static _Noreturn void
fail(const char *what, gorums_err rv)
{
	bench_fail(what, gorums_strerror(rv));
}

void *
bench_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n, size);

	if (p == NULL) {
		bench_fail("calloc", "out of memory");
	}
	return (p);
}

/* ---- the workers ------------------------------------------------------ */

static void
run_qc(worker *w, uint64_t end)
{
	run                    *r   = w->r;
	Gorums__Benchmark__Echo req = GORUMS__BENCHMARK__ECHO__INIT;

	req.payload.data = r->payload;
	req.payload.len  = (size_t) r->o->payload;
	/* As Gorums: call until the time is up; the last call may end after
	 * it, and the window waits for it. */
	for (;;) {
		gorums_call *c  = NULL;
		uint64_t     t0 = gts_now_ns();
		gorums_err   rv;

		if (t0 > end) {
			break;
		}
		if (r->raw != NULL || w->tcp != NULL) {
			if (w->tcp != NULL) {
				rawtcp_call(w->tcp);
			} else {
				raw_call(r->raw);
			}
			hist_record(w->lat, gts_now_ns() - t0);
			continue;
		}
		rv = gorums_qcall(r->cl->cfg, r->b->method, &req.base,
		                  &r->qopts, &c);
		hist_record(w->lat, gts_now_ns() - t0);
		if (rv != GORUMS_OK) {
			fail(r->b->name, rv);
		}
		gorums_call_free(c);
	}
}

/* Async calls' latencies: one histogram, recorded by the completion
 * callbacks on runtime threads; async_cbs counts the callbacks run, so
 * that the main thread can tell when the last one has recorded. */
static hist                *async_lat;
static atomic_uint_fast64_t async_cbs;

static void
async_record(uint64_t t0)
{
	hist_record(async_lat, gts_now_ns() - t0);
	/* Release: the record above happens before the main thread's read
	 * of the histogram, which acquires this count. */
	atomic_fetch_add_explicit(&async_cbs, 1, memory_order_release);
}

static void
async_done(gorums_call *c, void *arg)
{
	(void) c;
	async_record((uint64_t) (uintptr_t) arg);
}

static void
raw_async_done(void *arg, uint64_t start_ns)
{
	(void) arg;
	async_record(start_ns);
}

static void
reap(run *r, gorums_call *c)
{
	gorums_err rv = gorums_call_wait(c);

	if (rv != GORUMS_OK) {
		fail(r->b->name, rv);
	}
	gorums_call_free(c);
}

static void
run_async(worker *w, uint64_t end, gorums_call **ring)
{
	run                    *r    = w->r;
	Gorums__Benchmark__Echo req  = GORUMS__BENCHMARK__ECHO__INIT;
	gorums_qcall_opts       o    = r->qopts;
	int                     head = 0, n = 0;

	req.payload.data = r->payload;
	req.payload.len  = (size_t) r->o->payload;
	o.cb             = async_done;
	/* Keep share calls in flight until the time is up, as Gorums keeps
	 * -max-async futures. Completed calls are reaped oldest first:
	 * replies come back in order per node, so the oldest call is almost
	 * always the first to finish, and waiting for it wastes little. */
	for (;;) {
		uint64_t now = gts_now_ns();

		while (n < w->share && now <= end) {
			gorums_err rv;

			o.cb_arg = (void *) (uintptr_t) now;
			rv       = gorums_qcall_async(r->cl->cfg, r->b->method,
			                              &req.base, &o,
			                              &ring[(head + n) % w->share]);
			if (rv != GORUMS_OK) {
				fail(r->b->name, rv);
			}
			w->issued++;
			n++;
			now = gts_now_ns();
		}
		if (n == 0) {
			break;
		}
		do {
			reap(r, ring[head]);
			head = (head + 1) % w->share;
			n--;
		} while (n > 0 && gorums_call_done(ring[head]));
	}
}

/* As run_async, the floor's: raw_call_async waits for room itself (at
 * most -max-async in flight, shared by the threads), and the window
 * waits for the callbacks (wait_callbacks). */
static void
run_raw_async(worker *w, uint64_t end)
{
	while (gts_now_ns() <= end) {
		raw_call_async(w->r->raw, raw_async_done, NULL);
		w->issued++;
	}
}

static void
run_multicast(worker *w, uint64_t end)
{
	run                        *r   = w->r;
	Gorums__Benchmark__TimedMsg msg = GORUMS__BENCHMARK__TIMED_MSG__INIT;

	msg.payload.data = r->payload;
	msg.payload.len  = (size_t) r->o->payload;
	w->sent          = 0;
	while (gts_now_ns() <= end) {
		gorums_err rv;

		msg.send_time = wall_ns();
		rv =
		    gorums_multicast(r->cl->nodes, r->cl->nnodes, r->b->method,
		                     &msg.base, r->o->mcast_flags);
		if (rv == GORUMS_EAGAIN) {
			/* A node's queue is full (fire and forget outruns
			 * the servers): let them catch up. Throughput is
			 * what the servers handled, so nothing is lost. */
			sched_yield();
			continue;
		}
		if (rv != GORUMS_OK) {
			fail(r->b->name, rv);
		}
		w->sent++;
	}
}

static void *
worker_main(void *arg)
{
	worker       *w    = arg;
	run          *r    = w->r;
	gorums_call **ring = NULL;

	if (r->b->kind == KIND_ASYNC && r->b->floor == FLOOR_NONE &&
	    w->share > 0) {
		ring = bench_xcalloc((size_t) w->share, sizeof(*ring));
	}
	/* Two phases, warm-up and measured, each between two barriers. */
	for (int phase = 0; phase < 2; phase++) {
		pthread_barrier_wait(&r->bar);
		switch (r->b->kind) {
		case KIND_QC:
			run_qc(w, r->end_ns);
			break;
		case KIND_ASYNC:
			if (w->share > 0 && r->raw != NULL) {
				run_raw_async(w, r->end_ns);
			} else if (w->share > 0) {
				run_async(w, r->end_ns, ring);
			}
			break;
		case KIND_MULTICAST:
			run_multicast(w, r->end_ns);
			break;
		}
		pthread_barrier_wait(&r->bar);
	}
	free(ring);
	return (NULL);
}

/* ---- control requests to the servers ----------------------------------- */

/*
 * control_all sends req as method to every node at once (so that each
 * server sees it as early as the others) and waits for every reply;
 * replies[i] gets node i's, for the caller to free, if replies is given.
 * On the same streams as the measured calls, behind them.
 */
static void
control_all(client *cl, uint32_t method, const ProtobufCMessage *req,
            const ProtobufCMessageDescriptor *reply_desc,
            ProtobufCMessage                **replies)
{
	gorums_call **calls = bench_xcalloc(cl->nnodes, sizeof(*calls));
	gorums_err    rv;

	for (size_t i = 0; i < cl->nnodes; i++) {
		if ((rv = gorums_rpc_async(cl->nodes[i], method, req,
		                           reply_desc, CONTROL_TIMEOUT_MS,
		                           NULL, NULL, &calls[i])) !=
		    GORUMS_OK) {
			fail("start/stop request", rv);
		}
	}
	for (size_t i = 0; i < cl->nnodes; i++) {
		ProtobufCMessage *rep = NULL;

		if ((rv = gorums_call_wait(calls[i])) != GORUMS_OK ||
		    (rv = gorums_call_result(calls[i], &rep)) != GORUMS_OK) {
			fail("start/stop request", rv);
		}
		if (replies != NULL) {
			replies[i] = rep;
		} else if (rep != NULL) {
			protobuf_c_message_free_unpacked(rep, NULL);
		}
		gorums_call_free(calls[i]);
	}
	free(calls);
}

static void
start_servers(client *cl, uint32_t method)
{
	Gorums__Benchmark__StartRequest req =
	    GORUMS__BENCHMARK__START_REQUEST__INIT;

	control_all(cl, method, &req.base,
	            &gorums__benchmark__start_response__descriptor, NULL);
}

/* ---- one benchmark ---------------------------------------------------- */

static void
summarise_latency(result *res, const hist *h)
{
	res->mean_us = hist_mean(h) / 1e3;
	res->p50_us  = hist_percentile(h, 50) / 1e3;
	res->p90_us  = hist_percentile(h, 90) / 1e3;
	res->p99_us  = hist_percentile(h, 99) / 1e3;
}

/* wait_callbacks waits until every async call started has run its
 * callback: done is published before the callback runs (call.h does not
 * promise the order), so the last callbacks may trail the waits. */
static void
wait_callbacks(worker *ws, int n)
{
	uint64_t issued = 0;

	for (int i = 0; i < n; i++) {
		issued += ws[i].issued;
	}
	while (atomic_load_explicit(&async_cbs, memory_order_acquire) <
	       issued) {
		sched_yield();
	}
}

/*
 * multicast_results stops the servers' count (the stop request is
 * handled after every message sent before it) and reads their numbers.
 * Returns the mallocs the servers report.
 */
static uint64_t
multicast_results(client *cl, worker *ws, int nworkers, bool remote,
                  result *res)
{
	Gorums__Benchmark__StopRequest req =
	    GORUMS__BENCHMARK__STOP_REQUEST__INIT;
	ProtobufCMessage **reps = bench_xcalloc(cl->nnodes, sizeof(*reps));
	hist              *h    = bench_xcalloc(1, sizeof(*h));
	uint64_t           ops = 0, sent = 0, allocs = 0;
	double             tput = 0;

	control_all(cl, M_STOP_SERVER_BENCHMARK, &req.base,
	            &gorums__benchmark__result__descriptor, reps);
	for (int i = 0; i < nworkers; i++) {
		sent += ws[i].sent;
	}
	hist_reset(h);
	for (size_t i = 0; i < cl->nnodes; i++) {
		Gorums__Benchmark__Result *r =
		    (Gorums__Benchmark__Result *) reps[i];
		/* The sum goes with the first bucket: only the total counts.
		 */
		for (size_t k = 0; k < r->n_hist_index && k < r->n_hist_count;
		     k++) {
			hist_add(h, r->hist_index[k], r->hist_count[k],
			         k == 0 ? r->latency_sum : 0);
		}
		if (!remote && r->total_ops != sent) {
			fprintf(stderr,
			        "benchmark: Multicast: server %zu handled "
			        "%" PRIu64 " of %" PRIu64 " messages\n",
			        i, (uint64_t) r->total_ops, sent);
		}
		ops += r->total_ops;
		allocs += r->allocs;
		if (r->total_time > 0) {
			tput += (double) r->total_ops * 1e9 /
			    (double) r->total_time;
		}
		protobuf_c_message_free_unpacked(reps[i], NULL);
	}
	/* Per server, averaged, as Gorums' StopServerBenchmarkQF. */
	res->ops        = ops / cl->nnodes;
	res->throughput = tput / (double) cl->nnodes;
	summarise_latency(res, h);
	free(h);
	free(reps);
	return (allocs);
}

/* remote_allocs stops the remote servers' allocation count; its sum. */
static uint64_t
remote_allocs(client *cl)
{
	Gorums__Benchmark__StopRequest req =
	    GORUMS__BENCHMARK__STOP_REQUEST__INIT;
	ProtobufCMessage **reps  = bench_xcalloc(cl->nnodes, sizeof(*reps));
	uint64_t           total = 0;

	control_all(cl, M_STOP_BENCHMARK, &req.base,
	            &gorums__benchmark__memory_stat__descriptor, reps);
	for (size_t i = 0; i < cl->nnodes; i++) {
		total += ((Gorums__Benchmark__MemoryStat *) reps[i])->allocs;
		protobuf_c_message_free_unpacked(reps[i], NULL);
	}
	free(reps);
	return (total);
}

static void
run_bench(const bench_def *b, const options *o, client *cl, result *res)
{
	run      r  = {.b = b, .o = o, .cl = cl};
	int      nw = o->concurrent;
	worker  *ws = bench_xcalloc((size_t) nw, sizeof(*ws));
	uint64_t a0, a1, t0, t1, server_allocs = 0;
	long     c0, c1;

	r.payload = bench_xcalloc(1, (size_t) o->payload + 1);
	r.qopts   = (gorums_qcall_opts) {
	      .reply_desc = &gorums__benchmark__echo__descriptor,
	      .qspec      = {.kind = GORUMS_QF_THRESHOLD, .k = o->quorum},
        };
	if (b->kind == KIND_ASYNC) {
		async_lat = bench_xcalloc(1, sizeof(*async_lat));
		hist_reset(async_lat);
		atomic_store(&async_cbs, 0);
	}
	if (b->floor == FLOOR_NNG) {
		/* Its servers and connections, outside the window. A slot per
		 * call in flight at most: a thread's, or -max-async. */
		r.raw = raw_open(o->num_nodes, o->quorum, o->payload,
		                 b->kind == KIND_QC ? nw : o->max_async);
	}
	if (b->floor == FLOOR_TCP) {
		r.tcp = rawtcp_open(o->num_nodes, o->quorum, o->payload);
	}
	pthread_barrier_init(&r.bar, NULL, (unsigned) nw + 1);
	for (int i = 0; i < nw; i++) {
		ws[i].r = &r;
		if (r.tcp != NULL) {
			/* Connected here, outside the window. */
			ws[i].tcp = rawtcp_caller_open(r.tcp);
		}
		ws[i].share = o->max_async / nw + (i < o->max_async % nw);
		if (b->kind == KIND_QC) {
			ws[i].lat = bench_xcalloc(1, sizeof(hist));
			hist_reset(ws[i].lat);
		}
		if (pthread_create(&ws[i].tid, NULL, worker_main, &ws[i]) !=
		    0) {
			fail("pthread_create", GORUMS_ENOMEM);
		}
	}

	/* Warm-up: connects, fills the pools and caches. */
	r.end_ns = gts_now_ns() + (uint64_t) o->warmup_ns;
	pthread_barrier_wait(&r.bar);
	pthread_barrier_wait(&r.bar);
	if (b->kind == KIND_ASYNC) {
		wait_callbacks(ws, nw);
		hist_reset(async_lat);
	}
	for (int i = 0; i < nw; i++) {
		if (ws[i].lat != NULL) {
			hist_reset(ws[i].lat);
		}
	}

	/* The measured window. */
	if (b->kind == KIND_MULTICAST) {
		start_servers(cl, M_START_SERVER_BENCHMARK);
	} else if (o->remote) {
		start_servers(cl, M_START_BENCHMARK);
	}
	c0       = bk_csw();
	a0       = bench_allocs();
	t0       = gts_now_ns();
	r.end_ns = t0 + (uint64_t) o->time_ns;
	pthread_barrier_wait(&r.bar);
	pthread_barrier_wait(&r.bar);
	if (b->kind == KIND_ASYNC) {
		wait_callbacks(ws, nw);
	}
	t1 = gts_now_ns();
	if (b->kind == KIND_MULTICAST) {
		/* The window ends when the servers have handled it all. */
		server_allocs = multicast_results(cl, ws, nw, o->remote, res);
		if (!o->remote) {
			server_allocs = 0; /* in a1 - a0 already */
		}
	}
	a1 = bench_allocs();
	c1 = bk_csw();
	if (b->kind != KIND_MULTICAST && o->remote) {
		server_allocs = remote_allocs(cl);
	}

	for (int i = 0; i < nw; i++) {
		pthread_join(ws[i].tid, NULL);
	}
	pthread_barrier_destroy(&r.bar);
	if (r.raw != NULL) {
		raw_close(r.raw);
	}
	if (r.tcp != NULL) {
		rawtcp_close(r.tcp);
	}

	res->name = b->name;
	if (b->kind != KIND_MULTICAST) {
		hist *h = b->kind == KIND_ASYNC ? async_lat
		                                : bench_xcalloc(1, sizeof(*h));
		if (b->kind == KIND_QC) {
			hist_reset(h);
			for (int i = 0; i < nw; i++) {
				hist_merge(h, ws[i].lat);
			}
		}
		res->ops        = hist_count(h);
		res->throughput = (double) res->ops * 1e9 / (double) (t1 - t0);
		summarise_latency(res, h);
		free(h);
		async_lat = NULL;
	}
	res->allocs_per_op = -1;
	res->csw_per_op    = 0;
	if (res->ops > 0) {
		if (bench_allocs_enabled()) {
			/* In-process servers are in a1 - a0 already; remote
			 * ones report theirs, and every remote server process
			 * must count (a C server: this program with -server).
			 */
			res->allocs_per_op =
			    (double) (a1 - a0 + server_allocs) /
			    (double) res->ops;
		}
		res->csw_per_op = (double) (c1 - c0) / (double) res->ops;
	}
	for (int i = 0; i < nw; i++) {
		free(ws[i].lat);
	}
	free(ws);
	free(r.payload);
}

/* ---- output ----------------------------------------------------------- */

#define NCOLS 12
static const char *const columns[NCOLS] = {
    "benchmark", "config_size", "quorum_size",    "concurrent",
    "payload",   "ops",         "throughput_ops", "mean_us",
    "p50_us",    "p90_us",      "p99_us",         "allocs_per_op",
};

static void
format_row(const result *r, const options *o, bool csv, char cells[NCOLS][32])
{
	snprintf(cells[0], 32, "%s", r->name);
	snprintf(cells[1], 32, "%d", o->num_nodes);
	snprintf(cells[2], 32, "%d", o->quorum);
	snprintf(cells[3], 32, "%d", o->concurrent);
	snprintf(cells[4], 32, "%d", o->payload);
	snprintf(cells[5], 32, "%" PRIu64, r->ops);
	snprintf(cells[6], 32, "%.0f", r->throughput);
	snprintf(cells[7], 32, "%.1f", r->mean_us);
	snprintf(cells[8], 32, "%.1f", r->p50_us);
	snprintf(cells[9], 32, "%.1f", r->p90_us);
	snprintf(cells[10], 32, "%.1f", r->p99_us);
	if (r->allocs_per_op < 0) {
		/* Not counted (sanitizer build): a number in CSV. */
		snprintf(cells[11], 32, "%s", csv ? "-1" : "n/a");
	} else {
		snprintf(cells[11], 32, "%.2f", r->allocs_per_op);
	}
}

static int
cmp_name(const void *a, const void *b)
{
	return (
	    strcmp(((const result *) a)->name, ((const result *) b)->name));
}

static void
print_results(result *rs, int n, const options *o, bool csv)
{
	char(*cells)[NCOLS][32] =
	    bench_xcalloc((size_t) n + 1, sizeof(*cells));
	int widths[NCOLS];

	/* Sorted by name, as Gorums prints them. */
	qsort(rs, (size_t) n, sizeof(*rs), cmp_name);
	for (int c = 0; c < NCOLS; c++) {
		snprintf(cells[0][c], 32, "%s", columns[c]);
		widths[c] = (int) strlen(columns[c]);
	}
	for (int i = 0; i < n; i++) {
		format_row(&rs[i], o, csv, cells[i + 1]);
		for (int c = 0; c < NCOLS; c++) {
			int w     = (int) strlen(cells[i + 1][c]);
			widths[c] = w > widths[c] ? w : widths[c];
		}
	}
	for (int i = 0; i <= n; i++) {
		for (int c = 0; c < NCOLS; c++) {
			if (csv) {
				printf("%s%s", c > 0 ? "," : "", cells[i][c]);
			} else if (c == 0) {
				printf("%-*s", widths[c], cells[i][c]);
			} else {
				printf("  %*s", widths[c], cells[i][c]);
			}
		}
		printf("\n");
	}
	fflush(stdout);
	/* Context switches (DESIGN §3): kept out of the CSV's fixed columns;
	 * with -csv they go to stderr so stdout stays one table. */
	for (int i = 0; i < n; i++) {
		fprintf(csv ? stderr : stdout,
		        "%s%s: %.2f context switches/op (whole process)\n",
		        i == 0 && !csv ? "\n" : "", rs[i].name,
		        rs[i].csw_per_op);
	}
	fflush(stdout);
	free(cells);
}

/* ---- set-up ----------------------------------------------------------- */

/* to_url turns a Go-style listen address (":40000", "host:port") into an
 * nng URL; URLs pass unchanged. */
static char *
to_url(const char *addr, const char *empty_host)
{
	size_t len = strlen(addr) + 32;
	char  *url = bench_xcalloc(1, len);

	if (strstr(addr, "://") != NULL) {
		snprintf(url, len, "%s", addr);
	} else if (addr[0] == ':') {
		snprintf(url, len, "tcp://%s%s", empty_host, addr);
	} else {
		snprintf(url, len, "tcp://%s", addr);
	}
	return (url);
}

static int
run_server(const char *addr)
{
	bench_server *s   = bench_xcalloc(1, sizeof(*s));
	char         *url = to_url(addr, "0.0.0.0");
	sigset_t      set;
	int           sig;

	/* Blocked before any thread starts, so that every thread inherits
	 * the mask and sigwait below is the one to take the signal. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	bench_server_start(s, url);
	printf("Running benchmark server on '%s'\n", s->url);
	fflush(stdout);
	while (sigwait(&set, &sig) != 0) { }
	bench_server_close(s);
	free(s);
	free(url);
	nng_fini();
	return (0);
}

static void
list_benchmarks(void)
{
	for (int i = 0; i < NBENCHES; i++) {
		printf("%-20s%s\n", benches[i].name, benches[i].desc);
	}
}

int
main(int argc, char **argv)
{
	int64_t        warmup = 100000000, btime = 1000000000;
	int            payload = 0, concurrent = 1, max_async = 1000;
	int            cfg_size = 4, q_size = 0;
	const char    *bench_re = ".*", *server = NULL, *remotes = NULL;
	bool           csv = false, list = false, mcast_wait = false;
	const flag_def defs[] = {
	    {"benchmarks", FLAG_STRING, &bench_re,
	     "A regexp (POSIX extended) matching the benchmarks to run."},
	    {"time", FLAG_DURATION, &btime,
	     "The duration of each benchmark. (default 1s)"},
	    {"warmup", FLAG_DURATION, &warmup,
	     "Warmup duration. (default 100ms)"},
	    {"payload", FLAG_INT, &payload,
	     "Size of the payload in request and response messages (in "
	     "bytes)."},
	    {"concurrent", FLAG_INT, &concurrent,
	     "Number of threads that make calls concurrently. (default 1)"},
	    {"max-async", FLAG_INT, &max_async,
	     "Maximum number of async calls that can be in flight at once. "
	     "(default 1000)"},
	    {"config-size", FLAG_INT, &cfg_size,
	     "Size of the configuration to use. If < 1, all nodes will be "
	     "used. (default 4)"},
	    {"quorum-size", FLAG_INT, &q_size,
	     "Number of replies to wait for before completing a quorum call. "
	     "(default config-size/2)"},
	    {"server", FLAG_STRING, &server,
	     "Run a benchmark server on given address (\":40000\", "
	     "\"host:port\" or an nng URL) until SIGINT/SIGTERM. It serves "
	     "the gorums benchmarks; the Raw* ones have their own."},
	    {"remotes", FLAG_STRING, &remotes,
	     "A comma separated list of remote addresses to connect to. The "
	     "Raw* benchmarks (the floor) ignore it: they are skipped."},
	    {"inline-handlers", FLAG_BOOL, &bench_inline_handlers,
	     "Local servers run handlers inline on the runtime's actor "
	     "threads "
	     "(gorums_server_opts.inline_handlers): faster, but a handler "
	     "that "
	     "blocks (SlowServer's) then stalls its connection."},
	    {"multicast-wait", FLAG_BOOL, &mcast_wait,
	     "Multicast waits until each message is handed to the streams "
	     "(as Gorums v0.7.0's Multicast); by default it returns once "
	     "queued (fire and forget, as IgnoreErrors in later Gorums)."},
	    {"csv", FLAG_BOOL, &csv, "Print the results as CSV."},
	    {"list", FLAG_BOOL, &list, "List all available benchmarks."},
	};
	const int     ndefs = (int) (sizeof(defs) / sizeof(defs[0]));
	regex_t       re;
	options       o       = {0};
	client        cl      = {0};
	bench_server *servers = NULL;
	const char  **addrs;
	int           naddrs = 0, nres = 0;
	result        results[NBENCHES];
	gorums_err    rv;

	if (!flags_parse(defs, ndefs, argc, argv)) {
		return (2);
	}
	if (list) {
		list_benchmarks();
		return (0);
	}
	if (server != NULL) {
		return (run_server(server));
	}
	if (regcomp(&re, bench_re, REG_EXTENDED | REG_NOSUB) != 0) {
		fprintf(stderr, "benchmark: bad -benchmarks regexp '%s'\n",
		        bench_re);
		return (2);
	}
	if (btime <= 0 || warmup < 0 || payload < 0 || concurrent < 1 ||
	    max_async < 1) {
		fprintf(stderr,
		        "benchmark: -time must be > 0, -warmup and "
		        "-payload >= 0, -concurrent and -max-async "
		        ">= 1\n");
		return (2);
	}

	/* The servers: remote, or local ones started here. */
	if (remotes != NULL && remotes[0] != '\0') {
		char *list_copy = strdup(remotes), *save = NULL;
		addrs = bench_xcalloc(strlen(remotes) + 1, sizeof(*addrs));
		for (char *a = strtok_r(list_copy, ",", &save); a != NULL;
		     a       = strtok_r(NULL, ",", &save)) {
			addrs[naddrs++] = to_url(a, "127.0.0.1");
		}
		free(list_copy);
		o.remote = true;
	} else {
		if (cfg_size < 1) {
			fprintf(stderr,
			        "benchmark: -config-size must be >= 1 "
			        "without -remotes\n");
			return (2);
		}
		servers = bench_xcalloc((size_t) cfg_size, sizeof(*servers));
		addrs   = bench_xcalloc((size_t) cfg_size, sizeof(*addrs));
		for (int i = 0; i < cfg_size; i++) {
			bench_server_start(&servers[i], "tcp://127.0.0.1:0");
			addrs[naddrs++] = servers[i].url;
		}
	}
	if (naddrs == 0) {
		fprintf(stderr, "benchmark: no servers\n");
		return (2);
	}
	/* As Gorums' cmd/benchmark. */
	o.num_nodes = cfg_size < 1 || cfg_size > naddrs ? naddrs : cfg_size;
	if (o.num_nodes == 1) {
		o.quorum = 1;
	} else if (q_size < 1) {
		o.quorum = o.num_nodes / 2;
	} else if (q_size > o.num_nodes) {
		o.quorum = o.num_nodes;
	} else {
		o.quorum = q_size;
	}
	o.warmup_ns   = warmup;
	o.time_ns     = btime;
	o.payload     = payload;
	o.concurrent  = concurrent;
	o.max_async   = max_async;
	o.mcast_flags = mcast_wait ? 0 : GORUMS_NOWAIT;

	if ((rv = gorums_mgr_open(&cl.mgr, NULL)) != GORUMS_OK) {
		fail("manager", rv);
	}
	if ((rv = gorums_config_new(cl.mgr, addrs, (size_t) o.num_nodes,
	                            &cl.cfg)) != GORUMS_OK) {
		fail("configuration", rv);
	}
	cl.nnodes = gorums_config_size(cl.cfg);
	cl.nodes  = bench_xcalloc(cl.nnodes, sizeof(*cl.nodes));
	for (size_t i = 0; i < cl.nnodes; i++) {
		cl.nodes[i] = gorums_config_node(cl.cfg, i);
	}

	for (int i = 0; i < NBENCHES; i++) {
		if (regexec(&re, benches[i].name, 0, NULL, 0) != 0) {
			continue;
		}
		if (benches[i].floor != FLOOR_NONE && o.remote) {
			fprintf(stderr,
			        "benchmark: %s skipped: the raw floor runs "
			        "its own local servers, not -remotes\n",
			        benches[i].name);
			continue;
		}
		run_bench(&benches[i], &o, &cl, &results[nres++]);
	}
	print_results(results, nres, &o, csv);

	free(cl.nodes);
	gorums_config_free(cl.cfg);
	gorums_mgr_close(cl.mgr);
	for (int i = 0; servers != NULL && i < cfg_size; i++) {
		bench_server_close(&servers[i]);
	}
	if (o.remote) {
		for (int i = 0; i < naddrs; i++) {
			free((char *) addrs[i]);
		}
	}
	free(servers);
	free(addrs);
	regfree(&re);
	nng_fini();
	return (0);
}
