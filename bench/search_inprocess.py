"""Search in process on the peer dataset (2,000 articles of ~600 words): 300 queries of
one or two title words, after 20 to warm up; p50, p90 and the mean, in milliseconds.

    .venv/bin/python bench/search_inprocess.py [POSTGRES_ADMIN_URL]

What a search costs the worker that answers it, without HTTP: compare commits with it.
"""

import random
import statistics
import sys
import time
from pathlib import Path

from sqlmodel import Session

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.core.config import Settings  # noqa: E402
from app.core.db import create_db_engine  # noqa: E402
from app.search.schemas import SearchQuery  # noqa: E402
from app.search.service import search  # noqa: E402
from bench.content import load  # noqa: E402
from bench.mixed_load import database, read_dataset  # noqa: E402


def main() -> None:
    articles, tickers = read_dataset()
    rng = random.Random(7)
    words = [w for a in articles[:400] for w in a["title"].split() if len(w) > 3]
    queries = [" ".join(rng.sample(words, rng.choice([1, 1, 2]))) for _ in range(300)]
    admin = sys.argv[1] if len(sys.argv) > 1 else None
    with database(admin) as url:
        settings = Settings(database_url=url)
        load(settings, articles, tickers=tickers)
        engine = create_db_engine(settings)
        with Session(engine) as session:
            took = []
            for number, q in enumerate(queries[:20] + queries):
                started = time.perf_counter()
                search(session, query=SearchQuery(q=q, limit=20), timeout_ms=5000)
                if number >= 20:
                    took.append((time.perf_counter() - started) * 1000)
                session.rollback()
        engine.dispose()
    took.sort()
    print(
        f"{'PostgreSQL' if admin else 'SQLite'}: p50 {statistics.median(took):.2f} ms,"
        f" p90 {took[int(len(took) * 0.9)]:.2f}, mean {statistics.mean(took):.2f}"
    )


if __name__ == "__main__":
    main()
