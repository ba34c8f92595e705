/*
 * emit_c.c: foo.gorums.c, the wrappers behind foo.gorums.h. See emit.h.
 *
 * Generated code uses the public runtime API only (the headers in
 * gorums/). Typed functions become the runtime's untyped callbacks through
 * static thunks named gen_<method>_*: a protobuf-c message begins with its
 * ProtobufCMessage, so a pointer to one converts to a pointer to the other
 * and back (C11 6.7.2.1p15), which is all the thunks do to messages.
 */
#include <stdarg.h>
#include <string.h>

#include "gen/emit.h"
#include "gorums/version.h"

/* The request cast every call passes to the runtime. */
#define REQ "(const ProtobufCMessage *) req"

/*
 * stmt writes head, the NULL-terminated parameters, and tail, wrapped by
 * em_call: one statement or expression of generated code.
 */
static void
stmt(sb *out, const char *head, const char *tail, ...)
{
	const char *p[16];
	size_t      n = 0;
	va_list     ap;

	va_start(ap, tail);
	for (const char *x; (x = va_arg(ap, const char *)) != NULL;) {
		p[n++] = x;
	}
	va_end(ap);
	em_call(out, head, p, n, tail);
}

/* Writes sig as the head of a definition: return type on its own line. */
static void
define(arena *a, sb *out, const md_service *s, const md_method *m,
       em_form form)
{
	em_sig sig;

	if (!em_sig_of(a, s, m, form, &sig)) {
		return;
	}
	sb_printf(out, "%s\n", sig.ret);
	em_call(out, arena_printf(a, "%s(", sig.name), sig.params, sig.nparams,
	        ")\n{\n");
}

static const char unconst_helper[] =
    "/*\n"
    " * gen_unconst passes a const struct (quorum spec, server) as the\n"
    " * runtime's void * callback argument; the callbacks only read it.\n"
    " */\n"
    "static void *\n"
    "gen_unconst(const void *p)\n"
    "{\n"
    "\treturn ((void *) (uintptr_t) p);\n"
    "}\n\n";

static void
emit_per_node_thunk(arena *a, const md_method *m, sb *out)
{
	const char *T = m->in->c_name;

	em_doc(out, "",
	       arena_printf(a,
	                    "gen_%s_pn carries a %s_per_node_fn through the "
	                    "runtime's void *.",
	                    m->lower, m->fn));
	em_field f[2] = {
	    {arena_printf(a, "%s_per_node_fn", m->fn), "fn", NULL},
	    {"void", "*arg", NULL},
	};
	em_struct(out, arena_printf(a, "gen_%s_pn", m->lower), f, 2);
	sb_puts(out, "\nstatic bool\n");
	stmt(out, arena_printf(a, "gen_%s_per_node(", m->lower), ")\n{\n",
	     "void *arg", "uint32_t node_id", "const ProtobufCMessage *req",
	     "ProtobufCAllocator *alloc", "const ProtobufCMessage **node_req",
	     NULL);
	sb_printf(out,
	          "\tconst gen_%s_pn *pn = arg;\n"
	          "\tconst %s *nreq = NULL;\n"
	          "\n",
	          m->lower, T);
	stmt(out, "\tif (!pn->fn(", ")) {\n", "pn->arg", "node_id",
	     arena_printf(a, "(const %s *) req", T), "alloc", "&nreq", NULL);
	sb_puts(out,
	        "\t\treturn (false);\n"
	        "\t}\n"
	        "\t*node_req = nreq != NULL ? (const ProtobufCMessage *) nreq "
	        ": req;\n"
	        "\treturn (true);\n"
	        "}\n\n");
}

static const char *
builtin_kind(const md_method *m)
{
	switch (m->qfunc) {
	case MD_QF_FIRST:
		return ("GORUMS_QF_FIRST");
	case MD_QF_MAJORITY:
		return ("GORUMS_QF_MAJORITY");
	case MD_QF_ALL:
		return ("GORUMS_QF_ALL");
	case MD_QF_THRESHOLD:
		return ("GORUMS_QF_THRESHOLD");
	case MD_QF_NONE:
		break;
	}
	return (NULL);
}

