/*
 * client.c: the call entry points of gorums/call.h: ordered RPC, unicast,
 * multicast. They encode on the caller's thread and hand the frame to the
 * node actor; blocking forms wait on the call handle.
 */
#include "actors/node/node.h"
#include "gorums/call.h"
#include "src/client/call_impl.h"
#include "src/pool.h"
#include "src/sched.h"
#include "src/wire/wire.h"

gorums_err
gorums_rpc_async(gorums_node *n, uint32_t method, const ProtobufCMessage *req,
                 const ProtobufCMessageDescriptor *reply_desc, int timeout_ms,
                 gorums_call_cb cb, void *arg, gorums_call **cp)
{
	gorums_call *c;
	gorums_err   rv;

	if (n == NULL || cp == NULL) {
		return (GORUMS_EINVAL);
	}
	if ((c = gri_call_alloc()) == NULL) {
		return (GORUMS_ENOMEM);
	}
	c->reply_desc = reply_desc;
	c->cb         = cb;
	c->cb_arg     = arg;
	rv = gri_node_start_call(n, c, GRI_WIRE_REQUEST, method, req,
	                         timeout_ms);
	if (rv != GORUMS_OK) {
		gri_call_unref(c);
		return (rv);
	}
	*cp = c;
	return (GORUMS_OK);
}

gorums_err
gorums_rpc(gorums_node *n, uint32_t method, const ProtobufCMessage *req,
           const ProtobufCMessageDescriptor *reply_desc, int timeout_ms,
           ProtobufCMessage **reply)
{
	gorums_call *c;
	gri_sched   *s = gri_call_help_begin(n);
	gorums_err   rv;

	rv = gorums_rpc_async(n, method, req, reply_desc, timeout_ms, NULL,
	                      NULL, &c);
	gri_call_help_end(s, rv == GORUMS_OK ? c : NULL);
	if (rv != GORUMS_OK) {
		return (rv);
	}
	(void) gorums_call_wait(c);
	rv = gorums_call_result(c, reply);
	gri_call_unref(c);
	return (rv);
}

/*
 * oneway_start starts a one-way call to n, with frame (the message encoded
 * once for every node of a multicast) or, if frame is NULL, encoding msg
 * for n alone; *cp gets its handle.
 */
static gorums_err
oneway_start(gorums_node *n, uint32_t method, const ProtobufCMessage *msg,
             const uint8_t *frame, size_t len, gorums_call **cp)
{
	gorums_call *c;
	gorums_err   rv;

	if (n == NULL) {
		return (GORUMS_EINVAL);
	}
	if ((c = gri_call_alloc()) == NULL) {
		return (GORUMS_ENOMEM);
	}
	if (frame != NULL) {
		gri_node_prepare_call(n, c, GRI_WIRE_ONEWAY);
		rv = gri_node_send_frame(n, c, frame, len, 0);
	} else {
		rv =
		    gri_node_start_call(n, c, GRI_WIRE_ONEWAY, method, msg, 0);
	}
	if (rv != GORUMS_OK) {
		gri_call_unref(c);
		return (rv);
	}
	*cp = c;
	return (GORUMS_OK);
}

gorums_err
gorums_unicast(gorums_node *n, uint32_t method, const ProtobufCMessage *msg,
               int flags)
{
	return (gorums_multicast(&n, 1, method, msg, flags));
}

/*
 * multicast_post sends frame (or msg) to each node, fire and forget: no
 * handle to wait on, so none is made (gri_node_post). If a node's queue is
 * full, nothing is sent (GORUMS_EAGAIN): a retry then gives no node the
 * message twice.
 */
static gorums_err
multicast_post(gorums_node *const *nodes, size_t nnodes, uint32_t method,
               const ProtobufCMessage *msg, const uint8_t *frame, size_t len)
{
	gorums_err first = GORUMS_OK;

	for (size_t i = 0; i < nnodes; i++) {
		if (nodes[i] != NULL && gri_node_post_full(nodes[i])) {
			return (GORUMS_EAGAIN);
		}
	}
	for (size_t i = 0; i < nnodes; i++) {
		gorums_err rv = nodes[i] == NULL
		    ? GORUMS_EINVAL
		    : gri_node_post(nodes[i], method, msg, frame, len);
		if (rv != GORUMS_OK && first == GORUMS_OK) {
			first = rv;
		}
	}
	return (first);
}

/* multicast_wait sends to each node and waits until each is written. */
static gorums_err
multicast_wait(gorums_node *const *nodes, size_t nnodes, uint32_t method,
               const ProtobufCMessage *msg, const uint8_t *frame, size_t len)
{
	gorums_err   first = GORUMS_OK;
	gorums_call *calls[64];

	/* In batches of 64 handles, so no allocation per fan-out. */
	for (size_t base = 0; base < nnodes; base += 64) {
		size_t k = nnodes - base < 64 ? nnodes - base : 64;
		/* As a blocking call does: the node actors run here and hand
		 * the frames to their streams, no wake-ups either way. */
		gri_sched *s = gri_call_help_begin(nodes[base]);
		for (size_t i = 0; i < k; i++) {
			gorums_err rv =
			    oneway_start(nodes[base + i], method, msg, frame,
			                 len, &calls[i]);
			if (rv != GORUMS_OK) {
				calls[i] = NULL;
				if (first == GORUMS_OK) {
					first = rv;
				}
			}
		}
		for (size_t i = 0; s != NULL && i < k; i++) {
			if (calls[i] != NULL) {
				(void) gri_call_help(calls[i]);
			}
		}
		gri_call_help_end(s, NULL);
		for (size_t i = 0; i < k; i++) {
			if (calls[i] == NULL) {
				continue;
			}
			gorums_err rv = gorums_call_wait(calls[i]);
			if (rv != GORUMS_OK && first == GORUMS_OK) {
				first = rv;
			}
			gri_call_unref(calls[i]);
		}
	}
	return (first);
}

gorums_err
gorums_multicast(gorums_node *const *nodes, size_t nnodes, uint32_t method,
                 const ProtobufCMessage *msg, int flags)
{
	gri_wire_hdr h     = {.kind = GRI_WIRE_ONEWAY, .method_id = method};
	gorums_err   first = GORUMS_OK;
	uint8_t     *frame = NULL;
	size_t       size = 0, len = 0;

	if (nodes == NULL && nnodes > 0) {
		return (GORUMS_EINVAL);
	}
	/* For several nodes, pack the message once; each node copies the
	 * frame under its own message id. (One node encodes straight into
	 * its message: no copy at all.) */
	if (nnodes > 1) {
		size = gri_wire_msg_size(0, NULL, msg);
		if ((frame = gri_pool_alloc(size)) == NULL) {
			return (GORUMS_ENOMEM);
		}
		first = gri_wire_encode_msg(&h, NULL, msg, (size_t) -1, frame,
		                            size, &len);
		if (first != GORUMS_OK) {
			gri_pool_free(frame, size);
			return (first);
		}
	}
	first = (flags & GORUMS_NOWAIT) != 0
	    ? multicast_post(nodes, nnodes, method, msg, frame, len)
	    : multicast_wait(nodes, nnodes, method, msg, frame, len);
	gri_pool_free(frame, size);
	return (first);
}
