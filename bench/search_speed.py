"""Search at scale: generate N Arabic articles, index them, time queries over HTTP.

    .venv/bin/python bench/search_speed.py [--articles 100000] [--queries 200]
    .venv/bin/python bench/search_speed.py --postgres postgresql://postgres@127.0.0.1/test \\
        --redis redis://127.0.0.1:6379/0

Against a real `akhbar serve` (2 workers, loopback) on SQLite, or on a new PostgreSQL
database (dropped afterwards) with Redis for the rate limits:

1. ordinary: varied queries one after another (one to three words, clitics, harakat,
   digits in both scripts, phrases): p50/p95/max;
2. adversarial: 16 clients, each its own address (through a trusted proxy's
   X-Forwarded-For), send queries built to cost (a dozen long words that match nothing,
   three unknown words for the close-spelling fallback, the commonest words alone and
   a dozen at once, common phrases, a common word with filters that leave nothing, a
   deep page), as fast as they are answered, with the search rate limit as shipped and
   with it lifted; meanwhile one more client reads /healthz and the article list.
   Prints p50/p99/max per answer status, and the workers' memory.

The words come from the demo content, recombined.
"""

import argparse
import json
import os
import random
import re
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx2 as httpx
import psycopg
from sqlalchemy import insert, make_url, text
from sqlmodel import Session

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.core.config import Settings  # noqa: E402
from app.core.db import create_db_engine  # noqa: E402
from app.core.pagination import encode_cursor  # noqa: E402
from app.models import Article, ArticleStatus  # noqa: E402
from app.ops.migrations import upgrade_to_head  # noqa: E402
from app.search.index import rebuild_index  # noqa: E402
from tests.server import server_process  # noqa: E402

CLITICS = ["", "", "", "ال", "و", "وال", "بال", "لل", "ف", "ب"]
LETTERS = "ابتثجحخدذرزسشصضطظعغفقكلمنهوي"
BENCH_DATABASE = "akhbar_bench_search"
NO_CACHE = {"AKHBAR_RESPONSE_CACHE_SECONDS": "0"}
STEADY_AFTER_SECONDS = 10


def vocabulary() -> list[str]:
    content = json.loads((ROOT / "app/demo/content.json").read_text(encoding="utf-8"))
    text = " ".join(
        a["title"] + " " + re.sub("<[^>]+>", " ", a["body"]) for a in content["articles"]
    )
    words = {w for w in re.findall(r"[\u0621-\u064a\u064b-\u0652]+", text) if len(w) > 2}
    return sorted(words)


def generate(session: Session, count: int, words: list[str], rng: random.Random) -> Counter:
    """Insert the articles; how often each word occurs in them (for the adversary)."""
    now = datetime.now(UTC)
    # Zipf-like: a few words are in nearly every article, as in real text.
    weights = [1 / (rank + 1) for rank in range(len(words))]
    frequency: Counter = Counter()
    batch = []
    for n in range(count):
        title = " ".join(rng.choice(CLITICS) + rng.choice(words) for _ in range(rng.randint(5, 10)))
        body_words = rng.choices(words, weights, k=rng.randint(80, 200))
        frequency.update(set(body_words))
        body = " ".join(body_words)
        if n % 7 == 0:
            body += f" يوم {rng.randint(1, 30)} ديسمبر"
        batch.append(
            {
                "slug": f"bench-{n}",
                "title": title,
                "excerpt": body[:150],
                "body": f"<p>{body}</p>",
                "body_text": body,
                "lang": "ar",
                "status": ArticleStatus.published,
                "published_at": now - timedelta(minutes=n),
                "is_exclusive": n % 5 == 0,
                "is_breaking": False,
                "comments_enabled": True,
                "version": 1,
                "word_count": len(body_words),
                "reading_time_minutes": 1,
                "comment_count": 0,
                "created_at": now,
                "updated_at": now,
            }
        )
        if len(batch) == 5000:
            session.execute(insert(Article), batch)
            session.commit()
            batch = []
    if batch:
        session.execute(insert(Article), batch)
        session.commit()
    return frequency


