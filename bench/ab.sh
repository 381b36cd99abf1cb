#!/usr/bin/env bash
# Before/after in one sitting: this checkout (B) against an earlier commit (A), on the same
# inputs, alternating A and B so that the machine's drift hits both alike.
#
#   1. outputs: `dump` (jsonl, csv, text) and `stats --json` of every fixture and of both bench
#      captures, A vs B, must be byte-identical (stats --json only where the JSON names did not
#      change on purpose: see the README's "Output changes");
#   2. `dump --format jsonl` and `stats` on bench/dump.sh's two captures (pipelined, large
#      segments; one request per segment, small packets): median of ROUNDS runs each;
#   3. the TUI at ~1 M transactions (examples/timeline_bench, as bench/tui.sh);
#   4. `memshark serve` under `memshark load` (binary and ascii, 16 connections, as
#      bench/server.sh), A's server and B's server driven by the same load generator;
#   5. criterion's codec and dissect benchmarks (`cargo bench`) in both trees.
#
# Usage: bench/ab.sh [REF [ROUNDS [SECONDS]]]   (REF default: the commit before the workspace
# split; ROUNDS default 5; SECONDS of server load per run, default 5). Needs python3, memcached
# not needed. Set AB_SKIP to a list of parts to skip: outputs, speed, tui, server, criterion
# (e.g. AB_SKIP="outputs speed tui criterion" for the server alone).
set -euo pipefail
cd "$(dirname "$0")/.."
ref=${1:-7c8013e}
rounds=${2:-5}
secs=${3:-5}
skip=${AB_SKIP:-}
tmp=${TMPDIR:-/tmp}
wt=$tmp/memshark-ab-$ref
[ -d "$wt" ] || git worktree add --detach "$wt" "$ref" > /dev/null
echo "A = $ref ($(git -C "$wt" log -1 --format=%s | cut -c1-60)); B = working tree ($(git log -1 --format=%h))"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $(date -u +%FT%TZ)"
for dir in "$wt" .; do
  (cd "$dir" && cargo build --release --quiet --example synth_capture --example timeline_bench && cargo build --release --quiet)
done
A=$wt/target/release/memshark
B=target/release/memshark

