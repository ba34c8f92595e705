/*
 * log_test: what gorums-c tells a logger, end to end over real sockets.
 * The server logs a connection's arrival, the reason it closed (a client
 * that hung up, a malformed frame); a node logs connecting, losing its
 * stream (with the calls that failed) and failing to reconnect.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "gorums/call.h"
#include "gorums/manager.h"
#include "gorums/server.h"
#include "src/server/test_client.h"
#include "tests/e2e/logcap.h"
#include "tests/e2e/servers.h"
#include "tests/harness/harness.h"
#include "tests/proto/echo.pb-c.h"

#define WAIT_MS 10000

#define WANT(...) ((const char *const[]) {__VA_ARGS__, NULL})

static void
test_log_server_connections(void)
{
	test_server        ts = {0};
	gorums_server_opts o;
	logcap             lc;
	tc_client          c;
	gri_wire_frame     f;

	logcap_init(&lc);
	gorums_server_opts_init(&o);
	o.logger = logcap_logger(&lc);
	ts_start_opts(&ts, "tcp://127.0.0.1:0", &o);

	/* A client that asks, gets its answer and hangs up. */
	GTS_PASS(tc_dial(&c, ts.url, WAIT_MS));
	GTS_ASSERT(logcap_wait(&lc, GORUMS_LOG_INFO,
	                       WANT("server: connection from 127.0.0.1:"),
	                       WAIT_MS));
	GTS_PASS(tc_send_echo(&c, GRI_WIRE_REQUEST, 1, M_ECHO, "hi", 1));
	GTS_PASS(tc_recv(&c, &f, WAIT_MS));
	GTS_EQ(f.hdr.status, GORUMS_OK);
	tc_close(&c);
	GTS_ASSERT(logcap_wait(&lc, GORUMS_LOG_INFO,
	                       WANT("closed by the client"), WAIT_MS));

	/* A client that sends a frame of an unknown version: the server
	 * closes that connection and says why. */
	uint8_t bad[GRI_WIRE_HDR_SIZE] = {0, 0, 0, GRI_WIRE_HDR_SIZE - 4, 7};
	GTS_PASS(tc_dial(&c, ts.url, WAIT_MS));
	GTS_PASS(tc_send_raw(&c, bad, sizeof(bad), WAIT_MS));
	GTS_ASSERT(tc_closed(&c, WAIT_MS));
	GTS_ASSERT(logcap_wait(&lc, GORUMS_LOG_WARN,
	                       WANT("server: connection from 127.0.0.1:",
	                            gorums_strerror(GORUMS_EPROTO)),
	                       WAIT_MS));
	tc_close(&c);

	/* Connection metadata (HELLO) comes first or not at all: one after
	 * a request ends the connection too. */
	GTS_PASS(tc_dial(&c, ts.url, WAIT_MS));
	GTS_PASS(tc_send(&c, GRI_WIRE_HELLO, 0, 0, NULL));
	GTS_PASS(tc_send_echo(&c, GRI_WIRE_REQUEST, 2, M_ECHO, "hi", 2));
	GTS_PASS(tc_recv(&c, &f, WAIT_MS));
	GTS_EQ(f.hdr.status, GORUMS_OK);
	GTS_PASS(tc_send(&c, GRI_WIRE_HELLO, 0, 0, NULL));
	GTS_ASSERT(tc_closed(&c, WAIT_MS));
	tc_close(&c);
	ts_close(&ts);
	logcap_fini(&lc);
}

static void
test_log_node_connections(void)
{
	test_server        ts = {0};
	gorums_mgr_opts    o;
	logcap             lc;
	gorums_mgr        *m;
	gorums_node       *n;
	Gorums__Test__Echo req = GORUMS__TEST__ECHO__INIT;
	ProtobufCMessage  *rep = NULL;
	gorums_call       *c;
	gts_latch          blocked, unblock;
	pthread_t          t;
	char               dir[] = "/tmp/gorums_log_XXXXXX";
	char               url[300], connected[400], lost[400];

	GTS_ASSERT(mkdtemp(dir) != NULL);
	snprintf(url, sizeof(url), "ipc://%s/s.ipc", dir);
	snprintf(connected, sizeof(connected), "node %s: connected", url);
	snprintf(lost, sizeof(lost), "node %s: connection lost", url);
	logcap_init(&lc);
	gorums_mgr_opts_init(&o);
	o.logger = logcap_logger(&lc);
	GTS_PASS(gorums_mgr_open(&m, &o));
	GTS_PASS(gorums_mgr_add_node(m, url, &n));

	/* Nobody listens yet: the call fails, and the log says why. */
	GTS_ASSERT(gorums_rpc(n, M_ECHO, &req.base,
	                      &gorums__test__echo__descriptor, WAIT_MS,
	                      &rep) != GORUMS_OK);
	GTS_ASSERT(logcap_wait(&lc, GORUMS_LOG_WARN,
	                       WANT(url, "connect failed", "next attempt in"),
	                       WAIT_MS));

	/* A server comes: once the backoff has passed, the node connects. */
	ts_start(&ts, url);
	uint64_t deadline = gts_now_ns() + (uint64_t) WAIT_MS * 1000000u;
	while (gorums_rpc(n, M_ECHO, &req.base,
	                  &gorums__test__echo__descriptor, WAIT_MS,
	                  &rep) != GORUMS_OK) {
		GTS_ASSERT(gts_now_ns() < deadline);
		usleep(10000); /* failing fast in the backoff */
	}
	protobuf_c_message_free_unpacked(rep, NULL);
	GTS_ASSERT(
	    logcap_wait(&lc, GORUMS_LOG_INFO, WANT(connected), WAIT_MS));

	/* The server dies with a call in its handler: the node logs the
	 * lost stream and the one call that failed with it. */
	gts_latch_init(&blocked, 1);
	gts_latch_init(&unblock, 1);
	ts.blocked = &blocked;
	ts.unblock = &unblock;
	GTS_PASS(gorums_rpc_async(n, M_BLOCK, &req.base,
	                          &gorums__test__echo__descriptor, WAIT_MS,
	                          NULL, NULL, &c));
	GTS_ASSERT(gts_latch_wait(&blocked, WAIT_MS));
	ts_close_start(&ts, &t);
	GTS_ASSERT(gorums_call_wait(c) != GORUMS_OK);
	gorums_call_free(c);
	GTS_ASSERT(logcap_wait(
	    &lc, GORUMS_LOG_WARN,
	    WANT(lost, "failed calls: 1", "next attempt in"), WAIT_MS));
	gts_latch_count_down(&unblock);
	pthread_join(t, NULL);
	gorums_mgr_close(m);
	gts_latch_fini(&blocked);
	gts_latch_fini(&unblock);
	logcap_fini(&lc);
	rmdir(dir);
}

gts_test TEST_LIST[] = {
    {"log server connections", test_log_server_connections},
    {"log node connections", test_log_node_connections},
    {NULL, NULL},
};
