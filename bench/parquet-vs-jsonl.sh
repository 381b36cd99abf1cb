#!/usr/bin/env bash
# Parquet writing against jsonl writing, alternating in one sitting (median of ROUNDS runs each),
# on one capture: `dump --format parquet -o F.parquet`, `dump --format jsonl -o F.jsonl` (both
# written to the same directory) and `dump --format jsonl > /dev/null` (formatting alone, no
# writing). One decoding thread each, the default.
#
# Usage: bench/parquet-vs-jsonl.sh CAPTURE [ROUNDS [OUTDIR]]   (ROUNDS default 5; OUTDIR default
#        $TMPDIR, i.e. the disk — put it on tmpfs to leave the disk out)
set -euo pipefail
cd "$(dirname "$0")/.."
file=$1
rounds=${2:-5}
out=${3:-${TMPDIR:-/tmp}}/memshark-pvj
mkdir -p "$out"
cargo build --release --quiet
bin=target/release/memshark
secs() { /usr/bin/time -f %e "$@" 2>&1 > /dev/null | tail -1; }
pq=(); jf=(); jn=()
for _ in $(seq "$rounds"); do
  pq+=("$(secs "$bin" dump "$file" --format parquet -o "$out/m.parquet")")
  jf+=("$(secs "$bin" dump "$file" --format jsonl -o "$out/m.jsonl")")
  jn+=("$(secs "$bin" dump "$file" --format jsonl)")
done
rm -rf "$out"
python3 - "$file" "${pq[*]}" "${jf[*]}" "${jn[*]}" <<'PY'
import os, statistics, sys
f = sys.argv[1]; size = os.path.getsize(f)
pq, jf, jn = (statistics.median(map(float, a.split())) for a in sys.argv[2:5])
print(f"{f} ({size/1e6:.0f} MB), medians:")
print(f"  parquet -o F.parquet   {pq:6.2f} s  {size/pq/1e6:7.0f} MB/s")
print(f"  jsonl -o F.jsonl       {jf:6.2f} s  {size/jf/1e6:7.0f} MB/s   parquet/jsonl-file speed {jf/pq:.2f}x")
print(f"  jsonl > /dev/null      {jn:6.2f} s  {size/jn/1e6:7.0f} MB/s   parquet/jsonl-null speed {jn/pq:.2f}x")
PY
