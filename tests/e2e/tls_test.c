/*
 * tls_test: gorums over tls+tcp://, end to end: calls of every kind keep
 * their order through TLS (whose streams take the link's queued-write
 * path, not the inline one), a server the client does not trust fails the
 * calls at once with GORUMS_ECRYPTO (what nng 1.5.2 with mbedTLS reports
 * for a certificate that does not verify) and harms nothing else, client
 * certificates work both ways, and a TLS address without a configuration
 * is refused up front.
 */
#include <stdlib.h>
#include <string.h>

#include <nng/nng.h>
#include <nng/supplemental/tls/tls.h>

#include "gorums/call.h"
#include "gorums/config.h"
#include "gorums/manager.h"
#include "gorums/quorum.h"
#include "gorums/server.h"
#include "tests/e2e/logcap.h"
#include "tests/e2e/servers.h"
#include "tests/e2e/tls_certs.h"
#include "tests/harness/harness.h"
#include "tests/proto/echo.pb-c.h"

#define WAIT_MS  10000
#define NSERVERS 3
#define FAST_NS  3000000000u /* a failure "at once": well below WAIT_MS */

/*
 * tls_config makes a configuration: own_cert/own_key (may be NULL) are
 * shown to the peer; ca (may be NULL) is what the peer is verified
 * against, and then verification is required.
 */
static nng_tls_config *
tls_config(nng_tls_mode mode, const char *own_cert, const char *own_key,
           const char *ca)
{
	nng_tls_config *cfg;

	GTS_EQ(nng_tls_config_alloc(&cfg, mode), 0);
	if (own_cert != NULL) {
		GTS_EQ(nng_tls_config_own_cert(cfg, own_cert, own_key, NULL),
		       0);
	}
	if (ca != NULL) {
		GTS_EQ(nng_tls_config_ca_chain(cfg, ca, NULL), 0);
		GTS_EQ(nng_tls_config_server_name(cfg, "localhost"), 0);
		GTS_EQ(
		    nng_tls_config_auth_mode(cfg, NNG_TLS_AUTH_MODE_REQUIRED),
		    0);
	} else {
		GTS_EQ(nng_tls_config_auth_mode(cfg, NNG_TLS_AUTH_MODE_NONE),
		       0);
	}
	return (cfg);
}

/* tls_server starts ts on tls+tcp://127.0.0.1:0 with cfg and, if lc is
 * not NULL, a logger that keeps messages in lc. */
static void
tls_server_log(test_server *ts, nng_tls_config *cfg, logcap *lc)
{
	gorums_server_opts o;

	gorums_server_opts_init(&o);
	o.tls = cfg;
	if (lc != NULL) {
		o.logger = logcap_logger(lc);
	}
	ts_start_opts(ts, "tls+tcp://127.0.0.1:0", &o);
	GTS_ASSERT(strncmp(ts->url, "tls+tcp://127.0.0.1:", 20) == 0);
}

static void
tls_server(test_server *ts, nng_tls_config *cfg)
{
	tls_server_log(ts, cfg, NULL);
}

/* tls_mgr opens a manager whose TLS configuration is cfg (may be NULL). */
static gorums_mgr *
tls_mgr(nng_tls_config *cfg)
{
	gorums_mgr_opts o;
	gorums_mgr     *m;

	gorums_mgr_opts_init(&o);
	o.tls = cfg;
	GTS_PASS(gorums_mgr_open(&m, &o));
	return (m);
}

/* echo checks one RPC: OK with the value echoed, or the error want. */
static void
echo(gorums_node *n, int64_t v, gorums_err want)
{
	Gorums__Test__Echo req = GORUMS__TEST__ECHO__INIT;
	ProtobufCMessage  *rep = NULL;

	req.value = v;
	GTS_FAIL(gorums_rpc(n, M_ECHO, &req.base,
	                    &gorums__test__echo__descriptor, WAIT_MS, &rep),
	         want);
	if (want == GORUMS_OK) {
		GTS_EQ(((Gorums__Test__Echo *) rep)->value, v);
		protobuf_c_message_free_unpacked(rep, NULL);
	}
}

/*
 * echo_fails_fast makes an RPC that must fail, long before its deadline,
 * and returns its error.
 */
