/*
 * config_test: configurations as values. They never connect, so no
 * server is needed: the tests build them from addresses, ids and maps,
 * check the errors and the reuse of the manager's nodes, compare the set
 * operations with a bit-mask model, and share one between threads.
 */
#include <stdio.h>
#include <string.h>

#include <pthread.h>

#include "gorums/config.h"
#include "gorums/manager.h"
#include "tests/harness/harness.h"

/* A pointer no constructor returns: failed calls must leave it alone. */
static char sentinel_storage;
#define SENTINEL ((gorums_config *) (void *) &sentinel_storage)

static gorums_mgr *
mgr_open(void)
{
	gorums_mgr     *m;
	gorums_mgr_opts o;

	gorums_mgr_opts_init(&o);
	o.nthreads = 1;
	GTS_PASS(gorums_mgr_open(&m, &o));
	return (m);
}

/* check_sorted asserts that c's nodes are in strictly ascending id order. */
static void
check_sorted(const gorums_config *c)
{
	for (size_t i = 1; i < gorums_config_size(c); i++) {
		GTS_ASSERT(gorums_node_id(gorums_config_node(c, i - 1)) <
		           gorums_node_id(gorums_config_node(c, i)));
	}
	GTS_ASSERT(gorums_config_node(c, gorums_config_size(c)) == NULL);
}

static void
test_config_new(void)
{
	gorums_mgr    *m = mgr_open();
	gorums_config *c;
	gorums_config *r;
	gorums_config *f;
	const char    *addrs[] = {"127.0.0.1:5", "127.0.0.1:1", "127.0.0.1:4",
	                          "127.0.0.1:2", "127.0.0.1:3"};
	const char    *rev[]   = {"127.0.0.1:3", "127.0.0.1:2", "127.0.0.1:4",
	                          "127.0.0.1:1", "127.0.0.1:5"};
	uint32_t       ids[5];

	GTS_PASS(gorums_config_new(m, addrs, 5, &c));
	GTS_EQ(gorums_config_size(c), 5);
	GTS_EQ(gorums_mgr_nnodes(m), 5);
	GTS_ASSERT(gorums_config_mgr(c) == m);
	check_sorted(c);
	for (size_t i = 0; i < 5; i++) {
		gorums_node *n;
		GTS_PASS(gorums_mgr_find_addr(m, addrs[i], &n));
		GTS_ASSERT(gorums_config_contains(c, gorums_node_id(n)));
		ids[4 - i] = gorums_node_id(n);
	}
	GTS_ASSERT(!gorums_config_contains(c, 0));

	/* Another order of the same addresses, or their ids, is equal. */
	GTS_PASS(gorums_config_new(m, rev, 5, &r));
	GTS_ASSERT(gorums_config_equal(c, r));
	GTS_EQ(gorums_mgr_nnodes(m), 5);
	for (size_t i = 0; i < 5; i++) {
		GTS_ASSERT(gorums_config_node(c, i) ==
		           gorums_config_node(r, i));
	}
	GTS_PASS(gorums_config_from_ids(m, ids, 5, &f));
	GTS_ASSERT(gorums_config_equal(c, f));
	check_sorted(f);

	/* A sub-set is not equal. */
	gorums_config *s;
	GTS_PASS(gorums_config_from_ids(m, ids, 4, &s));
	GTS_EQ(gorums_config_size(s), 4);
	GTS_ASSERT(!gorums_config_equal(c, s));
	GTS_ASSERT(!gorums_config_equal(s, c));
	GTS_ASSERT(!gorums_config_contains(s, ids[4]));

	gorums_config_free(s);
	gorums_config_free(f);
	gorums_config_free(r);
	gorums_config_free(c);
	gorums_mgr_close(m);
}

