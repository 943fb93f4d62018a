"""Reading and writing articles.

Functions that change something flush it and announce it (``ArticleChanged``, see
app.core.events); the caller commits, once per use case. Two views exist: the public one (published,
due, not deleted) and the editor's (everything), chosen by the caller with ``editor``.
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, UnaryExpression, and_, delete, func, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from app.articles.events import ArticleChanged, ArticlePurged, SeenArticle
from app.articles.schemas import (
    ArticleCreate,
    ArticleData,
    ArticleFilters,
    ArticleListQuery,
    ArticleUpdate,
    ArticleView,
    FeaturedImageIn,
    snapshot_of,
)
from app.core.clock import utc_now
from app.core.db import savepoint
from app.core.errors import AkhbarError, Conflict, InvalidInput, NotFound, PreconditionFailed
from app.core.events import publish
from app.core.pagination import cut_page, decode_cursor, parse_cursor_time
from app.core.params import ID_MAX
from app.media.service import find_media
from app.models import (
    Article,
    ArticleAuthor,
    ArticleMedia,
    ArticleRelated,
    ArticleRevision,
    ArticleSlugRedirect,
    ArticleStatus,
    ArticleTag,
    Author,
    Category,
    Media,
    RevisionReason,
    Tag,
)
from app.models.article import public_at, scheduled_at
from app.models.taxonomy import TaxonomyTerm
from app.taxonomy.service import resolve_term_id
from app.text.arabic import search_key
from app.text.html import (
    derive_excerpt,
    html_to_text,
    media_ids,
    reading_time_minutes,
    sanitize_html,
    word_count,
)
from app.text.slugs import normalize_ref, slugify, with_suffix

# Fields that name other rows, resolved before anything is written.
TERM_FIELDS = {"category", "tags", "authors", "related"}
ArticleT = TypeVar("ArticleT", bound=ArticleData)
BY_PUBLICATION = "article"
BY_ID = "article-id"

WITH_TERMS = (
    joinedload(Article.category),  # type: ignore[arg-type]
    selectinload(Article.tags),  # type: ignore[arg-type]
    selectinload(Article.authors),  # type: ignore[arg-type]
)


class ArticleMoved(AkhbarError):
    """The article was asked for by a slug it had before: it lives at ``slug`` now (the
    HTTP edge answers 301 with its URL)."""

    status = 301

    def __init__(self, slug: str) -> None:
        super().__init__(f"the article moved to the slug {slug!r}")
        self.slug = slug


def _view(view: ArticleView | None, now: datetime) -> ColumnElement[bool]:
    if view is None or view is ArticleView.published:
        return public_at(now)
    if view is ArticleView.scheduled:
        return scheduled_at(now)
    if view is ArticleView.deleted:
        return col(Article.deleted_at).is_not(None)
    return and_(col(Article.status) == view.value, col(Article.deleted_at).is_(None))


# Reading


def next_publication(session: Session, now: datetime) -> datetime | None:
    """When the next scheduled article becomes public, if one is scheduled."""
    moment: datetime | None = session.exec(
        select(func.min(Article.published_at)).where(scheduled_at(now))
    ).one()
    return moment


@dataclass(frozen=True)
class ListClauses:
    """What selects and orders a page of an article list, whatever reads it."""

    where: list[ColumnElement[bool]]
    order: tuple[UnaryExpression[Any], ...]
    limit: int
    by_publication: bool

    def cut(self, rows: Sequence[ArticleT]) -> tuple[Sequence[ArticleT], str | None]:
        """The page of the ``limit + 1`` rows read, and the cursor of the next."""
        if self.by_publication:
            return cut_page(rows, self.limit, kind=BY_PUBLICATION, key=_publication_key)
        return cut_page(rows, self.limit, kind=BY_ID, key=lambda a: [a.id])


def list_clauses(
    session: Session, *, query: ArticleListQuery, now: datetime | None = None
) -> ListClauses:
    """The public list and the editor's `published` and `scheduled` views come by
    publication time, newest first; drafts, archived and deleted ones by id, newest first.
    Who may ask for which view is the caller's business (see ``deps``)."""
    now = now or utc_now()
    where = [_view(query.status, now), *article_filters(session, query)]
    by_publication = query.status in (None, ArticleView.published, ArticleView.scheduled)
    order: tuple[UnaryExpression[Any], ...]
    if by_publication:
        order = (col(Article.published_at).desc(), col(Article.id).desc())
        if query.cursor is not None:
            published_at, after_id = decode_cursor(
                query.cursor, kind=BY_PUBLICATION, shape=(str, int)
            )
            after = parse_cursor_time(published_at)
            where.append(tuple_(Article.published_at, Article.id) < tuple_(after, after_id))
    else:
        order = (col(Article.id).desc(),)
        if query.cursor is not None:
            (after_id,) = decode_cursor(query.cursor, kind=BY_ID, shape=(int,))
            where.append(col(Article.id) < after_id)
    return ListClauses(where, order, query.limit, by_publication)


