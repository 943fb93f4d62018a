"""The engine factory, the UTC datetime column type, sessions and the unit of work."""

import asyncio
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import DateTime, Engine, QueuePool, create_engine, event, text
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import ORMExecuteState
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.types import TypeDecorator
from sqlmodel import Session

from app.core.config import Settings
from app.core.events import HANDLERS, EventHandlers


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware datetime stored as UTC on every database.

    SQLite has no time zones: without this, values come back naive and comparisons with
    aware datetimes fail. Naive values are refused rather than guessed at.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: Akhbar stores only timezone-aware times")
        value = value.astimezone(UTC)
        # SQLite compares datetimes as text: store them without an offset so that every
        # stored value has the same shape and sorts correctly.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _sqlite_pragmas(busy_timeout_ms: int) -> Any:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    return on_connect


def create_db_engine(settings: Settings) -> Engine:
    url = settings.sqlalchemy_url
    if settings.is_sqlite:
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        # SQLite writes one at a time and the GIL runs one thread anyway: a few
        # connections serve as well as many, and each keeps its own page cache.
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False},
            pool_size=settings.database_pool_size,
            max_overflow=0,
        )
        event.listen(engine, "connect", _sqlite_pragmas(settings.sqlite_busy_timeout_ms))
        return engine
    return create_engine(
        url,
        # No overflow: a connection opened for a burst and closed after it costs
        # PostgreSQL a process fork, more than the read it was opened for.
        pool_size=settings.database_pool_size,
        max_overflow=0,
        pool_pre_ping=True,
        # Fail fast while the server is away (readiness answers 503 within seconds, and
        # recovers as soon as it is back: pre-ping replaces dead pooled connections).
        connect_args={"connect_timeout": 3},
        pool_timeout=10,
    )


class QueryTimedOut(Exception):
    """A statement ran past the time limit it was given and was stopped."""


# SQLite calls the progress handler every this many virtual machine instructions.
_PROGRESS_STEPS = 1000


@contextmanager
def time_limit(session: Session, milliseconds: int) -> Iterator[None]:
    """Stop any statement ``session`` runs inside this block once it has run for longer
    than ``milliseconds`` (QueryTimedOut; on PostgreSQL the transaction is then aborted:
    the request may only roll back). PostgreSQL counts each statement on its own
    (``SET LOCAL statement_timeout``); SQLite counts from the start of the block (a
    progress handler, which is how SQLite interrupts a statement)."""
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        raw = connection.connection.driver_connection
        assert isinstance(raw, sqlite3.Connection)
        deadline = time.monotonic() + milliseconds / 1000
        raw.set_progress_handler(lambda: time.monotonic() > deadline, _PROGRESS_STEPS)
        try:
            yield
        except OperationalError as exc:
            if isinstance(exc.orig, sqlite3.OperationalError) and "interrupt" in str(exc.orig):
                raise QueryTimedOut from exc
            raise
        finally:
            raw.set_progress_handler(None, 0)
        return
    session.execute(text(f"SET LOCAL statement_timeout = {int(milliseconds)}"))
    try:
        yield
    except OperationalError as exc:
        if isinstance(exc.orig, psycopg.errors.QueryCanceled):
            raise QueryTimedOut from exc
        raise
    session.execute(text("SET LOCAL statement_timeout = DEFAULT"))


def session_gate(engine: Engine) -> asyncio.Semaphore:
    """How many requests may hold a session at once: the pool's capacity, one connection
    kept for the ticker watcher and the response cache."""
    pool = engine.pool
    capacity = pool.size() + max(pool._max_overflow, 0) if isinstance(pool, QueuePool) else 2
    return asyncio.Semaphore(max(1, capacity - 1))


# The callables a session runs after each commit of its transaction (``open_session``).
_ON_COMMIT = "akhbar.on_commit"
CommitHook = Callable[[Session], None]


def open_session(
    engine: Engine, handlers: EventHandlers, *, on_commit: Sequence[CommitHook] = ()
) -> Session:
    """A session whose changes announce themselves to ``handlers`` (see app.core.events), and
    which runs ``on_commit`` after each commit of its transaction (telling the response
    caches, waking the webhook worker: the app factory says what)."""
    return Session(engine, info={HANDLERS: handlers, _ON_COMMIT: tuple(on_commit)})


