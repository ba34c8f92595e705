/*
 * qcall_test: quorum calls end to end, on configurations of real servers
 * over 127.0.0.1: every call form on 1, 3, 5 and 9 servers; failures that
 * must stay distinguishable (incomplete vs deadline vs cancel); correctable
 * levels one by one; per-node requests and skipped nodes; 10,000
 * concurrent calls; cancel at every stage; no routing entry left behind.
 */
#include <stdlib.h>
#include <string.h>

#include "gorums/config.h"
#include "gorums/manager.h"
#include "gorums/quorum.h"
#include "tests/e2e/servers.h"
#include "tests/harness/harness.h"
#include "tests/proto/echo.pb-c.h"

#define WAIT_MS 10000
#define MAX_N   9

typedef struct cluster {
	test_server    ts[MAX_N];
	gorums_mgr    *mgr;
	gorums_config *cfg;
	int            n;
} cluster;

static void
cluster_up(cluster *c, int n)
{
	const char *addrs[MAX_N];

	memset(c, 0, sizeof(*c));
	c->n = n;
	for (int i = 0; i < n; i++) {
		c->ts[i].value = 100 + i;
		snprintf(c->ts[i].name, sizeof(c->ts[i].name), "s%d", i);
		ts_start(&c->ts[i], "tcp://127.0.0.1:0");
		addrs[i] = c->ts[i].url;
	}
	GTS_PASS(gorums_mgr_open(&c->mgr, NULL));
	GTS_PASS(gorums_config_new(c->mgr, addrs, (size_t) n, &c->cfg));
	GTS_EQ(gorums_config_size(c->cfg), n);
}

static void
cluster_down(cluster *c)
{
	GTS_EQ(gorums_mgr_pending(c->mgr), 0);
	gorums_config_free(c->cfg);
	gorums_mgr_close(c->mgr);
	for (int i = 0; i < c->n; i++) {
		ts_close(&c->ts[i]);
	}
}

/* The pending count may lag the call's completion by the late replies
 * still on the wire; wait (bounded) for it to drain. */
static void
await_no_pending(gorums_mgr *m)
{
	uint64_t deadline = gts_now_ns() + (uint64_t) WAIT_MS * 1000000u;

	while (gorums_mgr_pending(m) != 0 && gts_now_ns() < deadline) {
		sched_yield();
	}
	GTS_EQ(gorums_mgr_pending(m), 0);
}

static gorums_qcall_opts
opts(gorums_qspec qs)
{
	gorums_qcall_opts o = {
	    .reply_desc = &gorums__test__echo__descriptor,
	    .qspec      = qs,
	    .timeout_ms = WAIT_MS,
	};
	return (o);
}

static const gorums_qspec QF_MAJORITY = {.kind = GORUMS_QF_MAJORITY};
static const gorums_qspec QF_ALL      = {.kind = GORUMS_QF_ALL};
static const gorums_qspec QF_FIRST    = {.kind = GORUMS_QF_FIRST};

/* The storage example's read function: the reply with the highest value. */
static bool
qf_newest(void *arg, const gorums_qin *in, const ProtobufCMessage **result,
          int *level)
{
	const Gorums__Test__Echo *best = NULL;

	(void) arg;
	for (size_t i = 0; i < in->nreplies; i++) {
		const Gorums__Test__Echo *e =
		    (const Gorums__Test__Echo *) in->replies[i].msg;
		if (best == NULL || e->value > best->value) {
			best = e;
		}
	}
	*result = &best->base;
	*level  = (int) in->nreplies;
	return (in->nreplies > in->nconfig / 2);
}

/* A custom return type: the sum and count of the values replied. */
static bool
qf_summary(void *arg, const gorums_qin *in, const ProtobufCMessage **result,
           int *level)
{
	Gorums__Test__Summary *s =
	    in->alloc->alloc(in->alloc->allocator_data, sizeof(*s));

	(void) arg;
	gorums__test__summary__init(s);
	for (size_t i = 0; i < in->nreplies; i++) {
		s->total +=
		    ((const Gorums__Test__Echo *) in->replies[i].msg)->value;
	}
	s->count = (int32_t) in->nreplies;
	*result  = &s->base;
	*level   = (int) in->nreplies;
	return (in->nreplies == in->nconfig);
}

/* Per-node requests: node i gets value = its id's low bits; node skip
 * (by id) is left out. */
