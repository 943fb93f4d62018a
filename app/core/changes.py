"""What a commit changed of what the public sees, named by surrogate keys, and how every
worker hears of it.

A write names the keys of the answers it ends (``end_keys``; in the app, one subscriber
of the domain events does it for every change: see app.wiring). The keys are announced
inside the writing transaction, so they are heard when it commits and never if it rolls
back:

- SQLite: a row of ``cache_changes``. A worker sees that anything was committed by
  ``PRAGMA data_version`` on a connection of its own (shared memory, no query), and only
  then reads the rows it has not seen. Such a look cost a fifth of a cached answer, so a
  worker looks when the write-ahead log's size or time has changed, and at least every
  ``LOOK_EVERY`` seconds. The ``stat`` of the log is a system call, one too many for each
  cached answer of a busy worker, so it is made at most every ``STAT_EVERY`` seconds:
  another process's commit is heard within a millisecond, and within ``LOOK_EVERY`` at
  worst (a log rewritten from its start within one tick of the file system's clock).
- PostgreSQL: ``NOTIFY akhbar_changes``, delivered at commit to every worker, on every
  machine, that LISTENs.

A commit that ends no key (a pending comment, a token's last use, a webhook's
bookkeeping) announces nothing. The worker that commits hears its own keys at once (a
commit hook), before any announcement comes back. What a worker hears is told to every
part of it that listens, whichever of them looks: the response cache
(app.http.response_cache) ends the entries that hold an ended key, the view beacons
(app.articles.beacons) forget the articles that changed.
"""

import asyncio
import contextlib
import os
import sqlite3
import time
from collections import deque
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Protocol

import psycopg
from sqlalchemy import event, text
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session

from app.core.clock import utc_now
from app.core.config import Settings

# Ends every answer: what a change too large to list (or a lost announcement) ends.
EVERYTHING = "*"
# Not an answer: the next moment at which the clock alone changes an answer may have
# moved (a scheduled article, a ticker window), and should be looked up again.
CLOCK = "clock"
CHANNEL = "akhbar_changes"
# PostgreSQL refuses a NOTIFY payload of 8,000 bytes or more.
_MAX_PAYLOAD = 7900
# How long announcements are kept in the SQLite table (a worker idle for longer than
# this ends everything when it next looks).
KEPT_FOR = timedelta(minutes=10)
# How long a commit made by another process may go unheard on SQLite (docs/deployment.md).
LOOK_EVERY = 0.01
STAT_EVERY = 0.001
# In ``session.info``: the keys the current transaction ends, and those the transaction
# being (or last) committed announced, for the commit hooks.
_ENDED = "akhbar.ended_keys"
_ANNOUNCED = "akhbar.announced_keys"

Heard = frozenset[str]
Listener = Callable[[Heard], None]


def end_keys(session: OrmSession, keys: Iterable[str]) -> None:
    """The current transaction ends the answers holding any of ``keys``, when it commits."""
    session.info.setdefault(_ENDED, set()).update(keys)


def ended_keys(session: OrmSession) -> Heard:
    """What the transaction just committed ended (read by commit hooks)."""
    announced: Heard = session.info.get(_ANNOUNCED, frozenset())
    return announced


@event.listens_for(OrmSession, "before_commit")
def _announce(session: OrmSession) -> None:
    if session.in_nested_transaction():  # a savepoint released: the transaction goes on
        return
    keys = session.info[_ANNOUNCED] = frozenset(session.info.pop(_ENDED, ()))
    if not keys:
        return
    payload = " ".join(sorted(keys))
    if session.get_bind().dialect.name == "sqlite":
        now = utc_now().replace(tzinfo=None)
        row = session.execute(
            text("INSERT INTO cache_changes (keys, at) VALUES (:keys, :at) RETURNING id"),
            {"keys": payload, "at": now},
        ).scalar_one()
        # The newest row always stays: a worker tells from the oldest that it missed some.
        session.execute(
            text("DELETE FROM cache_changes WHERE at < :before AND id < :row"),
            {"before": now - KEPT_FOR, "row": row},
        )
        return
    if len(payload.encode()) > _MAX_PAYLOAD:
        payload = EVERYTHING
    session.execute(
        text("SELECT pg_notify(:channel, :keys)"), {"channel": CHANNEL, "keys": payload}
    )


@event.listens_for(OrmSession, "after_rollback")
def _forget(session: OrmSession) -> None:
    if not session.in_nested_transaction():
        session.info.pop(_ENDED, None)


class ChangeFeed(Protocol):
    """What one worker hears of the keys ended by commits, its own and every other
    process's (see the module docstring)."""

    def listen(self, listener: Listener) -> None:
        """Tell ``listener`` each key set heard from now on, oldest first, whoever polls."""

    def poll(self) -> bool:
        """Tell the listeners the key sets announced since the last poll; False while
        this worker cannot hear announcements (nothing kept may be served then)."""

    def heard_locally(self, session: Session) -> None:
        """A commit hook (app.core.db.open_session): this worker's own commit."""

    async def start(self) -> None:
        """Begin listening (in the worker's event loop)."""

    async def aclose(self) -> None: ...


