"""Readers posting and reading comments, and every defence around posting."""

from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.core.config import Settings
from app.main import create_app
from app.models import Article, Comment, CommentStatus
from tests.factories import make_article

PROBLEM = "application/problem+json"
# Limits out of the way, unless a test is about them.
RELAXED = {"comments_flood_seconds": 0, "comments_rate_limit": "1000/minute"}


def comment(n: int = 1, **fields: Any) -> dict[str, Any]:
    return {
        "author_name": "أبو خالد",
        "author_email": f"reader{n}@example.com",
        "body": f"تعليق رقم {n}: شكراً على التقرير.",
        **fields,
    }


@pytest.fixture
def make_client(settings: Settings) -> Iterator[Callable[..., TestClient]]:
    """A client for an app with these settings changed (limits relaxed by default)."""
    clients: list[TestClient] = []

    def make(**overrides: Any) -> TestClient:
        client = TestClient(create_app(settings.model_copy(update={**RELAXED, **overrides})))
        clients.append(client.__enter__())
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def article(session: Session) -> Article:
    return make_article(session, "خبر للتعليق")


def stored(session: Session) -> list[Comment]:
    session.expire_all()
    return list(session.exec(select(Comment).order_by(Comment.id)))  # type: ignore[arg-type]


class TestPostComment:
    def test_held_for_moderation_with_private_metadata(
        self, make_client: Callable[..., TestClient], session: Session, article: Article
    ) -> None:
        client = make_client()

        response = client.post(
            f"/v1/articles/{article.id}/comments",
            json=comment(1, author_email="Reader1@Example.COM", author_url="https://example.org"),
            headers={"User-Agent": "Mozilla/5.0 (test)"},
        )

        assert response.status_code == 202
        (row,) = stored(session)
        assert response.json() == {"id": row.id, "status": "pending"}
        assert row.status is CommentStatus.pending
        assert row.author_email == "reader1@example.com"
        assert row.author_url == "https://example.org"
        assert row.client_ip == "testclient"
        assert row.user_agent == "Mozilla/5.0 (test)"
        assert client.get(f"/v1/articles/{article.id}/comments").json()["data"] == []

    def test_auto_approval_publishes_at_once_and_counts(
        self, make_client: Callable[..., TestClient], session: Session, article: Article
    ) -> None:
        client = make_client(comments_auto_approve=True)
        etag_before = client.get(f"/v1/articles/{article.id}").headers["etag"]

        response = client.post(f"/v1/articles/{article.id}/comments", json=comment())
        listed = client.get(f"/v1/articles/{quote(article.slug)}/comments").json()
        shown = client.get(f"/v1/articles/{article.id}", headers={"If-None-Match": etag_before})

        assert response.status_code == 201
        assert response.json()["status"] == "approved"
        assert listed["data"] == [
            {
                "id": response.json()["id"],
                "article_id": article.id,
                "parent_id": None,
                "author_name": "أبو خالد",
                "author_url": None,
                "body": "تعليق رقم 1: شكراً على التقرير.",
                "created_at": listed["data"][0]["created_at"],
            }
        ]
        assert shown.status_code == 200  # the count changed, so did the ETag
        assert shown.json()["comment_count"] == 1
        assert client.get("/v1/articles").json()["data"][0]["comment_count"] == 1

    def test_html_stays_text(
        self, make_client: Callable[..., TestClient], session: Session, article: Article
    ) -> None:
        client = make_client(comments_auto_approve=True)
        body = '<script>alert("x")</script><b>عريض</b> & <a href="javascript:x">رابط</a>'

        client.post(f"/v1/articles/{article.id}/comments", json=comment(body=body))

        response = client.get(f"/v1/articles/{article.id}/comments")
        assert response.json()["data"][0]["body"] == body
        assert response.headers["content-type"] == "application/json"
        assert stored(session)[0].body == body

    def test_bidi_controls_are_removed_from_the_body_and_refused_in_the_name(
        self, make_client: Callable[..., TestClient], session: Session, article: Article
    ) -> None:
        client = make_client()

        accepted = client.post(
            f"/v1/articles/{article.id}/comments",
            json=comment(body="نص \u202eمقلوب\u202c عادي"),
        )
        refused = client.post(
            f"/v1/articles/{article.id}/comments",
            json=comment(2, author_name="\u202eأبو خالد"),
        )

        assert accepted.status_code == 202
        assert stored(session)[0].body == "نص مقلوب عادي"
        assert refused.status_code == 422
        assert refused.json()["errors"][0]["loc"] == ["body", "author_name"]

    @pytest.mark.parametrize(
        ("fields", "loc"),
        [
            ({"author_name": ""}, ["body", "author_name"]),
            ({"author_name": "ا" * 101}, ["body", "author_name"]),
            ({"author_email": "not-an-address"}, ["body", "author_email"]),
            ({"author_email": "a@b"}, ["body", "author_email"]),
            ({"author_email": "x" * 250 + "@example.com"}, ["body", "author_email"]),
            ({"author_url": "javascript:alert(1)"}, ["body", "author_url"]),
            ({"author_url": "example.org"}, ["body", "author_url"]),
            ({"body": "   "}, ["body", "body"]),
            ({"body": "ب" * 5001}, ["body", "body"]),
            ({"body": "نص\x00"}, ["body", "body"]),
            ({"parent_id": 0}, ["body", "parent_id"]),
            ({"rating": 5}, ["body", "rating"]),
        ],
    )
    def test_invalid_input_is_422_and_stores_nothing(
        self,
        make_client: Callable[..., TestClient],
        session: Session,
        article: Article,
        fields: dict,
        loc: list,
    ) -> None:
        response = make_client().post(f"/v1/articles/{article.id}/comments", json=comment(**fields))

        assert response.status_code == 422
        assert response.headers["content-type"] == PROBLEM
        assert [error["loc"] for error in response.json()["errors"]] == [loc]
        assert stored(session) == []

    def test_missing_fields_are_each_listed(
        self, make_client: Callable[..., TestClient], article: Article
    ) -> None:
        response = make_client().post(f"/v1/articles/{article.id}/comments", json={})

        assert sorted(tuple(e["loc"]) for e in response.json()["errors"]) == [
            ("body", "author_email"),
            ("body", "author_name"),
            ("body", "body"),
        ]

    @pytest.mark.parametrize(
        "fields",
        [{"status": "draft", "published_at": None}, {"published_at": "2099-01-01T00:00:00Z"}],
        ids=["draft", "scheduled"],
    )
    def test_an_article_the_public_cannot_see_is_404(
        self, make_client: Callable[..., TestClient], session: Session, fields: dict
    ) -> None:
        hidden = make_article(session, "مخفي", **fields)

        response = make_client().post(f"/v1/articles/{hidden.id}/comments", json=comment())

        assert response.status_code == 404
        assert stored(session) == []

    @pytest.mark.parametrize(
        "invisible",
        ["\u200b", "\u200c\u200d", "\u200e\u200f\u061c", "\u2060", "\ufeff", " \u200b \u00ad "],
        ids=["zwsp", "zwnj-zwj", "marks", "word-joiner", "bom", "mixed"],
    )
    @pytest.mark.parametrize("field", ["author_name", "body"])
    def test_a_field_of_invisible_characters_only_is_empty(
        self,
        make_client: Callable[..., TestClient],
        session: Session,
        article: Article,
        field: str,
        invisible: str,
    ) -> None:
        response = make_client().post(
            f"/v1/articles/{article.id}/comments", json=comment(**{field: invisible})
        )

        assert response.status_code == 422
        assert response.json()["errors"] == [
            {
                "loc": ["body", field],
                "message": "Value error, must contain visible characters, not only spaces "
                "or invisible ones",
                "type": "value_error",
            }
        ]
        assert stored(session) == []

    def test_direction_marks_and_joiners_are_kept_in_the_body(
        self, make_client: Callable[..., TestClient], session: Session, article: Article
    ) -> None:
        # RLM keeps "(2026)" after the Arabic word; ZWNJ is part of the Persian word.
        text = "صدر التقرير\u200f (2026) بعنوان «می\u200cخواهم» \u061cو\u200dنص"

        response = make_client().post(
            f"/v1/articles/{article.id}/comments", json=comment(body=text)
        )

        assert response.status_code == 202
        assert stored(session)[0].body == text

    def test_closed_comments_are_a_clear_403(
        self, make_client: Callable[..., TestClient], session: Session
    ) -> None:
        closed = make_article(session, "مغلق", comments_enabled=False)

        response = make_client().post(f"/v1/articles/{closed.id}/comments", json=comment())

        assert response.status_code == 403
        assert response.json()["detail"] == "comments are closed on this article"


