/*
 * arena.c: the per-call bump allocator. See arena.h.
 */
#include "src/arena.h"

#include <stdalign.h>
#include <stdint.h>

#include "src/pool.h"

#define ARENA_CHUNK GRI_POOL_MAX_SIZE /* the largest pooled size */

struct gri_arena_chunk {
	gri_arena_chunk *next;
	size_t           size; /* of the whole chunk, for the pool */
	alignas(max_align_t) unsigned char data[];
};

static void *
arena_pb_alloc(void *data, size_t size)
{
	return (gri_arena_alloc(data, size));
}

static void
arena_pb_free(void *data, void *p)
{
	/* Released with the arena. */
	(void) data;
	(void) p;
}

void
gri_arena_init(gri_arena *a)
{
	a->chunks            = NULL;
	a->used              = 0;
	a->cap               = 0;
	a->pb.alloc          = arena_pb_alloc;
	a->pb.free           = arena_pb_free;
	a->pb.allocator_data = a;
}

void
gri_arena_fini(gri_arena *a)
{
	gri_arena_chunk *c;

	while ((c = a->chunks) != NULL) {
		a->chunks = c->next;
		gri_pool_free(c, c->size);
	}
	a->used = a->cap = 0;
}

void *
gri_arena_alloc(gri_arena *a, size_t size)
{
	const size_t     align = alignof(max_align_t);
	size_t           need  = (size + align - 1) & ~(align - 1);
	gri_arena_chunk *c;

	if (need == 0) {
		need = align;
	}
	if (a->chunks == NULL || a->cap - a->used < need) {
		/* A new chunk; a large object gets one of its own. */
		size_t hdr = offsetof(gri_arena_chunk, data);
		size_t total =
		    hdr + need > ARENA_CHUNK ? hdr + need : ARENA_CHUNK;
		if ((c = gri_pool_alloc(total)) == NULL) {
			return (NULL);
		}
		c->size = total;
		if (a->chunks != NULL && total > ARENA_CHUNK) {
			/* Keep filling the current chunk afterwards. */
			c->next         = a->chunks->next;
			a->chunks->next = c;
			return (c->data);
		}
		c->next   = a->chunks;
		a->chunks = c;
		a->used   = 0;
		a->cap    = total - hdr;
	}
	void *p = a->chunks->data + a->used;
	a->used += need;
	return (p);
}

ProtobufCAllocator *
gri_arena_pb(gri_arena *a)
{
	return (&a->pb);
}
