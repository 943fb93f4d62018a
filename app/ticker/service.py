"""Ticker headlines: which are showing now, and the editor's changes.

A headline shows while it is active, inside its window (``starts_at`` ≤ now <
``ends_at``, either end open) and, if it links to an article, while that article is public.
All of it is decided by the query at read time: windows open and close by themselves.
Functions that change something flush and announce it (app.ticker.events); the caller
commits.
"""

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Literal

from sqlalchemy import ColumnElement, and_, func, or_, true
from sqlalchemy.orm import contains_eager, joinedload
from sqlmodel import Session, col, select

from app.core.clock import utc_now
from app.core.errors import InvalidInput, NotFound
from app.core.events import publish
from app.core.lengths import LABEL_MAX
from app.core.pagination import cut_page, decode_cursor
from app.models import Article, TickerHeadline
from app.models.article import public_at
from app.ticker.events import HeadlinesChanged, HeadlineWindowSet, TickerReason
from app.ticker.schemas import TickerHeadlineCreate, TickerHeadlineUpdate, TickerListQuery

CURSOR_KIND = "ticker"
# "خاص | نص" or "عاجل｜نص": a short label, a bar, the headline.
_LABELLED = re.compile(rf"^\s*(?P<label>[^|｜]{{1,{LABEL_MAX}}}?)\s*[|｜]\s*(?P<text>\S.*)$")


def split_label(text: str) -> tuple[str | None, str]:
    """("خاص", "نص") from "خاص | نص"; (None, text) when there is no short label before a bar."""
    match = _LABELLED.match(text)
    if match is None:
        return None, text
    return match["label"], match["text"]


def label_and_text(data: TickerHeadlineCreate) -> tuple[str | None, str]:
    """The label given, or the one split off the text when none is given."""
    return (data.label, data.text) if data.label else split_label(data.text)


def showing(now: datetime, *, ignore_article: bool = False) -> ColumnElement[bool]:
    """The headlines the public bar shows at ``now`` (needs Article outer-joined), or
    would show, whatever their linked article's state, with ``ignore_article``."""
    return and_(
        col(TickerHeadline.is_active).is_(True),
        or_(col(TickerHeadline.starts_at).is_(None), col(TickerHeadline.starts_at) <= now),
        or_(col(TickerHeadline.ends_at).is_(None), col(TickerHeadline.ends_at) > now),
        true() if ignore_article else or_(col(TickerHeadline.article_id).is_(None), public_at(now)),
    )


def next_window_edge(session: Session, now: datetime) -> datetime | None:
    """When a headline's window next opens or closes, if one will."""
    edges = [
        session.exec(select(func.min(column)).where(column > now)).one()
        for column in (col(TickerHeadline.starts_at), col(TickerHeadline.ends_at))
    ]
    return min((edge for edge in edges if edge is not None), default=None)


def showing_ids(
    session: Session, ids: Sequence[int], *, now: datetime, ignore_article: bool = False
) -> list[int]:
    """Those of ``ids`` that the bar shows at ``now`` (see ``showing``)."""
    if not ids:
        return []
    rows = session.exec(
        select(TickerHeadline.id)
        .outerjoin(Article, col(TickerHeadline.article_id) == col(Article.id))
        .where(col(TickerHeadline.id).in_(ids), showing(now, ignore_article=ignore_article))
        .order_by(col(TickerHeadline.id))
    ).all()
    return [row for row in rows if row is not None]


def list_headlines(
    session: Session, *, query: TickerListQuery, now: datetime | None = None
) -> tuple[Sequence[TickerHeadline], str | None]:
    """A page of headlines in bar order: by position, then newest first."""
    stmt = select(TickerHeadline).outerjoin(
        Article, col(TickerHeadline.article_id) == col(Article.id)
    )
    if not query.all:
        stmt = stmt.where(showing(now or utc_now()))
    if query.cursor is not None:
        position, before_id = decode_cursor(query.cursor, kind=CURSOR_KIND, shape=(int, int))
        stmt = stmt.where(
            or_(
                col(TickerHeadline.position) > position,
                and_(col(TickerHeadline.position) == position, col(TickerHeadline.id) < before_id),
            )
        )
    stmt = (
        stmt.options(contains_eager(TickerHeadline.article))  # type: ignore[arg-type]
        .order_by(col(TickerHeadline.position), col(TickerHeadline.id).desc())
        .limit(query.limit + 1)
    )
    rows = session.exec(stmt).all()
    return cut_page(rows, query.limit, kind=CURSOR_KIND, key=lambda h: [h.position, h.id])


def get_headline(
    session: Session, headline_id: int, *, editor: bool = False, now: datetime | None = None
) -> TickerHeadline:
    """One headline; the public sees only those showing now (others are a 404)."""
    stmt = (
        select(TickerHeadline)
        .outerjoin(Article, col(TickerHeadline.article_id) == col(Article.id))
        .where(TickerHeadline.id == headline_id)
        .options(contains_eager(TickerHeadline.article))  # type: ignore[arg-type]
    )
    if not editor:
        stmt = stmt.where(showing(now or utc_now()))
    headline = session.exec(stmt).first()
    if headline is None:
        raise NotFound(f"no headline with id {headline_id}")
    return headline


