#!/usr/bin/env bash
# Akhbar on the peer dataset: akhbar-1w on 127.0.0.1:$AKHBAR1_PORT (1 worker) and
# akhbar-2w on :$AKHBAR2_PORT (2 workers), SQLite, default settings (access log on).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
peers="${BENCH_PEERS_DIR:-$root/../shared/bench-peers/peers}"
. "$peers/../common.sh"
W="$BENCH_WORK/akhbar"
mkdir -p "$W"
[ -x "$root/.venv/bin/akhbar" ] || make -C "$root" .venv/.dev-installed
"$root/.venv/bin/python" "$here/load.py" --load-only
for spec in "1w:${AKHBAR1_PORT:-8093}:1" "2w:${AKHBAR2_PORT:-8094}:2"; do
  IFS=: read -r name port workers <<< "$spec"
  pidf="$W/akhbar-$name.pid"
  if pid_alive "$pidf" "akhbar serve"; then echo "akhbar-$name already running (pid $(cat "$pidf"))"; continue; fi
  AKHBAR_DATABASE_URL="sqlite:///$W/akhbar.db" nohup "$root/.venv/bin/akhbar" serve \
    --host 127.0.0.1 --port "$port" --workers "$workers" > "$W/akhbar-$name.log" 2>&1 &
  echo $! > "$pidf"
  wait_http "http://127.0.0.1:$port/readyz" 60 || { tail -20 "$W/akhbar-$name.log"; exit 1; }
  echo "akhbar-$name up on http://127.0.0.1:$port (pid $(cat "$pidf"), $workers worker(s))"
done
