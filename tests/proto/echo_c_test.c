/*
 * echo_c_test.c: the c_proto_library macro gives working protobuf-c code.
 */
#include <string.h>

#include "tests/harness/harness.h"
#include "tests/proto/echo.pb-c.h"

static void
test_echo_round_trip(void)
{
	Gorums__Test__Echo in     = GORUMS__TEST__ECHO__INIT;
	uint8_t            blob[] = {0, 1, 2, 0xff};
	uint8_t            buf[64];

	in.text      = "hello";
	in.value     = -42;
	in.blob.data = blob;
	in.blob.len  = sizeof(blob);
	size_t n     = gorums__test__echo__get_packed_size(&in);
	GTS_ASSERT(n <= sizeof(buf));
	GTS_EQ(gorums__test__echo__pack(&in, buf), n);

	Gorums__Test__Echo *out = gorums__test__echo__unpack(NULL, n, buf);
	GTS_ASSERT(out != NULL);
	GTS_ASSERT(strcmp(out->text, "hello") == 0);
	GTS_EQ(out->value, -42);
	GTS_EQ(out->blob.len, sizeof(blob));
	GTS_ASSERT(memcmp(out->blob.data, blob, sizeof(blob)) == 0);
	gorums__test__echo__free_unpacked(out, NULL);
}

static void
test_echo_descriptor(void)
{
	const ProtobufCMessageDescriptor *d = &gorums__test__echo__descriptor;

	GTS_ASSERT(strcmp(d->name, "gorums.test.Echo") == 0);
	GTS_EQ(d->n_fields, 3);
	GTS_ASSERT(protobuf_c_message_descriptor_get_field_by_name(
	               d, "blob") != NULL);
}

gts_test TEST_LIST[] = {
    {"echo round trip", test_echo_round_trip},
    {"echo descriptor", test_echo_descriptor},
    {NULL, NULL},
};