def ordinary_queries(words: list[str], count: int, rng: random.Random) -> list[str]:
    arabic_digits = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
    out = []
    for n in range(count):
        kind = n % 5
        if kind == 0:
            out.append(rng.choice(CLITICS) + rng.choice(words))
        elif kind == 1:
            out.append(" ".join(rng.choice(words) for _ in range(2)))
        elif kind == 2:
            out.append('"' + " ".join(rng.choice(words) for _ in range(2)) + '"')
        elif kind == 3:
            out.append(f"{rng.randint(1, 30)} ديسمبر".translate(arabic_digits))
        else:
            out.append(" ".join(rng.choice(CLITICS) + rng.choice(words) for _ in range(3)))
    return out


def adversarial_queries(
    common: list[str], newest: datetime, rng: random.Random
) -> Iterator[tuple[str, dict]]:
    """(kind, query parameters), forever: each kind built to cost the most it can."""
    recent = (newest - timedelta(minutes=3)).isoformat()

    def nonsense(low: int, high: int) -> str:
        return "".join(rng.choice(LETTERS) for _ in range(rng.randint(low, high)))

    kinds: list[tuple[str, Callable[[], dict]]] = [
        ("12 long unknown words", lambda: {"q": " ".join(nonsense(13, 15) for _ in range(12))}),
        ("3 unknown words (fuzzy)", lambda: {"q": " ".join(nonsense(6, 12) for _ in range(3))}),
        ("commonest word", lambda: {"q": rng.choice(common[:3])}),
        ("12 common words", lambda: {"q": " ".join(rng.sample(common[:40], 12))}),
        ("common phrase", lambda: {"q": '"' + " ".join(rng.sample(common[:10], 4)) + '"'}),
        (
            "common word, filters leave 3",
            lambda: {"q": rng.choice(common[:5]), "published_after": recent},
        ),
        (
            "common word, page 50",
            lambda: {"q": rng.choice(common[:5]), "cursor": encode_cursor("search", [980])},
        ),
        (
            "common word + unknown word",
            lambda: {"q": f"{rng.choice(common[:5])} {nonsense(8, 12)}"},
        ),
    ]
    while True:
        kind, build = rng.choice(kinds)
        yield kind, {**build(), "limit": 20}


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


def summary(values: list[float]) -> str:
    if not values:
        return "—"
    return (
        f"{len(values):6d} answers  p50 {statistics.median(values):7.1f}  "
        f"p99 {percentile(values, 0.99):7.1f}  max {max(values):7.1f} ms"
    )


