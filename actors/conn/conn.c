/*
 * conn.c: the connection actor and the request context. See conn.h.
 *
 * Design notes.
 *
 * Arrival. Each frame is decoded on arrival and becomes a gorums_ctx: the
 * method is looked up and the payload unpacked right away (unpacking copies
 * the bytes, so the link's message can go). A request that fails either
 * way still gets a ctx, carrying the error, and waits in the queue like the
 * others: its error frame goes out at its turn, so answers leave in the
 * order the requests would have started, as in Go gorums, where the receive
 * loop looks up the handler only after the previous one released.
 *
 * The gate. gate_open is true when no dispatched handler holds the order:
 * the last one returned or called release. While it is open, the actor
 * pops the queue: error entries are answered at once; the first real
 * request goes to the handler pool and closes the gate.
 *
 * The context's life. Three events happen to a dispatched ctx, each once,
 * in any order and on any threads: ANSWERED (reply or error), GATE (release
 * or return) and RETURNED. They are bits of one atomic word, set by CAS, so
 * exactly one thread sees each bit go up; that thread tells the actor in
 * one message (a reply frame and/or an error status, "gate open", "done").
 * The thread that completes ANSWERED|RETURNED frees the ctx: its request,
 * and its reference to the actor. Everyone else touches the ctx only
 * before their CAS, and holds a reference of their own to the actor while
 * they post, since the finisher may drop the ctx's right after the CAS.
 * The message for the return is allocated with the ctx, so the gate always
 * opens and a dispatched request always finishes, even out of memory.
 *
 * Writing. Only the actor writes to the link. Reply frames are encoded by
 * the answering thread into the message (so the payload is packed once, off
 * the actor); the actor copies them into the link's pending buffer. Error
 * frames are encoded by the actor.
 *
 * Closing. conn_close frees the link (closing the stream), discards the
 * queue, marks the connection dead and tells the host. Handlers still
 * running carry on; their messages are dropped (dead lets them skip the
 * encoding), and the contexts are freed by whoever finishes them, as
 * always. Nothing waits for them here.
 */
#include "actors/conn/conn.h"

#include <stdatomic.h>
#include <string.h>

#include "src/link/link.h"
#include "src/pool.h"
#include "src/wire/wire.h"

enum {
	CONN_MSG_START = 1,  /* conn_start_msg: the stream to serve */
	CONN_MSG_STOP  = 2,  /* conn_stop_msg */
	CONN_MSG_CTX   = 3,  /* conn_ctx_msg: news of a context */
	CONN_MSG_LINK  = 16, /* + GRI_LINK_*: gri_link_msg from the link */
};

enum conn_state {
	CONN_INIT,     /* spawned, link not yet made */
	CONN_OPEN,     /* serving */
	CONN_DRAINING, /* graceful stop: waiting for started handlers */
	CONN_CLOSED,   /* link gone, host told */
};

/* Context state bits (gorums_ctx.state). */
#define CTX_ANSWERED 0x1u /* a reply or error was posted (or none due) */
#define CTX_GATE     0x2u /* release or return opened the gate */
#define CTX_RETURNED 0x4u /* the handler returned (or never will run) */

/* What a conn_ctx_msg carries (conn_ctx_msg.flags). */
#define CM_FRAME 0x1u /* frame[0 .. len) is an encoded reply */
#define CM_ERROR 0x2u /* answer with an error frame of status */
#define CM_GATE  0x4u /* the gate opens */
#define CM_DONE  0x8u /* a dispatched request is finished */

typedef struct conn_start_msg {
	gri_msg     hdr;
	nng_stream *stream; /* owned; freed by drop if undelivered */
} conn_start_msg;

typedef struct conn_stop_msg {
	gri_msg hdr;
	bool    graceful;
} conn_stop_msg;

