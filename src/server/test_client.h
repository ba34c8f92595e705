/*
 * test_client.h: a raw, blocking gorums client for server and connection
 * tests.
 *
 * It dials with nng_stream_dialer and speaks frames with the codec
 * (src/wire), with no runtime behind it, so server tests depend on nothing
 * of the client side. Every wait has a deadline. One thread per client.
 */
#ifndef GRI_TEST_CLIENT_H
#define GRI_TEST_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <nng/nng.h>
#include <protobuf-c/protobuf-c.h>

#include "gorums/errors.h"
#include "src/wire/wire.h"

typedef struct tc_client {
	nng_stream *stream;
	nng_aio    *aio;
	uint8_t    *rx;     /* received bytes, rx[0 .. rx_len) */
	size_t      rx_len; /* */
	size_t      rx_cap;
	uint8_t    *frame; /* the last frame returned by tc_recv */
	size_t      frame_cap;
} tc_client;

/* tc_dial connects c to url within timeout_ms. */
gorums_err tc_dial(tc_client *c, const char *url, int timeout_ms);

/*
 * tc_attach makes c a client on stream, which it owns from now on (a
 * stream accepted by the test itself, for a peer that plays server).
 */
gorums_err tc_attach(tc_client *c, nng_stream *stream);

/* tc_close closes and frees c's stream and buffers. */
void tc_close(tc_client *c);

/* tc_send_raw writes len bytes (any bytes at all) within timeout_ms. */
gorums_err tc_send_raw(tc_client *c, const void *buf, size_t len,
                       int timeout_ms);

/* tc_send encodes a frame with msg as its payload (NULL: empty) and sends
 * it. */
gorums_err tc_send(tc_client *c, gri_wire_kind kind, uint32_t msg_id,
                   uint32_t method, const ProtobufCMessage *msg);

/* tc_send_payload sends a frame whose payload is the given bytes. */
gorums_err tc_send_payload(tc_client *c, gri_wire_kind kind, uint32_t msg_id,
                           uint32_t method, const void *payload, size_t len);

/* tc_send_echo sends a gorums.test.Echo with text and value, the message
 * the server and connection tests talk in. */
gorums_err tc_send_echo(tc_client *c, gri_wire_kind kind, uint32_t msg_id,
                        uint32_t method, const char *text, int64_t value);

/*
 * tc_recv waits up to timeout_ms for the next frame and decodes it into
 * *f, whose views stay valid until the next tc_recv. GORUMS_ETIMEDOUT if
 * none came; an nng error (GORUMS_ECLOSED, GORUMS_ECONNSHUT, ...) if the
 * stream ended.
 */
gorums_err tc_recv(tc_client *c, gri_wire_frame *f, int timeout_ms);

/*
 * tc_closed waits up to timeout_ms for the next frame and is true if the
 * stream ended instead: tc_recv failed with anything but a timeout. A frame
 * or silence is false, so a peer that is merely slow is not taken for one
 * that closed.
 */
bool tc_closed(tc_client *c, int timeout_ms);

/* tc_count_threads is the number of threads of this process. */
int tc_count_threads(void);

/* tc_sleep_ms sleeps; for handlers that simulate work. */
void tc_sleep_ms(int ms);

#endif /* GRI_TEST_CLIENT_H */
