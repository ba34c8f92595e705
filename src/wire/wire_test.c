/*
 * wire_test.c: the frame codec. Every decoded buffer is a heap copy of
 * exactly the bytes under test, so under --config=asan a read past the end
 * is caught, not just a wrong answer.
 */
#include <stdlib.h>
#include <string.h>

#include "src/wire/wire.h"
#include "tests/harness/harness.h"
#include "tests/proto/echo.pb-c.h"

#define MAXF GRI_WIRE_MAX_FRAME_DEFAULT

/* dup_exact returns a heap copy of buf[0 .. n) in a block of n bytes. */
static uint8_t *
dup_exact(const uint8_t *buf, size_t n)
{
	uint8_t *p = malloc(n > 0 ? n : 1);

	GTS_ASSERT(p != NULL);
	if (n > 0) {
		memcpy(p, buf, n);
	}
	return (p);
}

/* decode_copy decodes an exact-size heap copy of buf[0 .. n). */
static gorums_err
decode_copy(const uint8_t *buf, size_t n, size_t max_frame)
{
	gri_wire_frame f;
	uint8_t       *p  = dup_exact(buf, n);
	gorums_err     rv = gri_wire_decode(p, n, max_frame, &f);

	free(p);
	return (rv);
}

/* encode_alloc encodes a frame into a heap block of exactly its size. */
static uint8_t *
encode_alloc(const gri_wire_hdr *h, const gri_wire_meta *meta,
             const ProtobufCMessage *msg, size_t *len)
{
	size_t   n   = gri_wire_msg_size(h->n_meta, meta, msg);
	uint8_t *buf = malloc(n);
	size_t   written;

	GTS_ASSERT(buf != NULL);
	GTS_PASS(gri_wire_encode_msg(h, meta, msg, MAXF, buf, n, &written));
	GTS_EQ(written, n);
	*len = n;
	return (buf);
}

static void
check_meta_eq(const gri_wire_frame *f, const gri_wire_meta *meta)
{
	for (unsigned i = 0; i < f->hdr.n_meta; i++) {
		GTS_EQ(f->meta[i].key_len, meta[i].key_len);
		GTS_EQ(f->meta[i].val_len, meta[i].val_len);
		GTS_ASSERT(
		    f->meta[i].key_len == 0 ||
		    memcmp(f->meta[i].key, meta[i].key, meta[i].key_len) == 0);
		GTS_ASSERT(
		    f->meta[i].val_len == 0 ||
		    memcmp(f->meta[i].val, meta[i].val, meta[i].val_len) == 0);
	}
}

static void
check_hdr_eq(const gri_wire_hdr *a, const gri_wire_hdr *b)
{
	GTS_EQ(a->kind, b->kind);
	GTS_EQ(a->n_meta, b->n_meta);
	GTS_EQ(a->msg_id, b->msg_id);
	GTS_EQ(a->method_id, b->method_id);
	GTS_EQ(a->status, b->status);
}

/* The byte layout of wire.h, pinned down by hand. */
static void
test_wire_golden(void)
{
	static const uint8_t want[] = {
	    0x00, 0x00, 0x00, 0x1b,           /* length 27 */
	    0x01,                             /* version */
	    0x01,                             /* kind: request */
	    0x00, 0x01,                       /* n_meta */
	    0x81, 0x02, 0x03, 0x04,           /* msg_id, server bit set */
	    0x0a, 0x0b, 0x0c, 0x0d,           /* method_id */
	    0x00, 0x00, 0x00, 0x0f,           /* status */
	    0x00, 0x01, 'k',                  /* key */
	    0x00, 0x00, 0x00, 0x02, 'v', 'v', /* value */
	    0x10, 0x01,                       /* Echo{value: 1} */
	};
	gri_wire_hdr       h = {GRI_WIRE_REQUEST, 1, 0x81020304u, 0x0a0b0c0du,
	                        GORUMS_EPROTO};
	gri_wire_meta      meta = {"k", 1, (const uint8_t *) "vv", 2};
	Gorums__Test__Echo e    = GORUMS__TEST__ECHO__INIT;
	uint8_t            buf[64];
	size_t             n;
	gri_wire_frame     f;

	e.value = 1;
	GTS_PASS(gri_wire_encode_msg(&h, &meta, &e.base, MAXF, buf,
	                             sizeof(buf), &n));
	GTS_EQ(n, sizeof(want));
	GTS_ASSERT(memcmp(buf, want, n) == 0);
	GTS_EQ(gri_wire_header_size(1, &meta), n - 2);

	GTS_PASS(gri_wire_decode(want, sizeof(want), MAXF, &f));
	check_hdr_eq(&f.hdr, &h);
	check_meta_eq(&f, &meta);
	GTS_EQ(f.len, sizeof(want));
	GTS_EQ(f.payload_len, 2);
	GTS_ASSERT(f.payload == want + sizeof(want) - 2);
	GTS_ASSERT(f.meta[0].key == (const char *) want + 22);
}

