/*
 * conn.h: the connection actor, one per accepted server connection.
 *
 * A connection owns a gri_link (src/link/link.h), which reads at all times.
 * Each frame is decoded as it arrives; requests and one-way requests are
 * queued in arrival order. The queue is served by the connection's runner,
 * a task that holds the ordering gate: deferred to the actor's own worker,
 * which is lent to it (src/sched.h), or else run by the handler thread
 * pool (src/server/handlers.h). It runs the handlers of the queued
 * requests one after the other on its thread, without a hand-off between
 * them, until the queue is empty. A handler that calls gorums_ctx_release
 * passes the gate on: a new runner serves the rest of the queue on another
 * thread while the releasing handler finishes on its own. So the next handler
 * starts only after the previous one returned or released, and a backlog of
 * requests costs no thread wake-up per request. Answers come back from any
 * thread as messages to the actor, which alone writes to the link.
 *
 * Every two-way request gets exactly one answer frame, with its msg_id and
 * method_id: a reply (status 0) or an error with status
 * GORUMS_EUNKNOWNMETHOD (no handler), GORUMS_EDECODE (the payload is not a
 * valid request message), GORUMS_EHANDLER (the handler returned an error
 * before answering), GORUMS_ESTOPPED (the server stopped gracefully before
 * the request started, or the handler pool was stopped), GORUMS_ENOMEM (no
 * handler thread exists and none could be made), or whatever the handler
 * passed to gorums_ctx_error. Answers leave in the order of their
 * requests, except those given after release or return (from another
 * thread) and the GORUMS_ESTOPPED answers of a graceful stop, which go out
 * at once. One-way requests get no answer. A frame that does not decode (bad
 * version, kind or metadata, or over max_frame) closes this connection only,
 * and so does running out of memory for a request (the client sees the
 * connection fail instead of waiting for an answer that cannot be made).
 *
 * The server side (src/server) sees a connection through gri_conn_host.
 */
#ifndef GRI_CONN_H
#define GRI_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <nng/nng.h>
#include <protobuf-c/protobuf-c.h>

#include "gorums/server.h"
#include "src/actor.h"
#include "src/server/handlers.h"

typedef struct gri_conn      gri_conn;
typedef struct gri_conn_host gri_conn_host;

/*
 * gri_method is one registered method: how to decode its requests and the
 * handler that serves them.
 */
typedef struct gri_method {
	uint32_t                          id;
	const ProtobufCMessageDescriptor *req_desc;
	gorums_handler                    handler;
	void                             *arg;
} gri_method;

/*
 * gri_conn_host is what a connection needs from its server. The server
 * fills it before the first connection, and it stays the same until the
 * last connection is freed (release below).
 */
struct gri_conn_host {
	gri_sched *sched;     /* runs the connection actors */
	gri_hpool *hpool;     /* runs the handlers */
	size_t     max_frame; /* the largest frame read or written */
	/* inline_handlers: run the runner on the connection actor's thread
	 * when a request arrives (gorums_server_opts.inline_handlers). */
	bool inline_handlers;
	/* logger hears of connections opened and closed (the server's). */
	gorums_logger logger;
	/* lookup returns the method, or NULL if there is none; on a
	 * connection actor, so it must not block. */
	const gri_method *(*lookup)(gri_conn_host *h, uint32_t method);
	/* closed reports that the connection given cookie at spawn has
	 * closed (its stream is gone and nothing more is dispatched). Once
	 * per connection, on its actor, so it must not block. */
	void (*closed)(gri_conn_host *h, void *cookie);
	/* hold is called at spawn and release when the connection's memory
	 * goes (at its last reference: on whichever thread drops it, maybe
	 * after the server was closed, when a late answer finishes the last
	 * gorums_ctx). Together they keep h alive as long as any connection
	 * and any request context may use it. */
	void (*hold)(gri_conn_host *h);
	void (*release)(gri_conn_host *h);
};

/*
 * gri_conn_spawn creates a connection actor for stream, which it owns from
 * now on (also on failure, when it is freed). The actor starts reading as
 * soon as it runs. On success *cp holds one reference, to be dropped with
 * gri_conn_unref, not before h->closed was called (with cookie, once the
 * connection has closed, for whatever reason): the host keeps it in its
 * list of connections until then, to stop it.
 */
gorums_err gri_conn_spawn(gri_conn_host *h, void *cookie, nng_stream *stream,
                          gri_conn **cp);

/*
 * gri_conn_stop closes c, asynchronously; any thread. If graceful, the
 * requests whose handlers have started finish first, and their answers are
 * written out; requests not started yet (and any arriving meanwhile) are
 * answered with GORUMS_ESTOPPED. Otherwise the connection closes at once:
 * handlers still running finish on their threads, and their answers are
 * dropped. Either way h->closed follows.
 */
void gri_conn_stop(gri_conn *c, bool graceful);

/* gri_conn_unref drops a reference taken by gri_conn_spawn. */
void gri_conn_unref(gri_conn *c);

/*
 * gri_conn_nqueued is the number of requests queued on c, not started yet;
 * for tests (a snapshot, any thread, while the caller holds a reference).
 */
size_t gri_conn_nqueued(gri_conn *c);

/*
 * The request context. These implement gorums_ctx_* (gorums/server.h),
 * whose comments hold; the public entry points are in src/server.
 */
void       gri_ctx_release(gorums_ctx *ctx);
gorums_err gri_ctx_reply(gorums_ctx *ctx, const ProtobufCMessage *msg);
gorums_err gri_ctx_send(gorums_ctx *ctx, const ProtobufCMessage *msg);
gorums_err gri_ctx_end(gorums_ctx *ctx);
gorums_err gri_ctx_error(gorums_ctx *ctx, gorums_err err);
uint32_t   gri_ctx_method(const gorums_ctx *ctx);
bool       gri_ctx_oneway(const gorums_ctx *ctx);

#endif /* GRI_CONN_H */
