/*
 * store.c: the Storage service's handlers over per-key timestamped state.
 * See store.h.
 */
#include "examples/storage/store.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

typedef struct kv_entry {
	char   *key;
	char   *value;
	int64_t ts;
} kv_entry;

struct kv_server {
	gorums_server *srv;
	storage_server impl; /* registered: valid until the server closes */
	FILE          *log;
	char           name[32];
	char           url[256];

	/*
	 * The state. An array searched linearly: an example holds a handful
	 * of keys, and the code stays short.
	 */
	pthread_mutex_t mtx;
	kv_entry       *entries;
	size_t          nentries;
	size_t          cap;
};

/* kv_find returns key's entry or NULL; under s->mtx. */
static kv_entry *
kv_find(kv_server *s, const char *key)
{
	for (size_t i = 0; i < s->nentries; i++) {
		if (strcmp(s->entries[i].key, key) == 0) {
			return (&s->entries[i]);
		}
	}
	return (NULL);
}

/*
 * kv_read fills st with key's value and timestamp (0 if none). The strings
 * point into the state, so the caller replies before unlocking: a reply is
 * packed when it is sent, so nothing of st is used afterwards.
 */
static void
kv_read(kv_server *s, const char *key, Storage__State *st)
{
	kv_entry *e = kv_find(s, key);

	st->key       = (char *) key;
	st->value     = e != NULL ? e->value : "";
	st->timestamp = e != NULL ? e->ts : 0;
	if (s->log != NULL) {
		fprintf(s->log, "%s: read \"%s\" -> \"%s\" @%" PRId64 "\n",
		        s->name, key, st->value, st->timestamp);
	}
}

/*
 * kv_write takes the write if its timestamp is newer than the key's and
 * says whether it did. Under s->mtx. Out of memory it keeps the old value
 * and says no, which is what a client must expect of any replica anyway.
 */
static bool
kv_write(kv_server *s, const Storage__State *w)
{
	kv_entry *e     = kv_find(s, w->key);
	int64_t   cur   = e != NULL ? e->ts : 0;
	bool      taken = false;
	char     *v;

	if (w->timestamp > cur && (v = strdup(w->value)) != NULL) {
		if (e == NULL && s->nentries == s->cap) {
			size_t    cap = s->cap > 0 ? s->cap * 2 : 16;
			kv_entry *ne  = realloc(s->entries, cap * sizeof(*ne));
			if (ne != NULL) {
				s->entries = ne;
				s->cap     = cap;
			}
		}
		if (e == NULL && s->nentries < s->cap &&
		    (s->entries[s->nentries].key = strdup(w->key)) != NULL) {
			e        = &s->entries[s->nentries++];
			e->value = NULL;
		}
		if (e != NULL) {
			free(e->value);
			e->value = v;
			e->ts    = w->timestamp;
			taken    = true;
		} else {
			free(v);
		}
	}
	if (s->log != NULL) {
		fprintf(s->log, "%s: write \"%s\" = \"%s\" @%" PRId64 ": %s\n",
		        s->name, w->key, w->value, w->timestamp,
		        taken ? "taken" : "kept the newer value");
	}
	return (taken);
}

static gorums_err
h_read_rpc(gorums_ctx *ctx, const Storage__ReadRequest *req, void *arg)
{
	kv_server     *s  = arg;
	Storage__State st = STORAGE__STATE__INIT;
	gorums_err     rv;

	pthread_mutex_lock(&s->mtx);
	kv_read(s, req->key, &st);
	rv = storage_read_rpc_reply(ctx, &st);
	pthread_mutex_unlock(&s->mtx);
	return (rv);
}

static gorums_err
h_read_qc(gorums_ctx *ctx, const Storage__ReadRequest *req, void *arg)
{
	kv_server     *s  = arg;
	Storage__State st = STORAGE__STATE__INIT;
	gorums_err     rv;

	pthread_mutex_lock(&s->mtx);
	kv_read(s, req->key, &st);
	rv = storage_read_qc_reply(ctx, &st);
	pthread_mutex_unlock(&s->mtx);
	return (rv);
}

static gorums_err
h_write_rpc(gorums_ctx *ctx, const Storage__State *req, void *arg)
{
	kv_server             *s  = arg;
	Storage__WriteResponse wr = STORAGE__WRITE_RESPONSE__INIT;

	pthread_mutex_lock(&s->mtx);
	wr.new_ = kv_write(s, req);
	pthread_mutex_unlock(&s->mtx);
	return (storage_write_rpc_reply(ctx, &wr));
}

static gorums_err
h_write_qc(gorums_ctx *ctx, const Storage__State *req, void *arg)
{
	kv_server             *s  = arg;
	Storage__WriteResponse wr = STORAGE__WRITE_RESPONSE__INIT;

	pthread_mutex_lock(&s->mtx);
	wr.new_ = kv_write(s, req);
	pthread_mutex_unlock(&s->mtx);
	return (storage_write_qc_reply(ctx, &wr));
}

/* A multicast is one-way: nothing to answer. */
static gorums_err
h_write_multicast(gorums_ctx *ctx, const Storage__State *req, void *arg)
{
	kv_server *s = arg;

	(void) ctx;
	pthread_mutex_lock(&s->mtx);
	(void) kv_write(s, req);
	pthread_mutex_unlock(&s->mtx);
	return (GORUMS_OK);
}

gorums_err
kv_server_open(kv_server **sp, const char *name, FILE *log)
{
	kv_server *s;
	gorums_err rv;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		return (GORUMS_ENOMEM);
	}
	s->log = log;
	(void) snprintf(s->name, sizeof(s->name), "%s", name);
	pthread_mutex_init(&s->mtx, NULL);
	s->impl = (storage_server) {
	    .arg             = s,
	    .read_rpc        = h_read_rpc,
	    .write_rpc       = h_write_rpc,
	    .read_qc         = h_read_qc,
	    .write_qc        = h_write_qc,
	    .write_multicast = h_write_multicast,
	};
	if ((rv = gorums_server_open(&s->srv, NULL)) != GORUMS_OK ||
	    (rv = storage_server_register(s->srv, &s->impl)) != GORUMS_OK) {
		kv_server_close(s);
		return (rv);
	}
	*sp = s;
	return (GORUMS_OK);
}

gorums_err
kv_server_listen(kv_server *s, const char *url)
{
	gorums_err rv;

	if ((rv = gorums_server_listen(s->srv, url)) != GORUMS_OK) {
		return (rv);
	}
	if (s->url[0] == '\0') {
		rv = gorums_server_url(s->srv, 0, s->url, sizeof(s->url));
	}
	return (rv);
}

const char *
kv_server_url(const kv_server *s)
{
	return (s->url);
}

void
kv_server_close(kv_server *s)
{
	if (s->srv != NULL) {
		/* Waits for running handlers: none touches s afterwards. */
		gorums_server_close(s->srv);
	}
	for (size_t i = 0; i < s->nentries; i++) {
		free(s->entries[i].key);
		free(s->entries[i].value);
	}
	free(s->entries);
	pthread_mutex_destroy(&s->mtx);
	free(s);
}
