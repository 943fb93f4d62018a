"""Reads while the newsroom writes: Akhbar on SQLite and on PostgreSQL + Redis (2 workers),
beside Directus and WordPress, on the peer dataset (2,000 articles × 10 comments).

    .venv/bin/python bench/mixed_load.py [--postgres URL --redis URL] [--seconds 10]
        [--connections 32] [--out bench/RESULTS-mixed.md]

Reads, each with wrk (2 threads, 32 connections, a warm-up first): the hot list
(`/v1/articles?limit=20`), every article by slug in random order, every comment list in
random order (bench/wrk_paths.lua). Meanwhile a writer thread makes, at a steady rate:
nothing; 2 or 20 comment posts a second (pending, as moderation holds them; or approved
at once, `AKHBAR_COMMENTS_AUTO_APPROVE=true`); one article edit a second (a new title,
through the API with an editor's token). Directus and WordPress, when
../shared/bench-peers has them up (`bash up.sh wordpress directus`), get the same three
reads in the same run, without writes.
"""

import argparse
import os
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote, unquote

import httpx2 as httpx
import psycopg
from sqlalchemy import make_url, select
from sqlmodel import Session

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.auth.scopes import Scope  # noqa: E402
from app.core.config import Settings  # noqa: E402
from app.core.db import create_db_engine  # noqa: E402
from app.models import Article  # noqa: E402
from app.wiring import session_for  # noqa: E402
from bench.content import load  # noqa: E402
from bench.http_bench import ensure_wrk  # noqa: E402
from tests.factories import make_token  # noqa: E402
from tests.server import server_process  # noqa: E402

PEERS = ROOT.parent / "shared" / "bench-peers"
BENCH_WORK = Path(os.environ.get("BENCH_WORK", "/tmp/peer-bench"))
DATASET = BENCH_WORK / "dataset.jsonl"
WRK_PATHS = ROOT / "bench" / "wrk_paths.lua"
PROBE = ROOT / "bench" / "backend_probe.py"
UNAVAILABLE = b"database unavailable"
DATABASE = "akhbar_bench_mixed"
READS = ("hot list", "article by slug, every one, random order", "comment lists, random order")
WRITES = (
    ("no writes", None, 0.0),
    ("2 comment posts/s, pending", "comment", 2.0),
    ("20 comment posts/s, pending", "comment", 20.0),
    ("2 comment posts/s, approved", "comment", 2.0),
    ("20 comment posts/s, approved", "comment", 20.0),
    ("1 article edit/s", "edit", 1.0),
)


@dataclass
class Result:
    rps: float
    p50: float
    p99: float
    failed: int
    writes: str = ""
    backends: str = ""  # the slowest answers of PostgreSQL and Redis to bench/backend_probe.py


def read_dataset() -> tuple[list[dict], list[str]]:
    """The peer dataset's articles and ticker headlines (made first if missing)."""
    sys.path.insert(0, str(PEERS / "peers"))
    if not DATASET.exists():
        BENCH_WORK.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [sys.executable, str(PEERS / "make_dataset.py"), "--out", str(DATASET)], check=True
        )
    from peerlib import read_dataset as peer_dataset

    _meta, articles, tickers, _digest = peer_dataset(str(DATASET))
    return articles, [t["headline"] for t in tickers]


def wrk(wrk_bin: str, base: str, paths: list[str], *, seconds: int, connections: int) -> Result:
    with tempfile.NamedTemporaryFile("w", suffix=".txt") as listed:
        listed.write("\n".join(paths) + "\n")
        listed.flush()
        command = [wrk_bin, "-t2", f"-c{connections}", f"-d{seconds}s", "-s", str(WRK_PATHS)]
        out = subprocess.run(
            [*command, base, "--", listed.name],
            capture_output=True,
            text=True,
            timeout=seconds + 60,
        ).stdout
    line = next(line for line in out.splitlines() if line.startswith("RESULT "))
    found = {k: float(v) for k, v in re.findall(r"(\w+)=([\d.]+)", line)}
    return Result(
        found["rps"], found["p50_ms"], found["p99_ms"], int(found["non2xx3xx"] + found["errors"])
    )


