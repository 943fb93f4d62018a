"""What the ticker announces (see app.core.events)."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from app.core.events import Event

TickerReason = Literal[
    "created",
    "updated",
    "deleted",
    "reordered",
    "window_opened",
    "window_closed",
    "article_changed",
]


@dataclass(frozen=True)
class HeadlinesChanged(Event):
    """The bar the public sees changed now, in these headlines."""

    reason: TickerReason
    headline_ids: Sequence[int]
    now: datetime


@dataclass(frozen=True)
class HeadlineWindowSet(Event):
    """A headline's window: the moments still to come at which it opens or closes by
    itself (none for a deleted or inactive one), replacing those announced before."""

    headline_id: int
    edges: Sequence[tuple[datetime, TickerReason]]
    now: datetime
