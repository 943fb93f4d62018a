"""The OpenAPI schema is part of the product: committed, complete, and browsable offline."""

import json
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from fastapi.testclient import TestClient

from app.cli import OPENAPI_PATH
from app.core.config import Settings
from app.http.openapi import render_openapi
from app.main import create_app

ARABIC = re.compile(r"[\u0600-\u06FF]")


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    """The schema and docs pages need no database: one app, not one per backend."""
    unused = f"sqlite:///{tmp_path / 'unused.db'}"
    app = create_app(Settings(database_url=unused, webhooks_worker=False))
    with TestClient(app) as client:
        yield client


@pytest.fixture
def schema(client: TestClient) -> dict:
    return client.get("/openapi.json").json()


def operations(schema: dict) -> list[dict]:
    return [op for path in schema["paths"].values() for op in path.values()]


class TestSchema:
    def test_committed_file_is_current(self, client: TestClient) -> None:
        committed = Path(OPENAPI_PATH).read_text(encoding="utf-8")

        assert committed == render_openapi(client.app), (  # type: ignore[arg-type]
            "openapi/openapi.json is out of date: run `make openapi`"
        )

    def test_served_schema_is_the_committed_one(self, schema: dict) -> None:
        assert schema == json.loads(Path(OPENAPI_PATH).read_text(encoding="utf-8"))

    def test_operation_ids_are_unique_snake_case_names(self, schema: dict) -> None:
        ids = [op["operationId"] for op in operations(schema)]

        assert len(ids) == len(set(ids))
        assert all(re.fullmatch(r"[a-z]+(_[a-z]+)*", op_id) for op_id in ids), ids
        assert {"list_articles", "get_article", "list_categories", "get_category"} <= set(ids)

    def test_every_operation_has_a_summary_description_and_tag(self, schema: dict) -> None:
        for op in operations(schema):
            assert op.get("summary"), op["operationId"]
            assert op.get("description"), op["operationId"]
            assert op.get("tags"), op["operationId"]

    def test_errors_are_documented_as_problem_json(self, schema: dict) -> None:
        get_article = schema["paths"]["/v1/articles/{ref}"]["get"]

        for status in ("404", "422"):
            content = get_article["responses"][status]["content"]
            assert list(content) == ["application/problem+json"]
            assert content["application/problem+json"]["schema"] == {
                "$ref": "#/components/schemas/Problem"
            }
        assert "HTTPValidationError" not in schema["components"]["schemas"]

    def test_each_problem_has_an_example_of_its_own_status(self, schema: dict) -> None:
        examples = schema["components"]["examples"]
        seen = set()
        for op in operations(schema):
            for status, answer in op["responses"].items():
                content = answer.get("content", {}).get("application/problem+json")
                if content is None:
                    continue
                for name, example in content["examples"].items():
                    value = examples[example["$ref"].rsplit("/", 1)[1]]["value"]
                    assert value["status"] == int(status), (op["operationId"], status, name)
                    assert (
                        value["type"]
                        == "/problems/"
                        + {
                            "401": "unauthorized",
                            "403": "forbidden",
                            "404": "not-found",
                            "409": "conflict",
                            "412": "precondition-failed",
                            "413": "request-entity-too-large",
                            "415": "unsupported-media-type",
                            "422": "unprocessable-entity",
                            "429": "too-many-requests",
                            "503": "service-unavailable",
                        }[status]
                    )
                    seen.add((status, name))

        assert {("404", "arabic"), ("422", "arabic"), ("429", "arabic")} <= seen
        assert examples["problem-404-arabic"]["value"]["detail"] == (
            "لا خبر منشورًا بالعنوان 'خبر-قديم'"
        )

    def test_summaries_use_the_right_article(self, schema: dict) -> None:
        summaries = {op["operationId"]: op["summary"] for op in operations(schema)}

        assert summaries["create_author"] == "Create an author"
        assert summaries["create_category"] == "Create a category"
        assert not [s for s in summaries.values() if re.search(r"\ba [aeiou]", s)]

    def test_a_trimmed_list_keeps_its_item_types(self, schema: dict) -> None:
        answer = schema["paths"]["/v1/articles"]["get"]["responses"]["200"]
        components = schema["components"]["schemas"]

        assert answer["content"]["application/json"]["schema"] == {
            "anyOf": [
                {"$ref": "#/components/schemas/ArticlePage"},
                {"$ref": "#/components/schemas/ArticleListItemSelectionPage"},
            ]
        }
        selection = components["ArticleListItemSelection"]
        assert selection["properties"] == components["ArticleListItem"]["properties"]
        assert "required" not in selection

    def test_ticker_events_carry_a_ticker_page(self, schema: dict) -> None:
        stream = schema["paths"]["/v1/ticker/stream"]["get"]["responses"]["200"]
        item = stream["content"]["text/event-stream"]["itemSchema"]

        assert item["properties"]["data"]["contentSchema"] == {
            "$ref": "#/components/schemas/TickerPage"
        }
        assert item["properties"]["event"]["const"] == "ticker"

    def test_links_lead_from_what_is_made_to_what_it_makes_possible(self, schema: dict) -> None:
        by_id = {op["operationId"]: op for op in operations(schema)}
        found = {}
        for op in operations(schema):
            for status, answer in op["responses"].items():
                if "links" not in answer:
                    continue
                model = answer["content"]["application/json"]["schema"]["$ref"]
                fields = schema["components"]["schemas"][model.split("/")[-1]]
                for name, link in answer["links"].items():
                    target = by_id[link["operationId"]]
                    [(parameter, expression)] = link["parameters"].items()
                    assert parameter in [p["name"] for p in target["parameters"]], name
                    assert expression.removeprefix("$response.body#/") in fields["properties"]
                    found.setdefault((op["operationId"], status), set()).add(name)

        assert found[("create_article", "201")] == {"read", "edit", "delete", "revisions"}
        assert found[("post_comment", "202")] == {"moderate", "remove"}
        assert found[("create_webhook", "201")] == {
            "read",
            "edit",
            "delete",
            "ping",
            "deliveries",
        }
        assert found[("create_tag", "201")] == {"read", "edit", "delete"}
        assert len(found) == 10

    def test_examples_are_in_arabic(self, schema: dict) -> None:
        article = schema["components"]["schemas"]["ArticlePublic"]["properties"]

        assert ARABIC.search(article["title"]["examples"][0])
        assert ARABIC.search(article["slug"]["examples"][0])


