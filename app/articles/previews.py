"""Draft previews: a secret link shows an article as the public would see it once
published, the current draft or a pinned revision, to whoever holds the link (an editor's
colleague on the real frontend, with no token in the browser).

The secret (``akp_`` + 43 random URL-safe characters, 256 bits) is shown once; only its
SHA-256 digest is kept, so the table leaks no working link. A link ends when it expires
or is revoked (its row deleted); an unknown, expired or revoked secret is a 404, the same
for all three. A preview is read through the ORM, never the public read path: it enters
no response cache, search, feed or webhook.
"""

import re
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete
from sqlmodel import Session, col, select

from app.articles import service
from app.articles.schemas import ArticleData, PublicArticle, TermRow
from app.auth.secrets import digest
from app.core.clock import utc_now
from app.core.errors import NotFound
from app.media.schemas import PictureRow
from app.models import Article, ArticlePreview, ArticleRevision, ArticleStatus, Media
from app.models.taxonomy import Author, Category, Tag, TaxonomyTerm
from app.text.html import html_to_text, reading_time_minutes, word_count

SECRET_PREFIX = "akp_"
_MEDIA_ID = re.compile(r'data-media-id="([0-9]{1,10})"')


def create_preview(
    session: Session,
    article_id: int,
    *,
    expires_in: int,
    revision_id: int | None = None,
    token_id: int | None = None,
    now: datetime | None = None,
) -> tuple[ArticlePreview, str]:
    """A new link to the article (to one of its revisions, if given), and its secret."""
    now = now or utc_now()
    service.get_article_for_edit(session, article_id)
    if revision_id is not None:
        _revision(session, article_id, revision_id)
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    preview = ArticlePreview(
        article_id=article_id,
        revision_id=revision_id,
        digest=digest(secret),
        expires_at=now + timedelta(seconds=expires_in),
        token_id=token_id,
        created_at=now,
    )
    session.add(preview)
    session.flush()
    return preview, secret


def list_previews(
    session: Session, article_id: int, *, now: datetime | None = None
) -> Sequence[ArticlePreview]:
    """The article's links that still work, newest first."""
    service.get_article_for_edit(session, article_id)
    return session.exec(
        select(ArticlePreview)
        .where(
            col(ArticlePreview.article_id) == article_id,
            col(ArticlePreview.expires_at) > (now or utc_now()),
        )
        .order_by(col(ArticlePreview.id).desc())
    ).all()


def revoke_preview(session: Session, article_id: int, preview_id: int) -> None:
    removed = session.execute(
        delete(ArticlePreview).where(
            col(ArticlePreview.id) == preview_id, col(ArticlePreview.article_id) == article_id
        )
    )
    if not getattr(removed, "rowcount", 0):
        raise NotFound(f"article {article_id} has no preview link {preview_id}")
    session.flush()


def previewed(session: Session, secret: str, *, now: datetime | None = None) -> ArticleData:
    """What the link with this secret shows."""
    preview = session.exec(
        select(ArticlePreview).where(
            col(ArticlePreview.digest) == digest(secret),
            col(ArticlePreview.expires_at) > (now or utc_now()),
        )
    ).first()
    if preview is None:
        raise NotFound(
            "no such preview: the link is wrong, expired or revoked",
            arabic="رابط المعاينة غير صالح أو انتهت صلاحيته",
        )
    article = service.get_article(session, str(preview.article_id), editor=True)
    if preview.revision_id is None:
        return article
    revision = _revision(session, preview.article_id, preview.revision_id)
    return _as_it_was(session, article, revision)


def _revision(session: Session, article_id: int, revision_id: int) -> ArticleRevision:
    revision = session.get(ArticleRevision, revision_id)
    if revision is None or revision.article_id != article_id:
        raise NotFound(f"article {article_id} has no revision {revision_id}")
    return revision


def _as_it_was(session: Session, article: Article, revision: ArticleRevision) -> PublicArticle:
    """The article as the revision's snapshot has it, with its terms and pictures as they
    are now (a term or picture deleted since is left out)."""
    snapshot: dict[str, Any] = revision.snapshot
    body: str = snapshot["body"]
    words = word_count(html_to_text(body))
    image = snapshot.get("featured_image") or {}
    pictures = _pictures(session, [image.get("media_id"), *_MEDIA_ID.findall(body)])
    featured = pictures.get(image["media_id"]) if image.get("media_id") else None
    category = _terms(session, Category, [snapshot["category"]] if snapshot["category"] else [])
    published = snapshot["published_at"]
    return PublicArticle(
        id=article.id or 0,
        slug=snapshot["slug"],
        title=snapshot["title"],
        subtitle=snapshot["subtitle"],
        excerpt=snapshot["excerpt"],
        body=body,
        lang=snapshot["lang"],
        status=ArticleStatus(snapshot["status"]),
        published_at=datetime.fromisoformat(published) if published else None,
        is_exclusive=snapshot["is_exclusive"],
        is_breaking=snapshot["is_breaking"],
        featured_image_url=image.get("url"),
        featured_image_alt=image.get("alt"),
        featured_image_caption=image.get("caption"),
        featured_image_credit=image.get("credit"),
        featured_image_media_id=featured.id if featured else None,
        comments_enabled=snapshot.get("comments_enabled", True),
        comment_count=article.comment_count,
        word_count=words,
        reading_time_minutes=reading_time_minutes(words),
        version=revision.version,
        created_at=article.created_at,
        updated_at=revision.created_at,
        deleted_at=None,
        category=category[0] if category else None,
        tags=_terms(session, Tag, snapshot["tags"]),
        authors=_terms(session, Author, snapshot["authors"]),
        featured_media=featured,
        body_media=list(pictures.values()),
        related=service.existing_ids(session, snapshot.get("related", [])),
    )


def _terms(session: Session, model: type[TaxonomyTerm], slugs: list[str]) -> list[TermRow]:
    if not slugs:
        return []
    found = {
        term.slug: TermRow(term.id or 0, term.slug, term.name)
        for term in session.exec(select(model).where(col(model.slug).in_(slugs)))
    }
    return [found[slug] for slug in slugs if slug in found]


def _pictures(session: Session, ids: list[Any]) -> dict[int, PictureRow]:
    wanted = {int(i) for i in ids if i is not None}
    if not wanted:
        return {}
    return {
        media.id: PictureRow(
            media.id,
            media.files,
            media.alt,
            media.caption,
            media.credit,
            media.width,
            media.height,
            media.placeholder,
            media.dominant_color,
        )
        for media in session.exec(select(Media).where(col(Media.id).in_(wanted)))
        if media.id is not None
    }
