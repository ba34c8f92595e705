/*
 * wire.c: the frame codec. See wire.h for the layout.
 *
 * Decoding keeps one invariant: off <= len, and every read of n bytes at
 * off is preceded by a check that len - off >= n (a subtraction that
 * cannot wrap), so no length taken from the wire is ever added to a
 * pointer before it has been bounded by the bytes present.
 */
#include <string.h>

#include "src/wire/wire.h"

/* The size of a metadata entry's two length fields. */
#define WIRE_META_LENS_SIZE 6

static uint16_t
get16(const uint8_t *p)
{
	return ((uint16_t) (((unsigned) p[0] << 8) | (unsigned) p[1]));
}

static uint32_t
get32(const uint8_t *p)
{
	return (((uint32_t) p[0] << 24) | ((uint32_t) p[1] << 16) |
	        ((uint32_t) p[2] << 8) | (uint32_t) p[3]);
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t) (v >> 8);
	p[1] = (uint8_t) v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t) (v >> 24);
	p[1] = (uint8_t) (v >> 16);
	p[2] = (uint8_t) (v >> 8);
	p[3] = (uint8_t) v;
}

/* add_sat is a + b, or SIZE_MAX if that does not fit. */
static size_t
add_sat(size_t a, size_t b)
{
	return (b > SIZE_MAX - a ? SIZE_MAX : a + b);
}

bool
gri_wire_kind_valid(int kind)
{
	return (kind >= GRI_WIRE_REQUEST && kind <= GRI_WIRE_KIND_LAST);
}

gorums_err
gri_wire_frame_len(const uint8_t *buf, size_t avail, size_t max_frame,
                   size_t *total)
{
	uint32_t length;

	if (avail < GRI_WIRE_LEN_SIZE) {
		return (GORUMS_EAGAIN);
	}
	length = get32(buf);
	if (length < GRI_WIRE_HDR_SIZE - GRI_WIRE_LEN_SIZE) {
		return (GORUMS_EPROTO);
	}
	/* Written so that neither side can wrap, whatever size_t is. */
	if (max_frame < GRI_WIRE_LEN_SIZE ||
	    length > max_frame - GRI_WIRE_LEN_SIZE) {
		return (GORUMS_EMSGSIZE);
	}
	*total = (size_t) length + GRI_WIRE_LEN_SIZE;
	return (GORUMS_OK);
}

gorums_err
gri_wire_decode(const uint8_t *buf, size_t len, size_t max_frame,
                gri_wire_frame *f)
{
	size_t     total;
	size_t     off;
	gorums_err rv;

	if (f == NULL || (buf == NULL && len > 0)) {
		return (GORUMS_EINVAL);
	}
	if (buf == NULL) {
		return (GORUMS_EPROTO); /* zero bytes: truncated */
	}
	rv = gri_wire_frame_len(buf, len, max_frame, &total);
	if (rv == GORUMS_EAGAIN) {
		return (GORUMS_EPROTO); /* not even a length field */
	}
	if (rv != GORUMS_OK) {
		return (rv);
	}
	/* total >= GRI_WIRE_HDR_SIZE, so the fixed header is present. */
	if (total != len) {
		return (GORUMS_EPROTO);
	}
	if (buf[4] != GRI_WIRE_VERSION || !gri_wire_kind_valid(buf[5])) {
		return (GORUMS_EPROTO);
	}
	f->hdr.kind      = (gri_wire_kind) buf[5];
	f->hdr.n_meta    = get16(buf + 6);
	f->hdr.msg_id    = get32(buf + 8);
	f->hdr.method_id = get32(buf + 12);
	f->hdr.status    = get32(buf + 16);
	if (f->hdr.n_meta > GRI_WIRE_MAX_META) {
		return (GORUMS_EPROTO);
	}

	off = GRI_WIRE_HDR_SIZE;
	for (unsigned i = 0; i < f->hdr.n_meta; i++) {
		gri_wire_meta *m = &f->meta[i];

		if (len - off < WIRE_META_LENS_SIZE) {
			return (GORUMS_EPROTO);
		}
		m->key_len = get16(buf + off);
		off += 2;
		if (len - off < m->key_len + 4) {
			return (GORUMS_EPROTO);
		}
		m->key = (const char *) (buf + off);
		off += m->key_len;
		m->val_len = get32(buf + off);
		off += 4;
		if (len - off < m->val_len) {
			return (GORUMS_EPROTO);
		}
		m->val = buf + off;
		off += m->val_len;
	}
	f->payload     = buf + off;
	f->payload_len = len - off;
	f->len         = len;
	return (GORUMS_OK);
}

size_t
gri_wire_header_size(size_t n_meta, const gri_wire_meta *meta)
{
	size_t sz = GRI_WIRE_HDR_SIZE;

	if (n_meta > 0 && meta == NULL) {
		return (SIZE_MAX);
	}
	for (size_t i = 0; i < n_meta; i++) {
		sz = add_sat(sz, WIRE_META_LENS_SIZE);
		sz = add_sat(sz, meta[i].key_len);
		sz = add_sat(sz, meta[i].val_len);
	}
	return (sz);
}

