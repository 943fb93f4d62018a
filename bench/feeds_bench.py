"""Feeds and sitemaps at scale: 100,000 articles, over HTTP, on SQLite and PostgreSQL.

    .venv/bin/python bench/feeds_bench.py [--articles 100000]
        [--postgres postgresql://postgres@127.0.0.1:5432/test] [--out bench/FEEDS.md]

Loads N published articles two minutes apart (about 21,600 a month, so each month's
sitemap is split into pages of 10,000 URLs), each with a category and an external
featured picture, into a new SQLite file, and into a new PostgreSQL database when
--postgres is given (dropped afterwards). Then, against `akhbar serve` (1 worker, loopback)
with AKHBAR_SITE_URL set:

- the sitemap index, and the largest page of a month's sitemap (10,000 URLs): the time of
  each (median of 5, whole answer read), its size, and the worker's peak memory (VmHWM)
  before and after reading every page of the busiest month;
- reads of the RSS feed per second (wrk -t2 -c32, 10 s, after a 3 s warm-up), with the
  response cache (a hit) and without it (AKHBAR_RESPONSE_CACHE_SECONDS=0: every read
  selects the 50 newest articles with their bodies and renders the XML).

Writes the Markdown table to --out (bench/FEEDS.md).
"""

import argparse
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx2 as httpx
import psycopg
from sqlalchemy import insert
from sqlalchemy.engine import make_url
from sqlmodel import Session

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.core.config import Settings  # noqa: E402
from app.core.db import create_db_engine  # noqa: E402
from app.models import Article, ArticleStatus, Category  # noqa: E402
from app.ops.migrations import upgrade_to_head  # noqa: E402
from app.text.arabic import search_key  # noqa: E402
from app.text.slugs import slugify  # noqa: E402
from bench.http_bench import BIN, Server, ensure_wrk, wrk  # noqa: E402
from tests.server import clean_environment  # noqa: E402

CATEGORIES = ["سياسة", "اقتصاد", "ثقافة", "رياضة", "علوم", "صحة", "منوعات", "العالم"]
WORDS = ["المدينة", "السوق", "البنك", "المعرض", "الوزير", "الحكومة", "الفريق", "الموسم"]
WORDS += ["الجامعة", "الطلاب"]
SITE = "https://akhbar.example"
# The newest article a minute ago: the news sitemap has its 48 hours' worth.
NEWEST = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=1)


def fill(url: str, count: int) -> None:
    settings = Settings(database_url=url)
    upgrade_to_head(settings)
    engine = create_db_engine(settings)
    now = datetime.now(UTC)
    with Session(engine) as session:
        categories = []
        for name in CATEGORIES:
            slug = slugify(name)
            row = {"name": name, "slug": slug, "slug_key": search_key(slug), "created_at": now}
            result = session.execute(
                insert(Category).values({**row, "updated_at": now}).returning(Category.id)
            )
            categories.append(result.scalar_one())
        batch = []
        for n in range(count):
            title = f"{WORDS[n % 10]} {WORDS[(n // 10) % 10]} {WORDS[(n // 100) % 10]} {n}"
            published = NEWEST - timedelta(minutes=2 * n)
            body = f"<p>{title} " + " ".join(WORDS) * 8 + "</p>"
            batch.append(
                {
                    "slug": slugify(title),
                    "slug_key": search_key(slugify(title)),
                    "title": title,
                    "excerpt": title,
                    "body": body,
                    "body_text": body[3:-4],
                    "lang": "ar",
                    "status": ArticleStatus.published,
                    "published_at": published,
                    "is_exclusive": False,
                    "is_breaking": False,
                    "category_id": categories[n % len(categories)],
                    "featured_image_url": f"https://cdn.akhbar.example/2026/{n}.jpg",
                    "comments_enabled": True,
                    "version": 1,
                    "word_count": 90,
                    "reading_time_minutes": 1,
                    "comment_count": 0,
                    "created_at": published,
                    "updated_at": published,
                }
            )
            if len(batch) == 5000:
                session.execute(insert(Article), batch)
                session.commit()
                batch = []
        if batch:
            session.execute(insert(Article), batch)
            session.commit()
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("ANALYZE")
    engine.dispose()


@contextmanager
def databases(postgres: str | None) -> Iterator[list[tuple[str, str]]]:
    """(label, URL) of a new SQLite file, and of a new PostgreSQL database if asked."""
    with tempfile.TemporaryDirectory() as folder:
        found = [("SQLite", f"sqlite:///{Path(folder) / 'feeds.db'}")]
        if postgres is None:
            yield found
            return
        admin = make_url(postgres)
        conninfo = admin.set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(conninfo, autocommit=True) as connection:
            connection.execute('DROP DATABASE IF EXISTS "akhbar_feeds_bench" WITH (FORCE)')
            connection.execute('CREATE DATABASE "akhbar_feeds_bench"')
        try:
            url = admin.set(database="akhbar_feeds_bench").render_as_string(hide_password=False)
            yield [*found, ("PostgreSQL", url)]
        finally:
            with psycopg.connect(conninfo, autocommit=True) as connection:
                connection.execute('DROP DATABASE IF EXISTS "akhbar_feeds_bench" WITH (FORCE)')


