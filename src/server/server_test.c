/*
 * server_test: the server end to end over real sockets (127.0.0.1 port 0
 * and ipc:// in a temporary directory), driven by a raw client that speaks
 * frames (test_client.h): echo, ordering of 1000 requests, release letting
 * requests overlap, 64 connections with blocking handlers, every error
 * answer, malformed frames, one-way requests (and a long run of them, in
 * order), late answers, graceful and immediate stop, close with handlers
 * blocked, and a connection with an endless backlog making way for
 * others when the handler threads are all taken. Leaks show under
 * --config=asan, races under --config=tsan.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gorums/server.h"
#include "src/server/test_client.h"
#include "tests/harness/harness.h"
#include "tests/harness/latch.h"
#include "tests/proto/echo.pb-c.h"

#define WAIT_MS 10000

enum {
	M_ECHO   = 1, /* reply with the request */
	M_FAIL   = 2, /* return an error without answering */
	M_SLEEP  = 3, /* text "release": release first; sleep value ms; echo */
	M_ONEWAY = 4, /* count */
	M_ORDER  = 5, /* check value is the next expected one; echo */
	M_LATER  = 6, /* hand the ctx to the test, return without answering */
	M_TWICE  = 7, /* reply twice: the second must fail */
	M_NONE   = 999,
};

/* ---- handlers -------------------------------------------------------------
 */

/* Set by tests before the server runs, or atomics. */
static gts_latch  *sleep_started; /* counted down by M_SLEEP on entry */
static atomic_int  sleep_running;
static atomic_int  sleep_max_running;
static atomic_int  sleep_done;
static atomic_int  oneway_count;
static gts_latch  *oneway_done;
static long        order_next; /* M_ORDER only: the gate serialises them */
static bool        order_ok;
static gts_latch  *later_ready;
static gorums_ctx *later_ctx; /* published by the later_ready latch */
static atomic_int  twice_second_rv;

static gorums_err
echo_reply(gorums_ctx *ctx, const Gorums__Test__Echo *e)
{
	Gorums__Test__Echo out = GORUMS__TEST__ECHO__INIT;

	out.text  = e->text;
	out.value = e->value;
	out.blob  = e->blob;
	return (gorums_ctx_reply(ctx, &out.base));
}

static gorums_err
h_echo(gorums_ctx *ctx, const ProtobufCMessage *req, void *arg)
{
	(void) arg;
	GTS_EQ(gorums_ctx_method(ctx), M_ECHO);
	GTS_ASSERT(!gorums_ctx_oneway(ctx));
	return (echo_reply(ctx, (const Gorums__Test__Echo *) req));
}

static gorums_err
h_fail(gorums_ctx *ctx, const ProtobufCMessage *req, void *arg)
{
	(void) ctx;
	(void) req;
	(void) arg;
	return (GORUMS_EINVAL);
}

static gorums_err
h_sleep(gorums_ctx *ctx, const ProtobufCMessage *req, void *arg)
{
	const Gorums__Test__Echo *e = (const Gorums__Test__Echo *) req;
	int                       n, m;

	(void) arg;
	if (strcmp(e->text, "release") == 0) {
		gorums_ctx_release(ctx);
		gorums_ctx_release(ctx); /* idempotent */
	}
	n = atomic_fetch_add(&sleep_running, 1) + 1;
	while ((m = atomic_load(&sleep_max_running)) < n &&
	       !atomic_compare_exchange_weak(&sleep_max_running, &m, n)) { }
	if (sleep_started != NULL) {
		gts_latch_count_down(sleep_started);
	}
	tc_sleep_ms((int) e->value);
	atomic_fetch_sub(&sleep_running, 1);
	atomic_fetch_add(&sleep_done, 1);
	return (echo_reply(ctx, e));
}

static gorums_err
h_oneway(gorums_ctx *ctx, const ProtobufCMessage *req, void *arg)
{
	(void) req;
	(void) arg;
	GTS_ASSERT(gorums_ctx_oneway(ctx));
	/* Answers to a one-way request are accepted and go nowhere. */
	GTS_PASS(gorums_ctx_reply(ctx, NULL));
	atomic_fetch_add(&oneway_count, 1);
	if (oneway_done != NULL) {
		gts_latch_count_down(oneway_done);
	}
	return (GORUMS_OK);
}

static gorums_err
h_order(gorums_ctx *ctx, const ProtobufCMessage *req, void *arg)
{
	const Gorums__Test__Echo *e = (const Gorums__Test__Echo *) req;

	(void) arg;
	/* A plain variable on purpose: successive handlers run on different
	 * threads, and the gate must order them (TSan checks that). */
	if (e->value != order_next) {
		order_ok = false;
	}
	order_next = e->value + 1;
	return (echo_reply(ctx, e));
}

