/*
 * model.c: the model of one .proto file, and its validation. See model.h.
 *
 * Reading the options. protobuf-c has no extension API, so the gorums
 * options of a method reach us as unknown fields of its MethodOptions
 * (protobuf-c keeps them, and packs them again). To read them typed, the
 * options are packed and the bytes unpacked as gorums_ext.MethodExt, a
 * message whose ordinary fields carry the extension numbers. protobuf-c's
 * own file option c_package is read the same way, since it changes the C
 * names of a file's types.
 */
#include "gen/model.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen/gorums_ext.pb-c.h"
#include "gen/names.h"

/* Field numbers of descriptor.proto, for source_code_info paths. */
enum {
	FILE_SERVICE   = 6, /* FileDescriptorProto.service */
	SERVICE_METHOD = 2, /* ServiceDescriptorProto.method */
};

static void
fatal(const char *what)
{
	fprintf(stderr, "protoc-gen-gorums: %s\n", what);
	exit(1);
}

/* ---- options through the shadow messages ---------------------------- */

static GorumsExt__MethodExt *
method_ext(const Google__Protobuf__MethodOptions *o)
{
	size_t   n   = google__protobuf__method_options__get_packed_size(o);
	uint8_t *buf = xmalloc(n);
	GorumsExt__MethodExt *e;

	(void) google__protobuf__method_options__pack(o, buf);
	e = gorums_ext__method_ext__unpack(NULL, n, buf);
	free(buf);
	return (e); /* NULL: an option of ours with a wrong wire type */
}

/* c_package of protobuf-c's file options (in the arena), or NULL. */
static const char *
file_c_package(arena *a, const Google__Protobuf__FileDescriptorProto *fd)
{
	const Google__Protobuf__FileOptions *o = fd->options;
	GorumsExt__FileExt                  *e;
	const char                          *pkg = NULL;
	size_t                               n;
	uint8_t                             *buf;

	if (o == NULL || o->base.n_unknown_fields == 0) {
		return (NULL);
	}
	n   = google__protobuf__file_options__get_packed_size(o);
	buf = xmalloc(n);
	(void) google__protobuf__file_options__pack(o, buf);
	e = gorums_ext__file_ext__unpack(NULL, n, buf);
	free(buf);
	if (e == NULL) {
		fatal("cannot decode file options");
	}
	if (e->pb_c_file != NULL && e->pb_c_file->c_package != NULL) {
		pkg = arena_strdup(a, e->pb_c_file->c_package);
	}
	gorums_ext__file_ext__free_unpacked(e, NULL);
	return (pkg);
}

/* ---- the type index ------------------------------------------------- */

static void
add_types(md_ctx *ctx, size_t *cap, size_t file, const char *pkg,
          const char *c_package, const char *scope,
          Google__Protobuf__DescriptorProto *const *msgs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const Google__Protobuf__DescriptorProto *m = msgs[i];
		md_type                                 *t;
		if (ctx->ntypes == *cap) {
			size_t   ncap = *cap > 0 ? *cap * 2 : 64;
			md_type *v    = arena_alloc(ctx->a, ncap * sizeof(*v));
			if (ctx->ntypes > 0) {
				memcpy(v, ctx->types,
				       ctx->ntypes * sizeof(*v));
			}
			ctx->types = v;
			*cap       = ncap;
		}
		t         = &ctx->types[ctx->ntypes++];
		t->full   = arena_printf(ctx->a, "%s.%s", scope, m->name);
		t->c_name = nm_type_c(ctx->a, t->full, pkg, c_package);
		t->lower  = nm_type_lower(ctx->a, t->full, pkg, c_package);
		t->upper  = nm_upper(ctx->a, t->lower);
		t->file   = file;
		add_types(ctx, cap, file, pkg, c_package, t->full,
		          m->nested_type, m->n_nested_type);
	}
}

