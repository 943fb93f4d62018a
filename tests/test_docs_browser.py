"""/docs and /redoc render in a real browser with the network cut off.

Every request that reaches the network for anything but the app itself is aborted and
recorded: the test fails if there is any, or if the page does not render the operations.
(ReDoc's footer logo lives on a CDN; the page's Content-Security-Policy stops it in the
browser, before it is a request, and ReDoc then shows no logo.)
"""

import os
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import httpx2 as httpx
import pytest
from playwright.sync_api import Browser, Page, Route, expect, sync_playwright

from tests.media import pictures
from tests.server import akhbar, running_server

CHROMIUM = os.environ.get("AKHBAR_TEST_CHROMIUM") or shutil.which("chromium")
# The flags keep Chromium from calling home; without them its own background requests
# (updates, safe browsing) would be refused by this closed network, many at a time.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if CHROMIUM is None:
        reason = "Chromium is not installed (`make browser` installs Debian's chromium)"
        if os.environ.get("AKHBAR_TEST_BROWSER") == "required":
            pytest.fail(reason)
        pytest.skip(reason)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    database = tmp_path_factory.mktemp("docs") / "unused.db"
    with running_server(f"sqlite:///{database}") as url:
        yield url


@pytest.fixture
def offline_page(browser: Browser, base_url: str) -> Iterator[tuple[Page, list[str]]]:
    """A page that can reach the app and nothing else; the list collects what it tried."""
    with _offline(browser, base_url) as page_and_tries:
        yield page_and_tries


@contextmanager
def _offline(browser: Browser, base_url: str) -> Iterator[tuple[Page, list[str]]]:
    app_host = urlsplit(base_url).netloc
    elsewhere: list[str] = []

    def cut_off(route: Route) -> None:
        url = route.request.url
        if urlsplit(url).netloc == app_host or url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            elsewhere.append(url)
            route.abort("internetdisconnected")

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.route("**/*", cut_off)
    page = context.new_page()
    yield page, elsewhere
    context.close()


class TestDocsPagesOffline:
    def test_swagger_ui_renders_every_operation(
        self, offline_page: tuple[Page, list[str]], base_url: str
    ) -> None:
        page, elsewhere = offline_page
        schema = httpx.get(f"{base_url}/openapi.json").json()
        # The API's operations, and the webhook events it sends (Swagger UI lists both).
        operation_count = sum(
            len(path) for part in ("paths", "webhooks") for path in schema[part].values()
        )

        page.goto(f"{base_url}/docs")
        page.locator("#operations-articles-list_articles").wait_for(timeout=15_000)

        assert page.locator(".opblock").count() == operation_count
        assert page.locator(".opblock-summary-description", has_text="Get an article").count() == 1
        assert sorted(set(elsewhere)) == []

    def test_redoc_renders_the_operations(
        self, offline_page: tuple[Page, list[str]], base_url: str
    ) -> None:
        page, elsewhere = offline_page

        page.goto(f"{base_url}/redoc")
        page.locator("h2", has_text="List articles").wait_for(timeout=15_000)

        assert page.locator("h2", has_text="Get an article").count() == 1
        expect(page.locator("img[alt='redocly logo']")).to_have_count(0)
        assert sorted(set(elsewhere)) == []

    def test_swagger_ui_uploads_a_picture(self, browser: Browser, tmp_path: Path) -> None:
        """The multipart form of `POST /v1/media` is documented well enough that Swagger
        UI offers a file chooser and sends it."""
        url = f"sqlite:///{tmp_path / 'akhbar.db'}"
        akhbar("migrate", database_url=url)
        made = akhbar(
            "tokens", "create", "--name", "docs", "--scope", "media:write", database_url=url
        )
        secret = made.stdout.splitlines()[-1].strip()
        with running_server(url) as base, _offline(browser, base) as (page, elsewhere):
            page.goto(f"{base}/docs")
            page.locator("button.authorize").first.click()
            page.locator(".auth-container input").first.fill(secret)
            page.locator(".auth-btn-wrapper button.authorize").click()
            page.locator("button.btn-done").click()
            operation = page.locator("#operations-media-upload_media")
            operation.locator(".opblock-summary").click()
            operation.locator("button.try-out__btn").click()
            operation.locator("input[type=file]").set_input_files(
                files=[
                    {
                        "name": "souq.jpg",
                        "mimeType": "image/jpeg",
                        "buffer": pictures.jpeg(400, 300),
                    }
                ]
            )
            operation.locator("tr[data-param-name=alt] input, input[placeholder^=alt]").first.fill(
                "سوق المدينة"
            )
            operation.locator("button.execute").click()
            status = operation.locator(".live-responses-table tr.response .response-col_status")
            expect(status).to_have_text("201", timeout=15_000)
        assert sorted(set(elsewhere)) == []
        with sqlite3.connect(tmp_path / "akhbar.db") as database:
            rows = database.execute("SELECT alt, width, height FROM media").fetchall()
        assert rows == [("سوق المدينة", 400, 300)]
