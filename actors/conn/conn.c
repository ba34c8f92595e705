/*
 * conn.c: the connection actor, its request queue and runner, and the
 * request context. See conn.h.
 *
 * Design notes.
 *
 * Arrival. Each frame is decoded on arrival (on the actor) and becomes a
 * gorums_ctx: the method is looked up and the payload unpacked right away
 * (unpacking copies the bytes, so the link's message can go). A request
 * that fails either way still gets a ctx, carrying the error, and waits in
 * the queue like the others: its error frame goes out at its turn, so
 * answers leave in the order the requests would have started, as in Go
 * gorums, where the receive loop looks up the handler only after the
 * previous one released.
 *
 * The queue and the gate. The queue (rq_*) is shared by the actor, which
 * appends, and the runner, which pops; a mutex guards it, held for a few
 * instructions only. rq_running says that a runner holds the gate. The actor
 * appends, and if no runner holds the gate it marks one and starts the
 * runner: deferred to the actor's own worker (gri_sched_defer), to run
 * right after this behaviour on the same thread, and counted in the
 * handler pool (gri_hpool_enter) so that the server's stop waits for it;
 * or, when that cannot be (not on a worker, a task deferred there already,
 * the pool stopping), submitted to the handler pool. A handler that blocks
 * on a worker costs the pool nothing: the worker is lent to the runner and
 * handed to another thread at release (gri_sched_detach) or by the
 * scheduler's monitor within a few milliseconds (see sched.c). Measured
 * against handler threads for every request (benchmark, 3 servers): one
 * caller 292 vs 372 us p50, 32 async calls 65k vs 57k ops/s.
 * The runner pops the head and runs its
 * handler on its own thread; when the handler returns without having
 * released, it pops the next one, and so on; when the queue is empty it
 * clears rq_running, under the same lock, and ends. Whether the actor or the
 * runner takes the lock first, a request is never left queued with nobody
 * to run it: the lock makes "queue empty, so not running" one step.
 * When a handler calls release, the releasing thread hands the gate on in
 * the same way (submitting a new runner if requests are queued, else
 * clearing rq_running) and stops being the runner: after its handler returns
 * it only finishes its ctx. There is one runner task per connection,
 * embedded in it; it may be submitted again while a released thread still
 * returns from its previous run, which the pool allows (it does not touch
 * a task once it called run). Each submission holds an actor reference.
 * So a request costs the actor one lock and the runner one lock, and a
 * message to the actor only if it is answered: nothing for a one-way
 * request that runs behind another.
 *
 * Inline handlers. With the host's inline_handlers set (an opt-in server
 * option for handlers that never block), the actor runs the runner itself,
 * inside its behaviour, when a request arrives with the gate free: the
 * same loop, without lending the worker. A release from such a handler
 * still passes the gate on to a pool thread (never a nested inline
 * runner).
 *
 * Fairness. A runner with an endless supply of requests would keep its
 * thread for ever; when the pool is at max_threads that starves the other
 * connections. So every CONN_RUNNER_BATCH handlers, if tasks are waiting
 * for a thread, the runner submits itself again (behind them) and ends.
 *
 * No spinning here. When its queue runs dry the runner ends, and its
 * thread goes back to the pool, which spins for the next task if it gets
 * a spinning slot (src/spin.h); the next request's runner then costs a
 * submit, not a wake-up. A runner spinning on its own queue instead would
 * save little (no difference measured in transport_bench) and tie the
 * thread to one connection.
 *
 * Error entries, refused work. Requests with an error (unknown method,
 * undecodable) are answered by the runner at their turn, with a
 * message to the actor like every answer. If the pool refuses the runner
 * (stopped, or no thread at all), its cancel answers every queued request
 * with the reason (or its own error) and clears rq_running.
 *
 * The context's life. A started ctx sees four events, each once, in any
 * order, on any threads: ANSWERED (a reply or error is claimed), POSTED
 * (that answer was handed to the actor), RETURNED (the handler returned)
 * and GATE (release or return passed the gate). They are bits of one
 * atomic word, set by fetch-or, so exactly one thread sees each bit go up.
 * An answer is claimed first and marked posted after, so the ctx (and the
 * connection it keeps alive) is not freed under a thread still posting;
 * the thread that completes POSTED|RETURNED frees the ctx. A one-way ctx
 * is ANSWERED|POSTED from the start. A handler that returns an error
 * before answering claims the answer at return and posts the error in the
 * message allocated with the ctx, so that a two-way request always gets
 * its answer, even out of memory. A ctx that never starts (an error entry,
 * a refused runner, a closed queue) is ended by the one thread that holds
 * it, without the state word.
 *
 * Liveness. nlive counts the ctxs alive (queued, running, or waiting for a
 * late answer). While it is not zero it holds one actor reference (taken
 * on the actor at 0 -> 1, dropped at 1 -> 0 by whoever frees the last
 * ctx), so a late answer always finds the actor's memory. A graceful stop
 * waits for it to reach zero: the actor sets draining, then reads nlive;
 * the freer of the last ctx decrements nlive, then reads draining (all
 * seq_cst, so at least one of them sees the other), and whoever sees both
 * sends the DRAINED message, preallocated and taken by exchange so it is
 * sent once. The message also orders things: it is sent after the answers
 * of every freed ctx, so the actor has written them all when it arrives.
 *
 * Writing. Only the actor writes to the link. Reply frames are encoded by
 * the answering thread into the message (so the payload is packed once, off
 * the actor); the actor copies them into the link's pending buffer. Error
 * frames are encoded by the actor.
 *
 * Closing. conn_close frees the link (closing the stream), closes the
 * queue (a runner between handlers ends, and nothing more starts), frees
 * the queued ctxs, marks the connection dead and tells the host. Handlers
 * still running carry on; their messages are dropped (dead lets them skip
 * the encoding), and the contexts are freed by whoever finishes them, as
 * always. Nothing waits for them here.
 */
