/*
 * node.c: the node actor. See node.h.
 *
 * Design notes. A call reaches the node as a NODE_CALL message carrying
 * the frame already encoded by the caller's thread and a reference to the
 * call. Two-way calls move that reference into the pending table until
 * they are answered or fail; one-way calls complete once handed to the
 * connection. Deadline expiry, cancel, dial results and reconnect ticks
 * arrive as messages too, so every change to a call's fate happens in this
 * actor, one at a time: a call completes exactly once, and a routing entry
 * never outlives its call. A NODE_CALL for a call that already timed out
 * or was cancelled is dropped unsent.
 */
#include "actors/node/node.h"

#include <stdlib.h>
#include <string.h>

#include "actors/qcall/qcall.h"
#include "src/client/call_impl.h"
#include "src/errors_nng.h"
#include "src/log.h"
#include "src/wire/wire.h"

enum {
	NODE_LINK = 0, /* + GRI_LINK_FRAME, _SENT, _ERROR */
	NODE_CALL = GRI_LINK_NEVENTS,
	NODE_CANCEL,
	NODE_DIALED,
	NODE_REDIAL,
	NODE_CLOSE,
};

typedef struct node_call_msg {
	gri_msg      hdr;
	gorums_call *call; /* holds a reference; NULL: fire and forget */
	size_t       len;
	uint8_t      frame[];
} node_call_msg;

/* NODE_CANCEL and NODE_CLOSE carry a gri_cancel_msg (call_impl.h). */
typedef gri_cancel_msg node_cancel_msg;

typedef struct node_dialed_msg {
	gri_msg     hdr;
	int         rv;
	nng_stream *stream; /* owned until handled */
} node_dialed_msg;

static uint64_t
node_ewma(uint64_t avg, uint64_t sample)
{
	return (avg == 0 ? sample : (avg * 7 + sample) / 8);
}

/*
 * node_finish ends c (or, for a quorum call's sub-call, tells its quorum
 * call), drops its deadline and the reference the node held.
 */
static void
node_finish(gorums_call *c, gorums_err err, ProtobufCMessage *reply)
{
	if (c->sink != NULL) {
		gri_qcall_deliver(c, GRI_QC_FINAL, err, NULL, 0);
	} else {
		gri_call_disarm_deadline(c);
		gri_call_complete(c, err, reply);
	}
	gri_call_unref(c);
}

/* node_fail_all fails every waiting call with err; returns how many. */
static size_t
node_fail_all(gorums_node *n, gorums_err err)
{
	gorums_call *c;
	size_t       nfailed = n->nsendwait;

	/* The count drops before each completion: a caller woken by it may
	 * look at the count at once. */
	while ((c = gri_idmap_pop(&n->pending, NULL)) != NULL) {
		atomic_fetch_sub_explicit(&n->npending, 1,
		                          memory_order_relaxed);
		node_finish(c, err, NULL);
		nfailed++;
	}
	for (size_t i = 0; i < n->nsendwait; i++) {
		node_finish(n->sendwait[i], err, NULL);
	}
	n->nsendwait   = 0;
	n->backlog_len = 0;
	return (nfailed);
}

static void
node_redial_cb(void *arg)
{
	gorums_node *n = arg;
	gri_msg     *m = gri_msg_alloc(sizeof(gri_msg), NODE_REDIAL);

	/* Timer thread: only enqueue. Without memory the node stays idle
	 * until its next call dials. */
	if (m != NULL) {
		gri_actor_send(&n->base, m);
	}
}

static void
node_schedule_redial(gorums_node *n)
{
	if (n->redial_armed || n->stopped) {
		return;
	}
	n->next_dial_ns = gri_clock_ns() + (uint64_t) n->backoff_ms * 1000000u;
	n->redial_armed =
	    gri_timer_schedule(n->timer, &n->redial,
	                       (uint64_t) n->backoff_ms * 1000000u,
	                       0) == GORUMS_OK;
	n->backoff_ms *= 2;
	if (n->backoff_ms > n->opts.backoff_max_ms) {
		n->backoff_ms = n->opts.backoff_max_ms;
	}
}

/*
 * node_down is the node without a stream (what: why, for the log): it
 * records err, fails every call waiting on the node with it, and
 * schedules the next attempt.
 */
