/*
 * server.c: gorums_server_* and gorums_ctx_*, the listeners and the accept
 * loop, and the handler registry. See gorums/server.h.
 *
 * Design notes.
 *
 * Pieces. A server owns a worker pool (gri_sched) for its connection actors
 * (actors/conn), a handler thread pool (src/server/handlers.h), a sorted
 * array of methods, and its listeners. Each listener accepts with one
 * nng_aio whose callback only spawns a connection actor for the new stream
 * (spawning allocates and posts; it never blocks) and accepts again.
 *
 * Lifetime. The server is reference counted: one reference is the user's
 * (dropped by close), and every connection actor holds one from spawn to
 * its last reference (gri_conn_host hold/release). A connection lives as
 * long as a gorums_ctx of it does, and a ctx may be answered after close;
 * the reference keeps the scheduler that such an answer's message is
 * posted to (stopped by then, so the message is dropped) allocated. The
 * last reference frees what is left. Threads are all gone when close
 * returns: the handler threads and workers are joined there.
 *
 * Stop. Listeners close first (so no connection is added), then every
 * connection gets a stop message, and stop waits on the condition variable
 * until the connections have all reported closed. The list of connections
 * holds one reference to each and is guarded by mtx; the connection actors
 * take mtx (briefly) only to remove themselves.
 *
 * The registry is written under mtx before the first listen and only read
 * afterwards, without the lock: connections exist only after a listen,
 * and the accept callback that spawns one takes mtx, which orders every
 * registration before the connection's lookups.
 */
#include "gorums/server.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nng/nng.h>
#include <nng/supplemental/tls/tls.h>

#include "actors/conn/conn.h"
#include "src/errors_nng.h"
#include "src/link/link.h"
#include "src/log.h"
#include "src/sched.h"
#include "src/server/handlers.h"
#include "src/wire/wire.h"

/* An accept that failed for lack of resources is retried after this. */
#define SRV_ACCEPT_BACKOFF_MS 10

typedef struct srv_conn srv_conn;
struct srv_conn {
	/* Under the server's mtx. */
	srv_conn *prev;
	srv_conn *next;
	gri_conn *conn; /* one reference */
};

typedef struct srv_listener {
	/* Set by listen, read-only after. */
	gorums_server       *server;
	nng_stream_listener *l;
	nng_aio             *aio;
	char                *url; /* with the bound port */
	/* The accept callback only (nng runs it one at a time). */
	bool backoff; /* the aio is sleeping, not accepting */
} srv_listener;

enum srv_state {
	SRV_RUNNING,
	SRV_STOPPING,
	SRV_STOPPED,
};

struct gorums_server {
	/* First: connections know the server as their host. Read-only. */
	gri_conn_host host;
	/* Any thread: the user's reference and one per connection actor.
	 * acq_rel, so that the last release sees everything before free. */
	atomic_int refs;

	/* Set by open, read-only after. */
	gri_sched      *sched;
	gri_hpool      *hpool;
	nng_tls_config *tls; /* held; for tls+tcp:// listeners */

	pthread_mutex_t mtx;
	pthread_cond_t  cv; /* nconns reached 0, or the state changed */

	/* Under mtx until the first listen (frozen), read-only after. */
	gri_method *methods; /* sorted by id */
	size_t      nmethods;
	size_t      cap_methods;
	bool        frozen;

	/* Under mtx while the server runs; fixed once it stops. */
	srv_listener **listeners;
	int            nlisteners;

	/* Under mtx. */
	srv_conn       conns; /* list head (a sentinel) */
	size_t         nconns;
	enum srv_state state;
	bool           graceful; /* the stop under way is graceful */
};

/* ---- the host side of connections ------------------------------------- */

static const gri_method *
srv_lookup(gri_conn_host *h, uint32_t method)
{
	gorums_server *s  = (gorums_server *) h;
	size_t         lo = 0, hi = s->nmethods;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (s->methods[mid].id == method) {
			return (&s->methods[mid]);
		}
		if (s->methods[mid].id < method) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	return (NULL);
}

