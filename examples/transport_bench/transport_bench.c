/*
 * transport_bench: round-trip latency of gorums RPC and throughput of
 * gorums multicast, beside the floors they are judged against, measured in
 * the same run: a raw nng_stream ping-pong and a raw blocking-TCP
 * ping-pong (plain sockets, one thread per side). Above them, what the
 * machine charges for the two things every hand-off is made of: a system
 * call, and waking a thread (a pipe ping-pong between two threads on one
 * vCPU, and across two).
 *
 *   transport_bench [-n ROUNDS] [-payload BYTES] [-quick]
 *
 * Every latency row is ROUNDS sequential round trips after a warm-up;
 * percentiles are exact (all samples sorted). "csw/op" is voluntary plus
 * involuntary context switches of the whole process per operation
 * (getrusage), the cost of thread hand-offs on the path.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <nng/nng.h>

#include "examples/benchkit/benchkit.h"
#include "examples/transport_bench/echo.pb-c.h"
#include "gorums/call.h"
#include "gorums/manager.h"
#include "gorums/server.h"
#include "tests/harness/latch.h"

static int    rounds  = 20000;
static size_t payload = 16;

typedef struct result {
	double p50_us, p99_us, mean_us, csw_per_op;
} result;

static result
summarise(uint64_t *s, int n, long csw0)
{
	bk_summary sum = bk_summarize(s, n);
	result     r;

	r.p50_us     = sum.p50_ns / 1e3;
	r.p99_us     = sum.p99_ns / 1e3;
	r.mean_us    = sum.mean_ns / 1e3;
	r.csw_per_op = (double) (bk_csw() - csw0) / n;
	return (r);
}

static _Noreturn void
die(const char *what, int rv)
{
	fprintf(stderr, "transport_bench: %s: %d\n", what, rv);
	exit(1);
}

/* ---- raw blocking TCP ping-pong -------------------------------------- */

static int
full_io(int fd, void *buf, size_t len, bool send)
{
	size_t done = 0;

	while (done < len) {
		ssize_t k = send ? write(fd, (char *) buf + done, len - done)
		                 : read(fd, (char *) buf + done, len - done);
		if (k <= 0) {
			return (-1);
		}
		done += (size_t) k;
	}
	return (0);
}

static void *
tcp_server(void *arg)
{
	int   lfd = *(int *) arg;
	int   fd  = accept(lfd, NULL, NULL);
	int   one = 1;
	char *buf = malloc(payload);

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	while (full_io(fd, buf, payload, false) == 0 &&
	       full_io(fd, buf, payload, true) == 0) { }
	close(fd);
	free(buf);
	return (NULL);
}

static result
bench_tcp(void)
{
	struct sockaddr_in sa  = {.sin_family = AF_INET};
	socklen_t          sl  = sizeof(sa);
	int                lfd = socket(AF_INET, SOCK_STREAM, 0), fd, one = 1;
	pthread_t          t;
	uint64_t          *s   = malloc(sizeof(*s) * (size_t) rounds);
	char              *buf = calloc(1, payload);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(lfd, (struct sockaddr *) &sa, sizeof(sa)) != 0 ||
	    listen(lfd, 1) != 0 ||
	    getsockname(lfd, (struct sockaddr *) &sa, &sl) != 0) {
		die("tcp listen", -1);
	}
	pthread_create(&t, NULL, tcp_server, &lfd);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) != 0) {
		die("tcp connect", -1);
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	for (int i = 0; i < rounds / 10; i++) {
		full_io(fd, buf, payload, true);
		full_io(fd, buf, payload, false);
	}
	long c0 = bk_csw();
	for (int i = 0; i < rounds; i++) {
		uint64_t t0 = gts_now_ns();
		full_io(fd, buf, payload, true);
		full_io(fd, buf, payload, false);
		s[i] = gts_now_ns() - t0;
	}
	result r = summarise(s, rounds, c0);
	close(fd);
	pthread_join(t, NULL);
	close(lfd);
	free(s);
	free(buf);
	return (r);
}

