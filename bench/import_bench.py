"""WordPress import: how fast, and in how much memory, as the export grows.

    .venv/bin/python bench/import_bench.py [--posts 2000 8000] [--comments 5]

For each size, writes a WXR 1.2 export of that many Arabic posts (bench/content.py's
generator: ~600 words of HTML, a category, tags, an author, comments, with a caption
shortcode in each body), imports it with `akhbar import wordpress` into a fresh SQLite
database, then imports it again (nothing changed). Reports seconds, posts/s and the peak
resident memory of the import process. Writes bench/IMPORT.md.
"""

import argparse
import contextlib
import platform
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.core.config import Settings  # noqa: E402
from app.ops.migrations import upgrade_to_head  # noqa: E402
from bench.content import generate  # noqa: E402
from tests.server import AKHBAR, clean_environment  # noqa: E402

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/"
 xmlns:content="http://purl.org/rss/1.0/modules/content/"
 xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/">
<channel><wp:wxr_version>1.2</wp:wxr_version>
<wp:base_site_url>https://bench.example</wp:base_site_url>
"""


def cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def write_export(path: Path, posts: int, comments: int) -> None:
    authors: dict[str, int] = {}
    with path.open("w", encoding="utf-8") as out:
        out.write(HEAD)
        records = list(generate(posts, comments=comments))
        for record in records:
            authors.setdefault(record["author"], len(authors) + 1)
        for name, number in authors.items():
            out.write(
                f"<wp:author><wp:author_id>{number}</wp:author_id><wp:author_login>"
                f"user{number}</wp:author_login><wp:author_display_name>{cdata(name)}"
                "</wp:author_display_name></wp:author>\n"
            )
        comment_id = 0
        for number, record in enumerate(records, start=1):
            category = record["category"]
            category_name = category["name"] if isinstance(category, dict) else category
            moment = record["published_at"][:19].replace("T", " ")
            body = (
                f'[caption width="600"]<img src="https://bench.example/{number}.jpg" alt="">'
                f" صورة الخبر {number}[/caption]\n\n{record['body']}"
            )
            out.write(
                f"<item><title>{escape(record['title'])}</title>"
                f"<dc:creator>user{authors[record['author']]}</dc:creator>"
                f"<content:encoded>{cdata(body)}</content:encoded>"
                f"<excerpt:encoded>{cdata(record['excerpt'])}</excerpt:encoded>"
                f"<wp:post_id>{number}</wp:post_id>"
                f"<wp:post_date_gmt>{moment}</wp:post_date_gmt>"
                f"<wp:post_modified_gmt>{moment}</wp:post_modified_gmt>"
                f"<wp:post_name>{quote(record['slug'], safe='-').lower()[:200]}</wp:post_name>"
                "<wp:status>publish</wp:status><wp:post_type>post</wp:post_type>"
                f'<category domain="category" nicename="{quote(category_name)}">'
                f"{cdata(category_name)}</category>"
            )
            for tag in record["tags"]:
                out.write(
                    f'<category domain="post_tag" nicename="{quote(tag)}">{cdata(tag)}</category>'
                )
            for comment in record["comments"]:
                comment_id += 1
                out.write(
                    f"<wp:comment><wp:comment_id>{comment_id}</wp:comment_id>"
                    f"<wp:comment_author>{cdata(comment['author_name'])}</wp:comment_author>"
                    f"<wp:comment_author_email>{comment['author_email']}</wp:comment_author_email>"
                    f"<wp:comment_date_gmt>{comment['date'][:19].replace('T', ' ')}"
                    "</wp:comment_date_gmt>"
                    f"<wp:comment_content>{cdata(comment['content'])}</wp:comment_content>"
                    "<wp:comment_approved>1</wp:comment_approved>"
                    "<wp:comment_parent>0</wp:comment_parent></wp:comment>"
                )
            out.write("</item>\n")
        out.write("</channel></rss>\n")


def timed_import(path: Path, database_url: str) -> tuple[float, int, str]:
    """Seconds, peak RSS in KiB of the import process, and its report.

    The peak is the process's own ``VmHWM``, read until it exits: the ``ru_maxrss`` that
    ``wait4`` gives would include this bench's own size (Linux carries the parent's
    high-water mark into a child across fork and exec)."""
    env = clean_environment(AKHBAR_DATABASE_URL=database_url)
    started = time.monotonic()
    process = subprocess.Popen(
        [AKHBAR, "import", "wordpress", str(path)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    peak = 0

    def watch() -> None:
        nonlocal peak
        status = Path(f"/proc/{process.pid}/status")
        while process.poll() is None:
            with contextlib.suppress(OSError):
                for line in status.read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        peak = max(peak, int(line.split()[1]))
            time.sleep(0.05)

    watcher = threading.Thread(target=watch)
    watcher.start()
    assert process.stdout is not None
    report = process.stdout.read().decode()
    process.wait()
    elapsed = time.monotonic() - started
    watcher.join()
    if process.returncode != 0:
        raise SystemExit(f"import failed ({process.returncode}):\n{report}")
    return elapsed, peak, report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, nargs="+", default=[2000, 8000])
    parser.add_argument("--comments", type=int, default=5)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as directory:
        for posts in args.posts:
            export = Path(directory) / f"export-{posts}.xml"
            write_export(export, posts, args.comments)
            database_url = f"sqlite:///{directory}/import-{posts}.db"
            upgrade_to_head(Settings(database_url=database_url))
            first, first_rss, report = timed_import(export, database_url)
            again, again_rss, _ = timed_import(export, database_url)
            rows.append((posts, export.stat().st_size, first, first_rss, again, again_rss))
            print(rows[-1], report, sep="\n", flush=True)
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# WordPress import",
        "",
        f"`.venv/bin/python bench/import_bench.py --posts {' '.join(map(str, args.posts))} "
        f"--comments {args.comments}`, {when}, {platform.node()} (2 cores), SQLite.",
        "Each post: ~600 words of Arabic HTML with a caption shortcode, a category, tags, an",
        f"author and {args.comments} approved comments. First run: everything new (articles",
        "through the editor API's service: sanitising, slugs, search index, revision",
        "bookkeeping, webhook outbox). Second run: the same file, nothing changed.",
        "",
        "| posts | export MB | first run s | posts/s | peak RSS MiB | second run s "
        "| posts/s | peak RSS MiB |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for posts, size, first, first_rss, again, again_rss in rows:
        cells = [
            f"{posts:,}",
            f"{size / 1e6:.1f}",
            f"{first:.1f}",
            f"{posts / first:.0f}",
            f"{first_rss / 1024:.0f}",
            f"{again:.1f}",
            f"{posts / again:.0f}",
            f"{again_rss / 1024:.0f}",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    lines += [
        "",
        "The export is read twice, one item at a time (a first pass counts the posts and",
        "keeps the attachments' URLs); reading alone stays under 3 MB for a 37 MB export",
        "(tests/importer/test_convert.py), and the Python heap of a whole import stays flat",
        "(tracemalloc: 2.5 MB traced after 300 posts and after 1,200). Peak RSS is the import",
        "process's own high-water mark (`VmHWM`). Earlier runs of this bench took it from",
        "`wait4`'s `ru_maxrss`, which on Linux carries over the bench's own size (it holds",
        "the generated posts) and made the peak seem to grow with the export.",
        "",
    ]
    (ROOT / "bench" / "IMPORT.md").write_text("\n".join(lines))


if __name__ == "__main__":
    main()
