/*
 * gorums/server.h: serving methods to gorums clients.
 *
 * A server listens on one or more URLs (tcp://127.0.0.1:0, ipc:///path),
 * accepts connections, and runs the handler registered for each request's
 * method. Requests of one connection start in the order they arrived: the
 * next handler starts only after the previous one returned or called
 * gorums_ctx_release. Handlers run on the server's handler threads, never
 * on the runtime's actor workers, so a handler may block after release
 * (sleep, I/O, nested calls) without stalling other connections.
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

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gorums_server gorums_server;
typedef struct gorums_ctx    gorums_ctx;

typedef struct gorums_server_opts {
	int     nthreads;  /* actor workers; 0: number of cores */
	int64_t spin_ns;   /* idle spinning of workers; <0: default */
	size_t  max_frame; /* largest frame accepted; 0: 4 MiB */
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
 * later gorums_ctx_reply from another thread.
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
 * gorums_server_listen starts accepting on url. With port 0 the system
 * picks one; gorums_server_url returns the bound URL.
 */
gorums_err gorums_server_listen(gorums_server *s, const char *url);

/*
 * gorums_server_url writes the URL of the i-th listener (with the bound
 * port) into buf of size len.
 */
gorums_err gorums_server_url(gorums_server *s, int i, char *buf, size_t len);

/*
 * gorums_server_stop stops accepting and closes every connection. If
 * graceful, requests already started finish and their replies are sent
 * first; otherwise they are abandoned. Blocks until done; not from a
 * handler. Idempotent.
 */
void gorums_server_stop(gorums_server *s, bool graceful);

/* gorums_server_close stops (immediately, if not yet) and frees s. */
void gorums_server_close(gorums_server *s);

/* gorums_server_nconns is the number of open connections, for tests. */
size_t gorums_server_nconns(gorums_server *s);

/*
 * gorums_ctx_release lets the next request of this connection start while
 * the calling handler goes on. Idempotent; from the handler's thread.
 */
void gorums_ctx_release(gorums_ctx *ctx);

/*
 * gorums_ctx_reply answers the request with msg (packed now: the caller
 * keeps msg). Any thread; once. GORUMS_ESTATE if already answered; for a
 * one-way request it does nothing and returns GORUMS_OK.
 */
gorums_err gorums_ctx_reply(gorums_ctx *ctx, const ProtobufCMessage *msg);

/* gorums_ctx_error answers the request with an error status instead. */
gorums_err gorums_ctx_error(gorums_ctx *ctx, gorums_err err);

/* gorums_ctx_method is the method id of the request. */
uint32_t gorums_ctx_method(const gorums_ctx *ctx);

/* gorums_ctx_oneway is true for unicast/multicast requests (no answer). */
bool gorums_ctx_oneway(const gorums_ctx *ctx);

#ifdef __cplusplus
}
#endif

#endif /* GORUMS_SERVER_H */
