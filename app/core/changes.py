"""What tells a worker that something was committed, by any process: SQLite's own
``data_version``, or on PostgreSQL a counter in Redis that each writing commit
increments (a commit hook, wired by whoever opens the session). The response cache keeps
an answer only while its counter has not moved."""

import contextlib
import sqlite3
from typing import Protocol

import redis
from sqlmodel import Session

from app.core.config import Settings
from app.core.db import CommitHook, has_written


class ChangeCounter(Protocol):
    """What tells a worker that something was committed, by any process (see
    app.http.response_cache, which keeps answers only while it has not moved)."""

    def current(self) -> int | None:
        """A number that changes whenever anything was committed; None if unknown."""

    def close(self) -> None: ...


class SqliteChangeCounter:
    """``PRAGMA data_version`` on a connection of its own: it changes when any other
    connection, in any process, commits to the file."""

    def __init__(self, path: str) -> None:
        self._connection = sqlite3.connect(path, check_same_thread=False, isolation_level=None)

    def current(self) -> int | None:
        try:
            return int(self._connection.execute("PRAGMA data_version").fetchone()[0])
        except sqlite3.Error:
            return None

    def close(self) -> None:
        self._connection.close()


class RedisChangeCounter:
    """A counter in Redis that every commit through this app's engine increments."""

    def __init__(self, url: str, *, key: str) -> None:
        self._redis = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self._key = key

    def current(self) -> int | None:
        try:
            return int(self._redis.get(self._key) or 0)
        except redis.RedisError:
            return None

    def count_commit(self, session: Session) -> None:
        """A commit hook (app.core.db.open_session): a session's commit that wrote counts."""
        if has_written(session):
            self.increment()

    def increment(self) -> None:
        # If Redis is away at this moment, other workers cannot be told: they may serve
        # what they kept for at most response_cache_seconds more.
        with contextlib.suppress(redis.RedisError):
            self._redis.incr(self._key)

    def close(self) -> None:
        self._redis.close()


def create_change_counter(settings: Settings) -> ChangeCounter | None:
    """What tells this worker that something was written: SQLite's own counter, or one in
    Redis on PostgreSQL. None (no response cache) on PostgreSQL without Redis."""
    if settings.response_cache_seconds == 0:
        return None
    if settings.is_sqlite:
        database = settings.sqlalchemy_url.database
        return SqliteChangeCounter(database) if database and database != ":memory:" else None
    if settings.redis_url:
        key = f"{settings.redis_prefix}changes"
        return RedisChangeCounter(settings.redis_url, key=key)
    return None


def commit_hooks(counter: ChangeCounter | None) -> list[CommitHook]:
    """What a session's commit does so that every worker's response cache hears of it:
    on PostgreSQL, count it in Redis (SQLite's own counter moves by itself)."""
    return [counter.count_commit] if isinstance(counter, RedisChangeCounter) else []
