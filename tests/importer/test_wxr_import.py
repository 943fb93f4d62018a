"""`akhbar import wordpress FILE.xml`: a WordPress export comes over whole, once.

The export (tests/importer/data/site.xml) holds every post status, a post whose slug
WordPress cut short, shortcodes and hostile HTML, a featured image, a sticky post, nested
comments in every state and a pingback."""

import contextlib
import json
import os
import pty
import re
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, func, select

from app.core.config import Settings
from app.models import (
    Article,
    ArticleRevision,
    Comment,
    CommentStatus,
    ImportRecord,
    WebhookEvent,
)
from tests.factories import bearer, make_token
from tests.server import AKHBAR, akhbar, clean_environment

SITE = Path(__file__).parent / "data" / "site.xml"
REPORT = """\
kind        imported  updated  unchanged  skipped  failed
categories         4        0          0        1       0
tags               2        0          0        0       0
authors            2        0          0        0       0
posts              6        0          0        2       0
comments           6        0          0        1       0
skipped categories: 1 WordPress's default category
skipped posts: 1 an empty auto-draft
skipped posts: 1 in WordPress's trash
skipped comments: 1 a pingback
"""
FAIR = "افتتاح-معرض-الكتاب-في-الرباط"
VISIT = (
    "وزير-الخارجية-يصل-إلى-العاصمة-في-زيارة-رسمية-تستمر-ثلاثة-أيام-لبحث-ملفات-التعاون"
    "-الاقتصادي-والأمني"
)
VISIT_AS_WORDPRESS_CUT_IT = "وزير-الخارجية-يصل-إلى-العاصمة-في-زيارة"
PRIVATE = [
    "leila.h",
    "leila@akhbar-test.example",
    "desk@akhbar-test.example",
    "samir@readers.example",
    "203.0.113.7",
    "198.51.100.2",
]


def run_import(settings: Settings, *args: str, check: bool = True) -> str:
    result = akhbar("import", "wordpress", *args, database_url=settings.database_url, check=False)
    if check:
        assert result.returncode == 0, result.stderr
    return result.stdout


def editor(session: Session) -> dict[str, str]:
    return bearer(make_token(session, name="محرر"))


def test_an_export_comes_over_with_everything_in_its_place(
    settings: Settings, client: TestClient, session: Session
) -> None:
    assert run_import(settings, str(SITE)) == REPORT
    token = editor(session)

    listed = client.get("/v1/articles").json()["data"]
    assert [a["slug"] for a in listed] == [VISIT, FAIR]
    visit, fair = listed
    assert fair["title"] == "افتتاح معرض الكتاب في الرباط"
    assert fair["published_at"] == "2025-03-04T09:30:00Z"
    assert (fair["created_at"], fair["updated_at"]) == (
        "2025-03-04T09:30:00Z",
        "2025-03-05T07:00:00Z",
    )
    assert fair["excerpt"] == "ناشرون من عشرين بلداً في الرباط."
    assert fair["category"]["name"] == "ثقافة"
    assert fair["category"]["slug"] == "ثقافة"
    assert [t["name"] for t in fair["tags"]] == ["كتب", "الرباط"]
    assert [a["name"] for a in fair["authors"]] == ["ليلى حدّاد"]
    assert fair["featured_image"] == {
        "url": "https://akhbar-test.example/wp-content/uploads/2025/03/book-fair.jpg",
        "alt": "أجنحة معرض الكتاب مزدحمة بالزوار",
        "caption": "زوار المعرض في يومه الأول",
        "credit": None,
        # An external picture: nothing of the media library's.
        "media_id": None,
        "width": None,
        "height": None,
        "renditions": None,
        "placeholder": None,
        "dominant_color": None,
    }
    assert (fair["is_breaking"], fair["comments_enabled"]) == (False, True)
    # Sticky, and in «عاجل»: breaking; its section is the other category.
    assert (visit["is_breaking"], visit["category"]["name"], visit["comments_enabled"]) == (
        True,
        "اقتصاد",
        False,
    )
    scheduled = client.get("/v1/articles?status=scheduled", headers=token).json()["data"]
    assert [(a["title"], a["published_at"]) for a in scheduled] == [
        ("مهرجان الموسيقى الأندلسية", "2030-06-01T19:00:00Z")
    ]
    drafts = client.get("/v1/articles?status=draft", headers=token).json()["data"]
    assert sorted(a["title"] for a in drafts) == [
        "تقرير بانتظار المراجعة",
        "مسودة عن الميزانية",
        "ملاحظات داخلية",
    ]

    # The slug WordPress cut short still finds the article.
    moved = client.get(f"/v1/articles/{quote(VISIT_AS_WORDPRESS_CUT_IT)}", follow_redirects=False)
    assert moved.status_code == 301
    assert moved.headers["location"] == f"/v1/articles/{quote(VISIT)}"

    body = client.get(f"/v1/articles/{visit['id']}").json()["body"]
    assert body == (
        "<p>وصل وزير الخارجية مساء أمس إلى العاصمة.<br>\nوكان في استقباله عدد من المسؤولين.</p>\n"
        '<figure><img src="https://akhbar-test.example/wp-content/uploads/2025/03/visit.jpg" '
        'alt="الوزير في المطار" width="640" height="427">'
        "<figcaption>الوزير لدى وصوله إلى المطار</figcaption></figure>\n"
        "<p>ثلاثة ملفات على الطاولة</p>\n"
        '<p>نص <a rel="noopener noreferrer">رابط</a> و</p>\n'
        "<p>[gallery] هو رمز قصير مكتوب حرفياً.</p>"
    )

    comments = client.get(f"/v1/articles/{fair['id']}/comments").json()["data"]
    assert [(c["author_name"], c["body"]) for c in comments] == [
        ("سمير", "متى يغلق المعرض أبوابه؟"),
        ("ليلى حدّاد", "يوم الأحد القادم."),
        ("سمير", "شكراً!"),
    ]
    assert [c["parent_id"] for c in comments] == [None, comments[0]["id"], comments[1]["id"]]
    assert comments[0]["created_at"] == "2025-03-04T11:00:00Z"
    assert fair["comment_count"] == 3
    held = {
        c["status"]: c["author_email"]
        for c in client.get(f"/v1/comments?article={fair['id']}", headers=token).json()["data"]
        if c["status"] != "approved"
    }
    assert held == {
        "pending": "reader@readers.example",
        "spam": "spam@spam.example",
        "trash": "old@readers.example",
    }

    public = [
        client.get(path).text
        for path in (
            "/v1/articles",
            f"/v1/articles/{fair['id']}",
            f"/v1/articles/{fair['id']}/comments",
            "/v1/authors",
        )
    ]
    for secret in PRIVATE:
        assert all(secret not in answer for answer in public), secret


