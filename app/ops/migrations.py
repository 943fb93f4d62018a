"""Alembic, driven from Python: the CLI migrates with it and /readyz compares revisions."""

from dataclasses import dataclass

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from app.core.config import Settings


def alembic_config(settings: Settings) -> Config:
    config = Config()
    config.set_main_option("script_location", str(settings.migrations_dir))
    config.attributes["settings"] = settings
    return config


def upgrade_to_head(settings: Settings) -> None:
    command.upgrade(alembic_config(settings), "head")


@dataclass(frozen=True)
class Revisions:
    """The schema revisions this code expects at its head, and every one it knows."""

    head: frozenset[str]
    known: frozenset[str]

    @classmethod
    def of(cls, settings: Settings) -> "Revisions":
        return cls(frozenset(head_revisions(settings)), frozenset(known_revisions(settings)))


def head_revisions(settings: Settings) -> set[str]:
    return set(ScriptDirectory.from_config(alembic_config(settings)).get_heads())


def current_revisions(engine: Engine) -> set[str]:
    with engine.connect() as connection:
        return set(MigrationContext.configure(connection).get_current_heads())


def known_revisions(settings: Settings) -> set[str]:
    """Every revision this code ships, head and all before it."""
    script = ScriptDirectory.from_config(alembic_config(settings))
    return {revision.revision for revision in script.walk_revisions()}
