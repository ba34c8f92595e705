/*
 * main.c: protoc-gen-gorums, the protoc plugin of gorums-c.
 *
 * protoc runs it with a CodeGeneratorRequest on stdin and reads a
 * CodeGeneratorResponse from stdout (google/protobuf/compiler/plugin.proto).
 * For each file to generate, foo.proto, it writes foo.gorums.h and
 * foo.gorums.c (empty of calls if foo.proto has no service, so that build
 * rules can name the outputs of every file in advance). Problems in the
 * .proto go into the response's error, one line each naming the file and
 * the method, and the exit status stays 0, as plugin.proto asks; only
 * failures of the plugin itself (unreadable input, no memory) exit 1.
 * It writes nothing to stderr otherwise: protoc shows a plugin's stderr on
 * every run (under Bazel, on every build).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen/emit.h"
#include "gen/model.h"
#include "gen/strbuf.h"

static uint8_t *
read_all(FILE *in, size_t *lenp)
{
	size_t   cap = 1 << 16;
	size_t   len = 0;
	uint8_t *buf = xmalloc(cap);

	for (;;) {
		size_t n = fread(buf + len, 1, cap - len, in);
		len += n;
		if (len < cap) {
			if (ferror(in)) {
				free(buf);
				return (NULL);
			}
			break;
		}
		uint8_t *bigger = xmalloc(cap * 2);
		memcpy(bigger, buf, len);
		free(buf);
		buf = bigger;
		cap *= 2;
	}
	*lenp = len;
	return (buf);
}

static const Google__Protobuf__FileDescriptorProto *
find_file(const Google__Protobuf__Compiler__CodeGeneratorRequest *req,
          const char                                             *name)
{
	for (size_t i = 0; i < req->n_proto_file; i++) {
		if (strcmp(req->proto_file[i]->name, name) == 0) {
			return (req->proto_file[i]);
		}
	}
	return (NULL);
}

static void
add_file(Google__Protobuf__Compiler__CodeGeneratorResponse *resp,
         const char *name, char *content)
{
	Google__Protobuf__Compiler__CodeGeneratorResponse__File *f =
	    xmalloc(sizeof(*f));

	google__protobuf__compiler__code_generator_response__file__init(f);
	f->name = xmalloc(strlen(name) + 1);
	memcpy(f->name, name, strlen(name) + 1);
	f->content                 = content;
	resp->file[resp->n_file++] = f;
}

static void
free_response(Google__Protobuf__Compiler__CodeGeneratorResponse *resp)
{
	for (size_t i = 0; i < resp->n_file; i++) {
		free(resp->file[i]->name);
		free(resp->file[i]->content);
		free(resp->file[i]);
	}
	free(resp->file);
	free(resp->error);
}

int
main(void)
{
	Google__Protobuf__Compiler__CodeGeneratorRequest *req;
	Google__Protobuf__Compiler__CodeGeneratorResponse resp =
	    GOOGLE__PROTOBUF__COMPILER__CODE_GENERATOR_RESPONSE__INIT;
	size_t   len;
	uint8_t *in = read_all(stdin, &len);
	arena    a  = {0};
	md_ctx   ctx;
	sb       errs = {0};

	if (in == NULL) {
		fputs("protoc-gen-gorums: cannot read the request\n", stderr);
		return (1);
	}
	req = google__protobuf__compiler__code_generator_request__unpack(
	    NULL, len, in);
	free(in);
	if (req == NULL) {
		fputs("protoc-gen-gorums: the request does not decode\n",
		      stderr);
		return (1);
	}

	/* We take any proto3 `optional` (we read no fields), though
	 * protoc-gen-c, run beside us, does not. */
	resp.has_supported_features = 1;
	resp.supported_features =
	    GOOGLE__PROTOBUF__COMPILER__CODE_GENERATOR_RESPONSE__FEATURE__FEATURE_PROTO3_OPTIONAL;
	resp.file = xmalloc(2 * req->n_file_to_generate * sizeof(*resp.file));

	md_ctx_init(&ctx, &a, req);
	if (req->parameter != NULL && req->parameter[0] != '\0') {
		/* Better refused than silently ignored. */
		sb_printf(
		    &errs,
		    "protoc-gen-gorums takes no parameters (got \"%s\")\n",
		    req->parameter);
	}
	for (size_t i = 0; i < req->n_file_to_generate; i++) {
		const Google__Protobuf__FileDescriptorProto *fd =
		    find_file(req, req->file_to_generate[i]);
		md_file *f;
		sb       h = {0}, c = {0};

		if (fd == NULL) {
			sb_printf(&errs, "%s: not in the request\n",
			          req->file_to_generate[i]);
			continue;
		}
		if (!md_build(&ctx, fd, &f, &errs)) {
			continue;
		}
		em_header(f, &h);
		em_source(f, &c);
		add_file(&resp, arena_printf(&a, "%s.gorums.h", f->base),
		         sb_take(&h));
		add_file(&resp, arena_printf(&a, "%s.gorums.c", f->base),
		         sb_take(&c));
	}
	if (errs.len > 0) {
		/* protoc prints the error and ignores the files. */
		errs.p[--errs.len] = '\0'; /* the last newline */
		resp.error         = sb_take(&errs);
	}

	size_t n =
	    google__protobuf__compiler__code_generator_response__get_packed_size(
	        &resp);
	uint8_t *out = xmalloc(n);
	int      rv  = 0;

	(void) google__protobuf__compiler__code_generator_response__pack(&resp,
	                                                                 out);
	if (fwrite(out, 1, n, stdout) != n || fflush(stdout) != 0) {
		fputs("protoc-gen-gorums: cannot write the response\n",
		      stderr);
		rv = 1;
	}
	free(out);
	free_response(&resp);
	sb_fini(&errs);
	arena_fini(&a);
	google__protobuf__compiler__code_generator_request__free_unpacked(
	    req, NULL);
	return (rv);
}
