#!/usr/bin/env bash
# Instructions per request of `memshark serve`, this checkout (B) against an earlier commit (A),
# counted by valgrind's callgrind: a count, not a time, so it holds on a loaded or drifting
# machine (throughput ratios from bench/ab.sh need a quiet one). Each server runs under
# callgrind, takes the same fixed number of requests from `memshark load` (B's), and is stopped;
# the total instruction count of the server process, divided by the requests, is printed.
#
# Usage: bench/server-instructions.sh [REF [OPS]]   (REF default b2865f3, OPS default 200000)
set -euo pipefail
cd "$(dirname "$0")/.."
ref=${1:-b2865f3}
ops=${2:-200000}
tmp=${TMPDIR:-/tmp}
wt=$tmp/memshark-ab-$ref
[ -d "$wt" ] || git worktree add --detach "$wt" "$ref" > /dev/null
(cd "$wt" && cargo build --release --quiet --bin memshark)
cargo build --release --quiet --bin memshark
A=$wt/target/release/memshark
B=target/release/memshark
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 600); do (echo > /dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0; sleep 0.1; done; return 1; }
echo "A = $ref, B = working tree ($(git log -1 --format=%h)); $ops requests, 4 connections, get=90,set=10, 100 B values"
for proto in binary ascii; do
  for side in A B; do
    bin=$A; [ $side = B ] && bin=$B
    port=$(free_port)
    out=$tmp/memshark-callgrind-$side-$proto.out
    valgrind --tool=callgrind --callgrind-out-file="$out" "$bin" serve --listen "127.0.0.1:$port" \
      --memory 64m > /dev/null 2>&1 & pid=$!
    wait_port "$port" || { echo "$side: the server did not start" >&2; exit 1; }
    "$B" load --to "127.0.0.1:$port" --protocol "$proto" --connections 4 --keys 1000 \
      --mix get=90,set=10 --value-size 100 --ops "$ops" --no-prefill > /dev/null
    kill -TERM "$pid"; wait "$pid" || true
    ir=$( (callgrind_annotate "$out" 2>/dev/null || true) | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}' | head -1)
    printf '  %-6s %s %12.0f instructions/request\n' "$proto" "$side" "$(echo "$ir / $ops" | bc -l)"
  done
done
