"""Related articles at the peer dataset's size (2,000 articles of ~600 words, tags and
categories): what a cache miss of `GET /v1/articles/{ref}/related` costs, in process, on
SQLite and on PostgreSQL.

    .venv/bin/python bench/related_speed.py [--postgres URL] [--articles 300]

Times `related_articles` (the automatic matches: the article's telling words looked up in
the search index, its tags and category) for that many articles picked at random, once
each, after one call to warm the connection: p50, p95 and the worst, in milliseconds.
"""

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

from sqlalchemy import select
from sqlmodel import Session

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.core.config import Settings  # noqa: E402
from app.core.db import create_db_engine  # noqa: E402
from app.models import Article  # noqa: E402
from app.search.related import related_articles  # noqa: E402
from bench.content import load  # noqa: E402
from bench.mixed_load import database, read_dataset  # noqa: E402


def timed(url: str, articles: list[dict], tickers: list[str], count: int) -> list[float]:
    settings = Settings(database_url=url)
    load(settings, articles, tickers=tickers)
    engine = create_db_engine(settings)
    try:
        with Session(engine) as session:
            ids = list(session.execute(select(Article.id)).scalars())
            picked = random.Random(2026).sample(ids, min(count, len(ids)))
            related_articles(session, picked[0], limit=5, timeout_ms=60_000)
            took = []
            for article_id in picked:
                started = time.perf_counter()
                related_articles(session, article_id, limit=5, timeout_ms=60_000)
                took.append((time.perf_counter() - started) * 1000)
                session.rollback()
            return took
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", help="an admin URL; the bench makes its own database")
    parser.add_argument("--articles", type=int, default=300)
    args = parser.parse_args()
    articles, tickers = read_dataset()
    for name, admin in (("SQLite", None), ("PostgreSQL", args.postgres)):
        if name == "PostgreSQL" and admin is None:
            continue
        with database(admin) as url:
            took = sorted(timed(url, articles, tickers, args.articles))
        p95 = took[int(len(took) * 0.95) - 1]
        print(
            f"{name}: {len(took)} articles, related (5) p50 {statistics.median(took):.1f} ms,"
            f" p95 {p95:.1f} ms, worst {took[-1]:.1f} ms"
        )


if __name__ == "__main__":
    main()