def snapshot(session: Session) -> list[tuple]:
    session.expire_all()
    articles = session.exec(
        select(Article.id, Article.slug, Article.version, Article.updated_at).order_by(
            col(Article.id)
        )
    ).all()
    comments = session.exec(select(Comment.id, Comment.status, Comment.parent_id)).all()
    revisions = session.exec(select(func.count()).select_from(ArticleRevision)).one()
    return [*articles, *comments, revisions]


def test_running_it_again_changes_nothing(settings: Settings, session: Session) -> None:
    run_import(settings, str(SITE))
    before = snapshot(session)

    again = run_import(settings, str(SITE))

    assert again.splitlines()[1:6] == [
        "categories         0        0          4        1       0",
        "tags               0        0          2        0       0",
        "authors            0        0          2        0       0",
        "posts              0        0          6        2       0",
        "comments           0        0          6        1       0",
    ]
    assert snapshot(session) == before


def test_approved_comments_on_public_articles_are_announced_once(
    settings: Settings, session: Session
) -> None:
    """As a moderator's approval is: a webhook subscriber that mirrors comments gets the
    imported ones, each after its article, and a second run announces nothing again."""
    run_import(settings, str(SITE))
    now = datetime.now(UTC)
    public = {a.id: a for a in session.exec(select(Article)).all() if a.is_public_at(now)}
    approved = session.exec(
        select(Comment.id).where(
            Comment.status == CommentStatus.approved, col(Comment.article_id).in_(public)
        )
    ).all()

    events = [(row.type, json.loads(row.payload)["data"]) for row in webhook_events(session)]
    run_import(settings, str(SITE))

    announced = [data["comment"]["id"] for kind, data in events if kind == "comment.approved"]
    assert sorted(announced) == sorted(approved)
    assert len(announced) == 3
    published = [data["article"]["id"] for kind, data in events if kind == "article.published"]
    for kind, data in events:
        if kind == "comment.approved":
            assert data["article"]["id"] in published
    assert len(webhook_events(session)) == len(events)


def webhook_events(session: Session) -> list[WebhookEvent]:
    session.expire_all()
    return list(session.exec(select(WebhookEvent).order_by(col(WebhookEvent.id))).all())