/* The quorum function thunk and the options builder of m. */
static void
emit_quorum_thunks(arena *a, const md_service *s, const md_method *m, sb *out)
{
	const bool corr = m->type == MD_CORRECTABLE;

	em_doc(out, "",
	       arena_printf(a,
	                    "gen_%s_qf runs qs->%s on typed replies: they are "
	                    "copied into an array of %s_qreply, on the stack "
	                    "for up to 16 (no malloc on the common path). If "
	                    "a larger array cannot be allocated, this reply "
	                    "does not complete the quorum.",
	                    m->lower, m->lower, m->out->lower));
	sb_puts(out, "static bool\n");
	stmt(out, arena_printf(a, "gen_%s_qf(", m->lower), ")\n{\n",
	     "void *arg", "const gorums_qin *in",
	     "const ProtobufCMessage **result", "int *level", NULL);
	em_field v[5] = {
	    {arena_printf(a, "const %s_qspec", s->fn), "*qs  = arg", NULL},
	    /* Zeroed: GCC warns at -O2 about passing it unwritten when no
	     * reply is in (nreplies 0), though nothing is read then. */
	    {arena_printf(a, "%s_qreply", m->out->lower), "stack[16] = {{0}}",
	     NULL},
	    {arena_printf(a, "%s_qreply", m->out->lower), "*r   = stack",
	     NULL},
	    {arena_printf(a, "const %s", m->res->c_name), "*res = NULL", NULL},
	    {"bool", "done", NULL},
	};
	em_decls(out, v, 5);
	sb_printf(out,
	          "\n"
	          "\tif (in->nreplies > sizeof(stack) / sizeof(stack[0]) &&\n"
	          "\t    (r = malloc(in->nreplies * sizeof(*r))) == NULL) {\n"
	          "\t\treturn (false);\n"
	          "\t}\n"
	          "\tfor (size_t i = 0; i < in->nreplies; i++) {\n"
	          "\t\tr[i].node_id = in->replies[i].node_id;\n"
	          "\t\tr[i].msg     = (const %s *) in->replies[i].msg;\n"
	          "\t}\n",
	          m->out->c_name);
	stmt(out, arena_printf(a, "\tdone = qs->%s(", m->lower), ");\n",
	     "qs->arg", arena_printf(a, "(const %s *) in->req", m->in->c_name),
	     "r", "in->nreplies", "in", "&res", corr ? "level" : NULL, NULL);
	sb_printf(out,
	          "\t*result = (const ProtobufCMessage *) res;\n"
	          "\tif (r != stack) {\n"
	          "\t\tfree(r);\n"
	          "\t}\n"
	          "%s"
	          "\treturn (done);\n"
	          "}\n\n",
	          corr ? "" : "\t(void) level; /* not correctable */\n");

	em_doc(out, "",
	       arena_printf(a,
	                    "gen_%s_opts: the runtime's options for a call of "
	                    "%s.",
	                    m->lower, m->name));
	sb_puts(out, "static gorums_err\n");
	stmt(out, arena_printf(a, "gen_%s_opts(", m->lower), ")\n{\n",
	     arena_printf(a, "const %s_qspec *qs", s->fn), "int timeout_ms",
	     "gorums_qcall_opts *o", NULL);
	sb_printf(out,
	          "\tmemset(o, 0, sizeof(*o));\n"
	          "\to->reply_desc  = &%s__descriptor;\n"
	          "\to->timeout_ms  = timeout_ms;\n"
	          "\to->correctable = %s;\n"
	          "\tif (qs != NULL && qs->%s != NULL) {\n"
	          "\t\to->qspec.kind = GORUMS_QF_CUSTOM;\n"
	          "\t\to->qspec.fn   = gen_%s_qf;\n"
	          "\t\to->qspec.arg  = gen_unconst(qs);\n"
	          "\t\treturn (GORUMS_OK);\n"
	          "\t}\n",
	          m->out->lower, corr ? "true" : "false", m->lower, m->lower);
	if (m->qfunc == MD_QF_NONE) {
		sb_puts(
		    out,
		    "\treturn (GORUMS_EINVAL); /* no (gorums.qfunc) to fall "
		    "back on */\n"
		    "}\n\n");
	} else {
		sb_printf(out, "\to->qspec.kind = %s;\n", builtin_kind(m));
		if (m->qfunc == MD_QF_THRESHOLD) {
			sb_printf(out, "\to->qspec.k    = %d;\n", m->qk);
		}
		sb_puts(out, "\treturn (GORUMS_OK);\n}\n\n");
	}
}

