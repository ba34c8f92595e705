/*
 * emit_h.c: foo.gorums.h, the generated API. See emit.h, and gen/README.md
 * for what each generated name does.
 *
 * Layout of the header: method ids; the quorum functions' types and the
 * quorum spec; the per-node request functions' types; the server side
 * (handler types, the server struct and its register function); then each
 * method's functions, under one comment that says how to use them.
 */
#include <string.h>

#include "gen/emit.h"
#include "gorums/version.h"

/* "ret name(" with the space dropped after a pointer return type. */
static const char *
head_of(arena *a, const em_sig *sig)
{
	size_t n = strlen(sig->ret);

	return (arena_printf(a, "%s%s%s(", sig->ret,
	                     n > 0 && sig->ret[n - 1] == '*' ? "" : " ",
	                     sig->name));
}

static void
declare(arena *a, sb *out, const md_service *s, const md_method *m,
        em_form form)
{
	em_sig sig;

	if (em_sig_of(a, s, m, form, &sig)) {
		em_call(out, head_of(a, &sig), sig.params, sig.nparams,
		        ");\n");
	}
}

static const char *
qfunc_name(const md_method *m)
{
	switch (m->qfunc) {
	case MD_QF_FIRST:
		return ("first");
	case MD_QF_MAJORITY:
		return ("majority");
	case MD_QF_ALL:
		return ("all");
	case MD_QF_THRESHOLD:
		return (m->qfunc_text);
	case MD_QF_NONE:
		break;
	}
	return (NULL);
}

static void
emit_preamble(const md_file *f, sb *out)
{
	sb_puts(out, EM_BANNER);
	sb_printf(out, "/* source: %s */\n\n", f->name);
	sb_printf(out, "#ifndef GORUMS_GEN_%s_INCLUDED\n", f->ident);
	sb_printf(out, "#define GORUMS_GEN_%s_INCLUDED\n\n", f->ident);
	sb_puts(out,
	        "#include <stdbool.h>\n"
	        "#include <stddef.h>\n"
	        "#include <stdint.h>\n\n"
	        "#include <protobuf-c/protobuf-c.h>\n\n"
	        "#include <gorums/call.h>\n"
	        "#include <gorums/config.h>\n"
	        "#include <gorums/errors.h>\n"
	        "#include <gorums/manager.h>\n"
	        "#include <gorums/quorum.h>\n"
	        "#include <gorums/server.h>\n"
	        "#include <gorums/version.h>\n\n");
	sb_printf(out, "#include \"%s.pb-c.h\"\n\n", f->base);
	sb_printf(out,
	          "#if !defined(GORUMS_GEN_ABI) || GORUMS_GEN_ABI != %d\n"
	          "#error \"%s.gorums.h was generated for GORUMS_GEN_ABI %d, "
	          "which this gorums-c runtime does not provide: regenerate "
	          "it with the runtime's protoc-gen-gorums\"\n"
	          "#endif\n\n",
	          GORUMS_GEN_ABI, f->base, GORUMS_GEN_ABI);
	sb_puts(out, "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n");
}

static void
emit_ids(const md_service *s, sb *out)
{
	size_t w = 0;
	arena  a = {0};

	em_doc(out, "",
	       arena_printf(&a,
	                    "Method ids: FNV-1a (32 bits) of "
	                    "\"%s/<Method>\"; never 0.",
	                    s->full));
	for (size_t i = 0; i < s->nmethods; i++) {
		size_t n = strlen(s->methods[i].macro);
		w        = n > w ? n : w;
	}
	for (size_t i = 0; i < s->nmethods; i++) {
		const md_method *m = &s->methods[i];
		sb_printf(out, "#define %s_ID%*s 0x%08xu\n", m->macro,
		          (int) (w - strlen(m->macro)), "", (unsigned) m->id);
	}
	sb_puts(out, "\n");
	arena_fini(&a);
}

/*
 * The reply element of quorum functions, one per reply type. It is named
 * after the type, not the method, so that methods with the same types have
 * the same quorum function type (one function serves them all); a guard
 * lets every generated header that uses the type define it.
 */