static gorums_err
echo_fails_fast(gorums_node *n)
{
	Gorums__Test__Echo req = GORUMS__TEST__ECHO__INIT;
	ProtobufCMessage  *rep = NULL;
	uint64_t           t0  = gts_now_ns();
	gorums_err         rv;

	rv = gorums_rpc(n, M_ECHO, &req.base, &gorums__test__echo__descriptor,
	                WAIT_MS, &rep);
	GTS_ASSERT(rv != GORUMS_OK && rv != GORUMS_ETIMEDOUT);
	GTS_ASSERT(gts_now_ns() - t0 < FAST_NS);
	return (rv);
}

/* ---- calls of every kind, in order, over TLS -------------------------- */

static void
test_tls_calls_in_order(void)
{
	test_server       *ts = calloc(NSERVERS, sizeof(*ts));
	nng_tls_config    *scfg, *ccfg;
	gorums_mgr        *m;
	gorums_node       *nodes[NSERVERS];
	const char        *urls[NSERVERS];
	gorums_config     *cfg;
	gorums_call       *calls[200];
	const int          ncalls = 200;
	int                want[NSERVERS];
	Gorums__Test__Echo req = GORUMS__TEST__ECHO__INIT;

	scfg = tls_config(NNG_TLS_MODE_SERVER, tls_cert_a, tls_key_a, NULL);
	ccfg = tls_config(NNG_TLS_MODE_CLIENT, NULL, NULL, tls_cert_a);
	m    = tls_mgr(ccfg);
	/* Both hold their own references: ours can go now. */
	nng_tls_config_free(ccfg);
	for (int i = 0; i < NSERVERS; i++) {
		tls_server(&ts[i], scfg);
		urls[i] = ts[i].url;
	}
	nng_tls_config_free(scfg);
	GTS_PASS(gorums_config_new(m, urls, NSERVERS, &cfg));
	for (int i = 0; i < NSERVERS; i++) {
		GTS_PASS(gorums_mgr_find_addr(m, urls[i], &nodes[i]));
		want[i] = 0;
	}

	/* Pipelined: async RPCs, one-way calls (half fire and forget) and
	 * multicasts, all recorded by value; every server must see its
	 * share in increasing order. */
	for (int i = 0; i < ncalls; i++) {
		int k     = i % NSERVERS;
		req.value = i;
		switch (i % 3) {
		case 0:
			GTS_PASS(
			    gorums_rpc_async(nodes[k], M_ECHO, &req.base,
			                     &gorums__test__echo__descriptor,
			                     WAIT_MS, NULL, NULL, &calls[i]));
			want[k]++;
			break;
		case 1:
			calls[i] = NULL;
			GTS_PASS(gorums_unicast(nodes[k], M_RECORD, &req.base,
			                        i % 2 ? GORUMS_NOWAIT : 0));
			want[k]++;
			break;
		default:
			calls[i] = NULL;
			GTS_PASS(gorums_multicast(nodes, NSERVERS, M_RECORD,
			                          &req.base,
			                          i % 2 ? GORUMS_NOWAIT : 0));
			for (int j = 0; j < NSERVERS; j++) {
				want[j]++;
			}
			break;
		}
	}
	for (int i = 0; i < ncalls; i++) {
		if (calls[i] != NULL) {
			ProtobufCMessage *rep = NULL;
			GTS_PASS(gorums_call_wait(calls[i]));
			GTS_PASS(gorums_call_result(calls[i], &rep));
			GTS_EQ(((Gorums__Test__Echo *) rep)->value, i);
			protobuf_c_message_free_unpacked(rep, NULL);
			gorums_call_free(calls[i]);
		}
	}

	/* A quorum call over all three: it follows everything above on
	 * every stream, so each server has handled its share. */
	gorums_qcall_opts o = {
	    .reply_desc = &gorums__test__echo__descriptor,
	    .qspec      = {.kind = GORUMS_QF_ALL},
	    .timeout_ms = WAIT_MS,
	};
	gorums_call *qc;
	req.value = ncalls;
	GTS_PASS(gorums_qcall(cfg, M_ECHO, &req.base, &o, &qc));
	GTS_EQ(((const Gorums__Test__Echo *) gorums_qcall_result(qc))->value,
	       ncalls);
	GTS_EQ(gorums_qcall_nreplies(qc), NSERVERS);
	gorums_call_free(qc);
	for (int j = 0; j < NSERVERS; j++) {
		pthread_mutex_lock(&ts[j].mtx);
		GTS_EQ(ts[j].nseen, want[j] + 1);
		for (int i = 1; i < ts[j].nseen; i++) {
			GTS_ASSERT(ts[j].seen[i - 1] < ts[j].seen[i]);
		}
		pthread_mutex_unlock(&ts[j].mtx);
		GTS_EQ(gorums_node_last_error(nodes[j]), GORUMS_OK);
	}
	GTS_EQ(gorums_mgr_pending(m), 0);
	gorums_config_free(cfg);
	gorums_mgr_close(m);
	for (int i = 0; i < NSERVERS; i++) {
		ts_close(&ts[i]);
	}
	free(ts);
}