def list_articles(
    session: Session, *, query: ArticleListQuery, now: datetime | None = None
) -> tuple[Sequence[Article], str | None]:
    """A page of articles (``list_clauses``) and the cursor of the next page."""
    clauses = list_clauses(session, query=query, now=now)
    stmt = select(Article).where(*clauses.where).options(*WITH_TERMS)
    return clauses.cut(
        session.exec(stmt.order_by(*clauses.order).limit(clauses.limit + 1)).unique().all()
    )


def _publication_key(article: ArticleData) -> list[Any]:
    assert article.published_at is not None
    return [article.published_at.isoformat(), article.id]


def article_filters(session: Session, query: ArticleFilters) -> list[ColumnElement[bool]]:
    """The WHERE clauses of the list filters (category, tag, author, flags, lang, dates)."""
    where = in_terms(
        category_id=_term_id(session, Category, query.category, "category"),
        tag_id=_term_id(session, Tag, query.tag, "tag"),
        author_id=_term_id(session, Author, query.author, "author"),
    )
    if query.is_exclusive is not None:
        where.append(col(Article.is_exclusive) == query.is_exclusive)
    if query.is_breaking is not None:
        where.append(col(Article.is_breaking) == query.is_breaking)
    if query.lang is not None:
        where.append(col(Article.lang) == query.lang)
    if query.published_after is not None:
        where.append(col(Article.published_at) >= query.published_after)
    if query.published_before is not None:
        where.append(col(Article.published_at) < query.published_before)
    return where


def _term_id(
    session: Session, model: type[TaxonomyTerm], slug: str | None, name: str
) -> int | None:
    return None if slug is None else resolve_term_id(session, model, slug, field=(name,))


def in_terms(
    *, category_id: int | None = None, tag_id: int | None = None, author_id: int | None = None
) -> list[ColumnElement[bool]]:
    """The WHERE clauses of the articles in a category, with a tag, by an author (those
    given)."""
    where: list[ColumnElement[bool]] = []
    if category_id is not None:
        where.append(col(Article.category_id) == category_id)
    if tag_id is not None:
        tagged = select(ArticleTag.article_id).where(ArticleTag.tag_id == tag_id)
        where.append(col(Article.id).in_(tagged))
    if author_id is not None:
        bylined = select(ArticleAuthor.article_id).where(ArticleAuthor.author_id == author_id)
        where.append(col(Article.id).in_(bylined))
    return where


