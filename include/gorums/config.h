/*
 * gorums/config.h: configurations, the node sets quorum calls go to.
 *
 * A configuration is an immutable set of nodes of one manager, kept sorted
 * by node id; two configurations with the same nodes are equal. Being
 * immutable, it may be shared between threads freely; it is reference
 * counted (gorums_config_ref / gorums_config_free) and new configurations
 * are made from old ones by set operations. A configuration must be freed
 * before its manager is closed.
 *
 * The constructors that take addresses check every address against the
 * manager before they add any node, so a malformed or conflicting address
 * fails the request with the manager unchanged. A failure while adding
 * (out of memory, a repeated address, a TLS address without the manager's
 * TLS configuration) can leave the nodes added before it in the manager:
 * well-formed nodes, usable by later configurations, freed with it.
 */
#ifndef GORUMS_CONFIG_H
#define GORUMS_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gorums/errors.h"
#include "gorums/manager.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gorums_config gorums_config;

/*
 * gorums_config_new makes a configuration of the servers at addrs[0..n),
 * adding to the manager the ones it does not know yet (with ids derived
 * from their addresses). GORUMS_EEXIST if an address appears twice;
 * GORUMS_EADDRINVAL if one does not parse. n may be 0 (an empty set).
 */
gorums_err gorums_config_new(gorums_mgr *m, const char *const *addrs, size_t n,
                             gorums_config **cp);

/*
 * gorums_config_from_map makes a configuration from an address -> id map
 * (addrs[i] gets ids[i]), adding unknown nodes with those ids.
 * GORUMS_EEXIST if an id or address repeats, or if the manager knows an
 * address under another id or an id under another address.
 */
gorums_err gorums_config_from_map(gorums_mgr *m, const char *const *addrs,
                                  const uint32_t *ids, size_t n,
                                  gorums_config **cp);

/*
 * gorums_config_from_ids makes a configuration of nodes the manager knows
 * already. GORUMS_ENOENT for an unknown id, GORUMS_EEXIST for a repeat.
 */
gorums_err gorums_config_from_ids(gorums_mgr *m, const uint32_t *ids, size_t n,
                                  gorums_config **cp);

/* gorums_config_union: the nodes of a or b (same manager). */
gorums_err gorums_config_union(const gorums_config *a, const gorums_config *b,
                               gorums_config **cp);

/* gorums_config_difference: the nodes of a that are not in b. */
gorums_err gorums_config_difference(const gorums_config *a,
                                    const gorums_config *b,
                                    gorums_config      **cp);

/*
 * gorums_config_with: the nodes of a plus the servers at addrs[0..n)
 * (added to the manager if new); addresses already in a are an error
 * (GORUMS_EEXIST).
 */
gorums_err gorums_config_with(const gorums_config *a, const char *const *addrs,
                              size_t n, gorums_config **cp);

/* gorums_config_without: the nodes of a except ids[0..n) (absent: fine). */
gorums_err gorums_config_without(const gorums_config *a, const uint32_t *ids,
                                 size_t n, gorums_config **cp);

/* gorums_config_size is the number of nodes. */
size_t gorums_config_size(const gorums_config *c);

/* gorums_config_node is the i-th node, in ascending id order. */
gorums_node *gorums_config_node(const gorums_config *c, size_t i);

/* gorums_config_contains is true if the node with id is in c. */
bool gorums_config_contains(const gorums_config *c, uint32_t id);

/* gorums_config_equal is true if a and b hold the same nodes. */
bool gorums_config_equal(const gorums_config *a, const gorums_config *b);

/* gorums_config_mgr is the manager c belongs to. */
gorums_mgr *gorums_config_mgr(const gorums_config *c);

/* gorums_config_ref adds a reference; any thread. */
gorums_config *gorums_config_ref(gorums_config *c);

/* gorums_config_free drops a reference; the last one frees c. */
void gorums_config_free(gorums_config *c);

#ifdef __cplusplus
}
#endif

#endif /* GORUMS_CONFIG_H */
