/*
 * conn_test: the connection actor on its own, with a fake host (no
 * gorums_server): a real TCP stream from an nng_stream_listener, a raw
 * client on the other end. It checks what the server tests cannot see:
 * the host is told of the close exactly once, every hold is released (the
 * actor and every ctx are freed), a stop before the actor started, a
 * handler pool that refuses work, late answers to a dead connection, and
 * the graceful drain. And the runner: a backlog of requests runs on one
 * thread, in order, without a hand-off per request (the queue length is
 * visible here, so the backlog can be built deterministically); release
 * hands the rest of the queue to another thread while the releasing
 * handler still runs; error entries in a backlog keep their turn.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "actors/conn/conn.h"
#include "src/sched.h"
#include "src/server/test_client.h"
#include "tests/harness/harness.h"
#include "tests/proto/echo.pb-c.h"

#define WAIT_MS 10000

enum {
	M_ECHO  = 1,
	M_SLEEP = 2,    /* text "release": release first; sleep value ms */
	M_KEEP  = 3,    /* hand the ctx to the test; return unanswered */
	M_BLOCK = 4,    /* note the thread; text "release": release first;
	                 * wait for block_go; echo */
	M_TRACE    = 5, /* note the thread and the order by value; echo */
	M_NMETHODS = 5,
};

typedef struct fake_host {
	gri_conn_host h; /* first */
	gri_method    methods[M_NMETHODS];
	atomic_int    holds;  /* hold - release */
	atomic_int    closed; /* closed calls */
	void         *cookie; /* the cookie closed got */
	gts_latch     closed_latch;
} fake_host;

typedef struct fixture {
	fake_host            fh;
	gri_sched           *sched;
	nng_stream_listener *l;
	char                 url[128];
	tc_client            client;
	gri_conn            *conn;
} fixture;

static gts_latch  *keep_ready;
static gorums_ctx *kept; /* published by keep_ready */
static gts_latch  *sleep_started;

/* M_BLOCK and M_TRACE. The trace is written by handlers that the gate
 * orders (plain memory on purpose: TSan checks the ordering), and read by
 * the test after the replies or the done latch. */
static gts_latch *block_started; /* counted down by M_BLOCK on entry */
static gts_latch *block_go;      /* M_BLOCK waits for it */
static pthread_t  block_thread;
static pthread_t *trace_thread; /* [value] */
static long       trace_n;      /* M_TRACE handled so far */
static long       trace_max;    /* size of trace_thread */
static bool       trace_ok;     /* values came in order */
static gts_latch *trace_done;   /* counted down by each M_TRACE */
static long       trace_csw[2]; /* voluntary switches of the thread of
                                 * the first and the last M_TRACE */

static long
thread_voluntary_switches(void)
{
	struct rusage ru;

	GTS_EQ(getrusage(RUSAGE_THREAD, &ru), 0);
	return (ru.ru_nvcsw);
}

static gorums_err
echo_reply(gorums_ctx *ctx, const Gorums__Test__Echo *e)
{
	Gorums__Test__Echo out = GORUMS__TEST__ECHO__INIT;

	out.text  = e->text;
	out.value = e->value;
	return (gri_ctx_reply(ctx, &out.base));
}

static gorums_err
h_echo(gorums_ctx *ctx, const ProtobufCMessage *req, void *arg)
{
	(void) arg;
	return (echo_reply(ctx, (const Gorums__Test__Echo *) req));
}

static gorums_err
h_sleep(gorums_ctx *ctx, const ProtobufCMessage *req, void *arg)
{
	const Gorums__Test__Echo *e = (const Gorums__Test__Echo *) req;

	(void) arg;
	if (strcmp(e->text, "release") == 0) {
		gri_ctx_release(ctx);
	}
	if (sleep_started != NULL) {
		gts_latch_count_down(sleep_started);
	}
	tc_sleep_ms((int) e->value);
	return (echo_reply(ctx, e));
}

static gorums_err
h_keep(gorums_ctx *ctx, const ProtobufCMessage *req, void *arg)
{
	(void) req;
	(void) arg;
	kept = ctx;
	gts_latch_count_down(keep_ready);
	return (GORUMS_OK);
}

static gorums_err
h_block(gorums_ctx *ctx, const ProtobufCMessage *req, void *arg)
{
	const Gorums__Test__Echo *e = (const Gorums__Test__Echo *) req;

	(void) arg;
	block_thread = pthread_self();
	if (strcmp(e->text, "release") == 0) {
		gri_ctx_release(ctx);
	}
	gts_latch_count_down(block_started);
	GTS_ASSERT(gts_latch_wait(block_go, WAIT_MS));
	return (echo_reply(ctx, e));
}