static void
node_down(gorums_node *n, gorums_err err, const char *what)
{
	size_t nfailed;

	atomic_store_explicit(&n->last_error, err, memory_order_relaxed);
	nfailed = node_fail_all(n, err);
	gri_log(&n->opts.logger, GORUMS_LOG_WARN,
	        "node %s: %s: %s; failed calls: %zu; next attempt in %d ms",
	        n->addr, what, gorums_strerror(err), nfailed, n->backoff_ms);
	node_schedule_redial(n);
}

static void
node_break(gorums_node *n, gorums_err err)
{
	atomic_store_explicit(&n->connected, false, memory_order_relaxed);
	if (n->link != NULL) {
		gri_link_free(n->link);
		n->link = NULL;
	}
	/* Every pending request was sent on that stream: fail them now. */
	node_down(n, err, "connection lost");
}

static void
node_dial_cb(void *arg)
{
	gorums_node     *n = arg;
	node_dialed_msg *m;
	int              rv = nng_aio_result(n->dial_aio);

	/* The message was allocated when the dial started (dial_msg), so
	 * reporting cannot fail. nng thread: only enqueue. */
	m         = (node_dialed_msg *) nng_aio_get_input(n->dial_aio, 0);
	m->rv     = rv;
	m->stream = rv == 0 ? nng_aio_get_output(n->dial_aio, 0) : NULL;
	gri_actor_send(&n->base, &m->hdr);
}

static void
node_dialed_drop(gri_msg *m)
{
	node_dialed_msg *dm = (node_dialed_msg *) m;

	if (dm->stream != NULL) {
		nng_stream_free(dm->stream);
	}
}

static gorums_err
node_dial(gorums_node *n)
{
	node_dialed_msg *m;
	int              rv;

	if (n->dialer == NULL) {
		if ((rv = nng_stream_dialer_alloc(&n->dialer, n->addr)) != 0) {
			return (gri_err_from_nng(rv));
		}
		/* Small frames must not wait for delayed ACKs (Nagle). Not
		 * an error for transports without the option (ipc). */
		(void) nng_stream_dialer_set_bool(n->dialer,
		                                  NNG_OPT_TCP_NODELAY, true);
		if (gri_url_is_tls(n->addr) &&
		    (rv = nng_stream_dialer_set_ptr(
		         n->dialer, NNG_OPT_TLS_CONFIG, n->opts.tls)) != 0) {
			nng_stream_dialer_free(n->dialer);
			n->dialer = NULL;
			return (gri_err_from_nng(rv));
		}
	}
	if (n->dial_aio == NULL &&
	    (rv = nng_aio_alloc(&n->dial_aio, node_dial_cb, n)) != 0) {
		return (gri_err_from_nng(rv));
	}
	m = (node_dialed_msg *) gri_msg_alloc(sizeof(*m), NODE_DIALED);
	if (m == NULL) {
		return (GORUMS_ENOMEM);
	}
	m->hdr.drop = node_dialed_drop;
	nng_aio_set_input(n->dial_aio, 0, m);
	nng_aio_set_timeout(n->dial_aio, n->opts.dial_timeout_ms);
	n->dialing = true;
	nng_stream_dialer_dial(n->dialer, n->dial_aio);
	return (GORUMS_OK);
}

static void
node_on_dialed(gorums_node *n, node_dialed_msg *m)
{
	gorums_err err;

	n->dialing = false;
	if (n->stopped) {
		return; /* the drop frees the stream */
	}
	if (m->rv != 0) {
		node_down(n, gri_err_from_nng(m->rv), "connect failed");
		return;
	}
	n->epoch++;
	err       = gri_link_alloc(&n->link, m->stream, &n->base, NODE_LINK,
	                           n->epoch, n->opts.max_frame);
	m->stream = NULL; /* the link owns it now, even on failure */
	if (err != GORUMS_OK) {
		n->link = NULL;
		node_break(n, err);
		return;
	}
	gri_link_count_into(n->link, &n->stream_queued);
	/* The connection metadata goes first, before anything queued. */
	if (n->hello != NULL &&
	    (err = gri_link_send(n->link, n->hello, n->hello_len)) !=
	        GORUMS_OK) {
		node_break(n, err);
		return;
	}
	n->backoff_ms = n->opts.backoff_min_ms;
	gri_log(&n->opts.logger, GORUMS_LOG_INFO, "node %s: connected",
	        n->addr);
	atomic_store_explicit(&n->connected, true, memory_order_relaxed);
	atomic_store_explicit(&n->last_error, GORUMS_OK, memory_order_relaxed);
	/* What queued while we dialed goes out first, in order. */
	if (n->backlog_len > 0) {
		err = gri_link_send(n->link, n->backlog, n->backlog_len);
		n->backlog_len = 0;
		if (err != GORUMS_OK) {
			node_break(n, err);
			return;
		}
	}
	for (size_t i = 0; i < n->nsendwait; i++) {
		node_finish(n->sendwait[i], GORUMS_OK, NULL);
	}
	n->nsendwait = 0;
}

