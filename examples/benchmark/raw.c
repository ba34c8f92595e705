/*
 * raw.c: the floor, quorum calls by hand on nng_stream. See raw.h.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nng/nng.h>

#include "examples/benchmark/bench.h"
#include "examples/benchmark/le.h"
#include "examples/benchmark/raw.h"
#include "tests/harness/latch.h"

#define HDR_LEN         12 /* length (4) and call id (8) */
#define MIN_BUF         (64 * 1024)
#define DIAL_TIMEOUT_MS 10000

typedef struct raw_server raw_server;

/* raw_buf is a growable byte buffer: len bytes held, room for cap. */
typedef struct raw_buf {
	uint8_t *p;
	size_t   len;
	size_t   cap;
} raw_buf;

/*
 * raw_conn is one stream, its reader and its writer, at either end. The
 * reader's fields (buf, have) are touched by its callback only; nng runs
 * one receive, so one callback, at a time and orders them. The writer's
 * are shared by the senders and the send callback under tx_mtx, held only
 * to append or swap buffers, never across a send: see conn_send.
 */
typedef struct raw_conn {
	nng_stream *s;
	nng_aio    *rx;      /* the reader: callback */
	nng_aio    *tx;      /* the writer: callback, one send at a time */
	nng_aio    *tx_sync; /* sync: no callback, the sender waits */

	/* Reader callback only. */
	uint8_t *buf;
	size_t   cap;
	size_t   have; /* bytes in buf: a partial frame at most */

	/* Under tx_mtx. */
	pthread_mutex_t tx_mtx;
	raw_buf         pend;    /* appended, not yet sent */
	raw_buf         fly;     /* the send in flight, if in_flight */
	size_t          fly_off; /* bytes of fly written */
	bool            in_flight;
	bool            tx_failed; /* no more sends, queued bytes dropped */

	/* Set before conn_init, read-only after. */
	bool        sync; /* one call at a time: send synchronously */
	raw_client *rc;   /* client end */
	raw_server *srv;  /* server end */

	struct raw_conn *next; /* server end: srv->conns, under srv->mtx */
} raw_conn;

struct raw_server {
	nng_stream_listener *l;
	nng_aio             *acc;
	int                  port;
	size_t               flen; /* the one frame length */
	bool                 sync; /* its connections' conn_send mode */
	atomic_bool          closing;
	pthread_mutex_t      mtx;
	raw_conn            *conns; /* accepted, under mtx */
};

/*
 * raw_slot is a call in flight, found by its id: id % nslots is the slot.
 * A caller owns a slot from slot_get to slot_put; the readers touch it
 * under mtx only, and only while id matches theirs.
 */
typedef struct raw_slot {
	pthread_mutex_t mtx;
	pthread_cond_t  cv;  /* blocking call: the quorum is in */
	uint64_t        id;  /* 0: no call (late replies are stale) */
	uint64_t        gen; /* calls made in this slot */
	int             replies;
	bool            done;
	raw_cb          cb; /* NULL: a blocked caller waits on cv */
	void           *cb_arg;
	uint64_t        start_ns;
} raw_slot;

struct raw_client {
	int         nconns;
	raw_conn   *conns; /* conns[i] to servers[i] */
	raw_server *servers;
	int         quorum;
	size_t      flen; /* HDR_LEN + payload */
	uint8_t    *payload;
	size_t      payload_len;
	raw_slot   *slots;
	uint32_t    nslots;
	/* The free slots: a stack; a caller waits on free_cv for one. */
	pthread_mutex_t free_mtx;
	pthread_cond_t  free_cv;
	uint32_t       *free;
	uint32_t        nfree;
	atomic_bool     closing; /* raw_close: receive errors expected */
};

/* die ends the run on an nng failure (bench_fail: other threads are
 * mid-call). */
static _Noreturn void
die(const char *what, int rv)
{
	bench_fail(what, nng_strerror(rv));
}

/* ---- connections, both ends ------------------------------------------- */

static void conn_tx_cb(void *arg);

/* send_all sends iov[0..niov) on s with the callback-less aio, looping
 * on short writes. Consumes iov. */
static int
send_all(nng_stream *s, nng_aio *aio, nng_iov *iov, unsigned niov)
{
	while (niov > 0) {
		size_t n;
		int    rv;

		nng_aio_set_iov(aio, niov, iov);
		nng_stream_send(s, aio);
		nng_aio_wait(aio);
		if ((rv = nng_aio_result(aio)) != 0) {
			return (rv);
		}
		n = nng_aio_count(aio);
		while (niov > 0 && n >= iov->iov_len) {
			n -= iov->iov_len;
			iov++;
			niov--;
		}
		if (niov > 0) {
			iov->iov_buf = (uint8_t *) iov->iov_buf + n;
			iov->iov_len -= n;
		}
	}
	return (0);
}