class _AssetCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline: list[str] = []
        self._in_script_or_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "script" and values.get("src"):
            self.urls.append(str(values["src"]))
        if tag == "link" and values.get("href"):
            self.urls.append(str(values["href"]))
        if tag == "img" and values.get("src"):
            self.urls.append(str(values["src"]))
        self._in_script_or_style = tag in {"script", "style"}

    def handle_data(self, data: str) -> None:
        if self._in_script_or_style:
            self.inline.append(data)


CSS_URL = re.compile(r"""url\(\s*['"]?([^'")]+)['"]?\s*\)""")
IMPORT_OR_FONT = re.compile(r"""(?:@import\s+['"]|['"])(https?://[^'"]+)""")


class TestDocsPagesWorkOffline:
    @pytest.mark.parametrize("page", ["/docs", "/redoc"])
    def test_every_asset_is_served_by_the_app(self, client: TestClient, page: str) -> None:
        response = client.get(page)
        assert response.status_code == 200
        collector = _AssetCollector()
        collector.feed(response.text)
        inline = "\n".join(collector.inline)
        urls = collector.urls + CSS_URL.findall(inline) + IMPORT_OR_FONT.findall(inline)
        # The spec the page loads, as configured in its inline script.
        urls += re.findall(r"""(?:url|spec-url)\s*[:=]\s*['"]([^'"]+)['"]""", response.text)

        assert len(urls) >= 3, urls
        for url in urls:
            if url.startswith("data:"):
                continue
            parts = urlsplit(url)
            assert (parts.scheme, parts.netloc) == ("", ""), f"{page} loads {url} from elsewhere"
            asset = client.get(urljoin(page, url))
            assert asset.status_code == 200, url
            if url.endswith(".css"):
                self._assert_css_is_local(client, urljoin(page, url), asset.text)

    @staticmethod
    def _assert_css_is_local(client: TestClient, css_path: str, css: str) -> None:
        for url in CSS_URL.findall(css):
            if url.startswith("data:"):
                continue
            assert not urlsplit(url).netloc, f"{css_path} loads {url} from elsewhere"
            assert client.get(urljoin(css_path, url)).status_code == 200, url


class TestSecurityScheme:
    def test_bearer_scheme_for_swagger_authorize(self, schema: dict) -> None:
        assert schema["components"]["securitySchemes"] == {
            "bearerToken": {
                "type": "http",
                "scheme": "bearer",
                "description": "An API token (`akh_...`), minted with `akhbar tokens create` "
                "or `POST /v1/tokens`.",
            }
        }

    def test_writes_require_the_token_and_reads_take_it_optionally(self, schema: dict) -> None:
        paths = schema["paths"]

        assert paths["/v1/articles"]["post"]["security"] == [{"bearerToken": []}]
        assert paths["/v1/tokens"]["get"]["security"] == [{"bearerToken": []}]
        assert paths["/v1/articles"]["get"]["security"] == [{}, {"bearerToken": []}]
        assert paths["/v1/articles/{ref}"]["get"]["security"] == [{}, {"bearerToken": []}]
        assert "security" not in paths["/v1/categories"]["get"]
        for status in ("401", "403"):
            assert status in paths["/v1/articles/{ref}"]["patch"]["responses"]