static void
test_config_from_map(void)
{
	gorums_mgr    *m = mgr_open();
	gorums_config *c;
	gorums_config *d;
	const char    *addrs[] = {"ipc:///tmp/gorums-config-c", "127.0.0.1:7",
	                          "ipc:///tmp/gorums-config-a"};
	uint32_t       ids[]   = {30, 10, 20};
	const char    *again[] = {"tcp://127.0.0.1:7",
	                          "ipc:///tmp/gorums-config-a"};
	uint32_t       again_ids[] = {10, 20};
	uint32_t       want[]      = {10, 20, 30};

	GTS_PASS(gorums_config_from_map(m, addrs, ids, 3, &c));
	GTS_EQ(gorums_config_size(c), 3);
	GTS_EQ(gorums_mgr_nnodes(m), 3);
	check_sorted(c);
	for (size_t i = 0; i < 3; i++) {
		GTS_EQ(gorums_node_id(gorums_config_node(c, i)), want[i]);
		GTS_ASSERT(gorums_config_contains(c, want[i]));
	}
	GTS_ASSERT(strcmp(gorums_node_addr(gorums_config_node(c, 0)),
	                  "tcp://127.0.0.1:7") == 0);

	/* Known addresses under their own ids are reused. */
	GTS_PASS(gorums_config_from_map(m, again, again_ids, 2, &d));
	GTS_EQ(gorums_mgr_nnodes(m), 3);
	GTS_ASSERT(gorums_config_node(d, 0) == gorums_config_node(c, 0));
	GTS_ASSERT(gorums_config_node(d, 1) == gorums_config_node(c, 1));
	gorums_config_free(d);

	/* The same nodes by id and by address. */
	GTS_PASS(gorums_config_from_ids(m, want, 3, &d));
	GTS_ASSERT(gorums_config_equal(c, d));
	gorums_config_free(d);
	GTS_PASS(gorums_config_new(m, addrs, 3, &d));
	GTS_ASSERT(gorums_config_equal(c, d));
	gorums_config_free(d);
	GTS_EQ(gorums_mgr_nnodes(m), 3);

	gorums_config_free(c);
	gorums_mgr_close(m);
}

static void
test_config_reuse(void)
{
	gorums_mgr    *m = mgr_open();
	gorums_config *a;
	gorums_config *b;
	gorums_config *c;
	const char    *first[] = {"127.0.0.1:9", "LocalHost:10"};
	const char *second[]   = {"tcp://localhost:10", " TCP://127.0.0.1:9 "};
	const char *third[]    = {"127.0.0.1:11"};

	GTS_PASS(gorums_config_new(m, first, 2, &a));
	GTS_EQ(gorums_mgr_nnodes(m), 2);
	GTS_PASS(gorums_config_new(m, second, 2, &b));
	GTS_EQ(gorums_mgr_nnodes(m), 2);
	GTS_ASSERT(gorums_config_equal(a, b));
	GTS_ASSERT(gorums_config_node(a, 0) == gorums_config_node(b, 0));
	GTS_ASSERT(gorums_config_node(a, 1) == gorums_config_node(b, 1));
	gorums_config_free(b);

	/* Nodes added by the manager directly are reused as well. */
	gorums_node *n;
	GTS_PASS(gorums_mgr_add_node(m, "127.0.0.1:11", &n));
	GTS_EQ(gorums_mgr_nnodes(m), 3);
	GTS_PASS(gorums_config_with(a, third, 1, &c));
	GTS_EQ(gorums_mgr_nnodes(m), 3);
	GTS_EQ(gorums_config_size(c), 3);
	GTS_ASSERT(gorums_config_contains(c, gorums_node_id(n)));
	check_sorted(c);

	/* A map naming a known address under its own (derived) id too. */
	uint32_t id = gorums_node_id(n);
	GTS_PASS(gorums_config_from_map(m, third, &id, 1, &b));
	GTS_EQ(gorums_mgr_nnodes(m), 3);
	GTS_ASSERT(gorums_config_node(b, 0) == n);

	gorums_config_free(b);
	gorums_config_free(c);
	gorums_config_free(a);
	gorums_mgr_close(m);
}

