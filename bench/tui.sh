#!/usr/bin/env bash
# The TUI at scale: load ~1 M transactions as `memshark view` does, memory per transaction,
# redraw after scroll / filter change / sort at that size, and live ingest through the
# proxy-tap collector; then the time each Wireshark-workflow view takes to open at that size
# (follow a connection, apply as filter, conversations, the I/O graph, the column chooser: target
# ≤ 100 ms each) and an export of the filtered rows. Drawing goes to ratatui's TestBackend (the
# same frames a terminal gets, without the terminal's own time).
#
# Usage: bench/tui.sh [SIZE_MB]   (default 200: about 1.1 M transactions, small values)
set -euo pipefail
cd "$(dirname "$0")/.."
size=${1:-200}
file=${TMPDIR:-/tmp}/memshark-tui-$size.pcap
cargo build --release --quiet --example synth_capture --example timeline_bench
[ -f "$file" ] || target/release/examples/synth_capture "$file" "$size" 1 120
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
/usr/bin/time -f 'peak memory (maxrss): %M KB' target/release/examples/timeline_bench "$file"
