#!/usr/bin/env bash
# memshark dump / stats vs tshark on one large capture, in one run.
#
# Makes a synthetic capture (default 600 MB: 64 connections, binary and text, pipelined gets
# and sets with 100–2000-byte values) with examples/synth_capture.rs, then times
#   memshark dump --format jsonl --threads 1 > /dev/null     (and on every core: --threads N)
#   memshark dump --format jsonl --threads 1 -o FILE.jsonl   (writing against writing, for Parquet)
#   memshark dump --format parquet -o FILE.parquet     (and --table transactions)
#   memshark stats --threads 1 > /dev/null                   (and --threads N)
#   tshark -r FILE -d tcp.port==11211,memcache -T fields -e memcache.opcode -e memcache.key > /dev/null
# and prints throughput, peak memory (maxrss), the ratios (Parquet vs jsonl must be >= 1.0x;
# dump vs tshark, one thread and all; how dump and stats scale from 1 to N threads), and the
# sizes of the jsonl, csv and Parquet outputs beside the capture's.
# THREADS (default: nproc) sets N; SKIP_TSHARK=1 leaves tshark out (it takes minutes).
#
# Usage: bench/dump.sh [SIZE_MB [PIPELINE [MAX_VALUE]]]   (needs Debian's tshark, /usr/bin/time)
#   bench/dump.sh 600          pipelined requests, values up to 2000 B (large segments)
#   bench/dump.sh 500 1 300    one request per segment, values up to 300 B (many small packets)
set -euo pipefail
cd "$(dirname "$0")/.."
size=${1:-600}
pipeline=${2:-8}
maxval=${3:-2000}
file=${TMPDIR:-/tmp}/memshark-bench-$size-$pipeline-$maxval.pcap
cargo build --release --quiet --example synth_capture
cargo build --release --quiet
[ -f "$file" ] || target/release/examples/synth_capture "$file" "$size" "$pipeline" "$maxval"
bytes=$(stat -c %s "$file")
echo "input: $file, $bytes bytes; machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"

measure() { # label command...
  local label=$1; shift
  local out; out=$( { /usr/bin/time -f '%e %M' "$@" > /dev/null; } 2>&1 | tail -1 )
  local secs=${out% *} kb=${out#* }
  python3 -c "import sys; s=float(sys.argv[2]); print(f'{sys.argv[1]:<14} {s:8.2f} s {int(sys.argv[3])/s/1e6:9.1f} MB/s {int(sys.argv[4])/1024:8.1f} MB maxrss')" "$label" "$secs" "$bytes" "$kb"
  echo "$secs" > "/tmp/memshark-bench-$label.secs"
}

threads=${THREADS:-$(nproc)}
measure dump_jsonl_1t target/release/memshark dump "$file" --format jsonl --threads 1
measure dump_jsonl target/release/memshark dump "$file" --format jsonl --threads "$threads"
out=${TMPDIR:-/tmp}/memshark-bench-out
mkdir -p "$out"
measure dump_parquet target/release/memshark dump "$file" --format parquet -o "$out/messages.parquet"
measure dump_txn_pq target/release/memshark dump "$file" --format parquet --table transactions -o "$out/transactions.parquet"
# jsonl written to a file on the same disk as the Parquet file: writing against writing.
measure dump_jsonl_file target/release/memshark dump "$file" --format jsonl --threads 1 -o "$out/messages.jsonl"
python3 -c "
r = lambda n: float(open(f'/tmp/memshark-bench-{n}.secs').read())
p = r('dump_parquet')
print(f'parquet vs jsonl written to a file: {r(\"dump_jsonl_file\")/p:.2f}x the speed; vs jsonl thrown away (> /dev/null): {r(\"dump_jsonl_1t\")/p:.2f}x (one decoding thread each, the default)')"
target/release/memshark dump "$file" --format csv -o "$out/messages.csv"
python3 -c "
import os, sys
cap = int(sys.argv[1]); d = sys.argv[2]
print(f'{\"capture\":<22} {cap/1e6:10.1f} MB')
for n in ['messages.jsonl', 'messages.csv', 'messages.parquet', 'transactions.parquet']:
    b = os.path.getsize(os.path.join(d, n))
    print(f'{n:<22} {b/1e6:10.1f} MB {b/cap:8.3f}x the capture')" "$bytes" "$out"
rm -rf "$out"
measure stats_1t target/release/memshark stats "$file" --threads 1
measure stats target/release/memshark stats "$file" --threads "$threads"
python3 -c "
import sys
r = lambda n: float(open(f'/tmp/memshark-bench-{n}.secs').read())
b = int(sys.argv[2]); n = sys.argv[1]
for what, one, many in [('dump jsonl', 'dump_jsonl_1t', 'dump_jsonl'), ('stats', 'stats_1t', 'stats')]:
    print(f'{what}: 1 thread {b/r(one)/1e9:.2f} GB/s, {n} threads {b/r(many)/1e9:.2f} GB/s: {r(one)/r(many):.2f}x')" "$threads" "$bytes"
if [ "${SKIP_TSHARK:-0}" = 1 ]; then
  echo "tshark left out (SKIP_TSHARK=1)"
elif command -v tshark > /dev/null; then
  measure tshark tshark -r "$file" -d tcp.port==11211,memcache -T fields -e memcache.opcode -e memcache.key
  python3 -c "
r = lambda n: float(open(f'/tmp/memshark-bench-{n}.secs').read())
print(f'dump vs tshark: {r(\"tshark\")/r(\"dump_jsonl_1t\"):.0f}x faster on 1 thread, {r(\"tshark\")/r(\"dump_jsonl\"):.0f}x on all')"
else
  echo "tshark not installed (apt-get install tshark): no comparison"
fi