static void
test_config_errors(void)
{
	gorums_mgr    *m = mgr_open();
	gorums_config *c = SENTINEL;
	gorums_config *a;
	char           longaddr[700];
	const char    *dup[]    = {"127.0.0.1:9", "127.0.0.1:8",
	                           "tcp://127.0.0.1:9"};
	const char    *bad[]    = {"127.0.0.1:20", longaddr};
	const char    *badurl[] = {"127.0.0.1:21", "tcp://[::1:80"};
	const char    *nul[]    = {"127.0.0.1:22", NULL};
	const char    *one[]    = {"127.0.0.1:1"};
	const char    *two[]    = {"127.0.0.1:1", "127.0.0.1:2"};
	const char    *same[]   = {"127.0.0.1:30", "127.0.0.1:31"};
	uint32_t       ids2[]   = {100, 100};
	uint32_t       idsz[]   = {100, 0};
	uint32_t       ids12[]  = {101, 102};

	memset(longaddr, 'a', sizeof(longaddr) - 1);
	longaddr[sizeof(longaddr) - 1] = '\0';

	/* NULL arguments. */
	GTS_FAIL(gorums_config_new(NULL, one, 1, &c), GORUMS_EINVAL);
	GTS_FAIL(gorums_config_new(m, NULL, 1, &c), GORUMS_EINVAL);
	GTS_FAIL(gorums_config_new(m, one, 1, NULL), GORUMS_EINVAL);
	GTS_FAIL(gorums_config_new(m, nul, 2, &c), GORUMS_EINVAL);
	GTS_FAIL(gorums_config_from_ids(m, NULL, 1, &c), GORUMS_EINVAL);
	GTS_FAIL(gorums_config_from_ids(NULL, ids12, 1, &c), GORUMS_EINVAL);
	GTS_FAIL(gorums_config_from_map(m, NULL, ids12, 1, &c), GORUMS_EINVAL);
	GTS_FAIL(gorums_config_from_map(m, one, NULL, 1, &c), GORUMS_EINVAL);
	GTS_FAIL(gorums_config_from_map(m, two, idsz, 2, &c), GORUMS_EINVAL);
	GTS_FAIL(gorums_config_union(NULL, NULL, &c), GORUMS_EINVAL);
	GTS_FAIL(gorums_config_difference(NULL, NULL, &c), GORUMS_EINVAL);
	GTS_FAIL(gorums_config_with(NULL, one, 1, &c), GORUMS_EINVAL);
	GTS_FAIL(gorums_config_without(NULL, ids12, 1, &c), GORUMS_EINVAL);
	GTS_ASSERT(c == SENTINEL);
	GTS_EQ(gorums_mgr_nnodes(m), 0);

	/* Bad addresses fail before any node is added. */
	GTS_FAIL(gorums_config_new(m, bad, 2, &c), GORUMS_EADDRINVAL);
	GTS_FAIL(gorums_config_new(m, badurl, 2, &c), GORUMS_EADDRINVAL);
	GTS_FAIL(gorums_config_from_map(m, bad, ids12, 2, &c),
	         GORUMS_EADDRINVAL);
	GTS_ASSERT(c == SENTINEL);
	GTS_EQ(gorums_mgr_nnodes(m), 0);

	/* An address twice, also written differently. */
	GTS_FAIL(gorums_config_new(m, dup, 3, &c), GORUMS_EEXIST);
	GTS_ASSERT(c == SENTINEL);
	/* (The two new nodes stay in the manager, which owns them.) */
	GTS_EQ(gorums_mgr_nnodes(m), 2);
	/* Now both are known: the repeat is found without adding. */
	GTS_FAIL(gorums_config_new(m, dup, 3, &c), GORUMS_EEXIST);
	GTS_EQ(gorums_mgr_nnodes(m), 2);

	/* Ids: unknown, repeated. */
	GTS_PASS(gorums_config_new(m, two, 2, &a));
	uint32_t id1       = gorums_node_id(gorums_config_node(a, 0));
	uint32_t id2       = gorums_node_id(gorums_config_node(a, 1));
	uint32_t rep[]     = {id1, id2, id1};
	uint32_t unknown[] = {id1, 12345};
	GTS_FAIL(gorums_config_from_ids(m, rep, 3, &c), GORUMS_EEXIST);
	GTS_FAIL(gorums_config_from_ids(m, unknown, 2, &c), GORUMS_ENOENT);
	GTS_ASSERT(c == SENTINEL);

	/* Maps: an id twice, an address twice (same or other id), a known
	 * address under another id, a known id under another address. */
	size_t before = gorums_mgr_nnodes(m);
	GTS_FAIL(gorums_config_from_map(m, same, ids2, 2, &c), GORUMS_EEXIST);
	const char *twice[]   = {"127.0.0.1:40", "tcp://127.0.0.1:40"};
	uint32_t    twice_s[] = {200, 200};
	uint32_t    twice_d[] = {201, 202};
	GTS_FAIL(gorums_config_from_map(m, twice, twice_s, 2, &c),
	         GORUMS_EEXIST);
	GTS_FAIL(gorums_config_from_map(m, twice, twice_d, 2, &c),
	         GORUMS_EEXIST);
	size_t after = gorums_mgr_nnodes(m);
	GTS_EQ(after, before + 2); /* :30 and :40, added before the check */
	uint32_t other_id[] = {id1 + 1};
	GTS_FAIL(gorums_config_from_map(m, one, other_id, 1, &c),
	         GORUMS_EEXIST);
	const char *fresh[] = {"127.0.0.1:50"};
	GTS_FAIL(gorums_config_from_map(m, fresh, &id2, 1, &c), GORUMS_EEXIST);
	GTS_EQ(gorums_mgr_nnodes(m), after);
	GTS_ASSERT(c == SENTINEL);

	/* with: an address already in a (written differently), a repeat
	 * among the new ones, a bad one. */
	const char *in_a[]    = {"127.0.0.1:60", "tcp://127.0.0.1:2"};
	const char *rep_new[] = {"127.0.0.1:61", "TCP://127.0.0.1:61"};
	before                = gorums_mgr_nnodes(m);
	GTS_FAIL(gorums_config_with(a, in_a, 2, &c), GORUMS_EEXIST);
	GTS_EQ(gorums_mgr_nnodes(m), before); /* found before adding */
	GTS_FAIL(gorums_config_with(a, rep_new, 2, &c), GORUMS_EEXIST);
	GTS_FAIL(gorums_config_with(a, bad, 2, &c), GORUMS_EADDRINVAL);
	GTS_FAIL(gorums_config_with(a, NULL, 1, &c), GORUMS_EINVAL);
	GTS_FAIL(gorums_config_without(a, NULL, 1, &c), GORUMS_EINVAL);
	GTS_FAIL(gorums_config_union(a, NULL, &c), GORUMS_EINVAL);
	GTS_FAIL(gorums_config_union(a, a, NULL), GORUMS_EINVAL);
	GTS_ASSERT(c == SENTINEL);

	/* Absent ids in without are fine, repeats too. */
	uint32_t gone[] = {12345, id2, id2};
	GTS_PASS(gorums_config_without(a, gone, 3, &c));
	GTS_EQ(gorums_config_size(c), 1);
	GTS_ASSERT(gorums_config_contains(c, id1));
	gorums_config_free(c);

	gorums_config_free(a);
	gorums_mgr_close(m);
}

