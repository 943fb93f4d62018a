"""Editors uploading, listing, changing and deleting pictures; the files as served."""

import io
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlmodel import Session, select

from app.auth.scopes import Scope
from app.core.config import Settings
from app.core.db import unit_of_work
from app.main import create_app
from app.media.library import MediaLibrary
from app.media.service import sweep
from app.media.storage import LocalStorage
from app.models import Article, Author, Media
from app.models.media import serve_files_from
from tests.factories import bearer, make_article, make_author, make_token
from tests.media import pictures
from tests.media.conftest import stored, upload

WIDTHS = [1280, 960, 640, 320]


def _sizes(body: dict, kind: str, content_type: str, aspect: str | None = None) -> list:
    return [
        (f["width"], f["height"])
        for f in body["renditions"]
        if f["kind"] == kind and f["content_type"] == content_type and f.get("aspect") == aspect
    ]


class TestUploadMedia:
    def test_a_photo_is_served_upright_in_every_size_without_its_metadata(
        self, client: TestClient, session: Session, editor: dict, library: MediaLibrary
    ) -> None:
        # Taken on its side (EXIF orientation 6: turn 90° clockwise to show), with a GPS
        # position.
        data = pictures.jpeg_with_gps(1600, 1200, orientation=6)

        response = upload(
            client,
            editor,
            data,
            caption="الباعة يعودون",
            credit="تصوير: ليلى",
            focal_point="0.5,0.25",
        )

        assert response.status_code == 201, response.text
        body = response.json()
        assert response.headers["location"] == f"/v1/media/{body['id']}"
        assert (body["format"], body["width"], body["height"]) == ("jpeg", 1200, 1600)
        assert (body["alt"], body["caption"], body["credit"]) == (
            "سوق المدينة القديمة صباحاً",
            "الباعة يعودون",
            "تصوير: ليلى",
        )
        assert body["focal_point"] == {"x": 0.5, "y": 0.25}
        assert body["animated"] is False
        assert _sizes(body, "original", "image/jpeg") == [(1200, 1600)]
        expected = [(w, round(1600 * w / 1200)) for w in [960, 640, 320]]
        assert _sizes(body, "width", "image/webp") == expected
        assert _sizes(body, "width", "image/jpeg") == expected
        assert _sizes(body, "crop", "image/webp", "16:9") == [(960, 540), (640, 360), (320, 180)]
        assert _sizes(body, "crop", "image/webp", "1:1") == [(960, 960), (640, 640), (320, 320)]
        assert body["url"] == body["renditions"][0]["url"]
        assert body["placeholder"].startswith("data:image/webp;base64,")
        assert len(body["placeholder"]) < 1000
        assert body["dominant_color"].startswith("#")
        assert len(body["dominant_color"]) == 7
        assert len(stored(library)) == len(body["renditions"]) == 13

        for rendition in body["renditions"]:
            served = client.get(rendition["url"])
            assert served.status_code == 200
            assert served.headers["content-type"] == rendition["content_type"]
            assert int(served.headers["content-length"]) == rendition["bytes"]
            image = Image.open(io.BytesIO(served.content))
            assert image.size == (rendition["width"], rendition["height"])
            # Nothing of the camera's: no EXIF (so no GPS), no comment, no XMP.
            assert not image.getexif()
            assert "comment" not in image.info
            assert "xmp" not in image.info
            for needle in (b"Exif", b"AkhbarCam", b"secret location", b"GPS"):
                assert needle not in served.content

        # Upright: the top-left quarter drawn red is now at the top right.
        original = Image.open(io.BytesIO(client.get(body["url"]).content)).convert("RGB")
        red, green, blue = original.getpixel((1200 - 100, 100))
        assert red > 180
        assert green < 110
        assert blue < 100

        row = session.exec(select(Media)).one()
        assert row.checksum
        assert row.total_bytes == sum({f["url"]: f["bytes"] for f in body["renditions"]}.values())
        metrics = client.get("/metrics").text
        assert 'akhbar_media_uploads_total{format="jpeg"} 1.0' in metrics
        assert f"akhbar_media_stored_bytes_total {float(row.total_bytes)}" in metrics
        assert "akhbar_media_processing_seconds_count 1.0" in metrics

    def test_a_png_graphic_keeps_its_transparency_in_png(
        self, client: TestClient, editor: dict
    ) -> None:
        image = pictures.drawing(700, 400).convert("RGBA")
        image.putpixel((0, 0), (0, 0, 0, 0))

        body = upload(client, editor, pictures.encode(image, "PNG"), filename="x.png").json()

        assert _sizes(body, "original", "image/png") == [(700, 400)]
        assert _sizes(body, "width", "image/png") == [(640, 366), (320, 183)]
        assert Image.open(io.BytesIO(client.get(body["url"]).content)).mode == "RGBA"

    @pytest.mark.parametrize(
        ("format_", "family"),
        [("WEBP", "image/jpeg"), ("AVIF", "image/jpeg"), ("GIF", "image/png")],
    )
    def test_webp_avif_and_still_gif_are_taken(
        self, client: TestClient, editor: dict, format_: str, family: str
    ) -> None:
        data = pictures.encode(pictures.drawing(700, 500), format_)

        response = upload(client, editor, data, filename="x.bin")

        assert response.status_code == 201, response.text
        body = response.json()
        assert (body["format"], body["width"], body["height"]) == (format_.lower(), 700, 500)
        assert _sizes(body, "width", family) == [(640, 457), (320, 229)]

    def test_a_small_picture_is_never_upscaled(self, client: TestClient, editor: dict) -> None:
        body = upload(client, editor, pictures.jpeg(200, 100)).json()

        assert _sizes(body, "width", "image/webp") == [(200, 100)]
        assert _sizes(body, "crop", "image/webp", "16:9") == [(178, 100)]
        assert _sizes(body, "crop", "image/webp", "1:1") == [(100, 100)]

    @pytest.mark.parametrize(
        ("make", "format_", "size"),
        [
            (pictures.cmyk_jpeg, "jpeg", (640, 480)),
            (pictures.sixteen_bit_png, "png", (400, 300)),
        ],
    )
    def test_unusual_colour_is_served_as_8_bit_srgb(
        self, client: TestClient, editor: dict, make, format_: str, size: tuple
    ) -> None:
        response = upload(client, editor, make())

        assert response.status_code == 201, response.text
        body = response.json()
        assert (body["format"], body["width"], body["height"]) == (format_, *size)
        served = Image.open(io.BytesIO(client.get(body["url"]).content))
        assert served.mode == "RGB"
        if format_ == "png":  # the 16-bit ramp, scaled to 8 bits rather than clipped
            assert served.getpixel((0, 0)) == (0, 0, 0)
            assert served.getpixel((399, 0)) == (255, 255, 255)
            assert served.getpixel((200, 0))[0] in range(120, 136)

    def test_an_animated_gif_keeps_its_animation_and_is_resized_from_its_first_frame(
        self, client: TestClient, editor: dict
    ) -> None:
        response = upload(client, editor, pictures.animated_gif(), filename="a.gif")

        assert response.status_code == 201, response.text
        body = response.json()
        assert (body["format"], body["animated"]) == ("gif", True)
        original = client.get(body["url"])
        assert original.headers["content-type"] == "image/gif"
        assert b"remembers you" not in original.content
        assert Image.open(io.BytesIO(original.content)).n_frames == 4
        assert _sizes(body, "width", "image/png") == [(120, 90)]
        first = Image.open(io.BytesIO(client.get(_url(body, "image/png")).content))
        assert first.convert("RGB").getpixel((60, 45)) == (0, 200, 90)

    def test_without_a_token_is_401_and_without_the_scope_403(
        self, client: TestClient, session: Session, library: MediaLibrary
    ) -> None:
        assert upload(client, {}, pictures.jpeg(100, 100)).status_code == 401
        other = bearer(make_token(session, Scope.articles_write))
        assert upload(client, other, pictures.jpeg(100, 100)).status_code == 403
        admin = bearer(make_token(session, Scope.admin))
        assert upload(client, admin, pictures.jpeg(100, 100)).status_code == 201

    def test_alt_is_required(self, client: TestClient, editor: dict) -> None:
        response = client.post(
            "/v1/media", files={"file": ("a.jpg", pictures.jpeg(100, 100))}, headers=editor
        )

        assert response.status_code == 422
        assert [e["loc"] for e in response.json()["errors"]] == [["body", "alt"]]


