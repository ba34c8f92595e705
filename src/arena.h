/*
 * arena.h: a bump allocator for the messages of one call.
 *
 * The replies of a quorum call, the copy of its request and any result the
 * quorum function builds are unpacked into the call's arena through
 * protobuf-c's allocator hook, and all of it is released at once with the
 * call. Chunks come from the pools (src/pool.h), so a call in the steady
 * state does not call malloc. Single-threaded: one owner at a time.
 */
#ifndef GRI_ARENA_H
#define GRI_ARENA_H

#include <stddef.h>

#include <protobuf-c/protobuf-c.h>

typedef struct gri_arena_chunk gri_arena_chunk;

typedef struct gri_arena {
	gri_arena_chunk   *chunks; /* newest first */
	size_t             used;   /* bytes used in the newest chunk */
	size_t             cap;    /* its capacity */
	ProtobufCAllocator pb;     /* allocator_data points back here */
} gri_arena;

/* gri_arena_init prepares an empty arena (no memory yet). */
void gri_arena_init(gri_arena *a);

/* gri_arena_fini releases everything allocated from a. */
void gri_arena_fini(gri_arena *a);

/* gri_arena_alloc returns size bytes aligned for any type, or NULL. */
void *gri_arena_alloc(gri_arena *a, size_t size);

/* gri_arena_pb is a's protobuf-c allocator (free does nothing). */
ProtobufCAllocator *gri_arena_pb(gri_arena *a);

#endif /* GRI_ARENA_H */