/*
 * round_trip encodes a frame, decodes it and checks that everything came
 * back; the payload must unpack to want (an empty Echo if want is NULL).
 */
static void
round_trip(const gri_wire_hdr *h, const gri_wire_meta *meta,
           const Gorums__Test__Echo *msg)
{
	static const Gorums__Test__Echo empty = GORUMS__TEST__ECHO__INIT;
	const Gorums__Test__Echo       *want  = msg != NULL ? msg : &empty;
	gri_wire_frame                  f;
	size_t                          n;
	uint8_t                        *buf;
	ProtobufCMessage               *m;
	Gorums__Test__Echo             *e;

	buf = encode_alloc(h, meta, msg != NULL ? &msg->base : NULL, &n);
	GTS_PASS(gri_wire_decode(buf, n, MAXF, &f));
	check_hdr_eq(&f.hdr, h);
	check_meta_eq(&f, meta);
	GTS_EQ(f.len, n);
	GTS_EQ(f.payload - buf, gri_wire_header_size(h->n_meta, meta));
	GTS_EQ(f.payload_len,
	       msg != NULL ? gorums__test__echo__get_packed_size(msg) : 0);

	GTS_PASS(gri_wire_unpack(&gorums__test__echo__descriptor, NULL,
	                         f.payload, f.payload_len, &m));
	e = (Gorums__Test__Echo *) m;
	GTS_ASSERT(strcmp(e->text, want->text) == 0);
	GTS_EQ(e->value, want->value);
	GTS_EQ(e->blob.len, want->blob.len);
	GTS_ASSERT(e->blob.len == 0 ||
	           memcmp(e->blob.data, want->blob.data, e->blob.len) == 0);
	protobuf_c_message_free_unpacked(m, NULL);
	free(buf);
}

/*
 * Round trips of every kind, with 0, 1 and GRI_WIRE_MAX_META entries, and
 * with no message, an empty one (which packs to no bytes) and a large one.
 */
static void
test_wire_round_trip(void)
{
	static const size_t n_metas[] = {0, 1, GRI_WIRE_MAX_META};
	gri_wire_meta       meta[GRI_WIRE_MAX_META];
	char                keys[GRI_WIRE_MAX_META][16];
	uint8_t             vals[GRI_WIRE_MAX_META][40];
	uint8_t             blob[1000];
	Gorums__Test__Echo  empty = GORUMS__TEST__ECHO__INIT;
	Gorums__Test__Echo  full  = GORUMS__TEST__ECHO__INIT;
	Gorums__Test__Echo *msgs[3];

	for (int i = 0; i < GRI_WIRE_MAX_META; i++) {
		meta[i].key_len =
		    (size_t) snprintf(keys[i], sizeof(keys[i]), "key-%d", i);
		meta[i].key = keys[i];
		for (int j = 0; j < i; j++) {
			vals[i][j] = (uint8_t) (i * 7 + j);
		}
		/* Entry 0 has an empty value (and a NULL pointer). */
		meta[i].val     = i == 0 ? NULL : vals[i];
		meta[i].val_len = (size_t) i;
	}
	for (size_t i = 0; i < sizeof(blob); i++) {
		blob[i] = (uint8_t) (i * 31);
	}
	full.text      = "the quick brown fox";
	full.value     = -1234567890123LL;
	full.blob.data = blob;
	full.blob.len  = sizeof(blob);
	msgs[0]        = NULL;
	msgs[1]        = &empty;
	msgs[2]        = &full;

	for (int k = GRI_WIRE_REQUEST; k <= GRI_WIRE_KIND_LAST; k++) {
		for (size_t a = 0; a < 3; a++) {
			for (size_t b = 0; b < 3; b++) {
				gri_wire_hdr h = {
				    (gri_wire_kind) k, (uint16_t) n_metas[a],
				    (uint32_t) k * 1000u + (uint32_t) a,
				    (uint32_t) b + 7u, 0};

				if (k == GRI_WIRE_ERROR) {
					h.status = GORUMS_EHANDLER;
				}
				round_trip(&h, meta, msgs[b]);
			}
		}
	}
}