typedef struct conn_ctx_msg {
	gri_msg    hdr;
	unsigned   flags;
	uint32_t   msg_id;    /* CM_ERROR: the request's ids */
	uint32_t   method_id; /* */
	gorums_err status;    /* CM_ERROR: the error to answer */
	size_t     len;       /* CM_FRAME: bytes in frame */
	uint8_t    frame[];
} conn_ctx_msg;

struct gorums_ctx {
	/* First, so that the pool's task is the ctx. */
	gri_hpool_task task;
	/* Set at arrival on the actor, read-only after (published to the
	 * handler thread by the pool's mutex). conn is a reference. */
	gri_conn         *conn;
	const gri_method *method;
	ProtobufCMessage *req;
	uint32_t          msg_id;
	uint32_t          method_id;
	bool              oneway;
	/* The actor only, until dispatch: the queue link, and the error to
	 * answer instead of dispatching. */
	gorums_ctx *next;
	gorums_err  err;
	/* The message for the return; the handler thread (after dispatch). */
	conn_ctx_msg *ret_msg;
	/* Any thread, CAS: CTX_* bits. acq_rel, so that the finisher sees
	 * every other thread's use of the ctx before freeing it. */
	atomic_uint state;
};

struct gri_conn {
	gri_actor base; /* first */
	/* Set at spawn, read-only after; any thread. */
	gri_conn_host *host;
	void          *cookie;
	/* Any thread: set once when the connection closes. Relaxed: only a
	 * hint that saves work (encoding a reply, starting a handler); a
	 * message that arrives after the close is ignored anyway. */
	atomic_bool dead;
	/* Any thread, exchange: the stop request, allocated at spawn so that
	 * stopping cannot fail; taken by the first gri_conn_stop. */
	_Atomic(conn_stop_msg *) stop_msg;
	/* The actor only. */
	enum conn_state state;
	gri_link       *link;
	gorums_err      fail;      /* close at the end of this behaviour */
	bool            gate_open; /* the next request may start */
	gorums_ctx     *qhead;     /* arrived, not dispatched, in order */
	gorums_ctx     *qtail;
	size_t          nactive; /* dispatched, not finished */
};

/* ---- contexts ---------------------------------------------------------- */

static conn_ctx_msg *
ctx_msg_alloc(size_t frame_len)
{
	return ((conn_ctx_msg *) gri_msg_alloc(
	    sizeof(conn_ctx_msg) + frame_len, CONN_MSG_CTX));
}

/* ctx_free frees ctx and drops its reference to the connection. */
static void
ctx_free(gorums_ctx *ctx)
{
	gri_conn *c = ctx->conn;

	if (ctx->req != NULL) {
		protobuf_c_message_free_unpacked(ctx->req, NULL);
	}
	if (ctx->ret_msg != NULL) {
		gri_msg_free(&ctx->ret_msg->hdr);
	}
	gri_pool_free(ctx, sizeof(*ctx));
	gri_actor_unref(&c->base);
}

/*
 * ctx_post sends m with flags to c, or frees it if there is nothing to say
 * or nobody to say it to. The caller holds a reference to c.
 */
static void
ctx_post(gri_conn *c, conn_ctx_msg *m, unsigned flags)
{
	if (m == NULL) {
		return;
	}
	if (flags == 0 ||
	    atomic_load_explicit(&c->dead, memory_order_relaxed)) {
		gri_msg_free(&m->hdr);
		return;
	}
	m->flags = flags;
	gri_actor_send(&c->base, &m->hdr);
}

/*
 * ctx_returned records that the handler returned (or will never run),
 * answering with err if err is not OK and nobody answered yet. The ctx may
 * be gone when it returns.
 */