/* ---- a server the client does not trust ------------------------------- */

static void
test_tls_untrusted_server(void)
{
	test_server     ts = {0};
	nng_tls_config *scfg, *bad, *good;
	gorums_mgr     *mbad, *mgood;
	gorums_node    *nbad, *ngood;

	scfg = tls_config(NNG_TLS_MODE_SERVER, tls_cert_a, tls_key_a, NULL);
	tls_server(&ts, scfg);
	nng_tls_config_free(scfg);

	/* Trusting b, shown a: the handshake fails, and with it the call,
	 * long before its deadline; the node says why. */
	bad  = tls_config(NNG_TLS_MODE_CLIENT, NULL, NULL, tls_cert_b);
	mbad = tls_mgr(bad);
	nng_tls_config_free(bad);
	GTS_PASS(gorums_mgr_add_node(mbad, ts.url, &nbad));
	GTS_EQ(echo_fails_fast(nbad), GORUMS_ECRYPTO);
	GTS_EQ(gorums_node_last_error(nbad), GORUMS_ECRYPTO);
	GTS_ASSERT(!gorums_node_connected(nbad));
	GTS_EQ(gorums_mgr_pending(mbad), 0);

	/* The server lost that connection only: a trusting client works,
	 * also while the refused one is still around. */
	good  = tls_config(NNG_TLS_MODE_CLIENT, NULL, NULL, tls_cert_a);
	mgood = tls_mgr(good);
	nng_tls_config_free(good);
	GTS_PASS(gorums_mgr_add_node(mgood, ts.url, &ngood));
	echo(ngood, 2, GORUMS_OK);
	pthread_mutex_lock(&ts.mtx);
	GTS_EQ(ts.nseen, 1);
	GTS_EQ(ts.seen[0], 2);
	pthread_mutex_unlock(&ts.mtx);
	gorums_mgr_close(mbad);
	gorums_mgr_close(mgood);
	ts_close(&ts);
}

/* ---- plain TCP to a TLS server, and TLS to a plain server ------------- */

static void
test_tls_scheme_mismatch(void)
{
	test_server     tls = {0}, plain = {0};
	nng_tls_config *scfg, *ccfg;
	gorums_mgr     *m;
	gorums_node    *n;
	char            url[300];
	logcap          lc;

	scfg = tls_config(NNG_TLS_MODE_SERVER, tls_cert_a, tls_key_a, NULL);
	logcap_init(&lc);
	tls_server_log(&tls, scfg, &lc);
	nng_tls_config_free(scfg);
	ts_start(&plain, "tcp://127.0.0.1:0");
	ccfg = tls_config(NNG_TLS_MODE_CLIENT, NULL, NULL, tls_cert_a);
	m    = tls_mgr(ccfg);
	nng_tls_config_free(ccfg);

	/* Frames sent in the clear to the TLS server: no hang, an error,
	 * and the server serves TLS clients still. */
	GTS_ASSERT(snprintf(url, sizeof(url), "tcp://%s",
	                    tls.url + strlen("tls+tcp://")) <
	           (int) sizeof(url));
	GTS_PASS(gorums_mgr_add_node(m, url, &n));
	gorums_err rv = echo_fails_fast(n);
	GTS_ASSERT(rv == GORUMS_ECONNSHUT || rv == GORUMS_EPROTO);
	/* The server's operator learns of it. */
	GTS_ASSERT(logcap_wait(
	    &lc, GORUMS_LOG_WARN,
	    (const char *const[]) {
	        "server: connection from 127.0.0.1:", "closed: ", NULL},
	    WAIT_MS));

	/* A TLS handshake with a server that speaks gorums frames: it takes
	 * the hello for an oversized frame and hangs up. */
	GTS_ASSERT(snprintf(url, sizeof(url), "tls+tcp://%s",
	                    plain.url + strlen("tcp://")) < (int) sizeof(url));
	GTS_PASS(gorums_mgr_add_node(m, url, &n));
	rv = echo_fails_fast(n);
	GTS_ASSERT(rv == GORUMS_ECONNSHUT || rv == GORUMS_ECRYPTO);

	/* Both servers work for a client that speaks their language. */
	GTS_PASS(gorums_mgr_add_node(m, tls.url, &n));
	echo(n, 3, GORUMS_OK);
	GTS_PASS(gorums_mgr_add_node(m, plain.url, &n));
	echo(n, 4, GORUMS_OK);
	GTS_EQ(gorums_mgr_pending(m), 0);
	gorums_mgr_close(m);
	ts_close(&tls);
	ts_close(&plain);
	logcap_fini(&lc);
}

