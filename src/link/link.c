/*
 * link.c: frame I/O over an nng_stream. See link.h.
 *
 * Design notes. One receive and at most one send are in flight. Receive
 * state (rx_*) is touched only by the receive callback, which nng never
 * runs concurrently with itself, and by alloc/free when no receive is in
 * flight. Write state is shared by the owner and the send callback under
 * tx_mtx, held only to append or swap buffers, never across I/O: whoever
 * finds no send in flight swaps the pending buffer out and starts one, and
 * the send callback itself starts the next send when frames accumulated
 * meanwhile. So a write costs no trip through the owner's mailbox; the
 * owner hears from the writer only on failure (GRI_LINK_ERROR) or, when it
 * asked, once everything is written (GRI_LINK_SENT). The error event is
 * allocated up front so that a failing stream can always be reported, even
 * out of memory.
 *
 * Inline writes. Over tcp and ipc, nng 1.5.2 tries the socket at once
 * inside nng_stream_send and finishes the aio there if the socket took
 * the bytes. An aio with a callback would still hand that completion to one
 * of nng's task threads (a wake-up, ~10-20 us on these VMs, per write); an
 * aio without one completes on the calling thread. So a write first tries
 * a callback-less aio (tx_io): start it, cancel it (a no-op if it
 * finished; otherwise it was queued without a byte moved, since nng
 * finishes a send at its first successful sendmsg), wait (no block: it is
 * finished either way), and take its count. Only when the socket is full
 * does the callback aio take over, and nng's poller completes it when the
 * socket drains. Other streams (TLS, websocket) may move bytes before they
 * finish, which cancelling would lose: they always use the callback aio.
 * Receiving stays on the callback aio: reading on inline the same way was
 * measured slower (it splits what one read would have taken in at once).
 */
#include "src/link/link.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "src/errors_nng.h"
#include "src/pool.h"
#include "src/wire/wire.h"

#define LINK_RX_MIN 65536 /* receive buffer, grown for larger frames */
#define LINK_TX_MIN 16384 /* write buffers, grown as frames need */

struct gri_link {
	/* Set at alloc, read-only after. */
	nng_stream *stream;
	gri_actor  *owner;
	uint32_t    base_id;
	uint64_t    epoch;
	size_t      max_frame;
	nng_aio    *rx_aio;
	nng_aio    *tx_aio;
	bool        inline_tx; /* tcp or ipc: see "Inline writes" */

	/* Receive callback only. */
	uint8_t *rx_buf;
	size_t   rx_cap;
	size_t   rx_len; /* bytes held, not yet cut into frames */
	/* Posted once, at the first error. Both callbacks may post it (the
	 * send callback when out of memory), and nng runs them concurrently:
	 * whoever exchanges it out sends it. */
	_Atomic(gri_link_msg *) err_msg;

	/* The callback-less aio of inline writes, used by whoever runs the
	 * send in flight. */
	nng_aio *tx_io;

	/* Guarded by tx_mtx; fly/fly_off belong to the send in flight. */
	pthread_mutex_t tx_mtx;
	uint8_t        *pend;
	size_t          pend_len;
	/* pend_len, for gri_link_queued without the lock: written only
	 * under tx_mtx, wherever pend_len changes (link_set_queued_locked),
	 * and added to *count_into too if the owner asked. */
	_Atomic size_t queued;
	atomic_size_t *count_into;
	size_t         pend_cap;
	uint8_t       *fly;
	size_t         fly_len;
	size_t         fly_cap;
	size_t         fly_off;
	bool           in_flight;
	bool           want_idle; /* post GRI_LINK_SENT when idle */
	bool           tx_failed;

	/* Owner only. */
	bool closed;
};

uint64_t
gri_link_epoch(const gri_link *l)
{
	return (l->epoch);
}

static void
link_post_error(gri_link *l, gorums_err err)
{
	gri_link_msg *m =
	    atomic_exchange_explicit(&l->err_msg, NULL, memory_order_acq_rel);

	if (m == NULL) {
		return; /* reported already */
	}
	m->err = err;
	gri_actor_send(l->owner, &m->hdr);
}

