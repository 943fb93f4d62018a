"""Search at scale: generate N Arabic articles, index them, time queries over HTTP.

    .venv/bin/python bench/search_speed.py [--articles 100000] [--queries 200]

Prints the index build time, the database size and the p50/p95/max latency of varied
queries sent to a real `akhbar serve` (one worker, SQLite, loopback). The words come from
the demo content, recombined; queries mix one to three words, clitics, harakat, digits in
both scripts, and phrases.
"""

import argparse
import json
import os
import random
import re
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx2 as httpx
from sqlalchemy import insert
from sqlmodel import Session

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.config import Settings  # noqa: E402
from app.db import create_db_engine  # noqa: E402
from app.models import Article, ArticleStatus  # noqa: E402
from app.ops.migrations import upgrade_to_head  # noqa: E402
from app.search.index import rebuild_index  # noqa: E402
from tests.server import running_server  # noqa: E402

CLITICS = ["", "", "", "ال", "و", "وال", "بال", "لل", "ف", "ب"]


def vocabulary() -> list[str]:
    content = json.loads((ROOT / "app/demo/content.json").read_text(encoding="utf-8"))
    text = " ".join(
        a["title"] + " " + re.sub("<[^>]+>", " ", a["body"]) for a in content["articles"]
    )
    words = {w for w in re.findall(r"[\u0621-\u064a\u064b-\u0652]+", text) if len(w) > 2}
    return sorted(words)


def generate(session: Session, count: int, words: list[str], rng: random.Random) -> None:
    now = datetime.now(UTC)
    batch = []
    for n in range(count):
        title = " ".join(rng.choice(CLITICS) + rng.choice(words) for _ in range(rng.randint(5, 10)))
        body = " ".join(rng.choice(words) for _ in range(rng.randint(80, 200)))
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
                "word_count": len(body.split()),
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


def queries(words: list[str], count: int, rng: random.Random) -> list[str]:
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--seed", type=int, default=29)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    words = vocabulary()

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.db"
        settings = Settings(database_url=f"sqlite:///{path}")
        upgrade_to_head(settings)
        engine = create_db_engine(settings)
        started = time.perf_counter()
        with Session(engine) as session:
            generate(session, args.articles, words, rng)
        generated = time.perf_counter() - started
        started = time.perf_counter()
        with Session(engine) as session:
            rebuild_index(session, batch=2000)
        indexed = time.perf_counter() - started
        engine.dispose()
        size = sum(p.stat().st_size for p in Path(folder).iterdir())

        latencies = []
        hits = []
        with (
            running_server(settings.database_url) as base_url,
            httpx.Client(base_url=base_url) as client,
        ):
            for q in queries(words[:400], 20, rng):  # warm the page cache
                client.get("/v1/search", params={"q": q})
            for q in queries(words, args.queries, rng):
                t0 = time.perf_counter()
                response = client.get("/v1/search", params={"q": q, "limit": 10})
                latencies.append((time.perf_counter() - t0) * 1000)
                assert response.status_code == 200, (q, response.text)
                hits.append(len(response.json()["data"]))

    latencies.sort()
    p50 = statistics.median(latencies)
    p95 = latencies[int(len(latencies) * 0.95) - 1]
    print(f"articles            {args.articles}")
    print(f"vocabulary          {len(words)} words")
    print(f"generate + insert   {generated:.1f} s")
    print(f"index build         {indexed:.1f} s ({args.articles / indexed:.0f} articles/s)")
    print(f"database size       {size / 2**20:.0f} MiB (articles and index)")
    print(
        f"queries             {len(latencies)} over HTTP, limit=10, "
        f"{sum(1 for h in hits if h)} with hits"
    )
    print(f"latency p50         {p50:.1f} ms")
    print(f"latency p95         {p95:.1f} ms")
    print(f"latency max         {latencies[-1]:.1f} ms")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