static bool
node_grow(void **buf, size_t *cap, size_t need, size_t elem)
{
	size_t nc = *cap > 0 ? *cap : 64;
	void  *nb;

	if (need <= *cap) {
		return (true);
	}
	while (nc < need) {
		nc *= 2;
	}
	if ((nb = realloc(*buf, nc * elem)) == NULL) {
		return (false);
	}
	*buf = nb;
	*cap = nc;
	return (true);
}

/*
 * node_queue_full tells whether a frame of len bytes would take a queue
 * holding queued bytes past send_queue_max. An empty queue takes any
 * frame (max_frame bounds it), so that a bound below the frame size
 * slows a sender down without refusing its larger messages for ever.
 */
static bool
node_queue_full(size_t queued, size_t len, const gri_node_opts *o)
{
	return (queued > 0 && queued + len > o->send_queue_max);
}

/* node_queue keeps a frame (and a one-way waiter) until connected; c is
 * NULL for a fire-and-forget frame. */
static gorums_err
node_queue(gorums_node *n, node_call_msg *m, gorums_call *c)
{
	if (node_queue_full(n->backlog_len, m->len, &n->opts)) {
		return (GORUMS_EAGAIN);
	}
	if (!node_grow((void **) &n->backlog, &n->backlog_cap,
	               n->backlog_len + m->len, 1) ||
	    (c != NULL && c->oneway &&
	     !node_grow((void **) &n->sendwait, &n->sendwait_cap,
	                n->nsendwait + 1, sizeof(gorums_call *)))) {
		return (GORUMS_ENOMEM);
	}
	memcpy(n->backlog + n->backlog_len, m->frame, m->len);
	n->backlog_len += m->len;
	if (c != NULL && c->oneway) {
		n->sendwait[n->nsendwait++] = c; /* the message's reference */
	}
	return (GORUMS_OK);
}

static uint32_t node_next_id(gorums_node *n);

/*
 * node_on_post sends a fire-and-forget frame (gri_node_post): like a
 * one-way call, in order with the calls, but with nobody to tell of the
 * outcome. So where a call would fail (closed, backing off, no memory for
 * the backlog), the frame is dropped; a broken stream still breaks the
 * node. A frame taken by gri_node_post is not dropped for a full queue.
 */
static void
node_on_post(gorums_node *n, node_call_msg *m)
{
	gorums_err err;

	atomic_fetch_sub_explicit(&n->posted, m->hdr.size,
	                          memory_order_relaxed);
	if (n->stopped) {
		return;
	}
	gri_wire_set_msg_id(m->frame, node_next_id(n));
	if (n->link == NULL && !n->dialing &&
	    (gri_clock_ns() < n->next_dial_ns || node_dial(n) != GORUMS_OK)) {
		return;
	}
	if (n->link == NULL) {
		(void) node_queue(n, m, NULL);
		return;
	}
	/* No queue bound here: gri_node_post_full counts the stream's queue
	 * with what waits for us, and refuses posts past nowait_queue_max. */
	if ((err = gri_link_send(n->link, m->frame, m->len)) != GORUMS_OK) {
		node_break(n, err);
	}
}

