/*
 * wire_fuzz.c: the frame codec as a libFuzzer target.
 *
 * For any input: gri_wire_frame_len and gri_wire_decode agree with each
 * other and return only the errors wire.h names. If the input decodes,
 * every view lies inside it, encoding the decoded frame gives back the
 * same bytes, and if its payload unpacks as a gorums.test.Echo, packing
 * that message in a new frame and decoding it again gives the same
 * message. Any violation aborts, which libFuzzer (or the replay driver in
 * //tests/fuzz) reports as a crash.
 *
 * Built two ways: by Bazel into //tests/fuzz:wire_replay_test (gcc, every
 * config), and by tests/fuzz/run_wire_fuzz.sh with clang -fsanitize=fuzzer.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/wire/wire.h"
#include "tests/proto/echo.pb-c.h"

/* Small enough that the fuzzer reaches GORUMS_EMSGSIZE. */
#define FUZZ_MAX_FRAME (64u * 1024u)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "wire_fuzz: check failed: %s\n", what);
		abort();
	}
}

/* inside says whether [p, p + n) lies within [lo, lo + size). */
static bool
inside(const void *p, size_t n, const uint8_t *lo, size_t size)
{
	const uint8_t *b = p;

	if (n == 0) {
		return (true);
	}
	return (b >= lo && b <= lo + size && n <= (size_t) (lo + size - b));
}

static bool
same_frame(const gri_wire_frame *a, const gri_wire_frame *b)
{
	if (a->hdr.kind != b->hdr.kind || a->hdr.n_meta != b->hdr.n_meta ||
	    a->hdr.msg_id != b->hdr.msg_id ||
	    a->hdr.method_id != b->hdr.method_id ||
	    a->hdr.status != b->hdr.status || a->len != b->len ||
	    a->payload_len != b->payload_len) {
		return (false);
	}
	for (unsigned i = 0; i < a->hdr.n_meta; i++) {
		const gri_wire_meta *x = &a->meta[i];
		const gri_wire_meta *y = &b->meta[i];

		if (x->key_len != y->key_len || x->val_len != y->val_len ||
		    (x->key_len > 0 &&
		     memcmp(x->key, y->key, x->key_len) != 0) ||
		    (x->val_len > 0 &&
		     memcmp(x->val, y->val, x->val_len) != 0)) {
			return (false);
		}
	}
	return (a->payload_len == 0 ||
	        memcmp(a->payload, b->payload, a->payload_len) == 0);
}

static void
check_views(const gri_wire_frame *f, const uint8_t *data, size_t size)
{
	check(f->len == size, "frame length is the input size");
	check(f->hdr.n_meta <= GRI_WIRE_MAX_META, "n_meta bounded");
	check(gri_wire_kind_valid((int) f->hdr.kind), "kind valid");
	for (unsigned i = 0; i < f->hdr.n_meta; i++) {
		check(inside(f->meta[i].key, f->meta[i].key_len, data, size),
		      "meta key inside the input");
		check(inside(f->meta[i].val, f->meta[i].val_len, data, size),
		      "meta value inside the input");
	}
	check(f->payload + f->payload_len == data + size,
	      "payload ends the frame");
	check(f->payload - data ==
	          (ptrdiff_t) gri_wire_header_size(f->hdr.n_meta, f->meta),
	      "payload starts after the header");
}

/* Re-encodes the decoded frame: the same bytes must come back. */
static void
check_reencode(const gri_wire_frame *f, const uint8_t *data, size_t size)
{
	uint8_t       *buf = malloc(size);
	size_t         hlen;
	gri_wire_frame g;

	check(buf != NULL, "malloc");
	check(gri_wire_encode_header(&f->hdr, f->meta, f->payload_len,
	                             FUZZ_MAX_FRAME, buf, size,
	                             &hlen) == GORUMS_OK,
	      "re-encode header");
	check(hlen + f->payload_len == size, "re-encoded size");
	if (f->payload_len > 0) {
		memcpy(buf + hlen, f->payload, f->payload_len);
	}
	check(memcmp(buf, data, size) == 0, "re-encoded bytes");
	check(gri_wire_decode(buf, size, FUZZ_MAX_FRAME, &g) == GORUMS_OK,
	      "decode re-encoded");
	check(same_frame(f, &g), "re-decoded frame");
	free(buf);
}

