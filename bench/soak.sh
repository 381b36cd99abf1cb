#!/usr/bin/env bash
# Soak: the recording proxy under `memshark load --verify` for SECONDS (default 600) while
# the memcached behind it is killed (-9) and restarted every minute and clients connect and
# vanish at random (half-written requests, resets). At the end it checks: the proxy never
# died or panicked, its memory stayed flat, no answered value was wrong, and every recording
# file reads cleanly (memshark stats, and tshark when installed).
#
# Usage: bench/soak.sh [SECONDS]   (needs Debian's memcached and python3; binds 127.0.0.1 only)
set -uo pipefail
cd "$(dirname "$0")/.."
secs=${1:-600}
cargo build --release --quiet
bin=target/release/memshark
work=$(mktemp -d "${TMPDIR:-/tmp}/memshark-soak.XXXXXX")
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
bport=$(free_port); pport=$(free_port)
user=(); [ "$(id -u)" = 0 ] && user=(-u nobody)
start_backend() { memcached "${user[@]}" -l 127.0.0.1 -p "$bport" -m 64 -c 4096 & echo $! > "$work/backend.pid"; }
start_backend
sleep 0.5
"$bin" proxy --headless --listen 127.0.0.1:$pport --backend 127.0.0.1:$bport \
  --record "$work/rec.pcap" --record-max-size 32m --record-files 4 2> "$work/proxy.log" &
proxy=$!
sleep 0.5
deadline=$(( $(date +%s) + secs ))
echo "soak: $secs s; backend 127.0.0.1:$bport (killed every 60 s), proxy 127.0.0.1:$pport (pid $proxy); work dir $work"

# Memory of the proxy every 5 s.
( while kill -0 $proxy 2> /dev/null && [ "$(date +%s)" -lt "$deadline" ]; do
    echo "$(date +%s) $(awk '/VmRSS/ {print $2}' /proc/$proxy/status)" >> "$work/rss.txt"; sleep 5
  done ) &

# The backend dies every minute and comes back 1-3 s later.
( while [ "$(date +%s)" -lt $(( deadline - 5 )) ]; do
    sleep 60
    [ "$(date +%s)" -ge $(( deadline - 5 )) ] && break
    kill -9 "$(cat "$work/backend.pid")" 2> /dev/null; echo "$(date +%s) backend killed" >> "$work/events.txt"
    sleep $(( RANDOM % 3 + 1 )); start_backend; echo "$(date +%s) backend restarted" >> "$work/events.txt"
  done ) &

# Four verifying clients in loops of random length, binary and ASCII.
for c in 1 2 3 4; do
  ( i=0; while [ "$(date +%s)" -lt "$deadline" ]; do
      proto=binary; [ $((c % 2)) = 0 ] && proto=ascii
      left=$(( deadline - $(date +%s) )); d=$(( RANDOM % 15 + 1 )); [ $d -gt $left ] && d=$left; [ $d -le 0 ] && break
      "$bin" load --to 127.0.0.1:$pport --protocol $proto --connections $(( RANDOM % 4 + 1 )) \
        --pipeline $(( RANDOM % 8 + 1 )) --duration $d --keys 2000 --value-size 10-4000 \
        --mix get=6,set=3,mget=1,delete=1,touch=1 --verify --json \
        > "$work/load-$c-$i.json" 2> "$work/load-$c-$i.err"
      i=$((i + 1))
    done ) &
done

# Clients that vanish: half a request, then a reset or a plain close, at random.
python3 - "$pport" "$deadline" > "$work/vanish.txt" 2>&1 <<'PY' &
import random, socket, struct, sys, time
port, deadline = int(sys.argv[1]), int(sys.argv[2])
n = 0
while time.time() < deadline:
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=2)
        req = random.choice([b"get soak:vanish\r\n", b"set soak:v 0 0 100\r\nhalf", b"\x80\x00\x00\x05", b"mg soak v\r\nmg"])
        s.sendall(req[: random.randint(1, len(req))])
        if random.random() < 0.5:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()
        n += 1
    except OSError:
        pass
    time.sleep(random.random() * 0.2)
print(f"{n} vanishing clients")
PY

wait_until() { while [ "$(date +%s)" -lt "$deadline" ]; do sleep 1; kill -0 $proxy 2> /dev/null || break; done; }
wait_until
sleep 3
alive=yes; kill -0 $proxy 2> /dev/null || alive=no
kill -INT $proxy 2> /dev/null; wait $proxy 2> /dev/null
kill "$(cat "$work/backend.pid")" 2> /dev/null
wait 2> /dev/null

# Verdicts.
fail=0
echo "proxy alive to the end: $alive"; [ $alive = yes ] || fail=1
if grep -q panicked "$work/proxy.log"; then echo "PANIC in the proxy log"; fail=1; fi
python3 - "$work" <<'PY' || fail=1
import glob, json, sys
work = sys.argv[1]
rss = [int(l.split()[1]) for l in open(f"{work}/rss.txt") if len(l.split()) == 2 and l.split()[1].isdigit()]
runs = answered = verified = wrong = failed = 0
for f in glob.glob(f"{work}/load-*.json"):
    try:
        r = json.load(open(f))
    except Exception:
        failed += 1  # the run ended on a backend kill: its connections were closed
        continue
    runs += 1; answered += r["total"]["count"]; verified += r["verified_values"]; wrong += r["wrong_values"]
q = len(rss) // 4
first, last = sorted(rss[q:2 * q]), sorted(rss[-q:])
med = lambda v: v[len(v) // 2] if v else 0
print(f"load runs: {runs} completed, {failed} cut short by a backend kill; {answered} answers, {verified} values verified, {wrong} wrong")
print(f"proxy RSS: start {rss[0] if rss else 0} KB, second quarter median {med(first)} KB, last quarter median {med(last)} KB, max {max(rss) if rss else 0} KB ({len(rss)} samples)")
ok = wrong == 0 and runs > 0 and verified > 0 and (not first or med(last) <= med(first) * 1.5 + 10240)
print("memory flat and every answer right" if ok else "FAILED: wrong answers or memory growth")
sys.exit(0 if ok else 1)
PY
cat "$work/vanish.txt"; grep -c killed "$work/events.txt" | sed 's/^/backend kills: /'
for f in "$work"/rec.pcap*; do
  out=$("$bin" stats "$f" --port "$bport" --json 2>&1) || { echo "recording $f unreadable: $out"; fail=1; continue; }
  echo "$out" | python3 -c "import json,sys; r=json.load(sys.stdin); print(f'recording $(basename "$f"): {r[\"frames\"]} frames, {r[\"messages\"]} messages, malformed {r[\"malformed\"]}, truncated {r[\"truncated_file\"]}'); sys.exit(1 if r['truncated_file'] else 0)" || fail=1
  if command -v tshark > /dev/null; then tshark -r "$f" -q > /dev/null 2>&1 || { echo "tshark cannot read $f"; fail=1; }; fi
done
[ $fail = 0 ] && echo "SOAK PASSED" || echo "SOAK FAILED"
exit $fail