def get_article(
    session: Session, ref: str, *, editor: bool = False, now: datetime | None = None
) -> Article:
    """The article ``ref`` names (a numeric id, or a slug in any encoding or form).

    The public sees only public articles: anything else is the same 404 as an article that
    never existed. Editors see drafts, scheduled and archived ones too, but a deleted
    article is gone from its URL for everyone, as a DELETE promises (it is listed with
    ``status=deleted``, and ``undelete`` brings it back). A slug the article had before
    raises ArticleMoved, naming its slug now.
    """
    stmt = select(Article).options(*WITH_TERMS)
    if editor:
        stmt = stmt.where(col(Article.deleted_at).is_(None))
    else:
        stmt = stmt.where(public_at(now or utc_now()))
    article_id = as_id(ref)
    if article_id is not None:
        article = _by_id(session, stmt, article_id)
        if article is None:
            raise NotFound(
                f"no published article with id {ref}", arabic=f"لا خبر منشورًا بالرقم {ref}"
            )
        return article
    slug = normalize_ref(ref)
    article = session.exec(stmt.where(Article.slug == slug)).unique().first()
    if article is not None:
        return article
    moved_to = (
        session.exec(
            stmt.join(ArticleSlugRedirect, col(ArticleSlugRedirect.article_id) == Article.id).where(
                ArticleSlugRedirect.old_slug == slug
            )
        )
        .unique()
        .first()
    )
    if moved_to is not None:
        raise ArticleMoved(moved_to.slug)
    # A spelling variant of a slug ("مدرسه" for "مدرسة"): the oldest article it matches.
    article = (
        session.exec(stmt.where(Article.slug_key == search_key(slug)).order_by(col(Article.id)))
        .unique()
        .first()
    )
    if article is not None:
        return article
    raise NotFound(
        f"no published article with slug {slug!r}", arabic=f"لا خبر منشورًا بالعنوان {slug!r}"
    )


def as_id(ref: str) -> int | None:
    """The id a ref names, if it is one: ASCII digits only. "٤٢" is no second URL of
    article 42 (nor a slug: slugs hold ASCII digits), so it names nothing."""
    return int(ref) if ref.isascii() and ref.isdigit() else None


RowT = TypeVar("RowT")


def _by_id(session: Session, stmt: SelectOfScalar[RowT], article_id: int) -> RowT | None:
    """The first row of ``stmt`` for that article id; none for an id no INTEGER holds
    (asked, PostgreSQL would fail on the overflow)."""
    if article_id > ID_MAX:
        return None
    return session.exec(stmt.where(col(Article.id) == article_id)).unique().first()


def article_id_for_edit(session: Session, ref: str) -> int:
    """The id of the article an editor's write names: by id, by its slug (any encoding or
    form), or by a slug it had before (which still names it alone). Spelling variants,
    which a reader's link may carry, are not enough to change an article."""
    found = _named_id(session, ref)
    if found is None:
        what = f"id {ref}" if as_id(ref) is not None else f"slug {normalize_ref(ref)!r}"
        raise NotFound(f"no article with {what}")
    return found


def _named_id(session: Session, ref: str) -> int | None:
    """``article_id_for_edit``'s article, if there is one."""
    article_id = as_id(ref)
    if article_id is not None:
        found: int | None = _by_id(session, select(col(Article.id)), article_id)
        return found
    slug = normalize_ref(ref)
    found = _slug_owner(session, slug)
    if found is None:
        redirect = session.get(ArticleSlugRedirect, slug)
        found = redirect.article_id if redirect is not None else None
    return found


def get_article_for_edit(session: Session, article_id: int) -> Article:
    """The article as the database has it now, written terms and related articles
    included (fresh, even if this session holds it from before a write). All is read
    here, before a write begins: on SQLite a read inside the write's transaction would
    pin a snapshot that a concurrent commit makes stale (SQLITE_BUSY, not a 412)."""
    article = session.exec(
        select(Article)
        .where(Article.id == article_id)
        .options(*WITH_TERMS, selectinload(Article.related_links))  # type: ignore[arg-type]
        .execution_options(populate_existing=True)
    ).first()
    if article is None:
        raise NotFound(f"no article with id {article_id}")
    return article


