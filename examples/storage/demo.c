/*
 * demo.c: storage_demo, the README's demo of gorums-c.
 *
 * Three storage servers run in this process on 127.0.0.1; a client writes
 * and reads a key with quorum calls, with an RPC to one server and with a
 * multicast. Then servers stop one by one (closing their connections, as
 * a crash would): with one down a majority still answers; with two down
 * the calls fail with GORUMS_EINCOMPLETE; one restarts on its old address
 * and the calls succeed again once the client has reconnected.
 *
 * Every step checks its outcome. The demo exits 0 if each was as
 * expected, 1 otherwise; every call has a deadline and an alarm ends a
 * demo that hangs.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "examples/storage/qspec.h"
#include "examples/storage/store.h"

#define NSERVERS   3
#define CALL_MS    2000 /* deadline of each call */
#define SETTLE_MS  5000 /* how long a multicast or a restart may take */
#define WATCHDOG_S 60   /* the whole demo, even under sanitizers */
#define POLL_NS    20000000

typedef struct demo {
	kv_server     *srv[NSERVERS]; /* NULL while stopped */
	char           url[NSERVERS][256];
	gorums_node   *node[NSERVERS];
	gorums_mgr    *mgr;
	gorums_config *cfg;
	int64_t        ts; /* the last timestamp written */
} demo;

/* unexpected reports a step that went wrong; the demo then fails. */
static bool
unexpected(const char *fmt, ...)
{
	va_list ap;

	printf("   UNEXPECTED: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	return (false);
}

static uint64_t
now_ns(void)
{
	struct timespec ts;

	(void) clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec);
}

static void
pause_ns(long ns)
{
	struct timespec ts = {.tv_sec = 0, .tv_nsec = ns};

	(void) nanosleep(&ts, NULL);
}

/*
 * report prints what each server did in the completed call c, in server
 * order (the call lists its nodes in id order).
 */
static void
report(const demo *d, gorums_call *c)
{
	for (int i = 0; i < NSERVERS; i++) {
		for (size_t j = 0; j < gorums_qcall_nnodes(c); j++) {
			uint32_t   id;
			gorums_err st = gorums_qcall_node_status(c, j, &id);

			if (id != gorums_node_id(d->node[i])) {
				continue;
			}
			if (st == GORUMS_OK) {
				printf("        server %d: replied\n", i + 1);
			} else {
				printf("        server %d: failed: %s\n",
				       i + 1, gorums_strerror(st));
			}
		}
	}
}

static bool
start_server(demo *d, int i, const char *url)
{
	char       name[24];
	gorums_err rv;

	(void) snprintf(name, sizeof(name), "server %d", i + 1);
	if ((rv = kv_server_open(&d->srv[i], name, NULL)) != GORUMS_OK) {
		d->srv[i] = NULL;
		return (
		    unexpected("server %d: %s", i + 1, gorums_strerror(rv)));
	}
	if ((rv = kv_server_listen(d->srv[i], url)) != GORUMS_OK) {
		kv_server_close(d->srv[i]);
		d->srv[i] = NULL;
		return (unexpected("server %d cannot listen on %s: %s", i + 1,
		                   url, gorums_strerror(rv)));
	}
	(void) snprintf(d->url[i], sizeof(d->url[i]), "%s",
	                kv_server_url(d->srv[i]));
	return (true);
}

static void
stop_server(demo *d, int i)
{
	if (d->srv[i] != NULL) {
		kv_server_close(d->srv[i]);
		d->srv[i] = NULL;
	}
}

/*
 * write_qc writes key = value with the next timestamp to the configuration
 * and checks that a majority took it.
 */
static bool
write_qc(demo *d, const char *key, const char *value)
{
	Storage__State req = STORAGE__STATE__INIT;
	gorums_call   *c   = NULL;
	gorums_err     err;
	bool           ok = true;

	req.key       = (char *) key;
	req.value     = (char *) value;
	req.timestamp = ++d->ts;
	printf("   quorum write %s = \"%s\" (timestamp %" PRId64 ")\n", key,
	       value, req.timestamp);
	err = storage_write_qc(d->cfg, &kv_qspec, &req, CALL_MS, &c);
	if (err != GORUMS_OK) {
		ok = unexpected("the write failed: %s", gorums_strerror(err));
	} else if (!storage_write_qc_result(c)->new_) {
		ok = unexpected("no majority took the write");
	} else {
		printf("   -> ok: a majority took it (%zu of %zu servers "
		       "replied)\n",
		       gorums_qcall_nreplies(c), gorums_qcall_nnodes(c));
	}
	if (c != NULL) {
		gorums_call_free(c);
	}
	return (ok);
}

