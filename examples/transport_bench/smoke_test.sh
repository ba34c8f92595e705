#!/bin/sh
# Runs the benchmark briefly so that it cannot rot: it must finish, exit 0
# and print its table.
out=$("$1" -quick) || { echo "$out"; echo "transport_bench failed" >&2; exit 1; }
echo "$out"
echo "$out" | grep -q "gorums RPC, 1 server" || { echo "no RPC row" >&2; exit 1; }
echo "$out" | grep -q "gorums multicast, 3 servers" || { echo "no multicast row" >&2; exit 1; }
echo "$out" | grep -q "pipe ping-pong, threads on 1 vCPU" || { echo "no machine row" >&2; exit 1; }
