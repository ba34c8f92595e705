/*
 * rawtcp.c: quorum calls on plain blocking TCP sockets. See rawtcp.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "examples/benchmark/bench.h"
#include "examples/benchmark/le.h"
#include "examples/benchmark/rawtcp.h"

#define HDR_LEN 12 /* length (4) and call id (8) */
#define MIN_BUF (64 * 1024)

typedef struct tcp_conn tcp_conn;

/* A server's accepted connection: its fd and its echo thread. */
struct tcp_conn {
	int       fd;
	size_t    cap; /* the read buffer's size */
	pthread_t tid;
	tcp_conn *next; /* srv->conns, under t->mtx */
};

typedef struct tcp_server {
	int       lfd;
	uint16_t  port;
	pthread_t accept_tid;
	rawtcp   *t;
} tcp_server;

struct rawtcp_caller {
	int           *fds;  /* one per server */
	uint8_t      **bufs; /* a read buffer per server */
	size_t        *have; /* bytes in bufs[i]: a partial frame at most */
	struct pollfd *pfds;
	uint8_t       *req; /* the request frame; the id is rewritten */
	uint64_t       id;  /* the current call's */
	rawtcp        *t;
	rawtcp_caller *next; /* t->callers, under t->mtx */
};

struct rawtcp {
	int         nservers;
	int         quorum;
	size_t      flen; /* the one frame length: HDR_LEN + payload */
	size_t      cap;  /* read buffers' size */
	tcp_server *servers;
	/* Guards the lists and closing; never held across I/O. */
	pthread_mutex_t mtx;
	bool            closing;
	tcp_conn       *conns;
	rawtcp_caller  *callers;
};

static _Noreturn void
die(const char *what)
{
	bench_fail(what, strerror(errno));
}

static void
set_nodelay(int fd)
{
	int one = 1;

	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0) {
		die("setsockopt TCP_NODELAY");
	}
}

/*
 * write_all writes n bytes; false if the peer is gone. MSG_NOSIGNAL: a
 * server still echoing the reply a caller no longer waits for (beyond
 * its quorum) may write to a connection the caller has closed, which
 * must end that echo thread, not raise SIGPIPE in the process.
 */
static bool
write_all(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR) {
			continue;
		}
		if (w <= 0) {
			return (false);
		}
		p += w;
		n -= (size_t) w;
	}
	return (true);
}

/*
 * frames_end returns how many of buf's n bytes are complete frames; a
 * length that does not fit the buffer is a broken peer.
 */
static size_t
frames_end(const uint8_t *buf, size_t n, size_t cap)
{
	size_t off = 0;

	while (n - off >= 4) {
		size_t len = (size_t) bench_get_le(buf + off, 4);

		if (len + 4 > cap) {
			bench_fail("rawtcp", "frame larger than the buffer");
		}
		if (n - off < 4 + len) {
			break;
		}
		off += 4 + len;
	}
	return (off);
}

/* ---- server ------------------------------------------------------------ */

/* conn_main echoes until the peer closes or rawtcp_close shuts fd down. */
static void *
conn_main(void *arg)
{
	tcp_conn *c    = arg;
	uint8_t  *buf  = malloc(c->cap);
	size_t    have = 0;

	if (buf == NULL) {
		bench_fail("rawtcp", "out of memory");
	}
	for (;;) {
		ssize_t r = read(c->fd, buf + have, c->cap - have);
		size_t  n;

		if (r < 0 && errno == EINTR) {
			continue;
		}
		if (r <= 0) {
			break;
		}
		have += (size_t) r;
		if ((n = frames_end(buf, have, c->cap)) == 0) {
			continue;
		}
		if (!write_all(c->fd, buf, n)) {
			break;
		}
		memmove(buf, buf + n, have - n);
		have -= n;
	}
	free(buf);
	return (NULL);
}

static void *
accept_main(void *arg)
{
	tcp_server *sv = arg;
	rawtcp     *t  = sv->t;

	for (;;) {
		int       fd = accept(sv->lfd, NULL, NULL);
		tcp_conn *c;

		if (fd < 0 && errno == EINTR) {
			continue;
		}
		if (fd < 0) {
			return (NULL); /* shut down by rawtcp_close */
		}
		set_nodelay(fd);
		if ((c = calloc(1, sizeof(*c))) == NULL) {
			bench_fail("rawtcp", "out of memory");
		}
		c->fd  = fd;
		c->cap = t->cap;
		pthread_mutex_lock(&t->mtx);
		if (t->closing) {
			pthread_mutex_unlock(&t->mtx);
			close(fd);
			free(c);
			return (NULL);
		}
		if (pthread_create(&c->tid, NULL, conn_main, c) != 0) {
			die("pthread_create");
		}
		c->next  = t->conns;
		t->conns = c;
		pthread_mutex_unlock(&t->mtx);
	}
}

static void
server_start(rawtcp *t, tcp_server *sv)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t          sl = sizeof(sa);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sv->t              = t;
	if ((sv->lfd = socket(AF_INET, SOCK_STREAM, 0)) < 0) {
		die("socket");
	}
	if (bind(sv->lfd, (struct sockaddr *) &sa, sizeof(sa)) != 0 ||
	    listen(sv->lfd, 128) != 0 ||
	    getsockname(sv->lfd, (struct sockaddr *) &sa, &sl) != 0) {
		die("listen");
	}
	sv->port = ntohs(sa.sin_port);
	if (pthread_create(&sv->accept_tid, NULL, accept_main, sv) != 0) {
		die("pthread_create");
	}
}

