"""c_proto_library: .proto files to protobuf-c code, offline.

Bazel 4's native proto rules need @com_google_protobuf, which cannot be
fetched here, so this macro runs the system protoc with the system
protoc-gen-c (both from @sys) in a genrule and compiles the result in a
cc_library. See TOOLCHAIN.md section 2.

Rules of use:
  * every file in srcs sits directly in the calling package; that package
    directory is the import root, so imports name files bare
    (`import "echo.proto";`), and foo.proto gives foo.pb-c.c / foo.pb-c.h
    next to it in the output tree;
  * a .proto imported from another package is listed in proto_deps (its
    directory becomes one more import root) and that package's C library
    in deps;
  * google/protobuf/descriptor.proto is always importable;
  * protoc-gen-c 1.4.1 rejects proto3 `optional`: use proto2 or plain
    proto3 fields.

The generated headers are found as "foo.pb-c.h" (includes = ["."]) or by
their workspace path, "pkg/foo.pb-c.h".
"""

def c_proto_library(
        name,
        srcs,
        deps = [],
        proto_deps = [],
        plugin = None,
        plugin_name = None,
        plugin_suffixes = [],
        testonly = False,
        visibility = None,
        tags = []):
    """Generates and compiles protobuf-c code for srcs.

    Args:
      name: the cc_library; the genrule is name + "_gen".
      srcs: .proto files of this package (bare file names).
      deps: C libraries the generated code needs (those of proto_deps).
      proto_deps: labels of .proto files in other packages that srcs import.
      plugin: optional label of one more protoc plugin, run in the same
        protoc invocation as --<plugin_name>_out=$(RULEDIR).
      plugin_name: the plugin's protoc name (protoc-gen-<plugin_name>).
      plugin_suffixes: what the plugin writes per .proto, e.g.
        [".gorums.c", ".gorums.h"] for foo.gorums.c / foo.gorums.h; files
        ending in .c are compiled, files ending in .h are headers.
      testonly: passed to both rules.
      visibility: of the cc_library (the genrule stays package-private).
      tags: passed to both rules.
    """
    if not srcs:
        fail("c_proto_library %s: srcs is empty" % name)
    if plugin and not plugin_name:
        fail("c_proto_library %s: plugin needs plugin_name" % name)
    outs = []
    for s in srcs:
        if "/" in s or ":" in s or not s.endswith(".proto"):
            fail("c_proto_library %s: %s must be a .proto file of this package" % (name, s))
        base = s[:-len(".proto")]
        outs += [base + ".pb-c.c", base + ".pb-c.h"]
        if plugin:
            outs += [base + x for x in plugin_suffixes]

    tools = ["@sys//:protoc", "@sys//:protoc_gen_c"]
    plugin_flags = []
    if plugin:
        tools.append(plugin)
        plugin_flags = [
            "--plugin=protoc-gen-%s=$(execpath %s)" % (plugin_name, plugin),
            "--%s_out=$(RULEDIR)" % plugin_name,
        ]

    cmd = (
        ["$(execpath @sys//:protoc)", "-I$$(dirname $(execpath %s))" % srcs[0]] +
        ["-I$$(dirname $(execpath %s))" % d for d in proto_deps] +
        # descriptor.proto lives in external/sys/include/google/protobuf.
        ["-I$$(dirname $(execpath @sys//:descriptor_proto))/../.."] +
        ["--plugin=protoc-gen-c=$(execpath @sys//:protoc_gen_c)", "--c_out=$(RULEDIR)"] +
        plugin_flags +
        ["$(execpath %s)" % s for s in srcs]
    )

    native.genrule(
        name = name + "_gen",
        srcs = srcs + proto_deps + ["@sys//:descriptor_proto"],
        outs = outs,
        tools = tools,
        cmd = " ".join(cmd),
        message = "protoc-gen-c %s" % " ".join(srcs),
        testonly = testonly,
        tags = tags,
    )

    native.cc_library(
        name = name,
        srcs = [o for o in outs if o.endswith(".c")],
        hdrs = [o for o in outs if o.endswith(".h")],
        includes = ["."],
        deps = deps + ["@sys//:protobuf_c"],
        testonly = testonly,
        visibility = visibility,
        tags = tags,
    )
