/*
 * gorums/call.h: calls to one node (ordered RPC, unicast) and to several
 * (multicast), and the handle of an asynchronous call.
 *
 * Requests are protobuf-c messages, packed when the call is made (the
 * caller keeps its message). Replies are unpacked into a message the caller
 * owns and frees with protobuf_c_message_free_unpacked(reply, NULL).
 * Calls issued from one thread to one node reach it in issue order.
 */
#ifndef GORUMS_CALL_H
#define GORUMS_CALL_H

#include <stdbool.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "gorums/errors.h"
#include "gorums/manager.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gorums_call gorums_call;

/*
 * gorums_call_cb is a completion callback. It runs once, on a runtime
 * thread, and must not block (hand the work to another thread if needed);
 * it may read the call's result but not wait on or free the call. The call
 * counts as done (gorums_call_wait and gorums_call_free return) only after
 * the callback has returned, so its argument may be freed after those.
 */
typedef void (*gorums_call_cb)(gorums_call *c, void *arg);

/*
 * gorums_rpc sends req to node n as method and waits up to timeout_ms
 * (<= 0: no deadline) for the reply, which it unpacks with reply_desc into
 * *reply. Errors: GORUMS_ETIMEDOUT, a connection error, GORUMS_ECLOSED,
 * or the server's status (GORUMS_EUNKNOWNMETHOD, GORUMS_EDECODE,
 * GORUMS_EHANDLER, ...).
 */
gorums_err gorums_rpc(gorums_node *n, uint32_t method,
                      const ProtobufCMessage           *req,
                      const ProtobufCMessageDescriptor *reply_desc,
                      int timeout_ms, ProtobufCMessage **reply);

/*
 * gorums_rpc_async starts the same call and returns its handle in *cp; the
 * caller frees it with gorums_call_free. cb (may be NULL) runs when it
 * completes.
 */
gorums_err gorums_rpc_async(gorums_node *n, uint32_t method,
                            const ProtobufCMessage           *req,
                            const ProtobufCMessageDescriptor *reply_desc,
                            int timeout_ms, gorums_call_cb cb, void *arg,
                            gorums_call **cp);

/* gorums_call_wait waits for c to complete and returns its result. */
gorums_err gorums_call_wait(gorums_call *c);

/* gorums_call_done is true once c has completed; never blocks. */
bool gorums_call_done(gorums_call *c);

/*
 * gorums_call_cancel completes c with GORUMS_ECANCELED unless it completed
 * already; asynchronous (gorums_call_wait returns soon after). Any thread.
 */
void gorums_call_cancel(gorums_call *c);

/*
 * gorums_call_result returns c's result once it completed (GORUMS_EBUSY
 * before) and moves the reply, if any, to *reply (the caller owns it; a
 * second call gives NULL). reply may be NULL.
 */
gorums_err gorums_call_result(gorums_call *c, ProtobufCMessage **reply);

/*
 * gorums_call_free cancels c if it is still running, waits for it, and
 * frees it with any reply not taken. Not from c's callback.
 */
void gorums_call_free(gorums_call *c);

/* Flags for one-way calls. */
#define GORUMS_NOWAIT 0x1 /* return once queued, not once written */

/*
 * gorums_unicast sends msg to n as method, one way (no reply). By default
 * it returns once the request was written to the node's stream (or failed);
 * with GORUMS_NOWAIT once it is queued: fire and forget, whatever happens
 * to it later is not reported (a node that is down drops it). A sender
 * faster than the node gets GORUMS_EAGAIN, and nothing is sent, once
 * send_queue_max bytes wait for the node (nowait_queue_max with
 * GORUMS_NOWAIT; gorums_mgr_opts): back off and retry.
 */
gorums_err gorums_unicast(gorums_node *n, uint32_t method,
                          const ProtobufCMessage *msg, int flags);

/*
 * gorums_multicast sends msg to each of nodes[0..nnodes), one way, as
 * gorums_unicast does. Returns the first error of any node (after all were
 * tried); with GORUMS_NOWAIT, GORUMS_EAGAIN means no node was sent it.
 */
gorums_err gorums_multicast(gorums_node *const *nodes, size_t nnodes,
                            uint32_t method, const ProtobufCMessage *msg,
                            int flags);

#ifdef __cplusplus
}
#endif

#endif /* GORUMS_CALL_H */