class Writer(threading.Thread):
    """Writes at a steady rate until stopped; counts what was accepted."""

    def __init__(self, base: str, kind: str, rate: float, ids: list[int], token: str) -> None:
        super().__init__(daemon=True)
        self.base, self.kind, self.rate, self.ids = base, kind, rate, ids
        self.headers = {"Authorization": f"Bearer {token}"}
        self.stopping = threading.Event()
        self.done, self.failed = 0, 0
        self.refusals: Counter[str] = Counter()
        self.rng = random.Random()
        self.run_id = time.time_ns() % 1_000_000  # no post repeats one of an earlier run

    def run(self) -> None:
        with httpx.Client(base_url=self.base, timeout=10) as client:
            started = time.monotonic()
            n = 0
            while not self.stopping.is_set():
                n += 1
                try:
                    response = (
                        self.comment(client, n) if self.kind == "comment" else self.edit(client, n)
                    )
                    refusal = None if response.is_success else str(response.status_code)
                except httpx.HTTPError as error:
                    refusal = type(error).__name__
                self.done += refusal is None
                if refusal is not None:
                    self.failed += 1
                    self.refusals[refusal] += 1
                self.stopping.wait(max(0.0, started + n / self.rate - time.monotonic()))

    def comment(self, client: httpx.Client, n: int) -> httpx.Response:
        article_id = self.rng.choice(self.ids)
        return client.post(
            f"/v1/articles/{article_id}/comments",
            json={
                "author_name": "قارئ",
                "author_email": f"reader-{n}@example.org",
                "body": f"تعليق رقم {self.run_id}-{n} على الخبر، شكراً على المتابعة",
            },
        )

    def edit(self, client: httpx.Client, n: int) -> httpx.Response:
        path = f"/v1/articles/{self.rng.choice(self.ids)}"
        current = client.get(path, headers=self.headers)
        return client.patch(
            path,
            json={"title": f"{current.json()['title'].split(' — ')[0]} — تحديث {n}"},
            headers={**self.headers, "If-Match": current.headers["etag"]},
        )