class TestThreads:
    def test_a_reply_to_an_approved_comment(
        self, make_client: Callable[..., TestClient], article: Article
    ) -> None:
        client = make_client(comments_auto_approve=True)
        parent = client.post(f"/v1/articles/{article.id}/comments", json=comment(1)).json()

        reply = client.post(
            f"/v1/articles/{article.id}/comments", json=comment(2, parent_id=parent["id"])
        )

        data = client.get(f"/v1/articles/{article.id}/comments").json()["data"]
        assert reply.status_code == 201
        assert [(c["id"], c["parent_id"]) for c in data] == [
            (parent["id"], None),
            (reply.json()["id"], parent["id"]),
        ]

    def test_a_parent_must_be_approved_and_on_the_same_article(
        self, make_client: Callable[..., TestClient], session: Session, article: Article
    ) -> None:
        other = make_article(session, "خبر آخر")
        held = make_client().post(f"/v1/articles/{article.id}/comments", json=comment(1))
        client = make_client(comments_auto_approve=True)
        elsewhere = client.post(f"/v1/articles/{other.id}/comments", json=comment(2)).json()

        for parent_id in (held.json()["id"], elsewhere["id"], 999):
            response = client.post(
                f"/v1/articles/{article.id}/comments", json=comment(3, parent_id=parent_id)
            )
            assert response.status_code == 422
            assert response.json()["errors"][0]["loc"] == ["body", "parent_id"]

    def test_depth_is_bounded(
        self, make_client: Callable[..., TestClient], article: Article
    ) -> None:
        client = make_client(comments_auto_approve=True)
        parent_id = None
        answers = []
        for n in range(6):
            response = client.post(
                f"/v1/articles/{article.id}/comments", json=comment(n, parent_id=parent_id)
            )
            answers.append(response.status_code)
            parent_id = response.json().get("id", parent_id)

        assert answers == [201, 201, 201, 201, 201, 422]


