/*
 * transport_test: the untyped client (manager, nodes, RPC, unicast,
 * multicast) against real servers over 127.0.0.1 and ipc://, end to end.
 * After every test the manager's pending count is zero and closing leaves
 * nothing behind (ASan/LSan and TSan runs check that).
 */
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <nng/nng.h>

#include "gorums/call.h"
#include "gorums/manager.h"
#include "gorums/server.h"
#include "src/server/test_client.h"
#include "src/wire/wire.h"
#include "tests/e2e/servers.h"
#include "tests/harness/harness.h"
#include "tests/proto/echo.pb-c.h"

#define WAIT_MS        10000
#define TS_MAX_SERVERS 9

static void
echo_rpc(gorums_node *n, int64_t v, int timeout_ms, gorums_err want)
{
	Gorums__Test__Echo req = GORUMS__TEST__ECHO__INIT;
	ProtobufCMessage  *rep = NULL;

	req.value = v;
	req.text  = "hello";
	GTS_FAIL(gorums_rpc(n, M_ECHO, &req.base,
	                    &gorums__test__echo__descriptor, timeout_ms, &rep),
	         want);
	if (want == GORUMS_OK) {
		GTS_ASSERT(rep != NULL);
		GTS_EQ(((Gorums__Test__Echo *) rep)->value, v);
		GTS_ASSERT(
		    strcmp(((Gorums__Test__Echo *) rep)->text, "hello") == 0);
		protobuf_c_message_free_unpacked(rep, NULL);
	}
}

/* ---- 1000 mixed calls reach 1, 3 and 9 servers in order ------------- */

static void
mixed_in_order(int nservers)
{
	test_server       *ts = calloc(TS_MAX_SERVERS, sizeof(*ts));
	gorums_mgr        *m;
	gorums_node       *nodes[TS_MAX_SERVERS];
	int                want[TS_MAX_SERVERS];
	const int          ncalls = 1000;
	Gorums__Test__Echo req    = GORUMS__TEST__ECHO__INIT;

	memset(want, 0, sizeof(want));
	GTS_PASS(gorums_mgr_open(&m, NULL));
	for (int i = 0; i < nservers; i++) {
		ts_start(&ts[i], "tcp://127.0.0.1:0");
		GTS_PASS(gorums_mgr_add_node(m, ts[i].url, &nodes[i]));
	}
	unsigned rng = 12345;
	for (int i = 0; i < ncalls; i++) {
		rng      = rng * 1103515245u + 12345u;
		int kind = (int) ((rng >> 16) % 3);
		int k    = (int) ((rng >> 8) % (unsigned) nservers);
		/* Half the one-way calls fire and forget: they take another
		 * path (no call handle) and must stay in order all the same.
		 */
		int fl    = (rng >> 4) & 1 ? GORUMS_NOWAIT : 0;
		req.value = i;
		switch (kind) {
		case 0:
			echo_rpc(nodes[k], i, WAIT_MS, GORUMS_OK);
			want[k]++;
			break;
		case 1:
			GTS_PASS(
			    gorums_unicast(nodes[k], M_RECORD, &req.base, fl));
			want[k]++;
			break;
		default:
			GTS_PASS(gorums_multicast(nodes, (size_t) nservers,
			                          M_RECORD, &req.base, fl));
			for (int j = 0; j < nservers; j++) {
				want[j]++;
			}
			break;
		}
	}
	/* A last RPC to each node: everything before it was handled. */
	for (int j = 0; j < nservers; j++) {
		echo_rpc(nodes[j], ncalls, WAIT_MS, GORUMS_OK);
		want[j]++;
	}
	for (int j = 0; j < nservers; j++) {
		pthread_mutex_lock(&ts[j].mtx);
		GTS_EQ(ts[j].nseen, want[j]);
		for (int i = 1; i < ts[j].nseen; i++) {
			GTS_ASSERT(ts[j].seen[i - 1] < ts[j].seen[i]);
		}
		pthread_mutex_unlock(&ts[j].mtx);
	}
	GTS_EQ(gorums_mgr_pending(m), 0);
	gorums_mgr_close(m);
	for (int i = 0; i < nservers; i++) {
		ts_close(&ts[i]);
	}
	free(ts);
}