def list_revisions(
    session: Session, article_id: int, *, limit: int, cursor: str | None
) -> tuple[Sequence[ArticleRevision], str | None]:
    """The article's earlier versions, newest first."""
    get_article_for_edit(session, article_id)
    stmt = (
        select(ArticleRevision)
        .where(ArticleRevision.article_id == article_id)
        .order_by(col(ArticleRevision.id).desc())
        .limit(limit + 1)
    )
    if cursor is not None:
        (before_id,) = decode_cursor(cursor, kind="revision", shape=(int,))
        stmt = stmt.where(col(ArticleRevision.id) < before_id)
    return cut_page(session.exec(stmt).all(), limit, kind="revision", key=lambda r: [r.id])


def existing_ids(session: Session, article_ids: list[int]) -> list[int]:
    """Those of the ids that name an article (of any status), in their order."""
    if not article_ids:
        return []
    found = set(session.exec(select(Article.id).where(col(Article.id).in_(article_ids))))
    return [article_id for article_id in article_ids if article_id in found]


# Writing


# How often a derived slug is tried again after other requests took it meanwhile: each
# lost race means another request's article was saved, so this bounds the number of
# simultaneous creations with one title that all succeed.
SLUG_ATTEMPTS = 64


class NoVersionNamed(Enum):
    """A precondition (If-Match) that names no version of the article: always stale."""

    token = "no version named"


NO_VERSION_NAMED = NoVersionNamed.token
# The version a write expects the article to be at: any (None), that one, or none.
Expected = int | NoVersionNamed | None


def create_article(
    session: Session,
    *,
    data: ArticleCreate,
    token_id: int | None = None,
    now: datetime | None = None,
) -> Article:
    """Add an article.

    A derived slug that another request takes between our look-up and our write is
    derived again (the next free suffix), so simultaneous articles with one title all
    succeed; a slug sent explicitly and taken meanwhile is a 409, as it would have been
    had the other request come first.
    """
    now = now or utc_now()
    terms = _resolve_terms(session, data.model_dump(include=TERM_FIELDS))
    _check_featured_media(session, data.featured_image)
    for _attempt in range(SLUG_ATTEMPTS):
        if data.slug is not None:
            _ensure_slug_free(session, data.slug, article_id=None)
            slug = data.slug
        else:
            slug = _free_slug_from(session, data.title)
        article = Article(
            slug=slug,
            title=data.title,
            lang=data.lang,
            status=data.status,
            created_at=now,
            updated_at=now,
        )
        _apply(
            article,
            data.model_dump(exclude={"slug", "title", "lang", "status", *TERM_FIELDS}),
            now=now,
        )
        article.category_id = terms.category_id
        try:
            with savepoint(session):
                _release_redirect(session, slug)
                session.add(article)
                session.flush()
                _link_terms(session, article, terms)
                _link_body_media(session, article)
                session.flush()
        except IntegrityError:
            if data.slug is not None or not _slug_taken(session, slug):
                raise _lost_race(session, slug) from None
            continue
        publish(session, ArticleChanged(article, SeenArticle(), now))
        return get_article_for_edit(session, _id(article))
    raise Conflict(f"too many articles titled {data.title!r} are being created at once: try again")


def update_article(
    session: Session,
    article_id: int,
    *,
    data: ArticleUpdate,
    expected_version: Expected = None,
    token_id: int | None = None,
    now: datetime | None = None,
    reason: RevisionReason = RevisionReason.update,
) -> Article:
    """Apply the fields ``data`` sets, keeping the previous version as a revision."""
    now = now or utc_now()
    article = _editable(session, article_id, expected_version)
    if article.deleted_at is not None:
        raise Conflict("the article is deleted: undelete it before editing")
    before = SeenArticle.of(article, now)
    _check_featured_media(session, data.featured_image)
    fields = data.model_dump(exclude_unset=True)
    terms = _resolve_terms(
        session,
        {key: fields.pop(key) for key in TERM_FIELDS & fields.keys()},
        article_id=article_id,
    )
    new_slug = fields.pop("slug", None)
    with _saving(session, new_slug or article.slug):
        _keep_revision(session, article, reason=reason, token_id=token_id, now=now)
        if new_slug is not None and new_slug != article.slug:
            _ensure_slug_free(session, new_slug, article_id=article_id)
            _release_redirect(session, new_slug)
            session.add(ArticleSlugRedirect(old_slug=article.slug, article_id=article_id))
            article.slug = new_slug
        _apply(article, fields, now=now)
        if terms.sets_category:
            article.category_id = terms.category_id
        article.updated_at = now
        _link_terms(session, article, terms)
        if "body" in fields:
            _link_body_media(session, article)
    publish(session, ArticleChanged(article, before, now))
    return get_article_for_edit(session, article_id)