#include "actors/conn/conn.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "src/arena.h"
#include "src/link/link.h"
#include "src/log.h"
#include "src/pool.h"
#include "src/sched.h"
#include "src/wire/wire.h"

/* Handlers a runner runs between looks at the pool's waiting tasks. */
#define CONN_RUNNER_BATCH 64

enum {
	CONN_MSG_START   = 1,  /* conn_start_msg: the stream to serve */
	CONN_MSG_STOP    = 2,  /* conn_stop_msg */
	CONN_MSG_ANSWER  = 3,  /* conn_answer_msg: an answer to write */
	CONN_MSG_DRAINED = 4,  /* gri_msg: no ctx is left (draining) */
	CONN_MSG_LINK    = 16, /* + GRI_LINK_*: gri_link_msg from the link */
};

enum conn_state {
	CONN_INIT,     /* spawned, link not yet made */
	CONN_OPEN,     /* serving */
	CONN_DRAINING, /* graceful stop: waiting for started handlers */
	CONN_CLOSED,   /* link gone, host told */
};

/* Context state bits (gorums_ctx.state). */
#define CTX_ANSWERED 0x1u /* an answer is claimed (or none is due) */
#define CTX_POSTED   0x2u /* the claimed answer is posted (or none due) */
#define CTX_RETURNED 0x4u /* the handler returned */
#define CTX_GATE     0x8u /* release or return passed the gate on */

/* What a conn_answer_msg carries (conn_answer_msg.kind). */
enum {
	CA_FRAME = 1, /* frame[0 .. len) is an encoded reply */
	CA_ERROR = 2, /* answer (msg_id, method_id) with status */
};

typedef struct conn_start_msg {
	gri_msg     hdr;
	nng_stream *stream; /* owned; freed by drop if undelivered */
} conn_start_msg;

typedef struct conn_stop_msg {
	gri_msg hdr;
	bool    graceful;
} conn_stop_msg;

typedef struct conn_answer_msg {
	gri_msg    hdr;
	int        kind;      /* CA_* */
	uint32_t   msg_id;    /* CA_ERROR: the request's ids */
	uint32_t   method_id; /* */
	gorums_err status;    /* CA_ERROR: the error to answer */
	size_t     len;       /* CA_FRAME: bytes in frame */
	uint8_t    frame[];
} conn_answer_msg;

struct gorums_ctx {
	/* Set at arrival on the actor, read-only after (published to the
	 * runner by the queue's mutex). conn is kept alive by nlive. */
	gri_conn         *conn;
	const gri_method *method;
	ProtobufCMessage *req; /* unpacked into arena */
	gri_arena         arena;
	uint32_t          msg_id;
	uint32_t          method_id;
	bool              oneway;
	gorums_err        err; /* answer this instead of running */
	/* The queue link: under the connection's rq_mtx. */
	gorums_ctx *next;
	/* The message for an error answer (two-way only), used by the
	 * runner or the pool's cancel, whoever ends the ctx's turn; freed
	 * with the ctx if unused. Published to the freer by state. */
	conn_answer_msg *ret_msg;
	/* Any thread, fetch-or: CTX_* bits. acq_rel, so that the freer sees
	 * every other thread's use of the ctx (the chain of RMWs is a
	 * release sequence), and the runner sees a release's GATE. */
	atomic_uint state;
};

struct gri_conn {
	gri_actor base; /* first */
	/* Set at spawn, read-only after; any thread. */
	gri_conn_host *host;
	void          *cookie;
	/* Any thread: set once when the connection closes. Relaxed: only a
	 * hint that saves work (encoding a reply, posting an answer); a
	 * message that arrives after the close is ignored anyway. */
	atomic_bool dead;
	/* Any thread, exchange: the stop request, allocated at spawn so that
	 * stopping cannot fail; taken by the first gri_conn_stop. */
	_Atomic(conn_stop_msg *) stop_msg;
	/* Any thread, exchange: CONN_MSG_DRAINED, allocated at spawn, taken
	 * by whoever sends it (once); acq_rel, as for stop_msg. */
	_Atomic(gri_msg *) drained_msg;
	/* Any thread: ctxs alive, and the reference they hold (see the
	 * notes). The 0 -> 1 increment is on the actor, which holds a
	 * reference of its own then, so relaxed; decrements are seq_cst for
	 * the handshake with draining. */
	atomic_size_t nlive;
	/* Set by the actor at a graceful stop, read by the freer of the
	 * last ctx; seq_cst (the notes). */
	atomic_bool draining;