# 1. identical outputs
big1=$tmp/memshark-bench-600-8-2000.pcap
big2=$tmp/memshark-bench-500-1-300.pcap
tuif=$tmp/memshark-tui-200.pcap
[ -f "$big1" ] || target/release/examples/synth_capture "$big1" 600 8 2000
[ -f "$big2" ] || target/release/examples/synth_capture "$big2" 500 1 300
[ -f "$tuif" ] || target/release/examples/synth_capture "$tuif" 200 1 120
differ=0
[[ " $skip " == *" outputs "* ]] || for f in fixtures/*.pcap captures/*.pcap "$big1" "$big2"; do
  for fmt in jsonl csv text; do
    a=$("$A" dump "$f" --format "$fmt" | sha256sum); b=$("$B" dump "$f" --format "$fmt" | sha256sum)
    [ "$a" = "$b" ] || { echo "DIFFERENT: dump $f --format $fmt"; differ=1; }
  done
  a=$("$A" stats "$f" | sha256sum); b=$("$B" stats "$f" | sha256sum)
  [ "$a" = "$b" ] || { echo "DIFFERENT: stats $f"; differ=1; }
done
[[ " $skip " == *" outputs "* ]] || [ $differ = 1 ] || echo "outputs: dump (jsonl, csv, text) and stats identical on every fixture, capture and bench file"

# 2. dump and stats speed
seconds() { /usr/bin/time -f %e "$@" 2>&1 > /dev/null | tail -1; }
[[ " $skip " == *" speed "* ]] || for f in "$big1" "$big2"; do
  for cmd in "dump --format jsonl" "stats"; do
    ta=(); tb=()
    for _ in $(seq "$rounds"); do
      # shellcheck disable=SC2086
      ta+=("$(seconds "$A" $cmd "$f")"); tb+=("$(seconds "$B" $cmd "$f")")
    done
    python3 - "$(basename "$f")" "$cmd" "$(stat -c %s "$f")" "${ta[*]}" "${tb[*]}" <<'PY'
import statistics, sys
name, cmd, size = sys.argv[1], sys.argv[2], int(sys.argv[3])
a = statistics.median(map(float, sys.argv[4].split())); b = statistics.median(map(float, sys.argv[5].split()))
print(f"{name:<32} {cmd:<20} A {a:6.2f} s ({size/a/1e6:6.0f} MB/s)  B {b:6.2f} s ({size/b/1e6:6.0f} MB/s)  B/A speed {a/b:5.2f}x")
PY
  done
done

# 3. the TUI at scale
[[ " $skip " == *" tui "* ]] || echo "timeline_bench on $(basename "$tuif") (A then B):"
[[ " $skip " == *" tui "* ]] || for bin in "$wt/target/release/examples/timeline_bench" target/release/examples/timeline_bench; do
  "$bin" "$tuif" | sed 's/^/  /'
  echo "  --"
done

# 4. the server
if [[ " $skip " != *" server "* ]]; then
  free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
  wait_port() { for _ in $(seq 100); do (echo > /dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0; sleep 0.05; done; return 1; }
  pa=$(free_port); pb=$(free_port)
  "$A" serve --listen "127.0.0.1:$pa" --memory 64m 2>/dev/null & sa=$!
  "$B" serve --listen "127.0.0.1:$pb" --memory 64m 2>/dev/null & sb=$!
  trap 'kill $sa $sb 2>/dev/null || true' EXIT
  wait_port "$pa"; wait_port "$pb"
  echo "memshark serve under memshark load (B's), 16 connections, get=90,set=10, 100 B values, ${secs}s a run, median of $rounds:"
  for proto in binary ascii; do
    oa=(); ob=()
    for _ in $(seq "$rounds"); do
      for side in a b; do
        port=$pa; [ $side = b ] && port=$pb
        tps=$("$B" load --to "127.0.0.1:$port" --protocol "$proto" --connections 16 --mix get=90,set=10 \
          --value-size 100 --keys 10000 --duration "$secs" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["ops_per_sec"])')
        if [ $side = a ]; then oa+=("$tps"); else ob+=("$tps"); fi
      done
    done
    python3 - "$proto" "${oa[*]}" "${ob[*]}" <<'PY'
import statistics, sys
a = statistics.median(map(float, sys.argv[2].split())); b = statistics.median(map(float, sys.argv[3].split()))
print(f"  {sys.argv[1]:<7} A {a:10.0f} ops/s  B {b:10.0f} ops/s  B/A {b/a:5.2f}x")
PY
  done
  kill $sa $sb 2>/dev/null || true
fi

# 5. criterion
if [[ " $skip " != *" criterion "* ]]; then
  for bench in codec dissect; do
    (cd "$wt" && cargo bench --quiet --bench "$bench" -- --noplot 2>/dev/null) > "$tmp/ab-$bench-a.txt"
    cargo bench --quiet --bench "$bench" -- --noplot 2>/dev/null > "$tmp/ab-$bench-b.txt"
    python3 - "$tmp/ab-$bench-a.txt" "$tmp/ab-$bench-b.txt" "$bench" <<'PY'
import re, sys
unit = {"ps": 1e-3, "ns": 1.0, "µs": 1e3, "us": 1e3, "ms": 1e6, "s": 1e9}
def parse(path):
    out, name = {}, None
    for line in open(path, encoding="utf-8", errors="replace"):
        m = re.match(r"^(\S.*?)\s+time:\s+\[(\S+) (\S+) (\S+) (\S+) (\S+) (\S+)\]", line)
        if m:
            out[m.group(1)] = float(m.group(4)) * unit[m.group(5)]
            continue
        m = re.match(r"^(\S.*?)\s*$", line)
        if m and not line.startswith(("Benchmarking", "Found", "Warning", "  ")):
            name = m.group(1)
        m = re.match(r"^\s+time:\s+\[(\S+) (\S+) (\S+) (\S+) (\S+) (\S+)\]", line)
        if m and name:
            out[name] = float(m.group(3)) * unit[m.group(4)]
    return out
a, b = parse(sys.argv[1]), parse(sys.argv[2])
print(f"criterion --bench {sys.argv[3]} (median time; B/A speed > 1 means B is faster):")
for k in a:
    if k in b:
        print(f"  {k:<48} A {a[k]:12.2f} ns  B {b[k]:12.2f} ns  B/A speed {a[k]/b[k]:5.2f}x")
PY
  done
fi
