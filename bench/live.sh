#!/usr/bin/env bash
# `memshark live` on the loopback under load, end to end: the real binary (feature `live`,
# libpcap) in a real terminal (tmux), memcached on a loopback port, `memshark load` at a fixed
# rate for SECONDS. Prints the messages the timeline took in per second and what was dropped:
# by the kernel (libpcap's counters), by the interface, and between the capture thread and the
# UI (the bounded channel).
#
# Usage: bench/live.sh [SECONDS [RATE...]]   (as root; needs memcached, tmux, libpcap-dev)
#   default: 10 s at 50 000 and 100 000 requests/s (twice as many messages)
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
shift || true
rates=${*:-50000 100000}
cargo build --release --quiet --features live
bin=target/release/memshark
user_flag=(); [ "$(id -u)" = 0 ] && user_flag=(-u nobody)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 100); do (echo > /dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0; sleep 0.05; done; return 1; }
tmp=$(mktemp -d)
mc=$(free_port)
memcached -l 127.0.0.1 -p "$mc" -U 0 -m 64 -t 2 "${user_flag[@]}" & mc_pid=$!
session=memshark-live-bench-$$
trap 'tmux kill-session -t "$session" 2>/dev/null || true; kill $mc_pid 2>/dev/null || true; rm -rf "$tmp"' EXIT
wait_port "$mc"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); ${secs}s per rate"
# The load sets its 10 000 keys first: the timeline shows them too, so a run that lost nothing
# shows requests + 10 000 transactions (`missing` counts the difference).
printf '%9s %10s %10s %8s %12s %10s %12s %8s %8s\n' req/s requests txns_shown missing msgs/s ui_drop kernel_recv k_drop if_drop
for rate in $rates; do
  tmux kill-session -t "$session" 2>/dev/null || true
  tmux new-session -d -s "$session" -x 160 -y 40 \
    "$bin live -i lo --port $mc 2> $tmp/live.err; sleep 60"
  sleep 1.5
  "$bin" load --to "127.0.0.1:$mc" --protocol binary --connections 16 --mix get=90,set=10 \
    --value-size 100 --keys 10000 --rate "$rate" --duration "$secs" --json > "$tmp/load.json"
  sleep 1
  bar=$(tmux capture-pane -p -t "$session" | tail -1)
  tmux send-keys -t "$session" q
  for _ in $(seq 50); do [ -s "$tmp/live.err" ] && break; sleep 0.1; done
  txns=$(echo "$bar" | grep -oE '[0-9,]+ txns' | tr -d ', txns')
  python3 - "$rate" "$tmp/load.json" "$tmp/live.err" "${txns:-0}" "$secs" <<'PY'
import json, re, sys
rate, load, err, txns, secs = sys.argv[1], json.load(open(sys.argv[2])), open(sys.argv[3]).read(), int(sys.argv[4]), float(sys.argv[5])
m = re.search(r"(\d+) packets received, (\d+) dropped by the kernel, (\d+) by the interface; (\d+) messages dropped by the UI", err)
recv, kdrop, idrop, uidrop = (int(x) for x in m.groups()) if m else (0, 0, 0, -1)
# Every request and every answer is a message: a transaction shown is two of them.
missing = load['total']['count'] + 10000 - txns
print(f"{load['ops_per_sec']:>9.0f} {load['total']['count']:>10} {txns:>10} {missing:>8} {2 * txns / load['seconds']:>12.0f} {uidrop:>10} {recv:>12} {kdrop:>8} {idrop:>8}")
PY
done