/*
 * The zero-copy path: the header is written, then the message packed right
 * behind it; or the header goes to a buffer of its own (a separate iov).
 */
static void
test_wire_encode_header(void)
{
	gri_wire_hdr  h       = {GRI_WIRE_REPLY, 2, 42, 9, 0};
	gri_wire_meta meta[2] = {
	    {"trace", 5, (const uint8_t *) "abc", 3},
	    {"", 0, NULL, 0},
	};
	Gorums__Test__Echo e = GORUMS__TEST__ECHO__INIT;
	uint8_t            a[128];
	uint8_t            b[128];
	uint8_t            hdr_only[64];
	size_t             plen, hlen, n;

	e.text = "zero copy";
	plen   = gorums__test__echo__get_packed_size(&e);
	GTS_PASS(
	    gri_wire_encode_header(&h, meta, plen, MAXF, a, sizeof(a), &hlen));
	GTS_EQ(hlen, gri_wire_header_size(2, meta));
	GTS_EQ(gorums__test__echo__pack(&e, a + hlen), plen);

	GTS_PASS(
	    gri_wire_encode_msg(&h, meta, &e.base, MAXF, b, sizeof(b), &n));
	GTS_EQ(n, hlen + plen);
	GTS_EQ(n, gri_wire_msg_size(2, meta, &e.base));
	GTS_ASSERT(memcmp(a, b, n) == 0);

	/* A buffer for the header alone is enough, one byte less is not. */
	GTS_PASS(gri_wire_encode_header(&h, meta, plen, MAXF, hdr_only, hlen,
	                                &hlen));
	GTS_ASSERT(memcmp(hdr_only, a, hlen) == 0);
	GTS_FAIL(gri_wire_encode_header(&h, meta, plen, MAXF, hdr_only,
	                                hlen - 1, NULL),
	         GORUMS_EMSGSIZE);
	/* encode_msg needs room for the whole frame. */
	GTS_FAIL(gri_wire_encode_msg(&h, meta, &e.base, MAXF, b, n - 1, NULL),
	         GORUMS_EMSGSIZE);
	GTS_FAIL(gri_wire_encode_msg(&h, meta, &e.base, MAXF, NULL, 0, NULL),
	         GORUMS_EMSGSIZE);
}

static void
test_wire_frame_len(void)
{
	uint8_t buf[8] = {0x00, 0x00, 0x01, 0x00, 1, 1, 0, 0};
	size_t  total  = 0;

	for (size_t i = 0; i < 4; i++) {
		GTS_FAIL(gri_wire_frame_len(buf, i, MAXF, &total),
		         GORUMS_EAGAIN);
	}
	GTS_PASS(gri_wire_frame_len(buf, 4, MAXF, &total));
	GTS_EQ(total, 0x104);
	GTS_PASS(gri_wire_frame_len(buf, sizeof(buf), 0x104, &total));
	GTS_FAIL(gri_wire_frame_len(buf, sizeof(buf), 0x103, &total),
	         GORUMS_EMSGSIZE);
	GTS_FAIL(gri_wire_frame_len(buf, sizeof(buf), 3, &total),
	         GORUMS_EMSGSIZE);

	/* Shorter than the fixed header. */
	buf[2] = 0;
	buf[3] = GRI_WIRE_HDR_SIZE - GRI_WIRE_LEN_SIZE - 1;
	GTS_FAIL(gri_wire_frame_len(buf, 4, MAXF, &total), GORUMS_EPROTO);
	buf[3] = 0;
	GTS_FAIL(gri_wire_frame_len(buf, 4, MAXF, &total), GORUMS_EPROTO);
	buf[3] = GRI_WIRE_HDR_SIZE - GRI_WIRE_LEN_SIZE;
	GTS_PASS(gri_wire_frame_len(buf, 4, MAXF, &total));
	GTS_EQ(total, GRI_WIRE_HDR_SIZE);

	/* The largest length field, on 4 bytes only. */
	memset(buf, 0xff, 4);
	GTS_FAIL(gri_wire_frame_len(buf, 4, MAXF, &total), GORUMS_EMSGSIZE);
	GTS_PASS(gri_wire_frame_len(buf, 4, SIZE_MAX, &total));
	GTS_ASSERT(total == (size_t) UINT32_MAX + 4);
}