static void
test_transport_order_1(void)
{
	mixed_in_order(1);
}

static void
test_transport_order_3(void)
{
	mixed_in_order(3);
}

static void
test_transport_order_9(void)
{
	mixed_in_order(9);
}

/* ---- errors: unknown method, deadline, cancel, refused -------------- */

static void
test_transport_errors(void)
{
	test_server        ts = {0};
	gorums_mgr        *m;
	gorums_node       *n, *dead;
	gts_latch          blocked, unblock;
	Gorums__Test__Echo req = GORUMS__TEST__ECHO__INIT;
	ProtobufCMessage  *rep = NULL;
	gorums_call       *c;

	ts_start(&ts, "tcp://127.0.0.1:0");
	gts_latch_init(&blocked, 2);
	gts_latch_init(&unblock, 1);
	ts.blocked = &blocked;
	ts.unblock = &unblock;
	GTS_PASS(gorums_mgr_open(&m, NULL));
	GTS_PASS(gorums_mgr_add_node(m, ts.url, &n));
	GTS_FAIL(gorums_mgr_add_node(m, ts.url, &dead), GORUMS_EEXIST);
	GTS_FAIL(gorums_mgr_add_node(m, "tcp://[bad", &dead),
	         GORUMS_EADDRINVAL);

	/* Unknown method: an error reply, and the connection goes on. */
	GTS_FAIL(gorums_rpc(n, M_ABSENT, &req.base,
	                    &gorums__test__echo__descriptor, WAIT_MS, &rep),
	         GORUMS_EUNKNOWNMETHOD);
	echo_rpc(n, 1, WAIT_MS, GORUMS_OK);
	/* Replies came: the node's round-trip estimate is a real one. */
	GTS_ASSERT(gorums_node_latency_ns(n) > 0);
	GTS_ASSERT(gorums_node_latency_ns(n) < (uint64_t) WAIT_MS * 1000000u);

	/* Deadline: the handler blocks; the call ends at its deadline. */
	uint64_t t0 = gts_now_ns();
	GTS_FAIL(gorums_rpc(n, M_BLOCK, &req.base,
	                    &gorums__test__echo__descriptor, 100, &rep),
	         GORUMS_ETIMEDOUT);
	GTS_ASSERT(gts_now_ns() - t0 >= 100000000u);

	/* Cancel: an async call to the blocked handler. */
	GTS_PASS(gorums_rpc_async(n, M_BLOCK, &req.base,
	                          &gorums__test__echo__descriptor, WAIT_MS,
	                          NULL, NULL, &c));
	GTS_ASSERT(gts_latch_wait(&blocked, WAIT_MS));
	GTS_ASSERT(!gorums_call_done(c));
	GTS_FAIL(gorums_call_result(c, NULL), GORUMS_EBUSY);
	gorums_call_cancel(c);
	GTS_FAIL(gorums_call_wait(c), GORUMS_ECANCELED);
	gorums_call_free(c);
	GTS_EQ(gorums_mgr_pending(m), 0);

	/* Late replies (the unblocked handlers answer now) are dropped. */
	gts_latch_count_down(&unblock);
	echo_rpc(n, 2, WAIT_MS, GORUMS_OK);
	GTS_EQ(gorums_mgr_pending(m), 0);

	/* A node nobody listens on fails at once, not at the deadline. */
	test_server gone = {0};
	ts_start(&gone, "tcp://127.0.0.1:0");
	char url[256];
	strcpy(url, gone.url);
	ts_close(&gone);
	GTS_PASS(gorums_mgr_add_node(m, url, &dead));
	t0 = gts_now_ns();
	echo_rpc(dead, 3, WAIT_MS, GORUMS_ECONNREFUSED);
	GTS_ASSERT(gts_now_ns() - t0 < 2000000000u);
	GTS_EQ(gorums_node_last_error(dead), GORUMS_ECONNREFUSED);
	/* Fire and forget to it: accepted, then dropped without a trace (no
	 * pending entry; ASan checks nothing leaks); waiting reports it. */
	for (int i = 0; i < 100; i++) {
		GTS_PASS(
		    gorums_unicast(dead, M_RECORD, &req.base, GORUMS_NOWAIT));
	}
	GTS_FAIL(gorums_unicast(dead, M_RECORD, &req.base, 0),
	         GORUMS_ECONNREFUSED);

	GTS_EQ(gorums_mgr_pending(m), 0);
	gorums_mgr_close(m);
	ts_close(&ts);
	gts_latch_fini(&blocked);
	gts_latch_fini(&unblock);
}

