#!/bin/sh
# run_wire_fuzz.sh: coverage-guided fuzzing of the frame codec with libFuzzer.
#
#   tests/fuzz/run_wire_fuzz.sh [SECONDS]        (default 10)
#
# Builds src/wire/wire_fuzz.c with clang -fsanitize=fuzzer,address,undefined
# outside Bazel and runs it for SECONDS on a copy of tests/fuzz/wire/ (the
# checked-in seeds are never modified). Any crash, leak or sanitizer report
# fails the run; the input that caused it is saved as crash-* in the
# output directory (printed at the end; under Bazel, the test's
# test.outputs), ready to be added to tests/fuzz/wire/ once fixed. Exits 0 without fuzzing if clang or its libFuzzer runtime
# (Debian: clang, libclang-rt-14-dev) is missing.
#
# Runs from a checkout, or as //tests/fuzz:wire_libfuzzer_test inside
# Bazel's sandbox, where the sources and the generated echo.pb-c.[ch] come
# from the test's runfiles.
set -eu

secs=${1:-10}
cc=${CLANG:-clang}

if [ -n "${TEST_SRCDIR:-}" ]; then
	root=$TEST_SRCDIR/${TEST_WORKSPACE:-gorums_c}
	work=$TEST_TMPDIR/wire_fuzz
	out=${TEST_UNDECLARED_OUTPUTS_DIR:-$work}
else
	root=$(cd "$(dirname "$0")/../.." && pwd)
	work=$(mktemp -d "${TMPDIR:-/tmp}/wire_fuzz.XXXXXX")
	out=$work
fi
mkdir -p "$work" "$out"

if ! command -v "$cc" >/dev/null 2>&1; then
	echo "run_wire_fuzz: $cc not found; skipping (install clang)"
	exit 0
fi
# The toolchain can build a fuzzer at all? (Our own code is not involved.)
printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n)\n{ (void) d; (void) n; return 0; }\n' \
	>"$work/probe.c"
if ! "$cc" -fsanitize=fuzzer,address,undefined -o "$work/probe" \
	"$work/probe.c" >"$work/probe.log" 2>&1; then
	cat "$work/probe.log"
	echo "run_wire_fuzz: $cc cannot build a libFuzzer target; skipping" \
		"(install libclang-rt-14-dev)"
	exit 0
fi

# The protobuf-c code of tests/proto/echo.proto: from runfiles under Bazel,
# else generated here.
gen=$root
if [ ! -f "$root/tests/proto/echo.pb-c.c" ]; then
	gen=$work/gen
	mkdir -p "$gen/tests/proto"
	protoc-c -I"$root/tests/proto" --c_out="$gen/tests/proto" \
		"$root/tests/proto/echo.proto"
fi

echo "run_wire_fuzz: building with $cc"
"$cc" -std=c11 -D_GNU_SOURCE -g -O1 -Wall -Wextra -Wno-unused-parameter \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-I"$root" -I"$root/include" -I"$gen" -I"$gen/tests/proto" \
	"$root/src/wire/wire.c" "$root/src/wire/wire_fuzz.c" \
	"$gen/tests/proto/echo.pb-c.c" \
	-lprotobuf-c -o "$work/wire_fuzz"

rm -rf "$work/corpus"
mkdir -p "$work/corpus"
cp "$root"/tests/fuzz/wire/* "$work/corpus/"
chmod u+w "$work"/corpus/*

echo "run_wire_fuzz: fuzzing for ${secs}s"
rc=0
"$work/wire_fuzz" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
	-max_len=8192 -print_final_stats=1 -artifact_prefix="$out/" \
	"$work/corpus" || rc=$?
if [ "$rc" -ne 0 ]; then
	echo "run_wire_fuzz: FAILED (exit $rc); inputs saved in $out:"
	ls -l "$out" | grep -E 'crash-|leak-|timeout-|oom-' || true
	exit 1
fi
echo "run_wire_fuzz: no crash in ${secs}s ($(ls "$work/corpus" | wc -l) corpus inputs)"
if [ -z "${TEST_SRCDIR:-}" ]; then
	rm -rf "$work"
fi