/* A frame with metadata and a payload, to break in many ways. */
static uint8_t *
sample_frame(size_t *len, size_t *hsz)
{
	static gri_wire_meta meta[3] = {
	    {"a", 1, (const uint8_t *) "1", 1},
	    {"bb", 2, NULL, 0},
	    {"", 0, (const uint8_t *) "xyz", 3},
	};
	gri_wire_hdr       h = {GRI_WIRE_STREAM_ITEM, 3, 77, 5, 0};
	Gorums__Test__Echo e = GORUMS__TEST__ECHO__INIT;

	e.text  = "payload";
	e.value = 99;
	*hsz    = gri_wire_header_size(3, meta);
	return (encode_alloc(&h, meta, &e.base, len));
}

/*
 * Every prefix of a valid frame fails cleanly. With the length field left
 * alone that is a length mismatch; with the length field rewritten to fit
 * the prefix, the metadata walk must notice, and prefixes that cut only
 * the payload are valid frames with a shorter payload.
 */
static void
test_wire_truncated(void)
{
	size_t   len, hsz, total;
	uint8_t *full = sample_frame(&len, &hsz);

	GTS_PASS(decode_copy(full, len, MAXF));
	for (size_t i = 0; i < len; i++) {
		GTS_FAIL(decode_copy(full, i, MAXF), GORUMS_EPROTO);
		if (i < 4) {
			GTS_FAIL(gri_wire_frame_len(full, i, MAXF, &total),
			         GORUMS_EAGAIN);
		} else {
			GTS_PASS(gri_wire_frame_len(full, i, MAXF, &total));
			GTS_EQ(total, len);
		}
	}
	GTS_FAIL(gri_wire_decode(NULL, 0, MAXF, &(gri_wire_frame) {0}),
	         GORUMS_EPROTO);

	for (size_t i = GRI_WIRE_HDR_SIZE; i < len; i++) {
		uint8_t       *p = dup_exact(full, i);
		gri_wire_frame f;

		p[0] = 0;
		p[1] = 0;
		p[2] = (uint8_t) ((i - 4) >> 8);
		p[3] = (uint8_t) (i - 4);
		if (i < hsz) {
			GTS_FAIL(gri_wire_decode(p, i, MAXF, &f),
			         GORUMS_EPROTO);
		} else {
			GTS_PASS(gri_wire_decode(p, i, MAXF, &f));
			GTS_EQ(f.payload_len, i - hsz);
		}
		free(p);
	}
	free(full);
}

/* The length field must describe the buffer exactly. */
static void
test_wire_length_mismatch(void)
{
	size_t   len, hsz;
	uint8_t *full = sample_frame(&len, &hsz);
	uint8_t *p    = malloc(len + 1);

	GTS_ASSERT(p != NULL);
	/* Announces one byte more than there is. */
	memcpy(p, full, len);
	p[3]++;
	GTS_FAIL(decode_copy(p, len, MAXF), GORUMS_EPROTO);
	/* Announces one byte less: a trailing byte. */
	p[3] -= 2;
	GTS_FAIL(decode_copy(p, len, MAXF), GORUMS_EPROTO);
	/* The right length, but an extra byte after the frame. */
	memcpy(p, full, len);
	p[len] = 0;
	GTS_FAIL(decode_copy(p, len + 1, MAXF), GORUMS_EPROTO);
	/* Too short for the fixed header (and the buffer agrees). */
	memcpy(p, full, GRI_WIRE_HDR_SIZE);
	p[3] = GRI_WIRE_HDR_SIZE - GRI_WIRE_LEN_SIZE - 1;
	GTS_FAIL(decode_copy(p, GRI_WIRE_HDR_SIZE - 1, MAXF), GORUMS_EPROTO);
	free(p);
	free(full);
}