static void
conn_init(raw_conn *c, nng_stream *s, size_t flen, void (*read_cb)(void *))
{
	int rv;

	c->s   = s;
	c->cap = 2 * flen > MIN_BUF ? 2 * flen : MIN_BUF;
	c->buf = bench_xcalloc(1, c->cap);
	pthread_mutex_init(&c->tx_mtx, NULL);
	if ((rv = nng_aio_alloc(&c->rx, read_cb, c)) != 0 ||
	    (rv = nng_aio_alloc(&c->tx, conn_tx_cb, c)) != 0 ||
	    (rv = nng_aio_alloc(&c->tx_sync, NULL, NULL)) != 0) {
		die("nng_aio_alloc", rv);
	}
}

/* conn_read starts the next receive, after the partial frame kept. */
static void
conn_read(raw_conn *c)
{
	nng_iov iov = {.iov_buf = c->buf + c->have,
	               .iov_len = c->cap - c->have};

	nng_aio_set_iov(c->rx, 1, &iov);
	nng_stream_recv(c->s, c->rx);
}

/*
 * conn_received adds the bytes just received and returns the length of
 * the whole frames at the start of buf; every frame must be flen long.
 */
static size_t
conn_received(raw_conn *c, size_t flen)
{
	size_t off = 0;

	c->have += nng_aio_count(c->rx);
	while (c->have - off >= 4) {
		if (bench_get_le(c->buf + off, 4) != flen - 4) {
			die("received a bad frame", NNG_EPROTO);
		}
		if (c->have - off < flen) {
			break;
		}
		off += flen;
	}
	return (off);
}

/* conn_consumed drops the first n bytes of buf. */
static void
conn_consumed(raw_conn *c, size_t n)
{
	memmove(c->buf, c->buf + n, c->have - n);
	c->have -= n;
}

/* buf_append appends iov[0..niov) to b, growing it as needed. */
static void
buf_append(raw_buf *b, const nng_iov *iov, unsigned niov)
{
	size_t need = b->len;

	for (unsigned i = 0; i < niov; i++) {
		need += iov[i].iov_len;
	}
	if (need > b->cap) {
		size_t   cap = b->cap > 0 ? b->cap : MIN_BUF;
		uint8_t *p;

		while (cap < need) {
			cap *= 2;
		}
		if ((p = realloc(b->p, cap)) == NULL) {
			bench_fail("realloc", "out of memory");
		}
		b->p   = p;
		b->cap = cap;
	}
	for (unsigned i = 0; i < niov; i++) {
		memcpy(b->p + b->len, iov[i].iov_buf, iov[i].iov_len);
		b->len += iov[i].iov_len;
	}
}

/*
 * conn_tx_next_locked, under tx_mtx, picks the next send: the rest of the
 * one in flight after a short write, else all that is pending (swapped
 * in, so that senders append to the other buffer meanwhile). It sets iov
 * and in_flight, or clears in_flight and returns false when there is
 * nothing to send (or no point: tx_failed).
 */
static bool
conn_tx_next_locked(raw_conn *c, nng_iov *iov)
{
	if (c->fly_off == c->fly.len) {
		raw_buf sent = c->fly;

		c->fly      = c->pend;
		c->pend     = sent;
		c->pend.len = 0;
		c->fly_off  = 0;
	}
	c->in_flight = c->fly.len > c->fly_off && !c->tx_failed;
	iov->iov_buf = c->fly.p + c->fly_off;
	iov->iov_len = c->fly.len - c->fly_off;
	return (c->in_flight);
}

/*
 * conn_send_sync sends iov[0..niov) on c and waits until it is written,
 * under tx_mtx so that frames do not interleave. With one call in flight
 * nothing could coalesce, and a send callback would only cost a thread
 * wake-up per send (measured: one caller 197 us p50 this way, 245 us
 * queued).
 */
static void
conn_send_sync(raw_conn *c, const nng_iov *iov, unsigned niov)
{
	nng_iov copy[2];
	int     rv;

	memcpy(copy, iov, niov * sizeof(*iov));
	pthread_mutex_lock(&c->tx_mtx);
	if (!c->tx_failed &&
	    (rv = send_all(c->s, c->tx_sync, copy, niov)) != 0) {
		if (c->rc != NULL && !atomic_load(&c->rc->closing)) {
			die("client send", rv);
		}
		c->tx_failed = true;
	}
	pthread_mutex_unlock(&c->tx_mtx);
}