static void
emit_qreplies(arena *a, const md_service *s, sb *out)
{
	for (size_t i = 0; i < s->nmethods; i++) {
		const md_method *m    = &s->methods[i];
		bool             seen = false;
		if (!em_quorum(m)) {
			continue;
		}
		for (size_t j = 0; j < i && !seen; j++) {
			seen = em_quorum(&s->methods[j]) &&
			    s->methods[j].out == m->out;
		}
		if (seen) {
			continue;
		}
		const char *guard =
		    arena_printf(a, "%s_QREPLY_DEFINED", m->out->upper);
		sb_printf(out, "#ifndef %s\n#define %s\n", guard, guard);
		em_doc(
		    out, "",
		    arena_printf(a,
		                 "%s_qreply is one node's reply in a quorum "
		                 "function: a %s.",
		                 m->out->lower, m->out->c_name));
		em_field rf[2] = {
		    {"uint32_t", "node_id", NULL},
		    {arena_printf(a, "const %s", m->out->c_name), "*msg",
		     NULL},
		};
		em_struct(out, arena_printf(a, "%s_qreply", m->out->lower), rf,
		          2);
		sb_printf(out, "#endif /* %s */\n\n", guard);
	}
}

/* The quorum functions' types, then the quorum spec. */
static void
emit_qspec(arena *a, const md_service *s, sb *out)
{
	em_field *fields = arena_alloc(a, (s->nmethods + 1) * sizeof(*fields));
	size_t    n      = 0;

	emit_qreplies(a, s, out);
	fields[n++] = (em_field) {"void", "*arg", "passed to every function"};
	for (size_t i = 0; i < s->nmethods; i++) {
		const md_method *m = &s->methods[i];
		const char      *q = qfunc_name(m);
		if (!em_quorum(m)) {
			continue;
		}
		const char *p[8];
		size_t      np = 0;
		p[np++]        = "void *arg";
		p[np++] = arena_printf(a, "const %s *req", m->in->c_name);
		p[np++] =
		    arena_printf(a, "const %s_qreply *replies", m->out->lower);
		p[np++] = "size_t nreplies";
		p[np++] = "const gorums_qin *in";
		p[np++] = arena_printf(a, "const %s **result", m->res->c_name);
		if (m->type == MD_CORRECTABLE) {
			p[np++] = "int *level";
		}
		em_doc(out, "",
		       arena_printf(a,
		                    "%s_qf is the quorum function of %s (see "
		                    "%s_qspec).",
		                    m->fn, m->name, s->fn));
		em_call(out, arena_printf(a, "typedef bool (*%s_qf)(", m->fn),
		        p, np, ");\n\n");
		fields[n++] = (em_field) {
		    arena_printf(a, "%s_qf", m->fn),
		    m->lower,
		    q != NULL ? arena_printf(a, "NULL: \"%s\"", q) : NULL,
		};
	}
	em_doc(
	    out, "",
	    arena_printf(
	        a,
	        "%s_qspec holds the quorum functions of %s's quorum calls, "
	        "one per method. A function gets arg, the call's request, "
	        "the replies so far (in arrival order, with their node ids) "
	        "and in, the same call untyped (for in->nconfig, in->nnodes, "
	        "and in->alloc, the call's arena, to build a result in). It "
	        "sets *result (one of the replies, or a message made with "
	        "in->alloc) and, for a correctable method, *level (higher is "
	        "better), and returns true once the replies suffice. It runs "
	        "on a runtime thread, once per reply, and must not block."
	        "\n\n"
	        "A NULL member means the method's built-in function "
	        "(gorums.qfunc); for a method without one the call fails "
	        "with GORUMS_EINVAL. A spec may be shared by any number of "
	        "calls and must stay valid until they are done.",
	        s->fn, s->name));
	em_struct(out, arena_printf(a, "%s_qspec", s->fn), fields, n);
	sb_puts(out, "\n");
}

static void
emit_per_node_types(arena *a, const md_service *s, sb *out)
{
	for (size_t i = 0; i < s->nmethods; i++) {
		const md_method *m = &s->methods[i];
		if (!m->per_node) {
			continue;
		}
		const char *p[5] = {
		    "void *arg",
		    "uint32_t node_id",
		    arena_printf(a, "const %s *req", m->in->c_name),
		    "ProtobufCAllocator *alloc",
		    arena_printf(a, "const %s **node_req", m->in->c_name),
		};
		em_doc(out, "",
		       arena_printf(
		           a,
		           "%s_per_node_fn makes node_id's own request "
		           "of %s from req: it sets *node_req (a message "
		           "made with alloc, or req; NULL means req) and "
		           "returns true, or returns false to skip the "
		           "node%s. It runs on the calling thread before "
		           "anything is sent.",
		           m->fn, m->name,
		           em_quorum(m) ? ", which then never counts "
		                          "toward the quorum"
		                        : ""));
		em_call(
		    out,
		    arena_printf(a, "typedef bool (*%s_per_node_fn)(", m->fn),
		    p, 5, ");\n\n");
	}
}