/* ---- a server killed mid-call; the node reconnects ------------------ */

static void
test_transport_server_killed(void)
{
	test_server        ts = {0};
	gorums_mgr        *m;
	gorums_node       *n;
	gorums_call       *c;
	gts_latch          blocked, unblock;
	char               dir[] = "/tmp/gorums_test_XXXXXX";
	char               url[300];
	Gorums__Test__Echo req = GORUMS__TEST__ECHO__INIT;
	pthread_t          t;

	GTS_ASSERT(mkdtemp(dir) != NULL);
	snprintf(url, sizeof(url), "ipc://%s/s.ipc", dir);
	ts_start(&ts, url);
	gts_latch_init(&blocked, 1);
	gts_latch_init(&unblock, 1);
	ts.blocked = &blocked;
	ts.unblock = &unblock;
	GTS_PASS(gorums_mgr_open(&m, NULL));
	GTS_PASS(gorums_mgr_add_node(m, url, &n));
	echo_rpc(n, 1, WAIT_MS, GORUMS_OK);
	GTS_PASS(gorums_rpc_async(n, M_BLOCK, &req.base,
	                          &gorums__test__echo__descriptor, WAIT_MS,
	                          NULL, NULL, &c));
	GTS_ASSERT(gts_latch_wait(&blocked, WAIT_MS));

	/* Kill the server while the call is in its handler: the call fails
	 * as soon as the stream breaks, long before its deadline. */
	uint64_t t0 = gts_now_ns();
	ts_close_start(&ts, &t);
	gorums_err rv = gorums_call_wait(c);
	GTS_ASSERT(rv == GORUMS_ECONNSHUT || rv == GORUMS_ECLOSED);
	GTS_ASSERT(gts_now_ns() - t0 < 3000000000u);
	gorums_call_free(c);
	gts_latch_count_down(&unblock); /* let the old handler end */
	pthread_join(t, NULL);
	GTS_EQ(gorums_mgr_pending(m), 0);

	/* A new server on the same address: the node reconnects. */
	ts_start(&ts, url);
	uint64_t deadline = gts_now_ns() + (uint64_t) WAIT_MS * 1000000u;
	for (;;) {
		Gorums__Test__Echo r   = GORUMS__TEST__ECHO__INIT;
		ProtobufCMessage  *rep = NULL;
		r.value                = 5;
		rv =
		    gorums_rpc(n, M_ECHO, &r.base,
		               &gorums__test__echo__descriptor, WAIT_MS, &rep);
		if (rv == GORUMS_OK) {
			protobuf_c_message_free_unpacked(rep, NULL);
			break;
		}
		GTS_ASSERT(gts_now_ns() < deadline);
		/* Failing fast during the backoff; try again shortly. */
		struct timespec ts10 = {0, 10000000};
		nanosleep(&ts10, NULL);
	}
	GTS_ASSERT(gorums_node_connected(n));
	GTS_EQ(gorums_mgr_pending(m), 0);
	gorums_mgr_close(m);
	ts_close(&ts);
	gts_latch_fini(&blocked);
	gts_latch_fini(&unblock);
	rmdir(dir);
}

/* ---- closing the manager fails pending calls at once ---------------- */

static void
test_transport_close_pending(void)
{
	test_server        ts = {0};
	gorums_mgr        *m;
	gorums_node       *n;
	gorums_call       *c;
	gts_latch          blocked, unblock;
	Gorums__Test__Echo req = GORUMS__TEST__ECHO__INIT;

	ts_start(&ts, "tcp://127.0.0.1:0");
	gts_latch_init(&blocked, 1);
	gts_latch_init(&unblock, 1);
	ts.blocked = &blocked;
	ts.unblock = &unblock;
	GTS_PASS(gorums_mgr_open(&m, NULL));
	GTS_PASS(gorums_mgr_add_node(m, ts.url, &n));
	GTS_PASS(gorums_rpc_async(n, M_BLOCK, &req.base,
	                          &gorums__test__echo__descriptor, WAIT_MS,
	                          NULL, NULL, &c));
	GTS_ASSERT(gts_latch_wait(&blocked, WAIT_MS));
	gorums_mgr_close(m);
	GTS_FAIL(gorums_call_wait(c), GORUMS_ECLOSED);
	gorums_call_free(c);
	gts_latch_count_down(&unblock);
	ts_close(&ts);
	gts_latch_fini(&blocked);
	gts_latch_fini(&unblock);
}

