/*
 * qcall.c: the quorum-call actor. See qcall.h.
 *
 * Design notes. Everything that decides the call's fate arrives as a
 * message: answers (QC_ANSWER, from the node actors), and cancel or
 * deadline (QC_CANCEL, a gri_cancel_msg). The actor alone writes the
 * call's result, per-node status and replies, and alone allocates from the
 * call's arena while the call runs; the caller's thread did its arena work
 * (copying the request, per-node requests) before the first send, which
 * the mailbox orders before the actor's first run.
 *
 * References. The call holds one to the actor (completer_ref), each
 * sub-call one (its sink), and the actor one to the call until it ends
 * and one to each sub-call until that is resolved (so that at the end it
 * can still tell the nodes to forget the unresolved ones). The cycle
 * actor <-> unresolved sub-call is broken when the call ends.
 */
#include "actors/qcall/qcall.h"

#include <string.h>

#include "actors/node/node.h"
#include "src/pool.h"
#include "src/wire/wire.h"

enum {
	QC_ANSWER = 1,
	QC_CANCEL = 2,
};

typedef struct qc_answer_msg {
	gri_msg    hdr;
	uint32_t   idx;  /* the node's index in the configuration */
	int        what; /* GRI_QC_FINAL, _ITEM or _END */
	gorums_err err;
	size_t     len;
	uint8_t    payload[];
} qc_answer_msg;

/* One node of the call. */
typedef struct qc_node {
	gorums_node *node;
	/* The sub-call as the caller's fan-out sees it: set before the first
	 * send, then read-only (the actor never touches it). */
	gorums_call *fan;
	/* The actor's reference to the sub-call while it is unresolved:
	 * dropped when its answer is processed or the call ends. NULL:
	 * skipped, or resolved. */
	gorums_call            *sub;
	const ProtobufCMessage *req;
} qc_node;

typedef struct gri_qcall {
	gri_actor base;

	/* Set by the caller before the first send; read-only after. */
	gorums_call                      *call; /* holds a reference */
	gorums_qspec                      qs;
	const ProtobufCMessageDescriptor *reply_desc;
	bool                              correctable;
	const ProtobufCMessage           *req; /* copy, in the arena */
	size_t                            nconfig;
	size_t                            nsent;
	qc_node                          *nodes; /* nconfig, in the arena */

	/* The actor only. */
	gorums_reply           *replies; /* in the arena; grows for streams */
	size_t                  nreplies;
	size_t                  replies_cap;
	size_t                  nanswered; /* replied or failed */
	int                     level;     /* the highest published */
	const ProtobufCMessage *value;     /* its value */
	bool                    done;
} gri_qcall;

static bool
qc_builtin(const gorums_qspec *qs, const gorums_qin *in,
           const ProtobufCMessage **result, int *level)
{
	size_t need;

	switch (qs->kind) {
	case GORUMS_QF_FIRST:
		need = 1;
		break;
	case GORUMS_QF_MAJORITY:
		need = in->nconfig / 2 + 1;
		break;
	case GORUMS_QF_ALL:
		need = in->nconfig;
		break;
	case GORUMS_QF_THRESHOLD:
	default:
		need = qs->k > 0 ? (size_t) qs->k : 1;
		break;
	}
	*result = in->nreplies > 0 ? in->replies[in->nreplies - 1].msg : NULL;
	*level  = (int) in->nreplies;
	return (in->nreplies >= need);
}

/*
 * qc_end completes the call with err (and result) and lets go: pending
 * sub-calls are forgotten by their nodes, and the actor stops.
 */
