/*
 * names.h: C names derived mechanically from proto names.
 *
 * Message types are named exactly as protoc-gen-c (protobuf-c 1.4.1) names
 * them, since the generated code refers to its types and descriptors:
 * ".pkg.Outer.Inner" is the type Pkg__Outer__Inner with the descriptor
 * pkg__outer__inner__descriptor. The names protoc-gen-gorums adds use the
 * same lower-casing (protoc-gen-c's CamelToLower) on the service's and the
 * method's own names, joined by single underscores: service Storage, method
 * ReadQC -> storage_read_qc. Names with a double underscore are protobuf-c's
 * alone, which is why ours never contain one.
 */
#ifndef GEN_NAMES_H
#define GEN_NAMES_H

#include <stdbool.h>
#include <stdint.h>

#include "gen/strbuf.h"

/*
 * nm_lower is protoc-gen-c's CamelToLower: an underscore goes before each
 * upper-case letter that follows a character that is not upper case, then
 * everything is lower-cased ("ReadQC" -> "read_qc", "GRPCCall" ->
 * "grpccall", "Msg2Foo" -> "msg2_foo").
 */
char *nm_lower(arena *a, const char *name);

/* nm_upper upper-cases a name made by nm_lower ("read_qc" -> "READ_QC"). */
char *nm_upper(arena *a, const char *lower);

/*
 * nm_type_c and nm_type_lower give protoc-gen-c's names of the message
 * type full ("pkg.Outer.Inner", leading dot optional) defined in a file of
 * package pkg whose protobuf-c option c_package is c_package (NULL if
 * none): "Pkg__Outer__Inner" and "pkg__outer__inner".
 */
char *nm_type_c(arena *a, const char *full, const char *pkg,
                const char *c_package);
char *nm_type_lower(arena *a, const char *full, const char *pkg,
                    const char *c_package);

/*
 * nm_method_id is the method id of full ("pkg.Service/Method"): its 32-bit
 * FNV-1a hash, with 0 (which no method may have) mapped to 1.
 */
uint32_t nm_method_id(const char *full);

/*
 * nm_reserved is true for a word that must not be a C identifier of ours:
 * a keyword of C11 or C++, or a macro of <stdbool.h>, <stdalign.h>,
 * <stdnoreturn.h>, <assert.h> or <complex.h> that generated code may see.
 */
bool nm_reserved(const char *word);

/*
 * nm_file_ident turns a file name into an identifier as protoc-gen-c does
 * for its include guards: letters and digits stay, any other byte becomes
 * '_' and its two hex digits ("dir/foo.proto" -> "dir_2ffoo_2eproto").
 */
char *nm_file_ident(arena *a, const char *file);

#endif /* GEN_NAMES_H */
