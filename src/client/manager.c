/*
 * manager.c: the manager and its node registry (gorums/manager.h).
 */
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nng/nng.h>
#include <nng/supplemental/tls/tls.h>

#include "actors/node/node.h"
#include "gorums/manager.h"
#include "src/client/call_impl.h"
#include "src/sched.h"
#include "src/timer.h"
#include "src/wire/wire.h"

#define MGR_SPIN_WAIT_NS 200000 /* callers help/spin before parking */

/*
 * MGR_NOWAIT_QUEUE_DEFAULT bounds the bytes of fire-and-forget messages
 * waiting per node. Small, so that a sender outrunning its servers meets
 * it within milliseconds instead of building seconds of queue: measured
 * with examples/benchmark's Multicast (3 servers, bounding the node's
 * mailbox only), 1 MiB gave 423-440k messages/s/server, p50 queueing
 * 31 ms and no mallocs, where 64 MiB gave 336-358k, p50 0.2-1 s and 0.6
 * mallocs per message while the queue grew; 64 KiB gave 356-391k.
 */
#define MGR_NOWAIT_QUEUE_DEFAULT (1u << 20)

struct gorums_mgr {
	/* Read-only after open. */
	gorums_mgr_opts opts;
	gri_sched      *sched;
	gri_timer      *timer;
	gri_node_opts   node_opts;
	gri_wire_meta  *md; /* opts.metadata, copied into one block */

	/* Guarded by mtx. */
	pthread_mutex_t mtx;
	gorums_node   **nodes;
	size_t          nnodes;
	size_t          cap;
};

void
gorums_fini(void)
{
	gri_sched_fini_shared();
}

void
gorums_mgr_opts_init(gorums_mgr_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->spin_ns         = -1;
	o->dial_timeout_ms = 3000;
	o->backoff_min_ms  = 50;
	o->backoff_max_ms  = 5000;
}

/* mgr_md_entry checks e and describes it as a wire entry. */
static bool
mgr_md_entry(const gorums_md *e, gri_wire_meta *out)
{
	if (e->key == NULL || strlen(e->key) > UINT16_MAX ||
	    (e->val == NULL && e->len > 0)) {
		return (false);
	}
	*out = (gri_wire_meta) {.key     = e->key,
	                        .key_len = strlen(e->key),
	                        .val     = e->val,
	                        .val_len = e->len};
	return (true);
}

/*
 * mgr_md_copy copies md[0..n) into one block (entries, then keys and
 * values) so that the caller's may go; *out is NULL if n is 0.
 */
static gorums_err
mgr_md_copy(const gorums_md *md, size_t n, gri_wire_meta **out)
{
	gri_wire_meta *meta;
	size_t         size;
	uint8_t       *p;

	*out = NULL;
	if (n == 0) {
		return (GORUMS_OK);
	}
	if (md == NULL || n > GRI_WIRE_MAX_META) {
		return (GORUMS_EINVAL);
	}
	size = n * sizeof(*meta);
	for (size_t i = 0; i < n; i++) {
		gri_wire_meta e;
		if (!mgr_md_entry(&md[i], &e)) {
			return (GORUMS_EINVAL);
		}
		size += e.key_len + e.val_len;
	}
	if ((meta = malloc(size)) == NULL) {
		return (GORUMS_ENOMEM);
	}
	p = (uint8_t *) (meta + n);
	for (size_t i = 0; i < n; i++) {
		(void) mgr_md_entry(&md[i], &meta[i]);
		memcpy(p, meta[i].key, meta[i].key_len);
		meta[i].key = (const char *) p;
		p += meta[i].key_len;
		if (meta[i].val_len > 0) {
			memcpy(p, meta[i].val, meta[i].val_len);
			meta[i].val = p;
			p += meta[i].val_len;
		} else {
			meta[i].val = NULL; /* the caller's may go */
		}
	}
	*out = meta;
	return (GORUMS_OK);
}

/*
 * mgr_hello encodes the HELLO frame for node id: the manager's metadata
 * and the node's own (per_node_metadata). *hp is NULL if there is none.
 */
