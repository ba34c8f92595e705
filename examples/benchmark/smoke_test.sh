#!/bin/sh
# benchmark_smoke: run every benchmark very briefly with -csv; it must exit
# 0 and print exactly the CSV header and one well-formed row per benchmark
# (the gorums ones and the floors').
set -eu

bench="$1"
out="${TEST_TMPDIR:-/tmp}/benchmark.csv"
err="${TEST_TMPDIR:-/tmp}/benchmark.err"
header='benchmark,config_size,quorum_size,concurrent,payload,ops,throughput_ops,mean_us,p50_us,p90_us,p99_us,allocs_per_op'

fail() {
	echo "--- stdout:" >&2
	cat "$out" >&2
	echo "--- stderr:" >&2
	cat "$err" >&2
	echo "benchmark_smoke: $*" >&2
	exit 1
}

status=0
"$bench" -csv -time 50ms -warmup 10ms -config-size 3 -quorum-size 2 \
	-concurrent 2 -max-async 16 >"$out" 2>"$err" || status=$?
[ "$status" -eq 0 ] || fail "benchmark exited with status $status"
cat "$out"

[ "$(head -n 1 "$out")" = "$header" ] || fail "wrong CSV header"
[ "$(wc -l <"$out")" -eq 8 ] || fail "want the header and 7 rows"
for name in AsyncQuorumCall Multicast QuorumCall RawAsyncQuorumCall \
	RawQuorumCall RawTCPQuorumCall SlowServer; do
	[ "$(grep -c "^$name," "$out")" -eq 1 ] || fail "want one $name row"
done
# Every row: 12 fields; 3 nodes, quorum 2, 2 threads, payload 0; counts
# and times numbers (a thread scheduled only after a 50 ms window may make
# no call, so 0 ops is allowed); allocs a number, or -1 when not counted
# (sanitizer builds).
tail -n +2 "$out" | awk -F, '
	function num(x) { return x ~ /^[0-9]+(\.[0-9]+)?$/ }
	NF != 12 || $2 != 3 || $3 != 2 || $4 != 2 || $5 != 0 ||
	    !num($6) || !num($7) || !num($8) || !num($9) || !num($10) ||
	    !num($11) || !(num($12) || $12 == "-1") {
		bad = 1
		print "bad row: " $0
	}
	END { exit bad }' >&2 || fail "malformed row"