def create_headline(
    session: Session,
    *,
    data: TickerHeadlineCreate,
    drafts_visible: bool = True,
    now: datetime | None = None,
) -> TickerHeadline:
    """A new headline. ``drafts_visible``: whether the caller may link to an article the
    public cannot see (a token with ``articles:write``)."""
    now = now or utc_now()
    label, text = label_and_text(data)
    _ensure_article(session, data.article_id, drafts_visible=drafts_visible, now=now)
    position = data.position
    if position is None:
        last = session.exec(select(func.max(TickerHeadline.position))).one()
        position = 0 if last is None else last + 1
    headline = TickerHeadline(
        text=text,
        label=label,
        article_id=data.article_id,
        url=data.url,
        position=position,
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        is_active=data.is_active,
        lang=data.lang,
        created_at=now,
        updated_at=now,
    )
    session.add(headline)
    session.flush()
    _announce(session, headline, "created", shown_before=False, now=now)
    return _reloaded(session, headline)


def update_headline(
    session: Session,
    headline_id: int,
    *,
    data: TickerHeadlineUpdate,
    drafts_visible: bool = True,
    now: datetime | None = None,
) -> TickerHeadline:
    """Change the fields ``data`` sets; ``drafts_visible`` as for ``create_headline``."""
    now = now or utc_now()
    headline = get_headline(session, headline_id, editor=True)
    shown_before = bool(showing_ids(session, [headline_id], now=now))
    fields = data.model_dump(exclude_unset=True)
    if fields.get("article_id"):
        _ensure_article(session, fields["article_id"], drafts_visible=drafts_visible, now=now)
    # One link at most: setting one clears the other.
    if fields.get("article_id"):
        fields.setdefault("url", None)
    if fields.get("url"):
        fields.setdefault("article_id", None)
    for name, value in fields.items():
        setattr(headline, name, value)
    starts_at, ends_at = headline.starts_at, headline.ends_at
    if starts_at and ends_at and ends_at <= starts_at:
        raise InvalidInput("ends_at must be after starts_at", field=("ends_at",))
    headline.updated_at = now
    session.flush()
    _announce(session, headline, "updated", shown_before=shown_before, now=now)
    return _reloaded(session, headline)


def delete_headline(session: Session, headline_id: int, *, now: datetime | None = None) -> None:
    now = now or utc_now()
    headline = get_headline(session, headline_id, editor=True)
    shown_before = bool(showing_ids(session, [headline_id], now=now))
    session.delete(headline)
    session.flush()
    publish(session, HeadlineWindowSet(headline_id, (), now))
    if shown_before:
        publish(session, HeadlinesChanged("deleted", [headline_id], now))


def reorder(session: Session, ids: Sequence[int], *, now: datetime | None = None) -> None:
    """The listed headlines take positions 0, 1, 2, ... in that order and the others follow
    in their current order, in one transaction. An unknown id changes nothing."""
    headlines = session.exec(
        select(TickerHeadline).order_by(col(TickerHeadline.position), col(TickerHeadline.id).desc())
    ).all()
    by_id = {headline.id: headline for headline in headlines}
    for index, headline_id in enumerate(ids):
        if headline_id not in by_id:
            raise InvalidInput(f"no headline with id {headline_id}", field=("ids", index))
    listed = set(ids)
    in_order = [by_id[i] for i in ids] + [h for h in headlines if h.id not in listed]
    now = now or utc_now()
    moved = []
    for position, headline in enumerate(in_order):
        if headline.position != position:
            headline.position = position
            headline.updated_at = now
            moved.append(headline.id)
    session.flush()
    shown = showing_ids(session, [i for i in moved if i is not None], now=now)
    if shown:
        publish(session, HeadlinesChanged("reordered", shown, now))


def _announce(
    session: Session,
    headline: TickerHeadline,
    reason: Literal["created", "updated"],
    *,
    shown_before: bool,
    now: datetime,
) -> None:
    """The bar's change now, if it changes, and the edges of its window still to come."""
    assert headline.id is not None
    if shown_before or showing_ids(session, [headline.id], now=now):
        publish(session, HeadlinesChanged(reason, [headline.id], now))
    window: tuple[tuple[datetime | None, TickerReason], ...] = (
        (headline.starts_at, "window_opened"),
        (headline.ends_at, "window_closed"),
    )
    edges = [(m, edge) for m, edge in window if headline.is_active and m is not None and m > now]
    publish(session, HeadlineWindowSet(headline.id, edges, now))


def _ensure_article(
    session: Session, article_id: int | None, *, drafts_visible: bool, now: datetime
) -> None:
    """The article to link exists, and is public unless the caller may see drafts: to
    one who may not, a draft is an article that does not exist (the same 422)."""
    if article_id is None:
        return
    stmt = select(Article.id).where(Article.id == article_id)
    if not drafts_visible:
        stmt = stmt.where(public_at(now))
    if session.exec(stmt).first() is None:
        raise InvalidInput(
            f"no {'' if drafts_visible else 'public '}article with id {article_id}",
            field=("article_id",),
        )


def _reloaded(session: Session, headline: TickerHeadline) -> TickerHeadline:
    assert headline.id is not None
    return session.exec(
        select(TickerHeadline)
        .where(TickerHeadline.id == headline.id)
        .options(joinedload(TickerHeadline.article))  # type: ignore[arg-type]
        .execution_options(populate_existing=True)
    ).one()