static void
test_config_empty(void)
{
	gorums_mgr    *m = mgr_open();
	gorums_config *e1;
	gorums_config *e2;
	gorums_config *e3;
	gorums_config *c;
	gorums_config *x;
	const char    *addrs[] = {"127.0.0.1:1", "127.0.0.1:2"};

	GTS_PASS(gorums_config_new(m, NULL, 0, &e1));
	GTS_PASS(gorums_config_from_ids(m, NULL, 0, &e2));
	GTS_PASS(gorums_config_from_map(m, NULL, NULL, 0, &e3));
	GTS_EQ(gorums_config_size(e1), 0);
	GTS_ASSERT(gorums_config_node(e1, 0) == NULL);
	GTS_ASSERT(!gorums_config_contains(e1, 1));
	GTS_ASSERT(gorums_config_equal(e1, e2));
	GTS_ASSERT(gorums_config_equal(e2, e3));
	GTS_ASSERT(gorums_config_mgr(e1) == m);

	GTS_PASS(gorums_config_new(m, addrs, 2, &c));
	GTS_ASSERT(!gorums_config_equal(e1, c));

	GTS_PASS(gorums_config_union(e1, e2, &x));
	GTS_EQ(gorums_config_size(x), 0);
	gorums_config_free(x);
	GTS_PASS(gorums_config_union(e1, c, &x));
	GTS_ASSERT(gorums_config_equal(x, c));
	gorums_config_free(x);
	GTS_PASS(gorums_config_difference(c, c, &x));
	GTS_ASSERT(gorums_config_equal(x, e1));
	gorums_config_free(x);
	GTS_PASS(gorums_config_difference(c, e1, &x));
	GTS_ASSERT(gorums_config_equal(x, c));
	gorums_config_free(x);
	GTS_PASS(gorums_config_difference(e1, c, &x));
	GTS_EQ(gorums_config_size(x), 0);
	gorums_config_free(x);
	GTS_PASS(gorums_config_without(c, NULL, 0, &x));
	GTS_ASSERT(gorums_config_equal(x, c));
	gorums_config_free(x);
	GTS_PASS(gorums_config_with(c, NULL, 0, &x));
	GTS_ASSERT(gorums_config_equal(x, c));
	gorums_config_free(x);
	GTS_PASS(gorums_config_with(e1, addrs, 2, &x));
	GTS_ASSERT(gorums_config_equal(x, c));
	gorums_config_free(x);
	GTS_EQ(gorums_mgr_nnodes(m), 2);

	gorums_config_free(c);
	gorums_config_free(e3);
	gorums_config_free(e2);
	gorums_config_free(e1);
	gorums_mgr_close(m);
}