static void
ctx_returned(gorums_ctx *ctx, gorums_err err)
{
	gri_conn     *c = ctx->conn;
	conn_ctx_msg *m = ctx->ret_msg;
	unsigned      old, nw, flags = 0;

	ctx->ret_msg = NULL;
	m->msg_id    = ctx->msg_id;
	m->method_id = ctx->method_id;
	m->status    = err;
	gri_actor_ref(&c->base);
	old = atomic_load_explicit(&ctx->state, memory_order_relaxed);
	do {
		nw = old | CTX_RETURNED | CTX_GATE;
		if (err != GORUMS_OK) {
			nw |= CTX_ANSWERED;
		}
	} while (!atomic_compare_exchange_weak_explicit(&ctx->state, &old, nw,
	                                                memory_order_acq_rel,
	                                                memory_order_relaxed));
	if ((old & CTX_GATE) == 0) {
		flags |= CM_GATE;
	}
	if ((old & CTX_ANSWERED) == 0 && (nw & CTX_ANSWERED) != 0) {
		flags |= CM_ERROR;
	}
	if ((nw & CTX_ANSWERED) != 0) {
		flags |= CM_DONE; /* answered and now returned: finished */
	}
	ctx_post(c, m, flags);
	if ((nw & CTX_ANSWERED) != 0) {
		ctx_free(ctx);
	}
	gri_actor_unref(&c->base);
}

/*
 * ctx_answer records the answer carried by m (NULL when the connection is
 * dead: nothing to send) and posts it. GORUMS_ESTATE if answered already.
 */
static gorums_err
ctx_answer(gorums_ctx *ctx, conn_ctx_msg *m, unsigned flag)
{
	gri_conn *c = ctx->conn;
	unsigned  old, nw;

	gri_actor_ref(&c->base);
	old = atomic_load_explicit(&ctx->state, memory_order_relaxed);
	do {
		if ((old & CTX_ANSWERED) != 0) {
			if (m != NULL) {
				gri_msg_free(&m->hdr);
			}
			gri_actor_unref(&c->base);
			return (GORUMS_ESTATE);
		}
		nw = old | CTX_ANSWERED;
	} while (!atomic_compare_exchange_weak_explicit(&ctx->state, &old, nw,
	                                                memory_order_acq_rel,
	                                                memory_order_relaxed));
	ctx_post(c, m, flag | ((nw & CTX_RETURNED) != 0 ? CM_DONE : 0));
	if ((nw & CTX_RETURNED) != 0) {
		ctx_free(ctx);
	}
	gri_actor_unref(&c->base);
	return (GORUMS_OK);
}

/* ctx_run is the pool task: run the handler, on a handler thread. */
static void
ctx_run(gri_hpool_task *t)
{
	gorums_ctx *ctx = (gorums_ctx *) t;
	gorums_err  rv;

	if (atomic_load_explicit(&ctx->conn->dead, memory_order_relaxed)) {
		/* Nobody would hear the answer: do not start. */
		ctx_returned(ctx, GORUMS_ECLOSED);
		return;
	}
	rv = ctx->method->handler(ctx, ctx->req, ctx->method->arg);
	ctx_returned(ctx, rv == GORUMS_OK ? GORUMS_OK : GORUMS_EHANDLER);
}

/* ctx_cancel: the pool will never run ctx (stopped, or no thread). */
static void
ctx_cancel(gri_hpool_task *t, gorums_err why)
{
	ctx_returned((gorums_ctx *) t, why);
}

void
gri_ctx_release(gorums_ctx *ctx)
{
	conn_ctx_msg *m;

	/* The handler is running, so ctx and its connection are alive. */
	if ((atomic_load_explicit(&ctx->state, memory_order_relaxed) &
	     CTX_GATE) != 0) {
		return;
	}
	if ((m = ctx_msg_alloc(0)) == NULL) {
		return; /* out of memory: the gate opens at return instead */
	}
	if ((atomic_fetch_or_explicit(&ctx->state, CTX_GATE,
	                              memory_order_acq_rel) &
	     CTX_GATE) != 0) {
		gri_msg_free(&m->hdr);
		return;
	}
	ctx_post(ctx->conn, m, CM_GATE);
}