def delete_article(
    session: Session,
    article_id: int,
    *,
    expected_version: Expected = None,
    token_id: int | None = None,
    now: datetime | None = None,
) -> None:
    """Take the article out of every public view; nothing is destroyed (see purge)."""
    now = now or utc_now()
    article = _editable(session, article_id, expected_version)
    if article.deleted_at is not None:
        return
    before = SeenArticle.of(article, now)
    with _saving(session, article.slug):
        _keep_revision(session, article, reason=RevisionReason.delete, token_id=token_id, now=now)
        article.deleted_at = now
        article.updated_at = now
    publish(session, ArticleChanged(article, before, now))


def undelete_article(
    session: Session,
    article_id: int,
    *,
    token_id: int | None = None,
    now: datetime | None = None,
) -> Article:
    now = now or utc_now()
    article = _editable(session, article_id, None)
    if article.deleted_at is not None:
        with _saving(session, article.slug):
            reason = RevisionReason.undelete
            _keep_revision(session, article, reason=reason, token_id=token_id, now=now)
            article.deleted_at = None
            article.updated_at = now
        publish(session, ArticleChanged(article, SeenArticle(), now))
    return get_article_for_edit(session, article_id)


def purge_article(session: Session, article_id: int) -> None:
    """Destroy a deleted article with its revisions, links and old slugs. Irreversible."""
    article = get_article_for_edit(session, article_id)
    if article.deleted_at is None:
        raise Conflict("only a deleted article can be purged: delete it first")
    publish(session, ArticlePurged(article_id))
    session.execute(delete(Article).where(col(Article.id) == article_id))


def restore_revision(
    session: Session,
    article_id: int,
    revision_id: int,
    *,
    expected_version: Expected = None,
    token_id: int | None = None,
    now: datetime | None = None,
) -> Article:
    """Make the article what it was in that revision; the current version is kept too."""
    revision = session.get(ArticleRevision, revision_id)
    if revision is None or revision.article_id != article_id:
        raise NotFound(f"article {article_id} has no revision {revision_id}")
    snapshot = dict(revision.snapshot)
    if "related" in snapshot:  # an article pinned then and purged since is left out
        snapshot["related"] = existing_ids(session, snapshot["related"])
    try:
        data = ArticleUpdate.model_validate(snapshot)
    except ValueError as exc:  # a snapshot older than today's rules
        raise Conflict(f"this revision cannot be restored as it is: {exc}") from None
    return update_article(
        session,
        article_id,
        data=data,
        expected_version=expected_version,
        token_id=token_id,
        now=now,
        reason=RevisionReason.restore,
    )


# Helpers: they flush, never commit.


def _id(article: Article) -> int:
    assert article.id is not None
    return article.id


def _editable(session: Session, article_id: int, expected_version: Expected) -> Article:
    article = get_article_for_edit(session, article_id)
    if expected_version is NO_VERSION_NAMED:
        raise PreconditionFailed("If-Match names no version of this article: fetch it again")
    if expected_version is not None and expected_version != article.version:
        raise _stale(article.version)
    return article


def _stale(current_version: int | None) -> PreconditionFailed:
    now_at = f" (now at version {current_version})" if current_version else ""
    return PreconditionFailed(
        f"the article changed since you read it{now_at}: fetch it again and redo the change"
    )


