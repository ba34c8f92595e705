/*
 * idmap.c: open-addressing id map. See idmap.h.
 */
#include "src/idmap.h"

#include <stdlib.h>

#define IDMAP_MIN_CAP 64

static size_t
idmap_home(const gri_idmap *m, uint32_t id)
{
	/* Fibonacci hashing spreads sequential ids over the table. */
	return ((size_t) ((id * 2654435769u) >> 8) & (m->cap - 1));
}

void
gri_idmap_init(gri_idmap *m)
{
	m->slots = NULL;
	m->cap   = 0;
	m->count = 0;
}

void
gri_idmap_fini(gri_idmap *m)
{
	free(m->slots);
	gri_idmap_init(m);
}

static gorums_err
idmap_grow(gri_idmap *m)
{
	gri_idmap_slot *old = m->slots;
	size_t          oc  = m->cap;
	size_t          nc  = oc > 0 ? oc * 2 : IDMAP_MIN_CAP;

	if ((m->slots = calloc(nc, sizeof(*m->slots))) == NULL) {
		m->slots = old;
		return (GORUMS_ENOMEM);
	}
	m->cap   = nc;
	m->count = 0;
	for (size_t i = 0; i < oc; i++) {
		if (old[i].id != 0) {
			(void) gri_idmap_put(m, old[i].id, old[i].val);
		}
	}
	free(old);
	return (GORUMS_OK);
}

gorums_err
gri_idmap_put(gri_idmap *m, uint32_t id, void *val)
{
	gorums_err rv;

	/* Keep the load at most 1/2 so probe runs stay short. */
	if ((m->count + 1) * 2 > m->cap && (rv = idmap_grow(m)) != GORUMS_OK) {
		return (rv);
	}
	for (size_t i = idmap_home(m, id);; i = (i + 1) & (m->cap - 1)) {
		if (m->slots[i].id == id) {
			return (GORUMS_EEXIST);
		}
		if (m->slots[i].id == 0) {
			m->slots[i].id  = id;
			m->slots[i].val = val;
			m->count++;
			return (GORUMS_OK);
		}
	}
}

static size_t
idmap_find(const gri_idmap *m, uint32_t id)
{
	if (m->cap == 0 || id == 0) {
		return (SIZE_MAX);
	}
	for (size_t i = idmap_home(m, id);; i = (i + 1) & (m->cap - 1)) {
		if (m->slots[i].id == id) {
			return (i);
		}
		if (m->slots[i].id == 0) {
			return (SIZE_MAX);
		}
	}
}

void *
gri_idmap_get(const gri_idmap *m, uint32_t id)
{
	size_t i = idmap_find(m, id);

	return (i == SIZE_MAX ? NULL : m->slots[i].val);
}

static void
idmap_remove_at(gri_idmap *m, size_t i)
{
	size_t mask = m->cap - 1;

	m->slots[i].id = 0;
	m->count--;
	/* Backward shift: move later members of the run into the hole when
	 * their home slot does not lie in (hole, j]. */
	for (size_t j = (i + 1) & mask; m->slots[j].id != 0;
	     j        = (j + 1) & mask) {
		size_t home = idmap_home(m, m->slots[j].id);
		if (((j - home) & mask) >= ((j - i) & mask)) {
			m->slots[i]    = m->slots[j];
			m->slots[j].id = 0;
			i              = j;
		}
	}
}

void *
gri_idmap_del(gri_idmap *m, uint32_t id)
{
	size_t i = idmap_find(m, id);
	void  *v;

	if (i == SIZE_MAX) {
		return (NULL);
	}
	v = m->slots[i].val;
	idmap_remove_at(m, i);
	return (v);
}

size_t
gri_idmap_count(const gri_idmap *m)
{
	return (m->count);
}

void *
gri_idmap_pop(gri_idmap *m, uint32_t *id)
{
	for (size_t i = 0; i < m->cap && m->count > 0; i++) {
		if (m->slots[i].id != 0) {
			void *v = m->slots[i].val;
			if (id != NULL) {
				*id = m->slots[i].id;
			}
			idmap_remove_at(m, i);
			return (v);
		}
	}
	return (NULL);
}