typedef struct per_node_arg {
	uint32_t skip;
	int      built;
} per_node_arg;

static bool
per_node(void *arg, uint32_t node_id, const ProtobufCMessage *req,
         ProtobufCAllocator *alloc, const ProtobufCMessage **node_req)
{
	per_node_arg       *pa = arg;
	Gorums__Test__Echo *e =
	    alloc->alloc(alloc->allocator_data, sizeof(*e));

	(void) req;
	if (node_id == pa->skip) {
		return (false);
	}
	gorums__test__echo__init(e);
	e->value  = (int64_t) (node_id & 0xffff);
	*node_req = &e->base;
	pa->built++;
	return (true);
}

static bool
qf_check_per_node(void *arg, const gorums_qin *in,
                  const ProtobufCMessage **result, int *level)
{
	(void) arg;
	/* Every reply echoes what its own node was sent. */
	for (size_t i = 0; i < in->nreplies; i++) {
		const Gorums__Test__Echo *e =
		    (const Gorums__Test__Echo *) in->replies[i].msg;
		GTS_EQ(e->value, (int64_t) (in->replies[i].node_id & 0xffff));
	}
	*result = in->nreplies > 0 ? in->replies[0].msg : NULL;
	*level  = (int) in->nreplies;
	return (in->nreplies == in->nnodes);
}

/* ---- every form on 1, 3, 5, 9 servers ------------------------------- */

typedef struct counter {
	atomic_int n;
	gts_latch *done;
} counter;

static void
count_cb(gorums_call *c, void *arg)
{
	counter *k = arg;

	(void) c;
	atomic_fetch_add(&k->n, 1);
	if (k->done != NULL) {
		gts_latch_count_down(k->done);
	}
}

static void
forms_on(int n)
{
	cluster            c;
	gorums_call       *call;
	Gorums__Test__Echo req = GORUMS__TEST__ECHO__INIT;
	gorums_qcall_opts  o;

	cluster_up(&c, n);

	/* Blocking, a custom quorum function: the newest value. */
	o = opts((gorums_qspec) {.kind = GORUMS_QF_CUSTOM, .fn = qf_newest});
	GTS_PASS(gorums_qcall(c.cfg, M_STATE, &req.base, &o, &call));
	const Gorums__Test__Echo *r =
	    (const Gorums__Test__Echo *) gorums_qcall_result(call);
	GTS_ASSERT(r != NULL);
	GTS_ASSERT(r->value >= 100 && r->value < 100 + n);
	GTS_ASSERT(gorums_qcall_nreplies(call) >= (size_t) (n / 2 + 1));
	gorums_call_free(call);

	/* Built-ins. */
	gorums_qspec specs[] = {QF_FIRST,
	                        QF_MAJORITY,
	                        QF_ALL,
	                        {.kind = GORUMS_QF_THRESHOLD, .k = n}};
	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		o         = opts(specs[i]);
		req.value = (int64_t) i;
		GTS_PASS(gorums_qcall(c.cfg, M_ECHO, &req.base, &o, &call));
		r = (const Gorums__Test__Echo *) gorums_qcall_result(call);
		GTS_EQ(r->value, (int64_t) i);
		gorums_call_free(call);
	}

	/* Async with a completion callback. */
	counter   k = {.n = 0};
	gts_latch done;
	gts_latch_init(&done, 1);
	k.done   = &done;
	o        = opts(QF_ALL);
	o.cb     = count_cb;
	o.cb_arg = &k;
	GTS_PASS(gorums_qcall_async(c.cfg, M_ECHO, &req.base, &o, &call));
	GTS_ASSERT(gts_latch_wait(&done, WAIT_MS));
	GTS_PASS(gorums_call_wait(call));
	GTS_EQ(gorums_qcall_nreplies(call), n);
	/* Every node replied, the last one included (it completed it). */
	for (size_t i = 0; i < (size_t) n; i++) {
		GTS_PASS(gorums_qcall_node_status(call, i, NULL));
	}
	gorums_call_free(call);
	gts_latch_fini(&done);
	GTS_EQ(atomic_load(&k.n), 1);

	/* Correctable: ends at the top level with every reply. */
	o             = opts(QF_ALL);
	o.correctable = true;
	GTS_PASS(gorums_qcall(c.cfg, M_STATE, &req.base, &o, &call));
	GTS_EQ(gorums_qcall_level(call, NULL), n);
	gorums_call_free(call);

	/* Per-node requests: each node gets its own. */
	per_node_arg pa = {.skip = 0};
	o               = opts((gorums_qspec) {.kind = GORUMS_QF_CUSTOM,
	                                       .fn   = qf_check_per_node});
	o.per_node      = per_node;
	o.per_node_arg  = &pa;
	GTS_PASS(gorums_qcall(c.cfg, M_ECHO, &req.base, &o, &call));
	GTS_EQ(pa.built, n);
	GTS_EQ(gorums_qcall_nreplies(call), n);
	gorums_call_free(call);

	/* Custom return type. */
	o = opts((gorums_qspec) {.kind = GORUMS_QF_CUSTOM, .fn = qf_summary});
	GTS_PASS(gorums_qcall(c.cfg, M_STATE, &req.base, &o, &call));
	const Gorums__Test__Summary *s =
	    (const Gorums__Test__Summary *) gorums_qcall_result(call);
	GTS_EQ(s->count, n);
	GTS_EQ(s->total, (int64_t) n * 100 + (int64_t) n * (n - 1) / 2);
	gorums_call_free(call);

	await_no_pending(c.mgr);
	cluster_down(&c);
}