/*
 * conn_send queues iov[0..niov) (at most 2) to be sent on c and returns
 * without waiting: if no send is in flight it starts one, else the send
 * callback sends the bytes with whatever else accumulated meanwhile, in
 * one write. In sync mode it sends them itself (conn_send_sync).
 */
static void
conn_send(raw_conn *c, const nng_iov *iov, unsigned niov)
{
	nng_iov next;
	bool    start = false;

	if (c->sync) {
		conn_send_sync(c, iov, niov);
		return;
	}
	pthread_mutex_lock(&c->tx_mtx);
	if (!c->tx_failed) {
		buf_append(&c->pend, iov, niov);
		start = !c->in_flight && conn_tx_next_locked(c, &next);
	}
	pthread_mutex_unlock(&c->tx_mtx);
	if (start) {
		nng_aio_set_iov(c->tx, 1, &next);
		nng_stream_send(c->s, c->tx);
	}
}

/*
 * conn_tx_cb: a send finished, maybe short. It sends the rest, or what
 * accumulated meanwhile, or ends the run of sends. A failure at the
 * client end ends the benchmark, unless raw_close closed the stream; at
 * the server end it means the client closed, so the echoes stop.
 */
static void
conn_tx_cb(void *arg)
{
	raw_conn *c  = arg;
	int       rv = nng_aio_result(c->tx);
	nng_iov   next;
	bool      more;

	if (rv != 0 && c->rc != NULL && !atomic_load(&c->rc->closing)) {
		die("client send", rv);
	}
	pthread_mutex_lock(&c->tx_mtx);
	if (rv != 0) {
		c->tx_failed = true;
	} else {
		c->fly_off += nng_aio_count(c->tx);
	}
	more = conn_tx_next_locked(c, &next);
	pthread_mutex_unlock(&c->tx_mtx);
	if (more) {
		nng_aio_set_iov(c->tx, 1, &next);
		nng_stream_send(c->s, c->tx);
	}
}

/* conn_fini closes the stream, waits for its reader and its writer (the
 * reader first: a server's may start a send), and frees it all. */
static void
conn_fini(raw_conn *c)
{
	nng_stream_close(c->s);
	nng_aio_stop(c->rx);
	nng_aio_stop(c->tx);
	nng_aio_stop(c->tx_sync);
	nng_aio_free(c->rx);
	nng_aio_free(c->tx);
	nng_aio_free(c->tx_sync);
	nng_stream_free(c->s);
	pthread_mutex_destroy(&c->tx_mtx);
	free(c->buf);
	free(c->pend.p);
	free(c->fly.p);
}

/* ---- servers ---------------------------------------------------------- */

static void
srv_read_cb(void *arg)
{
	raw_conn *c = arg;
	size_t    n;

	/* An error: the client closed, or raw_close; it cleans up. */
	if (nng_aio_result(c->rx) != 0) {
		return;
	}
	if ((n = conn_received(c, c->srv->flen)) > 0) {
		nng_iov iov = {.iov_buf = c->buf, .iov_len = n};

		/* Echo them all at once: one append to the send queue. */
		conn_send(c, &iov, 1);
		conn_consumed(c, n);
	}
	conn_read(c);
}

static void
srv_accept_cb(void *arg)
{
	raw_server *sv = arg;
	raw_conn   *c;
	int         rv;

	if ((rv = nng_aio_result(sv->acc)) != 0) {
		if (atomic_load(&sv->closing)) {
			return;
		}
		die("accept", rv);
	}
	c       = bench_xcalloc(1, sizeof(*c));
	c->srv  = sv;
	c->sync = sv->sync;
	conn_init(c, nng_aio_get_output(sv->acc, 0), sv->flen, srv_read_cb);
	pthread_mutex_lock(&sv->mtx);
	c->next   = sv->conns;
	sv->conns = c;
	pthread_mutex_unlock(&sv->mtx);
	conn_read(c);
	nng_stream_listener_accept(sv->l, sv->acc);
}

