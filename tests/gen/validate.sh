#!/bin/bash
# validate.sh PROTOC PLUGIN DESCRIPTOR_PROTO GORUMS_PROTO ZIMPORT_PROTO BAD...
#
# Runs protoc with protoc-gen-gorums on each bad .proto, alone, and checks
# that it is rejected the way a plugin reports a bad input (an error in the
# response, shown by protoc as "--gorums_out: ...", not a crash), with a
# message that names the file and contains every "// want: TEXT" line of
# the .proto. zimport.proto is importable, for custom_return_type cases.
set -uo pipefail

protoc=$1 plugin=$2 descriptor=$3 gorums=$4 zimport=$5
shift 5

out=$(mktemp -d "${TEST_TMPDIR:-${TMPDIR:-/tmp}}/validate.XXXXXX")
trap 'rm -rf "$out"' EXIT

pass=0
fail=0
for p in "$@"; do
	name=$(basename "$p")
	err=$("$protoc" -I"$(dirname "$p")" -I"$(dirname "$zimport")" \
		-I"$(dirname "$gorums")" -I"$(dirname "$descriptor")/../.." \
		--plugin=protoc-gen-gorums="$PWD/$plugin" \
		--gorums_out="$out" "$p" 2>&1)
	rc=$?
	ok=1
	why=""
	if [ $rc -eq 0 ]; then
		ok=0
		why="accepted"
	elif ! grep -q -- "--gorums_out: " <<<"$err" ||
		grep -q "Plugin failed\|Plugin killed\|ERROR: \|Sanitizer" <<<"$err"; then
		ok=0
		why="not a plugin error report"
	elif ! grep -qF -- "$name" <<<"$err"; then
		ok=0
		why="the message does not name $name"
	fi
	nwant=0
	while IFS= read -r want; do
		nwant=$((nwant + 1))
		if ! grep -qF -- "$want" <<<"$err"; then
			ok=0
			why="${why:+$why; }missing \"$want\""
		fi
	done < <(sed -n 's|^// want: ||p' "$p")
	if [ $nwant -eq 0 ]; then
		ok=0
		why="no // want: lines in $name"
	fi
	if [ $ok -eq 1 ]; then
		echo "ok: $name: $err"
		pass=$((pass + 1))
	else
		echo "FAIL: $name: $why; protoc said (exit $rc):" >&2
		echo "$err" >&2
		fail=$((fail + 1))
	fi
done
echo "$pass passed, $fail failed"
[ $fail -eq 0 ] && [ $pass -gt 0 ]