static gorums_err
h_later(gorums_ctx *ctx, const ProtobufCMessage *req, void *arg)
{
	(void) req;
	(void) arg;
	later_ctx = ctx;
	gts_latch_count_down(later_ready);
	return (GORUMS_OK);
}

static gorums_err
h_twice(gorums_ctx *ctx, const ProtobufCMessage *req, void *arg)
{
	gorums_err rv;

	(void) arg;
	if ((rv = echo_reply(ctx, (const Gorums__Test__Echo *) req)) !=
	    GORUMS_OK) {
		return (rv);
	}
	atomic_store(&twice_second_rv,
	             (int) echo_reply(ctx, (const Gorums__Test__Echo *) req));
	atomic_store(&twice_second_rv,
	             atomic_load(&twice_second_rv) * 1000 +
	                 (int) gorums_ctx_error(ctx, GORUMS_EINVAL));
	return (GORUMS_OK);
}

/* ---- helpers ------------------------------------------------------------ */

static void
reset_state(void)
{
	sleep_started = NULL;
	atomic_store(&sleep_running, 0);
	atomic_store(&sleep_max_running, 0);
	atomic_store(&sleep_done, 0);
	atomic_store(&oneway_count, 0);
	oneway_done = NULL;
	order_next  = 0;
	order_ok    = true;
	later_ready = NULL;
	later_ctx   = NULL;
	atomic_store(&twice_second_rv, -1);
}

/* server_start opens a server with every test method and listens on url. */
static gorums_server *
server_start(const char *url, char *bound, size_t len,
             const gorums_server_opts *o)
{
	const ProtobufCMessageDescriptor *d = &gorums__test__echo__descriptor;
	gorums_server                    *s;

	reset_state();
	GTS_PASS(gorums_server_open(&s, o));
	GTS_PASS(gorums_server_register(s, M_ECHO, d, h_echo, NULL));
	GTS_PASS(gorums_server_register(s, M_FAIL, d, h_fail, NULL));
	GTS_PASS(gorums_server_register(s, M_SLEEP, d, h_sleep, NULL));
	GTS_PASS(gorums_server_register(s, M_ONEWAY, d, h_oneway, NULL));
	GTS_PASS(gorums_server_register(s, M_ORDER, d, h_order, NULL));
	GTS_PASS(gorums_server_register(s, M_LATER, d, h_later, NULL));
	GTS_PASS(gorums_server_register(s, M_TWICE, d, h_twice, NULL));
	GTS_PASS(gorums_server_listen(s, url));
	GTS_PASS(gorums_server_url(s, 0, bound, len));
	return (s);
}

/*
 * A server with every test method on a port of its own, and one client
 * connected to it: what most tests start from. fixture_finish closes the
 * client first, then the server; tests that close the server under a
 * connected client tear down themselves.
 */
typedef struct fixture {
	gorums_server *s;
	char           url[128];
	tc_client      c;
} fixture;

static void
fixture_start(fixture *f)
{
	f->s = server_start("tcp://127.0.0.1:0", f->url, sizeof(f->url), NULL);
	GTS_PASS(tc_dial(&f->c, f->url, WAIT_MS));
}

static void
fixture_finish(fixture *f)
{
	tc_close(&f->c);
	gorums_server_close(f->s);
}

/* call sends a two-way request: almost every send here is one. */
static void
call(tc_client *c, uint32_t id, uint32_t method, const char *text,
     int64_t value)
{
	GTS_PASS(tc_send_echo(c, GRI_WIRE_REQUEST, id, method, text, value));
}

/* expect_reply receives the next frame: a reply to id echoing value. */
static void
expect_reply(tc_client *c, uint32_t id, uint32_t method, int64_t value)
{
	gri_wire_frame      f;
	Gorums__Test__Echo *e;

	GTS_PASS(tc_recv(c, &f, WAIT_MS));
	GTS_EQ(f.hdr.kind, GRI_WIRE_REPLY);
	GTS_EQ(f.hdr.msg_id, id);
	GTS_EQ(f.hdr.method_id, method);
	GTS_EQ(f.hdr.status, 0);
	e = gorums__test__echo__unpack(NULL, f.payload_len, f.payload);
	GTS_ASSERT(e != NULL);
	GTS_EQ(e->value, value);
	gorums__test__echo__free_unpacked(e, NULL);
}