static gorums_err
mgr_hello(gorums_mgr *m, uint32_t id, uint8_t **hp, size_t *lenp)
{
	gri_wire_meta meta[GRI_WIRE_MAX_META];
	gorums_md     own[GRI_WIRE_MAX_META];
	size_t        n = m->opts.nmetadata, k = 0, size;
	gri_wire_hdr  h = {.kind = GRI_WIRE_HELLO};
	uint8_t      *buf;
	gorums_err    rv;

	*hp   = NULL;
	*lenp = 0;
	for (size_t i = 0; i < n; i++) {
		meta[i] = m->md[i];
	}
	if (m->opts.per_node_metadata != NULL) {
		k = m->opts.per_node_metadata(m->opts.per_node_metadata_arg,
		                              id, own, GRI_WIRE_MAX_META - n);
		if (k > GRI_WIRE_MAX_META - n) {
			return (GORUMS_EINVAL);
		}
		for (size_t i = 0; i < k; i++) {
			if (!mgr_md_entry(&own[i], &meta[n + i])) {
				return (GORUMS_EINVAL);
			}
		}
	}
	if (n + k == 0) {
		return (GORUMS_OK);
	}
	h.n_meta = (uint16_t) (n + k);
	size     = gri_wire_header_size(n + k, meta);
	if ((buf = malloc(size)) == NULL) {
		return (GORUMS_ENOMEM);
	}
	rv = gri_wire_encode_header(&h, meta, 0, m->opts.max_frame, buf, size,
	                            lenp);
	if (rv != GORUMS_OK) {
		free(buf);
		return (rv == GORUMS_EMSGSIZE ? GORUMS_EINVAL : rv);
	}
	*hp = buf;
	return (GORUMS_OK);
}

gorums_err
gorums_mgr_open(gorums_mgr **mp, const gorums_mgr_opts *o)
{
	gorums_mgr    *m;
	gorums_err     rv;
	gri_sched_opts so;

	if ((m = calloc(1, sizeof(*m))) == NULL) {
		return (GORUMS_ENOMEM);
	}
	if (o != NULL) {
		m->opts = *o;
	} else {
		gorums_mgr_opts_init(&m->opts);
	}
	if (m->opts.max_frame == 0) {
		m->opts.max_frame = GRI_WIRE_MAX_FRAME_DEFAULT;
	}
	if (m->opts.send_queue_max == 0) {
		m->opts.send_queue_max = 64u << 20;
	}
	if (m->opts.nowait_queue_max == 0) {
		m->opts.nowait_queue_max = MGR_NOWAIT_QUEUE_DEFAULT;
	}
	if (m->opts.dial_timeout_ms <= 0) {
		m->opts.dial_timeout_ms = 3000;
	}
	if (m->opts.backoff_min_ms <= 0) {
		m->opts.backoff_min_ms = 50;
	}
	if (m->opts.backoff_max_ms < m->opts.backoff_min_ms) {
		m->opts.backoff_max_ms = m->opts.backoff_min_ms;
	}
	m->node_opts = (gri_node_opts) {
	    .dial_timeout_ms  = m->opts.dial_timeout_ms,
	    .backoff_min_ms   = m->opts.backoff_min_ms,
	    .backoff_max_ms   = m->opts.backoff_max_ms,
	    .max_frame        = m->opts.max_frame,
	    .send_queue_max   = m->opts.send_queue_max,
	    .nowait_queue_max = m->opts.nowait_queue_max,
	    .wait_spin_ns     = m->opts.spin_ns == 0 ? 0 : MGR_SPIN_WAIT_NS,
	    .tls              = m->opts.tls,
	    .logger           = m->opts.logger,
	};
	so = (gri_sched_opts) {.nthreads = m->opts.nthreads,
	                       .spin_ns  = m->opts.spin_ns};
	if ((rv = mgr_md_copy(m->opts.metadata, m->opts.nmetadata, &m->md)) !=
	    GORUMS_OK) {
		free(m);
		return (rv);
	}
	pthread_mutex_init(&m->mtx, NULL);
	if ((rv = gri_sched_hold(&m->sched, &so)) != GORUMS_OK) {
		pthread_mutex_destroy(&m->mtx);
		free(m->md);
		free(m);
		return (rv);
	}
	if ((rv = gri_timer_alloc(&m->timer)) != GORUMS_OK) {
		gri_sched_release(m->sched);
		pthread_mutex_destroy(&m->mtx);
		free(m->md);
		free(m);
		return (rv);
	}
	if (m->opts.tls != NULL) {
		nng_tls_config_hold(m->opts.tls); /* until gorums_mgr_close */
	}
	*mp = m;
	return (GORUMS_OK);
}