def _keep_revision(
    session: Session,
    article: Article,
    *,
    reason: RevisionReason,
    token_id: int | None,
    now: datetime,
) -> None:
    session.add(
        ArticleRevision(
            article_id=_id(article),
            version=article.version,
            reason=reason.value,
            snapshot=snapshot_of(article),
            token_id=token_id,
            created_at=now,
        )
    )


def _apply(article: Article, fields: dict[str, Any], *, now: datetime) -> None:
    """Set plain fields; derive body text, counts, excerpt and publication time."""
    old_derived_excerpt = derive_excerpt(article.body_text) if article.body_text else None
    if "featured_image" in fields:
        image = fields.pop("featured_image") or {}
        article.featured_image_media_id = image.get("media_id")
        article.featured_image_url = image.get("url")
        article.featured_image_alt = image.get("alt")
        article.featured_image_caption = image.get("caption")
        article.featured_image_credit = image.get("credit")
    if "body" in fields:
        article.body = sanitize_html(fields.pop("body"))
        article.body_text = html_to_text(article.body)
        article.word_count = word_count(article.body_text)
        article.reading_time_minutes = reading_time_minutes(article.word_count)
    for name, value in fields.items():
        setattr(article, name, value)
    # An excerpt nobody wrote follows the body; one an editor wrote stays as written.
    if article.excerpt is None or (
        "excerpt" not in fields and article.excerpt == old_derived_excerpt
    ):
        article.excerpt = derive_excerpt(article.body_text) or None
    if article.status is ArticleStatus.published and article.published_at is None:
        article.published_at = now


@dataclass(frozen=True)
class _Terms:
    """Term ids resolved from the slugs of a request; a list left out is None."""

    sets_category: bool = False
    category_id: int | None = None
    tag_ids: list[int] | None = None
    author_ids: list[int] | None = None
    related_ids: list[int] | None = None


def _resolve_terms(
    session: Session, terms: dict[str, Any], *, article_id: int | None = None
) -> _Terms:
    """Look the slugs (and related articles) up before anything is written: an unknown
    one is a 422."""
    category_id = None
    if terms.get("category"):
        category_id = resolve_term_id(session, Category, terms["category"], field=("category",))
    return _Terms(
        sets_category="category" in terms,
        category_id=category_id,
        tag_ids=_term_ids(session, Tag, terms["tags"], field="tags") if "tags" in terms else None,
        author_ids=(
            _term_ids(session, Author, terms["authors"], field="authors")
            if "authors" in terms
            else None
        ),
        related_ids=(
            _related_ids(session, terms["related"], article_id=article_id)
            if "related" in terms
            else None
        ),
    )


def _related_ids(session: Session, refs: list[int | str], *, article_id: int | None) -> list[int]:
    """The ids of the articles ``refs`` names (by id, slug or a slug they had), in order,
    once each; an unknown one, or the article itself, is a 422."""
    ids = []
    for index, ref in enumerate(refs):
        found = _named_id(session, str(ref))
        if found is None:
            raise InvalidInput(f"no article {ref!r} to relate", field=("related", index))
        if found == article_id:
            raise InvalidInput("an article is not related to itself", field=("related", index))
        ids.append(found)
    return list(dict.fromkeys(ids))


def _check_featured_media(session: Session, image: FeaturedImageIn | None) -> None:
    """A featured image from the library must be in it (422 otherwise)."""
    if image is not None and image.media_id is not None:
        find_media(session, image.media_id, field=("featured_image", "media_id"))


def _link_body_media(session: Session, article: Article) -> None:
    """Record the media library's pictures the (flushed) body shows; one that is not in
    the library is a 422."""
    article_id = _id(article)
    ids = media_ids(article.body)
    found = (
        set(session.exec(select(Media.id).where(col(Media.id).in_(ids))).all()) if ids else set()
    )
    missing = [media_id for media_id in ids if media_id not in found]
    if missing:
        raise InvalidInput(
            "the body shows pictures not in the media library: "
            + ", ".join(f"data-media-id={media_id}" for media_id in missing),
            field=("body",),
        )
    session.execute(delete(ArticleMedia).where(col(ArticleMedia.article_id) == article_id))
    session.add_all(ArticleMedia(article_id=article_id, media_id=media_id) for media_id in ids)
    session.expire(article, ["body_media"])


