#!/usr/bin/env bash
# memshark serve vs memcached under the same load, in one run.
#
# For each protocol (binary, ascii): `memshark load` with 16 connections, 90/10 get/set,
# 100-byte values, against memcached and against memshark serve (each on a free loopback
# port), then prints ops/s and p99 for both and the ratio.
#
# Then both under memaslap (libmemcached-tools), binary and ascii; then both loads again with
# each server alone on core 1 and the load generator on core 0 (when taskset is there).
#
# Usage: bench/server.sh [SECONDS]   (default 10; needs Debian's memcached and python3)
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
cargo build --release --quiet
bin=target/release/memshark
user_flag=(); [ "$(id -u)" = 0 ] && user_flag=(-u nobody)

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 100); do (echo > /dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0; sleep 0.05; done; return 1; }

# start_servers CORE THREADS: memcached (THREADS threads) and memshark serve on free ports;
# unless CORE is "any", both pinned to CORE and memshark serve given THREADS runtime workers
# (otherwise tokio's default, one per core).
start_servers() {
  local pin=(); [ "$1" != any ] && pin=(env TOKIO_WORKER_THREADS="$2" taskset -c "$1")
  mc_port=$(free_port); ms_port=$(free_port)
  "${pin[@]}" memcached -l 127.0.0.1 -p "$mc_port" -U 0 -m 64 -t "$2" -c 4096 "${user_flag[@]}" &
  mc_pid=$!
  "${pin[@]}" "$bin" serve --listen "127.0.0.1:$ms_port" --memory 64m 2>/dev/null &
  ms_pid=$!
  wait_port "$mc_port"; wait_port "$ms_port"
}
stop_servers() { kill $mc_pid $ms_pid 2>/dev/null || true; wait $mc_pid $ms_pid 2>/dev/null || true; }
# run_load TAG PROTO NAME PORT [PIN...]: memshark load against one server into TAG-PROTO-NAME.json.
run_load() {
  local tag=$1 proto=$2 name=$3 port=$4; shift 4
  "$@" "$bin" load --to "127.0.0.1:$port" --protocol "$proto" --connections 16 --mix get=90,set=10 \
    --value-size 100 --keys 10000 --duration "$secs" --json > "/tmp/memshark-bench-$tag-$proto-$name.json"
}
# memaslap_tps PORT THREADS PROTO [PIN...]: memaslap's transactions per second against PORT.
memaslap_tps() {
  local port=$1 threads=$2 flag=""; [ "$3" = binary ] && flag=-B; shift 3
  "$@" memcaslap -s "127.0.0.1:$port" -T "$threads" -c 16 -t "${secs}s" -X 100 $flag 2>&1 \
    | sed -n 's/.*TPS: \([0-9]*\).*/\1/p' | tail -1
}

# Shared cores: both servers with two threads, the load generator beside them.
start_servers any 2
trap stop_servers EXIT

echo "memshark serve vs memcached $(memcached -V | cut -d' ' -f2): memshark load, 16 connections, get=90,set=10, 100 B values, ${secs}s each"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
printf '%-8s %-10s %12s %8s\n' protocol server ops/s p99_us
for proto in binary ascii; do
  for target in memcached:$mc_port memshark:$ms_port; do
    name=${target%%:*}; port=${target##*:}
    run_load shared "$proto" "$name" "$port"
    python3 - "$proto" "$name" "/tmp/memshark-bench-shared-$proto-$name.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[3]))
print(f"{sys.argv[1]:<8} {sys.argv[2]:<10} {r['ops_per_sec']:>12.0f} {r['total']['p99_us']:>8}")
PY
  done
  python3 - "$proto" <<'PY'
import json, sys
p = sys.argv[1]
mc = json.load(open(f"/tmp/memshark-bench-shared-{p}-memcached.json"))
ms = json.load(open(f"/tmp/memshark-bench-shared-{p}-memshark.json"))
print(f"{p:<8} ratio      {ms['ops_per_sec']/mc['ops_per_sec']:>11.2f}x p99 {ms['total']['p99_us']} vs {mc['total']['p99_us']} us")
PY
done
# The same comparison under memaslap (libmemcached's load tool, its own client code).
if command -v memcaslap > /dev/null; then
  echo "memaslap -c 16 -T 2 -X 100, ${secs}s each:"
  for proto in binary ascii; do
    mc_tps=$(memaslap_tps "$mc_port" 2 "$proto"); ms_tps=$(memaslap_tps "$ms_port" 2 "$proto")
    python3 -c "import sys; print(f'{sys.argv[1]:<8} memcached {int(sys.argv[2]):>8} tps, memshark {int(sys.argv[3]):>8} tps, ratio {int(sys.argv[3])/max(1,int(sys.argv[2])):.2f}x')" "$proto" "${mc_tps:-0}" "${ms_tps:-0}"
  done
fi

# Pinned: each server alone on core 1 with one thread (memcached -t 1, memshark serve with one
# runtime worker), the load generator alone on core 0, so neither server's figure depends on how
# it shares a core with the client.
if command -v taskset > /dev/null && [ "$(nproc)" -ge 2 ]; then
  stop_servers
  start_servers 1 1
  echo "pinned: each server on core 1 (one thread), the load generator on core 0; ${secs}s each"
  printf '%-8s %-10s %12s %8s   %s\n' protocol load memcached memshark ratio
  for proto in binary ascii; do
    run_load pinned "$proto" memcached "$mc_port" taskset -c 0
    run_load pinned "$proto" memshark "$ms_port" taskset -c 0
    python3 - "$proto" <<'PY'
import json, sys
p = sys.argv[1]
mc = json.load(open(f"/tmp/memshark-bench-pinned-{p}-memcached.json"))
ms = json.load(open(f"/tmp/memshark-bench-pinned-{p}-memshark.json"))
print(f"{p:<8} {'memshark':<10} {mc['ops_per_sec']:>12.0f} {ms['ops_per_sec']:>8.0f}   {ms['ops_per_sec']/mc['ops_per_sec']:.2f}x  p99 {ms['total']['p99_us']} vs {mc['total']['p99_us']} us")
PY
    if command -v memcaslap > /dev/null; then
      mc_tps=$(memaslap_tps "$mc_port" 1 "$proto" taskset -c 0); ms_tps=$(memaslap_tps "$ms_port" 1 "$proto" taskset -c 0)
      python3 -c "import sys; print(f'{sys.argv[1]:<8} {\"memaslap\":<10} {int(sys.argv[2]):>12} {int(sys.argv[3]):>8}   {int(sys.argv[3])/max(1,int(sys.argv[2])):.2f}x')" "$proto" "${mc_tps:-0}" "${ms_tps:-0}"
    fi
  done
fi