void
gorums_mgr_close(gorums_mgr *m)
{
	if (m == NULL) {
		return;
	}
	/* Close every node (failing its calls) and wait until each has let
	 * go of its stream, dialer and timers; only then can the timer and
	 * the workers go. */
	for (size_t i = 0; i < m->nnodes; i++) {
		gorums_call *done = gri_call_alloc();
		if (done == NULL) {
			continue; /* XXX: out of memory; node_stop cleans up */
		}
		gri_node_close(m->nodes[i], done);
		(void) gorums_call_wait(done);
		gri_call_unref(done);
	}
	/* Then stop the node actors and wait until each is freed: messages
	 * still queued (calls racing the close) end their calls, which may
	 * touch the timer, so the timer goes last. */
	for (size_t i = 0; i < m->nnodes; i++) {
		gorums_call *freed = gri_call_alloc();
		if (freed != NULL) {
			gri_node_on_free(m->nodes[i], freed);
		}
		(void) gri_actor_stop(&m->nodes[i]->base);
		gri_actor_unref(&m->nodes[i]->base);
		if (freed != NULL) {
			(void) gorums_call_wait(freed);
			gri_call_unref(freed);
		}
	}
	gri_timer_free(m->timer);
	gri_sched_release(m->sched);
	if (m->opts.tls != NULL) {
		nng_tls_config_free(m->opts.tls);
	}
	free(m->md);
	free(m->nodes);
	pthread_mutex_destroy(&m->mtx);
	free(m);
}

/*
 * mgr_normalise writes the canonical form of addr into buf: a scheme
 * (tcp:// when none is given) and a lower-cased scheme and host. It
 * validates the result with nng's URL parser.
 */
static gorums_err
mgr_normalise(const char *addr, char *buf, size_t len)
{
	nng_url *u;
	size_t   i;
	int      n;

	while (isspace((unsigned char) *addr)) {
		addr++;
	}
	if (strstr(addr, "://") != NULL) {
		n = snprintf(buf, len, "%s", addr);
	} else {
		n = snprintf(buf, len, "tcp://%s", addr);
	}
	if (n < 0 || (size_t) n >= len) {
		return (GORUMS_EADDRINVAL);
	}
	while (n > 0 && isspace((unsigned char) buf[n - 1])) {
		buf[--n] = '\0';
	}
	/* Lower-case the scheme, and for tcp (tls+tcp too) the host (ipc
	 * paths keep case). */
	char       *sep = strstr(buf, "://");
	const char *tcp;
	for (i = 0; buf + i < sep; i++) {
		buf[i] = (char) tolower((unsigned char) buf[i]);
	}
	if ((tcp = strstr(buf, "tcp")) != NULL && tcp < sep) {
		for (char *p = sep + 3; *p != '\0' && *p != '/'; p++) {
			*p = (char) tolower((unsigned char) *p);
		}
	}
	if (nng_url_parse(&u, buf) != 0) {
		return (GORUMS_EADDRINVAL);
	}
	nng_url_free(u);
	return (GORUMS_OK);
}

/* mgr_node_id is FNV-1a of the normalised address, never 0. */
static uint32_t
mgr_node_id(const char *addr)
{
	uint32_t h = 2166136261u;

	for (const char *p = addr; *p != '\0'; p++) {
		h ^= (uint8_t) *p;
		h *= 16777619u;
	}
	return (h != 0 ? h : 1);
}

/*
 * mgr_add adds addr (normalised) with id, or finds it: with want_new, an
 * existing address is GORUMS_EEXIST; otherwise it is returned if its id
 * matches. An id taken by another address is always GORUMS_EEXIST.
 */
static gorums_err
mgr_add(gorums_mgr *m, const char *norm, uint32_t id, bool want_new,
        gorums_node **np)
{
	gorums_node *n;
	gorums_err   rv;
	uint8_t     *hello;
	size_t       hello_len;

	/* Without the manager's TLS configuration no server could be
	 * verified: refused here rather than by every handshake. */
	if (gri_url_is_tls(norm) && m->opts.tls == NULL) {
		return (GORUMS_EINVAL);
	}
	/* Outside the lock: it may call the user's per-node function. */
	if ((rv = mgr_hello(m, id, &hello, &hello_len)) != GORUMS_OK) {
		return (rv);
	}
	pthread_mutex_lock(&m->mtx);
	for (size_t i = 0; i < m->nnodes; i++) {
		bool same_addr = strcmp(m->nodes[i]->addr, norm) == 0;
		if (same_addr && !want_new && m->nodes[i]->id == id) {
			*np = m->nodes[i];
			rv  = GORUMS_OK;
			goto out;
		}
		if (same_addr || m->nodes[i]->id == id) {
			rv = GORUMS_EEXIST;
			goto out;
		}
	}
	if (m->nnodes == m->cap) {
		size_t        nc = m->cap > 0 ? m->cap * 2 : 8;
		gorums_node **nn = realloc(m->nodes, nc * sizeof(*nn));
		if (nn == NULL) {
			rv = GORUMS_ENOMEM;
			goto out;
		}
		m->nodes = nn;
		m->cap   = nc;
	}
	/* The node owns hello from here, also on failure. */
	rv    = gri_node_alloc(&n, m->sched, m->timer, norm, id, &m->node_opts,
	                       hello, hello_len);
	hello = NULL;
	if (rv == GORUMS_OK) {
		m->nodes[m->nnodes++] = n;
		*np                   = n;
	}
out:
	pthread_mutex_unlock(&m->mtx);
	free(hello);
	return (rv);
}

