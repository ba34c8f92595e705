#!/bin/sh
# demo_test: storage_demo must exit 0 and tell each key step: the quorum
# calls, the RPC, the multicast, the quorum that survives one stopped
# server, the incomplete-quorum error with two, and the recovery.
set -u

demo="$1"
out="${TEST_TMPDIR:-/tmp}/storage_demo.out"

status=0
"$demo" >"$out" 2>&1 || status=$?
cat "$out"

fail() {
	echo "demo_test: $*" >&2
	exit 1
}

[ "$status" -eq 0 ] || fail "storage_demo exited with status $status"
for want in \
	'server 3 listens on tcp://127.0.0.1:' \
	'-> ok: a majority took it (2 of 3 servers replied)' \
	'-> x = "apple" (timestamp 1), the newest of 2 replies' \
	'-> server 1 answered new = false: it kept its value' \
	'-> servers 1, 2 and 3 each have x = "banana"' \
	'-> x = "cherry" (timestamp 3), the newest of 2 replies' \
	'-> failed as expected: Incomplete call: no quorum (GORUMS_EINCOMPLETE)' \
	'server 1: replied' \
	'server 2: failed: ' \
	'server 3: failed: ' \
	'-> recovered after ' \
	'-> x = "damson" (timestamp 4), the newest of 2 replies' \
	'Demo finished: every step went as expected.'; do
	grep -qF -- "$want" "$out" || fail "missing: $want"
done
grep -q UNEXPECTED "$out" && fail "a step went wrong"
exit 0
