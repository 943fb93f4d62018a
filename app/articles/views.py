"""Most read: views of public articles, counted by the clock hour (UTC).

A view counts once per reader per article per ``DEDUPE`` (30 minutes); known bots, and
requests that name no user agent, count nothing. A reader is known by a keyed digest
(HMAC-SHA256) of its address and user agent with the article, under a random key that
changes every day: neither the address nor the user agent is ever stored, and a digest
is kept only for the dedupe window (SECURITY.md).

Counts live in Redis when it is configured (a sorted set per hour, kept 8 days; the
dedupe digests as keys that expire), in the database otherwise (``article_view_count``,
``article_view_seen``, ``view_salt``). Either way a view is one small write that
announces nothing: no cached answer ends for it.
"""

import hashlib
import hmac
import re
import secrets
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Literal

import redis
from sqlalchemy import delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from app.articles import reads, service
from app.articles.schemas import ArticleFilters, PopularQuery, PublicArticle
from app.core.config import Settings
from app.core.errors import AkhbarError
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
# Old dedupe digests, counts and keys are removed once every this many counted views.
_PRUNE_EVERY = 500


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


def is_bot(user_agent: str | None) -> bool:
    return not user_agent or _BOTS.search(user_agent) is not None


def hour_of(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def window_start(window: str, now: datetime) -> datetime:
    """The first hour a window counts: ``1h`` is this hour and the one before it, ``24h``
    this hour and the 24 before it, and so on (counts are kept by the hour)."""
    return hour_of(now) - timedelta(hours=WINDOW_HOURS[window])


def _digest(salt: str, reader: str, article_id: int) -> str:
    return hmac.new(salt.encode(), f"{reader}\n{article_id}".encode(), hashlib.sha256).hexdigest()


class ViewCounter:
    """Where views are counted; ``count`` says whether this view counted."""

    def count(self, session: Session, article_id: int, reader: str, now: datetime) -> bool:
        raise NotImplementedError

    def top(
        self, session: Session, window: str, now: datetime, limit: int
    ) -> list[tuple[int, int]]:
        """(article id, views) of the most viewed in ``window``, most first."""
        raise NotImplementedError

    def close(self) -> None:
        pass


class DatabaseViews(ViewCounter):
    def __init__(self) -> None:
        self._salts: dict[str, str] = {}
        self._counted = 0

    def count(self, session: Session, article_id: int, reader: str, now: datetime) -> bool:
        seen, counts = _SEEN, _COUNTS
        insert = _insert(session)
        digest = _digest(self._salt(session, now), reader, article_id)
        first = session.execute(
            insert(seen)
            .values(digest=digest, until=now + DEDUPE)
            .on_conflict_do_update(
                index_elements=["digest"],
                set_={"until": now + DEDUPE},
                where=seen.c.until <= now,  # a view after the window counts again
            )
            .returning(seen.c.digest)
        ).first()
        if first is None:  # held: this reader's view counted already
            return False
        session.execute(
            insert(counts)
            .values(article_id=article_id, hour=hour_of(now), views=1)
            .on_conflict_do_update(
                index_elements=["article_id", "hour"], set_={"views": counts.c.views + 1}
            )
        )
        self._counted += 1
        if self._counted % _PRUNE_EVERY == 0:
            session.execute(delete(seen).where(seen.c.until <= now))
            session.execute(delete(counts).where(counts.c.hour < now - KEPT))
            day = (now - timedelta(days=2)).date().isoformat()
            session.execute(delete(_SALTS).where(_SALTS.c.day < day))
        return True

    def top(
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

    def _salt(self, session: Session, now: datetime) -> str:
        day = now.date().isoformat()
        if day not in self._salts:
            table = _SALTS
            session.execute(
                _insert(session)(table)
                .values(day=day, salt=secrets.token_hex(32))
                .on_conflict_do_nothing(index_elements=["day"])
            )
            salt = session.execute(select(table.c.salt).where(table.c.day == day)).scalar_one()
            self._salts = {day: salt}  # yesterday's is no longer needed
        return self._salts[day]


# Whether a view counts: not if the reader's digest is held until after ``now``; else it
# is held until ``until`` (expiring a little later by Redis's own clock), in one step.
_FIRST_VIEW = """
local held = redis.call('GET', KEYS[1])
if held and tonumber(held) > tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1
"""


class RedisViews(ViewCounter):
    def __init__(self, url: str, *, prefix: str) -> None:
        self._redis = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self._prefix = f"{prefix}views:"
        self._salts: dict[str, str] = {}
        self._first_view = self._redis.register_script(_FIRST_VIEW)

    def count(self, session: Session, article_id: int, reader: str, now: datetime) -> bool:
        with _answering():
            digest = _digest(self._salt(now), reader, article_id)
            until = (now + DEDUPE).timestamp()
            arguments: list[str | int] = [repr(now.timestamp()), repr(until), _ms(DEDUPE)]
            if not self._first_view(keys=[f"{self._prefix}seen:{digest}"], args=arguments):
                return False
            key = self._hour_key(hour_of(now))
            pipe = self._redis.pipeline()
            pipe.zincrby(key, 1, str(article_id))
            pipe.pexpire(key, _ms(KEPT))
            pipe.execute()
        return True

    def top(
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
        return f"{self._prefix}{hour:%Y%m%d%H}"

    def _salt(self, now: datetime) -> str:
        day = now.date().isoformat()
        if day not in self._salts:
            key = f"{self._prefix}salt:{day}"
            self._redis.set(key, secrets.token_hex(32), nx=True, px=_ms(timedelta(days=2)))
            salt = self._redis.get(key)
            assert isinstance(salt, bytes)
            self._salts = {day: salt.decode()}
        return self._salts[day]


def _ms(delta: timedelta) -> int:
    return int(delta.total_seconds() * 1000)


def _insert(session: Session):  # type: ignore[no-untyped-def]
    """INSERT with ON CONFLICT, in the database's dialect."""
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


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
    return DatabaseViews()
