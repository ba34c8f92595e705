/*
 * gorums/quorum.h: quorum calls on a configuration.
 *
 * A quorum call sends one request to every node of a configuration (in
 * call order: calls issued in order from one thread reach each node in that
 * order), hands each reply to a quorum function, and completes as soon as
 * the function says the replies suffice. The function runs on the call's
 * own actor, one reply at a time, so it needs no locking.
 *
 * Replies, the call's copy of the request, and any result the quorum
 * function builds live in the call's arena: they stay valid until
 * gorums_call_free, and are borrowed, never freed by the user.
 *
 * A call ends exactly once, with:
 *   GORUMS_OK          the quorum function said the quorum is reached
 *   GORUMS_ETIMEDOUT   the deadline passed first
 *   GORUMS_ECANCELED   it was cancelled first
 *   GORUMS_EINCOMPLETE every node answered or failed and no quorum formed
 *   another error      the call could not be made (e.g. GORUMS_ECLOSED)
 * gorums_qcall_nreplies and gorums_qcall_node_status tell the details:
 * which nodes answered, which failed and why.
 */
#ifndef GORUMS_QUORUM_H
#define GORUMS_QUORUM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "gorums/call.h"
#include "gorums/config.h"
#include "gorums/errors.h"

#ifdef __cplusplus
extern "C" {
#endif

/* gorums_reply is one node's reply. */
typedef struct gorums_reply {
	uint32_t                node_id;
	const ProtobufCMessage *msg;
} gorums_reply;

/* gorums_qin is what a quorum function sees. */
typedef struct gorums_qin {
	const ProtobufCMessage *req;     /* the request (before per-node) */
	const gorums_reply     *replies; /* successful replies, in order */
	size_t                  nreplies;
	size_t                  nnodes;  /* nodes sent to (not skipped) */
	size_t                  nconfig; /* nodes in the configuration */
	ProtobufCAllocator     *alloc;   /* the call's arena */
} gorums_qin;

/*
 * gorums_qfunc decides whether the replies so far form a quorum. It sets
 * *result to the call's value (one of the replies, or a message it builds
 * with in->alloc, possibly of another type: a custom return type) and, for
 * correctable calls, *level to the value's level (higher is better; a
 * level is published when it rises). It returns true once the call is
 * done. It runs once per reply; it must not block.
 */
typedef bool (*gorums_qfunc)(void *arg, const gorums_qin *in,
                             const ProtobufCMessage **result, int *level);

typedef enum gorums_qkind {
	GORUMS_QF_CUSTOM = 0, /* fn(arg, ...) */
	GORUMS_QF_FIRST,      /* the first reply */
	GORUMS_QF_MAJORITY,   /* more than half of the configuration */
	GORUMS_QF_ALL,        /* every node of the configuration */
	GORUMS_QF_THRESHOLD,  /* k replies */
} gorums_qkind;

/*
 * gorums_qspec names the quorum function. Built-ins return the reply that
 * completed the quorum and use the number of replies as the level. They
 * count against the configuration's size: nodes skipped by a per-node
 * function never reply, so they never count toward a quorum.
 */
typedef struct gorums_qspec {
	gorums_qkind kind;
	int          k;  /* GORUMS_QF_THRESHOLD */
	gorums_qfunc fn; /* GORUMS_QF_CUSTOM */
	void        *arg;
} gorums_qspec;

/*
 * gorums_per_node_fn builds node_id's request from req (in alloc, or req
 * itself); it returns false to skip the node. Runs on the calling thread
 * before anything is sent.
 */
typedef bool (*gorums_per_node_fn)(void *arg, uint32_t node_id,
                                   const ProtobufCMessage  *req,
                                   ProtobufCAllocator      *alloc,
                                   const ProtobufCMessage **node_req);

typedef struct gorums_qcall_opts {
	const ProtobufCMessageDescriptor *reply_desc; /* replies' type */
	gorums_qspec                      qspec;
	int                               timeout_ms;  /* <= 0: none */
	bool                              correctable; /* publish levels */
	gorums_per_node_fn                per_node;    /* may be NULL */
	void                             *per_node_arg;
	gorums_call_cb                    cb; /* completion; may be NULL */
	void                             *cb_arg;
} gorums_qcall_opts;

/*
 * gorums_qcall_async starts a quorum call and returns its handle in *cp
 * (NULL if none was started; free it with gorums_call_free). gorums_call_wait,
 * _done, _cancel and the completion callback work as for RPC.
 */
gorums_err gorums_qcall_async(gorums_config *c, uint32_t method,
                              const ProtobufCMessage  *req,
                              const gorums_qcall_opts *o, gorums_call **cp);

/*
 * gorums_qcall makes a quorum call and waits for it. It returns the call's
 * result; *cp gets the handle whenever a call was started (also on
 * failure, for the details), to be freed with gorums_call_free.
 */
gorums_err gorums_qcall(gorums_config *c, uint32_t method,
                        const ProtobufCMessage  *req,
                        const gorums_qcall_opts *o, gorums_call **cp);

/*
 * gorums_config_multicast sends msg one way to every node of cfg, as
 * gorums_multicast does (same flags, first error returned).
 */
gorums_err gorums_config_multicast(gorums_config *cfg, uint32_t method,
                                   const ProtobufCMessage *msg, int flags);

/*
 * gorums_config_multicast_each sends every node of cfg its own request,
 * made from req by fn (as a quorum call's per_node), one way; nodes fn
 * skips get nothing. Each request is packed as it is sent, so what fn
 * allocated for it is released right after. With fn NULL it is
 * gorums_config_multicast. Returns the first error.
 */
gorums_err gorums_config_multicast_each(gorums_config *cfg, uint32_t method,
                                        const ProtobufCMessage *req,
                                        gorums_per_node_fn fn, void *fn_arg,
                                        int flags);

/*
 * gorums_qcall_result is the value of a completed quorum call (NULL if it
 * has none), borrowed until gorums_call_free.
 */
const ProtobufCMessage *gorums_qcall_result(gorums_call *c);

/* gorums_qcall_nreplies counts the successful replies so far. */
size_t gorums_qcall_nreplies(gorums_call *c);

/* gorums_qcall_nnodes is the number of nodes of the call's config. */
size_t gorums_qcall_nnodes(gorums_call *c);

/*
 * gorums_qcall_node_status tells about the i-th node of the call's
 * configuration (ascending id order): its id, and GORUMS_OK if it replied,
 * GORUMS_EBUSY if it had not answered when the call ended (or has not
 * yet), GORUMS_ENOENT if a per-node function skipped it, or the error it
 * failed with. Meaningful once the call is done.
 */
gorums_err gorums_qcall_node_status(gorums_call *c, size_t i,
                                    uint32_t *node_id);

/*
 * gorums_qcall_level returns the current level of a correctable call
 * (0: none yet) and its value in *value (may be NULL), borrowed until
 * gorums_call_free. Any thread, any time.
 */
int gorums_qcall_level(gorums_call *c, const ProtobufCMessage **value);

/*
 * gorums_qcall_watch calls cb(c, arg) once, as soon as the call's level
 * is at least level or the call is done (at once, on this thread, if that
 * is so already; otherwise on a runtime thread: it must not block).
 */
gorums_err gorums_qcall_watch(gorums_call *c, int level, gorums_call_cb cb,
                              void *arg);

/*
 * gorums_qcall_wait_level blocks until the call's level is at least level
 * (GORUMS_OK) or the call is done without reaching it (the call's error,
 * or GORUMS_EINCOMPLETE if it succeeded at a lower level).
 */
gorums_err gorums_qcall_wait_level(gorums_call *c, int level);

#ifdef __cplusplus
}
#endif

#endif /* GORUMS_QUORUM_H */