def attack(
    base_url: str, common: list[str], *, clients: int, seconds: float, seed: int, pids: list[int]
) -> dict:
    """``clients`` adversaries and one honest reader for ``seconds``; what each saw."""
    by_status: dict[int, list[float]] = defaultdict(list)
    by_kind: dict[str, list[float]] = defaultdict(list)
    probes: dict[str, list[float]] = defaultdict(list)
    # After the first seconds: every client's burst spent, the pace holding.
    steady: dict[str, list[float]] = defaultdict(list)
    lock = threading.Lock()
    started = time.monotonic()
    deadline = started + seconds
    rss: list[float] = []

    latest = httpx.get(f"{base_url}/v1/articles", params={"limit": 1}).json()["data"][0]
    newest = datetime.fromisoformat(latest["published_at"])

    def adversary(n: int) -> None:
        rng = random.Random(seed * 1000 + n)
        headers = {"X-Forwarded-For": f"198.51.100.{n + 1}"}
        with httpx.Client(base_url=base_url, headers=headers, timeout=60) as client:
            for kind, params in adversarial_queries(common, newest, rng):
                if time.monotonic() > deadline:
                    return
                t0 = time.perf_counter()
                response = client.get("/v1/search", params=params)
                elapsed = (time.perf_counter() - t0) * 1000
                assert response.status_code in (200, 429, 503), (params, response.text)
                with lock:
                    by_status[response.status_code].append(elapsed)
                    if response.status_code == 200:
                        by_kind[kind].append(elapsed)
                    if time.monotonic() - started > STEADY_AFTER_SECONDS:
                        steady[f"search {response.status_code}"].append(elapsed)
                        if response.status_code == 200:
                            steady[f"  {kind}"].append(elapsed)

    def reader() -> None:
        with httpx.Client(base_url=base_url, timeout=60) as client:
            while time.monotonic() < deadline:
                for path in ("/healthz", "/v1/articles?limit=5"):
                    t0 = time.perf_counter()
                    assert client.get(path).status_code == 200
                    probes[path].append((time.perf_counter() - t0) * 1000)
                rss.append(sum(_rss_mib(pid) for pid in pids))
                time.sleep(0.05)

    threads = [threading.Thread(target=adversary, args=(n,)) for n in range(clients)]
    threads.append(threading.Thread(target=reader))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"status": by_status, "kind": by_kind, "probes": probes, "rss": rss, "steady": steady}


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(child) for child in text.split()]


def _rss_mib(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


@contextmanager
def database(postgres: str | None, *, articles: int, reuse: bool) -> Iterator[tuple[str, bool]]:
    """The database's URL, and whether it already holds the articles (``reuse``: kept
    under var/ or as its own PostgreSQL database for the next run)."""
    name = f"{BENCH_DATABASE}_{articles}"
    if postgres is None:
        if reuse:
            path = ROOT / "var" / f"{name}.db"
            path.parent.mkdir(exist_ok=True)
            yield f"sqlite:///{path}", path.exists()
            return
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{Path(folder) / 'bench.db'}", False
        return
    admin = make_url(postgres)
    conninfo = admin.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (name,)
        ).fetchone()
        if not (reuse and exists):
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield admin.set(database=name).render_as_string(hide_password=False), bool(reuse and exists)
    finally:
        if not reuse:
            with psycopg.connect(conninfo, autocommit=True) as connection:
                connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument(
        "--seconds", type=float, default=90, help="of the run as shipped (the limit is a minute's)"
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=29)
    parser.add_argument("--postgres", help="an admin URL; the bench makes its own database")
    parser.add_argument("--redis", help="a Redis URL, for the rate limits and the cache")
    parser.add_argument(
        "--reuse", action="store_true", help="keep the generated data for the next run (var/)"
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="AKHBAR_NAME=VALUE",
        help="a setting for the servers (repeat for several), e.g. AKHBAR_SEARCH_CONCURRENCY=1",
    )
    args = parser.parse_args()
    rng = random.Random(args.seed)
    words = vocabulary()

    with database(args.postgres, articles=args.articles, reuse=args.reuse) as (url, filled):
        print(f"database            {make_url(url).get_backend_name()}")
        print(f"articles            {args.articles}")
        frequencies = ROOT / "var" / f"{BENCH_DATABASE}_{args.articles}.json"
        if filled:
            upgrade_to_head(Settings(database_url=url))  # kept from an earlier revision
            frequency = Counter(json.loads(frequencies.read_text()))
        else:
            frequency = fill(url, args, words, rng)
            if args.reuse:
                frequencies.write_text(json.dumps(frequency))
        common = [word for word, _ in frequency.most_common(40)]
        print(f"vocabulary          {len(words)} words; the commonest in")
        print(f"                    {frequency[common[0]] / args.articles:.0%} of articles")

        env = {"AKHBAR_TRUSTED_PROXIES": "127.0.0.1", **dict(v.split("=", 1) for v in args.set)}
        if args.redis:
            env["AKHBAR_REDIS_URL"] = args.redis
        ordinary(url, words, env, args, rng)
        lifted = {"AKHBAR_SEARCH_RATE_LIMIT": "1000000/minute"}
        for label, clients, seconds, extra in (
            # What each kind costs, one request at a time, none from the response cache.
            ("one client, rate limit lifted, cache off", 1, 20, {**lifted, **NO_CACHE}),
            ("as shipped", args.clients, args.seconds, {}),
            ("rate limit lifted", args.clients, 20, lifted),
        ):
            # Each run its own Redis keys: a paced client's next turn is not carried over.
            extra = {**extra, "AKHBAR_REDIS_PREFIX": f"akhbar-bench-{time.time_ns()}:"}
            with server_process(url, workers=args.workers, env={**env, **extra}) as served:
                base_url, process = served
                pids = _children(process.pid) or [process.pid]
                time.sleep(1)
                idle = sum(_rss_mib(pid) for pid in pids)
                seen = attack(
                    base_url,
                    common,
                    clients=clients,
                    seconds=seconds,
                    seed=args.seed,
                    pids=pids,
                )
            print(f"\nadversarial, {clients} client(s), {seconds:.0f} s, {label}:")
            for status, latencies in sorted(seen["status"].items()):
                print(f"  search {status}          {summary(latencies)}")
            for kind, latencies in sorted(seen["kind"].items()):
                print(f"    {kind:28s}{summary(latencies)}")
            for name, latencies in sorted(seen["steady"].items()):
                print(f"  after {STEADY_AFTER_SECONDS} s, {name:29s}{summary(latencies)}")
            for path, latencies in seen["probes"].items():
                print(f"  meanwhile {path:20s}{summary(latencies)}")
            print(
                f"  workers' memory     idle {idle:.0f} MiB, under attack at most "
                f"{max(seen['rss'], default=0):.0f} MiB"
            )