static gorums_err
h_trace(gorums_ctx *ctx, const ProtobufCMessage *req, void *arg)
{
	const Gorums__Test__Echo *e = (const Gorums__Test__Echo *) req;

	(void) arg;
	if (e->value != trace_n || e->value >= trace_max) {
		trace_ok = false;
	} else {
		trace_thread[e->value] = pthread_self();
	}
	if (e->value == 0) {
		trace_csw[0] = thread_voluntary_switches();
	} else if (e->value == trace_max - 1) {
		trace_csw[1] = thread_voluntary_switches();
	}
	trace_n++;
	/* Answer first (nothing goes out if one-way): whoever waits for
	 * the latch then answers after this. */
	GTS_PASS(echo_reply(ctx, e));
	if (trace_done != NULL) {
		gts_latch_count_down(trace_done);
	}
	return (GORUMS_OK);
}

static const gri_method *
fh_lookup(gri_conn_host *h, uint32_t method)
{
	fake_host *fh = (fake_host *) h;

	for (int i = 0; i < M_NMETHODS; i++) {
		if (fh->methods[i].id == method) {
			return (&fh->methods[i]);
		}
	}
	return (NULL);
}

static void
fh_closed(gri_conn_host *h, void *cookie)
{
	fake_host *fh = (fake_host *) h;

	fh->cookie = cookie;
	atomic_fetch_add(&fh->closed, 1);
	gts_latch_count_down(&fh->closed_latch);
}

static void
fh_hold(gri_conn_host *h)
{
	atomic_fetch_add(&((fake_host *) h)->holds, 1);
}

static void
fh_release(gri_conn_host *h)
{
	atomic_fetch_sub(&((fake_host *) h)->holds, 1);
}

/* fixture_start makes a host, a listener, a client, and a connection
 * actor for the accepted stream. */
static void
fixture_start(fixture *f)
{
	const ProtobufCMessageDescriptor *d  = &gorums__test__echo__descriptor;
	gri_sched_opts                    so = {.nthreads = 2, .spin_ns = -1};
	nng_aio                          *aio;
	nng_stream                       *stream;
	int                               port;

	memset(f, 0, sizeof(*f));
	keep_ready    = NULL;
	kept          = NULL;
	sleep_started = NULL;
	block_started = NULL;
	block_go      = NULL;
	trace_thread  = NULL;
	trace_n       = 0;
	trace_max     = 0;
	trace_ok      = true;
	trace_done    = NULL;
	GTS_PASS(gri_sched_alloc(&f->sched, &so));
	GTS_PASS(gri_hpool_alloc(&f->fh.h.hpool, NULL));
	f->fh.h.sched     = f->sched;
	f->fh.h.max_frame = GRI_WIRE_MAX_FRAME_DEFAULT;
	f->fh.h.lookup    = fh_lookup;
	f->fh.h.closed    = fh_closed;
	f->fh.h.hold      = fh_hold;
	f->fh.h.release   = fh_release;
	f->fh.methods[0]  = (gri_method) {M_ECHO, d, h_echo, NULL};
	f->fh.methods[1]  = (gri_method) {M_SLEEP, d, h_sleep, NULL};
	f->fh.methods[2]  = (gri_method) {M_KEEP, d, h_keep, NULL};
	f->fh.methods[3]  = (gri_method) {M_BLOCK, d, h_block, NULL};
	f->fh.methods[4]  = (gri_method) {M_TRACE, d, h_trace, NULL};
	atomic_init(&f->fh.holds, 0);
	atomic_init(&f->fh.closed, 0);
	gts_latch_init(&f->fh.closed_latch, 1);

	GTS_EQ(nng_stream_listener_alloc(&f->l, "tcp://127.0.0.1:0"), 0);
	GTS_EQ(nng_stream_listener_set_bool(f->l, NNG_OPT_TCP_NODELAY, true),
	       0);
	GTS_EQ(nng_stream_listener_listen(f->l), 0);
	GTS_EQ(
	    nng_stream_listener_get_int(f->l, NNG_OPT_TCP_BOUND_PORT, &port),
	    0);
	snprintf(f->url, sizeof(f->url), "tcp://127.0.0.1:%d", port);
	GTS_EQ(nng_aio_alloc(&aio, NULL, NULL), 0);
	nng_aio_set_timeout(aio, WAIT_MS);
	nng_stream_listener_accept(f->l, aio);
	GTS_PASS(tc_dial(&f->client, f->url, WAIT_MS));
	nng_aio_wait(aio);
	GTS_EQ(nng_aio_result(aio), 0);
	stream = nng_aio_get_output(aio, 0);
	nng_aio_free(aio);
	GTS_PASS(gri_conn_spawn(&f->fh.h, f, stream, &f->conn));
	GTS_EQ(atomic_load(&f->fh.holds), 1);
}

