#!/bin/bash
# golden.sh check|update PROTOC PLUGIN DESCRIPTOR_PROTO GORUMS_PROTO GOLDEN_DIR PROTO...
#
# Runs protoc with protoc-gen-gorums on the PROTOs (all in one directory)
# and compares each generated .gorums.h/.gorums.c with the golden copy in
# GOLDEN_DIR (check: the golden_test), or copies them there (update: run as
# `bazel run //gen:update_golden`, which writes into the source tree).
set -euo pipefail

mode=$1 protoc=$2 plugin=$3 descriptor=$4 gorums=$5 golden=$6
shift 6

out=$(mktemp -d "${TEST_TMPDIR:-${TMPDIR:-/tmp}}/golden.XXXXXX")
trap 'rm -rf "$out"' EXIT

"$protoc" -I"$(dirname "$1")" -I"$(dirname "$gorums")" \
	-I"$(dirname "$descriptor")/../.." \
	--plugin=protoc-gen-gorums="$PWD/$plugin" --gorums_out="$out" \
	"$@"

case "$mode" in
check)
	status=0
	for f in "$out"/*; do
		b=$(basename "$f")
		if ! diff -u "$golden/$b" "$f"; then
			echo "golden_test: $b differs from $golden/$b" >&2
			status=1
		fi
	done
	n=$(ls "$out" | wc -l)
	if [ "$n" -ne $(($# * 2)) ]; then
		echo "golden_test: $n files generated, want $(($# * 2))" >&2
		status=1
	fi
	if [ $status -ne 0 ]; then
		echo "If the change is intended: bazel run //gen:update_golden" >&2
	else
		echo "golden_test: $n files match $golden"
	fi
	exit $status
	;;
update)
	dest="${BUILD_WORKSPACE_DIRECTORY:?run me with bazel run}/$golden"
	mkdir -p "$dest"
	cp "$out"/* "$dest"/
	chmod 644 "$dest"/*
	echo "updated $(ls "$out" | wc -l) golden files in $dest"
	;;
*)
	echo "usage: golden.sh check|update ..." >&2
	exit 2
	;;
esac