	/* The runner's task; the pool owns the link field while queued. */
	gri_hpool_task runner;
	/* The same runner deferred to the actor's worker (gri_sched_defer). */
	gri_sched_task runner_task;

	/* The queue: shared by the actor, the runner and releasing
	 * handlers, under rq_mtx. */
	pthread_mutex_t rq_mtx;
	gorums_ctx     *rq_head; /* arrived, not started, in order */
	gorums_ctx     *rq_tail;
	bool            rq_running; /* a runner holds the gate */
	bool            rq_closed;  /* start nothing more */
	/* Written under rq_mtx, read without it (tests). Relaxed: a
	 * snapshot, nothing is published through it. */
	atomic_size_t rq_len;

	/* The actor only. */
	enum conn_state state;
	gri_link       *link;
	gorums_err      fail;      /* close at the end of this behaviour */
	bool            drained;   /* draining, and no ctx is left */
	char            peer[128]; /* the client's address, for messages */
	bool            greeted;   /* a frame came: no HELLO may follow */

	/* The client's connection metadata (its HELLO frame, copied), or
	 * NULL. Written by the actor at the first frame, before any request
	 * is queued (so the queue's mutex publishes it to the handlers);
	 * read-only after; freed with the connection. */
	gri_wire_frame *hello;
	uint8_t        *hello_buf;
};

static gri_conn *
runner_conn(gri_hpool_task *t)
{
	return ((gri_conn *) ((char *) t - offsetof(gri_conn, runner)));
}

static void conn_runner_run(gri_hpool_task *t);

/* conn_runner_task_run: the runner, deferred to a worker. */
static void
conn_runner_task_run(gri_sched_task *t)
{
	gri_conn *c =
	    (gri_conn *) ((char *) t - offsetof(gri_conn, runner_task));
	gri_hpool *p = c->host->hpool; /* outlives us: its stop waits */

	conn_runner_run(&c->runner); /* may free c */
	gri_hpool_leave(p);
}

/* ---- messages to the actor --------------------------------------------- */

static conn_answer_msg *
answer_msg_alloc(size_t frame_len)
{
	return ((conn_answer_msg *) gri_msg_alloc(
	    sizeof(conn_answer_msg) + frame_len, CONN_MSG_ANSWER));
}

/*
 * conn_post sends m to c, or frees it if nobody would hear it. The caller
 * keeps c alive while it posts.
 */
static void
conn_post(gri_conn *c, conn_answer_msg *m)
{
	if (m == NULL) {
		return;
	}
	if (atomic_load_explicit(&c->dead, memory_order_relaxed)) {
		gri_msg_free(&m->hdr);
		return;
	}
	gri_actor_send(&c->base, &m->hdr);
}

/* conn_send_drained sends CONN_MSG_DRAINED, unless it was sent already. */
static void
conn_send_drained(gri_conn *c)
{
	gri_msg *m = atomic_exchange_explicit(&c->drained_msg, NULL,
	                                      memory_order_acq_rel);

	if (m != NULL) {
		gri_actor_send(&c->base, m);
	}
}

/* ---- contexts ---------------------------------------------------------- */

/* conn_live_add counts a new ctx; on the actor. */
static void
conn_live_add(gri_conn *c)
{
	if (atomic_fetch_add_explicit(&c->nlive, 1, memory_order_relaxed) ==
	    0) {
		gri_actor_ref(&c->base);
	}
}

/* conn_live_drop uncounts a freed ctx; any thread. */
static void
conn_live_drop(gri_conn *c)
{
	if (atomic_fetch_sub_explicit(&c->nlive, 1, memory_order_seq_cst) !=
	    1) {
		return;
	}
	if (atomic_load_explicit(&c->draining, memory_order_seq_cst)) {
		conn_send_drained(c);
	}
	gri_actor_unref(&c->base); /* may free c */
}

/* ctx_free frees ctx; c may be gone when it returns. */
static void
ctx_free(gorums_ctx *ctx)
{
	gri_conn *c = ctx->conn;

	/* The request lived in the arena: one release, from the pools. */
	gri_arena_fini(&ctx->arena);
	if (ctx->ret_msg != NULL) {
		gri_msg_free(&ctx->ret_msg->hdr);
	}
	gri_pool_free(ctx, sizeof(*ctx));
	conn_live_drop(c);
}

/*
 * ctx_fail answers a two-way ctx with err (one-way: nothing) and frees it.
 * Only for a ctx no other thread can reach: one that will never run (its
 * error, a refused runner, a closed connection), or one whose handler has
 * returned and whose answer the caller has just claimed.
 */
