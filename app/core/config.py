"""Settings: environment variables prefixed ``AKHBAR_`` (and a ``.env`` file)."""

import json
import os
import re
import string
from collections.abc import Mapping
from difflib import get_close_matches
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    IPvAnyNetwork,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

PROJECT_ROOT = Path(__file__).resolve().parents[2]
RATE_UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86_400}
RATE_PATTERN = rf"^[1-9][0-9]{{0,6}}/({'|'.join(RATE_UNITS)})$"


def _rate(value: str) -> tuple[int, int]:
    """A RATE_PATTERN value ("10/minute") as (requests, window in seconds)."""
    count, unit = value.split("/")
    return int(count), RATE_UNITS[unit]


# What the page templates of the website may name (app.core.site).
ARTICLE_PLACEHOLDERS = ("slug", "id", "category", "yyyy", "mm", "dd")
TERM_PLACEHOLDERS = ("slug", "id")


def _template(template: str, placeholders: tuple[str, ...]) -> str:
    """The template, if it is a path or an http(s) URL naming only ``placeholders``."""
    if not re.fullmatch(r"(/|https?://)\S*", template):
        raise ValueError(f"not a path (/…) or an http(s) URL: {template!r}")
    try:
        named = [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]
    except ValueError as exc:
        raise ValueError(f"{exc} in {template!r}") from None
    for name in named:
        if name not in placeholders:
            known = ", ".join("{" + p + "}" for p in placeholders)
            raise ValueError(f"unknown placeholder {{{name}}} in {template!r} (known: {known})")
    return template


DEFAULT_DATABASE_URL = f"sqlite:///{PROJECT_ROOT / 'var' / 'akhbar.db'}"
SUPPORTED_DRIVERS = {"sqlite": "sqlite", "postgresql": "postgresql+psycopg"}


class CachePolicy(BaseModel):
    """How long caches may keep a kind of public answer: browsers ``max_age``, shared
    caches (a CDN) ``s_maxage``, and either may serve it stale while revalidating."""

    model_config = ConfigDict(extra="forbid")

    max_age: int = Field(ge=0, le=31_536_000)
    s_maxage: int = Field(ge=0, le=31_536_000)
    stale_while_revalidate: int = Field(ge=0, le=31_536_000)

    def header(self) -> str:
        return (
            f"public, max-age={self.max_age}, s-maxage={self.s_maxage}, "
            f"stale-while-revalidate={self.stale_while_revalidate}"
        )


