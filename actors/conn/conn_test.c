/*
 * conn_test: the connection actor on its own, with a fake host (no
 * gorums_server): a real TCP stream from an nng_stream_listener, a raw
 * client on the other end. It checks what the server tests cannot see:
 * the host is told of the close exactly once, every hold is released (the
 * actor and every ctx are freed), a stop before the actor started, a
 * handler pool that refuses work, late answers to a dead connection, and
 * the graceful drain.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "actors/conn/conn.h"
#include "src/sched.h"
#include "src/server/test_client.h"
#include "tests/harness/harness.h"
#include "tests/proto/echo.pb-c.h"

#define WAIT_MS 10000

enum {
	M_ECHO  = 1,
	M_SLEEP = 2, /* text "release": release first; sleep value ms */
	M_KEEP  = 3, /* hand the ctx to the test; return unanswered */
};

typedef struct fake_host {
	gri_conn_host h; /* first */
	gri_method    methods[3];
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

static const gri_method *
fh_lookup(gri_conn_host *h, uint32_t method)
{
	fake_host *fh = (fake_host *) h;

	for (int i = 0; i < 3; i++) {
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

static void
call(tc_client *c, uint32_t id, uint32_t method, const char *text,
     int64_t value)
{
	Gorums__Test__Echo e = GORUMS__TEST__ECHO__INIT;

	e.text  = (char *) text;
	e.value = value;
	GTS_PASS(tc_send(c, GRI_WIRE_REQUEST, id, method, &e.base));
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
expect_closed(tc_client *c)
{
	gri_wire_frame f;
	gorums_err     rv = tc_recv(c, &f, WAIT_MS);

	GTS_ASSERT(rv != GORUMS_OK && rv != GORUMS_ETIMEDOUT);
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
	expect_closed(&f.client);
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
	expect_closed(&f.client);
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
	expect_closed(&f.client);
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
	gri_conn_stop(f.conn, true);
	expect_closed(&f.client);
	fixture_finish(&f);
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
	gri_conn_stop(f.conn, true);
	expect_closed(&f.client);
	fixture_finish(&f);
	gts_latch_fini(&ready);
}

gts_test TEST_LIST[] = {
    {"conn peer close", test_peer_close},
    {"conn stop immediate", test_stop_immediate},
    {"conn stop graceful", test_stop_graceful},
    {"conn stop before start", test_stop_before_start},
    {"conn pool refuses", test_pool_refuses},
    {"conn answer after close", test_answer_after_close},
    {"conn answer before return", test_answer_before_return},
    {NULL, NULL},
};