/* ---- client ------------------------------------------------------------ */

static int
connect_to(uint16_t port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	int                fd;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port        = htons(port);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
	    connect(fd, (struct sockaddr *) &sa, sizeof(sa)) != 0) {
		die("connect");
	}
	set_nodelay(fd);
	return (fd);
}

rawtcp_caller *
rawtcp_caller_open(rawtcp *t)
{
	rawtcp_caller *c = bench_xcalloc(1, sizeof(*c));
	int            n = t->nservers;

	c->t    = t;
	c->fds  = bench_xcalloc((size_t) n, sizeof(*c->fds));
	c->bufs = bench_xcalloc((size_t) n, sizeof(*c->bufs));
	c->have = bench_xcalloc((size_t) n, sizeof(*c->have));
	c->pfds = bench_xcalloc((size_t) n, sizeof(*c->pfds));
	c->req  = bench_xcalloc(1, t->flen);
	bench_put_le(c->req, t->flen - 4, 4);
	for (int i = 0; i < n; i++) {
		c->fds[i]  = connect_to(t->servers[i].port);
		c->bufs[i] = bench_xcalloc(1, t->cap);
	}
	pthread_mutex_lock(&t->mtx);
	c->next    = t->callers;
	t->callers = c;
	pthread_mutex_unlock(&t->mtx);
	return (c);
}

/* caller_read reads what server i sent; returns the replies to c->id. */
static int
caller_read(rawtcp_caller *c, int i)
{
	size_t   cap = c->t->cap;
	uint8_t *buf = c->bufs[i];
	ssize_t  r;
	size_t   end;
	int      got = 0;

	do {
		r = read(c->fds[i], buf + c->have[i], cap - c->have[i]);
	} while (r < 0 && errno == EINTR);
	if (r <= 0) {
		bench_fail("rawtcp", "a server closed its connection");
	}
	c->have[i] += (size_t) r;
	end = frames_end(buf, c->have[i], cap);
	for (size_t off = 0; off < end;
	     off += 4 + (size_t) bench_get_le(buf + off, 4)) {
		if (bench_get_le(buf + off + 4, 8) == c->id) {
			got++;
		}
	}
	memmove(buf, buf + end, c->have[i] - end);
	c->have[i] -= end;
	return (got);
}

void
rawtcp_call(rawtcp_caller *c)
{
	rawtcp *t   = c->t;
	int     got = 0;

	bench_put_le(c->req + 4, ++c->id, 8);
	for (int i = 0; i < t->nservers; i++) {
		if (!write_all(c->fds[i], c->req, t->flen)) {
			bench_fail("rawtcp", "a server closed its connection");
		}
	}
	while (got < t->quorum) {
		for (int i = 0; i < t->nservers; i++) {
			c->pfds[i] = (struct pollfd) {.fd     = c->fds[i],
			                              .events = POLLIN};
		}
		if (poll(c->pfds, (nfds_t) t->nservers, -1) < 0) {
			if (errno == EINTR) {
				continue;
			}
			die("poll");
		}
		for (int i = 0; i < t->nservers; i++) {
			if (c->pfds[i].revents != 0) {
				got += caller_read(c, i);
			}
		}
	}
}

static void
caller_free(rawtcp_caller *c)
{
	for (int i = 0; i < c->t->nservers; i++) {
		close(c->fds[i]);
		free(c->bufs[i]);
	}
	free(c->fds);
	free(c->bufs);
	free(c->have);
	free(c->pfds);
	free(c->req);
	free(c);
}

/* ---- open and close ---------------------------------------------------- */

rawtcp *
rawtcp_open(int nservers, int quorum, int payload)
{
	rawtcp *t = bench_xcalloc(1, sizeof(*t));

	t->nservers = nservers;
	t->quorum   = quorum;
	t->flen     = HDR_LEN + (size_t) payload;
	t->cap      = t->flen * 4 > MIN_BUF ? t->flen * 4 : MIN_BUF;
	t->servers  = bench_xcalloc((size_t) nservers, sizeof(*t->servers));
	pthread_mutex_init(&t->mtx, NULL);
	for (int i = 0; i < nservers; i++) {
		server_start(t, &t->servers[i]);
	}
	return (t);
}

void
rawtcp_close(rawtcp *t)
{
	tcp_conn      *c;
	rawtcp_caller *cl;

	/* Callers first: their servers see end-of-stream and end. */
	while ((cl = t->callers) != NULL) {
		t->callers = cl->next;
		caller_free(cl);
	}
	/* No new connection after this; shutdown ends a blocked accept. */
	pthread_mutex_lock(&t->mtx);
	t->closing = true;
	pthread_mutex_unlock(&t->mtx);
	for (int i = 0; i < t->nservers; i++) {
		(void) shutdown(t->servers[i].lfd, SHUT_RDWR);
		pthread_join(t->servers[i].accept_tid, NULL);
		close(t->servers[i].lfd);
	}
	while ((c = t->conns) != NULL) {
		t->conns = c->next;
		(void) shutdown(c->fd, SHUT_RDWR);
		pthread_join(c->tid, NULL);
		close(c->fd);
		free(c);
	}
	pthread_mutex_destroy(&t->mtx);
	free(t->servers);
	free(t);
}
