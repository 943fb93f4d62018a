"""`akhbar import wordpress --url`: a real WordPress (Debian's package, PHP-FPM, MariaDB,
nginx) on loopback, filled with the peer benchmark's Arabic dataset, read through its REST
API. Slow (a few seconds to start); runs where the harness and the packages are (CI here:
`../shared/bench-peers/install_deps.sh` installs them), skipped elsewhere."""

import html
import json
import os
import shutil
import subprocess
import tempfile
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.core.config import PROJECT_ROOT, Settings
from app.models import Article, Media
from tests.media import pictures
from tests.server import akhbar, free_port

HARNESS = next(
    (
        path
        for path in (
            Path(os.environ.get("AKHBAR_TEST_WORDPRESS_HARNESS", "/nonexistent")),
            PROJECT_ROOT.parent / "shared" / "bench-peers",
            Path("/work/shared/bench-peers"),
        )
        if (path / "peers" / "wordpress" / "start.sh").is_file()
    ),
    None,
)
REASON = (
    "needs ../shared/bench-peers and Debian's wordpress, mariadb-server, php-fpm and nginx "
    "(bench-peers/install_deps.sh), as root"
)
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        HARNESS is None
        or not Path("/usr/share/wordpress/wp-load.php").is_file()
        or os.geteuid() != 0,
        reason=REASON,
    ),
]


@pytest.fixture
def backend() -> str:
    """SQLite only: what this adds is the REST API of a real WordPress; the importer's
    writes are tested on PostgreSQL by the export tests."""
    return "sqlite"


@pytest.fixture
def wordpress() -> Iterator[tuple[str, dict[str, str]]]:
    """A WordPress of its own, on a free port, with 12 Arabic articles and their comments."""
    assert HARNESS is not None
    # Not under pytest's own temporary folder: MariaDB and PHP-FPM run as other users,
    # and must be able to reach their files.
    work = Path(tempfile.mkdtemp(prefix="akhbar-wordpress-"))
    work.chmod(0o755)
    port = free_port()
    env = {
        **os.environ,
        "BENCH_WORK": str(work),
        "BENCH_DATASET": str(work / "dataset.jsonl"),
        "WP_PORT": str(port),
    }
    run = {"env": env, "check": True, "capture_output": True, "timeout": 120}
    subprocess.run(
        ["python3", HARNESS / "make_dataset.py", "--n", "12", "--out", env["BENCH_DATASET"]], **run
    )  # type: ignore[call-overload]
    try:
        subprocess.run(["bash", HARNESS / "peers" / "wordpress" / "start.sh"], **run)  # type: ignore[call-overload]
        subprocess.run(["python3", HARNESS / "peers" / "wordpress" / "load.py"], **run)  # type: ignore[call-overload]
        yield f"http://127.0.0.1:{port}", env
    except subprocess.CalledProcessError as exc:
        raise AssertionError(f"{exc.cmd}: {exc.stdout}\n{exc.stderr}") from None
    finally:
        subprocess.run(["bash", HARNESS / "peers" / "wordpress" / "stop.sh"], env=env, timeout=60)
        shutil.rmtree(work, ignore_errors=True)


def wp_get(base: str, path: str) -> Any:
    with urllib.request.urlopen(f"{base}/wp-json/wp/v2{path}", timeout=30) as answer:
        return json.loads(answer.read())


def wp_php(env: dict[str, str], code: str) -> str:
    """Run PHP inside the WordPress (its own API: what an editor's change does)."""
    assert HARNESS is not None
    script = Path(env["BENCH_WORK"]) / "change.php"
    bootstrap = HARNESS / "peers" / "wordpress" / "wp-bootstrap.php"
    script.write_text(
        f"<?php require '{bootstrap}'; require '/usr/share/wordpress/wp-load.php';\n"
        f"wp_set_current_user(1);\n{code}\n"
    )
    done = subprocess.run(
        ["php", str(script), env["WP_PORT"]], check=True, capture_output=True, text=True
    )
    return done.stdout.strip()


def report_line(report: str, kind: str) -> list[int]:
    line = next(line for line in report.splitlines() if line.startswith(kind))
    return [int(n) for n in line.split()[1:]]