def _files(body: dict) -> int:
    """How many files the picture has (a small picture's width in JPEG is its original)."""
    return len({f["url"] for f in body["renditions"]})


def _url(body: dict, content_type: str) -> str:
    return next(f["url"] for f in body["renditions"] if f["content_type"] == content_type)


class TestHostileFiles:
    @pytest.mark.parametrize(
        ("data", "status", "detail"),
        [
            (pictures.SVG_WITH_SCRIPT, 415, "the file is an SVG image"),
            (pictures.PDF, 415, "the file is a PDF document"),
            (pictures.HTML, 415, "the file is an HTML document"),
            (pictures.EXECUTABLE, 415, "the file is an ELF executable"),
            (pictures.HEIC, 415, "the file is a HEIC/HEIF image: export it as JPEG first"),
            (pictures.polyglot(), 422, "the file is a JPEG image that also holds markup"),
            (pictures.truncated_jpeg(), 422, "the file is a JPEG image that is truncated"),
            (pictures.png_header_only(100_000, 100_000), 422, "the image is 100000×100000"),
            (pictures.decompression_bomb(), 422, "the image is 10000×10000 (100,000,000 pixels)"),
        ],
        ids=["svg", "pdf", "html", "elf", "heic", "polyglot", "truncated", "huge-header", "bomb"],
    )
    def test_is_refused_and_nothing_is_stored(
        self,
        client: TestClient,
        session: Session,
        editor: dict,
        library: MediaLibrary,
        data: bytes,
        status: int,
        detail: str,
    ) -> None:
        # The name and the declared type say JPEG: neither is believed.
        response = upload(client, editor, data, filename="holiday.jpg")

        assert response.status_code == status, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["detail"].startswith(detail)
        assert session.exec(select(Media)).all() == []
        assert stored(library) == []

    def test_a_file_over_the_limit_is_413_before_it_is_read(
        self, client: TestClient, session: Session, editor: dict, library: MediaLibrary
    ) -> None:
        data = pictures.jpeg(100, 100) + bytes(30 << 20)  # 30 MiB

        response = upload(client, editor, data)

        assert response.status_code == 413
        assert response.headers["content-type"] == "application/problem+json"
        assert session.exec(select(Media)).all() == []
        assert stored(library) == []


