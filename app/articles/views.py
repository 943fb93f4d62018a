"""Most read: views of public articles, counted by the clock hour (UTC).

A view counts once per reader per article per ``DEDUPE`` (30 minutes); known bots, and
requests that name no user agent, count nothing. A reader is known by a keyed digest
(HMAC-SHA256) of its address and user agent with the article, under a random key that
changes every day: neither the address nor the user agent is ever stored, and a digest
is kept only for the dedupe window (SECURITY.md).

Counts live in Redis when it is configured (a sorted set per hour, kept 8 days; the
dedupe digests as keys that expire), in the database otherwise (``article_view_count``,
``article_view_seen``, ``view_salt``); on a SQLite file, the dedupe digests are in a
file beside it that the machine's workers share (app.articles.seen). Either way a worker
holds the views it is sent for ``FLUSH_SECONDS`` and records them together, in one write
that also decides which are first views; a view announces nothing: no cached answer
ends for it. The beacons of an article a worker knows are answered before the framework
(app.articles.beacons).
"""

import asyncio
import hmac
import json
import logging
import re
import secrets
import threading
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import redis
from sqlalchemy import (
    BigInteger,
    Engine,
    Integer,
    String,
    bindparam,
    cast,
    delete,
    func,
    select,
    true,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from app.articles import reads, service
from app.articles.schemas import ArticleFilters, PopularQuery, PublicArticle
from app.articles.seen import SLOT_BITS, SeenFile
from app.core.config import Settings
from app.core.db import UTCDateTime
from app.core.errors import AkhbarError
from app.http.limits import MemoryLimiter
from app.models import metadata

DEDUPE = timedelta(minutes=30)
KEPT = timedelta(days=8)
Window = Literal["1h", "24h", "7d"]
WINDOW_HOURS: dict[str, int] = {"1h": 1, "24h": 24, "7d": 7 * 24}
# User agents of crawlers, link previews, monitors and scripts: what no reader sends.
_BOTS = re.compile(
    r"bot|crawl|spider|slurp|archiver|preview|facebookexternalhit|embedly|whatsapp|"
    r"headless|lighthouse|pingdom|uptime|monitor|curl|wget|python|java/|okhttp|libwww|"
    r"go-http-client|httpclient|scrapy|feedfetcher|feedparser|axios|node-fetch",
    re.IGNORECASE,
)
_COUNTS = metadata.tables["article_view_count"]
_SEEN = metadata.tables["article_view_seen"]
_SALTS = metadata.tables["view_salt"]
_ARTICLES = metadata.tables["article"]
# Old dedupe digests, counts and keys are removed once every this many counted views.
_PRUNE_EVERY = 500
# A worker holds the views it is sent this long before recording them all in one write,
# and at most this many (beyond, until the next write, views are not counted). What a
# write costs beyond its views is shared by them: on SQLite, a flush of 250 views cost 16
# µs a view, of 500 (a second of a worker's share of 1,000 beacons a second) 12 µs.
FLUSH_SECONDS = 1.0
PENDING_MAX = 50_000
logger = logging.getLogger("akhbar.views")


class ViewsUnavailable(AkhbarError):
    status = 503

    def __init__(self) -> None:
        super().__init__(
            "the store of view counts (Redis) is unreachable",
            arabic="تعذّر إحصاء المشاهدات الآن: حاول بعد قليل",
        )
        self.retry_after_seconds = 5


@contextmanager
def _answering() -> Iterator[None]:
    try:
        yield
    except redis.RedisError:
        raise ViewsUnavailable() from None


@lru_cache(maxsize=4096)
def is_bot(user_agent: str | None) -> bool:
    """Whether a user agent is no reader's (decided once per user agent: a site's readers
    send a few thousand different ones)."""
    return not user_agent or _BOTS.search(user_agent) is not None


def hour_of(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def window_start(window: str, now: datetime) -> datetime:
    """The first hour a window counts: ``1h`` is this hour and the one before it, ``24h``
    this hour and the 24 before it, and so on (counts are kept by the hour)."""
    return hour_of(now) - timedelta(hours=WINDOW_HOURS[window])


def _digest(keyed: hmac.HMAC, reader: str, article_id: int) -> bytes:
    """The HMAC-SHA256 of a reader and an article under ``keyed``, a day's salt: a copy of
    its keyed state, not ``hmac.digest``, which keys anew and lets the GIL go for every
    digest. A flush's hundreds of digests, each then waiting to take the GIL back from a
    busy event loop, cost the loop more than the digests do."""
    mac = keyed.copy()
    mac.update(f"{reader}\n{article_id}".encode())
    return mac.digest()


@dataclass(frozen=True, slots=True)
class _View:
    reader: str
    article_id: int
    at: datetime


class ViewCounter:
    """Where views are counted. ``count`` holds a view in this worker's memory (a moment:
    ``FLUSH_SECONDS``, at most ``PENDING_MAX`` of them); ``flush`` records those held in
    one write, which decides for each whether it is a reader's first view."""

    def __init__(self) -> None:
        self._pending: list[_View] = []
        self._lock = threading.Lock()
        self._salts: dict[str, str] = {}
        # The beacons of each client, limited in this worker's memory (a beacon waits for
        # no store: the dedupe, not the limit, is what keeps counts honest).
        self.limiter = MemoryLimiter()

    def viewed(self, article_id: int, client: str, user_agent: str | None, now: datetime) -> None:
        """A beacon from ``client`` with ``user_agent``: a reader's view, unless a bot's."""
        if not is_bot(user_agent):
            self.count(article_id, f"{client}\n{user_agent}", now)

    def count(self, article_id: int, reader: str, now: datetime) -> None:
        with self._lock:
            if len(self._pending) < PENDING_MAX:
                self._pending.append(_View(reader, article_id, now))

    def flush(self, engine: Engine) -> int:
        """Record the views held; how many were first views (and counted). Views the store
        failed to record are held again for the next flush (at most ``PENDING_MAX``): a
        view recorded twice, the store having kept it before it failed, counts once."""
        with self._lock:
            batch, self._pending = self._pending, []
        if not batch:
            return 0
        try:
            return self._record_batch(engine, batch)
        except Exception:
            with self._lock:
                self._pending = (batch + self._pending)[:PENDING_MAX]
            raise

    def _record_batch(self, engine: Engine, batch: list[_View]) -> int:
        with Session(engine) as session:
            salts = {
                day: hmac.new(self._salt(session, day.isoformat()).encode(), digestmod="sha256")
                for day in {v.at.date() for v in batch}
            }
            session.commit()
            # One per reader and article (the first), each as its digest.
            key = self._key
            views = {
                key(_digest(salts[v.at.date()], v.reader, v.article_id)): v for v in reversed(batch)
            }
            counted = self._record(session, views)
            session.commit()
        return counted

    def top(
        self, session: Session, window: str, now: datetime, limit: int
    ) -> list[tuple[int, int]]:
        """(article id, views) of the most viewed in ``window``, most first (this worker's
        views held are recorded first)."""
        self.flush(session.get_bind())  # type: ignore[arg-type]
        return self._top(session, window, now, limit)

    def close(self) -> None:
        pass

    @staticmethod
    def _key(digest: bytes) -> Any:
        """How the store keeps a reader's digest (HMAC-SHA256) of an article."""
        raise NotImplementedError

    def _record(self, session: Session, views: dict[Any, _View]) -> int:
        """Record ``views`` (by key): how many were first views."""
        raise NotImplementedError

    def _top(
        self, session: Session, window: str, now: datetime, limit: int
    ) -> list[tuple[int, int]]:
        raise NotImplementedError

    def _salt(self, session: Session, day: str) -> str:
        """The day's key of the reader digests: made by whichever worker needs it first."""
        if day not in self._salts:
            salt = self._shared_salt(session, day, secrets.token_hex(32))
            self._salts = {d: s for d, s in self._salts.items() if d > day} | {day: salt}
        return self._salts[day]

    def _shared_salt(self, session: Session, day: str, offered: str) -> str:
        raise NotImplementedError


async def keep_recording(counter: ViewCounter, engine: Engine) -> None:
    """Record the views this worker holds every ``FLUSH_SECONDS``, until cancelled (and
    once more then)."""
    try:
        while True:
            await asyncio.sleep(FLUSH_SECONDS)
            await _flush(counter, engine)
    finally:
        await asyncio.shield(_flush(counter, engine))


async def _flush(counter: ViewCounter, engine: Engine) -> None:
    try:
        await asyncio.to_thread(counter.flush, engine)
    except (SQLAlchemyError, ViewsUnavailable) as error:  # held for the next flush
        logger.warning("views not recorded yet: %s", type(error).__name__)


# Each statement reads its rows from one JSON array, a parameter, with the database's own
# function: a batch's hundreds of rows as one string, not as hundreds of parameters that
# SQLAlchemy processes one by one in Python (most of a flush's Python time, before).
_ELEMENTS: dict[str, Any] = {
    "sqlite": lambda name: func.json_each(bindparam(name, type_=String)),
    "postgresql": lambda name: func.json_array_elements_text(
        cast(bindparam(name, type_=String), postgresql.JSON)
    ),
}


def _first_seen(insert: Any, elements: Any) -> Any:
    """Hold each digest in the array ``digests`` until ``until``, unless it is held past
    ``now``; the digests held now (the first views)."""
    digests = elements("digests").table_valued("value")
    statement = insert(_SEEN).from_select(
        ["digest", "until"],
        select(cast(digests.c.value, BigInteger), bindparam("until", type_=UTCDateTime)).where(
            true()
        ),
    )
    return statement.on_conflict_do_update(
        index_elements=["digest"],
        set_={"until": statement.excluded.until},
        where=_SEEN.c.until <= bindparam("now", type_=UTCDateTime),  # a view after the window
    ).returning(_SEEN.c.digest)


def _add_views(insert: Any, elements: Any) -> Any:
    """Add to ``hour``'s counts a view of each article id in the array ``articles`` (an id
    once per view)."""
    viewed = elements("articles").table_valued("value")
    article_id = cast(viewed.c.value, Integer)
    statement = insert(_COUNTS).from_select(
        ["article_id", "hour", "views"],
        select(_ARTICLES.c.id, bindparam("hour", type_=UTCDateTime), func.count())
        .select_from(viewed.join(_ARTICLES, _ARTICLES.c.id == article_id))
        .where(true())
        .group_by(_ARTICLES.c.id),
    )
    return statement.on_conflict_do_update(
        index_elements=["article_id", "hour"],
        set_={"views": _COUNTS.c.views + statement.excluded.views},
    )


def _of_articles(elements: Any) -> Any:
    """How many of the ids in the array ``articles`` name an article: one row, where the
    ids of those counted, returned, were a row each (on SQLite, each row lets the GIL go
    and waits to take it back from a busy event loop)."""
    viewed = elements("articles").table_valued("value")
    return select(func.count()).select_from(
        viewed.join(_ARTICLES, _ARTICLES.c.id == cast(viewed.c.value, Integer))
    )


# INSERT ... SELECT with ON CONFLICT, in each database's dialect.
_DIALECTS: dict[str, Any] = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}
_FIRST_SEEN = {name: _first_seen(insert, _ELEMENTS[name]) for name, insert in _DIALECTS.items()}
_ADD_VIEWS = {name: _add_views(insert, _ELEMENTS[name]) for name, insert in _DIALECTS.items()}
_OF_ARTICLES = {name: _of_articles(elements) for name, elements in _ELEMENTS.items()}


class DatabaseViews(ViewCounter):
    def __init__(self) -> None:
        super().__init__()
        self._counted = 0

    @staticmethod
    def _key(digest: bytes) -> int:
        # 64 bits: the table's own key on SQLite (app.models.views).
        return int.from_bytes(digest[:8], "big", signed=True)

    def _record(self, session: Session, views: dict[Any, _View]) -> int:
        now = max(view.at for view in views.values())
        return self._count(session, views, self._first_views(session, views, now), now)

    def _count(
        self, session: Session, views: dict[int, _View], first: Iterable[int], now: datetime
    ) -> int:
        """Count the ``first`` of ``views`` under their hours: how many counted."""
        seen, counts = _SEEN, _COUNTS
        dialect = session.get_bind().dialect.name
        hours: dict[datetime, list[int]] = {}
        for digest in first:
            view = views[digest]
            hours.setdefault(hour_of(view.at), []).append(view.article_id)
        counted = 0
        for hour, ids in hours.items():
            articles = json.dumps(ids)
            session.execute(_ADD_VIEWS[dialect], {"hour": hour, "articles": articles})
            # An article purged since its view was sent has nothing to count it under.
            counted += session.execute(_OF_ARTICLES[dialect], {"articles": articles}).scalar_one()
        if not counted:
            return 0
        before, self._counted = self._counted, self._counted + counted
        if before // _PRUNE_EVERY != self._counted // _PRUNE_EVERY:
            session.execute(delete(seen).where(seen.c.until <= now))
            session.execute(delete(counts).where(counts.c.hour < now - KEPT))
            session.execute(delete(_SALTS).where(_SALTS.c.day < _day(now - timedelta(days=2))))
        return counted

    def _first_views(
        self, session: Session, views: dict[int, _View], now: datetime
    ) -> Iterable[int]:
        """The digests of ``views`` not held within the window, now held."""
        # Each digest is held for the window from the batch's last view (a moment longer
        # than from its own: at most the time views wait to be recorded).
        return session.execute(
            _FIRST_SEEN[session.get_bind().dialect.name],
            {"digests": json.dumps(list(views)), "until": now + DEDUPE, "now": now},
        ).scalars()

    def _top(
        self, session: Session, window: str, now: datetime, limit: int
    ) -> list[tuple[int, int]]:
        counts = _COUNTS
        total = func.sum(counts.c.views).label("views")
        rows = session.execute(
            select(counts.c.article_id, total)
            .where(counts.c.hour >= window_start(window, now))
            .group_by(counts.c.article_id)
            .order_by(total.desc(), counts.c.article_id.desc())
            .limit(limit)
        )
        return [(int(article_id), int(views)) for article_id, views in rows]

    def _shared_salt(self, session: Session, day: str, offered: str) -> str:
        table = _SALTS
        session.execute(
            _DIALECTS[session.get_bind().dialect.name](table)
            .values(day=day, salt=offered)
            .on_conflict_do_nothing(index_elements=["day"])
        )
        salt: str = session.execute(select(table.c.salt).where(table.c.day == day)).scalar_one()
        return salt


class SqliteViews(DatabaseViews):
    """On a SQLite file: the counts in the database, the digests in a file beside it that
    all the machine's workers map (app.articles.seen), the database's table only for what
    that file cannot hold."""

    def __init__(self, path: Path, *, slot_bits: int = SLOT_BITS) -> None:
        super().__init__()
        self.seen = SeenFile(path, window_seconds=int(DEDUPE.total_seconds()), slot_bits=slot_bits)

    def _record(self, session: Session, views: dict[Any, _View]) -> int:
        now = max(view.at for view in views.values())
        times = ((digest, view.at.timestamp()) for digest, view in views.items())
        # Recorded with the file locked: the digests stay held only if the database
        # recorded their views.
        with self.seen.first(times, now.timestamp()) as (unseen, overflowed):
            if overflowed:  # the database decides for what the file has not seen
                first = self._first_views(session, {d: views[d] for d in unseen}, now)
            else:
                first = unseen
            counted = self._count(session, views, first, now)
            session.commit()
        return counted

    def close(self) -> None:
        self.seen.close()


# Records views. ARGV: how long a digest is held (ms), how long an hour's counts are kept
# (ms), the keys' prefix, then the views in one string, a line each: "digest time
# held-until hour article" (one argument, not five a view: encoding thousands of
# arguments was most of a flush's time). A view counts unless its reader's digest is
# held past its time; then it is held (expiring a little later by Redis's own clock).
# Answers how many counted.
_RECORD = """
local counted, hours = 0, {}
local pattern = '(%S+) (%S+) (%S+) (%S+) (%S+)'
for digest, at, held_until, hour, article in string.gmatch(ARGV[4], pattern) do
  local seen = ARGV[3] .. 'seen:' .. digest
  local held = redis.call('GET', seen)
  if not held or tonumber(held) <= tonumber(at) then
    redis.call('SET', seen, held_until, 'PX', ARGV[1])
    redis.call('ZINCRBY', ARGV[3] .. hour, 1, article)
    hours[hour] = true
    counted = counted + 1
  end
end
for hour in pairs(hours) do
  redis.call('PEXPIRE', ARGV[3] .. hour, ARGV[2])
end
return counted
"""


# Views recorded by one run of the script at most: the runs of a flush go in one round trip,
# but Redis answers its other clients (the limits) between them. Under load one run of a
# flush's 500 views held them (and its own reply) for 50 ms on average and up to 0.7 s,
# beyond the client's 2 s timeout at times.
SCRIPT_VIEWS = 100


class RedisViews(ViewCounter):
    def __init__(self, url: str, *, prefix: str) -> None:
        super().__init__()
        self._redis = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self._prefix = f"{prefix}views:"
        self._record_views = self._redis.register_script(_RECORD)

    @staticmethod
    def _key(digest: bytes) -> str:
        return digest.hex()

    def _record(self, session: Session, views: dict[Any, _View]) -> int:
        hours: dict[datetime, str] = {}
        lines = []
        for digest, view in views.items():
            hour = hour_of(view.at)
            if hour not in hours:
                hours[hour] = self._hour(hour)
            at, held_until = view.at.timestamp(), (view.at + DEDUPE).timestamp()
            lines.append(f"{digest} {at!r} {held_until!r} {hours[hour]} {view.article_id}")
        pipe = self._redis.pipeline(transaction=False)
        for start in range(0, len(lines), SCRIPT_VIEWS):
            chunk = "\n".join(lines[start : start + SCRIPT_VIEWS])
            self._record_views(args=[_ms(DEDUPE), _ms(KEPT), self._prefix, chunk], client=pipe)
        with _answering():
            return sum(int(counted) for counted in pipe.execute())

    def _top(
        self, session: Session, window: str, now: datetime, limit: int
    ) -> list[tuple[int, int]]:
        hours = WINDOW_HOURS[window] + 1
        totals: Counter[int] = Counter()
        pipe = self._redis.pipeline()
        for back in range(hours):
            hour = hour_of(now) - timedelta(hours=back)
            pipe.zrange(self._hour_key(hour), 0, -1, withscores=True)
        with _answering():
            found = pipe.execute()
        for members in found:
            for member, score in members:
                totals[int(member)] += int(score)
        ranked = sorted(totals.items(), key=lambda item: (-item[1], -item[0]))
        return ranked[:limit]

    def close(self) -> None:
        self._redis.close()

    def _hour_key(self, hour: datetime) -> str:
        return f"{self._prefix}{self._hour(hour)}"

    @staticmethod
    def _hour(hour: datetime) -> str:
        return f"{hour:%Y%m%d%H}"

    def _shared_salt(self, session: Session, day: str, offered: str) -> str:
        key = f"{self._prefix}salt:{day}"
        with _answering():
            self._redis.set(key, offered, nx=True, px=_ms(timedelta(days=2)))
            salt = self._redis.get(key)
        assert isinstance(salt, bytes)
        return salt.decode()


def _day(moment: datetime) -> str:
    return moment.date().isoformat()


def _ms(delta: timedelta) -> int:
    return int(delta.total_seconds() * 1000)


def most_read(
    session: Session, counter: ViewCounter, query: PopularQuery, now: datetime
) -> list[tuple[PublicArticle, int]]:
    """The public articles viewed most in the query's window (of its category), most
    first, with their views."""
    where = service.article_filters(session, ArticleFilters(category=query.category))
    # Drafts and other categories are skipped: look further down than the page.
    ranked = counter.top(session, query.window, now, limit=query.limit * 5 + 20)
    found = reads.public_items(session, [article_id for article_id, _ in ranked], where, now=now)
    return [(found[a], views) for a, views in ranked if a in found][: query.limit]


def create_view_counter(settings: Settings) -> ViewCounter:
    if settings.redis_url:
        return RedisViews(settings.redis_url, prefix=settings.redis_prefix)
    database = settings.sqlalchemy_url.database
    if settings.is_sqlite and database and database != ":memory:":
        return SqliteViews(Path(f"{database}-views"))
    return DatabaseViews()
