#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 600), one after the other, and prints what
# each did. Crashes land in fuzz/artifacts/TARGET/; copy them to fuzz/regressions/ and add a
# test that replays them.
#
# Usage: fuzz/run-all.sh [SECONDS]   (needs nightly and cargo-fuzz)
set -uo pipefail
cd "$(dirname "$0")"
secs=${1:-600}
targets=$(cargo +nightly fuzz list)
cargo +nightly fuzz build --release > /dev/null 2>&1 || { echo "build failed"; exit 1; }
for t in $targets; do
  mkdir -p corpus/$t
  log=/tmp/fuzz-$t.log
  cargo +nightly fuzz run --release "$t" -- -max_total_time="$secs" -print_final_stats=1 > "$log" 2>&1
  rc=$?
  execs=$(grep -m1 'stat::number_of_executed_units' "$log" | awk '{print $2}')
  cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1)
  echo "$t: exit $rc, ${execs:-?} runs in ${secs}s, $cov, corpus $(ls corpus/$t | wc -l) inputs$( [ $rc -ne 0 ] && echo ', CRASH: see '$log )"
done