class TestDefences:
    @pytest.mark.parametrize("auto_approve", [False, True])
    def test_the_honeypot_files_it_as_spam_but_answers_like_a_real_comment(
        self,
        make_client: Callable[..., TestClient],
        session: Session,
        article: Article,
        auto_approve: bool,
    ) -> None:
        client = make_client(comments_auto_approve=auto_approve)

        honest = client.post(f"/v1/articles/{article.id}/comments", json=comment(1))
        robot = client.post(
            f"/v1/articles/{article.id}/comments",
            json=comment(2, homepage="https://spam.example"),
        )

        assert robot.status_code == honest.status_code
        assert robot.json()["status"] == honest.json()["status"]
        assert robot.json()["id"] == honest.json()["id"] + 1
        assert set(robot.headers) == set(honest.headers)
        rows = stored(session)
        assert (rows[1].status, rows[1].held_reason) == (CommentStatus.spam, "honeypot")
        public = client.get(f"/v1/articles/{article.id}/comments").json()["data"]
        assert robot.json()["id"] not in [c["id"] for c in public]

    def test_the_same_text_from_the_same_client_is_409_whatever_the_email(
        self, settings: Settings, session: Session, article: Article
    ) -> None:
        app = create_app(settings.model_copy(update=RELAXED))
        url = f"/v1/articles/{article.id}/comments"
        with (
            TestClient(app, client=("198.51.100.7", 40000)) as author,
            TestClient(app, client=("203.0.113.66", 40000)) as stranger,
        ):
            first = author.post(url, json=comment(1))
            again = [
                author.post(url, json=comment(1, author_email=email, author_name="اسم آخر"))
                for email in ("READER1@example.com", "someone.else@example.com")
            ]
            # A stranger who copies the public text gets the same answer whatever e-mail
            # is guessed: posting it is no oracle for the author's address.
            guesses = [
                stranger.post(url, json=comment(1, author_email=email)).status_code
                for email in ("reader1@example.com", "nobody@example.com")
            ]

        assert first.status_code == 202
        assert [r.status_code for r in again] == [409, 409]
        assert again[0].json()["detail"] == "you have already posted this comment on this article"
        assert guesses == [202, 409]  # the stranger's own first post, then its own repost
        assert [c.client_ip for c in stored(session)] == ["198.51.100.7", "203.0.113.66"]

    def test_too_many_links_are_held_even_with_auto_approval(
        self, make_client: Callable[..., TestClient], session: Session, article: Article
    ) -> None:
        client = make_client(comments_auto_approve=True, comments_max_links=2)
        body = "اقرأ https://a.example و http://b.example و www.c.example"

        two = client.post(
            f"/v1/articles/{article.id}/comments",
            json=comment(1, body="https://a.example و https://b.example"),
        )
        three = client.post(f"/v1/articles/{article.id}/comments", json=comment(2, body=body))

        assert two.json()["status"] == "approved"
        assert three.status_code == 202
        assert three.json()["status"] == "pending"
        assert stored(session)[1].held_reason == "links"

    @pytest.mark.parametrize(
        "body",
        [
            "هذا كلام محظور تماماً",
            "هذا كلامٌ مَحْظُور تماماً",  # tashkeel
            "هذا كلام محـــظور تماماً",  # tatweel
            "هذا كلام مح\u200cظور تماماً",  # a zero-width non-joiner inside the word
            "هذا كلام والمحظور تماماً",  # behind proclitics
            "THIS IS A Bad Phrase here",  # a phrase, any case
            "هذا كلام مح\u0301ظو\u0308ر تماماً",  # Latin combining marks inside the word
            "هذا كلام م\u200bحظ\u2060ور تماماً",  # a zero-width space, a word joiner
            "هذا كلام مح\ufe00ظور\u034f تماماً",  # a variation selector, a grapheme joiner
            "هذا كلام محظوڕ تماماً",  # a Kurdish reh
            "هذا كلام م.ح.ظ.و.ر تماماً",  # dots between the letters
            "هذا كلام م-ح_ظ/و٫ر تماماً",  # other punctuation between them
            "هذا كلام م ح ظ و ر تماماً",  # spelled out letter by letter
            "هذا كلام محظووور تماماً",  # a letter drawn out
            "هذا كلام ﻣﺤﻈﻮﺭ تماماً",  # presentation forms
            "this is a bаd phrаse",  # Cyrillic а for Latin a
            "this is a ｂａｄ ᴘhrase",  # full-width and small-capital letters
            "this is a b.a.d p-h-r-a-s-e",  # dotted
            "this is a bad,phrase",  # joined by a comma
        ],
    )
    def test_disallowed_words_are_spam_however_they_are_written(
        self,
        make_client: Callable[..., TestClient],
        session: Session,
        article: Article,
        body: str,
    ) -> None:
        client = make_client(comments_disallowed_words=["محظور", "bad phrase"])

        response = client.post(f"/v1/articles/{article.id}/comments", json=comment(body=body))

        assert response.json()["status"] == "pending"
        (row,) = stored(session)
        assert (row.status, row.held_reason) == (CommentStatus.spam, "disallowed_word")
        assert row.body == body  # stored as written; only the matching reads it folded

    @pytest.mark.parametrize(
        "body",
        [
            "كتبت كلمة كِلْمة",  # a disallowed word's neighbours are not the word
            "هذا كلام محظوظ تماماً",  # one letter differs
            "الكاتب: محمد.",  # punctuation at a word's end
        ],
    )
    def test_honest_text_near_a_disallowed_word_passes(
        self, make_client: Callable[..., TestClient], session: Session, article: Article, body: str
    ) -> None:
        client = make_client(comments_disallowed_words=["محظور", "كلمات", "bad phrase"])

        client.post(f"/v1/articles/{article.id}/comments", json=comment(body=body))

        assert (stored(session)[0].status, stored(session)[0].held_reason) == (
            CommentStatus.pending,
            None,
        )

    def test_a_word_that_merely_contains_a_disallowed_one_passes(
        self, make_client: Callable[..., TestClient], session: Session, article: Article
    ) -> None:
        client = make_client(comments_disallowed_words=["سم"])

        client.post(f"/v1/articles/{article.id}/comments", json=comment(body="في موسم الحصاد"))

        assert stored(session)[0].status is CommentStatus.pending
        assert stored(session)[0].held_reason is None


