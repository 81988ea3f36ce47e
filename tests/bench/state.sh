#!/bin/bash
# tests/bench/state.sh — the crash-safe crawl state (--state, issue 13) at
# scale, with tests/bench/bench_state (make bench-state):
#   - a state frontier holding N queued URLs (default 10,000,000): RSS per
#     queued URL (goal <= 32 bytes; the in-memory frontier costs ~250);
#   - resuming a state whose committed pages left 1,000,000 URLs queued
#     (goal < 2 s).
# The crawl speed with --state against without is tests/bench/crawl.sh's
# peer gather-state (goal >= 0.8x).  Not a test.
# Usage: tests/bench/state.sh [N]   (from the build tree)
set -euo pipefail
top=${top_builddir:-$(pwd)}
N=${1:-10000000}
make -s -C "$top" bench-state >/dev/null
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
"$top/tests/bench/bench_state" queue "$N" "$tmp/q"
"$top/tests/bench/bench_state" resume 1000000 "$tmp/r"
BENCH_STATE_REOPEN=1 "$top/tests/bench/bench_state" resume 1000000 "$tmp/r"