static void
emit_server(arena *a, const md_service *s, sb *out)
{
	em_field *fields = arena_alloc(a, (s->nmethods + 1) * sizeof(*fields));
	size_t    n      = 0;

	em_doc(out, "",
	       arena_printf(a,
	                    "%s_<method>_handler handles one request of the "
	                    "method (see %s_server).",
	                    s->fn, s->fn));
	fields[n++] = (em_field) {"void", "*arg", "passed to every handler"};
	for (size_t i = 0; i < s->nmethods; i++) {
		const md_method *m     = &s->methods[i];
		const char      *hp[3] = {
		         "gorums_ctx *ctx",
		         arena_printf(a, "const %s *req", m->in->c_name),
		         "void *arg",
                };
		em_call(out,
		        arena_printf(a, "typedef gorums_err (*%s_handler)(",
		                     m->fn),
		        hp, 3, ");\n");
		fields[n++] = (em_field) {
		    arena_printf(a, "%s_handler", m->fn),
		    m->lower,
		    NULL,
		};
	}
	sb_puts(out, "\n");
	em_doc(out, "",
	       arena_printf(
	           a,
	           "%s_server holds %s's request handlers, one per method. A "
	           "handler gets the decoded request (the runtime's, valid "
	           "until the request is answered and the handler returned) "
	           "and arg. A two-way method's handler answers with "
	           "%s_<method>_reply (or gorums_ctx_error), exactly once, "
	           "from any thread, before or after it returns; it may call "
	           "gorums_ctx_release to let the connection's next request "
	           "start (see gorums_handler in gorums/server.h). A NULL "
	           "member is not registered: its requests get "
	           "GORUMS_EUNKNOWNMETHOD.",
	           s->fn, s->name, s->fn));
	em_struct(out, arena_printf(a, "%s_server", s->fn), fields, n);
	sb_puts(out, "\n");
	em_doc(out, "",
	       arena_printf(
	           a,
	           "%s_server_register registers every non-NULL handler of "
	           "impl on s, with its method id and request type; before "
	           "gorums_server_listen. impl must stay valid until "
	           "gorums_server_close. On failure (GORUMS_EEXIST: a method "
	           "is registered already) the methods before the failing one "
	           "stay registered.",
	           s->fn));
	const char *rp[2] = {
	    "gorums_server *s",
	    arena_printf(a, "const %s_server *impl", s->fn),
	};
	em_call(out, arena_printf(a, "gorums_err %s_server_register(", s->fn),
	        rp, 2, ");\n\n");
}