class TestServedFiles:
    def test_conditional_and_ranged_requests(
        self, client: TestClient, editor: dict, library: MediaLibrary
    ) -> None:
        body = upload(client, editor, pictures.jpeg(700, 500)).json()
        url = _url(body, "image/webp")

        first = client.get(url)
        assert first.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert first.headers["x-content-type-options"] == "nosniff"
        assert "sandbox" in first.headers["content-security-policy"]
        etag = first.headers["etag"]

        again = client.get(url, headers={"If-None-Match": etag})
        assert again.status_code == 304
        assert again.content == b""

        part = client.get(url, headers={"Range": "bytes=0-9"})
        if isinstance(library.storage, LocalStorage):
            assert part.status_code == 206
            assert part.content == first.content[:10]
            assert part.headers["content-range"] == f"bytes 0-9/{len(first.content)}"
        else:  # from a bucket, the whole file
            assert (part.status_code, part.content) == (200, first.content)

    @pytest.mark.parametrize(
        "path",
        [
            "/media/../../etc/passwd",
            "/media/1/..%2f..%2fakhbar.db",
            "/media/1/0123456789abcdef0123-10x10.html",
            "/media/999/0123456789abcdef0123-10x10.webp",
        ],
    )
    def test_anything_else_is_404(self, client: TestClient, path: str) -> None:
        assert client.get(path).status_code == 404


