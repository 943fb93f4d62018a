"""View beacons under load: the reads of bench/mixed_load.py on 2 workers, alone and while
readers send 1,000 view beacons a second (`POST /v1/articles/{id}/views`), on SQLite and
on PostgreSQL + Redis.

    .venv/bin/python bench/views_bench.py [--postgres URL --redis URL] [--rate 1000]
        [--seconds 10] [--out bench/VIEWS.md]

Each beacon comes from a reader of its own (an address in `X-Forwarded-For`, the server
trusting the loopback proxy; a browser's user agent), so every one is a first view and is
recorded: the bench checks that the views counted equal the beacons answered 204. The
beacons are sent by a second wrk (bench/wrk_beacons.lua) on 128 keep-alive connections,
each waiting 128 ms after an answer before its next beacon: about 1,000 a second. (An
asyncio sender in Python, the first version, cost 100-130 µs of CPU a beacon, itself a
tenth of the 2 cores the reads share; wrk costs a fraction of that.) Each round also
measures the reads beside a control: the same sender asking for a cached answer at the
same rate, what any thousand requests a second cost the reads on these 2 cores.

The reads' ratios move by several points from run to run with the same load. So the
bench also measures what a beacon costs the whole machine, beyond what a control request
costs, with the sender alone (COST_PAIRS): a steadier number, and the one the beacons'
own work changes.
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from statistics import median
from urllib.parse import quote

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
from bench.mixed_load import (  # noqa: E402
    BENCH_WORK,
    READS,
    Result,
    database,
    log_count,
    read_dataset,
    wrk,
)
from tests.server import server_process  # noqa: E402

WRK_BEACONS = ROOT / "bench" / "wrk_beacons.lua"
CONNECTIONS = 128
ROUNDS = 4  # with 2, the control alone moved the reads -15 % to +22 % from run to run
# Before the rows: rounds of beacons for every article, each from a new wrk whose
# connections the workers accept anew (a first round's often all land on one worker).
BEACONS_WARMUP = 3
WARMUP_ROUNDS = 4


# Pairs of runs of the sender alone (beacons, then the control), no reads beside them:
# what each request costs the whole machine (/proc/stat), the beacons' work and their
# answers' alike, with nothing else's noise in it.
COST_PAIRS = 6


@dataclass
class Sent:
    sent: int = 0
    answers: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    cpu: float = 0.0  # the sender's (wrk's) CPU seconds


class Beacons:
    """wrk sending view beacons (bench/wrk_beacons.lua) for ``seconds``, from readers
    numbered from ``first_reader``, in the background."""

    def __init__(
        self,
        wrk_bin: str,
        base: str,
        ids: Path,
        rate: float,
        first_reader: int,
        seconds: float,
        control: str | None = None,
    ) -> None:
        delay_ms = round(CONNECTIONS * 1000 / rate)
        command = [wrk_bin, "-t1", f"-c{CONNECTIONS}", f"-d{seconds}s", "-s", str(WRK_BEACONS)]
        arguments = [str(ids), str(delay_ms), str(first_reader), *([control] if control else [])]
        self.process = subprocess.Popen(
            [*command, base, "--", *arguments],
            stdout=subprocess.PIPE,
            text=True,
        )

    def result(self) -> Sent:
        """What was sent and answered, once wrk has ended, with the CPU wrk used."""
        assert self.process.stdout is not None
        out = self.process.stdout.read()
        _, status, usage = os.wait4(self.process.pid, 0)
        self.process.returncode = os.waitstatus_to_exitcode(status)
        line = next(line for line in out.splitlines() if line.startswith("BEACONS "))
        found = dict(re.findall(r"(\w+)=([\d.]+)", line))
        refused = int(found["refused"])
        answers = Counter({"2xx": int(found["sent"]) - refused, "refused": refused})
        return Sent(
            int(found["sent"]), answers, float(found["seconds"]), usage.ru_utime + usage.ru_stime
        )


def machine_busy() -> float:
    """The CPU seconds the machine has been busy: every core, kernel threads too."""
    with open("/proc/stat") as stat:
        fields = [int(field) for field in stat.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return (sum(fields) - idle) / os.sysconf("SC_CLK_TCK")


@dataclass
class Cost:
    """Machine CPU µs a request, in each pair of runs: beacons, the control."""

    beacons: list[float] = field(default_factory=list)
    control: list[float] = field(default_factory=list)
    sender: list[float] = field(default_factory=list)  # wrk's own, a beacon

    def extra(self) -> list[float]:
        """A beacon's cost beyond a control request's, pair by pair, least first."""
        return sorted(b - c for b, c in zip(self.beacons, self.control, strict=True))


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
    control: Result
    sent: Sent
    recorded: int
    failed_flushes: int  # the workers' flushes that failed (in the log): held for the next


def _failed_flushes(log: Path) -> int:
    return log_count(log, b"views not recorded")


def runs(
    args: argparse.Namespace, wrk_bin: str, articles: list[dict], tickers: list[str]
) -> tuple[dict, Cost]:
    results: dict[str, Run] = {}
    with database(args.postgres) as url:
        settings = Settings(database_url=url)
        load(settings, articles, tickers=tickers)
        engine = create_db_engine(settings)
        with Session(engine) as session:
            rows = session.execute(select(Article.id, Article.slug)).all()
        engine.dispose()
        ids_file = Path(tempfile.mkstemp(suffix=".txt")[1])
        ids_file.write_text("".join(f"{row.id}\n" for row in rows))
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

        def sender(control: str | None = None, seconds: float = args.seconds + 2) -> Beacons:
            nonlocal first_reader
            first_reader += 2_000_000  # a million for each of wrk's threads, and more
            return Beacons(wrk_bin, base, ids_file, args.rate, first_reader, seconds, control)

        def measured(paths: list[str]) -> Result:
            return wrk(wrk_bin, base, paths, seconds=args.seconds, connections=args.connections)

        # The servers' log is kept: a flush that fails says so (its views wait for the next).
        log = BENCH_WORK / f"views-{'postgresql' if args.postgres else 'sqlite'}.log"
        BENCH_WORK.mkdir(parents=True, exist_ok=True)
        with server_process(url, workers=2, env=env, log_path=log) as (base, _process):
            # Every article's beacons once answered by the route, in both workers: then
            # known there, as a running site's read articles are (app.articles.beacons).
            for _round in range(WARMUP_ROUNDS):
                first_reader += 2_000_000
                warm = Beacons(wrk_bin, base, ids_file, args.rate * 6, first_reader, BEACONS_WARMUP)
                warm.result()
            time.sleep(FLUSH_SECONDS * 3)  # their views recorded before the first row counts
            for read, paths in reads.items():
                wrk(wrk_bin, base, paths, seconds=args.warmup, connections=args.connections)
                quiet, loaded, control = [], [], []
                before, failed_before = counted(served), _failed_flushes(log)
                sent = Sent()
                for _round in range(ROUNDS):  # alternated: the machine's drift hits all
                    quiet.append(measured(paths))
                    beacons = sender()
                    time.sleep(1)  # the beacons at their pace before the measured reads
                    loaded.append(measured(paths))
                    beaconed = beacons.result()
                    sent.sent += beaconed.sent
                    sent.answers += beaconed.answers
                    sent.seconds += beaconed.seconds
                    sent.cpu += beaconed.cpu
                    gets = sender(control=reads[READS[0]][0])
                    time.sleep(1)
                    control.append(measured(paths))
                    gets.result()
                time.sleep(FLUSH_SECONDS * 3)  # what the workers still hold is recorded
                run = Run(
                    _mean(quiet),
                    _mean(loaded),
                    _mean(control),
                    sent,
                    counted(served) - before,
                    _failed_flushes(log) - failed_before,
                )
                results[read] = run
                print(
                    f"{read:45s} {run.quiet.rps:9,.0f} → {run.loaded.rps:9,.0f} req/s"
                    f" ({run.loaded.rps / run.quiet.rps:.2f} ×; control"
                    f" {run.control.rps / run.quiet.rps:.2f} ×), p99 {run.quiet.p99:.1f} →"
                    f" {run.loaded.p99:.1f} ms; beacons {sent.sent / sent.seconds:,.0f}/s,"
                    f" {dict(sent.answers)}, recorded {run.recorded:,},"
                    f" sender CPU {sent.cpu / sent.sent * 1e6:.0f} µs a beacon",
                    flush=True,
                )
            cost = Cost()
            for _pair in range(COST_PAIRS):
                for control, costs in ((None, cost.beacons), (reads[READS[0]][0], cost.control)):
                    before = machine_busy()
                    sent_alone = sender(control=control, seconds=args.seconds).result()
                    time.sleep(FLUSH_SECONDS * 3)  # the views it sent recorded
                    costs.append((machine_busy() - before) / sent_alone.sent * 1e6)
                    if control is None:
                        cost.sender.append(sent_alone.cpu / sent_alone.sent * 1e6)
            extra = cost.extra()
            print(
                f"machine CPU a beacon {median(cost.beacons):.0f} µs, a control request"
                f" {median(cost.control):.0f} µs; a beacon's more: {extra!r}",
                flush=True,
            )
    return results, cost


def report(
    args: argparse.Namespace,
    started: datetime,
    all_runs: dict[str, dict],
    costs: dict[str, Cost],
) -> str:
    lines = [
        "# View beacons under load",
        "",
        f"Run {started:%Y-%m-%d %H:%M} UTC on this machine (2 cores shared by wrk, the beacon",
        "sender, the servers and the databases; compare within this run only). Akhbar: 2",
        f"workers, access log off. wrk -t2 -c{args.connections}, {args.warmup} s warm-up, then",
        f"{ROUNDS} rounds of {args.seconds} s without beacons, {args.seconds} s with them and"
        f" {args.seconds} s",
        "with the control (req/s: the mean; p99: the worst); beacons at"
        f" {args.rate:,.0f}/s on {CONNECTIONS}",
        "connections, each from a reader of its own (so each is recorded). The sender runs on",
        "the same 2 cores: its CPU per beacon is in the last column. The control is the same",
        "sender at the same rate asking for the cached hot list instead: what a load that costs",
        "the server no more than a cache hit takes from the reads on this machine. Before the",
        f"rows, beacons for every article in {WARMUP_ROUNDS} rounds of {BEACONS_WARMUP} s, each on"
        " new connections",
        "(a first round's are often all accepted by one worker): each article's first beacons in",
        "a worker go through the route; then it is known there, as on a running site. The",
        "servers' logs",
        f'are kept ({BENCH_WORK}/views-*.log): a flush that fails logs it (the "flushes failed"',
        "column) and holds its views for the next.",
        "",
        "Command: `.venv/bin/python bench/views_bench.py"
        + (f" --postgres {args.postgres}" if args.postgres else "")
        + (f" --redis {args.redis}" if args.redis else "")
        + "`",
        "",
        "| database | reads | req/s alone | req/s with beacons | ratio | with the control |"
        " ratio | p99 ms alone → with beacons | beacons/s sent | answers | views recorded |"
        " flushes failed | sender CPU µs/beacon |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: |",
    ]
    for name, results in all_runs.items():
        for read, run in results.items():
            sent = run.sent
            answers = ", ".join(f"{n:,} × {status}" for status, n in sorted(sent.answers.items()))
            lines.append(
                f"| {name} | {read} | {run.quiet.rps:,.0f} | {run.loaded.rps:,.0f} | "
                f"{run.loaded.rps / run.quiet.rps:.2f} × | {run.control.rps:,.0f} | "
                f"{run.control.rps / run.quiet.rps:.2f} × | {run.quiet.p99:.1f} → "
                f"{run.loaded.p99:.1f} | {sent.sent / sent.seconds:,.0f} | {answers} | "
                f"{run.recorded:,} | {run.failed_flushes} | {sent.cpu / sent.sent * 1e6:.0f} |"
            )
    lines += [
        "",
        "## What a beacon costs the machine",
        "",
        f"After the rows, with no reads: {COST_PAIRS} pairs of runs of {args.seconds} s of the"
        " sender alone,",
        "beacons then the control, each measured as the CPU time the whole machine was busy",
        "(/proc/stat: the servers, the sender, the databases, the kernel) until the views sent",
        "were recorded, divided by the requests answered. A beacon's answer and a control's",
        "cost the same (the same sender, an answer from memory): the difference is the",
        "beacon's own work, the view held, recorded and deduplicated. Medians of the pairs,",
        "and each pair's difference.",
        "",
        "| database | µs a beacon | µs a control request | a beacon's more, median |"
        " each pair's, least first | of a beacon, the sender's own |",
        "| --- | ---: | ---: | ---: | --- | ---: |",
    ]
    for name, cost in costs.items():
        extra = cost.extra()
        lines.append(
            f"| {name} | {median(cost.beacons):.0f} | {median(cost.control):.0f} |"
            f" {median(extra):.0f} | {', '.join(f'{e:.0f}' for e in extra)} |"
            f" {median(cost.sender):.0f} |"
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
    all_runs, costs = {}, {}
    all_runs["SQLite"], costs["SQLite"] = runs(on_sqlite, wrk_bin, articles, tickers)
    if args.postgres:
        name = "PostgreSQL + Redis" if args.redis else "PostgreSQL"
        all_runs[name], costs[name] = runs(args, wrk_bin, articles, tickers)
    args.out.write_text(report(args, started, all_runs, costs))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
