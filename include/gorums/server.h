/*
 * gorums/server.h: serving methods to gorums clients.
 *
 * A server listens on one or more URLs (tcp://127.0.0.1:0, ipc:///path),
 * accepts connections, and runs the handler registered for each request's
 * method. Requests of one connection start in the order they arrived: the
 * next handler starts only after the previous one returned or called
 * gorums_ctx_release. A handler may block (sleep, I/O, nested calls),
 * before or after release, without stalling other connections: it starts
 * on the runtime thread that decoded its request (no thread hand-off),
 * and when it releases, or runs for more than about a millisecond, that
 * thread's place in the runtime goes to another thread while it finishes.
 * When no runtime thread can take it, it runs on one of the server's
 * handler threads.
 *
 * Every two-way request gets exactly one answer: the handler's reply, or an
 * error status (unknown method, malformed payload, handler error).
 */
#ifndef GORUMS_SERVER_H
#define GORUMS_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "gorums/errors.h"
#include "gorums/log.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gorums_server gorums_server;
typedef struct gorums_ctx    gorums_ctx;

struct nng_tls_config; /* <nng/supplemental/tls/tls.h> */

typedef struct gorums_server_opts {
	int     nthreads;     /* actor workers; 0: number of cores */
	int64_t spin_ns;      /* idle spinning of workers; <0: default */
	size_t  max_frame;    /* largest frame accepted; 0: 4 MiB */
	int     max_handlers; /* handler threads at most; 0: 1024 */
	/*
	 * inline_handlers runs handlers inside the connection's actor, right
	 * where each request is decoded, before the actor reads on. Only for
	 * handlers that never block: a blocking handler then stalls its
	 * connection's reading and an actor thread. gorums_ctx_release still
	 * passes the order on, to a handler thread. Default false: handlers
	 * start on the same thread anyway, just after the actor's turn, and
	 * may block (see above).
	 */
	bool inline_handlers;
	/*
	 * tls is the server configuration (NNG_TLS_MODE_SERVER) for
	 * tls+tcp:// listeners: the server's certificate and key, and, to
	 * require client certificates, a CA chain and an auth mode. The
	 * server holds a reference until it is freed (the caller may free its
	 * own at once). NULL: listening on tls+tcp:// fails with
	 * GORUMS_EINVAL. A client whose handshake fails loses only its own
	 * connection.
	 */
	struct nng_tls_config *tls;
	/* logger hears of connections opened and closed, and why (a
	 * malformed frame, a failed handshake), and of failing accepts
	 * (gorums/log.h); default: none. */
	gorums_logger logger;
} gorums_server_opts;

/* gorums_server_opts_init fills o with the defaults. */
void gorums_server_opts_init(gorums_server_opts *o);

/*
 * gorums_handler handles one request. req is the decoded request (owned by
 * the runtime, valid until the ctx is finished: reply sent and handler
 * returned). The handler answers a two-way request with gorums_ctx_reply or
 * gorums_ctx_error, exactly once, from any thread, before or after it
 * returns. A non-OK return value answers with GORUMS_EHANDLER (if it has not
 * answered yet); returning OK without answering leaves the answer to a
 * later gorums_ctx_reply from another thread. The ctx is freed when it is
 * finished, so such a ctx must be answered eventually, even after its
 * connection or the server closed (the answer is then dropped): until
 * then it holds on to its connection's memory and the server's.
 *
 * Handler threads. Handlers run on threads of the server's own, which are
 * created whenever every one of them is busy, up to max_handlers; past
 * that, requests wait for the first thread that frees up. Handlers that
 * block for long (or wait for each other) with max_handlers reached stall
 * every connection of the server.
 */
typedef gorums_err (*gorums_handler)(gorums_ctx             *ctx,
                                     const ProtobufCMessage *req, void *arg);

/* gorums_server_open allocates a server; o may be NULL for defaults. */
gorums_err gorums_server_open(gorums_server **sp, const gorums_server_opts *o);

/*
 * gorums_server_register installs h for method; req_desc decodes its
 * requests. Before gorums_server_listen only. GORUMS_EEXIST if method has a
 * handler already.
 */
gorums_err gorums_server_register(gorums_server *s, uint32_t method,
                                  const ProtobufCMessageDescriptor *req_desc,
                                  gorums_handler h, void *arg);

