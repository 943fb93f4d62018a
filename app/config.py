"""Settings: environment variables prefixed ``AKHBAR_`` (and a ``.env`` file)."""

from functools import cached_property
from pathlib import Path
from typing import Annotated

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = f"sqlite:///{PROJECT_ROOT / 'var' / 'akhbar.db'}"
SUPPORTED_DRIVERS = {"sqlite": "sqlite", "postgresql": "postgresql+psycopg"}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="AKHBAR_", env_file=".env", env_file_encoding="utf-8", extra="forbid"
    )

    database_url: str = Field(
        default=DEFAULT_DATABASE_URL,
        description="SQLAlchemy URL: sqlite:///path/to/file.db or postgresql://user@host/db",
    )
    database_pool_size: Annotated[int, Field(ge=1, le=100)] = 5
    sqlite_busy_timeout_ms: Annotated[int, Field(ge=0, le=600_000)] = 5_000
    migrations_dir: Path = PROJECT_ROOT / "migrations"
    # The live ticker: how often each worker looks for changes (and windows opening or
    # closing), how many streams one client may hold open per worker, and how long
    # caches may keep GET /v1/ticker.
    ticker_poll_seconds: Annotated[float, Field(ge=0.1, le=10)] = 1.0
    ticker_streams_per_client: Annotated[int, Field(ge=1, le=1000)] = 4
    ticker_max_age_seconds: Annotated[int, Field(ge=0, le=3600)] = 10

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        try:
            url = make_url(value)
        except ArgumentError as exc:
            raise ValueError(f"not a database URL: {value!r}") from exc
        if url.get_backend_name() not in SUPPORTED_DRIVERS:
            raise ValueError(
                f"unsupported database {url.get_backend_name()!r}: use sqlite or postgresql"
            )
        return value

    @cached_property
    def sqlalchemy_url(self) -> URL:
        """The URL with the driver Akhbar uses (psycopg 3 for PostgreSQL)."""
        url = make_url(self.database_url)
        return url.set(drivername=SUPPORTED_DRIVERS[url.get_backend_name()])

    @property
    def is_sqlite(self) -> bool:
        return self.sqlalchemy_url.get_backend_name() == "sqlite"


class SettingsError(Exception):
    """Start-up refused: the configuration is invalid. The message is one readable line."""


def load_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"AKHBAR_{'_'.join(str(p) for p in err['loc']).upper()}: {err['msg']}"
            for err in exc.errors()
        )
        raise SettingsError(f"invalid configuration: {problems}") from None
