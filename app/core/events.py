"""Domain events: how a change announces itself, inside the transaction that makes it.

A service that changes something publishes an event into the session it wrote with
(``publish(session, ArticleChanged(...))``). The handlers subscribed to that kind of
event run at once, in the same transaction: what they write (a webhook's outbox row, the
search index) or publish in turn is committed or rolled back with the change itself, so
no subscriber hears of a change that did not happen, nor misses one that did.

Services import this module and their own events, never their subscribers. Subscribers
are wired explicitly by the composition root (``app.wiring``), which the app factory and
the command line call; a session opened without them refuses to publish rather than let
an announcement fall silently.
"""

from collections import defaultdict
from collections.abc import Callable
from typing import Any, TypeVar

from sqlmodel import Session

# The key of a session's handlers in ``session.info``.
HANDLERS = "akhbar.event_handlers"


class Event:
    """What happened; subclasses are frozen dataclasses named in the past tense."""


EventT = TypeVar("EventT", bound=Event)
Handler = Callable[[Session, EventT], None]


class EventHandlers:
    """Who hears which kind of event, in the order they subscribed."""

    def __init__(self) -> None:
        self._handlers: defaultdict[type[Event], list[Handler[Any]]] = defaultdict(list)

    def subscribe(self, kind: type[EventT], handler: Handler[EventT]) -> None:
        self._handlers[kind].append(handler)

    def handle(self, session: Session, event: Event) -> None:
        for handler in self._handlers.get(type(event), ()):
            handler(session, event)


class NoHandlers(RuntimeError):
    """A change was announced on a session opened without the app's event handlers."""


def publish(session: Session, event: Event) -> None:
    """Tell the subscribers of ``event`` now, in ``session``'s transaction."""
    handlers = session.info.get(HANDLERS)
    if not isinstance(handlers, EventHandlers):
        raise NoHandlers(
            f"{type(event).__name__} published on a session without event handlers: "
            "open sessions with app.core.db.open_session"
        )
    handlers.handle(session, event)
