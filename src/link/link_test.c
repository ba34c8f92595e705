/*
 * link_test: frames over a real TCP stream on 127.0.0.1, between a link
 * owned by a test actor and a raw nng_stream peer: framing across reads,
 * coalesced writes, and a malformed or oversize frame failing the link.
 */
#include <string.h>

#include <nng/nng.h>

#include "src/link/link.h"
#include "src/sched.h"
#include "src/wire/wire.h"
#include "tests/harness/harness.h"

#define WAIT_MS 10000
#define BASE_ID 100

/* A connected pair: a (for the link) and b (the raw peer). */
static void
stream_pair(nng_stream **a, nng_stream **b)
{
	nng_stream_listener *l;
	nng_stream_dialer   *d;
	nng_aio             *la, *da;
	int                  port;
	char                 url[64];

	GTS_EQ(nng_stream_listener_alloc(&l, "tcp://127.0.0.1:0"), 0);
	GTS_EQ(nng_stream_listener_listen(l), 0);
	GTS_EQ(nng_stream_listener_get_int(l, NNG_OPT_TCP_BOUND_PORT, &port),
	       0);
	snprintf(url, sizeof(url), "tcp://127.0.0.1:%d", port);
	GTS_EQ(nng_stream_dialer_alloc(&d, url), 0);
	GTS_EQ(nng_aio_alloc(&la, NULL, NULL), 0);
	GTS_EQ(nng_aio_alloc(&da, NULL, NULL), 0);
	nng_aio_set_timeout(la, WAIT_MS);
	nng_aio_set_timeout(da, WAIT_MS);
	nng_stream_listener_accept(l, la);
	nng_stream_dialer_dial(d, da);
	nng_aio_wait(la);
	nng_aio_wait(da);
	GTS_EQ(nng_aio_result(la), 0);
	GTS_EQ(nng_aio_result(da), 0);
	*a = nng_aio_get_output(la, 0);
	*b = nng_aio_get_output(da, 0);
	nng_aio_free(la);
	nng_aio_free(da);
	nng_stream_dialer_free(d);
	nng_stream_listener_free(l);
}

static void
raw_io(nng_stream *s, void *buf, size_t len, bool send)
{
	nng_aio *aio;
	size_t   done = 0;

	GTS_EQ(nng_aio_alloc(&aio, NULL, NULL), 0);
	nng_aio_set_timeout(aio, WAIT_MS);
	while (done < len) {
		nng_iov iov = {.iov_buf = (uint8_t *) buf + done,
		               .iov_len = len - done};
		nng_aio_set_iov(aio, 1, &iov);
		if (send) {
			nng_stream_send(s, aio);
		} else {
			nng_stream_recv(s, aio);
		}
		nng_aio_wait(aio);
		GTS_EQ(nng_aio_result(aio), 0);
		done += nng_aio_count(aio);
	}
	nng_aio_free(aio);
}

/* Frames with these message ids make the owner free its link. */
#define ID_FREE_NOW  0xf1ee /* free it in the behaviour */
#define ID_HOLD_FREE 0xb10c /* wait until the test thread freed it */

/*
 * The owner: echoes every frame back, counts events. On ID_FREE_NOW it
 * frees the link itself; on ID_HOLD_FREE it lets the test thread free the
 * link while it waits, so that the free happens while the behaviour runs.
 */
typedef struct echo_owner {
	gri_actor  base;
	gri_link  *link;   /* owner only after setup */
	int        frames; /* owner only */
	int        error;  /* owner only; read after the latch */
	gts_latch *errored;
	gts_latch *stopped;
	gts_latch  holding;   /* ID_HOLD_FREE: the behaviour runs */
	gts_latch  released;  /* ID_HOLD_FREE: the test freed the link */
	gts_latch  freed;     /* the behaviour is done with the link */
	bool       on_worker; /* where the freeing behaviour ran */
} echo_owner;

static void
echo_free_frame(echo_owner *o, uint32_t id)
{
	o->on_worker = gri_sched_on_worker(o->base.sched);
	if (id == ID_FREE_NOW) {
		gri_link_free(o->link);
	} else {
		gts_latch_count_down(&o->holding);
		GTS_ASSERT(gts_latch_wait(&o->released, WAIT_MS));
	}
	o->link = NULL;
	gts_latch_count_down(&o->freed);
}

static void
echo_dispatch(gri_actor *self, gri_msg *m)
{
	echo_owner   *o  = (echo_owner *) self;
	gri_link_msg *lm = (gri_link_msg *) m;

	GTS_EQ(lm->epoch, 7);
	switch (m->id - BASE_ID) {
	case GRI_LINK_FRAME: {
		gri_wire_frame fr;
		GTS_PASS(gri_wire_decode(lm->data, lm->len, (size_t) -1, &fr));
		if (fr.hdr.msg_id == ID_FREE_NOW ||
		    fr.hdr.msg_id == ID_HOLD_FREE) {
			echo_free_frame(o, fr.hdr.msg_id);
			break;
		}
		o->frames++;
		if (o->link != NULL) {
			GTS_PASS(gri_link_send(o->link, lm->data, lm->len));
		}
		break;
	}
	case GRI_LINK_SENT:
		if (o->link != NULL) {
			(void) gri_link_sent(o->link, lm);
		}
		break;
	case GRI_LINK_ERROR:
		o->error = lm->err;
		gts_latch_count_down(o->errored);
		break;
	}
}