class _Feed:
    def __init__(self) -> None:
        # Filled by commit hooks (request threads) and the listener (the event loop).
        self._heard: deque[Heard] = deque()
        self._listeners: list[Listener] = []

    def listen(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def heard_locally(self, session: Session) -> None:
        keys = ended_keys(session)
        if keys:
            self._heard.append(keys)

    async def start(self) -> None:
        pass

    def _tell(self, more: Iterable[Heard] = ()) -> bool:
        """Tell the listeners what was heard, then ``more``."""
        while self._heard:
            self._told(self._heard.popleft())
        for keys in more:
            self._told(keys)
        return True

    def _told(self, keys: Heard) -> None:
        for listener in self._listeners:
            listener(keys)


class SqliteChangeFeed(_Feed):
    """Announcements in the ``cache_changes`` table, read when ``data_version`` (which
    moves when any other connection, in any process, commits to the file) has moved."""

    def __init__(self, path: str, *, look_every: float = LOOK_EVERY) -> None:
        super().__init__()
        self._connection = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._version: int | None = None
        self._seen = 0
        self._log = f"{path}-wal"
        self._log_seen: tuple[int, int] | None = None
        self._look_every = look_every
        self._next_look = 0.0
        self._next_stat = 0.0
        self._deaf = False  # the last look failed

    def poll(self) -> bool:
        now = time.monotonic()
        if now < self._next_stat:
            return not self._deaf and self._tell()
        self._next_stat = now + STAT_EVERY
        try:
            log = os.stat(self._log)
            log_now: tuple[int, int] | None = (log.st_size, log.st_mtime_ns)
        except OSError:
            log_now = None
        if now < self._next_look and log_now == self._log_seen:
            return not self._deaf and self._tell()
        self._log_seen = log_now
        self._next_look = now + self._look_every
        self._deaf = False
        try:
            version = int(self._connection.execute("PRAGMA data_version").fetchone()[0])
            if version == self._version:
                return self._tell()
            if self._version is None:  # the first look: nothing was kept before it
                (newest,) = self._connection.execute("SELECT max(id) FROM cache_changes").fetchone()
                self._version, self._seen = version, newest or 0
                return self._tell()
            rows = self._connection.execute(
                "SELECT id, keys FROM cache_changes WHERE id > ? ORDER BY id", (self._seen,)
            ).fetchall()
        except sqlite3.Error:
            self._deaf = True
            return False
        heard = [frozenset(keys.split()) for _, keys in rows]
        if rows and rows[0][0] > self._seen + 1:
            heard.insert(0, frozenset({EVERYTHING}))  # some went unread: they were dropped
        self._version = version
        self._seen = rows[-1][0] if rows else self._seen
        return self._tell(heard)

    async def aclose(self) -> None:
        self._connection.close()


class PostgresChangeFeed(_Feed):
    """``LISTEN akhbar_changes`` on a connection of its own, in the worker's event loop
    (``start``). While that connection is lost, the worker hears nothing (``poll`` is
    False); once it listens again, everything kept before is ended."""

    APPLICATION_NAME = "akhbar-changes"

    def __init__(self, conninfo: str, *, retry_seconds: float = 0.5) -> None:
        super().__init__()
        self._conninfo = conninfo
        self._retry_seconds = retry_seconds
        self._listening = False
        self._ready = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self, *, wait_seconds: float = 3) -> None:
        """Listen from now on; wait (a little) for the first connection, so that a worker
        that can reach the database keeps answers from its first request."""
        self._task = asyncio.get_running_loop().create_task(self._listen())
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(wait_seconds):
                await self._ready.wait()

    def poll(self) -> bool:
        return self._listening and self._tell()

    async def _listen(self) -> None:
        while True:
            try:
                connection = await psycopg.AsyncConnection.connect(
                    self._conninfo,
                    autocommit=True,
                    connect_timeout=3,
                    application_name=self.APPLICATION_NAME,
                    keepalives_idle=5,
                    keepalives_interval=2,
                    keepalives_count=2,
                )
                async with connection:
                    await connection.execute(f"LISTEN {CHANNEL}")
                    # What was announced while nobody listened is lost: end everything.
                    self._heard.append(frozenset({EVERYTHING}))
                    self._listening = True
                    self._ready.set()
                    async for notice in connection.notifies():
                        self._heard.append(frozenset(notice.payload.split()))
            except psycopg.Error:
                pass
            finally:
                self._listening = False
            await asyncio.sleep(self._retry_seconds)

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


def create_change_feed(settings: Settings) -> ChangeFeed | None:
    """What tells this worker which answers changes ended; None (no response cache) when
    the cache is off or the database is SQLite in memory."""
    if settings.response_cache_seconds == 0:
        return None
    url = settings.sqlalchemy_url
    if settings.is_sqlite:
        return (
            SqliteChangeFeed(url.database) if url.database and url.database != ":memory:" else None
        )
    conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
    return PostgresChangeFeed(conninfo)