void
md_ctx_init(md_ctx *ctx, arena *a,
            const Google__Protobuf__Compiler__CodeGeneratorRequest *req)
{
	size_t cap = 0;

	memset(ctx, 0, sizeof(*ctx));
	ctx->a   = a;
	ctx->req = req;
	for (size_t i = 0; i < req->n_proto_file; i++) {
		const Google__Protobuf__FileDescriptorProto *fd =
		    req->proto_file[i];
		const char *pkg = fd->package != NULL ? fd->package : "";
		const char *scope =
		    pkg[0] != '\0' ? arena_printf(a, ".%s", pkg) : "";
		add_types(ctx, &cap, i, pkg, file_c_package(a, fd), scope,
		          fd->message_type, fd->n_message_type);
	}
}

static const md_type *
find_type(const md_ctx *ctx, const char *full)
{
	for (size_t i = 0; i < ctx->ntypes; i++) {
		if (strcmp(ctx->types[i].full, full) == 0) {
			return (&ctx->types[i]);
		}
	}
	return (NULL);
}

static size_t
file_index(const md_ctx *ctx, const char *name)
{
	for (size_t i = 0; i < ctx->req->n_proto_file; i++) {
		if (strcmp(ctx->req->proto_file[i]->name, name) == 0) {
			return (i);
		}
	}
	return (SIZE_MAX);
}

/* Marks file i and everything it imports, directly or not. */
static void
mark_visible(const md_ctx *ctx, size_t i, bool *vis)
{
	const Google__Protobuf__FileDescriptorProto *fd;

	if (i == SIZE_MAX || vis[i]) {
		return;
	}
	vis[i] = true;
	fd     = ctx->req->proto_file[i];
	for (size_t d = 0; d < fd->n_dependency; d++) {
		mark_visible(ctx, file_index(ctx, fd->dependency[d]), vis);
	}
}

/*
 * resolve finds the message a custom_return_type names, as protoc resolves
 * a type name written in the file: a leading dot means a full name;
 * otherwise the name is looked up in the file's package, then in each
 * enclosing package, then at the top. Only the file and its imports count.
 */
static const md_type *
resolve(const md_ctx *ctx, const char *pkg, const char *name, const bool *vis)
{
	const md_type *t;
	char          *scope;

	if (name[0] == '.') {
		t = find_type(ctx, name);
		return (t != NULL && vis[t->file] ? t : NULL);
	}
	scope = arena_strdup(ctx->a, pkg);
	for (;;) {
		const char *full = scope[0] != '\0'
		    ? arena_printf(ctx->a, ".%s.%s", scope, name)
		    : arena_printf(ctx->a, ".%s", name);
		t                = find_type(ctx, full);
		if (t != NULL && vis[t->file]) {
			return (t);
		}
		if (scope[0] == '\0') {
			return (NULL);
		}
		char *dot = strrchr(scope, '.');
		if (dot != NULL) {
			*dot = '\0';
		} else {
			scope[0] = '\0';
		}
	}
}

/* ---- comments -------------------------------------------------------- */

static const char *
leading_comment(arena *a, const Google__Protobuf__FileDescriptorProto *fd,
                const int32_t *path, size_t n)
{
	const Google__Protobuf__SourceCodeInfo *sci = fd->source_code_info;

	if (sci == NULL) {
		return (NULL);
	}
	for (size_t i = 0; i < sci->n_location; i++) {
		const Google__Protobuf__SourceCodeInfo__Location *l =
		    sci->location[i];
		if (l->n_path != n ||
		    memcmp(l->path, path, n * sizeof(*path)) != 0) {
			continue;
		}
		if (l->leading_comments == NULL ||
		    l->leading_comments[0] == '\0') {
			return (NULL);
		}
		return (arena_strdup(a, l->leading_comments));
	}
	return (NULL);
}

/* ---- validation ------------------------------------------------------ */

/* The context of one file's checks. */
typedef struct check {
	md_ctx        *ctx;
	const md_file *f;
	sb            *errs;
	bool           ok;
} check;

