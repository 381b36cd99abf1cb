#!/usr/bin/env bash
# The recording proxy vs going direct, and vs twemproxy, in one run.
#
# memshark load (16 connections, get=90,set=10, 100-byte values) against memcached directly,
# through `memshark proxy` without and with --record, and (text protocol only) through
# twemproxy (Debian's nutcracker); then at half the direct load's concurrency for added latency.
# Prints ops/s, p50 and p99 and the ratio to direct.
#
# Then a pool of three memcached behind twemproxy and behind `memshark proxy --pool`.
#
# Then the same three paths under memaslap (binary, 16 connections), the yardstick ARCHITECTURE.md
# names.
#
# Usage: bench/proxy.sh [SECONDS]   (needs memcached, nutcracker, libmemcached-tools, python3)
#        MEMSHARK_BIN=target/debug/memshark bench/proxy.sh 1   checks the script, measures nothing
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-8}
# MEMSHARK_BIN: run another build (e.g. a debug one, to check the script itself quickly).
if [ -z "${MEMSHARK_BIN:-}" ]; then cargo build --release --quiet; fi
bin=${MEMSHARK_BIN:-target/release/memshark}
user_flag=(); [ "$(id -u)" = 0 ] && user_flag=(-u nobody)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 100); do (echo > /dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0; sleep 0.05; done; return 1; }
tmp=$(mktemp -d)
mc=$(free_port); px=$(free_port); pr=$(free_port); tw=$(free_port)
memcached -l 127.0.0.1 -p "$mc" -U 0 -m 64 -t 2 -c 4096 "${user_flag[@]}" & pids=($!)
"$bin" proxy --listen "127.0.0.1:$px" --backend "127.0.0.1:$mc" --headless 2>/dev/null & pids+=($!)
"$bin" proxy --listen "127.0.0.1:$pr" --backend "127.0.0.1:$mc" --headless --record "$tmp/rec.pcap" 2>/dev/null & pids+=($!)
have_tw=0
if command -v nutcracker > /dev/null; then
  cat > "$tmp/nutcracker.yml" <<YML
bench:
  listen: 127.0.0.1:$tw
  hash: fnv1a_64
  distribution: ketama
  timeout: 1000
  server_connections: 1
  servers:
   - 127.0.0.1:$mc:1
YML
  nutcracker -c "$tmp/nutcracker.yml" -o "$tmp/nutcracker.log" & pids+=($!)
  have_tw=1
fi
trap 'kill ${pids[*]} 2>/dev/null || true; rm -rf "$tmp"' EXIT
wait_port "$mc"; wait_port "$px"; wait_port "$pr"; [ $have_tw = 1 ] && wait_port "$tw"

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); ${secs}s per run"
printf '%-7s %-5s %-16s %10s %7s %7s %7s\n' proto conns path ops/s p50_us p99_us ratio
run() { # proto conns label port
  "$bin" load --to "127.0.0.1:$4" --protocol "$1" --connections "$2" --mix get=90,set=10 --value-size 100 \
    --keys 10000 --duration "$secs" --json > "$tmp/$1-$2-$3.json"
  python3 - "$tmp/$1-$2-$3.json" "$tmp/$1-$2-direct.json" "$1" "$2" "$3" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); d = json.load(open(sys.argv[2]))
print(f"{sys.argv[3]:<7} {sys.argv[4]:<5} {sys.argv[5]:<16} {r['ops_per_sec']:>10.0f} {r['total']['p50_us']:>7} {r['total']['p99_us']:>7} {r['ops_per_sec']/d['ops_per_sec']:>6.2f}x")
PY
}
for conns in 16 8; do
  for proto in binary ascii; do
    run $proto $conns direct "$mc"
    run $proto $conns proxy "$px"
    run $proto $conns proxy+record "$pr"
    [ $proto = ascii ] && [ $have_tw = 1 ] && run $proto $conns twemproxy "$tw"
  done
