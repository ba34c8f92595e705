/*
 * config.c: configurations (gorums/config.h).
 *
 * A configuration is a value, not an actor: an immutable array of node
 * pointers sorted by id, with its manager and a reference count, in one
 * allocation. Nothing in it changes after construction except the count,
 * so any thread may read it without locks; fanning calls out to the nodes
 * is done by the callers, which walk the array.
 *
 * The nodes belong to the manager (they live until gorums_mgr_close), so
 * a configuration holds plain pointers and takes no reference on them.
 *
 * Constructors check everything they can before touching the manager
 * (arguments, that every address parses, conflicts with nodes the manager
 * knows) and build the configuration only when the whole request is
 * valid. Some checks can only be made after adding: the manager alone
 * knows how an address is normalised and which id it gets, so two
 * spellings of one new address are found to be the same node once the
 * first is added. Nodes added before such a failure stay in the manager,
 * which owns them; the failed call returns no configuration.
 */
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

#include "gorums/config.h"

struct gorums_config {
	/* Any thread; see gorums_config_ref and gorums_config_free. */
	atomic_size_t refs;

	/* Set before the configuration is returned, read-only after. */
	gorums_mgr  *mgr;
	size_t       n;
	gorums_node *nodes[]; /* ascending id, no repeats */
};

/*
 * config_alloc allocates a configuration of m with room for cap nodes,
 * none filled in yet, holding one reference.
 */
static gorums_err
config_alloc(gorums_mgr *m, size_t cap, gorums_config **cp)
{
	gorums_config *c;

	if (cap > (SIZE_MAX - sizeof(*c)) / sizeof(c->nodes[0])) {
		return (GORUMS_ENOMEM);
	}
	if ((c = malloc(sizeof(*c) + cap * sizeof(c->nodes[0]))) == NULL) {
		return (GORUMS_ENOMEM);
	}
	atomic_init(&c->refs, 1);
	c->mgr = m;
	c->n   = 0;
	*cp    = c;
	return (GORUMS_OK);
}

/* config_cmp orders node pointers by id, for qsort. */
static int
config_cmp(const void *a, const void *b)
{
	uint32_t x = gorums_node_id(*(gorums_node *const *) a);
	uint32_t y = gorums_node_id(*(gorums_node *const *) b);

	return ((x > y) - (x < y));
}

/*
 * config_sort sorts the n nodes of c by id. A node named twice by the
 * request (two equal ids: the manager gives each id one node) is
 * GORUMS_EEXIST.
 */
static gorums_err
config_sort(gorums_config *c)
{
	qsort(c->nodes, c->n, sizeof(c->nodes[0]), config_cmp);
	for (size_t i = 1; i < c->n; i++) {
		if (gorums_node_id(c->nodes[i - 1]) ==
		    gorums_node_id(c->nodes[i])) {
			return (GORUMS_EEXIST);
		}
	}
	return (GORUMS_OK);
}

/* config_done hands c out in *cp once sorted (repeats rejected), or frees
 * it. */
static gorums_err
config_done(gorums_config *c, gorums_config **cp)
{
	gorums_err rv = config_sort(c);

	if (rv != GORUMS_OK) {
		free(c);
		return (rv);
	}
	*cp = c;
	return (GORUMS_OK);
}

/*
 * config_find is the index of the node with id in c, or c->n if there is
 * none (binary search: the nodes are sorted).
 */