@contextmanager
def unit_of_work(session: Session) -> Iterator[Session]:
    """One use case, one transaction: committed when the block ends, rolled back if it
    raises. Services only flush; the command line, the webhook worker and the importer
    commit through this, and HTTP requests in the route class (app.http.routing)."""
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise


@contextmanager
def savepoint(session: Session) -> Iterator[None]:
    """A nested transaction: if the block raises, what it wrote is undone and the session's
    transaction goes on (a lost race on a unique key can be looked into, or tried again).

    Python's sqlite3 begins a transaction only at the first INSERT, UPDATE or DELETE; a
    SAVEPOINT before it would begin one of SQLite's own, which its RELEASE would commit.
    So on SQLite the transaction is begun first (deferred: no lock until the first write)."""
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        raw = connection.connection.driver_connection
        assert isinstance(raw, sqlite3.Connection)
        if not raw.in_transaction:
            raw.execute("BEGIN")
    with session.begin_nested():
        yield


# What a session's current transaction did (``mark``, ``did``): forgotten when it ends.
_DONE = "akhbar.done"
WROTE = "wrote"


def mark(session: OrmSession, what: str) -> None:
    session.info.setdefault(_DONE, set()).add(what)


def did(session: OrmSession, what: str) -> bool:
    return what in session.info.get(_DONE, ())


@event.listens_for(OrmSession, "after_flush")
def _remember_write(session: OrmSession, _context: object) -> None:
    mark(session, WROTE)


@event.listens_for(OrmSession, "do_orm_execute")
def _remember_statement_write(state: ORMExecuteState) -> None:
    # Bulk INSERT/UPDATE/DELETE statements write without a flush.
    if state.is_insert or state.is_update or state.is_delete:
        mark(state.session, WROTE)


# What the current transaction asked to run once it is committed (``after_commit``).
_AFTER_COMMIT = "akhbar.after_commit"


def after_commit(session: OrmSession, action: Callable[[], None]) -> None:
    """Run ``action`` once the session's transaction commits; never if it rolls back.
    For what must not happen before the change is durable (removing a file a row
    pointed to: the row goes first, then the file, never the reverse)."""
    session.info.setdefault(_AFTER_COMMIT, []).append(action)


@event.listens_for(OrmSession, "after_commit")
def _committed(session: OrmSession) -> None:
    if session.in_nested_transaction():  # a savepoint released: the transaction goes on
        return
    actions = session.info.pop(_AFTER_COMMIT, ())
    try:
        for hook in session.info.get(_ON_COMMIT, ()):
            hook(session)
        for action in actions:
            action()
    finally:
        session.info.pop(_DONE, None)


@event.listens_for(OrmSession, "after_rollback")
def _rolled_back(session: OrmSession) -> None:
    if not session.in_nested_transaction():  # a savepoint's end is not the transaction's
        session.info.pop(_DONE, None)
        session.info.pop(_AFTER_COMMIT, None)


def has_written(session: Session) -> bool:
    """Whether the session's transaction holds writes (pending ones included)."""
    return did(session, WROTE) or bool(session.new or session.dirty or session.deleted)


def end_read(session: Session) -> None:
    """End a transaction that only read by committing it (one that wrote is rolled back:
    its writes are for the route class to commit, app.http.routing).

    A read commits rather than rolls back for PostgreSQL's sake: psycopg forgets the
    statements it prepared at every rollback, so a connection whose every request ends
    in one never prepares any, and PostgreSQL plans each read afresh (~0.7 ms of its
    CPU for an article by slug, ~0.15 ms once prepared). On SQLite a read leaves no
    transaction open and this costs nothing."""
    if session.in_transaction() and not has_written(session):
        session.commit()
    session.close()


@contextmanager
def reading(session: Session) -> Iterator[Session]:
    """``session`` for a read whose transaction ends with the block (in the block's
    thread): by ``end_read`` when it succeeds, rolled back when it raises."""
    try:
        yield session
    except BaseException:
        session.close()
        raise
    end_read(session)