/* The body of a quorum call entry point (blocking, or starting one). */
static void
emit_quorum_body(arena *a, const md_method *m, bool async, sb *out)
{
	em_field v[3] = {
	    {"gorums_qcall_opts", "o", NULL},
	    {"gorums_err", "rv", NULL},
	    {arena_printf(a, "gen_%s_pn", m->lower), "pn = {fn, fn_arg}",
	     NULL},
	};
	em_decls(out, v, m->per_node ? 3 : 2);
	sb_printf(out,
	          "\n"
	          "\tif (cp == NULL) {\n"
	          "\t\treturn (GORUMS_EINVAL);\n"
	          "\t}\n"
	          "\t*cp = NULL;\n");
	stmt(out, arena_printf(a, "\trv = gen_%s_opts(", m->lower), ");\n",
	     "qs", "timeout_ms", "&o", NULL);
	sb_puts(out, "\tif (rv != GORUMS_OK) {\n\t\treturn (rv);\n\t}\n");
	if (m->per_node) {
		sb_printf(out,
		          "\tif (fn != NULL) {\n"
		          "\t\to.per_node     = gen_%s_per_node;\n"
		          "\t\to.per_node_arg = &pn; /* used before the call "
		          "returns */\n"
		          "\t}\n",
		          m->lower);
	}
	if (async) {
		sb_puts(out,
		        "\to.cb     = cb;\n"
		        "\to.cb_arg = arg;\n");
		stmt(out, "\treturn (gorums_qcall_async(", "));\n}\n\n", "cfg",
		     arena_printf(a, "%s_ID", m->macro), REQ, "&o", "cp",
		     NULL);
	} else {
		stmt(out, "\treturn (gorums_qcall(", "));\n}\n\n", "cfg",
		     arena_printf(a, "%s_ID", m->macro), REQ, "&o", "cp",
		     NULL);
	}
}

static void
emit_client(arena *a, const md_service *s, const md_method *m, sb *out)
{
	const char *O    = m->out->c_name;
	const char *R    = m->res->c_name;
	const char *id   = arena_printf(a, "%s_ID", m->macro);
	const char *desc = arena_printf(a, "&%s__descriptor", m->out->lower);

	if (m->per_node) {
		emit_per_node_thunk(a, m, out);
	}
	if (em_quorum(m)) {
		emit_quorum_thunks(a, s, m, out);
	}
	define(a, out, s, m, EM_CALL);
	switch (m->type) {
	case MD_RPC:
		sb_puts(out,
		        "\tProtobufCMessage *msg = NULL;\n"
		        "\tgorums_err        rv;\n"
		        "\n"
		        "\tif (reply == NULL) {\n"
		        "\t\treturn (GORUMS_EINVAL);\n"
		        "\t}\n");
		stmt(out, "\trv = gorums_rpc(", ");\n", "n", id, REQ, desc,
		     "timeout_ms", "&msg", NULL);
		sb_printf(out,
		          "\t*reply = (%s *) msg;\n"
		          "\treturn (rv);\n"
		          "}\n\n",
		          O);
		define(a, out, s, m, EM_ASYNC);
		stmt(out, "\treturn (gorums_rpc_async(", "));\n}\n\n", "n", id,
		     REQ, desc, "timeout_ms", "cb", "arg", "cp", NULL);
		define(a, out, s, m, EM_RESULT);
		sb_printf(
		    out,
		    "\tProtobufCMessage *msg = NULL;\n"
		    "\tgorums_err        rv;\n"
		    "\n"
		    "\trv = gorums_call_result(c, reply != NULL ? &msg : "
		    "NULL);\n"
		    "\tif (reply != NULL) {\n"
		    "\t\t*reply = (%s *) msg;\n"
		    "\t}\n"
		    "\treturn (rv);\n"
		    "}\n\n",
		    O);
		break;
	case MD_UNICAST:
		stmt(out, "\treturn (gorums_unicast(", "));\n}\n\n", "n", id,
		     REQ, "flags", NULL);
		break;
	case MD_MULTICAST:
		if (!m->per_node) {
			stmt(out, "\treturn (gorums_config_multicast(",
			     "));\n}\n\n", "cfg", id, REQ, "flags", NULL);
			break;
		}
		sb_printf(out, "\tgen_%s_pn pn = {fn, fn_arg};\n\n", m->lower);
		stmt(out, "\treturn (gorums_config_multicast_each(",
		     "));\n}\n\n", "cfg", id, REQ,
		     arena_printf(a, "fn != NULL ? gen_%s_per_node : NULL",
		                  m->lower),
		     "&pn", "flags", NULL);
		break;
	case MD_QUORUMCALL:
		emit_quorum_body(a, m, false, out);
		if (m->async) {
			define(a, out, s, m, EM_ASYNC);
			emit_quorum_body(a, m, true, out);
		}
		break;
	case MD_CORRECTABLE:
		emit_quorum_body(a, m, true, out);
		break;
	}
	if (em_quorum(m)) {
		define(a, out, s, m, EM_RESULT);
		sb_printf(out,
		          "\treturn ((const %s *) gorums_qcall_result(c));\n"
		          "}\n\n",
		          R);
	}
	if (m->type == MD_CORRECTABLE) {
		define(a, out, s, m, EM_LEVEL);
		sb_printf(
		    out,
		    "\tconst ProtobufCMessage *v     = NULL;\n"
		    "\tint                     level = gorums_qcall_level(c, "
		    "&v);\n"
		    "\n"
		    "\tif (value != NULL) {\n"
		    "\t\t*value = (const %s *) v;\n"
		    "\t}\n"
		    "\treturn (level);\n"
		    "}\n\n",
		    R);
	}
}

