#!/usr/bin/env bash
# memshark vs tshark on a lossy capture of large values (issue 15): records real binary traffic
# with tcpdump on loopback (memcached, `memshark load` with VALUE-byte values), removes every
# Nth frame, and compares what each decodes from the lossy file:
#   memshark: messages decoded whole, messages whose value a gap cut (op and key shown), gap rows,
#             and the `stats` line on capture losses;
#   tshark:   binary PDUs decoded (tcp.desegment_tcp_streams on, decoded as memcache);
# then checks that memshark decodes at least as many of each (request/answer, opcode) as tshark.
#
# Usage (as root: tcpdump): bench/lossy.sh [VALUE [OPS [N]]]   default 200000 1500 37
#   MEMSHARK=target/debug/memshark bench/lossy.sh 200000 200   (a quick run with a debug build)
set -euo pipefail
cd "$(dirname "$0")/.."
value=${1:-200000}
ops=${2:-1500}
nth=${3:-37}
if [ -z "${MEMSHARK:-}" ]; then
  cargo build --release --quiet
  MEMSHARK=target/release/memshark
fi
dir=$(mktemp -d)
trap 'kill $td $mc 2>/dev/null || true; rm -rf "$dir"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
memcached -l 127.0.0.1 -p "$port" -U 0 -u nobody -m 1024 &
mc=$!
sleep 0.5
tcpdump -i lo -w "$dir/whole.pcap" -U "tcp port $port" 2>/dev/null &
td=$!
sleep 1
"$MEMSHARK" load --to "127.0.0.1:$port" --connections 4 --pipeline 2 --ops "$ops" --keys 50 \
  --mix get=3,set=1 --value-size "$value" --no-prefill > /dev/null
sleep 1
kill "$td"; wait "$td" 2>/dev/null || true
python3 - "$dir/whole.pcap" "$dir/lossy.pcap" "$nth" <<'PY'
import struct, sys
src, dst, nth = sys.argv[1], sys.argv[2], int(sys.argv[3])
with open(src, 'rb') as f, open(dst, 'wb') as out:
    out.write(f.read(24))
    n = 0
    while True:
        h = f.read(16)
        if len(h) < 16:
            break
        d = f.read(struct.unpack('<I', h[8:12])[0])
        n += 1
        if n % nth:
            out.write(h + d)
print(f"capture: {n} frames, every {nth}th removed")
PY
echo "memshark stats on the whole capture (tcpdump may itself have lost frames):"
"$MEMSHARK" stats "$dir/whole.pcap" --port "$port" | grep -E '^[0-9]+ frames|^unpaired|^capture losses' || true
echo "memshark stats on the lossy capture:"
"$MEMSHARK" stats "$dir/lossy.pcap" --port "$port" | grep -E '^[0-9]+ frames|^unpaired|^capture losses' || true
"$MEMSHARK" dump "$dir/lossy.pcap" --port "$port" > "$dir/memshark.jsonl"
tshark -n -r "$dir/lossy.pcap" -o tcp.desegment_tcp_streams:TRUE -d "tcp.port==$port,memcache" \
  -T fields -E occurrence=a -E aggregator='|' -e memcache.magic -e memcache.opcode \
  2> /dev/null > "$dir/tshark.txt"
python3 - "$dir/memshark.jsonl" "$dir/tshark.txt" <<'PY'
import collections, json, sys
ours, kinds = collections.Counter(), collections.Counter()
for line in open(sys.argv[1]):
    m = json.loads(line)
    if m['op'] == 'gap':
        kinds['gap rows'] += 1
    elif 'error' in m:
        kinds['decoded, value cut by a gap'] += 1
    else:
        kinds['decoded whole'] += 1
    if 'opcode' in m:
        ours[(0x80 if m['kind'] == 'request' else 0x81, m['opcode'])] += 1
theirs = collections.Counter()
for line in open(sys.argv[2]):
    magic, op = (line.rstrip('\n').split('\t') + ['', ''])[:2]
    for a, b in zip(magic.split('|'), op.split('|')):
        if a:
            theirs[(int(a), int(b))] += 1
print(f"memshark: {dict(kinds)}; {sum(ours.values())} binary messages with an op")
print(f"tshark:   {sum(theirs.values())} binary PDUs")
short = {k: theirs[k] - ours[k] for k in theirs if theirs[k] > ours[k]}
print("memshark >= tshark for every (magic, opcode):", "yes" if not short else f"NO {short}")
sys.exit(1 if short else 0)
PY
