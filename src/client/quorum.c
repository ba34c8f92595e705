/*
 * quorum.c: the quorum-call entry points and accessors of gorums/quorum.h.
 */
#include "gorums/quorum.h"
#include "actors/node/node.h"
#include "actors/qcall/qcall.h"
#include "src/arena.h"
#include "src/client/call_impl.h"
#include "src/pool.h"
#include "src/sched.h"

gorums_err
gorums_qcall_async(gorums_config *cfg, uint32_t method,
                   const ProtobufCMessage *req, const gorums_qcall_opts *o,
                   gorums_call **cp)
{
	gorums_call *c;
	gorums_err   rv;

	if (cp != NULL) {
		*cp = NULL; /* no call started (yet) */
	}
	if (cfg == NULL || req == NULL || o == NULL || cp == NULL ||
	    o->reply_desc == NULL ||
	    (o->qspec.kind == GORUMS_QF_CUSTOM && o->qspec.fn == NULL)) {
		return (GORUMS_EINVAL);
	}
	if ((c = gri_call_alloc()) == NULL) {
		return (GORUMS_ENOMEM);
	}
	c->cb     = o->cb;
	c->cb_arg = o->cb_arg;
	if ((rv = gri_qcall_start(c, cfg, method, req, o)) != GORUMS_OK) {
		gri_call_unref(c);
		return (rv);
	}
	*cp = c;
	return (GORUMS_OK);
}

gorums_err
gorums_qcall(gorums_config *cfg, uint32_t method, const ProtobufCMessage *req,
             const gorums_qcall_opts *o, gorums_call **cp)
{
	gri_sched *s = NULL;
	gorums_err rv;

	/* The configuration's nodes share one pool: helping it runs the
	 * fan-out's node actors here. */
	if (cfg != NULL && gorums_config_size(cfg) > 0) {
		s = gri_call_help_begin(gorums_config_node(cfg, 0));
	}
	rv = gorums_qcall_async(cfg, method, req, o, cp);
	gri_call_help_end(s, rv == GORUMS_OK ? *cp : NULL);
	if (rv != GORUMS_OK) {
		return (rv);
	}
	return (gorums_call_wait(*cp));
}

const ProtobufCMessage *
gorums_qcall_result(gorums_call *c)
{
	/* Ready, not done: the completion callback may ask for it. */
	return (atomic_load_explicit(&c->ready, memory_order_acquire)
	            ? c->qresult
	            : NULL);
}

size_t
gorums_qcall_nreplies(gorums_call *c)
{
	return (atomic_load_explicit(&c->nreplies, memory_order_relaxed));
}

size_t
gorums_qcall_nnodes(gorums_call *c)
{
	return (c->nconfig);
}

gorums_err
gorums_qcall_node_status(gorums_call *c, size_t i, uint32_t *node_id)
{
	if (!c->quorum || i >= c->nconfig) {
		return (GORUMS_EINVAL);
	}
	if (!atomic_load_explicit(&c->ready, memory_order_acquire)) {
		return (GORUMS_EBUSY); /* the actor is still writing it */
	}
	if (node_id != NULL) {
		*node_id = c->qstatus[i].id;
	}
	return (c->qstatus[i].err);
}

int
gorums_qcall_level(gorums_call *c, const ProtobufCMessage **value)
{
	int level;

	pthread_mutex_lock(&c->mtx);
	level = c->level;
	if (value != NULL) {
		*value = c->level_value;
	}
	pthread_mutex_unlock(&c->mtx);
	return (level);
}

gorums_err
gorums_qcall_watch(gorums_call *c, int level, gorums_call_cb cb, void *arg)
{
	gri_watch *w;

	if (cb == NULL) {
		return (GORUMS_EINVAL);
	}
	if ((w = gri_pool_zalloc(sizeof(*w))) == NULL) {
		return (GORUMS_ENOMEM);
	}
	w->level = level;
	w->cb    = cb;
	w->arg   = arg;
	pthread_mutex_lock(&c->mtx);
	/* Done is set before the completer takes the watchers under this
	 * mutex, so a watcher added now is either taken by it or fires
	 * here. */
	if (c->level >= level || atomic_load(&c->done)) {
		pthread_mutex_unlock(&c->mtx);
		gri_pool_free(w, sizeof(*w));
		cb(c, arg);
		return (GORUMS_OK);
	}
	w->next     = c->watchers;
	c->watchers = w;
	pthread_mutex_unlock(&c->mtx);
	return (GORUMS_OK);
}

gorums_err
gorums_qcall_wait_level(gorums_call *c, int level)
{
	gorums_err rv;

	pthread_mutex_lock(&c->mtx);
	atomic_fetch_add(&c->parked, 1);
	while (c->level < level && !atomic_load(&c->done)) {
		pthread_cond_wait(&c->cv, &c->mtx);
	}
	atomic_fetch_sub(&c->parked, 1);
	if (c->level >= level) {
		rv = GORUMS_OK;
	} else {
		rv = c->result != GORUMS_OK ? c->result : GORUMS_EINCOMPLETE;
	}
	pthread_mutex_unlock(&c->mtx);
	return (rv);
}

gorums_err
gorums_config_multicast(gorums_config *cfg, uint32_t method,
                        const ProtobufCMessage *msg, int flags)
{
	gorums_node *nodes[64];
	size_t       n     = gorums_config_size(cfg);
	gorums_err   first = GORUMS_OK;

	if (cfg == NULL || msg == NULL) {
		return (GORUMS_EINVAL);
	}
	/* In batches of 64, in configuration order, without allocating. */
	for (size_t base = 0; base < n; base += 64) {
		size_t k = n - base < 64 ? n - base : 64;
		for (size_t i = 0; i < k; i++) {
			nodes[i] = gorums_config_node(cfg, base + i);
		}
		gorums_err rv = gorums_multicast(nodes, k, method, msg, flags);
		if (rv != GORUMS_OK && first == GORUMS_OK) {
			first = rv;
		}
	}
	return (first);
}

gorums_err
gorums_config_multicast_each(gorums_config *cfg, uint32_t method,
                             const ProtobufCMessage *req,
                             gorums_per_node_fn fn, void *fn_arg, int flags)
{
	gorums_err first = GORUMS_OK;

	if (fn == NULL) {
		return (gorums_config_multicast(cfg, method, req, flags));
	}
	if (cfg == NULL || req == NULL) {
		return (GORUMS_EINVAL);
	}
	for (size_t i = 0; i < gorums_config_size(cfg); i++) {
		gorums_node            *n    = gorums_config_node(cfg, i);
		const ProtobufCMessage *nreq = NULL;
		gri_arena               a;

		gri_arena_init(&a);
		if (fn(fn_arg, gorums_node_id(n), req, gri_arena_pb(&a),
		       &nreq)) {
			gorums_err rv = gorums_unicast(n, method, nreq, flags);
			if (rv != GORUMS_OK && first == GORUMS_OK) {
				first = rv;
			}
		}
		gri_arena_fini(&a);
	}
	return (first);
}
