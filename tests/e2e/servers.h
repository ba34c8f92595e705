/*
 * servers.h: test servers for the end-to-end tests: real gorums servers on
 * 127.0.0.1 (port 0) or ipc://, with a few methods whose behaviour the
 * test controls.
 */
#ifndef TESTS_E2E_SERVERS_H
#define TESTS_E2E_SERVERS_H

#include <stdatomic.h>
#include <stdint.h>

#include "gorums/server.h"
#include "tests/harness/harness.h"
#include "tests/proto/echo.pb-c.h"

enum {
	M_ECHO   = 1, /* reply with the request; record its value */
	M_RECORD = 2, /* one-way: record the value */
	M_BLOCK  = 3, /* release, note "blocked", wait for unblock, reply */
	M_STATE  = 4, /* reply Echo{value = the server's value, text = name} */
	M_STREAM = 5, /* stream req.value items Echo{value = 1..n}, then end */
	M_META   = 6, /* reply Echo{text = connection metadata req.text, value
	               * = its length}, or Echo{value = -1} if absent */
	M_ABSENT = 99, /* registered nowhere */
};

#define TS_MAX_RECORD 4000

typedef struct test_server {
	gorums_server  *srv;
	char            url[256];
	char            name[32];
	int64_t         value; /* what M_STATE answers */
	pthread_mutex_t mtx;   /* guards seen, nseen */
	int64_t         seen[TS_MAX_RECORD];
	int             nseen;
	gts_latch      *blocked;  /* counted down when M_BLOCK starts */
	gts_latch      *unblock;  /* M_BLOCK waits for it */
	atomic_int      nhandled; /* requests handled, any method */
} test_server;

/*
 * ts_start starts a server on url ("tcp://127.0.0.1:0" or ipc://...). ts
 * must be zeroed before its first start; name and value, if wanted, are
 * set before ts_start (it keeps them), so that handler threads see them.
 */
void ts_start(test_server *ts, const char *url);

/* ts_start_opts is ts_start with server options (NULL: the defaults). */
void ts_start_opts(test_server *ts, const char *url,
                   const gorums_server_opts *o);

/* ts_close closes the server (its fields stay readable). */
void ts_close(test_server *ts);

/*
 * ts_close_start closes the server on a new thread *t (to be joined), for
 * tests that kill a server while one of its handlers blocks: the close
 * breaks the connections at once, then waits for that handler.
 */
void ts_close_start(test_server *ts, pthread_t *t);

#endif /* TESTS_E2E_SERVERS_H */