gorums_err
gri_ctx_reply(gorums_ctx *ctx, const ProtobufCMessage *msg)
{
	gri_conn     *c   = ctx->conn;
	size_t        max = c->host->max_frame;
	conn_ctx_msg *m   = NULL;
	gri_wire_hdr  h;
	size_t        size;
	gorums_err    rv;

	if (ctx->oneway) {
		return (GORUMS_OK);
	}
	if ((atomic_load_explicit(&ctx->state, memory_order_relaxed) &
	     CTX_ANSWERED) != 0) {
		return (GORUMS_ESTATE); /* before packing for nothing */
	}
	if (!atomic_load_explicit(&c->dead, memory_order_relaxed)) {
		if ((size = gri_wire_msg_size(0, NULL, msg)) > max) {
			return (GORUMS_EMSGSIZE);
		}
		if ((m = ctx_msg_alloc(size)) == NULL) {
			return (GORUMS_ENOMEM);
		}
		memset(&h, 0, sizeof(h));
		h.kind      = GRI_WIRE_REPLY;
		h.msg_id    = ctx->msg_id;
		h.method_id = ctx->method_id;
		rv = gri_wire_encode_msg(&h, NULL, msg, max, m->frame, size,
		                         &m->len);
		if (rv != GORUMS_OK) {
			gri_msg_free(&m->hdr);
			return (rv);
		}
	}
	return (ctx_answer(ctx, m, CM_FRAME));
}

gorums_err
gri_ctx_error(gorums_ctx *ctx, gorums_err err)
{
	gri_conn     *c = ctx->conn;
	conn_ctx_msg *m = NULL;

	if (err == GORUMS_OK) {
		return (GORUMS_EINVAL);
	}
	if (ctx->oneway) {
		return (GORUMS_OK);
	}
	if (!atomic_load_explicit(&c->dead, memory_order_relaxed)) {
		if ((m = ctx_msg_alloc(0)) == NULL) {
			return (GORUMS_ENOMEM);
		}
		m->msg_id    = ctx->msg_id;
		m->method_id = ctx->method_id;
		m->status    = err;
	}
	return (ctx_answer(ctx, m, CM_ERROR));
}

uint32_t
gri_ctx_method(const gorums_ctx *ctx)
{
	return (ctx->method_id);
}

bool
gri_ctx_oneway(const gorums_ctx *ctx)
{
	return (ctx->oneway);
}

/* ctx_new makes the context of a request frame that just arrived. */
static gorums_ctx *
ctx_new(gri_conn *c, const gri_wire_frame *f)
{
	gorums_ctx *ctx = gri_pool_zalloc(sizeof(*ctx));
	gorums_err  rv;

	if (ctx == NULL) {
		return (NULL);
	}
	gri_actor_ref(&c->base);
	ctx->conn        = c;
	ctx->msg_id      = f->hdr.msg_id;
	ctx->method_id   = f->hdr.method_id;
	ctx->oneway      = f->hdr.kind == GRI_WIRE_ONEWAY;
	ctx->task.run    = ctx_run;
	ctx->task.cancel = ctx_cancel;
	/* A one-way request is answered from the start: no answer is due. */
	atomic_init(&ctx->state, ctx->oneway ? CTX_ANSWERED : 0u);
	if ((ctx->method = c->host->lookup(c->host, f->hdr.method_id)) ==
	    NULL) {
		ctx->err = GORUMS_EUNKNOWNMETHOD;
		return (ctx);
	}
	rv = gri_wire_unpack(ctx->method->req_desc, NULL, f->payload,
	                     f->payload_len, &ctx->req);
	if (rv != GORUMS_OK) {
		ctx->req = NULL;
		ctx->err = GORUMS_EDECODE;
		return (ctx);
	}
	if ((ctx->ret_msg = ctx_msg_alloc(0)) == NULL) {
		ctx->err = GORUMS_ENOMEM;
	}
	return (ctx);
}

/* ---- the connection actor ---------------------------------------------- */