static void
echo_stop(gri_actor *self)
{
	echo_owner *o = (echo_owner *) self;

	gri_link_free(o->link);
	o->link = NULL;
	gts_latch_count_down(o->stopped);
}

static void
echo_flush(gri_actor *self)
{
	echo_owner *o = (echo_owner *) self;

	if (o->link != NULL) {
		gri_link_flush(o->link);
	}
}

static const gri_actor_ops echo_ops = {
    .name     = "link echo",
    .dispatch = echo_dispatch,
    .stop     = echo_stop,
    .flush    = echo_flush,
};

typedef struct fixture {
	gri_sched  *sched;
	echo_owner *owner;
	nng_stream *peer;
	gts_latch   errored;
	gts_latch   stopped;
} fixture;

static void
fixture_up(fixture *f, size_t max_frame)
{
	nng_stream *mine;
	gri_actor  *a;

	GTS_PASS(gri_sched_alloc(&f->sched, NULL));
	GTS_PASS(gri_actor_spawn(f->sched, &echo_ops, sizeof(echo_owner), &a));
	f->owner = (echo_owner *) a;
	gts_latch_init(&f->errored, 1);
	f->owner->errored = &f->errored;
	gts_latch_init(&f->stopped, 1);
	f->owner->stopped = &f->stopped;
	gts_latch_init(&f->owner->holding, 1);
	gts_latch_init(&f->owner->released, 1);
	gts_latch_init(&f->owner->freed, 1);
	stream_pair(&mine, &f->peer);
	GTS_PASS(gri_link_alloc(&f->owner->link, mine, a, BASE_ID, 7,
	                        max_frame, GRI_LINK_RUN_OWNER));
}

static void
fixture_down(fixture *f)
{
	/* The link holds a reference to its owner: the owner must finish
	 * stopping (freeing the link) before the pool goes. */
	GTS_PASS(gri_actor_stop(&f->owner->base));
	GTS_ASSERT(gts_latch_wait(&f->stopped, WAIT_MS));
	gts_latch_fini(&f->owner->holding);
	gts_latch_fini(&f->owner->released);
	gts_latch_fini(&f->owner->freed);
	gri_actor_unref(&f->owner->base);
	gri_sched_free(f->sched);
	nng_stream_close(f->peer);
	nng_stream_free(f->peer);
	gts_latch_fini(&f->errored);
	gts_latch_fini(&f->stopped);
}

static size_t
make_frame(uint8_t *buf, size_t cap, uint32_t id, size_t payload)
{
	gri_wire_hdr h = {.kind = GRI_WIRE_REQUEST, .msg_id = id};
	size_t       n;

	GTS_PASS(gri_wire_encode_header(&h, NULL, payload, (size_t) -1, buf,
	                                cap, &n));
	GTS_ASSERT(n + payload <= cap);
	memset(buf + n, (int) (id & 0xff), payload);
	return (n + payload);
}

/* echo_check has the peer write out[0..len) whole, then read it back. */
static void
echo_check(fixture *f, const uint8_t *out, uint8_t *in, size_t len)
{
	raw_io(f->peer, (void *) out, len, true);
	raw_io(f->peer, in, len, false);
	GTS_ASSERT(memcmp(in, out, len) == 0);
}

static void
test_link_echo_many(void)
{
	fixture        f;
	static uint8_t out[1 << 20], in[1 << 20];
	size_t         len = 0;
	const int      n   = 2000;

	fixture_up(&f, GRI_WIRE_MAX_FRAME_DEFAULT);
	/* Many frames of varied sizes in one write: the link must cut them
	 * apart, and may echo them coalesced. */
	for (int i = 0; i < n; i++) {
		len += make_frame(out + len, sizeof(out) - len, (uint32_t) i,
		                  (size_t) (i % 300));
	}
	echo_check(&f, out, in, len);
	fixture_down(&f);
}

static void
test_link_large_frame(void)
{
	fixture  f;
	size_t   big = 3u << 20; /* larger than the receive buffer */
	uint8_t *out = malloc(big + 64);
	uint8_t *in  = malloc(big + 64);

	fixture_up(&f, GRI_WIRE_MAX_FRAME_DEFAULT);
	size_t len = make_frame(out, big + 64, 42, big);
	echo_check(&f, out, in, len);
	fixture_down(&f);
	free(out);
	free(in);
}