static void
ctx_fail(gorums_ctx *ctx, gorums_err err)
{
	conn_answer_msg *m = ctx->ret_msg;

	if (!ctx->oneway && m != NULL) {
		ctx->ret_msg = NULL;
		m->kind      = CA_ERROR;
		m->msg_id    = ctx->msg_id;
		m->method_id = ctx->method_id;
		m->status    = err;
		conn_post(ctx->conn, m);
	}
	ctx_free(ctx);
}

/*
 * ctx_returned records that the handler returned with err (answering with
 * it if it is not OK and nobody answered yet). It returns true if the
 * caller still holds the gate (the handler did not release). The ctx may
 * be gone when it returns; the connection is kept alive by the runner.
 */
static bool
ctx_returned(gorums_ctx *ctx, gorums_err err)
{
	unsigned add = CTX_RETURNED | CTX_GATE;
	unsigned old;
	bool     gate;

	if (err != GORUMS_OK) {
		add |= CTX_ANSWERED;
	}
	old = atomic_fetch_or_explicit(&ctx->state, add, memory_order_acq_rel);
	gate = (old & CTX_GATE) == 0;
	if (err != GORUMS_OK && (old & CTX_ANSWERED) == 0) {
		/* The error answer is ours; nobody else can set POSTED, so
		 * having posted it we are the last. */
		ctx_fail(ctx, err);
	} else if ((old & CTX_POSTED) != 0) {
		ctx_free(ctx);
	}
	return (gate);
}

/*
 * ctx_answer posts the answer m (NULL when the connection is dead: nothing
 * to send) for ctx; any thread. GORUMS_ESTATE if answered already.
 */
static gorums_err
ctx_answer(gorums_ctx *ctx, conn_answer_msg *m)
{
	unsigned old;

	old = atomic_fetch_or_explicit(&ctx->state, CTX_ANSWERED,
	                               memory_order_acq_rel);
	if ((old & CTX_ANSWERED) != 0) {
		if (m != NULL) {
			gri_msg_free(&m->hdr);
		}
		return (GORUMS_ESTATE);
	}
	/* POSTED is not set yet, so the ctx and its connection live. */
	conn_post(ctx->conn, m);
	old = atomic_fetch_or_explicit(&ctx->state, CTX_POSTED,
	                               memory_order_acq_rel);
	if ((old & CTX_RETURNED) != 0) {
		ctx_free(ctx);
	}
	return (GORUMS_OK);
}

/*
 * conn_runner_start submits the runner, with a reference for it; the
 * caller has set rq_running (or kept it, handing the gate on). True if it
 * was deferred to this thread's worker (it runs when the current actor's
 * run ends).
 */
static bool
conn_runner_start(gri_conn *c)
{
	gri_actor_ref(&c->base);
	/* From the actor's behaviour: on its worker, no thread hand-off,
	 * accounted in the pool (whose stop then waits for it) unless the
	 * pool is stopping; then the submit cancels it. */
	if (gri_hpool_enter(c->host->hpool)) {
		if (gri_sched_defer(c->base.sched, &c->runner_task)) {
			return (true);
		}
		gri_hpool_leave(c->host->hpool);
	}
	gri_hpool_submit(c->host->hpool, &c->runner);
	return (false);
}

void
gri_ctx_release(gorums_ctx *ctx)
{
	gri_conn *c = ctx->conn;
	bool      start;

	/* The handler is running, so ctx and its connection are alive. */
	if ((atomic_load_explicit(&ctx->state, memory_order_relaxed) &
	     CTX_GATE) != 0) {
		return;
	}
	if ((atomic_fetch_or_explicit(&ctx->state, CTX_GATE,
	                              memory_order_acq_rel) &
	     CTX_GATE) != 0) {
		return;
	}
	/* The gate is ours to pass on: to a new runner if requests wait. */
	pthread_mutex_lock(&c->rq_mtx);
	start = c->rq_head != NULL && !c->rq_closed;
	if (!start) {
		c->rq_running = false;
	}
	pthread_mutex_unlock(&c->rq_mtx);
	if (start) {
		(void) conn_runner_start(c);
	}
	/* The handler may block from here on: if it runs on a worker lent
	 * to it, the worker goes on with another thread now. */
	gri_sched_detach();
}

/*
 * ctx_encode packs msg (NULL: empty) as a frame of the given kind for
 * ctx's request into a new answer message in *mp, or leaves *mp NULL when
 * the connection is dead (nothing will be sent). GORUMS_ESTATE if ctx is
 * answered already. Any thread.
 */
static gorums_err
ctx_encode(gorums_ctx *ctx, gri_wire_kind kind, const ProtobufCMessage *msg,
           conn_answer_msg **mp)
{
	gri_conn        *c   = ctx->conn;
	size_t           max = c->host->max_frame;
	conn_answer_msg *m;
	gri_wire_hdr     h;
	size_t           size;
	gorums_err       rv;

	*mp = NULL;
	if ((atomic_load_explicit(&ctx->state, memory_order_relaxed) &
	     CTX_ANSWERED) != 0) {
		return (GORUMS_ESTATE); /* before packing for nothing */
	}
	if (atomic_load_explicit(&c->dead, memory_order_relaxed)) {
		return (GORUMS_OK);
	}
	if ((size = gri_wire_msg_size(0, NULL, msg)) > max) {
		return (GORUMS_EMSGSIZE);
	}
	if ((m = answer_msg_alloc(size)) == NULL) {
		return (GORUMS_ENOMEM);
	}
	memset(&h, 0, sizeof(h));
	h.kind      = kind;
	h.msg_id    = ctx->msg_id;
	h.method_id = ctx->method_id;
	rv = gri_wire_encode_msg(&h, NULL, msg, max, m->frame, size, &m->len);
	if (rv != GORUMS_OK) {
		gri_msg_free(&m->hdr);
		return (rv);
	}
	m->kind = CA_FRAME;
	*mp     = m;
	return (GORUMS_OK);
}

