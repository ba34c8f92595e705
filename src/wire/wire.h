/*
 * wire.h: the frame codec of gorums-c (internal).
 *
 * Every message between a gorums client and server travels in one frame
 * over an nng byte stream. All integers are big-endian:
 *
 *   offset size
 *        0    4  length     bytes that follow this field (the rest of the
 *                           frame), so the whole frame is 4 + length bytes
 *        4    1  version    GRI_WIRE_VERSION (1)
 *        5    1  kind       gri_wire_kind; any other value is invalid
 *        6    2  n_meta     metadata entries, at most GRI_WIRE_MAX_META
 *        8    4  msg_id     message id; GRI_WIRE_ID_SERVER (top bit) is
 *                           reserved for ids the server initiates
 *       12    4  method_id  method id
 *       16    4  status     0, or a gorums_err (error frames)
 *       20       n_meta x { u16 key_len, key bytes, u32 val_len, val bytes }
 *                payload    the protobuf-encoded message: every byte up to
 *                           the end of the frame (possibly none)
 *
 * Bounds: a frame is at least GRI_WIRE_HDR_SIZE (20) bytes and at most the
 * caller's max_frame (GRI_WIRE_MAX_FRAME_DEFAULT unless configured);
 * max_frame counts the whole frame, length field included. Decoding checks
 * every field against the bytes actually present and never reads outside
 * the buffer it is given. There is exactly one encoding of each frame, so
 * decode then encode gives back the same bytes.
 *
 * Ownership: decoding copies nothing. A gri_wire_frame holds views (meta
 * keys and values, the payload) that point into the caller's buffer; they
 * are valid while that buffer is, and the caller keeps owning it.
 * Encoding writes into a buffer the caller provides. No function here
 * allocates, except gri_wire_unpack (the message it returns).
 *
 * Threads: the functions keep no state; any thread may call them on
 * buffers and frames no other thread is writing.
 */
#ifndef GRI_WIRE_H
#define GRI_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "gorums/errors.h"

/* GRI_WIRE_VERSION is the version byte of every frame this code writes. */
#define GRI_WIRE_VERSION 1

/* GRI_WIRE_LEN_SIZE is the size of the leading length field. */
#define GRI_WIRE_LEN_SIZE 4

/*
 * GRI_WIRE_HDR_SIZE is the size of the fixed part of a frame, length field
 * included: the smallest possible frame (no metadata, empty payload).
 */
#define GRI_WIRE_HDR_SIZE 20

/* GRI_WIRE_MAX_META is the most metadata entries a frame may carry. */
#define GRI_WIRE_MAX_META 32

/* GRI_WIRE_MAX_FRAME_DEFAULT is the default cap on a frame's total size. */
#define GRI_WIRE_MAX_FRAME_DEFAULT (4u << 20)

/*
 * GRI_WIRE_ID_SERVER is the msg_id bit reserved for server-initiated ids.
 * The codec carries it like any other bit; giving it meaning is up to the
 * layers above.
 */
#define GRI_WIRE_ID_SERVER 0x80000000u

/* gri_wire_kind is what a frame is. */
typedef enum gri_wire_kind {
	GRI_WIRE_REQUEST     = 1, /* a two-way call; one reply or error */
	GRI_WIRE_REPLY       = 2, /* the answer to a request */
	GRI_WIRE_ERROR       = 3, /* a failed request; status says why */
	GRI_WIRE_ONEWAY      = 4, /* no answer expected (unicast, multicast) */
	GRI_WIRE_STREAM_ITEM = 5, /* one of several replies (correctable) */
	GRI_WIRE_STREAM_END  = 6, /* the last of a stream of replies */
	GRI_WIRE_HELLO       = 7, /* a client's first frame on a stream: its
	                           * connection metadata; no answer */
} gri_wire_kind;

/* GRI_WIRE_KIND_LAST is the highest valid kind. */
#define GRI_WIRE_KIND_LAST GRI_WIRE_HELLO

/*
 * gri_wire_hdr is the fixed part of a frame, without its length and
 * version. n_meta is the number of metadata entries that go with it;
 * status is 0, or a gorums_err (GORUMS_ETRANERR codes included) in error
 * frames.
 */
typedef struct gri_wire_hdr {
	gri_wire_kind kind;
	uint16_t      n_meta;
	uint32_t      msg_id;
	uint32_t      method_id;
	uint32_t      status;
} gri_wire_hdr;

/*
 * gri_wire_meta is one metadata entry: a key of at most 65535 bytes and a
 * value. Both are byte strings, not NUL-terminated; either may be empty
 * (and its pointer then NULL). After decoding they point into the frame's
 * buffer.
 */
typedef struct gri_wire_meta {
	const char    *key;
	size_t         key_len;
	const uint8_t *val;
	size_t         val_len;
} gri_wire_meta;

/*
 * gri_wire_frame is a decoded frame: the header, hdr.n_meta metadata views
 * in meta[0 .. hdr.n_meta), and the payload, all pointing into the buffer
 * that was decoded. len is the frame's total size. Entries of meta at or
 * past hdr.n_meta are unspecified.
 */