def _policy(max_age: int, s_maxage: int, stale: int) -> CachePolicy:
    return CachePolicy(max_age=max_age, s_maxage=s_maxage, stale_while_revalidate=stale)


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
    # closing), and how many streams one client may hold open per worker.
    ticker_poll_seconds: Annotated[float, Field(ge=0.1, le=10)] = 1.0
    ticker_streams_per_client: Annotated[int, Field(ge=1, le=1000)] = 4
    # Open ticker streams per worker, all clients together (each holds a connection).
    ticker_streams_max: Annotated[int, Field(ge=1, le=100_000)] = 1000

    # Shared state between workers (rate limits); in-process when unset.
    redis_url: str | None = Field(None, pattern=r"^(rediss?|unix)://")
    # When set, /metrics answers only `Authorization: Bearer <this>` (the scraper's).
    metrics_token: SecretStr | None = Field(None, min_length=16)
    redis_prefix: str = Field("akhbar:", min_length=1, max_length=100)

    # Reader comments: the names are part of the contract.
    comments_auto_approve: bool = False
    comments_flood_seconds: Annotated[int, Field(ge=0, le=86_400)] = 15
    comments_rate_limit: str = Field("10/minute", pattern=RATE_PATTERN)
    comments_max_links: Annotated[int, Field(ge=0, le=1000)] = 2
    comments_disallowed_words: Annotated[list[str], NoDecode] = []
    # Search: how many searches one client may make (answers the cache gives don't count),
    # and how long one may run in the database before it is stopped (a 503).
    search_rate_limit: str = Field("60/minute", pattern=RATE_PATTERN)
    # View beacons per client (an office behind one address reads a lot), counted by each
    # worker in its memory: a beacon waits for no store.
    views_rate_limit: str = Field("300/minute", pattern=RATE_PATTERN)
    # How long a refused search's 429 is held back (at most until it may search again).
    search_refusal_delay_ms: Annotated[int, Field(ge=0, le=10_000)] = 1_000
    search_timeout_ms: Annotated[int, Field(ge=10, le=60_000)] = 500
    # Searches one worker runs at once, and how long one more waits for a turn before it
    # is answered 503: a crowd of searches is shed, not queued behind each other.
    search_concurrency: Annotated[int, Field(ge=1, le=64)] = 2
    search_queue_ms: Annotated[int, Field(ge=0, le=10_000)] = 50
    # Proxies whose X-Forwarded-For is believed (addresses or networks); none by default.
    trusted_proxies: Annotated[list[IPvAnyNetwork], NoDecode] = []
    # Limits count an IPv6 client by its network of this many bits (a subscriber's /64).
    ipv6_limit_prefix: Annotated[int, Field(ge=32, le=128)] = 64

    # The edge: which Host names are answered ("*" any, "*.example.com" a domain and its
    # subdomains), which browser origins may call the API, how large a body may be.
    allowed_hosts: Annotated[list[str], NoDecode] = ["*"]
    cors_origins: Annotated[list[str], NoDecode] = []
    max_body_bytes: Annotated[int, Field(ge=1024, le=1 << 30)] = 4 << 20
    # A write without a token (a reader's comment) needs kilobytes, not megabytes.
    max_public_body_bytes: Annotated[int, Field(ge=1024, le=1 << 30)] = 64 << 10
    # A request's head (request line and headers): its largest size (431 beyond), and how
    # long it may take to arrive (408 after); see app.http.server.
    http_max_head_bytes: Annotated[int, Field(ge=8 << 10, le=1 << 20)] = 64 << 10
    http_head_timeout_seconds: Annotated[float, Field(ge=0.1, le=300)] = 10.0
    # Strict-Transport-Security max-age, for deployments served only over HTTPS; 0 = off.
    hsts_seconds: Annotated[int, Field(ge=0, le=63_072_000)] = 0
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    # One JSON line per request on stdout (at the info and debug levels).
    access_log: bool = True

    # HTTP caching of public answers, by kind (JSON: {"max_age": 60, "s_maxage": 300,
    # "stale_while_revalidate": 60}): one article; lists of articles and search; an
    # article's comments; the ticker; categories, tags and authors.
    cache_article: CachePolicy = _policy(60, 300, 60)
    cache_list: CachePolicy = _policy(30, 60, 30)
    cache_comments: CachePolicy = _policy(30, 60, 30)
    cache_ticker: CachePolicy = _policy(10, 10, 10)
    cache_taxonomy: CachePolicy = _policy(300, 3600, 300)
    cache_feed: CachePolicy = _policy(60, 120, 60)
    cache_popular: CachePolicy = _policy(60, 60, 30)
    # The response cache of each worker: how long an entry may live at most (writes and
    # scheduled changes end it sooner, so the lifetime bounds only what changes around
    # the app, by hand in SQL; 0 turns the cache off) and how many it keeps. The
    # bytes bound is the one that matters; the count only caps the bookkeeping of small
    # answers (2,000 held fewer than the articles and comment lists of a small site: the
    # long tail missed on every read).
    response_cache_seconds: Annotated[float, Field(ge=0, le=3600)] = 300.0
    response_cache_entries: Annotated[int, Field(ge=1, le=1_000_000)] = 20_000
    # The bytes a worker's response cache may hold (least recently used go first).
    response_cache_bytes: Annotated[int, Field(ge=1 << 20, le=1 << 34)] = 64 << 20

    # Webhooks: whether each API process also runs a delivery worker (turn it off when
    # `akhbar worker` runs apart), retries (exponential back-off from the base, with
    # jitter, until the attempts run out), the time one attempt may take, how often the
    # worker looks for work, how long finished deliveries are kept, and whether targets
    # may be loopback, private or link-local addresses (never, on a public deployment).
    webhooks_worker: bool = True
    webhooks_retry_base_seconds: Annotated[float, Field(ge=0.01, le=86_400)] = 10.0
    webhooks_max_attempts: Annotated[int, Field(ge=1, le=50)] = 8
    webhooks_timeout_seconds: Annotated[float, Field(ge=0.1, le=60)] = 10.0
    webhooks_poll_seconds: Annotated[float, Field(ge=0.01, le=60)] = 1.0
    webhooks_retention_days: Annotated[int, Field(ge=1, le=3650)] = 30
    webhooks_allow_private_targets: bool = False

    # The media library: where its files live ("local": a folder Akhbar serves under
    # /media/; "s3": a bucket of any S3-compatible service), the URL the files are
    # served from when a CDN or the bucket serves them, and what an upload may be.
    media_storage: Literal["local", "s3"] = "local"
    media_dir: Path = PROJECT_ROOT / "var" / "media"
    media_public_url: str | None = Field(None, pattern=r"^https?://[^\s?#]+$")
    media_max_bytes: Annotated[int, Field(ge=1024, le=1 << 30)] = 25 << 20
    media_max_pixels: Annotated[int, Field(ge=10_000, le=500_000_000)] = 50_000_000
    # The widths every picture is served at (never above its own), and the crops made at
    # the same widths, centred on its focal point.
    media_widths: Annotated[list[Annotated[int, Field(ge=16, le=8192)]], NoDecode] = [
        320,
        640,
        960,
        1280,
        1920,
    ]
    media_crops: Annotated[list[str], NoDecode] = ["16:9", "1:1"]
    media_s3_bucket: str = ""
    media_s3_endpoint_url: str | None = Field(None, pattern=r"^https?://[^\s?#]+$")
    media_s3_region: str = "us-east-1"
    media_s3_access_key_id: str | None = None
    media_s3_secret_access_key: SecretStr | None = None
    # Buckets addressed as endpoint/bucket/key (MinIO and most emulators) rather than
    # bucket.endpoint/key.
    media_s3_path_style: bool = False
    media_s3_prefix: str = Field("", pattern=r"^([^\s/][^\s]*/)?$")

    # The public website (app.core.site): feeds, sitemaps and articles' `url` link to it.
    site_url: str | None = Field(None, pattern=r"^https?://[^\s?#]+$")
    site_name: str = Field("أخبار", min_length=1, max_length=200)
    site_language: str = Field("ar", pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
    site_article_url: str = "/articles/{slug}"
    site_category_url: str = "/category/{slug}"
    site_tag_url: str = "/tag/{slug}"
    site_author_url: str = "/author/{slug}"
    # Where the public reaches this API, if not under the site's own address.
    site_api_url: str | None = Field(None, pattern=r"^https?://[^\s?#]+$")
    feeds_content: Literal["full", "excerpt"] = "full"
    # URLs in one sitemap: 10,000 of at most 2 KiB, each with a picture, stay under 50 MB.
    sitemap_urls: Annotated[int, Field(ge=1, le=10_000)] = 10_000
    # The frontend's page that shows a draft preview (app.articles.previews).
    preview_url_template: str | None = None
    # Pings on publication, through the webhook outbox (app.webhooks.pings).
    websub_hub_url: str | None = Field(None, pattern=r"^https?://[^\s#]+$")
    indexnow_key: str | None = Field(None, pattern=r"^[A-Za-z0-9-]{8,128}$")
    indexnow_url: str = Field("https://api.indexnow.org/indexnow", pattern=r"^https?://[^\s#]+$")
    indexnow_key_location: str | None = Field(None, pattern=r"^https?://[^\s?#]+$")

    @field_validator("site_article_url")
    @classmethod
    def _article_template(cls, value: str) -> str:
        return _template(value, ARTICLE_PLACEHOLDERS)

    @field_validator("preview_url_template")
    @classmethod
    def _preview_template(cls, value: str | None) -> str | None:
        if value is not None and "{secret}" not in _template(value, ("secret",)):
            raise ValueError(f"name the link's secret with {{secret}}: {value!r}")
        return value

    @field_validator("site_category_url", "site_tag_url", "site_author_url")
    @classmethod
    def _term_template(cls, value: str) -> str:
        return _template(value, TERM_PLACEHOLDERS)

    @field_validator(
        "media_widths",
        "media_crops",
        "comments_disallowed_words",
        "trusted_proxies",
        "allowed_hosts",
        "cors_origins",
        mode="before",
    )
    @classmethod
    def _list_from_text(cls, value: object) -> object:
        """A JSON list, or items separated by commas or new lines."""
        if not isinstance(value, str):
            return value
        if value.lstrip().startswith("["):
            return json.loads(value)
        return [item.strip() for item in re.split(r"[,\n]", value) if item.strip()]

    @field_validator("cors_origins")
    @classmethod
    def _origins(cls, value: list[str]) -> list[str]:
        for origin in value:
            if origin != "*" and not re.fullmatch(r"https?://[^/\s?#]+", origin):
                raise ValueError(f"not an origin (scheme://host[:port]): {origin!r}")
        return value

    @field_validator("allowed_hosts")
    @classmethod
    def _hosts(cls, value: list[str]) -> list[str]:
        for host in value:
            if not re.fullmatch(r"\*|(\*\.)?[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\]", host):
                raise ValueError(f"not a host name or pattern: {host!r}")
        return value

    @field_validator("media_widths")
    @classmethod
    def _widths(cls, value: list[int]) -> list[int]:
        if not value:
            raise ValueError("name at least one width")
        return sorted(set(value))

    @field_validator("media_crops")
    @classmethod
    def _crops(cls, value: list[str]) -> list[str]:
        for crop in value:
            if not re.fullmatch(r"[1-9][0-9]{0,2}:[1-9][0-9]{0,2}", crop):
                raise ValueError(f"not an aspect ratio (width:height, as 16:9): {crop!r}")
        return value

    @model_validator(mode="after")
    def _pings_name_pages(self) -> "Settings":
        for name in ("websub_hub_url", "indexnow_key"):
            if getattr(self, name) and not self.site_url:
                raise ValueError(f"AKHBAR_{name.upper()} needs AKHBAR_SITE_URL (it pings pages)")
        return self

    @model_validator(mode="after")
    def _s3_bucket(self) -> "Settings":
        if self.media_storage == "s3" and not self.media_s3_bucket:
            raise ValueError("AKHBAR_MEDIA_STORAGE=s3 needs AKHBAR_MEDIA_S3_BUCKET")
        return self

    @property
    def media_crop_ratios(self) -> tuple[tuple[int, int], ...]:
        return tuple(
            (int(across), int(down)) for across, down in (c.split(":") for c in self.media_crops)
        )

    @property
    def comments_rate(self) -> tuple[int, int]:
        """``comments_rate_limit`` as (requests, window in seconds)."""
        return _rate(self.comments_rate_limit)

    @property
    def search_rate(self) -> tuple[int, int]:
        return _rate(self.search_rate_limit)

    @property
    def views_rate(self) -> tuple[int, int]:
        return _rate(self.views_rate_limit)

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

    @property
    def sqlalchemy_url(self) -> URL:
        """The URL with the driver Akhbar uses (psycopg 3 for PostgreSQL)."""
        url = make_url(self.database_url)
        return url.set(drivername=SUPPORTED_DRIVERS[url.get_backend_name()])

    @property
    def is_sqlite(self) -> bool:
        return self.sqlalchemy_url.get_backend_name() == "sqlite"


# Variables of the test suite (AKHBAR_TEST_POSTGRES_URL, ...), not settings of the app.
TEST_VARIABLE_PREFIX = "AKHBAR_TEST_"


def unknown_variables(environ: Mapping[str, str]) -> list[str]:
    """AKHBAR_* variables that name no setting: a typo would otherwise be silently ignored
    and the default used (a server on the wrong database)."""
    known = {f"AKHBAR_{name.upper()}" for name in Settings.model_fields}
    problems = []
    for name in sorted(environ):
        if (
            name.startswith("AKHBAR_")
            and not name.startswith(TEST_VARIABLE_PREFIX)
            and name.upper() not in known
        ):
            guess = get_close_matches(name.upper(), known, n=1)
            hint = f" (did you mean {guess[0]}?)" if guess else ""
            problems.append(f"{name}: unknown setting{hint}")
    return problems


class SettingsError(Exception):
    """Start-up refused: the configuration is invalid. The message is one readable line."""


def load_settings() -> Settings:
    unknown = unknown_variables(os.environ)
    if unknown:
        raise SettingsError(f"invalid configuration: {'; '.join(unknown)}")
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"AKHBAR_{'_'.join(str(p) for p in err['loc']).upper()}: {err['msg']}"
            if err["loc"]
            else err["msg"].removeprefix("Value error, ")
            for err in exc.errors()
        )
        raise SettingsError(f"invalid configuration: {problems}") from None
