"""An import stopped in the middle of a run, then run again: each post comes over with
its import record and its comments in one transaction, so the second run finds every
post the first finished, and makes no duplicate (``slug-2``) and leaves no orphan (an
article or comment no record names). Stopped two ways: killed (SIGKILL) at whatever
moment it reached, and failing exactly between a post's article and its record (a
trigger in the database refuses that record)."""

import os
import signal
import subprocess
import time
from pathlib import Path

from sqlalchemy import Engine, text
from sqlmodel import Session, col, func, select

from app.core.config import Settings
from app.models import Article, Comment, ImportRecord
from tests.server import AKHBAR, akhbar, clean_environment

POSTS = 400
COMMENTS_PER_POST = 2


def export(path: Path) -> Path:
    """A WXR export of POSTS published posts, each with its comments."""
    items = []
    for n in range(1, POSTS + 1):
        comments = "".join(
            f"""<wp:comment><wp:comment_id>{n * 10 + c}</wp:comment_id>
<wp:comment_author><![CDATA[قارئ {c}]]></wp:comment_author>
<wp:comment_date_gmt><![CDATA[2025-03-04 12:0{c}:00]]></wp:comment_date_gmt>
<wp:comment_content><![CDATA[تعليق رقم {c} على الخبر {n}]]></wp:comment_content>
<wp:comment_approved><![CDATA[1]]></wp:comment_approved>
<wp:comment_type><![CDATA[comment]]></wp:comment_type>
<wp:comment_parent>0</wp:comment_parent></wp:comment>"""
            for c in range(COMMENTS_PER_POST)
        )
        items.append(
            f"""<item><title>خبر الأرشيف رقم {n}</title>
<content:encoded><![CDATA[<p>نص الخبر رقم {n} من أرشيف الموقع القديم.</p>]]></content:encoded>
<wp:post_id>{n}</wp:post_id>
<wp:post_date_gmt><![CDATA[2025-03-04 09:30:00]]></wp:post_date_gmt>
<wp:comment_status><![CDATA[open]]></wp:comment_status>
<wp:post_name><![CDATA[archive-{n}]]></wp:post_name>
<wp:status><![CDATA[publish]]></wp:status>
<wp:post_type><![CDATA[post]]></wp:post_type>
{comments}</item>"""
        )
    path.write_text(
        f"""<?xml version="1.0" encoding="UTF-8" ?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
 xmlns:wp="http://wordpress.org/export/1.2/"><channel>
<title>أرشيف</title><link>https://archive.akhbar-test.example</link>
<wp:wxr_version>1.2</wp:wxr_version>
<wp:base_site_url>https://archive.akhbar-test.example</wp:base_site_url>
{"".join(items)}</channel></rss>""",
        encoding="utf-8",
    )
    return path


def count(session: Session, model: type, *where: object) -> int:
    session.expire_all()
    return int(session.exec(select(func.count()).select_from(model).where(*where)).one())  # type: ignore[arg-type]


def test_a_run_killed_between_posts_then_run_again_leaves_no_duplicate_and_no_orphan(
    settings: Settings, session: Session, tmp_path: Path
) -> None:
    site = export(tmp_path / "archive.xml")
    env = clean_environment(AKHBAR_DATABASE_URL=settings.database_url)
    process = subprocess.Popen(
        [AKHBAR, "import", "wordpress", str(site)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while count(session, Article) < POSTS // 4 and time.monotonic() < deadline:
            assert process.poll() is None, "the import ended before it could be killed"
            time.sleep(0.05)
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait(10)
    killed_at = count(session, Article)
    assert POSTS // 4 <= killed_at < POSTS  # else the kill proved nothing

    akhbar("import", "wordpress", str(site), database_url=settings.database_url)

    assert_whole_and_once(session)


def test_a_run_that_fails_between_an_article_and_its_record_leaves_nothing_of_that_post(
    settings: Settings, engine: Engine, session: Session, tmp_path: Path
) -> None:
    site = export(tmp_path / "archive.xml")
    refuse = POSTS // 2
    with engine.begin() as connection:
        for statement in REFUSE_RECORD[engine.dialect.name]:
            connection.execute(text(statement.format(remote_id=refuse)))

    failed = akhbar(
        "import", "wordpress", str(site), database_url=settings.database_url, check=False
    )

    assert failed.returncode != 0
    assert "refused by the test" in failed.stderr
    assert count(session, Article) == refuse - 1
    with engine.begin() as connection:
        connection.execute(text("DROP TRIGGER refuse_record" + DROP_ON[engine.dialect.name]))

    akhbar("import", "wordpress", str(site), database_url=settings.database_url)

    assert_whole_and_once(session)


# A trigger that refuses the import record of one post: the run fails after that post's
# article was written, before its record is.
REFUSE_RECORD = {
    "sqlite": [
        "CREATE TRIGGER refuse_record BEFORE INSERT ON import_record"
        " WHEN NEW.kind = 'post' AND NEW.remote_id = {remote_id}"
        " BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
    ],
    "postgresql": [
        "CREATE FUNCTION refuse_record() RETURNS trigger LANGUAGE plpgsql AS $$"
        " BEGIN IF NEW.kind = 'post' AND NEW.remote_id = {remote_id} THEN"
        " RAISE EXCEPTION 'refused by the test'; END IF; RETURN NEW; END $$",
        "CREATE TRIGGER refuse_record BEFORE INSERT ON import_record"
        " FOR EACH ROW EXECUTE FUNCTION refuse_record()",
    ],
}
DROP_ON = {"sqlite": "", "postgresql": " ON import_record; DROP FUNCTION refuse_record()"}


def assert_whole_and_once(session: Session) -> None:
    """Every post once, under its own slug, with its record and its comments."""
    session.expire_all()
    slugs = session.exec(select(Article.slug).order_by(col(Article.slug))).all()
    assert sorted(slugs) == sorted(f"archive-{n}" for n in range(1, POSTS + 1))
    recorded_posts = select(ImportRecord.local_id).where(ImportRecord.kind == "post")
    recorded_comments = select(ImportRecord.local_id).where(ImportRecord.kind == "comment")
    assert count(session, ImportRecord, col(ImportRecord.kind) == "post") == POSTS
    assert count(session, Article, col(Article.id).not_in(recorded_posts)) == 0
    assert count(session, Comment) == POSTS * COMMENTS_PER_POST
    assert count(session, Comment, col(Comment.id).not_in(recorded_comments)) == 0
    assert count(session, Article, col(Article.comment_count) != COMMENTS_PER_POST) == 0