static void
server_start(raw_server *sv, size_t flen, bool sync)
{
	int rv;

	sv->flen = flen;
	sv->sync = sync;
	pthread_mutex_init(&sv->mtx, NULL);
	if ((rv = nng_stream_listener_alloc(&sv->l, "tcp://127.0.0.1:0")) !=
	        0 ||
	    (rv = nng_stream_listener_set_bool(sv->l, NNG_OPT_TCP_NODELAY,
	                                       true)) != 0 ||
	    (rv = nng_stream_listener_listen(sv->l)) != 0 ||
	    (rv = nng_stream_listener_get_int(sv->l, NNG_OPT_TCP_BOUND_PORT,
	                                      &sv->port)) != 0 ||
	    (rv = nng_aio_alloc(&sv->acc, srv_accept_cb, sv)) != 0) {
		die("server", rv);
	}
	nng_stream_listener_accept(sv->l, sv->acc);
}

static void
server_close(raw_server *sv)
{
	raw_conn *c;

	atomic_store(&sv->closing, true);
	nng_stream_listener_close(sv->l);
	nng_aio_stop(sv->acc); /* no accept callback after this */
	pthread_mutex_lock(&sv->mtx);
	c         = sv->conns;
	sv->conns = NULL;
	pthread_mutex_unlock(&sv->mtx);
	while (c != NULL) {
		raw_conn *next = c->next;

		conn_fini(c);
		free(c);
		c = next;
	}
	nng_aio_free(sv->acc);
	nng_stream_listener_free(sv->l);
	pthread_mutex_destroy(&sv->mtx);
}

/* ---- the client ------------------------------------------------------- */

static uint32_t
slot_get(raw_client *rc)
{
	uint32_t idx;

	pthread_mutex_lock(&rc->free_mtx);
	while (rc->nfree == 0) {
		pthread_cond_wait(&rc->free_cv, &rc->free_mtx);
	}
	idx = rc->free[--rc->nfree];
	pthread_mutex_unlock(&rc->free_mtx);
	return (idx);
}

static void
slot_put(raw_client *rc, uint32_t idx)
{
	pthread_mutex_lock(&rc->free_mtx);
	rc->free[rc->nfree++] = idx;
	pthread_cond_signal(&rc->free_cv);
	pthread_mutex_unlock(&rc->free_mtx);
}

/* reply counts a reply to call id; at the quorum it completes the call. */
static void
reply(raw_client *rc, uint64_t id)
{
	uint32_t  idx = (uint32_t) (id % rc->nslots);
	raw_slot *sl  = &rc->slots[idx];
	raw_cb    cb;
	void     *arg;
	uint64_t  t0;

	pthread_mutex_lock(&sl->mtx);
	if (id == 0 || sl->id != id || ++sl->replies < rc->quorum) {
		pthread_mutex_unlock(&sl->mtx);
		return;
	}
	/* The quorum: the replies still to come are stale. */
	sl->id   = 0;
	sl->done = true;
	cb       = sl->cb;
	arg      = sl->cb_arg;
	t0       = sl->start_ns;
	if (cb == NULL) {
		pthread_cond_signal(&sl->cv);
		pthread_mutex_unlock(&sl->mtx);
		return;
	}
	pthread_mutex_unlock(&sl->mtx);
	cb(arg, t0);
	slot_put(rc, idx);
}

static void
cli_read_cb(void *arg)
{
	raw_conn   *c  = arg;
	raw_client *rc = c->rc;
	size_t      n;
	int         rv;

	if ((rv = nng_aio_result(c->rx)) != 0) {
		if (atomic_load(&rc->closing)) {
			return;
		}
		die("client receive", rv);
	}
	n = conn_received(c, rc->flen);
	for (size_t off = 0; off < n; off += rc->flen) {
		reply(rc, bench_get_le(c->buf + off + 4, 8));
	}
	conn_consumed(c, n);
	conn_read(c);
}

static void
client_connect(raw_client *rc, raw_conn *c, int port)
{
	char               url[64];
	nng_stream_dialer *d;
	nng_aio           *aio;
	int                rv;

	snprintf(url, sizeof(url), "tcp://127.0.0.1:%d", port);
	if ((rv = nng_stream_dialer_alloc(&d, url)) != 0 ||
	    (rv = nng_stream_dialer_set_bool(d, NNG_OPT_TCP_NODELAY, true)) !=
	        0 ||
	    (rv = nng_aio_alloc(&aio, NULL, NULL)) != 0) {
		die("dialer", rv);
	}
	nng_aio_set_timeout(aio, DIAL_TIMEOUT_MS);
	nng_stream_dialer_dial(d, aio);
	nng_aio_wait(aio);
	if ((rv = nng_aio_result(aio)) != 0) {
		die("dial", rv);
	}
	c->rc   = rc;
	c->sync = rc->nslots == 1;
	conn_init(c, nng_aio_get_output(aio, 0), rc->flen, cli_read_cb);
	nng_aio_free(aio);
	nng_stream_dialer_free(d);
	conn_read(c);
}

