/*
 * emit_sig.c: the signatures of the generated functions. See emit.h.
 *
 * The parameter order is the same for every call: where to (node or
 * configuration, and the quorum spec), what (the request, and a per-node
 * function), how long (timeout_ms), then the completion (callback and the
 * call handle out).
 */
#include "gen/emit.h"

bool
em_two_way(const md_method *m)
{
	return (m->type != MD_UNICAST && m->type != MD_MULTICAST);
}

bool
em_quorum(const md_method *m)
{
	return (m->type == MD_QUORUMCALL || m->type == MD_CORRECTABLE);
}

static void
param(arena *a, em_sig *sig, const char *p)
{
	(void) a;
	sig->params[sig->nparams++] = p;
}

bool
em_sig_of(arena *a, const md_service *s, const md_method *m, em_form form,
          em_sig *sig)
{
	const char *in  = arena_printf(a, "const %s *req", m->in->c_name);
	const char *qs  = arena_printf(a, "const %s_qspec *qs", s->fn);
	const char *pnf = arena_printf(a, "%s_per_node_fn fn", m->fn);

	sig->nparams = 0;
	sig->ret     = "gorums_err";
	switch (form) {
	case EM_CALL:
		sig->name = m->fn;
		switch (m->type) {
		case MD_RPC:
			param(a, sig, "gorums_node *n");
			param(a, sig, in);
			param(a, sig, "int timeout_ms");
			param(a, sig,
			      arena_printf(a, "%s **reply", m->out->c_name));
			return (true);
		case MD_UNICAST:
			param(a, sig, "gorums_node *n");
			param(a, sig, in);
			param(a, sig, "int flags");
			return (true);
		case MD_MULTICAST:
			param(a, sig, "gorums_config *cfg");
			param(a, sig, in);
			if (m->per_node) {
				param(a, sig, pnf);
				param(a, sig, "void *fn_arg");
			}
			param(a, sig, "int flags");
			return (true);
		case MD_QUORUMCALL:
		case MD_CORRECTABLE:
			param(a, sig, "gorums_config *cfg");
			param(a, sig, qs);
			param(a, sig, in);
			if (m->per_node) {
				param(a, sig, pnf);
				param(a, sig, "void *fn_arg");
			}
			param(a, sig, "int timeout_ms");
			if (m->type == MD_CORRECTABLE) {
				/* Correctable calls only start: their
				 * levels are read while they run. */
				param(a, sig, "gorums_call_cb cb");
				param(a, sig, "void *arg");
			}
			param(a, sig, "gorums_call **cp");
			return (true);
		}
		return (false);
	case EM_ASYNC:
		sig->name = arena_printf(a, "%s_async", m->fn);
		if (m->type == MD_RPC) {
			param(a, sig, "gorums_node *n");
			param(a, sig, in);
			param(a, sig, "int timeout_ms");
		} else if (m->type == MD_QUORUMCALL && m->async) {
			param(a, sig, "gorums_config *cfg");
			param(a, sig, qs);
			param(a, sig, in);
			if (m->per_node) {
				param(a, sig, pnf);
				param(a, sig, "void *fn_arg");
			}
			param(a, sig, "int timeout_ms");
		} else {
			return (false);
		}
		param(a, sig, "gorums_call_cb cb");
		param(a, sig, "void *arg");
		param(a, sig, "gorums_call **cp");
		return (true);
	case EM_RESULT:
		sig->name = arena_printf(a, "%s_result", m->fn);
		if (m->type == MD_RPC) {
			param(a, sig, "gorums_call *c");
			param(a, sig,
			      arena_printf(a, "%s **reply", m->out->c_name));
			return (true);
		}
		if (!em_quorum(m)) {
			return (false);
		}
		sig->ret = arena_printf(a, "const %s *", m->res->c_name);
		param(a, sig, "gorums_call *c");
		return (true);
	case EM_LEVEL:
		if (m->type != MD_CORRECTABLE) {
			return (false);
		}
		sig->name = arena_printf(a, "%s_level", m->fn);
		sig->ret  = "int";
		param(a, sig, "gorums_call *c");
		param(a, sig,
		      arena_printf(a, "const %s **value", m->res->c_name));
		return (true);
	case EM_REPLY:
		if (!em_two_way(m)) {
			return (false);
		}
		sig->name = arena_printf(a, "%s_reply", m->fn);
		param(a, sig, "gorums_ctx *ctx");
		param(a, sig,
		      arena_printf(a, "const %s *reply", m->out->c_name));
		return (true);
	case EM_SEND:
		if (!m->stream) {
			return (false);
		}
		sig->name = arena_printf(a, "%s_send", m->fn);
		param(a, sig, "gorums_ctx *ctx");
		param(a, sig,
		      arena_printf(a, "const %s *item", m->out->c_name));
		return (true);
	case EM_END:
		if (!m->stream) {
			return (false);
		}
		sig->name = arena_printf(a, "%s_end", m->fn);
		param(a, sig, "gorums_ctx *ctx");
		return (true);
	}
	return (false);
}
