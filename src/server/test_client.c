/*
 * test_client.c: a raw, blocking gorums client for tests. See
 * test_client.h.
 */
#include "src/server/test_client.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "src/errors_nng.h"
#include "tests/proto/echo.pb-c.h"

#define TC_SEND_TIMEOUT_MS 5000

gorums_err
tc_dial(tc_client *c, const char *url, int timeout_ms)
{
	nng_stream_dialer *d;
	int                rv;

	memset(c, 0, sizeof(*c));
	if ((rv = nng_aio_alloc(&c->aio, NULL, NULL)) != 0) {
		return (gri_err_from_nng(rv));
	}
	if ((rv = nng_stream_dialer_alloc(&d, url)) != 0) {
		nng_aio_free(c->aio);
		c->aio = NULL;
		return (gri_err_from_nng(rv));
	}
	/* As the server does: no Nagle (ENOTSUP for ipc). */
	(void) nng_stream_dialer_set_bool(d, NNG_OPT_TCP_NODELAY, true);
	nng_aio_set_timeout(c->aio, timeout_ms);
	nng_stream_dialer_dial(d, c->aio);
	nng_aio_wait(c->aio);
	if ((rv = nng_aio_result(c->aio)) == 0) {
		c->stream = nng_aio_get_output(c->aio, 0);
	}
	nng_stream_dialer_free(d);
	if (rv != 0) {
		nng_aio_free(c->aio);
		c->aio = NULL;
	}
	return (gri_err_from_nng(rv));
}

gorums_err
tc_attach(tc_client *c, nng_stream *stream)
{
	int rv;

	memset(c, 0, sizeof(*c));
	if ((rv = nng_aio_alloc(&c->aio, NULL, NULL)) != 0) {
		nng_stream_free(stream);
		return (gri_err_from_nng(rv));
	}
	c->stream = stream;
	return (GORUMS_OK);
}

void
tc_close(tc_client *c)
{
	if (c->stream != NULL) {
		nng_stream_close(c->stream);
		nng_stream_free(c->stream);
	}
	nng_aio_free(c->aio);
	free(c->rx);
	free(c->frame);
	memset(c, 0, sizeof(*c));
}

gorums_err
tc_send_raw(tc_client *c, const void *buf, size_t len, int timeout_ms)
{
	const uint8_t *p = buf;
	size_t         off;
	int            rv;

	for (off = 0; off < len;) {
		nng_iov iov = {.iov_buf = (void *) (p + off),
		               .iov_len = len - off};
		nng_aio_set_iov(c->aio, 1, &iov);
		nng_aio_set_timeout(c->aio, timeout_ms);
		nng_stream_send(c->stream, c->aio);
		nng_aio_wait(c->aio);
		if ((rv = nng_aio_result(c->aio)) != 0) {
			return (gri_err_from_nng(rv));
		}
		off += nng_aio_count(c->aio);
	}
	return (GORUMS_OK);
}

gorums_err
tc_send(tc_client *c, gri_wire_kind kind, uint32_t msg_id, uint32_t method,
        const ProtobufCMessage *msg)
{
	gri_wire_hdr h = {.kind = kind, .msg_id = msg_id, .method_id = method};
	size_t       size = gri_wire_msg_size(0, NULL, msg);
	uint8_t     *buf  = malloc(size);
	size_t       n;
	gorums_err   rv;

	if (buf == NULL) {
		return (GORUMS_ENOMEM);
	}
	rv = gri_wire_encode_msg(&h, NULL, msg, GRI_WIRE_MAX_FRAME_DEFAULT,
	                         buf, size, &n);
	if (rv == GORUMS_OK) {
		rv = tc_send_raw(c, buf, n, TC_SEND_TIMEOUT_MS);
	}
	free(buf);
	return (rv);
}

