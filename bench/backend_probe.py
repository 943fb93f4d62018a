"""How long PostgreSQL and Redis take to answer the most trivial question (`SELECT 1`,
`PING`), asked every 10 ms from a process of its own, outside the server under test.

    .venv/bin/python bench/backend_probe.py --postgres URL --redis URL --seconds 10

Prints one line: `PROBE pg_max_ms=… pg_slow=… redis_max_ms=… redis_slow=…` (the slowest
answer, and how many took over 50 ms). The benches run it beside their measured rows: on
this machine, under a load that keeps its 2 cores busy with loopback HTTP, both services
now and then answer nobody for hundreds of milliseconds, whatever the server does (seen
beside a bare ASGI app that never calls them); a read that needs the database then waits
as long, and wrk's latency (corrected for coordinated omission) counts every request the
stalled connection did not send.
"""

import argparse
import threading
import time
from collections.abc import Callable

import psycopg
import redis
from sqlalchemy import make_url

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
    for thread in threads:
        thread.join()
    print(
        "PROBE "
        + " ".join(
            f"{name}_max_ms={found[name][0]:.0f} {name}_slow={found[name][1]}" for name in found
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