/*
 * gorums_server_listen starts accepting on url (tcp://, tcp4://, tcp6://,
 * ipc://, tls+tcp:// with gorums_server_opts.tls). With port 0 the system
 * picks one; gorums_server_url returns the bound URL. May be called again
 * for more URLs; not after stop (GORUMS_ECLOSED). Registering is over once
 * it is called.
 */
gorums_err gorums_server_listen(gorums_server *s, const char *url);

/*
 * gorums_server_url writes the URL of the i-th listener (with the bound
 * port) into buf of size len, NUL-terminated. GORUMS_ENOENT if there is no
 * such listener, GORUMS_EINVAL if buf is too small.
 */
gorums_err gorums_server_url(gorums_server *s, int i, char *buf, size_t len);

/*
 * gorums_server_stop stops accepting and closes every connection. If
 * graceful, requests already started finish and their replies are sent
 * first, and the requests that had not started are answered with
 * GORUMS_ESTOPPED; otherwise the connections close at once, and handlers
 * still running finish on their threads with their answers dropped.
 * Blocks until every connection is closed (graceful: until the handlers
 * started have answered and returned). An immediate stop called while a
 * graceful one waits makes it immediate. Not from a handler or any thread
 * of the server: there it does nothing (it would wait for itself).
 * Idempotent.
 */
void gorums_server_stop(gorums_server *s, bool graceful);

/*
 * gorums_server_close stops (immediately, if not yet) and frees s. It waits
 * for the handlers still running to return, and joins every thread of the
 * server. Not from a handler or any thread of the server (there it does
 * nothing). Contexts answered after close are dropped quietly.
 */
void gorums_server_close(gorums_server *s);

/* gorums_server_nconns is the number of open connections, for tests. */
size_t gorums_server_nconns(gorums_server *s);

/*
 * gorums_ctx_release lets the next request of this connection start while
 * the calling handler goes on. Idempotent; from the handler's thread,
 * before the handler returns.
 */
void gorums_ctx_release(gorums_ctx *ctx);

/*
 * gorums_ctx_reply answers the request with msg (packed now: the caller
 * keeps msg; NULL sends an empty payload). Any thread; once. GORUMS_ESTATE
 * if already answered (detectable only while the handler has not returned:
 * after that an answered ctx is gone); GORUMS_EMSGSIZE if the reply would
 * exceed max_frame and GORUMS_ENOMEM if it cannot be allocated (the
 * request is then still unanswered). For a one-way request it does nothing
 * and returns GORUMS_OK.
 */
gorums_err gorums_ctx_reply(gorums_ctx *ctx, const ProtobufCMessage *msg);

/*
 * gorums_ctx_send sends msg as one reply of a stream (a correctable
 * stream: the client's quorum function sees each as it comes), before the
 * request is answered; the caller keeps msg. End the stream with
 * gorums_ctx_end (or a last gorums_ctx_reply, which counts as one more
 * reply). Any thread, in order; does nothing for one-way requests.
 */
gorums_err gorums_ctx_send(gorums_ctx *ctx, const ProtobufCMessage *msg);

/* gorums_ctx_end answers a streamed request: the stream is over. */
gorums_err gorums_ctx_end(gorums_ctx *ctx);

/*
 * gorums_ctx_error answers the request with an error status instead; err
 * must not be GORUMS_OK (GORUMS_EINVAL). Otherwise as gorums_ctx_reply.
 */
gorums_err gorums_ctx_error(gorums_ctx *ctx, gorums_err err);

/* gorums_ctx_method is the method id of the request. */
uint32_t gorums_ctx_method(const gorums_ctx *ctx);

/* gorums_ctx_oneway is true for unicast/multicast requests (no answer). */
bool gorums_ctx_oneway(const gorums_ctx *ctx);

/*
 * gorums_ctx_metadata looks key up in the metadata the client sent when it
 * connected (gorums_mgr_opts.metadata and .per_node_metadata, as Gorums'
 * WithMetadata): *val and *len (either may be NULL) get the value, valid
 * as long as the ctx is. GORUMS_ENOENT if the client sent no such key, or
 * no metadata at all. Any thread holding the ctx.
 */
gorums_err gorums_ctx_metadata(gorums_ctx *ctx, const char *key,
                               const void **val, size_t *len);

#ifdef __cplusplus
}
#endif

#endif /* GORUMS_SERVER_H */
