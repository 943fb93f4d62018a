#!/usr/bin/env bash
# Stop both Akhbar servers started by start.sh (by their recorded PIDs).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
. "${BENCH_PEERS_DIR:-$root/../shared/bench-peers/peers}/../common.sh"
for name in 1w 2w; do stop_pidfile "$BENCH_WORK/akhbar/akhbar-$name.pid" "akhbar-$name" "akhbar serve"; done