/* max_frame is enforced on encode and decode, at the exact boundary. */
static void
test_wire_max_frame(void)
{
	size_t   len, hsz, n;
	uint8_t *full                    = sample_frame(&len, &hsz);
	uint8_t  huge[GRI_WIRE_HDR_SIZE] = {
	     0xff, 0xff, 0xff, 0xff, GRI_WIRE_VERSION, GRI_WIRE_REQUEST};
	gri_wire_hdr       h = {GRI_WIRE_REQUEST, 0, 1, 1, 0};
	Gorums__Test__Echo e = GORUMS__TEST__ECHO__INIT;
	uint8_t           *big;

	GTS_PASS(decode_copy(full, len, len));
	GTS_FAIL(decode_copy(full, len, len - 1), GORUMS_EMSGSIZE);
	GTS_FAIL(decode_copy(full, len, 0), GORUMS_EMSGSIZE);
	/* 4 GiB announced, 20 bytes present: too big, never read. */
	GTS_FAIL(decode_copy(huge, sizeof(huge), MAXF), GORUMS_EMSGSIZE);
	GTS_FAIL(decode_copy(huge, sizeof(huge), SIZE_MAX), GORUMS_EPROTO);
	free(full);

	/* Encode: a frame of exactly max_frame passes, one byte less fails. */
	big = malloc(MAXF + 64);
	GTS_ASSERT(big != NULL);
	e.blob.len  = MAXF - GRI_WIRE_HDR_SIZE - 5; /* tag + 4-byte length */
	e.blob.data = calloc(1, e.blob.len);
	GTS_ASSERT(e.blob.data != NULL);
	GTS_EQ(gri_wire_msg_size(0, NULL, &e.base), MAXF);
	GTS_PASS(
	    gri_wire_encode_msg(&h, NULL, &e.base, MAXF, big, MAXF + 64, &n));
	GTS_EQ(n, MAXF);
	GTS_PASS(decode_copy(big, n, MAXF));
	GTS_FAIL(gri_wire_encode_msg(&h, NULL, &e.base, MAXF - 1, big,
	                             MAXF + 64, &n),
	         GORUMS_EMSGSIZE);
	GTS_FAIL(gri_wire_encode_header(&h, NULL, e.blob.len + 5, MAXF - 1,
	                                big, MAXF, NULL),
	         GORUMS_EMSGSIZE);
	GTS_PASS(gri_wire_encode_header(&h, NULL, e.blob.len + 5, MAXF, big,
	                                MAXF, NULL));
	/* Beyond what a 32-bit length field can say, whatever max_frame. */
	GTS_FAIL(gri_wire_encode_header(&h, NULL, (size_t) UINT32_MAX,
	                                SIZE_MAX, big, MAXF, NULL),
	         GORUMS_EMSGSIZE);
	GTS_FAIL(gri_wire_encode_header(&h, NULL, SIZE_MAX - 3, SIZE_MAX, big,
	                                MAXF, NULL),
	         GORUMS_EMSGSIZE);
	free(e.blob.data);
	free(big);
}

static void
test_wire_bad_version(void)
{
	static const uint8_t versions[] = {0, 2, 0x7f, 0xff};
	size_t               len, hsz;
	uint8_t             *full = sample_frame(&len, &hsz);

	for (size_t i = 0; i < sizeof(versions); i++) {
		full[4] = versions[i];
		GTS_FAIL(decode_copy(full, len, MAXF), GORUMS_EPROTO);
	}
	full[4] = GRI_WIRE_VERSION;
	GTS_PASS(decode_copy(full, len, MAXF));
	free(full);
}

static void
test_wire_bad_kind(void)
{
	static const uint8_t kinds[] = {0, 8, 9, 0x80, 0xff};
	size_t               len, hsz;
	uint8_t             *full = sample_frame(&len, &hsz);
	uint8_t              buf[64];
	gri_wire_hdr         h = {GRI_WIRE_REQUEST, 0, 1, 1, 0};

	for (size_t i = 0; i < sizeof(kinds); i++) {
		full[5] = kinds[i];
		GTS_FAIL(decode_copy(full, len, MAXF), GORUMS_EPROTO);
		GTS_ASSERT(!gri_wire_kind_valid(kinds[i]));
		h.kind = (gri_wire_kind) kinds[i];
		GTS_FAIL(gri_wire_encode_msg(&h, NULL, NULL, MAXF, buf,
		                             sizeof(buf), NULL),
		         GORUMS_EINVAL);
		GTS_FAIL(gri_wire_encode_header(&h, NULL, 0, MAXF, buf,
		                                sizeof(buf), NULL),
		         GORUMS_EINVAL);
	}
	for (int k = GRI_WIRE_REQUEST; k <= GRI_WIRE_KIND_LAST; k++) {
		GTS_ASSERT(gri_wire_kind_valid(k));
		full[5] = (uint8_t) k;
		GTS_PASS(decode_copy(full, len, MAXF));
	}
	GTS_ASSERT(!gri_wire_kind_valid(-1));
	free(full);
}