class TestListMedia:
    def test_newest_first_with_filters_and_pages(
        self, client: TestClient, session: Session, editor: dict
    ) -> None:
        first = upload(client, editor, pictures.jpeg(100, 80), alt="مسجد الأمويين").json()
        second = upload(client, editor, pictures.png(90, 60), alt="خريطة المدينة").json()
        third = upload(
            client, editor, pictures.jpeg(120, 80), alt="سوق", caption="اسواق حلب"
        ).json()
        article = make_article(session)
        with unit_of_work(session):
            article.featured_image_media_id = first["id"]

        def ids(query: str) -> list[int]:
            response = client.get(f"/v1/media{query}", headers=editor)
            assert response.status_code == 200, response.text
            return [item["id"] for item in response.json()["data"]]

        assert ids("") == [third["id"], second["id"], first["id"]]
        assert ids("?format=png") == [second["id"]]
        assert ids("?q=الامويين") == [first["id"]]  # any spelling of the hamza
        assert ids("?q=أسواق") == [third["id"]]
        assert ids("?unused=true") == [third["id"], second["id"]]
        assert ids("?unused=false") == [first["id"]]
        page = client.get("/v1/media?limit=2", headers=editor).json()
        assert [m["id"] for m in page["data"]] == [third["id"], second["id"]]
        rest = client.get(f"/v1/media?limit=2&cursor={page['meta']['next_cursor']}", headers=editor)
        assert [m["id"] for m in rest.json()["data"]] == [first["id"]]
        assert client.get("/v1/media").status_code == 401
        assert client.get(f"/v1/media/{first['id']}", headers=editor).json() == first
        assert client.get("/v1/media/9999", headers=editor).status_code == 404


class TestUpdateMedia:
    def test_a_new_focal_point_makes_new_crops_and_removes_the_old(
        self, client: TestClient, editor: dict, library: MediaLibrary
    ) -> None:
        body = upload(client, editor, pictures.jpeg(1600, 900)).json()
        before = {f["url"] for f in body["renditions"]}

        response = client.patch(
            f"/v1/media/{body['id']}",
            json={"alt": "ساحة المدينة", "focal_point": {"x": 0.1, "y": 0.5}},
            headers=editor,
        )

        assert response.status_code == 200, response.text
        after = response.json()
        assert after["alt"] == "ساحة المدينة"
        assert after["focal_point"] == {"x": 0.1, "y": 0.5}
        crops_before = {f["url"] for f in body["renditions"] if f["kind"] == "crop"}
        crops_after = {f["url"] for f in after["renditions"] if f["kind"] == "crop"}
        # Every crop is made again, from the stored original (the square ones move left).
        assert len(crops_after) == 6
        assert not crops_after & crops_before
        kept = {f["url"] for f in after["renditions"] if f["kind"] != "crop"}
        assert kept <= before
        assert len(stored(library)) == _files(after)
        # Gone, but for the 16:9 crops of a 16:9 picture: the very files of its widths.
        gone = crops_before - crops_after - kept
        assert len(gone) == 2  # 640 and 320 square: 900 × 900 is the largest
        for url in gone:
            assert client.get(url).status_code == 404

    def test_bad_input_changes_nothing(self, client: TestClient, editor: dict) -> None:
        body = upload(client, editor, pictures.jpeg(300, 200)).json()

        for change in (
            {"focal_point": {"x": 1.5, "y": 0}},
            {"alt": ""},
            {"alt": None},
            {"focal_point": None},
            {"width": 3},
        ):
            response = client.patch(f"/v1/media/{body['id']}", json=change, headers=editor)
            assert response.status_code == 422
        assert client.get(f"/v1/media/{body['id']}", headers=editor).json() == body