static void
emit_server(arena *a, const md_service *s, sb *out)
{
	for (size_t i = 0; i < s->nmethods; i++) {
		const md_method *m = &s->methods[i];
		sb_puts(out, "static gorums_err\n");
		stmt(out, arena_printf(a, "gen_%s_handler(", m->lower),
		     ")\n{\n", "gorums_ctx *ctx",
		     "const ProtobufCMessage *req", "void *arg", NULL);
		sb_printf(out, "\tconst %s_server *impl = arg;\n\n", s->fn);
		stmt(out, arena_printf(a, "\treturn (impl->%s(", m->lower),
		     "));\n}\n\n", "ctx",
		     arena_printf(a, "(const %s *) req", m->in->c_name),
		     "impl->arg", NULL);
		if (em_two_way(m)) {
			define(a, out, s, m, EM_REPLY);
			sb_puts(out,
			        "\treturn (gorums_ctx_reply(ctx, "
			        "(const ProtobufCMessage *) reply));\n"
			        "}\n\n");
		}
		if (m->stream) {
			define(a, out, s, m, EM_SEND);
			sb_puts(out,
			        "\treturn (gorums_ctx_send(ctx, "
			        "(const ProtobufCMessage *) item));\n"
			        "}\n\n");
			define(a, out, s, m, EM_END);
			sb_puts(out, "\treturn (gorums_ctx_end(ctx));\n}\n\n");
		}
	}
	sb_puts(out, "gorums_err\n");
	stmt(out, arena_printf(a, "%s_server_register(", s->fn), ")\n{\n",
	     "gorums_server *s",
	     arena_printf(a, "const %s_server *impl", s->fn), NULL);
	sb_puts(out,
	        "\tgorums_err rv = GORUMS_OK;\n"
	        "\n"
	        "\tif (s == NULL || impl == NULL) {\n"
	        "\t\treturn (GORUMS_EINVAL);\n"
	        "\t}\n");
	for (size_t i = 0; i < s->nmethods; i++) {
		const md_method *m = &s->methods[i];
		sb_printf(out,
		          "\tif (rv == GORUMS_OK && impl->%s != NULL) {\n",
		          m->lower);
		stmt(out, "\t\trv = gorums_server_register(", ");\n", "s",
		     arena_printf(a, "%s_ID", m->macro),
		     arena_printf(a, "&%s__descriptor", m->in->lower),
		     arena_printf(a, "gen_%s_handler", m->lower),
		     "gen_unconst(impl)", NULL);
		sb_puts(out, "\t}\n");
	}
	sb_puts(out, "\treturn (rv);\n}\n");
}

void
em_source(const md_file *f, sb *out)
{
	const md_service *s = f->svc;
	arena             a = {0};

	sb_puts(out, EM_BANNER);
	sb_printf(out, "/* source: %s */\n\n", f->name);
	if (s != NULL) {
		sb_puts(out,
		        "#include <stdbool.h>\n"
		        "#include <stddef.h>\n"
		        "#include <stdint.h>\n"
		        "#include <stdlib.h>\n"
		        "#include <string.h>\n\n");
	}
	sb_printf(out, "#include \"%s.gorums.h\"\n\n", f->base);
	sb_printf(out,
	          "#if !defined(GORUMS_GEN_ABI) || GORUMS_GEN_ABI != %d\n"
	          "#error \"%s.gorums.c was generated for GORUMS_GEN_ABI %d, "
	          "which this gorums-c runtime does not provide: regenerate "
	          "it with the runtime's protoc-gen-gorums\"\n"
	          "#endif\n",
	          GORUMS_GEN_ABI, f->base, GORUMS_GEN_ABI);
	if (s != NULL) {
		sb_puts(out, "\n");
		if (s->nmethods > 0) {
			sb_puts(out, unconst_helper);
		}
		for (size_t i = 0; i < s->nmethods; i++) {
			emit_client(&a, s, &s->methods[i], out);
		}
		emit_server(&a, s, out);
	}
	arena_fini(&a);
}
