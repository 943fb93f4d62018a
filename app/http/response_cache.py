"""A response cache in front of the app, and the cache headers of every public read.

Routes declare how long their public answers may be kept and which resources they
contain (``app.http.cache``). This middleware does the rest for every GET answered 200:

- a strong ``ETag``: a digest of the bytes (after the route's own tag, if it set one,
  so that an article's tag still names its version), and a 304 for ``If-None-Match``;
- ``Cache-Control: private, no-store`` on anything asked with a token, ``Vary:
  Authorization`` on public answers, and ``Cache-Tag`` beside ``Surrogate-Key``;
- a per-worker cache of public answers, so that a hot read costs no database query and
  no serialisation. An entry holds its answer's surrogate keys and ends when a commit
  ends one of them (app.core.changes: the worker hears every commit's keys, its own at
  once, others' through SQLite's change table or PostgreSQL's NOTIFY; a hit costs no
  round trip). A write that changes nothing public ends nothing. While the worker cannot
  hear (its PostgreSQL listener is reconnecting) it keeps and serves nothing. Changes
  that come with the clock rather than a write (a scheduled article's time, a ticker
  window) end every entry when they come: the next such moment is read from the
  database once, and again whenever a write may have moved it.
  ``response_cache_seconds`` caps a lifetime (each entry lives between half of it and
  all of it).
"""

import asyncio
import hashlib
import random
import time
from collections import OrderedDict, defaultdict, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from urllib.parse import parse_qsl, urlencode

from sqlmodel import Session
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.changes import CLOCK, EVERYTHING, ChangeFeed
from app.core.clock import utc_now
from app.http.conditional import none_match
from app.http.immediate import Answer, send_answer
from app.http.observability import Metrics
from app.http.resources import Resources

PRIVATE = b"private, no-store"
# In the scope of a request the cache lets through: what says it will answer nothing to
# share (see ``nothing_to_share``).
_NOTHING_TO_SHARE = "akhbar.nothing_to_share"


def nothing_to_share(request: Request) -> None:
    """Say, before answering, that this request will answer nothing the others asking
    the same may share (a refusal held back on purpose): those waiting for its answer
    make their own now, rather than wait for it."""
    release = request.scope.get(_NOTHING_TO_SHARE)
    if release is not None:
        release()


def next_clock_change(resources: Resources, now: datetime) -> datetime | None:
    """The first moment after ``now`` at which an answer changes by itself, as the
    domains that have such moments tell it (``Resources.clock_changes``)."""
    with Session(resources.engine) as session:
        found = [next_change(session, now) for next_change in resources.clock_changes]
    return min((moment for moment in found if moment is not None), default=None)


@dataclass(frozen=True, slots=True)
class Entry:
    expires: float
    etag: bytes
    ok: Answer  # the 200
    unchanged: Answer  # the 304 to an If-None-Match that names it
    route: object
    # Its surrogate keys: a change that ends one of them ends it (none: any change does).
    keys: frozenset[str]

    @classmethod
    def of(
        cls, headers: list[tuple[bytes, bytes]], body: bytes, *, expires: float, route: object
    ) -> "Entry":
        """The entry of a public 200's headers and body."""
        etag, headers, keys = _finish(headers, body)
        ok = Answer(200, [*headers, (b"content-length", b"%d" % len(body))], body)
        unchanged = Answer(304, [(n, v) for n, v in headers if n != b"content-type"])
        return cls(expires, etag, ok, unchanged, route, keys)

    @property
    def size(self) -> int:
        """Roughly the bytes it holds: what the cache's byte bound counts."""
        return len(self.ok.body) + 2 * len(self.ok.lines) + 200

    def answer(self, if_none_match: bytes | None) -> Answer:
        if if_none_match is None:
            return self.ok
        # The usual revalidation names exactly this tag: no list to read.
        if if_none_match == self.etag or none_match(
            if_none_match.decode("latin-1"), self.etag.decode()
        ):
            return self.unchanged
        return self.ok


# The key under which entries without surrogate keys are found: every change ends them.
_UNKEYED = ""
# How many recent changes are remembered, to tell whether one ended an answer being made.
_RECENT_CHANGES = 512


class ResponseCacheMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        resources: Callable[[], Resources | None],
        metrics: Metrics,
        seconds: float,
        max_entries: int,
        max_bytes: int,
        max_entry_bytes: int = 1 << 20,
        bypass: Sequence[str] = (),
    ) -> None:
        self.app = app
        # Path prefixes whose answers are never kept (files, streamed and ranged).
        self._bypass = tuple(prefix.encode() for prefix in bypass)
        self._resources = resources
        # When the clock next changes a public answer (None: to be looked up).
        self._horizon: float | None = None
        self._metrics = metrics
        self._seconds = seconds
        self._max_entries = max_entries
        self._max_bytes = max_bytes
        self._bytes = 0
        self._max_entry_bytes = min(max_entry_bytes, max_bytes)
        self._entries: OrderedDict[bytes, Entry] = OrderedDict()
        # Which entries hold each surrogate key.
        self._holding: defaultdict[str, set[bytes]] = defaultdict(set)
        # The changes heard, numbered: an answer is kept only if none heard while it was
        # being made ended one of its keys (its data may predate the change).
        self._changes_heard = 0
        self._recent: deque[tuple[int, frozenset[str]]] = deque(maxlen=_RECENT_CHANGES)
        # Answers being made, by the number of changes heard when they began.
        self._pending: dict[bytes, tuple[int, asyncio.Future[Entry | None]]] = {}
        # The feed this cache listens to (the running app's: a new one for each lifespan).
        self._feed: ChangeFeed | None = None

    def answer_now(self, scope: Scope) -> Answer | None:
        """The kept answer to this request, if there is a fresh one."""
        if not self._cacheable(scope):
            return None
        headers = dict(scope["headers"])
        if b"authorization" in headers or not self._listening():
            return None
        key = _key(scope)
        entry, _ = self._kept(key)
        if entry is None:
            return None
        return self._hit(scope, key, entry, headers.get(b"if-none-match"))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self._cacheable(scope):
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        if b"authorization" in headers:
            await self.app(scope, receive, _private(send))
            return
        if_none_match = headers.get(b"if-none-match")
        key = _key(scope)
        if not self._listening():
            await self._make(scope, receive, send, key, if_none_match, keep=False)
            return
        entry, making = self._kept(key)
        if entry is None and making is not None:
            # One request makes the answer, and those that ask for it meanwhile wait for it
            # rather than all query the database at once.
            entry = await asyncio.shield(making)
        if entry is not None:
            await send_answer(send, self._hit(scope, key, entry, if_none_match))
            return
        await self._make(scope, receive, send, key, if_none_match, keep=True)

    def _cacheable(self, scope: Scope) -> bool:
        return (
            scope["type"] == "http"
            and scope["method"] == "GET"
            and not scope["raw_path"].startswith(self._bypass)
        )

    def _kept(self, key: bytes) -> tuple[Entry | None, asyncio.Future[Entry | None] | None]:
        """The entry to serve, if any, and the answer being made for ``key``, if any."""
        entry = self._entries.get(key)
        pending = self._pending.get(key)
        making = pending[1] if pending is not None and pending[0] == self._changes_heard else None
        # Fresh; or only older than its lifetime while one request already remakes it
        # (nothing changed it: serve it rather than wait).
        if entry is not None and (entry.expires > time.time() or making is not None):
            return entry, making
        return None, making

    def _listening(self) -> bool:
        """Whether this worker hears what changes end (and ends them now): only then may
        it keep and serve answers. Ends everything when the clock has changed an answer."""
        resources = self._resources() if self._seconds > 0 else None
        feed = resources.change_feed if resources is not None else None
        if feed is not None and feed is not self._feed:
            feed.listen(self._end)
            self._feed = feed
        if feed is None or not feed.poll():
            if self._entries:
                self._end(frozenset({EVERYTHING}))
            return False
        if self._horizon is not None and time.time() >= self._horizon:
            self._end(frozenset({EVERYTHING, CLOCK}))
        if self._horizon is None:  # asked of the database once per change of it
            assert resources is not None
            upcoming = next_clock_change(resources, utc_now())
            self._horizon = upcoming.timestamp() if upcoming else float("inf")
        return True

    def _end(self, keys: frozenset[str]) -> None:
        """End the entries holding any of ``keys`` (and those holding none)."""
        self._changes_heard += 1
        self._recent.append((self._changes_heard, keys))
        if CLOCK in keys:
            self._horizon = None
        if EVERYTHING in keys:
            self._entries.clear()
            self._holding.clear()
            self._bytes = 0
            return
        for ended in (*keys, _UNKEYED):
            for key in self._holding.pop(ended, ()):
                self._drop(key)

    def _ended_since(self, heard: int, keys: frozenset[str]) -> bool:
        """Whether a change heard after the first ``heard`` ended any of ``keys`` (or may
        have: one no longer remembered)."""
        if heard == self._changes_heard:
            return False
        if not self._recent or self._recent[0][0] > heard + 1:
            return True
        return any(
            EVERYTHING in ended or not keys or not ended.isdisjoint(keys)
            for number, ended in self._recent
            if number > heard
        )

    def _hit(self, scope: Scope, key: bytes, entry: Entry, if_none_match: bytes | None) -> Answer:
        self._metrics.cache_hit()
        if key in self._entries:
            self._entries.move_to_end(key)
        scope["route"] = entry.route
        return entry.answer(if_none_match)

    async def _make(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        key: bytes,
        if_none_match: bytes | None,
        *,
        keep: bool,
    ) -> None:
        """Let the app answer; keep a public 200 (and hand it to those waiting for it)."""
        made: asyncio.Future[Entry | None] = asyncio.get_running_loop().create_future()
        heard = self._changes_heard
        if keep:
            self._pending[key] = (heard, made)

        def release_waiters() -> None:
            if not made.done():
                made.set_result(None)

        scope[_NOTHING_TO_SHARE] = release_waiters
        start: Message | None = None
        chunks: list[bytes] = []

        async def buffer_public(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                if message["status"] == 200 and _is_public(message["headers"]):
                    start = message
                    return
                release_waiters()  # nothing to share: those waiting go their own way
                await send(message)
                return
            if start is None:
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            body = b"".join(chunks)
            entry = Entry.of(
                start["headers"],
                body,
                expires=time.time() + self._lifetime(),
                route=scope.get("route"),
            )
            if keep and len(body) <= self._max_entry_bytes:
                if not self._ended_since(heard, entry.keys):
                    self._store(key, entry)
                made.set_result(entry)
            self._metrics.cache_lookups.labels("miss" if keep else "bypass").inc()
            await send_answer(send, entry.answer(if_none_match))

        try:
            await self.app(scope, receive, buffer_public)
        finally:
            release_waiters()
            if self._pending.get(key, (None, None))[1] is made:
                del self._pending[key]

    def _lifetime(self) -> float:
        """Between half the longest lifetime and all of it, each entry its own: answers made
        together (a new worker's first seconds) do not all end, and all ask the database
        again, at the same moment."""
        return self._seconds * random.uniform(0.5, 1.0)

    def _store(self, key: bytes, entry: Entry) -> None:
        """Keep ``entry``, then forget the least recently used until within both bounds."""
        self._drop(key)
        self._entries[key] = entry
        self._bytes += len(key) + entry.size
        for held in entry.keys or (_UNKEYED,):
            self._holding[held].add(key)
        while len(self._entries) > self._max_entries or self._bytes > self._max_bytes:
            self._drop(next(iter(self._entries)))

    def _drop(self, key: bytes) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self._bytes -= len(key) + entry.size
            for held in entry.keys or (_UNKEYED,):
                holders = self._holding.get(held)
                if holders is not None:
                    holders.discard(key)
                    if not holders:
                        del self._holding[held]


def _key(scope: Scope) -> bytes:
    path: bytes = scope["raw_path"]
    return path + b"?" + _normalised(scope["query_string"])


@lru_cache(maxsize=4096)  # parsing a query was a tenth of what a hit cost
def _normalised(query: bytes) -> bytes:
    """One key for every spelling of one query: parameters in order, one percent-encoding.
    (Parameters a route does not know are a 422, which is never kept.)"""
    if not query:
        return query
    pairs = parse_qsl(query.decode("latin-1"), keep_blank_values=True, encoding="latin-1")
    return urlencode(sorted(pairs), encoding="latin-1").encode("latin-1")


def _is_public(headers: list[tuple[bytes, bytes]]) -> bool:
    return any(name == b"cache-control" and value.startswith(b"public") for name, value in headers)


def _finish(
    headers: list[tuple[bytes, bytes]], body: bytes
) -> tuple[bytes, list[tuple[bytes, bytes]], frozenset[str]]:
    """The strong ETag of these bytes, the headers of the public answer, and its
    surrogate keys."""
    digest = hashlib.blake2b(body, digest_size=10).hexdigest().encode()
    route_tag = next((value for name, value in headers if name == b"etag"), None)
    etag = b'"' + (route_tag.strip(b'"') + b"-" if route_tag else b"") + digest + b'"'
    kept = [(n, v) for n, v in headers if n not in (b"etag", b"content-length")]
    keys = next((value for name, value in headers if name == b"surrogate-key"), None)
    if keys:
        kept.append((b"cache-tag", b",".join(keys.split())))
    kept += [(b"etag", etag), (b"vary", b"Authorization")]
    return etag, kept, frozenset(keys.decode("latin-1").split()) if keys else frozenset()


def _private(send: Send) -> Send:
    async def send_private(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = [(n, v) for n, v in message.get("headers", []) if n != b"cache-control"]
            message["headers"] = [*headers, (b"cache-control", PRIVATE)]
        await send(message)

    return send_private