static void
expect_error(tc_client *c, uint32_t id, uint32_t method, gorums_err status)
{
	gri_wire_frame f;

	GTS_PASS(tc_recv(c, &f, WAIT_MS));
	GTS_EQ(f.hdr.kind, GRI_WIRE_ERROR);
	GTS_EQ(f.hdr.msg_id, id);
	GTS_EQ(f.hdr.method_id, method);
	GTS_EQ(f.hdr.status, status);
	GTS_EQ(f.payload_len, 0);
}

/* expect_silence: nothing arrives within ms. */
static void
expect_silence(tc_client *c, int ms)
{
	gri_wire_frame f;

	GTS_FAIL(tc_recv(c, &f, ms), GORUMS_ETIMEDOUT);
}

typedef struct nconns_arg {
	gorums_server *s;
	size_t         n;
} nconns_arg;

static bool
nconns_done(void *arg)
{
	nconns_arg *a = arg;

	return (gorums_server_nconns(a->s) == a->n);
}

/* wait_nconns waits for the server to count n connections. */
static void
wait_nconns(gorums_server *s, size_t n)
{
	nconns_arg a = {s, n};

	GTS_ASSERT(gts_poll(nconns_done, &a, WAIT_MS));
}

static double
ms_since(uint64_t t0)
{
	return ((double) (gts_now_ns() - t0) / 1e6);
}

/* ---- tests ------------------------------------------------------------- */

static void
test_echo_tcp(void)
{
	fixture        f;
	gri_wire_frame fr;

	fixture_start(&f);
	GTS_ASSERT(strncmp(f.url, "tcp://127.0.0.1:", 16) == 0);
	GTS_ASSERT(atoi(f.url + 16) > 0);

	Gorums__Test__Echo e       = GORUMS__TEST__ECHO__INIT;
	uint8_t            blob[3] = {1, 2, 3};
	e.text                     = "hello";
	e.value                    = 42;
	e.blob.data                = blob;
	e.blob.len                 = sizeof(blob);
	GTS_PASS(tc_send(&f.c, GRI_WIRE_REQUEST, 7, M_ECHO, &e.base));
	GTS_PASS(tc_recv(&f.c, &fr, WAIT_MS));
	GTS_EQ(fr.hdr.kind, GRI_WIRE_REPLY);
	GTS_EQ(fr.hdr.msg_id, 7);
	GTS_EQ(fr.hdr.method_id, M_ECHO);
	GTS_EQ(fr.hdr.status, 0);
	Gorums__Test__Echo *r =
	    gorums__test__echo__unpack(NULL, fr.payload_len, fr.payload);
	GTS_ASSERT(r != NULL);
	GTS_ASSERT(strcmp(r->text, "hello") == 0);
	GTS_EQ(r->value, 42);
	GTS_EQ(r->blob.len, 3);
	GTS_EQ(r->blob.data[2], 3);
	gorums__test__echo__free_unpacked(r, NULL);
	GTS_EQ(gorums_server_nconns(f.s), 1);

	tc_close(&f.c);
	wait_nconns(f.s, 0);
	gorums_server_close(f.s);
}

