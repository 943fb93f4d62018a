"""The public reads of the hot path, lean: Core statements to small dataclasses, no ORM
objects (hydrating Article, its terms and pictures was most of a cache miss).

An article by id or slug is one statement, and so is a page of the list: each article's
category and featured picture joined, its tags and authors aggregated as JSON by the
database. An article's body pictures cost a second statement, only when the body holds
some. The statements are built once per database and only their parameters change, so
SQLAlchemy compiles each once.

What the lean read does not find (a slug the article had before, a spelling variant,
no such article) goes the long way, ``service.get_article``, which knows those answers.
"""

from collections.abc import Callable, Sequence
from dataclasses import fields, replace
from datetime import datetime
from functools import cache
from typing import Any, NamedTuple

import orjson
from sqlalchemy import Select, and_, bindparam, case, func, literal, select
from sqlalchemy.engine import RowMapping
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import JSON
from sqlmodel import Session, SQLModel

from app.articles import service
from app.articles.schemas import ArticleData, ArticleListQuery, PublicArticle, TermRow
from app.core.clock import utc_now
from app.core.params import ID_MAX
from app.media.schemas import PictureRow
from app.models.article import public_at
from app.text.slugs import normalize_ref

_TABLES = SQLModel.metadata.tables
_ARTICLE = _TABLES["article"]
_MEDIA = _TABLES["media"]
_COLUMNS = [f.name for f in fields(PublicArticle) if f.name in _ARTICLE.c]
_PICTURE = [f.name for f in fields(PictureRow)]


def public_article(session: Session, ref: str, *, now: datetime | None = None) -> ArticleData:
    """The public article ``ref`` names, as ``service.get_article`` finds it (404 and 301
    included), selected lean when the ref is its id or its slug."""
    dialect = session.get_bind().dialect.name
    found = _lookup(session, ref, now, lambda by: _article_statement(dialect, by))
    if found is None:  # the long way finds it (or answers 404, 301), then by its id
        article = service.get_article(session, ref, now=now)
        found = _lookup(session, str(article.id), now, lambda by: _article_statement(dialect, by))
        assert found is not None
    body_media = _body_media(session, found["id"]) if "data-media-id" in found["body"] else []
    pinned = sorted(_decoded(found["related"]) or ())
    return replace(
        _article(found, body_media),
        related=[article_id for _, article_id, public in pinned if public],
        pinned=[article_id for _, article_id, _ in pinned],
    )


class ArticleKey(NamedTuple):
    """What a comment thread needs of its article."""

    id: int
    comments_enabled: bool


def public_article_key(session: Session, ref: str, *, now: datetime | None = None) -> ArticleKey:
    """The id of the public article ``ref`` names and whether it takes comments (404 and
    301 as ``public_article``)."""
    found = _lookup(session, ref, now, _key_statement)
    if found is not None:
        return ArticleKey(found["id"], found["comments_enabled"])
    article = service.get_article(session, ref, now=now)
    assert article.id is not None
    return ArticleKey(article.id, article.comments_enabled)


def public_list(
    session: Session, *, query: ArticleListQuery, now: datetime | None = None
) -> tuple[Sequence[PublicArticle], str | None]:
    """A page of the public list (``service.list_clauses``), lean: one statement, the
    terms of each article aggregated with it, no bodies."""
    clauses = service.list_clauses(session, query=query, now=now)
    stmt = _list_statement(session.get_bind().dialect.name).where(*clauses.where)
    rows = session.execute(stmt.order_by(*clauses.order).limit(clauses.limit + 1)).mappings()
    return clauses.cut([_article(row, []) for row in rows])


def latest_public(
    session: Session,
    where: Sequence[ColumnElement[bool]],
    *,
    limit: int,
    now: datetime | None = None,
) -> list[PublicArticle]:
    """The newest public articles ``where`` selects, with their bodies and the pictures
    their bodies show (one statement more, for all of them): a feed's."""
    stmt = _select(session.get_bind().dialect.name, _ARTICLE.c.body).where(
        public_at(now or utc_now()), *where
    )
    order = (_ARTICLE.c.published_at.desc(), _ARTICLE.c.id.desc())
    rows = session.execute(stmt.order_by(*order).limit(limit)).mappings().all()
    with_pictures = [row["id"] for row in rows if "data-media-id" in row["body"]]
    pictures: dict[int, list[PictureRow]] = {}
    if with_pictures:
        link = _TABLES["article_media"]
        for article_id, *picture in session.execute(
            select(link.c.article_id, *(_MEDIA.c[name] for name in _PICTURE))
            .join(link, link.c.media_id == _MEDIA.c.id)
            .where(link.c.article_id.in_(with_pictures))
        ):
            pictures.setdefault(article_id, []).append(PictureRow(*picture))
    return [_article(row, pictures.get(row["id"], [])) for row in rows]


def public_items(
    session: Session,
    ids: Sequence[int],
    where: Sequence[ColumnElement[bool]] = (),
    *,
    now: datetime | None = None,
) -> dict[int, PublicArticle]:
    """The public ones of the articles ``ids`` names that ``where`` keeps, as a list
    shows them (no bodies), by id."""
    return chosen_items(session, ids, [public_at(now or utc_now()), *where])


