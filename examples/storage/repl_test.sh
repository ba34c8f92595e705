#!/bin/sh
# repl_test: the storage programs together. Three storage_server processes
# on 127.0.0.1 (port 0; each prints its URL), then scripted storage_client
# sessions: quorum writes and reads, RPCs to one server, a multicast,
# a smaller configuration; then with two servers stopped, the
# incomplete-quorum error.
set -u

server="$1"
client="$2"
dir="${TEST_TMPDIR:-/tmp}/repl_test.$$"
mkdir -p "$dir"
pids=""

cleanup() {
	for p in $pids; do
		kill "$p" 2>/dev/null
	done
	wait 2>/dev/null
}
trap cleanup EXIT

fail() {
	echo "repl_test: $*" >&2
	for f in "$dir"/*; do
		echo "--- $f" >&2
		cat "$f" >&2
	done
	exit 1
}

# start_server I: runs server I in the background; waits (bounded) for
# the URL it prints.
start_server() {
	"$server" -addr tcp://127.0.0.1:0 -name "s$1" >"$dir/url$1" \
		2>"$dir/log$1" &
	eval "pid$1=$!"
	pids="$pids $!"
	n=0
	while [ ! -s "$dir/url$1" ]; do
		n=$((n + 1))
		[ "$n" -le 300 ] || fail "server $1 printed no URL"
		sleep 0.1
	done
	eval "url$1=\$(head -n 1 \"\$dir/url\$1\")"
}

start_server 0
start_server 1
start_server 2
# shellcheck disable=SC2154
addrs="$url0,$url1,$url2"
echo "servers: $addrs"

# expect FILE TEXT: FILE must contain the line fragment TEXT.
expect() {
	grep -qF -- "$2" "$1" || fail "missing in $1: $2"
}

timeout 60 "$client" -timeout 5000 "$addrs" >"$dir/session1" 2>&1 <<'EOS' ||
help
nodes
write color blue
read color
rpc 1 read color
rpc 2 write color green
rpc 2 read color
read color
multicast shape round
cfg 0,2
read shape
write color red
cfg all
read color
rpc 0 read nothing
read nothing
cfg 0,0
bogus
quit
EOS
	fail "client session 1 failed"
cat "$dir/session1"

s="$dir/session1"
expect "$s" "read KEY"
expect "$s" "write ok: a majority took color = \"blue\""
expect "$s" "color = \"blue\" (timestamp"
expect "$s" "node 1: color = \"blue\""
expect "$s" "node 2: write ok"
expect "$s" "node 2: color = \"green\""
expect "$s" "multicast sent to 3 servers"
expect "$s" "configuration: 0 2 (2 servers, a quorum is 2)"
expect "$s" "shape = \"round\""
expect "$s" "write ok: a majority took color = \"red\""
expect "$s" "configuration: 0 1 2 (3 servers, a quorum is 2)"
expect "$s" "color = \"red\""
expect "$s" "node 0: nothing: no value"
expect "$s" "nothing: no value"
expect "$s" "cfg: a server appears twice"
expect "$s" "unknown command 'bogus'"

# The servers logged what they did.
expect "$dir/log2" "s2: write \"color\" = \"green\""
expect "$dir/log0" "s0: write \"shape\" = \"round\""

# Two of three stopped: no quorum; the one left still answers an RPC.
# shellcheck disable=SC2154
kill "$pid1" "$pid2"
wait "$pid1" "$pid2" 2>/dev/null
timeout 60 "$client" -timeout 5000 "$addrs" >"$dir/session2" 2>&1 <<'EOS' ||
read color
rpc 0 read color
quit
EOS
	fail "client session 2 failed"
cat "$dir/session2"
s="$dir/session2"
expect "$s" "read failed: Incomplete call: no quorum"
expect "$s" "1 of 3 servers replied"
expect "$s" "node 0 ($url0): replied"
expect "$s" "node 0: color = \"red\""
echo "repl_test: ok"
