/*
 * pool.c: size-class pools with per-thread caches. See pool.h.
 *
 * Design notes. Each thread keeps, per size class, a LIFO free list of up to
 * 2 * POOL_BATCH objects. Allocation pops from it; when it is empty, the
 * thread takes a whole batch (a linked list of POOL_BATCH objects) from the
 * class's global list, or mallocs one object if there is none. Freeing
 * pushes onto the thread's list; when it reaches 2 * POOL_BATCH, one batch
 * moves to the global list. Objects allocated on one thread and freed on
 * another (envelopes are, always) thus circulate in batches, and the global
 * mutex is taken once per POOL_BATCH operations at most. The mutex also
 * gives ThreadSanitizer the happens-before edge between the freeing and the
 * next allocating thread.
 */
#include "src/pool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SANITIZE_ADDRESS__)
#define POOL_USE_MALLOC 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define POOL_USE_MALLOC 1
#endif
#endif

#define POOL_MIN_SHIFT 5 /* 32 bytes: the smallest class */
#define POOL_NCLASSES  8 /* 32 .. 4096 */
#define POOL_BATCH     64

/* Statistics only: relaxed order suffices, nothing is published by it. */
static atomic_uint_fast64_t pool_malloc_count;

uint64_t
gri_pool_mallocs(void)
{
	return (
	    atomic_load_explicit(&pool_malloc_count, memory_order_relaxed));
}

#ifdef POOL_USE_MALLOC

void *
gri_pool_alloc(size_t size)
{
	return (malloc(size > 0 ? size : 1));
}

void
gri_pool_free(void *p, size_t size)
{
	(void) size;
	free(p);
}

void
gri_pool_thread_idle(void)
{
}

#else /* !POOL_USE_MALLOC */

static void *
pool_malloc(size_t size)
{
	atomic_fetch_add_explicit(&pool_malloc_count, 1, memory_order_relaxed);
	return (malloc(size));
}

typedef struct pool_obj {
	struct pool_obj *next;
} pool_obj;

/* A batch on the global list: its first object heads the chain. */
typedef struct pool_batch {
	pool_obj           obj;   /* first object, links the batch's chain */
	struct pool_batch *next;  /* next batch on the global list */
	unsigned           count; /* objects in the chain */
} pool_batch;

/* Per-thread cache: touched only by its own thread. */
typedef struct pool_cache {
	pool_obj *head[POOL_NCLASSES];
	unsigned  count[POOL_NCLASSES];
} pool_cache;

/* Global lists of full batches, each guarded by its class's mutex. */
static struct {
	pthread_mutex_t mtx;
	pool_batch     *batches;
} pool_global[POOL_NCLASSES] = {
#define POOL_GLOBAL_INIT                        \
	{                                       \
		PTHREAD_MUTEX_INITIALIZER, NULL \
	}
    POOL_GLOBAL_INIT, POOL_GLOBAL_INIT, POOL_GLOBAL_INIT, POOL_GLOBAL_INIT,
    POOL_GLOBAL_INIT, POOL_GLOBAL_INIT, POOL_GLOBAL_INIT, POOL_GLOBAL_INIT,
};

static _Thread_local pool_cache pool_tls;
static _Thread_local bool       pool_tls_registered;
static pthread_key_t            pool_exit_key;
static pthread_once_t           pool_once = PTHREAD_ONCE_INIT;

static int
pool_class(size_t size)
{
	int c = 0;

	while (((size_t) 1 << (c + POOL_MIN_SHIFT)) < size) {
		c++;
	}
	return (c);
}

/* pool_give_batch moves POOL_BATCH objects of class c to the global list. */
static void
pool_give_batch(pool_cache *pc, int c)
{
	pool_obj *first = pc->head[c];
	pool_obj *last  = first;

	for (int i = 1; i < POOL_BATCH; i++) {
		last = last->next;
	}
	pc->head[c] = last->next;
	pc->count[c] -= POOL_BATCH;
	last->next = NULL;

	pool_batch *b = (pool_batch *) first;
	b->count      = POOL_BATCH;
	pthread_mutex_lock(&pool_global[c].mtx);
	b->next                = pool_global[c].batches;
	pool_global[c].batches = b;
	pthread_mutex_unlock(&pool_global[c].mtx);
}

void
gri_pool_thread_idle(void)
{
	pool_cache *pc = &pool_tls;

	for (int c = 0; c < POOL_NCLASSES; c++) {
		while (pc->count[c] >= POOL_BATCH) {
			pool_give_batch(pc, c);
		}
		/* A partial batch is still a valid chain for the list. */
		if (pc->count[c] > 0) {
			pool_batch *b = (pool_batch *) pc->head[c];
			b->count      = pc->count[c];
			pthread_mutex_lock(&pool_global[c].mtx);
			b->next                = pool_global[c].batches;
			pool_global[c].batches = b;
			pthread_mutex_unlock(&pool_global[c].mtx);
			pc->head[c]  = NULL;
			pc->count[c] = 0;
		}
	}
}

/* pool_thread_exit: a dying thread's cache goes back. */
static void
pool_thread_exit(void *arg)
{
	(void) arg;
	gri_pool_thread_idle();
}

static void
pool_init_once(void)
{
	(void) pthread_key_create(&pool_exit_key, pool_thread_exit);
}

static void
pool_register_thread(void)
{
	pthread_once(&pool_once, pool_init_once);
	/* Any non-NULL value makes the key's destructor run at exit. */
	(void) pthread_setspecific(pool_exit_key, &pool_tls);
	pool_tls_registered = true;
}

void *
gri_pool_alloc(size_t size)
{
	if (size > GRI_POOL_MAX_SIZE) {
		return (pool_malloc(size));
	}
	pool_cache *pc = &pool_tls;
	int         c  = pool_class(size);
	pool_obj   *o  = pc->head[c];

	if (o == NULL) {
		if (!pool_tls_registered) {
			pool_register_thread();
		}
		pthread_mutex_lock(&pool_global[c].mtx);
		pool_batch *b = pool_global[c].batches;
		if (b != NULL) {
			pool_global[c].batches = b->next;
		}
		pthread_mutex_unlock(&pool_global[c].mtx);
		if (b == NULL) {
			return (
			    pool_malloc((size_t) 1 << (c + POOL_MIN_SHIFT)));
		}
		/* The count travels with the batch: walking the chain to
		 * count it would touch every object (cache misses). */
		o            = &b->obj;
		pc->head[c]  = o;
		pc->count[c] = b->count;
	}
	pc->head[c] = o->next;
	pc->count[c]--;
	/* Objects come back freed by other threads: reading o->next above
	 * is a cache miss (perf: nearly all of this function's time). Start
	 * the next one's now, so the next allocation finds it cached. */
	if (pc->head[c] != NULL) {
		__builtin_prefetch(pc->head[c], 1, 3);
	}
	return (o);
}

void
gri_pool_free(void *p, size_t size)
{
	if (p == NULL) {
		return;
	}
	if (size > GRI_POOL_MAX_SIZE) {
		free(p);
		return;
	}
	pool_cache *pc = &pool_tls;
	int         c  = pool_class(size);
	pool_obj   *o  = p;

	if (!pool_tls_registered) {
		pool_register_thread();
	}
	o->next     = pc->head[c];
	pc->head[c] = o;
	if (++pc->count[c] >= 2 * POOL_BATCH) {
		pool_give_batch(pc, c);
	}
}

#endif /* POOL_USE_MALLOC */

void *
gri_pool_zalloc(size_t size)
{
	void *p = gri_pool_alloc(size);

	if (p != NULL) {
		memset(p, 0, size);
	}
	return (p);
}
