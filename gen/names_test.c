/*
 * names_test: the C names protoc-gen-gorums derives (gen/names.h), which
 * must match protoc-gen-c's for message types, and method ids.
 */
#include <string.h>

#include "gen/names.h"
#include "tests/harness/harness.h"

#define STR_EQ(a, b)                                                         \
	do {                                                                 \
		const char *gts_x_ = (a);                                    \
		const char *gts_y_ = (b);                                    \
		if (strcmp(gts_x_, gts_y_) != 0) {                           \
			gts_fail(__FILE__, __LINE__, "%s: \"%s\" != \"%s\"", \
			         #a, gts_x_, gts_y_);                        \
		}                                                            \
	} while (0)

static void
test_lower(void)
{
	arena a = {0};

	/* protoc-gen-c's CamelToLower, case by case. */
	STR_EQ(nm_lower(&a, "ReadQC"), "read_qc");
	STR_EQ(nm_lower(&a, "Storage"), "storage");
	STR_EQ(nm_lower(&a, "QuorumCallPerNodeArg"),
	       "quorum_call_per_node_arg");
	STR_EQ(nm_lower(&a, "GRPCCall"), "grpccall");
	STR_EQ(nm_lower(&a, "Msg2Foo"), "msg2_foo");
	STR_EQ(nm_lower(&a, "read_qc"), "read_qc");
	STR_EQ(nm_lower(&a, "readQc"), "read_qc");
	STR_EQ(nm_lower(&a, "Multicast2"), "multicast2");
	STR_EQ(nm_upper(&a, "read_qc2"), "READ_QC2");
	arena_fini(&a);
}

static void
test_types(void)
{
	arena a = {0};

	STR_EQ(nm_type_c(&a, ".demo.State", "demo", NULL), "Demo__State");
	STR_EQ(nm_type_lower(&a, ".demo.State", "demo", NULL), "demo__state");
	STR_EQ(
	    nm_type_c(&a, ".my_pkg.sub.Outer.Inner_msg", "my_pkg.sub", NULL),
	    "MyPkg__Sub__Outer__InnerMsg");
	STR_EQ(nm_type_lower(&a, ".my_pkg.sub.Outer.InnerMsg", "my_pkg.sub",
	                     NULL),
	       "my_pkg__sub__outer__inner_msg");
	/* No package. */
	STR_EQ(nm_type_c(&a, ".Top", "", NULL), "Top");
	STR_EQ(nm_type_lower(&a, ".HTTPRequest", "", NULL), "httprequest");
	/* protobuf-c's c_package replaces the package. */
	STR_EQ(nm_type_c(&a, ".demo.State", "demo", "x.y"), "X__Y__State");
	STR_EQ(nm_type_lower(&a, ".Top", "", "cpkg"), "cpkg__top");
	arena_fini(&a);
}

static void
test_method_id(void)
{
	/* FNV-1a reference values. */
	GTS_EQ(nm_method_id(""), 0x811c9dc5u);
	GTS_EQ(nm_method_id("a"), 0xe40c292cu);
	GTS_EQ(nm_method_id("foobar"), 0xbf9cf968u);
	/* The collision tests/gen/bad/id_collision.proto relies on. */
	GTS_EQ(nm_method_id("bad.Ids/Mblsfxf"),
	       nm_method_id("bad.Ids/Mzhqewn"));
	GTS_ASSERT(nm_method_id("demo.Storage/Read") !=
	           nm_method_id("demo.Storage/Write"));
}

static void
test_reserved(void)
{
	GTS_ASSERT(nm_reserved("register"));
	GTS_ASSERT(nm_reserved("bool"));
	GTS_ASSERT(nm_reserved("class"));
	GTS_ASSERT(!nm_reserved("read"));
	GTS_ASSERT(!nm_reserved("registers"));
}

static void
test_file_ident(void)
{
	arena a = {0};

	STR_EQ(nm_file_ident(&a, "dir/foo.proto"), "dir_2ffoo_2eproto");
	STR_EQ(nm_file_ident(&a, "a-b"), "a_2db");
	arena_fini(&a);
}

static void
test_sb(void)
{
	sb    b = {0};
	arena a = {0};

	STR_EQ(sb_str(&b), "");
	for (int i = 0; i < 1000; i++) {
		sb_printf(&b, "%d,", i % 10);
	}
	GTS_EQ(b.len, 2000);
	char *s = sb_take(&b);
	GTS_EQ(strlen(s), 2000);
	free(s);
	STR_EQ(arena_printf(&a, "%s-%d", "x", 7), "x-7");
	sb_fini(&b);
	arena_fini(&a);
}

gts_test TEST_LIST[] = {
    {"names lower", test_lower},
    {"names types", test_types},
    {"names method id", test_method_id},
    {"names reserved", test_reserved},
    {"names file ident", test_file_ident},
    {"names strbuf", test_sb},
    {NULL, NULL},
};