#define MODEL_NODES 12
#define MODEL_PAIRS 200

static uint64_t model_rng = 88172645463325252ull;

static uint32_t
model_rand(void)
{
	model_rng ^= model_rng << 13;
	model_rng ^= model_rng >> 7;
	model_rng ^= model_rng << 17;
	return ((uint32_t) (model_rng >> 32));
}

/*
 * model_config makes the configuration of the nodes in mask, from their
 * ids in a random order.
 */
static gorums_config *
model_config(gorums_mgr *m, const uint32_t *ids, unsigned mask)
{
	gorums_config *c;
	uint32_t       pick[MODEL_NODES];
	size_t         n = 0;

	for (int i = 0; i < MODEL_NODES; i++) {
		if (mask & (1u << i)) {
			pick[n++] = ids[i];
		}
	}
	for (size_t i = n; i > 1; i--) {
		size_t   j  = model_rand() % i;
		uint32_t t  = pick[i - 1];
		pick[i - 1] = pick[j];
		pick[j]     = t;
	}
	GTS_PASS(gorums_config_from_ids(m, pick, n, &c));
	return (c);
}

/* model_check asserts that c holds exactly the nodes in mask, sorted. */
static void
model_check(gorums_mgr *m, const gorums_config *c, const uint32_t *ids,
            unsigned mask)
{
	gorums_config *want;

	GTS_EQ(gorums_config_size(c), __builtin_popcount(mask));
	for (int i = 0; i < MODEL_NODES; i++) {
		GTS_EQ(gorums_config_contains(c, ids[i]), (mask >> i) & 1);
	}
	check_sorted(c);
	GTS_ASSERT(gorums_config_mgr(c) == m);
	want = model_config(m, ids, mask);
	GTS_ASSERT(gorums_config_equal(c, want));
	gorums_config_free(want);
}

static void
test_config_model(void)
{
	gorums_mgr  *m = mgr_open();
	char         names[MODEL_NODES][32];
	const char  *addrs[MODEL_NODES];
	uint32_t     ids[MODEL_NODES];
	gorums_node *n;

	for (int i = 0; i < MODEL_NODES; i++) {
		snprintf(names[i], sizeof(names[i]), "127.0.0.1:%d", 1000 + i);
		addrs[i] = names[i];
		GTS_PASS(gorums_mgr_add_node(m, addrs[i], &n));
		ids[i] = gorums_node_id(n);
	}
	for (int pair = 0; pair < MODEL_PAIRS; pair++) {
		unsigned       ma = model_rand() & ((1u << MODEL_NODES) - 1);
		unsigned       mb = model_rand() & ((1u << MODEL_NODES) - 1);
		gorums_config *a  = model_config(m, ids, ma);
		gorums_config *b  = model_config(m, ids, mb);
		gorums_config *c  = SENTINEL;
		const char    *add[MODEL_NODES];
		uint32_t       del[MODEL_NODES];
		size_t         nadd = 0;
		size_t         ndel = 0;

		model_check(m, a, ids, ma);
		GTS_EQ(gorums_config_equal(a, b), ma == mb);

		GTS_PASS(gorums_config_union(a, b, &c));
		model_check(m, c, ids, ma | mb);
		gorums_config_free(c);
		GTS_PASS(gorums_config_difference(a, b, &c));
		model_check(m, c, ids, ma & ~mb);
		gorums_config_free(c);

		/* with: the addresses of b's nodes, which must not be in a. */
		for (int i = 0; i < MODEL_NODES; i++) {
			if (mb & (1u << i)) {
				add[nadd++] = addrs[i];
				del[ndel++] = ids[i];
			}
		}
		c = SENTINEL;
		if ((ma & mb) != 0) {
			GTS_FAIL(gorums_config_with(a, add, nadd, &c),
			         GORUMS_EEXIST);
			GTS_ASSERT(c == SENTINEL);
			nadd = 0;
			for (int i = 0; i < MODEL_NODES; i++) {
				if ((mb & ~ma) & (1u << i)) {
					add[nadd++] = addrs[i];
				}
			}
		}
		GTS_PASS(gorums_config_with(a, add, nadd, &c));
		model_check(m, c, ids, ma | mb);
		gorums_config_free(c);

		/* without: all of b's ids, present in a or not. */
		GTS_PASS(gorums_config_without(a, del, ndel, &c));
		model_check(m, c, ids, ma & ~mb);
		gorums_config_free(c);

		gorums_config_free(b);
		gorums_config_free(a);
	}
	GTS_EQ(gorums_mgr_nnodes(m), MODEL_NODES);
	gorums_mgr_close(m);
}