def peak_mib(server: Server) -> float:
    """The worker's peak resident memory so far (VmHWM)."""
    pid = server.process.pid
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    status = Path(f"/proc/{int(children[0]) if children else pid}/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+)", status)[1]) / 1024  # type: ignore[index]


def timed(url: str, times: int = 5) -> tuple[float, float, int]:
    """Seconds to read the whole answer the first time (made) and the median of ``times``
    (the response cache may answer the later ones), and its size."""
    seconds, size = [], 0
    for _ in range(times):
        started = time.perf_counter()
        with httpx.stream("GET", url, timeout=120) as response:
            assert response.status_code == 200, response.status_code
            size = sum(len(chunk) for chunk in response.iter_bytes())
        seconds.append(time.perf_counter() - started)
    return seconds[0], statistics.median(seconds), size


def measure(label: str, url: str, articles: int, wrk_bin: str, workdir: Path) -> list[str]:
    env = {"AKHBAR_DATABASE_URL": url, "AKHBAR_SITE_URL": SITE, "AKHBAR_ACCESS_LOG": "false"}
    command = [str(BIN / "akhbar"), "serve", "--port", "{port}", "--workers", "1"]
    rows = []
    server = Server(command, clean_environment(**env), workdir / "feeds.log")
    try:
        started_mib = peak_mib(server)
        index_first, index_seconds, index_bytes = timed(server.url + "/sitemaps/index.xml")
        index = httpx.get(server.url + "/sitemaps/index.xml").text
        pages = re.findall(r"/sitemaps/pages/(articles-[0-9-]+)\.xml", index)
        months = [page[: len("articles-2026-11")] for page in pages]
        busiest = max(months, key=months.count)
        month_pages = [page for page in pages if page.startswith(busiest)]
        before = peak_mib(server)
        _, biggest, biggest_bytes = timed(f"{server.url}/sitemaps/pages/{month_pages[0]}.xml")
        for page in month_pages:
            timed(f"{server.url}/sitemaps/pages/{page}.xml", times=1)
        after = peak_mib(server)
        news_first, news_seconds, news_bytes = timed(server.url + "/sitemaps/news.xml")
        wrk(wrk_bin, server.url + "/feeds/rss.xml", seconds=3, connections=32, headers={})
        hit = wrk(wrk_bin, server.url + "/feeds/rss.xml", seconds=10, connections=32, headers={})
        rows += [
            f"| {label} | sitemap index ({len(pages)} article pages, {index_bytes / 1024:.0f} KiB)"
            f" | made {index_first * 1000:.0f} ms, cached {index_seconds * 1000:.1f} ms | |",
            f"| {label} | a month's first page ({biggest_bytes // 1024} KiB, {len(month_pages)} "
            f"pages that month) | {biggest * 1000:.0f} ms (streamed, never cached) | "
            f"peak {before:.0f} → {after:.0f} MiB (started at {started_mib:.0f}) |",
            f"| {label} | news sitemap ({news_bytes // 1024} KiB) | made {news_first * 1000:.0f} ms"
            f", cached {news_seconds * 1000:.1f} ms | |",
            f"| {label} | RSS feed, cached | {hit['rps']:,.0f} req/s | "
            f"p99 {hit['p99_ms']:.1f} ms |",
        ]
    finally:
        server.stop()
    uncached = Server(
        command,
        clean_environment(**env, AKHBAR_RESPONSE_CACHE_SECONDS="0"),
        workdir / "feeds.log",
    )
    try:
        wrk(wrk_bin, uncached.url + "/feeds/rss.xml", seconds=3, connections=32, headers={})
        miss = wrk(wrk_bin, uncached.url + "/feeds/rss.xml", seconds=10, connections=32, headers={})
        rows.append(
            f"| {label} | RSS feed, cache off (50 articles with bodies) | "
            f"{miss['rps']:,.0f} req/s | p99 {miss['p99_ms']:.1f} ms |"
        )
    finally:
        uncached.stop()
    for row in rows:
        print(row, flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--postgres", help="an admin URL: a new database is made there")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "FEEDS.md")
    args = parser.parse_args()
    wrk_bin = ensure_wrk()
    rows: list[str] = []
    with tempfile.TemporaryDirectory() as workdir, databases(args.postgres) as found:
        for label, url in found:
            started = time.monotonic()
            fill(url, args.articles)
            print(f"{label}: loaded {args.articles} articles in {time.monotonic() - started:.0f} s")
            rows += measure(label, url, args.articles, wrk_bin, Path(workdir))
    args.out.write_text(
        "# Feeds and sitemaps at scale\n\n"
        f"`.venv/bin/python bench/feeds_bench.py` ({args.articles:,} articles two minutes "
        f"apart, so about 21,600 a month and pages of 10,000 URLs; `akhbar serve` with one "
        f"worker on loopback; wrk -t2 -c32, 10 s after 3 s; {datetime.now(UTC):%Y-%m-%d}).\n\n"
        "| database | answer | time or rate | memory, tail |\n| --- | --- | ---: | --- |\n"
        + "\n".join(rows)
        + "\n\nA page is written while it is read (`app.feeds.sitemaps.stream_page`): the "
        "worker's peak memory (VmHWM) before and after reading every page of the busiest month "
        "shows what streaming costs.\n",
        encoding="utf-8",
    )
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