/* ctx_finish answers ctx with a frame of the given kind (reply, end). */
static gorums_err
ctx_finish(gorums_ctx *ctx, gri_wire_kind kind, const ProtobufCMessage *msg)
{
	conn_answer_msg *m;
	gorums_err       rv;

	if (ctx->oneway) {
		return (GORUMS_OK);
	}
	if ((rv = ctx_encode(ctx, kind, msg, &m)) != GORUMS_OK) {
		return (rv);
	}
	return (ctx_answer(ctx, m));
}

gorums_err
gri_ctx_reply(gorums_ctx *ctx, const ProtobufCMessage *msg)
{
	return (ctx_finish(ctx, GRI_WIRE_REPLY, msg));
}

gorums_err
gri_ctx_end(gorums_ctx *ctx)
{
	return (ctx_finish(ctx, GRI_WIRE_STREAM_END, NULL));
}

gorums_err
gri_ctx_send(gorums_ctx *ctx, const ProtobufCMessage *msg)
{
	conn_answer_msg *m;
	gorums_err       rv;

	if (ctx->oneway) {
		return (GORUMS_OK);
	}
	/* Until it is answered, ctx and its connection live (POSTED is not
	 * set), and an item posted now is written before the answer, which
	 * the same thread posts later (FIFO per sender). */
	if ((rv = ctx_encode(ctx, GRI_WIRE_STREAM_ITEM, msg, &m)) !=
	        GORUMS_OK ||
	    m == NULL) {
		return (rv);
	}
	conn_post(ctx->conn, m);
	return (GORUMS_OK);
}

