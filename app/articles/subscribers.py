"""What the articles domain does when other domains change: an article embeds its
category, tags and authors, so a term's change is a change of every article showing it."""

from sqlalchemy import update
from sqlmodel import Session, col, select

from app.articles.events import ArticleChanged, SeenArticle
from app.articles.service import WITH_TERMS
from app.core.events import EventHandlers, publish
from app.models import Article
from app.taxonomy.events import TermChanged

# Articles announced per query when a term many of them show changes.
BATCH = 500


def subscribe(handlers: EventHandlers) -> None:
    handlers.subscribe(TermChanged, term_changed)


def term_changed(session: Session, event: TermChanged) -> None:
    """Each article that showed the term moves to a new version (its ETag changes) and
    is announced as changed: the public sees the term's new name, or no longer sees it."""
    if not event.article_ids:
        return
    now = event.now
    term_key = f"{event.kind}-{event.term_id}"
    ids = sorted(event.article_ids)
    for start in range(0, len(ids), BATCH):
        batch = ids[start : start + BATCH]
        session.execute(
            update(Article)
            .where(col(Article.id).in_(batch))
            .values(version=Article.version + 1, updated_at=now)
        )
        articles = session.exec(
            select(Article).where(col(Article.id).in_(batch)).options(*WITH_TERMS)
        ).unique()
        for article in articles:
            seen = SeenArticle.of(article, now)
            before = SeenArticle(seen.item, (*seen.keys, term_key)) if seen.item else seen
            publish(session, ArticleChanged(article, before, now, text_changed=False))
