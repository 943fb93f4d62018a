"""From a fresh database to answers over real HTTP: migrate, demo, serve, curl."""

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx2 as httpx
import pytest

from app.demo.loader import demo_content
from tests.server import akhbar, running_server


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = f"sqlite:///{tmp_path_factory.mktemp('serve') / 'news.db'}"
    akhbar("migrate", database_url=url)
    akhbar("demo", database_url=url)
    with running_server(url) as base_url:
        yield base_url


class TestServedDemo:
    def test_lists_the_demo_articles_in_readable_arabic(self, demo_server: str) -> None:
        response = httpx.get(f"{demo_server}/v1/articles", params={"limit": 100})

        published = [a for a in demo_content()["articles"] if a["status"] == "published"]
        scheduled = [a for a in published if "publish_in_days" in a]
        assert response.status_code == 200
        assert len(response.json()["data"]) == len(published) - len(scheduled)
        assert "جولة مفاوضات جديدة في جنيف".encode() in response.content

    def test_article_by_arabic_slug_as_typed_and_percent_encoded(self, demo_server: str) -> None:
        slug = "جولة-مفاوضات-جديدة-في-جنيف"

        # As typed: the client percent-encodes the UTF-8 on the wire, as curl and browsers do.
        typed = httpx.get(f"{demo_server}/v1/articles/{slug}")
        encoded = httpx.get(f"{demo_server}/v1/articles/{quote(slug)}")
        lower_hex = httpx.get(f"{demo_server}/v1/articles/{quote(slug).lower()}")

        assert typed.status_code == encoded.status_code == lower_hex.status_code == 200
        assert typed.json() == encoded.json() == lower_hex.json()
        assert typed.json()["slug"] == slug

    def test_draft_and_scheduled_are_nowhere_in_public_answers(self, demo_server: str) -> None:
        hidden = [
            a
            for a in demo_content()["articles"]
            if a["status"] != "published" or "publish_in_days" in a
        ]
        listing = httpx.get(f"{demo_server}/v1/articles", params={"limit": 100}).content

        assert len(hidden) == 2
        for article in hidden:
            assert article["slug"].encode() not in listing
            assert article["title"].encode() not in listing
            single = httpx.get(f"{demo_server}/v1/articles/{quote(article['slug'])}")
            assert single.status_code == 404

    def test_ready(self, demo_server: str) -> None:
        assert httpx.get(f"{demo_server}/readyz").status_code == 200


def test_two_workers_serve_the_same_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'news.db'}"
    akhbar("migrate", database_url=url)
    akhbar("demo", database_url=url)

    with running_server(url, workers=2) as base_url:
        answers = [httpx.get(f"{base_url}/v1/categories").json() for _ in range(6)]

    assert all(answer == answers[0] for answer in answers)
    assert len(answers[0]["data"]) == len(demo_content()["categories"])