/* Builds a 20-byte fixed header for n_meta entries and length len - 4. */
static void
raw_header(uint8_t *p, size_t len, uint16_t n_meta)
{
	memset(p, 0, GRI_WIRE_HDR_SIZE);
	p[0] = (uint8_t) ((len - 4) >> 24);
	p[1] = (uint8_t) ((len - 4) >> 16);
	p[2] = (uint8_t) ((len - 4) >> 8);
	p[3] = (uint8_t) (len - 4);
	p[4] = GRI_WIRE_VERSION;
	p[5] = GRI_WIRE_ONEWAY;
	p[6] = (uint8_t) (n_meta >> 8);
	p[7] = (uint8_t) n_meta;
}

/* Metadata whose lengths point past the end of the frame. */
static void
test_wire_meta_past_end(void)
{
	uint8_t        p[64];
	gri_wire_frame f;

	/* One entry announced, not even its key length present. */
	raw_header(p, 23, 1);
	p[20] = 0;
	p[21] = 1;
	p[22] = 'k';
	GTS_FAIL(decode_copy(p, 23, MAXF), GORUMS_EPROTO);

	/* key_len 0xffff with three bytes left. */
	raw_header(p, 29, 1);
	memset(p + 20, 0, 9);
	p[20] = 0xff;
	p[21] = 0xff;
	GTS_FAIL(decode_copy(p, 29, MAXF), GORUMS_EPROTO);

	/* val_len 0xffffffff: must not wrap the bounds check. */
	raw_header(p, 30, 1);
	p[20] = 0;
	p[21] = 1;
	p[22] = 'k';
	memset(p + 23, 0xff, 4);
	memset(p + 27, 'v', 3);
	GTS_FAIL(decode_copy(p, 30, MAXF), GORUMS_EPROTO);

	/* val_len one more than what is left. */
	p[23] = 0;
	p[24] = 0;
	p[25] = 0;
	p[26] = 4;
	GTS_FAIL(decode_copy(p, 30, MAXF), GORUMS_EPROTO);
	/* ... and exactly what is left: a valid frame, empty payload. */
	p[26] = 3;
	GTS_PASS(gri_wire_decode(p, 30, MAXF, &f));
	GTS_EQ(f.meta[0].val_len, 3);
	GTS_EQ(f.payload_len, 0);
	GTS_ASSERT(f.payload == p + 30);

	/* Two entries announced, one present. */
	p[7] = 2;
	GTS_FAIL(decode_copy(p, 30, MAXF), GORUMS_EPROTO);
}

/* At most GRI_WIRE_MAX_META entries, even when all of them are there. */
static void
test_wire_too_many_meta(void)
{
	uint8_t        p[GRI_WIRE_HDR_SIZE + 6 * (GRI_WIRE_MAX_META + 1)];
	gri_wire_meta  meta[GRI_WIRE_MAX_META + 1];
	gri_wire_hdr   h = {GRI_WIRE_REQUEST, GRI_WIRE_MAX_META + 1, 1, 1, 0};
	gri_wire_frame f;
	uint8_t        buf[512];

	/* 33 empty entries, 6 bytes each. */
	raw_header(p, sizeof(p), GRI_WIRE_MAX_META + 1);
	memset(p + GRI_WIRE_HDR_SIZE, 0, sizeof(p) - GRI_WIRE_HDR_SIZE);
	GTS_FAIL(decode_copy(p, sizeof(p), MAXF), GORUMS_EPROTO);
	p[6] = 0xff;
	p[7] = 0xff;
	GTS_FAIL(decode_copy(p, sizeof(p), MAXF), GORUMS_EPROTO);
	/* 32 of them, the rest as payload, is fine. */
	p[6] = 0;
	p[7] = GRI_WIRE_MAX_META;
	GTS_PASS(gri_wire_decode(p, sizeof(p), MAXF, &f));
	GTS_EQ(f.hdr.n_meta, GRI_WIRE_MAX_META);
	GTS_EQ(f.payload_len, 6);

	memset(meta, 0, sizeof(meta));
	GTS_FAIL(
	    gri_wire_encode_header(&h, meta, 0, MAXF, buf, sizeof(buf), NULL),
	    GORUMS_EINVAL);
	h.n_meta = GRI_WIRE_MAX_META;
	GTS_PASS(
	    gri_wire_encode_header(&h, meta, 0, MAXF, buf, sizeof(buf), NULL));
}