#define REF_THREADS 4
#define REF_ROUNDS  100000

/*
 * ref_worker owns one reference to the configuration it is given: it
 * takes and drops more while reading the configuration, then drops its
 * own, so whichever thread finishes last frees it.
 */
static void *
ref_worker(void *arg)
{
	gorums_config *c   = arg;
	uint32_t       id  = gorums_node_id(gorums_config_node(c, 0));
	size_t         sum = 0;

	for (int i = 0; i < REF_ROUNDS; i++) {
		gorums_config *r = gorums_config_ref(c);
		sum += gorums_config_size(r);
		sum += gorums_config_contains(r, id);
		gorums_config_free(r);
	}
	GTS_EQ(sum, (size_t) REF_ROUNDS * 4);
	gorums_config_free(c);
	return (NULL);
}

static void
test_config_refs_threads(void)
{
	gorums_mgr    *m = mgr_open();
	gorums_config *c;
	pthread_t      t[REF_THREADS];
	const char    *addrs[] = {"127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3"};

	GTS_PASS(gorums_config_new(m, addrs, 3, &c));
	for (int i = 0; i < REF_THREADS; i++) {
		GTS_ASSERT(pthread_create(&t[i], NULL, ref_worker,
		                          gorums_config_ref(c)) == 0);
	}
	gorums_config_free(c); /* the workers hold the rest */
	for (int i = 0; i < REF_THREADS; i++) {
		GTS_ASSERT(pthread_join(t[i], NULL) == 0);
	}
	gorums_mgr_close(m);
}

static void
test_config_managers(void)
{
	gorums_mgr    *m1 = mgr_open();
	gorums_mgr    *m2 = mgr_open();
	gorums_config *a;
	gorums_config *b;
	gorums_config *c       = SENTINEL;
	const char    *addrs[] = {"127.0.0.1:1", "127.0.0.1:2"};

	GTS_PASS(gorums_config_new(m1, addrs, 2, &a));
	GTS_PASS(gorums_config_new(m2, addrs, 2, &b));
	GTS_ASSERT(gorums_config_mgr(a) == m1);
	GTS_ASSERT(gorums_config_mgr(b) == m2);
	GTS_ASSERT(gorums_config_node(a, 0) != gorums_config_node(b, 0));
	GTS_FAIL(gorums_config_union(a, b, &c), GORUMS_EINVAL);
	GTS_FAIL(gorums_config_difference(a, b, &c), GORUMS_EINVAL);
	GTS_FAIL(gorums_config_difference(b, a, &c), GORUMS_EINVAL);
	GTS_ASSERT(c == SENTINEL);
	/* The same servers by id: equal, though the nodes differ. */
	GTS_ASSERT(gorums_config_equal(a, b));

	gorums_config_free(b);
	gorums_config_free(a);
	gorums_mgr_close(m2);
	gorums_mgr_close(m1);
}

gts_test TEST_LIST[] = {
    {"config new", test_config_new},
    {"config from map", test_config_from_map},
    {"config reuse", test_config_reuse},
    {"config errors", test_config_errors},
    {"config empty", test_config_empty},
    {"config model", test_config_model},
    {"config refs threads", test_config_refs_threads},
    {"config managers", test_config_managers},
    {NULL, NULL},
};
