"""What a worker's flush of views costs a busy event loop beside it: the GIL.

    .venv/bin/python bench/views_flush.py [--postgres URL --redis URL] [--views 500]

A worker records the views it holds once a second, in a thread (app.articles.views). A
thread's Python runs only while it holds the GIL; each time it lets the GIL go (a C call
that releases it: a SQLite step, an HMAC by ``hmac.digest``), it must take it back from
the event loop, which under load always wants it: a wait of up to the switch interval
(5 ms) and two context switches, each time. So a flush costs a loaded worker far more than
it costs an idle one. Here a thread stands for the loaded event loop (pure Python, never
letting the GIL go), and another flushes ``--views`` views (each of a new reader, on the
bench's 2,000 articles) every second. Printed per round: the flush's wall time, the
process's voluntary context switches, and the busy thread's work beside the flushes as a
share of its work alone.
"""

import argparse
import random
import resource
import sys
import threading
import time
from pathlib import Path

from sqlalchemy import select
from sqlmodel import Session

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.articles.views import create_view_counter  # noqa: E402
from app.core.clock import utc_now  # noqa: E402
from app.core.config import Settings  # noqa: E402
from app.core.db import create_db_engine  # noqa: E402
from app.models import Article  # noqa: E402
from bench.content import load  # noqa: E402
from bench.mixed_load import database, read_dataset  # noqa: E402

BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
SECONDS = 6
ROUNDS = 3


def busy(seconds: float) -> int:
    """Python that never lets the GIL go (as a loaded event loop): how much it did."""
    done, end = 0, time.perf_counter() + seconds
    while time.perf_counter() < end:
        for _ in range(200):
            done += 1
    return done


def switches() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_nvcsw


def rounds(settings: Settings, views: int) -> None:
    engine = create_db_engine(settings)
    with Session(engine) as session:
        ids = [row.id for row in session.execute(select(Article.id)).all()]
    counter = create_view_counter(settings)
    reader = 0

    def flushing(stop: threading.Event, walls: list[float]) -> None:
        nonlocal reader
        while not stop.is_set():
            now = utc_now()
            for _ in range(views):
                reader += 1
                address = f"10.{reader >> 16 & 255}.{reader >> 8 & 255}.{reader & 255}"
                counter.viewed(random.choice(ids), address, BROWSER, now)
            started = time.perf_counter()
            counter.flush(engine)
            walls.append(time.perf_counter() - started)
            stop.wait(1.0)

    try:
        for _round in range(ROUNDS):
            alone = busy(SECONDS)
            stop, walls = threading.Event(), []
            thread = threading.Thread(target=flushing, args=(stop, walls))
            before = switches()
            thread.start()
            beside = busy(SECONDS)
            stop.set()
            thread.join()
            walls_ms = ", ".join(f"{wall * 1000:.0f}" for wall in sorted(walls))
            print(
                f"flush of {views} views: {walls_ms} ms; {switches() - before:,} voluntary"
                f" context switches in {SECONDS} s; the busy thread did"
                f" {beside / alone:.2f} × its work alone",
                flush=True,
            )
    finally:
        counter.close()
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", help="an admin URL; the bench makes its own database")
    parser.add_argument("--redis", help="a Redis URL (counts in Redis), with --postgres")
    parser.add_argument("--views", type=int, default=500)
    args = parser.parse_args()
    articles, tickers = read_dataset()
    setups = [("SQLite", None, None)]
    if args.postgres:
        setups.append(
            ("PostgreSQL + Redis" if args.redis else "PostgreSQL", args.postgres, args.redis)
        )
    for name, postgres, redis_url in setups:
        print(name, flush=True)
        with database(postgres) as url:
            settings = Settings(database_url=url, redis_url=redis_url)
            if redis_url:
                settings = settings.model_copy(
                    update={"redis_prefix": f"akhbar-views-flush-{time.time_ns()}:"}
                )
            load(settings, articles, tickers=tickers)
            rounds(settings, args.views)


if __name__ == "__main__":
    main()
