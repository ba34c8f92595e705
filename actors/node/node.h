/*
 * node.h: the node actor, one per server address of a manager.
 *
 * It owns the node's connection (a gri_link over an nng stream), dials it
 * lazily and without blocking, reconnects with exponential backoff, keeps
 * the table of requests waiting for an answer (message id -> call), and
 * completes those calls: with the reply, the server's error status, the
 * deadline, a cancel, or the stream's failure. When the stream breaks,
 * every pending request fails at once with the connection error (they all
 * belong to that stream: a node sends nothing while it has none).
 * Delivery is at most once per stream, which keeps FIFO per node.
 */
#ifndef ACTORS_NODE_H
#define ACTORS_NODE_H

#include <stdatomic.h>
#include <stdbool.h>

#include <nng/nng.h>

#include "gorums/call.h"
#include "gorums/log.h"
#include "gorums/manager.h"
#include "src/actor.h"
#include "src/idmap.h"
#include "src/link/link.h"
#include "src/timer.h"

typedef struct gri_node_opts {
	int     dial_timeout_ms;
	int     backoff_min_ms;
	int     backoff_max_ms;
	size_t  max_frame;
	size_t  send_queue_max;
	size_t  nowait_queue_max;
	int64_t wait_spin_ns;       /* callers spin this long before parking */
	struct nng_tls_config *tls; /* the manager's, for tls+tcp:// */
	gorums_logger          logger; /* the manager's */
} gri_node_opts;

struct gorums_node {
	gri_actor base;

	/* Set at alloc, read-only after. */
	char         *addr;
	uint32_t      id;
	uint8_t      *hello; /* sent first on each stream, or NULL */
	size_t        hello_len;
	gri_timer    *timer;
	gri_node_opts opts;

	/* Any thread. Relaxed: statistics and hints for the API, nothing is
	 * published through them. */
	atomic_uint          next_msg_id;
	atomic_int           last_error;
	atomic_uint_fast64_t latency_ns;
	atomic_bool          connected;
	atomic_size_t        npending;
	atomic_size_t        posted; /* gri_node_post messages not yet taken,
	                              * bytes allocated */
	atomic_size_t
	    stream_queued; /* bytes waiting in the stream's queue,
	                    * kept by the link (gri_link_count_into) */
	/* Set by close: new calls fail at once (a hint; the actor decides). */
	atomic_bool closed;

	/* The node actor only. */
	gri_link          *link;  /* NULL while disconnected */
	uint64_t           epoch; /* of link, or of the dial in progress */
	bool               dialing;
	bool               stopped; /* closed: everything fails */
	nng_stream_dialer *dialer;
	nng_aio           *dial_aio;
	gri_idmap          pending; /* msg id -> gorums_call */
	uint8_t           *backlog; /* frames waiting for a connection */
	size_t             backlog_len;
	size_t             backlog_cap;
	gorums_call      **sendwait; /* one-way calls waiting for it */
	size_t             nsendwait;
	size_t             sendwait_cap;
	int                backoff_ms;
	uint64_t           next_dial_ns;
	gri_timeout        redial; /* guarded by the timer */
	bool               redial_armed;

	/* Completed when the actor is freed (set once, before that). */
	gorums_call *on_free;
};

/*
 * gri_node_alloc spawns a node actor for the normalised address addr.
 * hello (may be NULL) is the frame sent first on every new stream (the
 * connection metadata); the node owns it from now on, also on failure.
 * The caller holds the returned reference.
 */
gorums_err gri_node_alloc(gorums_node **np, gri_sched *sched, gri_timer *timer,
                          const char *addr, uint32_t id,
                          const gri_node_opts *opts, uint8_t *hello,
                          size_t hello_len);

/*
 * gri_node_prepare_call sets c's routing fields for n (node, message id,
 * completer) without sending anything: a quorum call prepares every
 * sub-call before the first is sent, so that its actor may route cancels
 * for any of them at any time. Any thread.
 */
void gri_node_prepare_call(gorums_node *n, gorums_call *c, int kind);

/*
 * gri_node_send_call encodes req for prepared call c and hands it to the
 * node actor (see gri_node_start_call).
 */
gorums_err gri_node_send_call(gorums_node *n, gorums_call *c, uint32_t method,
                              const ProtobufCMessage *req, int timeout_ms);

/*
 * gri_node_send_frame hands prepared call c to n with a copy of
 * frame[0..len), a request encoded once for several nodes (its kind must
 * match c's; its message id is set to c's). For fan-out: the payload is
 * packed once, not once per node.
 */
gorums_err gri_node_send_frame(gorums_node *n, gorums_call *c,
                               const uint8_t *frame, size_t len,
                               int timeout_ms);

/*
 * gri_node_post sends a one-way request to n without a call handle (fire
 * and forget: GORUMS_NOWAIT): frame, if not NULL, is the request encoded
 * already (a multicast encodes once; its message id is set per node),
 * else msg is encoded as method. It is queued in order with n's calls;
 * whatever happens to it later goes unreported (see node.c, node_on_post).
 * The caller checks gri_node_post_full first. Errors: GORUMS_ECLOSED,
 * GORUMS_EMSGSIZE, GORUMS_ENOMEM.
 */
gorums_err gri_node_post(gorums_node *n, uint32_t method,
                         const ProtobufCMessage *msg, const uint8_t *frame,
                         size_t len);

/*
 * gri_node_post_full is true once nowait_queue_max bytes wait for n: posts
 * not yet taken by its actor (as allocated) and frames in its stream's
 * queue. The only push-back a sender that does not wait gets
 * (GORUMS_EAGAIN). A hint: posts racing with it may pass the bound by what
 * they carry, and the write in progress is not counted (so memory stays
 * within about twice the bound).
 */
bool gri_node_post_full(gorums_node *n);

/*
 * gri_node_start_call encodes req as a frame of the given kind (request
 * or one-way) for method, and hands it and c to the node actor. c must
 * have its read-only fields set (node, reply_desc, cb, timer, spin). On
 * error nothing was sent and c is untouched.
 */
gorums_err gri_node_start_call(gorums_node *n, gorums_call *c, int kind,
                               uint32_t method, const ProtobufCMessage *req,
                               int timeout_ms);

/*
 * gri_node_on_free makes the node complete done (and drop a reference to
 * it) when its memory goes, after its last message. Before the node is
 * stopped; once.
 */
void gri_node_on_free(gorums_node *n, gorums_call *done);

/*
 * gri_node_close fails every pending call with GORUMS_ECLOSED, closes the
 * connection and stops dialing; done is completed (GORUMS_OK) when the
 * node has let go of everything. Any thread; once.
 */
void gri_node_close(gorums_node *n, gorums_call *done);

#endif /* ACTORS_NODE_H */