static void method_error(check *ck, const md_method *m, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
method_error(check *ck, const md_method *m, const char *fmt, ...)
{
	va_list ap;
	char    msg[1024];

	va_start(ap, fmt);
	(void) vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sb_printf(ck->errs, "%s: method %s.%s: %s\n", ck->f->name,
	          ck->f->svc->name, m->name, msg);
	ck->ok = false;
}

/* A name of ours must be a plain identifier without "__" (protobuf-c's). */
static const char *
bad_name(const char *lower)
{
	size_t n = strlen(lower);

	if (n == 0 || lower[0] == '_' || lower[n - 1] == '_' ||
	    strstr(lower, "__") != NULL) {
		return ("it has a leading, trailing or double underscore, "
		        "and names with those are protobuf-c's");
	}
	if (lower[0] >= '0' && lower[0] <= '9') {
		return ("it starts with a digit");
	}
	return (NULL);
}

static bool
parse_qfunc(const char *s, md_qfunc *qf, int *k)
{
	static const char thr[] = "threshold:";
	long              v     = 0;

	if (strcmp(s, "first") == 0) {
		*qf = MD_QF_FIRST;
	} else if (strcmp(s, "majority") == 0) {
		*qf = MD_QF_MAJORITY;
	} else if (strcmp(s, "all") == 0) {
		*qf = MD_QF_ALL;
	} else if (strncmp(s, thr, sizeof(thr) - 1) == 0) {
		const char *d = s + sizeof(thr) - 1;
		if (*d == '\0' || *d == '0') {
			return (false);
		}
		for (; *d != '\0'; d++) {
			if (*d < '0' || *d > '9' || v > INT_MAX / 10) {
				return (false);
			}
			v = v * 10 + (*d - '0');
		}
		if (v <= 0 || v > INT_MAX) {
			return (false);
		}
		*qf = MD_QF_THRESHOLD;
		*k  = (int) v;
	} else {
		return (false);
	}
	return (true);
}

static bool
is_quorum(const md_method *m)
{
	return (m->type == MD_QUORUMCALL || m->type == MD_CORRECTABLE);
}

/* Reads and checks one method's options. */
static void
build_method(check *ck, const Google__Protobuf__MethodDescriptorProto *md,
             md_method *m, const bool *vis)
{
	md_ctx               *ctx = ck->ctx;
	arena                *a   = ctx->a;
	const md_service     *s   = ck->f->svc;
	GorumsExt__MethodExt *e   = NULL;
	const char           *types[5];
	size_t                ntypes = 0;
	const char           *crt    = NULL;

	m->name  = md->name;
	m->lower = nm_lower(a, md->name);
	m->fn    = arena_printf(a, "%s_%s", s->fn, m->lower);
	m->macro = nm_upper(a, m->fn);
	m->full  = arena_printf(a, "%s/%s", s->full, md->name);
	m->id    = nm_method_id(m->full);
	m->type  = MD_RPC;

	if (md->options != NULL && (e = method_ext(md->options)) == NULL) {
		method_error(
		    ck, m,
		    "its options do not decode as those of "
		    "gorums.proto (another extension with the numbers "
		    "of gorums.proto's?)");
	}
	if (e != NULL) {
		if (e->has_rpc && e->rpc) {
			types[ntypes++] = "(gorums.rpc)";
		}
		if (e->has_unicast && e->unicast) {
			types[ntypes++] = "(gorums.unicast)";
			m->type         = MD_UNICAST;
		}
		if (e->has_multicast && e->multicast) {
			types[ntypes++] = "(gorums.multicast)";
			m->type         = MD_MULTICAST;
		}
		if (e->has_quorumcall && e->quorumcall) {
			types[ntypes++] = "(gorums.quorumcall)";
			m->type         = MD_QUORUMCALL;
		}
		if (e->has_correctable && e->correctable) {
			types[ntypes++] = "(gorums.correctable)";
			m->type         = MD_CORRECTABLE;
		}
		m->async    = e->has_async && e->async;
		m->per_node = e->has_per_node_arg && e->per_node_arg;
		if (e->custom_return_type != NULL &&
		    e->custom_return_type[0] != '\0') {
			crt = arena_strdup(a, e->custom_return_type);
		}
		if (e->qfunc != NULL && e->qfunc[0] != '\0') {
			m->qfunc_text = arena_strdup(a, e->qfunc);
		}
		gorums_ext__method_ext__free_unpacked(e, NULL);
	}
	m->stream = md->has_server_streaming && md->server_streaming;

	if ((m->in = find_type(ctx, md->input_type)) == NULL) {
		method_error(ck, m, "input type %s not found", md->input_type);
	}
	if ((m->out = find_type(ctx, md->output_type)) == NULL) {
		method_error(ck, m, "output type %s not found",
		             md->output_type);
	}
	m->res = m->out;

	if (md->has_client_streaming && md->client_streaming) {
		method_error(ck, m,
		             "client streaming (`stream` on the request) is "
		             "not supported by any gorums call type");
	}
	if (ntypes > 1) {
		sb b = {0};
		for (size_t i = 0; i < ntypes; i++) {
			sb_printf(&b, "%s%s",
			          i == 0                ? ""
			              : i + 1 == ntypes ? " and "
			                                : ", ",
			          types[i]);
		}
		method_error(ck, m,
		             "conflicting call types %s: a method has at most "
		             "one",
		             sb_str(&b));
		sb_fini(&b);
	}
	if (m->async && m->type != MD_QUORUMCALL) {
		method_error(ck, m,
		             "option (gorums.async) requires "
		             "(gorums.quorumcall)");
	}
	if (m->stream && m->type != MD_CORRECTABLE) {
		method_error(ck, m,
		             "server streaming (`returns (stream ...)`) "
		             "requires (gorums.correctable)");
	}
	if (m->per_node && !is_quorum(m) && m->type != MD_MULTICAST) {
		method_error(ck, m,
		             "option (gorums.per_node_arg) requires "
		             "(gorums.quorumcall), (gorums.correctable) or "
		             "(gorums.multicast)");
	}
	if (crt != NULL) {
		if (!is_quorum(m)) {
			method_error(ck, m,
			             "option (gorums.custom_return_type) "
			             "requires (gorums.quorumcall) or "
			             "(gorums.correctable)");
		} else if ((m->res = resolve(ctx, ck->f->package, crt, vis)) ==
		           NULL) {
			m->res = m->out;
			method_error(ck, m,
			             "option (gorums.custom_return_type) = "
			             "\"%s\": no such message in %s or the "
			             "files it imports",
			             crt, ck->f->name);
		}
	}
	if (m->qfunc_text != NULL) {
		if (!is_quorum(m)) {
			method_error(ck, m,
			             "option (gorums.qfunc) requires "
			             "(gorums.quorumcall) or "
			             "(gorums.correctable)");
		} else if (!parse_qfunc(m->qfunc_text, &m->qfunc, &m->qk)) {
			method_error(ck, m,
			             "option (gorums.qfunc) = \"%s\": not "
			             "\"first\", \"majority\", \"all\" or "
			             "\"threshold:K\" with K > 0",
			             m->qfunc_text);
		} else if (crt != NULL) {
			method_error(
			    ck, m,
			    "option (gorums.qfunc) cannot be combined "
			    "with (gorums.custom_return_type): a "
			    "built-in quorum function returns one of "
			    "the replies");
		}
	}
	const char *why = bad_name(m->lower);
	if (why != NULL) {
		method_error(ck, m, "its C name \"%s\" is not usable: %s",
		             m->lower, why);
	} else if (nm_reserved(m->lower)) {
		method_error(ck, m,
		             "its C member name \"%s\" is a reserved word in "
		             "C or C++; rename the method",
		             m->lower);
	} else if (strcmp(m->lower, "arg") == 0) {
		method_error(ck, m,
		             "its C member name \"arg\" is taken by the user "
		             "argument of the quorum spec and server structs; "
		             "rename the method");
	}
}

/* One C name we generate, and the method it belongs to (NULL: service). */
typedef struct gen_name {
	const char      *name;
	const md_method *m;
} gen_name;

static void
add_name(arena *a, gen_name *v, size_t *n, const md_method *m, const char *fmt,
         const char *prefix)
{
	v[*n].name = arena_printf(a, fmt, prefix);
	v[*n].m    = m;
	(*n)++;
}

static int
cmp_name(const void *x, const void *y)
{
	const gen_name *a = x;
	const gen_name *b = y;
	int             c = strcmp(a->name, b->name);

	if (c != 0) {
		return (c);
	}
	/* Stable for equal names: by method, the service first. */
	if (a->m == b->m) {
		return (0);
	}
	if (a->m == NULL || b->m == NULL) {
		return (a->m == NULL ? -1 : 1);
	}
	return (a->m < b->m ? -1 : 1);
}

/*
 * check_names finds generated names that collide: two methods whose names
 * lower-case alike ("ReadQC", "readQc"), a method whose plain name is
 * another's derived one ("Read" with rpc makes storage_read_async, as does
 * "ReadAsync"), or a method name that is a service-level one. Macros
 * need no check: a method's are its function prefix upper-cased plus a
 * suffix, so they collide only when the functions do. (gen/README.md
 * lists every name; keep this in step with emit_sig.c and emit_h.c.)
 */
static void
check_names(check *ck)
{
	const md_service *s = ck->f->svc;
	arena            *a = ck->ctx->a;
	size_t            n = 0;
	gen_name *v = arena_alloc(a, (s->nmethods * 16 + 3) * sizeof(*v));

	add_name(a, v, &n, NULL, "%s_qspec", s->fn);
	add_name(a, v, &n, NULL, "%s_server", s->fn);
	add_name(a, v, &n, NULL, "%s_server_register", s->fn);
	for (size_t i = 0; i < s->nmethods; i++) {
		const md_method *m = &s->methods[i];
		add_name(a, v, &n, m, "%s", m->fn);
		add_name(a, v, &n, m, "%s_handler", m->fn);
		if (m->per_node) {
			add_name(a, v, &n, m, "%s_per_node_fn", m->fn);
		}
		switch (m->type) {
		case MD_RPC:
			add_name(a, v, &n, m, "%s_async", m->fn);
			add_name(a, v, &n, m, "%s_result", m->fn);
			add_name(a, v, &n, m, "%s_reply", m->fn);
			break;
		case MD_QUORUMCALL:
		case MD_CORRECTABLE:
			if (m->async) {
				add_name(a, v, &n, m, "%s_async", m->fn);
			}
			if (m->type == MD_CORRECTABLE) {
				add_name(a, v, &n, m, "%s_level", m->fn);
			}
			if (m->stream) {
				add_name(a, v, &n, m, "%s_send", m->fn);
				add_name(a, v, &n, m, "%s_end", m->fn);
			}
			add_name(a, v, &n, m, "%s_result", m->fn);
			add_name(a, v, &n, m, "%s_qf", m->fn);
			add_name(a, v, &n, m, "%s_reply", m->fn);
			break;
		case MD_UNICAST:
		case MD_MULTICAST:
			break;
		}
	}
	qsort(v, n, sizeof(*v), cmp_name);
	/* Equal names are now adjacent; report each clashing pair of
	 * origins once, however many of their names clash. */
	const md_method **pairs  = arena_alloc(a, 2 * n * sizeof(*pairs));
	size_t            npairs = 0;
	for (size_t i = 1; i < n; i++) {
		const gen_name *x = &v[i - 1], *y = &v[i];
		bool            seen = false;
		if (strcmp(x->name, y->name) != 0 || x->m == y->m) {
			continue;
		}
		for (size_t j = 0; j < npairs && !seen; j++) {
			seen =
			    pairs[2 * j] == x->m && pairs[2 * j + 1] == y->m;
		}
		if (seen) {
			continue;
		}
		pairs[2 * npairs]     = x->m;
		pairs[2 * npairs + 1] = y->m;
		npairs++;
		if (x->m == NULL) {
			method_error(ck, y->m,
			             "its generated name %s collides with the "
			             "service's %s; rename the method",
			             y->name, x->name);
		} else {
			method_error(ck, y->m,
			             "its generated name %s collides with the "
			             "same name generated for method %s.%s; "
			             "rename one of them",
			             y->name, s->name, x->m->name);
		}
	}
}

static void
check_ids(check *ck)
{
	const md_service *s = ck->f->svc;

	for (size_t i = 0; i < s->nmethods; i++) {
		for (size_t j = 0; j < i; j++) {
			if (s->methods[i].id != s->methods[j].id) {
				continue;
			}
			method_error(
			    ck, &s->methods[i],
			    "its method id 0x%08x (FNV-1a of \"%s\") "
			    "collides with that of method %s.%s; rename "
			    "one of them",
			    (unsigned) s->methods[i].id, s->methods[i].full,
			    s->name, s->methods[j].name);
		}
	}
}

bool
md_build(md_ctx *ctx, const Google__Protobuf__FileDescriptorProto *fd,
         md_file **out, sb *errs)
{
	arena      *a = ctx->a;
	md_file    *f = arena_alloc(a, sizeof(*f));
	md_service *s;
	check       ck = {.ctx = ctx, .f = f, .errs = errs, .ok = true};
	size_t      len;
	bool       *vis;

	*out       = f;
	f->name    = fd->name;
	f->package = fd->package != NULL ? fd->package : "";
	len        = strlen(fd->name);
	f->base    = arena_strdup(a, fd->name);
	if (len > 6 && strcmp(fd->name + len - 6, ".proto") == 0) {
		((char *) f->base)[len - 6] = '\0';
	}
	f->ident = nm_file_ident(a, fd->name);
	if (fd->n_service == 0) {
		return (true);
	}
	if (fd->n_service > 1) {
		sb_printf(
		    errs,
		    "%s: %zu services (%s, %s%s): gorums-c generates one "
		    "service per file; move the others to files of their "
		    "own\n",
		    fd->name, fd->n_service, fd->service[0]->name,
		    fd->service[1]->name, fd->n_service > 2 ? ", ..." : "");
		return (false);
	}

	const Google__Protobuf__ServiceDescriptorProto *sd = fd->service[0];
	int32_t path[4] = {FILE_SERVICE, 0, SERVICE_METHOD, 0};

	s           = arena_alloc(a, sizeof(*s));
	f->svc      = s;
	s->name     = sd->name;
	s->full     = f->package[0] != '\0'
	        ? arena_printf(a, "%s.%s", f->package, sd->name)
	        : sd->name;
	s->fn       = nm_lower(a, sd->name);
	s->macro    = nm_upper(a, s->fn);
	s->comment  = leading_comment(a, fd, path, 2);
	s->nmethods = sd->n_method;
	s->methods  = arena_alloc(a, sd->n_method * sizeof(md_method));

	const char *why = bad_name(s->fn);
	if (why == NULL &&
	    (strcmp(s->fn, "gorums") == 0 ||
	     strncmp(s->fn, "gorums_", 7) == 0 || strcmp(s->fn, "gri") == 0 ||
	     strncmp(s->fn, "gri_", 4) == 0 ||
	     strcmp(s->fn, "protobuf_c") == 0 ||
	     strncmp(s->fn, "protobuf_c_", 11) == 0)) {
		why = "its names would be in the namespace of gorums-c "
		      "(gorums_, gri_) or protobuf-c (protobuf_c_)";
	}
	if (why != NULL) {
		sb_printf(errs,
		          "%s: service %s: its C prefix \"%s\" is not usable: "
		          "%s; rename the service\n",
		          fd->name, sd->name, s->fn, why);
		return (false);
	}

	vis = arena_alloc(a, ctx->req->n_proto_file * sizeof(*vis));
	mark_visible(ctx, file_index(ctx, fd->name), vis);
	for (size_t i = 0; i < sd->n_method; i++) {
		path[3] = (int32_t) i;
		build_method(&ck, sd->method[i], &s->methods[i], vis);
		s->methods[i].comment = leading_comment(a, fd, path, 4);
	}
	check_names(&ck);
	check_ids(&ck);
	return (ck.ok);
}