static void
qc_end(gri_qcall *q, gorums_err err, const ProtobufCMessage *result)
{
	gorums_call *c = q->call;

	q->done = true;
	/* Everything that touches the manager's nodes and timer comes first:
	 * once the call completes, its caller may close the manager. */
	gri_call_disarm_deadline(c);
	for (size_t i = 0; i < q->nconfig; i++) {
		qc_node *qn = &q->nodes[i];
		if (qn->sub == NULL) {
			continue;
		}
		/* Unresolved: its node forgets the routing entry. Marked
		 * ready first, so that a NODE_CALL the node has not reached
		 * yet is dropped unsent instead of making an entry (and a
		 * request) after the call has ended. */
		atomic_store(&qn->sub->ready, true);
		gri_msg *m = gri_cancel_msg_alloc(qn->sub, GORUMS_ECANCELED);
		if (m != NULL) {
			gri_actor_send(&qn->node->base, m);
		}
		gri_call_unref(qn->sub);
		qn->sub = NULL;
	}
	if (err == GORUMS_OK && q->correctable && result != NULL) {
		gri_call_publish_level(c, q->level, result);
	}
	c->qresult = result;
	(void) gri_actor_stop(&q->base);
	q->call = NULL;
	gri_call_complete(c, err, NULL);
	gri_call_unref(c);
}

/* qc_add_reply appends a reply, growing the array for streams. */
static bool
qc_add_reply(gri_qcall *q, uint32_t id, const ProtobufCMessage *msg)
{
	gorums_call *c = q->call;

	if (q->nreplies == q->replies_cap) {
		size_t        cap = q->replies_cap * 2;
		gorums_reply *r = gri_arena_alloc(&c->arena, cap * sizeof(*r));
		if (r == NULL) {
			return (false);
		}
		memcpy(r, q->replies, q->nreplies * sizeof(*r));
		q->replies     = r; /* the old array stays in the arena */
		q->replies_cap = cap;
	}
	q->replies[q->nreplies].node_id = id;
	q->replies[q->nreplies].msg     = msg;
	q->nreplies++;
	atomic_store_explicit(&c->nreplies, q->nreplies, memory_order_relaxed);
	return (true);
}

/*
 * qc_run_qfunc feeds the replies so far to the quorum function and ends
 * the call if it says so; returns whether it ended.
 */
static bool
qc_run_qfunc(gri_qcall *q)
{
	gorums_call            *c      = q->call;
	const ProtobufCMessage *result = NULL;
	int                     level  = q->level;
	gorums_qin              in     = {
	                     .req      = q->req,
	                     .replies  = q->replies,
	                     .nreplies = q->nreplies,
	                     .nnodes   = q->nsent,
	                     .nconfig  = q->nconfig,
	                     .alloc    = gri_arena_pb(&c->arena),
        };
	bool quorum = q->qs.kind == GORUMS_QF_CUSTOM
	    ? q->qs.fn(q->qs.arg, &in, &result, &level)
	    : qc_builtin(&q->qs, &in, &result, &level);

	if (q->correctable && level > q->level && result != NULL) {
		q->level = level;
		q->value = result;
		gri_call_publish_level(c, level, result);
	}
	if (quorum) {
		qc_end(q, GORUMS_OK, result);
	}
	return (quorum);
}

static void
qc_on_answer(gri_qcall *q, qc_answer_msg *m)
{
	gorums_call      *c;
	gri_qstatus      *st;
	ProtobufCMessage *msg = NULL;
	gorums_err        err = m->err;

	if (q->done || m->idx >= q->nconfig) {
		return;
	}
	c  = q->call;
	st = &c->qstatus[m->idx];
	if (st->err != GORUMS_EBUSY) {
		return; /* answered already */
	}
	bool have_reply = false;
	if (err == GORUMS_OK && m->what != GRI_QC_END) {
		err = gri_wire_unpack(q->reply_desc, gri_arena_pb(&c->arena),
		                      m->payload, m->len, &msg);
		if (err == GORUMS_OK && !qc_add_reply(q, st->id, msg)) {
			err = GORUMS_ENOMEM;
		}
		have_reply = err == GORUMS_OK;
	}
	/* Unless more of its stream is to come, the node is done: replied,
	 * ended its stream, or failed. Record that first, so the status is
	 * right even when this very reply completes the quorum. */
	bool final = m->what != GRI_QC_ITEM || err != GORUMS_OK;
	if (final) {
		st->err = err;
		q->nanswered++;
		gri_call_unref(q->nodes[m->idx].sub); /* resolved */
		q->nodes[m->idx].sub = NULL;
	}
	if (have_reply && qc_run_qfunc(q)) {
		return; /* ended */
	}
	if (!final) {
		return; /* more of this node's stream to come */
	}
	if (q->nanswered == q->nsent) {
		/* Everyone answered, no quorum: a correctable call that
		 * reached some level ends with it. */
		if (q->correctable && q->level > 0) {
			qc_end(q, GORUMS_OK, q->value);
		} else {
			qc_end(q, GORUMS_EINCOMPLETE, NULL);
		}
	}
}