static void
test_echo_ipc(void)
{
	char           dir[] = "/tmp/gorums-srv-XXXXXX";
	char           path[128], listen[160], url[160];
	gorums_server *s;
	tc_client      c;

	GTS_ASSERT(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/s.ipc", dir);
	snprintf(listen, sizeof(listen), "ipc://%s", path);
	s = server_start(listen, url, sizeof(url), NULL);
	GTS_ASSERT(strcmp(url, listen) == 0);
	GTS_PASS(tc_dial(&c, url, WAIT_MS));
	call(&c, 1, M_ECHO, "ipc", 5);
	expect_reply(&c, 1, M_ECHO, 5);
	tc_close(&c);
	gorums_server_close(s);
	(void) unlink(path);
	GTS_EQ(rmdir(dir), 0);
}

#define NORDER 1000

static void
order_1000(const gorums_server_opts *o)
{
	char           url[128];
	gorums_server *s =
	    server_start("tcp://127.0.0.1:0", url, sizeof(url), o);
	tc_client c;

	GTS_PASS(tc_dial(&c, url, WAIT_MS));
	/* All in flight at once: the server queues them behind the gate. */
	for (int i = 0; i < NORDER; i++) {
		call(&c, (uint32_t) i + 1, M_ORDER, "o", i);
	}
	for (int i = 0; i < NORDER; i++) {
		expect_reply(&c, (uint32_t) i + 1, M_ORDER, i);
	}
	tc_close(&c);
	gorums_server_close(s);
	/* The handlers are joined: their writes are visible. */
	GTS_ASSERT(order_ok);
	GTS_EQ(order_next, NORDER);
}

static void
test_order_1000(void)
{
	order_1000(NULL);
}

/* Inline handlers (on the actor threads) keep the same order. */
static void
test_order_1000_inline(void)
{
	gorums_server_opts o;

	gorums_server_opts_init(&o);
	o.inline_handlers = true;
	order_1000(&o);
}

/* run_sleepers sends n M_SLEEP requests of ms each on one connection and
 * returns the milliseconds until every reply came. */
static double
run_sleepers(bool release, int n, int ms)
{
	fixture  f;
	uint64_t t0;
	double   el;
	bool     seen[16] = {false};

	fixture_start(&f);
	GTS_ASSERT(n <= 16);
	t0 = gts_now_ns();
	for (int i = 0; i < n; i++) {
		call(&f.c, (uint32_t) i + 1, M_SLEEP, release ? "release" : "",
		     ms);
	}
	for (int i = 0; i < n; i++) {
		gri_wire_frame fr;
		GTS_PASS(tc_recv(&f.c, &fr, WAIT_MS));
		GTS_EQ(fr.hdr.kind, GRI_WIRE_REPLY);
		GTS_ASSERT(fr.hdr.msg_id >= 1 &&
		           fr.hdr.msg_id <= (uint32_t) n);
		GTS_ASSERT(!seen[fr.hdr.msg_id - 1]);
		seen[fr.hdr.msg_id - 1] = true;
		/* Without release the replies come in order too. */
		if (!release) {
			GTS_EQ(fr.hdr.msg_id, i + 1);
		}
	}
	el = ms_since(t0);
	fixture_finish(&f);
	return (el);
}

static void
test_release_overlaps(void)
{
	double el = run_sleepers(true, 8, 100);

	printf("     8 x 100 ms with release: %.1f ms, %d at once\n", el,
	       atomic_load(&sleep_max_running));
	GTS_ASSERT(el < 400.0);
	GTS_ASSERT(atomic_load(&sleep_max_running) >= 2);
}

static void
test_no_release_serializes(void)
{
	double el = run_sleepers(false, 4, 50);

	printf("     4 x 50 ms without release: %.1f ms\n", el);
	GTS_ASSERT(el >= 200.0);
	GTS_EQ(atomic_load(&sleep_max_running), 1);
}

#define NONEWAY 10000

static void
test_oneway_order(void)
{
	fixture f;

	fixture_start(&f);
	/* A long run of one-way requests, then a two-way one: all handled
	 * in order (M_ORDER's plain variable lets TSan check that each
	 * handler saw the previous one's writes). */
	for (int i = 0; i < NONEWAY; i++) {
		GTS_PASS(tc_send_echo(&f.c, GRI_WIRE_ONEWAY, (uint32_t) i + 1,
		                      M_ORDER, "o", i));
	}
	call(&f.c, NONEWAY + 1, M_ORDER, "o", NONEWAY);
	expect_reply(&f.c, NONEWAY + 1, M_ORDER, NONEWAY);
	expect_silence(&f.c, 20);
	fixture_finish(&f);
	GTS_ASSERT(order_ok);
	GTS_EQ(order_next, NONEWAY + 1);
}

#define NFAIR 300

static void
test_backlog_makes_way(void)
{
	char               url[128];
	gorums_server_opts o;
	gorums_server     *s;
	tc_client          a, b;
	int                done;

	/* One handler thread only. Connection a queues NFAIR requests of
	 * 1 ms each; b's request must not wait for all of them: a's
	 * runner makes way every batch when others wait for the thread. */
	gorums_server_opts_init(&o);
	o.max_handlers = 1;
	s = server_start("tcp://127.0.0.1:0", url, sizeof(url), &o);
	GTS_PASS(tc_dial(&a, url, WAIT_MS));
	GTS_PASS(tc_dial(&b, url, WAIT_MS));
	for (int i = 0; i < NFAIR; i++) {
		call(&a, (uint32_t) i + 1, M_SLEEP, "", 1);
	}
	expect_reply(&a, 1, M_SLEEP, 1); /* a's runner is under way */
	call(&b, 1, M_ECHO, "b", 7);
	expect_reply(&b, 1, M_ECHO, 7);
	done = atomic_load(&sleep_done);
	printf("     b answered after %d of a's %d requests\n", done, NFAIR);
	GTS_ASSERT(done < NFAIR);
	for (int i = 1; i < NFAIR; i++) {
		expect_reply(&a, (uint32_t) i + 1, M_SLEEP, 1);
	}
	GTS_EQ(atomic_load(&sleep_max_running), 1);
	tc_close(&a);
	tc_close(&b);
	gorums_server_close(s);
}

#define NCONNS 64

static void
test_64_connections(void)
{
	char           url[128];
	gorums_server *s =
	    server_start("tcp://127.0.0.1:0", url, sizeof(url), NULL);
	static tc_client c[NCONNS];
	uint64_t         t0;
	double           el;

	for (int i = 0; i < NCONNS; i++) {
		GTS_PASS(tc_dial(&c[i], url, WAIT_MS));
	}
	t0 = gts_now_ns();
	for (int i = 0; i < NCONNS; i++) {
		call(&c[i], 1, M_SLEEP, "release", 50);
	}
	for (int i = 0; i < NCONNS; i++) {
		expect_reply(&c[i], 1, M_SLEEP, 50);
	}
	el = ms_since(t0);
	printf("     64 connections x 50 ms: %.1f ms, %d at once\n", el,
	       atomic_load(&sleep_max_running));
	/* Serial would take 3200 ms; leave room for sanitizers and load. */
	GTS_ASSERT(el < NCONNS * 50 / 2);
	for (int i = 0; i < NCONNS; i++) {
		tc_close(&c[i]);
	}
	gorums_server_close(s);
}

static void
test_unknown_method(void)
{
	fixture f;

	fixture_start(&f);
	call(&f.c, 1, M_NONE, "?", 0);
	expect_error(&f.c, 1, M_NONE, GORUMS_EUNKNOWNMETHOD);
	/* The connection goes on, and answers keep their order. */
	call(&f.c, 2, M_ECHO, "a", 2);
	call(&f.c, 3, M_NONE, "?", 3);
	call(&f.c, 4, M_ECHO, "b", 4);
	expect_reply(&f.c, 2, M_ECHO, 2);
	expect_error(&f.c, 3, M_NONE, GORUMS_EUNKNOWNMETHOD);
	expect_reply(&f.c, 4, M_ECHO, 4);
	fixture_finish(&f);
}

static void
test_undecodable_payload(void)
{
	fixture f;
	/* Field 1 (text) announces 5 bytes; one follows. */
	const uint8_t bad[] = {0x0a, 0x05, 'a'};

	fixture_start(&f);
	call(&f.c, 1, M_ECHO, "before", 1);
	GTS_PASS(tc_send_payload(&f.c, GRI_WIRE_REQUEST, 2, M_ECHO, bad,
	                         sizeof(bad)));
	call(&f.c, 3, M_ECHO, "after", 3);
	expect_reply(&f.c, 1, M_ECHO, 1);
	expect_error(&f.c, 2, M_ECHO, GORUMS_EDECODE);
	expect_reply(&f.c, 3, M_ECHO, 3);
	/* An empty payload is a valid (default) message. */
	GTS_PASS(tc_send_payload(&f.c, GRI_WIRE_REQUEST, 4, M_ECHO, NULL, 0));
	expect_reply(&f.c, 4, M_ECHO, 0);
	fixture_finish(&f);
}

static void
test_malformed_frame(void)
{
	char           url[128];
	gorums_server *s =
	    server_start("tcp://127.0.0.1:0", url, sizeof(url), NULL);
	tc_client    a, b, c;
	uint8_t      frame[GRI_WIRE_HDR_SIZE];
	gri_wire_hdr h = {
	    .kind = GRI_WIRE_REQUEST, .msg_id = 1, .method_id = M_ECHO};
	size_t n;

	GTS_PASS(tc_dial(&a, url, WAIT_MS));
	GTS_PASS(tc_dial(&b, url, WAIT_MS));
	GTS_PASS(tc_dial(&c, url, WAIT_MS));
	wait_nconns(s, 3);

	/* a: a bad version byte. */
	GTS_PASS(gri_wire_encode_header(&h, NULL, 0,
	                                GRI_WIRE_MAX_FRAME_DEFAULT, frame,
	                                sizeof(frame), &n));
	frame[4] = 9;
	GTS_PASS(tc_send_raw(&a, frame, n, WAIT_MS));
	GTS_ASSERT(tc_closed(&a, WAIT_MS));

	/* c: a length far over max_frame. */
	frame[0] = 0x7f;
	frame[4] = GRI_WIRE_VERSION;
	GTS_PASS(tc_send_raw(&c, frame, n, WAIT_MS));
	GTS_ASSERT(tc_closed(&c, WAIT_MS));

	/* b did not notice. */
	call(&b, 1, M_ECHO, "b", 11);
	expect_reply(&b, 1, M_ECHO, 11);
	wait_nconns(s, 1);
	tc_close(&a);
	tc_close(&b);
	tc_close(&c);
	gorums_server_close(s);
}

static void
test_small_max_frame(void)
{
	char               url[128];
	gorums_server_opts o;
	gorums_server     *s;
	tc_client          c;
	char               big[300];

	gorums_server_opts_init(&o);
	o.max_frame = 256;
	s           = server_start("tcp://127.0.0.1:0", url, sizeof(url), &o);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	GTS_PASS(tc_dial(&c, url, WAIT_MS));
	call(&c, 1, M_ECHO, "small", 1);
	expect_reply(&c, 1, M_ECHO, 1);
	call(&c, 2, M_ECHO, big, 2);
	GTS_ASSERT(tc_closed(&c, WAIT_MS));
	tc_close(&c);
	gorums_server_close(s);
}

static void
test_handler_error(void)
{
	fixture f;

	fixture_start(&f);
	call(&f.c, 1, M_FAIL, "x", 0);
	expect_error(&f.c, 1, M_FAIL, GORUMS_EHANDLER);
	call(&f.c, 2, M_ECHO, "y", 2);
	expect_reply(&f.c, 2, M_ECHO, 2);
	fixture_finish(&f);
}

static void
test_oneway(void)
{
	fixture   f;
	gts_latch done;

	fixture_start(&f);
	gts_latch_init(&done, 2);
	oneway_done = &done;
	GTS_PASS(tc_send_echo(&f.c, GRI_WIRE_ONEWAY, 1, M_ONEWAY, "1", 1));
	GTS_PASS(tc_send_echo(&f.c, GRI_WIRE_ONEWAY, 2, M_NONE, "nobody", 2));
	GTS_PASS(tc_send_echo(&f.c, GRI_WIRE_ONEWAY, 3, M_ONEWAY, "3", 3));
	call(&f.c, 4, M_ECHO, "two-way", 4);
	/* The first answer is the two-way one: the one-ways got none. */
	expect_reply(&f.c, 4, M_ECHO, 4);
	GTS_ASSERT(gts_latch_wait(&done, WAIT_MS));
	GTS_EQ(atomic_load(&oneway_count), 2);
	expect_silence(&f.c, 50);
	fixture_finish(&f);
	gts_latch_fini(&done);
}

static void
test_late_reply(void)
{
	fixture   f;
	gts_latch ready;

	fixture_start(&f);
	gts_latch_init(&ready, 1);
	later_ready = &ready;
	call(&f.c, 1, M_LATER, "later", 1);
	call(&f.c, 2, M_ECHO, "now", 2);
	GTS_ASSERT(gts_latch_wait(&ready, WAIT_MS));
	/* The handler returned: the gate is open, request 2 is served. */
	expect_reply(&f.c, 2, M_ECHO, 2);
	Gorums__Test__Echo e = GORUMS__TEST__ECHO__INIT;
	e.value              = 1;
	GTS_PASS(gorums_ctx_reply(later_ctx, &e.base));
	expect_reply(&f.c, 1, M_LATER, 1);
	fixture_finish(&f);
	gts_latch_fini(&ready);
}

static void
test_late_reply_after_close(void)
{
	fixture   f;
	gts_latch ready;

	fixture_start(&f);
	gts_latch_init(&ready, 1);
	later_ready = &ready;
	call(&f.c, 1, M_LATER, "later", 1);
	GTS_ASSERT(gts_latch_wait(&ready, WAIT_MS));
	fixture_finish(&f);
	/* The server is gone; the answer is dropped, and it frees what the
	 * ctx held on to (ASan checks). */
	Gorums__Test__Echo e = GORUMS__TEST__ECHO__INIT;
	GTS_PASS(gorums_ctx_reply(later_ctx, &e.base));
	gts_latch_fini(&ready);
}

static void
test_reply_twice(void)
{
	fixture f;

	fixture_start(&f);
	call(&f.c, 1, M_TWICE, "t", 1);
	call(&f.c, 2, M_ECHO, "e", 2);
	expect_reply(&f.c, 1, M_TWICE, 1);
	expect_reply(&f.c, 2, M_ECHO, 2);
	/* Both later answers were refused. */
	GTS_EQ(atomic_load(&twice_second_rv),
	       GORUMS_ESTATE * 1000 + GORUMS_ESTATE);
	fixture_finish(&f);
}

static void
test_graceful_stop(void)
{
	fixture   f;
	gts_latch started;
	bool      got_reply = false, got_stopped = false;

	fixture_start(&f);
	gts_latch_init(&started, 1);
	sleep_started = &started;
	call(&f.c, 1, M_SLEEP, "", 200);
	call(&f.c, 2, M_ECHO, "queued", 2);
	GTS_ASSERT(gts_latch_wait(&started, WAIT_MS));
	GTS_EQ(atomic_load(&sleep_running), 1);
	gorums_server_stop(f.s, true);
	/* It waited for the handler that had started. */
	GTS_EQ(atomic_load(&sleep_running), 0);
	GTS_EQ(gorums_server_nconns(f.s), 0);
	for (int i = 0; i < 2; i++) {
		gri_wire_frame fr;
		GTS_PASS(tc_recv(&f.c, &fr, WAIT_MS));
		if (fr.hdr.msg_id == 1) {
			GTS_EQ(fr.hdr.kind, GRI_WIRE_REPLY);
			got_reply = true;
		} else {
			GTS_EQ(fr.hdr.msg_id, 2);
			GTS_EQ(fr.hdr.kind, GRI_WIRE_ERROR);
			GTS_EQ(fr.hdr.status, GORUMS_ESTOPPED);
			got_stopped = true;
		}
	}
	GTS_ASSERT(got_reply && got_stopped);
	GTS_ASSERT(tc_closed(&f.c, WAIT_MS));
	gorums_server_stop(f.s, true); /* idempotent */
	GTS_FAIL(gorums_server_listen(f.s, "tcp://127.0.0.1:0"),
	         GORUMS_ECLOSED);
	fixture_finish(&f);
	gts_latch_fini(&started);
}

static void
test_immediate_stop(void)
{
	fixture   f;
	tc_client late;
	gts_latch started;

	fixture_start(&f);
	gts_latch_init(&started, 1);
	sleep_started = &started;
	call(&f.c, 1, M_SLEEP, "", 300);
	GTS_ASSERT(gts_latch_wait(&started, WAIT_MS));
	gorums_server_stop(f.s, false);
	/* It did not wait for the handler (which sleeps 300 ms). */
	GTS_EQ(atomic_load(&sleep_running), 1);
	GTS_EQ(gorums_server_nconns(f.s), 0);
	GTS_ASSERT(tc_closed(&f.c, WAIT_MS)); /* no reply */
	/* Nobody accepts any more. */
	GTS_ASSERT(tc_dial(&late, f.url, 1000) != GORUMS_OK);
	gorums_server_close(f.s); /* joins the handler; its reply is dropped */
	GTS_EQ(atomic_load(&sleep_running), 0);
	tc_close(&f.c);
	gts_latch_fini(&started);
}

static void *
graceful_stopper(void *arg)
{
	gorums_server_stop(arg, true);
	return (NULL);
}

static void
test_stop_escalates(void)
{
	fixture   f;
	tc_client probe;
	gts_latch started;
	pthread_t tid;
	uint64_t  end = gts_now_ns() + (uint64_t) WAIT_MS * 1000000u;

	fixture_start(&f);
	gts_latch_init(&started, 1);
	sleep_started = &started;
	call(&f.c, 1, M_SLEEP, "", 500);
	GTS_ASSERT(gts_latch_wait(&started, WAIT_MS));
	GTS_EQ(pthread_create(&tid, NULL, graceful_stopper, f.s), 0);
	/* The graceful stop has begun once the listener refuses. */
	while (tc_dial(&probe, f.url, 1000) == GORUMS_OK) {
		tc_close(&probe);
		GTS_ASSERT(gts_now_ns() < end);
		tc_sleep_ms(1);
	}
	/* An immediate stop cuts the graceful one short: both return
	 * while the handler still sleeps. */
	gorums_server_stop(f.s, false);
	pthread_join(tid, NULL);
	GTS_EQ(atomic_load(&sleep_running), 1);
	GTS_EQ(gorums_server_nconns(f.s), 0);
	GTS_ASSERT(tc_closed(&f.c, WAIT_MS));
	gorums_server_close(f.s);
	GTS_EQ(atomic_load(&sleep_running), 0);
	tc_close(&f.c);
	gts_latch_fini(&started);
}

#define NBLOCKED 8

static bool
count_threads_at_most(void *arg)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);

	return (tc_count_threads() <= *(int *) arg + (int) cores);
}

