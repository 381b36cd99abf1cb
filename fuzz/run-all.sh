#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 600), one after the other, and prints what
# each did. Crashes land in fuzz/artifacts/TARGET/; copy them to fuzz/regressions/ and add a
# test that replays them.
#
# An empty corpus is seeded first: heads of the fixture captures for the pcap reader, protocol
# lines and packets for the parsers, example expressions for the filter language.
#
# Usage: fuzz/run-all.sh [SECONDS] [TARGET...]   (needs nightly and cargo-fuzz)
set -uo pipefail
cd "$(dirname "$0")"
secs=${1:-600}
shift || true
targets=${*:-$(cargo +nightly fuzz list)}

# seed TARGET NAME BYTES...: writes one seed input (printf format) into corpus/TARGET.
seed() { local t=$1 name=$2; shift 2; printf "$@" > "corpus/$t/seed-$name"; }
seed_corpus() {
  local t=$1
  [ -n "$(ls -A "corpus/$t" 2>/dev/null)" ] && return
  mkdir -p "corpus/$t"
  case $t in
    pcap_reader)
      for f in ../fixtures/*.pcap; do head -c 8192 "$f" > "corpus/$t/seed-$(basename "$f")"; done ;;
    ascii_request|dissector)
      seed "$t" text 'set k 1 0 3\r\nabc\r\nget k j\r\ngets k\r\ndelete k\r\nincr n 5\r\n'
      seed "$t" meta 'mg k v f t c\r\nms k 3 T60 F5\r\nabc\r\nmd k q\r\nma n D2\r\nmn\r\n'
      seed "$t" misc 'cas k 0 0 1 99\r\nx\r\ntouch k 10\r\nstats\r\nversion\r\nquit\r\n' ;;
    ascii_response)
      seed "$t" text 'VALUE k 1 3\r\nabc\r\nEND\r\nSTORED\r\nNOT_FOUND\r\n5\r\nERROR\r\n'
      seed "$t" meta 'VA 3 f5 t-1 c9\r\nabc\r\nHD\r\nEN\r\nNF\r\nMN\r\n'
      seed "$t" misc 'STAT pid 1\r\nEND\r\nCLIENT_ERROR bad\r\nSERVER_ERROR oom\r\nVERSION 1.6\r\n' ;;
    binary_decode)
      seed "$t" get '\x80\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x07\x00\x00\x00\x00\x00\x00\x00\x00k'
      seed "$t" set '\x80\x01\x00\x01\x08\x00\x00\x00\x00\x00\x00\x0c\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x05\x00\x00\x00\x3ckabc'
      seed "$t" resp '\x81\x00\x00\x00\x04\x00\x00\x00\x00\x00\x00\x07\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x09\x00\x00\x00\x05abc' ;;
    filter_parse)
      seed "$t" a 'op == "get" && status != 0'
      seed "$t" b 'latency > 1ms || size >= 4kb'
      seed "$t" c '!(key ~ "^user:") && client contains "10.0" && port == 11211'
      seed "$t" d 'proto == "meta" && kind == "response" && flow < 3 && server != "x"' ;;
  esac
}
cargo +nightly fuzz build --release > /dev/null 2>&1 || { echo "build failed"; exit 1; }
for t in $targets; do
  seed_corpus "$t"
  log=/tmp/fuzz-$t.log
  cargo +nightly fuzz run --release "$t" -- -max_total_time="$secs" -print_final_stats=1 > "$log" 2>&1
  rc=$?
  execs=$(grep -m1 'stat::number_of_executed_units' "$log" | awk '{print $2}')
  cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1)
  echo "$t: exit $rc, ${execs:-?} runs in ${secs}s, $cov, corpus $(ls corpus/$t | wc -l) inputs$( [ $rc -ne 0 ] && echo ', CRASH: see '$log )"
done
