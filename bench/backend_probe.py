"""How long PostgreSQL and Redis take to answer the most trivial question (`SELECT 1`,
`PING`), asked every 10 ms from a process of its own, outside the server under test.

    .venv/bin/python bench/backend_probe.py --postgres URL --redis URL --seconds 10
        [--beside-bare-asgi]

Prints one line: `PROBE pg_max_ms=… pg_slow=… redis_max_ms=… redis_slow=…` (the slowest
answer, and how many took over 50 ms). The benches run it beside their measured rows: on
this machine, under a load that keeps its 2 cores busy with loopback HTTP, both services
now and then answer nobody for hundreds of milliseconds, whatever the server does (seen
beside a bare ASGI app that never calls them); a read that needs the database then waits
as long, and wrk's latency (corrected for coordinated omission) counts every request the
stalled connection did not send. `--beside-bare-asgi` shows it: the probe runs beside
wrk (2 threads, 32 connections) reading a bare ASGI app that never calls either service
(bench/bare_asgi.py, 2 workers), and prints wrk's line too.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import psycopg
import redis
from sqlalchemy import make_url

ROOT = Path(__file__).resolve().parent.parent
SLOW_MS = 50.0
EVERY = 0.01


def probe(ask: Callable[[], object], seconds: float) -> tuple[float, int]:
    """The slowest answer (ms) and how many took over ``SLOW_MS``."""
    slowest, slow = 0.0, 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        started = time.monotonic()
        ask()
        took = (time.monotonic() - started) * 1000
        slowest, slow = max(slowest, took), slow + (took > SLOW_MS)
        time.sleep(EVERY)
    return slowest, slow


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", required=True)
    parser.add_argument("--redis", required=True)
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--beside-bare-asgi", action="store_true")
    args = parser.parse_args()
    url = make_url(args.postgres).set(drivername="postgresql")
    database = psycopg.connect(url.render_as_string(hide_password=False), autocommit=True)
    cache = redis.Redis.from_url(args.redis, socket_timeout=30)
    found: dict[str, tuple[float, int]] = {}

    def run(name: str, ask: Callable[[], object]) -> None:
        found[name] = probe(ask, args.seconds)

    threads = [
        threading.Thread(target=run, args=("pg", lambda: database.execute("SELECT 1").fetchone())),
        threading.Thread(target=run, args=("redis", cache.ping)),
    ]
    for thread in threads:
        thread.start()
    if args.beside_bare_asgi:
        print(bare_asgi_under_wrk(args.seconds), flush=True)
    for thread in threads:
        thread.join()
    print(
        "PROBE "
        + " ".join(
            f"{name}_max_ms={found[name][0]:.0f} {name}_slow={found[name][1]}" for name in found
        ),
        flush=True,
    )


def bare_asgi_under_wrk(seconds: float) -> str:
    """wrk's RESULT line for a bare ASGI app (2 workers) read for about ``seconds``."""
    sys.path.insert(0, str(ROOT))
    from bench.http_bench import Server, ensure_wrk

    with tempfile.TemporaryDirectory() as folder:
        body = Path(folder) / "body.json"
        body.write_bytes(('{"items": [' + '{"title": "خبر"},' * 100 + "{}]}").encode())
        uvicorn = [sys.executable, "-m", "uvicorn", "bench.bare_asgi:app", "--app-dir", str(ROOT)]
        quiet = ["--no-access-log", "--log-level", "warning"]
        server = Server(
            [*uvicorn, "--port", "{port}", "--workers", "2", *quiet],
            {**os.environ, "BARE_BODY": str(body)},
            Path(folder) / "bare.log",
        )
        try:
            command = [ensure_wrk(), "-t2", "-c32", f"-d{max(1, int(seconds) - 2)}s"]
            report = ["-s", str(ROOT / "bench" / "wrk_report.lua"), server.url + "/"]
            out = subprocess.run([*command, *report], capture_output=True, text=True).stdout
        finally:
            server.stop()
    return next(line for line in out.splitlines() if line.startswith("RESULT "))


if __name__ == "__main__":
    main()