/* mgr_args checks the common arguments and normalises addr into norm. */
static gorums_err
mgr_args(gorums_mgr *m, const char *addr, gorums_node **np, char *norm,
         size_t len)
{
	if (m == NULL || addr == NULL || np == NULL) {
		return (GORUMS_EINVAL);
	}
	return (mgr_normalise(addr, norm, len));
}

gorums_err
gorums_mgr_add_node(gorums_mgr *m, const char *addr, gorums_node **np)
{
	char       norm[512];
	gorums_err rv = mgr_args(m, addr, np, norm, sizeof(norm));

	return (rv != GORUMS_OK
	            ? rv
	            : mgr_add(m, norm, mgr_node_id(norm), true, np));
}

gorums_err
gorums_mgr_add_node_id(gorums_mgr *m, const char *addr, uint32_t id,
                       gorums_node **np)
{
	char       norm[512];
	gorums_err rv = mgr_args(m, addr, np, norm, sizeof(norm));

	if (rv == GORUMS_OK && id == 0) {
		rv = GORUMS_EINVAL;
	}
	return (rv != GORUMS_OK ? rv : mgr_add(m, norm, id, false, np));
}

gorums_err
gorums_mgr_find_addr(gorums_mgr *m, const char *addr, gorums_node **np)
{
	char       norm[512];
	gorums_err rv = mgr_args(m, addr, np, norm, sizeof(norm));

	if (rv != GORUMS_OK) {
		return (rv);
	}
	rv = GORUMS_ENOENT;
	pthread_mutex_lock(&m->mtx);
	for (size_t i = 0; i < m->nnodes; i++) {
		if (strcmp(m->nodes[i]->addr, norm) == 0) {
			*np = m->nodes[i];
			rv  = GORUMS_OK;
			break;
		}
	}
	pthread_mutex_unlock(&m->mtx);
	return (rv);
}

gorums_err
gorums_mgr_node(gorums_mgr *m, uint32_t id, gorums_node **np)
{
	gorums_err rv = GORUMS_ENOENT;

	pthread_mutex_lock(&m->mtx);
	for (size_t i = 0; i < m->nnodes; i++) {
		if (m->nodes[i]->id == id) {
			*np = m->nodes[i];
			rv  = GORUMS_OK;
			break;
		}
	}
	pthread_mutex_unlock(&m->mtx);
	return (rv);
}

size_t
gorums_mgr_nnodes(gorums_mgr *m)
{
	size_t n;

	pthread_mutex_lock(&m->mtx);
	n = m->nnodes;
	pthread_mutex_unlock(&m->mtx);
	return (n);
}

size_t
gorums_mgr_pending(gorums_mgr *m)
{
	size_t n = 0;

	pthread_mutex_lock(&m->mtx);
	for (size_t i = 0; i < m->nnodes; i++) {
		n += atomic_load_explicit(&m->nodes[i]->npending,
		                          memory_order_relaxed);
	}
	pthread_mutex_unlock(&m->mtx);
	return (n);
}

uint32_t
gorums_node_id(const gorums_node *n)
{
	return (n->id);
}

const char *
gorums_node_addr(const gorums_node *n)
{
	return (n->addr);
}

gorums_err
gorums_node_last_error(const gorums_node *n)
{
	return ((gorums_err) atomic_load_explicit(
	    &((gorums_node *) n)->last_error, memory_order_relaxed));
}

uint64_t
gorums_node_latency_ns(const gorums_node *n)
{
	return (atomic_load_explicit(&((gorums_node *) n)->latency_ns,
	                             memory_order_relaxed));
}

bool
gorums_node_connected(const gorums_node *n)
{
	return (atomic_load_explicit(&((gorums_node *) n)->connected,
	                             memory_order_relaxed));
}
