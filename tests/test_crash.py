"""A server killed with SIGKILL in the middle of writes, 20 times: after each restart the
SQLite file is intact, every acknowledged write is there, and no article is half-written
(the article, its tag links, its revisions and its search entry agree)."""

import itertools
import random
import signal
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx2 as httpx

from app.core.config import Settings
from app.ops.migrations import upgrade_to_head
from app.text.arabic import key_tokens
from app.wiring import session_for
from tests.factories import bearer, make_tag, make_token
from tests.server import server_process

KILLS = 20
WRITES = itertools.count(1)  # numbers every write across restarts: no two are alike
TAGS = ["سياسة-دولية", "اقتصاد-محلي", "رياضة", "ثقافة-وفنون"]
SERVER_ENV = {
    "AKHBAR_COMMENTS_FLOOD_SECONDS": "0",
    "AKHBAR_COMMENTS_RATE_LIMIT": "9999999/minute",
    "AKHBAR_ACCESS_LOG": "false",
}


@dataclass
class Expected:
    """What the server acknowledged, and the one write it had not answered when killed."""

    titles: dict[int, str] = field(default_factory=dict)
    tags: dict[int, list[str]] = field(default_factory=dict)
    edits: dict[int, int] = field(default_factory=dict)
    comments: set[int] = field(default_factory=set)
    # (kind, article id or None, the title it would set) of the unanswered write.
    in_flight: tuple[str, int | None, str] | None = None


def write_until_killed(base_url: str, token: dict, expected: Expected, rng: random.Random) -> None:
    with httpx.Client(base_url=base_url, headers=token, timeout=10) as client:
        while True:
            n = next(WRITES)
            ids = sorted(expected.titles)
            action = rng.choice(["create", "create", "edit", "comment"] if ids else ["create"])
            try:
                if action == "create":
                    title = f"خبر عاجل رقم {len(expected.titles) + 1} من الجولة {n}"
                    tags = rng.sample(TAGS, 2)
                    expected.in_flight = ("create", None, title)
                    answer = client.post(
                        "/v1/articles",
                        json={
                            "title": title,
                            "body": f"<p>{title}</p>",
                            "status": "published",
                            "tags": tags,
                        },
                    )
                    assert answer.status_code == 201, answer.text
                    article_id = answer.json()["id"]
                    expected.titles[article_id], expected.tags[article_id] = title, tags
                    expected.edits[article_id] = 0
                elif action == "edit":
                    article_id = rng.choice(ids)
                    title = f"{expected.titles[article_id].split(' (')[0]} (تعديل {n})"
                    expected.in_flight = ("edit", article_id, title)
                    answer = client.patch(f"/v1/articles/{article_id}", json={"title": title})
                    assert answer.status_code == 200, answer.text
                    expected.titles[article_id] = title
                    expected.edits[article_id] += 1
                else:
                    article_id = rng.choice(ids)
                    expected.in_flight = ("comment", article_id, "")
                    answer = client.post(
                        f"/v1/articles/{article_id}/comments",
                        json={
                            "author_name": "قارئ",
                            "author_email": f"r{n}@example.org",
                            "body": f"تعليق {n}",
                        },
                    )
                    assert answer.status_code in (201, 202), answer.text
                    expected.comments.add(answer.json()["id"])
                expected.in_flight = None
            except httpx.TransportError:
                return  # killed


def check(path: Path, expected: Expected) -> None:
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        articles = {row[0]: row[1:] for row in db.execute("SELECT id, title, version FROM article")}
        links: dict[int, set[str]] = {}
        for article_id, slug in db.execute(
            "SELECT article_id, tag.slug FROM article_tag JOIN tag ON tag.id = tag_id"
        ):
            links.setdefault(article_id, set()).add(slug)
        revisions = dict(
            db.execute("SELECT article_id, count(*) FROM article_revision GROUP BY article_id")
        )
        indexed = dict(db.execute("SELECT rowid, title FROM article_fts"))
        comments = {row[0] for row in db.execute("SELECT id FROM comment")}
    kind, pending_id, pending_title = expected.in_flight or ("", None, "")
    # Every acknowledged write is there.
    for article_id, title in expected.titles.items():
        assert article_id in articles, f"acknowledged article {article_id} is gone"
        stored_title, version = articles[article_id]
        edits = expected.edits[article_id]
        if kind == "edit" and pending_id == article_id and stored_title == pending_title:
            edits = expected.edits[article_id] = edits + 1  # the unanswered edit was committed
            expected.titles[article_id] = pending_title
        else:
            assert stored_title == title
        assert version == edits + 1
        assert revisions.get(article_id, 0) == edits
        assert links[article_id] == set(expected.tags[article_id])
    assert expected.comments <= comments
    # And nothing is half-written: an article the client never heard of (created as it was
    # killed) is whole too.
    unacknowledged = set(articles) - set(expected.titles)
    assert len(unacknowledged) <= (1 if kind == "create" else 0)
    for article_id, (stored_title, _version) in articles.items():
        assert len(links.get(article_id, set())) == 2
        assert indexed[article_id] == " ".join(key_tokens(stored_title))
        if article_id in unacknowledged:
            assert stored_title == pending_title
    for article_id in unacknowledged:  # the client learns of it now
        expected.titles[article_id] = pending_title
        expected.edits[article_id] = 0
        expected.tags[article_id] = sorted(links[article_id])
    expected.in_flight = None  # its outcome is known now


def test_sigkill_in_the_middle_of_writes_loses_and_corrupts_nothing(tmp_path: Path) -> None:
    path = tmp_path / "akhbar.db"
    settings = Settings(database_url=f"sqlite:///{path}")
    upgrade_to_head(settings)
    with session_for(settings) as session:
        for tag in TAGS:
            make_tag(session, tag.replace("-", " "), slug=tag)
        token = bearer(make_token(session))
    rng = random.Random(20261129)
    expected = Expected()

    for _ in range(KILLS):
        with server_process(settings.database_url, env=SERVER_ENV) as (base_url, process):
            writer = threading.Thread(
                target=write_until_killed, args=(base_url, token, expected, rng)
            )
            writer.start()
            time.sleep(rng.uniform(0.1, 0.8))
            process.send_signal(signal.SIGKILL)
            process.wait()
            writer.join(timeout=15)
            assert not writer.is_alive()
        check(path, expected)

    assert len(expected.titles) > KILLS  # it did write, each time
    assert sum(expected.edits.values()) > 0
    assert expected.comments
