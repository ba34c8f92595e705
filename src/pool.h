/*
 * pool.h: the one allocation pair for runtime objects (envelopes, actors,
 * calls, frames).
 *
 * Objects of up to GRI_POOL_MAX_SIZE bytes come from per-thread free lists in
 * power-of-two size classes, refilled from and spilled to a global list in
 * batches, so that steady-state traffic does not call malloc. Larger objects
 * go to malloc. In an AddressSanitizer build every call is plain
 * malloc/free, so ASan sees each object's lifetime.
 *
 * Memory is never returned to the system while the process lives; a thread
 * that exits or goes idle hands its cached objects back to the global
 * lists.
 */
#ifndef GRI_POOL_H
#define GRI_POOL_H

#include <stddef.h>
#include <stdint.h>

#define GRI_POOL_MAX_SIZE 4096

/*
 * gri_pool_alloc returns size bytes, uninitialised, or NULL when out of
 * memory. Any thread may call it.
 */
void *gri_pool_alloc(size_t size);

/* gri_pool_zalloc is gri_pool_alloc with the bytes zeroed. */
void *gri_pool_zalloc(size_t size);

/*
 * gri_pool_free releases p, which gri_pool_alloc(size) returned, from any
 * thread. size must be the size asked for. p may be NULL.
 */
void gri_pool_free(void *p, size_t size);

/*
 * gri_pool_thread_idle hands the calling thread's cached free objects back
 * to the global lists. For a thread about to sleep (a parking worker or
 * handler thread): what it holds would otherwise sit unused while other
 * threads, finding the global lists empty, malloc more. Any thread.
 */
void gri_pool_thread_idle(void);

/*
 * gri_pool_mallocs counts the calls to malloc the pools have made (refills
 * and oversize objects), for tests and benchmarks that check the steady
 * state allocates nothing. It is 0 forever in an ASan build.
 */
uint64_t gri_pool_mallocs(void);

#endif /* GRI_POOL_H */