static size_t
config_find(const gorums_config *c, uint32_t id)
{
	size_t lo = 0;
	size_t hi = c->n;

	while (lo < hi) {
		size_t   mid = lo + (hi - lo) / 2;
		uint32_t x   = gorums_node_id(c->nodes[mid]);
		if (x == id) {
			return (mid);
		}
		if (x < id) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	return (c->n);
}

/*
 * config_add_addrs is gorums_config_new and gorums_config_with: the nodes
 * of base (NULL: none) plus the nodes at addrs[0..n), known ones reused,
 * unknown ones added with ids derived from their addresses. A node of
 * base or of the request named twice is GORUMS_EEXIST.
 */
static gorums_err
config_add_addrs(gorums_mgr *m, const gorums_config *base,
                 const char *const *addrs, size_t n, gorums_config **cp)
{
	gorums_config *c;
	gorums_err     rv;
	size_t         k = base != NULL ? base->n : 0;

	if (n > SIZE_MAX - k) {
		return (GORUMS_ENOMEM);
	}
	if ((rv = config_alloc(m, k + n, &c)) != GORUMS_OK) {
		return (rv);
	}
	for (size_t i = 0; i < k; i++) {
		c->nodes[i] = base->nodes[i];
	}
	c->n = k + n;

	/* First look every address up, changing nothing: a bad address
	 * then fails the request before any node is added. A slot left
	 * NULL is an address the manager does not know (yet). */
	for (size_t i = 0; i < n; i++) {
		gorums_node **np = &c->nodes[k + i];

		rv = gorums_mgr_find_addr(m, addrs[i], np);
		if (rv == GORUMS_ENOENT) {
			*np = NULL;
		} else if (rv != GORUMS_OK) {
			goto fail;
		} else if (base != NULL &&
		           config_find(base, gorums_node_id(*np)) < k) {
			rv = GORUMS_EEXIST;
			goto fail;
		}
	}

	/* Then add the unknown ones. GORUMS_EEXIST from the manager means
	 * the address was added since the lookup (by an earlier slot of
	 * this request, a repeat that config_sort rejects, or by another
	 * thread), or that its derived id belongs to another address: look
	 * the address up again to tell which. */
	for (size_t i = 0; i < n; i++) {
		gorums_node **np = &c->nodes[k + i];

		if (*np != NULL) {
			continue;
		}
		rv = gorums_mgr_add_node(m, addrs[i], np);
		if (rv == GORUMS_EEXIST) {
			rv = gorums_mgr_find_addr(m, addrs[i], np);
			if (rv == GORUMS_ENOENT) {
				rv = GORUMS_EEXIST;
			}
		}
		if (rv != GORUMS_OK) {
			goto fail;
		}
	}
	return (config_done(c, cp));

fail:
	free(c);
	return (rv);
}

gorums_err
gorums_config_new(gorums_mgr *m, const char *const *addrs, size_t n,
                  gorums_config **cp)
{
	if (m == NULL || cp == NULL || (n > 0 && addrs == NULL)) {
		return (GORUMS_EINVAL);
	}
	return (config_add_addrs(m, NULL, addrs, n, cp));
}

gorums_err
gorums_config_from_map(gorums_mgr *m, const char *const *addrs,
                       const uint32_t *ids, size_t n, gorums_config **cp)
{
	gorums_config *c;
	gorums_err     rv;

	if (m == NULL || cp == NULL ||
	    (n > 0 && (addrs == NULL || ids == NULL))) {
		return (GORUMS_EINVAL);
	}
	for (size_t i = 0; i < n; i++) {
		if (ids[i] == 0) {
			return (GORUMS_EINVAL); /* the manager's "no id" */
		}
	}
	if ((rv = config_alloc(m, n, &c)) != GORUMS_OK) {
		return (rv);
	}
	c->n = n;

	/* First check every pair against what the manager knows, changing
	 * nothing: the address must parse, and if either the address or
	 * the id is known, both must name the same node. */
	for (size_t i = 0; i < n; i++) {
		gorums_node *byid;

		rv = gorums_mgr_find_addr(m, addrs[i], &c->nodes[i]);
		if (rv == GORUMS_ENOENT) {
			c->nodes[i] = NULL;
			if (gorums_mgr_node(m, ids[i], &byid) == GORUMS_OK) {
				rv = GORUMS_EEXIST; /* id of another address */
				goto fail;
			}
		} else if (rv != GORUMS_OK) {
			goto fail;
		} else if (gorums_node_id(c->nodes[i]) != ids[i]) {
			rv = GORUMS_EEXIST; /* address under another id */
			goto fail;
		}
	}

	/* Then add the unknown ones. The manager returns the node when the
	 * same address was added with the same id since the lookup (a
	 * repeat in this request, which config_sort rejects, or another
	 * thread), and GORUMS_EEXIST for any mismatch. */
	for (size_t i = 0; i < n; i++) {
		if (c->nodes[i] != NULL) {
			continue;
		}
		rv = gorums_mgr_add_node_id(m, addrs[i], ids[i], &c->nodes[i]);
		if (rv != GORUMS_OK) {
			goto fail;
		}
	}
	return (config_done(c, cp));

fail:
	free(c);
	return (rv);
}

gorums_err
gorums_config_from_ids(gorums_mgr *m, const uint32_t *ids, size_t n,
                       gorums_config **cp)
{
	gorums_config *c;
	gorums_err     rv;

	if (m == NULL || cp == NULL || (n > 0 && ids == NULL)) {
		return (GORUMS_EINVAL);
	}
	if ((rv = config_alloc(m, n, &c)) != GORUMS_OK) {
		return (rv);
	}
	c->n = n;
	for (size_t i = 0; i < n; i++) {
		if ((rv = gorums_mgr_node(m, ids[i], &c->nodes[i])) !=
		    GORUMS_OK) {
			goto fail;
		}
	}
	return (config_done(c, cp));

fail:
	free(c);
	return (rv);
}

/*
 * config_merge walks the sorted arrays of a and b side by side and keeps
 * the nodes of a or b (with union) or those of a not in b (without). It
 * returns how many it keeps and stores them in out unless out is NULL,
 * so that one walk sizes the result and a second fills it.
 */
static size_t
config_merge(const gorums_config *a, const gorums_config *b, bool with_union,
             gorums_node **out)
{
	size_t i = 0;
	size_t j = 0;
	size_t k = 0;

	while (i < a->n || j < b->n) {
		gorums_node *keep = NULL;

		if (j == b->n) {
			keep = a->nodes[i++];
		} else if (i == a->n) {
			keep = with_union ? b->nodes[j] : NULL;
			j++;
		} else {
			uint32_t x = gorums_node_id(a->nodes[i]);
			uint32_t y = gorums_node_id(b->nodes[j]);
			if (x < y) {
				keep = a->nodes[i++];
			} else if (x > y) {
				keep = with_union ? b->nodes[j] : NULL;
				j++;
			} else {
				keep = with_union ? a->nodes[i] : NULL;
				i++;
				j++;
			}
		}
		if (keep != NULL) {
			if (out != NULL) {
				out[k] = keep;
			}
			k++;
		}
	}
	return (k);
}

/*
 * config_combine is gorums_config_union (with_union) and
 * gorums_config_difference: both configurations must be of one manager,
 * since ids name nodes only within a manager.
 */
static gorums_err
config_combine(const gorums_config *a, const gorums_config *b, bool with_union,
               gorums_config **cp)
{
	gorums_config *c;
	gorums_err     rv;
	size_t         n;

	if (a == NULL || b == NULL || cp == NULL || a->mgr != b->mgr) {
		return (GORUMS_EINVAL);
	}
	n = config_merge(a, b, with_union, NULL);
	if ((rv = config_alloc(a->mgr, n, &c)) != GORUMS_OK) {
		return (rv);
	}
	c->n = config_merge(a, b, with_union, c->nodes);
	*cp  = c;
	return (GORUMS_OK);
}

gorums_err
gorums_config_union(const gorums_config *a, const gorums_config *b,
                    gorums_config **cp)
{
	return (config_combine(a, b, true, cp));
}

gorums_err
gorums_config_difference(const gorums_config *a, const gorums_config *b,
                         gorums_config **cp)
{
	return (config_combine(a, b, false, cp));
}

gorums_err
gorums_config_with(const gorums_config *a, const char *const *addrs, size_t n,
                   gorums_config **cp)
{
	if (a == NULL || cp == NULL || (n > 0 && addrs == NULL)) {
		return (GORUMS_EINVAL);
	}
	return (config_add_addrs(a->mgr, a, addrs, n, cp));
}

gorums_err
gorums_config_without(const gorums_config *a, const uint32_t *ids, size_t n,
                      gorums_config **cp)
{
	gorums_config *c;
	gorums_err     rv;
	size_t         k = 0;

	if (a == NULL || cp == NULL || (n > 0 && ids == NULL)) {
		return (GORUMS_EINVAL);
	}
	if ((rv = config_alloc(a->mgr, a->n, &c)) != GORUMS_OK) {
		return (rv);
	}
	/* ids need not be sorted: mark each one's slot by binary search in
	 * a, then close the gaps, for O(n log |a| + |a|) without a scratch
	 * buffer. The result may use fewer slots than allocated. */
	for (size_t i = 0; i < a->n; i++) {
		c->nodes[i] = a->nodes[i];
	}
	for (size_t i = 0; i < n; i++) {
		size_t at = config_find(a, ids[i]);
		if (at < a->n) {
			c->nodes[at] = NULL;
		}
	}
	for (size_t i = 0; i < a->n; i++) {
		if (c->nodes[i] != NULL) {
			c->nodes[k++] = c->nodes[i];
		}
	}
	c->n = k;
	*cp  = c;
	return (GORUMS_OK);
}

size_t
gorums_config_size(const gorums_config *c)
{
	return (c != NULL ? c->n : 0);
}

gorums_node *
gorums_config_node(const gorums_config *c, size_t i)
{
	if (c == NULL || i >= c->n) {
		return (NULL);
	}
	return (c->nodes[i]);
}

bool
gorums_config_contains(const gorums_config *c, uint32_t id)
{
	return (c != NULL && config_find(c, id) < c->n);
}

bool
gorums_config_equal(const gorums_config *a, const gorums_config *b)
{
	if (a == b) {
		return (true);
	}
	if (a == NULL || b == NULL || a->n != b->n) {
		return (false);
	}
	/* Ids, not pointers: within a manager an id is one node, and across
	 * managers equal ids name the same servers. */
	for (size_t i = 0; i < a->n; i++) {
		if (gorums_node_id(a->nodes[i]) !=
		    gorums_node_id(b->nodes[i])) {
			return (false);
		}
	}
	return (true);
}

gorums_mgr *
gorums_config_mgr(const gorums_config *c)
{
	return (c != NULL ? c->mgr : NULL);
}

gorums_config *
gorums_config_ref(gorums_config *c)
{
	if (c == NULL) {
		return (NULL);
	}
	/* Relaxed suffices: the caller holds a reference already, so the
	 * count cannot reach zero meanwhile, and taking a reference
	 * publishes nothing (the configuration is immutable). */
	atomic_fetch_add_explicit(&c->refs, 1, memory_order_relaxed);
	return (c);
}

void
gorums_config_free(gorums_config *c)
{
	if (c == NULL) {
		return;
	}
	/* acq_rel: the release half orders this thread's reads of c before
	 * its drop; the acquire half, on the last drop, makes every other
	 * thread's reads (ordered before their drops) happen before the
	 * free below. */
	if (atomic_fetch_sub_explicit(&c->refs, 1, memory_order_acq_rel) ==
	    1) {
		free(c);
	}
}