/* A well-formed frame whose payload is not an Echo. */
static void
test_wire_bad_payload(void)
{
	static const struct {
		const char *bytes;
		size_t      len;
	} bad[] = {
	    {"\x0a\x05"
	     "ab",
	     4}, /* string longer than the rest */
	    {"\x10\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01",
	     12},                            /* varint */
	    {"\x00\x01", 2},                 /* field number 0 */
	    {"\x0f", 1},                     /* wire type 7 */
	    {"\x10", 1},                     /* tag without its value */
	    {"\x1a\xff\xff\xff\xff\x0f", 6}, /* blob of 4 GiB */
	};
	gri_wire_hdr      h = {GRI_WIRE_REPLY, 0, 3, 4, 0};
	ProtobufCMessage *m = NULL;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint8_t        buf[64];
		size_t         hlen;
		gri_wire_frame f;

		GTS_PASS(gri_wire_encode_header(&h, NULL, bad[i].len, MAXF,
		                                buf, sizeof(buf), &hlen));
		memcpy(buf + hlen, bad[i].bytes, bad[i].len);
		GTS_PASS(gri_wire_decode(buf, hlen + bad[i].len, MAXF, &f));
		GTS_EQ(f.payload_len, bad[i].len);
		uint8_t *payload = dup_exact(f.payload, f.payload_len);
		GTS_FAIL(gri_wire_unpack(&gorums__test__echo__descriptor, NULL,
		                         payload, f.payload_len, &m),
		         GORUMS_EDECODE);
		free(payload);
	}
	GTS_ASSERT(m == NULL);

	/* An empty payload is the default message. */
	GTS_PASS(gri_wire_unpack(&gorums__test__echo__descriptor, NULL, NULL,
	                         0, &m));
	GTS_EQ(((Gorums__Test__Echo *) m)->value, 0);
	protobuf_c_message_free_unpacked(m, NULL);
	GTS_FAIL(gri_wire_unpack(NULL, NULL, NULL, 0, &m), GORUMS_EINVAL);
	GTS_FAIL(gri_wire_unpack(&gorums__test__echo__descriptor, NULL, NULL,
	                         1, &m),
	         GORUMS_EINVAL);
	GTS_FAIL(gri_wire_unpack(&gorums__test__echo__descriptor, NULL, NULL,
	                         0, NULL),
	         GORUMS_EINVAL);
}

/* The server-initiated id bit, and every other bit, survive. */
static void
test_wire_server_id(void)
{
	static const uint32_t ids[] = {GRI_WIRE_ID_SERVER,
	                               GRI_WIRE_ID_SERVER | 5, 0xffffffffu,
	                               0x7fffffffu, 0};
	uint8_t               buf[GRI_WIRE_HDR_SIZE];
	gri_wire_frame        f;

	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		gri_wire_hdr h = {GRI_WIRE_STREAM_END, 0, ids[i], ~ids[i],
		                  (uint32_t) GORUMS_ETRANERR | 123u};
		size_t       n;

		GTS_PASS(gri_wire_encode_msg(&h, NULL, NULL, MAXF, buf,
		                             sizeof(buf), &n));
		GTS_EQ(n, GRI_WIRE_HDR_SIZE);
		GTS_EQ(buf[8] & 0x80,
		       (ids[i] & GRI_WIRE_ID_SERVER) ? 0x80 : 0);
		GTS_PASS(gri_wire_decode(buf, n, MAXF, &f));
		check_hdr_eq(&f.hdr, &h);
		GTS_EQ(f.hdr.msg_id & GRI_WIRE_ID_SERVER,
		       ids[i] & GRI_WIRE_ID_SERVER);
		GTS_EQ(f.payload_len, 0);
		/* Rewriting the id in place changes that and nothing else. */
		gri_wire_set_msg_id(buf, ~ids[i]);
		GTS_PASS(gri_wire_decode(buf, n, MAXF, &f));
		GTS_EQ(f.hdr.msg_id, ~ids[i]);
		GTS_EQ(f.hdr.method_id, ~ids[i]);
		GTS_EQ(f.hdr.kind, GRI_WIRE_STREAM_END);
	}
}

