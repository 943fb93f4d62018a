"""Properties that hold for every input, found by Hypothesis: text normalisation is
idempotent, slugs are valid and stable, search never fails on any string, and a cursor
that the API did not give out is a 422, never a 500."""

import base64
import json
import string
from datetime import datetime

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session

from app.core.errors import InvalidInput
from app.core.pagination import decode_cursor
from app.search.query import parse
from app.text.arabic import search_key
from app.text.html import html_to_text, sanitize_html
from app.text.slugs import GENERATED_SLUG_LENGTH, is_valid_slug, normalize_ref, slugify
from app.text.unicode import nfc
from tests.factories import make_article, make_headline

# Text as newsrooms and attackers write it: Arabic with its marks, Latin, digits of both
# kinds, punctuation, invisible and direction characters, and anything else Unicode has.
ARABIC = st.characters(min_codepoint=0x0600, max_codepoint=0x06FF)
NASTY = st.sampled_from(
    list("\u0640\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202e\u2066\u2069\ufeff\u0000")
    + list("-_ '\"%/\\<>&;()[]{}*:^$+|~`!?.,٫،؟«»")
    + ["\u0301", "\u064b", "\u0651"]
)
TEXT = st.text(
    st.one_of(ARABIC, NASTY, st.sampled_from(string.ascii_letters + "٠١٢٣٤٥٦٧٨٩0123456789"),
              st.characters(exclude_categories=["Cs"])),
    max_size=120,
)  # fmt: skip
FAST = settings(max_examples=300, deadline=None)


@FAST
@given(TEXT)
def test_normalisation_is_idempotent(text: str) -> None:
    assert nfc(nfc(text)) == nfc(text)
    assert search_key(search_key(text)) == search_key(text)
    assert normalize_ref(normalize_ref(text)) == normalize_ref(text)


@FAST
@given(TEXT)
def test_slugs_are_valid_short_and_stable(text: str) -> None:
    slug = slugify(text)

    if slug:
        assert is_valid_slug(slug)
        assert len(slug) <= GENERATED_SLUG_LENGTH
        assert not slug.isdigit()
        assert slugify(slug) == slug
        assert normalize_ref(slug) == slug


@FAST
@given(TEXT)
def test_sanitised_html_is_a_fixed_point(text: str) -> None:
    clean = sanitize_html(f"<p>{text}</p><script>{text}</script>")

    assert sanitize_html(clean) == clean
    assert "<script" not in clean
    html_to_text(clean)  # never fails


@FAST
@given(TEXT)
def test_search_terms_are_letters_and_digits_only(text: str) -> None:
    for term in parse(text):
        for token in term.tokens:
            assert token
            assert all(ch.isalnum() for ch in token), token


# Through the API, on each database.

WITH_FIXTURES = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture
def content(session: Session) -> None:
    make_article(session, "افتتاح سوق الحرير بعد الترميم")
    make_article(session, "المنتخب يتأهل إلى النهائي", hours=1)
    make_headline(session, "عاجل | زلزال في الشمال")


@WITH_FIXTURES
@given(q=TEXT)
def test_search_answers_any_query_without_failing(
    client: TestClient, content: None, q: str
) -> None:
    response = client.get("/v1/search", params={"q": q})

    assert response.status_code in (200, 422), response.text
    if response.status_code == 422:
        assert response.headers["content-type"] == "application/problem+json"


# Cursors: anything a client can send instead of the one it was given.
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=8,
)
KINDS = st.sampled_from(["article", "article-id", "ticker", "comment", "revision", "x", ""])


def forge(kind: object, key: object) -> str:
    """A cursor as a client could make one: any kind, any key (integers of any size)."""
    raw = json.dumps({"k": kind, "v": key}, ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


FORGED = st.one_of(
    st.text(max_size=80),
    st.binary(max_size=60).map(lambda raw: base64.urlsafe_b64encode(raw).decode()),
    st.builds(forge, KINDS, JSON_VALUES),
    st.builds(
        lambda moment, after_id: forge("article", [moment, after_id]),
        st.one_of(
            st.datetimes(timezones=st.timezones()).map(datetime.isoformat),
            st.sampled_from(["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00", "x"]),
        ),
        st.integers(),
    ),
    st.builds(lambda n: forge("article-id", [n]), st.integers()),
    st.builds(lambda a, b: forge("ticker", [a, b]), st.integers(), st.integers()),
)


@FAST
@given(FORGED)
def test_a_forged_cursor_is_refused_or_read_never_an_error(cursor: str) -> None:
    try:
        key = decode_cursor(cursor, kind="article", shape=(str, int))
    except InvalidInput as problem:
        status = problem.status
    else:
        status = 200
        assert [type(value) for value in key] == [str, int]
    assert status in (200, 422)


@WITH_FIXTURES
@given(cursor=FORGED)
def test_the_api_answers_a_forged_cursor_with_a_422(
    client: TestClient, content: None, session: Session, cursor: str
) -> None:
    token_free = [
        ("/v1/articles", {}),
        ("/v1/ticker", {}),
        ("/v1/categories", {}),
        ("/v1/search", {"q": "سوق"}),
        ("/v1/articles/1/comments", {}),
    ]
    for path, params in token_free:
        response = client.get(path, params={"cursor": cursor, **params})

        assert response.status_code in (200, 422), (path, response.text)
        if response.status_code == 422:
            # The cursor named, or the query as a whole when it holds a NUL.
            assert response.json()["errors"][0]["loc"] in (["query", "cursor"], ["query"])


def test_a_cursor_at_the_ends_of_time_is_read_or_refused_never_overflowed(
    client: TestClient, content: None
) -> None:
    for moment in ("9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00"):
        response = client.get("/v1/articles", params={"cursor": forge("article", [moment, 1])})
        assert response.status_code in (200, 422), (moment, response.text)
