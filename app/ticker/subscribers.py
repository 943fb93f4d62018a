"""What the ticker does when other domains change: a headline linked to an article shows
only while the article is public, so the article's publication or withdrawal changes
the bar."""

from sqlmodel import Session, select

from app.articles.events import ArticleChanged
from app.core.events import EventHandlers, publish
from app.models import TickerHeadline
from app.ticker.events import HeadlinesChanged
from app.ticker.service import showing_ids


def subscribe(handlers: EventHandlers) -> None:
    handlers.subscribe(ArticleChanged, linked_headlines_changed)


def linked_headlines_changed(session: Session, event: ArticleChanged) -> None:
    article, now = event.article, event.now
    if (event.before.item is not None) == article.is_public_at(now):
        return
    linked = session.exec(
        select(TickerHeadline.id).where(TickerHeadline.article_id == article.id)
    ).all()
    # Showing now, or would be if the article were public: the article is the difference.
    ids = showing_ids(session, [i for i in linked if i is not None], now=now, ignore_article=True)
    if ids:
        publish(session, HeadlinesChanged("article_changed", ids, now))