static void
test_link_echo_past_socket_buffers(void)
{
	fixture      f;
	const size_t cap = 32u << 20;
	uint8_t     *out = malloc(cap), *in = malloc(cap);
	size_t       len = 0;

	GTS_ASSERT(out != NULL && in != NULL);
	fixture_up(&f, GRI_WIRE_MAX_FRAME_DEFAULT);
	/* The peer writes everything before it reads anything, far more than
	 * loopback's socket buffers hold (a few MiB): the link's inline
	 * writes find the socket full and must hand over to the callback aio
	 * without losing or reordering a byte. */
	for (uint32_t i = 0; len + (40u << 10) <= cap; i++) {
		len += make_frame(out + len, cap - len, i,
		                  1000 + (i * 7919) % 32000);
	}
	echo_check(&f, out, in, len);
	fixture_down(&f);
	free(out);
	free(in);
}

static void
test_link_oversize_fails(void)
{
	fixture f;
	uint8_t out[256];

	fixture_up(&f, 128);
	size_t len = make_frame(out, sizeof(out), 1, 200);
	raw_io(f.peer, out, len, true);
	GTS_ASSERT(gts_latch_wait(&f.errored, WAIT_MS));
	GTS_FAIL(f.owner->error, GORUMS_EMSGSIZE);
	GTS_EQ(f.owner->frames, 0);
	fixture_down(&f);
}

static void
test_link_peer_close_fails(void)
{
	fixture f;

	fixture_up(&f, GRI_WIRE_MAX_FRAME_DEFAULT);
	nng_stream_close(f.peer);
	GTS_ASSERT(gts_latch_wait(&f.errored, WAIT_MS));
	GTS_ASSERT(f.owner->error != GORUMS_OK);
	fixture_down(&f);
}

/* peer_sees_close reads from the raw peer until the stream ends. */
static void
peer_sees_close(fixture *f)
{
	uint8_t  buf[256];
	nng_aio *aio;
	int      rv;

	GTS_EQ(nng_aio_alloc(&aio, NULL, NULL), 0);
	nng_aio_set_timeout(aio, WAIT_MS);
	do {
		nng_iov iov = {.iov_buf = buf, .iov_len = sizeof(buf)};
		nng_aio_set_iov(aio, 1, &iov);
		nng_stream_recv(f->peer, aio);
		nng_aio_wait(aio);
	} while ((rv = nng_aio_result(aio)) == 0);
	GTS_ASSERT(rv != NNG_ETIMEDOUT);
	nng_aio_free(aio);
}

/*
 * The receive callback runs the owner itself (no worker wakes for it); an
 * owner that frees the link there must neither deadlock (the free cannot
 * wait for the callback it runs on) nor leak: the callback frees the link
 * once the behaviour returned. Frames before the freeing one are echoed.
 */
static void
test_link_freed_on_its_callback(void)
{
	fixture f;
	uint8_t out[512], in[512];
	size_t  len;

	fixture_up(&f, GRI_WIRE_MAX_FRAME_DEFAULT);
	len = make_frame(out, sizeof(out), 1, 10);
	echo_check(&f, out, in, len);
	len = make_frame(out, sizeof(out), ID_FREE_NOW, 0);
	raw_io(f.peer, out, len, true);
	GTS_ASSERT(gts_latch_wait(&f.owner->freed, WAIT_MS));
	GTS_ASSERT(!f.owner->on_worker); /* it ran on nng's callback */
	peer_sees_close(&f);
	GTS_EQ(f.owner->frames, 1);
	fixture_down(&f); /* ASan: nothing of the link may leak */
}

/*
 * Another thread frees the link while the receive callback runs the
 * owner's behaviour: the free must return at once (waiting would wait for
 * that behaviour), and the callback frees the link afterwards.
 */
static void
test_link_freed_while_callback_runs(void)
{
	fixture   f;
	uint8_t   out[512];
	size_t    len;
	gri_link *l;

	fixture_up(&f, GRI_WIRE_MAX_FRAME_DEFAULT);
	l   = f.owner->link;
	len = make_frame(out, sizeof(out), ID_HOLD_FREE, 0);
	raw_io(f.peer, out, len, true);
	GTS_ASSERT(gts_latch_wait(&f.owner->holding, WAIT_MS));
	gri_link_free(l); /* returns while the behaviour still runs */
	gts_latch_count_down(&f.owner->released);
	GTS_ASSERT(gts_latch_wait(&f.owner->freed, WAIT_MS));
	GTS_ASSERT(!f.owner->on_worker);
	peer_sees_close(&f);
	fixture_down(&f);
}

gts_test TEST_LIST[] = {
    {"link echo many", test_link_echo_many},
    {"link large frame", test_link_large_frame},
    {"link echo past socket buffers", test_link_echo_past_socket_buffers},
    {"link oversize fails", test_link_oversize_fails},
    {"link peer close fails", test_link_peer_close_fails},
    {"link freed on its callback", test_link_freed_on_its_callback},
    {"link freed while callback runs", test_link_freed_while_callback_runs},
    {NULL, NULL},
};