gorums_err
gri_ctx_error(gorums_ctx *ctx, gorums_err err)
{
	gri_conn        *c = ctx->conn;
	conn_answer_msg *m = NULL;

	if (err == GORUMS_OK) {
		return (GORUMS_EINVAL);
	}
	if (ctx->oneway) {
		return (GORUMS_OK);
	}
	if (!atomic_load_explicit(&c->dead, memory_order_relaxed)) {
		if ((m = answer_msg_alloc(0)) == NULL) {
			return (GORUMS_ENOMEM);
		}
		m->kind      = CA_ERROR;
		m->msg_id    = ctx->msg_id;
		m->method_id = ctx->method_id;
		m->status    = err;
	}
	return (ctx_answer(ctx, m));
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

/*
 * ctx_new makes the context of a request frame that just arrived; on the
 * actor. NULL if out of memory.
 */
static gorums_ctx *
ctx_new(gri_conn *c, const gri_wire_frame *f)
{
	gorums_ctx *ctx = gri_pool_zalloc(sizeof(*ctx));

	if (ctx == NULL) {
		return (NULL);
	}
	gri_arena_init(&ctx->arena);
	conn_live_add(c);
	ctx->conn      = c;
	ctx->msg_id    = f->hdr.msg_id;
	ctx->method_id = f->hdr.method_id;
	ctx->oneway    = f->hdr.kind == GRI_WIRE_ONEWAY;
	/* A one-way request is answered from the start: no answer is due. */
	atomic_init(&ctx->state, ctx->oneway ? CTX_ANSWERED | CTX_POSTED : 0u);
	if (!ctx->oneway && (ctx->ret_msg = answer_msg_alloc(0)) == NULL) {
		ctx_free(ctx);
		return (NULL);
	}
	if ((ctx->method = c->host->lookup(c->host, f->hdr.method_id)) ==
	    NULL) {
		ctx->err = GORUMS_EUNKNOWNMETHOD;
	} else if (gri_wire_unpack(ctx->method->req_desc,
	                           gri_arena_pb(&ctx->arena), f->payload,
	                           f->payload_len, &ctx->req) != GORUMS_OK) {
		ctx->req = NULL;
		ctx->err = GORUMS_EDECODE;
	}
	return (ctx);
}

/* ---- the runner --------------------------------------------------------- */

/*
 * conn_runner_next pops the next request for the runner, or returns NULL
 * when the runner must end: the queue is empty or closed (rq_running is
 * cleared), or it has run its batch and others wait for a thread (it is
 * submitted again, still holding the gate). *n counts the handlers run.
 */
static gorums_ctx *
conn_runner_next(gri_conn *c, int *n)
{
	gorums_ctx *ctx;

	pthread_mutex_lock(&c->rq_mtx);
	if (c->rq_closed || (ctx = c->rq_head) == NULL) {
		c->rq_running = false;
		pthread_mutex_unlock(&c->rq_mtx);
		return (NULL);
	}
	if (++*n > CONN_RUNNER_BATCH) {
		*n = 0;
		if (gri_hpool_waiting(c->host->hpool)) {
			/* Let the waiting tasks go first; the gate stays. */
			pthread_mutex_unlock(&c->rq_mtx);
			(void) conn_runner_start(c);
			return (NULL);
		}
	}
	if ((c->rq_head = ctx->next) == NULL) {
		c->rq_tail = NULL;
	}
	atomic_store_explicit(
	    &c->rq_len,
	    atomic_load_explicit(&c->rq_len, memory_order_relaxed) - 1,
	    memory_order_relaxed);
	pthread_mutex_unlock(&c->rq_mtx);
	ctx->next = NULL;
	return (ctx);
}

/* conn_runner_run is the runner task: serve the queue, on a pool thread. */
static void
conn_runner_run(gri_hpool_task *t)
{
	gri_conn   *c = runner_conn(t);
	gorums_ctx *ctx;
	gorums_err  rv;
	int         n = 0;

	while ((ctx = conn_runner_next(c, &n)) != NULL) {
		if (ctx->err != GORUMS_OK) {
			ctx_fail(ctx, ctx->err);
			continue;
		}
		if (atomic_load_explicit(&c->dead, memory_order_relaxed)) {
			/* Closed since the pop: nobody would hear it. */
			ctx_fail(ctx, GORUMS_ECLOSED);
			continue;
		}
		rv = ctx->method->handler(ctx, ctx->req, ctx->method->arg);
		if (!ctx_returned(
		        ctx, rv == GORUMS_OK ? GORUMS_OK : GORUMS_EHANDLER)) {
			break; /* released: a new runner has the gate */
		}
	}
	gri_actor_unref(&c->base); /* the submission's */
}

/*
 * conn_runner_cancel: the pool will never run the runner (stopped, or no
 * thread). Every queued request is answered with why (or its own error),
 * and the gate opens; on the submitting or stopping thread.
 */
static void
conn_runner_cancel(gri_hpool_task *t, gorums_err why)
{
	gri_conn   *c = runner_conn(t);
	gorums_ctx *list, *ctx;

	pthread_mutex_lock(&c->rq_mtx);
	list       = c->rq_head;
	c->rq_head = c->rq_tail = NULL;
	c->rq_running           = false;
	atomic_store_explicit(&c->rq_len, 0, memory_order_relaxed);
	pthread_mutex_unlock(&c->rq_mtx);
	while ((ctx = list) != NULL) {
		list      = ctx->next;
		ctx->next = NULL;
		ctx_fail(ctx, ctx->err != GORUMS_OK ? ctx->err : why);
	}
	gri_actor_unref(&c->base); /* the submission's */
}

/*
 * conn_queue_close closes the queue (nothing more starts) and returns what
 * was queued; any runner ends at its next look.
 */
static gorums_ctx *
conn_queue_close(gri_conn *c)
{
	gorums_ctx *list;

	pthread_mutex_lock(&c->rq_mtx);
	c->rq_closed = true;
	list         = c->rq_head;
	c->rq_head = c->rq_tail = NULL;
	atomic_store_explicit(&c->rq_len, 0, memory_order_relaxed);
	pthread_mutex_unlock(&c->rq_mtx);
	return (list);
}

/* conn_enqueue appends ctx and starts a runner if none holds the gate. */
static void
conn_enqueue(gri_conn *c, gorums_ctx *ctx)
{
	bool start;

	pthread_mutex_lock(&c->rq_mtx);
	if (c->rq_tail != NULL) {
		c->rq_tail->next = ctx;
	} else {
		c->rq_head = ctx;
	}
	c->rq_tail = ctx;
	atomic_store_explicit(
	    &c->rq_len,
	    atomic_load_explicit(&c->rq_len, memory_order_relaxed) + 1,
	    memory_order_relaxed);
	start         = !c->rq_running;
	c->rq_running = true;
	pthread_mutex_unlock(&c->rq_mtx);
	if (start && c->host->inline_handlers) {
		/* Here, on the actor's thread: the runner serves the queue and
		 * ends like a pool task (dropping the reference it gets). */
		gri_actor_ref(&c->base);
		conn_runner_run(&c->runner);
	} else if (start && conn_runner_start(c)) {
		/* Deferred to our worker (outside the lock: a refusing pool
		 * cancels right here): end this run after the current message,
		 * so the runner serves the requests while they are in cache
		 * instead of after a batch of up to 64 messages. */
		gri_actor_yield(&c->base);
	}
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

/*
 * conn_shutdown closes the connection: the link and its stream go, the
 * queue is closed and discarded, and the host is told. Handlers still
 * running are not waited for. Idempotent.
 */
static void
conn_shutdown(gri_conn *c)
{
	gorums_ctx *list, *ctx;

	if (c->state == CONN_CLOSED) {
		return;
	}
	c->state = CONN_CLOSED;
	atomic_store_explicit(&c->dead, true, memory_order_relaxed);
	if (c->link != NULL) {
		/* Answers this run committed still go out (as far as the
		 * socket takes them now); then the stream closes. Waits for
		 * the link's nng callbacks, which only post. */
		gri_link_flush(c->link);
		gri_link_free(c->link);
		c->link = NULL;
	}
	list = conn_queue_close(c);
	while ((ctx = list) != NULL) {
		list = ctx->next;
		ctx_free(ctx);
	}
	c->host->closed(c->host, c->cookie);
}

/*
 * conn_log_close tells the server's logger why the connection closes: the
 * client hung up (info), or an error ends it (warn: a malformed frame, a
 * failed TLS handshake, a broken stream).
 */
static void
conn_log_close(gri_conn *c)
{
	/* nng's TLS reports a client's close_notify as ECONNREFUSED. */
	if (c->fail == GORUMS_ECONNSHUT || c->fail == GORUMS_ECLOSED ||
	    c->fail == GORUMS_ECONNREFUSED) {
		gri_log(&c->host->logger, GORUMS_LOG_INFO,
		        "server: connection from %s closed by the client",
		        c->peer);
	} else {
		gri_log(&c->host->logger, GORUMS_LOG_WARN,
		        "server: connection from %s closed: %s", c->peer,
		        gorums_strerror(c->fail));
	}
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
	gri_stream_peer(stream, c->peer, sizeof(c->peer));
	gri_log(&c->host->logger, GORUMS_LOG_INFO,
	        "server: connection from %s", c->peer);
	rv = gri_link_alloc(&c->link, stream, &c->base, CONN_MSG_LINK, 1,
	                    c->host->max_frame);
	if (rv != GORUMS_OK) {
		c->link = NULL;
		c->fail = rv;
		return;
	}
	c->state = CONN_OPEN;
}

/*
 * conn_on_stop: an immediate stop closes now. A graceful one closes the
 * queue, answers what had not started with GORUMS_ESTOPPED (or its own
 * error), and waits for the ctxs still alive (DRAINED).
 */
static void
conn_on_stop(gri_conn *c, conn_stop_msg *m)
{
	gorums_ctx *list, *ctx;

	if (!m->graceful || c->state == CONN_INIT) {
		conn_close(c);
		return;
	}
	if (c->state != CONN_OPEN) {
		return;
	}
	c->state = CONN_DRAINING;
	list     = conn_queue_close(c);
	while ((ctx = list) != NULL) {
		list = ctx->next;
		if (!ctx->oneway) {
			conn_send_error(c, ctx->msg_id, ctx->method_id,
			                ctx->err != GORUMS_OK
			                    ? ctx->err
			                    : GORUMS_ESTOPPED);
		}
		ctx_free(ctx);
	}
	atomic_store_explicit(&c->draining, true, memory_order_seq_cst);
	if (atomic_load_explicit(&c->nlive, memory_order_seq_cst) == 0) {
		/* Through the mailbox: answers already posted go first. */
		conn_send_drained(c);
	}
}

/*
 * conn_on_hello keeps the client's connection metadata. Only as the first
 * frame, and once: anything else is a protocol error.
 */
static void
conn_on_hello(gri_conn *c, const uint8_t *frame, size_t len)
{
	if (c->greeted) {
		c->fail = GORUMS_EPROTO;
		return;
	}
	c->greeted = true;
	if ((c->hello_buf = malloc(len)) == NULL ||
	    (c->hello = malloc(sizeof(*c->hello))) == NULL) {
		c->fail = GORUMS_ENOMEM;
		return;
	}
	memcpy(c->hello_buf, frame, len);
	/* Decoded before: it decodes again, now pointing into our copy. */
	(void) gri_wire_decode(c->hello_buf, len, c->host->max_frame,
	                       c->hello);
}

static void
conn_on_frame(gri_conn *c, const uint8_t *frame, size_t len)
{
	gri_wire_frame f;
	gorums_ctx    *ctx;
	gorums_err     rv;

	rv = gri_wire_decode(frame, len, c->host->max_frame, &f);
	if (rv != GORUMS_OK) {
		c->fail = rv; /* malformed: this connection is done */
		return;
	}
	if (f.hdr.kind == GRI_WIRE_HELLO) {
		conn_on_hello(c, frame, len);
		return;
	}
	c->greeted = true;
	if (f.hdr.kind != GRI_WIRE_REQUEST && f.hdr.kind != GRI_WIRE_ONEWAY) {
		/* Replies and stream frames are for clients; a server has
		 * nothing to match them with. */
		return;
	}
	if (c->state != CONN_OPEN) {
		if (f.hdr.kind != GRI_WIRE_ONEWAY) {
			conn_send_error(c, f.hdr.msg_id, f.hdr.method_id,
			                GORUMS_ESTOPPED);
		}
		return;
	}
	if ((ctx = ctx_new(c, &f)) == NULL) {
		/* No way to answer it in its turn: give up the connection,
		 * so that the client's calls fail instead of waiting. */
		c->fail = GORUMS_ENOMEM;
		return;
	}
	conn_enqueue(c, ctx);
}

static void
conn_on_answer(gri_conn *c, conn_answer_msg *m)
{
	if (c->state != CONN_OPEN && c->state != CONN_DRAINING) {
		return;
	}
	if (m->kind == CA_FRAME) {
		conn_write(c, m->frame, m->len);
	} else {
		conn_send_error(c, m->msg_id, m->method_id, m->status);
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
	case GRI_LINK_FRAME: {
		const uint8_t *frame;
		size_t         off = 0, len;
		/* Until one of them fails the connection. */
		while (c->fail == GORUMS_OK &&
		       (frame = gri_link_msg_frame(m, &off, &len)) != NULL) {
			conn_on_frame(c, frame, len);
		}
		break;
	}
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
	case CONN_MSG_ANSWER:
		conn_on_answer(c, (conn_answer_msg *) m);
		break;
	case CONN_MSG_DRAINED:
		c->drained = true;
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
		conn_log_close(c);
		conn_close(c);
	} else if (c->state == CONN_DRAINING && c->drained) {
		if (c->link == NULL || gri_link_idle(c->link)) {
			conn_close(c); /* graceful stop: answered, written */
		} else {
			/* SENT will bring us back. */
			gri_link_want_idle(c->link);
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
	conn_stop_msg *sm =
	    atomic_load_explicit(&c->stop_msg, memory_order_relaxed);
	gri_msg *dm =
	    atomic_load_explicit(&c->drained_msg, memory_order_relaxed);

	if (sm != NULL) {
		gri_msg_free(&sm->hdr);
	}
	if (dm != NULL) {
		gri_msg_free(dm);
	}
	free(c->hello);
	free(c->hello_buf);
	pthread_mutex_destroy(&c->rq_mtx);
	c->host->release(c->host);
}

/* conn_flush writes the replies of one run of messages together. */
static void
conn_flush(gri_actor *self)
{
	gri_conn *c = (gri_conn *) self;

	if (c->link != NULL) {
		gri_link_flush(c->link);
	}
}

static const gri_actor_ops conn_ops = {
    .name     = "conn",
    .dispatch = conn_dispatch,
    .stop     = conn_stop_op,
    .fini     = conn_fini,
    .flush    = conn_flush,
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
	gri_msg        *drained;
	gri_actor      *a;
	gri_conn       *c;
	gorums_err      rv;

	start =
	    (conn_start_msg *) gri_msg_alloc(sizeof(*start), CONN_MSG_START);
	stop = (conn_stop_msg *) gri_msg_alloc(sizeof(*stop), CONN_MSG_STOP);
	drained = gri_msg_alloc(sizeof(*drained), CONN_MSG_DRAINED);
	if (start == NULL || stop == NULL || drained == NULL) {
		gri_msg_free(start != NULL ? &start->hdr : NULL);
		gri_msg_free(stop != NULL ? &stop->hdr : NULL);
		gri_msg_free(drained);
		nng_stream_free(stream);
		return (GORUMS_ENOMEM);
	}
	start->hdr.drop = conn_start_drop;
	start->stream   = stream;
	rv = gri_actor_spawn(h->sched, &conn_ops, sizeof(gri_conn), &a);
	if (rv != GORUMS_OK) {
		gri_msg_free(&start->hdr); /* frees the stream */
		gri_msg_free(&stop->hdr);
		gri_msg_free(drained);
		return (rv);
	}
	c                  = (gri_conn *) a;
	c->host            = h;
	c->cookie          = cookie;
	c->state           = CONN_INIT;
	c->runner.run      = conn_runner_run;
	c->runner.cancel   = conn_runner_cancel;
	c->runner_task.run = conn_runner_task_run;
	pthread_mutex_init(&c->rq_mtx, NULL);
	atomic_init(&c->dead, false);
	atomic_init(&c->stop_msg, stop);
	atomic_init(&c->drained_msg, drained);
	atomic_init(&c->nlive, 0);
	atomic_init(&c->draining, false);
	atomic_init(&c->rq_len, 0);
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

size_t
gri_conn_nqueued(gri_conn *c)
{
	return (atomic_load_explicit(&c->rq_len, memory_order_relaxed));
}

gorums_err
gorums_ctx_metadata(gorums_ctx *ctx, const char *key, const void **val,
                    size_t *len)
{
	const gri_wire_frame *h;
	size_t                klen;

	if (ctx == NULL || key == NULL) {
		return (GORUMS_EINVAL);
	}
	klen = strlen(key);
	if ((h = ctx->conn->hello) == NULL) {
		return (GORUMS_ENOENT);
	}
	for (size_t i = 0; i < h->hdr.n_meta; i++) {
		const gri_wire_meta *m = &h->meta[i];
		if (m->key_len == klen &&
		    (klen == 0 || memcmp(m->key, key, klen) == 0)) {
			if (val != NULL) {
				*val = m->val;
			}
			if (len != NULL) {
				*len = m->val_len;
			}
			return (GORUMS_OK);
		}
	}
	return (GORUMS_ENOENT);
}
