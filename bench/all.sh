#!/usr/bin/env bash
# Every benchmark, one after the other, in one sitting on one machine; output to
# bench/last-run.txt (and the terminal). Run it on an otherwise idle machine: the figures of
# bench/RESULTS.md come from it.
#
# Usage: bench/all.sh   (needs memcached, tshark, nutcracker, libmemcached-tools, python3, tmux;
#                        bench/live.sh runs when root)
set -uo pipefail
cd "$(dirname "$0")/.."
log=bench/last-run.txt
{
  echo "# bench/all.sh, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem/ {print $2}') GiB; $(rustc --version)"
  echo; echo "## cargo bench --bench codec"
  cargo bench --bench codec -- --warm-up-time 1 --measurement-time 3 2>&1 | grep -E '^codec/|time:'
  echo; echo "## cargo bench --bench dissect"
  cargo bench --bench dissect -- --warm-up-time 1 --measurement-time 4 2>&1 | grep -E '^dissect/|time:|thrpt:'
  echo; echo "## bench/server.sh 6"; bench/server.sh 6
  echo; echo "## bench/dump.sh 600"; bench/dump.sh 600
  echo; echo "## bench/dump.sh 500 1 300"; bench/dump.sh 500 1 300
  echo; echo "## bench/proxy.sh 5"; bench/proxy.sh 5
  echo; echo "## bench/proxy-cpu.sh 300000 30000"; bench/proxy-cpu.sh 300000 30000
  echo; echo "## bench/tui.sh 300"; bench/tui.sh 300
  if [ "$(id -u)" = 0 ]; then echo; echo "## bench/live.sh 10 50000 100000 150000"; bench/live.sh 10 50000 100000 150000; fi
} 2>&1 | tee "$log"