class TestDeleteMedia:
    def test_refused_while_used_then_detached_and_its_files_go(
        self, client: TestClient, session: Session, editor: dict, library: MediaLibrary
    ) -> None:
        body = upload(client, editor, pictures.jpeg(300, 200)).json()
        article, author = make_article(session), make_author(session)
        with unit_of_work(session):
            article.featured_image_media_id = author.avatar_media_id = body["id"]
        url = f"/v1/media/{body['id']}"
        assert client.get(body["url"]).status_code == 200  # now in the worker's memory too

        refused = client.delete(url, headers=editor)
        assert refused.status_code == 409
        assert refused.json()["detail"] == (
            f"the picture {body['id']} is used by 1 article and 1 author: pass detach=true "
            "to take it off them"
        )
        assert len(stored(library)) == _files(body)

        assert client.delete(f"{url}?detach=true", headers=editor).status_code == 204
        session.expire_all()
        assert session.get(Article, article.id).featured_image_media_id is None
        assert session.get(Author, author.id).avatar_media_id is None
        assert session.exec(select(Media)).all() == []
        assert stored(library) == []
        assert client.get(body["url"]).status_code == 404
        assert client.delete(url, headers=editor).status_code == 404


class TestSweep:
    def test_lists_and_removes_only_old_files_no_picture_points_to(
        self, client: TestClient, session: Session, editor: dict, library: MediaLibrary
    ) -> None:
        body = upload(client, editor, pictures.jpeg(300, 200)).json()
        stray = "77/0123456789abcdef0123-10x10.webp"
        library.storage.put(stray, b"left by a crash", "image/webp")
        library.storage.put("notes.txt", b"not ours", "text/plain")

        assert sweep(session, library) == []  # too new: an upload may be under way
        strays = sweep(session, library, grace=timedelta(0))
        assert strays == [stray]
        library.storage.delete(strays)

        assert stored(library) == sorted(
            {f["url"].removeprefix("/media/") for f in body["renditions"]} | {"notes.txt"}
        )