const uint8_t *
gri_link_msg_frame(const gri_link_msg *m, size_t *off, size_t *len)
{
	const uint8_t *p = m->data + *off;

	/* The link checked every length before it posted them: whatever
	 * remains is whole frames, the first of at most m->len bytes. */
	if (gri_wire_frame_len(p, m->len - *off, m->len - *off, len) !=
	    GORUMS_OK) {
		return (NULL);
	}
	*off += *len;
	return (p);
}

/* link_post_frames posts frames[0..len), one or more whole frames. */
static bool
link_post_frames(gri_link *l, const uint8_t *frames, size_t len)
{
	gri_link_msg *m = (gri_link_msg *) gri_msg_alloc(
	    sizeof(gri_link_msg) + len, l->base_id + GRI_LINK_FRAME);

	if (m == NULL) {
		return (false);
	}
	m->epoch = l->epoch;
	m->len   = len;
	memcpy(m->data, frames, len);
	gri_actor_send(l->owner, &m->hdr);
	return (true);
}

/*
 * link_send_inline writes once on the callback-less aio, on this thread
 * and without blocking (see "Inline writes"). It returns the nng result
 * with the bytes written in *n; 0 with *n == 0 means the socket is full.
 */
static int
link_send_inline(gri_link *l, size_t *n)
{
	nng_iov iov = {.iov_buf = l->fly + l->fly_off,
	               .iov_len = l->fly_len - l->fly_off};
	int     rv;

	(void) nng_aio_set_iov(l->tx_io, 1, &iov);
	nng_stream_send(l->stream, l->tx_io);
	nng_aio_cancel(l->tx_io);
	nng_aio_wait(l->tx_io);
	rv = nng_aio_result(l->tx_io);
	*n = nng_aio_count(l->tx_io);
	return (rv == NNG_ECANCELED ? 0 : rv);
}

static void
link_rx_start(gri_link *l)
{
	nng_iov iov = {.iov_buf = l->rx_buf + l->rx_len,
	               .iov_len = l->rx_cap - l->rx_len};

	(void) nng_aio_set_iov(l->rx_aio, 1, &iov);
	nng_stream_recv(l->stream, l->rx_aio);
}

/*
 * link_rx_consume posts every complete frame held, keeps the incomplete
 * rest and makes room for what comes next. An error ends the stream.
 */
static gorums_err
link_rx_consume(gri_link *l)
{
	size_t     off, total, batch = 0; /* frames [batch, off) wait */
	gorums_err err;

	for (off = 0;; off += total) {
		err = gri_wire_frame_len(l->rx_buf + off, l->rx_len - off,
		                         l->max_frame, &total);
		if (err != GORUMS_OK || l->rx_len - off < total) {
			break; /* incomplete (read more), or malformed */
		}
		if (off > batch && off + total - batch > GRI_LINK_BATCH_MAX) {
			if (!link_post_frames(l, l->rx_buf + batch,
			                      off - batch)) {
				return (GORUMS_ENOMEM);
			}
			batch = off;
		}
	}
	/* The frames before a malformed one still go, then the error. */
	if (off > batch &&
	    !link_post_frames(l, l->rx_buf + batch, off - batch)) {
		return (GORUMS_ENOMEM);
	}
	if (err != GORUMS_OK && err != GORUMS_EAGAIN) {
		return (err); /* oversize or malformed */
	}
	memmove(l->rx_buf, l->rx_buf + off, l->rx_len - off);
	l->rx_len -= off;
	/* Room for the frame being received (its length is known once 4
	 * bytes are in), and never less than LINK_RX_MIN free. */
	size_t need = l->rx_len + LINK_RX_MIN;
	if (gri_wire_frame_len(l->rx_buf, l->rx_len, l->max_frame, &total) ==
	        GORUMS_OK &&
	    total > need) {
		need = total;
	}
	if (need > l->rx_cap) {
		uint8_t *nb = realloc(l->rx_buf, need);
		if (nb == NULL) {
			return (GORUMS_ENOMEM);
		}
		l->rx_buf = nb;
		l->rx_cap = need;
	}
	return (GORUMS_OK);
}

static void
link_rx_cb(void *arg)
{
	gri_link  *l  = arg;
	int        rv = nng_aio_result(l->rx_aio);
	gorums_err err;

	if (rv != 0) {
		link_post_error(l, gri_err_from_nng(rv));
		return;
	}
	l->rx_len += nng_aio_count(l->rx_aio);
	if ((err = link_rx_consume(l)) != GORUMS_OK) {
		link_post_error(l, err);
		return;
	}
	link_rx_start(l);
}