/* conn_send_error writes an error frame answering (msg_id, method_id). */
static void
conn_send_error(gri_conn *c, uint32_t msg_id, uint32_t method_id,
                gorums_err status)
{
	gri_wire_hdr h;
	uint8_t     *p;
	size_t       n;

	if (c->link == NULL) {
		return;
	}
	memset(&h, 0, sizeof(h));
	h.kind      = GRI_WIRE_ERROR;
	h.msg_id    = msg_id;
	h.method_id = method_id;
	h.status    = (uint32_t) status;
	if ((p = gri_link_reserve(c->link, GRI_WIRE_HDR_SIZE)) == NULL) {
		/* The client would wait for this answer forever. */
		c->fail = GORUMS_ENOMEM;
		return;
	}
	if (gri_wire_encode_header(&h, NULL, 0, c->host->max_frame, p,
	                           GRI_WIRE_HDR_SIZE, &n) != GORUMS_OK) {
		gri_link_commit(c->link, 0); /* unlocks; nothing queued */
		c->fail = GORUMS_EINTERNAL;
		return;
	}
	gri_link_commit(c->link, n);
}

static void
conn_write(gri_conn *c, const uint8_t *frame, size_t len)
{
	gorums_err rv;

	if (c->link != NULL &&
	    (rv = gri_link_send(c->link, frame, len)) != GORUMS_OK) {
		c->fail = rv;
	}
}

/* conn_run_queue dispatches queued requests while the gate is open. */
static void
conn_run_queue(gri_conn *c)
{
	gorums_ctx *ctx;

	while (c->state == CONN_OPEN && c->gate_open &&
	       (ctx = c->qhead) != NULL) {
		if ((c->qhead = ctx->next) == NULL) {
			c->qtail = NULL;
		}
		ctx->next = NULL;
		if (ctx->err != GORUMS_OK) {
			if (!ctx->oneway) {
				conn_send_error(c, ctx->msg_id, ctx->method_id,
				                ctx->err);
			}
			ctx_free(ctx);
			continue;
		}
		c->gate_open = false;
		c->nactive++;
		/* The pool may cancel it right here (stopped, or no thread
		 * at all): then its news comes back as a message. */
		gri_hpool_submit(c->host->hpool, &ctx->task);
	}
}

/*
 * conn_reject_queue answers every queued request (graceful stop): with
 * its own error if it has one, else GORUMS_ESTOPPED.
 */
static void
conn_reject_queue(gri_conn *c)
{
	gorums_ctx *ctx;

	while ((ctx = c->qhead) != NULL) {
		c->qhead = ctx->next;
		if (!ctx->oneway) {
			conn_send_error(c, ctx->msg_id, ctx->method_id,
			                ctx->err != GORUMS_OK
			                    ? ctx->err
			                    : GORUMS_ESTOPPED);
		}
		ctx_free(ctx);
	}
	c->qtail = NULL;
}

/*
 * conn_shutdown closes the connection: the link and its stream go, the
 * queue is discarded, and the host is told. Handlers still running are
 * not waited for. Idempotent.
 */
static void
conn_shutdown(gri_conn *c)
{
	gorums_ctx *ctx;

	if (c->state == CONN_CLOSED) {
		return;
	}
	c->state = CONN_CLOSED;
	atomic_store_explicit(&c->dead, true, memory_order_relaxed);
	if (c->link != NULL) {
		/* Waits for the link's nng callbacks, which only post. */
		gri_link_free(c->link);
		c->link = NULL;
	}
	while ((ctx = c->qhead) != NULL) {
		c->qhead = ctx->next;
		ctx_free(ctx);
	}
	c->qtail = NULL;
	c->host->closed(c->host, c->cookie);
}

/* conn_close is conn_shutdown from a behaviour, which also stops the
 * actor: later messages are dropped undelivered (none owns anything). */
static void
conn_close(gri_conn *c)
{
	if (c->state != CONN_CLOSED) {
		conn_shutdown(c);
		(void) gri_actor_stop(&c->base);
	}
}