/* ---- the machine: a system call, a thread wake-up --------------------- */

/* bench_syscall_ns is the mean cost of the cheapest system call. */
static double
bench_syscall_ns(void)
{
	int      n  = rounds * 10;
	uint64_t t0 = gts_now_ns();

	for (int i = 0; i < n; i++) {
		(void) syscall(SYS_getppid);
	}
	return ((double) (gts_now_ns() - t0) / n);
}

typedef struct pipe_peer {
	int fd_in, fd_out, cpu;
} pipe_peer;

static void
pin_to(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	(void) pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

static void *
pipe_echo(void *arg)
{
	pipe_peer *p = arg;
	char       c;

	pin_to(p->cpu);
	while (full_io(p->fd_in, &c, 1, false) == 0 &&
	       full_io(p->fd_out, &c, 1, true) == 0) { }
	return (NULL);
}

/*
 * bench_pipe: round trips of one byte through two pipes between this
 * thread, pinned to vCPU 0, and one pinned to `cpu`: two blocking reads,
 * so two thread wake-ups per round trip, and nothing else.
 */
static result
bench_pipe(int cpu)
{
	int       to[2], from[2];
	pthread_t t;
	cpu_set_t saved;
	pipe_peer peer;
	char      c = 'x';
	uint64_t *s = malloc(sizeof(*s) * (size_t) rounds);

	if (s == NULL || pipe(to) != 0 || pipe(from) != 0) {
		die("pipe", -1);
	}
	peer = (pipe_peer) {.fd_in = to[0], .fd_out = from[1], .cpu = cpu};
	(void) pthread_getaffinity_np(pthread_self(), sizeof(saved), &saved);
	pin_to(0);
	pthread_create(&t, NULL, pipe_echo, &peer);
	for (int i = 0; i < rounds / 10; i++) {
		full_io(to[1], &c, 1, true);
		full_io(from[0], &c, 1, false);
	}
	long c0 = bk_csw();
	for (int i = 0; i < rounds; i++) {
		uint64_t t0 = gts_now_ns();
		full_io(to[1], &c, 1, true);
		full_io(from[0], &c, 1, false);
		s[i] = gts_now_ns() - t0;
	}
	result r = summarise(s, rounds, c0);
	close(to[1]); /* the echo thread reads end-of-file and returns */
	pthread_join(t, NULL);
	close(to[0]);
	close(from[0]);
	close(from[1]);
	(void) pthread_setaffinity_np(pthread_self(), sizeof(saved), &saved);
	free(s);
	return (r);
}

/* ---- raw nng_stream ping-pong ---------------------------------------- */

/* The server echoes with an aio callback chain, as an nng user would. */
typedef struct nng_echo {
	nng_stream *s;
	nng_aio    *aio;
	char       *buf;
	size_t      off;
	bool        sending;
} nng_echo;

static void
nng_echo_cb(void *arg)
{
	nng_echo *e = arg;
	nng_iov   iov;

	if (nng_aio_result(e->aio) != 0) {
		return;
	}
	e->off += nng_aio_count(e->aio);
	if (e->off == payload) {
		e->off     = 0;
		e->sending = !e->sending;
	}
	iov.iov_buf = e->buf + e->off;
	iov.iov_len = payload - e->off;
	nng_aio_set_iov(e->aio, 1, &iov);
	if (e->sending) {
		nng_stream_send(e->s, e->aio);
	} else {
		nng_stream_recv(e->s, e->aio);
	}
}

static void
nng_full_io(nng_stream *s, nng_aio *aio, char *buf, bool send)
{
	size_t off = 0;

	while (off < payload) {
		nng_iov iov = {.iov_buf = buf + off, .iov_len = payload - off};
		nng_aio_set_iov(aio, 1, &iov);
		if (send) {
			nng_stream_send(s, aio);
		} else {
			nng_stream_recv(s, aio);
		}
		nng_aio_wait(aio);
		if (nng_aio_result(aio) != 0) {
			die("nng io", nng_aio_result(aio));
		}
		off += nng_aio_count(aio);
	}
}

static result
bench_nng(void)
{
	nng_stream_listener *l;
	nng_stream_dialer   *d;
	nng_aio             *la, *da;
	nng_echo             e = {0};
	int                  port, rv;
	char                 url[64];
	uint64_t            *s   = malloc(sizeof(*s) * (size_t) rounds);
	char                *buf = calloc(1, payload);

	if ((rv = nng_stream_listener_alloc(&l, "tcp://127.0.0.1:0")) != 0 ||
	    (rv = nng_stream_listener_listen(l)) != 0 ||
	    (rv = nng_stream_listener_get_int(l, NNG_OPT_TCP_BOUND_PORT,
	                                      &port)) != 0) {
		die("nng listen", rv);
	}
	snprintf(url, sizeof(url), "tcp://127.0.0.1:%d", port);
	nng_stream_dialer_alloc(&d, url);
	nng_aio_alloc(&la, NULL, NULL);
	nng_aio_alloc(&da, NULL, NULL);
	nng_stream_listener_accept(l, la);
	nng_stream_dialer_dial(d, da);
	nng_aio_wait(la);
	nng_aio_wait(da);
	if (nng_aio_result(la) != 0 || nng_aio_result(da) != 0) {
		die("nng connect", nng_aio_result(da));
	}
	e.s   = nng_aio_get_output(la, 0);
	e.buf = calloc(1, payload);
	nng_aio_alloc(&e.aio, nng_echo_cb, &e);
	nng_iov iov = {.iov_buf = e.buf, .iov_len = payload};
	nng_aio_set_iov(e.aio, 1, &iov);
	nng_stream_recv(e.s, e.aio);

	nng_stream *c = nng_aio_get_output(da, 0);
	for (int i = 0; i < rounds / 10; i++) {
		nng_full_io(c, da, buf, true);
		nng_full_io(c, da, buf, false);
	}
	long c0 = bk_csw();
	for (int i = 0; i < rounds; i++) {
		uint64_t t0 = gts_now_ns();
		nng_full_io(c, da, buf, true);
		nng_full_io(c, da, buf, false);
		s[i] = gts_now_ns() - t0;
	}
	result r = summarise(s, rounds, c0);
	nng_stream_close(c);
	nng_stream_close(e.s);
	nng_aio_stop(e.aio);
	nng_aio_free(e.aio);
	nng_aio_free(la);
	nng_aio_free(da);
	nng_stream_free(c);
	nng_stream_free(e.s);
	nng_stream_dialer_free(d);
	nng_stream_listener_free(l);
	free(e.buf);
	free(s);
	free(buf);
	return (r);
}

/* ---- gorums ---------------------------------------------------------- */

enum { M_ECHO = 1, M_COUNT = 2 };

static atomic_long counted;

static gorums_err
h_echo(gorums_ctx *ctx, const ProtobufCMessage *req, void *arg)
{
	(void) arg;
	return (gorums_ctx_reply(ctx, req));
}

static gorums_err
h_count(gorums_ctx *ctx, const ProtobufCMessage *req, void *arg)
{
	(void) ctx;
	(void) req;
	(void) arg;
	atomic_fetch_add_explicit(&counted, 1, memory_order_relaxed);
	return (GORUMS_OK);
}

typedef struct cluster {
	gorums_server *srv[3];
	gorums_mgr    *mgr;
	gorums_node   *nodes[3];
	int            n;
} cluster;

/* cluster_up starts n servers (inline_handlers: see gorums_server_opts)
 * and a manager with a node for each. */
static void
cluster_up(cluster *c, int n, bool inline_handlers)
{
	gorums_server_opts so;
	char               url[256];
	int                rv;

	gorums_server_opts_init(&so);
	so.inline_handlers = inline_handlers;
	c->n               = n;
	for (int i = 0; i < n; i++) {
		if ((rv = gorums_server_open(&c->srv[i], &so)) != 0 ||
		    (rv = gorums_server_register(
		         c->srv[i], M_ECHO, &gorums__bench__echo__descriptor,
		         h_echo, NULL)) != 0 ||
		    (rv = gorums_server_register(
		         c->srv[i], M_COUNT, &gorums__bench__echo__descriptor,
		         h_count, NULL)) != 0 ||
		    (rv = gorums_server_listen(c->srv[i],
		                               "tcp://127.0.0.1:0")) != 0 ||
		    (rv = gorums_server_url(c->srv[i], 0, url, sizeof(url))) !=
		        0) {
			die("server", rv);
		}
		if (i == 0 && (rv = gorums_mgr_open(&c->mgr, NULL)) != 0) {
			die("manager", rv);
		}
		if ((rv = gorums_mgr_add_node(c->mgr, url, &c->nodes[i])) !=
		    0) {
			die("add node", rv);
		}
	}
}

static void
cluster_down(cluster *c)
{
	gorums_mgr_close(c->mgr);
	for (int i = 0; i < c->n; i++) {
		gorums_server_close(c->srv[i]);
	}
}

static result
bench_rpc(int nservers, bool inline_handlers)
{
	cluster             c;
	Gorums__Bench__Echo req  = GORUMS__BENCH__ECHO__INIT;
	uint64_t           *s    = malloc(sizeof(*s) * (size_t) rounds);
	uint8_t            *blob = calloc(1, payload);
	int                 rv;

	req.payload.data = blob;
	req.payload.len  = payload;
	cluster_up(&c, nservers, inline_handlers);
	for (int i = -rounds / 10; i < rounds; i++) {
		static long       c0;
		ProtobufCMessage *rep;
		if (i == 0) {
			c0 = bk_csw();
		}
		uint64_t t0 = gts_now_ns();
		rv = gorums_rpc(c.nodes[(i + rounds) % nservers], M_ECHO,
		                &req.base, &gorums__bench__echo__descriptor,
		                5000, &rep);
		if (rv != 0) {
			die("rpc", rv);
		}
		protobuf_c_message_free_unpacked(rep, NULL);
		if (i >= 0) {
			s[i] = gts_now_ns() - t0;
		}
		if (i == rounds - 1) {
			result r = summarise(s, rounds, c0);
			cluster_down(&c);
			free(s);
			free(blob);
			return (r);
		}
	}
	abort();
}

/* Multicast throughput: messages/s delivered to each server's handler. */
static double
bench_multicast(int nservers, double *csw_per_op)
{
	cluster             c;
	Gorums__Bench__Echo req  = GORUMS__BENCH__ECHO__INIT;
	uint8_t            *blob = calloc(1, payload);
	long                n    = (long) rounds * 10;

	req.payload.data = blob;
	req.payload.len  = payload;
	cluster_up(&c, nservers, false);
	atomic_store(&counted, 0);
	long     c0 = bk_csw();
	uint64_t t0 = gts_now_ns();
	for (long i = 0; i < n; i++) {
		int rv = gorums_multicast(c.nodes, (size_t) nservers, M_COUNT,
		                          &req.base, GORUMS_NOWAIT);
		if (rv == GORUMS_EAGAIN) {
			/* A full queue (nothing was sent): let the servers
			 * catch up and send it again. */
			sched_yield();
			i--;
			continue;
		}
		if (rv != 0) {
			die("multicast", rv);
		}
	}
	/* Delivered means handled: wait (bounded) for every server. */
	uint64_t limit = t0 + 60000000000ull;
	while (atomic_load(&counted) < n * nservers && gts_now_ns() < limit) {
		sched_yield();
	}
	double secs = (double) (gts_now_ns() - t0) / 1e9;
	long   got  = atomic_load(&counted);
	*csw_per_op = (double) (bk_csw() - c0) / (double) n;
	cluster_down(&c);
	free(blob);
	if (got < n * nservers) {
		die("multicast lost messages", (int) (n * nservers - got));
	}
	return ((double) n / secs);
}

int
main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-n") == 0 && i + 1 < argc) {
			rounds = atoi(argv[++i]);
		} else if (strcmp(argv[i], "-payload") == 0 && i + 1 < argc) {
			payload = (size_t) atol(argv[++i]);
		} else if (strcmp(argv[i], "-quick") == 0) {
			rounds = 500;
		} else {
			fprintf(
			    stderr,
			    "usage: transport_bench [-n ROUNDS] [-payload B] "
			    "[-quick]\n");
			return (2);
		}
	}
	if (payload < 1) {
		payload = 1;
	}
	printf("transport_bench: %d round trips per row, payload %zu B, "
	       "%ld cores\n\n",
	       rounds, payload, sysconf(_SC_NPROCESSORS_ONLN));
	printf("%-34s %9s %9s %9s %8s\n", "machine", "p50 us", "p99 us",
	       "mean us", "csw/op");
	printf("%-34s %9s %9s %9.2f\n", "system call (getppid)", "", "",
	       bench_syscall_ns() / 1e3);
	for (int cpu = 0; cpu < 2 && cpu < sysconf(_SC_NPROCESSORS_ONLN);
	     cpu++) {
		result r = bench_pipe(cpu);
		printf("%-34s %9.1f %9.1f %9.1f %8.2f\n",
		       cpu == 0 ? "pipe ping-pong, threads on 1 vCPU"
		                : "pipe ping-pong, threads on 2 vCPUs",
		       r.p50_us, r.p99_us, r.mean_us, r.csw_per_op);
	}
	printf("\n%-34s %9s %9s %9s %8s\n", "round trip", "p50 us", "p99 us",
	       "mean us", "csw/op");
	result tcp = bench_tcp();
	printf("%-34s %9.1f %9.1f %9.1f %8.2f\n",
	       "raw TCP ping-pong (blocking)", tcp.p50_us, tcp.p99_us,
	       tcp.mean_us, tcp.csw_per_op);
	result raw = bench_nng();
	printf("%-34s %9.1f %9.1f %9.1f %8.2f\n", "raw nng_stream ping-pong",
	       raw.p50_us, raw.p99_us, raw.mean_us, raw.csw_per_op);
	/* Handlers on the server's handler threads (the default), then
	 * inline (gorums_server_opts.inline_handlers: for handlers that never
	 * block, like this echo), the shape of the raw nng echo above, whose
	 * server answers from its receive callback. */
	for (int k = 0; k < 3; k++) {
		int    n  = k == 1 ? 3 : 1;
		bool   in = k == 2;
		result r  = bench_rpc(n, in);
		char   name[64];
		snprintf(name, sizeof(name), "gorums RPC, %d server%s", n,
		         n > 1    ? "s (round robin)"
		             : in ? ", inline handlers"
		                  : "");
		printf("%-34s %9.1f %9.1f %9.1f %8.2f\n", name, r.p50_us,
		       r.p99_us, r.mean_us, r.csw_per_op);
		if (n == 1) {
			printf("%-34s %9.2f\n", "  RPC p50 / raw nng p50",
			       r.p50_us / raw.p50_us);
		}
	}
	printf("\n%-34s %14s %8s\n", "throughput", "msgs/s/server", "csw/op");
	for (int n = 1; n <= 3; n += 2) {
		double cs;
		double t = bench_multicast(n, &cs);
		char   name[64];
		snprintf(name, sizeof(name), "gorums multicast, %d server%s",
		         n, n > 1 ? "s" : "");
		printf("%-34s %14.0f %8.2f\n", name, t, cs);
	}
	nng_fini();
	return (0);
}
