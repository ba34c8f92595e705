/*
 * idmap_test: the id map against a plain array model, with random
 * inserts and deletes that exercise backward-shift deletion.
 */
#include <string.h>

#include "src/idmap.h"
#include "tests/harness/harness.h"

#define MODEL_N 4096

static void
test_idmap_model(void)
{
	gri_idmap    m;
	static char *model[MODEL_N];
	uint64_t     rng = 88172645463325252ull;

	memset(model, 0, sizeof(model));
	gri_idmap_init(&m);
	for (int step = 0; step < 200000; step++) {
		rng ^= rng << 13;
		rng ^= rng >> 7;
		rng ^= rng << 17;
		uint32_t id = (uint32_t) (rng % (MODEL_N - 1)) + 1;
		char    *v  = (char *) (uintptr_t) (id * 16);
		if ((rng >> 32) % 2 == 0) {
			gorums_err rv = gri_idmap_put(&m, id, v);
			GTS_EQ(rv,
			       model[id] != NULL ? GORUMS_EEXIST : GORUMS_OK);
			model[id] = v;
		} else {
			GTS_ASSERT(gri_idmap_del(&m, id) == model[id]);
			model[id] = NULL;
		}
		if (step % 1000 == 0) {
			size_t n = 0;
			for (uint32_t i = 1; i < MODEL_N; i++) {
				GTS_ASSERT(gri_idmap_get(&m, i) == model[i]);
				n += model[i] != NULL;
			}
			GTS_EQ(gri_idmap_count(&m), n);
		}
	}
	uint32_t id;
	void    *v;
	while ((v = gri_idmap_pop(&m, &id)) != NULL) {
		GTS_ASSERT(model[id] == v);
		model[id] = NULL;
	}
	for (uint32_t i = 1; i < MODEL_N; i++) {
		GTS_ASSERT(model[i] == NULL);
	}
	GTS_EQ(gri_idmap_count(&m), 0);
	gri_idmap_fini(&m);
}

gts_test TEST_LIST[] = {
    {"idmap model", test_idmap_model},
    {NULL, NULL},
};