typedef struct gri_wire_frame {
	gri_wire_hdr   hdr;
	gri_wire_meta  meta[GRI_WIRE_MAX_META];
	const uint8_t *payload;
	size_t         payload_len;
	size_t         len;
} gri_wire_frame;

/* gri_wire_kind_valid says whether kind is one of gri_wire_kind. */
bool gri_wire_kind_valid(int kind);

/*
 * gri_wire_frame_len reads the length field at the start of buf, of which
 * avail bytes have arrived, and sets *total to the size of the whole frame
 * (4 + length), which a reader should gather before calling
 * gri_wire_decode. It looks at the first 4 bytes only.
 * Returns GORUMS_EAGAIN if fewer than 4 bytes are available, GORUMS_EPROTO
 * if the length is too short for the fixed header, and GORUMS_EMSGSIZE if
 * the frame would exceed max_frame.
 */
gorums_err gri_wire_frame_len(const uint8_t *buf, size_t avail,
                              size_t max_frame, size_t *total);

/*
 * gri_wire_decode decodes the one frame that fills buf[0 .. len) exactly,
 * into the views of *f (see gri_wire_frame for ownership).
 * Returns GORUMS_EMSGSIZE if the length field announces more than
 * max_frame bytes, and GORUMS_EPROTO if the frame is malformed: fewer
 * bytes than announced or more, a fixed header that does not fit, an
 * unknown version or kind, more than GRI_WIRE_MAX_META entries, or
 * metadata running past the end; GORUMS_EINVAL if f is NULL, or buf is
 * NULL with len > 0. It never reads outside the buffer. On failure the
 * contents of *f are unspecified.
 */
gorums_err gri_wire_decode(const uint8_t *buf, size_t len, size_t max_frame,
                           gri_wire_frame *f);

/*
 * gri_wire_header_size is the size of the fixed header plus the n_meta
 * entries of meta as encoded: the offset at which the payload starts.
 * It saturates at SIZE_MAX.
 */
size_t gri_wire_header_size(size_t n_meta, const gri_wire_meta *meta);

/*
 * gri_wire_encode_header writes the length field, the fixed header (from
 * *h, version GRI_WIRE_VERSION) and h->n_meta entries of meta into buf, for
 * a frame whose payload will be payload_len bytes, and sets *hdr_len to the
 * bytes written (gri_wire_header_size). buf needs room for the header only:
 * the caller packs the payload directly after it, in the same buffer (no
 * copy), or sends it as a separate piece (a second iov).
 * hdr_len may be NULL.
 * Returns GORUMS_EINVAL for a NULL h, a bad kind, more than
 * GRI_WIRE_MAX_META entries, meta NULL with entries, a key longer than
 * 65535 bytes, or a NULL key or value pointer with a nonzero length; and
 * GORUMS_EMSGSIZE if the frame would exceed max_frame (or 4 + UINT32_MAX
 * bytes, what the length field can say) or the header would exceed cap.
 * On failure buf may have been written to.
 */
gorums_err gri_wire_encode_header(const gri_wire_hdr  *h,
                                  const gri_wire_meta *meta,
                                  size_t payload_len, size_t max_frame,
                                  uint8_t *buf, size_t cap, size_t *hdr_len);

/*
 * gri_wire_msg_size is the size of the frame that gri_wire_encode_msg
 * would write for these arguments (msg may be NULL: empty payload).
 */
size_t gri_wire_msg_size(size_t n_meta, const gri_wire_meta *meta,
                         const ProtobufCMessage *msg);

/*
 * gri_wire_encode_msg writes a whole frame into buf: the header as
 * gri_wire_encode_header does, then msg packed in place after it with
 * protobuf_c_message_pack (msg may be NULL for an empty payload). It sets
 * *written (which may be NULL) to the frame's size, which is
 * gri_wire_msg_size. Returns as gri_wire_encode_header does,
 * and GORUMS_EMSGSIZE also if the whole frame exceeds cap. The caller
 * keeps owning msg and buf.
 */
gorums_err gri_wire_encode_msg(const gri_wire_hdr     *h,
                               const gri_wire_meta    *meta,
                               const ProtobufCMessage *msg, size_t max_frame,
                               uint8_t *buf, size_t cap, size_t *written);

/*
 * gri_wire_set_msg_id rewrites the message id of an encoded frame in
 * place: a request encoded once is sent to several nodes, each under its
 * own id. frame must hold at least GRI_WIRE_HDR_SIZE bytes.
 */
void gri_wire_set_msg_id(uint8_t *frame, uint32_t msg_id);

/*
 * gri_wire_unpack decodes payload[0 .. len) as a message of type d with
 * protobuf_c_message_unpack, allocating through alloc (NULL: malloc). On
 * success *out is the message, which the caller owns and frees with
 * protobuf_c_message_free_unpacked(*out, alloc); it copies what it needs,
 * so payload may go away afterwards. Returns GORUMS_EDECODE if the bytes
 * are not a valid message of that type (protobuf-c also fails this way
 * when it runs out of memory), GORUMS_EINVAL for NULL arguments.
 */
gorums_err gri_wire_unpack(const ProtobufCMessageDescriptor *d,
                           ProtobufCAllocator *alloc, const uint8_t *payload,
                           size_t len, ProtobufCMessage **out);

#endif /* GRI_WIRE_H */
