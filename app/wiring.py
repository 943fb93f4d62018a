"""The composition root: which module hears which domain event, and sessions outside any
request that announce their changes the way the app's do.

The app factory and the command line call this; nothing else does. A domain announces
its changes through ``app.core.events`` and knows none of its subscribers: they are named here.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime

from sqlmodel import Session

from app import invalidation
from app.articles import service as articles_service
from app.articles import subscribers as articles
from app.core.config import Settings
from app.core.db import create_db_engine, open_session
from app.core.events import EventHandlers
from app.models.media import serve_files_from
from app.search import index as search_index
from app.ticker import service as ticker_service
from app.ticker import subscribers as ticker
from app.webhooks import outbox


def event_handlers() -> EventHandlers:
    handlers = EventHandlers()
    # In the order they hear an event: the webhooks of an article's change go out before
    # those of the headlines it changes in turn.
    outbox.subscribe(handlers)  # webhooks: every change the public sees, as an event
    search_index.subscribe(handlers)
    ticker.subscribe(handlers)  # an article's visibility changes the headlines linking it
    articles.subscribe(handlers)  # a term's change is a change of the articles showing it
    invalidation.subscribe(handlers)  # what each change ends in the response caches
    return handlers


def clock_changes() -> list[Callable[[Session, datetime], datetime | None]]:
    """Where the next moment is found at which the clock alone changes a public answer."""
    return [articles_service.next_publication, ticker_service.next_window_edge]


@contextmanager
def session_for(settings: Settings) -> Iterator[Session]:
    """A session outside any request (CLI, demo loader), on an engine of its own, whose
    commits announce what they end as the app's do (app.core.changes). Commit through
    ``app.core.db.unit_of_work``."""
    serve_files_from(settings.media_public_url)
    engine = create_db_engine(settings)
    try:
        with open_session(engine, event_handlers()) as session:
            yield session
    finally:
        engine.dispose()