class TestArticlesShowPictures:
    @pytest.fixture
    def writer(self, session: Session) -> dict[str, str]:
        return bearer(make_token(session, Scope.articles_write, Scope.media_write))

    def _article_with(self, client: TestClient, writer: dict, image: dict) -> dict:
        response = client.post(
            "/v1/articles",
            json={"title": "سوق الحرير يعود", "status": "published", "featured_image": image},
            headers=writer,
        )
        assert response.status_code == 201, response.text
        return response.json()

    def test_the_article_and_its_list_item_carry_the_picture_and_its_files(
        self, client: TestClient, writer: dict
    ) -> None:
        picture = upload(client, writer, pictures.jpeg(1000, 600), credit="تصوير: سامر").json()

        article = self._article_with(
            client, writer, {"media_id": picture["id"], "caption": "الباعة في الصباح"}
        )

        expected = {
            "media_id": picture["id"],
            "url": picture["url"],
            "alt": "سوق المدينة القديمة صباحاً",  # the picture's
            "caption": "الباعة في الصباح",  # the article's own
            "credit": "تصوير: سامر",
            "width": 1000,
            "height": 600,
            "renditions": picture["renditions"],
            "placeholder": picture["placeholder"],
            "dominant_color": picture["dominant_color"],
        }
        public = client.get(f"/v1/articles/{article['id']}")
        assert public.json()["featured_image"] == expected
        assert f"media-{picture['id']}" in public.headers["surrogate-key"].split()
        (item,) = client.get("/v1/articles").json()["data"]
        assert item["featured_image"] == expected
        revisions = client.get(f"/v1/articles/{article['id']}/revisions", headers=writer).json()
        assert revisions["data"] == []  # the first version is the article itself

        changed = client.patch(
            f"/v1/articles/{article['id']}", json={"title": "سوق الحرير"}, headers=writer
        )
        (revision,) = client.get(f"/v1/articles/{article['id']}/revisions", headers=writer).json()[
            "data"
        ]
        assert changed.status_code == 200
        assert revision["snapshot"]["featured_image"] == {
            "media_id": picture["id"],
            "url": None,
            "alt": None,  # the picture's, whatever it will be
            "caption": "الباعة في الصباح",
            "credit": None,
        }

    def test_a_change_of_the_picture_is_a_new_version_of_the_article(
        self, client: TestClient, writer: dict
    ) -> None:
        picture = upload(client, writer, pictures.jpeg(400, 300)).json()
        article = self._article_with(client, writer, {"media_id": picture["id"]})

        client.patch(f"/v1/media/{picture['id']}", json={"alt": "ساحة السوق"}, headers=writer)

        public = client.get(f"/v1/articles/{article['id']}").json()
        assert public["version"] == article["version"] + 1
        assert public["featured_image"]["alt"] == "ساحة السوق"

        deleted = client.delete(f"/v1/media/{picture['id']}?detach=true", headers=writer)
        assert deleted.status_code == 204
        public = client.get(f"/v1/articles/{article['id']}").json()
        assert public["version"] == article["version"] + 2
        assert public["featured_image"] is None

    @pytest.mark.parametrize(
        ("image", "loc"),
        [
            ({"media_id": 999}, ["body", "featured_image", "media_id"]),
            ({"media_id": 1, "url": "https://x.example/a.jpg"}, ["body", "featured_image"]),
            ({"alt": "صورة"}, ["body", "featured_image"]),
        ],
    )
    def test_a_picture_that_is_not_there_or_two_sources_is_422(
        self, client: TestClient, session: Session, writer: dict, image: dict, loc: list
    ) -> None:
        upload(client, writer, pictures.jpeg(100, 100))
        response = client.post(
            "/v1/articles", json={"title": "خبر", "featured_image": image}, headers=writer
        )

        assert response.status_code == 422
        assert [e["loc"] for e in response.json()["errors"]] == [loc]
        assert session.exec(select(Article)).all() == []


class TestAuthorAvatars:
    @pytest.fixture
    def writer(self, session: Session) -> dict[str, str]:
        return bearer(make_token(session, Scope.taxonomy_write, Scope.media_write))

    def test_an_author_shows_a_picture_of_the_library(
        self, client: TestClient, writer: dict
    ) -> None:
        picture = upload(client, writer, pictures.jpeg(900, 900), alt="صورة سلمى").json()

        created = client.post(
            "/v1/authors",
            json={"name": "سلمى الخطيب", "avatar_media_id": picture["id"]},
            headers=writer,
        )

        assert created.status_code == 201, created.text
        public = client.get(created.headers["location"]).json()
        assert public["avatar_url"] == picture["url"]
        assert public["avatar"] == {
            "media_id": picture["id"],
            "url": picture["url"],
            "alt": "صورة سلمى",
            "width": 900,
            "height": 900,
            "renditions": picture["renditions"],
            "placeholder": picture["placeholder"],
            "dominant_color": picture["dominant_color"],
        }
        changed = client.patch(
            created.headers["location"],
            json={"avatar_media_id": None, "avatar_url": "https://cdn.example.com/s.jpg"},
            headers=writer,
        ).json()
        assert (changed["avatar_url"], changed["avatar"]) == ("https://cdn.example.com/s.jpg", None)

    @pytest.mark.parametrize(
        "fields",
        [{"avatar_media_id": 999}, {"avatar_media_id": 1, "avatar_url": "https://x.example/a.jpg"}],
    )
    def test_an_avatar_not_there_or_two_avatars_is_422(
        self, client: TestClient, session: Session, writer: dict, fields: dict
    ) -> None:
        upload(client, writer, pictures.jpeg(100, 100))

        response = client.post("/v1/authors", json={"name": "ليلى", **fields}, headers=writer)

        assert response.status_code == 422
        assert session.exec(select(Author)).all() == []