static void
test_close_with_blocked_handlers(void)
{
	char             url[128];
	gorums_server   *s;
	static tc_client c[NBLOCKED];
	gts_latch        started;
	int              before = tc_count_threads();

	s = server_start("tcp://127.0.0.1:0", url, sizeof(url), NULL);
	gts_latch_init(&started, NBLOCKED);
	sleep_started = &started;
	for (int i = 0; i < NBLOCKED; i++) {
		GTS_PASS(tc_dial(&c[i], url, WAIT_MS));
		/* Each: one blocked handler and one request queued. */
		call(&c[i], 1, M_SLEEP, "", 200);
		call(&c[i], 2, M_ECHO, "queued", 2);
	}
	/* All NBLOCKED handlers block at once: the pool did not wait. */
	GTS_ASSERT(gts_latch_wait(&started, WAIT_MS));
	gorums_server_close(s);
	/* Every thread of the server was joined; threads that stood in for
	 * workers lent to blocked handlers exit, but for at most one spare
	 * per worker that the runtime keeps. */
	GTS_ASSERT(gts_poll(count_threads_at_most, &before, WAIT_MS));
	for (int i = 0; i < NBLOCKED; i++) {
		GTS_ASSERT(tc_closed(&c[i], WAIT_MS));
		tc_close(&c[i]);
	}
	gts_latch_fini(&started);
}