static void
test_qcall_forms_1(void)
{
	forms_on(1);
}

static void
test_qcall_forms_3(void)
{
	forms_on(3);
}

static void
test_qcall_forms_5(void)
{
	forms_on(5);
}

static void
test_qcall_forms_9(void)
{
	forms_on(9);
}

/* ---- dead servers: incomplete vs deadline ---------------------------- */

static void
test_qcall_dead_servers(void)
{
	cluster            c;
	gorums_call       *call;
	Gorums__Test__Echo req = GORUMS__TEST__ECHO__INIT;
	gorums_qcall_opts  o   = opts(QF_MAJORITY);
	uint32_t           id;

	cluster_up(&c, 3);
	GTS_PASS(gorums_qcall(c.cfg, M_ECHO, &req.base, &o, &call));
	gorums_call_free(call);

	/* One of three gone: a majority still forms. */
	ts_close(&c.ts[2]);
	GTS_PASS(gorums_qcall(c.cfg, M_ECHO, &req.base, &o, &call));
	gorums_call_free(call);

	/* Two of three refusing: incomplete, at once, with the reasons. */
	ts_close(&c.ts[1]);
	uint64_t t0 = gts_now_ns();
	GTS_FAIL(gorums_qcall(c.cfg, M_ECHO, &req.base, &o, &call),
	         GORUMS_EINCOMPLETE);
	GTS_ASSERT(gts_now_ns() - t0 < 3000000000u);
	GTS_EQ(gorums_qcall_nreplies(call), 1);
	int nfailed = 0;
	for (size_t i = 0; i < 3; i++) {
		gorums_err e = gorums_qcall_node_status(call, i, &id);
		GTS_ASSERT(gorums_config_contains(c.cfg, id));
		if (e != GORUMS_OK) {
			GTS_ASSERT(e == GORUMS_ECONNREFUSED ||
			           e == GORUMS_ECONNSHUT);
			nfailed++;
		}
	}
	GTS_EQ(nfailed, 2);
	gorums_call_free(call);
	await_no_pending(c.mgr);
	cluster_down(&c);

	/* Two of three hanging: the deadline, not incomplete. */
	gts_latch unblock;
	gts_latch_init(&unblock, 1);
	cluster_up(&c, 3);
	c.ts[1].unblock = &unblock;
	c.ts[2].unblock = &unblock;
	c.ts[0].unblock = NULL;
	o.timeout_ms    = 150;
	t0              = gts_now_ns();
	GTS_FAIL(gorums_qcall(c.cfg, M_BLOCK, &req.base, &o, &call),
	         GORUMS_ETIMEDOUT);
	GTS_ASSERT(gts_now_ns() - t0 >= 150000000u);
	GTS_EQ(gorums_qcall_nreplies(call), 1);
	gorums_call_free(call);
	gts_latch_count_down(&unblock); /* late replies now */
	await_no_pending(c.mgr);
	cluster_down(&c);
	gts_latch_fini(&unblock);
}

/* ---- correctable levels one by one ---------------------------------- */

typedef struct level_log {
	pthread_mutex_t mtx;
	int             levels[8];
	int64_t         values[8];
	int             n;
} level_log;