static void
srv_conn_closed(gri_conn_host *h, void *cookie)
{
	gorums_server *s = (gorums_server *) h;
	srv_conn      *r = cookie;
	gri_conn      *c;

	pthread_mutex_lock(&s->mtx);
	r->prev->next = r->next;
	r->next->prev = r->prev;
	c             = r->conn;
	if (--s->nconns == 0) {
		pthread_cond_broadcast(&s->cv);
	}
	pthread_mutex_unlock(&s->mtx);
	free(r);
	gri_conn_unref(c); /* the list's; the actor runs, so not the last */
}

static void
srv_free(gorums_server *s)
{
	/* Stopped and joined by close; this frees the memory. */
	gri_hpool_free(s->hpool);
	gri_sched_release(s->sched);
	if (s->tls != NULL) {
		nng_tls_config_free(s->tls);
	}
	free(s->methods);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mtx);
	free(s);
}

static void
srv_hold(gri_conn_host *h)
{
	gorums_server *s = (gorums_server *) h;

	/* Relaxed: the caller holds a reference already (the user's). */
	atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
}

static void
srv_release(gri_conn_host *h)
{
	gorums_server *s = (gorums_server *) h;

	if (atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) ==
	    1) {
		srv_free(s);
	}
}

/* ---- accepting ---------------------------------------------------------- */

/* srv_add_conn makes a connection of stream, unless the server stopped. */
static void
srv_add_conn(gorums_server *s, nng_stream *stream)
{
	srv_conn *r = calloc(1, sizeof(*r));

	if (r == NULL) {
		nng_stream_free(stream);
		return;
	}
	pthread_mutex_lock(&s->mtx);
	if (s->state != SRV_RUNNING) {
		pthread_mutex_unlock(&s->mtx);
		nng_stream_free(stream);
		free(r);
		return;
	}
	/* Under mtx, so that a stop finds the connection in the list, and
	 * the connection finds itself there if it closes at once. */
	if (gri_conn_spawn(&s->host, r, stream, &r->conn) != GORUMS_OK) {
		pthread_mutex_unlock(&s->mtx);
		free(r); /* the stream went with the failure */
		return;
	}
	r->next             = &s->conns;
	r->prev             = s->conns.prev;
	s->conns.prev->next = r;
	s->conns.prev       = r;
	s->nconns++;
	pthread_mutex_unlock(&s->mtx);
}

static void
srv_accept_cb(void *arg)
{
	srv_listener  *l  = arg;
	gorums_server *s  = l->server;
	int            rv = nng_aio_result(l->aio);
	bool           running;

	if (l->backoff) {
		l->backoff = false;
		if (rv != 0) {
			return; /* the sleep was cancelled: stopping */
		}
	} else if (rv == 0) {
		srv_add_conn(s, nng_aio_get_output(l->aio, 0));
	} else if (rv == NNG_ECLOSED || rv == NNG_ECANCELED) {
		return; /* the listener closed */
	} else if (rv != NNG_ECONNABORTED && rv != NNG_ECONNRESET) {
		/* Out of memory or descriptors: retrying at once would
		 * spin; give the system a moment. */
		l->backoff = true;
		gri_log(&s->host.logger, GORUMS_LOG_WARN,
		        "server %s: accept failed: %s; retrying in %d ms",
		        l->url, gorums_strerror(gri_err_from_nng(rv)),
		        SRV_ACCEPT_BACKOFF_MS);
	}
	pthread_mutex_lock(&s->mtx);
	running = s->state == SRV_RUNNING;
	pthread_mutex_unlock(&s->mtx);
	if (!running) {
		l->backoff = false;
		return;
	}
	if (l->backoff) {
		nng_sleep_aio(SRV_ACCEPT_BACKOFF_MS, l->aio);
	} else {
		nng_stream_listener_accept(l->l, l->aio);
	}
}

/*
 * srv_bound_url returns url with the port the system chose (TCP), or a
 * copy of url (IPC and the rest); NULL if out of memory.
 */