static void
conn_on_start(gri_conn *c, conn_start_msg *m)
{
	nng_stream *stream = m->stream;
	gorums_err  rv;

	m->stream = NULL;
	if (c->state != CONN_INIT) {
		nng_stream_free(stream); /* stopped before it started */
		return;
	}
	rv = gri_link_alloc(&c->link, stream, &c->base, CONN_MSG_LINK, 1,
	                    c->host->max_frame);
	if (rv != GORUMS_OK) {
		c->link = NULL;
		c->fail = rv;
		return;
	}
	c->state     = CONN_OPEN;
	c->gate_open = true;
}

static void
conn_on_stop(gri_conn *c, conn_stop_msg *m)
{
	if (!m->graceful || c->state == CONN_INIT) {
		conn_close(c);
		return;
	}
	if (c->state == CONN_OPEN) {
		c->state = CONN_DRAINING;
		conn_reject_queue(c);
	}
}

static void
conn_on_frame(gri_conn *c, gri_link_msg *m)
{
	gri_wire_frame f;
	gorums_ctx    *ctx;
	gorums_err     rv;
	bool           oneway;

	rv = gri_wire_decode(m->data, m->len, c->host->max_frame, &f);
	if (rv != GORUMS_OK) {
		c->fail = rv; /* malformed: this connection is done */
		return;
	}
	if (f.hdr.kind != GRI_WIRE_REQUEST && f.hdr.kind != GRI_WIRE_ONEWAY) {
		/* Replies and stream frames are for clients; a server has
		 * nothing to match them with. */
		return;
	}
	oneway = f.hdr.kind == GRI_WIRE_ONEWAY;
	if (c->state != CONN_OPEN) {
		if (!oneway) {
			conn_send_error(c, f.hdr.msg_id, f.hdr.method_id,
			                GORUMS_ESTOPPED);
		}
		return;
	}
	if ((ctx = ctx_new(c, &f)) == NULL) {
		if (!oneway) {
			conn_send_error(c, f.hdr.msg_id, f.hdr.method_id,
			                GORUMS_ENOMEM);
		}
		return;
	}
	if (c->qtail != NULL) {
		c->qtail->next = ctx;
	} else {
		c->qhead = ctx;
	}
	c->qtail = ctx;
	conn_run_queue(c);
}

static void
conn_on_ctx(gri_conn *c, conn_ctx_msg *m)
{
	if (c->state != CONN_OPEN && c->state != CONN_DRAINING) {
		return;
	}
	if ((m->flags & CM_FRAME) != 0) {
		conn_write(c, m->frame, m->len);
	}
	if ((m->flags & CM_ERROR) != 0) {
		conn_send_error(c, m->msg_id, m->method_id, m->status);
	}
	if ((m->flags & CM_DONE) != 0) {
		c->nactive--;
	}
	if ((m->flags & CM_GATE) != 0) {
		c->gate_open = true;
		conn_run_queue(c);
	}
}

static void
conn_on_link(gri_conn *c, gri_link_msg *m, uint32_t event)
{
	gorums_err rv;

	if (c->link == NULL) {
		return; /* events of the link we have freed */
	}
	switch (event) {
	case GRI_LINK_FRAME:
		conn_on_frame(c, m);
		break;
	case GRI_LINK_SENT:
		if ((rv = gri_link_sent(c->link, m)) != GORUMS_OK) {
			c->fail = rv;
		}
		break;
	case GRI_LINK_ERROR:
		c->fail = m->err != GORUMS_OK ? m->err : GORUMS_ECONNSHUT;
		break;
	default:
		break;
	}
}