/* The comment over m's functions. */
static void
emit_method_doc(arena *a, const md_method *m, sb *out)
{
	const char *q     = qfunc_name(m);
	const char *by    = q != NULL
	       ? arena_printf(a, "qs->%s (NULL: the built-in \"%s\")", m->lower,
	                      q)
	       : arena_printf(a, "qs->%s", m->lower);
	sb          b     = {0};
	const char *reply = "";

	if (em_two_way(m) && !m->stream) {
		reply = arena_printf(a,
		                     "\n\n%s_reply answers a request of %s "
		                     "(server side).",
		                     m->fn, m->name);
	}
	switch (m->type) {
	case MD_RPC:
		sb_printf(
		    &b,
		    "%s: ordered RPC to node n. %s waits up to timeout_ms "
		    "(<= 0: no deadline) for the reply, which the caller "
		    "owns (free it with %s__free_unpacked(reply, NULL)). "
		    "%s_async starts the call and returns its handle (free "
		    "it with gorums_call_free); cb (may be NULL) runs when "
		    "it completes, and %s_result then moves the reply out.",
		    m->name, m->fn, m->out->lower, m->fn, m->fn);
		break;
	case MD_UNICAST:
		sb_printf(
		    &b,
		    "%s: unicast, one way to node n (no reply). With flags "
		    "0 it returns once the request is written, with "
		    "GORUMS_NOWAIT once it is queued.",
		    m->name);
		break;
	case MD_MULTICAST:
		sb_printf(
		    &b,
		    "%s: multicast, one way to every node of cfg (no "
		    "reply); returns the first error of any node. flags as "
		    "for unicast.",
		    m->name);
		if (m->per_node) {
			sb_puts(
			    &b,
			    " fn (may be NULL: the same request for all) "
			    "makes each node's own request; what it allocates "
			    "is freed before the call returns.");
		}
		break;
	case MD_QUORUMCALL:
		sb_printf(
		    &b,
		    "%s: quorum call on the nodes of cfg, decided by %s. "
		    "%s waits up to timeout_ms (<= 0: no deadline) and "
		    "returns the call's result; *cp gets the call whenever "
		    "one started (also on failure, for "
		    "gorums_qcall_nreplies and gorums_qcall_node_status), "
		    "to be freed with gorums_call_free.",
		    m->name, by, m->fn);
		if (m->async) {
			sb_printf(
			    &b,
			    " %s_async starts the call and returns at once; "
			    "cb (may be NULL) runs when it completes.",
			    m->fn);
		}
		sb_printf(&b,
		          " %s_result is its value, a %s, borrowed until "
		          "gorums_call_free.",
		          m->fn, m->res->c_name);
		break;
	case MD_CORRECTABLE:
		sb_printf(
		    &b,
		    "%s: correctable quorum call%s on the nodes of cfg, "
		    "decided by %s. %s starts the call and returns its "
		    "handle in *cp (free it with gorums_call_free); cb (may "
		    "be NULL) runs when it completes. Each better value is "
		    "published as a level: %s_level reads the current one "
		    "(0: none yet), gorums_qcall_watch and "
		    "gorums_qcall_wait_level wait for one, gorums_call_wait "
		    "for the end, and %s_result is the final value. Values "
		    "(%s) are borrowed until gorums_call_free.",
		    m->name, m->stream ? " (stream)" : "", by, m->fn, m->fn,
		    m->fn, m->res->c_name);
		if (m->stream) {
			sb_printf(
			    &b,
			    " Each node answers with a stream of replies, "
			    "each fed to the quorum function as it comes; "
			    "the call also ends, at the level reached, when "
			    "every stream has ended.\n\n"
			    "Server side: the handler sends each item with "
			    "%s_send and ends the stream with %s_end (from "
			    "any thread, after the items); %s_reply instead "
			    "answers with one last item and ends it too.",
			    m->fn, m->fn, m->fn);
		}
		break;
	}
	sb_puts(&b, reply);
	if (m->comment == NULL) {
		em_doc(out, "", sb_str(&b));
	} else {
		/* The .proto comment first, as it was written. */
		sb_puts(out, "/*\n");
		em_comment(out, "", m->comment);
		sb_puts(out, " *\n");
		em_doc_lines(out, "", sb_str(&b));
		sb_puts(out, " */\n");
	}
	sb_fini(&b);
}

static void
emit_method_fns(arena *a, const md_service *s, const md_method *m, sb *out)
{
	emit_method_doc(a, m, out);
	declare(a, out, s, m, EM_CALL);
	declare(a, out, s, m, EM_ASYNC);
	declare(a, out, s, m, EM_RESULT);
	declare(a, out, s, m, EM_LEVEL);
	declare(a, out, s, m, EM_REPLY);
	declare(a, out, s, m, EM_SEND);
	declare(a, out, s, m, EM_END);
	sb_puts(out, "\n");
}

void
em_header(const md_file *f, sb *out)
{
	const md_service *s = f->svc;
	arena             a = {0};

	emit_preamble(f, out);
	if (s != NULL) {
		sb_printf(
		    out,
		    "/*\n"
		    " * Service %s: the names are %s_<method>, after the "
		    "method's\n"
		    " * name (gen/README.md of gorums-c lists them).\n",
		    s->full, s->fn);
		if (s->comment != NULL) {
			sb_puts(out, " *\n");
			em_comment(out, "", s->comment);
		}
		sb_puts(out, " */\n\n");
		emit_ids(s, out);
		emit_qspec(&a, s, out);
		emit_per_node_types(&a, s, out);
		emit_server(&a, s, out);
		for (size_t i = 0; i < s->nmethods; i++) {
			emit_method_fns(&a, s, &s->methods[i], out);
		}
	}
	sb_puts(out, "#ifdef __cplusplus\n}\n#endif\n\n");
	sb_printf(out, "#endif /* GORUMS_GEN_%s_INCLUDED */\n", f->ident);
	arena_fini(&a);
}