static void
test_api_errors(void)
{
	const ProtobufCMessageDescriptor *d = &gorums__test__echo__descriptor;
	gorums_server                    *s;
	gorums_server_opts                o;
	char                              url[128], tiny[8];

	gorums_server_opts_init(&o);
	o.nthreads = -1;
	GTS_FAIL(gorums_server_open(&s, &o), GORUMS_EINVAL);
	GTS_PASS(gorums_server_open(&s, NULL));
	GTS_FAIL(gorums_server_register(s, 1, NULL, h_echo, NULL),
	         GORUMS_EINVAL);
	GTS_FAIL(gorums_server_register(s, 1, d, NULL, NULL), GORUMS_EINVAL);
	GTS_PASS(gorums_server_register(s, 5, d, h_echo, NULL));
	GTS_PASS(gorums_server_register(s, 1, d, h_echo, NULL));
	GTS_FAIL(gorums_server_register(s, 5, d, h_echo, NULL), GORUMS_EEXIST);
	GTS_FAIL(gorums_server_url(s, 0, url, sizeof(url)), GORUMS_ENOENT);
	GTS_ASSERT(gorums_server_listen(s, "nope://x") != GORUMS_OK);
	GTS_PASS(gorums_server_listen(s, "tcp://127.0.0.1:0"));
	GTS_PASS(gorums_server_listen(s, "tcp://127.0.0.1:0"));
	GTS_FAIL(gorums_server_register(s, 9, d, h_echo, NULL), GORUMS_ESTATE);
	GTS_PASS(gorums_server_url(s, 1, url, sizeof(url)));
	GTS_FAIL(gorums_server_url(s, 2, url, sizeof(url)), GORUMS_ENOENT);
	GTS_FAIL(gorums_server_url(s, 0, tiny, sizeof(tiny)), GORUMS_EINVAL);
	gorums_server_close(s);
	gorums_server_close(NULL);
}

