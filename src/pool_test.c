/*
 * pool_test: the size-class pools across threads, and the steady state
 * that calls malloc no more.
 */
#include <string.h>

#include "src/pool.h"
#include "tests/harness/harness.h"

static void
test_pool_sizes(void)
{
	size_t sizes[] = {1, 24, 32, 33, 100, 512, 4096, 4097, 100000};

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		unsigned char *p = gri_pool_alloc(sizes[i]);
		GTS_ASSERT(p != NULL);
		/* The whole size is usable (ASan would catch an overrun). */
		memset(p, 0xa5, sizes[i]);
		gri_pool_free(p, sizes[i]);
	}
	unsigned char *z = gri_pool_zalloc(200);
	for (int i = 0; i < 200; i++) {
		GTS_EQ(z[i], 0);
	}
	gri_pool_free(z, 200);
	gri_pool_free(NULL, 10);
}

#define XFER_N    20000
#define XFER_RING 1024

/* Objects allocated on one thread and freed on another circulate. */
typedef struct xfer {
	pthread_mutex_t mtx;
	pthread_cond_t  cv;
	void           *slots[XFER_RING];
	int             head, tail;
	bool            done;
} xfer;

static void *
xfer_consumer(void *arg)
{
	xfer *x = arg;

	pthread_mutex_lock(&x->mtx);
	for (;;) {
		while (x->head == x->tail && !x->done) {
			pthread_cond_wait(&x->cv, &x->mtx);
		}
		if (x->head == x->tail) {
			break;
		}
		unsigned char *p = x->slots[x->head++ % XFER_RING];
		pthread_cond_broadcast(&x->cv);
		pthread_mutex_unlock(&x->mtx);
		GTS_EQ(p[0], 0x5a);
		gri_pool_free(p, 64);
		pthread_mutex_lock(&x->mtx);
	}
	pthread_mutex_unlock(&x->mtx);
	return (NULL);
}

static void
test_pool_cross_thread(void)
{
	xfer      x;
	pthread_t t;

	memset(&x, 0, sizeof(x));
	pthread_mutex_init(&x.mtx, NULL);
	pthread_cond_init(&x.cv, NULL);
	GTS_EQ(pthread_create(&t, NULL, xfer_consumer, &x), 0);
	for (int i = 0; i < XFER_N; i++) {
		unsigned char *p = gri_pool_alloc(64);
		GTS_ASSERT(p != NULL);
		p[0] = 0x5a;
		pthread_mutex_lock(&x.mtx);
		while (x.tail - x.head == XFER_RING) {
			pthread_cond_wait(&x.cv, &x.mtx);
		}
		x.slots[x.tail++ % XFER_RING] = p;
		pthread_cond_signal(&x.cv);
		pthread_mutex_unlock(&x.mtx);
	}
	pthread_mutex_lock(&x.mtx);
	x.done = true;
	pthread_cond_signal(&x.cv);
	pthread_mutex_unlock(&x.mtx);
	pthread_join(t, NULL);
	pthread_cond_destroy(&x.cv);
	pthread_mutex_destroy(&x.mtx);
}

static void
test_pool_steady_state(void)
{
	void *ps[256];

	/* Warm up, then the same pattern again must not malloc. */
	for (int round = 0; round < 2; round++) {
		uint64_t before = gri_pool_mallocs();
		for (int i = 0; i < 256; i++) {
			ps[i] = gri_pool_alloc(128);
		}
		for (int i = 0; i < 256; i++) {
			gri_pool_free(ps[i], 128);
		}
		if (round == 1) {
			GTS_EQ(gri_pool_mallocs() - before, 0);
		}
	}
}

gts_test TEST_LIST[] = {
    {"pool sizes", test_pool_sizes},
    {"pool cross thread", test_pool_cross_thread},
    {"pool steady state", test_pool_steady_state},
    {NULL, NULL},
};
