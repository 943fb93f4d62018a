"""The live ticker: one watcher per worker process notices changes for all its streams.

While at least one client is connected, the watcher reads the public ticker from the
database every ``ticker_poll_seconds`` and wakes the streams when it differs from the last
reading. Reading the database, not process memory, is what makes a change made through
any worker (or a window opening by the clock) reach the streams on every worker.
"""

import asyncio
import hashlib
import logging
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import anyio
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from app.core.errors import AkhbarError, TooManyRequests
from app.ticker import service
from app.ticker.schemas import TickerHeadlinePublic, TickerListQuery, TickerPage

STREAM_PAGE_SIZE = 100
logger = logging.getLogger("akhbar.ticker")


class StreamsFull(AkhbarError):
    """Every stream this worker may hold is open: come back later (or to another worker)."""

    status = 503

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.retry_after_seconds = 30


@dataclass(frozen=True)
class TickerSnapshot:
    id: str  # the SSE event id: a digest of the list, so a reconnecting client can say
    # which list it has (Last-Event-ID) and is not sent it again.
    body: str


def read_public_ticker(session: Session) -> TickerSnapshot:
    rows, next_cursor = service.list_headlines(
        session, query=TickerListQuery(limit=STREAM_PAGE_SIZE)
    )
    page = TickerPage(
        data=[TickerHeadlinePublic.from_headline(row) for row in rows],
        meta={"limit": STREAM_PAGE_SIZE, "next_cursor": next_cursor},
    )
    body = page.model_dump_json()
    return TickerSnapshot(id=hashlib.blake2b(body.encode(), digest_size=12).hexdigest(), body=body)


class TickerWatcher:
    def __init__(
        self,
        engine: Engine,
        *,
        poll_seconds: float,
        streams_per_client: int,
        streams_max: int,
    ) -> None:
        self._engine = engine
        self._poll_seconds = poll_seconds
        self._streams_per_client = streams_per_client
        self._streams_max = streams_max
        self._streams: Counter[str] = Counter()
        self._snapshot: TickerSnapshot | None = None
        self._changed = asyncio.Condition()
        self._task: asyncio.Task[None] | None = None

    @asynccontextmanager
    async def stream_slot(self, client: str) -> AsyncIterator[None]:
        """Hold one of the client's stream slots (429 when it has them all), and one of
        this worker's (503 when all are taken, by however many clients)."""
        if self._streams[client] >= self._streams_per_client:
            raise TooManyRequests(
                f"at most {self._streams_per_client} open ticker streams per client",
                retry_after_seconds=30,
            )
        if self._streams.total() >= self._streams_max:
            raise StreamsFull(
                f"this server follows {self._streams_max} ticker streams already: reconnect "
                "later, or poll GET /v1/ticker"
            )
        self._streams[client] += 1
        if self._task is None or self._task.done():
            self._snapshot = None
            self._task = asyncio.create_task(self._watch())
        try:
            yield
        finally:
            self._streams[client] -= 1
            if self._streams[client] <= 0:
                del self._streams[client]

    async def current(self) -> TickerSnapshot:
        async with self._changed:
            await self._changed.wait_for(lambda: self._snapshot is not None)
            assert self._snapshot is not None
            return self._snapshot

    async def changed_from(self, snapshot_id: str) -> TickerSnapshot:
        """The next reading that differs from ``snapshot_id``."""
        async with self._changed:
            await self._changed.wait_for(
                lambda: self._snapshot is not None and self._snapshot.id != snapshot_id
            )
            assert self._snapshot is not None
            return self._snapshot

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with anyio.CancelScope(shield=True):
                await asyncio.gather(self._task, return_exceptions=True)

    async def _watch(self) -> None:
        # Runs while streams are open; the next stream to open starts it again.
        while self._streams:
            try:
                snapshot = await anyio.to_thread.run_sync(self._read)
            except SQLAlchemyError:
                # The database is away: keep the streams open on what they have.
                logger.warning("ticker watcher could not read the database", exc_info=True)
                await asyncio.sleep(self._poll_seconds)
                continue
            if self._snapshot is None or snapshot.id != self._snapshot.id:
                async with self._changed:
                    self._snapshot = snapshot
                    self._changed.notify_all()
            await asyncio.sleep(self._poll_seconds)

    def _read(self) -> TickerSnapshot:
        with Session(self._engine) as session:
            return read_public_ticker(session)
