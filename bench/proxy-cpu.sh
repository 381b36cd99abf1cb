#!/usr/bin/env bash
# Where a proxied request's CPU goes: the same paced load (text protocol, 16 connections,
# get=90,set=10, RATE requests/s for OPS requests) direct to memcached, through `memshark proxy`
# (with and without --record) and through twemproxy, and the CPU time (user + system, from
# /proc) each process spent per request. Paced, so the figures do not depend on who wins the
# cores; they show what a ratio under full load is made of.
#
# Usage: bench/proxy-cpu.sh [OPS [RATE]]   (default 300000 at 30000/s; needs memcached, nutcracker)
set -euo pipefail
cd "$(dirname "$0")/.."
ops=${1:-300000}
rate=${2:-30000}
cargo build --release --quiet
bin=target/release/memshark
user_flag=(); [ "$(id -u)" = 0 ] && user_flag=(-u nobody)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 100); do (echo > /dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0; sleep 0.05; done; return 1; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
tmp=$(mktemp -d)
pids=()
trap 'kill ${pids[*]} 2>/dev/null || true; rm -rf "$tmp"' EXIT
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $ops requests at $rate/s, ascii"
printf '%-16s %14s %14s %14s %14s\n' path memcached_us proxy_us load_us total_us
for path in direct proxy proxy+record twemproxy; do
  mc=$(free_port)
  memcached -l 127.0.0.1 -p "$mc" -U 0 -m 64 -t 2 "${user_flag[@]}" & mc_pid=$!; pids+=($mc_pid)
  wait_port "$mc"
  port=$mc; px_pid=
  case $path in
    proxy|proxy+record)
      port=$(free_port)
      rec=(); [ $path = proxy+record ] && rec=(--record "$tmp/rec.pcap")
      "$bin" proxy --listen "127.0.0.1:$port" --backend "127.0.0.1:$mc" --headless "${rec[@]}" 2>/dev/null & px_pid=$! ;;
    twemproxy)
      command -v nutcracker > /dev/null || { kill $mc_pid; continue; }
      port=$(free_port)
      printf 'b:\n  listen: 127.0.0.1:%s\n  hash: fnv1a_64\n  distribution: ketama\n  timeout: 1000\n  server_connections: 1\n  servers:\n   - 127.0.0.1:%s:1\n' "$port" "$mc" > "$tmp/tw.yml"
      nutcracker -c "$tmp/tw.yml" -o "$tmp/tw.log" & px_pid=$! ;;
  esac
  [ -n "$px_pid" ] && pids+=($px_pid) && wait_port "$port"
  m0=$(cpu_ticks $mc_pid); p0=0; [ -n "$px_pid" ] && p0=$(cpu_ticks $px_pid)
  /usr/bin/time -f '%U %S' -o "$tmp/load.time" "$bin" load --to "127.0.0.1:$port" --protocol ascii \
    --connections 16 --mix get=90,set=10 --value-size 100 --keys 10000 --ops "$ops" --rate "$rate" \
    --json > "$tmp/load.json"
  m1=$(cpu_ticks $mc_pid); p1=0; [ -n "$px_pid" ] && p1=$(cpu_ticks $px_pid)
  kill $mc_pid $px_pid 2>/dev/null || true
  wait $mc_pid $px_pid 2>/dev/null || true
  python3 - "$path" "$tmp/load.json" "$tmp/load.time" "$m0" "$m1" "$p0" "$p1" "$(getconf CLK_TCK)" <<'PY'
import json, sys
path, load, ltime = sys.argv[1], json.load(open(sys.argv[2])), open(sys.argv[3]).read().split()
m0, m1, p0, p1, hz = (float(x) for x in sys.argv[4:9])
n = load["total"]["count"] + 10000  # the load sets its 10 000 keys first
us = lambda ticks: ticks / hz / n * 1e6
mc, px, ld = us(m1 - m0), us(p1 - p0), (float(ltime[-2]) + float(ltime[-1])) / n * 1e6
print(f"{path:<16} {mc:>14.1f} {px:>14.1f} {ld:>14.1f} {mc + px + ld:>14.1f}")
PY
done
