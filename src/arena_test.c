/*
 * arena_test: the bump allocator, and protobuf-c unpacking into it.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "src/arena.h"
#include "src/pool.h"
#include "tests/harness/harness.h"
#include "tests/proto/echo.pb-c.h"

static void
test_arena_alloc(void)
{
	gri_arena a;

	gri_arena_init(&a);
	for (int i = 0; i < 1000; i++) {
		size_t         n = (size_t) (i % 300) + 1;
		unsigned char *p = gri_arena_alloc(&a, n);
		GTS_ASSERT(p != NULL);
		GTS_EQ((uintptr_t) p % _Alignof(max_align_t), 0);
		memset(p, 0x5a, n);
	}
	/* Objects larger than a chunk get their own. */
	unsigned char *big = gri_arena_alloc(&a, 100000);
	GTS_ASSERT(big != NULL);
	memset(big, 1, 100000);
	unsigned char *after = gri_arena_alloc(&a, 8);
	GTS_ASSERT(after != NULL);
	gri_arena_fini(&a);
}

static void
test_arena_unpack(void)
{
	gri_arena           a;
	Gorums__Test__Echo  e = GORUMS__TEST__ECHO__INIT;
	uint8_t             buf[256];
	Gorums__Test__Echo *out;

	e.text   = "arena";
	e.value  = 42;
	size_t n = gorums__test__echo__pack(&e, buf);
	gri_arena_init(&a);
	/* Warm the pools, then unpacking again must not malloc. */
	out = gorums__test__echo__unpack(gri_arena_pb(&a), n, buf);
	GTS_ASSERT(out != NULL);
	gri_arena_fini(&a);
	uint64_t before = gri_pool_mallocs();
	for (int i = 0; i < 100; i++) {
		gri_arena_init(&a);
		out = gorums__test__echo__unpack(gri_arena_pb(&a), n, buf);
		GTS_ASSERT(out != NULL);
		GTS_EQ(out->value, 42);
		GTS_ASSERT(strcmp(out->text, "arena") == 0);
		gri_arena_fini(&a);
	}
	GTS_EQ(gri_pool_mallocs() - before, 0);
}

gts_test TEST_LIST[] = {
    {"arena alloc", test_arena_alloc},
    {"arena unpack", test_arena_unpack},
    {NULL, NULL},
};
