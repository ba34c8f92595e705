/*
 * wire_corpus_gen.c: writes the seed corpus of the wire fuzzer, a few
 * valid frames covering every kind (HELLO included), metadata from none to
 * GRI_WIRE_MAX_META entries, and payloads from empty to one with fields
 * Echo does not know. The output is the same on every run.
 *
 *   bazel run //tests/fuzz:wire_corpus_gen -- "$PWD/tests/fuzz/wire"
 *   wire_corpus_gen --check DIR    (what //tests/fuzz:wire_corpus_test runs)
 *
 * --check fails if a seed in DIR is missing or differs; other files in
 * DIR (inputs saved from fuzzing runs) are left alone.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/wire/wire.h"
#include "tests/proto/echo.pb-c.h"

static int check_mode;
static int failures;

static void
emit(const char *dir, const char *name, const uint8_t *buf, size_t len)
{
	char  path[4096];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (check_mode) {
		uint8_t *old = malloc(len + 1);
		size_t   n   = 0;

		if (old != NULL && (fp = fopen(path, "rb")) != NULL) {
			n = fread(old, 1, len + 1, fp);
			fclose(fp);
		}
		if (old == NULL || n != len || memcmp(old, buf, len) != 0) {
			fprintf(
			    stderr,
			    "wire_corpus_gen: %s is missing or out of date; "
			    "regenerate it (see wire_corpus_gen.c)\n",
			    path);
			failures++;
		}
		free(old);
		return;
	}
	if ((fp = fopen(path, "wb")) == NULL ||
	    fwrite(buf, 1, len, fp) != len || fclose(fp) != 0) {
		fprintf(stderr, "wire_corpus_gen: cannot write %s\n", path);
		exit(1);
	}
}

/* frame encodes one frame, with msg or with raw payload bytes. */
static void
frame(const char *dir, const char *name, gri_wire_hdr h,
      const gri_wire_meta *meta, const ProtobufCMessage *msg,
      const uint8_t *raw, size_t raw_len)
{
	uint8_t    buf[4096];
	size_t     n;
	gorums_err rv;

	if (raw != NULL) {
		rv = gri_wire_encode_header(&h, meta, raw_len,
		                            GRI_WIRE_MAX_FRAME_DEFAULT, buf,
		                            sizeof(buf), &n);
		if (rv == GORUMS_OK && n + raw_len <= sizeof(buf)) {
			memcpy(buf + n, raw, raw_len);
			n += raw_len;
		}
	} else {
		rv = gri_wire_encode_msg(&h, meta, msg,
		                         GRI_WIRE_MAX_FRAME_DEFAULT, buf,
		                         sizeof(buf), &n);
	}
	if (rv != GORUMS_OK) {
		fprintf(stderr, "wire_corpus_gen: %s: error %d\n", name,
		        (int) rv);
		exit(1);
	}
	emit(dir, name, buf, n);
}

int
main(int argc, char **argv)
{
	const char        *dir;
	Gorums__Test__Echo e = GORUMS__TEST__ECHO__INIT;
	gri_wire_meta      meta[GRI_WIRE_MAX_META];
	char               keys[GRI_WIRE_MAX_META][16];
	uint8_t            blob[64];
	/* Echo{text: "u", 15: 7 (unknown varint), 9: "zz" (unknown)} */
	static const uint8_t unknown[] = {0x0a, 0x01, 'u', 0x78, 0x07,
	                                  0x4a, 0x02, 'z', 'z'};

	if (argc == 3 && strcmp(argv[1], "--check") == 0) {
		check_mode = 1;
		dir        = argv[2];
	} else if (argc == 2) {
		dir = argv[1];
	} else {
		fprintf(stderr, "usage: wire_corpus_gen [--check] DIR\n");
		return (2);
	}
	for (size_t i = 0; i < sizeof(blob); i++) {
		blob[i] = (uint8_t) (i * 37 + 11);
	}
	for (int i = 0; i < GRI_WIRE_MAX_META; i++) {
		snprintf(keys[i], sizeof(keys[i]), "k%02d", i);
		meta[i].key     = keys[i];
		meta[i].key_len = 3;
		meta[i].val     = blob;
		meta[i].val_len = (size_t) (i % 4);
	}

	frame(dir, "request_empty.bin",
	      (gri_wire_hdr) {GRI_WIRE_REQUEST, 0, 1, 1, 0}, NULL, NULL, NULL,
	      0);

	gri_wire_meta trace = {"trace-id", 8,
	                       (const uint8_t *) "0123456789abcdef", 16};
	e.text              = "hello";
	e.value             = 42;
	frame(dir, "request_echo.bin",
	      (gri_wire_hdr) {GRI_WIRE_REQUEST, 1, 2, 3, 0}, &trace, &e.base,
	      NULL, 0);

	gri_wire_meta three[3] = {
	    {"a", 1, (const uint8_t *) "1", 1},
	    {"", 0, NULL, 0},
	    {"node", 4, blob, 8},
	};
	e.text      = "reply";
	e.value     = -1;
	e.blob.data = blob;
	e.blob.len  = 16;
	frame(dir, "reply_meta.bin",
	      (gri_wire_hdr) {GRI_WIRE_REPLY, 3, 2, 3, 0}, three, &e.base,
	      NULL, 0);

	frame(dir, "error_status.bin",
	      (gri_wire_hdr) {GRI_WIRE_ERROR, 0, 4, 0xdeadbeefu,
	                      GORUMS_EUNKNOWNMETHOD},
	      NULL, NULL, NULL, 0);

	e.text     = "";
	e.value    = 0;
	e.blob.len = sizeof(blob);
	frame(dir, "oneway_blob.bin",
	      (gri_wire_hdr) {GRI_WIRE_ONEWAY, 0, 5, 6, 0}, NULL, &e.base,
	      NULL, 0);

	Gorums__Test__Echo seven = GORUMS__TEST__ECHO__INIT;
	seven.value              = 7;
	frame(dir, "stream_item_server_id.bin",
	      (gri_wire_hdr) {GRI_WIRE_STREAM_ITEM, 0, GRI_WIRE_ID_SERVER | 7,
	                      8, 0},
	      NULL, &seven.base, NULL, 0);

	frame(dir, "stream_end.bin",
	      (gri_wire_hdr) {GRI_WIRE_STREAM_END, 0, GRI_WIRE_ID_SERVER | 7,
	                      8, 0},
	      NULL, NULL, NULL, 0);

	frame(dir, "hello_meta.bin",
	      (gri_wire_hdr) {GRI_WIRE_HELLO, 2, 0, 0, 0}, meta, NULL, NULL,
	      0);

	Gorums__Test__Echo m = GORUMS__TEST__ECHO__INIT;
	m.text               = "m";
	frame(dir, "max_meta.bin",
	      (gri_wire_hdr) {GRI_WIRE_REQUEST, GRI_WIRE_MAX_META, 9, 10, 0},
	      meta, &m.base, NULL, 0);

	frame(dir, "unknown_fields.bin",
	      (gri_wire_hdr) {GRI_WIRE_REPLY, 0, 11, 12, 0}, NULL, NULL,
	      unknown, sizeof(unknown));

	return (failures == 0 ? 0 : 1);
}