/* fixture_finish waits for the close, tears everything down, and checks
 * that the connection told the host once and released its hold: the actor
 * and every ctx of it are gone. */
static void
fixture_finish(fixture *f)
{
	GTS_ASSERT(gts_latch_wait(&f->fh.closed_latch, WAIT_MS));
	GTS_EQ(atomic_load(&f->fh.closed), 1);
	GTS_ASSERT(f->fh.cookie == f);
	gri_conn_unref(f->conn);
	GTS_PASS(gri_hpool_stop(f->fh.h.hpool));
	GTS_PASS(gri_sched_stop(f->sched));
	GTS_EQ(atomic_load(&f->fh.holds), 0);
	GTS_EQ(atomic_load(&f->fh.closed), 1);
	gri_hpool_free(f->fh.h.hpool);
	gri_sched_free(f->sched);
	nng_stream_listener_free(f->l);
	tc_close(&f->client);
	gts_latch_fini(&f->fh.closed_latch);
}

/* fixture_stop stops the connection at once, sees the client's end close,
 * and finishes the fixture. */
static void
fixture_stop(fixture *f)
{
	gri_conn_stop(f->conn, true);
	GTS_ASSERT(tc_closed(&f->client, WAIT_MS));
	fixture_finish(f);
}

/* call sends a two-way request: almost every send here is one. */
static void
call(tc_client *c, uint32_t id, uint32_t method, const char *text,
     int64_t value)
{
	GTS_PASS(tc_send_echo(c, GRI_WIRE_REQUEST, id, method, text, value));
}

typedef struct queued_arg {
	gri_conn *c;
	size_t    n;
} queued_arg;

static bool
queued_done(void *arg)
{
	queued_arg *q = arg;

	return (gri_conn_nqueued(q->c) == q->n);
}

/* wait_queued waits until n requests are queued on the connection. */
static void
wait_queued(gri_conn *c, size_t n)
{
	queued_arg q = {c, n};

	GTS_ASSERT(gts_poll(queued_done, &q, WAIT_MS));
}

/* trace_start prepares M_TRACE for n requests. */
static void
trace_start(long n, gts_latch *done)
{
	trace_thread = calloc((size_t) n, sizeof(*trace_thread));
	GTS_ASSERT(trace_thread != NULL);
	trace_n    = 0;
	trace_max  = n;
	trace_ok   = true;
	trace_done = done;
}

/* trace_same_thread counts the traced handlers that ran on thread t. */
static long
trace_same_thread(pthread_t t)
{
	long k = 0;

	for (long i = 0; i < trace_max; i++) {
		k += pthread_equal(trace_thread[i], t) ? 1 : 0;
	}
	return (k);
}

static void
expect_frame(tc_client *c, gri_wire_kind kind, uint32_t id, uint32_t status)
{
	gri_wire_frame f;

	GTS_PASS(tc_recv(c, &f, WAIT_MS));
	GTS_EQ(f.hdr.kind, kind);
	GTS_EQ(f.hdr.msg_id, id);
	GTS_EQ(f.hdr.status, status);
}

static void
test_peer_close(void)
{
	fixture f;

	fixture_start(&f);
	call(&f.client, 1, M_ECHO, "x", 1);
	expect_frame(&f.client, GRI_WIRE_REPLY, 1, 0);
	call(&f.client, 2, 77, "x", 1);
	expect_frame(&f.client, GRI_WIRE_ERROR, 2, GORUMS_EUNKNOWNMETHOD);
	/* Close with a handler still running and requests queued. */
	call(&f.client, 3, M_SLEEP, "", 50);
	call(&f.client, 4, M_ECHO, "queued", 4);
	tc_close(&f.client);
	fixture_finish(&f);
}