static void
link_tx_start(gri_link *l)
{
	nng_iov iov = {.iov_buf = l->fly + l->fly_off,
	               .iov_len = l->fly_len - l->fly_off};

	(void) nng_aio_set_iov(l->tx_aio, 1, &iov);
	nng_stream_send(l->stream, l->tx_aio);
}

/* link_set_queued_locked records v as the bytes waiting to be sent. */
static void
link_set_queued_locked(gri_link *l, size_t v)
{
	size_t old = atomic_load_explicit(&l->queued, memory_order_relaxed);

	atomic_store_explicit(&l->queued, v, memory_order_relaxed);
	if (l->count_into == NULL || v == old) {
		return;
	}
	/* Relaxed: a count for producers' hints, publishing nothing. */
	if (v > old) {
		atomic_fetch_add_explicit(l->count_into, v - old,
		                          memory_order_relaxed);
	} else {
		atomic_fetch_sub_explicit(l->count_into, old - v,
		                          memory_order_relaxed);
	}
}

/*
 * link_tx_swap_locked moves the pending frames into the send buffer and
 * marks a send in flight; the caller starts it after unlocking.
 */
static void
link_tx_swap_locked(gri_link *l)
{
	uint8_t *b = l->fly;
	size_t   c = l->fly_cap;

	l->fly      = l->pend;
	l->fly_cap  = l->pend_cap;
	l->fly_len  = l->pend_len;
	l->fly_off  = 0;
	l->pend     = b;
	l->pend_cap = c;
	l->pend_len = 0;
	link_set_queued_locked(l, 0);
	l->in_flight = true;
}

static void
link_post_sent(gri_link *l)
{
	gri_link_msg *m = (gri_link_msg *) gri_msg_alloc(
	    sizeof(*m), l->base_id + GRI_LINK_SENT);

	if (m == NULL) {
		link_post_error(l, GORUMS_ENOMEM);
		return;
	}
	m->epoch = l->epoch;
	m->err   = GORUMS_OK;
	gri_actor_send(l->owner, &m->hdr);
}

/*
 * link_tx_next ends the send in flight (rv: its nng result) and returns
 * true if frames queued meanwhile became the next send, which the caller
 * then runs.
 */
static bool
link_tx_next(gri_link *l, int rv)
{
	bool more, idle_note = false;

	pthread_mutex_lock(&l->tx_mtx);
	if (rv != 0) {
		l->tx_failed = true;
		l->in_flight = false;
		more         = false;
	} else if ((more = l->pend_len > 0)) {
		link_tx_swap_locked(l); /* what queued meanwhile, at once */
	} else {
		l->in_flight = false;
		idle_note    = l->want_idle;
		l->want_idle = false;
	}
	pthread_mutex_unlock(&l->tx_mtx);
	if (rv != 0) {
		link_post_error(l, gri_err_from_nng(rv));
	} else if (idle_note) {
		link_post_sent(l);
	}
	return (more);
}

/*
 * link_tx_run writes the send in flight: inline while the socket takes it,
 * then through tx_aio (see "Inline writes"). Whoever marked the send in
 * flight runs it, outside the lock.
 */
static void
link_tx_run(gri_link *l)
{
	size_t n;
	int    rv;

	while (l->inline_tx) {
		rv = link_send_inline(l, &n);
		l->fly_off += n;
		if (rv != 0) {
			(void) link_tx_next(l, rv);
			return;
		}
		if (n == 0) {
			break; /* the socket is full: wait for it */
		}
		if (l->fly_off == l->fly_len && !link_tx_next(l, 0)) {
			return; /* all written, nothing more queued */
		}
	}
	link_tx_start(l);
}

static void
link_tx_cb(void *arg)
{
	gri_link *l  = arg;
	int       rv = nng_aio_result(l->tx_aio);

	if (rv == 0) {
		l->fly_off += nng_aio_count(l->tx_aio);
		if (l->fly_off < l->fly_len) {
			link_tx_run(l); /* a partial write: the rest */
			return;
		}
	}
	if (link_tx_next(l, rv)) {
		link_tx_run(l);
	}
}

bool
gri_url_is_tls(const char *url)
{
	return (strncasecmp(url, "tls+", 4) == 0);
}