def chosen_items(
    session: Session, ids: Sequence[int], where: Sequence[ColumnElement[bool]] = ()
) -> dict[int, PublicArticle]:
    """The articles ``ids`` names that ``where`` keeps, as a list shows them, by id: for
    ids a public query chose (search's hits), ``where`` may be empty; else see
    ``public_items``."""
    if not ids:
        return {}
    stmt = _list_statement(session.get_bind().dialect.name).where(_ARTICLE.c.id.in_(ids), *where)
    return {row["id"]: _article(row, []) for row in session.execute(stmt).mappings()}


def _lookup(
    session: Session,
    ref: str,
    now: datetime | None,
    statement: Callable[[str], Select[Any]],
) -> RowMapping | None:
    """The row ``statement("id")`` or ``statement("slug")`` selects for ``ref``, if the
    article is public and ``ref`` its id or its slug."""
    article_id = service.as_id(ref)
    if article_id is not None and article_id > ID_MAX:
        return None  # no INTEGER holds it (asked, PostgreSQL would fail on the overflow)
    by, value = ("slug", normalize_ref(ref)) if article_id is None else ("id", article_id)
    parameters = {by: value, "now": now or utc_now()}
    return session.execute(statement(by), parameters).mappings().first()


def _public(by: str) -> ColumnElement[bool]:
    column = _ARTICLE.c.id if by == "id" else _ARTICLE.c.slug
    return and_(public_at(bindparam("now")), column == bindparam(by))


@cache
def _key_statement(by: str) -> Select[Any]:
    return select(_ARTICLE.c.id, _ARTICLE.c.comments_enabled).where(_public(by))


@cache
def _article_statement(dialect: str, by: str) -> Select[Any]:
    return _select(dialect, _ARTICLE.c.body, _related(dialect).label("related")).where(_public(by))


@cache
def _list_statement(dialect: str) -> Select[Any]:
    return _select(dialect, literal("").label("body"))  # a list shows no body


def _select(dialect: str, body: ColumnElement[str], *more: ColumnElement[Any]) -> Select[Any]:
    """The article's columns (``body`` as given), its category, featured picture and terms
    (and ``more``)."""
    category = _TABLES["category"]
    return select(
        *(_ARTICLE.c[name] for name in _COLUMNS if name != "body"),
        body,
        *more,
        _ARTICLE.c.category_id,
        category.c.slug.label("category_slug"),
        category.c.name.label("category_name"),
        *(_MEDIA.c[name].label(f"picture_{name}") for name in _PICTURE),
        _terms(dialect, "article_tag", "tag", "tag_id", "tag_id").label("tags"),
        _terms(dialect, "article_author", "author", "author_id", "position").label("authors"),
    ).select_from(
        _ARTICLE.outerjoin(category, category.c.id == _ARTICLE.c.category_id).outerjoin(
            _MEDIA, _MEDIA.c.id == _ARTICLE.c.featured_image_media_id
        )
    )


def _terms(dialect: str, link_table: str, term_table: str, key: str, order: str) -> Any:
    """The article's terms of one kind, as a JSON array of [order, id, slug, name]."""
    link, term = _TABLES[link_table], _TABLES[term_table]
    values = (link.c[order], term.c.id, term.c.slug, term.c.name)
    return _aggregate(dialect, values, link.join(term, term.c.id == link.c[key]), link)


def _related(dialect: str) -> Any:
    """The articles pinned under it, as a JSON array of [position, id, 1 if public]."""
    link, other = _TABLES["article_related"], _ARTICLE.alias("pinned")
    public = case((public_at(bindparam("now"), other), 1), else_=0)
    values = (link.c.position, link.c.related_id, public)
    return _aggregate(dialect, values, link.join(other, other.c.id == link.c.related_id), link)


def _aggregate(dialect: str, values: Sequence[Any], joined: Any, link: Any) -> Any:
    """The rows ``joined`` holds for the article (by ``link.article_id``), each
    ``values`` as a JSON array, in one JSON array."""
    if dialect == "postgresql":
        aggregate = func.json_agg(func.json_build_array(*values), type_=JSON)
    else:
        aggregate = func.json_group_array(func.json_array(*values), type_=JSON)
    return (
        select(aggregate)
        .select_from(joined)
        .where(link.c.article_id == _ARTICLE.c.id)
        .scalar_subquery()
    )


def _decoded(value: Any) -> Any:
    if isinstance(value, str):  # a driver that does not decode JSON
        return orjson.loads(value)
    return value


def _term_rows(value: Any) -> list[TermRow]:
    """The terms of ``_terms``, in the order the editor gave (or by id, for tags)."""
    return [TermRow(*term) for _, *term in sorted(_decoded(value) or ())]


def _article(row: RowMapping, body_media: list[PictureRow]) -> PublicArticle:
    picture = None
    if row["picture_id"] is not None:
        picture = PictureRow(*(row[f"picture_{name}"] for name in _PICTURE))
    category = None
    if row["category_id"] is not None:
        category = TermRow(row["category_id"], row["category_slug"], row["category_name"])
    return PublicArticle(
        **{name: row[name] for name in _COLUMNS},
        category=category,
        tags=_term_rows(row["tags"]),
        authors=_term_rows(row["authors"]),
        featured_media=picture,
        body_media=body_media,
    )


def _body_media(session: Session, article_id: int) -> list[PictureRow]:
    link = _TABLES["article_media"]
    rows = session.execute(
        select(*(_MEDIA.c[name] for name in _PICTURE))
        .join(link, link.c.media_id == _MEDIA.c.id)
        .where(link.c.article_id == article_id)
    )
    return [PictureRow(*row) for row in rows]
