/*
 * allocs.h: counting the process's heap allocations, for allocs/op.
 *
 * allocs.c defines malloc, calloc, realloc, free and the aligned
 * allocators in the executable; the dynamic linker binds every shared
 * object's calls to them (glibc supports replacing malloc this way), and
 * they forward to glibc's own allocator. So every allocation of the
 * process is counted: the client's, the in-process servers', nng's and
 * protobuf-c's, on any thread.
 *
 * Under AddressSanitizer or ThreadSanitizer, which must own malloc, there
 * is no interposition and nothing is counted.
 */
#ifndef BENCH_ALLOCS_H
#define BENCH_ALLOCS_H

#include <stdbool.h>
#include <stdint.h>

/* bench_allocs_enabled is false when allocations are not counted. */
bool bench_allocs_enabled(void);

/*
 * bench_allocs is the number of malloc, calloc, realloc, posix_memalign,
 * aligned_alloc, memalign, valloc and pvalloc calls so far (0 when not
 * enabled). Any thread.
 */
uint64_t bench_allocs(void);

#endif /* BENCH_ALLOCS_H */