static void
conn_dispatch(gri_actor *self, gri_msg *m)
{
	gri_conn *c = (gri_conn *) self;

	if (c->state == CONN_CLOSED) {
		return;
	}
	switch (m->id) {
	case CONN_MSG_START:
		conn_on_start(c, (conn_start_msg *) m);
		break;
	case CONN_MSG_STOP:
		conn_on_stop(c, (conn_stop_msg *) m);
		break;
	case CONN_MSG_CTX:
		conn_on_ctx(c, (conn_ctx_msg *) m);
		break;
	default:
		if (m->id >= CONN_MSG_LINK &&
		    m->id < CONN_MSG_LINK + GRI_LINK_NEVENTS) {
			conn_on_link(c, (gri_link_msg *) m,
			             m->id - CONN_MSG_LINK);
		}
		break;
	}
	if (c->state == CONN_CLOSED) {
		return;
	}
	if (c->fail != GORUMS_OK) {
		conn_close(c);
	} else if (c->state == CONN_DRAINING && c->nactive == 0) {
		if (c->link == NULL || gri_link_idle(c->link)) {
			conn_close(
			    c); /* graceful stop: answered and written */
		} else {
			gri_link_want_idle(
			    c->link); /* SENT will bring us back */
		}
	}
}

/*
 * conn_stop_op is the runtime's stop: reached after conn_close, or at the
 * last reference if the actor never ran (then it must not send).
 */
static void
conn_stop_op(gri_actor *self)
{
	conn_shutdown((gri_conn *) self);
}

static void
conn_fini(gri_actor *self)
{
	gri_conn      *c = (gri_conn *) self;
	conn_stop_msg *m =
	    atomic_load_explicit(&c->stop_msg, memory_order_relaxed);

	if (m != NULL) {
		gri_msg_free(&m->hdr);
	}
	c->host->release(c->host);
}

static const gri_actor_ops conn_ops = {
    .name     = "conn",
    .dispatch = conn_dispatch,
    .stop     = conn_stop_op,
    .fini     = conn_fini,
};

static void
conn_start_drop(gri_msg *m)
{
	conn_start_msg *sm = (conn_start_msg *) m;

	if (sm->stream != NULL) {
		nng_stream_free(sm->stream);
		sm->stream = NULL;
	}
}

gorums_err
gri_conn_spawn(gri_conn_host *h, void *cookie, nng_stream *stream,
               gri_conn **cp)
{
	conn_start_msg *start;
	conn_stop_msg  *stop;
	gri_actor      *a;
	gri_conn       *c;
	gorums_err      rv;

	start =
	    (conn_start_msg *) gri_msg_alloc(sizeof(*start), CONN_MSG_START);
	stop = (conn_stop_msg *) gri_msg_alloc(sizeof(*stop), CONN_MSG_STOP);
	if (start == NULL || stop == NULL) {
		gri_msg_free(start != NULL ? &start->hdr : NULL);
		gri_msg_free(stop != NULL ? &stop->hdr : NULL);
		nng_stream_free(stream);
		return (GORUMS_ENOMEM);
	}
	start->hdr.drop = conn_start_drop;
	start->stream   = stream;
	rv = gri_actor_spawn(h->sched, &conn_ops, sizeof(gri_conn), &a);
	if (rv != GORUMS_OK) {
		gri_msg_free(&start->hdr); /* frees the stream */
		gri_msg_free(&stop->hdr);
		return (rv);
	}
	c         = (gri_conn *) a;
	c->host   = h;
	c->cookie = cookie;
	c->state  = CONN_INIT;
	atomic_init(&c->dead, false);
	atomic_init(&c->stop_msg, stop);
	h->hold(h);
	gri_actor_send(a, &start->hdr);
	*cp = c;
	return (GORUMS_OK);
}

void
gri_conn_stop(gri_conn *c, bool graceful)
{
	conn_stop_msg *m =
	    atomic_exchange_explicit(&c->stop_msg, NULL, memory_order_acq_rel);

	/* The first stop cannot fail; a later one (an immediate stop that
	 * overrides a graceful one) is best effort. */
	if (m == NULL &&
	    (m = (conn_stop_msg *) gri_msg_alloc(sizeof(*m), CONN_MSG_STOP)) ==
	        NULL) {
		return;
	}
	m->graceful = graceful;
	gri_actor_send(&c->base, &m->hdr);
}

void
gri_conn_unref(gri_conn *c)
{
	gri_actor_unref(&c->base);
}
