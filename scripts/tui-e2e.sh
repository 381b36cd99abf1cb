#!/usr/bin/env bash
# End-to-end check of the terminal UI in a real terminal (tmux): open a fixture, filter,
# open the details, follow a connection, apply a field as filter, export and open the export,
# conversations, the I/O graph, quit; the terminal must come back and the exit status be 0.
#
# Usage: scripts/tui-e2e.sh [PATH/TO/memshark]   (default: target/debug/memshark)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-target/debug/memshark}
[ -x "$bin" ] || { echo "no binary at $bin (cargo build first)"; exit 2; }
command -v tmux > /dev/null || { echo "tmux is not installed"; exit 2; }
sock=memshark-e2e-$$
t() { tmux -L "$sock" "$@"; }
cleanup() { t kill-server 2> /dev/null || true; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; echo "--- screen ---"; t capture-pane -p -t e2e || true; exit 1; }
screen() { t capture-pane -p -t e2e; }
wait_for() { # text [seconds]
  for _ in $(seq 1 $(( ${2:-10} * 10 ))); do
    screen | grep -qF -- "$1" && return 0
    sleep 0.1
  done
  fail "waited for: $1"
}

t new-session -d -s e2e -x 160 -y 45 "$bin view fixtures/binary.pcap; echo EXIT=\$?; sleep 30"
wait_for "Timeline — 260 of 260 transactions"
echo "ok: the timeline opened with every transaction"

# A bad filter shows an error with a caret, and the old (no) filter stays.
t send-keys -t e2e "/" "size > 2ms"
wait_for "^"
wait_for "Enter keeps the current filter"
t send-keys -t e2e Escape
sleep 0.3
echo "ok: a bad filter is refused with its position"

# A good filter hides the rest.
t send-keys -t e2e "/" "status == 1 && op == get" Enter
wait_for "filter: status == 1 && op == get"
rows=$(screen | grep -cE '^│[0-9]+ ' || true)
misses=$(screen | grep -E '^│[0-9]+ ' | grep -c 'KEY_ENOENT' || true)
[ "$rows" -gt 0 ] && [ "$rows" = "$misses" ] || fail "filtered rows: $rows, misses among them: $misses"
echo "ok: filter applied ($rows rows on screen, all misses)"

# Details of the selected row.
t send-keys -t e2e Enter
wait_for "Details"
wait_for "magic: request (0x80)"
wait_for "status: KEY_ENOENT"
wait_for "000000  80"
echo "ok: details and bytes shown"

# Follow the row's connection: the timeline narrows to it, the conversation shows; Esc back.
t send-keys -t e2e Escape
sleep 0.2
t send-keys -t e2e "/" C-u Enter
sleep 0.3
t send-keys -t e2e g F
wait_for "Follow: 127.0.0.1:"
wait_for "filter: flow == "
wait_for "→ set key=bin:0"
wait_for "← set SUCCESS"
t send-keys -t e2e Escape
sleep 0.3
screen | grep -q "Follow:" && fail "Esc did not leave the conversation"
echo "ok: follow a connection and come back"

# Apply as filter: the details' flow line (the third), a, then || on another field.
t send-keys -t e2e Enter j j a
wait_for "filter: flow == "
echo "ok: apply as filter from the details"

# Export what the filter shows, then open the exported file.
out=${TMPDIR:-/tmp}/memshark-e2e-$$.pcapng
t send-keys -t e2e Escape w
wait_for "export to"
t send-keys -t e2e C-u "$out" Enter
wait_for "frames written to"
[ -s "$out" ] || fail "no export at $out"
t new-window -t e2e -n exported "$bin view $out; echo EXIT2=\$?; sleep 30"
for _ in $(seq 1 100); do
  t capture-pane -p -t e2e:exported | grep -q "set.*bin:0" && break
  sleep 0.1
done
t capture-pane -p -t e2e:exported | grep -q "set.*bin:0" || { t capture-pane -p -t e2e:exported; fail "the export does not open"; }
t send-keys -t e2e:exported q
sleep 0.3
t capture-pane -p -t e2e:exported | grep -q "EXIT2=0" || fail "view of the export did not exit 0"
t kill-window -t e2e:exported
rm -f "$out"
echo "ok: export, then open the exported file"

# Conversations: a row per connection; Enter filters the timeline to one.
t send-keys -t e2e "/" C-u Enter
sleep 0.3
t send-keys -t e2e c
wait_for "Connections — 3"
wait_for "Requests▼"
t send-keys -t e2e Enter
wait_for "filter: flow == "
echo "ok: conversations, Enter filters to one"

# The I/O graph: values under the cursor; Enter takes the timeline there.
t send-keys -t e2e i
wait_for "I/O graph"
wait_for "requests/s"
wait_for "p99 latency"
t send-keys -t e2e l l l Enter
wait_for "at +"
echo "ok: I/O graph and jump"

# Stats, help, quit.
t send-keys -t e2e Escape
sleep 0.2
t send-keys -t e2e s
wait_for "get hit ratio"
t send-keys -t e2e "?"
wait_for "Keys — any key closes"
t send-keys -t e2e x q
wait_for "EXIT=0"
screen | grep -q "Timeline" && fail "the alternate screen was not left"
echo "ok: quit with status 0 and the terminal restored"