static void
test_stop_immediate(void)
{
	fixture   f;
	gts_latch started;

	fixture_start(&f);
	gts_latch_init(&started, 1);
	sleep_started = &started;
	call(&f.client, 1, M_SLEEP, "", 100);
	GTS_ASSERT(gts_latch_wait(&started, WAIT_MS));
	gri_conn_stop(f.conn, false);
	GTS_ASSERT(gts_latch_wait(&f.fh.closed_latch, WAIT_MS));
	GTS_ASSERT(tc_closed(&f.client, WAIT_MS));
	fixture_finish(&f); /* the handler's answer goes nowhere */
	gts_latch_fini(&started);
}

static void
test_stop_graceful(void)
{
	fixture   f;
	gts_latch started;

	fixture_start(&f);
	gts_latch_init(&started, 2);
	sleep_started = &started;
	/* Two started (the first released), one queued behind the second. */
	call(&f.client, 1, M_SLEEP, "release", 100);
	call(&f.client, 2, M_SLEEP, "", 100);
	call(&f.client, 3, M_ECHO, "queued", 3);
	GTS_ASSERT(gts_latch_wait(&started, WAIT_MS));
	gri_conn_stop(f.conn, true);
	expect_frame(&f.client, GRI_WIRE_ERROR, 3, GORUMS_ESTOPPED);
	/* Requests arriving while draining are refused too. */
	call(&f.client, 4, M_ECHO, "late", 4);
	expect_frame(&f.client, GRI_WIRE_ERROR, 4, GORUMS_ESTOPPED);
	for (int i = 0; i < 2; i++) {
		gri_wire_frame fr;
		GTS_PASS(tc_recv(&f.client, &fr, WAIT_MS));
		GTS_EQ(fr.hdr.kind, GRI_WIRE_REPLY);
		GTS_ASSERT(fr.hdr.msg_id == 1 || fr.hdr.msg_id == 2);
	}
	GTS_ASSERT(tc_closed(&f.client, WAIT_MS));
	fixture_finish(&f);
	gts_latch_fini(&started);
}

static void
test_stop_before_start(void)
{
	fixture f;

	fixture_start(&f);
	/* The start message may or may not have run: either way the stream
	 * is closed and freed, and the host hears of it once. */
	gri_conn_stop(f.conn, false);
	gri_conn_stop(f.conn, true); /* a second stop is harmless */
	GTS_ASSERT(tc_closed(&f.client, WAIT_MS));
	fixture_finish(&f);
}

static void
test_pool_refuses(void)
{
	fixture f;

	fixture_start(&f);
	GTS_PASS(gri_hpool_stop(f.fh.h.hpool));
	/* The ctx is cancelled: an error answer, and the gate opens. */
	call(&f.client, 1, M_ECHO, "x", 1);
	call(&f.client, 2, M_ECHO, "y", 2);
	expect_frame(&f.client, GRI_WIRE_ERROR, 1, GORUMS_ESTOPPED);
	expect_frame(&f.client, GRI_WIRE_ERROR, 2, GORUMS_ESTOPPED);
	fixture_stop(&f);
}

static void
test_answer_after_close(void)
{
	fixture   f;
	gts_latch ready;

	fixture_start(&f);
	gts_latch_init(&ready, 1);
	keep_ready = &ready;
	call(&f.client, 1, M_KEEP, "k", 1);
	GTS_ASSERT(gts_latch_wait(&ready, WAIT_MS));
	tc_close(&f.client);
	GTS_ASSERT(gts_latch_wait(&f.fh.closed_latch, WAIT_MS));
	/* The ctx holds the connection: not released yet. */
	GTS_EQ(atomic_load(&f.fh.holds), 1);
	GTS_FAIL(gri_ctx_error(kept, GORUMS_OK), GORUMS_EINVAL);
	GTS_PASS(gri_ctx_error(kept, GORUMS_EBUSY)); /* dropped; frees */
	fixture_finish(&f);
	gts_latch_fini(&ready);
}

static void
test_answer_before_return(void)
{
	fixture f;

	/* An answer from another thread, racing the handler's return. */
	fixture_start(&f);
	gts_latch ready;
	gts_latch_init(&ready, 1);
	keep_ready = &ready;
	call(&f.client, 1, M_KEEP, "k", 1);
	GTS_ASSERT(gts_latch_wait(&ready, WAIT_MS));
	GTS_PASS(gri_ctx_reply(kept, NULL));
	expect_frame(&f.client, GRI_WIRE_REPLY, 1, 0);
	call(&f.client, 2, M_ECHO, "x", 2);
	expect_frame(&f.client, GRI_WIRE_REPLY, 2, 0);
	fixture_stop(&f);
	gts_latch_fini(&ready);
}

