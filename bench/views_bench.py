"""View beacons under load: the reads of bench/mixed_load.py on 2 workers, alone and while
readers send 1,000 view beacons a second (`POST /v1/articles/{id}/views`), on SQLite and
on PostgreSQL + Redis.

    .venv/bin/python bench/views_bench.py [--postgres URL --redis URL] [--rate 1000]
        [--seconds 10] [--out bench/VIEWS.md]

Each beacon comes from a reader of its own (an address in `X-Forwarded-For`, the server
trusting the loopback proxy; a browser's user agent), so every one is a first view and is
recorded: the bench checks that the views counted equal the beacons answered 204. The
beacons are sent open-loop at a steady rate, on keep-alive connections, by an asyncio
sender in this process (which otherwise only waits for wrk).
"""

import argparse
import asyncio
import random
import resource
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote, urlsplit

from sqlalchemy import select
from sqlmodel import Session

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.articles.views import FLUSH_SECONDS, create_view_counter  # noqa: E402
from app.core.clock import utc_now  # noqa: E402
from app.core.config import Settings  # noqa: E402
from app.core.db import create_db_engine  # noqa: E402
from app.models import Article  # noqa: E402
from bench.content import load  # noqa: E402
from bench.http_bench import ensure_wrk  # noqa: E402
from bench.mixed_load import READS, Result, database, read_dataset, wrk  # noqa: E402
from tests.server import server_process  # noqa: E402

BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
CONNECTIONS = 128
ROUNDS = 2


@dataclass
class Sent:
    sent: int = 0
    answers: Counter[int] = field(default_factory=Counter)
    seconds: float = 0.0
    cpu: float = 0.0  # the sender's (this process's) CPU seconds


class Beacons(threading.Thread):
    """Sends view beacons at ``rate`` a second until stopped, each from a new reader."""

    def __init__(self, base: str, ids: list[int], rate: float, first_reader: int) -> None:
        super().__init__(daemon=True)
        url = urlsplit(base)
        self.host, self.port = url.hostname or "127.0.0.1", url.port or 80
        self.ids, self.rate = ids, rate
        self.reader = first_reader
        self.stopping = threading.Event()
        self.result = Sent()

    def run(self) -> None:
        asyncio.run(self._send_all())

    async def _send_all(self) -> None:
        started = time.monotonic()
        await asyncio.gather(*(self._connection(started, n) for n in range(CONNECTIONS)))
        self.result.seconds = time.monotonic() - started

    async def _connection(self, started: float, number: int) -> None:
        reader, writer = await asyncio.open_connection(self.host, self.port)
        rng = random.Random(number)
        interval = CONNECTIONS / self.rate
        n = 0
        while not self.stopping.is_set():
            due = started + (n + number / CONNECTIONS) * interval
            n += 1
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            self.reader += 1
            address = f"10.{self.reader >> 16 & 255}.{self.reader >> 8 & 255}.{self.reader & 255}"
            writer.write(
                f"POST /v1/articles/{rng.choice(self.ids)}/views HTTP/1.1\r\n"
                f"Host: {self.host}\r\nUser-Agent: {BROWSER}\r\n"
                f"X-Forwarded-For: {address}\r\nContent-Length: 0\r\n\r\n".encode()
            )
            self.result.sent += 1
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            if length:
                await reader.readexactly(length)
            self.result.answers[status] += 1
        writer.close()


def counted(settings: Settings) -> int:
    """The views counted this hour and the one before (the bench's, and earlier runs')."""
    counter = create_view_counter(settings)
    engine = create_db_engine(settings)
    try:
        with Session(engine) as session:
            return sum(views for _, views in counter.top(session, "1h", utc_now(), 10**7))
    finally:
        counter.close()
        engine.dispose()


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _mean(results: list[Result]) -> Result:
    count = len(results)
    return Result(
        sum(r.rps for r in results) / count,
        sum(r.p50 for r in results) / count,
        max(r.p99 for r in results),
        sum(r.failed for r in results),
    )


@dataclass
class Run:
    quiet: Result
    loaded: Result
    sent: Sent
    recorded: int


