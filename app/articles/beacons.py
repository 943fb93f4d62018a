"""View beacons answered before the framework: ``POST /v1/articles/{ref}/views`` for an
article this worker has lately counted a view of is a limit check, a view held in memory
(app.articles.views) and a 204, in the event loop: no routing, no dependencies, no thread,
no database (under ``akhbar serve``, written by the protocol itself: app.http.immediate).
Pages send one per reader per article read, so the beacons of a busy site come a thousand
a second, and must cost the reads beside them little.

Anything else (an article not known here yet, a client over its limit) goes to the route,
which answers as it always does (404, 308, 429) and, on a 204, tells this middleware the
article's id. The article is then known here until a change to it is heard
(app.core.changes: an edit, an unpublishing, a new slug, a comment shown), and its next
beacon goes to the route again; so a beacon is answered as the route would answer it now.
While this worker cannot hear changes (no response cache, a lost connection), every beacon
goes to the route. A change announced outside the app (SQL typed by hand) is not heard:
so an article is known for at most ``KNOWN_SECONDS``, between half of it and all of it,
each article for its own time, so that the articles learnt together are not all asked of
the route again at once. Each relearning is a trip through the route and the database: a
site's 2,000 articles read at once, learnt again every 5 to 10 minutes by every worker,
were most of what a beacon cost the machine beyond a cached read (bench/VIEWS.md).
"""

import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.articles.views import ViewCounter
from app.core.changes import EVERYTHING, ChangeFeed, Heard
from app.core.clock import utc_now
from app.http.client import client_address, limit_key
from app.http.immediate import Answer, answer_now_of, send_answer
from app.http.resources import Resources

KNOWN_SECONDS = 3600.0
# Articles known, and articles whose changes are remembered, at most.
KNOWN_MAX = 100_000
# The surrogate key a change to an article ends (app.invalidation).
_ARTICLE_KEY = re.compile(r"article-(\d+)")
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
_NO_CONTENT = Answer(204, [])


class ViewBeacons:
    def __init__(self, app: ASGIApp, *, resources: Callable[[], Resources | None]) -> None:
        self.app = app
        self._inner_answer_now = answer_now_of(app)
        self._resources = resources
        # ref → (article id, known until, the changes heard before the route read it)
        self._known: dict[str, tuple[int, float, int]] = {}
        self._feed: ChangeFeed | None = None
        # The changes heard, numbered; the number of the last that ended each article
        # (or every article): what the route read before it is known no more.
        self._changes = 0
        self._ended: dict[int, int] = {}
        self._all_ended = 0

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
        before = self._changes

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        await self.app(scope, receive, sending)
        article_id = scope.get(COUNTED)
        if status == 204 and article_id is not None and self._feed is not None:
            if len(self._known) >= KNOWN_MAX:  # learnt again as they are asked for
                self._known.clear()
            lifetime = KNOWN_SECONDS * random.uniform(0.5, 1.0)
            self._known[ref] = (article_id, time.monotonic() + lifetime, before)

    def _beacon(self, scope: Scope) -> re.Match[str] | None:
        """The path's match, if this is a beacon this middleware may answer."""
        if scope["type"] != "http" or scope["method"] != "POST" or scope.get("query_string"):
            return None
        return _PATH.fullmatch(scope["path"])

    def _answer_known(self, scope: Scope, ref: str) -> Answer | None:
        resources = self._resources()
        if resources is None or not self._hearing(resources.change_feed):
            return None
        known = self._known.get(ref)
        if known is None:
            return None
        article_id, until, read_after = known
        if until <= time.monotonic() or read_after < max(
            self._all_ended, self._ended.get(article_id, 0)
        ):
            del self._known[ref]
            return None
        if scope.get(_OVER_LIMIT) or not self._counted(scope, resources, article_id):
            # Asked at once first, then through the app: the limit is looked at once.
            scope[_OVER_LIMIT] = True
            return None
        scope["route"] = _ROUTE
        return _NO_CONTENT

    def _hearing(self, feed: ChangeFeed | None) -> bool:
        """Whether this worker hears the changes to articles (and has heard those so far)."""
        if feed is None:
            return False
        if feed is not self._feed:  # a new lifespan's
            self._feed = feed
            self._forget_all()
            feed.listen(self._heard)
        return feed.poll()

    def _heard(self, keys: Heard) -> None:
        """A change heard: the articles it ended are known no more."""
        self._changes += 1
        if EVERYTHING in keys or len(self._ended) >= KNOWN_MAX:
            self._forget_all()
            return
        for key in keys:
            if match := _ARTICLE_KEY.fullmatch(key):
                self._ended[int(match[1])] = self._changes

    def _forget_all(self) -> None:
        self._known.clear()
        self._ended.clear()
        self._all_ended = self._changes

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