/* read_qc reads key from the configuration and checks the value. */
static bool
read_qc(demo *d, const char *key, const char *want, int64_t want_ts)
{
	Storage__ReadRequest  req = STORAGE__READ_REQUEST__INIT;
	const Storage__State *st;
	gorums_call          *c = NULL;
	gorums_err            err;
	bool                  ok = true;

	req.key = (char *) key;
	printf("   quorum read %s\n", key);
	err = storage_read_qc(d->cfg, &kv_qspec, &req, CALL_MS, &c);
	if (err != GORUMS_OK) {
		ok = unexpected("the read failed: %s", gorums_strerror(err));
	} else if ((st = storage_read_qc_result(c))->timestamp != want_ts ||
	           strcmp(st->value, want) != 0) {
		ok = unexpected("read \"%s\" (timestamp %" PRId64
		                "), not \"%s\" (timestamp %" PRId64 ")",
		                st->value, st->timestamp, want, want_ts);
	} else {
		printf("   -> %s = \"%s\" (timestamp %" PRId64
		       "), the newest of %zu replies\n",
		       key, st->value, st->timestamp,
		       gorums_qcall_nreplies(c));
	}
	if (c != NULL) {
		gorums_call_free(c);
	}
	return (ok);
}

/* rpc_read reads key from server i alone into *st (the caller frees). */
static bool
rpc_read(demo *d, int i, const char *key, Storage__State **st)
{
	Storage__ReadRequest req = STORAGE__READ_REQUEST__INIT;
	gorums_err           err;

	req.key = (char *) key;
	err     = storage_read_rpc(d->node[i], &req, CALL_MS, st);
	if (err != GORUMS_OK) {
		return (unexpected("RPC read from server %d failed: %s", i + 1,
		                   gorums_strerror(err)));
	}
	return (true);
}

static bool
step_start(demo *d)
{
	const char     *addrs[NSERVERS];
	gorums_err      err;
	gorums_mgr_opts o;

	printf("1. Start %d storage servers on 127.0.0.1 (port 0: the system "
	       "picks the ports).\n",
	       NSERVERS);
	for (int i = 0; i < NSERVERS; i++) {
		if (!start_server(d, i, "tcp://127.0.0.1:0")) {
			return (false);
		}
		addrs[i] = d->url[i];
		printf("   server %d listens on %s\n", i + 1, d->url[i]);
	}
	/*
	 * Short reconnect delays, so that a restarted server is found again
	 * within a tenth of a second (the defaults back off up to 5 s).
	 */
	gorums_mgr_opts_init(&o);
	o.backoff_min_ms = 10;
	o.backoff_max_ms = 100;
	if ((err = gorums_mgr_open(&d->mgr, &o)) != GORUMS_OK ||
	    (err = gorums_config_new(d->mgr, addrs, NSERVERS, &d->cfg)) !=
	        GORUMS_OK) {
		return (unexpected("client: %s", gorums_strerror(err)));
	}
	for (int i = 0; i < NSERVERS; i++) {
		(void) gorums_mgr_find_addr(d->mgr, addrs[i], &d->node[i]);
	}
	printf("   the client's configuration holds all %d; a quorum is any "
	       "%d of them\n\n",
	       NSERVERS, NSERVERS / 2 + 1);
	return (true);
}

static bool
step_quorum(demo *d)
{
	printf("2. Quorum calls: each goes to every server and is done once a "
	       "majority\n   has answered. A read returns the value with the "
	       "highest timestamp.\n");
	if (!write_qc(d, "x", "apple") || !read_qc(d, "x", "apple", d->ts)) {
		return (false);
	}
	printf("\n");
	return (true);
}

