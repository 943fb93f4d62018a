"""Settings: environment variables prefixed ``AKHBAR_`` (and a ``.env`` file)."""

import json
import re
from functools import cached_property
from pathlib import Path
from typing import Annotated

from pydantic import Field, IPvAnyNetwork, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
RATE_UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86_400}
RATE_PATTERN = rf"^[1-9][0-9]{{0,6}}/({'|'.join(RATE_UNITS)})$"
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

    # Shared state between workers (rate limits); in-process when unset.
    redis_url: str | None = Field(None, pattern=r"^(rediss?|unix)://")
    redis_prefix: str = Field("akhbar:", min_length=1, max_length=100)

    # Reader comments: the names are part of the contract.
    comments_auto_approve: bool = False
    comments_flood_seconds: Annotated[int, Field(ge=0, le=86_400)] = 15
    comments_rate_limit: str = Field("10/minute", pattern=RATE_PATTERN)
    comments_max_links: Annotated[int, Field(ge=0, le=1000)] = 2
    comments_disallowed_words: Annotated[list[str], NoDecode] = []
    # Proxies whose X-Forwarded-For is believed (addresses or networks); none by default.
    trusted_proxies: Annotated[list[IPvAnyNetwork], NoDecode] = []

    @field_validator("comments_disallowed_words", "trusted_proxies", mode="before")
    @classmethod
    def _list_from_text(cls, value: object) -> object:
        """A JSON list, or items separated by commas or new lines."""
        if not isinstance(value, str):
            return value
        if value.lstrip().startswith("["):
            return json.loads(value)
        return [item.strip() for item in re.split(r"[,\n]", value) if item.strip()]

    @property
    def comments_rate(self) -> tuple[int, int]:
        """``comments_rate_limit`` as (requests, window in seconds)."""
        count, unit = self.comments_rate_limit.split("/")
        return int(count), RATE_UNITS[unit]

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
