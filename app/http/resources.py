"""What a running app holds: built once, by the app factory's lifespan in each worker
process, and read through typed dependencies (``app.http.deps``), never attribute by attribute
from ``app.state``.

The kernel's resources are fields; the domains' own (the comment policy, the ticker's
watcher, …) are kept by their type in ``parts`` and read with ``part(TheirType)``, so this
module knows no domain.
"""

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from fastapi import FastAPI
from sqlalchemy import Engine
from sqlmodel import Session

from app.core.changes import ChangeFeed
from app.core.config import Settings
from app.core.db import CommitHook
from app.core.events import EventHandlers
from app.http.limits import Limiter
from app.http.observability import Metrics

T = TypeVar("T")


@dataclass(frozen=True)
class Resources:
    settings: Settings
    metrics: Metrics
    event_handlers: EventHandlers
    engine: Engine
    # How many requests may hold a database session at once (see app.http.deps.get_session).
    session_gate: asyncio.Semaphore
    limiter: Limiter
    # What tells this worker which answers commits ended (None: no response cache).
    change_feed: ChangeFeed | None
    # Each gives the next moment after ``now`` at which the clock alone changes a public
    # answer (a scheduled article's time, a ticker window's edge), or None.
    clock_changes: Sequence[Callable[[Session, datetime], datetime | None]] = ()
    # What each request session runs after its commit (app.core.db.open_session).
    on_commit: Sequence[CommitHook] = ()
    parts: Mapping[type[Any], Any] = field(default_factory=dict)

    def part(self, kind: type[T]) -> T:
        value = self.parts[kind]
        assert isinstance(value, kind)
        return value


def resources_of(app: FastAPI) -> Resources | None:
    """The app's resources while its lifespan runs; None before or after."""
    resources: Resources | None = getattr(app.state, "resources", None)
    return resources
