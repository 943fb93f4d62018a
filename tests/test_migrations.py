"""The Alembic revisions build exactly the schema the models describe, on both databases."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from app.config import Settings
from app.db import create_db_engine
from app.models import metadata
from app.ops.migrations import alembic_config
from app.search.index import SEARCH_TABLES
from tests.conftest import BACKENDS, create_postgres_database


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