/* ---- nothing left behind ------------------------------------------- */

static int
thread_count(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char  line[256];
	int   n = -1;

	GTS_ASSERT(f != NULL);
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "Threads:", 8) == 0) {
			n = atoi(line + 8);
		}
	}
	fclose(f);
	return (n);
}

/* serve_once runs a server and a manager through one call, closes both and
 * ends the runtime with gorums_fini. */
static void
serve_once(int before)
{
	test_server  ts = {0};
	gorums_mgr  *m;
	gorums_node *n;

	ts_start(&ts, "tcp://127.0.0.1:0");
	GTS_PASS(gorums_mgr_open(&m, NULL));
	GTS_PASS(gorums_mgr_add_node(m, ts.url, &n));
	echo_rpc(n, 1, WAIT_MS, GORUMS_OK);
	GTS_ASSERT(thread_count() > before);
	GTS_EQ(gorums_mgr_pending(m), 0);
	gorums_mgr_close(m);
	ts_close(&ts);
	gorums_fini();
}

static void
test_transport_no_threads_left(void)
{
	/* After gorums_fini, closing everything leaves exactly the threads
	 * there were before. nng keeps its own, started by the first use
	 * of nng: a first round makes sure they exist (also when this test
	 * runs alone), the second is measured. */
	serve_once(0);
	int before = thread_count();
	serve_once(before);
	GTS_EQ(thread_count(), before);
}

/* ---- a completion callback has returned once wait returns ----------- */

static void
slow_cb(gorums_call *c, void *arg)
{
	struct timespec ts = {0, 20000000};

	/* The result is readable in the callback already. */
	GTS_PASS(gorums_call_result(c, NULL));
	nanosleep(&ts, NULL); /* a slow callback, on purpose */
	atomic_store((atomic_int *) arg, 1);
}

static void
test_transport_callback_before_wait(void)
{
	test_server        ts = {0};
	gorums_mgr        *m;
	gorums_node       *n;
	gorums_call       *c;
	atomic_int         flag = 0;
	Gorums__Test__Echo req  = GORUMS__TEST__ECHO__INIT;

	ts_start(&ts, "tcp://127.0.0.1:0");
	GTS_PASS(gorums_mgr_open(&m, NULL));
	GTS_PASS(gorums_mgr_add_node(m, ts.url, &n));
	GTS_PASS(gorums_rpc_async(n, M_ECHO, &req.base,
	                          &gorums__test__echo__descriptor, WAIT_MS,
	                          slow_cb, &flag, &c));
	GTS_PASS(gorums_call_wait(c));
	/* Freeing the callback's argument now would be safe. */
	GTS_EQ(atomic_load(&flag), 1);
	gorums_call_free(c);
	gorums_mgr_close(m);
	ts_close(&ts);
}

/* ---- fire and forget is bounded: EAGAIN, not a growing mailbox ------ */

typedef struct hold {
	gts_latch in;      /* the callback runs (the node actor with it) */
	gts_latch release; /* the test lets it return */
} hold;

static void
hold_cb(gorums_call *c, void *arg)
{
	hold *h = arg;

	(void) c;
	gts_latch_count_down(&h->in);
	GTS_ASSERT(gts_latch_wait(&h->release, WAIT_MS));
}

/* post_done: one fire-and-forget post, until it is not refused. */
typedef struct post_arg {
	gorums_node        *n;
	Gorums__Test__Echo *req;
	gorums_err          rv;
} post_arg;

static bool
post_done(void *arg)
{
	post_arg *p = arg;

	p->rv = gorums_unicast(p->n, M_RECORD, &p->req->base, GORUMS_NOWAIT);
	return (p->rv != GORUMS_EAGAIN);
}

