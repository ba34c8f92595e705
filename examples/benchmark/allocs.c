/*
 * allocs.c: malloc interposition for counting allocations. See allocs.h.
 *
 * The wrappers forward to glibc's __libc_* entry points rather than to
 * dlsym(RTLD_NEXT, ...): those need no bootstrapping (dlsym itself may
 * allocate) and are the same allocator, so memory from either side may be
 * freed by the other. free is defined too, although it counts nothing, so
 * that an allocation and its release always meet the same allocator.
 *
 * The counter is one relaxed atomic: it publishes nothing, it is read
 * only at the edges of a measured window (after a barrier or a completed
 * call, which order the increments before the read), and a steady-state
 * quorum call is meant to allocate nothing, so its cache line is cold.
 */
#include "examples/benchmark/allocs.h"

#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define BENCH_NO_INTERPOSE 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || \
    __has_feature(memory_sanitizer)
#define BENCH_NO_INTERPOSE 1
#endif
#endif

#ifdef BENCH_NO_INTERPOSE

bool
bench_allocs_enabled(void)
{
	return (false);
}

uint64_t
bench_allocs(void)
{
	return (0);
}

#else /* !BENCH_NO_INTERPOSE */

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void  __libc_free(void *);
extern void *__libc_memalign(size_t, size_t);
extern void *__libc_valloc(size_t);
extern void *__libc_pvalloc(size_t);

/* Declared here: -D_GNU_SOURCE headers may not declare them all. */
void *malloc(size_t);
void *calloc(size_t, size_t);
void *realloc(void *, size_t);
void  free(void *);
int   posix_memalign(void **, size_t, size_t);
void *aligned_alloc(size_t, size_t);
void *memalign(size_t, size_t);
void *valloc(size_t);
void *pvalloc(size_t);

static atomic_uint_fast64_t nallocs;

static inline void
count(void)
{
	atomic_fetch_add_explicit(&nallocs, 1, memory_order_relaxed);
}

bool
bench_allocs_enabled(void)
{
	return (true);
}

uint64_t
bench_allocs(void)
{
	return (atomic_load_explicit(&nallocs, memory_order_relaxed));
}

void *
malloc(size_t n)
{
	count();
	return (__libc_malloc(n));
}

void *
calloc(size_t n, size_t size)
{
	count();
	return (__libc_calloc(n, size));
}

void *
realloc(void *p, size_t n)
{
	count();
	return (__libc_realloc(p, n));
}

void
free(void *p)
{
	__libc_free(p);
}

int
posix_memalign(void **pp, size_t align, size_t n)
{
	void *p;

	/* The checks glibc makes, which __libc_memalign does not. */
	if (align % sizeof(void *) != 0 || (align & (align - 1)) != 0 ||
	    align == 0) {
		return (EINVAL);
	}
	count();
	if ((p = __libc_memalign(align, n)) == NULL) {
		return (ENOMEM);
	}
	*pp = p;
	return (0);
}

void *
aligned_alloc(size_t align, size_t n)
{
	count();
	return (__libc_memalign(align, n));
}

void *
memalign(size_t align, size_t n)
{
	count();
	return (__libc_memalign(align, n));
}

void *
valloc(size_t n)
{
	count();
	return (__libc_valloc(n));
}

void *
pvalloc(size_t n)
{
	count();
	return (__libc_pvalloc(n));
}

#endif /* BENCH_NO_INTERPOSE */
