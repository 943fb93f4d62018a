"""The delivery worker: runs inside each API process and as ``akhbar worker``.

It looks for work every ``webhooks_poll_seconds`` (and at once when a commit in its own
process wrote an event): makes the deliveries of due events, claims due deliveries, and
sends up to ``CONCURRENCY`` at a time, each on its own deadline. Any number of workers may
run against one database: a delivery is claimed by one at a time (see ``service``). On
stop, attempts in flight get a moment to finish; one cut short is tried again when its
claim runs out. Delivery is at least once: receivers drop repeats by ``webhook-id``.
"""

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import TypeVar
from urllib.parse import urlsplit

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from app.core.clock import utc_now
from app.core.config import Settings
from app.core.db import did, unit_of_work
from app.webhooks import queue
from app.webhooks.deliveries import DeliveryPolicy, Job, attempt, finish
from app.webhooks.outbox import EVENT_WRITTEN
from app.webhooks.pings import keep_pings
from app.webhooks.sender import Outcome

logger = logging.getLogger("akhbar.webhooks")

CONCURRENCY = 8
PRUNE_EVERY_SECONDS = 3600.0
# Woken by a commit, the worker waits this long for the commits that follow it (readers'
# comments come in bursts): one pass then serves them all, where a pass per commit cost
# each comment more than the comment itself (4 statements with no subscription at all).
GATHER_SECONDS = 0.1
# How long in-flight attempts may go on after a stop, at most.
STOP_GRACE_SECONDS = 3.0

T = TypeVar("T")


def bookkeeping_session(engine: Engine) -> Session:
    """A session whose commits are the worker's own records, not content: it runs no
    commit hooks, so they do not end the response caches' entries (on PostgreSQL;
    SQLite's counter sees every commit)."""
    return Session(engine)


class DeliveryWorker:
    def __init__(self, engine: Engine, settings: Settings) -> None:
        self._engine = engine
        self._settings = settings
        self._policy = DeliveryPolicy.from_settings(settings)
        self._poll_seconds = settings.webhooks_poll_seconds
        self._wake = asyncio.Event()
        self._stopping = False
        self._in_flight: set[asyncio.Task[None]] = set()
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._task = asyncio.create_task(self.run(), name="webhook-worker")

    def on_commit(self, session: Session) -> None:
        """A commit hook (app.core.db.open_session): a commit that wrote an event wakes it."""
        if did(session, EVENT_WRITTEN):
            self.wake()

    def wake(self) -> None:
        """Look for work now (callable from any thread)."""
        if self._loop is not None and not self._loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop just closed
                self._loop.call_soon_threadsafe(self._wake.set)

    async def stop(self) -> None:
        self._stopping = True
        self._wake.set()
        await self.finished()

    async def finished(self) -> None:
        """Wait until the worker has stopped."""
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)

    async def run(self) -> None:
        self._loop = self._loop or asyncio.get_running_loop()
        next_prune = 0.0
        try:
            await self._db(self._keep_pings)
        except SQLAlchemyError:
            logger.warning("webhook worker could not set the pings up", exc_info=True)
        while not self._stopping:
            self._wake.clear()
            try:
                if time.monotonic() >= next_prune:
                    next_prune = time.monotonic() + PRUNE_EVERY_SECONDS
                    await self._db(self._prune)
                await self._db(self._fan_out)
                free = CONCURRENCY - len(self._in_flight)
                jobs = await self._db(self._claim, free) if free > 0 else []
            except SQLAlchemyError:
                logger.warning("webhook worker could not reach the database", exc_info=True)
                await self._sleep(max(self._poll_seconds, 1.0))
                continue
            for job in jobs:
                task = asyncio.create_task(self._deliver(job))
                self._in_flight.add(task)
                task.add_done_callback(self._attempt_done)
            if 0 < free == len(jobs):
                continue  # more may be waiting
            await self._sleep(self._poll_seconds)
        await self._finish_in_flight()

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), seconds)
            if not self._stopping:
                await asyncio.sleep(GATHER_SECONDS)

    def _attempt_done(self, task: asyncio.Task[None]) -> None:
        self._in_flight.discard(task)
        self._wake.set()  # a slot is free

    async def _finish_in_flight(self) -> None:
        if not self._in_flight:
            return
        grace = min(STOP_GRACE_SECONDS, self._policy.timeout_seconds)
        _done, cut_short = await asyncio.wait(self._in_flight, timeout=grace)
        for task in cut_short:
            task.cancel()
        await asyncio.gather(*cut_short, return_exceptions=True)

    async def _deliver(self, job: Job) -> None:
        outcome = await attempt(job, self._policy)
        logger.info(
            "webhook delivery attempt",
            extra={
                "fields": {
                    "delivery_id": job.delivery_id,
                    "message_id": job.message_id,
                    "attempt": job.attempt,
                    # Scheme and host only: a URL's path or query may hold a secret.
                    "target": "{0.scheme}://{0.netloc}".format(urlsplit(job.url)),
                    "status_code": outcome.status_code,
                    "error": outcome.error,
                    "duration_ms": outcome.duration_ms,
                }
            },
        )
        try:
            recording = asyncio.ensure_future(self._db(self._finish, job, outcome))
            try:
                await asyncio.shield(recording)
            except asyncio.CancelledError:
                # Stopping: the thread ends what it began (and gives its connection back)
                # before the engine is disposed.
                await recording
                raise
        except SQLAlchemyError:
            # Not recorded: the claim runs out and the delivery is tried again.
            logger.warning("webhook worker could not record an attempt", exc_info=True)

    async def _db(self, function: Callable[..., T], *args: object) -> T:
        return await asyncio.to_thread(function, *args)

    def _keep_pings(self) -> None:
        with bookkeeping_session(self._engine) as session:
            keep_pings(session, self._settings)

    def _prune(self) -> None:
        with bookkeeping_session(self._engine) as session, unit_of_work(session):
            queue.prune(session, now=utc_now(), days=self._policy.retention_days)

    def _fan_out(self) -> None:
        with bookkeeping_session(self._engine) as session:
            fanned = True
            while fanned:  # a batch per transaction
                with unit_of_work(session):
                    fanned = bool(queue.fan_out(session, now=utc_now()))

    def _claim(self, limit: int) -> list[Job]:
        with bookkeeping_session(self._engine) as session, unit_of_work(session):
            return queue.claim_due(session, now=utc_now(), policy=self._policy, limit=limit)

    def _finish(self, job: Job, outcome: Outcome) -> None:
        with bookkeeping_session(self._engine) as session, unit_of_work(session):
            finish(session, job, outcome, policy=self._policy)
