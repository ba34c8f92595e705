/*
 * link_test: frames over a real TCP stream on 127.0.0.1, between a link
 * owned by a test actor and a raw nng_stream peer: framing across reads,
 * coalesced writes, and a malformed or oversize frame failing the link.
 */
#include <stdatomic.h>
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

/* The owner: echoes every frame back, counts events. */
typedef struct echo_owner {
	gri_actor base;
	gri_link *link; /* owner only after setup */
	/* Written by the owner; atomic, for the test thread reads them
	 * once the frames have come back (through the socket, which does
	 * not order memory for TSan). */
	atomic_int frames;   /* frames received */
	atomic_int messages; /* GRI_LINK_FRAME events that carried them */
	atomic_int multi;    /* those that carried more than one */
	int        error;    /* owner only; read after the latch */
	gts_latch *errored;
	gts_latch *stopped;
} echo_owner;

static void
echo_dispatch(gri_actor *self, gri_msg *m)
{
	echo_owner   *o  = (echo_owner *) self;
	gri_link_msg *lm = (gri_link_msg *) m;

	GTS_EQ(lm->epoch, 7);
	switch (m->id - BASE_ID) {
	case GRI_LINK_FRAME: {
		const uint8_t *frame;
		size_t         off = 0, len, sum = 0;
		int            n = 0;
		/* Whole frames, back to back; several only if small. */
		while ((frame = gri_link_msg_frame(lm, &off, &len)) != NULL) {
			GTS_ASSERT(frame == lm->data + sum);
			sum += len;
			n++;
		}
		GTS_EQ(sum, lm->len);
		GTS_ASSERT(n == 1 || lm->len <= GRI_LINK_BATCH_MAX);
		atomic_fetch_add(&o->frames, n);
		atomic_fetch_add(&o->messages, 1);
		atomic_fetch_add(&o->multi, n > 1);
		GTS_PASS(gri_link_send(o->link, lm->data, lm->len));
		break;
	}
	case GRI_LINK_SENT:
		(void) gri_link_sent(o->link, lm);
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
	stream_pair(&mine, &f->peer);
	GTS_PASS(
	    gri_link_alloc(&f->owner->link, mine, a, BASE_ID, 7, max_frame));
}

static void
fixture_down(fixture *f)
{
	/* The link holds a reference to its owner: the owner must finish
	 * stopping (freeing the link) before the pool goes. */
	GTS_PASS(gri_actor_stop(&f->owner->base));
	GTS_ASSERT(gts_latch_wait(&f->stopped, WAIT_MS));
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
	/* Echoed whole, so every frame has been through the owner; small
	 * frames written at once came in batches. */
	GTS_EQ(atomic_load(&f.owner->frames), n);
	GTS_ASSERT(atomic_load(&f.owner->messages) < n);
	GTS_ASSERT(atomic_load(&f.owner->multi) > 0);
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
	GTS_EQ(atomic_load(&f.owner->frames), 0);
	fixture_down(&f);
}

static void
test_link_malformed_after_good_frames(void)
{
	fixture f;
	uint8_t out[256];
	size_t  len = 0;

	fixture_up(&f, GRI_WIRE_MAX_FRAME_DEFAULT);
	/* Three good frames and a length too short for a header, in one
	 * write: the three reach the owner (in one batch or more), then the
	 * error. */
	for (uint32_t i = 0; i < 3; i++) {
		len += make_frame(out + len, sizeof(out) - len, i, 10);
	}
	memcpy(out + len, (uint8_t[]) {0, 0, 0, 3, 1, 1, 1}, 7);
	raw_io(f.peer, out, len + 7, true);
	GTS_ASSERT(gts_latch_wait(&f.errored, WAIT_MS));
	GTS_FAIL(f.owner->error, GORUMS_EPROTO);
	GTS_EQ(atomic_load(&f.owner->frames), 3);
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

gts_test TEST_LIST[] = {
    {"link echo many", test_link_echo_many},
    {"link large frame", test_link_large_frame},
    {"link echo past socket buffers", test_link_echo_past_socket_buffers},
    {"link oversize fails", test_link_oversize_fails},
    {"link malformed after good frames",
     test_link_malformed_after_good_frames},
    {"link peer close fails", test_link_peer_close_fails},
    {NULL, NULL},
};
