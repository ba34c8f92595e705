#!/bin/bash
# strict_compile.sh GORUMS_C...: compiles each generated .gorums.c with gcc
# and clang (those installed) as C11 with strict warnings as errors, and
# the headers as C++ (they are meant to be usable from C++ too).
set -euo pipefail

ws=$PWD
gen=$(dirname "$1")
incs=(-I"$ws/$gen" -I"$ws/include" -I"$ws/gen")
# Generated headers of //gen live in the same runfiles tree.
flags=(-std=c11 -Wall -Wextra -Wpedantic -Wconversion -Wsign-conversion
	-Wshadow -Wcast-qual -Wstrict-prototypes -Wmissing-prototypes
	-Wundef -Werror -fsyntax-only)

status=0
ncc=0
for cc in gcc clang; do
	command -v "$cc" >/dev/null 2>&1 || continue
	ncc=$((ncc + 1))
	for src in "$@"; do
		if "$cc" "${flags[@]}" "${incs[@]}" "$ws/$src"; then
			echo "ok: $cc $src"
		else
			echo "FAIL: $cc $src" >&2
			status=1
		fi
	done
done
for cxx in g++ clang++; do
	command -v "$cxx" >/dev/null 2>&1 || continue
	for src in "$@"; do
		h=${src%.c}.h
		if echo "#include \"$ws/$h\"" |
			"$cxx" -std=c++17 -Wall -Wextra -Werror -fsyntax-only \
				"${incs[@]}" -x c++ -; then
			echo "ok: $cxx $h"
		else
			echo "FAIL: $cxx $h" >&2
			status=1
		fi
	done
done
if [ "$ncc" -eq 0 ]; then
	echo "no C compiler found" >&2
	exit 1
fi
exit $status
