/*
 * model.h: what protoc-gen-gorums generates from, built from one file of
 * the CodeGeneratorRequest and checked.
 *
 * md_build reads the file's service and the gorums options of each method
 * (gorums.proto, read through the shadow messages of gorums_ext.proto),
 * resolves message types to their protobuf-c names, derives every C name
 * and method id, and checks the whole against the rules (gen/README.md,
 * "Validation"). Each problem is one line of errs naming the file and the
 * method: protoc shows them to the user, and nothing is generated.
 */
#ifndef GEN_MODEL_H
#define GEN_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gen/strbuf.h"
#include "google/protobuf/compiler/plugin.pb-c.h"

typedef enum md_calltype {
	MD_RPC = 0, /* no call type option, or (gorums.rpc) */
	MD_UNICAST,
	MD_MULTICAST,
	MD_QUORUMCALL,
	MD_CORRECTABLE,
} md_calltype;

/* A built-in quorum function, (gorums.qfunc). */
typedef enum md_qfunc {
	MD_QF_NONE = 0, /* the quorum spec must supply one */
	MD_QF_FIRST,
	MD_QF_MAJORITY,
	MD_QF_ALL,
	MD_QF_THRESHOLD,
} md_qfunc;

/* A message type as protobuf-c names it. */
typedef struct md_type {
	const char *full;   /* ".pkg.Outer.Inner" */
	const char *c_name; /* Pkg__Outer__Inner */
	const char *lower;  /* pkg__outer__inner (+ "__descriptor") */
	const char *upper;  /* PKG__OUTER__INNER */
	size_t      file;   /* index in the request's proto_file */
} md_type;

typedef struct md_method {
	const char    *name;  /* as in the .proto: ReadQC */
	const char    *lower; /* read_qc: the member name */
	const char    *fn;    /* storage_read_qc: the prefix of its names */
	const char    *macro; /* STORAGE_READ_QC (+ "_ID") */
	const char    *full;  /* pkg.Storage/ReadQC (hashed for the id) */
	uint32_t       id;
	md_calltype    type;
	bool           async;    /* quorumcall: an async form too */
	bool           per_node; /* takes a per-node request function */
	bool           stream;   /* server streaming (correctable stream) */
	md_qfunc       qfunc;
	int            qk; /* MD_QF_THRESHOLD's K */
	const char    *qfunc_text;
	const md_type *in;
	const md_type *out;
	const md_type *res;     /* custom_return_type, or out */
	const char    *comment; /* leading comment in the .proto, or NULL */
} md_method;

typedef struct md_service {
	const char *name;  /* Storage */
	const char *full;  /* pkg.Storage */
	const char *fn;    /* storage: the prefix of every name */
	const char *macro; /* STORAGE */
	md_method  *methods;
	size_t      nmethods;
	const char *comment;
} md_service;

typedef struct md_file {
	const char *name;    /* "dir/foo.proto", as protoc names it */
	const char *base;    /* "dir/foo" */
	const char *ident;   /* name as an identifier, for include guards */
	const char *package; /* "" if none */
	md_service *svc;     /* NULL: no service (empty output files) */
} md_file;

/* The request's message types, shared by every file generated. */
typedef struct md_ctx {
	arena                                                  *a;
	const Google__Protobuf__Compiler__CodeGeneratorRequest *req;
	md_type                                                *types;
	size_t                                                  ntypes;
} md_ctx;

/* md_ctx_init indexes every message type of req into the arena a. */
void md_ctx_init(md_ctx *ctx, arena *a,
                 const Google__Protobuf__Compiler__CodeGeneratorRequest *req);

/*
 * md_build builds the model of fd (one of the request's files) in the
 * arena. It returns true if fd is fine; otherwise it appends one line per
 * problem to errs and returns false (*out is then incomplete).
 */
bool md_build(md_ctx *ctx, const Google__Protobuf__FileDescriptorProto *fd,
              md_file **out, sb *errs);

#endif /* GEN_MODEL_H */