static void
level_cb(gorums_call *c, void *arg)
{
	level_log              *lg = arg;
	const ProtobufCMessage *v  = NULL;
	int                     l  = gorums_qcall_level(c, &v);

	pthread_mutex_lock(&lg->mtx);
	lg->levels[lg->n] = l;
	lg->values[lg->n] =
	    v != NULL ? ((const Gorums__Test__Echo *) v)->value : -1;
	lg->n++;
	pthread_mutex_unlock(&lg->mtx);
}

static void
test_qcall_correctable_levels(void)
{
	cluster            c;
	gorums_call       *call;
	gts_latch          unblock[3], blocked;
	Gorums__Test__Echo req = GORUMS__TEST__ECHO__INIT;
	gorums_qcall_opts  o;
	level_log          lg;

	memset(&lg, 0, sizeof(lg));
	pthread_mutex_init(&lg.mtx, NULL);
	cluster_up(&c, 3);
	gts_latch_init(&blocked, 3);
	for (int i = 0; i < 3; i++) {
		gts_latch_init(&unblock[i], 1);
		c.ts[i].blocked = &blocked;
		c.ts[i].unblock = &unblock[i];
	}
	/* All three must answer: the levels run 1, 2, 3. */
	o             = opts(QF_ALL);
	o.correctable = true;
	GTS_PASS(gorums_qcall_async(c.cfg, M_BLOCK, &req.base, &o, &call));
	GTS_ASSERT(gts_latch_wait(&blocked, WAIT_MS));
	for (int lvl = 1; lvl <= 3; lvl++) {
		GTS_PASS(gorums_qcall_watch(call, lvl, level_cb, &lg));
	}
	GTS_EQ(gorums_qcall_level(call, NULL), 0);
	for (int i = 0; i < 3; i++) {
		/* One server at a time: each level is seen before the next
		 * reply exists. */
		gts_latch_count_down(&unblock[i]);
		GTS_PASS(gorums_qcall_wait_level(call, i + 1));
		const ProtobufCMessage *v;
		GTS_EQ(gorums_qcall_level(call, &v), i + 1);
		GTS_ASSERT(v != NULL);
	}
	GTS_PASS(gorums_call_wait(call));
	pthread_mutex_lock(&lg.mtx);
	GTS_EQ(lg.n, 3);
	for (int i = 0; i < 3; i++) {
		GTS_EQ(lg.levels[i], i + 1);
	}
	pthread_mutex_unlock(&lg.mtx);
	/* A watch for a level already passed fires at once. */
	lg.n = 0;
	GTS_PASS(gorums_qcall_watch(call, 2, level_cb, &lg));
	GTS_EQ(lg.n, 1);
	gorums_call_free(call);
	await_no_pending(c.mgr);
	cluster_down(&c);
	for (int i = 0; i < 3; i++) {
		gts_latch_fini(&unblock[i]);
	}
	gts_latch_fini(&blocked);
	pthread_mutex_destroy(&lg.mtx);
}

/* ---- correctable stream: several replies per node -------------------- */

/* Never done by itself: the call ends when every stream has ended. The
 * level is the number of items so far. */
static bool
qf_count_items(void *arg, const gorums_qin *in,
               const ProtobufCMessage **result, int *level)
{
	(void) arg;
	*result = in->replies[in->nreplies - 1].msg;
	*level  = (int) in->nreplies;
	return (false);
}

static void
test_qcall_correctable_stream(void)
{
	cluster            c;
	gorums_call       *call;
	Gorums__Test__Echo req = GORUMS__TEST__ECHO__INIT;
	gorums_qcall_opts  o   = opts(
	       (gorums_qspec) {.kind = GORUMS_QF_CUSTOM, .fn = qf_count_items});
	level_log lg;

	memset(&lg, 0, sizeof(lg));
	pthread_mutex_init(&lg.mtx, NULL);
	cluster_up(&c, 3);
	o.correctable = true;
	req.value     = 4; /* items per server */
	GTS_PASS(gorums_qcall_async(c.cfg, M_STREAM, &req.base, &o, &call));
	for (int lvl = 1; lvl <= 12; lvl += 4) {
		GTS_PASS(gorums_qcall_watch(call, lvl, level_cb, &lg));
	}
	GTS_PASS(gorums_qcall_wait_level(call, 12));
	GTS_PASS(gorums_call_wait(call));
	GTS_EQ(gorums_qcall_level(call, NULL), 12);
	GTS_EQ(gorums_qcall_nreplies(call), 12);
	for (size_t i = 0; i < 3; i++) {
		GTS_PASS(gorums_qcall_node_status(call, i, NULL));
	}
	pthread_mutex_lock(&lg.mtx);
	GTS_EQ(lg.n, 3);
	for (int i = 0; i < 3; i++) {
		GTS_ASSERT(lg.levels[i] >= 1 + 4 * i);
	}
	pthread_mutex_unlock(&lg.mtx);
	gorums_call_free(call);
	await_no_pending(c.mgr);
	cluster_down(&c);
	pthread_mutex_destroy(&lg.mtx);
}

