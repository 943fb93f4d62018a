"""View beacons answered before the framework: ``POST /v1/articles/{ref}/views`` for an
article this worker has lately counted a view of is a limit check, a view held in memory
(app.articles.views) and a 204, in the event loop: no routing, no dependencies, no thread,
no database (under ``akhbar serve``, written by the protocol itself: app.http.immediate).
Pages send one per reader per article read, so the beacons of a busy site come a thousand
a second, and must cost the reads beside them little.

Anything else (an article not known here yet, a client over its limit) goes to the route,
which answers as it always does (404, 301, 429) and, on a 204, tells this middleware the
article's id, known here for a while after: between half of ``KNOWN_SECONDS`` and all of
it, each article for its own time, so that the articles learnt together are not all asked
of the route again at once. An article unpublished meanwhile may count views that long
(its beacons still answer 204, not 404); the most-read list shows public articles only.
Each relearning is a trip through the route and the database, so the time is long: a
site's few thousand articles read at once, learnt again every minute by every worker,
were a hundred such trips a second (bench/VIEWS.md).
"""

import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.articles.views import ViewCounter
from app.core.clock import utc_now
from app.http.client import client_address, limit_key
from app.http.immediate import Answer, answer_now_of, send_answer
from app.http.resources import Resources

KNOWN_SECONDS = 600.0
KNOWN_MAX = 100_000
# Where the route leaves the id of the article it counted a view of.
COUNTED = "akhbar.viewed_article"
# Where a client found over its limit is marked, for the same request's second look.
_OVER_LIMIT = "akhbar.views_over_limit"
_PATH = re.compile(r"/v1/articles/([^/]+)/views")


@dataclass(frozen=True)
class _Route:
    """What the edge reads of the route that answered (for metrics and the access log)."""

    path: str


_ROUTE = _Route("/v1/articles/{ref}/views")


class ViewBeacons:
    def __init__(self, app: ASGIApp, *, resources: Callable[[], Resources | None]) -> None:
        self.app = app
        self._inner_answer_now = answer_now_of(app)
        self._resources = resources
        self._known: dict[str, tuple[int, float]] = {}

    def answer_now(self, scope: Scope) -> Answer | None:
        """The 204 to a beacon for an article known here; for anything else, the answer
        of the app inside, if it has one at once."""
        match = self._beacon(scope)
        if match is None:
            return self._inner_answer_now(scope) if self._inner_answer_now else None
        return self._answer_known(scope, match[1])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        match = self._beacon(scope)
        if match is None:
            await self.app(scope, receive, send)
            return
        ref = match[1]
        answer = self._answer_known(scope, ref)
        if answer is not None:
            await send_answer(send, answer)
            return
        status = 0

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        await self.app(scope, receive, sending)
        article_id = scope.get(COUNTED)
        if status == 204 and article_id is not None:
            if len(self._known) >= KNOWN_MAX:  # learnt again as they are asked for
                self._known.clear()
            lifetime = KNOWN_SECONDS * random.uniform(0.5, 1.0)
            self._known[ref] = (article_id, time.monotonic() + lifetime)

    def _beacon(self, scope: Scope) -> re.Match[str] | None:
        """The path's match, if this is a beacon this middleware may answer."""
        if scope["type"] != "http" or scope["method"] != "POST" or scope.get("query_string"):
            return None
        return _PATH.fullmatch(scope["path"])

    def _answer_known(self, scope: Scope, ref: str) -> Answer | None:
        resources = self._resources()
        known = self._known.get(ref)
        if resources is None or known is None:
            return None
        if known[1] <= time.monotonic():
            del self._known[ref]
            return None
        if scope.get(_OVER_LIMIT) or not self._counted(scope, resources, known[0]):
            # Asked at once first, then through the app: the limit is looked at once.
            scope[_OVER_LIMIT] = True
            return None
        scope["route"] = _ROUTE
        return Answer(204, [])

    def _counted(self, scope: Scope, resources: Resources, article_id: int) -> bool:
        """The route's work for a known article: False if the client is over its limit
        (the route then answers, with the 429 and its headers)."""
        settings = resources.settings
        forwarded: list[str] = []
        user_agent = None
        for name, value in scope["headers"]:
            if name == b"x-forwarded-for":
                forwarded.append(value.decode("latin-1"))
            elif name == b"user-agent" and user_agent is None:
                user_agent = value.decode("latin-1")
        peer = scope["client"][0] if scope.get("client") else None
        client = limit_key(
            client_address(peer, forwarded, settings.trusted_proxies),
            ipv6_prefix=settings.ipv6_limit_prefix,
        )
        limit, window = settings.views_rate
        counter = resources.part(ViewCounter)
        if not counter.limiter.hit(f"views:{client}", limit=limit, window_seconds=window).allowed:
            return False
        counter.viewed(article_id, client, user_agent, utc_now())
        return True
