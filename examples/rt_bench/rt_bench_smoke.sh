#!/bin/sh
# rt_bench_smoke: run the benchmark quickly; it must exit 0 and print the
# table (its header line and a row of every benchmark).
set -eu

bench="$1"
out="${TEST_TMPDIR:-/tmp}/rt_bench.out"

"$bench" -quick >"$out" 2>&1 || {
	status=$?
	cat "$out"
	echo "rt_bench_smoke: rt_bench -quick exited with status $status" >&2
	exit 1
}
cat "$out"
for want in '^benchmark  *variant  *value  *unit' '^mailbox 4 producers' \
	'^ping-pong' '^actor ring' '^wake-up latency' '^targets:'; do
	grep -q -- "$want" "$out" || {
		echo "rt_bench_smoke: output lacks /$want/" >&2
		exit 1
	}
done