static void
qc_dispatch(gri_actor *self, gri_msg *m)
{
	gri_qcall *q = (gri_qcall *) self;

	switch (m->id) {
	case QC_ANSWER:
		qc_on_answer(q, (qc_answer_msg *) m);
		break;
	case QC_CANCEL: {
		gri_cancel_msg *cm = (gri_cancel_msg *) m;
		if (!q->done) {
			qc_end(q, cm->err, NULL);
		}
		gri_call_unref(cm->call);
		cm->call = NULL;
		break;
	}
	default:
		break;
	}
}

static void
qc_stop(gri_actor *self)
{
	gri_qcall *q = (gri_qcall *) self;

	/* Freed before it ended (its call was never started): end it. */
	if (!q->done && q->call != NULL) {
		qc_end(q, GORUMS_ECLOSED, NULL);
	}
}

static const gri_actor_ops qcall_ops = {
    .name     = "qcall",
    .dispatch = qc_dispatch,
    .stop     = qc_stop,
};

void
gri_qcall_deliver(gorums_call *sub, int what, gorums_err err,
                  const uint8_t *payload, size_t len)
{
	qc_answer_msg *m =
	    (qc_answer_msg *) gri_msg_alloc(sizeof(*m) + len, QC_ANSWER);

	if (m == NULL) {
		/* XXX: an answer lost to memory: the deadline ends the call,
		 * or it ends incomplete. */
		return;
	}
	m->idx  = sub->sink_idx;
	m->what = what;
	m->err  = err;
	m->len  = len;
	if (len > 0) {
		memcpy(m->payload, payload, len);
	}
	gri_actor_send(sub->sink, &m->hdr);
}

/*
 * qc_encode_req encodes req once, into the arena, as the request frame
 * every node is sent (each under its own message id), and unpacks the
 * frame's payload as the call's own copy of the request (the caller may
 * free req as soon as the call is started).
 */
static gorums_err
qc_encode_req(gri_arena *a, uint32_t method, const ProtobufCMessage *req,
              size_t max_frame, uint8_t **frame, size_t *len,
              const ProtobufCMessage **copy)
{
	gri_wire_hdr      h = {.kind = GRI_WIRE_REQUEST, .method_id = method};
	size_t            size = gri_wire_msg_size(0, NULL, req);
	size_t            hdr  = gri_wire_header_size(0, NULL);
	ProtobufCMessage *out;
	gorums_err        rv;

	if (size > max_frame) {
		return (GORUMS_EMSGSIZE);
	}
	if ((*frame = gri_arena_alloc(a, size)) == NULL) {
		return (GORUMS_ENOMEM);
	}
	if ((rv = gri_wire_encode_msg(&h, NULL, req, max_frame, *frame, size,
	                              len)) != GORUMS_OK) {
		return (rv);
	}
	rv    = gri_wire_unpack(req->descriptor, gri_arena_pb(a), *frame + hdr,
	                        *len - hdr, &out);
	*copy = out;
	return (rv);
}

