/*
 * servers.c: test servers for the end-to-end tests. See servers.h.
 */
#include "tests/e2e/servers.h"

#include <stdio.h>
#include <string.h>

static void
ts_record(test_server *ts, int64_t v)
{
	pthread_mutex_lock(&ts->mtx);
	if (ts->nseen < TS_MAX_RECORD) {
		ts->seen[ts->nseen++] = v;
	}
	pthread_mutex_unlock(&ts->mtx);
}

static gorums_err
h_echo(gorums_ctx *ctx, const ProtobufCMessage *req, void *arg)
{
	test_server *ts = arg;

	atomic_fetch_add(&ts->nhandled, 1);
	ts_record(ts, ((const Gorums__Test__Echo *) req)->value);
	return (gorums_ctx_reply(ctx, req));
}

static gorums_err
h_record(gorums_ctx *ctx, const ProtobufCMessage *req, void *arg)
{
	test_server *ts = arg;

	(void) ctx;
	atomic_fetch_add(&ts->nhandled, 1);
	ts_record(ts, ((const Gorums__Test__Echo *) req)->value);
	return (GORUMS_OK);
}

static gorums_err
h_block(gorums_ctx *ctx, const ProtobufCMessage *req, void *arg)
{
	test_server *ts = arg;

	atomic_fetch_add(&ts->nhandled, 1);
	gorums_ctx_release(ctx);
	if (ts->blocked != NULL) {
		gts_latch_count_down(ts->blocked);
	}
	if (ts->unblock != NULL) {
		GTS_ASSERT(gts_latch_wait(ts->unblock, 20000));
	}
	return (gorums_ctx_reply(ctx, req));
}

static gorums_err
h_state(gorums_ctx *ctx, const ProtobufCMessage *req, void *arg)
{
	test_server       *ts  = arg;
	Gorums__Test__Echo rep = GORUMS__TEST__ECHO__INIT;

	(void) req;
	atomic_fetch_add(&ts->nhandled, 1);
	rep.value = ts->value;
	rep.text  = ts->name;
	return (gorums_ctx_reply(ctx, &rep.base));
}

static gorums_err
h_stream(gorums_ctx *ctx, const ProtobufCMessage *req, void *arg)
{
	test_server       *ts   = arg;
	Gorums__Test__Echo item = GORUMS__TEST__ECHO__INIT;
	int64_t            n    = ((const Gorums__Test__Echo *) req)->value;

	atomic_fetch_add(&ts->nhandled, 1);
	item.text = ts->name;
	for (int64_t i = 1; i <= n; i++) {
		item.value = i;
		GTS_PASS(gorums_ctx_send(ctx, &item.base));
	}
	return (gorums_ctx_end(ctx));
}

static gorums_err
h_meta(gorums_ctx *ctx, const ProtobufCMessage *req, void *arg)
{
	const Gorums__Test__Echo *r   = (const Gorums__Test__Echo *) req;
	Gorums__Test__Echo        rep = GORUMS__TEST__ECHO__INIT;
	const void               *val;
	size_t                    len;
	char                      text[256];

	(void) arg;
	rep.value = -1;
	if (gorums_ctx_metadata(ctx, r->text, &val, &len) == GORUMS_OK) {
		GTS_ASSERT(len < sizeof(text));
		memcpy(text, val, len);
		text[len] = '\0';
		rep.text  = text;
		rep.value = (int64_t) len;
	}
	return (gorums_ctx_reply(ctx, &rep.base));
}

void
ts_start(test_server *ts, const char *url)
{
	ts_start_opts(ts, url, NULL);
}

void
ts_start_opts(test_server *ts, const char *url, const gorums_server_opts *o)
{
	int64_t value = ts->value;
	char    name[32];

	memcpy(name, ts->name, sizeof(name));
	memset(ts, 0, sizeof(*ts));
	ts->value = value;
	memcpy(ts->name, name, sizeof(name));
	pthread_mutex_init(&ts->mtx, NULL);
	GTS_PASS(gorums_server_open(&ts->srv, o));
	GTS_PASS(gorums_server_register(
	    ts->srv, M_ECHO, &gorums__test__echo__descriptor, h_echo, ts));
	GTS_PASS(gorums_server_register(
	    ts->srv, M_RECORD, &gorums__test__echo__descriptor, h_record, ts));
	GTS_PASS(gorums_server_register(
	    ts->srv, M_BLOCK, &gorums__test__echo__descriptor, h_block, ts));
	GTS_PASS(gorums_server_register(
	    ts->srv, M_STATE, &gorums__test__echo__descriptor, h_state, ts));
	GTS_PASS(gorums_server_register(
	    ts->srv, M_STREAM, &gorums__test__echo__descriptor, h_stream, ts));
	GTS_PASS(gorums_server_register(
	    ts->srv, M_META, &gorums__test__echo__descriptor, h_meta, ts));
	GTS_PASS(gorums_server_listen(ts->srv, url));
	GTS_PASS(gorums_server_url(ts->srv, 0, ts->url, sizeof(ts->url)));
}

void
ts_close(test_server *ts)
{
	if (ts->srv != NULL) {
		gorums_server_close(ts->srv);
		ts->srv = NULL;
		pthread_mutex_destroy(&ts->mtx);
	}
}

static void *
ts_close_main(void *arg)
{
	ts_close(arg);
	return (NULL);
}

void
ts_close_start(test_server *ts, pthread_t *t)
{
	GTS_EQ(pthread_create(t, NULL, ts_close_main, ts), 0);
}
