"""gorums_proto_library: .proto services to typed gorums-c stubs, offline.

One protoc run writes, for each foo.proto of srcs, protobuf-c's
foo.pb-c.c/.h and protoc-gen-gorums' foo.gorums.c/.h (gen/README.md says
what they contain), and one cc_library compiles them against the gorums-c
runtime. It is c_proto_library (bazel/proto_c.bzl) with the plugin and
gorums.proto added, so the same rules of use hold:

  * srcs are .proto files of the calling package, which is their import
    root: they `import "gorums.proto";` (always importable) and each other
    by bare file name;
  * a .proto of another package that srcs import goes in proto_deps, and
    its C library (a c_proto_library or gorums_proto_library) in deps;
  * protoc-gen-c 1.4.1 rejects proto3 `optional`.

Users include "foo.gorums.h" (or "pkg/foo.gorums.h"), which includes
foo.pb-c.h and the runtime's headers.
"""

load("//bazel:proto_c.bzl", "c_proto_library")

def gorums_proto_library(
        name,
        srcs,
        deps = [],
        proto_deps = [],
        visibility = None,
        testonly = False,
        tags = []):
    """Generates and compiles protobuf-c and gorums-c code for srcs.

    Args:
      name: the cc_library; the genrule that runs protoc is name + "_gen".
      srcs: .proto files of this package (bare file names). Each yields
        foo.pb-c.{c,h} and foo.gorums.{c,h}, the latter empty of calls if
        foo.proto has no service.
      deps: C libraries the generated code needs besides the runtime: those
        of the .proto files in proto_deps.
      proto_deps: labels of .proto files of other packages that srcs import.
      visibility: of the cc_library.
      testonly: passed on.
      tags: passed on.
    """
    c_proto_library(
        name = name,
        srcs = srcs,
        deps = deps + [
            "//gen:gorums_c",
            "//include:gorums_headers",
            "//src/client",
            "//src/server",
        ],
        proto_deps = proto_deps + ["//gen:gorums.proto"],
        plugin = "//gen:protoc-gen-gorums",
        plugin_name = "gorums",
        plugin_suffixes = [".gorums.c", ".gorums.h"],
        testonly = testonly,
        visibility = visibility,
        tags = tags,
    )