/* ---- skipped nodes never count -------------------------------------- */

static void
test_qcall_skipped_node(void)
{
	cluster            c;
	gorums_call       *call;
	Gorums__Test__Echo req = GORUMS__TEST__ECHO__INIT;
	per_node_arg       pa;
	gorums_qcall_opts  o;
	uint32_t           id;

	cluster_up(&c, 3);
	pa.skip        = gorums_node_id(gorums_config_node(c.cfg, 1));
	pa.built       = 0;
	o              = opts(QF_MAJORITY);
	o.per_node     = per_node;
	o.per_node_arg = &pa;
	/* Majority of 3 from the 2 asked: fine. */
	GTS_PASS(gorums_qcall(c.cfg, M_ECHO, &req.base, &o, &call));
	GTS_EQ(pa.built, 2);
	GTS_FAIL(gorums_qcall_node_status(call, 1, &id), GORUMS_ENOENT);
	GTS_EQ(id, pa.skip);
	gorums_call_free(call);
	/* All of 3 with one skipped can never form: incomplete. */
	o.qspec = QF_ALL;
	GTS_FAIL(gorums_qcall(c.cfg, M_ECHO, &req.base, &o, &call),
	         GORUMS_EINCOMPLETE);
	GTS_EQ(gorums_qcall_nreplies(call), 2);
	gorums_call_free(call);
	await_no_pending(c.mgr);
	cluster_down(&c);
}

/* ---- 10,000 concurrent async calls ---------------------------------- */

static void
test_qcall_many_async(void)
{
	cluster            c;
	const int          ncalls = 10000;
	gorums_call      **calls  = calloc((size_t) ncalls, sizeof(*calls));
	Gorums__Test__Echo req    = GORUMS__TEST__ECHO__INIT;
	gorums_qcall_opts  o      = opts(QF_MAJORITY);
	counter            k      = {.n = 0};
	gts_latch          done;

	cluster_up(&c, 3);
	gts_latch_init(&done, ncalls);
	k.done       = &done;
	o.cb         = count_cb;
	o.cb_arg     = &k;
	o.timeout_ms = 30000;
	for (int i = 0; i < ncalls; i++) {
		req.value = i;
		GTS_PASS(gorums_qcall_async(c.cfg, M_ECHO, &req.base, &o,
		                            &calls[i]));
	}
	GTS_ASSERT(gts_latch_wait(&done, 30000));
	for (int i = 0; i < ncalls; i++) {
		GTS_PASS(gorums_call_wait(calls[i]));
		GTS_EQ(((const Gorums__Test__Echo *) gorums_qcall_result(
		            calls[i]))
		           ->value,
		       i);
		gorums_call_free(calls[i]);
	}
	GTS_EQ(atomic_load(&k.n), ncalls);
	free(calls);
	gts_latch_fini(&done);
	await_no_pending(c.mgr);
	cluster_down(&c);
}

/* ---- cancel: before send, during fan-out, after partial replies ------ */

/* The canceller cancels each call it is shown, at whatever moment its
 * thread gets to it, and acknowledges it so the call can be freed. */
typedef struct canceller {
	gorums_call *_Atomic target;
	atomic_int           seq;   /* bumped after target is set */
	atomic_int           acked; /* the seq last cancelled */
	atomic_bool          stop;
} canceller;

static void *
cancel_main(void *arg)
{
	canceller *cn   = arg;
	int        last = 0;

	while (!atomic_load(&cn->stop)) {
		int s = atomic_load(&cn->seq);
		if (s != last) {
			gorums_call_cancel(atomic_load(&cn->target));
			atomic_store(&cn->acked, s);
			last = s;
		}
		sched_yield();
	}
	return (NULL);
}