static bool
step_rpc(demo *d)
{
	Storage__State          req = STORAGE__STATE__INIT;
	Storage__WriteResponse *wr;
	Storage__State         *st;
	gorums_err              err;
	bool                    ok;

	printf("3. An ordered RPC goes to one server. A server takes a write "
	       "only if its\n   timestamp is newer than the one it has.\n");
	req.key       = "x";
	req.value     = "stale";
	req.timestamp = d->ts; /* not newer */
	printf("   RPC to server 1: write x = \"stale\" (timestamp %" PRId64
	       ", not newer)\n",
	       req.timestamp);
	err = storage_write_rpc(d->node[0], &req, CALL_MS, &wr);
	if (err != GORUMS_OK) {
		return (
		    unexpected("RPC write failed: %s", gorums_strerror(err)));
	}
	ok = !wr->new_;
	storage__write_response__free_unpacked(wr, NULL);
	if (!ok) {
		return (unexpected("server 1 took a write that is not newer"));
	}
	printf("   -> server 1 answered new = false: it kept its value\n");
	printf("   RPC to server 1: read x\n");
	if (!rpc_read(d, 0, "x", &st)) {
		return (false);
	}
	ok = strcmp(st->value, "apple") == 0 && st->timestamp == d->ts;
	printf("   -> x = \"%s\" (timestamp %" PRId64 ")\n\n", st->value,
	       st->timestamp);
	storage__state__free_unpacked(st, NULL);
	return (ok || unexpected("server 1 lost the value"));
}

static bool
step_multicast(demo *d)
{
	Storage__State req = STORAGE__STATE__INIT;
	gorums_err     err;
	uint64_t       deadline;

	printf("4. A multicast sends a one-way message to every server: no "
	       "replies, no quorum.\n");
	req.key       = "x";
	req.value     = "banana";
	req.timestamp = ++d->ts;
	printf("   multicast x = \"banana\" (timestamp %" PRId64 ")\n",
	       req.timestamp);
	if ((err = storage_write_multicast(d->cfg, &req, 0)) != GORUMS_OK) {
		return (
		    unexpected("multicast failed: %s", gorums_strerror(err)));
	}
	/* Nothing answers a multicast: ask each server until it has it. */
	deadline = now_ns() + (uint64_t) SETTLE_MS * 1000000u;
	for (int i = 0; i < NSERVERS; i++) {
		Storage__State *st;
		bool            has;

		for (;;) {
			if (!rpc_read(d, i, "x", &st)) {
				return (false);
			}
			has = st->timestamp == d->ts;
			storage__state__free_unpacked(st, NULL);
			if (has) {
				break;
			}
			if (now_ns() > deadline) {
				return (unexpected("server %d did not get "
				                   "the multicast",
				                   i + 1));
			}
			pause_ns(POLL_NS);
		}
	}
	printf("   -> servers 1, 2 and 3 each have x = \"banana\" (asked by "
	       "an RPC to each)\n\n");
	return (true);
}

static bool
step_one_down(demo *d)
{
	printf("5. Stop server 3 (its connections close, as if it crashed). "
	       "Servers 1 and 2\n   are still a majority.\n");
	stop_server(d, 2);
	if (!write_qc(d, "x", "cherry") || !read_qc(d, "x", "cherry", d->ts)) {
		return (false);
	}
	printf("\n");
	return (true);
}

static bool
step_two_down(demo *d)
{
	Storage__ReadRequest req = STORAGE__READ_REQUEST__INIT;
	gorums_call         *c   = NULL;
	gorums_err           err;
	bool                 ok = true;

	printf("6. Stop server 2 as well. Server 1 alone is no majority.\n");
	stop_server(d, 1);
	req.key = "x";
	printf("   quorum read x\n");
	err = storage_read_qc(d->cfg, &kv_qspec, &req, CALL_MS, &c);
	if (err != GORUMS_EINCOMPLETE) {
		ok = unexpected("the read ended with \"%s\", not \"%s\"",
		                gorums_strerror(err),
		                gorums_strerror(GORUMS_EINCOMPLETE));
	} else {
		printf("   -> failed as expected: %s (GORUMS_EINCOMPLETE)\n"
		       "      every server answered or failed, %zu of %zu "
		       "replied:\n",
		       gorums_strerror(err), gorums_qcall_nreplies(c),
		       gorums_qcall_nnodes(c));
		report(d, c);
	}
	if (c != NULL) {
		gorums_call_free(c);
	}
	printf("\n");
	return (ok);
}