def runs(args: argparse.Namespace, wrk_bin: str, articles: list[dict], tickers: list[str]) -> dict:
    results: dict[str, Run] = {}
    with database(args.postgres) as url:
        settings = Settings(database_url=url)
        load(settings, articles, tickers=tickers)
        engine = create_db_engine(settings)
        with Session(engine) as session:
            rows = session.execute(select(Article.id, Article.slug)).all()
        engine.dispose()
        ids = [row.id for row in rows]
        reads = {
            READS[0]: ["/v1/articles?limit=20"],
            READS[1]: [f"/v1/articles/{quote(row.slug)}" for row in rows],
            READS[2]: [f"/v1/articles/{row.id}/comments" for row in rows],
        }
        env = {"AKHBAR_ACCESS_LOG": "false", "AKHBAR_TRUSTED_PROXIES": "127.0.0.1/32"}
        served = settings
        if args.redis:
            prefix = f"akhbar-views-bench-{time.time_ns()}:"
            env |= {"AKHBAR_REDIS_URL": args.redis, "AKHBAR_REDIS_PREFIX": prefix}
            served = settings.model_copy(update={"redis_url": args.redis, "redis_prefix": prefix})
        first_reader = 0
        with server_process(url, workers=2, env=env) as (base, _process):
            for read, paths in reads.items():
                wrk(wrk_bin, base, paths, seconds=args.warmup, connections=args.connections)
                quiet, loaded = [], []
                before = counted(served)
                sent = Sent()
                for _round in range(ROUNDS):  # alternated: the machine's drift hits both
                    quiet.append(
                        wrk(
                            wrk_bin, base, paths, seconds=args.seconds, connections=args.connections
                        )
                    )
                    beacons = Beacons(base, ids, args.rate, first_reader)
                    cpu = _own_cpu()
                    beacons.start()
                    time.sleep(1)  # the beacons at their pace before the measured reads
                    loaded.append(
                        wrk(
                            wrk_bin, base, paths, seconds=args.seconds, connections=args.connections
                        )
                    )
                    beacons.stopping.set()
                    beacons.join()
                    first_reader = beacons.reader
                    sent.sent += beacons.result.sent
                    sent.answers += beacons.result.answers
                    sent.seconds += beacons.result.seconds
                    sent.cpu += _own_cpu() - cpu
                time.sleep(FLUSH_SECONDS * 3)  # what the workers still hold is recorded
                run = Run(_mean(quiet), _mean(loaded), sent, counted(served) - before)
                results[read] = run
                print(
                    f"{read:45s} {run.quiet.rps:9,.0f} → {run.loaded.rps:9,.0f} req/s"
                    f" ({run.loaded.rps / run.quiet.rps:.2f} ×), p99 {run.quiet.p99:.1f} →"
                    f" {run.loaded.p99:.1f} ms; beacons {sent.sent / sent.seconds:,.0f}/s,"
                    f" {dict(sent.answers)}, recorded {run.recorded:,},"
                    f" sender CPU {sent.cpu / sent.sent * 1e6:.0f} µs a beacon",
                    flush=True,
                )
    return results


def report(args: argparse.Namespace, started: datetime, all_runs: dict[str, dict]) -> str:
    lines = [
        "# View beacons under load",
        "",
        f"Run {started:%Y-%m-%d %H:%M} UTC on this machine (2 cores shared by wrk, the beacon",
        "sender, the servers and the databases; compare within this run only). Akhbar: 2",
        f"workers, access log off. wrk -t2 -c{args.connections}, {args.warmup} s warm-up, then",
        f"{ROUNDS} rounds of {args.seconds} s without beacons and {args.seconds} s with them"
        " (req/s: the mean;",
        f"p99: the worst); beacons at {args.rate:,.0f}/s on {CONNECTIONS} connections, each from a",
        "reader of its own (so each is recorded). The sender runs on the same 2 cores: its",
        "CPU per beacon is in the last column.",
        "",
        "Command: `.venv/bin/python bench/views_bench.py"
        + (f" --postgres {args.postgres}" if args.postgres else "")
        + (f" --redis {args.redis}" if args.redis else "")
        + "`",
        "",
        "| database | reads | req/s alone | req/s with beacons | ratio | p99 ms alone → with |"
        " beacons/s sent | answers | views recorded | sender CPU µs/beacon |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: |",
    ]
    for name, results in all_runs.items():
        for read, run in results.items():
            sent = run.sent
            answers = ", ".join(f"{n:,} × {status}" for status, n in sorted(sent.answers.items()))
            lines.append(
                f"| {name} | {read} | {run.quiet.rps:,.0f} | {run.loaded.rps:,.0f} | "
                f"{run.loaded.rps / run.quiet.rps:.2f} × | {run.quiet.p99:.1f} → "
                f"{run.loaded.p99:.1f} | {sent.sent / sent.seconds:,.0f} | {answers} | "
                f"{run.recorded:,} | {sent.cpu / sent.sent * 1e6:.0f} |"
            )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", help="an admin URL; the bench makes its own database")
    parser.add_argument("--redis", help="a Redis URL (counts and limits), with --postgres")
    parser.add_argument("--rate", type=float, default=1000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "VIEWS.md")
    args = parser.parse_args()
    wrk_bin = ensure_wrk()
    articles, tickers = read_dataset()
    started = datetime.now(UTC)
    on_sqlite = argparse.Namespace(**{**vars(args), "postgres": None, "redis": None})
    all_runs = {"SQLite": runs(on_sqlite, wrk_bin, articles, tickers)}
    if args.postgres:
        name = "PostgreSQL + Redis" if args.redis else "PostgreSQL"
        all_runs[name] = runs(args, wrk_bin, articles, tickers)
    args.out.write_text(report(args, started, all_runs))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
