"""Search quality on the test collection: recall@10 and MRR, and each query's ranks.

    .venv/bin/python bench/search_quality.py [--database-url postgresql://...]

The collection (tests/search/collection.py) has 40 target documents, each carrying a
spelling its query does not share, among generated distractors; every query lists the
targets it must find.
"""

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.core.config import Settings
from app.ops.migrations import upgrade_to_head
from app.wiring import session_for
from tests.conftest import create_postgres_database
from tests.search.quality import (
    load_collection,
    mean_reciprocal_rank,
    recall_at_10,
    run_queries,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--postgres", action="store_true", help="use AKHBAR_TEST_POSTGRES_URL's server"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = (
            create_postgres_database("akhbar_bench_quality")
            if args.postgres
            else f"sqlite:///{Path(folder) / 'quality.db'}"
        )
        settings = Settings(database_url=url)
        upgrade_to_head(settings)
        # Opened as the app opens its sessions: creating an article announces it.
        with session_for(settings) as session:
            keys = load_collection(session)
            results = run_queries(session, keys)

    for result in results:
        ranks = [result.ranked.index(k) + 1 if k in result.ranked else "-" for k in result.expected]
        print(f"{result.query:<28} ranks {ranks}")
    print(f"documents   {len(keys)}")
    print(f"queries     {len(results)}")
    print(f"recall@10   {recall_at_10(results):.3f}")
    print(f"MRR         {mean_reciprocal_rank(results):.3f}")


if __name__ == "__main__":
    main()