static void
node_on_call(gorums_node *n, node_call_msg *m)
{
	gorums_call *c = m->call;
	gorums_err   err;

	if (c == NULL) {
		node_on_post(n, m);
		return;
	}

	m->call = NULL; /* its reference is ours now */
	if (atomic_load_explicit(&c->ready, memory_order_relaxed)) {
		gri_call_unref(c); /* timed out or cancelled before sending */
		return;
	}
	if (n->stopped) {
		node_finish(c, GORUMS_ECLOSED, NULL);
		return;
	}
	if (n->link == NULL && !n->dialing) {
		/* Recently failed: fail fast until the backoff passes (the
		 * redial timer keeps trying in the background). */
		if (gri_clock_ns() < n->next_dial_ns) {
			err = atomic_load_explicit(&n->last_error,
			                           memory_order_relaxed);
			node_finish(
			    c, err != GORUMS_OK ? err : GORUMS_ECONNREFUSED,
			    NULL);
			return;
		}
		if ((err = node_dial(n)) != GORUMS_OK) {
			node_finish(c, err, NULL);
			return;
		}
	}
	/* The send queue is bounded: a caller faster than the stream gets
	 * GORUMS_EAGAIN instead of growing the queue without end. */
	if (n->link != NULL &&
	    node_queue_full(gri_link_queued(n->link), m->len, &n->opts)) {
		node_finish(c, GORUMS_EAGAIN, NULL);
		return;
	}
	if (!c->oneway) {
		if ((err = gri_idmap_put(&n->pending, c->msg_id, c)) !=
		    GORUMS_OK) {
			node_finish(c, err, NULL);
			return;
		}
		atomic_fetch_add_explicit(&n->npending, 1,
		                          memory_order_relaxed);
	}
	if (n->link == NULL) {
		if ((err = node_queue(n, m, c)) != GORUMS_OK) {
			if (!c->oneway) {
				(void) gri_idmap_del(&n->pending, c->msg_id);
				atomic_fetch_sub_explicit(
				    &n->npending, 1, memory_order_relaxed);
			}
			node_finish(c, err, NULL);
		}
		return;
	}
	if ((err = gri_link_send(n->link, m->frame, m->len)) != GORUMS_OK) {
		if (c->oneway) {
			node_finish(c, err, NULL);
		}
		node_break(n, err);
		return;
	}
	if (c->oneway) {
		node_finish(c, GORUMS_OK, NULL); /* handed to the stream */
	}
}

static void
node_on_cancel(gorums_node *n, node_cancel_msg *m)
{
	gorums_call *c = m->call;

	m->call = NULL;
	if (!c->oneway &&
	    gri_idmap_get(&n->pending, c->msg_id) == (void *) c) {
		(void) gri_idmap_del(&n->pending, c->msg_id);
		atomic_fetch_sub_explicit(&n->npending, 1,
		                          memory_order_relaxed);
		if (c->sink == NULL) {
			gri_call_disarm_deadline(c);
			gri_call_complete(c, m->err, NULL);
		}
		/* A sub-call's quorum call ended already: just forget it. */
		gri_call_unref(c); /* the routing entry's reference */
	} else if (c->sink != NULL) {
		/* A sub-call not sent yet: qc_end marked it ready before it
		 * sent this, so its NODE_CALL drops it. Nothing to do. */
	} else {
		/* Not sent yet (its NODE_CALL will see done) or a one-way
		 * still queued; completing it now is what the caller asked. */
		gri_call_complete(c, m->err, NULL);
	}
	gri_call_unref(c); /* the message's reference */
}

static void
node_on_frame(gorums_node *n, const uint8_t *frame, size_t len)
{
	gri_wire_frame    f;
	gorums_call      *c;
	ProtobufCMessage *reply = NULL;
	gorums_err        err;

	if ((err = gri_wire_decode(frame, len, n->opts.max_frame, &f)) !=
	    GORUMS_OK) {
		node_break(n, err); /* a malformed frame ends this stream */
		return;
	}
	if (f.hdr.kind == GRI_WIRE_STREAM_ITEM) {
		/* One of several replies (a correctable stream): the entry
		 * stays until the stream ends. Only quorum calls take them. */
		c = gri_idmap_get(&n->pending, f.hdr.msg_id);
		if (c != NULL && c->sink != NULL) {
			gri_qcall_deliver(c, GRI_QC_ITEM, GORUMS_OK, f.payload,
			                  f.payload_len);
		}
		return;
	}
	if (f.hdr.kind != GRI_WIRE_REPLY && f.hdr.kind != GRI_WIRE_ERROR &&
	    f.hdr.kind != GRI_WIRE_STREAM_END) {
		return; /* requests are not meant for a client */
	}
	if ((c = gri_idmap_del(&n->pending, f.hdr.msg_id)) == NULL) {
		return; /* late: its call ended already */
	}
	atomic_fetch_sub_explicit(&n->npending, 1, memory_order_relaxed);
	atomic_store_explicit(
	    &n->latency_ns,
	    node_ewma(
	        atomic_load_explicit(&n->latency_ns, memory_order_relaxed),
	        gri_clock_ns() - c->start_ns),
	    memory_order_relaxed);
	if (f.hdr.kind == GRI_WIRE_ERROR) {
		err = f.hdr.status != 0 ? (gorums_err) f.hdr.status
		                        : GORUMS_EINTERNAL;
	} else if (c->sink != NULL) {
		/* The quorum call unpacks it, into its own arena. A stream's
		 * end carries no reply. */
		if (f.hdr.kind == GRI_WIRE_STREAM_END) {
			gri_qcall_deliver(c, GRI_QC_END, GORUMS_OK, NULL, 0);
		} else {
			gri_qcall_deliver(c, GRI_QC_FINAL, GORUMS_OK,
			                  f.payload, f.payload_len);
		}
		gri_call_unref(c);
		return;
	} else if (c->reply_desc != NULL && f.hdr.kind == GRI_WIRE_REPLY) {
		err = gri_wire_unpack(c->reply_desc, NULL, f.payload,
		                      f.payload_len, &reply);
	} else {
		err = GORUMS_OK;
	}
	node_finish(c, err, reply);
}