void
gri_stream_peer(nng_stream *stream, char *buf, size_t len)
{
	nng_sockaddr sa;
	char         ip[64];

	if (nng_stream_get_addr(stream, NNG_OPT_REMADDR, &sa) != 0) {
		(void) snprintf(buf, len, "unknown");
		return;
	}
	switch (sa.s_family) {
	case NNG_AF_INET:
		(void) inet_ntop(AF_INET, &sa.s_in.sa_addr, ip, sizeof(ip));
		(void) snprintf(buf, len, "%s:%u", ip,
		                (unsigned) ntohs(sa.s_in.sa_port));
		break;
	case NNG_AF_INET6:
		(void) inet_ntop(AF_INET6, sa.s_in6.sa_addr, ip, sizeof(ip));
		(void) snprintf(buf, len, "[%s]:%u", ip,
		                (unsigned) ntohs(sa.s_in6.sa_port));
		break;
	case NNG_AF_IPC:
		(void) snprintf(buf, len, "ipc://%s", sa.s_ipc.sa_path);
		break;
	default:
		(void) snprintf(buf, len, "unknown");
		break;
	}
}

/*
 * link_stream_inline tells whether stream finishes an operation at its
 * first successful socket call, as tcp and ipc streams do (see "Inline
 * writes"): they answer a tcp or ipc option and are not TLS (which forwards
 * tcp options to the stream beneath) nor websocket.
 */
static bool
link_stream_inline(nng_stream *s)
{
	bool  b;
	int   pid;
	char *str;

	if (nng_stream_get_bool(s, NNG_OPT_TLS_VERIFIED, &b) == 0) {
		return (false);
	}
	if (nng_stream_get_string(s, NNG_OPT_WS_PROTOCOL, &str) == 0) {
		nng_strfree(str);
		return (false);
	}
	return (nng_stream_get_bool(s, NNG_OPT_TCP_NODELAY, &b) == 0 ||
	        nng_stream_get_int(s, NNG_OPT_IPC_PEER_PID, &pid) == 0);
}

gorums_err
gri_link_alloc(gri_link **lp, nng_stream *stream, gri_actor *owner,
               uint32_t base_id, uint64_t epoch, size_t max_frame)
{
	gri_link     *l;
	gri_link_msg *em;
	int           rv;

	if ((l = calloc(1, sizeof(*l))) == NULL) {
		nng_stream_free(stream);
		return (GORUMS_ENOMEM);
	}
	l->stream    = stream;
	l->owner     = owner;
	l->base_id   = base_id;
	l->epoch     = epoch;
	l->max_frame = max_frame;
	l->rx_cap    = LINK_RX_MIN;
	pthread_mutex_init(&l->tx_mtx, NULL);
	em        = (gri_link_msg *) gri_msg_alloc(sizeof(gri_link_msg),
	                                           base_id + GRI_LINK_ERROR);
	l->rx_buf = malloc(l->rx_cap);
	if (em == NULL || l->rx_buf == NULL) {
		rv = NNG_ENOMEM;
		goto fail;
	}
	em->epoch = epoch;
	atomic_init(&l->err_msg, em);
	if ((rv = nng_aio_alloc(&l->rx_aio, link_rx_cb, l)) != 0 ||
	    (rv = nng_aio_alloc(&l->tx_aio, link_tx_cb, l)) != 0 ||
	    (rv = nng_aio_alloc(&l->tx_io, NULL, NULL)) != 0) {
		goto fail;
	}
	l->inline_tx = link_stream_inline(stream);
	gri_actor_ref(owner);
	*lp = l;
	link_rx_start(l);
	return (GORUMS_OK);

fail:
	nng_aio_free(l->rx_aio);
	nng_aio_free(l->tx_aio);
	nng_aio_free(l->tx_io);
	if (em != NULL) {
		gri_msg_free(&em->hdr);
	}
	free(l->rx_buf);
	nng_stream_free(stream);
	pthread_mutex_destroy(&l->tx_mtx);
	free(l);
	return (gri_err_from_nng(rv));
}

static bool
link_grow(uint8_t **buf, size_t *cap, size_t need)
{
	size_t   n = *cap > 0 ? *cap : LINK_TX_MIN;
	uint8_t *nb;

	if (need <= *cap) {
		return (true);
	}
	while (n < need) {
		n *= 2;
	}
	if ((nb = realloc(*buf, n)) == NULL) {
		return (false);
	}
	*buf = nb;
	*cap = n;
	return (true);
}

