"""`akhbar import wordpress --media`: the pictures of an export come into the media
library, once, from a real HTTP server on 127.0.0.1 standing in for the old site."""

import subprocess
import threading
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.core.config import Settings
from app.models import Media
from tests.importer.test_wxr_import import FAIR, SITE, VISIT
from tests.media import pictures
from tests.server import AKHBAR, clean_environment

OLD_HOST = "https://akhbar-test.example/wp-content/uploads"
FILES = {
    "/wp-content/uploads/2025/03/book-fair.jpg": pictures.jpeg(1200, 800),
    "/wp-content/uploads/2025/03/visit.jpg": pictures.jpeg(640, 427),
}


class OldSite:
    """The old site's uploads folder: what it serves, and what it was asked for."""

    def __init__(self) -> None:
        self.files = dict(FILES)
        self.hits: Counter[str] = Counter()
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                site.hits[self.path] += 1
                data = site.files.get(self.path)
                self.send_response(200 if data is not None else 404)
                self.send_header("Content-Type", "image/jpeg")
                self.send_header("Content-Length", str(len(data or b"")))
                self.end_headers()
                self.wfile.write(data or b"")

            def log_message(self, *_args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}/wp-content/uploads"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def old_site() -> Iterator[OldSite]:
    site = OldSite()
    yield site
    site.server.shutdown()
    site.server.server_close()


@pytest.fixture
def export(old_site: OldSite, tmp_path: Path) -> Path:
    """The test export, its pictures on the old site."""
    path = tmp_path / "site.xml"
    path.write_text(SITE.read_text(encoding="utf-8").replace(OLD_HOST, old_site.base))
    return path


def run_import(settings: Settings, export: Path, *options: str) -> str:
    env = clean_environment(
        AKHBAR_DATABASE_URL=settings.database_url, AKHBAR_MEDIA_DIR=str(settings.media_dir)
    )
    done = subprocess.run(
        [AKHBAR, "import", "wordpress", str(export), *options],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def pictures_lines(report: str) -> list[str]:
    return [line for line in report.splitlines() if line.startswith("picture")]


def test_the_pictures_come_into_the_library_once_and_the_bodies_show_them(
    settings: Settings, client: TestClient, session: Session, export: Path, old_site: OldSite
) -> None:
    first = run_import(settings, export, "--media", "--media-from-private-addresses")

    assert pictures_lines(first) == [
        "pictures: 2 brought in, 0 already in the library, 0 not to be had "
        "(their articles keep the address)"
    ]
    fair = client.get(f"/v1/articles/{quote(FAIR)}").json()
    image = fair["featured_image"]
    assert image["media_id"] is not None
    assert (image["width"], image["height"]) == (1200, 800)
    assert (image["alt"], image["caption"]) == (
        "أجنحة معرض الكتاب مزدحمة بالزوار",
        "زوار المعرض في يومه الأول",
    )
    assert client.get(image["url"]).status_code == 200
    visit = client.get(f"/v1/articles/{quote(VISIT)}").json()
    assert old_site.base not in visit["body"]
    assert 'alt="الوزير في المطار"' in visit["body"]
    assert 'loading="lazy"' in visit["body"]
    sources = session.exec(select(Media.source_url).order_by(Media.id)).all()
    assert sources == [
        f"{old_site.base}/2025/03/book-fair.jpg",
        f"{old_site.base}/2025/03/visit.jpg",
    ]
    assert sum(old_site.hits.values()) == 2

    again = run_import(settings, export, "--media", "--media-from-private-addresses")

    assert pictures_lines(again) == [
        "pictures: 0 brought in, 2 already in the library, 0 not to be had "
        "(their articles keep the address)"
    ]
    assert "posts              0        0          6" in again
    assert sum(old_site.hits.values()) == 2  # nothing downloaded again


def test_a_picture_that_cannot_be_had_is_reported_and_its_article_keeps_the_address(
    settings: Settings, client: TestClient, export: Path, old_site: OldSite
) -> None:
    del old_site.files["/wp-content/uploads/2025/03/visit.jpg"]

    report = run_import(settings, export, "--media", "--media-from-private-addresses")

    assert pictures_lines(report) == [
        "pictures: 1 brought in, 0 already in the library, 1 not to be had "
        "(their articles keep the address)",
        f"picture not brought in: {old_site.base}/2025/03/visit.jpg: HTTP 404 Not Found",
    ]
    assert old_site.hits["/wp-content/uploads/2025/03/visit.jpg"] == 1  # a 404 is not retried
    visit = client.get(f"/v1/articles/{quote(VISIT)}").json()
    assert f'src="{old_site.base}/2025/03/visit.jpg"' in visit["body"]


def test_private_addresses_are_refused_unless_the_operator_allows_them(
    settings: Settings, client: TestClient, export: Path, old_site: OldSite
) -> None:
    report = run_import(settings, export, "--media")

    assert pictures_lines(report) == [
        "pictures: 0 brought in, 0 already in the library, 2 not to be had "
        "(their articles keep the address)",
        f"picture not brought in: {old_site.base}/2025/03/book-fair.jpg: "
        "127.0.0.1 is 127.0.0.1, not a public address",
        f"picture not brought in: {old_site.base}/2025/03/visit.jpg: "
        "127.0.0.1 is 127.0.0.1, not a public address",
    ]
    assert sum(old_site.hits.values()) == 0
    fair = client.get(f"/v1/articles/{quote(FAIR)}").json()
    assert fair["featured_image"]["url"] == f"{old_site.base}/2025/03/book-fair.jpg"
    assert fair["featured_image"]["media_id"] is None