gorums_err
gri_qcall_start(gorums_call *c, gorums_config *cfg, uint32_t method,
                const ProtobufCMessage *req, const gorums_qcall_opts *o)
{
	size_t     n = gorums_config_size(cfg);
	gri_qcall *q;
	gri_actor *a;
	gorums_err rv;
	uint8_t   *frame     = NULL;
	size_t     frame_len = 0;

	if (n == 0) {
		return (GORUMS_EINVAL);
	}
	gorums_node *first = gorums_config_node(cfg, 0);
	if ((rv = gri_actor_spawn(first->base.sched, &qcall_ops,
	                          sizeof(gri_qcall), &a)) != GORUMS_OK) {
		return (rv);
	}
	q              = (gri_qcall *) a;
	q->qs          = o->qspec;
	q->reply_desc  = o->reply_desc;
	q->correctable = o->correctable;
	q->nconfig     = n;
	c->quorum      = true;
	c->nconfig     = n;
	c->completer   = a;
	c->cancel_id   = QC_CANCEL;
	c->timer       = first->timer;
	c->spin_ns     = first->opts.wait_spin_ns;
	c->node        = first; /* whose pool a waiting thread helps */
	c->start_ns    = gri_clock_ns();

	q->nodes       = gri_arena_alloc(&c->arena, n * sizeof(qc_node));
	q->replies     = gri_arena_alloc(&c->arena, n * sizeof(gorums_reply));
	q->replies_cap = n;
	c->qstatus     = gri_arena_alloc(&c->arena, n * sizeof(gri_qstatus));
	if (q->nodes == NULL || q->replies == NULL || c->qstatus == NULL ||
	    (rv = qc_encode_req(&c->arena, method, req, first->opts.max_frame,
	                        &frame, &frame_len, &q->req)) != GORUMS_OK) {
		rv = rv != GORUMS_OK ? rv : GORUMS_ENOMEM;
		goto fail;
	}
	/* First decide every node's request, so that the number sent is
	 * known before any answer can arrive. */
	for (size_t i = 0; i < n; i++) {
		qc_node *qn       = &q->nodes[i];
		qn->node          = gorums_config_node(cfg, i);
		qn->sub           = NULL;
		qn->fan           = NULL;
		qn->req           = req;
		c->qstatus[i].id  = gorums_node_id(qn->node);
		c->qstatus[i].err = GORUMS_EBUSY;
		if (o->per_node != NULL &&
		    !o->per_node(o->per_node_arg, c->qstatus[i].id, q->req,
		                 gri_arena_pb(&c->arena), &qn->req)) {
			c->qstatus[i].err = GORUMS_ENOENT; /* skipped */
			continue;
		}
		if ((qn->sub = gri_call_alloc()) == NULL) {
			rv = GORUMS_ENOMEM;
			goto fail;
		}
		qn->sub->sink     = a;
		qn->sub->sink_idx = (uint32_t) i;
		gri_node_prepare_call(qn->node, qn->sub, GRI_WIRE_REQUEST);
		gri_actor_ref(
		    a); /* the sub-call's, dropped when it is freed */
		/* The fan-out's own reference: the actor may end the call and
		 * drop its reference before the caller has sent them all. */
		qn->fan = qn->sub;
		gri_call_ref(qn->fan);
		q->nsent++;
	}
	if (q->nsent == 0) {
		rv = GORUMS_EINVAL; /* every node skipped: nothing to ask */
		goto fail;
	}
	if ((rv = gri_call_arm_deadline(c, o->timeout_ms)) != GORUMS_OK) {
		goto fail;
	}
	gri_actor_ref(a);
	c->completer_ref = true;
	gri_call_ref(c);
	q->call = c;
	/* Fan out, in configuration order. A node that cannot take the call
	 * answers for it at once with its error. */
	for (size_t i = 0; i < n; i++) {
		qc_node     *qn  = &q->nodes[i];
		gorums_call *sub = qn->fan;
		if (sub == NULL) {
			continue;
		}
		/* The common request goes as the frame encoded once; only a
		 * per-node request of its own is packed for its node. */
		rv = qn->req == req || qn->req == q->req
		    ? gri_node_send_frame(qn->node, sub, frame, frame_len, 0)
		    : gri_node_send_call(qn->node, sub, method, qn->req, 0);
		if (rv != GORUMS_OK) {
			gri_qcall_deliver(sub, GRI_QC_FINAL, rv, NULL, 0);
		}
		gri_call_unref(sub);
	}
	gri_actor_unref(a); /* the spawn's: the call and sub-calls hold it */
	return (GORUMS_OK);

fail:
	for (size_t i = 0; i < n && q->nodes != NULL; i++) {
		if (q->nodes[i].sub != NULL) {
			gri_call_unref(q->nodes[i].fan);
			gri_call_unref(q->nodes[i].sub);
		}
	}
	c->quorum    = false;
	c->completer = NULL;
	gri_actor_unref(a);
	return (rv);
}