static bool
step_restart(demo *d)
{
	Storage__ReadRequest  req = STORAGE__READ_REQUEST__INIT;
	const Storage__State *st;
	Storage__State       *st2;
	gorums_call          *c = NULL;
	gorums_err            err;
	uint64_t              start, deadline;
	int                   attempts = 0;
	bool                  ok;
	char                  url[256];

	printf("7. Restart server 2 on its old address. It comes back empty: "
	       "it kept its\n   values in memory.\n");
	(void) snprintf(url, sizeof(url), "%s", d->url[1]);
	if (!start_server(d, 1, url)) {
		return (false);
	}
	printf("   server 2 listens on %s again\n", d->url[1]);
	printf("   quorum read x, retried until the client has reconnected "
	       "(at most %d s)\n",
	       SETTLE_MS / 1000);
	req.key  = "x";
	start    = now_ns();
	deadline = start + (uint64_t) SETTLE_MS * 1000000u;
	for (;;) {
		attempts++;
		err = storage_read_qc(d->cfg, &kv_qspec, &req, CALL_MS, &c);
		if (err == GORUMS_OK || now_ns() > deadline) {
			break;
		}
		gorums_call_free(c);
		c = NULL;
		pause_ns(POLL_NS);
	}
	if (err != GORUMS_OK) {
		if (c != NULL) {
			gorums_call_free(c);
		}
		return (unexpected("no quorum after %d attempts: %s", attempts,
		                   gorums_strerror(err)));
	}
	st = storage_read_qc_result(c);
	ok = strcmp(st->value, "cherry") == 0 && st->timestamp == d->ts;
	printf("   -> recovered after %d attempt%s (%" PRIu64
	       " ms): x = \"%s\" (timestamp %" PRId64 ")\n",
	       attempts, attempts == 1 ? "" : "s",
	       (now_ns() - start) / 1000000u, st->value, st->timestamp);
	gorums_call_free(c);
	if (!ok) {
		return (unexpected("the read lost the last write"));
	}
	if (!rpc_read(d, 1, "x", &st2)) {
		return (false);
	}
	ok = st2->timestamp == 0;
	storage__state__free_unpacked(st2, NULL);
	if (!ok) {
		return (unexpected("the restarted server 2 has a value"));
	}
	printf("      server 2 has no value for x (timestamp 0), so the "
	       "newest reply is\n      server 1's: a majority read still "
	       "sees the last write\n");
	if (!write_qc(d, "x", "damson") || !read_qc(d, "x", "damson", d->ts)) {
		return (false);
	}
	printf("\n");
	return (true);
}

static void
cleanup(demo *d)
{
	if (d->cfg != NULL) {
		gorums_config_free(d->cfg);
	}
	if (d->mgr != NULL) {
		gorums_mgr_close(d->mgr);
	}
	for (int i = 0; i < NSERVERS; i++) {
		stop_server(d, i);
	}
}

int
main(int argc, char **argv)
{
	demo d;
	bool ok;

	(void) argv;
	if (argc > 1) {
		fprintf(stderr, "usage: storage_demo (no arguments)\n");
		return (2);
	}
	/* Line by line, so that the story keeps its order in any pipe. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	/* Whatever goes wrong, the demo does not hang: SIGALRM ends it. */
	alarm(WATCHDOG_S);

	memset(&d, 0, sizeof(d));
	printf("gorums-c storage demo: a key-value store replicated on %d "
	       "servers.\n\n",
	       NSERVERS);
	ok = step_start(&d) && step_quorum(&d) && step_rpc(&d) &&
	    step_multicast(&d) && step_one_down(&d) && step_two_down(&d) &&
	    step_restart(&d);
	printf("8. Stop the client and the servers.\n");
	cleanup(&d);
	if (!ok) {
		printf("\nThe demo FAILED: a step did not go as expected.\n");
		return (1);
	}
	printf("\nDemo finished: every step went as expected.\n");
	return (0);
}