uint8_t *
gri_link_reserve(gri_link *l, size_t len)
{
	if (l->closed) {
		return (NULL);
	}
	pthread_mutex_lock(&l->tx_mtx);
	if (l->tx_failed ||
	    !link_grow(&l->pend, &l->pend_cap, l->pend_len + len)) {
		pthread_mutex_unlock(&l->tx_mtx);
		return (NULL);
	}
	return (l->pend + l->pend_len); /* still locked: commit unlocks */
}

void
gri_link_commit(gri_link *l, size_t len)
{
	l->pend_len += len;
	link_set_queued_locked(l, l->pend_len);
	pthread_mutex_unlock(&l->tx_mtx);
}

void
gri_link_flush(gri_link *l)
{
	bool start = false;

	pthread_mutex_lock(&l->tx_mtx);
	if (!l->in_flight && l->pend_len > 0 && !l->tx_failed) {
		link_tx_swap_locked(l);
		start = true;
	}
	pthread_mutex_unlock(&l->tx_mtx);
	if (start) {
		link_tx_run(l); /* outside the lock: no lock across I/O */
	}
}

gorums_err
gri_link_send(gri_link *l, const uint8_t *frame, size_t len)
{
	uint8_t *p = gri_link_reserve(l, len);

	if (p == NULL) {
		return (l->closed ? GORUMS_ECLOSED : GORUMS_ENOMEM);
	}
	memcpy(p, frame, len);
	gri_link_commit(l, len);
	return (GORUMS_OK);
}

gorums_err
gri_link_sent(gri_link *l, gri_link_msg *m)
{
	(void) l;
	return (m->err);
}

void
gri_link_count_into(gri_link *l, atomic_size_t *total)
{
	pthread_mutex_lock(&l->tx_mtx);
	l->count_into = total;
	if (total != NULL) {
		atomic_fetch_add_explicit(
		    total,
		    atomic_load_explicit(&l->queued, memory_order_relaxed),
		    memory_order_relaxed);
	}
	pthread_mutex_unlock(&l->tx_mtx);
}

size_t
gri_link_queued(gri_link *l)
{
	/* The writer may drain it meanwhile: to the owner (the only one that
	 * adds) this is exact or an overestimate. */
	return (atomic_load_explicit(&l->queued, memory_order_relaxed));
}

bool
gri_link_idle(gri_link *l)
{
	bool idle;

	pthread_mutex_lock(&l->tx_mtx);
	idle = !l->in_flight && l->pend_len == 0;
	pthread_mutex_unlock(&l->tx_mtx);
	return (idle);
}

void
gri_link_want_idle(gri_link *l)
{
	bool now;

	pthread_mutex_lock(&l->tx_mtx);
	now          = !l->in_flight && l->pend_len == 0;
	l->want_idle = !now;
	pthread_mutex_unlock(&l->tx_mtx);
	if (now) {
		link_post_sent(l);
	}
}

void
gri_link_close(gri_link *l)
{
	if (!l->closed) {
		l->closed = true;
		nng_stream_close(l->stream);
	}
}

void
gri_link_free(gri_link *l)
{
	if (l == NULL) {
		return;
	}
	gri_link_close(l);
	nng_aio_stop(l->rx_aio);
	nng_aio_stop(l->tx_aio);
	nng_aio_free(l->rx_aio);
	nng_aio_free(l->tx_aio);
	nng_aio_free(l->tx_io);
	nng_stream_free(l->stream);
	/* The callbacks are stopped: nobody else touches err_msg now. */
	gri_link_msg *em =
	    atomic_load_explicit(&l->err_msg, memory_order_relaxed);
	if (em != NULL) {
		gri_msg_free(&em->hdr);
	}
	free(l->rx_buf);
	free(l->pend);
	free(l->fly);
	pthread_mutex_lock(&l->tx_mtx);
	link_set_queued_locked(l, 0); /* what waited is gone with it */
	pthread_mutex_unlock(&l->tx_mtx);
	pthread_mutex_destroy(&l->tx_mtx);
	gri_actor_unref(l->owner);
	free(l);
}