static void
node_on_link(gorums_node *n, gri_link_msg *lm)
{
	gorums_err err;

	if (n->link == NULL || lm->epoch != gri_link_epoch(n->link)) {
		return; /* from a stream we already let go of */
	}
	switch (lm->hdr.id - NODE_LINK) {
	case GRI_LINK_FRAME: {
		const uint8_t *frame;
		size_t         off = 0, len;
		/* Until a malformed frame breaks the stream (and frees the
		 * link): the frames after it were on that stream too. */
		while (n->link != NULL &&
		       (frame = gri_link_msg_frame(lm, &off, &len)) != NULL) {
			node_on_frame(n, frame, len);
		}
		break;
	}
	case GRI_LINK_SENT:
		if ((err = gri_link_sent(n->link, lm)) != GORUMS_OK) {
			node_break(n, err);
		}
		break;
	case GRI_LINK_ERROR:
		node_break(n, lm->err);
		break;
	}
}

static void
node_on_close(gorums_node *n, node_cancel_msg *m)
{
	gorums_call *done = m->call;

	m->call    = NULL;
	n->stopped = true;
	node_fail_all(n, GORUMS_ECLOSED);
	if (n->link != NULL) {
		gri_link_free(n->link);
		n->link = NULL;
	}
	atomic_store_explicit(&n->connected, false, memory_order_relaxed);
	/* These wait only for callbacks that merely enqueue. */
	if (n->dial_aio != NULL) {
		nng_aio_stop(n->dial_aio);
	}
	gri_timer_cancel_wait(n->timer, &n->redial);
	n->redial_armed = false;
	node_finish(done, GORUMS_OK, NULL);
}

static void
node_dispatch(gri_actor *self, gri_msg *m)
{
	gorums_node *n = (gorums_node *) self;

	switch (m->id) {
	case NODE_CALL:
		node_on_call(n, (node_call_msg *) m);
		break;
	case NODE_CANCEL:
		node_on_cancel(n, (node_cancel_msg *) m);
		break;
	case NODE_DIALED:
		node_on_dialed(n, (node_dialed_msg *) m);
		node_dialed_drop(m);
		break;
	case NODE_REDIAL:
		n->redial_armed = false;
		if (!n->stopped && n->link == NULL && !n->dialing &&
		    node_dial(n) != GORUMS_OK) {
			node_schedule_redial(n);
		}
		break;
	case NODE_CLOSE:
		node_on_close(n, (node_cancel_msg *) m);
		break;
	default:
		node_on_link(n, (gri_link_msg *) m);
		break;
	}
}

/* Undelivered messages (the actor stopped) still end their calls. */
static void
node_call_drop(gri_msg *m)
{
	node_call_msg *cm = (node_call_msg *) m;

	if (cm->call != NULL) {
		node_finish(cm->call, GORUMS_ECLOSED, NULL);
	}
}

static void
node_stop(gri_actor *self)
{
	gorums_node *n = (gorums_node *) self;

	/* Normally gri_node_close did all this already. */
	n->stopped = true;
	node_fail_all(n, GORUMS_ECLOSED);
	if (n->link != NULL) {
		gri_link_free(n->link);
		n->link = NULL;
	}
}