def test_a_live_site_comes_over_through_its_rest_api_and_again_only_what_changed(
    wordpress: tuple[str, dict[str, str]],
    settings: Settings,
    client: TestClient,
    session: Session,
) -> None:
    base, env = wordpress
    posts = wp_get(base, "/posts?per_page=100")
    comments = [
        c for post in posts for c in wp_get(base, f"/comments?post={post['id']}&per_page=100")
    ]
    users = wp_get(base, "/users?per_page=100")

    first = akhbar("import", "wordpress", "--url", base, database_url=settings.database_url)

    assert report_line(first.stdout, "posts") == [len(posts), 0, 0, 0, 0]
    assert report_line(first.stdout, "comments") == [len(comments), 0, 0, 0, 0]
    assert report_line(first.stdout, "authors") == [len(users), 0, 0, 0, 0]
    listed = client.get("/v1/articles?limit=100").json()["data"]
    assert len(listed) == len(posts) == 12
    by_title = {article["title"]: article for article in listed}
    for post in posts:
        article = by_title[html.unescape(post["title"]["rendered"])]
        assert article["published_at"] == post["date_gmt"] + "Z"
        answer = client.get(f"/v1/articles/{unquote(post['slug'])}", follow_redirects=False)
        # Its WordPress slug finds it: as it is, or (cut short by WordPress) moved.
        assert answer.status_code in (200, 301)
        if answer.status_code == 301:
            assert answer.headers["location"] == f"/v1/articles/{article['id']}" or (
                unquote(answer.headers["location"]).endswith(article["slug"])
            )
        thread = client.get(f"/v1/articles/{article['id']}/comments?limit=100").json()["data"]
        assert sorted(c["body"] for c in thread) == sorted(
            html.unescape(c["content"]["rendered"]).replace("<p>", "").replace("</p>", "").strip()
            for c in comments
            if c["post"] == post["id"]
        )
    authors = client.get("/v1/authors").json()["data"]
    assert sorted(a["name"] for a in authors) == sorted(u["name"] for u in users)
    assert not any(u["slug"] in client.get("/v1/authors").text for u in users)  # logins

    # An editor changes one post and writes another in WordPress; the next run brings those.
    changed_id = posts[0]["id"]
    wp_php(env, f"wp_update_post(['ID' => {changed_id}, 'post_title' => 'عنوان بعد التعديل']);")
    new_id = wp_php(
        env,
        "echo wp_insert_post(['post_type' => 'post', 'post_status' => 'publish', "
        "'post_title' => 'خبر كتب بعد الاستيراد', 'post_content' => 'نص الخبر الجديد.']);",
    )

    second = akhbar("import", "wordpress", "--url", base, database_url=settings.database_url)

    imported, updated, _unchanged, skipped, failed = report_line(second.stdout, "posts")
    assert (imported, updated, skipped, failed) == (1, 1, 0, 0)
    session.expire_all()
    titles = session.exec(select(Article.title).order_by(col(Article.id))).all()
    assert "عنوان بعد التعديل" in titles
    assert titles[-1] == "خبر كتب بعد الاستيراد"
    assert len(titles) == 13
    assert int(new_id) > 0


def wp_upload(env: dict[str, str], data: bytes, name: str, alt: str) -> int:
    """A picture uploaded to the WordPress media library, as an editor's upload is."""
    path = Path(env["BENCH_WORK"]) / name
    path.write_bytes(data)
    return int(
        wp_php(
            env,
            "require_once ABSPATH . 'wp-admin/includes/file.php';\n"
            "require_once ABSPATH . 'wp-admin/includes/media.php';\n"
            "require_once ABSPATH . 'wp-admin/includes/image.php';\n"
            f"$id = media_handle_sideload(['name' => '{name}', 'tmp_name' => '{path}'], 0);\n"
            "if (is_wp_error($id)) { fwrite(STDERR, $id->get_error_message()); exit(1); }\n"
            f"update_post_meta($id, '_wp_attachment_image_alt', '{alt}');\n"
            "echo $id;",
        )
    )


def test_a_live_sites_pictures_come_into_the_media_library(
    wordpress: tuple[str, dict[str, str]],
    settings: Settings,
    client: TestClient,
    session: Session,
) -> None:
    base, env = wordpress
    first_post, second_post = (post["id"] for post in wp_get(base, "/posts?per_page=2"))
    featured = wp_upload(env, pictures.jpeg(1600, 1000), "souq.jpg", "سوق المدينة القديمة")
    in_body = wp_upload(env, pictures.png(900, 600), "map.png", "خريطة المدينة")
    wp_php(env, f"set_post_thumbnail({first_post}, {featured});")
    body_url = wp_get(base, f"/media/{in_body}")["source_url"]
    wp_php(
        env,
        f"wp_update_post(['ID' => {second_post}, 'post_content' => "
        f'\'<p>قبل الخريطة</p><img src="{body_url}" alt="خريطة"><p>بعدها</p>\']);',
    )
    options = ("--media", "--media-from-private-addresses")  # the site is on loopback

    first = akhbar(
        "import", "wordpress", "--url", base, *options, database_url=settings.database_url
    )

    assert "pictures: 2 brought in, 0 already in the library, 0 not to be had" in first.stdout
    by_title = {a["title"]: a for a in client.get("/v1/articles?limit=100").json()["data"]}
    shown = by_title[html.unescape(wp_get(base, f"/posts/{first_post}")["title"]["rendered"])]
    image = shown["featured_image"]
    assert (image["width"], image["height"], image["alt"]) == (1600, 1000, "سوق المدينة القديمة")
    assert client.get(image["url"]).status_code == 200
    second = wp_get(base, f"/posts/{second_post}")
    article_id = by_title[html.unescape(second["title"]["rendered"])]["id"]
    body = client.get(f"/v1/articles/{article_id}").json()["body"]
    assert body_url not in body
    assert 'alt="خريطة"' in body
    assert 'srcset="' in body
    assert len(session.exec(select(Media)).all()) == 2

    again = akhbar(
        "import", "wordpress", "--url", base, *options, database_url=settings.database_url
    )

    # Only what changed since is read again (the checkpoint), and nothing is downloaded.
    assert "pictures: 0 brought in," in again.stdout
    session.expire_all()
    assert len(session.exec(select(Media)).all()) == 2
