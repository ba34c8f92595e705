/*
 * idmap.h: a map from 32-bit ids to pointers, for pending-request tables.
 *
 * Open addressing with linear probing and backward-shift deletion (no
 * tombstones), so a table that sees millions of insert/remove pairs stays
 * fast. Not thread-safe: one owner (an actor) uses it. Grows by doubling;
 * never shrinks below what it grew to, so the steady state allocates
 * nothing.
 */
#ifndef GRI_IDMAP_H
#define GRI_IDMAP_H

#include <stddef.h>
#include <stdint.h>

#include "gorums/errors.h"

typedef struct gri_idmap_slot {
	uint32_t id; /* 0: free (ids are never 0) */
	void    *val;
} gri_idmap_slot;

typedef struct gri_idmap {
	gri_idmap_slot *slots;
	size_t          cap; /* power of two, or 0 */
	size_t          count;
} gri_idmap;

void gri_idmap_init(gri_idmap *m);
void gri_idmap_fini(gri_idmap *m);

/* gri_idmap_put maps id (non-zero) to val; GORUMS_EEXIST if present. */
gorums_err gri_idmap_put(gri_idmap *m, uint32_t id, void *val);

/* gri_idmap_get returns id's value, or NULL. */
void *gri_idmap_get(const gri_idmap *m, uint32_t id);

/* gri_idmap_del removes id and returns its value, or NULL. */
void *gri_idmap_del(gri_idmap *m, uint32_t id);

/* gri_idmap_count is the number of entries. */
size_t gri_idmap_count(const gri_idmap *m);

/*
 * gri_idmap_pop removes and returns any one entry's value (and id), or
 * NULL when empty: for failing every pending entry.
 */
void *gri_idmap_pop(gri_idmap *m, uint32_t *id);

#endif /* GRI_IDMAP_H */
