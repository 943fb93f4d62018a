"""Reading categories, tags and authors."""

from typing import TypeVar

from sqlmodel import Session, select

from app.errors import Conflict, InvalidInput, NotFound
from app.models.taxonomy import TaxonomyTerm
from app.pagination import decode_cursor, encode_cursor
from app.taxonomy.schemas import TermCreate
from app.text.slugs import normalize_ref, slugify

TermT = TypeVar("TermT", bound=TaxonomyTerm)


def term_kind(model: type[TaxonomyTerm]) -> str:
    """ "category", "tag" or "author": the table name, used in messages and cursors."""
    return str(model.__tablename__)


def list_terms(
    session: Session, model: type[TermT], *, limit: int, cursor: str | None
) -> tuple[list[TermT], str | None]:
    """One page of terms in creation order, and the cursor of the next page (None at the end)."""
    kind = term_kind(model)
    stmt = select(model).order_by(model.id).limit(limit + 1)  # type: ignore[arg-type]
    if cursor is not None:
        (after_id,) = decode_cursor(cursor, kind=kind, shape=(int,))
        stmt = stmt.where(model.id > after_id)
    rows = list(session.exec(stmt))
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, encode_cursor(kind, [rows[-1].id])


def get_term(session: Session, model: type[TermT], slug: str) -> TermT:
    term = session.exec(select(model).where(model.slug == normalize_ref(slug))).first()
    if term is None:
        raise NotFound(f"no {term_kind(model)} with slug {slug!r}")
    return term


def resolve_term_id(
    session: Session, model: type[TermT], slug: str, *, loc: tuple[str | int, ...]
) -> int:
    """The id of the term a request names at ``loc``; an unknown slug is a 422.

    A filter on an unknown category is a mistake worth telling, not an empty list.
    """
    term_id = session.exec(select(model.id).where(model.slug == normalize_ref(slug))).first()
    if term_id is None:
        raise InvalidInput(f"no {term_kind(model)} with slug {slug!r}", loc=loc)
    return term_id


def create_term(session: Session, model: type[TermT], data: TermCreate) -> TermT:
    """Add a category, tag or author (flushed, not committed)."""
    slug = data.slug or slugify(data.name)
    if not slug:
        raise InvalidInput("the name gives no slug; send one", loc=("body", "slug"))
    if session.exec(select(model.id).where(model.slug == slug)).first() is not None:
        raise Conflict(f"a {term_kind(model)} with slug {slug!r} already exists")
    term = model(slug=slug, **data.model_dump(exclude={"slug"}, exclude_unset=True))
    session.add(term)
    session.flush()
    return term
