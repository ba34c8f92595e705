"""Build macros shared by every package of gorums-c."""

def gorums_test(name, srcs, deps = [], size = "small", **kwargs):
    """A C test executable with the harness and sanitizer defaults linked in.

    Each test is one executable built on //tests/harness; it runs its TEST_LIST
    under a watchdog so that a bug fails fast instead of hanging.
    """
    native.cc_test(
        name = name,
        srcs = srcs,
        size = size,
        deps = deps + [
            "//tests/harness",
            "//bazel:sanitizer_defaults",
        ],
        **kwargs
    )

def gorums_binary(name, deps = [], **kwargs):
    """A C program (example, benchmark) with the sanitizer defaults."""
    native.cc_binary(
        name = name,
        deps = deps + ["//bazel:sanitizer_defaults"],
        **kwargs
    )
