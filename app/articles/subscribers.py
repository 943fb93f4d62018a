"""What the articles domain does when other domains change: an article embeds its
category, tags, authors and featured picture, so a change of one of them is a change of
every article showing it."""

from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from app.articles.events import ArticleChanged, SeenArticle
from app.articles.service import WITH_TERMS
from app.core.events import EventHandlers, publish
from app.media.events import MediaChanged
from app.models import Article
from app.taxonomy.events import TermChanged

# Articles announced per query when a term many of them show changes.
BATCH = 500


def subscribe(handlers: EventHandlers) -> None:
    handlers.subscribe(TermChanged, term_changed)
    handlers.subscribe(MediaChanged, media_changed)


def term_changed(session: Session, event: TermChanged) -> None:
    """The public sees the term's new name, or no longer sees it."""
    _shown_changed(session, event.article_ids, f"{event.kind}-{event.term_id}", event.now)


def media_changed(session: Session, event: MediaChanged) -> None:
    """The public sees the picture's new text or crops, or no longer sees it."""
    _shown_changed(session, event.article_ids, f"media-{event.media_id}", event.now)


def _shown_changed(
    session: Session, article_ids: tuple[int, ...], shown_key: str, now: datetime
) -> None:
    """Each article that showed the thing named by ``shown_key`` moves to a new version
    (its ETag changes) and is announced as changed."""
    if not article_ids:
        return
    ids = sorted(article_ids)
    for start in range(0, len(ids), BATCH):
        batch = ids[start : start + BATCH]
        session.execute(
            update(Article)
            .where(col(Article.id).in_(batch))
            .values(version=Article.version + 1, updated_at=now)
        )
        # Loaded afresh: the session may hold them as they were before the change.
        articles = session.exec(
            select(Article)
            .where(col(Article.id).in_(batch))
            .options(*WITH_TERMS)
            .execution_options(populate_existing=True)
        ).unique()
        for article in articles:
            seen = SeenArticle.of(article, now)
            before = SeenArticle(seen.item, (*seen.keys, shown_key)) if seen.item else seen
            publish(session, ArticleChanged(article, before, now, text_changed=False))
