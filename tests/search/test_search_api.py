"""GET /v1/search: Arabic spelling variants, clitics, phrases, ranking, snippets, safety."""

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, text
from sqlmodel import Session

from app.auth.scopes import Scope
from app.search import service
from tests.factories import bearer, make_article, make_category, make_token


def found(client: TestClient, q: str, **params: object) -> list[str]:
    response = client.get("/v1/search", params={"q": q, **params})
    assert response.status_code == 200, response.text
    return [hit["slug"] for hit in response.json()["data"]]


@pytest.fixture
def corpus(session: Session) -> None:
    make_article(
        session,
        "جون كيري يرحب بالآستانة وديمستورا يعقِّب",
        slug="كيري-والاستانة",
        body="<p>رحّب الوزير بالمفاوضات المرتقبة، وأكد أن وقف إطلاق النار يوم ٣٠ ديسمبر صامد.</p>",
    )
    make_article(
        session,
        "محادثات جديدة حول الطحين",
        slug="محادثات-الطحين",
        body="<p>تأخرت شحنات الطحين، والأفران تنتظر. دعمٌ لفلسطين في بيان ختامي.</p>",
    )
    make_article(
        session,
        "النار تلتهم مستودعاً",
        slug="حريق",
        body="<p>اندلعت النار ليلاً، ولم يُعلن عن وقف العمليات أو إطلاق سراح أحد.</p>",
    )
    make_article(
        session,
        "كلـــمة العدد",
        slug="كلمة-العدد",
        body="<p>مقالة عن الكل\u200cمات وأثرها.</p>",
    )


class TestSpellingVariants:
    @pytest.mark.parametrize(
        ("q", "slug"),
        [
            ("الاستانة", "كيري-والاستانة"),  # madda on the alef
            ("أستانة", "كيري-والاستانة"),  # hamza, no article
            ("يعقب", "كيري-والاستانة"),  # shadda and kasra in the text
            ("يُعقِّبُ", "كيري-والاستانة"),  # harakat in the query
            ("30 ديسمبر", "كيري-والاستانة"),  # Arabic-Indic digits in the text
            ("مفاوضات", "كيري-والاستانة"),  # the text has "بالمفاوضات"
            ("المحادثات", "محادثات-الطحين"),  # the text has "محادثات"
            ("والطحين", "محادثات-الطحين"),  # the text has "الطحين"
            ("فلسطين", "محادثات-الطحين"),  # the text has "لفلسطين"
            ("كلمة", "كلمة-العدد"),  # tatweel in the title
            ("الكلمات", "كلمة-العدد"),  # a zero-width non-joiner inside the word
            ("جون كيري", "كيري-والاستانة"),
        ],
    )
    def test_finds_the_article(self, client: TestClient, corpus: None, q: str, slug: str) -> None:
        assert slug in found(client, q)

    def test_every_word_must_match(self, client: TestClient, corpus: None) -> None:
        assert found(client, "الطحين كيري") == []