class TestRateLimits:
    def test_per_client_rate_limit_is_429_with_retry_after_and_ratelimit_headers(
        self,
        make_client: Callable[..., TestClient],
        session: Session,
        article: Article,
        limiter_settings: dict,
    ) -> None:
        client = make_client(comments_rate_limit="3/minute", **limiter_settings)

        answers = [
            client.post(f"/v1/articles/{article.id}/comments", json=comment(n)) for n in range(4)
        ]

        assert [a.status_code for a in answers] == [202, 202, 202, 429]
        assert [a.headers["ratelimit-remaining"] for a in answers] == ["2", "1", "0", "0"]
        assert all(a.headers["ratelimit-limit"] == "3" for a in answers)
        refused = answers[-1]
        assert refused.headers["content-type"] == PROBLEM
        assert 0 < int(refused.headers["retry-after"]) <= 60
        assert int(refused.headers["ratelimit-reset"]) == int(refused.headers["retry-after"])
        assert refused.json()["detail"] == "at most 3 comments per 60 s"
        assert len(stored(session)) == 3

    def test_flood_control_refuses_a_second_post_within_seconds(
        self,
        make_client: Callable[..., TestClient],
        session: Session,
        article: Article,
        limiter_settings: dict,
    ) -> None:
        client = make_client(comments_flood_seconds=15, **limiter_settings)

        first = client.post(f"/v1/articles/{article.id}/comments", json=comment(1))
        second = client.post(f"/v1/articles/{article.id}/comments", json=comment(2))

        assert first.status_code == 202
        assert second.status_code == 429
        assert 0 < int(second.headers["retry-after"]) <= 15
        assert second.json()["detail"].startswith("wait ")
        assert len(stored(session)) == 1

    def test_zero_flood_seconds_turns_flood_control_off(
        self, make_client: Callable[..., TestClient], article: Article
    ) -> None:
        client = make_client(comments_flood_seconds=0)

        answers = [
            client.post(f"/v1/articles/{article.id}/comments", json=comment(n)).status_code
            for n in range(3)
        ]

        assert answers == [202, 202, 202]


