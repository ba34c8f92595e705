/*
 * gorums/manager.h: the client side's root object and its nodes.
 *
 * A manager owns the runtime (worker pool, timer), the options, and a pool
 * of nodes, one per server address. Connecting is lazy and never blocks:
 * a node dials when first used, reconnects with exponential backoff when
 * its stream breaks, and reports failures per call and in its last error.
 * Closing the manager fails every pending call with GORUMS_ECLOSED and
 * frees everything.
 */
#ifndef GORUMS_MANAGER_H
#define GORUMS_MANAGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gorums/errors.h"
#include "gorums/log.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gorums_mgr  gorums_mgr;
typedef struct gorums_node gorums_node;

struct nng_tls_config; /* <nng/supplemental/tls/tls.h> */

/* gorums_md is one metadata entry: a key and a value of len bytes. */
typedef struct gorums_md {
	const char *key; /* NUL-terminated, at most 65535 bytes */
	const void *val; /* may be NULL if len is 0 */
	size_t      len;
} gorums_md;

/*
 * gorums_per_node_md_fn adds metadata for the node node_id: it fills
 * out[0..max) and returns how many entries it wrote. The entries are
 * copied before it returns to gorums.
 */
typedef size_t (*gorums_per_node_md_fn)(void *arg, uint32_t node_id,
                                        gorums_md *out, size_t max);

typedef struct gorums_mgr_opts {
	int     nthreads;        /* actor workers; 0: number of cores */
	int64_t spin_ns;         /* idle spinning of workers; <0: default */
	int     dial_timeout_ms; /* one connection attempt; default 3000 */
	int     backoff_min_ms;  /* first reconnect delay; default 50 */
	int     backoff_max_ms;  /* reconnect delay cap; default 5000 */
	size_t  max_frame;       /* largest frame sent/accepted; 0: 4 MiB */
	size_t  send_queue_max;  /* bytes queued per node, beyond which calls
	                          * fail with GORUMS_EAGAIN (a frame is taken
	                          * whenever nothing is queued); 0: 64 MiB */
	/*
	 * nowait_queue_max bounds the bytes of fire-and-forget messages
	 * (GORUMS_NOWAIT) waiting per node, in its mailbox and its stream's
	 * queue; past it such sends fail with GORUMS_EAGAIN and send nothing.
	 * Waiting calls are bounded by their callers; these only by this, so
	 * it is small: a sender that outruns its servers backs off within
	 * milliseconds instead of queueing seconds. 0: 1 MiB.
	 */
	size_t nowait_queue_max;
	/*
	 * tls is the client configuration (NNG_TLS_MODE_CLIENT) for nodes at
	 * tls+tcp:// addresses: the CA chain to verify servers against, the
	 * server name, and a certificate of the client's own if servers ask
	 * for one. The manager holds a reference until it is closed (the
	 * caller may free its own at once). NULL: no TLS, and adding a
	 * tls+tcp:// node fails with GORUMS_EINVAL. A handshake that fails
	 * is a connection error: it fails the node's calls and shows in
	 * gorums_node_last_error (GORUMS_ECRYPTO, also for a server
	 * certificate that does not verify: so nng 1.5.2 with mbedTLS
	 * reports it). mbedTLS 2.28 verifies DNS names only: give the server
	 * name as one (nng_tls_config_server_name), not as an IP address.
	 */
	struct nng_tls_config *tls;
	/* logger hears of connections made, failed and lost (gorums/log.h);
	 * default: none. */
	gorums_logger logger;
	/*
	 * metadata[0..nmetadata) goes to every node whenever a connection to
	 * it is made, before any call on it (Gorums' WithMetadata); server
	 * handlers read it with gorums_ctx_metadata. per_node_metadata, if
	 * set, adds entries of a node's own (WithPerNodeMetadata), asked once
	 * when the node is added. Both are copied; 32 entries per node at
	 * most (GORUMS_EINVAL from open or from adding the node).
	 */
	const gorums_md      *metadata;
	size_t                nmetadata;
	gorums_per_node_md_fn per_node_metadata;
	void                 *per_node_metadata_arg;
} gorums_mgr_opts;

/*
 * gorums_fini stops the runtime's process-wide worker pool, which managers
 * and servers opened with default thread options share (it starts with the
 * first of them and otherwise lives until the process ends). Optional: for
 * programs and tests that want no thread left behind. Call it only after
 * every manager and server is closed; a later open starts the pool anew.
 */
void gorums_fini(void);

/* gorums_mgr_opts_init fills o with the defaults. */
void gorums_mgr_opts_init(gorums_mgr_opts *o);

/* gorums_mgr_open starts a manager; o may be NULL for the defaults. */
gorums_err gorums_mgr_open(gorums_mgr **mp, const gorums_mgr_opts *o);

/*
 * gorums_mgr_close fails every pending call with GORUMS_ECLOSED, closes
 * every connection, stops the runtime and frees the manager and its nodes.
 * Node handles are invalid afterwards. Not from a call's callback.
 */
void gorums_mgr_close(gorums_mgr *m);

/*
 * gorums_mgr_add_node adds the server at addr ("tcp://host:port",
 * "ipc:///path", "tls+tcp://host:port" (needs gorums_mgr_opts.tls), or
 * "host:port" meaning tcp). The address is normalised
 * (scheme and host lower-cased, tcp:// added) and the node's id derived
 * from it; GORUMS_EEXIST if that address is already a node,
 * GORUMS_EADDRINVAL if it does not parse. Does not connect.
 */
gorums_err gorums_mgr_add_node(gorums_mgr *m, const char *addr,
                               gorums_node **np);

/*
 * gorums_mgr_add_node_id adds the server at addr under the caller's id
 * (not 0) instead of one derived from the address. GORUMS_EEXIST if the
 * address or the id is taken (adding the same address with the same id
 * again returns GORUMS_OK and that node).
 */
gorums_err gorums_mgr_add_node_id(gorums_mgr *m, const char *addr, uint32_t id,
                                  gorums_node **np);

/*
 * gorums_mgr_find_addr finds the node of addr (normalised first);
 * GORUMS_ENOENT if none, GORUMS_EADDRINVAL if addr does not parse.
 */
gorums_err gorums_mgr_find_addr(gorums_mgr *m, const char *addr,
                                gorums_node **np);

/* gorums_mgr_node finds a node by id; GORUMS_ENOENT if none. */
gorums_err gorums_mgr_node(gorums_mgr *m, uint32_t id, gorums_node **np);

/* gorums_mgr_nnodes is the number of nodes. */
size_t gorums_mgr_nnodes(gorums_mgr *m);

/*
 * gorums_mgr_pending counts the requests waiting for an answer over all
 * nodes (routing entries), for tests: it must return to 0 after calls end.
 */
size_t gorums_mgr_pending(gorums_mgr *m);

/* gorums_node_id is the node's id (stable for an address). */
uint32_t gorums_node_id(const gorums_node *n);

/* gorums_node_addr is the node's normalised address. */
const char *gorums_node_addr(const gorums_node *n);

/* gorums_node_last_error is the last connection error (GORUMS_OK if none). */
gorums_err gorums_node_last_error(const gorums_node *n);

/* gorums_node_latency_ns is the EWMA of the node's round-trip times. */
uint64_t gorums_node_latency_ns(const gorums_node *n);

/* gorums_node_connected is true while the node has an open stream. */
bool gorums_node_connected(const gorums_node *n);

#ifdef __cplusplus
}
#endif

#endif /* GORUMS_MANAGER_H */