static char *
srv_bound_url(nng_stream_listener *l, const char *url)
{
	nng_url *u;
	int      port;
	char    *out;
	size_t   n;

	if (nng_stream_listener_get_int(l, NNG_OPT_TCP_BOUND_PORT, &port) !=
	        0 ||
	    nng_url_parse(&u, url) != 0) {
		return (strdup(url));
	}
	/* An IPv6 address needs its brackets back. */
	const char *lb = strchr(u->u_hostname, ':') != NULL ? "[" : "";
	const char *rb = *lb != '\0' ? "]" : "";
	n              = strlen(u->u_scheme) + strlen(u->u_hostname) + 32;
	out            = malloc(n);
	if (out != NULL) {
		snprintf(out, n, "%s://%s%s%s:%d", u->u_scheme, lb,
		         u->u_hostname, rb, port);
	}
	nng_url_free(u);
	return (out);
}

static void
srv_listener_free(srv_listener *l)
{
	if (l == NULL) {
		return;
	}
	if (l->aio != NULL) {
		nng_aio_stop(l->aio);
	}
	if (l->l != NULL) {
		nng_stream_listener_free(l->l);
	}
	nng_aio_free(l->aio);
	free(l->url);
	free(l);
}

/* ---- the public API ------------------------------------------------------
 */

void
gorums_server_opts_init(gorums_server_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->nthreads     = 0;
	o->spin_ns      = -1;
	o->max_frame    = 0;
	o->max_handlers = 0;
}

gorums_err
gorums_server_open(gorums_server **sp, const gorums_server_opts *o)
{
	gorums_server     *s;
	gorums_server_opts d;
	gri_sched_opts     so;
	gri_hpool_opts     ho;
	gorums_err         rv;

	if (sp == NULL) {
		return (GORUMS_EINVAL);
	}
	gorums_server_opts_init(&d);
	if (o == NULL) {
		o = &d;
	}
	if (o->nthreads < 0 || o->max_handlers < 0 ||
	    (o->max_frame != 0 && o->max_frame < GRI_WIRE_HDR_SIZE)) {
		return (GORUMS_EINVAL);
	}
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		return (GORUMS_ENOMEM);
	}
	memset(&so, 0, sizeof(so));
	so.nthreads = o->nthreads;
	so.spin_ns  = o->spin_ns;
	if ((rv = gri_sched_hold(&s->sched, &so)) != GORUMS_OK) {
		free(s);
		return (rv);
	}
	gri_hpool_opts_init(&ho);
	if (o->max_handlers > 0) {
		ho.max_threads = o->max_handlers;
	}
	if ((rv = gri_hpool_alloc(&s->hpool, &ho)) != GORUMS_OK) {
		gri_sched_release(s->sched);
		free(s);
		return (rv);
	}
	s->host.sched = s->sched;
	s->host.hpool = s->hpool;
	s->host.max_frame =
	    o->max_frame != 0 ? o->max_frame : GRI_WIRE_MAX_FRAME_DEFAULT;
	s->host.inline_handlers = o->inline_handlers;
	s->host.logger          = o->logger;
	s->host.lookup          = srv_lookup;
	s->host.closed          = srv_conn_closed;
	s->host.hold            = srv_hold;
	s->host.release         = srv_release;
	if ((s->tls = o->tls) != NULL) {
		nng_tls_config_hold(s->tls); /* until the server is freed */
	}
	atomic_init(&s->refs, 1);
	pthread_mutex_init(&s->mtx, NULL);
	pthread_cond_init(&s->cv, NULL);
	s->conns.next = s->conns.prev = &s->conns;
	s->state                      = SRV_RUNNING;
	*sp                           = s;
	return (GORUMS_OK);
}

gorums_err
gorums_server_register(gorums_server *s, uint32_t method,
                       const ProtobufCMessageDescriptor *req_desc,
                       gorums_handler h, void *arg)
{
	size_t i;

	if (s == NULL || h == NULL || req_desc == NULL ||
	    req_desc->magic != PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC) {
		return (GORUMS_EINVAL);
	}
	pthread_mutex_lock(&s->mtx);
	if (s->frozen) {
		pthread_mutex_unlock(&s->mtx);
		return (GORUMS_ESTATE);
	}
	for (i = 0; i < s->nmethods && s->methods[i].id < method; i++) { }
	if (i < s->nmethods && s->methods[i].id == method) {
		pthread_mutex_unlock(&s->mtx);
		return (GORUMS_EEXIST);
	}
	if (s->nmethods == s->cap_methods) {
		size_t      n  = s->cap_methods > 0 ? s->cap_methods * 2 : 8;
		gri_method *nm = realloc(s->methods, n * sizeof(*nm));
		if (nm == NULL) {
			pthread_mutex_unlock(&s->mtx);
			return (GORUMS_ENOMEM);
		}
		s->methods     = nm;
		s->cap_methods = n;
	}
	memmove(&s->methods[i + 1], &s->methods[i],
	        (s->nmethods - i) * sizeof(s->methods[0]));
	s->methods[i] = (gri_method) {
	    .id = method, .req_desc = req_desc, .handler = h, .arg = arg};
	s->nmethods++;
	pthread_mutex_unlock(&s->mtx);
	return (GORUMS_OK);
}