static void
node_fini(gri_actor *self)
{
	gorums_node *n = (gorums_node *) self;

	if (n->dial_aio != NULL) {
		nng_aio_stop(n->dial_aio);
		nng_aio_free(n->dial_aio);
	}
	if (n->dialer != NULL) {
		nng_stream_dialer_free(n->dialer);
	}
	gri_idmap_fini(&n->pending);
	free(n->backlog);
	free(n->sendwait);
	free(n->addr);
	free(n->hello);
	if (n->on_free != NULL) {
		gri_call_complete(n->on_free, GORUMS_OK, NULL);
		gri_call_unref(n->on_free);
	}
}

/* node_flush writes the requests of one run of messages together. */
static void
node_flush(gri_actor *self)
{
	gorums_node *n = (gorums_node *) self;

	if (n->link != NULL) {
		gri_link_flush(n->link);
	}
}

static const gri_actor_ops node_ops = {
    .name     = "node",
    .dispatch = node_dispatch,
    .stop     = node_stop,
    .fini     = node_fini,
    .flush    = node_flush,
};

gorums_err
gri_node_alloc(gorums_node **np, gri_sched *sched, gri_timer *timer,
               const char *addr, uint32_t id, const gri_node_opts *opts,
               uint8_t *hello, size_t hello_len)
{
	gri_actor   *a;
	gorums_node *n;
	gorums_err   rv;
	char        *copy = strdup(addr);

	if (copy == NULL) {
		free(hello);
		return (GORUMS_ENOMEM);
	}
	if ((rv = gri_actor_spawn(sched, &node_ops, sizeof(*n), &a)) !=
	    GORUMS_OK) {
		free(copy);
		free(hello);
		return (rv);
	}
	n             = (gorums_node *) a;
	n->addr       = copy;
	n->hello      = hello;
	n->hello_len  = hello_len;
	n->id         = id;
	n->timer      = timer;
	n->opts       = *opts;
	n->backoff_ms = opts->backoff_min_ms;
	atomic_init(&n->next_msg_id, 0);
	atomic_init(&n->last_error, GORUMS_OK);
	atomic_init(&n->latency_ns, 0);
	atomic_init(&n->connected, false);
	atomic_init(&n->npending, 0);
	atomic_init(&n->stream_queued, 0);
	atomic_init(&n->closed, false);
	gri_idmap_init(&n->pending);
	gri_timeout_init(&n->redial, node_redial_cb, n);
	*np = n;
	return (GORUMS_OK);
}

static uint32_t
node_next_id(gorums_node *n)
{
	uint32_t id;

	/* Client ids keep the top bit clear (it marks server-initiated ids)
	 * and skip 0 (the pending table's empty slot). Relaxed: uniqueness
	 * is all we need. */
	do {
		id = atomic_fetch_add_explicit(&n->next_msg_id, 1,
		                               memory_order_relaxed) &
		    ~GRI_WIRE_ID_SERVER;
	} while (id == 0);
	return (id);
}

void
gri_node_prepare_call(gorums_node *n, gorums_call *c, int kind)
{
	c->node      = n;
	c->msg_id    = node_next_id(n);
	c->oneway    = kind == GRI_WIRE_ONEWAY;
	c->timer     = n->timer;
	c->spin_ns   = n->opts.wait_spin_ns;
	c->completer = &n->base;
	c->cancel_id = NODE_CANCEL;
}

/*
 * node_send arms c's deadline and hands the message m (c's frame) to the
 * node actor; on error m is freed.
 */
static gorums_err
node_send(gorums_node *n, gorums_call *c, node_call_msg *m, int timeout_ms)
{
	gorums_err rv;

	c->start_ns = gri_clock_ns();
	if ((rv = gri_call_arm_deadline(c, timeout_ms)) != GORUMS_OK) {
		gri_msg_free(&m->hdr);
		return (rv);
	}
	gri_call_ref(c); /* the message's */
	m->call     = c;
	m->hdr.drop = node_call_drop;
	gri_actor_send(&n->base, &m->hdr);
	return (GORUMS_OK);
}

/*
 * node_frame_msg makes the NODE_CALL message for one frame, after checking
 * that n takes calls and frames that large: frame, if not NULL, is a
 * request encoded once for several nodes, copied under h's message id;
 * else msg is encoded with header h. The message's call is NULL.
 */