/* What encoding cannot represent is refused, not truncated. */
static void
test_wire_encode_invalid(void)
{
	gri_wire_hdr  h = {GRI_WIRE_REQUEST, 1, 1, 1, 0};
	gri_wire_meta m = {NULL, 0, NULL, 0};
	size_t        n;
	char         *key = malloc(UINT16_MAX + 1);
	uint8_t      *buf = malloc(UINT16_MAX + 64);

	GTS_ASSERT(key != NULL && buf != NULL);
	memset(key, 'k', UINT16_MAX + 1);
	GTS_FAIL(gri_wire_encode_header(NULL, &m, 0, MAXF, buf, 64, NULL),
	         GORUMS_EINVAL);
	GTS_FAIL(gri_wire_encode_header(&h, NULL, 0, MAXF, buf, 64, NULL),
	         GORUMS_EINVAL);
	m.key_len = 1;
	GTS_FAIL(gri_wire_encode_header(&h, &m, 0, MAXF, buf, 64, NULL),
	         GORUMS_EINVAL);
	m.key     = key;
	m.val_len = 1;
	GTS_FAIL(gri_wire_encode_header(&h, &m, 0, MAXF, buf, 64, NULL),
	         GORUMS_EINVAL);
	m.val_len = 0;

	/* The longest key fits; one byte more does not. */
	m.key_len = UINT16_MAX + 1;
	GTS_FAIL(
	    gri_wire_encode_msg(&h, &m, NULL, MAXF, buf, UINT16_MAX + 64, &n),
	    GORUMS_EINVAL);
	m.key_len = UINT16_MAX;
	GTS_PASS(
	    gri_wire_encode_msg(&h, &m, NULL, MAXF, buf, UINT16_MAX + 64, &n));
	GTS_EQ(n, GRI_WIRE_HDR_SIZE + 6 + UINT16_MAX);
	gri_wire_frame f;
	GTS_PASS(decode_copy(buf, n, MAXF));
	GTS_PASS(gri_wire_decode(buf, n, MAXF, &f));
	GTS_EQ(f.meta[0].key_len, UINT16_MAX);
	GTS_ASSERT(memcmp(f.meta[0].key, key, UINT16_MAX) == 0);
	GTS_EQ(gri_wire_header_size(1, NULL), SIZE_MAX);
	free(key);
	free(buf);
}

/* Decode then encode gives back the same bytes. */
static void
test_wire_reencode(void)
{
	size_t         len, hsz, hlen;
	uint8_t       *full = sample_frame(&len, &hsz);
	uint8_t       *again;
	gri_wire_frame f;

	GTS_PASS(gri_wire_decode(full, len, MAXF, &f));
	again = malloc(len);
	GTS_ASSERT(again != NULL);
	GTS_PASS(gri_wire_encode_header(&f.hdr, f.meta, f.payload_len, MAXF,
	                                again, len, &hlen));
	GTS_EQ(hlen, hsz);
	memcpy(again + hlen, f.payload, f.payload_len);
	GTS_ASSERT(memcmp(again, full, len) == 0);
	free(again);
	free(full);
}

gts_test TEST_LIST[] = {
    {"wire golden bytes", test_wire_golden},
    {"wire round trip", test_wire_round_trip},
    {"wire encode header", test_wire_encode_header},
    {"wire frame len", test_wire_frame_len},
    {"wire truncated", test_wire_truncated},
    {"wire length mismatch", test_wire_length_mismatch},
    {"wire max frame", test_wire_max_frame},
    {"wire bad version", test_wire_bad_version},
    {"wire bad kind", test_wire_bad_kind},
    {"wire meta past end", test_wire_meta_past_end},
    {"wire too many meta", test_wire_too_many_meta},
    {"wire bad payload", test_wire_bad_payload},
    {"wire server id", test_wire_server_id},
    {"wire encode invalid", test_wire_encode_invalid},
    {"wire reencode", test_wire_reencode},
    {NULL, NULL},
};