#define NBACKLOG 10000

static void
test_backlog_one_thread(void)
{
	fixture   f;
	gts_latch started, go, done;

	/* A blocked handler holds the gate while 10000 one-way requests
	 * queue behind it. When it returns, its thread runs them all: no
	 * hand-off per request, and in order. */
	fixture_start(&f);
	gts_latch_init(&started, 1);
	gts_latch_init(&go, 1);
	gts_latch_init(&done, NBACKLOG);
	block_started = &started;
	block_go      = &go;
	trace_start(NBACKLOG, &done);
	call(&f.client, 1, M_BLOCK, "", 1);
	GTS_ASSERT(gts_latch_wait(&started, WAIT_MS));
	for (int i = 0; i < NBACKLOG; i++) {
		GTS_PASS(tc_send_echo(&f.client, GRI_WIRE_ONEWAY,
		                      (uint32_t) i + 2, M_TRACE, "t", i));
	}
	wait_queued(f.conn, NBACKLOG);
	gts_latch_count_down(&go);
	expect_frame(&f.client, GRI_WIRE_REPLY, 1, 0);
	GTS_ASSERT(gts_latch_wait(&done, WAIT_MS));
	GTS_EQ(gri_conn_nqueued(f.conn), 0);
	GTS_ASSERT(trace_ok);
	GTS_EQ(trace_n, NBACKLOG);
	GTS_EQ(trace_same_thread(block_thread), NBACKLOG);
	/* And that thread never slept in between (a hand-off per request
	 * would park it once per request); a few switches are noise. */
	printf("     %d queued one-way requests: %ld voluntary switches\n",
	       NBACKLOG, trace_csw[1] - trace_csw[0]);
	GTS_ASSERT(trace_csw[1] - trace_csw[0] <= NBACKLOG / 100);
	fixture_stop(&f);
	free(trace_thread);
	gts_latch_fini(&started);
	gts_latch_fini(&go);
	gts_latch_fini(&done);
}

static void
test_stream_of_oneways(void)
{
	fixture   f;
	gts_latch done;
	long      best = 0;

	/* The same without the blocker: the queue may run dry between
	 * requests (then the runner ends and a new one starts, maybe on
	 * another thread), so only the order and the count are certain.
	 * The thread spread is printed. */
	fixture_start(&f);
	gts_latch_init(&done, NBACKLOG);
	trace_start(NBACKLOG, &done);
	for (int i = 0; i < NBACKLOG; i++) {
		GTS_PASS(tc_send_echo(&f.client, GRI_WIRE_ONEWAY,
		                      (uint32_t) i + 1, M_TRACE, "t", i));
	}
	call(&f.client, NBACKLOG + 1, M_ECHO, "last", 0);
	expect_frame(&f.client, GRI_WIRE_REPLY, NBACKLOG + 1, 0);
	GTS_ASSERT(gts_latch_wait(&done, WAIT_MS));
	GTS_ASSERT(trace_ok);
	GTS_EQ(trace_n, NBACKLOG);
	for (long i = 0; i < NBACKLOG; i += NBACKLOG / 10) {
		long k = trace_same_thread(trace_thread[i]);
		best   = k > best ? k : best;
	}
	printf("     %d one-way requests: %.1f%% on one thread\n", NBACKLOG,
	       100.0 * (double) best / NBACKLOG);
	fixture_stop(&f);
	free(trace_thread);
	gts_latch_fini(&done);
}

static void
test_release_passes_gate(void)
{
	fixture   f;
	gts_latch started, done;

	/* The blocker releases and then waits until the requests behind it
	 * have all run: they must start while it still runs, on another
	 * thread, in order. */
	fixture_start(&f);
	gts_latch_init(&started, 1);
	gts_latch_init(&done, 100);
	block_started = &started;
	block_go      = &done;
	trace_start(100, &done);
	/* The sleeper holds the gate while the rest arrive, so that the
	 * release most likely hands on a backlog (if not, the requests
	 * start a runner as they come: the test holds either way). */
	call(&f.client, 1, M_SLEEP, "", 50);
	call(&f.client, 2, M_BLOCK, "release", 2);
	for (int i = 0; i < 100; i++) {
		call(&f.client, (uint32_t) i + 3, M_TRACE, "t", i);
	}
	expect_frame(&f.client, GRI_WIRE_REPLY, 1, 0);
	GTS_ASSERT(gts_latch_wait(&started, WAIT_MS));
	/* Every M_TRACE answers, in order; then the blocker returns. */
	for (int i = 0; i < 100; i++) {
		expect_frame(&f.client, GRI_WIRE_REPLY, (uint32_t) i + 3, 0);
	}
	expect_frame(&f.client, GRI_WIRE_REPLY, 2, 0);
	GTS_ASSERT(gts_latch_wait(&done, WAIT_MS));
	GTS_ASSERT(trace_ok);
	GTS_EQ(trace_n, 100);
	GTS_EQ(trace_same_thread(block_thread), 0);
	fixture_stop(&f);
	free(trace_thread);
	gts_latch_fini(&started);
	gts_latch_fini(&done);
}

