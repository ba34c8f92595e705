/*
 * link.h: frames over one nng byte stream, on behalf of one owner actor.
 *
 * A link is the only place where nng moves our bytes. It keeps one receive
 * in flight at all times, cuts the byte stream into frames (by their length
 * prefix, capped at max_frame) and posts each frame to the owner actor as a
 * gri_link_msg. Writes are queued by the owner into a pending buffer and
 * go out when the owner flushes (its actor's flush behaviour, at the end
 * of a run of messages), so one run's frames leave in one write; while a
 * write is in flight, later frames accumulate and go out together in the
 * next single write (coalescing), which the send callback starts itself.
 * Over tcp and ipc a write is tried on the flushing thread first, and
 * nng's threads are involved only when the socket is full (link.c,
 * "Inline writes").
 *
 * Threads. nng runs the aio callbacks on its own threads; they only cut
 * frames, copy them into messages and post them, or start the next write
 * (nng callbacks only enqueue). Every other function is for the owner
 * actor's behaviours.
 *
 * Events to the owner (gri_link_msg.hdr.id = base_id + offset):
 *   GRI_LINK_FRAME  one complete frame in data[0..len) (not yet decoded)
 *   GRI_LINK_SENT   everything queued is written, after gri_link_want_idle
 *   GRI_LINK_ERROR  the stream failed (err), reading or writing: the owner
 *                   closes the link
 * Each carries the link's epoch, so events of a link that the owner has
 * already replaced can be recognised and ignored.
 */
#ifndef GRI_LINK_H
#define GRI_LINK_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <nng/nng.h>

#include "gorums/errors.h"
#include "src/actor.h"
#include "src/pool.h"

enum {
	GRI_LINK_FRAME = 0,
	GRI_LINK_SENT  = 1,
	GRI_LINK_ERROR = 2,
	GRI_LINK_NEVENTS,
};

/*
 * gri_link_msg is an event. GRI_LINK_FRAME carries one or more whole
 * frames back to back in data[0..len), in the order they arrived (small
 * frames travel together, so that a burst costs few messages); walk them
 * with gri_link_msg_frame. Their lengths are checked; their contents are
 * not decoded.
 */
typedef struct gri_link_msg {
	gri_msg  hdr;
	uint64_t epoch; /* the link's epoch */
	int      err;   /* GRI_LINK_ERROR: why (a gorums_err) */
	size_t   len;   /* GRI_LINK_FRAME: bytes in data */
	uint8_t  data[];
} gri_link_msg;

/* GRI_LINK_BATCH_MAX is the most bytes of frames one GRI_LINK_FRAME
 * message gathers (a larger frame travels alone): what fills the pools'
 * largest size class, so that a batch is never a malloc. */
#define GRI_LINK_BATCH_MAX (GRI_POOL_MAX_SIZE - sizeof(gri_link_msg))

/*
 * gri_link_msg_frame returns the frame of m at *off and its length in
 * *len, and moves *off past it; NULL when no frame is left. Start with
 * *off = 0.
 */
const uint8_t *gri_link_msg_frame(const gri_link_msg *m, size_t *off,
                                  size_t *len);

typedef struct gri_link gri_link;

/*
 * gri_url_is_tls tells whether url names a TLS transport (tls+tcp://, in
 * any case), whose dialers and listeners need an nng_tls_config.
 */
bool gri_url_is_tls(const char *url);

/*
 * gri_stream_peer writes stream's remote address into buf for messages:
 * "127.0.0.1:4321", "[::1]:4321", "ipc:///path", or "unknown".
 */
void gri_stream_peer(nng_stream *stream, char *buf, size_t len);

/*
 * gri_link_alloc takes ownership of stream (also on failure, when it is
 * closed and freed), holds a reference to owner while it lives, and starts
 * reading. Events are posted with ids base_id + GRI_LINK_*.
 */
gorums_err gri_link_alloc(gri_link **lp, nng_stream *stream, gri_actor *owner,
                          uint32_t base_id, uint64_t epoch, size_t max_frame);

/* gri_link_epoch returns the epoch given at alloc. */
uint64_t gri_link_epoch(const gri_link *l);

/*
 * gri_link_reserve returns space for a frame of len bytes at the end of the
 * pending write buffer; the owner encodes into it and must then call
 * gri_link_commit (the buffer is locked against the send callback in
 * between, so encode promptly and do nothing else). NULL if out of memory,
 * the link is closed or its writes failed; then nothing is locked.
 */
uint8_t *gri_link_reserve(gri_link *l, size_t len);

/*
 * gri_link_commit queues len of the reserved bytes (0 to drop them). They
 * are written at the next gri_link_flush.
 */
void gri_link_commit(gri_link *l, size_t len);

/* gri_link_send copies a whole frame and commits it. */
gorums_err gri_link_send(gri_link *l, const uint8_t *frame, size_t len);

/*
 * gri_link_flush starts writing what was committed, unless a write is in
 * flight (its callback then takes everything committed meanwhile). The
 * owner calls it from its actor's flush behaviour.
 */
void gri_link_flush(gri_link *l);

/* gri_link_sent returns the result a GRI_LINK_SENT event carries. */
gorums_err gri_link_sent(gri_link *l, gri_link_msg *m);

/*
 * gri_link_count_into makes l keep its queued bytes (gri_link_queued)
 * added into *total as well, until it is freed (when they leave it): a
 * count that outlives links, for an owner whose producers check it
 * without touching the link. Owner only, before the first send.
 */
void gri_link_count_into(gri_link *l, atomic_size_t *total);

/*
 * gri_link_queued is the number of bytes committed but not yet handed to
 * the stream (waiting behind the write in flight): the send queue. Takes
 * no lock; to the owner (the only one adding) it is exact or an
 * overestimate by what the writer takes meanwhile.
 */
size_t gri_link_queued(gri_link *l);

/* gri_link_idle is true when nothing is queued or in flight. */
bool gri_link_idle(gri_link *l);

/*
 * gri_link_want_idle asks for one GRI_LINK_SENT event once nothing is
 * queued or in flight (at once if that is so now), e.g. to close after
 * the last reply is written.
 */
void gri_link_want_idle(gri_link *l);

/*
 * gri_link_close closes the stream: operations in flight are aborted and
 * report through events the owner will see with this link's epoch. Does
 * not wait. Idempotent.
 */
void gri_link_close(gri_link *l);

/*
 * gri_link_free closes the link, waits for its nng callbacks to return
 * (they only enqueue, so this is short) and frees it, dropping the
 * reference to the owner. From the owner's behaviour or any thread but an
 * nng callback.
 */
void gri_link_free(gri_link *l);

#endif /* GRI_LINK_H */