/*
 * has_tag0 says whether m kept an unknown field numbered 0. protobuf-c
 * 1.4.1 accepts field number 0 when the tag is not minimally encoded
 * (80 00), keeps it as an unknown field, packs it back as 00, and then
 * rejects its own output. That is protobuf-c's quirk, not the codec's.
 */
static bool
has_tag0(const ProtobufCMessage *m)
{
	for (unsigned i = 0; i < m->n_unknown_fields; i++) {
		if (m->unknown_fields[i].tag == 0) {
			return (true);
		}
	}
	return (false);
}

/*
 * The payload as an Echo: if it unpacks, the message survives being packed
 * into a new frame, decoded and unpacked again.
 */
static void
check_echo(const gri_wire_frame *f)
{
	ProtobufCMessage   *m;
	ProtobufCMessage   *m2;
	Gorums__Test__Echo *e, *e2;
	gri_wire_frame      g;
	uint8_t            *buf;
	size_t              n, written;
	gorums_err          rv;

	rv = gri_wire_unpack(&gorums__test__echo__descriptor, NULL, f->payload,
	                     f->payload_len, &m);
	check(rv == GORUMS_OK || rv == GORUMS_EDECODE, "unpack result");
	if (rv != GORUMS_OK) {
		return;
	}
	if (has_tag0(m)) {
		protobuf_c_message_free_unpacked(m, NULL);
		return;
	}
	n   = gri_wire_msg_size(f->hdr.n_meta, f->meta, m);
	buf = malloc(n);
	check(buf != NULL, "malloc");
	rv = gri_wire_encode_msg(&f->hdr, f->meta, m, SIZE_MAX, buf, n,
	                         &written);
	check(rv == GORUMS_OK && written == n, "encode unpacked message");
	check(gri_wire_decode(buf, n, SIZE_MAX, &g) == GORUMS_OK,
	      "decode repacked frame");
	check(gri_wire_unpack(&gorums__test__echo__descriptor, NULL, g.payload,
	                      g.payload_len, &m2) == GORUMS_OK,
	      "unpack repacked message");
	e  = (Gorums__Test__Echo *) m;
	e2 = (Gorums__Test__Echo *) m2;
	check(strcmp(e->text, e2->text) == 0 && e->value == e2->value &&
	          e->blob.len == e2->blob.len &&
	          (e->blob.len == 0 ||
	           memcmp(e->blob.data, e2->blob.data, e->blob.len) == 0),
	      "repacked message");
	protobuf_c_message_free_unpacked(m2, NULL);
	protobuf_c_message_free_unpacked(m, NULL);
	free(buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	gri_wire_frame f;
	size_t         total = 0;
	gorums_err     rl, rv;

	rl = gri_wire_frame_len(data, size, FUZZ_MAX_FRAME, &total);
	rv = gri_wire_decode(data, size, FUZZ_MAX_FRAME, &f);
	check(rv == GORUMS_OK || rv == GORUMS_EPROTO || rv == GORUMS_EMSGSIZE,
	      "decode returns OK, EPROTO or EMSGSIZE");
	if (size < GRI_WIRE_LEN_SIZE) {
		check(rl == GORUMS_EAGAIN && rv == GORUMS_EPROTO, "short");
	} else if (rl != GORUMS_OK) {
		check(rl == rv, "frame_len and decode agree on errors");
	} else if (total != size) {
		check(rv == GORUMS_EPROTO, "length mismatch is EPROTO");
	}
	if (rv != GORUMS_OK) {
		return (0);
	}
	check(rl == GORUMS_OK && total == size, "frame_len of a good frame");
	check_views(&f, data, size);
	check_reencode(&f, data, size);
	check_echo(&f);
	return (0);
}