def test_a_later_export_brings_only_what_is_new_or_changed(
    settings: Settings, client: TestClient, session: Session, tmp_path: Path
) -> None:
    run_import(settings, str(SITE))
    later = SITE.read_text()
    later = later.replace(
        "<title>افتتاح معرض الكتاب في الرباط</title>",
        "<title>افتتاح معرض الكتاب الدولي في الرباط</title>",
    )
    new_comment = """<wp:comment><wp:comment_id>107</wp:comment_id>
        <wp:comment_author>نادية</wp:comment_author>
        <wp:comment_author_email>nadia@readers.example</wp:comment_author_email>
        <wp:comment_date_gmt>2025-03-09 10:00:00</wp:comment_date_gmt>
        <wp:comment_content>هل الدخول مجاني؟</wp:comment_content>
        <wp:comment_approved>1</wp:comment_approved>
        <wp:comment_parent>0</wp:comment_parent></wp:comment>
    </item>"""
    later = later.replace("</wp:comment>\n\t</item>", "</wp:comment>\n" + new_comment, 1)
    new_post = """<item><title>أمطار غزيرة في الشمال</title>
        <dc:creator>desk</dc:creator>
        <content:encoded><![CDATA[هطلت أمطار غزيرة.]]></content:encoded>
        <wp:post_id>18</wp:post_id>
        <wp:post_date_gmt>2025-03-10 06:00:00</wp:post_date_gmt>
        <wp:post_name>rain-north</wp:post_name>
        <wp:status>publish</wp:status>
        <wp:post_type>post</wp:post_type>
        <category domain="post_tag" nicename="%d8%b7%d9%82%d8%b3"><![CDATA[طقس]]></category>
        </item>
    </channel>"""
    later = later.replace("</channel>", new_post)
    path = tmp_path / "later.xml"
    path.write_text(later)

    report = run_import(settings, str(path))

    assert report.splitlines()[2:6] == [
        # A tag the export did not list (as in a partial export) is made from the post's.
        "tags               1        0          2        0       0",
        "authors            0        0          2        0       0",
        "posts              1        1          5        2       0",
        "comments           1        0          6        1       0",
    ]
    fair = client.get(f"/v1/articles/{quote(FAIR)}").json()
    assert fair["title"] == "افتتاح معرض الكتاب الدولي في الرباط"
    assert (fair["version"], fair["comment_count"]) == (2, 4)
    rain = client.get("/v1/articles/rain-north").json()
    assert [(t["slug"], t["name"]) for t in rain["tags"]] == [("طقس", "طقس")]
    revisions = session.exec(select(ArticleRevision.article_id)).all()
    assert revisions == [fair["id"]]


def test_a_dry_run_reports_the_same_and_writes_nothing(
    settings: Settings, session: Session
) -> None:
    report = run_import(settings, str(SITE), "--dry-run")

    assert report == "dry run: nothing was written\n" + REPORT
    for model in (Article, Comment, ImportRecord):
        assert session.exec(select(func.count()).select_from(model)).one() == 0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            "<html><body>hello</body></html>",
            "not a WordPress export: the root element is not <rss>",
        ),
        ("<rss><channel><item>", "not well-formed XML: no element found: line 1, column 20"),
        ('<?xml version="1.0"?><rss version="2.0"></rss>', "not a WordPress export: no <channel>"),
    ],
)
def test_a_file_that_is_not_an_export_is_refused_with_the_reason(
    settings: Settings, session: Session, tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "export.xml"
    path.write_text(content)

    result = akhbar(
        "import", "wordpress", str(path), database_url=settings.database_url, check=False
    )

    assert (result.returncode, result.stderr) == (2, f"akhbar: {message}\n")
    assert session.exec(select(func.count()).select_from(Article)).one() == 0


def test_the_source_is_named_once(settings: Settings, tmp_path: Path) -> None:
    neither = akhbar("import", "wordpress", database_url=settings.database_url, check=False)
    copy = tmp_path / "site.xml"
    shutil.copyfile(SITE, copy)
    both = akhbar(
        "import", "wordpress", str(copy), "--url", "https://x.example",
        database_url=settings.database_url, check=False,
    )  # fmt: skip

    for result in (neither, both):
        assert (result.returncode, result.stderr) == (
            2,
            "akhbar: give a WXR file or --url, one of them\n",
        )


def test_a_terminal_gets_a_progress_bar_and_a_log_only_the_report(settings: Settings) -> None:
    command = [AKHBAR, "import", "wordpress", str(SITE)]
    env = clean_environment(AKHBAR_DATABASE_URL=settings.database_url, COLUMNS="120")
    controller, terminal = pty.openpty()
    with subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=terminal) as process:
        os.close(terminal)
        shown = b""
        with contextlib.suppress(OSError):  # EIO once the process has closed the terminal
            while chunk := os.read(controller, 4096):
                shown += chunk
        report = process.stdout.read().decode()  # type: ignore[union-attr]
    os.close(controller)

    bar = shown.decode()
    # Posts done / total, the rate beside the label, and the time left (while it runs).
    assert re.search(r"posts \(\d+/s\)\s+\[#+\]\s+8/8", bar), bar
    assert report.startswith("kind        imported")

    quiet = akhbar("import", "wordpress", str(SITE), database_url=settings.database_url)
    assert quiet.stderr == "posts\n"  # not a terminal: the label, no bar, no rates