static void
test_backlog_errors_in_turn(void)
{
	fixture       f;
	gts_latch     started, go;
	const uint8_t bad[] = {0x0a, 0x05, 'a'}; /* announces 5, has 1 */

	/* Error entries queued behind a blocked handler are answered at
	 * their turn, by the runner, between the replies around them. */
	fixture_start(&f);
	gts_latch_init(&started, 1);
	gts_latch_init(&go, 1);
	block_started = &started;
	block_go      = &go;
	call(&f.client, 1, M_BLOCK, "", 1);
	GTS_ASSERT(gts_latch_wait(&started, WAIT_MS));
	call(&f.client, 2, 77, "unknown", 2);
	call(&f.client, 3, M_ECHO, "a", 3);
	GTS_PASS(tc_send_payload(&f.client, GRI_WIRE_REQUEST, 4, M_ECHO, bad,
	                         sizeof(bad)));
	GTS_PASS(tc_send_echo(&f.client, GRI_WIRE_ONEWAY, 5, 78,
	                      "unknown one-way", 5));
	call(&f.client, 6, M_ECHO, "b", 6);
	wait_queued(f.conn, 5);
	gts_latch_count_down(&go);
	expect_frame(&f.client, GRI_WIRE_REPLY, 1, 0);
	expect_frame(&f.client, GRI_WIRE_ERROR, 2, GORUMS_EUNKNOWNMETHOD);
	expect_frame(&f.client, GRI_WIRE_REPLY, 3, 0);
	expect_frame(&f.client, GRI_WIRE_ERROR, 4, GORUMS_EDECODE);
	expect_frame(&f.client, GRI_WIRE_REPLY, 6, 0);
	fixture_stop(&f);
	gts_latch_fini(&started);
	gts_latch_fini(&go);
}

static void
test_stop_graceful_backlog(void)
{
	fixture   f;
	gts_latch started, go;

	/* A graceful stop while the runner is blocked in a handler with a
	 * backlog: the backlog is refused, the running one finishes. */
	fixture_start(&f);
	gts_latch_init(&started, 1);
	gts_latch_init(&go, 1);
	block_started = &started;
	block_go      = &go;
	call(&f.client, 1, M_BLOCK, "", 1);
	GTS_ASSERT(gts_latch_wait(&started, WAIT_MS));
	for (int i = 0; i < 10; i++) {
		call(&f.client, (uint32_t) i + 2, M_ECHO, "q", i);
	}
	wait_queued(f.conn, 10);
	gri_conn_stop(f.conn, true);
	for (int i = 0; i < 10; i++) {
		expect_frame(&f.client, GRI_WIRE_ERROR, (uint32_t) i + 2,
		             GORUMS_ESTOPPED);
	}
	GTS_EQ(gri_conn_nqueued(f.conn), 0);
	gts_latch_count_down(&go);
	expect_frame(&f.client, GRI_WIRE_REPLY, 1, 0);
	GTS_ASSERT(tc_closed(&f.client, WAIT_MS));
	fixture_finish(&f);
	gts_latch_fini(&started);
	gts_latch_fini(&go);
}

gts_test TEST_LIST[] = {
    {"conn peer close", test_peer_close},
    {"conn stop immediate", test_stop_immediate},
    {"conn stop graceful", test_stop_graceful},
    {"conn stop before start", test_stop_before_start},
    {"conn pool refuses", test_pool_refuses},
    {"conn answer after close", test_answer_after_close},
    {"conn answer before return", test_answer_before_return},
    {"conn backlog on one thread", test_backlog_one_thread},
    {"conn stream of one-ways", test_stream_of_oneways},
    {"conn release passes the gate", test_release_passes_gate},
    {"conn backlog errors in turn", test_backlog_errors_in_turn},
    {"conn stop graceful with backlog", test_stop_graceful_backlog},
    {NULL, NULL},
};