class TestListComments:
    def test_approved_only_oldest_first_cursor_paged(
        self, make_client: Callable[..., TestClient], session: Session, article: Article
    ) -> None:
        approving = make_client(comments_auto_approve=True)
        holding = make_client()
        ids = []
        for n in range(5):
            client = holding if n == 2 else approving
            ids.append(
                client.post(f"/v1/articles/{article.id}/comments", json=comment(n)).json()["id"]
            )

        first = approving.get(f"/v1/articles/{article.id}/comments", params={"limit": 2}).json()
        second = approving.get(
            f"/v1/articles/{article.id}/comments",
            params={"limit": 2, "cursor": first["meta"]["next_cursor"]},
        ).json()

        assert [c["id"] for c in first["data"] + second["data"]] == [ids[0], ids[1], ids[3], ids[4]]
        assert second["meta"]["next_cursor"] is None

    def test_comments_of_an_article_the_public_cannot_see_are_404(
        self, make_client: Callable[..., TestClient], session: Session
    ) -> None:
        draft = make_article(session, "مسودة", status="draft", published_at=None)

        assert make_client().get(f"/v1/articles/{draft.id}/comments").status_code == 404


class TestProblemsInArabic:
    """What a reader can meet is said in Arabic to a reader who prefers it."""

    @pytest.mark.parametrize(
        ("accept_language", "language"),
        [
            ("ar", "ar"),
            ("ar-EG,ar;q=0.9,en;q=0.8", "ar"),
            ("fr-FR, ar;q=0.5", "ar"),
            ("en-US,en;q=0.9,ar;q=0.8", "en"),
            ("de", "en"),
            (None, "en"),
        ],
    )
    def test_language_follows_accept_language(
        self,
        make_client: Callable[..., TestClient],
        session: Session,
        accept_language: str | None,
        language: str,
    ) -> None:
        closed = make_article(session, "مغلق", comments_enabled=False)
        headers = {"Accept-Language": accept_language} if accept_language else {}

        response = make_client().post(
            f"/v1/articles/{closed.id}/comments", json=comment(), headers=headers
        )

        assert response.status_code == 403
        assert response.headers["content-language"] == language
        assert response.headers["vary"] == "Accept-Language"
        assert response.json() == {
            "type": "/problems/forbidden",
            "title": "Forbidden",
            "status": 403,
            "detail": {
                "ar": "التعليقات مغلقة على هذا الخبر",
                "en": "comments are closed on this article",
            }[language],
        }

    def test_every_problem_a_reader_meets(
        self, make_client: Callable[..., TestClient], session: Session, article: Article
    ) -> None:
        arabic = {"Accept-Language": "ar"}
        client = make_client()
        url = f"/v1/articles/{article.id}/comments"
        first = client.post(url, json=comment(), headers=arabic)
        assert first.status_code == 202

        answers = {
            "duplicate": client.post(url, json=comment(), headers=arabic),
            "invalid": client.post(url, json=comment(author_name="", body=""), headers=arabic),
            "parent": client.post(url, json=comment(3, parent_id=999), headers=arabic),
            "not found": client.post(
                "/v1/articles/لا-يوجد/comments", json=comment(4), headers=arabic
            ),
            "no route": client.get("/v1/nothing-here", headers=arabic),
        }
        flood = make_client(comments_flood_seconds=60)
        flood.post(url, json=comment(5), headers=arabic)
        answers["flood"] = flood.post(url, json=comment(6), headers=arabic)
        limited = make_client(comments_flood_seconds=0, comments_rate_limit="1/minute")
        limited.post(url, json=comment(7), headers=arabic)
        answers["rate limit"] = limited.post(url, json=comment(8), headers=arabic)

        details = {name: (r.status_code, r.json()["detail"]) for name, r in answers.items()}
        assert details == {
            "duplicate": (409, "سبق أن نشرت هذا التعليق على هذا الخبر"),
            "invalid": (422, "في الطلب حقلان غير صالحين"),
            "parent": (422, "لا تعليق منشورًا بهذا الرقم على هذا الخبر"),
            "not found": (404, "لا خبر منشورًا بالعنوان 'لا-يوجد'"),
            "no route": (404, "لا شيء على هذا العنوان"),
            "flood": (429, "انتظر 60 ثانية قبل أن تنشر تعليقًا آخر"),
            "rate limit": (429, "لا يُقبل أكثر من 1 تعليقات كل 60 ثانية"),
        }
        for response in answers.values():
            assert response.headers["content-language"] == "ar"
            assert "Accept-Language" in response.headers["vary"]
        assert answers["invalid"].json()["errors"][0]["loc"] == ["body", "author_name"]


class TestLinksThatAreEchoed:
    @pytest.mark.parametrize(
        "url",
        [
            'https://example.org/"><script>alert(1)</script>',
            "https://example.org/\u202egpj.exe",
            "javascript:alert(1)",
        ],
    )
    def test_an_author_url_that_would_break_out_is_refused(
        self, make_client: Callable[..., TestClient], session: Session, article: Article, url: str
    ) -> None:
        response = make_client().post(
            f"/v1/articles/{article.id}/comments", json=comment(author_url=url)
        )

        assert response.status_code == 422
        assert response.json()["errors"][0]["loc"] == ["body", "author_url"]
        assert stored(session) == []