/* check_args rejects what encoding cannot represent or read. */
static gorums_err
check_args(const gri_wire_hdr *h, const gri_wire_meta *meta)
{
	if (h == NULL || !gri_wire_kind_valid((int) h->kind) ||
	    h->n_meta > GRI_WIRE_MAX_META || (h->n_meta > 0 && meta == NULL)) {
		return (GORUMS_EINVAL);
	}
	for (unsigned i = 0; i < h->n_meta; i++) {
		const gri_wire_meta *m = &meta[i];

		if (m->key_len > UINT16_MAX ||
		    (m->key_len > 0 && m->key == NULL) ||
		    (m->val_len > 0 && m->val == NULL)) {
			return (GORUMS_EINVAL);
		}
	}
	return (GORUMS_OK);
}

/*
 * frame_fits checks a frame of hsz + payload_len bytes against max_frame
 * and the 32-bit length field.
 */
static bool
frame_fits(size_t hsz, size_t payload_len, size_t max_frame)
{
	size_t total = add_sat(hsz, payload_len);

	return (total != SIZE_MAX && total <= max_frame &&
	        total - GRI_WIRE_LEN_SIZE <= UINT32_MAX);
}

gorums_err
gri_wire_encode_header(const gri_wire_hdr *h, const gri_wire_meta *meta,
                       size_t payload_len, size_t max_frame, uint8_t *buf,
                       size_t cap, size_t *hdr_len)
{
	size_t     hsz;
	size_t     off;
	gorums_err rv;

	if ((rv = check_args(h, meta)) != GORUMS_OK) {
		return (rv);
	}
	if (buf == NULL && cap > 0) {
		return (GORUMS_EINVAL);
	}
	hsz = gri_wire_header_size(h->n_meta, meta);
	if (!frame_fits(hsz, payload_len, max_frame) || hsz > cap) {
		return (GORUMS_EMSGSIZE);
	}

	put32(buf, (uint32_t) (hsz + payload_len - GRI_WIRE_LEN_SIZE));
	buf[4] = GRI_WIRE_VERSION;
	buf[5] = (uint8_t) h->kind;
	put16(buf + 6, h->n_meta);
	put32(buf + 8, h->msg_id);
	put32(buf + 12, h->method_id);
	put32(buf + 16, h->status);
	off = GRI_WIRE_HDR_SIZE;
	for (unsigned i = 0; i < h->n_meta; i++) {
		const gri_wire_meta *m = &meta[i];

		put16(buf + off, (uint16_t) m->key_len);
		off += 2;
		if (m->key_len > 0) {
			memcpy(buf + off, m->key, m->key_len);
		}
		off += m->key_len;
		put32(buf + off, (uint32_t) m->val_len);
		off += 4;
		if (m->val_len > 0) {
			memcpy(buf + off, m->val, m->val_len);
		}
		off += m->val_len;
	}
	if (hdr_len != NULL) {
		*hdr_len = off;
	}
	return (GORUMS_OK);
}

size_t
gri_wire_msg_size(size_t n_meta, const gri_wire_meta *meta,
                  const ProtobufCMessage *msg)
{
	size_t payload_len = 0;

	if (msg != NULL) {
		payload_len = protobuf_c_message_get_packed_size(msg);
	}
	return (add_sat(gri_wire_header_size(n_meta, meta), payload_len));
}

gorums_err
gri_wire_encode_msg(const gri_wire_hdr *h, const gri_wire_meta *meta,
                    const ProtobufCMessage *msg, size_t max_frame,
                    uint8_t *buf, size_t cap, size_t *written)
{
	size_t     payload_len = 0;
	size_t     hsz;
	gorums_err rv;

	if ((rv = check_args(h, meta)) != GORUMS_OK) {
		return (rv);
	}
	if (msg != NULL) {
		payload_len = protobuf_c_message_get_packed_size(msg);
	}
	hsz = gri_wire_header_size(h->n_meta, meta);
	if (!frame_fits(hsz, payload_len, max_frame) ||
	    hsz + payload_len > cap) {
		return (GORUMS_EMSGSIZE);
	}
	rv = gri_wire_encode_header(h, meta, payload_len, max_frame, buf, cap,
	                            &hsz);
	if (rv != GORUMS_OK) {
		return (rv);
	}
	if (msg != NULL &&
	    protobuf_c_message_pack(msg, buf + hsz) != payload_len) {
		return (
		    GORUMS_EINTERNAL); /* protobuf-c disagrees with itself */
	}
	if (written != NULL) {
		*written = hsz + payload_len;
	}
	return (GORUMS_OK);
}

gorums_err
gri_wire_unpack(const ProtobufCMessageDescriptor *d, ProtobufCAllocator *alloc,
                const uint8_t *payload, size_t len, ProtobufCMessage **out)
{
	static const uint8_t empty[1];
	ProtobufCMessage    *m;

	if (d == NULL || out == NULL || (payload == NULL && len > 0)) {
		return (GORUMS_EINVAL);
	}
	if (payload == NULL) {
		payload = empty;
	}
	m = protobuf_c_message_unpack(d, alloc, len, payload);
	if (m == NULL) {
		return (GORUMS_EDECODE);
	}
	*out = m;
	return (GORUMS_OK);
}

void
gri_wire_set_msg_id(uint8_t *frame, uint32_t msg_id)
{
	put32(frame + 8, msg_id);
}
