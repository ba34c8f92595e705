/*
 * qcall.h: the quorum-call actor, one per quorum call in flight.
 *
 * The caller's thread builds it, fans the request out to the nodes of the
 * configuration (one sub-call per node, in configuration order, so calls
 * issued in order from one thread reach every node in order) and returns.
 * The nodes deliver each answer to the actor (gri_qcall_deliver); the
 * actor unpacks replies into the call's arena, runs the quorum function on
 * each, publishes correctable levels, and completes the call exactly once:
 * quorum, deadline, cancel, or every node answered without a quorum. Then
 * it tells the nodes to forget the sub-calls still pending, so no routing
 * entry outlives the call, and late answers are dropped.
 */
#ifndef ACTORS_QCALL_H
#define ACTORS_QCALL_H

#include <stddef.h>
#include <stdint.h>

#include "gorums/quorum.h"
#include "src/client/call_impl.h"

/*
 * gri_qcall_start starts quorum call c (allocated by the caller, with its
 * callback set) on cfg. On success the call runs and c will complete; on
 * failure nothing was sent and c is untouched.
 */
gorums_err gri_qcall_start(gorums_call *c, gorums_config *cfg, uint32_t method,
                           const ProtobufCMessage  *req,
                           const gorums_qcall_opts *o);

/* What a delivered answer is. */
enum {
	GRI_QC_FINAL = 0, /* the node's only reply, or its failure */
	GRI_QC_ITEM  = 1, /* one reply of a stream; more may follow */
	GRI_QC_END   = 2, /* the stream is over (no reply with it) */
};

/*
 * gri_qcall_deliver hands a sub-call's answer to its quorum call: what
 * (GRI_QC_*), err, or the reply's payload bytes (copied). For node actors;
 * any thread.
 */
void gri_qcall_deliver(gorums_call *sub, int what, gorums_err err,
                       const uint8_t *payload, size_t len);

#endif /* ACTORS_QCALL_H */