done
# The issue's own yardstick: memaslap (libmemcached's load tool), binary, 16 connections.
if command -v memcaslap > /dev/null; then
  echo "memaslap -B -c 16 -T 2 -X 100, ${secs}s per run:"
  printf '%-16s %10s %7s\n' path tps ratio
  direct_tps=
  for target in direct:$mc proxy:$px proxy+record:$pr; do
    name=${target%%:*}; port=${target##*:}
    tps=$(memcaslap -s "127.0.0.1:$port" -T 2 -c 16 -t "${secs}s" -B -X 100 2>&1 | sed -n 's/.*TPS: \([0-9]*\).*/\1/p' | tail -1)
    [ -z "$direct_tps" ] && direct_tps=$tps
    python3 -c "import sys; print(f'{sys.argv[1]:<16} {int(sys.argv[2]):>10} {int(sys.argv[2])/int(sys.argv[3]):>6.2f}x')" "$name" "${tps:-0}" "${direct_tps:-1}"
  done
fi
echo "recording: $(stat -c %s "$tmp/rec.pcap") bytes"

# A pool of three memcached behind one address: twemproxy (nutcracker, ketama over fnv1a_64) and
# `memshark proxy --pool A,B,C` (same placement), text protocol, 16 and 8 connections; the
# ratio is memshark's throughput over twemproxy's.
if [ $have_tw = 1 ] && "$bin" proxy --help 2>/dev/null | grep -q -- '--pool'; then
  pool_mcs=(); pool_servers=()
  for _ in 1 2 3; do
    port=$(free_port)
    memcached -l 127.0.0.1 -p "$port" -U 0 -m 64 -t 2 -c 4096 "${user_flag[@]}" & pids+=($!)
    pool_mcs+=("$port"); pool_servers+=("127.0.0.1:$port")
  done
  pool_tw=$(free_port); pool_ms=$(free_port)
  {
    echo "pool:"
    echo "  listen: 127.0.0.1:$pool_tw"
    echo "  hash: fnv1a_64"
    echo "  distribution: ketama"
    echo "  timeout: 1000"
    echo "  servers:"
    for s in "${pool_servers[@]}"; do echo "   - $s:1"; done
  } > "$tmp/nutcracker-pool.yml"
  nutcracker -c "$tmp/nutcracker-pool.yml" -s "$(free_port)" -a 127.0.0.1 -o "$tmp/nutcracker-pool.log" & pids+=($!)
  pool_list=$(IFS=,; echo "${pool_servers[*]}")
  "$bin" proxy --pool "$pool_list" --listen "127.0.0.1:$pool_ms" --headless 2>/dev/null & pids+=($!)
  for port in "${pool_mcs[@]}"; do wait_port "$port"; done
  wait_port "$pool_tw"; wait_port "$pool_ms"
  echo "pool of 3 memcached (ascii, get=90,set=10, 100-byte values); ratio = memshark / twemproxy"
  printf '%-7s %-5s %-16s %10s %7s %7s %7s\n' proto conns path ops/s p50_us p99_us ratio
  for conns in 16 8; do
    run ascii $conns pool-twemproxy "$pool_tw"
    cp "$tmp/ascii-$conns-pool-twemproxy.json" "$tmp/ascii-$conns-pool-base.json"
    "$bin" load --to "127.0.0.1:$pool_ms" --protocol ascii --connections "$conns" --mix get=90,set=10 \
      --value-size 100 --keys 10000 --duration "$secs" --json > "$tmp/ascii-$conns-pool-memshark.json"
    python3 - "$tmp/ascii-$conns-pool-memshark.json" "$tmp/ascii-$conns-pool-base.json" ascii "$conns" pool-memshark <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); d = json.load(open(sys.argv[2]))
print(f"{sys.argv[3]:<7} {sys.argv[4]:<5} {sys.argv[5]:<16} {r['ops_per_sec']:>10.0f} {r['total']['p50_us']:>7} {r['total']['p99_us']:>7} {r['ops_per_sec']/d['ops_per_sec']:>6.2f}x")
PY
  done
elif [ $have_tw = 1 ]; then
  echo "pool: skipped (this memshark proxy has no --pool yet)"
fi

# The proxy on a core of its own, as it runs in production beside a client host: memcached and
# the load generator pinned to core 0 in every row, the proxies to core 1. Direct is the same
# pair on core 0 without a hop; the ratio is then what the hop costs the pair, not what the
# proxy's CPU takes away from it.
if command -v taskset > /dev/null && [ "$(nproc)" -ge 2 ]; then
  kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true
  mc=$(free_port); px=$(free_port); pr=$(free_port)
  taskset -c 0 memcached -l 127.0.0.1 -p "$mc" -U 0 -m 64 -t 1 -c 4096 "${user_flag[@]}" & pids=($!)
  taskset -c 1 "$bin" proxy --listen "127.0.0.1:$px" --backend "127.0.0.1:$mc" --headless 2>/dev/null & pids+=($!)
  taskset -c 1 "$bin" proxy --listen "127.0.0.1:$pr" --backend "127.0.0.1:$mc" --headless --record "$tmp/rec-pinned.pcap" 2>/dev/null & pids+=($!)
  wait_port "$mc"; wait_port "$px"; wait_port "$pr"
  if [ $have_tw = 1 ]; then
    tw=$(free_port)
    sed -e "s/listen: .*/listen: 127.0.0.1:$tw/" -e "s/- 127.0.0.1:[0-9]*:1/- 127.0.0.1:$mc:1/" \
      "$tmp/nutcracker.yml" > "$tmp/nutcracker-pinned.yml"
    taskset -c 1 nutcracker -c "$tmp/nutcracker-pinned.yml" -o "$tmp/nutcracker-pinned.log" & pids+=($!)
    wait_port "$tw"
  fi
  echo "pinned: memcached -t 1 and load on core 0, proxy on core 1; ${secs}s per run"
  printf '%-7s %-5s %-16s %10s %7s %7s %7s\n' proto conns path ops/s p50_us p99_us ratio
  pinned_run() { # proto conns label port
    taskset -c 0 "$bin" load --to "127.0.0.1:$4" --protocol "$1" --connections "$2" --mix get=90,set=10 \
      --value-size 100 --keys 10000 --duration "$secs" --json > "$tmp/p-$1-$2-$3.json"
    python3 - "$tmp/p-$1-$2-$3.json" "$tmp/p-$1-$2-direct.json" "$1" "$2" "$3" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); d = json.load(open(sys.argv[2]))
print(f"{sys.argv[3]:<7} {sys.argv[4]:<5} {sys.argv[5]:<16} {r['ops_per_sec']:>10.0f} {r['total']['p50_us']:>7} {r['total']['p99_us']:>7} {r['ops_per_sec']/d['ops_per_sec']:>6.2f}x")
PY
  }
  for proto in binary ascii; do
    pinned_run $proto 16 direct "$mc"
    pinned_run $proto 16 proxy "$px"
    pinned_run $proto 16 proxy+record "$pr"
    [ $proto = ascii ] && [ $have_tw = 1 ] && pinned_run $proto 16 twemproxy "$tw"
  done
  echo "recording (pinned): $(stat -c %s "$tmp/rec-pinned.pcap") bytes"
fi