gorums_err
gorums_server_listen(gorums_server *s, const char *url)
{
	srv_listener  *l;
	srv_listener **nl;
	int            rv;
	gorums_err     err;

	if (s == NULL || url == NULL) {
		return (GORUMS_EINVAL);
	}
	pthread_mutex_lock(&s->mtx);
	if (s->state != SRV_RUNNING) {
		pthread_mutex_unlock(&s->mtx);
		return (GORUMS_ECLOSED);
	}
	s->frozen = true;
	pthread_mutex_unlock(&s->mtx);

	if ((l = calloc(1, sizeof(*l))) == NULL) {
		return (GORUMS_ENOMEM);
	}
	l->server = s;
	if ((rv = nng_stream_listener_alloc(&l->l, url)) != 0) {
		err = gri_err_from_nng(rv);
		goto fail;
	}
	/* nng's stream listeners leave Nagle on: a small reply would wait
	 * for the client's delayed ACK (40 ms). The link coalesces writes
	 * itself. Not TCP (ipc): no such option, nothing to do. */
	(void) nng_stream_listener_set_bool(l->l, NNG_OPT_TCP_NODELAY, true);
	if (gri_url_is_tls(url)) {
		/* Without a certificate no handshake could succeed. */
		if (s->tls == NULL) {
			err = GORUMS_EINVAL;
			goto fail;
		}
		if ((rv = nng_stream_listener_set_ptr(l->l, NNG_OPT_TLS_CONFIG,
		                                      s->tls)) != 0) {
			err = gri_err_from_nng(rv);
			goto fail;
		}
	}
	if ((rv = nng_stream_listener_listen(l->l)) != 0 ||
	    (rv = nng_aio_alloc(&l->aio, srv_accept_cb, l)) != 0) {
		err = gri_err_from_nng(rv);
		goto fail;
	}
	if ((l->url = srv_bound_url(l->l, url)) == NULL) {
		err = GORUMS_ENOMEM;
		goto fail;
	}
	pthread_mutex_lock(&s->mtx);
	if (s->state != SRV_RUNNING) {
		pthread_mutex_unlock(&s->mtx);
		err = GORUMS_ECLOSED;
		goto fail;
	}
	nl = realloc(s->listeners, (size_t) (s->nlisteners + 1) * sizeof(*nl));
	if (nl == NULL) {
		pthread_mutex_unlock(&s->mtx);
		err = GORUMS_ENOMEM;
		goto fail;
	}
	s->listeners                  = nl;
	s->listeners[s->nlisteners++] = l;
	/* Under mtx: a stop that follows sees the listener and waits for
	 * this accept (nng completes it on its own threads, never here). */
	nng_stream_listener_accept(l->l, l->aio);
	pthread_mutex_unlock(&s->mtx);
	return (GORUMS_OK);

fail:
	srv_listener_free(l);
	return (err);
}

gorums_err
gorums_server_url(gorums_server *s, int i, char *buf, size_t len)
{
	gorums_err rv = GORUMS_OK;

	if (s == NULL || buf == NULL || len == 0) {
		return (GORUMS_EINVAL);
	}
	pthread_mutex_lock(&s->mtx);
	if (i < 0 || i >= s->nlisteners) {
		rv = GORUMS_ENOENT;
	} else if ((size_t) snprintf(buf, len, "%s", s->listeners[i]->url) >=
	           len) {
		rv = GORUMS_EINVAL;
	}
	pthread_mutex_unlock(&s->mtx);
	return (rv);
}

