"""The Alembic revisions build exactly the schema the models describe, on both databases."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from fastapi.testclient import TestClient
from sqlalchemy import inspect, text

from app.core.config import Settings
from app.core.db import create_db_engine
from app.main import create_app
from app.models import metadata
from app.ops.migrations import alembic_config
from app.search.index import SEARCH_TABLES
from tests.conftest import BACKENDS, create_postgres_database
from tests.server import akhbar


@pytest.fixture(params=BACKENDS)
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    if request.param == "sqlite":
        yield Settings(database_url=f"sqlite:///{tmp_path / 'migrations.db'}")
    else:
        yield Settings(database_url=create_postgres_database("akhbar_test_migrations"))


def schema_differences(settings: Settings) -> list[object]:
    engine = create_db_engine(settings)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection,
                opts={
                    "compare_type": True,
                    "compare_server_default": True,
                    "include_object": lambda obj, name, type_, *_: (
                        not (type_ == "table" and name.startswith(SEARCH_TABLES))
                    ),
                },
            )
            return list(compare_metadata(context, metadata))
    finally:
        engine.dispose()


def table_names(settings: Settings) -> set[str]:
    """The tables, the full-text index's own ones apart."""
    engine = create_db_engine(settings)
    try:
        return {
            name for name in inspect(engine).get_table_names() if not name.startswith(SEARCH_TABLES)
        }
    finally:
        engine.dispose()


class TestMigrations:
    def test_head_matches_the_models(self, empty_database: Settings) -> None:
        command.upgrade(alembic_config(empty_database), "head")

        assert schema_differences(empty_database) == []
        assert table_names(empty_database) == {*metadata.tables, "alembic_version"}

    def test_every_revision_upgrades_and_downgrades_one_step_at_a_time(
        self, empty_database: Settings
    ) -> None:
        config = alembic_config(empty_database)
        revisions = [
            script.revision
            for script in reversed(list(ScriptDirectory.from_config(config).walk_revisions()))
        ]

        for revision in revisions:
            command.upgrade(config, revision)
        assert schema_differences(empty_database) == []
        for _ in revisions:
            command.downgrade(config, "-1")
        assert table_names(empty_database) == {"alembic_version"}
        command.upgrade(config, "head")
        assert schema_differences(empty_database) == []

    def test_editor_api_revision_fills_body_text_of_existing_articles(
        self, empty_database: Settings
    ) -> None:
        config = alembic_config(empty_database)
        command.upgrade(config, "20261129_01")
        engine = create_db_engine(empty_database)
        try:
            with engine.begin() as connection:
                connection.execute(
                    text(
                        "INSERT INTO article (slug, title, body, lang, status, is_exclusive,"
                        " is_breaking, comments_enabled, version, word_count,"
                        " reading_time_minutes, created_at, updated_at) VALUES ('خبر', 'خبر',"
                        " '<p>نص &amp; <b>آخر</b></p><p>ثالث</p>', 'ar', 'draft', false, false,"
                        " true, 1, 3, 1, '2026-11-01 08:00:00', '2026-11-01 08:00:00')"
                    )
                )
            command.upgrade(config, "head")
            with engine.connect() as connection:
                body_text = connection.execute(text("SELECT body_text FROM article")).scalar_one()
        finally:
            engine.dispose()

        assert body_text == "نص & آخر ثالث"


def revision_ids() -> list[str]:
    script = ScriptDirectory.from_config(alembic_config(Settings()))
    return [s.revision for s in reversed(list(script.walk_revisions()))]


@pytest.mark.parametrize("start", revision_ids()[:-1])
def test_a_database_left_at_an_earlier_revision_upgrades_with_its_content(
    empty_database: Settings, start: str
) -> None:
    """A published article written under the first schema, the database left at ``start``
    (as an old release would leave it), then `akhbar migrate`: the schema is the models'
    and the article is served, found by search and by a variant spelling of its slug."""
    config = alembic_config(empty_database)
    command.upgrade(config, revision_ids()[0])
    engine = create_db_engine(empty_database)
    try:
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO article (slug, title, body, lang, status, published_at,"
                    " is_exclusive, is_breaking, comments_enabled, version, word_count,"
                    " reading_time_minutes, created_at, updated_at) VALUES ('افتتاح-المكتبة',"
                    " 'افتتاح المكتبة الوطنية', '<p>افتتحت المكتبة أبوابها للقراء.</p>', 'ar',"
                    " 'published', '2026-11-01 08:00:00', false, false, true, 1, 4, 1,"
                    " '2026-11-01 08:00:00', '2026-11-01 08:00:00')"
                )
            )
    finally:
        engine.dispose()
    command.upgrade(config, start)

    result = akhbar("migrate", database_url=empty_database.database_url)

    assert result.stdout == "database migrated to head\n"
    assert schema_differences(empty_database) == []
    with TestClient(create_app(empty_database)) as client:
        assert client.get("/readyz").status_code == 200
        article = client.get("/v1/articles/افتتاح-المكتبة").json()
        hits = client.get("/v1/search", params={"q": "المكتبه"}).json()["data"]
        variant = client.get("/v1/articles/إفتتاح-المكتبة")
    assert article["title"] == "افتتاح المكتبة الوطنية"
    assert article["comment_count"] == 0
    assert [hit["id"] for hit in hits] == [article["id"]]
    assert variant.status_code == 200
    assert variant.json()["id"] == article["id"]