def _link_terms(session: Session, article: Article, terms: _Terms) -> None:
    """Point the (flushed) article at the resolved tags, authors and related articles."""
    article_id = _id(article)
    if terms.tag_ids is not None:
        session.execute(delete(ArticleTag).where(col(ArticleTag.article_id) == article_id))
        session.add_all(ArticleTag(article_id=article_id, tag_id=tag) for tag in terms.tag_ids)
    if terms.author_ids is not None:
        session.execute(delete(ArticleAuthor).where(col(ArticleAuthor.article_id) == article_id))
        session.add_all(
            ArticleAuthor(article_id=article_id, author_id=author_id, position=position)
            for position, author_id in enumerate(terms.author_ids)
        )
    if terms.related_ids is not None:
        session.execute(delete(ArticleRelated).where(col(ArticleRelated.article_id) == article_id))
        session.add_all(
            ArticleRelated(article_id=article_id, related_id=related_id, position=position)
            for position, related_id in enumerate(terms.related_ids)
        )
        session.expire(article, ["related_links"])


def _term_ids(
    session: Session, model: type[Tag] | type[Author], slugs: list[str], *, field: str
) -> list[int]:
    return [
        resolve_term_id(session, model, slug, field=(field, index))
        for index, slug in enumerate(dict.fromkeys(slugs))
    ]


def _slug_owner(session: Session, slug: str) -> int | None:
    return session.exec(select(Article.id).where(Article.slug == slug)).first()


# Slugs the API's own paths take (`/v1/articles/popular`): no article may have them.
RESERVED_SLUGS = frozenset({"popular"})


def _ensure_slug_free(session: Session, slug: str, *, article_id: int | None) -> None:
    if slug in RESERVED_SLUGS:
        raise Conflict(f"the slug {slug!r} names a list of the API (/v1/articles/{slug})")
    owner = _slug_owner(session, slug)
    if owner is not None and owner != article_id:
        raise Conflict(f"another article has the slug {slug!r}")


def _free_slug_from(session: Session, title: str) -> str:
    """A slug from the title, with -2, -3, ... if articles (or old slugs) have it already."""
    base = slugify(title)
    if not base:
        raise InvalidInput(
            "the title has no letters or digits to make a slug from: send a slug",
            field=("slug",),
        )
    candidate, number = base, 1
    while _slug_taken(session, candidate):
        number += 1
        candidate = with_suffix(base, number)
    return candidate


def _release_redirect(session: Session, slug: str) -> None:
    """A slug an article had before goes to whichever article takes it now."""
    session.execute(delete(ArticleSlugRedirect).where(col(ArticleSlugRedirect.old_slug) == slug))


def _slug_taken(session: Session, slug: str) -> bool:
    return (
        slug in RESERVED_SLUGS
        or _slug_owner(session, slug) is not None
        or session.get(ArticleSlugRedirect, slug) is not None
    )


def _lost_race(session: Session, slug: str) -> Conflict:
    """The answer to a write that a simultaneous one beat to a unique key (the session
    rolled back): what the checks before it would have said, had the other come first."""
    if _slug_taken(session, slug):
        return Conflict(f"another article has the slug {slug!r}")
    return Conflict("something this article refers to changed meanwhile: try again")


@contextmanager
def _saving(session: Session, slug: str) -> Iterator[None]:
    """Make the block's changes and write them, in a savepoint: a race lost at write time
    becomes the answer the checks before it would give (which may look again)."""
    try:
        with savepoint(session):
            yield
            session.flush()
    except StaleDataError:
        raise _stale(None) from None
    except IntegrityError:
        raise _lost_race(session, slug) from None