/* srv_on_own_thread is true on a worker or handler thread of s. */
static bool
srv_on_own_thread(gorums_server *s)
{
	return (gri_hpool_on_thread(s->hpool) ||
	        gri_sched_on_worker(s->sched));
}

void
gorums_server_stop(gorums_server *s, bool graceful)
{
	srv_conn *r;

	if (s == NULL || srv_on_own_thread(s)) {
		return;
	}
	pthread_mutex_lock(&s->mtx);
	if (s->state == SRV_STOPPING) {
		/* Another thread is stopping; an immediate stop overrides a
		 * graceful one that may be waiting for slow handlers. */
		if (!graceful && s->graceful) {
			s->graceful = false;
			for (r = s->conns.next; r != &s->conns; r = r->next) {
				gri_conn_stop(r->conn, false);
			}
		}
	}
	if (s->state != SRV_RUNNING) {
		while (s->state != SRV_STOPPED) {
			pthread_cond_wait(&s->cv, &s->mtx);
		}
		pthread_mutex_unlock(&s->mtx);
		return;
	}
	s->state    = SRV_STOPPING;
	s->graceful = graceful;
	pthread_mutex_unlock(&s->mtx);

	/* No listener is added once stopping: the array is fixed. The
	 * accept callbacks see the state and stop re-arming. */
	for (int i = 0; i < s->nlisteners; i++) {
		nng_stream_listener_close(s->listeners[i]->l);
		nng_aio_stop(s->listeners[i]->aio);
	}

	pthread_mutex_lock(&s->mtx);
	for (r = s->conns.next; r != &s->conns; r = r->next) {
		gri_conn_stop(r->conn, s->graceful);
	}
	while (s->nconns > 0) {
		pthread_cond_wait(&s->cv, &s->mtx);
	}
	s->state = SRV_STOPPED;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mtx);
}

void
gorums_server_close(gorums_server *s)
{
	if (s == NULL || srv_on_own_thread(s)) {
		return;
	}
	gorums_server_stop(s, false);
	/* Handlers still running finish (their answers are dropped); the
	 * ones that never started are cancelled. Then the workers go. */
	(void) gri_hpool_stop(s->hpool);
	if (!gri_sched_shared(s->sched)) {
		(void) gri_sched_stop(s->sched);
	}
	for (int i = 0; i < s->nlisteners; i++) {
		srv_listener_free(s->listeners[i]);
	}
	free(s->listeners);
	s->listeners  = NULL;
	s->nlisteners = 0;
	srv_release(&s->host);
}

size_t
gorums_server_nconns(gorums_server *s)
{
	size_t n;

	if (s == NULL) {
		return (0);
	}
	pthread_mutex_lock(&s->mtx);
	n = s->nconns;
	pthread_mutex_unlock(&s->mtx);
	return (n);
}

void
gorums_ctx_release(gorums_ctx *ctx)
{
	if (ctx != NULL) {
		gri_ctx_release(ctx);
	}
}

gorums_err
gorums_ctx_reply(gorums_ctx *ctx, const ProtobufCMessage *msg)
{
	if (ctx == NULL) {
		return (GORUMS_EINVAL);
	}
	return (gri_ctx_reply(ctx, msg));
}

gorums_err
gorums_ctx_send(gorums_ctx *ctx, const ProtobufCMessage *msg)
{
	if (ctx == NULL) {
		return (GORUMS_EINVAL);
	}
	return (gri_ctx_send(ctx, msg));
}

gorums_err
gorums_ctx_end(gorums_ctx *ctx)
{
	if (ctx == NULL) {
		return (GORUMS_EINVAL);
	}
	return (gri_ctx_end(ctx));
}

gorums_err
gorums_ctx_error(gorums_ctx *ctx, gorums_err err)
{
	if (ctx == NULL) {
		return (GORUMS_EINVAL);
	}
	return (gri_ctx_error(ctx, err));
}

uint32_t
gorums_ctx_method(const gorums_ctx *ctx)
{
	return (ctx != NULL ? gri_ctx_method(ctx) : 0);
}

bool
gorums_ctx_oneway(const gorums_ctx *ctx)
{
	return (ctx != NULL && gri_ctx_oneway(ctx));
}