@contextmanager
def database(postgres: str | None) -> Iterator[str]:
    if postgres is None:
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{Path(folder) / 'mixed.db'}"
        return
    admin = make_url(postgres)
    conninfo = admin.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{DATABASE}"')
    try:
        yield admin.set(database=DATABASE).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(conninfo, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')


def measure(
    args: argparse.Namespace, wrk_bin: str, base: str, paths: list[str], writers: list[Writer]
) -> Result:
    """A warm-up, then wrk's measured run while ``writers`` write."""
    wrk(wrk_bin, base, paths, seconds=args.warmup, connections=args.connections)
    probe = None
    if args.postgres and args.redis:
        backends = ["--postgres", args.postgres, "--redis", args.redis]
        probe = subprocess.Popen(
            [sys.executable, str(PROBE), *backends, "--seconds", str(args.seconds)],
            stdout=subprocess.PIPE,
            text=True,
        )
    for writer in writers:
        writer.start()
    result = wrk(wrk_bin, base, paths, seconds=args.seconds, connections=args.connections)
    for writer in writers:
        writer.stopping.set()
        writer.join()
    if probe is not None:
        out, _ = probe.communicate(timeout=60)
        found = dict(re.findall(r"(\w+)=(\d+)", out))
        result.backends = (
            f"{found['pg_max_ms']} / {found['redis_max_ms']}"
            f" ({int(found['pg_slow']) + int(found['redis_slow'])} over 50 ms)"
        )
    if writers:
        refusals = sum((w.refusals for w in writers), Counter[str]())
        refused = ", ".join(f"{n} × {why}" for why, n in refusals.items())
        done = sum(w.done for w in writers) / args.seconds
        result.writes = f"{done:.1f}/s done" + (f", refused {refused}" if refused else "")
    return result


def log_count(log: Path, line: bytes) -> int:
    """How many times a server's kept log says ``line`` (0 before it exists)."""
    return log.read_bytes().count(line) if log.exists() else 0


def akhbar_runs(
    args: argparse.Namespace, wrk_bin: str, articles: list[dict], tickers: list[str]
) -> tuple[dict[tuple[str, str], Result], dict[tuple[str, str], Result]]:
    """On one database: (reads, writes) → result once the server's caches hold what the
    reads ask for, and (reads, server) → result of a new server's first seconds."""
    results: dict[tuple[str, str], Result] = {}
    restarts: dict[tuple[str, str], Result] = {}
    with database(args.postgres) as url:
        settings = Settings(database_url=url)
        load(settings, articles, tickers=tickers)
        engine = create_db_engine(settings)
        with Session(engine) as session:
            rows = session.execute(select(Article.id, Article.slug)).all()
        engine.dispose()
        with session_for(settings) as session:
            token = make_token(session, Scope.admin)
        ids = [row.id for row in rows]
        reads = {
            READS[0]: ["/v1/articles?limit=20"],
            READS[1]: [f"/v1/articles/{quote(row.slug)}" for row in rows],
            READS[2]: [f"/v1/articles/{row.id}/comments" for row in rows],
        }
        env = {
            "AKHBAR_ACCESS_LOG": "false",
            "AKHBAR_COMMENTS_FLOOD_SECONDS": "0",
            "AKHBAR_COMMENTS_RATE_LIMIT": "1000000/minute",
        }
        if args.redis:
            env |= {"AKHBAR_REDIS_URL": args.redis, "AKHBAR_REDIS_PREFIX": "akhbar-mixed:"}
        for approved in (False, True):
            served_env = {**env, "AKHBAR_COMMENTS_AUTO_APPROVE": str(approved).lower()}
            held = "approved" if approved else "pending"
            server = f"comments {held}"
            # The server's log is kept, and the writes refused by it counted per row.
            log = BENCH_WORK / f"mixed-{'postgresql' if args.postgres else 'sqlite'}-{held}.log"
            with server_process(url, workers=2, env=served_env, log_path=log) as (base, _process):
                # A new server's caches are empty: its first seconds of each read are
                # measured on their own (a deploy, a crash), and fill them for the rows.
                for read, paths in reads.items():
                    restarts[(read, server)] = first = wrk(
                        wrk_bin, base, paths, seconds=args.seconds, connections=args.connections
                    )
                    print(
                        f"{read:45s} {'first seconds, ' + server:30s} {first.rps:9,.0f} req/s"
                        f"  p99 {first.p99:7.1f} ms",
                        flush=True,
                    )
                for label, kind, rate in WRITES:
                    if ("approved" in label) != approved:
                        continue
                    for read, paths in reads.items():
                        # A few writers share a high rate: one write may take longer than
                        # its share of a second while wrk loads the server.
                        count = max(1, round(rate / 5)) if kind else 0
                        writers = [
                            Writer(base, kind, rate / count, ids, token) for _ in range(count)
                        ]
                        unavailable = log_count(log, UNAVAILABLE)
                        result = measure(args, wrk_bin, base, paths, writers)
                        if more := log_count(log, UNAVAILABLE) - unavailable:
                            result.writes += f"; log: {more} × database unavailable"
                        results[(read, label)] = result
                        print(
                            f"{read:45s} {label:30s} {result.rps:9,.0f} req/s"
                            f"  p99 {result.p99:7.1f} ms  {result.writes}  {result.backends}",
                            flush=True,
                        )
    return results, restarts


def peer_runs(args: argparse.Namespace, wrk_bin: str, articles: list[dict]) -> dict:
    """The same reads of Directus and WordPress, when they are up."""
    peers = {
        "Directus": (
            f"http://127.0.0.1:{os.environ.get('DIRECTUS_PORT', 8055)}",
            "/items/articles?limit=20&sort=-published_at",
            "/items/articles?filter[slug][_eq]={slug}",
            "/items/comments?filter[article][_eq]={id}",
        ),
        "WordPress": (
            f"http://127.0.0.1:{os.environ.get('WP_PORT', 8081)}",
            "/wp-json/wp/v2/posts?per_page=20",
            "/wp-json/wp/v2/posts?slug={slug}",
            "/wp-json/wp/v2/comments?post={id}",
        ),
    }
    results = {}
    for name, (base, hot, by_slug, comments) in peers.items():
        try:
            up = httpx.get(base + hot, timeout=30).status_code == 200
        except httpx.TransportError:
            up = False
        if not up:
            print(f"{name} is not up on {base}: left out (bash up.sh in {PEERS})")
            continue
        slugs = _wordpress_slugs(base) if name == "WordPress" else [a["slug"] for a in articles]
        reads = {
            READS[0]: [hot],
            READS[1]: [by_slug.format(slug=quote(slug)) for slug in slugs],
            READS[2]: [comments.format(id=a["id"]) for a in articles],
        }
        for read, paths in reads.items():
            results[(name, read)] = measure(args, wrk_bin, base, paths, [])
            print(f"{name:10s} {read:45s} {results[(name, read)].rps:9,.0f} req/s", flush=True)
    return results


def _wordpress_slugs(base: str) -> list[str]:
    """The slugs WordPress stored (it shortens long Arabic ones), a hundred at a time."""
    slugs: list[str] = []
    page = 1
    while True:
        response = httpx.get(
            f"{base}/wp-json/wp/v2/posts",
            params={"per_page": 100, "page": page, "_fields": "slug"},
            timeout=60,
        )
        if response.status_code != 200 or not response.json():
            return slugs
        slugs += [unquote(post["slug"]) for post in response.json()]
        page += 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", help="an admin URL; the bench makes its own database")
    parser.add_argument("--redis", help="a Redis URL (rate limits), with --postgres")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "RESULTS-mixed.md")
    args = parser.parse_args()
    wrk_bin = ensure_wrk()
    articles, tickers = read_dataset()
    started = datetime.now(UTC)
    on_sqlite = argparse.Namespace(**{**vars(args), "postgres": None, "redis": None})
    runs, restarts = {}, {}
    runs["SQLite"], restarts["SQLite"] = akhbar_runs(on_sqlite, wrk_bin, articles, tickers)
    if args.postgres:
        name = "PostgreSQL + Redis" if args.redis else "PostgreSQL"
        runs[name], restarts[name] = akhbar_runs(args, wrk_bin, articles, tickers)
    peers = peer_runs(args, wrk_bin, articles)
    args.out.write_text(report(args, started, runs, restarts, peers))
    print(f"wrote {args.out}")


