"""Categories, tags and authors: reading and writing them.

Functions that change something flush it and announce it (``TermChanged``, see
app.core.events); the caller commits.
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TypeVar

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.core.clock import utc_now
from app.core.db import savepoint
from app.core.errors import Conflict, InvalidInput, NotFound
from app.core.events import publish
from app.core.pagination import cut_page, decode_cursor
from app.media.service import find_media
from app.models import Article, ArticleAuthor, ArticleTag, Author, Category, Tag
from app.models.taxonomy import TaxonomyTerm
from app.taxonomy.events import TermChanged
from app.taxonomy.schemas import TermCreate, TermUpdate
from app.text.arabic import search_key
from app.text.slugs import normalize_ref, slugify

TermT = TypeVar("TermT", bound=TaxonomyTerm)


def term_kind(model: type[TaxonomyTerm]) -> str:
    """ "category", "tag" or "author": the table name, used in messages and cursors."""
    return str(model.__tablename__)


# Each kind's collection: the path of its routes, and the surrogate key of its lists.
COLLECTION = {"category": "categories", "tag": "tags", "author": "authors"}


def with_article(noun: str) -> str:
    """ "a category", "an author"."""
    return f"{'an' if noun[0] in 'aeiou' else 'a'} {noun}"


def list_terms(
    session: Session, model: type[TermT], *, limit: int, cursor: str | None
) -> tuple[Sequence[TermT], str | None]:
    """One page of terms in creation order, and the cursor of the next page (None at the end)."""
    kind = term_kind(model)
    stmt = select(model).order_by(model.id).limit(limit + 1)  # type: ignore[arg-type]
    if cursor is not None:
        (after_id,) = decode_cursor(cursor, kind=kind, shape=(int,))
        stmt = stmt.where(model.id > after_id)
    return cut_page(session.exec(stmt).all(), limit, kind=kind, key=lambda t: [t.id])


def _find(session: Session, model: type[TermT], slug: str) -> TermT | None:
    """By slug, or else by a spelling variant of it (the oldest term it matches)."""
    slug = normalize_ref(slug)
    term = session.exec(select(model).where(model.slug == slug)).first()
    if term is None:
        term = session.exec(
            select(model).where(model.slug_key == search_key(slug)).order_by(model.id)  # type: ignore[arg-type]
        ).first()
    return term


def get_term(session: Session, model: type[TermT], slug: str) -> TermT:
    term = _find(session, model, slug)
    if term is None:
        raise NotFound(f"no {term_kind(model)} with slug {slug!r}")
    return term


def resolve_term_id(
    session: Session, model: type[TermT], slug: str, *, field: tuple[str | int, ...]
) -> int:
    """The id of the term a request names in ``field``; an unknown slug is a 422.

    A filter on an unknown category is a mistake worth telling, not an empty list.
    """
    term = _find(session, model, slug)
    if term is None or term.id is None:
        raise InvalidInput(f"no {term_kind(model)} with slug {slug!r}", field=field)
    return term.id


def create_term(session: Session, model: type[TermT], data: TermCreate) -> TermT:
    """Add a category, tag or author."""
    slug = data.slug or slugify(data.name)
    if not slug:
        raise InvalidInput(
            "the name has no letters or digits to make a slug from: send a slug",
            field=("slug",),
        )
    _ensure_slug_free(session, model, slug)
    _ensure_avatar_exists(session, data.model_dump(exclude_unset=True))
    now = utc_now()
    term = model(
        slug=slug,
        created_at=now,
        updated_at=now,
        **data.model_dump(exclude={"slug"}, exclude_unset=True),
    )
    with _saving(session, model, slug):
        session.add(term)
    assert term.id is not None
    publish(session, TermChanged(term_kind(model), term.id, (), now))  # new in its list
    return term


def update_term(session: Session, model: type[TermT], slug: str, data: TermUpdate) -> TermT:
    """Change the fields sent. Articles embed the term: they change too (``TermChanged``)."""
    term = get_term(session, model, slug)
    fields = data.model_dump(exclude_unset=True)
    _ensure_avatar_exists(session, fields)
    if fields.get("slug", term.slug) != term.slug:
        _ensure_slug_free(session, model, fields["slug"])
    assert term.id is not None
    using = _articles_using(session, model, term.id)
    now = utc_now()
    with _saving(session, model, fields.get("slug", term.slug)):
        for name, value in fields.items():
            setattr(term, name, value)
        term.updated_at = now
    if "avatar_media_id" in fields:
        session.expire(term, ["avatar_media"])  # the picture the new id names
    publish(session, TermChanged(term_kind(model), term.id, tuple(using), now))
    return term


def delete_term(session: Session, model: type[TermT], slug: str, *, detach: bool) -> None:
    """Delete a term. One that articles use is refused (409) unless ``detach``: then it is
    first removed from those articles (which change: ``TermChanged``)."""
    term = get_term(session, model, slug)
    assert term.id is not None
    using = _articles_using(session, model, term.id)
    if using and not detach:
        count = len(using)
        raise Conflict(
            f"the {term_kind(model)} {term.slug!r} is used by {count} "
            f"article{'s' if count != 1 else ''}: pass detach=true to remove it from them"
        )
    if model is Category:
        session.execute(
            update(Article).where(col(Article.category_id) == term.id).values(category_id=None)
        )
    elif model is Tag:
        session.execute(delete(ArticleTag).where(col(ArticleTag.tag_id) == term.id))
    elif model is Author:
        session.execute(delete(ArticleAuthor).where(col(ArticleAuthor.author_id) == term.id))
    term_id = term.id
    session.delete(term)
    session.flush()
    publish(session, TermChanged(term_kind(model), term_id, tuple(using), utc_now()))


def _ensure_avatar_exists(session: Session, fields: dict[str, object]) -> None:
    media_id = fields.get("avatar_media_id")
    if isinstance(media_id, int):
        find_media(session, media_id, field=("avatar_media_id",))


def _articles_using(session: Session, model: type[TaxonomyTerm], term_id: int) -> list[int]:
    if model is Category:
        stmt = select(Article.id).where(Article.category_id == term_id)
    elif model is Tag:
        stmt = select(ArticleTag.article_id).where(ArticleTag.tag_id == term_id)
    else:
        stmt = select(ArticleAuthor.article_id).where(ArticleAuthor.author_id == term_id)
    return [article_id for article_id in session.exec(stmt).all() if article_id is not None]


def _ensure_slug_free(session: Session, model: type[TaxonomyTerm], slug: str) -> None:
    if session.exec(select(model.id).where(model.slug == slug)).first() is not None:
        raise Conflict(f"{with_article(term_kind(model))} with slug {slug!r} already exists")


@contextmanager
def _saving(session: Session, model: type[TaxonomyTerm], slug: str) -> Iterator[None]:
    """Make the block's changes and write them, in a savepoint: another request took the
    slug between our check and our write, the 409 the check would have given."""
    try:
        with savepoint(session):
            yield
            session.flush()
    except IntegrityError:
        raise Conflict(
            f"{with_article(term_kind(model))} with slug {slug!r} already exists"
        ) from None