/* call_send starts a call in slot idx, the caller's: queues it to all. */
static void
call_send(raw_client *rc, uint32_t idx, raw_cb cb, void *arg)
{
	raw_slot *sl = &rc->slots[idx];
	uint8_t   hdr[HDR_LEN];
	nng_iov   iov[2];
	uint64_t  id;

	pthread_mutex_lock(&sl->mtx);
	id           = ++sl->gen * rc->nslots + idx; /* never 0 */
	sl->id       = id;
	sl->replies  = 0;
	sl->done     = false;
	sl->cb       = cb;
	sl->cb_arg   = arg;
	sl->start_ns = cb != NULL ? gts_now_ns() : 0;
	pthread_mutex_unlock(&sl->mtx);

	bench_put_le(hdr, rc->flen - 4, 4);
	bench_put_le(hdr + 4, id, 8);
	iov[0].iov_buf = hdr;
	iov[0].iov_len = HDR_LEN;
	iov[1].iov_buf = rc->payload;
	iov[1].iov_len = rc->payload_len;
	for (int i = 0; i < rc->nconns; i++) {
		conn_send(&rc->conns[i], iov, 2);
	}
}

raw_client *
raw_open(int nservers, int quorum, int payload, int max_calls)
{
	raw_client *rc = bench_xcalloc(1, sizeof(*rc));

	rc->nconns      = nservers;
	rc->quorum      = quorum;
	rc->payload_len = (size_t) payload;
	rc->flen        = HDR_LEN + rc->payload_len;
	rc->payload     = bench_xcalloc(1, rc->payload_len + 1);
	rc->nslots      = (uint32_t) max_calls;
	rc->slots       = bench_xcalloc(rc->nslots, sizeof(*rc->slots));
	rc->free        = bench_xcalloc(rc->nslots, sizeof(*rc->free));
	pthread_mutex_init(&rc->free_mtx, NULL);
	pthread_cond_init(&rc->free_cv, NULL);
	for (uint32_t i = 0; i < rc->nslots; i++) {
		pthread_mutex_init(&rc->slots[i].mtx, NULL);
		pthread_cond_init(&rc->slots[i].cv, NULL);
		rc->free[rc->nfree++] = rc->nslots - 1 - i;
	}
	rc->servers = bench_xcalloc((size_t) nservers, sizeof(*rc->servers));
	rc->conns   = bench_xcalloc((size_t) nservers, sizeof(*rc->conns));
	for (int i = 0; i < nservers; i++) {
		/* One call at a time: synchronous sends (conn_send_sync). */
		server_start(&rc->servers[i], rc->flen, rc->nslots == 1);
	}
	for (int i = 0; i < nservers; i++) {
		client_connect(rc, &rc->conns[i], rc->servers[i].port);
	}
	return (rc);
}

void
raw_call(raw_client *rc)
{
	uint32_t  idx = slot_get(rc);
	raw_slot *sl  = &rc->slots[idx];

	call_send(rc, idx, NULL, NULL);
	pthread_mutex_lock(&sl->mtx);
	while (!sl->done) {
		pthread_cond_wait(&sl->cv, &sl->mtx);
	}
	pthread_mutex_unlock(&sl->mtx);
	slot_put(rc, idx);
}

void
raw_call_async(raw_client *rc, raw_cb cb, void *arg)
{
	/* The slot is put back by reply, after cb. */
	call_send(rc, slot_get(rc), cb, arg);
}

void
raw_close(raw_client *rc)
{
	atomic_store(&rc->closing, true);
	for (int i = 0; i < rc->nconns; i++) {
		conn_fini(&rc->conns[i]);
	}
	for (int i = 0; i < rc->nconns; i++) {
		server_close(&rc->servers[i]);
	}
	for (uint32_t i = 0; i < rc->nslots; i++) {
		pthread_mutex_destroy(&rc->slots[i].mtx);
		pthread_cond_destroy(&rc->slots[i].cv);
	}
	pthread_mutex_destroy(&rc->free_mtx);
	pthread_cond_destroy(&rc->free_cv);
	free(rc->conns);
	free(rc->servers);
	free(rc->slots);
	free(rc->free);
	free(rc->payload);
	free(rc);
}