static void
test_churn(void)
{
	/* Open, serve and close servers repeatedly: nothing accumulates. */
	for (int i = 0; i < 10; i++) {
		fixture f;
		fixture_start(&f);
		call(&f.c, 1, M_ECHO, "c", i);
		call(&f.c, 2, M_SLEEP, "release", 5);
		expect_reply(&f.c, 1, M_ECHO, i);
		if (i % 2 == 0) {
			gorums_server_stop(f.s, i % 4 == 0);
		}
		/* The server closes under the client, not after it. */
		gorums_server_close(f.s);
		tc_close(&f.c);
	}
}

gts_test TEST_LIST[] = {
    {"server echo tcp", test_echo_tcp},
    {"server echo ipc", test_echo_ipc},
    {"server 1000 in order", test_order_1000},
    {"server 1000 in order, inline", test_order_1000_inline},
    {"server release overlaps", test_release_overlaps},
    {"server no release serializes", test_no_release_serializes},
    {"server 64 connections", test_64_connections},
    {"server unknown method", test_unknown_method},
    {"server undecodable payload", test_undecodable_payload},
    {"server malformed frame", test_malformed_frame},
    {"server small max_frame", test_small_max_frame},
    {"server handler error", test_handler_error},
    {"server one-way", test_oneway},
    {"server one-way run in order", test_oneway_order},
    {"server backlog makes way", test_backlog_makes_way},
    {"server late reply", test_late_reply},
    {"server late reply after close", test_late_reply_after_close},
    {"server reply twice", test_reply_twice},
    {"server graceful stop", test_graceful_stop},
    {"server immediate stop", test_immediate_stop},
    {"server stop escalates", test_stop_escalates},
    {"server close with blocked handlers", test_close_with_blocked_handlers},
    {"server api errors", test_api_errors},
    {"server churn", test_churn},
    {NULL, NULL},
};