class TestPhrasesAndRanking:
    def test_a_quoted_phrase_matches_only_consecutive_words(
        self, client: TestClient, corpus: None
    ) -> None:
        assert found(client, '"وقف إطلاق النار"') == ["كيري-والاستانة"]
        assert found(client, "«وقف إطلاق النار»") == ["كيري-والاستانة"]
        assert set(found(client, "وقف إطلاق النار")) == {"كيري-والاستانة", "حريق"}

    def test_a_title_match_ranks_above_a_body_match(
        self, client: TestClient, session: Session
    ) -> None:
        make_article(session, "تقرير عن الزراعة", slug="في-النص", body="<p>موسم الزيتون</p>")
        make_article(session, "موسم الزيتون يبدأ", slug="في-العنوان", body="<p>تقرير</p>")

        assert found(client, "الزيتون") == ["في-العنوان", "في-النص"]

    def test_a_word_in_very_many_articles_is_ranked_among_its_newest_matches(
        self, client: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Ranking every article that holds a common word would read the whole corpus:
        only the newest MAX_RANKED matches are ranked (here 3 of 5)."""
        monkeypatch.setattr(service, "MAX_RANKED", 3)
        make_article(session, "الزيتون الزيتون", slug="الأقدم", body="<p>الزيتون</p>")
        make_article(session, "موسم الزيتون", slug="الثاني", body="<p>الزيتون</p>")
        make_article(session, "تقرير أول", slug="الثالث", body="<p>الزيتون</p>")
        make_article(session, "الزيتون والحصاد", slug="الرابع", body="<p>الزيتون</p>")
        make_article(session, "تقرير آخر", slug="الأحدث", body="<p>الزيتون</p>")

        assert found(client, "الزيتون") == ["الرابع", "الأحدث", "الثالث"]

    def test_a_query_of_many_words_lists_its_matches_newest_first(
        self, client: TestClient, session: Session
    ) -> None:
        """Every match holds all the words; ranking each against five costs more than it
        tells."""
        words = "موسم الزيتون في القرى الجبلية"
        make_article(session, words, slug="الأقدم", body=f"<p>{words}</p>")
        make_article(session, "تقرير", slug="الأحدث", body=f"<p>عن {words} وغيرها</p>")

        assert found(client, words) == ["الأحدث", "الأقدم"]
        assert found(client, "موسم الزيتون") == ["الأقدم", "الأحدث"]


class TestVisibilityAndFilters:
    def test_only_published_and_due_articles(self, client: TestClient, session: Session) -> None:
        make_article(session, "زلزال منشور", slug="منشور")
        make_article(session, "زلزال مسودة", slug="مسودة", status="draft", published_at=None)
        make_article(session, "زلزال مجدول", slug="مجدول", published_at="2099-01-01T00:00:00Z")

        assert found(client, "زلزال") == ["منشور"]

    def test_list_filters_apply(self, client: TestClient, session: Session) -> None:
        make_category(session, "اقتصاد")
        make_article(session, "أسعار الذهب", slug="ذهب-اقتصاد", category="اقتصاد")
        make_article(session, "الذهب في التاريخ", slug="ذهب-ثقافة")

        assert found(client, "الذهب", category="اقتصاد") == ["ذهب-اقتصاد"]

    def test_the_index_follows_every_write(self, client: TestClient, session: Session) -> None:
        article = make_article(session, "عنوان قديم", slug="يتغير")
        editor = bearer(make_token(session, Scope.admin))

        client.patch(f"/v1/articles/{article.id}", json={"title": "عنوان جديد"}, headers=editor)
        after_update = (found(client, "قديم"), found(client, "جديد"))
        client.delete(f"/v1/articles/{article.id}", headers=editor)
        after_delete = found(client, "جديد")
        client.post(f"/v1/articles/{article.id}/undelete", headers=editor)
        after_undelete = found(client, "جديد")
        client.delete(f"/v1/articles/{article.id}", headers=editor)
        client.post(f"/v1/articles/{article.id}/purge", headers=editor)

        assert after_update == ([], ["يتغير"])
        assert after_delete == []
        assert after_undelete == ["يتغير"]
        if session.get_bind().dialect.name == "sqlite":
            assert session.execute(text("SELECT count(*) FROM article_fts")).scalar_one() == 0
        else:
            assert session.execute(text("SELECT count(*) FROM article_search")).scalar_one() == 0


class TestAnswers:
    def test_snippet_is_escaped_text_with_marks(self, client: TestClient, session: Session) -> None:
        make_article(
            session,
            "تقرير",
            body="<p>قال المسؤول إن &lt;script&gt; ليس كوداً، وإن المفاوضات مستمرة.</p>",
        )

        (hit,) = client.get("/v1/search", params={"q": "مفاوضات"}).json()["data"]

        assert hit["snippet"] == (
            "قال المسؤول إن &lt;script&gt; ليس كوداً، وإن <mark>المفاوضات</mark> مستمرة."
        )
        assert "body" not in hit

    def test_pages_with_a_cursor(self, client: TestClient, session: Session) -> None:
        for n in range(5):
            make_article(session, f"مطر غزير {n}")

        first = client.get("/v1/search", params={"q": "مطر", "limit": 2}).json()
        second = client.get(
            "/v1/search", params={"q": "مطر", "limit": 2, "cursor": first["meta"]["next_cursor"]}
        ).json()
        third = client.get(
            "/v1/search", params={"q": "مطر", "limit": 2, "cursor": second["meta"]["next_cursor"]}
        ).json()

        slugs = [h["slug"] for h in first["data"] + second["data"] + third["data"]]
        assert sorted(slugs) == sorted(f"مطر-غزير-{n}" for n in range(5))
        assert third["meta"]["next_cursor"] is None


class TestBadQueries:
    @pytest.mark.parametrize(
        ("q", "error_type"),
        [
            ("", "string_too_short"),
            ("ب" * 201, "string_too_long"),
            ("   ", "value_error"),
            ("!!! ؟؟ ...", "value_error"),
        ],
    )
    def test_empty_or_over_long_is_422(self, client: TestClient, q: str, error_type: str) -> None:
        response = client.get("/v1/search", params={"q": q})

        assert response.status_code == 422
        assert [(e["loc"], e["type"]) for e in response.json()["errors"]] == [
            (["query", "q"], error_type)
        ]

    def test_missing_q_is_422(self, client: TestClient) -> None:
        assert client.get("/v1/search").status_code == 422

    @pytest.mark.parametrize(
        "q",
        [
            'x) OR (', '"', '""', 'NEAR(a b)', "title:x", "{title}: x", "*", "a*", "a AND",
            "OR", "NOT x", "'", "''", "\\", ":", "^x", "-x", "a & b | !c", "<->", "x:*",
            "'); DROP TABLE article; --", "«", "مطر\" OR \"", "١٢٣", "e-mail",
        ],
    )  # fmt: skip
    def test_query_syntax_is_never_a_500(self, client: TestClient, corpus: None, q: str) -> None:
        response = client.get("/v1/search", params={"q": q})

        assert response.status_code in (200, 422)
        assert response.headers["content-type"] in ("application/json", "application/problem+json")

    def test_a_forged_cursor_is_422(self, client: TestClient) -> None:
        response = client.get(
            "/v1/search", params={"q": "مطر", "cursor": "eyJrIjoic2VhcmNoIiwidiI6Wy0xXX0"}
        )

        assert response.status_code == 422


class TestFuzzyFallback:
    def test_a_name_spelled_another_way_is_found_when_nothing_matches_exactly(
        self, client: TestClient, corpus: None
    ) -> None:
        response = client.get("/v1/search", params={"q": "أستانا"})

        (hit,) = response.json()["data"]
        assert (hit["slug"], hit["match"]) == ("كيري-والاستانة", "fuzzy")
        assert found(client, "الاستانة") == ["كيري-والاستانة"]
        assert (
            client.get("/v1/search", params={"q": "الاستانة"}).json()["data"][0]["match"] == "exact"
        )

    def test_fuzzy_hits_follow_few_exact_ones(self, client: TestClient, session: Session) -> None:
        make_article(session, "وصول وفد إلى أستانا", slug="أستانا")
        make_article(session, "مؤتمر الآستانة يبدأ", slug="الآستانة")

        response = client.get("/v1/search", params={"q": "أستانا"}).json()["data"]

        assert [(h["slug"], h["match"]) for h in response] == [
            ("أستانا", "exact"),
            ("الآستانة", "fuzzy"),
        ]

    def test_unrelated_words_are_not_fuzzy_hits(self, client: TestClient, corpus: None) -> None:
        assert found(client, "برتقال") == []

    def test_close_spellings_are_looked_for_in_a_short_query_only(
        self, client: TestClient, corpus: None, engine: Engine
    ) -> None:
        """A name in a word or three; not a dozen long words that match nothing, each of
        which would be looked for across nearly the whole corpus."""
        statements: list[str] = []

        def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
            statements.append(statement)

        adversarial = " ".join(
            clitic + word
            for clitic in ("و", "ف", "ب")
            for word in ("مستشفياتهم", "استراتيجياتها", "بروتوكولاتهم", "تكنولوجياتها")
        )
        assert len(adversarial) <= 200
        event.listen(Engine, "before_cursor_execute", record)
        try:
            short = client.get("/v1/search", params={"q": "أستانا"}).json()["data"]
            statements_for_short = len(statements)
            long = client.get("/v1/search", params={"q": adversarial})
        finally:
            event.remove(Engine, "before_cursor_execute", record)

        def looks_for_close_spellings(statement: str) -> bool:
            return "article_trigram MATCH" in statement or "<%" in statement

        trigram_lookups = [s for s in statements if looks_for_close_spellings(s)]
        assert [h["match"] for h in short] == ["fuzzy"]
        assert long.status_code == 200
        # The short query looked for close spellings; the long one did not.
        assert len(trigram_lookups) == 1
        assert any(looks_for_close_spellings(s) for s in statements[:statements_for_short])


class TestSlugLookups:
    def test_a_spelling_variant_of_a_slug_finds_the_article_and_the_term(
        self, client: TestClient, session: Session
    ) -> None:
        make_category(session, "ثقافة وفنون", slug="ثقافة")
        make_article(session, "x", slug="الآستانة-تستضيف-الجولة", category="ثقافة")

        article = client.get("/v1/articles/الاستانه-تستضيف-الجوله")
        category = client.get("/v1/categories/ثقافه")
        filtered = client.get("/v1/articles", params={"category": "ثقافه"})

        assert article.status_code == 200
        assert article.json()["slug"] == "الآستانة-تستضيف-الجولة"
        assert category.json()["slug"] == "ثقافة"
        assert [a["slug"] for a in filtered.json()["data"]] == ["الآستانة-تستضيف-الجولة"]

    def test_an_exact_slug_wins_over_a_variant(self, client: TestClient, session: Session) -> None:
        make_article(session, "x", slug="مدرسة")
        make_article(session, "y", slug="مدرسه")

        assert client.get("/v1/articles/مدرسه").json()["slug"] == "مدرسه"
        assert client.get("/v1/articles/مدرسة").json()["slug"] == "مدرسة"