gorums_err
tc_send_payload(tc_client *c, gri_wire_kind kind, uint32_t msg_id,
                uint32_t method, const void *payload, size_t len)
{
	gri_wire_hdr h = {.kind = kind, .msg_id = msg_id, .method_id = method};
	uint8_t     *buf = malloc(GRI_WIRE_HDR_SIZE + len);
	size_t       n;
	gorums_err   rv;

	if (buf == NULL) {
		return (GORUMS_ENOMEM);
	}
	rv = gri_wire_encode_header(&h, NULL, len, GRI_WIRE_MAX_FRAME_DEFAULT,
	                            buf, GRI_WIRE_HDR_SIZE, &n);
	if (rv == GORUMS_OK) {
		if (len > 0) {
			memcpy(buf + n, payload, len);
		}
		rv = tc_send_raw(c, buf, n + len, TC_SEND_TIMEOUT_MS);
	}
	free(buf);
	return (rv);
}

gorums_err
tc_send_echo(tc_client *c, gri_wire_kind kind, uint32_t msg_id,
             uint32_t method, const char *text, int64_t value)
{
	Gorums__Test__Echo e = GORUMS__TEST__ECHO__INIT;

	e.text  = (char *) text; /* protobuf-c wants char *; only read */
	e.value = value;
	return (tc_send(c, kind, msg_id, method, &e.base));
}

gorums_err
tc_recv(tc_client *c, gri_wire_frame *f, int timeout_ms)
{
	size_t     total;
	gorums_err rv;
	int        nrv;

	for (;;) {
		rv = gri_wire_frame_len(c->rx, c->rx_len,
		                        GRI_WIRE_MAX_FRAME_DEFAULT, &total);
		if (rv == GORUMS_OK && c->rx_len >= total) {
			break;
		}
		if (rv != GORUMS_OK && rv != GORUMS_EAGAIN) {
			return (rv);
		}
		if (c->rx_cap - c->rx_len < 4096) {
			size_t   n  = c->rx_cap > 0 ? c->rx_cap * 2 : 65536;
			uint8_t *nb = realloc(c->rx, n);
			if (nb == NULL) {
				return (GORUMS_ENOMEM);
			}
			c->rx     = nb;
			c->rx_cap = n;
		}
		nng_iov iov = {.iov_buf = c->rx + c->rx_len,
		               .iov_len = c->rx_cap - c->rx_len};
		nng_aio_set_iov(c->aio, 1, &iov);
		nng_aio_set_timeout(c->aio, timeout_ms);
		nng_stream_recv(c->stream, c->aio);
		nng_aio_wait(c->aio);
		if ((nrv = nng_aio_result(c->aio)) != 0) {
			return (gri_err_from_nng(nrv));
		}
		c->rx_len += nng_aio_count(c->aio);
	}
	/* Move the frame out so that its views survive the next reads. */
	if (c->frame_cap < total) {
		uint8_t *nb = realloc(c->frame, total);
		if (nb == NULL) {
			return (GORUMS_ENOMEM);
		}
		c->frame     = nb;
		c->frame_cap = total;
	}
	memcpy(c->frame, c->rx, total);
	memmove(c->rx, c->rx + total, c->rx_len - total);
	c->rx_len -= total;
	return (
	    gri_wire_decode(c->frame, total, GRI_WIRE_MAX_FRAME_DEFAULT, f));
}

bool
tc_closed(tc_client *c, int timeout_ms)
{
	gri_wire_frame f;
	gorums_err     rv = tc_recv(c, &f, timeout_ms);

	return (rv != GORUMS_OK && rv != GORUMS_ETIMEDOUT);
}

int
tc_count_threads(void)
{
	DIR           *d = opendir("/proc/self/task");
	struct dirent *e;
	int            n = 0;

	if (d == NULL) {
		return (-1);
	}
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] != '.') {
			n++;
		}
	}
	closedir(d);
	return (n);
}

void
tc_sleep_ms(int ms)
{
	struct timespec ts = {.tv_sec  = ms / 1000,
	                      .tv_nsec = (long) (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) != 0) { }
}