static gorums_err
node_frame_msg(gorums_node *n, const gri_wire_hdr *h,
               const ProtobufCMessage *msg, const uint8_t *frame, size_t len,
               node_call_msg **mp)
{
	size_t size = frame != NULL ? len : gri_wire_msg_size(0, NULL, msg);
	node_call_msg *m;
	gorums_err     rv;

	if (atomic_load_explicit(&n->closed, memory_order_relaxed)) {
		return (GORUMS_ECLOSED);
	}
	if (size > n->opts.max_frame) {
		return (GORUMS_EMSGSIZE);
	}
	m = (node_call_msg *) gri_msg_alloc(sizeof(*m) + size, NODE_CALL);
	if (m == NULL) {
		return (GORUMS_ENOMEM);
	}
	if (frame != NULL) {
		memcpy(m->frame, frame, len);
		gri_wire_set_msg_id(m->frame, h->msg_id);
	} else if ((rv = gri_wire_encode_msg(h, NULL, msg, n->opts.max_frame,
	                                     m->frame, size, &len)) !=
	           GORUMS_OK) {
		gri_msg_free(&m->hdr);
		return (rv);
	}
	m->call = NULL;
	m->len  = len;
	*mp     = m;
	return (GORUMS_OK);
}

gorums_err
gri_node_send_call(gorums_node *n, gorums_call *c, uint32_t method,
                   const ProtobufCMessage *req, int timeout_ms)
{
	gri_wire_hdr   h = {.kind =
                              c->oneway ? GRI_WIRE_ONEWAY : GRI_WIRE_REQUEST,
	                    .msg_id    = c->msg_id,
	                    .method_id = method};
	node_call_msg *m;
	gorums_err     rv;

	if ((rv = node_frame_msg(n, &h, req, NULL, 0, &m)) != GORUMS_OK) {
		return (rv);
	}
	return (node_send(n, c, m, timeout_ms));
}

gorums_err
gri_node_send_frame(gorums_node *n, gorums_call *c, const uint8_t *frame,
                    size_t len, int timeout_ms)
{
	gri_wire_hdr   h = {.msg_id = c->msg_id};
	node_call_msg *m;
	gorums_err     rv;

	if ((rv = node_frame_msg(n, &h, NULL, frame, len, &m)) != GORUMS_OK) {
		return (rv);
	}
	return (node_send(n, c, m, timeout_ms));
}

bool
gri_node_post_full(gorums_node *n)
{
	/* Nothing else pushes back on a sender that does not wait: without
	 * this bound, a sender faster than the stream grows the node's
	 * mailbox, or else its stream's queue, without end. */
	return (
	    atomic_load_explicit(&n->posted, memory_order_relaxed) +
	        atomic_load_explicit(&n->stream_queued, memory_order_relaxed) >
	    n->opts.nowait_queue_max);
}

gorums_err
gri_node_post(gorums_node *n, uint32_t method, const ProtobufCMessage *msg,
              const uint8_t *frame, size_t len)
{
	/* Message id 0 for now: the node actor sets one (node_on_post). */
	gri_wire_hdr   h = {.kind = GRI_WIRE_ONEWAY, .method_id = method};
	node_call_msg *m;
	gorums_err     rv;

	if ((rv = node_frame_msg(n, &h, msg, frame, len, &m)) != GORUMS_OK) {
		return (rv);
	}
	atomic_fetch_add_explicit(&n->posted, m->hdr.size,
	                          memory_order_relaxed);
	gri_actor_send(&n->base, &m->hdr);
	return (GORUMS_OK);
}

gorums_err
gri_node_start_call(gorums_node *n, gorums_call *c, int kind, uint32_t method,
                    const ProtobufCMessage *req, int timeout_ms)
{
	gri_node_prepare_call(n, c, kind);
	return (gri_node_send_call(n, c, method, req, timeout_ms));
}

void
gri_node_on_free(gorums_node *n, gorums_call *done)
{
	gri_call_ref(done);
	n->on_free = done;
}

void
gri_node_close(gorums_node *n, gorums_call *done)
{
	gri_msg *m;

	atomic_store_explicit(&n->closed, true, memory_order_relaxed);
	done->cancel_id = NODE_CLOSE;
	if ((m = gri_cancel_msg_alloc(done, GORUMS_ECLOSED)) == NULL) {
		/* XXX: without memory the node is closed by its stop. */
		gri_call_complete(done, GORUMS_ENOMEM, NULL);
		return;
	}
	gri_actor_send(&n->base, m);
}