def report(
    args: argparse.Namespace, started: datetime, runs: dict, restarts: dict, peers: dict
) -> str:
    lines = [
        "# Reads under writes",
        "",
        f"Run {started:%Y-%m-%d %H:%M} UTC on this machine (2 cores shared by wrk, the servers and",
        "the databases; compare within this run only). Akhbar: 2 workers, access log off.",
        f"wrk -t2 -c{args.connections}, {args.warmup} s warm-up, {args.seconds} s measured.",
        "Each Akhbar server (one with comments held for moderation, one approving them) first",
        f"serves each kind of read for {args.seconds} s with its caches empty (the last table);",
        "the rows of the first table follow, with what those reads ask for in its caches.",
        "",
        "Command: `.venv/bin/python bench/mixed_load.py"
        + (f" --postgres {args.postgres}" if args.postgres else "")
        + (f" --redis {args.redis}" if args.redis else "")
        + "`",
        "",
        "The last column: the slowest answer PostgreSQL and Redis gave meanwhile to a probe",
        "outside the server (bench/backend_probe.py: `SELECT 1` and `PING` every 10 ms), and how",
        "many answers took over 50 ms: the machine's own stalls, which a read that needs the",
        "database waits out (runs with --postgres and --redis only).",
        "",
        "| database | reads | writes meanwhile | req/s | p50 ms | p99 ms | failed reads | writes |"
        " PostgreSQL / Redis slowest, ms |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    for database_name, results in runs.items():
        for (read, writes), r in results.items():
            lines.append(
                f"| {database_name} | {read} | {writes} | {r.rps:,.0f} | {r.p50:.2f} | "
                f"{r.p99:.2f} | {r.failed} | {r.writes} | {r.backends} |"
            )
    for (name, read), r in peers.items():
        lines.append(
            f"| {name} | {read} | no writes | {r.rps:,.0f} | {r.p50:.2f} | {r.p99:.2f} | "
            f"{r.failed} | | {r.backends} |"
        )
    lines += ["", "Under writes against the same run without (req/s):", ""]
    for database_name, results in runs.items():
        for read in READS:
            quiet = results[(read, WRITES[0][0])].rps
            ratios = ", ".join(
                f"{label} {results[(read, label)].rps / quiet:.2f} ×" for label, _, _ in WRITES[1:]
            )
            lines.append(f"- {database_name}, {read}: {ratios}")
    lines += [
        "",
        f"A new server's first {args.seconds} s of each read, its caches empty, no writes:",
        "",
        "| database | reads | server | req/s | p50 ms | p99 ms | failed reads |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for database_name, results in restarts.items():
        for (read, server), r in results.items():
            lines.append(
                f"| {database_name} | {read} | {server} | {r.rps:,.0f} | {r.p50:.2f} | "
                f"{r.p99:.2f} | {r.failed} |"
            )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