def fill(url: str, args: argparse.Namespace, words: list[str], rng: random.Random) -> Counter:
    settings = Settings(database_url=url)
    upgrade_to_head(settings)
    engine = create_db_engine(settings)
    started = time.perf_counter()
    with Session(engine) as session:
        frequency = generate(session, args.articles, words, rng)
    generated = time.perf_counter() - started
    started = time.perf_counter()
    with Session(engine) as session:
        rebuild_index(session, batch=2000)
    indexed = time.perf_counter() - started
    if args.postgres:
        # What autovacuum does after a bulk load: the planner needs the statistics.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("ANALYZE"))
    engine.dispose()
    print(f"generate + insert   {generated:.1f} s")
    print(f"index build         {indexed:.1f} s ({args.articles / indexed:.0f} articles/s)")
    if args.postgres is None:
        size = Path(make_url(url).database or "").stat().st_size
        print(f"database size       {size / 2**20:.0f} MiB (articles and index)")
    return frequency


def ordinary(
    url: str, words: list[str], env: dict[str, str], args: argparse.Namespace, rng: random.Random
) -> None:
    latencies, hits = [], []
    lifted = {**env, "AKHBAR_SEARCH_RATE_LIMIT": "1000000/minute"}
    with (
        server_process(url, workers=args.workers, env=lifted) as (base_url, _),
        httpx.Client(base_url=base_url) as client,
    ):
        for q in ordinary_queries(words[:400], 20, rng):  # warm the page cache
            client.get("/v1/search", params={"q": q})
        for q in ordinary_queries(words, args.queries, rng):
            t0 = time.perf_counter()
            response = client.get("/v1/search", params={"q": q, "limit": 10})
            latencies.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200, (q, response.text)
            hits.append(len(response.json()["data"]))
    print(
        f"ordinary queries    {len(latencies)} one after another, limit=10, "
        f"{sum(1 for h in hits if h)} with hits"
    )
    print(f"  latency p50       {statistics.median(latencies):.1f} ms")
    print(f"  latency p95       {percentile(latencies, 0.95):.1f} ms")
    print(f"  latency max       {max(latencies):.1f} ms")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