static void
test_qcall_cancel(void)
{
	cluster            c;
	gorums_call       *call;
	Gorums__Test__Echo req = GORUMS__TEST__ECHO__INIT;
	gorums_qcall_opts  o   = opts(QF_ALL);
	gts_latch          unblock, blocked;

	cluster_up(&c, 3);

	/* Before anything is sent or answered: cancel at once. */
	GTS_PASS(gorums_qcall_async(c.cfg, M_ECHO, &req.base, &o, &call));
	gorums_call_cancel(call);
	gorums_err rv = gorums_call_wait(call);
	GTS_ASSERT(rv == GORUMS_ECANCELED || rv == GORUMS_OK);
	gorums_call_free(call);

	/* During fan-out: another thread cancels at random moments. */
	canceller cn;
	pthread_t t;
	atomic_init(&cn.target, NULL);
	atomic_init(&cn.seq, 0);
	atomic_init(&cn.acked, 0);
	atomic_init(&cn.stop, false);
	GTS_EQ(pthread_create(&t, NULL, cancel_main, &cn), 0);
	for (int i = 0; i < 300; i++) {
		GTS_PASS(
		    gorums_qcall_async(c.cfg, M_ECHO, &req.base, &o, &call));
		atomic_store(&cn.target, call);
		atomic_fetch_add(&cn.seq, 1);
		rv = gorums_call_wait(call);
		GTS_ASSERT(rv == GORUMS_ECANCELED || rv == GORUMS_OK);
		uint64_t until = gts_now_ns() + (uint64_t) WAIT_MS * 1000000u;
		while (atomic_load(&cn.acked) != i + 1) {
			GTS_ASSERT(gts_now_ns() < until);
			sched_yield();
		}
		gorums_call_free(call);
		await_no_pending(c.mgr);
	}
	atomic_store(&cn.stop, true);
	pthread_join(t, NULL);

	/* After partial replies: two answer, one blocks; cancel. */
	gts_latch_init(&unblock, 1);
	gts_latch_init(&blocked, 1);
	c.ts[2].unblock = &unblock;
	c.ts[2].blocked = &blocked;
	c.ts[0].unblock = c.ts[1].unblock = NULL;
	GTS_PASS(gorums_qcall_async(c.cfg, M_BLOCK, &req.base, &o, &call));
	GTS_ASSERT(gts_latch_wait(&blocked, WAIT_MS));
	uint64_t deadline = gts_now_ns() + (uint64_t) WAIT_MS * 1000000u;
	while (gorums_qcall_nreplies(call) < 2 && gts_now_ns() < deadline) {
		sched_yield();
	}
	GTS_EQ(gorums_qcall_nreplies(call), 2);
	gorums_call_cancel(call);
	GTS_FAIL(gorums_call_wait(call), GORUMS_ECANCELED);
	/* The blocked server's node is the one without an answer. */
	gorums_node *slow;
	GTS_PASS(gorums_mgr_find_addr(c.mgr, c.ts[2].url, &slow));
	for (size_t i = 0; i < 3; i++) {
		uint32_t   id;
		gorums_err e = gorums_qcall_node_status(call, i, &id);
		GTS_EQ(e,
		       id == gorums_node_id(slow) ? GORUMS_EBUSY : GORUMS_OK);
	}
	gorums_call_free(call);
	/* The late reply finds no entry and leaves none. */
	gts_latch_count_down(&unblock);
	await_no_pending(c.mgr);
	cluster_down(&c);
	gts_latch_fini(&unblock);
	gts_latch_fini(&blocked);
}

gts_test TEST_LIST[] = {
    {"qcall forms on 1 server", test_qcall_forms_1},
    {"qcall forms on 3 servers", test_qcall_forms_3},
    {"qcall forms on 5 servers", test_qcall_forms_5},
    {"qcall forms on 9 servers", test_qcall_forms_9},
    {"qcall dead servers", test_qcall_dead_servers},
    {"qcall correctable levels", test_qcall_correctable_levels},
    {"qcall correctable stream", test_qcall_correctable_stream},
    {"qcall skipped node", test_qcall_skipped_node},
    {"qcall many async", test_qcall_many_async},
    {"qcall cancel", test_qcall_cancel},
    {NULL, NULL},
};