/* seen_done: the server recorded 1..n (its positive values), in order. */
typedef struct seen_arg {
	test_server *ts;
	int64_t      n;
} seen_arg;

static bool
seen_done(void *arg)
{
	seen_arg *a    = arg;
	int64_t   next = 1;

	pthread_mutex_lock(&a->ts->mtx);
	for (int i = 0; i < a->ts->nseen; i++) {
		if (a->ts->seen[i] > 0) {
			GTS_EQ(a->ts->seen[i], next); /* in order */
			next++;
		}
	}
	pthread_mutex_unlock(&a->ts->mtx);
	return (next == a->n + 1);
}

static void
test_transport_nowait_bounded(void)
{
	test_server        ts = {0}, ts2 = {0};
	gorums_mgr_opts    o;
	gorums_mgr        *m;
	gorums_node       *n, *both[2];
	gorums_call       *c;
	hold               h;
	Gorums__Test__Echo req = GORUMS__TEST__ECHO__INIT;
	char               text[200];
	int                sent = 0, i;
	gorums_err         rv   = GORUMS_OK;

	memset(text, 'x', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	req.text               = text;
	ts_start(&ts, "tcp://127.0.0.1:0");
	gorums_mgr_opts_init(&o);
	o.send_queue_max   = 4096;
	o.nowait_queue_max = 4096;
	GTS_PASS(gorums_mgr_open(&m, &o));
	GTS_PASS(gorums_mgr_add_node(m, ts.url, &n));
	echo_rpc(n, -1, WAIT_MS, GORUMS_OK); /* connected */
	ts_start(&ts2, "tcp://127.0.0.1:0");
	both[0] = n;
	GTS_PASS(gorums_mgr_add_node(m, ts2.url, &both[1]));
	echo_rpc(both[1], -1, WAIT_MS, GORUMS_OK);

	/* The reply's callback runs inside the node actor's run (a test may
	 * block there; real callbacks must not): while it waits, the actor
	 * takes nothing from its mailbox. */
	gts_latch_init(&h.in, 1);
	gts_latch_init(&h.release, 1);
	req.value = -1; /* echoes record too: negative, unlike the posts */
	GTS_PASS(gorums_rpc_async(n, M_ECHO, &req.base,
	                          &gorums__test__echo__descriptor, WAIT_MS,
	                          hold_cb, &h, &c));
	GTS_ASSERT(gts_latch_wait(&h.in, WAIT_MS));
	for (i = 0; i < 1000; i++) {
		req.value = i + 1;
		if ((rv = gorums_unicast(n, M_RECORD, &req.base,
		                         GORUMS_NOWAIT)) != GORUMS_OK) {
			break;
		}
		sent++;
	}
	GTS_FAIL(rv, GORUMS_EAGAIN);
	/* About nowait_queue_max bytes (frames of ~230 bytes and their
	 * messages) were taken, not all 1000 frames. */
	GTS_ASSERT(sent >= 4096 / 512 && sent <= 4096 / 200 + 1);
	/* A multicast that one full node refuses reaches no node at all, so
	 * a retry duplicates nothing. */
	req.value = 1000;
	GTS_FAIL(gorums_multicast(both, 2, M_RECORD, &req.base, GORUMS_NOWAIT),
	         GORUMS_EAGAIN);
	gts_latch_count_down(&h.release);
	GTS_PASS(gorums_call_wait(c));
	gorums_call_free(c);

	/* Sending works again once the node actor has taken what waited
	 * (it runs on after the callback returned). */
	post_arg pa = {n, &req, GORUMS_EAGAIN};
	req.value   = sent + 1;
	GTS_ASSERT(gts_poll(post_done, &pa, WAIT_MS));
	GTS_PASS(pa.rv);
	/* Taken ones are delivered, in order. Wait until the server has them
	 * all (a call now could still find the stream's queue over
	 * send_queue_max and get EAGAIN). */
	seen_arg sa = {&ts, sent + 1};
	GTS_ASSERT(gts_poll(seen_done, &sa, WAIT_MS));
	/* The second server saw only its echo (value -1), not the refused
	 * multicast: an RPC behind it is handled after it would have been. */
	echo_rpc(both[1], -1, WAIT_MS, GORUMS_OK);
	pthread_mutex_lock(&ts2.mtx);
	GTS_EQ(ts2.nseen, 2);
	GTS_EQ(ts2.seen[0], -1);
	GTS_EQ(ts2.seen[1], -1);
	pthread_mutex_unlock(&ts2.mtx);
	echo_rpc(n, -1, WAIT_MS, GORUMS_OK);

	/* A frame larger than the bound is taken whenever nothing is
	 * queued: larger messages go one at a time, never fail for ever. */
	Gorums__Test__Echo big = GORUMS__TEST__ECHO__INIT;
	ProtobufCMessage  *rep = NULL;
	char              *str = malloc(16384);
	GTS_ASSERT(str != NULL);
	memset(str, 'y', 16383);
	str[16383] = '\0';
	big.text   = str;
	big.value  = -2;
	GTS_PASS(gorums_rpc(n, M_ECHO, &big.base,
	                    &gorums__test__echo__descriptor, WAIT_MS, &rep));
	GTS_EQ(strlen(((Gorums__Test__Echo *) rep)->text), 16383);
	protobuf_c_message_free_unpacked(rep, NULL);
	GTS_PASS(gorums_unicast(n, M_RECORD, &big.base, 0));
	free(str);
	GTS_EQ(gorums_mgr_pending(m), 0);
	gorums_mgr_close(m);
	ts_close(&ts);
	ts_close(&ts2);
	gts_latch_fini(&h.in);
	gts_latch_fini(&h.release);
}

/* ---- fire and forget into a stream that does not drain -------------- */

/*
 * peer_read_frames reads frames from c (a raw peer) until n one-way frames
 * came, and checks that their values are 0, 1, ..., n - 1.
 */
static void
peer_read_frames(tc_client *c, int n)
{
	for (int got = 0; got < n; got++) {
		gri_wire_frame f;
		GTS_PASS(tc_recv(c, &f, WAIT_MS));
		GTS_EQ(f.hdr.kind, GRI_WIRE_ONEWAY);
		Gorums__Test__Echo *e =
		    gorums__test__echo__unpack(NULL, f.payload_len, f.payload);
		GTS_ASSERT(e != NULL);
		GTS_EQ(e->value, got);
		gorums__test__echo__free_unpacked(e, NULL);
	}
}

static bool
connected_done(void *arg)
{
	return (gorums_node_connected(arg));
}

static void
test_transport_nowait_stream_bound(void)
{
	nng_stream_listener *l;
	tc_client            peer;
	nng_aio             *acc;
	gorums_mgr_opts      o;
	gorums_mgr          *m;
	gorums_node         *n;
	Gorums__Test__Echo   req = GORUMS__TEST__ECHO__INIT;
	char                 url[64], text[1024];
	int                  port, sent = 0;
	gorums_err           rv;
	const size_t         bound = 64u << 10;

	/* A peer that accepts and reads nothing: loopback's socket buffers
	 * (a few MiB) fill, then the link's queue; the bound covers it. */
	GTS_EQ(nng_stream_listener_alloc(&l, "tcp://127.0.0.1:0"), 0);
	GTS_EQ(nng_stream_listener_listen(l), 0);
	GTS_EQ(nng_stream_listener_get_int(l, NNG_OPT_TCP_BOUND_PORT, &port),
	       0);
	snprintf(url, sizeof(url), "tcp://127.0.0.1:%d", port);
	GTS_EQ(nng_aio_alloc(&acc, NULL, NULL), 0);
	nng_aio_set_timeout(acc, WAIT_MS);
	nng_stream_listener_accept(l, acc);
	gorums_mgr_opts_init(&o);
	o.nowait_queue_max = bound;
	GTS_PASS(gorums_mgr_open(&m, &o));
	GTS_PASS(gorums_mgr_add_node(m, url, &n));
	memset(text, 'z', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	req.text               = text;
	req.value              = sent;
	GTS_PASS(gorums_unicast(n, M_RECORD, &req.base, GORUMS_NOWAIT));
	sent++;
	nng_aio_wait(acc);
	GTS_EQ(nng_aio_result(acc), 0);
	GTS_PASS(tc_attach(&peer, nng_aio_get_output(acc, 0)));
	GTS_ASSERT(gts_poll(connected_done, n, WAIT_MS));

	/* Post until refused for good: within the socket buffers and the
	 * bound, far below the 256 MiB that would mean the stream's queue
	 * is not counted. A refusal while the node's actor lags behind
	 * passes once it caught up; refusals that last 200 ms do not (the
	 * peer never reads), and with a correct bound they last for ever. */
	uint64_t refused_since = 0;
	for (;;) {
		req.value = sent;
		rv = gorums_unicast(n, M_RECORD, &req.base, GORUMS_NOWAIT);
		if (rv == GORUMS_EAGAIN) {
			uint64_t now = gts_now_ns();
			if (refused_since == 0) {
				refused_since = now;
			} else if (now - refused_since > 200000000u) {
				break;
			}
			sched_yield();
			continue;
		}
		GTS_PASS(rv);
		refused_since = 0;
		sent++;
		GTS_ASSERT((size_t) sent * sizeof(text) < (256u << 20));
	}

	/* The peer reads: everything taken arrives, in order, and posts are
	 * taken again. */
	peer_read_frames(&peer, sent);
	post_arg pa = {n, &req, GORUMS_EAGAIN};
	req.value   = sent;
	GTS_ASSERT(gts_poll(post_done, &pa, WAIT_MS));
	GTS_PASS(pa.rv);
	gorums_mgr_close(m);
	tc_close(&peer);
	nng_aio_free(acc);
	nng_stream_listener_free(l);
}

/* ---- connection metadata -------------------------------------------- */

static size_t
per_node_md(void *arg, uint32_t node_id, gorums_md *out, size_t max)
{
	char(*ids)[16] = arg;

	GTS_ASSERT(max >= 1);
	/* The node's id, as text, in a buffer that lives long enough: the
	 * manager copies it before this returns to it. */
	for (int i = 0; i < 2; i++) {
		if (ids[i][0] == '\0') {
			snprintf(ids[i], sizeof(ids[i]), "%u", node_id);
			out[0] = (gorums_md) {"node", ids[i], strlen(ids[i])};
			return (1);
		}
	}
	return (0);
}

/* too_many_md claims more entries than there is room for (writing none). */
static size_t
too_many_md(void *arg, uint32_t node_id, gorums_md *out, size_t max)
{
	(void) arg;
	(void) node_id;
	(void) out;
	return (max + 1);
}

/* meta_rpc asks the node's server for the value of key it was sent. */
static int64_t
meta_rpc(gorums_node *n, const char *key, char *text, size_t cap)
{
	Gorums__Test__Echo req = GORUMS__TEST__ECHO__INIT;
	ProtobufCMessage  *rep = NULL;
	int64_t            v;

	req.text = (char *) key;
	GTS_PASS(gorums_rpc(n, M_META, &req.base,
	                    &gorums__test__echo__descriptor, WAIT_MS, &rep));
	v = ((Gorums__Test__Echo *) rep)->value;
	if (text != NULL) {
		snprintf(text, cap, "%s", ((Gorums__Test__Echo *) rep)->text);
	}
	protobuf_c_message_free_unpacked(rep, NULL);
	return (v);
}

static void
test_transport_metadata(void)
{
	test_server     ts[2] = {{0}};
	gorums_mgr_opts o;
	gorums_mgr     *m, *plain;
	gorums_node    *n[2], *pn;
	char            ids[2][16] = {{0}}, text[64], want[16];
	char            dir[]      = "/tmp/gorums_md_XXXXXX";
	char            url[300], alpha[] = "alpha";
	const uint8_t   token[] = {0, 1, 2};
	gorums_md       md[]    = {
	             {"client", alpha, 5}, {"token", token, 3}, {"empty", NULL, 0}};

	GTS_ASSERT(mkdtemp(dir) != NULL);
	snprintf(url, sizeof(url), "ipc://%s/s.ipc", dir);
	ts_start(&ts[0], "tcp://127.0.0.1:0");
	ts_start(&ts[1], url);
	gorums_mgr_opts_init(&o);
	o.metadata              = md;
	o.nmetadata             = 3;
	o.per_node_metadata     = per_node_md;
	o.per_node_metadata_arg = ids;
	GTS_PASS(gorums_mgr_open(&m, &o));
	/* Copied: the caller's entries may change or go. */
	alpha[0] = 'X';
	GTS_PASS(gorums_mgr_add_node(m, ts[0].url, &n[0]));
	GTS_PASS(gorums_mgr_add_node(m, ts[1].url, &n[1]));
	for (int i = 0; i < 2; i++) {
		GTS_EQ(meta_rpc(n[i], "client", text, sizeof(text)), 5);
		GTS_ASSERT(strcmp(text, "alpha") == 0);
		GTS_EQ(meta_rpc(n[i], "token", NULL, 0), 3);
		GTS_EQ(meta_rpc(n[i], "empty", NULL, 0), 0);
		GTS_EQ(meta_rpc(n[i], "absent", NULL, 0), -1);
		/* Each node got its own entry. */
		snprintf(want, sizeof(want), "%u", gorums_node_id(n[i]));
		GTS_EQ(meta_rpc(n[i], "node", text, sizeof(text)),
		       (int64_t) strlen(want));
		GTS_ASSERT(strcmp(text, want) == 0);
	}

	/* A new stream says it again: the server restarts, the node
	 * reconnects, the new connection knows the client. */
	ts_close(&ts[1]);
	ts_start(&ts[1], url);
	uint64_t deadline = gts_now_ns() + (uint64_t) WAIT_MS * 1000000u;
	for (;;) {
		Gorums__Test__Echo req = GORUMS__TEST__ECHO__INIT;
		ProtobufCMessage  *rep = NULL;
		req.text               = "client";
		if (gorums_rpc(n[1], M_META, &req.base,
		               &gorums__test__echo__descriptor, WAIT_MS,
		               &rep) == GORUMS_OK) {
			GTS_EQ(((Gorums__Test__Echo *) rep)->value, 5);
			protobuf_c_message_free_unpacked(rep, NULL);
			break;
		}
		GTS_ASSERT(gts_now_ns() < deadline);
		usleep(10000); /* failing fast in the backoff */
	}

	/* A client without metadata: the server finds none. */
	GTS_PASS(gorums_mgr_open(&plain, NULL));
	GTS_PASS(gorums_mgr_add_node(plain, ts[0].url, &pn));
	GTS_EQ(meta_rpc(pn, "client", NULL, 0), -1);
	gorums_mgr_close(plain);
	gorums_mgr_close(m);

	/* Bad metadata is refused up front. */
	gorums_md many[33];
	for (int i = 0; i < 33; i++) {
		many[i] = (gorums_md) {"k", "v", 1};
	}
	o.per_node_metadata = NULL;
	o.metadata          = many;
	o.nmetadata         = 33;
	GTS_FAIL(gorums_mgr_open(&m, &o), GORUMS_EINVAL);
	gorums_md nokey = {NULL, "v", 1};
	o.metadata      = &nokey;
	o.nmetadata     = 1;
	GTS_FAIL(gorums_mgr_open(&m, &o), GORUMS_EINVAL);
	/* A per-node function that claims more than fits. */
	o.metadata          = md;
	o.nmetadata         = 3;
	o.per_node_metadata = too_many_md;
	GTS_PASS(gorums_mgr_open(&m, &o));
	GTS_FAIL(gorums_mgr_add_node(m, ts[0].url, &n[0]), GORUMS_EINVAL);
	GTS_EQ(gorums_mgr_nnodes(m), 0);
	gorums_mgr_close(m);
	ts_close(&ts[0]);
	ts_close(&ts[1]);
	rmdir(dir);
}

gts_test TEST_LIST[] = {
    {"transport order 1 server", test_transport_order_1},
    {"transport order 3 servers", test_transport_order_3},
    {"transport order 9 servers", test_transport_order_9},
    {"transport errors", test_transport_errors},
    {"transport server killed", test_transport_server_killed},
    {"transport close pending", test_transport_close_pending},
    {"transport callback before wait", test_transport_callback_before_wait},
    {"transport nowait bounded", test_transport_nowait_bounded},
    {"transport nowait stream bound", test_transport_nowait_stream_bound},
    {"transport metadata", test_transport_metadata},
    {"transport no threads left", test_transport_no_threads_left},
    {NULL, NULL},
};