/* ---- client certificates ---------------------------------------------- */

static void
test_tls_client_certificates(void)
{
	test_server     ts = {0};
	nng_tls_config *scfg, *with, *without;
	gorums_mgr     *mwith, *mwithout;
	gorums_node    *n;

	/* The server shows a and requires a client certificate by b. */
	scfg =
	    tls_config(NNG_TLS_MODE_SERVER, tls_cert_a, tls_key_a, tls_cert_b);
	tls_server(&ts, scfg);
	nng_tls_config_free(scfg);

	with =
	    tls_config(NNG_TLS_MODE_CLIENT, tls_cert_b, tls_key_b, tls_cert_a);
	mwith = tls_mgr(with);
	nng_tls_config_free(with);
	GTS_PASS(gorums_mgr_add_node(mwith, ts.url, &n));
	echo(n, 5, GORUMS_OK);

	/* Without one the server ends the handshake: an error, at once. */
	without  = tls_config(NNG_TLS_MODE_CLIENT, NULL, NULL, tls_cert_a);
	mwithout = tls_mgr(without);
	nng_tls_config_free(without);
	GTS_PASS(gorums_mgr_add_node(mwithout, ts.url, &n));
	gorums_err rv = echo_fails_fast(n);
	GTS_ASSERT(rv == GORUMS_ECONNSHUT || rv == GORUMS_ECRYPTO);
	pthread_mutex_lock(&ts.mtx);
	GTS_EQ(ts.nseen, 1);
	pthread_mutex_unlock(&ts.mtx);
	gorums_mgr_close(mwith);
	gorums_mgr_close(mwithout);
	ts_close(&ts);
}

/* ---- a TLS address needs a TLS configuration -------------------------- */

static void
test_tls_needs_config(void)
{
	gorums_mgr     *m;
	gorums_node    *n;
	gorums_server  *s;
	nng_tls_config *ccfg;

	GTS_PASS(gorums_mgr_open(&m, NULL));
	GTS_FAIL(gorums_mgr_add_node(m, "tls+tcp://127.0.0.1:1", &n),
	         GORUMS_EINVAL);
	GTS_EQ(gorums_mgr_nnodes(m), 0);
	gorums_mgr_close(m);

	GTS_PASS(gorums_server_open(&s, NULL));
	GTS_FAIL(gorums_server_listen(s, "tls+tcp://127.0.0.1:0"),
	         GORUMS_EINVAL);
	gorums_server_close(s);

	/* With one, the address is normalised like tcp's. */
	ccfg = tls_config(NNG_TLS_MODE_CLIENT, NULL, NULL, tls_cert_a);
	m    = tls_mgr(ccfg);
	nng_tls_config_free(ccfg);
	GTS_PASS(gorums_mgr_add_node(m, " TLS+TCP://LocalHost:1 ", &n));
	GTS_ASSERT(strcmp(gorums_node_addr(n), "tls+tcp://localhost:1") == 0);
	GTS_FAIL(gorums_mgr_add_node(m, "tls+tcp://localhost:1", &n),
	         GORUMS_EEXIST);
	gorums_mgr_close(m);
}

gts_test TEST_LIST[] = {
    {"tls calls in order", test_tls_calls_in_order},
    {"tls untrusted server", test_tls_untrusted_server},
    {"tls scheme mismatch", test_tls_scheme_mismatch},
    {"tls client certificates", test_tls_client_certificates},
    {"tls needs config", test_tls_needs_config},
    {NULL, NULL},
};
