#!/usr/bin/env bash
# Instructions per message of `dump --format parquet -o` against `dump --format jsonl -o`, per
# thread (the decoding thread, and Parquet's encoder thread), counted by valgrind's callgrind:
# unlike wall time, instruction counts hold on a busy machine, so a change to the Parquet path
# can be judged while others build beside you. Kernel time (reads, writes, page faults) is not
# counted; wall figures come from bench/parquet-vs-jsonl.sh on a quiet machine.
#
# Usage: bench/parquet-instructions.sh [SIZE_MB [PIPELINE [MAX_VALUE]]]   (default 30 8 2000:
#        pipelined; `30 1 300` is one request per segment). Needs valgrind. Takes a minute.
set -euo pipefail
cd "$(dirname "$0")/.."
size=${1:-30}
pipeline=${2:-8}
maxval=${3:-2000}
file=${TMPDIR:-/tmp}/memshark-bench-$size-$pipeline-$maxval.pcap
cargo build --release --quiet --example synth_capture
cargo build --release --quiet
[ -f "$file" ] || target/release/examples/synth_capture "$file" "$size" "$pipeline" "$maxval" > /dev/null
bin=target/release/memshark
out=$(mktemp -d "${TMPDIR:-/tmp}/memshark-pqi.XXXXXX")
trap 'rm -rf "$out"' EXIT
messages=$("$bin" dump "$file" --format jsonl | wc -l)
echo "$file: $messages messages"
for format in jsonl parquet; do
  valgrind --tool=callgrind --separate-threads=yes --callgrind-out-file="$out/$format.%p" \
    "$bin" dump "$file" --format "$format" -o "$out/out.$format" > /dev/null 2>&1
  line=$(printf '  %-8s' "$format")
  for part in "$out/$format".*-*; do
    ir=$(awk '/^summary:/ {print $2; exit}' "$part")
    thread=${part##*-}
    name=$([ "$thread" = 01 ] && echo decoding || echo encoder)
    line+=$(printf '  %s thread %6d Ir/message' "$name" $((ir / messages)))
  done
  echo "$line"
done