class TestBodyPictures:
    @pytest.fixture
    def writer(self, session: Session) -> dict[str, str]:
        return bearer(make_token(session, Scope.articles_write, Scope.media_write))

    def test_a_picture_in_the_body_is_answered_with_its_files(
        self, client: TestClient, writer: dict
    ) -> None:
        picture = upload(client, writer, pictures.jpeg(1000, 600), alt="ساحة & سوق").json()
        media_id = picture["id"]
        body = (
            f'<p>قبل الصورة</p><img data-media-id="{media_id}">'
            f'<img data-media-id="{media_id}" alt="بديل" sizes="50vw" src="https://x.example/a.jpg">'
        )

        created = client.post(
            "/v1/articles",
            json={"title": "صور السوق", "status": "published", "body": body},
            headers=writer,
        )

        assert created.status_code == 201, created.text
        files = {
            (f["content_type"], f["width"]): f["url"]
            for f in picture["renditions"]
            if f["kind"] == "width"
        }
        srcset = ", ".join(f"{files['image/webp', w]} {w}w" for w in (320, 640, 960))

        def img(alt: str, sizes: str) -> str:
            return (
                f'<img src="{files["image/jpeg", 960]}" srcset="{srcset}" sizes="{sizes}" '
                f'width="1000" height="600" alt="{alt}" loading="lazy" decoding="async" '
                f'data-media-id="{media_id}">'
            )

        public = client.get(f"/v1/articles/{created.json()['id']}").json()
        assert public["body"] == (
            "<p>قبل الصورة</p>"
            + img("ساحة &amp; سوق", "(max-width: 768px) 100vw, 768px")
            + img("بديل", "50vw")
        )
        assert client.get("/v1/media?unused=true", headers=writer).json()["data"] == []
        refused = client.delete(f"/v1/media/{media_id}", headers=writer)
        assert refused.status_code == 409
        assert "used by 1 article" in refused.json()["detail"]

        client.delete(f"/v1/media/{media_id}?detach=true", headers=writer)
        assert client.get(f"/v1/articles/{created.json()['id']}").json()["body"] == (
            "<p>قبل الصورة</p>"
        )

    def test_a_body_showing_a_picture_not_in_the_library_is_422(
        self, client: TestClient, session: Session, writer: dict
    ) -> None:
        response = client.post(
            "/v1/articles",
            json={"title": "خبر", "body": '<p>نص</p><img data-media-id="77">'},
            headers=writer,
        )

        assert response.status_code == 422
        assert response.json()["detail"] == (
            "the body shows pictures not in the media library: data-media-id=77"
        )
        assert session.exec(select(Article)).all() == []


class TestPublicUrl:
    @pytest.fixture(autouse=True)
    def served_by_akhbar_again(self) -> Iterator[None]:
        """The base of file URLs is the process's: the next app sets its own."""
        yield
        serve_files_from(None)

    def test_answers_carry_the_cdns_absolute_urls(
        self, settings: Settings, session: Session
    ) -> None:
        cdn = settings.model_copy(update={"media_public_url": "https://cdn.example.com/pics/"})
        editor = bearer(make_token(session, Scope.admin))
        with TestClient(create_app(cdn)) as client:
            body = upload(client, editor, pictures.jpeg(400, 300)).json()
            article = client.post(
                "/v1/articles",
                json={
                    "title": "خبر",
                    "status": "published",
                    "featured_image": {"media_id": body["id"]},
                },
                headers=editor,
            ).json()

        assert body["url"].startswith("https://cdn.example.com/pics/1/")
        assert all(
            f["url"].startswith("https://cdn.example.com/pics/1/") for f in body["renditions"]
        )
        assert article["featured_image"]["url"] == body["url"]
